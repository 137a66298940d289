//! Render stage: the model → Kubernetes documents, through minijinja templates.
//!
//! Templates are embedded at build time (`templates/`) and can be replaced one by one with
//! `--templates DIR`. A bundled template is compiled only when a render needs it: one that
//! is a single `{% if %}` block whose condition is false for the model is skipped
//! uncompiled (see `guard`). Every template whose name ends in `.yaml.j2` renders zero or
//! more YAML documents. Interpolations must be quoted: the output formatter refuses a string
//! that did not pass through `tojson` (or another safe filter), so a profile value can never
//! change the structure of a document. The text is only an intermediate: each document is
//! parsed and later re-serialized canonically by `emit`.

mod guard;
#[cfg(test)]
mod guard_scan;
pub mod yaml;

use std::path::Path;

use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use serde_json::Value as Json;

use crate::model::Model;

/// One document as a template produced it.
#[derive(Debug, Clone)]
pub struct RenderedDoc {
    /// The template it came from, for error messages.
    pub template: String,
    /// The document, parsed from the template's YAML output.
    pub value: Json,
}

/// A template failed to load, render, or produce YAML: the one error type, of kind
/// [`ErrorKind::Template`], with `object` naming the template.
pub type RenderError = crate::shared::error::Error;

/// The error of template `name`.
fn template_error(name: &str, message: String) -> RenderError {
    RenderError::in_object(
        crate::shared::error::ErrorKind::Template,
        format!("template `{name}`"),
        message,
    )
}

/// The templates; build once per process and reuse for every profile (bundled templates
/// stay compiled once rendered, unless [`Renderer::compile_per_render`] says otherwise).
pub struct Renderer {
    env: Environment<'static>,
    /// Object templates in render order, each bundled one with its whole-body guard.
    object_templates: Vec<(String, Option<guard::Guard>)>,
    /// The templates of `--templates DIR` (compiled when loaded).
    replaced: Vec<String>,
    /// Whether bundled templates stay compiled for the next model (see
    /// [`Renderer::compile_per_render`]).
    keep_compiled: bool,
    /// The PersistentVolume template is the bundled one, whose output is one document per
    /// entry of `app.persistentVolumes` and nothing else: its loop may be split.
    bundled_pv_template: bool,
}

/// Instructions one template render may run (minijinja's fuel). A custom template with nested
/// `range(100000)` loops would otherwise run for hours; this ends it in well under a second.
/// Measured: the bundled PV template uses 51 per PV, 255,000 at the largest model accepted
/// (5,000 replicas and local PVs, rendered whole as a replaced PV template is); every other
/// bundled template under 500. 5 million leaves a 20x margin for custom templates.
pub const TEMPLATE_FUEL: u64 = 5_000_000;

/// Bytes one template render may write: 5,000 PVs are about 3 MB of YAML. The writer refuses
/// past it, so a template that would emit hundreds of MB stops at this size.
pub const MAX_TEMPLATE_OUTPUT_BYTES: usize = 64 << 20;

/// Documents one template render may produce: one per PV at most 5,000, with room.
pub const MAX_TEMPLATE_DOCUMENTS: usize = 10_000;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The bundled template of this name: its name and text.
fn bundled(name: &str) -> Option<(&'static str, &'static str)> {
    BUNDLED_TEMPLATES
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(name, source, _)| (*name, *source))
}

/// The bundled template that renders one PersistentVolume per `app.persistentVolumes` entry.
const PV_TEMPLATE: &str = "persistentvolume.yaml.j2";

/// From this many PersistentVolumes on, the bundled PV template renders in one piece per
/// core (a thousand PVs took a fifth of a render's instructions on one thread).
const SPLIT_PVS_FROM: usize = 64;

