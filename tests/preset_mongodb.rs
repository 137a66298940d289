//! The `mongodb` preset (profiles/mongodb.yaml): the replica set config written by the role init
//! container, the key file, the "root user on ordinal 0 only" start command and ordinal 0's
//! rs-init loop (with SIGTERM passed on to mongod) are run for real under `sh`/`bash` with fake
//! pod names, the Secret's files in a temporary folder and fake `chown`, `mongosh`, `sleep` and
//! entrypoint programs; the wiring between them is checked on the rendered objects.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use common::{
    container, edit, env_entry, env_value, find_env, mount_path, one, path_with, pod, role_init,
    secret_behind, strings, write_exe, RoleInit,
};
use serde_json::{json, Value};
use sts_gen::model;

const ROOT_PW: &str = "test-root-pw";
const KEY: &str = "c2VjcmV0LWtleS1mb3ItdGhlLW1lbWJlcnM=";

fn preset_text() -> String {
    common::bundled_text("mongodb")
}

/// The render-time secret sources replaced with literals, so the library needs no env vars.
fn literal_secrets(text: &str) -> String {
    let t = edit(
        text,
        "{fromEnv: MONGODB_ROOT_PASSWORD}",
        &format!("{{value: {ROOT_PW}}}"),
    );
    edit(
        &t,
        "{fromEnv: MONGODB_KEYFILE}",
        &format!("{{value: \"{KEY}\"}}"),
    )
}

/// The preset as a user instance `docs` with headless Service `docs-hs`.
fn renamed(text: &str) -> String {
    common::renamed(text, "mongodb", "docs")
}

fn render(text: &str, opts: &model::Options) -> Vec<Value> {
    common::render_bundled("mongodb", text, opts)
}

fn render_default() -> Vec<Value> {
    render(&literal_secrets(&preset_text()), &model::Options::default())
}

/// Renders through the binary (`render - -o json` plus `args`), profile text on stdin and the
/// documented env variables set.
fn render_cli(text: &str, args: &[&str]) -> Vec<Value> {
    common::json_items(
        common::sts_gen()
            .env("MONGODB_ROOT_PASSWORD", ROOT_PW)
            .env("MONGODB_KEYFILE", KEY)
            .args(["render", "-"])
            .args(args)
            .write_stdin(text.as_bytes().to_vec()),
    )
}

/// What one run of the role init script left behind.
struct InitRun {
    config_dir: PathBuf,
    files: BTreeMap<String, String>,
    chown_log: String,
}

/// Runs the role init script for one pod as a non-root user (a fake `id`), with a fake `chown`
/// (the test may not be root) that logs its arguments.
fn run_role_init(ri: &RoleInit, tmp: &Path, pod_name: &str, headless: &str, ns: &str) -> InitRun {
    run_role_init_as(ri, tmp, pod_name, headless, ns, 10001)
}

fn run_role_init_as(
    ri: &RoleInit,
    tmp: &Path,
    pod_name: &str,
    headless: &str,
    ns: &str,
    uid: u32,
) -> InitRun {
    ri.mount_source(tmp);
    let bin = tmp.join(format!("bin-{pod_name}"));
    write_exe(
        &bin,
        "chown",
        "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/chown.log\"\n",
    );
    write_exe(
        &bin,
        "id",
        "#!/bin/sh\n[ \"$1\" = -u ] || exit 1\necho \"$FAKE_UID\"\n",
    );
    // The Secret's key file, as the `secrets` volume gives it (no trailing newline).
    let key_source = tmp.join(format!("secret-keyfile-{pod_name}"));
    fs::write(&key_source, KEY).unwrap();
    let (mut cmd, config_dir) = ri.command(tmp, pod_name, headless, Some(ns));
    let out = cmd
        .env("PATH", path_with(&bin))
        .env("MONGODB_KEYFILE_SOURCE", &key_source)
        .env("FAKE_UID", uid.to_string())
        .output()
        .unwrap();
    let run = common::InitRun { out, config_dir }.ok();
    InitRun {
        files: run.files(),
        config_dir: run.config_dir,
        chown_log: fs::read_to_string(bin.join("chown.log")).unwrap_or_default(),
    }
}

