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
        e.starts_with("t.yaml:7:49: sidecars[0].ports[0].containerPort: container port 70000 is not in 1..65535"),
        "{e}"
    );
}

/// Native sidecars (init containers with `restartPolicy: Always`) and the containers
/// `podTemplate` adds run beside the app too: a port one of them binds is taken for the
/// others and for the metrics exporter. A `podTemplate` container named like a rendered
/// one extends it, so its ports are that container's, not a second binding.
#[test]
fn every_running_container_shares_the_pods_ports() {
    let e = refused("ports: [{name: web, port: 80}]\ninitContainers:\n  - {name: i, image: x, restartPolicy: Always, ports: [{containerPort: 9000}]}\npodTemplate:\n  containers:\n    - {name: extra, image: x, ports: [{containerPort: 80}, {containerPort: 9000}]}\nmetrics: {enabled: true, image: e:1, port: 9000, exporter: {}}\n");
    let want = [
        "t.yaml:11:55: podTemplate.containers[0].ports[0].containerPort: port 80/TCP is already ports[0] (`web`) of the app container; the containers share the pod's network, so only one of them can bind it",
        "t.yaml:11:76: podTemplate.containers[0].ports[1].containerPort: port 9000/TCP is already initContainers[0].ports[0]; the containers share the pod's network, so only one of them can bind it",
        "t.yaml:12:44: metrics.port: port 9000/TCP is already initContainers[0].ports[0] (init container `i`); the exporter shares the pod's network, so it needs a port of its own",
        "t.yaml:12:44: metrics.port: port 9000/TCP is already podTemplate.containers[0].ports[1] (container `extra`); the exporter shares the pod's network, so it needs a port of its own",
    ];
    for line in want {
        assert!(e.lines().any(|l| l == line), "missing {line} in\n{e}");
    }
    // A run-to-completion init container frees its port before the others start; a
    // podTemplate container extending the app restates the app's own port.
    let items = render("ports: [{name: web, port: 80}]\ninitContainers:\n  - {name: i, image: x, ports: [{containerPort: 9000}]}\npodTemplate:\n  containers:\n    - {name: app, ports: [{name: web, containerPort: 80}]}\n  initContainers:\n    - {name: j, image: x, ports: [{containerPort: 80}]}\nmetrics: {enabled: true, image: e:1, port: 9000, exporter: {}}\n");
    assert_eq!(all(&items, "StatefulSet").len(), 1);
}

#[test]
fn every_port_out_of_range_reads_alike_at_its_line() {
    // The profile's ports, the metrics port, sidecars and podTemplate containers: one
    // wording for 0 and for 65536 (the integer type's "0 to 65535" said 0 was fine).
    for (extra, want) in [
        (
            "ports: [{name: a, port: 0}]\n",
            "t.yaml:6:25: ports[0].port: port 0 is not in 1..65535",
        ),
        (
            "ports: [{name: a, port: 65536}]\n",
            "t.yaml:6:25: ports[0].port: port 65536 is not in 1..65535",
        ),
        (
            "ports: [{name: a, port: -1}]\n",
            "t.yaml:6:25: ports[0].port: port -1 is not in 1..65535",
        ),
        (
            "metrics: {enabled: true, image: e:1, port: 0, exporter: {}}\n",
            "t.yaml:6:44: metrics.port: port 0 is not in 1..65535",
        ),
        (
            "metrics: {enabled: true, image: e:1, port: 65536, exporter: {}}\n",
            "t.yaml:6:44: metrics.port: port 65536 is not in 1..65535",
        ),
        (
            "sidecars: [{name: s, image: x:1, ports: [{containerPort: 0}]}]\n",
            "t.yaml:6:58: sidecars[0].ports[0].containerPort: container port 0 is not in 1..65535",
        ),
    ] {
        assert_eq!(refused(extra), want, "{extra}");
    }
    let e = refused("podTemplate: {containers: [{name: app, ports: [{containerPort: 65536}]}]}\n");
    assert!(
        e.starts_with("t.yaml:6:47: podTemplate.containers[0].ports: container `app`, `ports[0].containerPort`: container port 65536 is not in 1..65535"),
        "{e}"
    );
}

