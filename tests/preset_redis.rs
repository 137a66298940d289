//! The `redis` preset (profiles/redis.yaml): the master at ordinal 0, every other ordinal a
//! replica of `<name>-0.<headless>`, AOF on, one password for clients and replication.
//!
//! The role init script, the start command and the probe scripts are run for real under `sh`
//! (with a stand-in entrypoint and `redis-cli`, and the password in a file as the Secret volume
//! gives it), so the test checks the files and decisions a pod would get.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{
    env_value, main_container, mount_path, one, path_with, pod, role_init, secret_behind, strings,
    write_exe, RoleInit,
};
use serde_json::{json, Value};

fn profile_text() -> String {
    common::bundled_text("redis").replace("{fromEnv: REDIS_PASSWORD}", "{value: test-password}")
}

fn render_with(text: &str, namespace: Option<&str>, cluster_domain: Option<&str>) -> Vec<Value> {
    common::render_bundled("redis", text, &common::options(namespace, cluster_domain))
}

/// The config dir the role init container fills (its CONFIG_DIR).
fn config_dir(ri: &RoleInit) -> &str {
    env_value(&ri.container, "CONFIG_DIR")
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
    let sts = one(items, "StatefulSet");
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

    let master = ri.run_ok(tmp.path(), "redis-0", "redis", "ns");
    assert_eq!(
        master.keys().map(String::as_str).collect::<Vec<_>>(),
        ["pod-ordinal", "pod-role", "redis.conf", "role.conf"]
    );
    assert_eq!(master["pod-role"], "master\n");
    assert!(replicaof(&master).is_empty(), "{master:?}");

    // redis-4 only exists after scaling up; it is a replica all the same.
    for pod in ["redis-1", "redis-2", "redis-4"] {
        let files = ri.run_ok(tmp.path(), pod, "redis", "ns");
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
    let files = ri.run_ok(tmp.path(), "redis-1", "redis", "ns");
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
            format!("{}/role.conf", config_dir(&ri))
        )
    );
    assert!(files.contains_key("role.conf"));
    // Data dir is the volume.
    let c = main_container(&items);
    assert_eq!(get("dir"), [mount_path(c, "data")]);
    assert!(c["volumeMounts"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "config", "mountPath": config_dir(&ri)})));
    // The port in replicaof is the container port.
    assert_eq!(
        c["ports"],
        json!([{"name": "redis", "containerPort": 6379, "protocol": "TCP"}])
    );
}

/// A password with the characters Redis's config syntax and the shell treat specially.
const TRICKY_PASSWORD: &str = "p\"a\\ss w$rd`x'y";

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
    write_exe(
        &bin,
        "docker-entrypoint.sh",
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$OUT/args\"\ncat > \"$OUT/stdin\"\nenv > \"$OUT/env\"\n",
    );
    let pw_file = tmp.join("password");
    fs::write(&pw_file, password).unwrap();
    common::output_ok(
        std::process::Command::new("sh")
            .env_clear()
            .env("PATH", path_with(&bin))
            .env("OUT", tmp)
            .env("REDIS_PASSWORD_FILE", &pw_file)
            .arg("-c")
            .arg(&command[2]),
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
    let secret = one(&items, "Secret");
    assert!(secret["data"]["password"].is_string());
    // No container takes a Secret through its environment.
    common::assert_no_secret_in_env(&items);
    // REDIS_PASSWORD_FILE is the Secret's `password` key, mounted read-only.
    let path = env_value(c, "REDIS_PASSWORD_FILE");
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
            format!("{}/redis.conf", config_dir(&ri)),
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
    let cm = one(&items, "ConfigMap");
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
    write_exe(
        &bin,
        "redis-cli",
        "#!/bin/sh\n[ \"$REDISCLI_AUTH\" = \"$FAKE_PASSWORD\" ] || { echo 'NOAUTH Authentication required.'; exit 0; }\ncase \"$*\" in\n  *ping*) printf '%s\\n' \"$FAKE_PING\" ;;\n  *info*) printf '%s' \"$FAKE_INFO\" ;;\n  *) exit 1 ;;\nesac\n",
    );
    // The probe runs with the container's environment: REDIS_PASSWORD_FILE names the file.
    let pw_file = tmp.join("password");
    fs::write(&pw_file, TRICKY_PASSWORD).unwrap();
    assert!(env_value(c, "REDIS_PASSWORD_FILE").starts_with('/'));
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", path_with(&bin))
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
    let syncing = "# Replication\r\nrole:slave\r\nmaster_host:redis-0.redis\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\nmaster_link_down_since_seconds:-1\r\n";
    // As Redis 7 reports a replica that synced, then lost the master (6 s ago), and one that
    // has not synced since it started (observed on redis-server, tests/engines/presets/redis.py).
    let master_gone = "# Replication\r\nrole:slave\r\nmaster_host:redis-0.redis\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nmaster_link_down_since_seconds:6\r\n";
    let never_synced = "# Replication\r\nrole:slave\r\nmaster_host:redis-0.redis\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nmaster_link_down_since_seconds:-1\r\n";
    let loading = "LOADING Redis is loading the dataset in memory";
    // (ping reply, info reply, ready?, alive?)
    let cases = [
        ("PONG", master, true, true),
        ("PONG", synced, true, true),
        ("PONG", syncing, false, true),
        // The read Service keeps the synced replicas while the master is down.
        ("PONG", master_gone, true, true),
        ("PONG", never_synced, false, true),
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
    let items = render_with(
        &common::with_replicas(&profile_text(), 3, 5),
        Some("other"),
        Some("example.org"),
    );
    let sts = one(&items, "StatefulSet");
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
        let files = ri.run_ok(tmp.path(), pod, "redis", "ns");
        assert_eq!(replicaof(&files), ["redis-0.redis 6379"], "{pod}");
    }
    let files = ri.run_ok(tmp.path(), "redis-0", "redis", "ns");
    assert!(replicaof(&files).is_empty());
}

