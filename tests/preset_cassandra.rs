//! The `cassandra` preset (profiles/cassandra.yaml): the seed wiring is resolved the way the
//! kubelet resolves it (downward API values, then `$(VAR)` expansion in declaration order),
//! the preStop hook lands on the main container whatever the app is called, and the readiness
//! probe is run under `bash` against a fake `nodetool`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{edit, env_index, k8s_expand, mounts, one, pod, strings, write_exe};
use serde_json::{json, Value};
use sts_gen::model;

fn preset_text() -> String {
    common::bundled_text("cassandra")
}

/// The preset as a user instance `ring` with headless Service `ring-hs`.
fn renamed(text: &str) -> String {
    common::renamed(text, "cassandra", "ring")
}

fn render(text: &str, opts: &model::Options) -> Vec<Value> {
    common::render_bundled("cassandra", text, opts)
}

/// The app's container, the only one: podTemplate merges into it.
fn main_container(items: &[Value]) -> &Value {
    let containers = pod(items)["containers"].as_array().unwrap();
    assert_eq!(
        containers.len(),
        1,
        "podTemplate must merge into the main container"
    );
    common::main_container(items)
}

/// The container's environment as the kubelet builds it for a pod in `namespace` with `pod_ip`.
fn resolve_env(container: &Value, namespace: &str, pod_ip: &str) -> BTreeMap<String, String> {
    common::pod_env(
        container,
        &[("metadata.namespace", namespace), ("status.podIP", pod_ip)],
    )
}

#[test]
fn k8s_expand_follows_kubernetes_rules() {
    let vars = BTreeMap::from([("A".to_string(), "x".to_string())]);
    assert_eq!(k8s_expand("$(A).$(B).$$(A).$", &vars), "x.$(B).$(A).$");
}

