//! The `kafka` preset (profiles/kafka.yaml): KRaft in combined mode, node.id from the ordinal,
//! a static controller quorum of every pod, storage formatted before the broker starts.
//!
//! The wiring is checked on the rendered objects, and the role init script and the main
//! container's command are run for real under `sh` (with stand-ins for the Kafka tools), so
//! the test checks the files and calls a pod would actually get.

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::{env_value, main_container, mount_path, one, pod, role_init, strings};
use serde_json::{json, Value};

fn profile_text() -> String {
    common::bundled_text("kafka")
}

/// Renders profile text through the library (as `sts-gen render` does) and returns the objects.
fn render_with(text: &str, namespace: Option<&str>, cluster_domain: Option<&str>) -> Vec<Value> {
    common::render_bundled("kafka", text, &common::options(namespace, cluster_domain))
}

/// Parses a Java properties file (the subset Kafka's config uses); a key set twice is an
/// error here, as the later line would silently win.
fn properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not a property line: {line:?}"));
        assert!(
            out.insert(k.trim().to_string(), v.trim().to_string())
                .is_none(),
            "property `{k}` is set twice"
        );
    }
    out
}

fn voters(props: &BTreeMap<String, String>) -> Vec<String> {
    props["controller.quorum.voters"]
        .split(',')
        .map(str::to_string)
        .collect()
}

fn expected_voters(name: &str, headless: &str, ns: &str, domain: &str, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| format!("{i}@{name}-{i}.{headless}.{ns}.svc.{domain}:9093"))
        .collect()
}

#[test]
fn node_id_is_the_ordinal_and_every_pod_is_a_voter() {
    let items = render_with(&profile_text(), None, None);
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    for (pod, ordinal) in [("kafka-0", 0), ("kafka-1", 1), ("kafka-4", 4)] {
        let files = ri.run_ok(tmp.path(), pod, "kafka", "streaming");
        assert_eq!(
            files.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "kafka.properties",
                "log4j.properties",
                "pod-ordinal",
                "pod-role",
                "server.properties"
            ],
            "{pod}"
        );
        let props = properties(&files["server.properties"]);
        assert_eq!(props["node.id"], ordinal.to_string(), "{pod}");
        assert_eq!(props["process.roles"], "broker,controller", "{pod}");
        assert_eq!(
            props["advertised.listeners"],
            format!("PLAINTEXT://{pod}.kafka.streaming.svc.cluster.local:9092"),
            "{pod}"
        );
        assert_eq!(
            props["listeners"], "PLAINTEXT://:9092,CONTROLLER://:9093",
            "{pod}"
        );
        // Every pod gets the same voter list, whatever its own ordinal.
        assert_eq!(
            voters(&props),
            expected_voters("kafka", "kafka", "streaming", "cluster.local", 3),
            "{pod}"
        );
        // The shared settings are in server.properties too.
        let shared = properties(&files["kafka.properties"]);
        for (k, v) in &shared {
            assert_eq!(props.get(k), Some(v), "{pod}: shared `{k}` is lost");
        }
        assert_eq!(files["pod-ordinal"], format!("{ordinal}\n"));
    }
}

#[test]
fn voters_follow_replicas_namespace_and_cluster_domain() {
    let items = render_with(
        &common::with_replicas(&profile_text(), 3, 5),
        Some("other"),
        Some("example.org"),
    );
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(sts["metadata"]["namespace"], "other");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "kafka-4", "kafka", "other");
    let props = properties(&files["server.properties"]);
    let v = voters(&props);
    assert_eq!(v.len(), 5, "{v:?}");
    assert_eq!(
        v,
        expected_voters("kafka", "kafka", "other", "example.org", 5)
    );
    assert_eq!(props["node.id"], "4");
    assert_eq!(
        props["advertised.listeners"],
        "PLAINTEXT://kafka-4.kafka.other.svc.example.org:9092"
    );
    // Replication settings follow replicas but never exceed 3.
    assert_eq!(props["default.replication.factor"], "3");
    assert_eq!(props["offsets.topic.replication.factor"], "3");
    assert_eq!(props["min.insync.replicas"], "2");
}