#[test]
fn read_and_master_services_and_pod_policies() {
    let items = render_with(&profile_text(), None, None);
    let svc = |name: &str| common::named(&items, "Service", name);
    assert_eq!(
        svc("redis-primary")["spec"]["selector"],
        json!({"app.kubernetes.io/name": "redis", "statefulset.kubernetes.io/pod-name": "redis-0"})
    );
    assert_eq!(
        svc("redis-read")["spec"]["selector"],
        json!({"app.kubernetes.io/name": "redis"})
    );
    assert_eq!(svc("redis")["spec"]["clusterIP"], "None");
    let sts = one(&items, "StatefulSet");
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
    let items = common::json_items(
        common::sts_gen()
            .env("REDIS_PASSWORD", "preset-test")
            .args([
                "render",
                "-",
                "-n",
                "other",
                "--cluster-domain",
                "example.org",
            ])
            .write_stdin(user),
    );
    assert_eq!(master_address(&items), "cache-0.cache");
    assert!(items
        .iter()
        .any(|i| i["kind"] == "Service" && i["metadata"]["name"] == "cache-primary"));
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "cache-4", "cache", "ns");
    assert_eq!(files["pod-role"], "replica\n");
    assert_eq!(replicaof(&files), ["cache-0.cache 6379"]);
    let c = main_container(&items);
    assert_eq!(
        secret_behind(&items, c, env_value(c, "REDIS_PASSWORD_FILE")),
        ("cache".to_string(), "password".to_string())
    );
    assert_eq!(
        pod(&items)["affinity"]["podAntiAffinity"]
            ["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
            ["labelSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "cache"
    );
}

/// `tls` on (an issuer, with metrics and backups): the preset's TLS wiring.
fn tls_items() -> Vec<Value> {
    render_with(&common::with_day2_on(&profile_text()), Some("ns"), None)
}

/// The TLS Secret's mount in a container (the `tls` volume), which must hold the
/// Certificate's Secret.
fn tls_dir(items: &[Value], c: &Value) -> String {
    let secret = one(items, "Certificate")["spec"]["secretName"].clone();
    assert_eq!(
        common::volume(pod(items), "tls")["secret"]["secretName"],
        secret
    );
    mount_path(c, "tls").to_string()
}

#[test]
fn with_tls_redis_listens_on_tls_only_and_replicates_over_it() {
    let items = tls_items();
    let c = main_container(&items);
    let dir = tls_dir(&items, c);
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "redis-1", "redis", "ns");
    // Every config line the server reads, includes followed, in order.
    let mut all = Vec::new();
    for (k, v) in directives(&files["redis.conf"]) {
        if k == "include" {
            let file = v
                .strip_prefix(&format!("{}/", config_dir(&ri)))
                .unwrap_or_else(|| panic!("include {v} is not in the config dir"));
            all.extend(directives(&files[file]));
        } else {
            all.push((k, v));
        }
    }
    let get = |k: &str| -> Vec<String> {
        all.iter()
            .filter(|(d, _)| d == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    // No plaintext listener; the TLS port is the container port replicas and clients use.
    assert_eq!(get("port"), ["0"]);
    assert_eq!(get("tls-port"), ["6379"]);
    assert_eq!(c["ports"][0]["containerPort"], 6379);
    assert_eq!(get("replicaof"), ["redis-0.redis 6379"]);
    assert_eq!(get("tls-replication"), ["yes"]);
    assert_eq!(get("tls-auth-clients"), ["yes"]);
    for (key, file) in [
        ("tls-cert-file", "tls.crt"),
        ("tls-key-file", "tls.key"),
        ("tls-ca-cert-file", "ca.crt"),
    ] {
        assert_eq!(get(key), [format!("{dir}/{file}")], "{key}");
    }
    // The role file still comes last, so replicaof is the role's.
    assert_eq!(all.last().unwrap().0, "replicaof");
    // Off, the same preset keeps its plain port and no TLS file.
    let off = role_init(&render_with(&profile_text(), Some("ns"), None));
    let files = off.run_ok(tmp.path(), "redis-2", "redis", "ns");
    assert!(!files.contains_key("tls.conf"));
    assert!(directives(&files["redis.conf"]).contains(&("port".into(), "6379".into())));
}

/// A `redis-cli` that answers only over TLS with the CA and a client certificate from `dir`
/// (as a TLS-only server with tls-auth-clients would), and only with the password.
fn tls_redis_cli(bin: &Path, dir: &str) {
    write_exe(
        bin,
        "redis-cli",
        &format!(
            "#!/bin/sh\ncase \"$*\" in\n  *'--tls --cacert {dir}/ca.crt --cert {dir}/tls.crt --key {dir}/tls.key -h 127.0.0.1 -p 6379 '*) ;;\n  *) echo 'Error: Connection reset by peer'; exit 1 ;;\nesac\n[ \"$REDISCLI_AUTH\" = pw ] || {{ echo 'NOAUTH Authentication required.'; exit 0; }}\ncase \"$*\" in\n  *ping) echo PONG ;;\n  *'info replication') printf '# Replication\\r\\nrole:slave\\r\\nmaster_link_status:up\\r\\n' ;;\n  *) exit 1 ;;\nesac\n"
        ),
    );
}

#[test]
fn with_tls_the_probes_talk_tls_with_the_mounted_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    let pw = tmp.path().join("pw");
    fs::write(&pw, "pw").unwrap();
    let on = tls_items();
    tls_redis_cli(&bin, &tls_dir(&on, main_container(&on)));
    // The stand-in refuses plaintext: off, the same probes must not be talking TLS.
    for (items, want) in [
        (on.clone(), true),
        (render_with(&profile_text(), Some("ns"), None), false),
    ] {
        let c = main_container(&items);
        for probe in ["readinessProbe", "livenessProbe"] {
            let command = strings(&c[probe]["exec"]["command"]);
            let mut cmd = std::process::Command::new("sh");
            cmd.env_clear()
                .env("PATH", path_with(&bin))
                .env("REDIS_PASSWORD_FILE", &pw)
                .arg("-c")
                .arg(&command[2]);
            // The container's environment, as the kubelet runs an exec probe.
            if let Some(v) = common::find_env(c, "REDIS_CLI_TLS") {
                cmd.env("REDIS_CLI_TLS", v["value"].as_str().unwrap());
            }
            let ok = cmd.output().unwrap().status.success();
            assert_eq!(ok, want, "{probe} with tls {want}");
        }
    }
}

#[test]
fn with_tls_the_exporter_and_the_backup_job_connect_over_tls() {
    let items = tls_items();
    let c = main_container(&items);
    let dir = tls_dir(&items, c);
    let m = common::container(&items, "metrics");
    assert_eq!(mount_path(m, "tls"), dir);
    let script = strings(&m["command"])[2].clone();
    for flag in [
        "--redis.addr=rediss://127.0.0.1:6379".to_string(),
        format!("--tls-ca-cert-file={dir}/ca.crt"),
        format!("--tls-client-cert-file={dir}/tls.crt"),
        format!("--tls-client-key-file={dir}/tls.key"),
    ] {
        assert!(
            script.split_whitespace().any(|w| w == flag),
            "{flag}: {script}"
        );
    }
    // The backup job mounts the same Secret and runs redis-cli --rdb over TLS.
    let cj = one(&items, "CronJob");
    let job = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let backup = job["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backup")
        .expect("the backup step");
    let job_dir = mount_path(backup, "tls");
    let vol = job["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "tls")
        .unwrap();
    assert_eq!(
        vol["secret"]["secretName"],
        one(&items, "Certificate")["spec"]["secretName"]
    );
    let script = strings(&backup["command"])[2].clone();
    let words: Vec<&str> = script.split_whitespace().collect();
    let tls_at = words.iter().position(|w| *w == "--tls").expect("--tls");
    assert_eq!(
        words[tls_at + 1..tls_at + 7],
        [
            "--cacert",
            &format!("{job_dir}/ca.crt"),
            "--cert",
            &format!("{job_dir}/tls.crt"),
            "--key",
            &format!("{job_dir}/tls.key")
        ]
    );
    assert!(words.contains(&"--rdb"), "{script}");
}
