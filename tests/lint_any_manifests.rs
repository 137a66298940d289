//! `sts-gen lint` on manifests sts-gen did not render: rules meant for its own output must not
//! give false errors. Selectors are evaluated fully, every workload kind's pods count, and a
//! `kind: Profile` of another API group is an ordinary manifest. Each case is the passing
//! base (tests/lint/pass.yaml) plus documents written here.

mod common;

use std::fs;
use std::path::Path;

use common::{run, sts_gen as sts, ROOT};
use serde_json::Value;

/// Lints the base plus `extra` documents: (exit code, findings).
fn lint_with(extra: &str) -> (i32, Vec<Value>) {
    let (code, report) = lint_report(extra);
    (code, report["findings"].as_array().unwrap().clone())
}

/// Lints the base plus `extra` documents: (exit code, the whole JSON report).
fn lint_report(extra: &str) -> (i32, Value) {
    let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
    lint_text(&format!("{base}---\n{extra}"))
}

/// Lints `text` as one file: (exit code, the whole JSON report).
fn lint_text(text: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.yaml");
    fs::write(&file, text).unwrap();
    let r = run(sts().args([
        "lint",
        file.to_str().unwrap(),
        "-o",
        "json",
        "--fail-on",
        "error",
    ]));
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    (
        r.code,
        serde_json::from_str(&r.stdout).expect("JSON report"),
    )
}

/// Findings of `rule` only.
fn of_rule<'a>(findings: &'a [Value], rule: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["rule"] == rule).collect()
}

fn workload(kind: &str, api: &str, template: &str) -> String {
    format!(
        "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: web, namespace: shop}}\nspec:\n{template}"
    )
}

const WEB_SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n";

const POD_TEMPLATE: &str = "    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: web:1, ports: [{name: http, containerPort: 8080}]}]\n";

#[test]
fn a_service_may_select_the_pods_of_any_workload_kind() {
    let deployment_like =
        format!("  selector: {{matchLabels: {{app: web}}}}\n  template:\n{POD_TEMPLATE}");
    let cases = [
        workload("Deployment", "apps/v1", &deployment_like),
        workload("DaemonSet", "apps/v1", &deployment_like),
        workload("ReplicaSet", "apps/v1", &deployment_like),
        workload("Job", "batch/v1", &format!("  template:\n{POD_TEMPLATE}")),
        workload(
            "CronJob",
            "batch/v1",
            &format!(
                "  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n{}",
                POD_TEMPLATE.replace("\n    ", "\n        ").replacen("    ", "        ", 1)
            ),
        ),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec:\n  containers: [{name: web, image: web:1, ports: [{name: http, containerPort: 8080}]}]\n".to_string(),
    ];
    for w in &cases {
        let (_, findings) = lint_with(&format!("{w}---\n{WEB_SERVICE}"));
        assert_eq!(
            of_rule(&findings, "selects-pods"),
            Vec::<&Value>::new(),
            "{w}"
        );
        assert_eq!(
            of_rule(&findings, "service-ports"),
            Vec::<&Value>::new(),
            "{w}"
        );
    }
    // Still an error when no workload's pods match, and a named target port must exist.
    let (code, findings) = lint_with(&format!(
        "{}---\n{WEB_SERVICE}",
        workload(
            "Deployment",
            "apps/v1",
            &deployment_like.replace("app: web}}\n    spec", "app: other}}\n    spec")
        )
    ));
    assert_eq!(code, 1);
    let sel = of_rule(&findings, "selects-pods");
    assert_eq!(sel.len(), 1, "{findings:#?}");
    assert_eq!(sel[0]["name"], "web");
    assert!(
        sel[0]["message"].as_str().unwrap().contains("`app=web`"),
        "{}",
        sel[0]
    );
    let (_, findings) = lint_with(&format!(
        "{}---\n{}",
        workload("Deployment", "apps/v1", &deployment_like),
        WEB_SERVICE.replace("targetPort: http", "targetPort: https")
    ));
    assert_eq!(
        of_rule(&findings, "service-ports").len(),
        1,
        "{findings:#?}"
    );
}

#[test]
fn a_budget_with_only_match_expressions_is_a_selector() {
    let pdb = |expr: &str| {
        format!("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: shop-extra, namespace: shop}}\nspec:\n  maxUnavailable: 1\n  unhealthyPodEvictionPolicy: AlwaysAllow\n  selector:\n    matchExpressions: [{expr}]\n")
    };
    let (code, findings) = lint_with(&pdb(
        "{key: app.kubernetes.io/name, operator: In, values: [shop]}",
    ));
    assert_eq!(findings, Vec::<Value>::new());
    assert_eq!(code, 0);
    // Evaluated, not just present: NotIn the pods' value selects nothing.
    let (_, findings) = lint_with(&pdb(
        "{key: app.kubernetes.io/name, operator: NotIn, values: [shop]}",
    ));
    let sel = of_rule(&findings, "selects-pods");
    assert_eq!(sel.len(), 1, "{findings:#?}");
    assert_eq!(
        sel[0]["message"],
        "the PodDisruptionBudget selector `app.kubernetes.io/name notin (shop)` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"
    );
    let (_, findings) = lint_with(&pdb("{key: app.kubernetes.io/name, operator: Exists}"));
    assert_eq!(findings, Vec::<Value>::new());
    let (_, findings) = lint_with(&pdb(
        "{key: app.kubernetes.io/name, operator: DoesNotExist}",
    ));
    assert_eq!(of_rule(&findings, "selects-pods").len(), 1, "{findings:#?}");
}

#[test]
fn a_statefulset_selected_by_expressions_only_is_not_empty() {
    let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
    let from = "  selector:\n    matchLabels:\n      app.kubernetes.io/name: shop\n  serviceName";
    assert_eq!(base.matches(from).count(), 1);
    let text = base.replace(
        from,
        "  selector:\n    matchExpressions:\n    - {key: app.kubernetes.io/name, operator: In, values: [shop]}\n  serviceName",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.yaml");
    fs::write(&file, &text).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "json"]));
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(report["findings"], serde_json::json!([]), "{report:#}");
    assert_eq!(r.code, 0);
    // A requirement the pod labels fail is named.
    fs::write(&file, text.replace("values: [shop]}", "values: [other]}")).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "json"]));
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule"] == "selector"
            && f["message"]
                == "selector `app.kubernetes.io/name in (other)` does not match the pod template labels"),
        "{report:#}"
    );
}

#[test]
fn a_profile_of_another_api_group_is_an_ordinary_manifest() {
    let kubeflow = "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata: {name: team-a}\nspec:\n  owner: {kind: User, name: a@example.com}\n";
    let (code, findings) = lint_with(kubeflow);
    assert_eq!(findings, Vec::<Value>::new());
    assert_eq!(code, 0);
    // Alone in a file, it is skipped with a note rather than loaded as a profile.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profile.yaml");
    fs::write(&file, kubeflow).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("Profile team-a skipped"),
        "{report:#}"
    );
    assert!(sts_gen::lint::is_profile(
        "apiVersion: sts-gen/v1\nkind: Profile\n"
    ));
    assert!(sts_gen::lint::is_profile("apiVersion: \"sts-gen/v1\"\n"));
    assert!(!sts_gen::lint::is_profile(kubeflow));
}

#[test]
fn claim_ref_messages_show_kubernetes_values() {
    let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
    let from = "  name: shop-data-shop-0\nspec:\n";
    assert_eq!(base.matches(from).count(), 1);
    let text = base.replace(
        from,
        "  name: shop-data-shop-0\nspec:\n  claimRef: {name: cache, namespace: shop}\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.yaml");
    fs::write(&file, text).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "json"]));
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["claimRef `shop/cache` is not a claim of StatefulSet shop"],
        "{report:#}"
    );
}

#[test]
fn a_local_pv_without_node_affinity_is_one_finding() {
    // The rule once existed in the check stage (PVs of a claim's class) and again in lint
    // (every local PV), so such a PV was reported twice under two paths.
    let base = fs::read_to_string(Path::new(ROOT).join("tests/lint/pass.yaml")).unwrap();
    let from = "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: kubernetes.io/hostname\n          operator: In\n          values:\n          - node-b\n";
    assert_eq!(base.matches(from).count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.yaml");
    fs::write(&file, base.replace(from, "")).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "json"]));
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON report");
    let findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["name"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [(
            "local-pvs".to_string(),
            "shop-data-shop-1".to_string(),
            "a local PersistentVolume needs a required nodeAffinity".to_string()
        )]
    );
    assert_eq!(r.code, 1);
}

/// (rule, kind, name, message) of each finding, for exact comparisons.
fn brief(findings: &[Value]) -> Vec<(String, String, String, String)> {
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("kind"), s("name"), s("message"))
        })
        .collect()
}

fn finding(rule: &str, kind: &str, name: &str, message: &str) -> (String, String, String, String) {
    (rule.into(), kind.into(), name.into(), message.into())
}

