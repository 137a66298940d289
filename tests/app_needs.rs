//! What real apps need beside the StatefulSet (issue 16): the Secret as files, per-Service
//! ports, annotations and types, extra Services, and RBAC for peer discovery. Each test
//! renders a small profile through the library and asserts the objects.

mod common;

use std::path::Path;

use base64::Engine;
use common::{all, main_container, mounts, named, one, pod, volume};
use serde_json::{json, Value};
use sts_gen::model;

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: rabbit
namespace: mq
image: rabbitmq:3.13.7
replicas: 3
ports:
  - {name: amqp, port: 5672}
  - {name: dist, port: 25672}
storage: {size: 1Gi, mountPath: /var/lib/rabbitmq}
";

fn try_render(extra: &str) -> Result<Vec<Value>, String> {
    common::try_render(
        "test.yaml",
        &format!("{BASE}{extra}"),
        Path::new("."),
        &model::Options::default(),
    )
}

fn render(extra: &str) -> Vec<Value> {
    try_render(extra).unwrap_or_else(|e| panic!("render failed: {e}\n--- extra:\n{extra}"))
}

fn render_err(extra: &str) -> String {
    match try_render(extra) {
        Ok(_) => panic!("rendered, expected an error:\n{extra}"),
        Err(e) => e,
    }
}

fn decoded(secret: &Value, key: &str) -> String {
    let b64 = secret["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no key {key}"));
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

// ------------------------------------------------------------------ the Secret as files

const SECRET_FILES: &str = "secret:
  data:
    password: {value: pw-123}
  files:
    rabbitmq.conf: |
      default_pass = {{ secret.password }}
      cluster_name = {{ name }}.{{ namespace }}
  mountPath: /etc/rabbitmq/secret
";

#[test]
fn secret_files_are_keys_of_the_secret_and_mounted_read_only() {
    let items = render(SECRET_FILES);
    let secret = one(&items, "Secret");
    assert_eq!(
        decoded(secret, "rabbitmq.conf"),
        "default_pass = pw-123\ncluster_name = rabbit.mq\n"
    );
    assert_eq!(decoded(secret, "password"), "pw-123");
    // Not in a ConfigMap.
    assert!(all(&items, "ConfigMap").is_empty());
    let c = main_container(&items);
    assert_eq!(mounts(c)["/etc/rabbitmq/secret"], "secret");
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "secret")
        .unwrap();
    assert_eq!(mount["readOnly"], true);
    // The pod has an fsGroup (the restricted defaults), which owns the files: group read.
    assert_eq!(pod(&items)["securityContext"]["fsGroup"], 10001);
    assert_eq!(
        volume(pod(&items), "secret")["secret"],
        json!({"secretName": "rabbit", "defaultMode": 0o440})
    );
}

#[test]
fn without_an_fs_group_the_files_are_world_readable_and_modes_are_octal() {
    let items = render(
        "securityContext: false
secret:
  data: {cookie: {value: c00kie}, password: {value: pw}}
  mountPath: /run/secrets/rabbit
  items:
    - {key: cookie, path: .erlang.cookie, mode: 0400}
    - {key: password, mode: \"0o440\"}
",
    );
    assert_eq!(
        volume(pod(&items), "secret")["secret"],
        json!({
            "secretName": "rabbit",
            "defaultMode": 0o444,
            "items": [
                {"key": "cookie", "path": ".erlang.cookie", "mode": 0o400},
                {"key": "password", "path": "password", "mode": 0o440},
            ],
        })
    );
}

#[test]
fn an_existing_secret_can_be_mounted_and_sidecars_mount_it_by_name() {
    let items = render(
        "secret: {existing: rabbit-creds, mountPath: /run/secrets/rabbit, defaultMode: 0400}
sidecars:
  - name: exporter
    image: kbudde/rabbitmq-exporter:1.0.0
    volumeMounts: [{name: secret, mountPath: /creds, readOnly: true}]
",
    );
    assert!(all(&items, "Secret").is_empty());
    assert_eq!(
        volume(pod(&items), "secret")["secret"],
        json!({"secretName": "rabbit-creds", "defaultMode": 0o400})
    );
    assert_eq!(
        mounts(common::container(&items, "exporter"))["/creds"],
        "secret"
    );
}

#[test]
fn secret_file_mistakes_are_located_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "secret: {data: {password: {value: pw}}, mountPath: /s, defaultMode: 440}\n",
            "secret.defaultMode: `440` is not a file mode: write it in octal with a leading zero",
        ),
        (
            "secret: {data: {password: {value: pw}}, mountPath: /s, items: [{key: pasword}]}\n",
            "`pasword` is not a key of Secret `rabbit`; did you mean `password`?",
        ),
        (
            "secret: {data: {password: {value: pw}}, items: [{key: password}]}\n",
            "secret.items: set secret.mountPath too",
        ),
        (
            "secret: {data: {password: {value: pw}}, mountPath: /var/lib/rabbitmq}\n",
            "is already the mount path of storage.mountPath",
        ),
        (
            "secret: {data: {password: {value: pw}}, mountPath: /s, items: [{key: password, path: ../x}]}\n",
            "must be a relative path without `..`",
        ),
        (
            "secret: {existing: creds, files: {a.conf: x}}\n",
            "secret.files are keys of the Secret sts-gen renders",
        ),
        (
            "secret: {data: {password: {value: pw}}, files: {a.conf: \"{{ secret.pasword }}\"}}\n",
            "secret.files[\"a.conf\"]",
        ),
        (
            "secret: {data: {password: {value: pw}}, mountPath: /s}\nvolumes: [{name: secret, emptyDir: {}}]\n",
            "volume name `secret` is already used",
        ),
    ];
    for (extra, expected) in cases {
        let e = render_err(extra);
        assert!(e.contains(expected), "{extra}\n=> {e}");
        assert!(e.contains("test.yaml:"), "located: {e}");
    }
}

#[test]
fn a_secret_value_never_reaches_a_file_error() {
    // A filter that fails on the value must not quote it.
    let e = render_err(
        "secret: {data: {password: {value: hunter2-secret}}, files: {a.conf: \"{{ secret.password | int + 1 }}\"}}\n",
    );
    assert!(!e.contains("hunter2-secret"), "{e}");
}

#[test]
fn a_volume_named_secret_stays_the_profiles_own_without_mount_path() {
    let items = render("volumes: [{name: secret, emptyDir: {}}]\n");
    assert_eq!(volume(pod(&items), "secret")["emptyDir"], json!({}));
    let _ = named(&items, "StatefulSet", "rabbit");
}
