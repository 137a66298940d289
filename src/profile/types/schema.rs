//! JSON Schemas of the types with hand-written deserializers.

use super::secret::RemoteRefFields;
use super::*;

// JSON Schemas of the types with hand-written deserializers (`sts-gen schema`).

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// Where the profile schema is published; its `$id`. The committed copy is
/// schema/profile.schema.json; `sts-gen init` writes it in the yaml-language-server modeline.
/// (Here, not in `profile::schema`, which reads the preset names: presets read this.)
pub const PROFILE_SCHEMA_ID: &str = "https://sts-gen.dev/schema/v1/profile.schema.json";
/// The overlay schema's `$id` (schema/overlay.schema.json).
pub const OVERLAY_SCHEMA_ID: &str = "https://sts-gen.dev/schema/v1/overlay.schema.json";

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let one = |key: &str, what: &str| serde_json::json!({"type": "object", "properties": {key: {"type": "string", "description": what}}, "required": [key], "additionalProperties": false});
        json_schema!({
            "description": "A literal value, or a reference: {secret: key}, {configMap: key}, {field: path}",
            "anyOf": [
                {"type": ["string", "number"]},
                one("secret", "a key of this profile's Secret"),
                one("configMap", "a key of this profile's ConfigMap"),
                one("field", "a downward-API field path such as status.podIP"),
            ]
        })
    }
}

impl JsonSchema for PortRef {
    fn schema_name() -> Cow<'static, str> {
        "PortRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "A declared port's name, or a port number", "anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1, "maximum": 65535}]})
    }
}

impl JsonSchema for IntOrPercent {
    fn schema_name() -> Cow<'static, str> {
        "IntOrPercent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+%$"}]})
    }
}

impl JsonSchema for StorageSpec {
    fn schema_name() -> Cow<'static, str> {
        "StorageSpec".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let storage = generator.subschema_for::<Storage>();
        json_schema!({"description": "`none` for an emptyDir, or a volume claim", "anyOf": [{"const": "none"}, storage]})
    }
}

impl<T: JsonSchema> JsonSchema for Toggle<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Toggle_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let inner = generator.subschema_for::<T>();
        json_schema!({"description": "false to omit, true for the defaults, or settings", "anyOf": [{"type": "boolean"}, inner]})
    }
}

impl JsonSchema for RemoteRef {
    fn schema_name() -> Cow<'static, str> {
        "RemoteRef".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let fields = generator.subschema_for::<RemoteRefFields>();
        json_schema!({"description": "A remote key, or {key, property, version}", "anyOf": [{"type": "string"}, fields]})
    }
}
