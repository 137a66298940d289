//! Hostile profile strings never change the structure of the output (PROFILE.md: "Profile
//! strings are data").
//!
//! A generated string `s` (newlines, YAML indicators, quotes, template delimiters, YAML 1.1
//! booleans, numbers-as-text, Unicode line separators, ...) is put into every free-text field
//! of a profile that accepts any value. The profile is written as YAML with every value
//! JSON-quoted (a JSON string is a valid YAML double-quoted scalar), run through load → build →
//! emit, and the YAML and JSON outputs are parsed back. Then:
//! - the documents have the same kinds and names, in the same order, and the same shape (every
//!   string leaf blanked) as the render of the same profile with `s` replaced by `x`;
//! - `s` comes back byte for byte at every place it was put.
//!
//! Template-expanded fields (config files, role files, `roleInit.script`, env literal values)
//! (and every string of raw init containers and sidecars) read `{{`, `{%` and `{#` as template syntax. The main property writes `s` into those fields
//! *escaped* the documented way (a literal `{{` is `{{ '{{' }}`), so the expanded text must be
//! exactly `s` as well. A second property writes `s` raw into those fields: the result must be
//! a clean load error naming one of those fields (never a panic, never a changed structure).

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine;
use proptest::prelude::*;
use serde_json::Value;
use sts_gen::{emit, model, profile, render, Failure};

/// Pieces hostile strings are made of.
const PIECES: &[&str] = &[
    "\n", ": ", "#", "'", "\"", "{{", "}}", "{%", "---", "- ", "|", ">", "&a", "*a", "!!", "%",
    "@", "`", "\t", "\\", "\u{2028}", "é", "日本", "🙂", "null", "yes", "on", "~", "0x1F", "1e3",
    " ", "...", "? ", ",", "[", "]", "{", "}", "\r\n",
];

fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(PIECES).prop_map(str::to_string),
        1 => "[a-zA-Z]{1,4}",
    ];
    prop::collection::vec(piece, 1..12).prop_map(|p| p.concat())
}

/// Writes `s` so that template expansion gives back exactly `s`.
fn escape_template(s: &str) -> String {
    // Only `{{`, `{%` and `{#` open template syntax; each becomes an expression that prints
    // it. Scanning char by char keeps overlapping openers such as `{{%` or `{{{` right.
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' {
            if let Some(&n) = chars.peek() {
                if n == '{' || n == '%' || n == '#' {
                    chars.next();
                    out.push_str(&format!("{{{{ '{{{n}' }}}}"));
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// An env var name made of `s` (names allow any printable ASCII except `=`).
fn env_key(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| (' '..='~').contains(c) && *c != '=')
        .collect();
    format!("HOSTILE_{kept}")
}

/// The profile with `plain` in the verbatim fields and `tpl` in the template-expanded ones;
/// `key` is the extra env var name.
fn profile_text(plain: &str, tpl: &str, key: &str) -> String {
    let p = q(plain);
    let t = q(tpl);
    let k = q(key);
    format!(
        r#"apiVersion: sts-gen/v1
kind: Profile
name: app
namespace: ns1
annotations: {{"example.com/note": {p}}}
image: "img:1"
replicas: 2
command: ["sh", {t}]
args: [{t}, "--flag", {t}]
ports: [{{name: app, port: 8080}}]
env:
  V1: {t}
  V2: {t}
  V3: {t}
  {k}: {t}
probes:
  readiness: {{exec: ["check", {t}], periodSeconds: 5}}
  liveness: {{exec: [{t}]}}
storage:
  size: 1Gi
  local: {{path: /data/app, nodes: [n1]}}
config:
  files:
    shared.conf: {t}
roles:
  - {{name: primary, ordinals: "0", files: {{p.conf: {t}}}}}
  - {{name: replica, ordinals: "1-", files: {{r.conf: {t}}}}}
roleInit: {{script: {t}}}
secret: {{data: {{pw: {{value: {p}}}}}}}
initContainers:
  - {{name: pre, image: "busybox:1", args: [{t}]}}
sidecars:
  - {{name: side, image: "busybox:1", command: [{t}], args: [{t}, {t}], env: [{{name: S1, value: {t}}}]}}
services: {{primary: {{}}}}
"#
    )
}

fn renderer() -> &'static render::Renderer {
    static R: OnceLock<render::Renderer> = OnceLock::new();
    R.get_or_init(|| render::Renderer::new(None).unwrap())
}

fn build(text: &str) -> Result<Vec<sts_gen::check::Doc>, Failure> {
    let loaded = profile::load_bytes("p.yaml", text.as_bytes(), Path::new("."))
        .map_err(|e| Failure::Load(vec![e]))?;
    sts_gen::build(&loaded, &model::Options::default(), renderer())
}

/// The YAML and JSON outputs, parsed back.
struct Outputs {
    yaml: Vec<Value>,
    json: Vec<Value>,
}

fn outputs(docs: &[sts_gen::check::Doc]) -> Outputs {
    let text = emit::to_yaml(docs);
    let yaml: Vec<Value> = serde_saphyr::from_str_multiple(&text)
        .unwrap_or_else(|e| panic!("the YAML output does not parse: {e}\n{text}"));
    let json_text = emit::to_json(docs);
    let list: Value = serde_json::from_str(&json_text).expect("the JSON output parses");
    assert_eq!(list["kind"], "List");
    let json = list["items"].as_array().expect("items").clone();
    Outputs { yaml, json }
}

/// Kind and name of each document, in order.
fn ids(docs: &[Value]) -> Vec<(String, String)> {
    docs.iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or("?").to_string(),
                d["metadata"]["name"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

/// The document's shape: every string replaced by a marker.
fn skeleton(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::String("<s>".into()),
        Value::Array(a) => Value::Array(a.iter().map(skeleton).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), skeleton(v))).collect())
        }
        other => other.clone(),
    }
}

