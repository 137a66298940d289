//! Production-grade defaults, asserted on the parsed objects: the restricted Pod Security
//! Standard (pod and every container), writable emptyDirs for a read-only root, derived
//! limits, anti-affinity and topology spread, the NetworkPolicy, the PDB and the
//! ServiceAccount; and that each default can be switched in the profile.

mod common;

use std::path::Path;

use common::{container_in, first, pod};
use serde_json::{json, Value};
use sts_gen::model;

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: app
namespace: ns
image: example/app:1.0
replicas: 3
ports:
  - {name: http, port: 8080}
storage: {size: 1Gi, mountPath: /var/lib/app}
";

fn build(text: &str) -> Result<Vec<Value>, String> {
    common::try_render(
        "test.yaml",
        text,
        Path::new("."),
        &model::Options::default(),
    )
}

fn render(extra: &str) -> Vec<Value> {
    common::render(
        "test.yaml",
        &format!("{BASE}{extra}"),
        Path::new("."),
        &model::Options::default(),
    )
}

fn error(extra: &str) -> String {
    build(&format!("{BASE}{extra}")).expect_err("the profile must be refused")
}

fn restricted(read_only: bool) -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "privileged": false,
        "readOnlyRootFilesystem": read_only
    })
}

/// Container `c`'s mounts as (volume, mountPath), in order; none when it mounts nothing.
fn mounts(c: &Value) -> Vec<(String, String)> {
    c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["mountPath"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const ROLES: &str = "roles:
  - {name: primary, ordinals: \"0\"}
  - {name: replica, ordinals: \"1-\"}
";
const SIDECAR: &str = "sidecars:
  - name: exporter
    image: example/exporter:2.1
    ports: [{name: metrics, containerPort: 9100}]
    resources: {requests: {cpu: 10m, memory: 32Mi}}
";

// ------------------------------------------------------------------- security contexts

#[test]
fn restricted_pod_and_container_security_contexts_by_default() {
    let items = render(&format!("{ROLES}{SIDECAR}"));
    assert_eq!(
        pod(&items)["securityContext"],
        json!({
            "fsGroup": 10001,
            "fsGroupChangePolicy": "OnRootMismatch",
            "runAsGroup": 10001,
            "runAsNonRoot": true,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"}
        })
    );
    // Every container: the app, the generated role init and the raw sidecar.
    for (list, name) in [
        ("containers", "app"),
        ("initContainers", "role-init"),
        ("containers", "exporter"),
    ] {
        let c = container_in(&items, list, name);
        assert_eq!(c["securityContext"], restricted(true), "{name}");
        assert!(
            mounts(c).contains(&("writable-tmp".into(), "/tmp".into())),
            "{name}: {:?}",
            mounts(c)
        );
    }
    assert!(pod(&items)["volumes"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "writable-tmp", "emptyDir": {}})));
}

#[test]
fn a_raw_containers_own_security_context_wins() {
    let items = render(
        "initContainers:
  - name: fix
    image: example/fix:1
    securityContext: {readOnlyRootFilesystem: false, capabilities: {add: [CHOWN]}}
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 16Mi}}
",
    );
    let c = container_in(&items, "initContainers", "fix");
    assert_eq!(
        c["securityContext"],
        json!({
            "allowPrivilegeEscalation": false,
            "capabilities": {"add": ["CHOWN"], "drop": ["ALL"]},
            "privileged": false,
            "readOnlyRootFilesystem": false
        })
    );
    // Its own limits are kept.
    assert_eq!(
        c["resources"]["limits"],
        json!({"cpu": "100m", "memory": "16Mi"})
    );
}

#[test]
fn the_user_and_groups_follow_run_as_user() {
    let items = render("securityContext: {runAsUser: 999}\n");
    let sc = &pod(&items)["securityContext"];
    assert_eq!(
        (&sc["runAsUser"], &sc["runAsGroup"], &sc["fsGroup"]),
        (&json!(999), &json!(999), &json!(999))
    );
    let items = render("securityContext: {runAsUser: 20000, runAsGroup: 0, fsGroup: 30000}\n");
    let sc = &pod(&items)["securityContext"];
    assert_eq!(
        (&sc["runAsUser"], &sc["runAsGroup"], &sc["fsGroup"]),
        (&json!(20000), &json!(0), &json!(30000))
    );
}

