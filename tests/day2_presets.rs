//! Day-2 wiring of the presets that have no engine on the harness (cassandra, elasticsearch,
//! kafka, mongodb): rendered through the CLI with `metrics`, `backup` and `tls` on, asserting
//! what joins what (the exporter's args and the Secret keys it reads, the JMX port it scrapes
//! and the port the engine opens, the NetworkPolicy's metrics port, the TLS settings and the
//! files they name), and running the scripts that write TLS files under `sh` against
//! temporary folders. The refused backups are located errors.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{all, env_value, find_env, mount_path, one, run, strings, sts_gen, volume};
use serde_json::Value;

const SEED: &str = "day2-presets-seed-0123456789abcdef";

fn cmd() -> assert_cmd::Command {
    let mut c = sts_gen();
    c.env("STS_GEN_SECRET_SEED", SEED)
        .env("MONGODB_ROOT_PASSWORD", "root-pw")
        .env("MONGODB_KEYFILE", "c2VjcmV0LWtleS1mb3ItdGhlLW1lbWJlcnM=");
    c
}

fn preset(p: &str, name: &str) -> String {
    format!("apiVersion: sts-gen/v1\nkind: Profile\npreset: {p}\nname: {name}\nnamespace: ns\n")
}

fn render(text: &str, sets: &[&str]) -> Vec<Value> {
    let mut c = cmd();
    c.args(["render", "-"]);
    for s in sets {
        c.args(["--set", s]);
    }
    common::json_items(c.write_stdin(text.as_bytes().to_vec()))
}

fn statefulset<'a>(items: &'a [Value], name: &str) -> &'a Value {
    common::named(items, "StatefulSet", name)
}

fn pod_of(sts: &Value) -> &Value {
    &sts["spec"]["template"]["spec"]
}

fn container_of<'a>(pod: &'a Value, list: &str, name: &str) -> &'a Value {
    pod[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name}"))
}

/// The literal env values of container `c`.
fn env_map(c: &Value) -> BTreeMap<String, String> {
    c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The CronJob's backup step (the engine's tool).
fn backup_step(items: &[Value]) -> &Value {
    let pod = &one(items, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    container_of(pod, "initContainers", "backup")
}

/// The NetworkPolicy's ingress rules admitting `port`.
fn rules_for(items: &[Value], port: u16) -> Vec<Value> {
    one(items, "NetworkPolicy")["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["ports"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["port"] == port))
        })
        .cloned()
        .collect()
}

/// A `backup.schedule` on a preset that refuses backups: exit 2, nothing on stdout, the
/// reason located at the profile's `backup` line.
fn assert_backup_refused(p: &str, reason: &str) {
    let text = format!(
        "{}backup: {{schedule: \"0 3 * * *\", claim: {{size: 1Gi}}}}\n",
        preset(p, "x")
    );
    let r = run(cmd().args(["render", "-"]).write_stdin(text.into_bytes()));
    assert_eq!(r.code, 2, "{p}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{p}");
    assert!(
        r.stderr.contains(":6:"),
        "{p}: not located at line 6: {}",
        r.stderr
    );
    assert!(r.stderr.contains("backup.schedule"), "{p}: {}", r.stderr);
    assert!(r.stderr.contains(reason), "{p}: {}", r.stderr);
    // Off, the preset renders (the refusal is only for a schedule).
    assert!(all(&render(&preset(p, "x"), &[]), "CronJob").is_empty());
}

/// The Certificate asks for a PKCS#8 key: Kafka's and Cassandra's PEM readers take no other.
fn assert_pkcs8(items: &[Value]) {
    for cert in all(items, "Certificate") {
        assert_eq!(cert["spec"]["privateKey"]["encoding"], "PKCS8", "{cert}");
    }
}

// ------------------------------------------------------------------ mongodb