#[test]
fn the_metrics_exporter_cannot_take_a_sidecars_port() {
    let e = refused("ports: [{name: web, port: 80}]\nsidecars: [{name: s, image: x:1, ports: [{containerPort: 9000}]}]\nmetrics: {enabled: true, image: e:1, port: 9000, exporter: {}}\n");
    assert_eq!(
        e,
        "t.yaml:8:44: metrics.port: port 9000/TCP is already sidecars[0].ports[0] (sidecar `s`); the exporter shares the pod's network, so it needs a port of its own"
    );
    let e = refused("ports: [{name: web, port: 9000}]\nmetrics: {enabled: true, image: e:1, port: 9000, exporter: {}}\n");
    assert!(
        e.starts_with("t.yaml:7:44: metrics.port: port 9000 is the app container's"),
        "{e}"
    );
    // Another protocol is another socket; another port is fine.
    for sidecar_port in [
        "{containerPort: 9000, protocol: UDP}",
        "{containerPort: 9001}",
    ] {
        let items = render(&format!("ports: [{{name: web, port: 80}}]\nsidecars: [{{name: s, image: x:1, ports: [{sidecar_port}]}}]\nmetrics: {{enabled: true, image: e:1, port: 9000, exporter: {{}}}}\n"));
        assert_eq!(all(&items, "StatefulSet").len(), 1);
    }
}

// ----------------------------------------------------------------- env names by version

/// BASE plus `extra` rendered for Kubernetes 1.`minor`.
fn try_render_for(minor: u32, extra: &str) -> Result<Vec<Value>, String> {
    let opts = model::Options {
        kube_version: (1, minor),
        ..model::Options::default()
    };
    common::try_render("t.yaml", &format!("{BASE}{extra}"), Path::new("."), &opts)
}

#[test]
fn env_names_follow_the_target_versions_rule() {
    // Before 1.32 the API server wants `[-._a-zA-Z][-._a-zA-Z0-9]*`; from 1.32 (relaxed
    // validation on by default) any printable ASCII but `=`.
    let e = try_render_for(31, "env: {1A: x}\n").unwrap_err();
    assert_eq!(
        e,
        "t.yaml:6:11: env.1A: `1A` is not a valid environment variable name for Kubernetes 1.31 (--kube-version): before 1.32 a name is letters, digits, `_`, `-` and `.`, not starting with a digit"
    );
    let e = try_render_for(
        25,
        "sidecars: [{name: s, image: x:1, env: [{name: \"a b\", value: x}]}]\n",
    )
    .unwrap_err();
    assert!(
        e.starts_with("t.yaml:6:47: sidecars[0].env[0].name: container `s`, `env[0].name`: `a b` is not a valid environment variable name for Kubernetes 1.25"),
        "{e}"
    );
    for ok in [
        "env: {_a.b-C9: x}\n",
        "sidecars: [{name: s, image: x:1, env: [{name: my.var-1, value: x}]}]\n",
    ] {
        try_render_for(31, ok).unwrap();
    }
    for minor in [32, 33] {
        try_render_for(minor, "env: {1A: x, \"a b:c\": y}\n").unwrap();
    }
    assert!(try_render_for(33, "env: {\"A=B\": x}\n").is_err());
}

// ------------------------------------------------------------------ pod template fields