#[test]
fn secret_data_may_be_line_wrapped_base64() {
    // `base64` wraps at 76 columns; the API server's decoder skips CR and LF.
    let secret = |data: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: tls, namespace: shop}}\ntype: Opaque\ndata:\n{data}")
    };
    let wrapped = "  ca.crt: |\n    LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENCK3dJSkFLSE9RWkQ1Z2xBPQotLS0t\n    LS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=\n";
    let (code, findings) = lint_with(&secret(wrapped));
    assert_eq!(brief(&findings), []);
    assert_eq!(code, 0);
    let crlf = "  ca.crt: \"LS0tLS1CRUdJTiBDRVJU\\r\\nSUZJQ0FURS0tLS0tCg==\\r\\n\"\n";
    let (code, findings) = lint_with(&secret(crlf));
    assert_eq!(brief(&findings), []);
    assert_eq!(code, 0);
    // Other whitespace and characters outside the alphabet are still not base64.
    for bad in [
        "  ca.crt: |\n    LS0tLS1C RUdJTiBD\n",
        "  ca.crt: \"not base64!\"\n",
        "  ca.crt: |\n    LS0tLS1CRUdJTiBDRVJU\n    SUZJQ0FURS0tLS0t\n    Cg=\n",
    ] {
        let (code, findings) = lint_with(&secret(bad));
        assert_eq!(
            brief(&findings),
            [finding(
                "schema",
                "Secret",
                "tls",
                "data[\"ca.crt\"] is not valid base64 (the value is not shown)"
            )],
            "{bad}"
        );
        assert_eq!(code, 1);
    }
}

fn role(name: &str, namespace: &str) -> String {
    format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: \"{name}\", namespace: {namespace}}}\nrules:\n- {{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get]}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: \"{name}\", namespace: {namespace}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: \"{name}\"}}\nsubjects:\n- {{kind: ServiceAccount, name: shop, namespace: shop}}\n")
}

#[test]
fn rbac_names_are_path_segments() {
    // Kubernetes validates RBAC names as path segments: `system:...` and `a:b` are common.
    let (code, findings) = lint_with(&role("shop-cainjector:leaderelection", "shop"));
    assert_eq!(brief(&findings), []);
    assert_eq!(code, 0);
    let segment = "is not a valid RBAC name (anything but `.` and `..`, without `/` or `%`)";
    for bad in ["a/b", "..", "50%"] {
        let (code, findings) = lint_with(&role(bad, "shop"));
        assert_eq!(
            brief(&findings),
            [
                finding(
                    "schema",
                    "Role",
                    bad,
                    &format!("metadata.name `{bad}` {segment}")
                ),
                finding(
                    "schema",
                    "RoleBinding",
                    bad,
                    &format!("metadata.name `{bad}` {segment}")
                ),
            ],
            "{bad}"
        );
        assert_eq!(code, 1);
    }
    // Other kinds keep their DNS rules.
    let (code, findings) = lint_with(&WEB_SERVICE.replace("name: web,", "name: \"a:b\","));
    assert_eq!(
        brief(&findings)
            .into_iter()
            .filter(|f| f.0 == "schema")
            .collect::<Vec<_>>(),
        [finding(
            "schema",
            "Service",
            "a:b",
            "metadata.name `a:b` is not a DNS-1123 label (lower-case letters, digits and `-`, starting and ending with a letter or digit)"
        )]
    );
    assert_eq!(code, 1);
}

#[test]
fn a_namespace_the_manifests_do_not_create_may_exist() {
    // The base has `Namespace shop`; kube-system exists in every cluster, and `monitoring` or
    // `elsewhere` may exist already: only sts-gen's own objects must all be in its Namespace.
    for ns in [
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "monitoring",
        "elsewhere",
    ] {
        let (code, findings) = lint_with(&role("shop-leader", ns));
        assert_eq!(brief(&findings), [], "{ns}");
        assert_eq!(code, 0, "{ns}");
    }
}

#[test]
fn a_custom_kind_named_like_a_core_kind_is_skipped() {
    let knative = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - image: ghcr.io/knative/helloworld-go:1.0\n";
    let kruise = format!(
        "apiVersion: apps.kruise.io/v1beta1\nkind: StatefulSet\nmetadata: {{name: web, namespace: shop}}\nspec:\n  replicas: 3\n  serviceName: web\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n{POD_TEMPLATE}  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {{podUpdatePolicy: InPlaceIfPossible, maxUnavailable: 2}}\n"
    );
    // The Kruise StatefulSet's pods are pods: the Service selecting them is satisfied.
    let (code, report) = lint_report(&format!("{knative}---\n{kruise}---\n{WEB_SERVICE}"));
    assert_eq!(brief(report["findings"].as_array().unwrap()), []);
    assert_eq!(code, 0);
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert!(
        notes[0].contains(
            ": Service hello (serving.knative.dev/v1, a custom resource) skipped (lint checks "
        ),
        "{notes:#?}"
    );
    assert!(
        notes[1].contains(
            ": StatefulSet web (apps.kruise.io/v1beta1, a custom resource) skipped (lint checks "
        ),
        "{notes:#?}"
    );
    // A Kubernetes group that is not the kind's is a wrong apiVersion, not a custom kind.
    for (api, expected) in [("apps/v1", "v1"), ("networking.k8s.io/v1", "v1")] {
        let (code, findings) =
            lint_with(&WEB_SERVICE.replace("apiVersion: v1", &format!("apiVersion: {api}")));
        assert_eq!(
            brief(&findings),
            [finding(
                "schema",
                "Service",
                "web",
                &format!("apiVersion is `{api}`; Service is `{expected}`")
            )]
        );
        assert_eq!(code, 1);
    }
}

#[test]
fn a_document_without_kind_is_skipped_or_named_as_such() {
    // A kustomization.yaml may leave out apiVersion and kind; `foo: bar` is no object either.
    for text in [
        "foo: bar\n",
        "resources: [a.yaml]\nnamePrefix: prod-\n",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nresources: [a.yaml]\n",
        // A Helm chart's Chart.yaml, of Helm 3 and of Helm 2.
        "apiVersion: v2\nname: shop\nversion: 1.2.3\nappVersion: \"16.4\"\ndependencies:\n- {name: common, version: 2.x.x, repository: oci://registry-1.docker.io/bitnamicharts}\n",
        "apiVersion: v1\nname: shop\nversion: 0.1.0\n",
    ] {
        let (code, report) = lint_report(text);
        assert_eq!(brief(report["findings"].as_array().unwrap()), [], "{text}");
        assert_eq!(code, 0);
        let notes = report["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 1, "{report:#}");
        assert!(
            notes[0].as_str().unwrap().ends_with(
                "#11: skipped: the document has no `kind`, so it is not a Kubernetes object"
            ),
            "{report:#}"
        );
    }
    // With metadata or a Kubernetes apiVersion it was meant as an object: the missing kind is the error.
    for text in [
        "apiVersion: v1\nmetadata: {name: cfg, namespace: shop}\ndata: {a: b}\n",
        "metadata: {name: cfg}\n",
    ] {
        let (code, findings) = lint_with(text);
        assert_eq!(
            brief(&findings),
            [finding("schema", "", "cfg", "the document has no `kind`")],
            "{text}"
        );
        assert_eq!(code, 1);
    }
}

#[test]
fn generate_name_stands_for_a_name() {
    let config_map = |meta: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{{meta}, namespace: shop}}\ndata: {{a: b}}\n")
    };
    let (code, findings) = lint_with(&config_map("generateName: cfg-"));
    assert_eq!(brief(&findings), []);
    assert_eq!(code, 0);
    let (code, findings) = lint_with(&config_map("generateName: Cfg_"));
    assert_eq!(
        brief(&findings),
        [finding(
            "schema",
            "ConfigMap",
            "",
            "metadata.generateName `Cfg_` is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)"
        )]
    );
    assert_eq!(code, 1);
    // Neither: the name is missing, said as such.
    let (code, findings) = lint_with(&config_map("labels: {a: b}"));
    assert_eq!(
        brief(&findings),
        [finding(
            "schema",
            "ConfigMap",
            "",
            "metadata.name is missing (and there is no metadata.generateName)"
        )]
    );
    assert_eq!(code, 1);
}

// --- Patterns of others' manifests the cross-object rules once flagged falsely ---

/// Rules on practices (what CI scanners check): left out where a test is about wiring.
const PRACTICES: &[&str] = &[
    "resources",
    "cpu-limit",
    "probes",
    "security-context",
    "read-only-root",
    "run-as-user",
    "pdb",
    "anti-affinity",
    "network-policy",
    "namespace-set",
    "image-tag",
];

