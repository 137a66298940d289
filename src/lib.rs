//! sts-gen: complete Kubernetes manifests for a stateful application from a small profile.
//!
//! The pipeline runs one way, one module per stage:
//! [`profile`] (load) → [`model`] → [`render`] → [`check`] → [`emit`] → [`sink`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
pub mod emit;
pub mod lint;
pub mod model;
mod par;
pub mod profile;
pub mod render;
pub mod shared;
pub mod sink;
mod yaml_scalar;

pub use par::serially;

use std::fmt;

/// Why a profile could not be turned into manifests. Every variant is bad input (exit 2).
#[derive(Debug)]
pub enum Failure {
    /// The profile (or an overlay, preset or `--set`) could not be read or typed.
    Load(Vec<profile::LoadError>),
    /// A template failed to render or produced invalid YAML.
    Render(render::RenderError),
    /// The rendered objects failed the checks run before anything is written.
    Check(Vec<check::CheckError>),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = match self {
            Failure::Load(errs) => errs.iter().map(ToString::to_string).collect(),
            Failure::Render(e) => vec![e.to_string()],
            Failure::Check(errs) => errs.iter().map(ToString::to_string).collect(),
        };
        f.write_str(&lines.join("\n"))
    }
}

impl Failure {
    /// Replaces every occurrence of a secret value in the messages with `***`, so no
    /// template or check error can print one (a user template may quote any value).
    pub fn redact(self, secrets: &[String]) -> Failure {
        let clean = |text: String| {
            secrets
                .iter()
                .filter(|s| !s.is_empty())
                .fold(text, |t, s| t.replace(s.as_str(), "***"))
        };
        match self {
            Failure::Load(errs) => Failure::Load(
                errs.into_iter()
                    .map(|mut e| {
                        e.message = clean(e.message);
                        e.hint = e.hint.map(clean);
                        e
                    })
                    .collect(),
            ),
            Failure::Render(mut e) => {
                e.message = clean(e.message);
                Failure::Render(e)
            }
            Failure::Check(errs) => Failure::Check(
                errs.into_iter()
                    .map(|mut e| {
                        e.message = clean(e.message);
                        e.context = clean(e.context);
                        e
                    })
                    .collect(),
            ),
        }
    }
}

impl From<profile::LoadError> for Failure {
    fn from(e: profile::LoadError) -> Self {
        Failure::Load(vec![e])
    }
}

/// Runs model → render → check on a loaded profile and returns the objects in apply order.
///
/// A profile with `nodeSets` renders each set separately; objects every set renders alike
/// (Namespace, ServiceAccount, Secret, StorageClass, client Service) are kept once.
pub fn build(
    loaded: &profile::Loaded,
    opts: &model::Options,
    renderer: &render::Renderer,
) -> Result<Vec<check::Doc>, Failure> {
    build_reporting(loaded, opts, renderer, &mut Vec::new())
}

/// [`build`], also collecting warnings (things that render but deserve a word on stderr).
pub fn build_reporting(
    loaded: &profile::Loaded,
    opts: &model::Options,
    renderer: &render::Renderer,
    warnings: &mut Vec<String>,
) -> Result<Vec<check::Doc>, Failure> {
    let sets = profile::expand_sets(loaded).map_err(Failure::Load)?;
    let mut secrets: Vec<String> = Vec::new();
    build_sets(&sets, opts, renderer, &mut secrets, warnings).map_err(|f| f.redact(&secrets))
}

fn build_sets(
    sets: &[profile::Loaded],
    opts: &model::Options,
    renderer: &render::Renderer,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<check::Doc>, Failure> {
    let mut external = check::External::default();
    let mut load_errors = Vec::new();
    let mut models = Vec::with_capacity(sets.len());
    for set in sets {
        let ignore_errors = lint::profile_ignore_errors(set);
        let model = match model::build(set, opts) {
            Ok(_) if !ignore_errors.is_empty() => {
                load_errors.extend(ignore_errors);
                continue;
            }
            Ok(m) => {
                for w in &m.warnings {
                    if !warnings.contains(w) {
                        warnings.push(w.clone());
                    }
                }
                m
            }
            Err(errs) => {
                load_errors.extend(errs);
                load_errors.extend(ignore_errors);
                continue;
            }
        };
        for encoded in model.secret.data.values() {
            secrets.push(encoded.clone());
            if let Ok(raw) =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded)
            {
                secrets.push(String::from_utf8_lossy(&raw).into_owned());
            }
        }
        for name in &model.external.secrets {
            if !external.secrets.contains(name) {
                external.secrets.push(name.clone());
            }
        }
        for name in &model.external.config_maps {
            if !external.config_maps.contains(name) {
                external.config_maps.push(name.clone());
            }
        }
        models.push(model);
    }
    if !load_errors.is_empty() {
        return Err(Failure::Load(load_errors));
    }
    let mut rendered: Vec<render::RenderedDoc> = Vec::new();
    let mut index = DocIndex::new();
    for model in &models {
        for doc in renderer.render(model).map_err(Failure::Render)? {
            add_unique(&mut rendered, &mut index, doc).map_err(|e| Failure::Check(vec![e]))?;
        }
    }
    let docs = check::check_with_external(rendered, &external).map_err(Failure::Check)?;
    Ok(emit::apply_order(docs))
}

/// Positions in `add_unique`'s list by identity, so adding stays linear in the number of
/// documents (a pairwise search was quadratic: 1000 PersistentVolumes cost half a million
/// comparisons). A kind, namespace or name that is a string keys by its text; any other
/// value falls into one shared bucket whose members are compared in full, as before.
type DocIndex = std::collections::HashMap<[(u8, String); 3], Vec<usize>>;

fn id_key(part: Option<&serde_json::Value>) -> (u8, String) {
    match part {
        None => (0, String::new()),
        Some(serde_json::Value::String(s)) => (1, s.clone()),
        Some(_) => (2, String::new()),
    }
}

/// Adds a document unless an identical one (same kind, namespace and name) is there; two
/// different objects under one identity are an error.
fn add_unique(
    docs: &mut Vec<render::RenderedDoc>,
    index: &mut DocIndex,
    doc: render::RenderedDoc,
) -> Result<(), check::CheckError> {
    // The identity is borrowed, not cloned, and the new document's is computed once: cloning
    // both sides (and `pointer`, which allocates per segment) for every pair made a profile
    // with ~1000 local PersistentVolumes take seconds (see docs/FUZZING.md, "Findings").
    fn id(v: &serde_json::Value) -> [Option<&serde_json::Value>; 3] {
        let meta = v.get("metadata");
        [
            v.get("kind"),
            meta.and_then(|m| m.get("namespace")),
            meta.and_then(|m| m.get("name")),
        ]
    }
    let new_id = id(&doc.value);
    let bucket = index.entry(new_id.map(id_key)).or_default();
    match bucket
        .iter()
        .map(|&i| &docs[i])
        .find(|d| id(&d.value) == new_id)
    {
        Some(existing) if existing.value == doc.value => Ok(()),
        Some(_) => Err(check::CheckError {
            context: format!(
                "template `{}`, {} {}",
                doc.template,
                doc.value
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .unwrap_or("?"),
                check::field(&doc.value, &["metadata", "name"])
                    .and_then(|k| k.as_str())
                    .unwrap_or("?")
            ),
            message: "two node sets render different objects under this name; a name fixed in the profile (such as services.headless.name) must differ per set: leave it to the default or write it with {{ name }}".into(),
        }),
        None => {
            bucket.push(docs.len());
            docs.push(doc);
            Ok(())
        }
    }
}