#[test]
fn security_context_false_renders_none() {
    let items = render(&format!("securityContext: false\n{ROLES}{SIDECAR}"));
    assert!(pod(&items).get("securityContext").is_none());
    for (list, name) in [
        ("containers", "app"),
        ("initContainers", "role-init"),
        ("containers", "exporter"),
    ] {
        let c = container_in(&items, list, name);
        assert!(c.get("securityContext").is_none(), "{name}");
        assert!(
            !mounts(c).iter().any(|(n, _)| n.starts_with("writable-")),
            "{name}"
        );
    }
    assert!(!pod(&items)["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "writable-tmp"));
}

#[test]
fn writable_paths_are_empty_dirs_mounted_in_every_container() {
    let items = render(&format!(
        "securityContext: {{readOnlyRootFilesystem: true, writablePaths: [/var/run/app/, /tmp, /var/cache/App_Data]}}\n{SIDECAR}"
    ));
    let expected = [
        ("writable-var-run-app", "/var/run/app"),
        ("writable-tmp", "/tmp"),
        ("writable-var-cache-app-data", "/var/cache/App_Data"),
    ];
    let volumes = pod(&items)["volumes"].as_array().unwrap().clone();
    for (name, path) in expected {
        assert!(
            volumes.contains(&json!({"name": name, "emptyDir": {}})),
            "{name}: {volumes:?}"
        );
        for c in ["app", "exporter"] {
            assert!(
                mounts(container_in(&items, "containers", c)).contains(&(name.into(), path.into())),
                "{c} {name}"
            );
        }
    }
    // A container that mounts a path itself keeps its own mount.
    let items = render(
        "volumes: [{name: scratch, emptyDir: {}}]
sidecars:
  - name: s
    image: example/s:1
    volumeMounts: [{name: scratch, mountPath: /tmp}]
",
    );
    assert_eq!(
        mounts(container_in(&items, "containers", "s")),
        [("scratch".to_string(), "/tmp".to_string())]
    );
}

#[test]
fn writable_path_errors() {
    let e = error("securityContext: {writablePaths: [tmp]}\n");
    assert!(
        e.contains("securityContext.writablePaths[0]: `tmp` must be an absolute path"),
        "{e}"
    );
    let e = error("securityContext: {writablePaths: [/tmp, /tmp/]}\n");
    assert!(
        e.contains("securityContext.writablePaths[1]: `/tmp` is listed twice"),
        "{e}"
    );
    let e = error("securityContext: {writablePaths: [/var/lib/app]}\n");
    assert!(
        e.contains("is already the storage or config mount path"),
        "{e}"
    );
    let e = error("securityContext: {writablePaths: [/]}\n");
    assert!(e.contains("`/` cannot be a writable path"), "{e}");
    let e = error("securityContext: {runAsUser: 0}\n");
    assert!(
        e.contains("securityContext.runAsUser: 0 is root") && e.contains("securityContext: false"),
        "{e}"
    );
    let e = error("securityContext: {runAsUsr: 5}\n");
    assert!(e.contains("did you mean `runAsUser`"), "{e}");
}

#[test]
fn a_port_below_1024_lowers_the_unprivileged_port_start_to_it() {
    let text = BASE.replace(
        "  - {name: http, port: 8080}\n",
        "  - {name: http, port: 80}\n  - {name: https, port: 443}\n",
    );
    let items = build(&text).unwrap();
    assert_eq!(
        pod(&items)["securityContext"]["sysctls"],
        json!([{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}])
    );
    assert!(pod(&render(""))["securityContext"].get("sysctls").is_none());
}

// -------------------------------------------------------------------- resources

#[test]
fn limits_are_derived_from_requests() {
    let items = render(&format!(
        "resources: {{requests: {{cpu: 300m, memory: 1Gi}}}}\n{SIDECAR}"
    ));
    assert_eq!(
        container_in(&items, "containers", "app")["resources"],
        json!({"limits": {"cpu": "1200m", "memory": "1Gi"}, "requests": {"cpu": "300m", "memory": "1Gi"}})
    );
    // At least one core.
    assert_eq!(
        container_in(&items, "containers", "exporter")["resources"]["limits"],
        json!({"cpu": "1", "memory": "32Mi"})
    );
    // Generated containers too.
    let items = render(ROLES);
    assert_eq!(
        container_in(&items, "initContainers", "role-init")["resources"],
        json!({"limits": {"cpu": "1", "memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}})
    );
    // Explicit limits are kept; `defaultLimits: false` derives nothing.
    let items = render("resources: {requests: {cpu: \"2\", memory: 1Gi}, limits: {cpu: \"3\"}}\n");
    assert_eq!(
        container_in(&items, "containers", "app")["resources"]["limits"],
        json!({"cpu": "3", "memory": "1Gi"})
    );
    let items = render(&format!(
        "defaultLimits: false\nresources: {{requests: {{cpu: 300m, memory: 1Gi}}}}\n{SIDECAR}"
    ));
    assert!(container_in(&items, "containers", "app")["resources"]
        .get("limits")
        .is_none());
    assert!(container_in(&items, "containers", "exporter")["resources"]
        .get("limits")
        .is_none());
}

#[test]
fn default_probes_differ_on_the_first_port() {
    let items = render("");
    let app = container_in(&items, "containers", "app");
    assert_eq!(app["readinessProbe"]["tcpSocket"]["port"], "http");
    assert_eq!(app["livenessProbe"]["tcpSocket"]["port"], "http");
    assert_ne!(app["readinessProbe"], app["livenessProbe"]);
}

// -------------------------------------------------------------------- scheduling

#[test]
fn soft_anti_affinity_by_default_hard_and_none_on_request() {
    let selector = json!({"matchLabels": {"app.kubernetes.io/name": "app"}});
    assert_eq!(
        pod(&render(""))["affinity"],
        json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": selector}}
        ]}})
    );
    assert_eq!(
        pod(&render("affinity: hard\n"))["affinity"],
        json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": selector}
        ]}})
    );
    assert!(pod(&render("affinity: none\n")).get("affinity").is_none());
    let e = error("affinity: strict\n");
    assert!(e.contains("affinity"), "{e}");
    // No spread by default; `zone` spreads over zones, softly.
    assert!(pod(&render("")).get("topologySpreadConstraints").is_none());
    assert_eq!(
        pod(&render("topologySpread: zone\n"))["topologySpreadConstraints"],
        json!([{
            "labelSelector": selector,
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway"
        }])
    );
}

