//! The generated role init container, run for real under a POSIX `sh` against a temporary
//! folder that stands in for the ConfigMap mount: the role is chosen by the pod's ordinal for
//! any ordinal (also ordinals beyond `replicas`, as after `kubectl scale`).
//!
//! Everything the test uses comes from the rendered StatefulSet and ConfigMap (the script,
//! the container's env, the ConfigMap data and the `config-source` items), so the test checks
//! what a cluster would actually run.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Renders `profile` with `-o json` and returns the List's items.
fn render_json(profile: &Path) -> Vec<Value> {
    let out = Command::cargo_bin("sts-gen")
        .unwrap()
        .current_dir(ROOT)
        .env("MYSQL_ROOT_PASSWORD", "role-init-test")
        .env_remove("STS_GEN_TEMPLATES")
        .arg("render")
        .arg(profile)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    list["items"].as_array().unwrap().clone()
}

fn find<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<_> = items.iter().filter(|i| i["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "expected exactly one {kind}");
    found[0]
}

/// What the test needs from a render: the role init script and env, and the files of the
/// ConfigMap as the `config-source` volume lays them out.
struct RoleInit {
    script: String,
    env: Vec<Value>,
    volume_mounts: Vec<Value>,
    main_mounts: Vec<Value>,
    /// item path under the source mount -> file content
    source_files: BTreeMap<String, String>,
    config_data: serde_json::Map<String, Value>,
}

fn role_init(items: &[Value]) -> RoleInit {
    let sts = find(items, "StatefulSet");
    let cm = find(items, "ConfigMap");
    let pod = &sts["spec"]["template"]["spec"];
    let inits = pod["initContainers"].as_array().unwrap();
    assert_eq!(
        inits[0]["name"], "role-init",
        "the role init container runs first, before the user's init containers"
    );
    let init = &inits[0];
    let command: Vec<&str> = init["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(command.len(), 3, "{command:?}");
    assert_eq!(&command[..2], &["sh", "-c"]);

    let volumes = pod["volumes"].as_array().unwrap();
    let source = volumes
        .iter()
        .find(|v| v["name"] == "config-source")
        .expect("a config-source volume");
    assert_eq!(source["configMap"]["name"], cm["metadata"]["name"]);
    let config_data = cm["data"].as_object().unwrap().clone();
    let mut source_files = BTreeMap::new();
    for item in source["configMap"]["items"].as_array().unwrap() {
        let key = item["key"].as_str().unwrap();
        let path = item["path"].as_str().unwrap();
        let content = config_data
            .get(key)
            .unwrap_or_else(|| panic!("item key `{key}` is not in the ConfigMap"))
            .as_str()
            .unwrap();
        assert!(
            source_files
                .insert(path.to_string(), content.to_string())
                .is_none(),
            "item path `{path}` is used twice"
        );
    }
    RoleInit {
        script: command[2].to_string(),
        env: init["env"].as_array().unwrap().clone(),
        volume_mounts: init["volumeMounts"].as_array().unwrap().clone(),
        main_mounts: pod["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .clone(),
        source_files,
        config_data,
    }
}

/// Writes the ConfigMap items under `<tmp>/source` as the kubelet would mount them.
fn mount_source(tmp: &Path, files: &BTreeMap<String, String>) -> PathBuf {
    let source = tmp.join("source");
    for (path, content) in files {
        let target = source.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, content).unwrap();
    }
    source
}

/// Runs the script under `sh` for one pod name; returns the output and the config dir.
fn run_script(
    script: &str,
    source: &Path,
    tmp: &Path,
    pod_name: &str,
    headless: &str,
    namespace: &str,
) -> (Output, PathBuf) {
    let config_dir = tmp.join(format!("conf-{pod_name}"));
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("POD_NAME", pod_name)
        .env("STS_GEN_SOURCE_DIR", source)
        .env("CONFIG_DIR", &config_dir)
        .env("HEADLESS", headless)
        .env("NAMESPACE", namespace)
        .arg("-c")
        .arg(script)
        .output()
        .expect("sh runs");
    (out, config_dir)
}

fn run_ok(
    script: &str,
    source: &Path,
    tmp: &Path,
    pod_name: &str,
    headless: &str,
    namespace: &str,
) -> BTreeMap<String, String> {
    let (out, dir) = run_script(script, source, tmp, pod_name, headless, namespace);
    assert!(
        out.status.success(),
        "script failed for {pod_name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir_contents(&dir)
}

/// Every file in `dir` (flat) with its content.
fn dir_contents(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        assert!(entry.file_type().unwrap().is_file(), "{:?}", entry.path());
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            fs::read_to_string(entry.path()).unwrap(),
        );
    }
    files
}

fn names(files: &BTreeMap<String, String>) -> Vec<&str> {
    files.keys().map(String::as_str).collect()
}

fn env_entry<'a>(env: &'a [Value], name: &str) -> &'a Value {
    env.iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("role-init env has no {name}: {env:?}"))
}

