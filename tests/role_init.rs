//! The generated role init container, run for real under a POSIX `sh` against a temporary
//! folder that stands in for the ConfigMap mount: the role is chosen by the pod's ordinal for
//! any ordinal (also ordinals beyond `replicas`, as after `kubectl scale`).
//!
//! Everything the test uses comes from the rendered StatefulSet and ConfigMap (the script,
//! the container's env, the ConfigMap data and the `config-source` items), so the test checks
//! what a cluster would actually run.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{env_entry, role_init, InitRun, RoleInit};
use serde_json::{json, Value};

/// Renders `profile` with `-o json` and returns the List's items.
fn render_json(profile: &Path) -> Vec<Value> {
    common::json_items(
        common::sts_gen()
            .env("MYSQL_ROOT_PASSWORD", "role-init-test")
            .arg("render")
            .arg(profile),
    )
}

fn names(files: &BTreeMap<String, String>) -> Vec<&str> {
    files.keys().map(String::as_str).collect()
}

fn mysql() -> (Vec<Value>, RoleInit, tempfile::TempDir) {
    let items = render_json(Path::new("profiles/mysql.yaml"));
    let ri = role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    (items, ri, tmp)
}

#[test]
fn mysql_role_init_env_and_mounts_match_the_profile() {
    let (items, ri, _tmp) = mysql();
    let init = &ri.container;
    let volume_mounts = init["volumeMounts"].as_array().unwrap();
    let main_mounts = common::pod(&items)["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap();
    let config_data = common::one(&items, "ConfigMap")["data"]
        .as_object()
        .unwrap();
    assert_eq!(common::env_field_path(init, "POD_NAME"), "metadata.name");
    assert_eq!(
        common::env_field_path(init, "NAMESPACE"),
        "metadata.namespace"
    );
    assert_eq!(env_entry(init, "HEADLESS")["value"], "mysql");
    assert_eq!(env_entry(init, "CONFIG_DIR")["value"], "/etc/mysql/conf.d");

    // The init container writes into the shared config volume at CONFIG_DIR and reads the
    // ConfigMap at the script's default source folder; the main container sees CONFIG_DIR.
    assert!(
        volume_mounts.contains(&json!({"name": "config", "mountPath": "/etc/mysql/conf.d"})),
        "{:?}",
        volume_mounts
    );
    assert!(
        volume_mounts.contains(
            &json!({"name": "config-source", "mountPath": "/sts-gen/source", "readOnly": true})
        ),
        "{:?}",
        volume_mounts
    );
    assert!(
        ri.script
            .contains("SRC=\"${STS_GEN_SOURCE_DIR:-/sts-gen/source}\""),
        "the script's default source folder must be the config-source mount:\n{}",
        ri.script
    );
    assert!(
        main_mounts.contains(&json!({"name": "config", "mountPath": "/etc/mysql/conf.d"})),
        "{:?}",
        main_mounts
    );
    // Every ConfigMap key is projected into the source folder.
    assert_eq!(ri.source_files.len(), config_data.len());
}

#[test]
fn mysql_primary_is_ordinal_zero() {
    let (_items, ri, tmp) = mysql();
    let files = ri.run_ok(tmp.path(), "mysql-0", "mysql", "mysql");
    assert_eq!(
        names(&files),
        ["pod-ordinal", "pod-role", "primary.cnf", "server-id.cnf"]
    );
    assert_eq!(files["primary.cnf"], "[mysqld]\nlog-bin\n");
    assert_eq!(
        files["server-id.cnf"],
        "[mysqld]\nserver-id=100\nport=3306\n"
    );
    assert_eq!(files["pod-ordinal"], "0\n");
    assert_eq!(files["pod-role"], "primary\n");
}

#[test]
fn mysql_every_ordinal_above_zero_is_a_replica_also_after_scaling() {
    let (_items, ri, tmp) = mysql();
    // mysql-7 does not exist with replicas: 3; it does after `kubectl scale --replicas=8`.
    for (pod, ordinal) in [("mysql-1", 1), ("mysql-2", 2), ("mysql-7", 7)] {
        let files = ri.run_ok(tmp.path(), pod, "mysql", "mysql");
        assert_eq!(
            names(&files),
            ["pod-ordinal", "pod-role", "replica.cnf", "server-id.cnf"],
            "{pod}"
        );
        assert!(!files.contains_key("primary.cnf"), "{pod}");
        assert_eq!(
            files["replica.cnf"], "[mysqld]\nread-only\nloose-super-read-only\n",
            "{pod}"
        );
        assert_eq!(
            files["server-id.cnf"],
            format!("[mysqld]\nserver-id={}\nport=3306\n", 100 + ordinal),
            "{pod}"
        );
        assert_eq!(files["pod-ordinal"], format!("{ordinal}\n"), "{pod}");
        assert_eq!(files["pod-role"], "replica\n", "{pod}");
    }
}

#[test]
fn mysql_pod_name_without_ordinal_fails() {
    let (_items, ri, tmp) = mysql();
    for pod in ["mysql", "mysql-", "mysql-x1"] {
        let InitRun {
            out,
            config_dir: dir,
        } = ri.run(tmp.path(), pod, "mysql", Some("mysql"));
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
    let (_items, ri, tmp) = mysql();
    let source = ri.mount_source(tmp.path());
    fs::remove_file(source.join("roles/replica/replica.cnf")).unwrap();
    // Run without mounting the source again.
    let (mut cmd, _dir) = ri.command(tmp.path(), "mysql-3", "mysql", Some("mysql"));
    let out = cmd.output().unwrap();
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
    assert_eq!(env_entry(&ri.container, "HEADLESS")["value"], "app");

    for (ordinal, role) in [(0, "a"), (1, "b"), (2, "a"), (3, "b"), (10, "b")] {
        let pod = format!("app-{ordinal}");
        let files = ri.run_ok(tmp.path(), &pod, "app", "ns1");
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
    let files = ri.run_ok(tmp.path(), "my-app-12", "my-app", "x");
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
    let files = ri.run_ok(tmp.path(), "app-4", "app", "ns");
    assert_eq!(
        files.get("my_file-1.conf").map(String::as_str),
        Some("x=$(echo no) `echo no` 'q' \"$HOME\" app/1\n"),
        "{:?}",
        names(&files)
    );
}