impl Renderer {
    /// The bundled templates, replaced or added to by those found in `dir`. A template of
    /// `dir` is compiled here, so its errors come before any of the profile's; a bundled one
    /// (which compiles: a test says so) when a render first needs it.
    pub fn new(dir: Option<&Path>) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        // Whitespace control must be set before templates are compiled.
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("default delimiters are valid"),
        );
        // No auto-escaping: values are quoted explicitly with `tojson` (enforced by the
        // formatter). Set before loading, as a template's escaping is fixed when compiled.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_loader(|name| Ok(bundled(name).map(|(_, source)| source.to_string())));
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_debug(false);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_formatter(quoted_only);
        env.add_filter("merge_labels", merge_labels);
        env.add_filter("tojson", tojson);
        env.add_function(
            "meta",
            |app: Value, name: Value, namespaced: Option<bool>, annotations: Option<Value>| {
                meta(app, name, namespaced, "setLabels", annotations)
            },
        );
        env.add_function(
            "shared_meta",
            |app: Value, name: Value, namespaced: Option<bool>, annotations: Option<Value>| {
                meta(app, name, namespaced, "labels", annotations)
            },
        );
        env.add_function("service_ports", service_ports);
        let replaced = match dir {
            Some(dir) => load_dir(&mut env, dir)?,
            None => Vec::new(),
        };
        let bundled_pv_template = !replaced.iter().any(|n| n == PV_TEMPLATE)
            || env.get_template(PV_TEMPLATE).is_ok_and(|t| {
                bundled(PV_TEMPLATE).is_some_and(|(_, source)| t.source() == source)
            });
        let mut object_templates: Vec<(String, Option<guard::Guard>)> = BUNDLED_TEMPLATES
            .iter()
            .filter(|(name, ..)| !replaced.iter().any(|r| r == name))
            .map(|(name, _, guard)| (name.to_string(), guard.and_then(guard::Guard::parse)))
            .chain(replaced.iter().map(|name| (name.clone(), None)))
            .filter(|(name, _)| name.ends_with(".yaml.j2"))
            .collect();
        object_templates.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Renderer {
            env,
            object_templates,
            replaced,
            keep_compiled: true,
            bundled_pv_template,
        })
    }

    /// Compile bundled templates for each render and drop them after it, instead of keeping
    /// them for the next model: for a run that renders one model. Its check then reuses
    /// their memory (a mysql render touched 33 fewer heap pages).
    pub fn compile_per_render(mut self) -> Self {
        self.keep_compiled = false;
        self
    }

    /// The bundled template `name` (name and source) when it is compiled for each render.
    fn compiled_once(&self, name: &str) -> Option<(&'static str, &'static str)> {
        if self.keep_compiled || self.replaced.iter().any(|r| r == name) {
            return None;
        }
        bundled(name)
    }

    /// For each object template, whether its guard (see [`guard`]) says it writes nothing
    /// for `ctx`.
    fn skipped(&self, ctx: &Value) -> Vec<bool> {
        self.object_templates
            .iter()
            .map(|(_, guard)| guard.as_ref().is_some_and(|g| g.is_false(ctx)))
            .collect()
    }

    /// Each object template's text for `model`, in render order (before parsing), and
    /// whether its guard said it writes nothing (a render then skips it; the text is
    /// rendered here all the same).
    pub fn texts(&self, model: &Model) -> Result<Vec<(&str, String, bool)>, RenderError> {
        let ctx = minijinja::context! { app => Value::from(minijinja::value::Serde(model)) };
        self.object_templates
            .iter()
            .zip(self.skipped(&ctx))
            .map(|((name, _), skipped)| Ok((name.as_str(), self.text(name, &ctx)?, skipped)))
            .collect()
    }

    fn text(&self, name: &str, ctx: &Value) -> Result<String, RenderError> {
        let err = |message: String| template_error(name, message);
        let tmpl = match self.compiled_once(name) {
            Some((name, source)) => self.env.template_from_named_str(name, source),
            None => self.env.get_template(name),
        }
        .map_err(|e| err(describe(&e)))?;
        let mut out = crate::shared::BoundedWriter::new(MAX_TEMPLATE_OUTPUT_BYTES);
        let captured = tmpl.render_captured_to(ctx, &mut out).map_err(|e| {
            err(match e.kind() {
                minijinja::ErrorKind::OutOfFuel => format!(
                    "ran more than {TEMPLATE_FUEL} template instructions (a loop too long?)"
                ),
                minijinja::ErrorKind::WriteFailure => {
                    format!("wrote more than {MAX_TEMPLATE_OUTPUT_BYTES} bytes")
                }
                _ => describe(&e),
            })
        })?;
        drop(captured);
        String::from_utf8(out.bytes).map_err(|_| err("wrote text that is not UTF-8".into()))
    }

    /// The documents one template renders.
    fn documents(&self, name: &str, ctx: &Value) -> Result<Vec<RenderedDoc>, RenderError> {
        let err = |message: String| template_error(name, message);
        let text = self.text(name, ctx)?;
        // Counted before parsing, so 100,000 tiny documents are not all parsed first. A line
        // starting with `---` at column 0 is a document marker (block scalars are indented).
        let markers = text
            .lines()
            .filter(|l| {
                l.strip_prefix("---")
                    .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
            })
            .count();
        if markers > MAX_TEMPLATE_DOCUMENTS {
            return Err(err(format!(
                "produced {markers} documents; at most {MAX_TEMPLATE_DOCUMENTS} are accepted"
            )));
        }
        let values = yaml::parse_documents(&text)
            .map_err(|e| err(format!("produced invalid YAML: {}", e.message)))?;
        if values.len() > MAX_TEMPLATE_DOCUMENTS {
            return Err(err(format!(
                "produced {} documents; at most {MAX_TEMPLATE_DOCUMENTS} are accepted",
                values.len()
            )));
        }
        let mut docs = Vec::with_capacity(values.len());
        for value in values {
            match value {
                Json::Null => {}
                Json::Object(_) => docs.push(RenderedDoc {
                    template: name.to_string(),
                    value,
                }),
                other => {
                    return Err(err(format!(
                        "produced a document that is not a mapping: {}",
                        kind_of(&other)
                    )))
                }
            }
        }
        Ok(docs)
    }

    /// Renders every object template against `model`, on this thread (documents in
    /// template order, then each template's order); only a long list of PersistentVolumes
    /// is split across the cores ([`Renderer::pv_documents`]).
    pub fn render(&self, model: &Model) -> Result<Vec<RenderedDoc>, RenderError> {
        let app = Value::from(minijinja::value::Serde(model));
        let ctx = minijinja::context! { app => app.clone() };
        let mut docs = Vec::new();
        for ((name, _), skipped) in self.object_templates.iter().zip(self.skipped(&ctx)) {
            if skipped {
                continue;
            }
            if name == PV_TEMPLATE && self.bundled_pv_template {
                docs.extend(self.pv_documents(name, &app, &ctx)?);
            } else {
                docs.extend(self.documents(name, &ctx)?);
            }
        }
        if let Some(overlay) = &model.pod_template {
            for doc in &mut docs {
                if doc.value.get("kind").and_then(Json::as_str) == Some("StatefulSet") {
                    if let Some(spec) = doc.value.pointer_mut("/spec/template/spec") {
                        crate::shared::merge(spec, &Json::Object(overlay.clone()));
                    }
                }
            }
        }
        mark_fixed_peers(&mut docs);
        for doc in &mut docs {
            no_flux_substitution(&mut doc.value);
        }
        Ok(docs)
    }
}