/// Lints `text` alone: every finding as `rule Kind name: message`.
fn lint_alone(text: &str) -> Vec<String> {
    let (_, report) = lint_text(text);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f["rule"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["name"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// The findings of `text` but those of [`PRACTICES`].
fn wiring_findings(text: &str) -> Vec<String> {
    lint_alone(text)
        .into_iter()
        .filter(|f| !PRACTICES.contains(&f.split(' ').next().unwrap()))
        .collect()
}

/// StatefulSet `db` (2 replicas, `#SPEC` and `#POD` to add fields) with its headless Service,
/// in namespace `app`.
const DB: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: app}
spec:
  serviceName: db-hl
  replicas: 2
  selector: {matchLabels: {app: db}}
  #SPEC
  template:
    metadata: {labels: {app: db}}
    spec:
      #POD
      containers:
      - name: db
        image: postgres:16.2
        ports: [{name: pg, containerPort: 5432}]
        env: [{name: PEERS, value: \"#PEERS\"}]
---
apiVersion: v1
kind: Service
metadata: {name: db-hl, namespace: app}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432, targetPort: pg}]
";

/// [`DB`] with `spec` and `pod` fields added and `peers` as its env value, then `extra`.
fn db_with(spec: &str, pod: &str, peers: &str, extra: &str) -> String {
    let db = DB
        .replace("#SPEC", spec)
        .replace("#POD", pod)
        .replace("#PEERS", peers);
    format!("{db}---\n{extra}")
}

/// A Service in namespace `app` named `name` with `spec` (flow mapping entries).
fn service(name: &str, spec: &str) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: app}}\nspec: {{{spec}}}\n")
}

#[test]
fn services_without_a_selector_by_design_are_not_flagged() {
    // Endpoints managed by hand (an EndpointSlice names the Service), and a DNS alias.
    let slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: external-db-1\n  namespace: app\n  labels: {kubernetes.io/service-name: external-db}\naddressType: IPv4\nports: [{name: pg, port: 5432}]\nendpoints: [{addresses: [\"10.1.2.3\"]}]\n";
    let text = db_with(
        "",
        "",
        "",
        &format!(
            "{}---\n{slice}---\n{}",
            service(
                "external-db",
                "ports: [{name: pg, port: 5432, targetPort: 5432}]"
            ),
            service("ext", "type: ExternalName, externalName: db.example.com"),
        ),
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // A selector that selects nothing is still wrong.
    let text = db_with(
        "",
        "",
        "",
        &service("other", "selector: {app: nope}, ports: [{port: 80}]"),
    );
    assert_eq!(
        wiring_findings(&text),
        ["selects-pods Service other: the Service selector `app=nope` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"]
    );
}

#[test]
fn a_budget_with_an_empty_selector_covers_its_namespace() {
    let pdb = |ns: &str, selector: &str| {
        format!("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: all, namespace: {ns}}}\nspec: {{maxUnavailable: 1, unhealthyPodEvictionPolicy: AlwaysAllow{selector}}}\n")
    };
    let text = db_with("", "", "", &pdb("app", ", selector: {}"));
    let findings = lint_alone(&text);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.starts_with("selects-pods") || f.starts_with("pdb"))
            .collect::<Vec<_>>(),
        Vec::<&String>::new()
    );
    // No selector selects no pod; `{}` in a namespace without pods selects none either.
    let text = db_with("", "", "", &pdb("app", ""));
    assert_eq!(
        wiring_findings(&text),
        ["selects-pods PodDisruptionBudget all: the PodDisruptionBudget has no selector"]
    );
    assert!(lint_alone(&text).contains(
        &"pdb StatefulSet db: 2 replicas and no PodDisruptionBudget selects the pods: a node drain may evict several at once".to_string()
    ));
    let text = db_with("", "", "", &pdb("empty", ", selector: {}"));
    assert_eq!(
        wiring_findings(&text),
        ["selects-pods PodDisruptionBudget all: the PodDisruptionBudget selector `{}` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"]
    );
}

#[test]
fn pods_are_numbered_from_ordinals_start() {
    // replicas 2 from ordinal 3: pods db-3 and db-4.
    let start = "ordinals: {start: 3}";
    let primary = |pod: &str| {
        service(
            "db-primary",
            &format!("selector: {{app: db, statefulset.kubernetes.io/pod-name: {pod}}}, ports: [{{port: 5432}}]"),
        )
    };
    let last = service(
        "db-last",
        "selector: {apps.kubernetes.io/pod-index: \"4\"}, ports: [{port: 5432}]",
    );
    let text = db_with(
        start,
        "",
        "db-3.db-hl.app.svc.cluster.local:5432,db-4.db-hl:5432",
        &format!("{}---\n{last}", primary("db-3")),
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // Ordinals below start or past the last pod are still named.
    let text = db_with(
        start,
        "",
        "db-2.db-hl:5432,db-3.db-hl:5432",
        &primary("db-5"),
    );
    assert_eq!(
        wiring_findings(&text),
        [
            "peer-count StatefulSet db: replicas is 2, but the peer list written into its pod template or config names 2 pods: db-2, db-3; pods outside the list are not members, and members no pod runs count against the quorum",
            "pod-references StatefulSet db: `db-2.db-hl` names pod `db-2`, but StatefulSet `db` (serviceName `db-hl`, namespace `app`, 2 replicas, ordinals from 3) has pods `db-3` to `db-4`",
            "selects-pods Service db-primary: the Service selector `app=db,statefulset.kubernetes.io/pod-name=db-5` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace",
            "pod-references Service db-primary: selects pod `db-5` in namespace `app`, which StatefulSet `db` (serviceName `db-hl`, namespace `app`, 2 replicas, ordinals from 3) does not create; the Service has no endpoints",
        ]
    );
}

#[test]
fn a_native_sidecars_named_port_is_a_pod_port() {
    let init = |restart: &str| {
        format!("initContainers:\n      - {{name: proxy, image: envoyproxy/envoy:v1.30.1{restart}, ports: [{{name: metrics, containerPort: 9901}}]}}")
    };
    let metrics = service(
        "db-metrics",
        "selector: {app: db}, ports: [{name: metrics, port: 9901, targetPort: metrics}]",
    );
    let text = db_with("", &init(", restartPolicy: Always"), "", &metrics);
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // An init container that runs to completion serves nothing.
    let text = db_with("", &init(""), "", &metrics);
    assert_eq!(
        wiring_findings(&text),
        ["service-ports Service db-metrics: targetPort `metrics` is not a container port of the selected pods"]
    );
}

/// A PersistentVolume of class `class` (a local one on a node when `local`) pre-bound to
/// claim `app/<claim>`.
fn bound_pv(name: &str, class: &str, local: bool, claim: &str) -> String {
    let source = if local {
        "  local: {path: /mnt/x}\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-x]}]\n"
    } else {
        "  hostPath: {path: /mnt/x}\n"
    };
    format!("apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: {name}}}\nspec:\n  capacity: {{storage: 5Gi}}\n  accessModes: [ReadWriteOnce]\n  storageClassName: {class}\n  claimRef: {{namespace: app, name: {claim}}}\n{source}")
}

#[test]
fn a_volume_pre_bound_to_a_listed_claim_is_that_claims() {
    let claims = |class: &str| {
        format!("volumeClaimTemplates:\n  - metadata: {{name: data}}\n    spec: {{accessModes: [ReadWriteOnce], storageClassName: {class}, resources: {{requests: {{storage: 1Gi}}}}}}")
    };
    let mount = "volumes: []";
    let local = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: local}\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: WaitForFirstConsumer\n";
    let backup = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: backup, namespace: app}\nspec: {accessModes: [ReadWriteOnce], storageClassName: local, volumeName: backup-pv, resources: {requests: {storage: 5Gi}}}\n";
    let free = |i: u32| {
        format!("apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: pv-{i}}}\nspec:\n  capacity: {{storage: 1Gi}}\n  accessModes: [ReadWriteOnce]\n  storageClassName: local\n  local: {{path: /mnt/{i}}}\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchFields: [{{key: metadata.name, operator: In, values: [node-{i}]}}]\n")
    };
    let local_set = |claim: &str| {
        db_with(
            &claims("local"),
            mount,
            "",
            &format!(
                "{local}---\n{}---\n{}---\n{}---\n{backup}",
                free(0),
                free(1),
                bound_pv("backup-pv", "local", true, claim)
            ),
        )
    };
    assert_eq!(wiring_findings(&local_set("backup")), Vec::<String>::new());
    // A claim neither listed nor the StatefulSet's is still a stray.
    assert_eq!(
        wiring_findings(&local_set("nothing")),
        ["local-pvs PersistentVolume backup-pv: claimRef `app/nothing` is not a claim of StatefulSet db"]
    );
    // The same for a volume of a class with a provisioner (`pod-references` judges it).
    let other = backup.replace("local", "standard");
    let set = |claim: &str| {
        db_with(
            &claims("standard"),
            mount,
            "",
            &format!(
                "{}---\n{other}",
                bound_pv("backup-pv", "standard", false, claim)
            ),
        )
    };
    assert_eq!(wiring_findings(&set("backup")), Vec::<String>::new());
    assert_eq!(
        wiring_findings(&set("nothing")),
        ["pod-references PersistentVolume backup-pv: claimRef `app/nothing` is not a claim StatefulSet `db` (serviceName `db-hl`, namespace `app`, 2 replicas) creates (`data-db-<ordinal>` in namespace `app`); the volume stays unbound and the pod Pending"]
    );
}

#[test]
fn pod_selection_does_not_grow_with_replicas() {
    // Every ordinal was once tried in turn: 2^31 - 1 replicas took minutes.
    let sts = format!(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: a, namespace: app}}\nspec: {{replicas: 2147483647, serviceName: a, selector: {{matchLabels: {{app: a}}}}, template: {{metadata: {{labels: {{app: a}}}}, spec: {{containers: [{{name: a, image: a:1}}]}}}}}}\n---\n{}",
        service("a", "clusterIP: None, selector: {app: a}, ports: [{port: 80}]")
    );
    let by_name = |pod: &str| {
        service(
            "s",
            &format!(
                "selector: {{statefulset.kubernetes.io/pod-name: {pod}}}, ports: [{{port: 80}}]"
            ),
        )
    };
    let started = std::time::Instant::now();
    let findings = wiring_findings(&format!("{sts}---\n{}", by_name("zz")));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        findings,
        [
            "selects-pods Service s: the Service selector `statefulset.kubernetes.io/pod-name=zz` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace",
            "pod-references Service s: selects pod `zz` in namespace `app`, which StatefulSet `a` (serviceName `a`, namespace `app`, 2147483647 replicas) does not create; the Service has no endpoints",
        ]
    );
    // The last pod is found at once.
    let findings = wiring_findings(&format!("{sts}---\n{}", by_name("a-2147483646")));
    assert_eq!(findings, Vec::<String>::new());
}

