//! Emit stage: checked documents → canonical text, in apply order.
//!
//! The text comes from the serializer, never from template whitespace: the same objects give
//! byte-identical output. Multi-line strings become `|` block scalars; long lines are never
//! folded; strings YAML 1.1 would read as booleans (`yes`, `on`, `y`) are quoted.

use serde_json::{json, Value as Json};

use crate::check::Doc;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Multi-document YAML.
    Yaml,
    /// One `v1` `List` holding every object.
    Json,
}

/// Sorts documents into apply order (stable within a kind, so render order is kept).
pub fn apply_order(mut docs: Vec<Doc>) -> Vec<Doc> {
    docs.sort_by_key(Doc::apply_rank);
    docs
}

/// Serializes one object as a YAML document (without a leading `---`).
pub fn yaml_document(value: &Json) -> String {
    let options = serde_saphyr::ser_options! {
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
        prefer_block_scalars: true,
    };
    // Serializing a serde_json::Value cannot fail: it has no non-string keys or floats
    // that YAML cannot carry.
    serde_saphyr::to_string_with_options(value, options).expect("a JSON value serializes as YAML")
}

/// All documents as one multi-document YAML stream.
pub fn to_yaml(docs: &[Doc]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&yaml_document(&d.value));
    }
    out
}

/// All documents as one pretty-printed `v1` `List`.
pub fn to_json(docs: &[Doc]) -> String {
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": docs.iter().map(|d| d.value.clone()).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&list).expect("a JSON value serializes");
    s.push('\n');
    s
}