#[test]
fn mongodb_exporter_logs_in_as_its_own_cluster_monitor_user() {
    let items = render(
        &preset("mongodb", "docs"),
        &[
            "metrics.enabled=true",
            "metrics.serviceMonitor=true",
            "metrics.from=[monitoring]",
        ],
    );
    let pod = pod_of(statefulset(&items, "docs"));
    let m = container_of(pod, "containers", "metrics");
    let args = strings(&m["args"]);
    assert!(
        args.contains(&"--mongodb.user=exporter".to_string()),
        "{args:?}"
    );
    assert!(
        args.contains(&"--web.listen-address=:$(METRICS_PORT)".to_string()),
        "{args:?}"
    );
    let uri = args
        .iter()
        .find_map(|a| a.strip_prefix("--mongodb.uri="))
        .unwrap();
    assert!(uri.starts_with("mongodb://127.0.0.1:27017/"), "{uri}");
    assert_eq!(m["ports"][0]["containerPort"], 9216);
    // Its password: the Secret's own key, not the root password.
    let secret = one(&items, "Secret");
    let pw = &find_env(m, "MONGODB_PASSWORD").unwrap()["valueFrom"]["secretKeyRef"];
    assert_eq!(pw["name"], secret["metadata"]["name"]);
    assert_eq!(pw["key"], "exporter-password");
    assert!(secret["data"]["exporter-password"].is_string());
    assert_ne!(
        secret["data"]["exporter-password"],
        secret["data"]["password"]
    );
    // The user: created by users.js, which rs-init.js loads, with monitoring roles only.
    let cm = one(&items, "ConfigMap");
    let users = cm["data"]["users.js"].as_str().unwrap();
    assert!(users.contains("user: 'exporter'"), "{users}");
    assert!(
        users.contains("role: 'clusterMonitor', db: 'admin'"),
        "{users}"
    );
    for strong in ["root", "readWrite", "dbAdmin", "userAdmin", "clusterAdmin"] {
        assert!(!users.contains(&format!("role: '{strong}'")), "{strong}");
    }
    let rs_init = cm["data"]["rs-init.js"].as_str().unwrap();
    let config_mount = mount_path(container_of(pod, "containers", "docs"), "config");
    assert!(
        rs_init.contains(&format!("load('{config_mount}/users.js')")),
        "{rs_init}"
    );
    // users.js reads the key the main container's Secret volume lays out.
    let (sname, key) = common::secret_behind(
        &items,
        container_of(pod, "containers", "docs"),
        "/run/secrets/mongodb/exporter-password",
    );
    assert_eq!(
        (sname.as_str(), key.as_str()),
        (
            secret["metadata"]["name"].as_str().unwrap(),
            "exporter-password"
        )
    );
    assert!(users.contains("/run/secrets/mongodb/exporter-password"));
    // Scrapes: the metrics port only, from this namespace and `monitoring`.
    let rules = rules_for(&items, 9216);
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(
        rules[0]["from"][1]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "monitoring"
    );
    assert_eq!(
        one(&items, "ServiceMonitor")["spec"]["endpoints"][0]["port"],
        "metrics"
    );
}

