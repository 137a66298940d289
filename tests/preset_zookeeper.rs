//! The `zookeeper` preset (profiles/zookeeper.yaml): the identity and peer wiring is checked on
//! the rendered objects, and the generated shell (role init, main command, probes) is run for
//! real under `sh`/`bash` with fake pod names and fake `nc` / entrypoint programs.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use common::{env_entry, mount_path, one, path_with, pod, role_init, strings, write_exe};
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
                format!("{app}-{i}.{headless}.{ns}.svc.{domain}:2888:3888;2181"),
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
    // Every server line uses the container's ports: server:leader-election;client.
    for (_, v) in servers(&files["zoo.cfg"]) {
        let (_, ports_part) = v.split_once(':').unwrap();
        assert_eq!(
            ports_part,
            format!(
                "{}:{};{}",
                ports["server"], ports["leader-election"], ports["client"]
            )
        );
    }
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
