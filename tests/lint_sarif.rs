//! `sts-gen lint -o sarif`: rule metadata for every rule, a result per finding on the line of
//! the manifest it is about, suppressed findings marked. (scripts/schema-check.sh validates
//! the logs against the published SARIF 2.1.0 schema with check-jsonschema.)
mod common;

use common::*;
use serde_json::Value;

const MANIFEST: &str = "# hand-written\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n  namespace: x\n  annotations: {sts-gen/ignore: \"cpu-limit bursts are fine\"}\nspec:\n  serviceName: web\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n";

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