#[test]
fn a_service_name_starts_with_a_letter() {
    let text = db_with(
        "",
        "",
        "",
        &service("1db", "selector: {app: db}, ports: [{port: 5432}]"),
    );
    assert_eq!(
        wiring_findings(&text),
        ["schema Service 1db: metadata.name `1db` is not a DNS-1035 label (lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit)"]
    );
    // A namespace may start with a digit (a DNS-1123 label).
    let text = db_with(
        "",
        "",
        "",
        &service("db1", "selector: {app: db}, ports: [{port: 5432}]"),
    )
    .replace("namespace: app", "namespace: 1app");
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
}

#[test]
fn a_custom_workload_with_a_pod_template_has_pods() {
    let rollout = |labels: &str| {
        format!("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: web, namespace: app}}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {labels}}}\n    spec:\n      containers: [{{name: web, image: nginx:1.25, ports: [{{name: http, containerPort: 80}}]}}]\n")
    };
    let web = service(
        "web",
        "selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]",
    );
    let text = db_with("", "", "", &format!("{}---\n{web}", rollout("{app: web}")));
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // Its pods are matched as any workload's: other labels are not selected.
    let text = db_with(
        "",
        "",
        "",
        &format!("{}---\n{web}", rollout("{app: other}")),
    );
    assert_eq!(
        wiring_findings(&text),
        ["selects-pods Service web: the Service selector `app=web` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"]
    );
}

#[test]
fn file_modes_in_yaml_1_1_octal_are_what_kubectl_reads() {
    // Helm charts render `defaultMode: 0755`; kubectl reads YAML 1.1, where that is 493.
    let mode = |m: &str| {
        db_with(
            "",
            &format!("volumes: [{{name: s, configMap: {{name: s, defaultMode: {m}}}}}]"),
            "",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s, namespace: app}\ndata: {a: b}\n",
        )
    };
    assert_eq!(wiring_findings(&mode("0755")), Vec::<String>::new());
    let (_, report) = lint_text(&mode("0755"));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "schema"),
        "{report:#}"
    );
    // A quoted mode is a string, which the type refuses.
    let quoted = wiring_findings(&mode("'0755'"));
    assert!(
        quoted
            .iter()
            .any(|f| f.starts_with("schema StatefulSet db")),
        "{quoted:#?}"
    );
}

#[test]
fn a_jobs_pods_carry_its_name_label() {
    // The Kubernetes docs' indexed Job with a headless Service for pod-to-pod traffic.
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: example-job, namespace: app}\nspec:\n  completions: 3\n  completionMode: Indexed\n  template:\n    spec:\n      subdomain: workers\n      restartPolicy: Never\n      containers: [{name: w, image: bash:5.2}]\n";
    let select = |sel: &str| {
        db_with(
            "",
            "",
            "",
            &format!(
                "{job}---\n{}",
                service("workers", &format!("clusterIP: None, selector: {{{sel}}}"))
            ),
        )
    };
    assert_eq!(
        wiring_findings(&select("job-name: example-job")),
        Vec::<String>::new()
    );
    assert_eq!(
        wiring_findings(&select("batch.kubernetes.io/job-name: example-job")),
        Vec::<String>::new()
    );
    assert_eq!(
        wiring_findings(&select("job-name: other-job")),
        ["selects-pods Service workers: the Service selector `job-name=other-job` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"]
    );
}

#[test]
fn service_name_is_optional() {
    let text = DB.replace("  serviceName: db-hl\n", "");
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    let text = DB.replace("serviceName: db-hl", "serviceName: \"\"");
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // Set, it may name a Service the manifests do not hold (made apart, or never: a CSI
    // controller's, as csi-driver-host-path's `csi-hostpathplugin`).
    let text = DB.replace("serviceName: db-hl", "serviceName: db-gone");
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // One among them must be headless.
    let text = format!(
        "{}---\n{}",
        DB.replace("serviceName: db-hl", "serviceName: db"),
        service("db", "selector: {app: db}, ports: [{name: pg, port: 5432}]")
    );
    assert!(
        wiring_findings(&text)
            .iter()
            .any(|f| f.starts_with("service-name StatefulSet db")),
        "{:#?}",
        wiring_findings(&text)
    );
    // But for one without a selector, whose endpoints the app writes: Patroni's example and
    // Zalando's Spilo name the primary's ClusterIP Service and reach peers by pod IP.
    let text = format!(
        "{}---\n{}",
        DB.replace("serviceName: db-hl", "serviceName: db"),
        service(
            "db",
            "type: ClusterIP, ports: [{port: 5432, targetPort: 5432}]"
        )
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
}

#[test]
fn a_seed_list_may_name_some_of_the_pods() {
    let peers = |replicas: u32, list: &str| {
        DB.replace("replicas: 2", &format!("replicas: {replicas}"))
            .replace("#SPEC", "")
            .replace("#POD", "")
            .replace("#PEERS", list)
    };
    // Cassandra's seeds: two of three pods.
    assert_eq!(
        wiring_findings(&peers(3, "db-0.db-hl,db-1.db-hl")),
        Vec::<String>::new()
    );
    // A list naming a pod that does not run is stale (scaled down after rendering).
    let stale = wiring_findings(&peers(1, "db-0.db-hl,db-1.db-hl"));
    assert!(
        stale
            .iter()
            .any(|f| f.starts_with("peer-count StatefulSet db")),
        "{stale:#?}"
    );
}

#[test]
fn another_apps_service_named_like_a_prefix_is_left_alone() {
    let cm = |url: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: client, namespace: app}}\ndata: {{URL: \"{url}\"}}\n")
    };
    // `db` in another namespace is not the Service `db-hl` of StatefulSet `db` renamed.
    let text = db_with(
        "",
        "",
        "",
        &cm("postgres://db.shared.svc.cluster.local:5432"),
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // The headless Service's own name in another namespace is (a namespace transform).
    let text = db_with(
        "",
        "",
        "",
        &cm("postgres://db-hl.old.svc.cluster.local:5432"),
    );
    let found = wiring_findings(&text);
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("pod-references ConfigMap client")),
        "{found:#?}"
    );
}

#[test]
fn a_schema_error_names_its_field() {
    let text = DB.replace("containerPort: 5432", "containerPort: five");
    let (_, report) = lint_text(&text);
    let schema: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema")
        .collect();
    assert_eq!(schema.len(), 1, "{report:#}");
    assert_eq!(
        schema[0]["path"],
        "spec.template.spec.containers[0].ports[0].containerPort"
    );
    assert!(
        schema[0]["message"].as_str().unwrap().starts_with(
            "does not match the Kubernetes schema at `spec.template.spec.containers[0].ports[0].containerPort`: invalid type"
        ),
        "{}",
        schema[0]["message"]
    );
}