#[test]
fn pod_template_fields_a_statefulset_cannot_have_are_refused_at_their_line() {
    for (extra, want) in [
        ("podTemplate: {restartPolicy: Never}\n", "t.yaml:6:30: podTemplate.restartPolicy: pod template `restartPolicy`: restartPolicy `Never` is refused"),
        ("podTemplate: {restartPolicy: OnFailure}\n", "t.yaml:6:30: podTemplate.restartPolicy: pod template `restartPolicy`: restartPolicy `OnFailure` is refused"),
        ("podTemplate: {activeDeadlineSeconds: 60}\n", "t.yaml:6:38: podTemplate.activeDeadlineSeconds: pod template `activeDeadlineSeconds`: activeDeadlineSeconds (60) is refused in a StatefulSet"),
        ("podTemplate: {ephemeralContainers: [{name: dbg, image: x:1}]}\n", "t.yaml:6:36: podTemplate.ephemeralContainers: pod template `ephemeralContainers`: ephemeral containers are refused in a pod template"),
        ("podTemplate:\n  dnsPolicy: None\n", "t.yaml:7:14: podTemplate.dnsPolicy: pod template `dnsPolicy`: dnsPolicy `None` needs `dnsConfig` with at least one nameserver"),
        ("podTemplate: {dnsPolicy: ClusterFirstt}\n", "t.yaml:6:26: podTemplate.dnsPolicy: pod template `dnsPolicy`: dnsPolicy `ClusterFirstt` is not one of"),
        ("podTemplate: {dnsConfig: {nameservers: [1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4]}}\n", "t.yaml:6:40: podTemplate.dnsConfig.nameservers: pod template `dnsConfig.nameservers`: dnsConfig has 4 nameservers; at most 3"),
        ("podTemplate: {dnsConfig: {nameservers: [dns.local]}}\n", "t.yaml:6:41: podTemplate.dnsConfig.nameservers[0]: pod template `dnsConfig.nameservers[0]`: nameserver `dns.local` is not an IP address"),
        ("podTemplate: {terminationGracePeriodSeconds: -1}\n", "t.yaml:6:46: podTemplate.terminationGracePeriodSeconds: pod template `terminationGracePeriodSeconds`: terminationGracePeriodSeconds is -1"),
        ("podTemplate: {priority: 1000}\n", "t.yaml:6:25: podTemplate.priority: pod template `priority`: priority (1000) is computed from priorityClassName"),
        ("podTemplate: {preemptionPolicy: Always}\n", "t.yaml:6:33: podTemplate.preemptionPolicy: pod template `preemptionPolicy`: preemptionPolicy `Always` is not"),
        ("podTemplate: {shareProcessNamespace: true, hostPID: true}\n", "t.yaml:6:38: podTemplate.shareProcessNamespace: pod template `shareProcessNamespace`: shareProcessNamespace and hostPID"),
        ("sidecars: [{name: s, image: x:1, restartPolicy: Always}]\n", "t.yaml:6:49: sidecars[0].restartPolicy: container `s`, `restartPolicy`: restartPolicy `Always` is refused on a container that is not an init container"),
        ("initContainers: [{name: i, image: x:1, restartPolicy: Never}]\n", "t.yaml:6:55: initContainers[0].restartPolicy: container `i`, `restartPolicy`: restartPolicy `Never` is refused on an init container"),
        ("podTemplate: {hostNetwork: true}\nsidecars: [{name: s, image: x:1, ports: [{containerPort: 90, hostPort: 91}]}]\n", "t.yaml:7:72: sidecars[0].ports[0].hostPort: container `s`, `ports[0].hostPort`: hostPort 91 must equal containerPort 90 under hostNetwork"),
    ] {
        let e = refused(extra);
        assert!(e.starts_with(want), "{extra}\n{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // What the API server accepts renders.
    for extra in [
        "podTemplate: {restartPolicy: Always, dnsPolicy: ClusterFirstWithHostNet, terminationGracePeriodSeconds: 0, preemptionPolicy: Never, priorityClassName: high}\n",
        "podTemplate: {dnsPolicy: None, dnsConfig: {nameservers: [10.0.0.10, \"fd00::a\"], searches: [svc.cluster.local]}}\n",
        "podTemplate: {hostNetwork: true}\nsidecars: [{name: s, image: x:1, ports: [{containerPort: 90, hostPort: 90}, {containerPort: 91}]}]\n",
        "initContainers: [{name: i, image: x:1, restartPolicy: Always}]\n",
    ] {
        render(extra);
    }
    // A native sidecar (an init container restarted `Always`) needs 1.29.
    let e = try_render_for(
        28,
        "initContainers: [{name: i, image: x:1, restartPolicy: Always}]\n",
    )
    .unwrap_err();
    assert!(
        e.contains("needs Kubernetes 1.29 or later; the target is 1.28"),
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

// ------------------------------------------------------------- found by a hostile round

#[test]
fn a_raw_value_that_renders_as_a_number_where_kubernetes_wants_a_string_is_refused_at_its_line() {
    // YAML typing read `1.5` as text; the rendered JSON number was refused by the check
    // stage without a line (and by the API server: "cannot unmarshal number").
    let e = refused("podTemplate:\n  volumes:\n    - name: s\n      secret: {secretName: 1.5}\n");
    assert_eq!(
        e,
        "t.yaml:9:28: podTemplate.volumes[0].secret.secretName: invalid type: floating point `1.5`, expected a string (quote the value to make it a string)"
    );
    let e = refused("volumes: [{name: v, configMap: {name: c, items: [{key: k, path: 10}]}}]\n");
    assert!(
        e.starts_with("t.yaml:6:65: volumes[0].configMap.items[0].path: invalid type: integer `10`, expected a string"),
        "{e}"
    );
    let e = refused("sidecars: [{name: s, image: 1.5}]\n");
    assert!(
        e.starts_with("t.yaml:6:29: sidecars[0].image: invalid type: floating point"),
        "{e}"
    );
    render("podTemplate:\n  volumes:\n    - name: s\n      secret: {secretName: \"1.5\", optional: true}\n");
}

#[test]
fn pod_template_lists_merge_by_name_so_an_item_needs_one() {
    for (extra, want) in [
        (
            "podTemplate: {containers: []}\n",
            "t.yaml:6:27: podTemplate.containers: an empty list would replace every item",
        ),
        (
            "podTemplate: {volumes: []}\n",
            "t.yaml:6:24: podTemplate.volumes: an empty list would replace every item",
        ),
        (
            "podTemplate: {volumes: [{emptyDir: {}}]}\n",
            "t.yaml:6:25: podTemplate.volumes[0]: missing required key `name`",
        ),
        (
            "podTemplate: {containers: [{image: x:1}]}\n",
            "t.yaml:6:28: podTemplate.containers[0]: missing required key `name`",
        ),
    ] {
        let e = refused(extra);
        assert!(e.starts_with(want), "{extra}\n{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    render("podTemplate: {tolerations: [], volumes: [{name: extra, emptyDir: {}}]}\n");
}

#[test]
fn tolerations_the_api_server_refuses() {
    for (toleration, want) in [
        (
            "{key: a, operator: Exists, value: b}",
            "tolerations[0].value",
        ),
        ("{operator: Equal, value: b}", "tolerations[0].operator"),
        ("{key: a, operator: Maybe}", "tolerations[0].operator"),
        ("{key: a, effect: NoEvict}", "tolerations[0].effect"),
        (
            "{key: a, effect: NoSchedule, tolerationSeconds: 5}",
            "tolerations[0].tolerationSeconds",
        ),
    ] {
        let e = refused(&format!("podTemplate: {{tolerations: [{toleration}]}}\n"));
        assert!(e.starts_with("t.yaml:6:"), "{e}");
        assert!(
            e.contains(&format!(": podTemplate.{want}: ")),
            "{toleration}\n{e}"
        );
    }
    render("podTemplate: {tolerations: [{operator: Exists}, {key: a, operator: Equal, value: b, effect: NoExecute, tolerationSeconds: 30}]}\n");
}

#[test]
fn a_name_that_starts_with_a_digit_cannot_name_the_services() {
    let text = "apiVersion: sts-gen/v1\nkind: Profile\nname: 0db\nimage: nginx:1\nstorage: {size: 1Gi, mountPath: /d}\nports: [{name: web, port: 80}]\n";
    let e = try_render_text(text).unwrap_err();
    assert!(
        e.starts_with(
            "t.yaml:3:7: name: `0db` starts with a digit, but the Services named after it"
        ),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    // Named Services: the StatefulSet may start with a digit.
    try_render_text(&format!(
        "{text}services: {{headless: {{name: db}}, read: {{name: db-read}}}}\n"
    ))
    .unwrap();
    let e = refused("services: {extra: [{name: 1x}]}\n");
    assert!(
        e.starts_with("t.yaml:6:27: services.extra[0].name: `1x` is not a DNS-1035 label"),
        "{e}"
    );
}

#[test]
fn a_primary_service_needs_its_pod_to_run() {
    let e = refused("replicas: 0\nports: [{name: web, port: 80}]\nroles: [{name: p, ordinals: \"0\"}, {name: r, ordinals: \"1-\"}]\nservices: {primary: {}}\n");
    assert!(
        e.starts_with("t.yaml:6:11: replicas: 0 replicas do not run pod `app-0`, which the primary Service selects"),
        "{e}"
    );
    render("replicas: 0\nports: [{name: web, port: 80}]\n");
}

#[test]
fn findings_about_containers_written_as_text_variables_or_without_an_image_have_their_line() {
    // A preset writes its app container as `{{ name }}`: a mount of it that names no volume
    // is located at the mount.
    let e = refused("podTemplate:\n  containers:\n    - name: \"{{ name }}\"\n      volumeMounts: [{name: nope, mountPath: /x}]\n");
    assert!(
        e.starts_with("t.yaml:9:29: podTemplate.containers[0].volumeMounts[0].name: container `app` mounts `nope`"),
        "{e}"
    );
    let e = refused("initContainers: [{name: i, image: null}]\n");
    assert!(
        e.starts_with("t.yaml:6:35: initContainers[0].image: container `i` has no image (a container needs an image)"),
        "{e}"
    );
    let e = refused("podTemplate: {containers: null}\n");
    assert!(
        e.starts_with(
            "t.yaml:6:27: podTemplate.containers: `null` would remove the rendered `containers`"
        ),
        "{e}"
    );
}

#[test]
fn a_negative_count_says_so() {
    let e = refused("replicas: -1\n");
    assert_eq!(
        e,
        "t.yaml:6:11: replicas: -1 is negative; it must be 0 or more"
    );
}

#[test]
fn container_and_volume_fields_the_api_server_refuses_are_located() {
    for (extra, want) in [
        ("sidecars: [{name: s, image: x:1, volumeMounts: [{name: data, mountPath: /x, subPath: /abs}]}]\n", "t.yaml:6:86: sidecars[0].volumeMounts[0].subPath: container `s`, `volumeMounts[0].subPath`: subPath `/abs` must be a relative path without `..`"),
        ("sidecars: [{name: s, image: x:1, volumeMounts: [{name: data, mountPath: /x}, {name: data, mountPath: /x/}]}]\n", "t.yaml:6:102: sidecars[0].volumeMounts[1].mountPath: container `s`, `volumeMounts[1].mountPath`: mountPath `/x/` is used twice"),
        ("sidecars: [{name: s, image: x:1, readinessProbe: {tcpSocket: {port: 80}, periodSeconds: -5}}]\n", "t.yaml:6:89: sidecars[0].readinessProbe.periodSeconds: container `s`, `readinessProbe.periodSeconds`: periodSeconds is -5; it must be 0 or more"),
        ("sidecars: [{name: s, image: x:1, readinessProbe: {}}]\n", "t.yaml:6:50: sidecars[0].readinessProbe: container `s`, `readinessProbe`: readinessProbe has no handler"),
        ("sidecars: [{name: s, image: x:1, livenessProbe: {tcpSocket: {port: 80}, exec: {command: [a]}}}]\n", "t.yaml:6:49: sidecars[0].livenessProbe: container `s`, `livenessProbe`: livenessProbe has 2 handlers"),
        ("sidecars: [{name: s, image: x:1, livenessProbe: {tcpSocket: {port: 80}, terminationGracePeriodSeconds: 0}}]\n", "t.yaml:6:104: sidecars[0].livenessProbe.terminationGracePeriodSeconds: container `s`, `livenessProbe.terminationGracePeriodSeconds`: terminationGracePeriodSeconds is 0; it must be 1 or more"),
        ("sidecars: [{name: s, image: x:1, imagePullPolicy: always}]\n", "t.yaml:6:51: sidecars[0].imagePullPolicy: container `s`, `imagePullPolicy`: imagePullPolicy `always` is not one of Always, IfNotPresent, Never"),
        ("sidecars: [{name: s, image: x:1, terminationMessagePolicy: Sometimes}]\n", "t.yaml:6:60: sidecars[0].terminationMessagePolicy: container `s`, `terminationMessagePolicy`: terminationMessagePolicy `Sometimes` is not one of"),
        ("sidecars: [{name: s, image: x:1, ports: [{containerPort: 81, protocol: tcp}]}]\n", "t.yaml:6:72: sidecars[0].ports[0].protocol: container `s`, `ports[0].protocol`: protocol `tcp` is not TCP, UDP or SCTP"),
        ("volumes: [{name: v, emptyDir: {}, hostPath: {path: /x}}]\n", "t.yaml:6:45: volumes[0].hostPath: volume `v`, `hostPath`: a volume has one source; this one has 2: emptyDir, hostPath"),
        ("volumes: [{name: V_1, emptyDir: {}}]\n", "t.yaml:6:18: volumes[0].name: volume `V_1`, `name`: volume name `V_1` is not a DNS-1123 label"),
        ("podTemplate: {volumes: [{name: x, emptyDir: {}, configMap: {name: c, optional: true}}]}\n", "t.yaml:6:45: podTemplate.volumes[0].emptyDir: volume `x`, `emptyDir`: a volume has one source"),
    ] {
        let e = refused(extra);
        assert!(e.starts_with(want), "{extra}\n{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    render("sidecars: [{name: s, image: x:1, imagePullPolicy: Always, terminationMessagePolicy: FallbackToLogsOnError, ports: [{containerPort: 81, protocol: UDP}], readinessProbe: {grpc: {port: 81}}, livenessProbe: {tcpSocket: {port: 81}, terminationGracePeriodSeconds: 5}, volumeMounts: [{name: data, mountPath: /x, subPath: a/b}]}]\n");
}

#[test]
fn the_config_files_cannot_mount_where_the_app_container_mounts_already() {
    // cassandra's preset mounts an emptyDir at /etc/cassandra; the default config mount of an
    // app named cassandra is /etc/cassandra too, and the API server refused the two mounts.
    let text = "apiVersion: sts-gen/v1\nkind: Profile\nname: app\nimage: nginx:1\nstorage: {size: 1Gi, mountPath: /d}\npodTemplate:\n  volumes: [{name: etc, emptyDir: {}}]\n  containers:\n    - name: \"{{ name }}\"\n      volumeMounts: [{name: etc, mountPath: /etc/app}]\n";
    let e = try_render_text(&format!("{text}config: {{files: {{a.conf: x}}}}\n")).unwrap_err();
    assert!(
        e.starts_with("t.yaml:11:9: config: the config files would mount at `/etc/app`, where `podTemplate.containers[0].volumeMounts[0]` mounts already"),
        "{e}"
    );
    let e = try_render_text(&format!(
        "{text}config: {{mountPath: /etc/app/, files: {{a.conf: x}}}}\n"
    ))
    .unwrap_err();
    assert!(
        e.starts_with("t.yaml:11:21: config.mountPath: the config files would mount at"),
        "{e}"
    );
    try_render_text(&format!(
        "{text}config: {{mountPath: /etc/files, files: {{a.conf: x}}}}\n"
    ))
    .unwrap();
    // The bundled preset moves its config mount out of the way.
    common::render_bundled(
        "cassandra",
        "apiVersion: sts-gen/v1\nkind: Profile\nname: cassandra\npreset: cassandra\nconfig: {files: {extra.conf: x}}\n",
        &model::Options::default(),
    );
}

#[test]
fn objects_over_the_size_limits_point_at_the_profile_field() {
    let big = "x".repeat(1_100_000);
    let e = refused(&format!("config: {{files: {{a: \"{big}\"}}}}\n"));
    assert!(
        e.starts_with("t.yaml:6:17: config.files: data is 1100001 bytes"),
        "{}",
        &e[..200]
    );
    let big = "x".repeat(300_000);
    let e = refused(&format!("annotations: {{a: \"{big}\"}}\n"));
    assert!(
        e.starts_with("t.yaml:6:14: annotations: metadata.annotations total"),
        "{}",
        &e[..200]
    );
}

#[test]
fn reference_and_mount_findings_in_more_places_have_their_line() {
    let e = refused("secret: {data: {a: {value: x}}}\npodTemplate:\n  volumes:\n    - name: s\n      secret: {secretName: app, items: [{key: nope, path: x}]}\n");
    assert!(
        e.starts_with("t.yaml:10:47: podTemplate.volumes[0].secret.items[0].key: volume `s` refers to key `nope` of Secret `app`, which has no such key"),
        "{e}"
    );
    let e = refused("podTemplate: {initContainers: [{name: nope}]}\n");
    assert!(
        e.starts_with(
            "t.yaml:6:39: podTemplate.initContainers[0].name: container `nope` has no image"
        ),
        "{e}"
    );
    let e = refused("sidecars: [{name: s, image: x:1, volumeMounts: [{mountPath: /x}]}]\n");
    assert!(
        e.starts_with("t.yaml:6:49: sidecars[0].volumeMounts[0]: container `s` mounts ``"),
        "{e}"
    );
    let e = refused("ports: [{name: web, port: 80}]\nmetrics: {enabled: true, image: e:1, port: 9000, exporter: {volumeMounts: [{name: cfg, mountPath: /c}]}}\n");
    assert!(
        e.starts_with(
            "t.yaml:7:83: metrics.exporter.volumeMounts[0].name: container `metrics` mounts `cfg`"
        ),
        "{e}"
    );
}

#[test]
fn an_item_twice_in_a_pod_template_list_is_refused() {
    let e = refused("podTemplate:\n  volumes:\n    - {name: x, emptyDir: {}}\n    - {name: x, emptyDir: {medium: Memory}}\n");
    assert!(
        e.starts_with("t.yaml:9:14: podTemplate.volumes[1].name: `x` is listed twice in podTemplate's `volumes`"),
        "{e}"
    );
}

#[test]
fn a_host_port_is_taken_once_per_pod() {
    let e = refused("sidecars:\n  - {name: a, image: x:1, ports: [{containerPort: 90, hostPort: 9090}]}\n  - {name: b, image: x:1, ports: [{containerPort: 91, hostPort: 9090}]}\n");
    assert!(
        e.starts_with("t.yaml:8:65: sidecars[1].ports[0].hostPort: container `b`, `ports[0].hostPort`: hostPort 9090/TCP is already taken"),
        "{e}"
    );
    render("sidecars:\n  - {name: a, image: x:1, ports: [{containerPort: 90, hostPort: 9090}]}\n  - {name: b, image: x:1, ports: [{containerPort: 91, hostPort: 9090, protocol: UDP}]}\n");
}

#[test]
fn raw_env_sources_the_api_server_refuses_are_located() {
    for (env, want) in [
        ("{name: A, valueFrom: {fieldRef: {fieldPath: status.bogus}}}", "sidecars[0].env[0].valueFrom.fieldRef.fieldPath: container `s`, `env[0].valueFrom.fieldRef.fieldPath`: `status.bogus` is not a downward-API field"),
        ("{name: A, value: x, valueFrom: {fieldRef: {fieldPath: status.podIP}}}", "sidecars[0].env[0].valueFrom: container `s`, `env[0].valueFrom`: env `A` has both `value` and `valueFrom`"),
        ("{name: A, valueFrom: {fieldRef: {fieldPath: status.podIP}, resourceFieldRef: {resource: limits.cpu}}}", "it has 2"),
        ("{name: A, valueFrom: {}}", "it has 0"),
        ("{name: A, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}", "sidecars[0].env[0].valueFrom.resourceFieldRef.resource: container `s`, `env[0].valueFrom.resourceFieldRef.resource`: `limits.gpu` is not"),
    ] {
        let e = refused(&format!("sidecars: [{{name: s, image: x:1, env: [{env}]}}]\n"));
        assert!(e.starts_with("t.yaml:6:") && e.contains(want), "{env}\n{e}");
    }
    render("sidecars: [{name: s, image: x:1, env: [{name: A, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['a']\"}}}, {name: B, value: \"\", valueFrom: {resourceFieldRef: {resource: requests.memory}}}]}]\n");
    let e = try_render_for(30, "sidecars: [{name: s, image: x:1, envFrom: [{prefix: 1x, configMapRef: {name: c, optional: true}}]}]\n").unwrap_err();
    assert!(
        e.starts_with("t.yaml:6:53: sidecars[0].envFrom[0].prefix:"),
        "{e}"
    );
    try_render_for(33, "sidecars: [{name: s, image: x:1, envFrom: [{prefix: 1x, configMapRef: {name: c, optional: true}}]}]\n").unwrap();
}

#[test]
fn a_raw_integer_with_a_leading_zero_is_refused_rather_than_read_as_decimal() {
    // kubectl reads `defaultMode: 0644` as octal (420); YAML 1.2 as decimal 644, which
    // rendered a mode the API server refuses (or, for 0440, a different valid one).
    let e =
        refused("volumes: [{name: v, configMap: {name: c, optional: true, defaultMode: 0440}}]\n");
    assert_eq!(
        e,
        "t.yaml:6:71: volumes[0].configMap.defaultMode: `0440` reads as decimal 440 here (YAML 1.2), but as octal in kubectl's YAML: write `0o440` (octal) or `288` (the same in decimal)"
    );
    let items =
        render("volumes: [{name: v, configMap: {name: c, optional: true, defaultMode: 0o440}}]\n");
    let sts = named(&items, "StatefulSet", "app");
    let volumes = sts["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    let v = volumes.iter().find(|v| v["name"] == "v").unwrap();
    assert_eq!(v["configMap"]["defaultMode"], json!(288));
    // In a string field the same spelling is a number where text belongs: one error, whose
    // advice is to quote it (not the octal spellings, which would not be text either).
    let e = refused("sidecars: [{name: s, image: x:1, env: [{name: MODE, value: 0755}]}]\n");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("sidecars[0].env[0].value: invalid type: integer `755`, expected a string (quote the value to make it a string)"),
        "{e}"
    );
}

/// The StatefulSet controller sets each pod's `hostname` and `subdomain` (its stable DNS
/// name) over the template's: a value there would be silently ignored.
#[test]
fn pod_template_identity_fields_are_refused_at_their_line() {
    let e = refused("podTemplate:\n  hostname: db\n  subdomain: other\n");
    assert_eq!(
        e.lines().collect::<Vec<_>>(),
        [
            "t.yaml:7:13: podTemplate.hostname: the StatefulSet controller sets `hostname` to each pod's name whatever the template says; remove it",
            "t.yaml:8:14: podTemplate.subdomain: the StatefulSet controller sets `subdomain` to the headless Service (`services.headless.name`) whatever the template says; remove it",
        ]
    );
}

/// A `podTemplate` volume named like the volume claim template (the model reserves the
/// name under `volumes` only) is refused at its line, with the names taken.
#[test]
fn a_pod_template_volume_named_like_a_claim_is_located() {
    let e = refused("podTemplate:\n  volumes: [{name: data, emptyDir: {}}]\n");
    assert!(
        e.starts_with("t.yaml:7:20: podTemplate.volumes[0].name: volume name `data` is defined twice (a pod's volumes and volume claim templates need names of their own; taken: writable-tmp, data)"),
        "{e}"
    );
}

/// Huge pages are a resource of their own (`hugepages-<page size>`), and like an extended
/// resource never overcommitted: the request needs an equal limit.
#[test]
fn huge_pages_are_a_resource_with_an_equal_limit() {
    let items =
        render("resources: {requests: {hugepages-2Mi: 1Gi}, limits: {hugepages-2Mi: 1Gi}}\n");
    let sts = &all(&items, "StatefulSet")[0];
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["hugepages-2Mi"],
        "1Gi"
    );
    let e = refused("resources: {requests: {hugepages-1Gi: 2Gi}, limits: {hugepages-1Gi: 4Gi}}\n");
    assert!(
        e.contains("request 2Gi of `hugepages-1Gi` must equal its limit 4Gi (huge pages are not overcommitted)"),
        "{e}"
    );
    let e = refused("resources: {requests: {hugepages-x: 1Gi}}\n");
    assert!(
        e.starts_with(
            "t.yaml:6:37: resources.requests.hugepages-x: unknown resource `hugepages-x`"
        ),
        "{e}"
    );
}

/// A StatefulSet over etcd's 1.5 MiB per object (a long env value here) is refused by the
/// API server: an error at the profile's longest text, not a rendered object.
#[test]
fn a_workload_over_etcds_object_limit_is_refused_at_its_longest_text() {
    let e = refused(&format!(
        "env:\n  SMALL: x\n  BIG: \"{}\"\n",
        "q".repeat(1_600_000)
    ));
    assert!(
        e.starts_with("t.yaml:8:8: env.BIG: the object is ")
            && e.contains("bytes; etcd stores at most 1572864 per object"),
        "{}",
        &e[..e.len().min(400)]
    );
    // Just under it renders.
    render(&format!("env:\n  BIG: \"{}\"\n", "q".repeat(1_000_000)));
}

/// Under hostNetwork (hostIPC) the pod shares the node's namespace, and the API server
/// refuses a namespaced sysctl of it: sts-gen's own for a port below 1024 included.
#[test]
fn host_network_with_a_network_sysctl_is_refused_at_host_network() {
    let e = refused("ports: [{name: web, port: 80}]\npodTemplate: {hostNetwork: true}\n");
    assert!(
        e.starts_with("t.yaml:7:28: podTemplate.hostNetwork: pod template `hostNetwork`: hostNetwork is refused with the pod's sysctl `net.ipv4.ip_unprivileged_port_start`"),
        "{e}"
    );
    render("ports: [{name: web, port: 8080}]\npodTemplate: {hostNetwork: true}\n");
    let e = refused("podTemplate: {hostIPC: true, securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: \"1\"}]}}\n");
    assert!(e.contains("podTemplate.hostIPC: pod template `hostIPC`: hostIPC is refused with the pod's sysctl `kernel.shm_rmid_forced`"), "{e}");
}

/// An image reference the kubelet cannot parse leaves every pod in `InvalidImageName`;
/// the API server takes any text, so the profile's line says it.
#[test]
fn an_image_reference_the_kubelet_cannot_pull_is_refused() {
    let text = |image: &str| BASE.replace("image: nginx:1", &format!("image: \"{image}\""));
    for (image, why) in [
        ("NGINX:1", "the repository is lower-case"),
        ("nginx:", "a tag is 1 to 128"),
        ("nginx@sha256:abc", "a digest is `algorithm:hex`"),
        ("x:1:2", "the repository is lower-case"),
    ] {
        let e = try_render_text(&text(image)).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "t.yaml:4:8: image: `{image}` is not an image reference: {why}"
            )),
            "{image}: {e}"
        );
    }
    for image in [
        "registry.k8s.io/pause:3.9",
        "localhost:5000/a/b_c__d-e.f:v1.0_x",
        "[fd00::1]:5000/x:1",
        "ghcr.io/org/img:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        try_render_text(&text(image)).unwrap_or_else(|e| panic!("{image}: {e}"));
    }
}
