//! `sts-gen lint -o sarif`: rule metadata for every rule, a result per finding on the line of
//! the manifest it is about, suppressed findings marked. (scripts/schema-check.sh validates
//! the logs against the published SARIF 2.1.0 schema with check-jsonschema.)
mod common;

use common::*;
use serde_json::{json, Value};

const MANIFEST: &str = "# hand-written\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n  namespace: x\n  annotations: {sts-gen/ignore: \"cpu-limit bursts are fine\"}\nspec:\n  serviceName: web\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80}]\n";

fn sarif_of(path: &std::path::Path) -> Value {
    let r = run(sts_gen().arg("lint").arg(path).args(["-o", "sarif"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn rules_carry_help_and_scanner_counterparts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.yaml");
    std::fs::write(&file, MANIFEST).unwrap();
    let log = sarif_of(&file);
    assert_eq!(log["version"], "2.1.0");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let listed = run_ok(sts_gen().args(["lint", "--rules"])).stdout;
    assert_eq!(rules.len(), listed.lines().count());
    for r in rules {
        assert!(listed.contains(r["id"].as_str().unwrap()));
        assert!(r["help"]["text"].as_str().unwrap().starts_with("Fix: "));
        assert!(
            ["error", "warning"].contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    let image = rules.iter().find(|r| r["id"] == "image-tag").unwrap();
    assert!(image["properties"]["checkov"]
        .as_array()
        .unwrap()
        .contains(&"CKV_K8S_14".into()));
    assert!(image["help"]["text"]
        .as_str()
        .unwrap()
        .contains("kube-linter: latest-tag"));
}

#[test]
fn results_point_at_the_manifest_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.yaml");
    std::fs::write(&file, MANIFEST).unwrap();
    let log = sarif_of(&file);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let line_of = |needle: &str| MANIFEST.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let find = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("{rule}: {results:?}"))
    };
    let image = find("image-tag");
    let loc = &image["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], file.display().to_string());
    assert_eq!(loc["region"]["startLine"], line_of("image: nginx:latest"));
    assert_eq!(
        find("service-name")["locations"][0]["physicalLocation"]["region"]["startLine"],
        line_of("serviceName: web")
    );
    assert_eq!(image["level"], "error");
    for r in results {
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            r["ruleId"]
        );
    }
    // The suppressed finding is there, marked, with its reason.
    let cpu = find("cpu-limit");
    assert_eq!(cpu["suppressions"][0]["justification"], "bursts are fine");
}

/// A finding on an item of a `kind: List` points into that item, in YAML and in the JSON
/// `kubectl get -o json` writes, not at the first item with the same field.
#[test]
fn list_items_are_located_one_by_one() {
    let service = |name: &str, app: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "x"},
               "spec": {"selector": {"app": app}, "ports": [{"port": 80}]}})
    };
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "x"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
            "metadata": {"labels": {"app": "a"}},
            "spec": {"containers": [{"name": "a", "image": "nginx:1.27"}]}}}});
    let list = json!({"apiVersion": "v1", "kind": "List",
        "items": [deployment, service("a", "a"), service("b", "zzz")]});
    let dir = tempfile::tempdir().unwrap();
    let json_file = dir.path().join("l.json");
    std::fs::write(&json_file, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    let yaml_file = dir.path().join("l.yaml");
    std::fs::write(&yaml_file, "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a, namespace: x}\n  spec:\n    selector: {matchLabels: {app: a}}\n    template:\n      metadata: {labels: {app: a}}\n      spec: {containers: [{name: a, image: \"nginx:1.27\"}]}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: x}\n  spec:\n    selector: {app: a}\n    ports: [{port: 80}]\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b, namespace: x}\n  spec:\n    selector: {app: zzz}\n    ports: [{port: 80}]\n").unwrap();
    for file in [json_file, yaml_file] {
        let text = std::fs::read_to_string(&file).unwrap();
        let log = sarif_of(&file);
        let result = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == "selects-pods")
            .unwrap_or_else(|| panic!("{log:#}"))
            .clone();
        let line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap() as usize;
        // The selector line of the third item: the last `selector` line in the file.
        let expected = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("selector"))
            .map(|(i, _)| i + 1)
            .last()
            .unwrap();
        assert_eq!(line, expected, "{}: {result:#}", file.display());
    }
}

/// A finding's field is looked for under its parent and at its list index: a port without a
/// name points at that port, not at the next `name:` of the file (a volumeMount's), and the
/// second container's image at that container's.
#[test]
fn fields_are_located_under_their_parent_and_index() {
    let manifest = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: x}\nspec:\n  serviceName: web\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 8082\n        volumeMounts:\n        - name: home\n          mountPath: /home\n      - name: tools\n        image: busybox\n      volumes:\n      - {name: home, emptyDir: {}}\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sts.yaml");
    std::fs::write(&file, manifest).unwrap();
    let log = sarif_of(&file);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let line_of = |rule: &str, path: &str| {
        results
            .iter()
            .find(|r| {
                r["ruleId"] == rule && r["locations"][0]["logicalLocations"][0]["name"] == path
            })
            .unwrap_or_else(|| panic!("{rule} {path}: {results:#?}"))["locations"][0]
            ["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
    };
    let line = |text: &str| manifest.lines().position(|l| l.contains(text)).unwrap() as u64 + 1;
    assert_eq!(
        line_of(
            "port-names",
            "spec.template.spec.containers[0].ports[0].name"
        ),
        line("- containerPort: 8082")
    );
    assert_eq!(
        line_of("image-tag", "spec.template.spec.containers[1].image"),
        line("image: busybox")
    );
}

/// Manifests on standard input are located too (they were all at line 1).
#[test]
fn results_from_standard_input_point_at_their_lines() {
    let r = run(sts_gen()
        .args(["lint", "-", "-o", "sarif"])
        .write_stdin(MANIFEST));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    let image = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "image-tag")
        .unwrap()
        .clone();
    let loc = &image["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "stdin");
    let line = MANIFEST
        .lines()
        .position(|l| l.contains("image: nginx:latest"))
        .unwrap()
        + 1;
    assert_eq!(loc["region"]["startLine"], line);
}