/// The annotation that stops Flux's post-build variable substitution for one object.
pub const FLUX_SUBSTITUTE: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Adds `value` under `key` to the object's `metadata.annotations` (a mapping is made if
/// missing; a template that wrote something else there is left to the schema check).
fn annotate(doc: &mut Json, key: &str, value: &str) {
    let Some(meta) = doc.get_mut("metadata").and_then(Json::as_object_mut) else {
        return;
    };
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Json::Object(Default::default()));
    if let Some(a) = annotations.as_object_mut() {
        a.insert(key.to_string(), Json::String(value.to_string()));
    }
}

/// Flux substitutes `${VAR}` in every object it applies, unless told not to: a shell
/// script's `${ordinal}` would become an empty string. Objects with `${` in their text say
/// so (see docs/GITOPS.md).
fn no_flux_substitution(doc: &mut Json) {
    if crate::shared::peers::any_string(doc, &|t| t.contains("${")) {
        annotate(doc, FLUX_SUBSTITUTE, "disabled");
    }
}

/// Marks each StatefulSet whose pod template or ConfigMaps list every one of its pods by DNS
/// name (a peer list fixed at render time): `kubectl scale` would leave the list stale.
fn mark_fixed_peers(docs: &mut [RenderedDoc]) {
    use crate::shared::peers;
    let is = |d: &RenderedDoc, kind: &str| d.value.get("kind").and_then(Json::as_str) == Some(kind);
    let mut config_texts = Vec::new();
    for d in docs.iter().filter(|d| is(d, "ConfigMap")) {
        if let Some(data) = d.value.get("data") {
            peers::strings(data, &mut config_texts);
        }
    }
    let mut marked = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        if !is(d, "StatefulSet") {
            continue;
        }
        let text = |p: &str| d.value.pointer(p).and_then(Json::as_str).unwrap_or("");
        let (name, headless) = (text("/metadata/name"), text("/spec/serviceName"));
        let namespace = d
            .value
            .pointer("/metadata/namespace")
            .and_then(Json::as_str);
        let replicas = d.value.pointer("/spec/replicas").and_then(Json::as_u64);
        let (Some(replicas), Some(template)) = (replicas, d.value.pointer("/spec/template")) else {
            continue;
        };
        let mut texts = config_texts.clone();
        peers::strings(template, &mut texts);
        let mut ordinals = std::collections::BTreeSet::new();
        for t in texts {
            peers::ordinals_in(t, name, headless, namespace, &mut ordinals);
        }
        if peers::is_full_list(&ordinals, replicas) {
            marked.push(i);
        }
    }
    for i in marked {
        annotate(
            &mut docs[i].value,
            peers::ANNOTATION,
            peers::ANNOTATION_VALUE,
        );
    }
}

