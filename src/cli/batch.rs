//! Building one profile or a batch (a directory of profiles) into [`Unit`]s.

use std::path::{Path, PathBuf};

use super::{build_into, build_warn, options, CommonArgs, Hold, Unit};
use sts_gen::{profile, render, sink, Failure};

/// Builds the profile, or with a directory as PROFILE every `*.yaml`/`*.yml` profile in it,
/// in parallel, each into `<output-dir>/<name>/`. Any error fails the whole run before
/// anything is written, and every error is reported.
///
/// The profiles are loaded first (their names give the directories), then `hold` is called
/// with every output directory, then they are built (reading the directories' previous
/// Secret values).
pub(super) fn build_all(
    args: &CommonArgs,
    output_dir: Option<&Path>,
    hold: Hold,
) -> Result<Vec<Unit>, String> {
    let path = Path::new(&args.profile);
    if !path.is_dir() {
        let docs = build_into(args, output_dir, hold)?;
        return Ok(vec![Unit::new(output_dir.map(Path::to_path_buf), docs)?]);
    }
    // The output root of a batch must not be a link (not even as `link/`).
    if let Some(root) = output_dir {
        sink::safe::existing_dir(&sink::safe::normalize(root)).map_err(|e| e.to_string())?;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {}", path.display(), sts_gen::shared::io_reason(&e)))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Every entry but a directory: a dangling link, a FIFO or a device named `*.yaml`
        // is loaded and refused (failing the batch) like when rendered alone, never skipped.
        .filter(|p| !p.is_dir() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no *.yaml profiles in this directory",
            path.display()
        ));
    }
    let renderer = render::Renderer::new(args.templates.as_deref()).map_err(|e| e.to_string())?;
    use rayon::prelude::*;
    // One profile per task; rayon keeps the results in file order.
    let loaded: Vec<Result<(String, profile::Loaded), String>> =
        files.par_iter().map(|file| load_one(args, file)).collect();
    let mut errors = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    for (file, result) in files.iter().zip(&loaded) {
        match result {
            Ok((name, _)) => {
                if let Some(first) = names.insert(name.clone(), file.clone()) {
                    errors.push(format!(
                        "{} and {} are both named `{name}`; each profile needs its own name in a batch",
                        first.display(),
                        file.display()
                    ));
                }
            }
            Err(e) => errors.push(e.clone()),
        }
    }
    // Nothing is written after an error: the rest is built only to report its errors too.
    if let (Some(root), true) = (output_dir, errors.is_empty()) {
        let dirs: Vec<PathBuf> = names.keys().map(|name| root.join(name)).collect();
        hold(&dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
    }
    let built: Vec<Result<Unit, String>> = loaded
        .par_iter()
        .filter_map(|l| l.as_ref().ok())
        .map(|(name, loaded)| build_one(args, name, loaded, output_dir, &renderer))
        .collect();
    let mut units = Vec::new();
    for result in built {
        match result {
            Ok(unit) => units.push(unit),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        let ids = files
            .iter()
            .zip(&units)
            .map(|(f, u)| (f.as_path(), u.ids.as_slice()));
        errors.extend(sink::batch::conflicts(ids));
    }
    if errors.is_empty() {
        Ok(units)
    } else {
        Err(errors.join("\n"))
    }
}

/// Loads one profile of a batch and checks its name, which names its output directory.
fn load_one(args: &CommonArgs, file: &Path) -> Result<(String, profile::Loaded), String> {
    let loaded = profile::load_file_all(&file.to_string_lossy(), &args.layers())
        .map_err(|e| Failure::Load(e).to_string())?;
    let name = loaded.profile.name.clone();
    sts_gen::shared::names::dns_label(&name, 63)
        .map_err(|e| format!("{}: name `{name}` {e}", file.display()))?;
    Ok((name, loaded))
}

/// Builds one loaded profile of a batch into `<output-dir>/<name>`.
fn build_one(
    args: &CommonArgs,
    name: &str,
    loaded: &profile::Loaded,
    output_dir: Option<&Path>,
    renderer: &render::Renderer,
) -> Result<Unit, String> {
    let dir = output_dir.map(|d| d.join(name));
    let opts = options(args, dir.as_deref())?;
    let docs = build_warn(loaded, &opts, renderer)?;
    let ids = sink::batch::ids(&docs);
    let unit = Unit::new(dir, docs)?;
    Ok(Unit { ids, ..unit })
}