#[test]
fn the_seed_is_ordinal_zero_through_headless_dns() {
    let items = render(&preset_text(), &model::Options::default());
    let main = main_container(&items);
    // POD_NAMESPACE is declared first, or `$(POD_NAMESPACE)` would stay literal.
    assert!(env_index(main, "POD_NAMESPACE") < env_index(main, "CASSANDRA_SEEDS"));
    let env = resolve_env(main, "prod", "10.0.0.5");
    let seeds: Vec<&str> = env["CASSANDRA_SEEDS"].split(',').collect();
    assert_eq!(seeds, ["cassandra-0.cassandra.prod.svc.cluster.local"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["serviceName"], "cassandra");
    assert!(sts["spec"]["replicas"].as_u64().unwrap() >= 1);
}

#[test]
fn the_seed_follows_name_headless_namespace_and_cluster_domain() {
    let text = common::with_replicas(&renamed(&preset_text()), 3, 5);
    let items = common::render_stdin(&text, &["-n", "other", "--cluster-domain", "example.org"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["namespace"], "other");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(sts["spec"]["serviceName"], "ring-hs");
    let headless = common::headless_services(&items);
    assert_eq!(headless.len(), 1);
    assert_eq!(headless[0]["metadata"]["name"], "ring-hs");
    assert_eq!(headless[0]["spec"]["publishNotReadyAddresses"], true);

    let main = main_container(&items);
    // The namespace is not baked in: the pod reads its own.
    let raw = main["env"][env_index(main, "CASSANDRA_SEEDS")]["value"]
        .as_str()
        .unwrap();
    assert_eq!(raw, "ring-0.ring-hs.$(POD_NAMESPACE).svc.example.org");
    assert_eq!(
        main["env"][env_index(main, "POD_NAMESPACE")]["valueFrom"],
        json!({"fieldRef": {"fieldPath": "metadata.namespace"}})
    );
    let env = resolve_env(main, "other", "10.0.0.5");
    assert_eq!(
        env["CASSANDRA_SEEDS"],
        "ring-0.ring-hs.other.svc.example.org"
    );
    assert_eq!(env["CASSANDRA_CLUSTER_NAME"], "ring");
}

#[test]
fn pre_stop_drains_the_main_container_whatever_its_name() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let main = main_container(&items);
    assert_eq!(main["name"], "ring");
    assert!(main["image"].as_str().unwrap().starts_with("cassandra:"));
    assert_eq!(
        main["lifecycle"],
        json!({"preStop": {"exec": {"command": ["nodetool", "drain"]}}})
    );
    let pod = &one(&items, "StatefulSet")["spec"]["template"]["spec"];
    assert_eq!(pod["terminationGracePeriodSeconds"], 1800);
}

/// The entrypoint edits /etc/cassandra in place and Cassandra logs to /var/log/cassandra, so
/// with a read-only root filesystem both are emptyDirs, the first filled from the image by the
/// `copy-config` init container.
#[test]
fn the_root_filesystem_is_read_only_and_the_config_dir_a_copy_of_the_images() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let main = main_container(&items);
    let pod = &one(&items, "StatefulSet")["spec"]["template"]["spec"];
    let inits = pod["initContainers"].as_array().unwrap();
    assert_eq!(inits.len(), 1, "{inits:?}");
    let copy = &inits[0];
    assert_eq!(copy["name"], "copy-config");
    for c in [main, copy] {
        assert_eq!(
            c["securityContext"]["readOnlyRootFilesystem"], true,
            "{}",
            c["name"]
        );
    }
    // The same image, so the copy is the config this Cassandra version expects.
    assert_eq!(copy["image"], main["image"]);
    let main_mounts = mounts(main);
    let conf_volume = &main_mounts["/etc/cassandra"];
    assert_eq!(common::volume(pod, conf_volume)["emptyDir"], json!({}));
    // Logs and the entrypoint's temporary files go to emptyDirs too.
    for path in ["/var/log/cassandra", "/tmp"] {
        let name = &main_mounts[path];
        assert!(
            pod["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["name"] == name.as_str() && v["emptyDir"].is_object()),
            "{path}"
        );
    }
    // copy-config sees the image's /etc/cassandra (nothing is mounted there) and writes into
    // the volume the main container mounts at /etc/cassandra.
    let copy_mounts = mounts(copy);
    assert!(
        !copy_mounts.contains_key("/etc/cassandra"),
        "{copy_mounts:?}"
    );
    let seed = copy_mounts
        .iter()
        .find(|(_, v)| *v == conf_volume)
        .map(|(k, _)| k.clone())
        .expect("copy-config mounts the config volume");
    let command = strings(&copy["command"]);
    assert_eq!(&command[..2], &["sh", "-c"]);
    assert_eq!(command[2], format!("cp -a /etc/cassandra/. {seed}/"));

    // Run it with both paths moved into a temporary folder: files, subfolders and modes arrive.
    let tmp = tempfile::tempdir().unwrap();
    let image_conf = tmp.path().join("etc-cassandra");
    let empty_dir = tmp.path().join("seed");
    fs::create_dir_all(image_conf.join("triggers")).unwrap();
    fs::create_dir_all(&empty_dir).unwrap();
    fs::write(
        image_conf.join("cassandra.yaml"),
        "cluster_name: 'Test Cluster'\n",
    )
    .unwrap();
    fs::write(image_conf.join("triggers/README.txt"), "x\n").unwrap();
    fs::set_permissions(
        image_conf.join("cassandra.yaml"),
        fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let script = command[2]
        .replace("/etc/cassandra/", &format!("{}/", image_conf.display()))
        .replace(&format!("{seed}/"), &format!("{}/", empty_dir.display()));
    common::shell_ok("sh", &script);
    assert_eq!(
        fs::read_to_string(empty_dir.join("cassandra.yaml")).unwrap(),
        "cluster_name: 'Test Cluster'\n"
    );
    assert_eq!(
        fs::read_to_string(empty_dir.join("triggers/README.txt")).unwrap(),
        "x\n"
    );
    let mode = fs::metadata(empty_dir.join("cassandra.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o666, "the image's modes are kept");
    // No suppressed lint rule is needed any more.
    let doc: Value = serde_saphyr::from_str(&preset_text()).unwrap();
    assert!(doc.get("lintIgnore").is_none());
}

const STATUS_HEAD: &str = "Datacenter: dc1\n===============\nStatus=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n--  Address     Load        Tokens  Owns (effective)  Host ID                               Rack\n";

fn status_line(state: &str, ip: &str) -> String {
    format!("{state}  {ip}  104.3 KiB  16      64.7%             0f4b3c2a-5a57-4f0b-9d6c-4fd5c2a1e001  rack1\n")
}

#[test]
fn readiness_requires_this_node_up_and_normal() {
    let items = render(&preset_text(), &model::Options::default());
    let main = main_container(&items);
    let probe = strings(&main["readinessProbe"]["exec"]["command"]);
    // The probe runs with the container's env: POD_IP comes from the downward API.
    assert_eq!(
        main["env"][env_index(main, "POD_IP")]["valueFrom"],
        json!({"fieldRef": {"fieldPath": "status.podIP"}})
    );
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    write_exe(
        &bin,
        "nodetool",
        "#!/bin/sh\necho \"$*\" >> \"$FAKE_DIR/nodetool.log\"\ncat \"$FAKE_DIR/status\"\n",
    );
    let me = "10.0.0.5";
    let check = |status: String| {
        fs::write(tmp.path().join("status"), status).unwrap();
        std::process::Command::new(&probe[0])
            .args(&probe[1..])
            .env_clear()
            .env("PATH", common::path_with(&bin))
            .env("FAKE_DIR", tmp.path())
            .env("POD_IP", me)
            .output()
            .unwrap()
            .status
            .success()
    };
    let others = status_line("UN", "10.0.0.6") + &status_line("UN", "10.0.0.7");
    assert!(check(format!(
        "{STATUS_HEAD}{}{others}",
        status_line("UN", me)
    )));
    assert!(check(format!(
        "{STATUS_HEAD}{others}{}",
        status_line("UN", me)
    )));
    for state in ["UJ", "UL", "UM", "DN"] {
        assert!(
            !check(format!("{STATUS_HEAD}{}{others}", status_line(state, me))),
            "{state} must not be ready"
        );
    }
    // Another node whose address starts with ours does not count.
    assert!(!check(format!(
        "{STATUS_HEAD}{}{others}",
        status_line("UN", "10.0.0.50")
    )));
    assert!(!check(String::new()));
    let log = fs::read_to_string(tmp.path().join("nodetool.log")).unwrap();
    assert!(log.lines().all(|l| l == "status"), "{log}");
}

#[test]
fn ports_probes_env_and_resources() {
    let items = render(&preset_text(), &model::Options::default());
    let main = main_container(&items);
    let ports: BTreeMap<String, u64> = main["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["containerPort"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        BTreeMap::from([
            ("intra-node".to_string(), 7000),
            ("tls-intra-node".to_string(), 7001),
            ("jmx".to_string(), 7199),
            ("cql".to_string(), 9042),
        ])
    );
    let image = main["image"].as_str().unwrap();
    let patch = image.strip_prefix("cassandra:4.1.").expect(image);
    assert!(patch.parse::<u32>().is_ok(), "{image} is not pinned");

    // Liveness and startup watch the storage port, which stays open while a node bootstraps;
    // the startup budget covers a long commit log replay.
    assert_ne!(main["readinessProbe"], main["livenessProbe"]);
    assert_eq!(main["livenessProbe"]["tcpSocket"]["port"], "intra-node");
    let startup = &main["startupProbe"];
    assert_eq!(startup["tcpSocket"]["port"], "intra-node");
    let budget =
        startup["periodSeconds"].as_u64().unwrap() * startup["failureThreshold"].as_u64().unwrap();
    assert!(budget >= 600, "startup budget {budget}s");

    let env = resolve_env(main, "ns", "10.0.0.5");
    assert_eq!(env["CASSANDRA_CLUSTER_NAME"], "cassandra");
    assert_eq!(
        env["CASSANDRA_ENDPOINT_SNITCH"],
        "GossipingPropertyFileSnitch"
    );
    assert!(!env["CASSANDRA_DC"].is_empty() && !env["CASSANDRA_RACK"].is_empty());
    // cassandra-env.sh (also sourced by nodetool) exits unless both or neither are set.
    let heap_mib = |v: &str| -> u64 {
        let n = v.trim_end_matches(['M', 'm']);
        assert_ne!(n, v, "{v} is not in MiB");
        n.parse().unwrap()
    };
    let heap = heap_mib(&env["MAX_HEAP_SIZE"]);
    let young = heap_mib(&env["HEAP_NEWSIZE"]);
    assert!(young < heap);
    let limit = main["resources"]["limits"]["memory"].as_str().unwrap();
    let limit_mib: u64 = limit.strip_suffix("Gi").unwrap().parse::<u64>().unwrap() * 1024;
    assert!(heap * 2 <= limit_mib, "heap {heap}Mi, limit {limit}");
    assert_eq!(main["resources"]["requests"]["memory"], limit);
    assert!(main["resources"]["requests"]["cpu"].is_string());
    assert_eq!(common::mount_path(main, "data"), "/var/lib/cassandra");
}

#[test]
fn nodes_join_one_at_a_time_and_spread_out() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let spec = &one(&items, "StatefulSet")["spec"];
    assert_eq!(spec["podManagementPolicy"], "OrderedReady");
    assert_eq!(spec["updateStrategy"]["type"], "RollingUpdate");
    let pdb = one(&items, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"], spec["selector"]);
    let terms = spec["template"]["spec"]["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .unwrap();
    assert_eq!(terms.len(), 1);
    assert_eq!(
        terms[0]["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(
        terms[0]["podAffinityTerm"]["labelSelector"],
        json!({"matchLabels": {"app.kubernetes.io/name": "ring"}})
    );
    assert_eq!(
        spec["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "ring"
    );
}

#[test]
fn preset_file_leaves_instance_identity_to_the_user() {
    let text = preset_text();
    assert!(
        text.starts_with("# Cassandra: "),
        "first line is the preset summary"
    );
    common::assert_preset_leaves_identity(&text, "cassandra");
    let items = render(&renamed(&text), &model::Options::default());
    let json = serde_json::to_string(&items).unwrap();
    assert!(!json.contains("cassandra-0"), "hard-coded seed name");
    assert!(!json.contains(".cassandra."), "hard-coded headless name");
}

#[test]
fn a_user_profile_built_on_the_preset_gets_its_own_ring() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: cassandra\nname: ring\nreplicas: 5\nstorage: {size: 50Gi, className: fast}\n";
    let items = common::render_stdin(user, &["-n", "data"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["name"], "ring");
    assert_eq!(sts["metadata"]["namespace"], "data");
    assert_eq!(sts["spec"]["replicas"], 5);
    let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
    assert_eq!(claim["storageClassName"], "fast");
    assert_eq!(claim["resources"]["requests"]["storage"], "50Gi");
    let main = main_container(&items);
    assert_eq!(main["name"], "ring");
    assert_eq!(
        main["lifecycle"]["preStop"]["exec"]["command"],
        json!(["nodetool", "drain"])
    );
    let env = resolve_env(main, "data", "10.0.0.5");
    assert_eq!(env["CASSANDRA_SEEDS"], "ring-0.ring.data.svc.cluster.local");
    assert_eq!(env["CASSANDRA_CLUSTER_NAME"], "ring");
}

/// A podTemplate container whose name matches no rendered container (here a typo for the main
/// container) is appended as a new container without an image. The API server rejects that
/// StatefulSet (`spec.template.spec.containers[1].image: Required value`), so the render should
/// fail and name the container.
#[test]
fn a_pod_template_container_matching_no_container_is_refused() {
    let text = edit(
        &preset_text(),
        "    - name: \"{{ name }}\"   # the main container, whatever the user calls the app",
        "    - name: cassandra-main",
    );
    let loaded = common::load("cassandra.yaml", &text, &common::profiles_dir()).unwrap();
    let err = match common::build(&loaded, &model::Options::default()) {
        Ok(_) => panic!("a container without an image was rendered"),
        Err(e) => e,
    };
    assert!(
        err.contains("cassandra-main") && err.contains("image"),
        "{err}"
    );
}