#[test]
fn mongodb_backup_dumps_a_secondary_with_the_oplog() {
    let items = render(
        &preset("mongodb", "docs"),
        &["backup.schedule=0 3 * * *", "backup.claim.size=5Gi"],
    );
    let b = backup_step(&items);
    assert_eq!(env_value(b, "BACKUP_HOST"), "docs-2.docs");
    let script = strings(&b["command"])[2].clone();
    for word in [
        "mongodump",
        "--oplog",
        "--gzip",
        "--archive=\"$BACKUP_DIR/",
        "readPreference=secondary",
        "--username=root",
    ] {
        assert!(script.contains(word), "{word} not in {script}");
    }
    // The password goes into a file, never the command line.
    assert!(!script.contains("--password"), "{script}");
    assert!(script.contains("--config=/tmp/mongodump.yaml"), "{script}");
    let pod = &one(&items, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let secrets = volume(pod, "secrets");
    assert_eq!(
        secrets["secret"]["items"],
        serde_json::json!([{"key": "password", "path": "password"}])
    );
    assert_eq!(mount_path(b, "secrets"), "/run/secrets/mongodb");
    assert_eq!(env_value(b, "MONGO_URI_TLS"), "");
}

#[test]
fn mongodb_tls_requires_tls_everywhere_with_the_joined_pem() {
    let items = render(
        &preset("mongodb", "docs"),
        &[
            "tls.issuer=ca",
            "metrics.enabled=true",
            "backup.schedule=0 3 * * *",
            "backup.claim.size=5Gi",
        ],
    );
    assert_pkcs8(&items);
    let pod = pod_of(statefulset(&items, "docs"));
    let main = container_of(pod, "containers", "docs");
    let env = env_map(main);
    let mongod: Vec<&str> = env["MONGOD_TLS_ARGS"].split_whitespace().collect();
    let after = |flag: &str| mongod[mongod.iter().position(|a| *a == flag).unwrap() + 1];
    assert_eq!(after("--tlsMode"), "requireTLS");
    assert_eq!(after("--tlsCAFile"), "/etc/tls/ca.crt");
    let pem = after("--tlsCertificateKeyFile");
    // The joined PEM is written by tls-pem into the config volume the main container reads.
    let init = container_of(pod, "initContainers", "tls-pem");
    let dir = mount_path(init, "config");
    assert_eq!(dir, mount_path(main, "config"));
    let script = strings(&init["command"])[2].clone();
    assert!(script.contains(&format!("> {pem}")), "{script}");
    assert_eq!(mount_path(init, "tls"), "/etc/tls");
    // Run it: certificate then key, owner-only.
    let tmp = tempfile::tempdir().unwrap();
    let (tls, conf) = (tmp.path().join("tls"), tmp.path().join("conf"));
    fs::create_dir_all(&tls).unwrap();
    fs::create_dir_all(&conf).unwrap();
    fs::write(tls.join("tls.crt"), "CERT\n").unwrap();
    fs::write(tls.join("tls.key"), "KEY\n").unwrap();
    let local = script
        .replace("/etc/tls/", &format!("{}/", tls.display()))
        .replace(&format!("{dir}/"), &format!("{}/", conf.display()));
    // A stand-in chown: as root (CI) the script hands the file to mongod's uid.
    let bin = tmp.path().join("bin");
    common::write_exe(&bin, "chown", "#!/bin/sh\nexit 0\n");
    let out = std::process::Command::new("sh")
        .env("PATH", common::path_with(&bin))
        .arg("-c")
        .arg(&local)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = conf.join(Path::new(pem).file_name().unwrap());
    assert_eq!(fs::read_to_string(&written).unwrap(), "CERT\nKEY\n");
    assert_eq!(
        fs::metadata(&written).unwrap().permissions().mode() & 0o077,
        0
    );
    // The probes, rs-init, the exporter and the backup connect over TLS.
    for p in ["readinessProbe", "livenessProbe", "startupProbe"] {
        let c = strings(&main[p]["exec"]["command"]);
        assert!(
            c.windows(2)
                .any(|w| w == ["--tlsCAFile", "/etc/tls/ca.crt"]),
            "{p}: {c:?}"
        );
        assert!(c.contains(&"--tls".to_string()), "{p}");
    }
    assert!(env["MONGOSH_TLS_ARGS"].contains("--tls"));
    let m = container_of(pod, "containers", "metrics");
    let uri = strings(&m["args"])
        .into_iter()
        .find(|a| a.starts_with("--mongodb.uri="))
        .unwrap();
    assert!(
        uri.contains("tls=true") && uri.contains("tlsCAFile=/etc/tls/ca.crt"),
        "{uri}"
    );
    assert_eq!(mount_path(m, "tls"), "/etc/tls");
    let b = backup_step(&items);
    assert!(env_value(b, "MONGO_URI_TLS").contains("tls=true"));
    assert_eq!(mount_path(b, "tls"), "/etc/tls");
}

/// The start command splits MONGOD_TLS_ARGS into mongod's arguments (and, unset, adds none).
#[test]
fn mongodb_start_command_passes_the_tls_arguments_to_mongod() {
    let items = render(&preset("mongodb", "docs"), &["tls.secretName=certs"]);
    let main = container_of(pod_of(statefulset(&items, "docs")), "containers", "docs");
    let script = strings(&main["command"])[2].clone();
    let tls_args = env_map(main)["MONGOD_TLS_ARGS"].clone();
    let tmp = tempfile::tempdir().unwrap();
    let (bin, conf) = (tmp.path().join("bin"), tmp.path().join("conf"));
    fs::create_dir_all(&conf).unwrap();
    fs::write(conf.join("pod-ordinal"), "1\n").unwrap();
    common::write_exe(
        &bin,
        "docker-entrypoint.sh",
        "#!/bin/sh\necho \"$*\" > \"$LOG\"\n",
    );
    let script = script.replace("/etc/mongo/", &format!("{}/", conf.display()));
    let log = tmp.path().join("log");
    for (tls, want) in [
        (Some(tls_args.as_str()), format!(" {tls_args}")),
        (None, String::new()),
    ] {
        let mut c = std::process::Command::new("bash");
        c.env_clear()
            .env("PATH", common::path_with(&bin))
            .env("LOG", &log)
            .args(["-c", &script]);
        if let Some(t) = tls {
            c.env("MONGOD_TLS_ARGS", t);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            fs::read_to_string(&log).unwrap(),
            format!(
                "mongod --replSet rs0 --bind_ip_all --keyFile {}/keyfile{want}\n",
                conf.display()
            )
        );
    }
}

// ------------------------------------------------------------------ kafka

/// The JMX exporter's config in the ConfigMap, through the volume the sidecar mounts.
fn jmx_config(items: &[Value], pod: &Value) -> String {
    let m = container_of(pod, "containers", "metrics");
    let args = strings(&m["args"]);
    let file = args.last().unwrap();
    let dir = mount_path(m, "metrics-config");
    let item = file
        .strip_prefix(&format!("{dir}/"))
        .expect("the config is in the mounted dir");
    let vol = volume(pod, "metrics-config");
    let key = vol["configMap"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == item)
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let cm = one(items, "ConfigMap");
    assert_eq!(vol["configMap"]["name"], cm["metadata"]["name"]);
    cm["data"][key].as_str().unwrap().to_string()
}

/// The JMX port of a `jmxUrl: service:jmx:rmi:///jndi/rmi://HOST:PORT/jmxrmi` line.
fn jmx_target(config: &str) -> (String, String) {
    let url = config
        .lines()
        .find_map(|l| l.strip_prefix("jmxUrl: service:jmx:rmi:///jndi/rmi://"))
        .unwrap();
    let hostport = url.strip_suffix("/jmxrmi").unwrap();
    let (h, p) = hostport.rsplit_once(':').unwrap();
    (h.to_string(), p.to_string())
}

#[test]
fn kafka_jmx_exporter_scrapes_the_port_only_the_server_opens_on_loopback() {
    let items = render(&preset("kafka", "events"), &["metrics.enabled=true"]);
    let pod = pod_of(statefulset(&items, "events"));
    let main = container_of(pod, "containers", "events");
    let config = jmx_config(&items, pod);
    let (host, port) = jmx_target(&config);
    assert_eq!(host, "127.0.0.1");
    // JMX is bound to loopback, and not a port of the pod (nothing outside reaches it).
    let opts = env_value(main, "KAFKA_JMX_OPTS");
    assert!(
        opts.contains("-Dcom.sun.management.jmxremote.host=127.0.0.1"),
        "{opts}"
    );
    assert!(
        opts.contains("-Djava.rmi.server.hostname=127.0.0.1"),
        "{opts}"
    );
    for c in pod["containers"].as_array().unwrap() {
        for p in c["ports"].as_array().into_iter().flatten() {
            assert_ne!(p["containerPort"].to_string(), port, "{p}");
        }
    }
    // Run the start command with stand-ins: JMX_PORT reaches the server only.
    let command = strings(&main["command"]);
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    let calls = tmp.path().join("calls");
    for tool in ["kafka-storage.sh", "kafka-server-start.sh"] {
        common::write_exe(
            &bin,
            tool,
            &format!("#!/bin/sh\necho \"{tool} JMX_PORT=${{JMX_PORT:-}}\" >> \"$CALLS\"\n"),
        );
    }
    let script = command[2].replace("/opt/kafka/bin/", &format!("{}/", bin.display()));
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CALLS", &calls)
        .env("KAFKA_CLUSTER_ID", "x")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(&calls).unwrap(),
        format!("kafka-storage.sh JMX_PORT=\nkafka-server-start.sh JMX_PORT={port}\n")
    );
    // The sidecar runs the exporter's jar on the metrics port, and the policy admits it.
    let m = container_of(pod, "containers", "metrics");
    let args = strings(&m["args"]);
    assert!(
        args.iter()
            .any(|a| a.ends_with("jmx_prometheus_standalone.jar")),
        "{args:?}"
    );
    // The port argument is the container's, through METRICS_PORT (the kubelet expands it).
    assert_eq!(args[args.len() - 2], "$(METRICS_PORT)");
    assert_eq!(
        env_value(m, "METRICS_PORT"),
        m["ports"][0]["containerPort"].to_string()
    );
    assert_eq!(rules_for(&items, 5556).len(), 1);
    // The JVM gets more than the exporters' 64Mi default.
    assert_eq!(m["resources"]["limits"]["memory"], "256Mi");
    assert!(
        config.contains("kafka.server:type=ReplicaManager"),
        "{config}"
    );
}

