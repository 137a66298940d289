//! The published JSON Schemas of the profile format (`sts-gen schema`) and of overlays
//! (`sts-gen schema --overlay`).
//!
//! schemars derives the shape from the profile types; this module adds what the types do not
//! say but JSON Schema can: constants, the preset names, name and quantity patterns, one probe
//! handler, `image` and `storage` unless a preset gives them, and the Kubernetes schemas of
//! raw containers and volumes (schema/k8s-core-v1.json, vendored from kubernetes-validate by
//! scripts/vendor-k8s-schema.py). Rules that need two fields at once (a port that must be
//! declared, a request below its limit) stay with the loader.

use serde_json::{json, Map, Value as Json};

use super::{presets, Profile};
use crate::shared::names::FIELD_PATHS;

pub use super::types::{OVERLAY_SCHEMA_ID, PROFILE_SCHEMA_ID};

/// Kubernetes 1.33's strict Container and Volume schemas and what they reference.
const K8S_DEFS: &str = include_str!("../../schema/k8s-core-v1.json");

const DNS_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const QUANTITY: &str =
    "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$";
/// Storage and memory: a quantity with a unit, since a bare number is bytes to Kubernetes
/// (`size: 10` would claim 10 bytes); an exponent (`"10e0"`) says bytes on purpose.
const BYTE_QUANTITY: &str =
    "^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|n|u|m)$";
/// Shortest `generate` length: 16 letters and digits are about 95 bits (the model's
/// bound too, kept here because the profile stage comes first).
pub const GENERATE_MIN: u32 = 16;
/// Longest value `generate` accepts.
pub const GENERATE_MAX: u32 = 1024;
const LABEL_VALUE: &str = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
const LABEL_KEY: &str =
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
const ORDINALS: &str = "^ *[0-9]+(-[0-9]*)? *( *, *[0-9]+(-[0-9]*)? *)*$";
const OPEN_RANGE: &str = "(^|,) *[0-9]+- *(,|$)";

/// The profile schema.
pub fn profile_schema() -> Json {
    let mut s = serde_json::to_value(schemars::schema_for!(Profile)).expect("a schema serializes");
    tighten(&mut s);
    s
}

/// The overlay schema: a partial profile, so nothing is required at the top level and a
/// preset cannot be chosen.
pub fn overlay_schema() -> Json {
    let mut s = profile_schema();
    let root = s.as_object_mut().expect("an object");
    root.insert("$id".into(), json!(OVERLAY_SCHEMA_ID));
    root.insert("title".into(), json!("Overlay"));
    root.insert(
        "description".into(),
        json!("A partial profile merged over a profile with `-f/--overlay` (maps by key, lists of named items by `name`, other lists replaced); every key is optional and `preset` cannot be set."),
    );
    root.remove("required");
    root.remove("allOf");
    if let Some(Json::Object(props)) = root.get_mut("properties") {
        props.remove("preset");
        // A partial role (its name and files) is merged into the profile's role.
        if let Some(Json::Object(roles)) = props.get_mut("roles") {
            roles.remove("if");
            roles.remove("then");
        }
    }
    // A key an object needs may come from the profile: only `name`, which items of named
    // lists merge by, stays required. Kubernetes' own objects are left as they are.
    if let Some(Json::Object(defs)) = root.get_mut("$defs") {
        for (name, def) in defs.iter_mut() {
            if name.starts_with("io.k8s.") {
                continue;
            }
            if let Json::Object(def) = def {
                if name == "Probe" {
                    def.remove("oneOf");
                }
                if let Some(Json::Array(required)) = def.get_mut("required") {
                    required.retain(|k| k == "name");
                }
            }
        }
    }
    s
}