/// Kinds/names and document shapes of the render with `s` = "x".
type Baseline = (Vec<(String, String)>, Vec<Value>);

fn baseline() -> &'static Baseline {
    static B: OnceLock<Baseline> = OnceLock::new();
    B.get_or_init(|| {
        let docs = build(&profile_text("x", "x", &env_key("x"))).expect("the x profile builds");
        let out = outputs(&docs);
        assert_eq!(ids(&out.yaml), ids(&out.json));
        (ids(&out.yaml), out.yaml.iter().map(skeleton).collect())
    })
}

fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in the output"))
}

fn container<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container `{name}`"))
}

fn env_value<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["env"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["name"] == name))
        .map(|e| &e["value"])
        .unwrap_or(&Value::Null)
}

/// `(field, value found)` for every place `s` was put, in one output format's documents.
fn places(docs: &[Value]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for d in docs {
        let id = format!(
            "{} {}",
            d["kind"].as_str().unwrap_or("?"),
            d["metadata"]["name"]
        );
        out.push((
            format!("{id}: metadata.annotations[example.com/note]"),
            d["metadata"]["annotations"]["example.com/note"].clone(),
        ));
    }
    let sts = find(docs, "StatefulSet");
    let pod = &sts["spec"]["template"];
    out.push((
        "StatefulSet pod template annotations[example.com/note]".into(),
        pod["metadata"]["annotations"]["example.com/note"].clone(),
    ));
    let main = container(&pod["spec"]["containers"], "app");
    out.push((
        "main container command[1]".into(),
        main["command"][1].clone(),
    ));
    out.push(("main container args[0]".into(), main["args"][0].clone()));
    out.push(("main container args[2]".into(), main["args"][2].clone()));
    out.push((
        "readinessProbe.exec.command[1]".into(),
        main["readinessProbe"]["exec"]["command"][1].clone(),
    ));
    out.push((
        "livenessProbe.exec.command[0]".into(),
        main["livenessProbe"]["exec"]["command"][0].clone(),
    ));
    out
}

/// `(field, value found)` for the template-expanded places (expected: the unescaped `s`).
fn template_places(docs: &[Value], key: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let sts = find(docs, "StatefulSet");
    let main = container(&sts["spec"]["template"]["spec"]["containers"], "app");
    for name in ["V1", "V2", "V3", key] {
        out.push((format!("env {name:?} value"), env_value(main, name).clone()));
    }
    let cm = find(docs, "ConfigMap");
    for k in ["shared.conf", "primary--p.conf", "replica--r.conf"] {
        out.push((format!("ConfigMap data[{k}]"), cm["data"][k].clone()));
    }
    // Strings in raw containers are expanded like other profile text.
    let pod = &sts["spec"]["template"];
    let sidecar = container(&pod["spec"]["containers"], "side");
    out.push(("sidecar command[0]".into(), sidecar["command"][0].clone()));
    out.push(("sidecar args[0]".into(), sidecar["args"][0].clone()));
    out.push(("sidecar args[1]".into(), sidecar["args"][1].clone()));
    out.push((
        "sidecar env S1 value".into(),
        env_value(sidecar, "S1").clone(),
    ));
    let pre = container(&pod["spec"]["initContainers"], "pre");
    out.push(("initContainer pre args[0]".into(), pre["args"][0].clone()));
    out
}

