//! The `redis` preset (profiles/redis.yaml): the master at ordinal 0, every other ordinal a
//! replica of `<name>-0.<headless>`, AOF on, one password for clients and replication.
//!
//! The role init script, the start command and the probe scripts are run for real under `sh`
//! (with a stand-in entrypoint and `redis-cli`, and the password in a file as the Secret volume
//! gives it), so the test checks the files and decisions a pod would get.

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

/// A password with the characters Redis's config syntax and the shell treat specially.
const TRICKY_PASSWORD: &str = "p\"a\\ss w$rd`x'y";

/// The Secret key behind a `*_FILE` path of container `c`: the path lies under one of its
/// mounts, of a Secret volume whose item at the rest of the path names the key. Returns
/// (Secret name, key).
fn secret_behind(items: &[Value], c: &Value, path: &str) -> (String, String) {
    let pod = pod_spec(items);
    let (mount, rest) = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| {
            let at = m["mountPath"].as_str().unwrap();
            let rest = path.strip_prefix(&format!("{at}/"))?;
            Some((m, rest.to_string()))
        })
        .unwrap_or_else(|| panic!("{path} is under no mount of {}", c["name"]));
    assert_eq!(mount["readOnly"], true);
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap();
    let secret = &volume["secret"];
    let item = secret["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == rest.as_str())
        .unwrap_or_else(|| panic!("volume {} has no item at {rest}", volume["name"]));
    (
        secret["secretName"].as_str().unwrap().to_string(),
        item["key"].as_str().unwrap().to_string(),
    )
}

fn env_literal<'a>(c: &'a Value, name: &str) -> &'a str {
    c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name}"))["value"]
        .as_str()
        .unwrap()
}

/// The arguments of one Redis config line, unquoted as Redis's `sdssplitargs` does: double
/// quotes with `\\`, `\"`, `\n`, `\r`, `\t`, `\b`, `\a` and `\xHH` escapes; single quotes with
/// `\'` only.
fn redis_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = line.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return args;
        };
        let mut arg = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next().expect("unterminated quotes") {
                    '\\' if first == '"' => match chars.next().unwrap() {
                        'n' => arg.push('\n'),
                        'r' => arg.push('\r'),
                        't' => arg.push('\t'),
                        'b' => arg.push('\u{8}'),
                        'a' => arg.push('\u{7}'),
                        'x' => {
                            let hex: String = [chars.next().unwrap(), chars.next().unwrap()]
                                .iter()
                                .collect();
                            arg.push(u8::from_str_radix(&hex, 16).unwrap() as char);
                        }
                        c => arg.push(c),
                    },
                    '\\' if chars.peek() == Some(&'\'') => arg.push(chars.next().unwrap()),
                    c if c == first => break,
                    c => arg.push(c),
                }
            }
            assert!(
                chars.peek().is_none_or(|c| c.is_whitespace()),
                "closing quote must be followed by a space: {line}"
            );
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| !c.is_whitespace()) {
                arg.push(c);
                chars.next();
            }
        }
        args.push(arg);
    }
}

