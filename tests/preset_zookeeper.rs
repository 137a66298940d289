//! The `zookeeper` preset (profiles/zookeeper.yaml): the identity and peer wiring is checked on
//! the rendered objects, and the generated shell (role init, main command, probes) is run for
//! real under `sh`/`bash` with fake pod names and fake `nc` / entrypoint programs.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::{json, Value};
use sts_gen::{model, profile, render};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn preset_text() -> String {
    fs::read_to_string(Path::new(ROOT).join("profiles/zookeeper.yaml")).unwrap()
}

/// Replaces `from`, which must occur exactly once, so a stale edit fails loudly.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

/// The preset as a user instance `zk` with headless Service `zk-hs`.
fn renamed(text: &str) -> String {
    let t = edit(text, "\nname: zookeeper\n", "\nname: zk\n");
    edit(
        &t,
        "headless: {publishNotReadyAddresses: true}",
        "headless: {name: zk-hs, publishNotReadyAddresses: true}",
    )
}

fn render(text: &str, opts: &model::Options) -> Vec<Value> {
    let loaded = profile::load_bytes(
        "zookeeper.yaml",
        text.as_bytes(),
        &Path::new(ROOT).join("profiles"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let renderer = render::Renderer::new(None).unwrap();
    sts_gen::build(&loaded, opts, &renderer)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|d| d.value)
        .collect()
}

/// Renders through the binary (`render - -o json` plus `args`), profile text on stdin.
fn render_cli(text: &str, args: &[&str]) -> Vec<Value> {
    let out = Command::cargo_bin("sts-gen")
        .unwrap()
        .current_dir(ROOT)
        .env_remove("STS_GEN_TEMPLATES")
        .args(["render", "-", "-o", "json"])
        .args(args)
        .write_stdin(text.as_bytes().to_vec())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list["items"].as_array().unwrap().clone()
}

fn find<'a>(items: &'a [Value], kind: &str) -> Vec<&'a Value> {
    items.iter().filter(|i| i["kind"] == kind).collect()
}

fn one<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    let found = find(items, kind);
    assert_eq!(found.len(), 1, "expected one {kind}");
    found[0]
}

fn pod(items: &[Value]) -> &Value {
    &one(items, "StatefulSet")["spec"]["template"]["spec"]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn env_of<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name} in {}", container["name"]))
}

fn mount_path(container: &Value, volume: &str) -> String {
    container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume)
        .unwrap_or_else(|| panic!("{} does not mount {volume}", container["name"]))["mountPath"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The role init script and the ConfigMap files as the `config-source` volume lays them out.
struct RoleInit {
    script: String,
    source: BTreeMap<String, String>,
}

fn role_init(items: &[Value]) -> RoleInit {
    let pod = pod(items);
    let init = &pod["initContainers"][0];
    assert_eq!(init["name"], "role-init");
    let command = strings(&init["command"]);
    assert_eq!(&command[..2], &["sh", "-c"]);
    let cm = one(items, "ConfigMap");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "config-source")
        .expect("config-source volume");
    assert_eq!(volume["configMap"]["name"], cm["metadata"]["name"]);
    let mut source = BTreeMap::new();
    for item in volume["configMap"]["items"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let content = cm["data"][key].as_str().expect("item key in the ConfigMap");
        source.insert(
            item["path"].as_str().unwrap().to_string(),
            content.to_string(),
        );
    }
    RoleInit {
        script: command[2].clone(),
        source,
    }
}

/// Writes the ConfigMap items under `<tmp>/source`, as the kubelet mounts them.
fn mount_source(tmp: &Path, ri: &RoleInit) -> PathBuf {
    let dir = tmp.join("source");
    for (path, content) in &ri.source {
        let target = dir.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, content).unwrap();
    }
    dir
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs the role init script for one pod; returns the files it left in the config dir.
fn run_role_init(
    ri: &RoleInit,
    tmp: &Path,
    pod_name: &str,
    headless: &str,
    namespace: &str,
) -> BTreeMap<String, String> {
    let source = mount_source(tmp, ri);
    let config_dir = tmp.join(format!("conf-{pod_name}"));
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("POD_NAME", pod_name)
        .env("NAMESPACE", namespace)
        .env("HEADLESS", headless)
        .env("CONFIG_DIR", &config_dir)
        .env("STS_GEN_SOURCE_DIR", &source)
        .arg("-c")
        .arg(&ri.script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "role init failed for {pod_name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(&config_dir).unwrap() {
        let entry = entry.unwrap();
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            fs::read_to_string(entry.path()).unwrap(),
        );
    }
    files
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