#[test]
fn a_single_broker_gets_a_single_voter_and_replication_factor_one() {
    let items = render_with(&common::with_replicas(&profile_text(), 3, 1), None, None);
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "kafka-0", "kafka", "ns");
    let props = properties(&files["server.properties"]);
    assert_eq!(
        voters(&props),
        ["0@kafka-0.kafka.ns.svc.cluster.local:9093"]
    );
    for key in [
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "min.insync.replicas",
        "transaction.state.log.min.isr",
    ] {
        assert_eq!(props[key], "1", "{key}");
    }
    // One pod: no PodDisruptionBudget that could never allow an eviction.
    assert!(items.iter().all(|i| i["kind"] != "PodDisruptionBudget"));
}

#[test]
fn role_init_refuses_to_run_without_a_namespace() {
    // An empty namespace would give voters like `kafka-0.kafka..svc...`; the script's `set -u`
    // must stop the pod instead.
    let items = render_with(&profile_text(), None, None);
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let out = ri.run(tmp.path(), "kafka-0", "kafka", None).out;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NAMESPACE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn main_container_formats_storage_then_starts_kafka_with_the_generated_file() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    assert_eq!(c["image"], "apache/kafka:3.9.1");
    let command = strings(&c["command"]);
    assert_eq!(command.len(), 3);
    assert_eq!(&command[..2], &["sh", "-c"]);
    assert!(c.get("args").is_none());

    // The file the command reads is the one the role init container writes.
    let init = &pod(&items)["initContainers"][0];
    let config_dir = env_value(init, "CONFIG_DIR");
    assert!(
        c["volumeMounts"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "config", "mountPath": config_dir})),
        "{}",
        c["volumeMounts"]
    );
    let server_props = format!("{config_dir}/server.properties");

    // Run the command with stand-ins for the Kafka tools that record their arguments.
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let log = tmp.path().join("calls");
    let script = command[2].replace("/opt/kafka/bin/", &format!("{}/", bin.display()));
    assert_ne!(
        script, command[2],
        "the tools are called by their path in the image"
    );
    let stub = |name: &str, exit: i32| {
        common::write_call_logger(&bin, name, &format!("exit {exit}\n"));
    };
    let cluster_id = env_value(c, "KAFKA_CLUSTER_ID");
    let run = |script: &str| {
        let _ = fs::remove_file(&log);
        let out = std::process::Command::new("sh")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CALLS", &log)
            .env("KAFKA_CLUSTER_ID", cluster_id)
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        (out, fs::read_to_string(&log).unwrap_or_default())
    };

    stub("kafka-storage.sh", 0);
    stub("kafka-server-start.sh", 0);
    let (out, calls) = run(&script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [
            format!("kafka-storage.sh [format] [--ignore-formatted] [--cluster-id] [{cluster_id}] [--config] [{server_props}]"),
            format!("kafka-server-start.sh [{server_props}]"),
        ]
    );

    // A failed format must not start the broker on an unformatted volume.
    stub("kafka-storage.sh", 3);
    let (out, calls) = run(&script);
    assert!(!out.status.success());
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(calls.starts_with("kafka-storage.sh "), "{calls}");
}

#[test]
fn cluster_id_is_a_valid_kraft_cluster_id() {
    // kafka-storage.sh accepts a UUID as 16 bytes in URL-safe base64 without padding.
    let items = render_with(&profile_text(), None, None);
    let id = env_value(main_container(&items), "KAFKA_CLUSTER_ID");
    assert_eq!(id.len(), 22, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{id}"
    );
    // 22 base64 characters carry 132 bits: the last one holds 2 bits of the 128, so its
    // low 4 bits must be zero (A, Q, g or w).
    assert!("AQgw".contains(id.chars().last().unwrap()), "{id}");
    // The comment asks users to generate their own.
    assert!(profile_text().contains("kafka-storage.sh random-uuid"));
}

#[test]
fn logging_and_data_paths_point_at_mounted_files() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let cm = one(&items, "ConfigMap");
    let mount_of = |name: &str| mount_path(c, name);

    // log4j config: a file of the ConfigMap, in the config dir the container sees.
    let log4j = env_value(c, "KAFKA_LOG4J_OPTS");
    let file = log4j
        .strip_prefix("-Dlog4j.configuration=file:")
        .unwrap_or_else(|| panic!("{log4j}"));
    let (dir, name) = file.rsplit_once('/').unwrap();
    assert_eq!(dir, mount_of("config"));
    assert!(cm["data"][name]
        .as_str()
        .unwrap()
        .contains("ConsoleAppender"));

    // log.dirs lives on the claim, in a subdirectory of the mount (not its root).
    let shared = properties(cm["data"]["kafka.properties"].as_str().unwrap());
    let data = mount_of("data");
    let log_dirs = &shared["log.dirs"];
    assert!(
        log_dirs.starts_with(&format!("{data}/")) && log_dirs.len() > data.len() + 1,
        "{log_dirs} is not below {data}"
    );
    let sts = one(&items, "StatefulSet");
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "data"
    );
}