impl Renderer {
    /// The bundled PersistentVolume template's documents: with many PVs, the template is
    /// rendered once per core, each time with `app.persistentVolumes` cut to one contiguous
    /// run, and the documents joined in order. The template writes one document per entry
    /// and reads nothing else of the list, so the result is the same as one render's.
    fn pv_documents(
        &self,
        name: &str,
        app: &Value,
        ctx: &Value,
    ) -> Result<Vec<RenderedDoc>, RenderError> {
        let pvs: Vec<Value> = match app.get_attr("persistentVolumes") {
            Ok(list) if list.len().unwrap_or(0) >= SPLIT_PVS_FROM => match list.try_iter() {
                Ok(items) => items.collect(),
                Err(_) => return self.documents(name, ctx),
            },
            _ => return self.documents(name, ctx),
        };
        let workers = crate::par::cores();
        if workers < 2 {
            return self.documents(name, ctx);
        }
        let mut fields = Mapping::new();
        if let Ok(keys) = app.try_iter() {
            for key in keys {
                let value = app.get_item(&key).unwrap_or_default();
                fields.insert(key, value);
            }
        }
        let contexts: Vec<Value> = pvs
            .chunks(pvs.len().div_ceil(workers))
            .map(|run| {
                let mut part = fields.clone();
                part.insert(Value::from("persistentVolumes"), Value::from(run.to_vec()));
                minijinja::context! { app => Value::from(part) }
            })
            .collect();
        let mut docs = Vec::new();
        // Each piece is parsed on the thread that rendered it: splitting its text again
        // would start threads that find no work left by the time they run.
        let pieces = crate::par::map_each(&contexts, |ctx| {
            crate::par::serially(|| self.documents(name, ctx))
        });
        for part in pieces {
            docs.extend(part?);
        }
        Ok(docs)
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Array(_) => "a list",
        Json::String(_) => "a string",
        Json::Number(_) => "a number",
        Json::Bool(_) => "a boolean",
        _ => "a mapping",
    }
}

fn describe(e: &Error) -> String {
    let mut msg = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    if let Some(line) = e.line() {
        msg = format!("line {line}: {msg}");
    }
    msg
}

/// Output formatter: numbers, booleans and safe strings (from `tojson`) pass; anything
/// else is an error, so no template can write an unquoted profile string.
fn quoted_only(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Number | ValueKind::Bool => minijinja::escape_formatter(out, state, value),
        ValueKind::String if value.is_safe() => minijinja::escape_formatter(out, state, value),
        ValueKind::Undefined => Err(Error::new(
            ErrorKind::UndefinedError,
            "an undefined value is interpolated",
        )),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            "a value is interpolated without `| tojson`; quote every value so profile text cannot change the YAML structure",
        )),
    }
}

/// minijinja's `tojson`, with a shortcut for the common case of a short string that needs
/// no escaping (half of a PersistentVolume's render time went to the general filter).
fn tojson(
    value: &Value,
    indent: Option<Value>,
    args: minijinja::value::Kwargs,
) -> Result<Value, Error> {
    if indent.is_none() && args.args().next().is_none() {
        if let Some(s) = value.as_str() {
            let plain = s.bytes().all(|b| {
                matches!(b, b' '..=b'~') && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | b'\'')
            });
            if plain {
                let mut quoted = String::with_capacity(s.len() + 2);
                quoted.push('"');
                quoted.push_str(s);
                quoted.push('"');
                return Ok(Value::from_safe_string(quoted));
            }
        }
    }
    minijinja::filters::tojson(value, indent, args)
}