/// The role init script as rendered.
fn role_init_script(docs: &[Value]) -> String {
    let sts = find(docs, "StatefulSet");
    let init = container(
        &sts["spec"]["template"]["spec"]["initContainers"],
        "role-init",
    );
    assert_eq!(init["command"][0], "sh");
    assert_eq!(init["command"][1], "-c");
    init["command"][2]
        .as_str()
        .expect("role-init script is a string")
        .to_string()
}

fn secret_value(docs: &[Value]) -> Vec<u8> {
    let b64 = find(docs, "Secret")["data"]["pw"]
        .as_str()
        .expect("Secret data.pw is a string");
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("Secret data.pw is base64")
}

/// Checks one output format against `s`.
fn check_format(format: &str, docs: &[Value], s: &str, key: &str) -> Result<(), TestCaseError> {
    let (base_ids, base_shape) = baseline();
    prop_assert_eq!(
        &ids(docs),
        base_ids,
        "{}: kinds/names differ from the x render",
        format
    );
    for (i, (d, b)) in docs.iter().zip(base_shape).enumerate() {
        prop_assert_eq!(
            &skeleton(d),
            b,
            "{}: document {} ({:?}) changed shape",
            format,
            i,
            base_ids[i]
        );
    }
    for (field, v) in places(docs).into_iter().chain(template_places(docs, key)) {
        prop_assert_eq!(v.as_str(), Some(s), "{}: {}", format, field);
    }
    let sts = find(docs, "StatefulSet");
    let main = container(&sts["spec"]["template"]["spec"]["containers"], "app");
    prop_assert!(
        main["env"]
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e["name"] == key)),
        "{}: env var name {:?} is missing",
        format,
        key
    );
    let script = role_init_script(docs);
    if s.trim().is_empty() {
        // A blank roleInit.script adds nothing to the generated script.
        prop_assert!(
            !script.contains("# roleInit.script"),
            "{}: blank roleInit.script was appended",
            format
        );
    } else {
        let nl = if s.ends_with('\n') { "" } else { "\n" };
        let tail = format!("\n# roleInit.script\n{s}{nl}");
        prop_assert!(
            script.ends_with(&tail),
            "{}: role-init script does not end with roleInit.script {:?}:\n{:?}",
            format,
            s,
            script
        );
    }
    prop_assert_eq!(
        secret_value(docs),
        s.as_bytes().to_vec(),
        "{}: Secret data.pw (base64 of secret.data.pw.value)",
        format
    );
    Ok(())
}

