//! Typing a document: the round trip through its k8s-openapi type that finds every field
//! the type (and so Kubernetes) would drop, and names where a value has the wrong type.

use serde_json::Value as Json;

use crate::shared::error::{ErrorKind, LoadError};

/// Deserializes `value` into `T`, failing on any field `T` would drop, and writes it back
/// from the type (canonical field order, the type's defaults).
///
/// When every field of `value` comes back from the type, none was dropped: the common case
/// skips serde_ignored, whose path bookkeeping (a string per key) cost more than the typing
/// itself. Anything else, an error included, is decided by serde_ignored as before.
pub(super) fn typed_round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    value: &Json,
) -> Result<(T, Json), LoadError> {
    if let Ok(typed) = T::deserialize(value) {
        if let Ok(back) = serde_json::to_value(&typed) {
            if keeps_every_field(value, &back) {
                return Ok((typed, back));
            }
        }
    }
    let typed: T = typed_strictly(value)?;
    let back = serde_json::to_value(&typed).map_err(|e| schema_error(e.to_string()))?;
    Ok((typed, back))
}

/// Whether every mapping key of `source` (at any depth) is also in `back`, its value
/// written back from a type: a field the type dropped would be missing. A `null` the type
/// read as absent is missing too, and left to [`typed_strictly`].
fn keeps_every_field(source: &Json, back: &Json) -> bool {
    match (source, back) {
        (Json::Object(s), Json::Object(b)) => s
            .iter()
            .all(|(k, v)| b.get(k).is_some_and(|w| keeps_every_field(v, w))),
        (Json::Array(s), Json::Array(b)) => {
            s.len() == b.len() && s.iter().zip(b).all(|(v, w)| keeps_every_field(v, w))
        }
        (Json::Object(_) | Json::Array(_), _) => false,
        _ => true,
    }
}

/// Deserializes `value` into `T`, failing on any field `T` would drop.
fn typed_strictly<T: serde::de::DeserializeOwned>(value: &Json) -> Result<T, LoadError> {
    let mut dropped = Vec::new();
    // Deserializing from the reference avoids copying every document first. The outer
    // wrapper tracks where a type error is, so the message can name the field.
    let mut note_dropped =
        |path: serde_ignored::Path| dropped.push(crate::model::ignored_path("", &path.to_string()));
    let ignoring = serde_ignored::Deserializer::new(value, &mut note_dropped);
    let typed: T = serde_path_to_error::deserialize(ignoring).map_err(|e| {
        let path = e.path().iter().fold(String::new(), |path, segment| {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => format!("{path}[{index}]"),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    crate::shared::join_key(&path, key)
                }
                Segment::Unknown => path,
            }
        });
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        schema_error(format!(
            "does not match the Kubernetes schema{at}: {}",
            e.inner()
        ))
    })?;
    if !dropped.is_empty() {
        return Err(schema_error(format!(
            "unknown field{} {} (Kubernetes would drop {})",
            if dropped.len() > 1 { "s" } else { "" },
            dropped
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if dropped.len() > 1 { "them" } else { "it" }
        )));
    }
    Ok(typed)
}

/// A rendered object Kubernetes would reject or change.
fn schema_error(message: String) -> LoadError {
    LoadError::of(ErrorKind::Check, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn config_map(data: Json) -> Json {
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
    }

    #[test]
    fn a_dropped_field_is_refused_also_when_its_value_is_null_or_empty() {
        let typed = |v: &Json| typed_round_trip::<ConfigMap>(v).map(|(_, back)| back);
        let kept = typed(&config_map(serde_json::json!({"a": "1"}))).unwrap();
        assert_eq!(kept["data"]["a"], "1");
        for dropped in [
            Json::Null,
            serde_json::json!({}),
            serde_json::json!([]),
            Json::from(1),
        ] {
            let mut doc = config_map(serde_json::json!({}));
            doc["metadata"]["labelz"] = dropped.clone();
            let e = typed(&doc).unwrap_err();
            assert!(
                e.message.contains("unknown field `metadata.labelz`"),
                "{dropped}: {}",
                e.message
            );
        }
        // A known field that is null is read as absent, not refused.
        let mut doc = config_map(serde_json::json!({}));
        doc["metadata"]["labels"] = Json::Null;
        let back = typed(&doc).unwrap();
        assert!(back["metadata"].get("labels").is_none());
        // Wrong types fail with the schema's message.
        let e = typed(&config_map(serde_json::json!({"a": 1}))).unwrap_err();
        assert!(
            e.message
                .starts_with("does not match the Kubernetes schema"),
            "{}",
            e.message
        );
    }

    #[test]
    fn every_field_kept_compares_keys_at_every_depth() {
        let j = |t: &str| -> Json { serde_json::from_str(t).unwrap() };
        assert!(keeps_every_field(
            &j(r#"{"a": {"b": [1, {"c": 2}]}}"#),
            &j(r#"{"a": {"b": [1, {"c": 2}]}, "d": 3}"#)
        ));
        assert!(!keeps_every_field(
            &j(r#"{"a": {"b": [1, {"c": 2}]}}"#),
            &j(r#"{"a": {"b": [1, {}]}}"#)
        ));
        assert!(!keeps_every_field(
            &j(r#"{"a": [1, 2]}"#),
            &j(r#"{"a": [1]}"#)
        ));
        assert!(!keeps_every_field(&j(r#"{"a": {}}"#), &j(r#"{"a": "x"}"#)));
        assert!(keeps_every_field(&j(r#"{"a": "1"}"#), &j(r#"{"a": 1}"#)));
    }
}