/// `meta(app, name, namespaced=true, annotations={})`: an object's metadata mapping (name,
/// namespace, labels, the profile's annotations with the object's own over them), to be
/// written with `| tojson`. `shared_meta` is the same for objects every node set shares,
/// without the set's component label.
fn meta(
    app: Value,
    name: Value,
    namespaced: Option<bool>,
    labels: &str,
    own_annotations: Option<Value>,
) -> Result<Value, Error> {
    let mut out = Mapping::with_capacity(4);
    out.insert(Value::from("name"), name);
    let ns = app.get_attr("namespace")?;
    if namespaced.unwrap_or(true) && !ns.is_none() && !ns.is_undefined() {
        out.insert(Value::from("namespace"), ns);
    }
    out.insert(Value::from("labels"), app.get_attr(labels)?);
    let mut annotations = app.get_attr("annotations")?;
    if let Some(own) = own_annotations.filter(|a| a.len().unwrap_or(0) > 0) {
        annotations = merge_labels(annotations, own)?;
    }
    if annotations.len().unwrap_or(0) > 0 {
        out.insert(Value::from("annotations"), annotations);
    }
    Ok(Value::from(out))
}

/// A template-side mapping in insertion order. Built directly: going through
/// `Value::from(Serde(..))` cost a serialization per call, and `meta` runs once per object.
type Mapping = indexmap::IndexMap<Value, Value>;

/// `service_ports(app.ports)`: Service ports targeting the container ports by name.
fn service_ports(ports: Value) -> Result<Value, Error> {
    let mut out = Vec::new();
    for p in ports.try_iter()? {
        let name = p.get_attr("name")?;
        let mut port = Mapping::with_capacity(4);
        port.insert(Value::from("name"), name.clone());
        port.insert(Value::from("port"), p.get_attr("port")?);
        port.insert(Value::from("targetPort"), name);
        port.insert(Value::from("protocol"), p.get_attr("protocol")?);
        out.push(Value::from(port));
    }
    Ok(Value::from(out))
}

/// `a | merge_labels(b)`: a mapping with b's entries added to (or replacing) a's.
fn merge_labels(a: Value, b: Value) -> Result<Value, Error> {
    let mut out = Mapping::new();
    for m in [&a, &b] {
        for key in m.try_iter()? {
            let v = m.get_item(&key)?;
            // Keys as strings, as before: `{1: x}` and `{"1": x}` are one label.
            out.insert(Value::from(key.to_string()), v);
        }
    }
    Ok(Value::from(out))
}

/// Compiles the `*.j2` templates of `dir` into `env`; returns their names.
fn load_dir(env: &mut Environment<'static>, dir: &Path) -> Result<Vec<String>, RenderError> {
    let err = |message: String| template_error(&dir.display().to_string(), message);
    let entries = std::fs::read_dir(dir).map_err(|e| {
        err(format!(
            "cannot read the templates folder: {}",
            crate::shared::io_reason(&e)
        ))
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(e.to_string()))?;
        let name = entry.file_name().to_string_lossy().to_string();
        // A `.j2` that is not a regular file (a FIFO, a device) is refused by the read, not
        // skipped: the user meant it as a template.
        if !name.ends_with(".j2") || entry.path().is_dir() {
            continue;
        }
        let source =
            crate::shared::read_limited(&entry.path(), crate::shared::MAX_TEMPLATE_FILE_BYTES)
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| std::io::Error::other("not UTF-8 text"))
                })
                .map_err(|e| err(format!("{name}: {}", crate::shared::io_reason(&e))))?;
        env.add_template_owned(name.clone(), source)
            .map_err(|e| template_error(&name, describe(&e)))?;
        found.push(name);
    }
    if found.is_empty() {
        return Err(err("no `*.j2` templates in this folder".into()));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::merge;
    use serde_json::json;

    #[test]
    fn merge_rules() {
        let mut base = json!({"a": {"x": 1}, "c": [{"name": "m", "v": 1}], "l": [1, 2]});
        merge(
            &mut base,
            &json!({"a": {"y": 2}, "c": [{"name": "m", "w": 2}, {"name": "n"}], "l": [3]}),
        );
        assert_eq!(
            base,
            json!({"a": {"x": 1, "y": 2}, "c": [{"name": "m", "v": 1, "w": 2}, {"name": "n"}], "l": [3]})
        );
    }

    #[test]
    fn every_bundled_template_compiles() {
        // Bundled templates are compiled when first rendered, not up front.
        let renderer = Renderer::new(None).unwrap();
        for (name, ..) in BUNDLED_TEMPLATES {
            renderer
                .env
                .get_template(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn unquoted_interpolation_is_refused() {
        let mut env = Environment::new();
        env.set_formatter(quoted_only);
        let e = env
            .render_str("a: {{ x }}", minijinja::context! { x => "b: c" })
            .unwrap_err();
        assert!(e.to_string().contains("tojson"), "{e}");
        let ok = env
            .render_str("a: {{ x | tojson }}", minijinja::context! { x => "b: c" })
            .unwrap();
        assert_eq!(ok, "a: \"b: c\"");
    }
}