// -------------------------------------------------------------------- NetworkPolicy

#[test]
fn network_policy_admits_own_pods_and_clients() {
    let text = BASE.replace(
        "  - {name: http, port: 8080}\n",
        "  - {name: http, port: 8080}\n  - {name: peer, port: 7000}\n  - {name: dns, port: 5353, protocol: UDP}\n",
    );
    let items = build(&format!("{text}{SIDECAR}")).unwrap();
    let np = first(&items, "NetworkPolicy").expect("a NetworkPolicy by default");
    assert_eq!(np["metadata"]["name"], "app");
    assert_eq!(np["metadata"]["namespace"], "ns");
    let all_ports = json!([
        {"port": 8080, "protocol": "TCP"},
        {"port": 7000, "protocol": "TCP"},
        {"port": 5353, "protocol": "UDP"}
    ]);
    let mut peer_ports = all_ports.as_array().unwrap().clone();
    peer_ports.push(json!({"port": 9100, "protocol": "TCP"})); // the sidecar's
    assert_eq!(
        np["spec"],
        json!({
            "ingress": [
                {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}}}], "ports": peer_ports},
                {"from": [{"podSelector": {}}], "ports": all_ports}
            ],
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}},
            "policyTypes": ["Ingress"]
        })
    );

    // Client namespaces and ports.
    let items = build(&format!(
        "{text}networkPolicy: {{from: [web, monitoring], clientPorts: [http]}}\n"
    ))
    .unwrap();
    let np = first(&items, "NetworkPolicy").unwrap();
    assert_eq!(
        np["spec"]["ingress"][1],
        json!({
            "from": [
                {"podSelector": {}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
            ],
            "ports": [{"port": 8080, "protocol": "TCP"}]
        })
    );
    // A LoadBalancer read Service brings clients from anywhere.
    let items = render("services: {read: {type: LoadBalancer}}\n");
    let np = first(&items, "NetworkPolicy").unwrap();
    assert_eq!(
        np["spec"]["ingress"][1],
        json!({"ports": [{"port": 8080, "protocol": "TCP"}]})
    );
    // Off.
    assert!(first(&render("networkPolicy: false\n"), "NetworkPolicy").is_none());
    // Errors.
    let e = error("networkPolicy: {clientPorts: [htp]}\n");
    assert!(
        e.contains("networkPolicy.clientPorts[0]: `htp` is not one of the declared ports; did you mean `http`?"),
        "{e}"
    );
    let e = error("networkPolicy: {from: [Web]}\n");
    assert!(e.contains("networkPolicy.from[0]: namespace `Web`"), "{e}");
}

