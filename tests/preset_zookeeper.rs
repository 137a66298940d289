//! The `zookeeper` preset (profiles/zookeeper.yaml): the identity and peer wiring is checked on
//! the rendered objects, and the generated shell (role init, main command, probes) is run for
//! real under `sh`/`bash` with fake pod names and fake `nc` / entrypoint programs.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use common::{env_entry, mount_path, names, one, path_with, pod, role_init, strings, write_exe};
use serde_json::{json, Value};
use sts_gen::model;

fn preset_text() -> String {
    common::bundled_text("zookeeper")
}

/// The preset as a user instance `zk` with headless Service `zk-hs`.
fn renamed(text: &str) -> String {
    common::renamed(text, "zookeeper", "zk")
}

fn render(text: &str, opts: &model::Options) -> Vec<Value> {
    common::render_bundled("zookeeper", text, opts)
}

/// `key=value` lines of a zoo.cfg (comments and blank lines skipped), in order.
fn properties(cfg: &str) -> Vec<(String, String)> {
    cfg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("not k=v: {l}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The `server.N` entries of a zoo.cfg as (N, value).
fn servers(cfg: &str) -> Vec<(u32, String)> {
    properties(cfg)
        .into_iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("server.")
                .map(|n| (n.parse::<u32>().unwrap(), v))
        })
        .collect()
}

fn expected_servers(
    app: &str,
    headless: &str,
    ns: &str,
    domain: &str,
    n: u32,
) -> Vec<(u32, String)> {
    (0..n)
        .map(|i| {
            (
                i + 1,
                format!("{app}-{i}.{headless}.{ns}.svc.{domain}:2888:3888"),
            )
        })
        .collect()
}

#[test]
fn myid_is_ordinal_plus_one_for_any_pod() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let mut cfgs = Vec::new();
    for (pod_name, ordinal, myid) in [("zk-0", 0, 1), ("zk-1", 1, 2), ("zk-4", 4, 5)] {
        let files = ri.run_ok(tmp.path(), pod_name, "zk-hs", "zk-ns");
        assert_eq!(files["myid"], format!("{myid}\n"), "{pod_name}");
        assert_eq!(files["pod-ordinal"], format!("{ordinal}\n"), "{pod_name}");
        assert_eq!(
            files.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "logback.xml",
                "myid",
                "pod-ordinal",
                "pod-role",
                "zoo-base.cfg",
                "zoo.cfg"
            ]
        );
        cfgs.push(files["zoo.cfg"].clone());
    }
    // Every server gets the same ensemble description; only myid differs.
    assert!(cfgs.iter().all(|c| *c == cfgs[0]));
    assert_eq!(
        servers(&cfgs[0]),
        expected_servers("zk", "zk-hs", "zk-ns", "cluster.local", 3)
    );
}

#[test]
fn role_init_fails_on_a_pod_name_without_ordinal() {
    let items = render(&preset_text(), &model::Options::default());
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let run = ri.run(tmp.path(), "zookeeper-x", "zookeeper", Some("ns"));
    assert!(!run.out.status.success());
    assert!(!run.config_dir.join("myid").exists());
}

#[test]
fn server_list_has_exactly_replicas_entries_with_dns_names() {
    let items = render(&preset_text(), &model::Options::default());
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(sts["spec"]["serviceName"], "zookeeper");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "zookeeper-2", "zookeeper", "prod");
    assert_eq!(files["myid"], "3\n");
    assert_eq!(
        servers(&files["zoo.cfg"]),
        expected_servers("zookeeper", "zookeeper", "prod", "cluster.local", 3)
    );
}

