//! The direct YAML writer for plain documents (emit::plain_document) against serde-saphyr:
//! wherever it writes a document, the text must be serde-saphyr's byte for byte, and the
//! common documents (PersistentVolumes, Services, PDBs) must take it.

use proptest::prelude::*;
use serde_json::{json, Value};
use sts_gen::emit::{plain_document, serde_saphyr_document};

mod common;

#[test]
fn bundled_documents_agree_and_common_kinds_are_plain() {
    let mut plain_kinds = std::collections::BTreeSet::new();
    for name in common::bundled_names() {
        let text = common::bundled_text(&name);
        let mut text = text.clone();
        while let Some(at) = text.find("{fromEnv: ") {
            let end = at + text[at..].find('}').unwrap();
            text.replace_range(at..=end, "{value: test-secret}");
        }
        let docs = common::render_bundled(&name, &text, &common::options(None, None));
        for doc in docs {
            if let Some(fast) = plain_document(&doc) {
                assert_eq!(fast, serde_saphyr_document(&doc), "{name}: {doc}");
                plain_kinds.insert(doc["kind"].as_str().unwrap().to_string());
            }
        }
    }
    for kind in [
        "StatefulSet",
        "ConfigMap",
        "Secret",
        "PersistentVolume",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ] {
        assert!(
            plain_kinds.contains(kind),
            "{kind} never written directly: {plain_kinds:?}"
        );
    }
}

/// Mostly strings the direct writer takes, with the edge cases it must leave alone (or
/// get exactly right) mixed in.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => "[a-zA-Z][a-zA-Z0-9._/:-]{0,10}",
        5 => "/[a-z0-9._/-]{0,8}",
        5 => "[0-9]{1,4}[a-zA-Z.]{0,3}",
        5 => "[0-9]{1,6}",
        1 => "[ -~]{0,6}",
        3 => multi_line(),
        1 => prop::sample::select(vec![
            "yes", "Null", "ON", "n", "2024-01-01", "1e3", "0x1F", "a: b", "a:", "x\ny", "",
            "-a", "1:30", "1_000", ".5", "~", "<<", "=", "inf", "nan", "é",
        ])
        .prop_map(str::to_string),
    ]
}

/// Text with line breaks: block scalars (`|`, `|-`, `|+`, indentation indicators for a
/// leading space, blank lines) or, for characters a block cannot hold, quoted strings.
fn multi_line() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        6 => "[ -~]{0,12}",
        2 => "  [a-z#:-]{1,6}",
        1 => Just(String::new()),
        1 => "[a-z]{1,3}[\t\r\u{85}\u{2028}\u{feff}é ]{1,2}",
    ];
    (prop::collection::vec(line, 1..5), "\n{0,3}")
        .prop_map(|(lines, tail)| lines.join("\n") + &tail)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![20 => "[a-zA-Z][a-zA-Z0-9._/-]{0,8}", 1 => word()]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        20 => word().prop_map(Value::from),
        4 => any::<i64>().prop_map(Value::from),
        2 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => Just(json!(0.5)),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn plain_writer_agrees_with_serde_saphyr(
        entries in prop::collection::btree_map(key(), value(), 1..5)
    ) {
        let doc = Value::Object(entries.into_iter().collect());
        if let Some(fast) = plain_document(&doc) {
            prop_assert_eq!(fast, serde_saphyr_document(&doc));
        }
    }
}

/// The reader of template output and the writer share one rule for plain keys: a key that
/// starts with `_` (valid as a plain scalar) is written bare, as serde-saphyr writes it.
#[test]
fn underscore_keys_are_plain_and_agree() {
    let doc = json!({"_a": 1, "_": "x", "b_c": {"_d": ["e"]}});
    let fast = plain_document(&doc).expect("written directly");
    assert_eq!(fast, serde_saphyr_document(&doc));
    assert!(
        fast.contains("\n_a: 1") || fast.starts_with("_a: 1"),
        "{fast}"
    );
    let read = sts_gen::render::yaml::parse_subset(&fast).expect("read by the subset reader");
    assert_eq!(read, vec![doc]);
}
