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

// ------------------------------------------------------------------ RBAC and extra kinds

#[test]
fn rbac_renders_a_role_its_binding_and_mounts_the_token() {
    let items = render(
        "rbac:
  rules:
    - {apiGroups: [\"\"], resources: [endpoints], verbs: [get, list]}
    - {apiGroups: [\"\"], resources: [pods], resourceNames: [\"{{ name }}-0\"], verbs: [get]}
",
    );
    let role = one(&items, "Role");
    assert_eq!(role["metadata"]["name"], "rabbit");
    assert_eq!(role["metadata"]["namespace"], "mq");
    assert_eq!(role["rules"][1]["resourceNames"], json!(["rabbit-0"]));
    let binding = one(&items, "RoleBinding");
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "rabbit"})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "rabbit", "namespace": "mq"}])
    );
    let sa = one(&items, "ServiceAccount");
    assert_eq!(binding["subjects"][0]["name"], sa["metadata"]["name"]);
    assert_eq!(pod(&items)["automountServiceAccountToken"], true);
    // Apply order: the Role and its binding before the pods that use them.
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    let at = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    assert!(at("ServiceAccount") < at("Role") && at("RoleBinding") < at("StatefulSet"));
    // Without rbac the pods get no token.
    assert_eq!(pod(&render(""))["automountServiceAccountToken"], false);
    assert!(all(&render(""), "Role").is_empty());
}

#[test]
fn rbac_mistakes_are_located_errors() {
    for (extra, expected) in [
        (
            "rbac: {rules: [{apiGroups: [\"\"], resources: [pods]}]}\n",
            "rbac.rules[0]: a rule needs `verbs`",
        ),
        (
            "rbac: {rules: [{apiGroup: [\"\"], resources: [pods], verbs: [get]}]}\n",
            "rbac.rules[0].apiGroup: unknown field",
        ),
        ("rbac: {rules: []}\n", "rbac.rules: list at least one rule"),
    ] {
        let e = render_err(extra);
        assert!(e.contains(expected), "{extra}\n=> {e}");
        assert!(e.contains("test.yaml:"), "located: {e}");
    }
}

/// Renders BASE with the bundled templates plus `templates` (file name, text), through the
/// binary: (exit code, stdout, stderr).
fn render_with_templates(templates: &[(&str, &str)]) -> common::Run {
    render_with_templates_and(templates, "")
}

/// [`render_with_templates`] of BASE plus `extra`.
fn render_with_templates_and(templates: &[(&str, &str)], extra: &str) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("templates");
    std::fs::create_dir(&tdir).unwrap();
    // --templates needs one template at least; an empty one renders nothing.
    std::fs::write(tdir.join("none.yaml.j2"), "").unwrap();
    for (name, text) in templates {
        std::fs::write(tdir.join(name), text).unwrap();
    }
    let profile = dir.path().join("p.yaml");
    std::fs::write(&profile, format!("{BASE}{extra}")).unwrap();
    common::run(common::sts_gen().args([
        "render",
        profile.to_str().unwrap(),
        "--templates",
        tdir.to_str().unwrap(),
    ]))
}

const MONITOR: &str = "apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {{ meta(app, app.name) | tojson }}
spec:
  selector: {matchLabels: {{ app.selectorLabels | tojson }}}
  endpoints: [{port: amqp, interval: 30s, path: /metrics}]
";

const POD_MONITOR: &str = "apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {{ meta(app, app.name) | tojson }}
spec:
  selector: {matchLabels: {{ app.selectorLabels | tojson }}}
  podMetricsEndpoints: [{port: amqp}]
";