#[test]
fn server_list_follows_replicas_namespace_and_cluster_domain() {
    // Through the CLI flags: -n and --cluster-domain.
    let text = common::with_replicas(&renamed(&preset_text()), 3, 5);
    let items = common::render_stdin(&text, &["-n", "other", "--cluster-domain", "example.org"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["namespace"], "other");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(sts["spec"]["serviceName"], "zk-hs");
    let headless = common::headless_services(&items);
    assert_eq!(headless.len(), 1);
    assert_eq!(headless[0]["metadata"]["name"], "zk-hs");
    assert_eq!(headless[0]["metadata"]["namespace"], "other");
    assert_eq!(headless[0]["spec"]["publishNotReadyAddresses"], true);

    // In the pod, the script's NAMESPACE is the pod's own namespace (downward API).
    let init = &pod(&items)["initContainers"][0];
    assert_eq!(
        env_entry(init, "NAMESPACE")["valueFrom"],
        json!({"fieldRef": {"fieldPath": "metadata.namespace"}})
    );
    assert_eq!(env_entry(init, "HEADLESS")["value"], "zk-hs");

    let ri = role_init(&items);
    assert!(!ri.script.contains("cluster.local"), "{}", ri.script);
    let tmp = tempfile::tempdir().unwrap();
    for (pod_name, myid) in [("zk-0", "1\n"), ("zk-4", "5\n")] {
        let files = ri.run_ok(tmp.path(), pod_name, "zk-hs", "other");
        assert_eq!(files["myid"], myid);
        let list = servers(&files["zoo.cfg"]);
        assert_eq!(list.len(), 5);
        assert_eq!(
            list,
            expected_servers("zk", "zk-hs", "other", "example.org", 5)
        );
    }
}

#[test]
fn zoo_cfg_matches_the_ports_mounts_and_probes() {
    let items = render(&preset_text(), &model::Options::default());
    let pod = pod(&items);
    let main = &pod["containers"][0];
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
            ("client".to_string(), 2181),
            ("server".to_string(), 2888),
            ("leader-election".to_string(), 3888),
        ])
    );

    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "zookeeper-0", "zookeeper", "ns");
    let props: BTreeMap<String, String> = properties(&files["zoo.cfg"]).into_iter().collect();
    // Every server line uses the container's ports: server:leader-election; the client port
    // is zoo.cfg's own `clientPort` (a server line's `;port` would override `clientPortAddress`).
    for (_, v) in servers(&files["zoo.cfg"]) {
        let (_, ports_part) = v.split_once(':').unwrap();
        assert_eq!(
            ports_part,
            format!("{}:{}", ports["server"], ports["leader-election"])
        );
    }
    assert_eq!(props["clientPort"], ports["client"].to_string());
    assert!(!props.contains_key("clientPortAddress"), "{props:?}");
    // dataDir is the volume claim's mount, which is where myid must be.
    assert_eq!(props["dataDir"], mount_path(main, "data"));
    // zoo.cfg is read from /conf, the image's ZOO_CONF_DIR: the config mount.
    assert_eq!(mount_path(main, "config"), "/conf");
    assert_eq!(
        env_entry(&pod["initContainers"][0], "CONFIG_DIR")["value"],
        "/conf"
    );

    // The four-letter words the probes send are whitelisted, on the client port.
    let whitelist: Vec<&str> = props["4lw.commands.whitelist"]
        .split(',')
        .map(str::trim)
        .collect();
    for probe in ["readinessProbe", "livenessProbe"] {
        let cmd = strings(&main[probe]["exec"]["command"]);
        let word = cmd[2]
            .strip_prefix("printf ")
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("{probe}: {cmd:?}"));
        assert!(whitelist.contains(&word), "{probe} sends {word}");
        assert!(
            cmd[2].contains(&format!("127.0.0.1 {}", ports["client"])),
            "{cmd:?}"
        );
    }
    assert_ne!(main["readinessProbe"], main["livenessProbe"]);
}

/// A fake `nc` that answers the four-letter word read from stdin from `$FAKE_ZK/<word>`
/// (no file: connection refused) and logs its arguments. Like ZooKeeper, it takes exactly
/// four bytes: anything more (`echo`'s newline) is left unread, and the server's close then
/// resets the connection, which on a real server loses the answer in up to a quarter of the
/// probes (observed by tests/engines); here it always does.
fn fake_nc(bin: &Path) {
    write_exe(
        bin,
        "nc",
        "#!/bin/sh\necho \"$*\" >> \"$FAKE_ZK/nc.log\"\nword=$(cat; echo .)\nword=${word%.}\n[ \"${#word}\" -eq 4 ] || { echo 'nc: read: Connection reset by peer' >&2; exit 1; }\n[ -f \"$FAKE_ZK/$word\" ] || exit 1\ncat \"$FAKE_ZK/$word\"\n",
    );
}