fn write_exe(dir: &Path, name: &str, body: &str) {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn myid_is_ordinal_plus_one_for_any_pod() {
    let items = render(&renamed(&preset_text()), &model::Options::default());
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let mut cfgs = Vec::new();
    for (pod_name, ordinal, myid) in [("zk-0", 0, 1), ("zk-1", 1, 2), ("zk-4", 4, 5)] {
        let files = run_role_init(&ri, tmp.path(), pod_name, "zk-hs", "zk-ns");
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
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("POD_NAME", "zookeeper-x")
        .env("NAMESPACE", "ns")
        .env("HEADLESS", "zookeeper")
        .env("CONFIG_DIR", tmp.path().join("conf"))
        .env("STS_GEN_SOURCE_DIR", mount_source(tmp.path(), &ri))
        .arg("-c")
        .arg(&ri.script)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!tmp.path().join("conf/myid").exists());
}

#[test]
fn server_list_has_exactly_replicas_entries_with_dns_names() {
    let items = render(&preset_text(), &model::Options::default());
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(sts["spec"]["serviceName"], "zookeeper");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = run_role_init(&ri, tmp.path(), "zookeeper-2", "zookeeper", "prod");
    assert_eq!(files["myid"], "3\n");
    assert_eq!(
        servers(&files["zoo.cfg"]),
        expected_servers("zookeeper", "zookeeper", "prod", "cluster.local", 3)
    );
}

#[test]
fn server_list_follows_replicas_namespace_and_cluster_domain() {
    // Through the CLI flags: -n and --cluster-domain.
    let text = edit(&renamed(&preset_text()), "replicas: 3", "replicas: 5");
    let items = render_cli(&text, &["-n", "other", "--cluster-domain", "example.org"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["namespace"], "other");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(sts["spec"]["serviceName"], "zk-hs");
    let headless: Vec<_> = find(&items, "Service")
        .into_iter()
        .filter(|s| s["spec"]["clusterIP"] == "None")
        .collect();
    assert_eq!(headless.len(), 1);
    assert_eq!(headless[0]["metadata"]["name"], "zk-hs");
    assert_eq!(headless[0]["metadata"]["namespace"], "other");
    assert_eq!(headless[0]["spec"]["publishNotReadyAddresses"], true);

    // In the pod, the script's NAMESPACE is the pod's own namespace (downward API).
    let init = &pod(&items)["initContainers"][0];
    assert_eq!(
        env_of(init, "NAMESPACE")["valueFrom"],
        json!({"fieldRef": {"fieldPath": "metadata.namespace"}})
    );
    assert_eq!(env_of(init, "HEADLESS")["value"], "zk-hs");

    let ri = role_init(&items);
    assert!(!ri.script.contains("cluster.local"), "{}", ri.script);
    let tmp = tempfile::tempdir().unwrap();
    for (pod_name, myid) in [("zk-0", "1\n"), ("zk-4", "5\n")] {
        let files = run_role_init(&ri, tmp.path(), pod_name, "zk-hs", "other");
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
    let files = run_role_init(&ri, tmp.path(), "zookeeper-0", "zookeeper", "ns");
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
        env_of(&pod["initContainers"][0], "CONFIG_DIR")["value"],
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
            .strip_prefix("echo ")
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
/// (no file: connection refused) and logs its arguments.
fn fake_nc(bin: &Path) {
    write_exe(
        bin,
        "nc",
        "#!/bin/sh\necho \"$*\" >> \"$FAKE_ZK/nc.log\"\nread word\n[ -f \"$FAKE_ZK/$word\" ] || exit 1\ncat \"$FAKE_ZK/$word\"\n",
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
    run_role_init(&ri, tmp.path(), "zk-4", "zk-hs", "ns");
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
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let heap: u64 = env_of(main, "ZK_SERVER_HEAP")["value"]
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
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(doc["name"], "zookeeper");
    for key in ["namespace", "createNamespace"] {
        assert!(doc.get(key).is_none(), "{key} must not be set");
    }
    assert!(doc["storage"].get("local").is_none());
    assert!(doc["storage"].get("className").is_none());
    // No instance name is baked in: a renamed render never mentions `zookeeper-<n>` peers.
    let items = render(&renamed(&text), &model::Options::default());
    let json = serde_json::to_string(&items).unwrap();
    assert!(!json.contains("zookeeper-0"), "hard-coded peer name");
    assert!(!json.contains(".zookeeper."), "hard-coded headless name");
}

#[test]
fn a_user_profile_built_on_the_preset_gets_its_own_ensemble() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: zookeeper\nname: coord\nreplicas: 5\nstorage: {size: 5Gi, className: fast}\n";
    let items = render_cli(user, &["-n", "infra"]);
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
    let files = run_role_init(&ri, tmp.path(), "coord-3", "coord", "infra");
    assert_eq!(files["myid"], "4\n");
    assert_eq!(
        servers(&files["zoo.cfg"]),
        expected_servers("coord", "coord", "infra", "cluster.local", 5)
    );
}
