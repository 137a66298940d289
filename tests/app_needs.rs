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

// ------------------------------------------------------------------ Services

const SERVICES: &str = "services:
  read:
    ports: [amqp]
    type: LoadBalancer
    annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"}
  headless: {annotations: {note: peers}}
  extra:
    - {name: \"{{ name }}-admin\", ports: [dist], annotations: {team: ops}}
    - {name: \"{{ name }}-2-lb\", ordinal: 2, type: NodePort, ports: [amqp]}
annotations: {owner: mq-team}
";

fn port_names(svc: &Value) -> Vec<&str> {
    svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

#[test]
fn services_have_their_own_ports_types_and_annotations() {
    let items = render(SERVICES);
    let read = named(&items, "Service", "rabbit-read");
    assert_eq!(port_names(read), ["amqp"]);
    assert_eq!(read["spec"]["type"], "LoadBalancer");
    assert_eq!(
        read["metadata"]["annotations"],
        json!({"owner": "mq-team", "service.beta.kubernetes.io/aws-load-balancer-internal": "true"})
    );
    let headless = named(&items, "Service", "rabbit");
    assert_eq!(port_names(headless), ["amqp", "dist"]);
    assert_eq!(
        headless["metadata"]["annotations"],
        json!({"owner": "mq-team", "note": "peers"})
    );
    let admin = named(&items, "Service", "rabbit-admin");
    assert_eq!(port_names(admin), ["dist"]);
    assert_eq!(admin["spec"]["type"], "ClusterIP");
    assert_eq!(admin["spec"]["selector"], headless["spec"]["selector"]);
    assert_eq!(admin["metadata"]["annotations"]["team"], "ops");
    let lb = named(&items, "Service", "rabbit-2-lb");
    assert_eq!(lb["spec"]["type"], "NodePort");
    assert_eq!(
        lb["spec"]["selector"]["statefulset.kubernetes.io/pod-name"],
        "rabbit-2"
    );
    // Other objects keep only the profile's annotations.
    assert_eq!(
        one(&items, "StatefulSet")["metadata"]["annotations"],
        json!({"owner": "mq-team"})
    );
    // A NodePort or LoadBalancer Service admits clients from anywhere.
    let np = one(&items, "NetworkPolicy");
    let client_rule = np["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r.get("from").is_none());
    assert!(client_rule.is_some(), "{np}");
}

#[test]
fn an_extra_load_balancer_alone_opens_the_network_policy() {
    let closed = render("services: {extra: [{name: admin, ports: [dist]}]}\n");
    let open = render("services: {extra: [{name: admin, ports: [dist], type: LoadBalancer}]}\n");
    let froms = |items: &[Value]| -> usize {
        one(items, "NetworkPolicy")["spec"]["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r.get("from").is_none())
            .count()
    };
    assert_eq!(froms(&closed), 0);
    assert_eq!(froms(&open), 1);
}

#[test]
fn service_mistakes_are_located_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "services: {read: {ports: [amqpp]}}\n",
            "services.read.ports[0]: `amqpp` is not one of the declared ports; did you mean `amqp`?",
        ),
        ("services: {read: {ports: []}}\n", "services.read.ports: list at least one port name"),
        (
            "services: {extra: [{name: rabbit-read}]}\n",
            "services.extra[0].name: Service `rabbit-read` is already the name of services.read",
        ),
        (
            "services: {extra: [{name: one, ordinal: 3}]}\n",
            "services.extra[0].ordinal: pod rabbit-3 does not exist with 3 replicas",
        ),
        (
            "services: {extra: [{name: Bad_Name}]}\n",
            "services.extra[0].name: `Bad_Name`",
        ),
        (
            "services: {extra: [{name: x, annotations: {\"bad key!\": v}}]}\n",
            "services.extra[0].annotations",
        ),
        ("services: {extra: [{ports: [amqp]}]}\n", "name"),
    ];
    for (extra, expected) in cases {
        let e = render_err(extra);
        assert!(e.contains(expected), "{extra}\n=> {e}");
        assert!(e.contains("test.yaml:"), "located: {e}");
    }
}

#[test]
fn the_cross_object_rules_cover_extra_services() {
    // A template (or an edit) that breaks an extra Service's wiring is caught like any other.
    let items = render(SERVICES);
    let docs: Vec<sts_gen::render::RenderedDoc> = items
        .into_iter()
        .map(|mut v| {
            if v["metadata"]["name"] == "rabbit-admin" {
                v["spec"]["ports"][0]["targetPort"] = json!("admin");
            }
            if v["metadata"]["name"] == "rabbit-2-lb" {
                v["spec"]["selector"]["statefulset.kubernetes.io/pod-name"] = json!("rabbit-7");
            }
            sts_gen::render::RenderedDoc {
                template: "t".into(),
                value: v,
            }
        })
        .collect();
    let errs = sts_gen::check::check(docs, &[]).unwrap_err();
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("Service rabbit-admin [service-ports]")
                && e.contains("targetPort `admin`")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("Service rabbit-2-lb [selects-pods]")),
        "{text:?}"
    );
}