fn tighten(s: &mut Json) {
    let root = s.as_object_mut().expect("an object");
    root.insert("$id".into(), json!(PROFILE_SCHEMA_ID));
    let k8s: Map<String, Json> = serde_json::from_str(K8S_DEFS).expect("vendored JSON");
    let defs = root
        .entry("$defs")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("an object");
    defs.extend(k8s);
    set(s, "/properties/apiVersion/const", json!("sts-gen/v1"));
    set(s, "/properties/kind/const", json!("Profile"));
    dns_label(s, "/properties/name", 52);
    dns_label(s, "/properties/namespace", 63);
    let mut names: Vec<Json> = presets::names().into_iter().map(|n| json!(n)).collect();
    names.push(Json::Null);
    set(s, "/properties/preset/enum", Json::Array(names));
    for key in ["labels", "podLabels"] {
        if get(s, &format!("/properties/{key}")).is_some() {
            set(
                s,
                &format!("/properties/{key}/propertyNames"),
                json!({"pattern": LABEL_KEY}),
            );
            set(
                s,
                &format!("/properties/{key}/additionalProperties"),
                json!({"type": "string", "maxLength": 63, "pattern": LABEL_VALUE}),
            );
        }
    }
    // `image` and `storage` come from the profile, from its preset, or from every node set.
    let from_sets = |key: &str| json!({"required": ["nodeSets"], "properties": {"nodeSets": {"items": {"required": [key]}}}});
    set(
        s,
        "/allOf",
        json!([{
            "if": {"not": {"required": ["preset"]}},
            "then": {"allOf": [
                {"anyOf": [{"required": ["image"]}, from_sets("image")]},
                {"anyOf": [{"required": ["storage"]}, from_sets("storage")]}
            ]}
        }]),
    );
    // The primary Service selects the first role's one pod.
    if let Some(Json::Array(all)) = get_mut(s, "/allOf") {
        all.push(json!({
            "if": {"required": ["services"], "properties": {"services": {"required": ["primary"], "properties": {"primary": {"type": "object"}}}}},
            "then": {"properties": {"roles": {"prefixItems": [{"properties": {"ordinals": {"pattern": "^ *[0-9]+ *$"}}}]}}}
        }));
    }
    tighten_defs(s);
    raw_objects(s);
    node_sets(s);
}

fn tighten_defs(s: &mut Json) {
    let d = "/$defs";
    set(s, &format!("{d}/Port/properties/name/maxLength"), json!(15));
    set(
        s,
        &format!("{d}/Port/properties/name/pattern"),
        json!(DNS_LABEL),
    );
    // IANA service names: at least one letter, no `--`.
    set(
        s,
        &format!("{d}/Port/properties/name/allOf"),
        json!([{"pattern": "[a-z]"}, {"not": {"pattern": "--"}}]),
    );
    set(s, &format!("{d}/Port/properties/port/minimum"), json!(1));
    set(
        s,
        &format!("{d}/Probe/oneOf"),
        json!([{"required": ["exec"]}, {"required": ["tcp"]}, {"required": ["http"]}]),
    );
    set(
        s,
        &format!("{d}/HttpGet/properties/path/pattern"),
        json!("^/"),
    );
    let quantity = json!({"type": ["string", "number"], "pattern": QUANTITY});
    // A byte quantity is a string: YAML makes `10` a number, which has no unit.
    let bytes = json!({"type": "string", "pattern": BYTE_QUANTITY});
    for key in ["requests", "limits"] {
        let at = format!("{d}/Resources/properties/{key}");
        set(s, &format!("{at}/additionalProperties"), quantity.clone());
        set(
            s,
            &format!("{at}/properties"),
            json!({"memory": bytes.clone(), "ephemeral-storage": bytes.clone()}),
        );
        set(
            s,
            &format!("{at}/patternProperties"),
            json!({"^hugepages-": bytes.clone()}),
        );
        // Kubernetes' own resources, huge pages by page size, or an extended
        // `vendor/resource` name.
        set(
            s,
            &format!("{at}/propertyNames"),
            json!({"anyOf": [{"enum": ["cpu", "memory", "ephemeral-storage"]}, {"pattern": "^hugepages-"}, {"pattern": "/"}]}),
        );
    }
    set(
        s,
        &format!("{d}/Storage/properties/size/type"),
        json!("string"),
    );
    set(
        s,
        &format!("{d}/Storage/properties/size/pattern"),
        json!(BYTE_QUANTITY),
    );
    set(
        s,
        &format!("{d}/LocalStorage/properties/nodes/minItems"),
        json!(1),
    );
    set(
        s,
        &format!("{d}/LocalStorage/properties/path/pattern"),
        json!("^/"),
    );
    dns_label(s, &format!("{d}/Role/properties/name"), 63);
    set(
        s,
        &format!("{d}/Role/properties/ordinals/type"),
        json!(["string", "integer"]),
    );
    set(
        s,
        &format!("{d}/Role/properties/ordinals/pattern"),
        json!(ORDINALS),
    );
    // One role's range must stay open, so scaled-up pods get a role too.
    set(s, "/properties/roles/if", json!({"minItems": 1}));
    set(
        s,
        "/properties/roles/then",
        json!({"contains": {"properties": {"ordinals": {"type": "string", "pattern": OPEN_RANGE}}}}),
    );
    // Shorter generated values are guessable (the model checks the same bounds).
    if let Some(Json::Array(forms)) = get_mut(s, &format!("{d}/SecretSource/oneOf")) {
        for form in forms {
            if let Some(Json::Object(len)) = form.pointer_mut("/properties/generate") {
                len.insert("minimum".into(), json!(GENERATE_MIN));
                len.insert("maximum".into(), json!(GENERATE_MAX));
            }
        }
    }
    set(
        s,
        &format!("{d}/SecretSpec/not"),
        json!({"required": ["existing", "data"]}),
    );
    set(
        s,
        &format!("{d}/SecretSpec/properties/data/propertyNames"),
        json!({"pattern": "^[-._a-zA-Z0-9]+$", "maxLength": 253}),
    );
    set(
        s,
        &format!("{d}/UpdateStrategy/if"),
        json!({"required": ["type"], "properties": {"type": {"const": "OnDelete"}}}),
    );
    set(
        s,
        &format!("{d}/UpdateStrategy/then"),
        json!({"properties": {"partition": false, "maxUnavailable": false}}),
    );
    // The downward-API fields an env value may read.
    if let Some(Json::Array(forms)) = get_mut(s, &format!("{d}/EnvValue/anyOf")) {
        for form in forms {
            if let Some(field) = form.pointer_mut("/properties/field") {
                field["enum"] = json!(FIELD_PATHS);
            }
        }
    }
}