fn replset(run: &InitRun) -> Value {
    serde_json::from_str(&run.files["replset.json"]).unwrap_or_else(|e| {
        panic!(
            "replset.json is not JSON ({e}): {}",
            run.files["replset.json"]
        )
    })
}

fn expected_replset(app: &str, headless: &str, ns: &str, domain: &str, n: u32) -> Value {
    let members: Vec<Value> = (0..n)
        .map(|i| json!({"_id": i, "host": format!("{app}-{i}.{headless}.{ns}.svc.{domain}:27017")}))
        .collect();
    json!({"_id": "rs0", "members": members})
}

#[test]
fn replica_set_has_one_member_per_replica_with_dns_names() {
    let items = render_default();
    assert_eq!(one(&items, "StatefulSet")["spec"]["replicas"], 3);
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let run = run_role_init(&ri, tmp.path(), "mongodb-0", "mongodb", "prod");
    assert_eq!(
        replset(&run),
        expected_replset("mongodb", "mongodb", "prod", "cluster.local", 3)
    );
}

#[test]
fn every_pod_gets_the_same_replica_set_and_its_own_ordinal() {
    let items = render(
        &renamed(&literal_secrets(&preset_text())),
        &model::Options::default(),
    );
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    for (pod_name, ordinal) in [("docs-0", 0), ("docs-1", 1), ("docs-4", 4)] {
        let run = run_role_init(&ri, tmp.path(), pod_name, "docs-hs", "data");
        assert_eq!(run.files["pod-ordinal"], format!("{ordinal}\n"));
        assert_eq!(
            run.files.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "keyfile",
                "pod-ordinal",
                "pod-role",
                "replset.json",
                "rs-init.js"
            ]
        );
        assert_eq!(
            replset(&run),
            expected_replset("docs", "docs-hs", "data", "cluster.local", 3)
        );
    }
}

