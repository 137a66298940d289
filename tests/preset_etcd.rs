//! The `etcd` preset (profiles/etcd.yaml): a static etcd cluster bootstrapped from the
//! headless Service's DNS names.
//!
//! etcd is configured through ETCD_* variables whose values use Kubernetes `$(VAR)` references
//! (POD_NAME and POD_NAMESPACE from the downward API). The tests expand those references the way
//! the kubelet does, for a given pod and namespace, and check the values etcd would read.

mod common;

use std::collections::BTreeMap;

use common::{env_entry, main_container, one, pod_env};
use serde_json::Value;

fn profile_text() -> String {
    common::bundled_text("etcd")
}

fn render_with(text: &str, namespace: Option<&str>, cluster_domain: Option<&str>) -> Vec<Value> {
    common::render_bundled("etcd", text, &common::options(namespace, cluster_domain))
}

fn env_list(c: &Value) -> &Vec<Value> {
    c["env"].as_array().unwrap()
}

/// `name=url,...` as (name, url) pairs, in order.
fn members(initial_cluster: &str) -> Vec<(String, String)> {
    initial_cluster
        .split(',')
        .map(|m| {
            let (n, u) = m
                .split_once('=')
                .unwrap_or_else(|| panic!("member without `=`: {m:?}"));
            (n.to_string(), u.to_string())
        })
        .collect()
}

fn expected_members(
    name: &str,
    headless: &str,
    ns: &str,
    domain: &str,
    n: u32,
) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("{name}-{i}"),
                format!("http://{name}-{i}.{headless}.{ns}.svc.{domain}:2380"),
            )
        })
        .collect()
}

/// Checks one pod's effective configuration against the expected cluster.
fn check_pod(items: &[Value], pod: &str, ns: &str, domain: &str, expected: &[(String, String)]) {
    let c = main_container(items);
    let env = pod_env(c, &[("metadata.name", pod), ("metadata.namespace", ns)]);
    // No reference is left unexpanded (a typo or a variable declared too late).
    for (k, v) in &env {
        assert!(!v.contains("$("), "{pod}: {k}={v} keeps a reference");
    }
    assert_eq!(members(&env["ETCD_INITIAL_CLUSTER"]), expected, "{pod}");
    assert_eq!(env["ETCD_NAME"], pod);
    // etcd refuses to bootstrap unless its advertised peer URL is its own initial-cluster entry.
    let own = expected
        .iter()
        .find(|(n, _)| n == pod)
        .unwrap_or_else(|| panic!("{pod} is not a member"));
    assert_eq!(env["ETCD_INITIAL_ADVERTISE_PEER_URLS"], own.1, "{pod}");
    assert_eq!(
        env["ETCD_ADVERTISE_CLIENT_URLS"],
        own.1.replace(":2380", ":2379"),
        "{pod}"
    );
    assert_eq!(env["ETCD_INITIAL_CLUSTER_STATE"], "new");
    // One token per cluster: the same in every pod, different in another namespace.
    let headless = one(items, "StatefulSet")["spec"]["serviceName"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        own.1.contains(&format!(".{headless}.{ns}.svc.{domain}:")),
        "{own:?}"
    );
    assert!(
        env["ETCD_INITIAL_CLUSTER_TOKEN"].ends_with(&format!("-{ns}")),
        "{}",
        env["ETCD_INITIAL_CLUSTER_TOKEN"]
    );
}

#[test]
fn initial_cluster_lists_every_member_by_its_headless_dns_name() {
    let items = render_with(&profile_text(), None, None);
    let expected = expected_members("etcd", "etcd", "db", "cluster.local", 3);
    for pod in ["etcd-0", "etcd-1", "etcd-2"] {
        check_pod(&items, pod, "db", "cluster.local", &expected);
    }
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(sts["spec"]["serviceName"], "etcd");
}

#[test]
fn the_namespace_comes_from_the_downward_api_not_from_the_render() {
    let items = render_with(&profile_text(), Some("other"), None);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["namespace"], "other");
    let c = main_container(&items);
    let names: Vec<&str> = env_list(c)
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let ns_at = names.iter().position(|n| *n == "POD_NAMESPACE").unwrap();
    let name_at = names.iter().position(|n| *n == "POD_NAME").unwrap();
    assert_eq!(
        common::env_field_path(c, "POD_NAMESPACE"),
        "metadata.namespace"
    );
    assert_eq!(common::env_field_path(c, "POD_NAME"), "metadata.name");
    // Every value that uses $(POD_NAMESPACE) / $(POD_NAME) comes after its declaration
    // (the kubelet leaves later ones unexpanded).
    for (i, e) in env_list(c).iter().enumerate() {
        let Some(v) = e["value"].as_str() else {
            continue;
        };
        if v.contains("$(POD_NAMESPACE)") {
            assert!(
                i > ns_at,
                "{} uses POD_NAMESPACE before it is set",
                e["name"]
            );
        }
        if v.contains("$(POD_NAME)") {
            assert!(i > name_at, "{} uses POD_NAME before it is set", e["name"]);
        }
        // The rendered text never names the namespace itself.
        assert!(!v.contains("other"), "{}: {v}", e["name"]);
    }
    let raw = env_entry(c, "ETCD_INITIAL_CLUSTER")["value"]
        .as_str()
        .unwrap();
    assert_eq!(raw.matches("$(POD_NAMESPACE)").count(), 3, "{raw}");
    let expected = expected_members("etcd", "etcd", "other", "cluster.local", 3);
    check_pod(&items, "etcd-1", "other", "cluster.local", &expected);
}