#[test]
fn an_operators_pods_may_be_what_a_service_selects() {
    // kube-prometheus: the Service and budget of pods the Prometheus operator creates.
    let prometheus = "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: app}\nspec:\n  replicas: 2\n  podMetadata: {labels: {app.kubernetes.io/name: prometheus}}\n";
    let svc = service(
        "prometheus-k8s",
        "selector: {app.kubernetes.io/name: prometheus}, ports: [{name: web, port: 9090, targetPort: web}]",
    );
    let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: prometheus-k8s, namespace: app}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app.kubernetes.io/name: prometheus}}\n";
    let text = db_with("", "", "", &format!("{prometheus}---\n{svc}---\n{pdb}"));
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // A monitoring resource runs no pods: the same Service beside a ServiceMonitor selects none.
    let monitor = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: k8s, namespace: app}\nspec:\n  selector: {matchLabels: {app: db}}\n  endpoints: [{port: pg}]\n";
    let text = db_with("", "", "", &format!("{monitor}---\n{svc}"));
    assert_eq!(
        wiring_findings(&text),
        ["selects-pods Service prometheus-k8s: the Service selector `app.kubernetes.io/name=prometheus` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"]
    );
    // In another namespace the operator's pods are not the Service's.
    let text = db_with(
        "",
        "",
        "",
        &format!(
            "{}---\n{svc}",
            prometheus.replace("namespace: app", "namespace: mon")
        ),
    );
    assert_eq!(
        wiring_findings(&text).len(),
        1,
        "{:#?}",
        wiring_findings(&text)
    );
}

#[test]
fn an_object_without_a_namespace_may_be_in_anyones() {
    // kubectl puts it in the namespace of the moment: `default` beside an explicit one.
    let text = DB
        .replace(
            "metadata: {name: db, namespace: app}",
            "metadata: {name: db}",
        )
        .replace("#SPEC", "")
        .replace("#POD", "")
        .replace("#PEERS", "");
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // Two explicit namespaces still differ.
    let text = DB
        .replace(
            "metadata: {name: db, namespace: app}",
            "metadata: {name: db, namespace: other}",
        )
        .replace("#SPEC", "")
        .replace("#POD", "")
        .replace("#PEERS", "");
    let found = wiring_findings(&text);
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("selects-pods Service db-hl")),
        "{found:#?}"
    );
}

/// A StatefulSet of someone else's whose headless Service and Secret are not in the file.
/// (csi-driver-host-path's controller names a Service it never creates.)
const LONE_STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers:\n      - name: db\n        image: db:1.2\n        env:\n        - name: PASSWORD\n          valueFrom: {secretKeyRef: {name: db-auth, key: password}}\n";

#[test]
fn findings_on_others_manifests_speak_of_the_manifests_not_of_a_render() {
    let (code, report) = lint_text(LONE_STS);
    let findings = report["findings"].as_array().unwrap();
    // The headless Service may be made apart: not judged.
    assert_eq!(of_rule(findings, "service-name").len(), 0);
    assert_eq!(
        brief(&of_rule(findings, "references").into_iter().cloned().collect::<Vec<_>>()),
        [finding(
            "references",
            "StatefulSet",
            "db",
            "env `PASSWORD` of container `db` refers to Secret `db-auth`, which is not among the manifests"
        )]
    );
    for f in findings {
        let text = format!("{} {}", f["message"], f["fix"]);
        assert!(!text.contains("rendered"), "{f}");
    }
    assert_eq!(code, 1);
}

/// `lint FILE -n NS -o json` on `text`: (exit code, report).
fn lint_text_in(text: &str, namespace: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.yaml");
    fs::write(&file, text).unwrap();
    let r = run(sts().args([
        "lint",
        file.to_str().unwrap(),
        "-n",
        namespace,
        "-o",
        "json",
    ]));
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    (
        r.code,
        serde_json::from_str(&r.stdout).expect("JSON report"),
    )
}

#[test]
fn dash_n_puts_objects_without_a_namespace_where_kubectl_apply_n_would() {
    // The Service sets no namespace; the Deployment it selects is in `shop`.
    let deployment = workload(
        "Deployment",
        "apps/v1",
        &format!("  selector: {{matchLabels: {{app: web}}}}\n  template:\n{POD_TEMPLATE}"),
    );
    let service = WEB_SERVICE.replace("name: web, namespace: shop", "name: web");
    let text = format!("{deployment}---\n{service}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: web-read}}\nrules: []\n");
    // Without -n the Service may be in `shop`: no finding but the missing namespace.
    let (code, report) = lint_text(&text);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        brief(findings),
        [finding(
            "namespace-set",
            "Service",
            "web",
            "the Service has no namespace; it lands in whatever namespace kubectl's context has"
        )]
    );
    assert_eq!(code, 0);
    // `-n shop`: it is in `shop`, beside its pods.
    let (code, report) = lint_text_in(&text, "shop");
    assert_eq!(brief(report["findings"].as_array().unwrap()), []);
    assert_eq!(code, 0);
    // `-n other`: it lands in `other`, where no pods are.
    let (code, report) = lint_text_in(&text, "other");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        brief(findings),
        [finding(
            "selects-pods",
            "Service",
            "web",
            "the Service selector `app=web` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace"
        )]
    );
    assert_eq!(findings[0]["namespace"], "other");
    assert_eq!(code, 1);
    // A bad namespace is bad input.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.yaml");
    fs::write(&file, &text).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-n", "Not_A_Label"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--namespace `Not_A_Label`"),
        "{}",
        r.stderr
    );
}

#[test]
fn config_map_and_secret_keys_are_what_the_api_server_accepts() {
    let long = "k".repeat(254);
    let text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm, namespace: shop}}\ndata:\n  \"bad key\": a\n  ..data: b\n  ok.conf: c\n  dup: d\n  {long}: e\nbinaryData:\n  dup: YQ==\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: s, namespace: shop}}\ndata:\n  .hidden: YQ==\nstringData:\n  \"a/b\": x\n  .hidden: yy\n");
    let (code, report) = lint_text(&text);
    let findings = report["findings"].as_array().unwrap();
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = |p: &str| (p.to_string(), "schema".to_string());
    assert_eq!(
        got,
        [
            want("data[\"..data\"]"),
            want("data[\"bad key\"]"),
            want(&format!("data[\"{long}\"]")),
            want("binaryData[\"dup\"]"),
            want("stringData[\"a/b\"]"),
        ],
        "{findings:#?}"
    );
    assert_eq!(
        findings[3]["message"],
        "key `dup` is in both data and binaryData; the API server refuses a ConfigMap with a key twice"
    );
    assert_eq!(
        findings[1]["message"],
        "data key `bad key` is not a valid file/key name (letters, digits, `-`, `_`, `.`; not `.` or `..`)"
    );
    assert_eq!(code, 1);
    // SARIF points at each key's own line.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.yaml");
    fs::write(&file, &text).unwrap();
    let r = run(sts().args(["lint", file.to_str().unwrap(), "-o", "sarif"]));
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    let lines: Vec<i64> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [6, 5, 9, 11, 19]);
}

#[test]
fn a_csi_controller_may_name_a_service_that_is_not_there() {
    // kubernetes-csi/csi-driver-host-path: `serviceName: csi-hostpathplugin`, no such Service.
    let text = DB
        .replace("serviceName: db-hl", "serviceName: csi-hostpathplugin")
        .replace("#SPEC", "")
        .replace("#POD", "")
        .replace("#PEERS", "");
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
}

#[test]
fn services_in_kube_system_may_select_the_clusters_own_pods() {
    // kube-prometheus-stack renders these by default: the pods are static control-plane pods
    // and CoreDNS, which no manifest holds.
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: kps-kube-controller-manager, namespace: kube-system}\nspec:\n  clusterIP: None\n  ports: [{name: http-metrics, port: 10257, targetPort: 10257}]\n  selector: {component: kube-controller-manager}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: kps-coredns, namespace: kube-system}\nspec:\n  clusterIP: None\n  ports: [{name: http-metrics, port: 9153, targetPort: 9153}]\n  selector: {k8s-app: kube-dns}\n";
    let (code, report) = lint_text(text);
    assert_eq!(brief(report["findings"].as_array().unwrap()), []);
    assert_eq!(code, 0);
    // Elsewhere a selector that matches nothing is still one.
    let (code, report) = lint_text(&text.replace("kube-system", "monitoring"));
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["selects-pods", "selects-pods"]);
    assert_eq!(code, 1);
}

#[test]
fn local_volumes_made_by_the_static_provisioner_are_not_counted() {
    // sig-storage-local-static-provisioner makes the PersistentVolumes of `fast-disks` from
    // the nodes' disks: none is among the manifests.
    let class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast-disks}\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: WaitForFirstConsumer\n";
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: db}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers:\n      - {name: db, image: postgres:16.2, volumeMounts: [{name: data, mountPath: /data}]}\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: fast-disks\n      resources: {requests: {storage: 100Gi}}\n";
    let (_, report) = lint_text(&format!("{class}---\n{sts}"));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(of_rule(findings, "local-pvs").len(), 0, "{findings:#?}");
    // With some of the class's volumes among them, they are the set: one is not three.
    let pv = "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv-0}\nspec:\n  capacity: {storage: 100Gi}\n  accessModes: [ReadWriteOnce]\n  storageClassName: fast-disks\n  local: {path: /mnt/fast-disks/a}\n  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-a]}]\n";
    let (_, report) = lint_text(&format!("{class}---\n{sts}---\n{pv}"));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        brief(
            &of_rule(findings, "local-pvs")
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        ),
        [finding(
            "local-pvs",
            "StatefulSet",
            "db",
            "1 local PersistentVolumes in class `fast-disks` for 3 replicas"
        )]
    );
}