#[test]
fn redis_args_unquotes_like_redis() {
    assert_eq!(
        redis_args(r#"requirepass "a\"b\\c d" 'e\'f' g"#),
        ["requirepass", "a\"b\\c d", "e'f", "g"]
    );
    assert_eq!(redis_args(r#"x "\x41\n""#), ["x", "A\n"]);
}

/// What the start command handed the image's entrypoint: arguments, standard input and
/// environment, recorded by a stand-in `docker-entrypoint.sh`.
struct Start {
    args: Vec<String>,
    stdin: String,
    env: String,
}

fn run_start(c: &Value, tmp: &Path, password: &str) -> Start {
    let command = strings(&c["command"]);
    assert_eq!(&command[..2], &["sh", "-c"]);
    let bin = tmp.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let entrypoint = bin.join("docker-entrypoint.sh");
    fs::write(
        &entrypoint,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$OUT/args\"\ncat > \"$OUT/stdin\"\nenv > \"$OUT/env\"\n",
    )
    .unwrap();
    let mut perm = fs::metadata(&entrypoint).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    fs::set_permissions(&entrypoint, perm).unwrap();
    let pw_file = tmp.join("password");
    fs::write(&pw_file, password).unwrap();
    let out = std::process::Command::new("sh")
        .env_clear()
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("OUT", tmp)
        .env("REDIS_PASSWORD_FILE", &pw_file)
        .arg("-c")
        .arg(&command[2])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| fs::read_to_string(tmp.join(f)).unwrap();
    Start {
        args: read("args").lines().map(String::from).collect(),
        stdin: read("stdin"),
        env: read("env"),
    }
}

#[test]
fn the_password_comes_from_the_secret_as_a_file_for_clients_replication_and_probes() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let secret = find(&items, "Secret");
    assert!(secret["data"]["password"].is_string());
    // No container takes a Secret through its environment.
    let pod = pod_spec(&items);
    for any in pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(pod["initContainers"].as_array().unwrap())
    {
        for e in any["env"].as_array().into_iter().flatten() {
            assert!(e["valueFrom"].get("secretKeyRef").is_none(), "{e}");
        }
        assert!(any.get("envFrom").is_none());
    }
    // REDIS_PASSWORD_FILE is the Secret's `password` key, mounted read-only.
    let path = env_literal(c, "REDIS_PASSWORD_FILE");
    assert_eq!(
        secret_behind(&items, c, path),
        (
            secret["metadata"]["name"].as_str().unwrap().to_string(),
            "password".to_string()
        )
    );

    // The start command keeps the image's entrypoint (drops root) and hands redis-server the
    // password on its standard input only: not as an argument, not in the environment.
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let start = run_start(c, tmp.path(), TRICKY_PASSWORD);
    assert_eq!(
        start.args,
        [
            "redis-server".to_string(),
            format!("{}/redis.conf", ri.config_dir),
            "-".to_string()
        ]
    );
    let config: Vec<Vec<String>> = start
        .stdin
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(redis_args)
        .collect();
    assert_eq!(
        config,
        [
            vec!["requirepass".to_string(), TRICKY_PASSWORD.to_string()],
            vec!["masterauth".to_string(), TRICKY_PASSWORD.to_string()],
        ]
    );
    assert!(!start.env.contains("w$rd"), "{}", start.env);
    // A missing password file stops the start instead of running without a password.
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("REDIS_PASSWORD_FILE", tmp.path().join("missing"))
        .arg("-c")
        .arg(&strings(&c["command"])[2])
        .output()
        .unwrap();
    assert!(!out.status.success());

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
/// and INFO with `info` (CRLF line ends, as Redis sends them) when it gets the password in
/// REDISCLI_AUTH, as the real one does; returns whether it passed.
fn probe_passes(c: &Value, probe: &str, ping: &str, info: &str, tmp: &Path) -> bool {
    let command = strings(&c[probe]["exec"]["command"]);
    assert_eq!(&command[..2], &["sh", "-c"]);
    let bin = tmp.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let cli = bin.join("redis-cli");
    fs::write(
        &cli,
        "#!/bin/sh\n[ \"$REDISCLI_AUTH\" = \"$FAKE_PASSWORD\" ] || { echo 'NOAUTH Authentication required.'; exit 0; }\ncase \"$*\" in\n  *ping*) printf '%s\\n' \"$FAKE_PING\" ;;\n  *info*) printf '%s' \"$FAKE_INFO\" ;;\n  *) exit 1 ;;\nesac\n",
    )
    .unwrap();
    let mut perm = fs::metadata(&cli).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    fs::set_permissions(&cli, perm).unwrap();
    // The probe runs with the container's environment: REDIS_PASSWORD_FILE names the file.
    let pw_file = tmp.join("password");
    fs::write(&pw_file, TRICKY_PASSWORD).unwrap();
    assert!(env_literal(c, "REDIS_PASSWORD_FILE").starts_with('/'));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", path)
        .env("REDIS_PASSWORD_FILE", &pw_file)
        .env("FAKE_PASSWORD", TRICKY_PASSWORD)
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
    assert_ne!(c["readinessProbe"], c["livenessProbe"]);
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
            probe_passes(c, "readinessProbe", ping, info, tmp.path()),
            want_ready,
            "readiness with ping={ping:?} info={info:?}"
        );
        assert_eq!(
            probe_passes(c, "livenessProbe", ping, info, tmp.path()),
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
    assert_eq!(
        secret_behind(&items, c, env_literal(c, "REDIS_PASSWORD_FILE")),
        ("cache".to_string(), "password".to_string())
    );
    assert_eq!(
        pod_spec(&items)["affinity"]["podAntiAffinity"]
            ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
            ["labelSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "cache"
    );
}
