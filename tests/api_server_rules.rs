//! Rules of the Kubernetes API server that a profile can run into: what it refuses must be
//! refused here, located at the profile line, and what it accepts must render. (Refusals
//! seen through the binary, with their exact text, are in `tests/bad/`.)

mod common;

use std::path::Path;

use common::{all, named};
use serde_json::{json, Value};
use sts_gen::model;

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: app
image: nginx:1
storage: {size: 1Gi, mountPath: /d}
";

/// BASE plus `extra`, rendered; the objects or the error text.
fn try_render(extra: &str) -> Result<Vec<Value>, String> {
    try_render_text(&format!("{BASE}{extra}"))
}

/// A whole profile, rendered as `t.yaml`; the objects or the error text.
fn try_render_text(text: &str) -> Result<Vec<Value>, String> {
    common::try_render("t.yaml", text, Path::new("."), &model::Options::default())
}

fn render(extra: &str) -> Vec<Value> {
    try_render(extra).unwrap_or_else(|e| panic!("{e}\n--- extra:\n{extra}"))
}

/// The error text of a profile that must be refused.
fn refused(extra: &str) -> String {
    match try_render(extra) {
        Ok(_) => panic!("rendered, but should be refused:\n{extra}"),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------------------- ports

#[test]
fn one_port_number_with_two_protocols_is_two_ports() {
    let items =
        render("ports: [{name: dns-udp, port: 53, protocol: UDP}, {name: dns, port: 53}]\n");
    let read = named(&items, "Service", "app-read");
    assert_eq!(
        read["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["port"].clone(), p["protocol"].clone()))
            .collect::<Vec<_>>(),
        [(json!(53), json!("UDP")), (json!(53), json!("TCP"))]
    );
}

#[test]
fn a_port_twice_is_refused_at_the_second() {
    let e = refused("ports:\n  - {name: a, port: 80}\n  - {name: b, port: 81}\n  - {name: c, port: 80, protocol: TCP}\n");
    assert_eq!(
        e,
        "t.yaml:9:21: ports[2].port: port 80/TCP is already declared by ports[0] (`a`); a Service cannot list it twice"
    );
}

#[test]
fn sidecars_cannot_bind_a_port_another_container_has() {
    let e = refused("ports: [{name: web, port: 80}]\nsidecars:\n  - {name: a, image: x, ports: [{containerPort: 9000}]}\n  - {name: b, image: x, ports: [{containerPort: 9000}]}\n");
    assert_eq!(
        e,
        "t.yaml:9:49: sidecars[1].ports[0].containerPort: port 9000/TCP is already sidecars[0].ports[0]; the containers share the pod's network, so only one of them can bind it"
    );
    // Another protocol is another socket.
    let items = render("ports: [{name: web, port: 80}]\nsidecars:\n  - {name: a, image: x, ports: [{containerPort: 80, protocol: UDP}]}\n");
    assert_eq!(all(&items, "StatefulSet").len(), 1);
    let e = refused("sidecars:\n  - {name: a, image: x, ports: [{containerPort: 70000}]}\n");
    assert!(
        e.starts_with("t.yaml:7:49: sidecars[0].ports[0].containerPort: 70000 is not a port"),
        "{e}"
    );
}

// ------------------------------------------------------------------------ mount paths

#[test]
fn two_mounts_at_one_path_are_refused_however_the_path_is_written() {
    let e = refused("config: {mountPath: //d/./, files: {a: x}}\n");
    assert_eq!(e, "t.yaml:6:21: config.mountPath: `//d/./` is already storage.mountPath; the container cannot mount the config files and the data volume at one path");
    let e = refused("secret: {data: {p: {value: x}}, mountPath: /d//}\n");
    assert!(
        e.starts_with(
            "t.yaml:6:44: secret.mountPath: `/d//` is already the mount path of storage.mountPath"
        ),
        "{e}"
    );
    let e = refused("securityContext: {writablePaths: [/tmp, /./d]}\n");
    assert!(
        e.starts_with("t.yaml:6:41: securityContext.writablePaths[1]: `/d` is already the storage or config mount path"),
        "{e}"
    );
}

#[test]
fn no_mount_may_take_the_tls_certificates_path() {
    let tls = "tls: {secretName: app-tls}\n";
    for (extra, at) in [
        (
            "config: {mountPath: /etc/tls/, files: {a: x}}\n",
            "t.yaml:7:21: config.mountPath: `/etc/tls/`",
        ),
        (
            "secret: {data: {p: {value: x}}, mountPath: /etc//tls}\n",
            "t.yaml:7:44: secret.mountPath: `/etc//tls`",
        ),
        (
            "securityContext: {writablePaths: [/etc/tls]}\n",
            "t.yaml:7:35: securityContext.writablePaths[0]: `/etc/tls`",
        ),
    ] {
        let e = refused(&format!("{tls}{extra}"));
        assert_eq!(
            e,
            format!("{at} is where `tls` mounts the certificate's Secret; choose another path")
        );
    }
    let text = format!(
        "{}{tls}",
        BASE.replace("mountPath: /d", "mountPath: /etc/tls")
    );
    let e = try_render_text(&text).unwrap_err();
    assert!(
        e.starts_with("t.yaml:5:33: storage.mountPath: `/etc/tls` is where `tls`"),
        "{e}"
    );
    // Elsewhere, all mount.
    let items = render(&format!(
        "{tls}config: {{mountPath: /etc/tls-x, files: {{a: x}}}}\n"
    ));
    assert_eq!(all(&items, "StatefulSet").len(), 1);
}

// ----------------------------------------------------------------- ConfigMap/Secret keys

#[test]
fn keys_that_start_with_two_dots_are_refused_in_every_key_map() {
    let rule = "Kubernetes refuses keys that start with `..`";
    for (extra, at) in [
        (
            "config: {files: {\"..data\": x}}\n",
            "t.yaml:6:28: config.files[\"..data\"]: `..data`",
        ),
        (
            "secret: {data: {\"..p\": {value: x}}}\n",
            "t.yaml:6:24: secret.data[\"..p\"]: `..p`",
        ),
        (
            "secret: {data: {p: {value: x}}, files: {\"..f\": x}}\n",
            "t.yaml:6:48: secret.files[\"..f\"]: `..f`",
        ),
    ] {
        let e = refused(extra);
        assert!(e.starts_with(at) && e.contains(rule), "{e}");
    }
    // Dots elsewhere are fine: `.env`, `a..b`.
    render("config: {files: {.env: x, a..b: y}}\n");
}

// ------------------------------------------------------------------------------ names

#[test]
fn names_follow_the_subdomain_rule_without_a_63_character_part() {
    // 68 characters in one part: IsDNS1123Subdomain accepts it.
    let secret = "this-is-a-rather-long-secret-name-for-the-application-credentials-v2";
    let items = render(&format!(
        "secret: {{name: {secret}, data: {{password: {{value: x}}}}}}\nenv: {{PW: {{secret: password}}}}\n"
    ));
    assert_eq!(named(&items, "Secret", secret)["kind"], "Secret");
    // PersistentVolume names join namespace, claim and name: 72 characters here.
    let text = BASE
        .replace(
            "storage: {size: 1Gi, mountPath: /d}",
            "storage: {size: 1Gi, mountPath: /d, local: {path: /data, nodes: [n1]}}",
        )
        .replace(
            "name: app",
            "name: payments-ledger-postgres-cluster\nnamespace: team-payments-production-eu-west",
        );
    let items = try_render_text(&text).unwrap();
    let pv = "team-payments-production-eu-west-data-payments-ledger-postgres-cluster-0";
    assert_eq!(
        named(&items, "PersistentVolume", pv)["spec"]["local"]["path"],
        "/data/payments-ledger-postgres-cluster-0"
    );
    // Bad characters are still refused, at their line.
    let e = refused("secret: {name: Creds_1, data: {p: {value: x}}}\n");
    assert_eq!(e, "t.yaml:6:16: secret.name: `Creds_1` is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)");
    // Service names stay DNS-1035 labels of at most 63 characters.
    let long = "r".repeat(64);
    let e = refused(&format!(
        "ports: [{{name: web, port: 80}}]\nservices: {{read: {{name: {long}}}}}\n"
    ));
    assert_eq!(
        e,
        format!(
            "t.yaml:7:25: services.read.name: `{long}` is 64 characters; at most 63 are allowed"
        )
    );
}

// ---------------------------------------------------------------------- NetworkPolicy

#[test]
fn a_policy_rule_without_ports_is_left_out_rather_than_opening_every_port() {
    // `ports: []` would admit every port; with nothing declared, nothing is admitted.
    let items = render("");
    let np = named(&items, "NetworkPolicy", "app");
    assert_eq!(np["spec"]["ingress"], json!([]));
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress"]));
    // A sidecar's port is a peer port; clients still get no rule (no Service ports).
    let items = render("sidecars: [{name: s, image: x, ports: [{containerPort: 9000}]}]\n");
    let ingress = &named(&items, "NetworkPolicy", "app")["spec"]["ingress"];
    assert_eq!(
        ingress,
        &json!([{
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}}}],
            "ports": [{"port": 9000, "protocol": "TCP"}],
        }])
    );
    // No rule anywhere has an empty port list.
    let items = render("ports: [{name: web, port: 80}]\n");
    for rule in named(&items, "NetworkPolicy", "app")["spec"]["ingress"]
        .as_array()
        .unwrap()
    {
        assert!(!rule["ports"].as_array().unwrap().is_empty(), "{rule}");
    }
}