#[test]
fn a_peer_list_counts_only_this_statefulsets_pods() {
    // Both pods listed; beside them a web address that starts like a pod's name but is
    // outside the cluster.
    let text = DB.replace("#SPEC", "").replace("#POD", "").replace(
        "#PEERS",
        "db-0.db-hl.app.svc:5432,db-1.db-hl.app.svc:5432 https://db-7.db-hl.example.com/",
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // A pod named past replicas in this namespace is still stale.
    let text = DB
        .replace("#SPEC", "")
        .replace("#POD", "")
        .replace("#PEERS", "db-0.db-hl.app.svc,db-1.db-hl,db-2.db-hl.app");
    assert!(
        wiring_findings(&text)
            .iter()
            .any(|f| f.starts_with("peer-count StatefulSet db")),
        "{:#?}",
        wiring_findings(&text)
    );
}

#[test]
fn service_types_and_port_numbers_the_api_server_refuses() {
    let svc = |name: &str, spec: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{app: web}}\n{spec}")
    };
    let text = [
        svc("range", "  ports:\n  - {name: a, port: 0}\n  - {name: b, port: 70000, targetPort: 70000}\n  - {name: c, port: 82, targetPort: -1}\n  - {name: d, port: 83, targetPort: Http}\n"),
        svc("typo", "  type: Loadbalancer\n  ports: [{port: 80}]\n"),
        svc("lb", "  type: LoadBalancer\n  clusterIP: None\n  ports: [{port: 80, nodePort: 70000}]\n"),
        svc("none", ""),
        // Valid: a headless Service or an ExternalName needs no ports; a targetPort of 0 or
        // "" is defaulted to the port, not a name to resolve.
        svc("hl", "  clusterIP: None\n"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: alias, namespace: shop}\nspec: {type: ExternalName, externalName: db.example.com}\n".to_string(),
        svc("defaulted", "  ports:\n  - {name: a, port: 80, targetPort: 0}\n  - {name: b, port: 81, targetPort: \"\"}\n"),
        workload(
            "Deployment",
            "apps/v1",
            &format!("  selector: {{matchLabels: {{app: web}}}}\n  template:\n{POD_TEMPLATE}"),
        ),
    ]
    .join("---\n");
    let (_, report) = lint_text(&text);
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema" || f["rule"] == "service-ports")
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f["rule"].as_str().unwrap(),
                f["name"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "schema range spec.ports[0].port: port 0 is not in 1..65535",
            "schema range spec.ports[1].port: port 70000 is not in 1..65535",
            "schema range spec.ports[1].targetPort: targetPort 70000 is not in 1..65535",
            "schema range spec.ports[2].targetPort: targetPort -1 is not in 1..65535",
            "schema range spec.ports[3].targetPort: targetPort: port name `Http` must be lower-case letters, digits and single `-`, with at least one letter",
            "service-ports range spec.ports: targetPort `Http` is not a container port of the selected pods",
            "schema typo spec.type: type `Loadbalancer` is not ClusterIP, NodePort, LoadBalancer or ExternalName",
            "schema lb spec.clusterIP: clusterIP: None (headless) is refused on a Service of type LoadBalancer",
            "schema lb spec.ports[0].nodePort: nodePort 70000 is not in 1..65535",
            "schema none spec.ports: the Service has no ports; the API server requires them unless it is headless (clusterIP: None) or an ExternalName",
        ],
        "{:#?}",
        report["findings"]
    );
}

#[test]
fn service_ports_and_budget_numbers_the_api_server_refuses() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: shop}\nspec:\n  selector: {app: web}\n  ports:\n  - {name: a, port: 80}\n  - {name: a, port: 81}\n  - {name: c, port: 80, protocol: TCP}\n  - {name: d, port: 80, protocol: UDP}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: hl, namespace: shop}\nspec:\n  clusterIP: None\n  selector: {app: web}\n  ports: [{name: a, port: 80, nodePort: 30080}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: np, namespace: shop}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{name: a, port: 80, nodePort: 30080}]\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: both, namespace: shop}\nspec:\n  minAvailable: 1\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n  unhealthyPodEvictionPolicy: AlwaysAllow\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: odd, namespace: shop}\nspec:\n  maxUnavailable: 150%\n  selector: {matchLabels: {app: web}}\n  unhealthyPodEvictionPolicy: Sometimes\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: fine, namespace: shop}\nspec:\n  minAvailable: 50%\n  selector: {matchLabels: {app: web}}\n  unhealthyPodEvictionPolicy: IfHealthyBudget\n";
    let deployment = workload(
        "Deployment",
        "apps/v1",
        &format!("  selector: {{matchLabels: {{app: web}}}}\n  template:\n{POD_TEMPLATE}"),
    );
    let (code, report) = lint_text(&format!("{text}---\n{deployment}"));
    let findings = report["findings"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["name"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("schema", "svc", "spec.ports[1].name"),
            ("schema", "svc", "spec.ports[2].port"),
            ("schema", "hl", "spec.ports[0].nodePort"),
            ("schema", "both", "spec.maxUnavailable"),
            ("schema", "odd", "spec.maxUnavailable"),
            ("schema", "odd", "spec.unhealthyPodEvictionPolicy"),
        ],
        "{findings:#?}"
    );
    assert_eq!(
        findings[1]["message"],
        "port 80/TCP is listed twice; the API server refuses a Service with a port and protocol twice"
    );
    assert_eq!(
        findings[4]["message"],
        "maxUnavailable `150%` is more than 100%"
    );
    assert_eq!(code, 1);
}

#[test]
fn a_pod_volume_named_like_a_claim_template_is_replaced_by_the_claim() {
    // The StatefulSet controller puts the claim in place of a volume of the same name.
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: db}\nspec:\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers:\n      - {name: db, image: postgres:16.2, volumeMounts: [{name: data, mountPath: /data}]}\n      volumes:\n      - {name: data, emptyDir: {}}\n      - {name: cfg, emptyDir: {}}\n#MORE\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n";
    let (_, report) = lint_text(&sts.replace("#MORE\n", ""));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(of_rule(findings, "volumes").len(), 0, "{findings:#?}");
    // Two pod volumes of one name are refused by the API server.
    let (code, report) = lint_text(&sts.replace("#MORE", "      - {name: cfg, emptyDir: {}}"));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        brief(
            &of_rule(findings, "volumes")
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        ),
        [finding(
            "volumes",
            "StatefulSet",
            "db",
            "volume name `cfg` is defined twice"
        )]
    );
    assert_eq!(code, 1);
}

#[test]
fn an_external_secret_of_any_shape_is_skipped_and_its_secret_counts() {
    // v1beta1 (still served), and v1 with fields sts-gen does not render: the operator's
    // own schema, not sts-gen's subset, decides.
    let text = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: db-creds, namespace: app}\nspec:\n  refreshInterval: 1h\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  target:\n    template:\n      engineVersion: v2\n      data: {DSN: \"postgres://db:5432/app\"}\n  dataFrom:\n  - extract: {key: secret/data/db}\n---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: api-key, namespace: app}\nspec:\n  refreshPolicy: Periodic\n  secretStoreRef: {name: aws, kind: SecretStore}\n  target: {name: api-token, deletionPolicy: Retain}\n  data:\n  - secretKey: key\n    remoteRef: {key: prod/api, property: key, conversionStrategy: Default}\n";
    let (_, report) = lint_text(&format!("{text}---\n{LONE_STS}").replace(
        "valueFrom: {secretKeyRef: {name: db-auth, key: password}}",
        "valueFrom: {secretKeyRef: {name: api-token, key: key}}\n        - name: DSN\n          valueFrom: {secretKeyRef: {name: db-creds, key: DSN}}",
    ).replace("namespace: data}", "namespace: app}"));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(of_rule(findings, "schema").len(), 0, "{findings:#?}");
    assert_eq!(of_rule(findings, "references").len(), 0, "{findings:#?}");
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.as_str().unwrap().contains("ExternalSecret"))
            .count(),
        2,
        "{notes:#?}"
    );
}