fn is_template_syntax(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// The paths of the template-expanded fields, as load errors name them.
fn template_paths(key: &str) -> Vec<String> {
    let mut v: Vec<String> = ["env.V1", "env.V2", "env.V3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.push(sts_gen::profile::join_key("env", key));
    v.push("config.files[\"shared.conf\"]".into());
    v.push("roles[0].files[\"p.conf\"]".into());
    v.push("roles[1].files[\"r.conf\"]".into());
    v.push("roleInit.script".into());
    v.push("command[1]".into());
    v.push("args[0]".into());
    v.push("args[2]".into());
    // Exec probes are profile text like the command ({{ ports.<name> }}).
    v.push("probes.readiness.exec[1]".into());
    v.push("probes.liveness.exec[0]".into());
    v.push("initContainers[0].args[0]".into());
    v.push("sidecars[0].command[0]".into());
    v.push("sidecars[0].args[0]".into());
    v.push("sidecars[0].args[1]".into());
    v.push("sidecars[0].env[0].value".into());
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        // Integration tests have no lib.rs next to them to persist regressions against.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// `s` everywhere (escaped where the field is a template): the output keeps its
    /// structure and holds `s` byte for byte at every place.
    #[test]
    fn hostile_strings_are_data(s in hostile()) {
        let key = env_key(&s);
        let text = profile_text(&s, &escape_template(&s), &key);
        let docs = match build(&text) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(format!("s = {s:?}: the profile is refused:\n{e}\n--- profile ---\n{text}"))),
        };
        let out = outputs(&docs);
        check_format("yaml", &out.yaml, &s, &key)?;
        check_format("json", &out.json, &s, &key)?;
        prop_assert_eq!(&out.yaml, &out.json, "YAML and JSON outputs hold different objects");
    }

    /// `s` raw in the template-expanded fields: either it is plain text (no `{{`, `{%`, `{#`)
    /// and comes back as is, or the result is a clean load error naming those fields, or a
    /// render whose structure is unchanged. Never a panic.
    #[test]
    fn raw_template_syntax_is_a_clean_error(s in hostile()) {
        let key = env_key(&s);
        let text = profile_text(&s, &s, &key);
        match build(&text) {
            Ok(docs) => {
                let out = outputs(&docs);
                let (base_ids, base_shape) = baseline();
                prop_assert_eq!(&ids(&out.yaml), base_ids);
                let shape: Vec<Value> = out.yaml.iter().map(skeleton).collect();
                prop_assert_eq!(&shape, base_shape);
                if !is_template_syntax(&s) {
                    check_format("yaml", &out.yaml, &s, &key)?;
                }
            }
            Err(Failure::Load(errs)) => {
                prop_assert!(is_template_syntax(&s), "s = {:?} has no template syntax but fails: {:?}", s, errs);
                let paths = template_paths(&key);
                for e in &errs {
                    prop_assert!(paths.contains(&e.path), "error names {:?}, not a template field: {}", e.path, e);
                    let loc = e.loc.as_ref().expect("a located error");
                    prop_assert_eq!(&*loc.file, "p.yaml");
                    prop_assert!(loc.line > 1, "{}", e);
                    prop_assert!(!e.message.is_empty());
                }
                // Every template field holds the same text, so each is reported.
                for p in &paths {
                    prop_assert!(errs.iter().any(|e| &e.path == p), "no error for {}: {:?}", p, errs);
                }
            }
            Err(other) => return Err(TestCaseError::fail(format!("s = {s:?}: not a load error: {other}"))),
        }
    }
}

#[test]
fn escape_template_round_trips_known_cases() {
    assert_eq!(escape_template("a{{b"), "a{{ '{{' }}b");
    assert_eq!(escape_template("{{%"), "{{ '{{' }}%");
    assert_eq!(escape_template("{#}"), "{{ '{#' }}}");
}

/// A few fixed strings that broke naive YAML emitters, checked on every run.
#[test]
fn known_hostile_strings() {
    for s in [
        "a: b\n- c\n",
        "  leading spaces\nx",
        "trailing spaces   \n",
        "\n\nleading newlines",
        "ends with two newlines\n\n",
        "no newline at end\nx",
        "\ttab first\n",
        "#comment",
        "---\n...\n",
        "yes",
        "on",
        "~",
        "null",
        "0x1F",
        "1e3",
        "",
        " ",
        "line\u{2028}sep",
        "crlf\r\nline",
        "'\"\\",
        "{{ '{{' }}",
    ] {
        let key = env_key(s);
        let text = profile_text(s, &escape_template(s), &key);
        let docs = build(&text).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        let out = outputs(&docs);
        check_format("yaml", &out.yaml, s, &key).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        check_format("json", &out.json, s, &key).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
}

/// `services.primary` adds a Service whose selector merges the pod-name label into the
/// selector labels; hostile strings must not affect it either.
#[test]
fn hostile_strings_with_primary_service() {
    for s in ["a: b\n- c\n", "yes", "{{ '{{' }}", "\u{2028}"] {
        let key = env_key(s);
        let text = profile_text(s, &escape_template(s), &key);
        let docs = build(&text).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        let out = outputs(&docs);
        let primary = out
            .yaml
            .iter()
            .find(|d| d["kind"] == "Service" && d["metadata"]["name"] == "app-primary")
            .expect("the primary Service");
        assert_eq!(
            primary["spec"]["selector"],
            serde_json::json!({
                "app.kubernetes.io/name": "app",
                "statefulset.kubernetes.io/pod-name": "app-0",
            })
        );
        assert_eq!(
            primary["metadata"]["annotations"]["example.com/note"].as_str(),
            Some(s),
            "primary Service annotation"
        );
        for (field, v) in places(&out.yaml)
            .into_iter()
            .chain(template_places(&out.yaml, &key))
        {
            assert_eq!(v.as_str(), Some(s), "{s:?}: {field}");
        }
    }
}