#[test]
fn kafka_tls_listeners_are_ssl_with_the_key_inline() {
    let items = render(&preset("kafka", "events"), &["tls.secretName=certs"]);
    assert!(all(&items, "Certificate").is_empty());
    let ri = common::role_init(&items);
    assert_eq!(mount_path(&ri.container, "tls"), "/etc/tls");
    let tmp = tempfile::tempdir().unwrap();
    let tls = tmp.path().join("tls");
    fs::create_dir_all(&tls).unwrap();
    let key =
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\nByqGSM49AgEG\n-----END PRIVATE KEY-----\n";
    let crt = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJ\n-----END CERTIFICATE-----\n";
    fs::write(tls.join("tls.key"), key).unwrap();
    fs::write(tls.join("tls.crt"), crt).unwrap();
    let mut ri = ri;
    ri.script = ri
        .script
        .replace("/etc/tls/", &format!("{}/", tls.display()));
    let (mut c, config_dir) = ri.command(tmp.path(), "events-1", "events", Some("ns"));
    ri.mount_source(tmp.path());
    let c = c.env("ORDINAL", "1");
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = config_dir.join("server.properties");
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o077,
        0,
        "the key is in it"
    );
    let text = fs::read_to_string(&path).unwrap();
    let props: BTreeMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| l.split_once('=').unwrap())
        .collect();
    assert_eq!(props["listeners"], "BROKER://:9092,CONTROLLER://:9093");
    assert_eq!(
        props["advertised.listeners"],
        "BROKER://events-1.events.ns.svc.cluster.local:9092"
    );
    assert_eq!(
        props["listener.security.protocol.map"],
        "BROKER:SSL,CONTROLLER:SSL"
    );
    assert_eq!(props["inter.broker.listener.name"], "BROKER");
    assert_eq!(props["ssl.keystore.type"], "PEM");
    assert_eq!(props["ssl.truststore.location"], "/etc/tls/ca.crt");
    assert_eq!(
        props["listener.name.controller.ssl.client.auth"],
        "required"
    );
    // One line each; the PEM words survive (Kafka's reader skips the spaces).
    assert_eq!(
        props["ssl.keystore.key"]
            .split_whitespace()
            .collect::<Vec<_>>(),
        key.split_whitespace().collect::<Vec<_>>()
    );
    assert_eq!(
        props["ssl.keystore.certificate.chain"]
            .split_whitespace()
            .collect::<Vec<_>>(),
        crt.split_whitespace().collect::<Vec<_>>()
    );
    assert!(props["controller.quorum.voters"]
        .starts_with("0@events-0.events.ns.svc.cluster.local:9093"));
    assert_eq!(props["node.id"], "1");
    // The probes are TCP connects, which TLS does not change.
    let main = container_of(
        pod_of(statefulset(&items, "events")),
        "containers",
        "events",
    );
    assert!(main["readinessProbe"]["tcpSocket"].is_object());
}