#[test]
fn members_follow_replicas_and_cluster_domain() {
    let items = render_with(
        &common::with_replicas(&profile_text(), 3, 5),
        Some("other"),
        Some("example.org"),
    );
    assert_eq!(one(&items, "StatefulSet")["spec"]["replicas"], 5);
    let expected = expected_members("etcd", "etcd", "other", "example.org", 5);
    assert_eq!(expected.len(), 5);
    for pod in ["etcd-0", "etcd-3", "etcd-4"] {
        check_pod(&items, pod, "other", "example.org", &expected);
    }
    // Quorum of 5 is 3: the PDB still allows one voluntary disruption at a time.
    assert_eq!(
        one(&items, "PodDisruptionBudget")["spec"]["maxUnavailable"],
        1
    );
}

#[test]
fn bootstrap_needs_parallel_start_and_dns_before_readiness() {
    let items = render_with(&profile_text(), None, None);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["podManagementPolicy"], "Parallel");
    let headless = items
        .iter()
        .find(|i| i["kind"] == "Service" && i["spec"]["clusterIP"] == "None")
        .expect("a headless Service");
    assert_eq!(headless["metadata"]["name"], sts["spec"]["serviceName"]);
    assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
    // No role init container: the image has no shell, and nothing needs one.
    assert!(sts["spec"]["template"]["spec"]
        .get("initContainers")
        .is_none());
    // No Secret: the preset has nothing secret.
    assert!(items.iter().all(|i| i["kind"] != "Secret"));
}

#[test]
fn ports_urls_probes_and_data_dir_agree() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let image = c["image"].as_str().unwrap();
    let (repo, tag) = image.rsplit_once(':').unwrap();
    assert_eq!(repo, "quay.io/coreos/etcd");
    assert!(tag.starts_with("v3.5."), "{image}");
    assert_eq!(c["command"], serde_json::json!(["/usr/local/bin/etcd"]));
    assert!(
        c.get("args").is_none(),
        "flags would clash with the ETCD_* variables"
    );

    let ports: BTreeMap<&str, u64> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["containerPort"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        BTreeMap::from([
            ("etcd-client", 2379),
            ("etcd-server", 2380),
            ("metrics", 2381)
        ])
    );
    for name in ports.keys() {
        assert!(name.len() <= 15, "{name}");
    }
    let env = pod_env(
        c,
        &[("metadata.name", "etcd-0"), ("metadata.namespace", "ns")],
    );
    assert_eq!(env["ETCD_LISTEN_PEER_URLS"], "http://0.0.0.0:2380");
    assert_eq!(env["ETCD_LISTEN_CLIENT_URLS"], "http://0.0.0.0:2379");
    assert_eq!(env["ETCD_LISTEN_METRICS_URLS"], "http://0.0.0.0:2381");
    // Every ETCD_* name is a real etcd flag (etcd only warns about unknown ones).
    for k in env.keys().filter(|k| k.starts_with("ETCD_")) {
        assert!(
            [
                "ETCD_NAME",
                "ETCD_DATA_DIR",
                "ETCD_LISTEN_PEER_URLS",
                "ETCD_LISTEN_CLIENT_URLS",
                "ETCD_LISTEN_METRICS_URLS",
                "ETCD_INITIAL_ADVERTISE_PEER_URLS",
                "ETCD_ADVERTISE_CLIENT_URLS",
                "ETCD_INITIAL_CLUSTER",
                "ETCD_INITIAL_CLUSTER_STATE",
                "ETCD_INITIAL_CLUSTER_TOKEN",
                "ETCD_AUTO_COMPACTION_MODE",
                "ETCD_AUTO_COMPACTION_RETENTION",
            ]
            .contains(&k.as_str()),
            "{k}"
        );
    }
    // Service links would add ETCD_* variables of their own for a Service named etcd-...
    assert_eq!(
        one(&items, "StatefulSet")["spec"]["template"]["spec"]["enableServiceLinks"],
        false
    );

    // The data dir is on the volume.
    let mount = common::mount_path(c, "data");
    assert!(
        env["ETCD_DATA_DIR"].starts_with(&format!("{mount}/")),
        "{} is not under {mount}",
        env["ETCD_DATA_DIR"]
    );

    // Probes: /health on the metrics listener; readiness needs a leader (linearizable),
    // liveness and startup only the member itself.
    let ready = &c["readinessProbe"]["httpGet"];
    let live = &c["livenessProbe"]["httpGet"];
    let startup = &c["startupProbe"]["httpGet"];
    for p in [ready, live, startup] {
        assert_eq!(p["port"], "metrics");
        assert!(p["path"].as_str().unwrap().starts_with("/health"), "{p}");
    }
    assert_eq!(ready["path"], "/health");
    assert!(live["path"].as_str().unwrap().contains("serializable=true"));
    assert!(live["path"].as_str().unwrap().contains("exclude=NOSPACE"));
    assert_ne!(c["readinessProbe"], c["livenessProbe"]);
    assert!(c["resources"]["requests"]["memory"].is_string());
    assert!(c["resources"]["limits"]["memory"].is_string());
}

#[test]
fn used_as_a_preset_the_members_follow_the_users_name() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: etcd\nname: meta\nreplicas: 5\nstorage: {size: 20Gi}\n";
    let items = common::render_stdin(user, &["-n", "other", "--cluster-domain", "example.org"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["name"], "meta");
    assert_eq!(sts["metadata"]["namespace"], "other");
    assert_eq!(sts["spec"]["serviceName"], "meta");
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "20Gi"
    );
    let expected = expected_members("meta", "meta", "other", "example.org", 5);
    for pod in ["meta-0", "meta-4"] {
        check_pod(&items, pod, "other", "example.org", &expected);
    }
    let affinity = &sts["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
    assert_eq!(
        affinity["labelSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "meta"
    );
}
