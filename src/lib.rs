//! sts-gen: complete Kubernetes manifests for a stateful application from a small profile.
//!
//! The pipeline runs one way, one module per stage:
//! [`profile`] (load) → [`model`] → [`render`] → [`check`] → [`emit`] → [`sink`].

pub mod check;
pub mod emit;
pub mod model;
pub mod profile;
pub mod render;
pub mod sink;

use std::fmt;

/// Why a profile could not be turned into manifests. Every variant is bad input (exit 2).
#[derive(Debug)]
pub enum Failure {
    Load(Vec<profile::LoadError>),
    Render(render::RenderError),
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

impl From<profile::LoadError> for Failure {
    fn from(e: profile::LoadError) -> Self {
        Failure::Load(vec![e])
    }
}

/// Runs model → render → check on a loaded profile and returns the objects in apply order.
pub fn build(
    loaded: &profile::Loaded,
    opts: &model::Options,
    renderer: &render::Renderer,
) -> Result<Vec<check::Doc>, Failure> {
    let model = model::build(loaded, opts).map_err(Failure::Load)?;
    let rendered = renderer.render(&model).map_err(Failure::Render)?;
    let external: Vec<String> = match (&model.secret.name, model.secret.render) {
        (Some(name), false) => vec![name.clone()],
        _ => vec![],
    };
    let docs = check::check(rendered, &external).map_err(Failure::Check)?;
    Ok(emit::apply_order(docs))
}