const CERTIFICATE: &str = "apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{ meta(app, app.name ~ \"-tls\") | tojson }}
spec:
  secretName: {{ (app.name ~ \"-tls\") | tojson }}
  issuerRef: {name: ca, kind: ClusterIssuer}
  dnsNames: [{{ (\"*.\" ~ app.services.headless.name) | tojson }}]
  privateKey: {algorithm: ECDSA, size: 256}
";

const INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{ meta(app, app.name) | tojson }}
spec:
  rules:
    - host: mq.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: {{ app.services.read.name | tojson }}, port: {name: amqp}}}
";

const CRON: &str = "apiVersion: batch/v1
kind: CronJob
metadata: {{ meta(app, app.name ~ \"-backup\") | tojson }}
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: {{ app.image | tojson }}}]
";

#[test]
fn templates_may_render_the_kinds_stateful_apps_need_in_apply_order() {
    let r = render_with_templates(&[
        ("servicemonitor.yaml.j2", MONITOR),
        ("podmonitor.yaml.j2", POD_MONITOR),
        ("certificate.yaml.j2", CERTIFICATE),
        ("ingress.yaml.j2", INGRESS),
        ("cronjob.yaml.j2", CRON),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let items = common::parse_yaml_stream(&r.stdout);
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    let at = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("{k}: {kinds:?}"))
    };
    // The TLS Secret's Certificate before the pods mount it; monitors after what they watch.
    assert!(at("Certificate") < at("StatefulSet"));
    assert!(at("Service") < at("Ingress"));
    assert!(at("StatefulSet") < at("ServiceMonitor"));
    assert!(at("StatefulSet") < at("PodMonitor"));
    assert!(at("StatefulSet") < at("CronJob"));
    let cert = one(&items, "Certificate");
    assert_eq!(cert["spec"]["dnsNames"], json!(["*.rabbit"]));
    assert_eq!(cert["spec"]["issuerRef"]["kind"], "ClusterIssuer");
    assert_eq!(
        one(&items, "ServiceMonitor")["spec"]["endpoints"][0]["interval"],
        "30s"
    );
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn extra_kinds_are_schema_checked() {
    let cases: &[(&str, String, &str)] = &[
        (
            "servicemonitor.yaml.j2",
            MONITOR.replace("interval: 30s", "intervall: 30s"),
            "unknown field `spec.endpoints[0].intervall`",
        ),
        (
            "servicemonitor.yaml.j2",
            MONITOR.replace("  selector: {matchLabels: {{ app.selectorLabels | tojson }}}\n", ""),
            "missing field `selector`",
        ),
        (
            "certificate.yaml.j2",
            CERTIFICATE.replace("  issuerRef: {name: ca, kind: ClusterIssuer}\n", ""),
            "missing field `issuerRef`",
        ),
        (
            "certificate.yaml.j2",
            CERTIFICATE.replace("dnsNames", "dnsName"),
            "unknown field `spec.dnsName`",
        ),
        (
            "podmonitor.yaml.j2",
            POD_MONITOR.replace("monitoring.coreos.com/v1", "monitoring.coreos.com/v1alpha1"),
            "apiVersion is `monitoring.coreos.com/v1alpha1`; PodMonitor is `monitoring.coreos.com/v1`",
        ),
        (
            "ingress.yaml.j2",
            INGRESS.replace("pathType", "pathTyp"),
            "unknown field `spec.rules[0].http.paths[0].pathTyp`",
        ),
        (
            "deployment.yaml.j2",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n".into(),
            "kind `Deployment` (apps/v1) is not one sts-gen renders",
        ),
    ];
    for (name, text, expected) in cases {
        let r = render_with_templates(&[(name, text)]);
        assert_eq!(r.code, 2, "{name}: {}", r.stdout);
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(expected), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("template `{name}`")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn an_unknown_custom_kind_renders_with_a_warning() {
    let r = render_with_templates(&[(
        "scaledobject.yaml.j2",
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {{ meta(app, app.name) | tojson }}\nspec: {scaleTargetRef: {name: {{ app.name | tojson }}, kind: StatefulSet}}\n",
    )]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let items = common::parse_yaml_stream(&r.stdout);
    let so = one(&items, "ScaledObject");
    assert_eq!(so["spec"]["scaleTargetRef"]["kind"], "StatefulSet");
    // Last in apply order, after everything sts-gen knows.
    assert_eq!(items.last().unwrap()["kind"], "ScaledObject");
    assert!(
        r.stderr.contains("template `scaledobject.yaml.j2` renders ScaledObject rabbit (keda.sh/v1alpha1), a custom kind sts-gen has no schema for"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_certificates_secret_counts_as_rendered_for_references() {
    let mount = |key: &str| {
        format!(
            "volumes: [{{name: tls, secret: {{secretName: rabbit-tls, items: [{{key: {key}, path: server.crt}}]}}}}]\n"
        )
    };
    let ok = render_with_templates_and(&[("certificate.yaml.j2", CERTIFICATE)], &mount("tls.crt"));
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let bad = render_with_templates_and(&[("certificate.yaml.j2", CERTIFICATE)], &mount("tls.pem"));
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("refers to key `tls.pem` of Secret `rabbit-tls`, which has no such key"),
        "{}",
        bad.stderr
    );
    // Without the Certificate the Secret is not rendered at all.
    let none = render_with_templates_and(&[], &mount("tls.crt"));
    assert_eq!(none.code, 2, "{}", none.stdout);
}

#[test]
fn an_external_secret_is_mounted_by_its_keys() {
    let ext = "secret:
  external: {store: {name: vault}, keys: {password: app/pw, cookie: app/cookie}}
  mountPath: /run/secrets/rabbit
  items: [{key: cookie, path: .erlang.cookie}]
";
    let items = render(ext);
    assert!(all(&items, "Secret").is_empty());
    assert_eq!(one(&items, "ExternalSecret")["metadata"]["name"], "rabbit");
    assert_eq!(
        volume(pod(&items), "secret")["secret"]["items"],
        json!([{"key": "cookie", "path": ".erlang.cookie"}])
    );
    let e = render_err(&ext.replace("key: cookie", "key: cokie"));
    assert!(
        e.contains("`cokie` is not a key of Secret `rabbit`; did you mean `cookie`?"),
        "{e}"
    );
}
