//! The `redis` preset (profiles/redis.yaml): the master at ordinal 0, every other ordinal a
//! replica of `<name>-0.<headless>`, AOF on, one password for clients and replication.
//!
//! The role init script and the probe scripts are run for real under `sh` (the probes with a
//! stand-in `redis-cli`), so the test checks the files and decisions a pod would get.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};
use sts_gen::{model, profile, render};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn profile_text() -> String {
    fs::read_to_string(Path::new(ROOT).join("profiles/redis.yaml"))
        .unwrap()
        .replace("{fromEnv: REDIS_PASSWORD}", "{value: test-password}")
}

fn render_with(text: &str, namespace: Option<&str>, cluster_domain: Option<&str>) -> Vec<Value> {
    let loaded = profile::load_bytes(
        "redis.yaml",
        text.as_bytes(),
        &Path::new(ROOT).join("profiles"),
    )
    .unwrap_or_else(|e| panic!("load failed: {e}"));
    let mut opts = model::Options {
        namespace: namespace.map(str::to_string),
        ..Default::default()
    };
    if let Some(d) = cluster_domain {
        opts.cluster_domain = d.to_string();
    }
    let renderer = render::Renderer::new(None).unwrap();
    sts_gen::build(&loaded, &opts, &renderer)
        .unwrap_or_else(|e| panic!("render failed: {e}"))
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn find<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<_> = items.iter().filter(|i| i["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "expected exactly one {kind}");
    found[0]
}

fn pod_spec(items: &[Value]) -> &Value {
    &find(items, "StatefulSet")["spec"]["template"]["spec"]
}

fn main_container(items: &[Value]) -> &Value {
    let sts = find(items, "StatefulSet");
    let c = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["name"], sts["metadata"]["name"],
        "the first container is the app"
    );
    c
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The role init script and the ConfigMap files as the `config-source` volume lays them out.
struct RoleInit {
    script: String,
    config_dir: String,
    source_files: BTreeMap<String, String>,
}

fn role_init(items: &[Value]) -> RoleInit {
    let pod = pod_spec(items);
    let cm = find(items, "ConfigMap");
    let init = &pod["initContainers"][0];
    assert_eq!(init["name"], "role-init");
    let command = strings(&init["command"]);
    assert_eq!(&command[..2], &["sh", "-c"]);
    let config_dir = init["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "CONFIG_DIR")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let source = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "config-source")
        .expect("a config-source volume");
    assert_eq!(source["configMap"]["name"], cm["metadata"]["name"]);
    let mut source_files = BTreeMap::new();
    for item in source["configMap"]["items"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let content = cm["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("item `{key}` is not in the ConfigMap"));
        source_files.insert(
            item["path"].as_str().unwrap().to_string(),
            content.to_string(),
        );
    }
    RoleInit {
        script: command[2].clone(),
        config_dir,
        source_files,
    }
}

/// Runs the role init script for one pod and returns the files it wrote.
fn run_role_init(ri: &RoleInit, tmp: &Path, pod: &str, headless: &str) -> BTreeMap<String, String> {
    let source = tmp.join("source");
    for (path, content) in &ri.source_files {
        let target = source.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, content).unwrap();
    }
    let dir: PathBuf = tmp.join(format!("conf-{pod}"));
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("POD_NAME", pod)
        .env("STS_GEN_SOURCE_DIR", &source)
        .env("CONFIG_DIR", &dir)
        .env("HEADLESS", headless)
        .env("NAMESPACE", "ns")
        .arg("-c")
        .arg(&ri.script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "role init failed for {pod}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Redis config lines (directive, arguments), comments and blank lines dropped.
fn directives(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(' ') {
            Some((k, v)) => (k.to_string(), v.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

fn replicaof(files: &BTreeMap<String, String>) -> Vec<String> {
    files
        .values()
        .flat_map(|t| directives(t))
        .filter(|(k, _)| k == "replicaof" || k == "slaveof")
        .map(|(_, v)| v)
        .collect()
}

/// The master's address as the rendered objects define it: the pod the primary Service
/// selects, under the StatefulSet's governing Service.
fn master_address(items: &[Value]) -> String {
    let sts = find(items, "StatefulSet");
    let primary = items
        .iter()
        .find(|i| {
            i["kind"] == "Service"
                && i["spec"]["selector"]
                    .get("statefulset.kubernetes.io/pod-name")
                    .is_some()
        })
        .expect("a Service for the master");
    format!(
        "{}.{}",
        primary["spec"]["selector"]["statefulset.kubernetes.io/pod-name"]
            .as_str()
            .unwrap(),
        sts["spec"]["serviceName"].as_str().unwrap()
    )
}

#[test]
fn ordinal_zero_is_the_master_and_every_other_ordinal_replicates_it() {
    let items = render_with(&profile_text(), None, None);
    assert_eq!(master_address(&items), "redis-0.redis");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();

    let master = run_role_init(&ri, tmp.path(), "redis-0", "redis");
    assert_eq!(
        master.keys().map(String::as_str).collect::<Vec<_>>(),
        ["pod-ordinal", "pod-role", "redis.conf", "role.conf"]
    );
    assert_eq!(master["pod-role"], "master\n");
    assert!(replicaof(&master).is_empty(), "{master:?}");

    // redis-4 only exists after scaling up; it is a replica all the same.
    for pod in ["redis-1", "redis-2", "redis-4"] {
        let files = run_role_init(&ri, tmp.path(), pod, "redis");
        assert_eq!(files["pod-role"], "replica\n", "{pod}");
        assert_eq!(replicaof(&files), ["redis-0.redis 6379"], "{pod}");
        assert_eq!(files["redis.conf"], master["redis.conf"], "{pod}");
    }
}

#[test]
fn redis_conf_includes_the_role_file_last_and_turns_aof_on() {
    let items = render_with(&profile_text(), None, None);
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = run_role_init(&ri, tmp.path(), "redis-1", "redis");
    let conf = directives(&files["redis.conf"]);
    let get = |k: &str| -> Vec<&str> {
        conf.iter()
            .filter(|(d, _)| d == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(get("appendonly"), ["yes"]);
    assert_eq!(get("port"), ["6379"]);
    // The include points at the role file in the directory the main container mounts, and
    // comes last so the role's settings win.
    assert_eq!(
        conf.last().unwrap(),
        &(
            "include".to_string(),
            format!("{}/role.conf", ri.config_dir)
        )
    );
    assert!(files.contains_key("role.conf"));
    // Data dir is the volume.
    let c = main_container(&items);
    let data_mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "data")
        .unwrap()["mountPath"]
        .clone();
    assert_eq!(get("dir"), [data_mount.as_str().unwrap()]);
    assert!(c["volumeMounts"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "config", "mountPath": ri.config_dir})));
    // The port in replicaof is the container port.
    assert_eq!(
        c["ports"],
        json!([{"name": "redis", "containerPort": 6379, "protocol": "TCP"}])
    );
}

#[test]
fn the_password_comes_from_the_secret_for_clients_replication_and_probes() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let secret = find(&items, "Secret");
    assert!(secret["data"]["password"].is_string());
    let args = strings(&c["args"]);
    let ri = role_init(&items);
    assert_eq!(
        args[0], "redis-server",
        "keeps the image's entrypoint (drops root)"
    );
    assert_eq!(args[1], format!("{}/redis.conf", ri.config_dir));
    let flag = |f: &str| -> &str {
        let i = args
            .iter()
            .position(|a| a == f)
            .unwrap_or_else(|| panic!("no {f}"));
        &args[i + 1]
    };
    assert_eq!(flag("--requirepass"), "$(REDIS_PASSWORD)");
    assert_eq!(flag("--masterauth"), "$(REDIS_PASSWORD)");
    let env = c["env"].as_array().unwrap();
    for var in ["REDIS_PASSWORD", "REDISCLI_AUTH"] {
        let e = env.iter().find(|e| e["name"] == var).unwrap();
        assert_eq!(
            e["valueFrom"]["secretKeyRef"],
            json!({"name": secret["metadata"]["name"], "key": "password"}),
            "{var}"
        );
    }
    // The ConfigMap (readable by anyone who can read config) holds no password.
    let cm = find(&items, "ConfigMap");
    for (k, v) in cm["data"].as_object().unwrap() {
        let v = v.as_str().unwrap();
        assert!(!v.contains("test-password"), "{k}");
        assert!(
            !v.contains("requirepass") && !v.contains("masterauth"),
            "{k}"
        );
    }
}

/// Runs a probe's `sh -c` script with a stand-in `redis-cli` that answers PING with `ping`
/// and INFO with `info` (CRLF line ends, as Redis sends them); returns whether it passed.
fn probe_passes(probe: &Value, ping: &str, info: &str, tmp: &Path) -> bool {
    let command = strings(&probe["exec"]["command"]);
    assert_eq!(&command[..2], &["sh", "-c"]);
    let bin = tmp.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let cli = bin.join("redis-cli");
    fs::write(
        &cli,
        "#!/bin/sh\n[ -n \"$REDISCLI_AUTH\" ] || { echo 'NOAUTH Authentication required.'; exit 0; }\ncase \"$*\" in\n  *ping*) printf '%s\\n' \"$FAKE_PING\" ;;\n  *info*) printf '%s' \"$FAKE_INFO\" ;;\n  *) exit 1 ;;\nesac\n",
    )
    .unwrap();
    let mut perm = fs::metadata(&cli).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    fs::set_permissions(&cli, perm).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", path)
        .env("REDISCLI_AUTH", "pw")
        .env("FAKE_PING", ping)
        .env("FAKE_INFO", info)
        .arg("-c")
        .arg(&command[2])
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn probes_tell_a_synced_server_from_a_loading_or_unsynced_one() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let (ready, live) = (&c["readinessProbe"], &c["livenessProbe"]);
    assert_ne!(ready, live);
    let tmp = tempfile::tempdir().unwrap();
    let master = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n";
    let synced =
        "# Replication\r\nrole:slave\r\nmaster_host:redis-0.redis\r\nmaster_link_status:up\r\n";
    let syncing = "# Replication\r\nrole:slave\r\nmaster_host:redis-0.redis\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\n";
    let loading = "LOADING Redis is loading the dataset in memory";
    // (ping reply, info reply, ready?, alive?)
    let cases = [
        ("PONG", master, true, true),
        ("PONG", synced, true, true),
        ("PONG", syncing, false, true),
        (loading, "", false, true),
        ("MASTERDOWN Link with MASTER is down", "", false, true),
        ("", "", false, false),
        ("ERR unknown", "", false, false),
    ];
    for (ping, info, want_ready, want_alive) in cases {
        assert_eq!(
            probe_passes(ready, ping, info, tmp.path()),
            want_ready,
            "readiness with ping={ping:?} info={info:?}"
        );
        assert_eq!(
            probe_passes(live, ping, info, tmp.path()),
            want_alive,
            "liveness with ping={ping:?} info={info:?}"
        );
    }
}

#[test]
fn wiring_does_not_change_with_replicas_namespace_or_cluster_domain() {
    let text = profile_text();
    assert!(text.contains("\nreplicas: 3\n"));
    let items = render_with(
        &text.replace("\nreplicas: 3\n", "\nreplicas: 5\n"),
        Some("other"),
        Some("example.org"),
    );
    let sts = find(&items, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(sts["metadata"]["namespace"], "other");
    for i in &items {
        if i["kind"] != "Namespace" {
            assert_eq!(i["metadata"]["namespace"], "other", "{}", i["kind"]);
        }
    }
    // The short name resolves through the pod's DNS search path in any namespace and domain.
    assert_eq!(master_address(&items), "redis-0.redis");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    for pod in ["redis-1", "redis-4"] {
        let files = run_role_init(&ri, tmp.path(), pod, "redis");
        assert_eq!(replicaof(&files), ["redis-0.redis 6379"], "{pod}");
    }
    let files = run_role_init(&ri, tmp.path(), "redis-0", "redis");
    assert!(replicaof(&files).is_empty());
}

#[test]
fn read_and_master_services_and_pod_policies() {
    let items = render_with(&profile_text(), None, None);
    let svc = |name: &str| {
        items
            .iter()
            .find(|i| i["kind"] == "Service" && i["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Service {name}"))
    };
    assert_eq!(
        svc("redis-primary")["spec"]["selector"],
        json!({"app.kubernetes.io/name": "redis", "statefulset.kubernetes.io/pod-name": "redis-0"})
    );
    assert_eq!(
        svc("redis-read")["spec"]["selector"],
        json!({"app.kubernetes.io/name": "redis"})
    );
    assert_eq!(svc("redis")["spec"]["clusterIP"], "None");
    let sts = find(&items, "StatefulSet");
    assert_eq!(sts["spec"]["podManagementPolicy"], "Parallel");
    let c = main_container(&items);
    let image = c["image"].as_str().unwrap();
    assert!(image.starts_with("redis:7.4."), "{image}");
    assert!(c["resources"]["limits"]["memory"].is_string());
    assert!(sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as_u64() >= Some(30));
}

#[test]
fn used_as_a_preset_the_replicas_follow_the_users_name() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: redis\nname: cache\nreplicas: 5\nstorage: {size: 2Gi}\n";
    let out = Command::cargo_bin("sts-gen")
        .unwrap()
        .env_remove("STS_GEN_TEMPLATES")
        .env("REDIS_PASSWORD", "preset-test")
        .args([
            "render",
            "-",
            "-o",
            "json",
            "-n",
            "other",
            "--cluster-domain",
            "example.org",
        ])
        .write_stdin(user)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = list["items"].as_array().unwrap().clone();
    assert_eq!(master_address(&items), "cache-0.cache");
    assert!(items
        .iter()
        .any(|i| i["kind"] == "Service" && i["metadata"]["name"] == "cache-primary"));
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = run_role_init(&ri, tmp.path(), "cache-4", "cache");
    assert_eq!(files["pod-role"], "replica\n");
    assert_eq!(replicaof(&files), ["cache-0.cache 6379"]);
    let c = main_container(&items);
    let e = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "REDIS_PASSWORD")
        .unwrap();
    assert_eq!(e["valueFrom"]["secretKeyRef"]["name"], "cache");
    assert_eq!(
        pod_spec(&items)["affinity"]["podAntiAffinity"]
            ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
            ["labelSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "cache"
    );
}