#[test]
fn replica_set_follows_replicas_namespace_and_cluster_domain() {
    let text = common::with_replicas(&renamed(&preset_text()), 3, 5);
    let items = render_cli(&text, &["-n", "other", "--cluster-domain", "example.org"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["namespace"], "other");
    assert_eq!(sts["spec"]["replicas"], 5);
    assert_eq!(sts["spec"]["serviceName"], "docs-hs");
    let headless = common::headless_services(&items);
    assert_eq!(headless.len(), 1);
    assert_eq!(headless[0]["metadata"]["name"], "docs-hs");
    assert_eq!(headless[0]["spec"]["publishNotReadyAddresses"], true);

    // The Secret carries the values read from the documented env variables.
    let secret = one(&items, "Secret");
    assert_eq!(secret["metadata"]["name"], "docs");
    let decode = |k: &str| {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(secret["data"][k].as_str().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode("password"), ROOT_PW);
    assert_eq!(decode("keyfile"), KEY);

    let ri = role_init(&items);
    let ns_env = env_entry(&ri.container, "NAMESPACE");
    assert_eq!(
        ns_env["valueFrom"],
        json!({"fieldRef": {"fieldPath": "metadata.namespace"}})
    );
    assert!(!ri.script.contains("cluster.local"));
    let tmp = tempfile::tempdir().unwrap();
    let run = run_role_init(&ri, tmp.path(), "docs-4", "docs-hs", "other");
    let rs = replset(&run);
    assert_eq!(rs["members"].as_array().unwrap().len(), 5);
    assert_eq!(
        rs,
        expected_replset("docs", "docs-hs", "other", "example.org", 5)
    );
}

#[test]
fn the_key_file_is_private_to_mongod() {
    let items = render_default();
    let ri = role_init(&items);
    // The role init container copies the key from the rendered Secret, mounted as files; no
    // container takes a Secret through its environment.
    let init = &pod(&items)["initContainers"][0];
    let secret = one(&items, "Secret");
    assert_eq!(
        secret_behind(&items, init, env_value(init, "MONGODB_KEYFILE_SOURCE")),
        (
            secret["metadata"]["name"].as_str().unwrap().to_string(),
            "keyfile".to_string()
        )
    );
    assert!(secret["data"]["keyfile"].is_string());
    common::assert_no_secret_in_env(&items);

    // As the pod's (non-root) user, role-init and mongod are the same user; as root, the file
    // goes to the image's mongodb user, which the entrypoint drops to.
    for (uid, chowned) in [(10001, false), (0, true)] {
        let tmp = tempfile::tempdir().unwrap();
        let run = run_role_init_as(&ri, tmp.path(), "mongodb-1", "mongodb", "ns", uid);
        let keyfile = run.config_dir.join("keyfile");
        assert_eq!(run.files["keyfile"], KEY, "a copy of the Secret's key");
        let mode = fs::metadata(&keyfile).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "mongod refuses mode {mode:o}");
        assert_eq!(mode, 0o400);
        let expected = if chowned {
            format!("999:999 {}\n", keyfile.display())
        } else {
            String::new()
        };
        assert_eq!(run.chown_log, expected, "uid {uid}");
    }

    // mongod reads it where the role init container wrote it.
    let main = container(&items, "mongodb");
    let cmd = strings(&main["command"]);
    let config_mount = mount_path(main, "config");
    let config_dir = env_entry(&ri.container, "CONFIG_DIR");
    assert_eq!(config_dir["value"], config_mount);
    assert!(
        cmd[2].contains(&format!("--keyFile {config_mount}/keyfile")),
        "{}",
        cmd[2]
    );
}

#[test]
fn only_ordinal_zero_creates_the_root_user() {
    let items = render_default();
    let main = container(&items, "mongodb");
    let cmd = strings(&main["command"]);
    assert_eq!(&cmd[..2], &["bash", "-c"]);
    let mount = mount_path(main, "config");
    assert!(cmd[2].contains(&format!("{mount}/pod-ordinal")));
    let user = find_env(main, "MONGO_INITDB_ROOT_USERNAME").unwrap();
    // The image's entrypoint reads the password from the file the Secret volume gives.
    let pw_file = env_value(main, "MONGO_INITDB_ROOT_PASSWORD_FILE");
    assert_eq!(
        secret_behind(&items, main, pw_file),
        ("mongodb".to_string(), "password".to_string())
    );
    assert!(find_env(main, "MONGO_INITDB_ROOT_PASSWORD").is_none());

    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    write_exe(
        &bin,
        "docker-entrypoint.sh",
        "#!/bin/sh\n{ echo \"$*\"; echo \"user=${MONGO_INITDB_ROOT_USERNAME-unset}\"; echo \"pw=${MONGO_INITDB_ROOT_PASSWORD_FILE-unset}\"; } > \"$OUT\"\n",
    );
    // Ordinal 0 also runs rs-init.js (here at once successful) while mongod runs.
    write_exe(&bin, "mongosh", "#!/bin/sh\nexit 0\n");
    for (pod_name, creates_user) in [
        ("mongodb-0", true),
        ("mongodb-1", false),
        ("mongodb-4", false),
    ] {
        let run = run_role_init(&ri, tmp.path(), pod_name, "mongodb", "ns");
        let script = cmd[2].replace(
            &format!("{mount}/"),
            &format!("{}/", run.config_dir.display()),
        );
        let out_file = tmp.path().join(format!("{pod_name}.out"));
        common::output_ok(
            std::process::Command::new("bash")
                .env_clear()
                .env("PATH", path_with(&bin))
                .env("OUT", &out_file)
                .env(
                    "MONGO_INITDB_ROOT_USERNAME",
                    user["value"].as_str().unwrap(),
                )
                .env("MONGO_INITDB_ROOT_PASSWORD_FILE", pw_file)
                .arg("-c")
                .arg(&script),
        );
        let lines: Vec<String> = fs::read_to_string(&out_file)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            lines[0],
            format!(
                "mongod --replSet rs0 --bind_ip_all --keyFile {}/keyfile",
                run.config_dir.display()
            )
        );
        if creates_user {
            assert_eq!(
                lines[1..],
                ["user=root".to_string(), format!("pw={pw_file}")]
            );
        } else {
            assert_eq!(lines[1..], ["user=unset", "pw=unset"], "{pod_name}");
        }
    }
}