#[test]
fn ports_services_probes_and_scheduling() {
    let items = render_with(&profile_text(), None, None);
    let sts = one(&items, "StatefulSet");
    let c = main_container(&items);
    assert_eq!(
        c["ports"],
        json!([
            {"name": "broker", "containerPort": 9092, "protocol": "TCP"},
            {"name": "controller", "containerPort": 9093, "protocol": "TCP"}
        ])
    );
    // Voters must reach each other before any pod is ready.
    assert_eq!(sts["spec"]["podManagementPolicy"], "Parallel");
    let svcs = common::all(&items, "Service");
    let headless = svcs
        .iter()
        .find(|s| s["spec"]["clusterIP"] == "None")
        .unwrap();
    assert_eq!(headless["metadata"]["name"], sts["spec"]["serviceName"]);
    assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);

    // Readiness on the broker listener, liveness and startup on the controller listener.
    assert_eq!(c["readinessProbe"]["tcpSocket"]["port"], "broker");
    assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], "controller");
    assert_eq!(c["startupProbe"]["tcpSocket"]["port"], "controller");
    assert_ne!(c["readinessProbe"], c["livenessProbe"]);

    assert_eq!(c["resources"]["limits"]["memory"], "2Gi");
    assert_eq!(c["resources"]["requests"]["memory"], "2Gi");
    assert_eq!(env_value(c, "KAFKA_HEAP_OPTS"), "-Xms1g -Xmx1g");
    assert_eq!(
        sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"],
        120
    );

    // The pod's own high uid (not the image's appuser, 1000); the volume is its group's.
    let pod = pod(&items);
    let sc = &pod["securityContext"];
    assert!(sc["runAsUser"].as_i64().unwrap() >= 10000, "{sc}");
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["fsGroup"], sc["runAsGroup"]);
    // Every container runs on a read-only root filesystem, with emptyDirs where Kafka writes
    // outside its volumes: the log dir its scripts create and the JVM's temporary files.
    let writable: Vec<String> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["emptyDir"].is_object())
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    for container in common::pod_containers(pod) {
        let name = &container["name"];
        assert_eq!(
            container["securityContext"]["allowPrivilegeEscalation"], false,
            "{name}"
        );
        assert_eq!(
            container["securityContext"]["readOnlyRootFilesystem"], true,
            "{name}"
        );
        assert!(
            container["securityContext"].get("runAsUser").is_none(),
            "{name}"
        );
        for path in ["/tmp", "/opt/kafka/logs"] {
            let m = container["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["mountPath"] == path)
                .unwrap_or_else(|| panic!("{name} has nothing at {path}"));
            assert!(
                writable.contains(&m["name"].as_str().unwrap().to_string()),
                "{path}"
            );
        }
    }
    let doc: Value = serde_saphyr::from_str(&profile_text()).unwrap();
    assert!(
        doc.get("lintIgnore").is_none(),
        "no lint rule is suppressed"
    );
    assert!(doc["podTemplate"].get("securityContext").is_none());
    let term = &pod["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
    assert_eq!(
        term["labelSelector"]["matchLabels"],
        sts["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
}

#[test]
fn the_preset_follows_the_users_name_namespace_and_replicas() {
    // What a user writes: the preset's name is not inherited, so every derived name, the
    // voters and the anti-affinity follow `events`.
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: kafka\nname: events\nnamespace: streaming\nreplicas: 5\nstorage: {size: 50Gi, className: fast}\n";
    let items = render_with(user, None, None);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["name"], "events");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["name"],
        "events"
    );
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        "fast"
    );
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "events-2", "events", "streaming");
    let props = properties(&files["server.properties"]);
    assert_eq!(props["node.id"], "2");
    assert_eq!(
        voters(&props),
        expected_voters("events", "events", "streaming", "cluster.local", 5)
    );
    assert_eq!(
        props["advertised.listeners"],
        "PLAINTEXT://events-2.events.streaming.svc.cluster.local:9092"
    );
    let term = &pod(&items)["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
    assert_eq!(
        term["labelSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "events"
    );
}