/// Raw containers and volumes are Kubernetes objects: checked against Kubernetes' schemas.
fn raw_objects(s: &mut Json) {
    let container = "#/$defs/io.k8s.api.core.v1.Container";
    for key in ["sidecars", "initContainers"] {
        set(
            s,
            &format!("/properties/{key}/items"),
            json!({"$ref": container}),
        );
    }
    set(
        s,
        "/properties/volumes/items",
        json!({"$ref": "#/$defs/io.k8s.api.core.v1.Volume"}),
    );
}

/// A node set: a name and any top-level field to override.
fn node_sets(s: &mut Json) {
    let mut props = get(s, "/properties").cloned().unwrap_or_default();
    if let Json::Object(p) = &mut props {
        for key in ["apiVersion", "kind", "preset", "nodeSets"] {
            p.remove(key);
        }
        p.insert(
            "name".into(),
            json!({"description": "The set's name: the StatefulSet is `<name>-<set>`.", "type": "string", "pattern": DNS_LABEL, "maxLength": 63}),
        );
    }
    set(
        s,
        "/properties/nodeSets/items",
        json!({"type": "object", "required": ["name"], "properties": props, "additionalProperties": false}),
    );
    set(s, "/properties/nodeSets/minItems", json!(1));
}

fn dns_label(s: &mut Json, at: &str, max: u32) {
    set(s, &format!("{at}/pattern"), json!(DNS_LABEL));
    set(s, &format!("{at}/maxLength"), json!(max));
}

fn get<'a>(s: &'a Json, pointer: &str) -> Option<&'a Json> {
    s.pointer(pointer)
}

fn get_mut<'a>(s: &'a mut Json, pointer: &str) -> Option<&'a mut Json> {
    s.pointer_mut(pointer)
}

/// Sets the value at a JSON pointer whose parent exists; a missing parent is a bug in this
/// module (the types changed), so it panics in tests and in `sts-gen schema` alike.
fn set(s: &mut Json, pointer: &str, value: Json) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let Some(Json::Object(obj)) = s.pointer_mut(parent) else {
        panic!("schema: no object at {parent}");
    };
    obj.insert(key.replace("~1", "/").replace("~0", "~"), value);
}
