//! The published JSON Schemas: the committed copies are what `sts-gen schema` prints, every
//! key is described for editors, and `sts-gen init` points editors at the schema.
//! (scripts/schema-check.sh runs a standard validator, check-jsonschema, over the bundled,
//! starter and bad profiles in CI.)
mod common;

use common::*;
use serde_json::Value;

fn committed(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(ROOT).join("schema").join(name)).unwrap()
}

#[test]
fn committed_schemas_are_the_printed_ones() {
    let profile = run_ok(sts_gen().arg("schema")).stdout;
    assert_eq!(
        profile,
        committed("profile.schema.json"),
        "schema/profile.schema.json is stale: sts-gen schema > schema/profile.schema.json"
    );
    let overlay = run_ok(sts_gen().args(["schema", "--overlay"])).stdout;
    assert_eq!(
        overlay,
        committed("overlay.schema.json"),
        "schema/overlay.schema.json is stale: sts-gen schema --overlay > schema/overlay.schema.json"
    );
    let p: Value = serde_json::from_str(&profile).unwrap();
    let o: Value = serde_json::from_str(&overlay).unwrap();
    assert_ne!(p["$id"], o["$id"]);
    assert!(p["required"]
        .as_array()
        .unwrap()
        .contains(&"apiVersion".into()));
    assert_eq!(o.get("required"), None, "an overlay requires nothing");
    assert_eq!(
        o["properties"].get("preset"),
        None,
        "an overlay cannot choose a preset"
    );
}

/// Every key of the profile format says what it is (editors show it on hover), in the
/// user's words: no Rust or internal module names.
#[test]
fn every_key_is_described() {
    let schema: Value = serde_json::from_str(&committed("profile.schema.json")).unwrap();
    let mut missing = Vec::new();
    let mut check = |at: String, props: &serde_json::Map<String, Value>| {
        for (key, prop) in props {
            match prop.get("description").and_then(Value::as_str) {
                Some(d) if !d.trim().is_empty() => {
                    for internal in ["crate::", "model::", "Option<", "Vec<", "serde", "schemars"] {
                        assert!(!d.contains(internal), "{at}.{key}: `{internal}` in {d:?}");
                    }
                }
                _ => missing.push(format!("{at}.{key}")),
            }
        }
    };
    check("profile".into(), schema["properties"].as_object().unwrap());
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if name.starts_with("io.k8s.") {
            continue;
        }
        if let Some(props) = def.get("properties").and_then(Value::as_object) {
            check(name.clone(), props);
        }
    }
    assert!(
        missing.is_empty(),
        "keys without a description: {missing:?}"
    );
}

#[test]
fn constants_and_preset_names_are_in_the_schema() {
    let schema: Value = serde_json::from_str(&committed("profile.schema.json")).unwrap();
    assert_eq!(schema["properties"]["apiVersion"]["const"], "sts-gen/v1");
    assert_eq!(schema["properties"]["kind"]["const"], "Profile");
    let presets = run_ok(sts_gen().arg("presets")).stdout;
    let mut names: Vec<Value> = presets
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().into())
        .collect();
    names.push(Value::Null);
    assert_eq!(schema["properties"]["preset"]["enum"], Value::Array(names));
}

#[test]
fn init_points_editors_at_the_schema() {
    let schema: Value = serde_json::from_str(&committed("profile.schema.json")).unwrap();
    let id = schema["$id"].as_str().unwrap();
    assert!(id.starts_with("https://") && id.ends_with("/profile.schema.json"));
    for name in bundled_names() {
        let starter = run_ok(sts_gen().args(["init", &name])).stdout;
        assert_eq!(
            starter.lines().next().unwrap(),
            format!("# yaml-language-server: $schema={id}")
        );
    }
}
