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
pub mod plan;
pub mod profile;
pub mod render;
pub mod shared;
pub mod sink;
pub mod trace;
mod yaml_scalar;

pub use par::serially;

use std::borrow::Cow;
use std::fmt;

/// Why a profile could not be turned into manifests. Every variant is bad input (exit 2) and
/// holds the one user-facing error type, [`shared::error::Error`]; the variant says the stage.
#[derive(Debug)]
pub enum Failure {
    /// The profile (or an overlay, preset or `--set`) could not be read or typed.
    Load(Vec<shared::error::Error>),
    /// A template failed to render or produced invalid YAML.
    Render(shared::error::Error),
    /// The rendered objects failed the checks run before anything is written.
    Check(Vec<shared::error::Error>),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.errors().iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl Failure {
    /// Every error, whatever the stage.
    pub fn errors(&self) -> &[shared::error::Error] {
        match self {
            Failure::Load(errs) | Failure::Check(errs) => errs,
            Failure::Render(e) => std::slice::from_ref(e),
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
    build_sets(&sets, opts, renderer, warnings).map_err(|mut f| {
        if let Failure::Load(errs) | Failure::Check(errs) = &mut f {
            profile::in_set_paths(&sets, errs);
            profile::dedup_errors(errs);
        }
        f
    })
}

fn build_sets(
    sets: &[Cow<'_, profile::Loaded>],
    opts: &model::Options,
    renderer: &render::Renderer,
    warnings: &mut Vec<String>,
) -> Result<Vec<check::Doc>, Failure> {
    let mut external = check::External {
        kube_version: Some(opts.kube_version),
        ..check::External::default()
    };
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
    profile::dedup_errors(&mut load_errors);
    if !load_errors.is_empty() {
        if load_errors.len() > profile::collect::MAX_ERRORS {
            load_errors.truncate(profile::collect::MAX_ERRORS);
            load_errors.push(profile::collect::stopped());
        }
        return Err(Failure::Load(load_errors));
    }
    if let Some(e) = sets_too_large(sets, &models) {
        return Err(Failure::Load(vec![e]));
    }
    let docs = match render_check(sets, &models, &external, renderer) {
        Err(failure) if models.iter().any(|m| !m.secret.data.is_empty()) => {
            Err(without_secrets(failure, sets, &models, &external, renderer))
        }
        result => result,
    }?;
    for w in check::unchecked_warnings(&docs) {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    Ok(docs)
}

/// The node sets of one profile together over the bound each set has alone
/// ([`model::MAX_REPLICAS`] replicas and local PVs): 64 sets of 5,000 took a minute and
/// 4.7 GB. Located at the largest set's `replicas`.
fn sets_too_large(
    sets: &[Cow<'_, profile::Loaded>],
    models: &[model::Built],
) -> Option<profile::LoadError> {
    let replicas: u64 = models.iter().map(|m| u64::from(m.replicas)).sum();
    let pvs: usize = models.iter().map(|m| m.persistent_volumes.len()).sum();
    let max = model::MAX_REPLICAS;
    if models.len() < 2 || (replicas <= u64::from(max) && pvs <= max as usize) {
        return None;
    }
    // The first of the largest (max_by_key keeps the last of equals).
    let (largest, _) = models
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|(_, m)| m.replicas)?;
    let what = if replicas > u64::from(max) {
        format!("{replicas} replicas")
    } else {
        format!("{pvs} local PersistentVolumes")
    };
    Some(
        profile::LoadError::new(
            profile::locate_key(&sets[largest].tree, "replicas"),
            format!("the node sets have {what} together; at most {max} are supported"),
        )
        .with_path("nodeSets"),
    )
}

/// Renders and checks the models; returns the objects in apply order.
fn render_check(
    sets: &[Cow<'_, profile::Loaded>],
    models: &[model::Built],
    external: &check::External,
    renderer: &render::Renderer,
) -> Result<Vec<check::Doc>, Failure> {
    let mut rendered: Vec<render::RenderedDoc> = Vec::new();
    let mut index = DocIndex::new();
    for model in models {
        for doc in renderer.render(model).map_err(Failure::Render)? {
            add_unique(&mut rendered, &mut index, doc).map_err(|(e, name)| {
                Failure::Check(vec![trace::locate_fixed_name(e, sets, &name)])
            })?;
        }
    }
    // Names only, so a failing check can suggest what exists; the check consumes the docs.
    let inventory = trace::Inventory::of(&rendered);
    let docs = check::check_with_external(rendered, external)
        .map_err(|errs| Failure::Check(trace::locate_findings(errs, sets, &inventory)))?;
    Ok(emit::apply_order(docs))
}

/// A render or check failure told without secret values. A template or check message may
/// quote any value it was given (a template error, a source excerpt of invalid output), so
/// the failure is reproduced with every secret value (known by its place, `secret.data`,
/// not by its text) replaced with [`shared::SECRET_PLACEHOLDER`], and that run's messages are shown.
/// When the placeholders make it pass, the failure depends on the secret text itself, and
/// only where it happened is told.
fn without_secrets(
    failure: Failure,
    sets: &[Cow<'_, profile::Loaded>],
    models: &[model::Built],
    external: &check::External,
    renderer: &render::Renderer,
) -> Failure {
    let masked: Vec<model::Built> = models
        .iter()
        .map(|m| {
            let mut m = m.clone();
            for value in m.model.secret.data.values_mut() {
                *value = shared::SECRET_PLACEHOLDER.to_string();
            }
            m
        })
        .collect();
    match render_check(sets, &masked, external, renderer) {
        Err(shown) => shown,
        Ok(_) => {
            let withheld = "fails only with the real secret values, so the message (which could quote one) is not shown";
            // Keep where it happened (kind, template and object), drop what was said.
            let withhold = |e: &shared::error::Error| shared::error::Error {
                message: withheld.into(),
                hint: None,
                ..e.clone()
            };
            match failure {
                Failure::Render(e) => Failure::Render(withhold(&e)),
                other => Failure::Check(other.errors().iter().map(withhold).collect()),
            }
        }
    }
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
) -> Result<(), (check::CheckError, String)> {
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
        Some(_) => Err((check::CheckError::in_object(
            shared::error::ErrorKind::Check,
            format!(
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
            "two node sets render different objects under this name; a name fixed in the profile (such as services.headless.name) must differ per set: leave it to the default or write it with {{ name }}",
        ), check::field(&doc.value, &["metadata", "name"]).and_then(|k| k.as_str()).unwrap_or("").to_string())),
        None => {
            bucket.push(docs.len());
            docs.push(doc);
            Ok(())
        }
    }
}