#[test]
fn an_autoscaled_statefulset_may_run_its_most_replicas() {
    // Pod db-4 runs once the HorizontalPodAutoscaler scales db up to 5.
    let text = DB
        .replace("#SPEC", "")
        .replace("#POD", "")
        .replace("#PEERS", "db-4.db-hl.app.svc:5432");
    let found = wiring_findings(&text);
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("pod-references StatefulSet db")),
        "{found:#?}"
    );
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: db, namespace: app}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}\n  minReplicas: 2\n  maxReplicas: 5\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]\n";
    assert_eq!(
        wiring_findings(&format!("{text}---\n{hpa}")),
        Vec::<String>::new()
    );
    // Past the autoscaler's most, the pod never runs.
    let past = text.replace("db-4.db-hl", "db-5.db-hl");
    let found = wiring_findings(&format!("{past}---\n{hpa}"));
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("pod-references StatefulSet db")),
        "{found:#?}"
    );
}

#[test]
fn pods_that_may_label_themselves_may_carry_a_label_their_template_lacks() {
    // Vault, Patroni, Bitnami Redis: the leader labels its own pod (`vault-active: "true"`),
    // which its ServiceAccount may do by RBAC, and a Service selects it by that label.
    let active = service(
        "db-primary",
        "selector: {app: db, role: primary}, ports: [{name: pg, port: 5432, targetPort: pg}]",
    );
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: label-pods, namespace: app}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get, list, patch]\n";
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: db, namespace: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: label-pods}\nsubjects: [{kind: ServiceAccount, name: db, namespace: app}]\n";
    let rbac = format!("{role}---\n{binding}---\n{active}");
    let text = db_with("", "serviceAccountName: db", "", &rbac);
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // Also when the run-time label sorts first (lint finds a selector's pods by its first
    // label).
    let leader = service(
        "db-leader",
        "selector: {active: 'true', app: db}, ports: [{name: pg, port: 5432, targetPort: pg}]",
    );
    let text = db_with(
        "",
        "serviceAccountName: db",
        "",
        &format!("{role}---\n{binding}---\n{leader}"),
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    // A budget's expression on the label is met the same way.
    let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: db-primary, namespace: app}\nspec:\n  maxUnavailable: 0\n  selector:\n    matchLabels: {app: db}\n    matchExpressions: [{key: role, operator: In, values: [primary]}]\n";
    let text = db_with(
        "",
        "serviceAccountName: db",
        "",
        &format!("{rbac}---\n{pdb}"),
    );
    assert_eq!(wiring_findings(&text), Vec::<String>::new());
    let no_pods = |name: &str, sel: &str| {
        format!("selects-pods Service {name}: the Service selector `{sel}` matches no pods of a workload (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job, CronJob, Pod) in its namespace")
    };
    // Without the right to patch pods (another account, read-only verbs) the label is never
    // set: nothing is selected.
    let text = db_with("", "", "", &rbac);
    assert_eq!(
        wiring_findings(&text),
        [no_pods("db-primary", "app=db,role=primary")]
    );
    let read_only = rbac.replace("get, list, patch", "get, list");
    let text = db_with("", "serviceAccountName: db", "", &read_only);
    assert_eq!(
        wiring_findings(&text),
        [no_pods("db-primary", "app=db,role=primary")]
    );
    // A label the template sets keeps its value, and a selector must still match the pods on
    // one of the template's labels.
    let other = service(
        "other",
        "selector: {app: web, role: primary}, ports: [{name: pg, port: 5432}]",
    );
    let only_run_time = service(
        "leader",
        "selector: {role: primary}, ports: [{name: pg, port: 5432}]",
    );
    let text = db_with(
        "",
        "serviceAccountName: db",
        "",
        &format!("{rbac}---\n{other}---\n{only_run_time}"),
    );
    assert_eq!(
        wiring_findings(&text),
        [
            no_pods("other", "app=web,role=primary"),
            no_pods("leader", "role=primary")
        ]
    );
}