fn mysql() -> (RoleInit, tempfile::TempDir, PathBuf) {
    let items = render_json(Path::new("profiles/mysql.yaml"));
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let source = mount_source(tmp.path(), &ri.source_files);
    (ri, tmp, source)
}

#[test]
fn mysql_role_init_env_and_mounts_match_the_profile() {
    let (ri, _tmp, _source) = mysql();
    assert_eq!(
        env_entry(&ri.env, "POD_NAME")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.name"
    );
    assert_eq!(
        env_entry(&ri.env, "NAMESPACE")["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.namespace"
    );
    assert_eq!(env_entry(&ri.env, "HEADLESS")["value"], "mysql");
    assert_eq!(
        env_entry(&ri.env, "CONFIG_DIR")["value"],
        "/etc/mysql/conf.d"
    );

    // The init container writes into the shared config volume at CONFIG_DIR and reads the
    // ConfigMap at the script's default source folder; the main container sees CONFIG_DIR.
    assert!(
        ri.volume_mounts
            .contains(&json!({"name": "config", "mountPath": "/etc/mysql/conf.d"})),
        "{:?}",
        ri.volume_mounts
    );
    assert!(
        ri.volume_mounts.contains(
            &json!({"name": "config-source", "mountPath": "/sts-gen/source", "readOnly": true})
        ),
        "{:?}",
        ri.volume_mounts
    );
    assert!(
        ri.script
            .contains("SRC=\"${STS_GEN_SOURCE_DIR:-/sts-gen/source}\""),
        "the script's default source folder must be the config-source mount:\n{}",
        ri.script
    );
    assert!(
        ri.main_mounts
            .contains(&json!({"name": "config", "mountPath": "/etc/mysql/conf.d"})),
        "{:?}",
        ri.main_mounts
    );
    // Every ConfigMap key is projected into the source folder.
    assert_eq!(ri.source_files.len(), ri.config_data.len());
}

#[test]
fn mysql_primary_is_ordinal_zero() {
    let (ri, tmp, source) = mysql();
    let files = run_ok(&ri.script, &source, tmp.path(), "mysql-0", "mysql", "mysql");
    assert_eq!(
        names(&files),
        ["pod-ordinal", "pod-role", "primary.cnf", "server-id.cnf"]
    );
    assert_eq!(files["primary.cnf"], "[mysqld]\nlog-bin\n");
    assert_eq!(files["server-id.cnf"], "[mysqld]\nserver-id=100\n");
    assert_eq!(files["pod-ordinal"], "0\n");
    assert_eq!(files["pod-role"], "primary\n");
}

#[test]
fn mysql_every_ordinal_above_zero_is_a_replica_also_after_scaling() {
    let (ri, tmp, source) = mysql();
    // mysql-7 does not exist with replicas: 3; it does after `kubectl scale --replicas=8`.
    for (pod, ordinal) in [("mysql-1", 1), ("mysql-2", 2), ("mysql-7", 7)] {
        let files = run_ok(&ri.script, &source, tmp.path(), pod, "mysql", "mysql");
        assert_eq!(
            names(&files),
            ["pod-ordinal", "pod-role", "replica.cnf", "server-id.cnf"],
            "{pod}"
        );
        assert!(!files.contains_key("primary.cnf"), "{pod}");
        assert_eq!(files["replica.cnf"], "[mysqld]\nsuper-read-only\n", "{pod}");
        assert_eq!(
            files["server-id.cnf"],
            format!("[mysqld]\nserver-id={}\n", 100 + ordinal),
            "{pod}"
        );
        assert_eq!(files["pod-ordinal"], format!("{ordinal}\n"), "{pod}");
        assert_eq!(files["pod-role"], "replica\n", "{pod}");
    }
}

#[test]
fn mysql_pod_name_without_ordinal_fails() {
    let (ri, tmp, source) = mysql();
    for pod in ["mysql", "mysql-", "mysql-x1"] {
        let (out, dir) = run_script(&ri.script, &source, tmp.path(), pod, "mysql", "mysql");
        assert!(!out.status.success(), "{pod} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim_end(),
            format!("sts-gen role init: cannot read an ordinal from pod name {pod}"),
            "{pod}"
        );
        assert!(out.stdout.is_empty(), "{pod}");
        // It stops before touching the config dir.
        assert!(!dir.exists(), "{pod}: {dir:?} was created");
    }
}

#[test]
fn mysql_missing_source_file_fails() {
    // A ConfigMap item that is not mounted (e.g. a stale ConfigMap) must stop the pod, not
    // start it without its role's configuration.
    let (ri, tmp, source) = mysql();
    fs::remove_file(source.join("roles/replica/replica.cnf")).unwrap();
    let (out, _dir) = run_script(&ri.script, &source, tmp.path(), "mysql-3", "mysql", "mysql");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("replica.cnf"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const CUSTOM: &str = r#"apiVersion: sts-gen/v1
kind: Profile
name: app
image: busybox:1.36
storage: {size: 1Gi}
ports:
  - {name: app, port: 80}
config:
  files:
    shared.conf: |
      shared=yes
roles:
  - name: a
    ordinals: "0,2"
    files:
      role.conf: |
        role=a
  - name: b
    ordinals: "1,3-"
    files:
      role.conf: |
        role=b
roleInit:
  script: |
    printf '%s' "$ROLE-$ORDINAL" > "$CONFIG_DIR/id"
    printf '%s.%s' "$HEADLESS" "$NAMESPACE" > "$CONFIG_DIR/dns"
"#;

#[test]
fn custom_roles_with_same_file_name_and_split_ranges() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("app.yaml");
    fs::write(&profile, CUSTOM).unwrap();
    let items = render_json(&profile);
    let ri = role_init(&items);

    // Both roles' `role.conf` are kept apart in the ConfigMap and the source folder.
    let role_sources: Vec<_> = ri
        .source_files
        .iter()
        .filter(|(_, c)| c.starts_with("role="))
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(role_sources.len(), 2, "{:?}", ri.source_files);
    assert_eq!(env_entry(&ri.env, "HEADLESS")["value"], "app");

    let source = mount_source(tmp.path(), &ri.source_files);
    for (ordinal, role) in [(0, "a"), (1, "b"), (2, "a"), (3, "b"), (10, "b")] {
        let pod = format!("app-{ordinal}");
        let files = run_ok(&ri.script, &source, tmp.path(), &pod, "app", "ns1");
        assert_eq!(
            names(&files),
            [
                "dns",
                "id",
                "pod-ordinal",
                "pod-role",
                "role.conf",
                "shared.conf"
            ],
            "{pod}"
        );
        assert_eq!(files["role.conf"], format!("role={role}\n"), "{pod}");
        assert_eq!(files["shared.conf"], "shared=yes\n", "{pod}");
        assert_eq!(files["id"], format!("{role}-{ordinal}"), "{pod}");
        assert_eq!(files["dns"], "app.ns1", "{pod}");
        assert_eq!(files["pod-ordinal"], format!("{ordinal}\n"), "{pod}");
        assert_eq!(files["pod-role"], format!("{role}\n"), "{pod}");
    }
}

#[test]
fn pod_name_with_dashes_uses_the_last_segment() {
    // A StatefulSet named `my-app` has pods `my-app-<n>`: only the suffix is the ordinal.
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("app.yaml");
    fs::write(&profile, CUSTOM.replace("name: app\n", "name: my-app\n")).unwrap();
    let ri = role_init(&render_json(&profile));
    let source = mount_source(tmp.path(), &ri.source_files);
    let files = run_ok(&ri.script, &source, tmp.path(), "my-app-12", "my-app", "x");
    assert_eq!(files["id"], "b-12");
    assert_eq!(files["pod-ordinal"], "12\n");
}

#[test]
fn file_contents_are_copied_verbatim_not_evaluated() {
    // Contents that a script built by naive interpolation would expand; text variables are
    // substituted at render time, once.
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("app.yaml");
    let text = CUSTOM
        .replace("shared.conf: |", "my_file-1.conf: |")
        .replace(
            "shared=yes",
            "x=$(echo no) `echo no` 'q' \"$HOME\" {{ name }}/{{ replicas }}",
        );
    fs::write(&profile, text).unwrap();
    let ri = role_init(&render_json(&profile));
    let source = mount_source(tmp.path(), &ri.source_files);
    let files = run_ok(&ri.script, &source, tmp.path(), "app-4", "app", "ns");
    assert_eq!(
        files.get("my_file-1.conf").map(String::as_str),
        Some("x=$(echo no) `echo no` 'q' \"$HOME\" app/1\n"),
        "{:?}",
        names(&files)
    );
}