#[test]
fn node_sets_get_a_policy_each_admitting_every_set() {
    let items = build(
        "apiVersion: sts-gen/v1
kind: Profile
name: es
namespace: ns
image: example/es:8
ports: [{name: http, port: 9200}]
storage: {size: 1Gi}
nodeSets:
  - {name: masters, replicas: 3}
  - {name: data, replicas: 2}
",
    )
    .unwrap();
    let policies = common::all(&items, "NetworkPolicy");
    assert_eq!(policies.len(), 2);
    for (np, set) in policies.iter().zip(["masters", "data"]) {
        assert_eq!(np["metadata"]["name"], format!("es-{set}"));
        assert_eq!(
            np["spec"]["podSelector"]["matchLabels"],
            json!({"app.kubernetes.io/component": set, "app.kubernetes.io/name": "es"})
        );
        assert_eq!(
            np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"],
            json!({"app.kubernetes.io/name": "es"})
        );
    }
}

// ------------------------------------------------------------ PDB and ServiceAccount

#[test]
fn pdb_and_service_account() {
    let items = render("");
    let pdb = first(&items, "PodDisruptionBudget").unwrap();
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");
    let single = build(&BASE.replace("replicas: 3", "replicas: 1")).unwrap();
    assert!(first(&single, "PodDisruptionBudget").is_none());
    let sa = first(&items, "ServiceAccount").unwrap();
    assert_eq!(sa["automountServiceAccountToken"], false);
    assert_eq!(pod(&items)["automountServiceAccountToken"], false);
    assert_eq!(pod(&items)["serviceAccountName"], "app");
}

// ------------------------------------------------------------------ bundled profiles

#[test]
fn every_bundled_profile_runs_restricted_with_requests_and_limits() {
    let mut seen = 0;
    for name in common::bundled_names() {
        // Secrets from the environment become literals, so no variable is needed.
        let text = regex_free_from_env(&common::bundled_text(&name));
        let docs = common::render(
            "p.yaml",
            &text,
            &common::profiles_dir(),
            &model::Options::default(),
        );
        seen += 1;
        for d in common::all(&docs, "StatefulSet") {
            let pod = &d["spec"]["template"]["spec"];
            let file = format!("profiles/{name}.yaml");
            assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{file}");
            assert_eq!(
                pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
                "{file}"
            );
            assert!(pod["securityContext"]["runAsUser"].as_i64().unwrap() > 0);
            for c in common::pod_containers(pod) {
                let name = c["name"].as_str().unwrap();
                let sc = &c["securityContext"];
                assert_eq!(sc["allowPrivilegeEscalation"], false, "{file} {name}");
                assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{file} {name}");
                for key in ["cpu", "memory"] {
                    assert!(
                        c["resources"]["requests"].get(key).is_some()
                            && c["resources"]["limits"].get(key).is_some(),
                        "{file} {name}: {key} request and limit"
                    );
                }
            }
            assert!(first(&docs, "NetworkPolicy").is_some(), "{file}");
        }
    }
    assert!(seen >= 3);
}

/// `{fromEnv: X}` → `{value: test-X}` in a profile's text.
fn regex_free_from_env(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("{fromEnv: ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "{fromEnv: ".len()..];
        let end = after.find('}').unwrap();
        out.push_str(&format!(
            "{{value: test-value-{}-0123456789}}",
            after[..end].trim()
        ));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}