#[test]
fn kafka_and_elasticsearch_refuse_backups_and_say_why() {
    assert_backup_refused("kafka", "MirrorMaker 2");
    assert_backup_refused("elasticsearch", "snapshot lifecycle management");
}

// ------------------------------------------------------------------ cassandra

#[test]
fn cassandra_jmx_exporter_reads_the_local_jmx_port() {
    let items = render(
        &preset("cassandra", "ring"),
        &["metrics.enabled=true", "metrics.podMonitor=true"],
    );
    let pod = pod_of(statefulset(&items, "ring"));
    let main = container_of(pod, "containers", "ring");
    let (host, port) = jmx_target(&jmx_config(&items, pod));
    assert_eq!(host, "127.0.0.1");
    let jmx = main["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "jmx")
        .unwrap();
    assert_eq!(jmx["containerPort"].to_string(), port);
    assert_eq!(
        one(&items, "PodMonitor")["spec"]["podMetricsEndpoints"][0]["port"],
        "metrics"
    );
    assert_eq!(rules_for(&items, 5556).len(), 1);
    // The ConfigMap the metrics bring is mounted in the main container away from the image's
    // config (which copy-config fills).
    assert_eq!(mount_path(main, "config"), "/etc/cassandra-metrics");
    assert_eq!(mount_path(main, "etc-cassandra"), "/etc/cassandra");
}

#[test]
fn cassandra_backup_exports_schema_and_user_tables_with_cqlsh() {
    let items = render(
        &preset("cassandra", "ring"),
        &["backup.schedule=0 3 * * *", "backup.claim.size=5Gi"],
    );
    let b = backup_step(&items);
    assert_eq!(env_value(b, "BACKUP_HOST"), "ring-2.ring");
    let script = strings(&b["command"])[2].clone();
    assert!(script.contains("DESCRIBE SCHEMA"), "{script}");
    // The table list: run the filter on cqlsh's output for a few keyspaces.
    let awk = script
        .lines()
        .find(|l| l.trim_start().starts_with("| awk"))
        .unwrap()
        .trim_start()
        .trim_start_matches("| ")
        .trim_end_matches(" \\")
        .to_string();
    let cqlsh_out = " keyspace_name | table_name\n---------------+-----------\n        system |      local\n   system_auth |      roles\n          shop |     orders\n   system_fake |      stuff\n          Shop |       Cart\n\n(5 rows)\n";
    let out = std::process::Command::new("sh")
        .args(["-c", &awk])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(cqlsh_out.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "shop orders\nsystem_fake stuff\nShop Cart\n"
    );
    assert!(
        script.contains("CONSISTENCY QUORUM; COPY \\\"$ks\\\".\\\"$table\\\" TO '$BACKUP_DIR/"),
        "{script}"
    );
    assert_eq!(env_value(b, "CQLSH_TLS_ARGS"), "");
    assert_eq!(b["resources"]["limits"]["memory"], "512Mi");
}

#[test]
fn cassandra_tls_replaces_the_encryption_sections_with_pem_ones() {
    let items = render(
        &preset("cassandra", "ring"),
        &[
            "tls.issuer=ca",
            "backup.schedule=0 3 * * *",
            "backup.claim.size=5Gi",
        ],
    );
    assert_pkcs8(&items);
    let pod = pod_of(statefulset(&items, "ring"));
    let copy = container_of(pod, "initContainers", "copy-config");
    assert_eq!(mount_path(copy, "tls"), "/etc/tls");
    let seed = mount_path(copy, "etc-cassandra");
    let main = container_of(pod, "containers", "ring");
    let etc = mount_path(main, "etc-cassandra");
    // Run copy-config against an image config that has both sections and keys around them.
    let tmp = tempfile::tempdir().unwrap();
    let (image, out, tls) = (
        tmp.path().join("image"),
        tmp.path().join("seed"),
        tmp.path().join("tls"),
    );
    for d in [&image, &out, &tls] {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(
        image.join("cassandra.yaml"),
        "cluster_name: 'Test'\nserver_encryption_options:\n  # the image's comment\n  internode_encryption: none\n  keystore: conf/.keystore\n  keystore_password: cassandra\n\n# a top-level comment\nclient_encryption_options:\n  enabled: false\n  keystore: conf/.keystore\nnum_tokens: 16\n",
    )
    .unwrap();
    fs::write(tls.join("tls.key"), "KEY\n").unwrap();
    fs::write(tls.join("tls.crt"), "CERT\n").unwrap();
    // The image's config as copy-config reads it (not the keystore path it writes into the
    // settings, which is where the main container sees the file).
    let script = strings(&copy["command"])[2]
        .replace("/etc/cassandra/.", &format!("{}/.", image.display()))
        .replace(
            "/etc/cassandra/cassandra.yaml",
            &format!("{}/cassandra.yaml", image.display()),
        )
        .replace(&format!("{seed}/"), &format!("{}/", out.display()))
        .replace("/etc/tls/tls.", &format!("{}/tls.", tls.display()));
    // A stand-in chown: as root (CI) the script hands the file to the image's cassandra user.
    let bin = tmp.path().join("bin");
    common::write_exe(&bin, "chown", "#!/bin/sh\nexit 0\n");
    let run = std::process::Command::new("sh")
        .env("PATH", common::path_with(&bin))
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let yaml = fs::read_to_string(out.join("cassandra.yaml")).unwrap();
    let doc: Value = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"));
    assert_eq!(
        yaml.matches("server_encryption_options:").count(),
        1,
        "{yaml}"
    );
    assert_eq!(
        yaml.matches("client_encryption_options:").count(),
        1,
        "{yaml}"
    );
    assert_eq!(doc["cluster_name"], "Test");
    assert_eq!(doc["num_tokens"], 16);
    let factory = "org.apache.cassandra.security.PEMBasedSslContextFactory";
    let server = &doc["server_encryption_options"];
    let client = &doc["client_encryption_options"];
    assert_eq!(server["internode_encryption"], "all");
    assert_eq!(server["require_client_auth"], true);
    assert_eq!(client["enabled"], true);
    assert_eq!(client["optional"], false);
    for s in [server, client] {
        assert_eq!(s["ssl_context_factory"]["class_name"], factory);
        assert!(
            s.get("keystore_password").is_none(),
            "an unencrypted key: no password"
        );
        // The keystore is the file copy-config joins, as the main container sees it.
        let ks = s["keystore"].as_str().unwrap();
        let name = ks.strip_prefix(&format!("{etc}/")).expect(ks);
        assert_eq!(fs::read_to_string(out.join(name)).unwrap(), "KEY\nCERT\n");
        assert_eq!(
            fs::metadata(out.join(name)).unwrap().permissions().mode() & 0o077,
            0
        );
    }
    assert_eq!(server["truststore"], "/etc/tls/ca.crt");
    // cqlsh in the backup job speaks TLS, trusting the CA it mounts.
    let b = backup_step(&items);
    assert_eq!(env_value(b, "CQLSH_TLS_ARGS"), "--ssl");
    assert_eq!(
        env_value(b, "SSL_CERTFILE"),
        format!("{}/ca.crt", mount_path(b, "tls"))
    );
}

// ------------------------------------------------------------------ elasticsearch

#[test]
fn elasticsearch_exporter_in_every_node_set() {
    let items = render(
        &preset("elasticsearch", "logs"),
        &["metrics.enabled=true", "metrics.serviceMonitor=true"],
    );
    let sets = all(&items, "StatefulSet");
    assert_eq!(sets.len(), 2);
    for sts in sets {
        let m = container_of(pod_of(sts), "containers", "metrics");
        let c = strings(&m["command"]);
        assert!(
            c.contains(&"--es.uri=http://127.0.0.1:9200".to_string()),
            "{c:?}"
        );
        assert!(
            c.contains(&"--web.listen-address=:$(METRICS_PORT)".to_string()),
            "{c:?}"
        );
        assert_eq!(m["ports"][0]["containerPort"], 9114);
    }
    assert_eq!(all(&items, "ServiceMonitor").len(), 2);
}

#[test]
fn elasticsearch_tls_turns_security_on_with_files_in_the_config_dir() {
    let items = render(
        &preset("elasticsearch", "logs"),
        &["tls.issuer=ca", "metrics.enabled=true"],
    );
    assert_eq!(all(&items, "Certificate").len(), 2, "one per node set");
    assert_pkcs8(&items);
    for sts in all(&items, "StatefulSet") {
        let name = sts["metadata"]["name"].as_str().unwrap();
        let pod = pod_of(sts);
        let main = container_of(pod, "containers", name);
        let env = env_map(main);
        assert_eq!(env["xpack.security.enabled"], "true");
        assert_eq!(env["xpack.security.http.ssl.enabled"], "true");
        assert_eq!(env["xpack.security.transport.ssl.enabled"], "true");
        // Every TLS file setting resolves (against the config dir) to the mounted Secret.
        let config = mount_path(main, "es-config");
        let mounts = common::mounts(main);
        for (k, v) in &env {
            if k.starts_with("xpack.security.")
                && (k.ends_with(".key")
                    || k.ends_with(".certificate")
                    || k.ends_with(".certificate_authorities"))
            {
                let full = format!("{config}/{v}");
                let (dir, file) = full.rsplit_once('/').unwrap();
                assert_eq!(mounts.get(dir).map(String::as_str), Some("tls"), "{k}={v}");
                assert!(["tls.key", "tls.crt", "ca.crt"].contains(&file), "{k}={v}");
            }
        }
        // elastic's bootstrap password and the monitor user's, from the Secret.
        let secret_name = volume(pod, "es-secrets")["secret"]["secretName"]
            .as_str()
            .unwrap()
            .to_string();
        let secret = common::named(&items, "Secret", &secret_name);
        let (s, key) =
            common::secret_behind(&items_for(&items, sts), main, &env["ELASTIC_PASSWORD_FILE"]);
        assert_eq!(
            (s.as_str(), key.as_str()),
            (secret_name.as_str(), "elastic-password")
        );
        assert!(secret["data"]["monitor-password"].is_string());
        // copy-config adds the file-realm user with the monitoring role only.
        let copy = container_of(pod, "initContainers", "copy-config");
        let script = strings(&copy["command"])[2].clone();
        assert!(script.contains("useradd monitor"), "{script}");
        assert!(
            script.contains("-r remote_monitoring_collector"),
            "{script}"
        );
        assert!(
            script.contains(&format!(
                "$(cat {}/monitor-password)",
                mount_path(copy, "es-secrets")
            )),
            "{script}"
        );
        // The readiness probe logs in as monitor over https, trusting the mounted CA.
        let probe = strings(&main["readinessProbe"]["exec"]["command"])[2].clone();
        assert!(main["readinessProbe"].get("httpGet").is_none());
        assert!(probe.contains("user = \"monitor:%s\""), "{probe}");
        assert!(probe.contains("https://localhost:9200/"), "{probe}");
        let ca = probe
            .split("--cacert ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let (dir, _) = ca.rsplit_once('/').unwrap();
        assert_eq!(mounts.get(dir).map(String::as_str), Some("tls"), "{ca}");
        // The exporter: user monitor, its password alone in its mount, https with the CA.
        let m = container_of(pod, "containers", "metrics");
        assert_eq!(env_value(m, "ES_USERNAME"), "monitor");
        let script = strings(&m["command"])[2].clone();
        assert!(
            script.contains("--es.uri=https://localhost:9200"),
            "{script}"
        );
        assert!(
            script.contains(&format!("--es.ca={}/ca.crt", mount_path(m, "tls"))),
            "{script}"
        );
        let vol = volume(pod, "metrics-secret");
        assert_eq!(
            vol["secret"]["items"],
            serde_json::json!([{"key": "monitor-password", "path": "password"}])
        );
        assert!(
            script.contains(&format!(
                "$(cat {}/password)",
                mount_path(m, "metrics-secret")
            )),
            "{script}"
        );
    }
}

/// The objects of one node set (its StatefulSet first), for helpers that look at "the" pod.
fn items_for(items: &[Value], sts: &Value) -> Vec<Value> {
    let mut v = vec![sts.clone()];
    v.extend(items.iter().filter(|i| i["kind"] != "StatefulSet").cloned());
    v
}

// ------------------------------------------------------------------ all four

/// The day-2 examples of these presets render and `sts-gen lint` finds nothing in them.
#[test]
fn day2_examples_render_and_lint_clean() {
    for p in ["cassandra", "elasticsearch", "kafka", "mongodb"] {
        let file = format!("examples/day2/{p}-day2.yaml");
        let items = common::json_items(cmd().args(["render", &file]));
        assert!(
            !all(&items, "ServiceMonitor").is_empty() || !all(&items, "PodMonitor").is_empty(),
            "{p}"
        );
        assert!(!all(&items, "Certificate").is_empty(), "{p}");
        let r = run(cmd().args(["lint", &file, "-o", "json", "--fail-on", "warning"]));
        assert_eq!(r.code, 0, "{file}: {}{}", r.stdout, r.stderr);
        let report: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(report["findings"], serde_json::json!([]), "{file}");
    }
}

/// Each feature alone: lint finds nothing; off (explicitly) renders what the preset renders.
#[test]
fn each_feature_alone_lints_clean_and_off_changes_nothing() {
    let features: [(&str, &str); 3] = [
        (
            "metrics",
            "metrics: {enabled: true, serviceMonitor: true, podMonitor: true}\n",
        ),
        (
            "backup",
            "backup: {schedule: \"0 3 * * *\", claim: {size: 5Gi}}\n",
        ),
        ("tls", "tls: {issuer: ca}\n"),
    ];
    for p in ["cassandra", "elasticsearch", "kafka", "mongodb"] {
        let base = preset(p, "app");
        let off = render(&base, &[]);
        let explicit = render(&base, &["metrics.enabled=false", "tls.issuer=null"]);
        assert_eq!(off, explicit, "{p}: an off feature changed the output");
        for kind in ["CronJob", "ServiceMonitor", "PodMonitor", "Certificate"] {
            assert!(all(&off, kind).is_empty(), "{p}: {kind} while off");
        }
        for sts in all(&off, "StatefulSet") {
            assert!(
                !pod_of(sts)["containers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["name"] == "metrics"),
                "{p}"
            );
        }
        for (feature, text) in features {
            if feature == "backup" && matches!(p, "kafka" | "elasticsearch") {
                continue; // refused: kafka_and_elasticsearch_refuse_backups_and_say_why
            }
            let r = run(cmd()
                .args(["lint", "-", "-o", "json", "--fail-on", "warning"])
                .write_stdin(format!("{base}{text}").into_bytes()));
            assert_eq!(r.code, 0, "{p} with {feature}: {}{}", r.stdout, r.stderr);
            let report: Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(
                report["findings"],
                serde_json::json!([]),
                "{p} with {feature}"
            );
        }
    }
}

/// A preset's `tls.with` adds keys to `backup` (the TLS job command): an error about the
/// user's own `backup` still points at the user's line, not into the preset's `with`.
#[test]
fn an_error_in_a_backup_extended_by_tls_is_at_the_users_line() {
    for p in ["redis", "mysql", "postgresql", "etcd", "zookeeper"] {
        let text = format!(
            "{}tls: {{issuer: ca}}\nbackup: {{schedule: \"0 3 * * *\"}}\n",
            preset(p, "x")
        );
        let r = run(cmd().args(["render", "-"]).write_stdin(text.into_bytes()));
        assert_eq!(r.code, 2, "{p}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("<stdin>:7:9: backup: missing `claim: {size}` or `existingClaim`"),
            "{p}: {}",
            r.stderr
        );
    }
}

/// The zookeeper backup reads the last member's claim: without persistent storage, or with
/// no member, that claim does not exist and the job's pod would wait for it forever.
#[test]
fn a_backup_reading_a_member_claim_needs_that_claim() {
    let backup = "backup: {schedule: \"0 3 * * *\", claim: {size: 1Gi}}\n";
    for (extra, want) in [
        (
            "storage: none\n",
            "<stdin>:6:10: storage: the backup job reads the member claim `data-zk-2`, but without persistent storage no claim is rendered",
        ),
        (
            "replicas: 0\n",
            "<stdin>:6:11: replicas: the backup job reads the member claim `data-zk--1`, which 0 replicas do not have: scale to at least 1",
        ),
    ] {
        let text = format!("{}{extra}{backup}", preset("zookeeper", "zk"));
        let r = run(cmd().args(["render", "-"]).write_stdin(text.into_bytes()));
        assert_eq!(r.code, 2, "{extra}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(want), "{extra}: {}", r.stderr);
    }
    // With the claim there, it renders and mounts it.
    let items = render(&format!("{}{backup}", preset("zookeeper", "zk")), &[]);
    assert_eq!(all(&items, "CronJob").len(), 1);
}