#[test]
fn labels_annotations_and_selectors_the_api_server_refuses() {
    let long = "a".repeat(64);
    let text = db_with(
        "",
        "",
        "",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: app\n  labels: {{helm.sh/chart: \"db-1.2.3+build.4\", release: {long}, empty: \"\", app.kubernetes.io/name: db}}\n  annotations: {{\"not valid/key/twice\": x, example.com/free-text: \"any text: at all!\"}}\n---\n{}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: db, namespace: app}}\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {{app: db}}\n    matchExpressions: [{{key: tier, operator: in, values: [a]}}, {{key: role, operator: Exists, values: [x]}}, {{key: zone, operator: NotIn}}]\n",
            service("bad-sel", "selector: {app: \"db!\"}, ports: [{port: 80}]"),
        ),
    );
    // The pod template's labels are checked too (where a chart's label lands on every pod).
    let text = text.replace(
        "metadata: {labels: {app: db}}",
        "metadata: {labels: {app: db, \"-bad\": x}}",
    );
    let (_, report) = lint_text(&text);
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema")
        .map(|f| {
            format!(
                "{} {} {}",
                f["name"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let value = "is not a valid label value (at most 63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric)";
    let key = "is not a valid key (name part: 1-63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric)";
    assert_eq!(
        got,
        [
            format!("db spec.template.metadata.labels[\"-bad\"] label key `-bad` {key}"),
            format!("cm metadata.labels[\"helm.sh/chart\"] label `helm.sh/chart` value `db-1.2.3+build.4` {value}"),
            format!("cm metadata.labels[\"release\"] label `release` value `{long}` {value}"),
            "cm metadata.annotations[\"not valid/key/twice\"] annotation key prefix `not valid/key` is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)".to_string(),
            format!("bad-sel spec.selector[\"app\"] label `app` value `db!` {value}"),
            "db spec.selector.matchExpressions[0].operator operator `in` is not In, NotIn, Exists or DoesNotExist".to_string(),
            "db spec.selector.matchExpressions[1].operator operator Exists takes no values".to_string(),
            "db spec.selector.matchExpressions[2].operator operator NotIn needs values".to_string(),
        ],
        "{:#?}",
        report["findings"]
    );
}

#[test]
fn a_cronjob_schedule_the_api_server_cannot_parse_is_refused() {
    let cron = |schedule: &str| {
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: backup, namespace: app}}\nspec:\n  schedule: \"{schedule}\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers: [{{name: b, image: \"pg:16.2\"}}]\n")
    };
    let schema = |schedule: &str| {
        let (_, report) = lint_text(&cron(schedule));
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "schema")
            .map(|f| {
                format!(
                    "{}: {}",
                    f["path"].as_str().unwrap(),
                    f["message"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    for fine in [
        "@daily",
        "@every 1h30m",
        "*/5 * * * *",
        "0 3 * * mon-fri",
        "0 0 ? * *",
    ] {
        assert_eq!(schema(fine), Vec::<String>::new(), "{fine}");
    }
    assert_eq!(
        schema("H 3 * * *"),
        ["spec.schedule: schedule `H 3 * * *` does not parse: the minute field `H`: `H` is not a number"]
    );
    assert_eq!(
        schema("TZ=UTC 0 3 * * *"),
        ["spec.schedule: schedule `TZ=UTC 0 3 * * *` does not parse: five fields are needed, such as `0 3 * * *`"]
    );
}

#[test]
fn ingress_and_network_policy_fields_the_api_server_refuses() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: app}\nspec:\n  rules:\n  - host: \"*.example.com\"\n    http:\n      paths:\n      - path: /\n        backend: {service: {name: web, port: {number: 80}}}\n      - path: /x\n        pathType: prefix\n        backend: {service: {name: web, port: {name: Http}}}\n      - path: api\n        pathType: Prefix\n        backend: {service: {name: web, port: {number: 70000}}}\n      - pathType: ImplementationSpecific\n        backend: {service: {name: web, port: {name: http}}}\n  - host: Example.com\n    http:\n      paths:\n      - {path: /, pathType: Exact, backend: {service: {name: Web_1, port: {number: 80}}}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: app}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, ingress]\n  ingress: [{ports: [{port: 70000}, {port: http-x, protocol: tcp}, {port: 8000, endPort: 7000}, {port: 8000, endPort: 9000, protocol: UDP}]}]\n";
    let (_, report) = lint_text(text);
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema")
        .map(|f| {
            format!(
                "{} {}",
                f["path"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "spec.rules[0].http.paths[0].pathType pathType is required (Exact, Prefix or ImplementationSpecific)",
            "spec.rules[0].http.paths[1].pathType pathType `prefix` is not Exact, Prefix or ImplementationSpecific",
            "spec.rules[0].http.paths[1].backend.service.port port name `Http` must be lower-case letters, digits and single `-`, with at least one letter",
            "spec.rules[0].http.paths[2].path path `api` is not absolute (start it with `/`)",
            "spec.rules[0].http.paths[2].backend.service.port port 70000 is not in 1..65535",
            "spec.rules[1].host host `Example.com` is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)",
            "spec.rules[1].http.paths[0].backend.service.name Service name `Web_1` is not a DNS-1123 label (lower-case letters, digits and `-`, starting and ending with a letter or digit)",
            "spec.policyTypes[1] policy type `ingress` is not Ingress or Egress",
            "spec.ingress[0].ports[0].port port 70000 is not in 1..65535",
            "spec.ingress[0].ports[1].protocol protocol `tcp` is not TCP, UDP or SCTP",
            "spec.ingress[0].ports[2].endPort endPort 7000 is not between port 8000 and 65535",
        ],
        "{:#?}",
        report["findings"]
    );
}

#[test]
fn a_typed_list_from_the_api_is_unpacked_like_kind_list() {
    // `kubectl get --raw` and client libraries write `ServiceList`; kubectl applies its items.
    let text = "apiVersion: v1\nkind: ServiceList\nmetadata: {resourceVersion: \"1\"}\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: shop}\n  spec:\n    selector: {app: nope}\n    ports: [{port: 80}]\n---\napiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: a, namespace: other}\nspec: {items: [x]}\n";
    let (code, report) = lint_text(text);
    assert_eq!(code, 1);
    assert_eq!(report["objects"], 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(of_rule(findings, "selects-pods").len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["name"], "web");
    // A custom kind named `...List` without items is an object, skipped with a note.
    assert!(report["notes"][0]
        .as_str()
        .unwrap()
        .contains("AllowList a skipped"));
}

#[test]
fn a_secret_of_a_built_in_type_needs_its_keys() {
    let secret = |name: &str, kind: &str, body: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: app}}\ntype: {kind}\n{body}")
    };
    let text = [
        secret(
            "tls",
            "kubernetes.io/tls",
            "stringData: {cert: a, tls.key: b}\n",
        ),
        secret(
            "pull",
            "kubernetes.io/dockerconfigjson",
            "data: {config.json: e30=}\n",
        ),
        secret(
            "basic",
            "kubernetes.io/basic-auth",
            "stringData: {user: a}\n",
        ),
        // Valid: keys in data or stringData (even empty), one of username and password.
        secret(
            "tls-ok",
            "kubernetes.io/tls",
            "data: {tls.crt: \"\"}\nstringData: {tls.key: k}\n",
        ),
        secret(
            "basic-ok",
            "kubernetes.io/basic-auth",
            "stringData: {password: p}\n",
        ),
        secret("opaque", "Opaque", ""),
    ]
    .join("---\n");
    let (_, report) = lint_text(&text);
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema")
        .map(|f| {
            format!(
                "{} {}: {}",
                f["name"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "tls type: a Secret of type kubernetes.io/tls needs key `tls.crt`; the API server refuses it without",
            "pull type: a Secret of type kubernetes.io/dockerconfigjson needs key `.dockerconfigjson`; the API server refuses it without",
            "basic type: a Secret of type kubernetes.io/basic-auth needs key `username` or `password`; the API server refuses it without",
        ]
    );
}

#[test]
fn an_image_reference_the_kubelet_cannot_pull_or_the_api_server_refuses() {
    let image = |image: &str| {
        let text = DB.replace("image: postgres:16.2", &format!("image: \"{image}\""));
        lint_alone(&text)
            .into_iter()
            .filter(|f| f.starts_with("image-tag") || f.starts_with("schema"))
            .collect::<Vec<_>>()
    };
    for fine in [
        "localhost:5000/team/app:1.2",
        "[::1]:5000/app:1",
        "Registry.Example.com/team/app_x:v1.2.3-rc.1",
        "a/b__c/d-e--f:1_2",
        "registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:d5f8217feeac4887cb1ed21f27c2674e58be06bd8f5184cacea2a69abaf78dce",
    ] {
        assert_eq!(image(fine), Vec::<String>::new(), "{fine}");
    }
    let invalid = |i: &str| {
        format!("image-tag StatefulSet db: container `db`: image `{i}` is not a valid image reference (an optional registry, a lower-case repository, then `:tag` or `@sha256:...`); the kubelet cannot pull it (InvalidImageName)")
    };
    for bad in [
        "Postgres:16.2",
        "postgres:16.2:1",
        "postgres:-1",
        "postgres@sha256:xyz",
        "team//app:1",
    ] {
        assert_eq!(image(bad), [invalid(bad)], "{bad}");
    }
    assert_eq!(
        image("postgres:16.2 "),
        ["schema StatefulSet db: container `db`, `image`: image `postgres:16.2 ` has leading or trailing whitespace"]
    );
}

#[test]
fn claims_and_claim_templates_the_api_server_refuses() {
    let template = |claim: &str| {
        DB.replace("#SPEC", &format!("volumeClaimTemplates: [{claim}]"))
            .replace("#POD", "")
            .replace("#PEERS", "")
    };
    let schema = |text: &str| {
        lint_alone(text)
            .into_iter()
            .filter(|f| f.starts_with("schema"))
            .collect::<Vec<_>>()
    };
    let fine = "{metadata: {name: data}, spec: {accessModes: [ReadWriteOncePod], volumeMode: Block, resources: {requests: {storage: 1Gi}}}}";
    assert_eq!(schema(&template(fine)), Vec::<String>::new());
    for (claim, expect) in [
        ("{metadata: {name: data}, spec: {accessModes: [ReadWriteOnly], resources: {requests: {storage: 1Gi}}}}", "access mode `ReadWriteOnly` is not ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod"),
        ("{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}", "a claim needs at least one access mode"),
        ("{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce]}}", "a claim needs a storage request (resources.requests.storage)"),
        ("{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 0}}}}", "the storage request must be more than zero"),
        ("{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], volumeMode: block, resources: {requests: {storage: 1Gi}}}}", "volumeMode `block` is not Filesystem or Block"),
        ("{metadata: {name: Data_1}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}", "claim template name `Data_1` makes claim names that are not valid: `Data_1-db-0` is not a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)"),
    ] {
        assert_eq!(schema(&template(claim)), [format!("schema StatefulSet db: {expect}")], "{claim}");
    }
    // A claim of its own is held to the same.
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: scratch, namespace: app}\nspec: {accessModes: [ReadWriteMany], resources: {requests: {storage: 0Gi}}}\n";
    assert_eq!(
        schema(pvc),
        ["schema PersistentVolumeClaim scratch: the storage request must be more than zero"]
    );
}

#[test]
fn persistent_volumes_the_api_server_refuses() {
    let pv = |name: &str, spec: &str| {
        format!("apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: {name}}}\nspec:\n  storageClassName: manual\n  hostPath: {{path: /data/{name}}}\n{spec}")
    };
    let text = [
        pv("fine", "  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [n1]}]}]}}\n"),
        pv("modes", "  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnly]\n  persistentVolumeReclaimPolicy: retain\n"),
        pv("size", "  accessModes: [ReadWriteOnce]\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: in, values: [n1]}]}]}}\n"),
    ]
    .join("---\n");
    let got: Vec<String> = lint_alone(&text)
        .into_iter()
        .filter(|f| f.starts_with("schema"))
        .collect();
    assert_eq!(
        got,
        [
            "schema PersistentVolume modes: access mode `ReadWriteOnly` is not ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod",
            "schema PersistentVolume modes: persistentVolumeReclaimPolicy `retain` is not Retain, Delete or Recycle",
            "schema PersistentVolume size: a PersistentVolume needs a storage capacity (capacity.storage)",
            "schema PersistentVolume size: operator `in` is not In, NotIn, Exists, DoesNotExist, Gt or Lt",
        ]
    );
}

#[test]
fn bindings_and_storage_classes_the_api_server_refuses() {
    let text = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nprovisioner: ebs.csi.aws.com\nvolumeBindingMode: waitForFirstConsumer\nreclaimPolicy: retain\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: role, name: r}\nsubjects: [{kind: serviceaccount, name: sa}, {kind: User, name: bob}, {kind: ServiceAccount, name: db}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: fine, namespace: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]\n";
    let got: Vec<String> = lint_alone(text)
        .into_iter()
        .filter(|f| f.starts_with("schema"))
        .collect();
    assert_eq!(
        got,
        [
            "schema StorageClass fast: reclaimPolicy `retain` is not Retain or Delete",
            "schema StorageClass fast: volumeBindingMode `waitForFirstConsumer` is not Immediate or WaitForFirstConsumer",
            "schema RoleBinding rb: roleRef kind `role` is not Role or ClusterRole",
            "schema RoleBinding rb: subject kind `serviceaccount` is not ServiceAccount, User or Group",
        ]
    );
}

#[test]
fn a_workload_with_a_schema_error_still_has_pods_for_its_services() {
    // One problem, one finding: the bad field, not also "the Service selects no pods".
    let text = DB
        .replace("#SPEC", "")
        .replace("#POD", "")
        .replace("#PEERS", "")
        .replace(
            "image: postgres:16.2",
            "image: postgres:16.2\n        tty: yes-please",
        );
    let rules: Vec<String> = lint_alone(&text)
        .into_iter()
        .filter(|f| !PRACTICES.contains(&f.split(' ').next().unwrap()))
        .map(|f| f.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(rules, ["schema StatefulSet db"], "{:#?}", lint_alone(&text));
}