fn run_probe(cmd: &[String], bin: &Path, fake: &Path) -> Output {
    std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .env_clear()
        .env("PATH", path_with(bin))
        .env("FAKE_ZK", fake)
        .output()
        .unwrap()
}

#[test]
fn readiness_needs_a_quorum_and_liveness_needs_imok() {
    let items = render(&preset_text(), &model::Options::default());
    let main = &pod(&items)["containers"][0];
    let ready = strings(&main["readinessProbe"]["exec"]["command"]);
    let live = strings(&main["livenessProbe"]["exec"]["command"]);
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fake_nc(&bin);
    let fake = tmp.path().join("zk");
    fs::create_dir_all(&fake).unwrap();

    // Down: nothing answers.
    assert!(!run_probe(&ready, &bin, &fake).status.success());
    assert!(!run_probe(&live, &bin, &fake).status.success());

    // Running but outside a quorum: alive, not ready.
    fs::write(fake.join("ruok"), "imok").unwrap();
    fs::write(
        fake.join("srvr"),
        "This ZooKeeper instance is not currently serving requests\n",
    )
    .unwrap();
    assert!(run_probe(&live, &bin, &fake).status.success());
    assert!(!run_probe(&ready, &bin, &fake).status.success());

    // In a quorum.
    for mode in ["follower", "leader", "standalone"] {
        fs::write(
            fake.join("srvr"),
            format!("Zookeeper version: 3.9.4\nLatency min/avg/max: 0/0.0/0\nZxid: 0x100000000\nMode: {mode}\nNode count: 5\n"),
        )
        .unwrap();
        assert!(run_probe(&ready, &bin, &fake).status.success(), "{mode}");
    }
    let log = fs::read_to_string(fake.join("nc.log")).unwrap();
    assert!(log.lines().all(|l| l.ends_with("127.0.0.1 2181")), "{log}");
}

#[test]
fn main_command_installs_myid_in_the_data_dir_then_starts_the_image_entrypoint() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let main = &pod(&items)["containers"][0];
    assert_eq!(main["name"], "zk");
    let cmd = strings(&main["command"]);
    assert_eq!(&cmd[..2], &["bash", "-c"]);
    let (conf, data) = (mount_path(main, "config"), mount_path(main, "data"));
    assert!(cmd[2].contains(&format!("{conf}/myid")) && cmd[2].contains(&format!("{data}/myid")));

    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    ri.run_ok(tmp.path(), "zk-4", "zk-hs", "ns");
    let conf_dir = tmp.path().join("conf-zk-4");
    let data_dir = tmp.path().join("data");
    fs::create_dir_all(&data_dir).unwrap();
    // A stale myid (say, from an earlier misconfiguration) is replaced.
    fs::write(data_dir.join("myid"), "1\n").unwrap();
    let entrypoint = tmp.path().join("docker-entrypoint.sh");
    write_exe(
        tmp.path(),
        "docker-entrypoint.sh",
        "#!/bin/sh\necho \"$*\" > \"$(dirname \"$0\")/entrypoint.args\"\n",
    );
    let script = cmd[2]
        .replace(&format!("{conf}/"), &format!("{}/", conf_dir.display()))
        .replace(&format!("{data}/"), &format!("{}/", data_dir.display()))
        .replace("/docker-entrypoint.sh", &entrypoint.display().to_string());
    common::shell_ok("bash", &script);
    assert_eq!(fs::read_to_string(data_dir.join("myid")).unwrap(), "5\n");
    assert_eq!(
        fs::read_to_string(tmp.path().join("entrypoint.args")).unwrap(),
        "zkServer.sh start-foreground\n"
    );
}

