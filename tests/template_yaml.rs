//! The subset YAML parser that reads template output (src/render/yaml.rs) against
//! serde-saphyr: the bundled templates must stay inside the subset (or renders lose their
//! speed without any test failing), and wherever the subset parser accepts text, it must
//! give exactly serde-saphyr's values. Also over every bundled template's text: a template
//! the renderer skips by its guard writes nothing, and compiling templates per render gives
//! the documents that keeping them compiled gives.

use proptest::prelude::*;
use serde_json::{json, Value};
use sts_gen::render::yaml::{parse_full, parse_subset};
use sts_gen::{model, profile, render};

mod common;

/// The model of every bundled profile (node sets expanded), with the render-time secret
/// sources replaced by literals, by profile name.
fn bundled_models() -> Vec<(String, model::Model)> {
    let mut out = Vec::new();
    for name in common::bundled_names() {
        let text = common::bundled_text(&name);
        let text = regex_free_replace_from_env(&text);
        let loaded = common::load(&format!("{name}.yaml"), &text, &common::profiles_dir())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for set in profile::expand_sets(&loaded).unwrap() {
            let model = model::build(&set, &model::Options::default())
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            out.push((name.clone(), model.model));
        }
    }
    out
}

/// Every template's text for every bundled profile's model, and whether a render skips it.
fn bundled_texts() -> Vec<(String, String, String, bool)> {
    let renderer = render::Renderer::new(None).unwrap();
    let mut out = Vec::new();
    for (name, model) in bundled_models() {
        for (template, text, skipped) in renderer.texts(&model).unwrap() {
            out.push((name.clone(), template.to_string(), text, skipped));
        }
    }
    out
}

#[test]
fn templates_a_render_skips_write_nothing() {
    let texts = bundled_texts();
    let skipped: Vec<_> = texts.iter().filter(|t| t.3).collect();
    // Every bundled profile leaves some feature off (backup, metrics, TLS, RBAC).
    assert!(
        skipped.len() >= common::bundled_names().len(),
        "{} skipped",
        skipped.len()
    );
    for (profile, template, text, _) in skipped {
        assert!(
            text.trim().is_empty(),
            "{profile}: {template} was skipped but writes:\n{text}"
        );
    }
}

#[test]
fn compiling_per_render_renders_the_same_documents() {
    let kept = render::Renderer::new(None).unwrap();
    let per_render = render::Renderer::new(None).unwrap().compile_per_render();
    for (name, model) in bundled_models() {
        let values = |r: &render::Renderer| -> Vec<Value> {
            r.render(&model)
                .unwrap()
                .into_iter()
                .map(|d| d.value)
                .collect()
        };
        let first = values(&kept);
        assert!(!first.is_empty(), "{name}");
        // Twice each: a kept template is compiled once, then reused.
        assert_eq!(first, values(&kept), "{name}");
        assert_eq!(first, values(&per_render), "{name}");
        assert_eq!(first, values(&per_render), "{name}");
    }
}

/// `{fromEnv: X}` → `{value: test-X}`, so the test needs no environment.
fn regex_free_replace_from_env(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{fromEnv: ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "{fromEnv: ".len()..];
        let end = after.find('}').unwrap();
        out.push_str(&format!("{{value: test-{}}}", &after[..end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn bundled_templates_stay_in_the_subset() {
    let texts = bundled_texts();
    assert!(texts.len() > 100, "{} texts", texts.len());
    for (profile, template, text, _) in texts {
        let fast = parse_subset(&text)
            .unwrap_or_else(|| panic!("{profile}: {template} left the subset:\n{text}"));
        let full = parse_full(&text).unwrap();
        assert_eq!(fast, full, "{profile}: {template}");
    }
}

/// A JSON value of hostile strings, numbers and nesting, as templates interpolate them.
fn hostile_value() -> impl Strategy<Value = Value> {
    let string = prop_oneof![
        "[a-zA-Z0-9 :#'\"{}\\[\\],&*!|>%@`\\\\-]{0,12}",
        Just("yes".to_string()),
        Just("On".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("1.5".to_string()),
        Just("0x1F".to_string()),
        Just("---".to_string()),
        Just("a\nb".to_string()),
        Just("\u{2028}\u{85}é😀\t\r".to_string()),
        Just("\u{7f}\u{9f}\u{feff}".to_string()),
    ];
    let leaf = prop_oneof![
        string.prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!(1.25)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z][a-z0-9.-]{0,6}|[A-Z ]{1,3}|y|on", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Template shapes the bundled templates use, with `v` interpolated by `tojson`.
const SHAPES: &[&str] = &[
    "a: {{ v | tojson }}\n",
    "---\n# c\nkind: X\nspec:\n  items:\n    - name: {{ v | tojson }}\n      value: {{ v | tojson }} # c\n    - {{ v | tojson }}\n",
    "a:\n- {fieldRef: {fieldPath: {{ v | tojson }}}}\n- [{{ v | tojson }}, 50m, 1]\nb: {cpu: \"1\", memory: 64Mi}\n",
    "list: [{{ v | tojson }}]\n---\nother: {{ v | tojson }}\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn subset_agrees_with_serde_saphyr(v in hostile_value(), shape in 0..SHAPES.len()) {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        let text = env
            .render_str(SHAPES[shape], minijinja::context! { v => minijinja::Value::from(minijinja::value::Serde(&v)) })
            .unwrap();
        if let Some(fast) = parse_subset(&text) {
            let full = parse_full(&text);
            prop_assert_eq!(Some(&fast), full.as_ref().ok(), "on:\n{}", text);
        }
    }
}