#[test]
fn names_and_paths_agree_between_mongod_rs_init_and_the_config() {
    let items = render_default();
    // One container: ordinal 0's start command initiates the replica set, no sidecar idles.
    let containers = pod(&items)["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    let main = container(&items, "mongodb");
    let mount = mount_path(main, "config");

    // --replSet names the set the role init container describes.
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let run = run_role_init(&ri, tmp.path(), "mongodb-0", "mongodb", "ns");
    let cmd = strings(&main["command"]);
    let words: Vec<&str> = cmd[2].split_whitespace().collect();
    let at = words.iter().position(|w| *w == "--replSet").unwrap();
    assert_eq!(replset(&run)["_id"], words[at + 1]);

    // The start command runs rs-init.js from the config dir; the script reads replset.json
    // there and authenticates as the user the entrypoint creates, with the password from the
    // same file.
    assert!(cmd[2].contains(&format!("{mount}/rs-init.js")));
    let js = &one(&items, "ConfigMap")["data"]["rs-init.js"];
    let js = js.as_str().expect("rs-init.js is a config file");
    assert_eq!(run.files["rs-init.js"], js);
    assert!(js.contains(&format!("'{mount}/replset.json'")));
    assert!(js.contains("process.env.MONGO_INITDB_ROOT_USERNAME"));
    assert!(js.contains("fs.readFileSync(process.env.MONGO_INITDB_ROOT_PASSWORD_FILE"));
    assert!(!js.contains("process.env.MONGO_INITDB_ROOT_PASSWORD)"));
    // mongosh writes its logs under HOME=/tmp, an emptyDir with the read-only root filesystem.
    assert!(cmd[2].contains("HOME=/tmp mongosh"));
    let tmp_volume = main["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/tmp")
        .expect("/tmp is mounted")["name"]
        .clone();
    assert!(pod(&items)["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == tmp_volume && v["emptyDir"].is_object()));
    assert_eq!(main["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(pod(&items)["initContainers"][0]["image"], main["image"]);
    // Nothing is suppressed for this preset.
    let doc: Value = serde_saphyr::from_str(&preset_text()).unwrap();
    assert!(doc.get("lintIgnore").is_none());
}

fn real_program(name: &str) -> PathBuf {
    common::find_on_path(name).unwrap_or_else(|| panic!("no {name} on PATH"))
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Ordinal 0 runs mongod in the background, retries rs-init.js until it succeeds, then waits
/// for mongod; SIGTERM reaches mongod and the container exits with mongod's status. The
/// other ordinals exec mongod and never initiate.
#[test]
fn ordinal_zero_initiates_the_replica_set_while_mongod_runs() {
    let items = render_default();
    let main = container(&items, "mongodb");
    let cmd = strings(&main["command"]);
    assert_eq!(&cmd[..2], &["bash", "-c"]);
    let mount = mount_path(main, "config");
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    let sleep = real_program("sleep");
    // mongod: records its pid, then runs until SIGTERM and exits 7 (a status to pass on).
    write_exe(
        &bin,
        "docker-entrypoint.sh",
        &format!(
            "#!/bin/sh\necho \"$$ $*\" >> \"$LOG/mongod\"\ntrap 'echo TERM >> \"$LOG/mongod\"; exit 7' TERM\n[ -n \"$FAKE_EXIT\" ] && exit \"$FAKE_EXIT\"\nwhile :; do {} 0.02; done\n",
            sleep.display()
        ),
    );
    // mongosh fails twice (say, the root user is not there yet), then succeeds.
    write_exe(
        &bin,
        "mongosh",
        "#!/bin/sh\necho \"HOME=$HOME $*\" >> \"$LOG/mongosh\"\nn=$(wc -l < \"$LOG/mongosh\")\n[ \"$n\" -ge 3 ]\n",
    );
    write_exe(&bin, "sleep", "#!/bin/sh\necho \"$*\" >> \"$LOG/sleep\"\n");
    let runs = std::cell::Cell::new(0);
    let start = |pod_name: &str, fake_exit: Option<&str>| {
        let run = run_role_init(&ri, tmp.path(), pod_name, "mongodb", "ns");
        runs.set(runs.get() + 1);
        let log = tmp.path().join(format!("log-{}-{pod_name}", runs.get()));
        fs::create_dir_all(&log).unwrap();
        let script = cmd[2].replace(
            &format!("{mount}/"),
            &format!("{}/", run.config_dir.display()),
        );
        let mut command = std::process::Command::new("bash");
        command
            .env_clear()
            .env("PATH", path_with(&bin))
            .env("LOG", &log)
            .arg("-c")
            .arg(&script);
        if let Some(code) = fake_exit {
            command.env("FAKE_EXIT", code);
        }
        (command.spawn().unwrap(), log, run)
    };
    let read = |log: &Path, f: &str| fs::read_to_string(log.join(f)).unwrap_or_default();

    // Ordinal 0.
    let (mut child, log, run) = start("mongodb-0", None);
    wait_for("the third mongosh run", || {
        read(&log, "mongosh").lines().count() >= 3
    });
    wait_for("mongod to start", || !read(&log, "mongod").is_empty());
    let js = run.config_dir.join("rs-init.js");
    assert_eq!(
        read(&log, "mongosh"),
        format!("HOME=/tmp --quiet --norc {}\n", js.display()).repeat(3)
    );
    assert_eq!(read(&log, "sleep"), "5\n5\n");
    let mongod = read(&log, "mongod");
    let (mongod_pid, args) = mongod.trim().split_once(' ').unwrap();
    assert_eq!(
        args,
        format!(
            "mongod --replSet rs0 --bind_ip_all --keyFile {}/keyfile",
            run.config_dir.display()
        )
    );
    assert_ne!(
        mongod_pid,
        child.id().to_string(),
        "mongod runs beside the shell"
    );
    // Initiated: the shell now only waits for mongod.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the shell exited early"
    );
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(7), "mongod's exit status");
    assert!(
        read(&log, "mongod").ends_with("TERM\n"),
        "{}",
        read(&log, "mongod")
    );
    assert_eq!(read(&log, "mongosh").lines().count(), 3);

    // A mongod that stops before the set is initiated ends the container with its status
    // (the kubelet restarts it), instead of retrying against nothing.
    let (mut child, log, _) = start("mongodb-0", Some("3"));
    wait_for("the shell to exit", || child.try_wait().unwrap().is_some());
    assert_eq!(child.wait().unwrap().code(), Some(3));
    assert!(
        read(&log, "mongosh").lines().count() <= 1,
        "{}",
        read(&log, "mongosh")
    );

    // The other ordinals exec mongod (it is the container's process) and never initiate.
    for pod_name in ["mongodb-1", "mongodb-4"] {
        let (mut child, log, _) = start(pod_name, None);
        wait_for("mongod to start", || !read(&log, "mongod").is_empty());
        let mongod = read(&log, "mongod");
        let (pid, _) = mongod.trim().split_once(' ').unwrap();
        assert_eq!(pid, child.id().to_string(), "{pod_name}: exec");
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(7));
        assert_eq!(read(&log, "mongosh"), "", "{pod_name} must not initiate");
        assert_eq!(read(&log, "sleep"), "", "{pod_name}");
    }
}

#[test]
fn probes_ports_availability_and_placement() {
    let items = render(
        &renamed(&literal_secrets(&preset_text())),
        &model::Options::default(),
    );
    let main = container(&items, "docs");
    assert_eq!(
        main["ports"],
        json!([{"name": "mongodb", "containerPort": 27017, "protocol": "TCP"}])
    );
    let image = main["image"].as_str().unwrap();
    let patch = image.strip_prefix("mongo:7.0.").expect(image);
    assert!(patch.parse::<u32>().is_ok(), "{image} is not pinned");

    let probe = |p: &str| strings(&main[p]["exec"]["command"]);
    let (ready, live, startup) = (
        probe("readinessProbe"),
        probe("livenessProbe"),
        probe("startupProbe"),
    );
    for p in [&ready, &live, &startup] {
        assert_eq!(p[0], "mongosh");
        assert_eq!(p[p.len() - 2], "--eval");
    }
    assert!(ready.last().unwrap().contains("db.hello()"));
    assert!(ready.last().unwrap().contains("isWritablePrimary"));
    assert!(ready.last().unwrap().contains("secondary"));
    assert!(live.last().unwrap().contains("ping"));
    assert_ne!(main["readinessProbe"], main["livenessProbe"]);

    let spec = &one(&items, "StatefulSet")["spec"];
    assert_eq!(spec["podManagementPolicy"], "Parallel");
    assert_eq!(
        spec["template"]["spec"]["terminationGracePeriodSeconds"],
        60
    );
    let pdb = one(&items, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"], spec["selector"]);
    let terms = spec["template"]["spec"]["affinity"]["podAntiAffinity"]
        ["preferredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .unwrap();
    assert_eq!(
        terms[0]["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(
        terms[0]["podAffinityTerm"]["labelSelector"],
        json!({"matchLabels": {"app.kubernetes.io/name": "docs"}})
    );
    for c in spec["template"]["spec"]["containers"].as_array().unwrap() {
        assert!(
            c["resources"]["requests"]["memory"].is_string(),
            "{}",
            c["name"]
        );
        assert!(
            c["resources"]["limits"]["memory"].is_string(),
            "{}",
            c["name"]
        );
    }
    assert_eq!(mount_path(main, "data"), "/data/db");
}

#[test]
fn preset_file_leaves_instance_identity_to_the_user_and_documents_its_variables() {
    let text = preset_text();
    assert!(
        text.starts_with("# MongoDB: "),
        "first line is the preset summary"
    );
    let doc = common::assert_preset_leaves_identity(&text, "mongodb");
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let vars: Vec<&str> = doc["secret"]["data"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["fromEnv"].as_str().unwrap())
        .collect();
    assert_eq!(vars, ["MONGODB_ROOT_PASSWORD", "MONGODB_KEYFILE"]);
    for v in vars {
        assert!(header.contains(v), "{v} is not documented in the header");
    }
    let items = render(
        &renamed(&literal_secrets(&text)),
        &model::Options::default(),
    );
    let json = serde_json::to_string(&items).unwrap();
    assert!(!json.contains("mongodb-0"), "hard-coded member name");
    assert!(!json.contains(".mongodb."), "hard-coded headless name");
}

#[test]
fn a_user_profile_built_on_the_preset_gets_its_own_replica_set() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: mongodb\nname: docs\nreplicas: 5\nstorage: {size: 5Gi, className: fast}\n";
    let items = render_cli(user, &["-n", "db"]);
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["name"], "docs");
    assert_eq!(sts["metadata"]["namespace"], "db");
    assert_eq!(sts["spec"]["replicas"], 5);
    let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
    assert_eq!(claim["storageClassName"], "fast");
    assert_eq!(claim["resources"]["requests"]["storage"], "5Gi");
    // The Secret volume follows the user's name.
    assert_eq!(one(&items, "Secret")["metadata"]["name"], "docs");
    let main = container(&items, "docs");
    assert_eq!(
        secret_behind(
            &items,
            main,
            env_value(main, "MONGO_INITDB_ROOT_PASSWORD_FILE")
        ),
        ("docs".to_string(), "password".to_string())
    );
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let run = run_role_init(&ri, tmp.path(), "docs-0", "docs", "db");
    assert_eq!(
        replset(&run),
        expected_replset("docs", "docs", "db", "cluster.local", 5)
    );
}