#[test]
fn availability_placement_and_resources() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let sts = one(&items, "StatefulSet");
    let spec = &sts["spec"];
    assert_eq!(spec["podManagementPolicy"], "Parallel");
    assert_eq!(spec["updateStrategy"]["type"], "RollingUpdate");
    let pod_labels = &spec["template"]["metadata"]["labels"];
    assert_eq!(pod_labels["app.kubernetes.io/name"], "zk");

    let pdb = one(&items, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"], spec["selector"]);

    let terms = spec["template"]["spec"]["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .unwrap();
    assert_eq!(terms.len(), 1);
    let term = &terms[0]["podAffinityTerm"];
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(
        term["labelSelector"],
        json!({"matchLabels": {"app.kubernetes.io/name": "zk"}})
    );

    let main = &spec["template"]["spec"]["containers"][0];
    let image = main["image"].as_str().unwrap();
    let tag = image.strip_prefix("zookeeper:3.9.").expect(image);
    assert!(
        tag.parse::<u32>().is_ok(),
        "{image} is not pinned to a patch release"
    );
    assert_eq!(
        spec["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(main["resources"]["requests"]["cpu"].is_string());
    assert_eq!(
        main["resources"]["limits"]["memory"],
        main["resources"]["requests"]["memory"]
    );
    // The heap (MiB) stays well under the memory limit.
    let heap: u64 = env_entry(main, "ZK_SERVER_HEAP")["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(main["resources"]["limits"]["memory"], "1Gi");
    assert!(heap * 2 <= 1024, "heap {heap} MiB");
}

#[test]
fn preset_file_leaves_instance_identity_to_the_user() {
    let text = preset_text();
    assert!(
        text.starts_with("# ZooKeeper: "),
        "first line is the preset summary"
    );
    common::assert_preset_leaves_identity(&text, "zookeeper");
    // No instance name is baked in: a renamed render never mentions `zookeeper-<n>` peers.
    let items = render(&renamed(&text), &model::Options::default());
    let json = serde_json::to_string(&items).unwrap();
    assert!(!json.contains("zookeeper-0"), "hard-coded peer name");
    assert!(!json.contains(".zookeeper."), "hard-coded headless name");
}

#[test]
fn a_user_profile_built_on_the_preset_gets_its_own_ensemble() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: zookeeper\nname: coord\nreplicas: 5\nstorage: {size: 5Gi, className: fast}\n";
    let items = common::render_stdin(user, &["-n", "infra"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["name"], "coord");
    assert_eq!(sts["metadata"]["namespace"], "infra");
    assert_eq!(sts["spec"]["replicas"], 5);
    let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
    assert_eq!(claim["storageClassName"], "fast");
    assert_eq!(claim["resources"]["requests"]["storage"], "5Gi");
    assert_eq!(pod(&items)["containers"][0]["name"], "coord");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "coord-3", "coord", "infra");
    assert_eq!(files["myid"], "4\n");
    assert_eq!(
        servers(&files["zoo.cfg"]),
        expected_servers("coord", "coord", "infra", "cluster.local", 5)
    );
}

/// The preset under a user profile `zk` in namespace `ns`, with `extra` profile lines.
fn user(extra: &str) -> Vec<Value> {
    let text =
        format!("apiVersion: sts-gen/v1\nkind: Profile\npreset: zookeeper\nname: zk\n{extra}");
    common::render_stdin(&text, &["-n", "ns"])
}

/// The zoo.cfg the role init writes for `pod` of `user(..)`, as key -> value; no key twice
/// (a feature's fragment must not restate a key of zoo-base.cfg).
fn zoo_cfg(items: &[Value], pod: &str) -> BTreeMap<String, String> {
    let ri = role_init(items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), pod, "zk", "ns");
    let list = properties(&files["zoo.cfg"]);
    let map: BTreeMap<String, String> = list.iter().cloned().collect();
    assert_eq!(map.len(), list.len(), "a key appears twice: {list:?}");
    map
}

/// The main container's ports by name.
fn port_names(items: &[Value]) -> BTreeMap<String, u64> {
    pod(items)["containers"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["containerPort"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn metrics_on_runs_zookeepers_prometheus_provider_on_the_metrics_port() {
    let off = user("");
    let cfg = zoo_cfg(&off, "zk-0");
    assert!(
        !cfg.keys().any(|k| k.starts_with("metricsProvider")),
        "{cfg:?}"
    );
    assert!(!port_names(&off).contains_key("metrics"));

    let on = user("metrics: {enabled: true, serviceMonitor: true, from: [monitoring]}\n");
    let cfg = zoo_cfg(&on, "zk-2");
    assert_eq!(
        cfg["metricsProvider.className"],
        "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
    );
    let port = port_names(&on)["metrics"];
    assert_eq!(cfg["metricsProvider.httpPort"], port.to_string());
    // ZooKeeper serves them itself: no exporter sidecar.
    assert_eq!(pod(&on)["containers"].as_array().unwrap().len(), 1);
    let svc = common::named(&on, "Service", "zk-metrics");
    assert_eq!(svc["spec"]["ports"][0]["port"], port);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], "metrics");
    // The provider's servlet path.
    assert_eq!(
        one(&on, "ServiceMonitor")["spec"]["endpoints"][0]["path"],
        "/metrics"
    );
    let np = one(&on, "NetworkPolicy");
    let rule = np["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ports"][0]["port"] == port)
        .expect("a NetworkPolicy rule for the metrics port");
    assert_eq!(
        rule["from"][1]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "monitoring"
    );
}

#[test]
fn tls_moves_clients_to_the_secure_port_and_the_quorum_to_tls() {
    let items = user("tls: {issuer: zk-ca}\n");
    let main = &pod(&items)["containers"][0];
    let ports = port_names(&items);
    let cfg = zoo_cfg(&items, "zk-1");
    assert_eq!(cfg["secureClientPort"], ports["client-tls"].to_string());
    // The plain port stays, on loopback only, where the probes' four-letter words go.
    assert_eq!(cfg["clientPort"], ports["client"].to_string());
    assert_eq!(cfg["clientPortAddress"], "127.0.0.1");
    for probe in ["readinessProbe", "livenessProbe"] {
        let cmd = strings(&main[probe]["exec"]["command"]);
        assert!(
            cmd[2].contains(&format!("127.0.0.1 {}", ports["client"])),
            "{cmd:?}"
        );
    }
    assert_eq!(
        cfg["serverCnxnFactory"],
        "org.apache.zookeeper.server.NettyServerCnxnFactory"
    );
    assert_eq!(cfg["sslQuorum"], "true");
    let tls_dir = mount_path(main, "tls");
    let conf = mount_path(main, "config");
    for prefix in ["ssl.", "ssl.quorum."] {
        assert_eq!(cfg[&format!("{prefix}keyStore.type")], "PEM");
        assert_eq!(cfg[&format!("{prefix}trustStore.type")], "PEM");
        assert_eq!(
            cfg[&format!("{prefix}trustStore.location")],
            format!("{tls_dir}/ca.crt")
        );
    }
    let store = &cfg["ssl.keyStore.location"];
    assert_eq!(store, &cfg["ssl.quorum.keyStore.location"]);
    assert!(store.starts_with(&format!("{conf}/")), "{store}");
    // The Services carry the secure port; the Certificate's key is PKCS#8, the only form
    // ZooKeeper's PEM reader takes.
    let headless = common::named(&items, "Service", "zk");
    assert!(headless["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["port"] == ports["client-tls"]));
    assert_eq!(
        one(&items, "Certificate")["spec"]["privateKey"]["encoding"],
        "PKCS8"
    );

    // The command writes that key store (key, then certificate: one PEM file) owner-only from
    // the mounted Secret on every start, then starts as without TLS.
    let cmd = strings(&main["command"]);
    assert_eq!(&cmd[..2], &["bash", "-c"]);
    let tmp = tempfile::tempdir().unwrap();
    let (t, c, d) = (
        tmp.path().join("tls"),
        tmp.path().join("conf"),
        tmp.path().join("data"),
    );
    for dir in [&t, &c, &d] {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(
        t.join("tls.key"),
        "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    fs::write(
        t.join("tls.crt"),
        "-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    fs::write(c.join("myid"), "2\n").unwrap();
    write_exe(
        tmp.path(),
        "docker-entrypoint.sh",
        "#!/bin/sh\necho \"$*\" > \"$(dirname \"$0\")/entrypoint.args\"\n",
    );
    let script = cmd[2]
        .replace(&format!("{tls_dir}/"), &format!("{}/", t.display()))
        .replace(&format!("{conf}/"), &format!("{}/", c.display()))
        .replace(
            &format!("{}/", mount_path(main, "data")),
            &format!("{}/", d.display()),
        )
        .replace(
            "/docker-entrypoint.sh",
            &tmp.path()
                .join("docker-entrypoint.sh")
                .display()
                .to_string(),
        );
    common::shell_ok("bash", &script);
    let written = c.join(store.strip_prefix(&format!("{conf}/")).unwrap());
    assert_eq!(
        fs::read_to_string(&written).unwrap(),
        format!(
            "{}{}",
            fs::read_to_string(t.join("tls.key")).unwrap(),
            fs::read_to_string(t.join("tls.crt")).unwrap()
        )
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&written).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(fs::read_to_string(d.join("myid")).unwrap(), "2\n");
    assert_eq!(
        fs::read_to_string(tmp.path().join("entrypoint.args")).unwrap(),
        "zkServer.sh start-foreground\n"
    );
}

#[test]
fn backup_copies_the_last_members_newest_snapshots_and_the_logs_they_need() {
    let items = user("replicas: 5\nbackup: {schedule: \"0 3 * * *\", claim: {size: 5Gi}}\n");
    let sts = one(&items, "StatefulSet");
    let template = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
        .as_str()
        .unwrap();
    let cj = one(&items, "CronJob");
    let job = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let backup = job["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backup")
        .unwrap();
    // The last member's claim, as the StatefulSet controller names it, read-only.
    let mount = backup["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "member-data")
        .unwrap();
    assert_eq!(mount["readOnly"], true);
    let vol = job["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "member-data")
        .unwrap();
    assert_eq!(
        vol["persistentVolumeClaim"]["claimName"],
        format!("{template}-zk-4")
    );
    assert_eq!(vol["persistentVolumeClaim"]["readOnly"], true);
    // Beside that member, where its ReadWriteOnce volume can be mounted.
    let term = &job["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(
        term["labelSelector"]["matchLabels"]["statefulset.kubernetes.io/pod-name"],
        "zk-4"
    );
    // The job reads version-2 of the claim, where ZooKeeper keeps dataDir's files.
    let cfg = zoo_cfg(&items, "zk-4");
    assert_eq!(
        cfg["dataDir"],
        mount_path(&pod(&items)["containers"][0], "data")
    );
    let cmd = strings(&backup["command"]);
    let member = mount["mountPath"].as_str().unwrap();
    assert!(
        cmd[2].contains(&format!("{member}/version-2")),
        "{}",
        cmd[2]
    );

    // The script for real: zxids are hex without padding (snapshot.9 is older than snapshot.1a).
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("member");
    fs::create_dir_all(src.join("version-2")).unwrap();
    for f in [
        "snapshot.0",
        "snapshot.9",
        "snapshot.1a",
        "snapshot.100",
        "log.1",
        "log.8",
        "log.1b",
        "log.101",
        "acceptedEpoch",
    ] {
        fs::write(src.join("version-2").join(f), format!("content of {f}")).unwrap();
    }
    let run = |out: &Path| {
        fs::create_dir_all(out).unwrap();
        std::process::Command::new("bash")
            .arg("-c")
            .arg(cmd[2].replace(&format!("{member}/"), &format!("{}/", src.display())))
            .env("BACKUP_DIR", out)
            .output()
            .unwrap()
    };
    let out = tmp.path().join("out");
    let r = run(&out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = names(&out);
    // The newest two snapshots (0x1a, 0x100), the log holding 0x1a (log.8) and every later one.
    assert_eq!(
        got,
        ["log.101", "log.1b", "log.8", "snapshot.100", "snapshot.1a"]
    );
    for f in &got {
        assert_eq!(
            fs::read_to_string(out.join(f)).unwrap(),
            format!("content of {f}")
        );
    }
    // No snapshot at all: the job fails (and `store` keeps nothing).
    for f in ["snapshot.0", "snapshot.9", "snapshot.1a", "snapshot.100"] {
        fs::remove_file(src.join("version-2").join(f)).unwrap();
    }
    let r = run(&tmp.path().join("out2"));
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("no snapshot"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}
