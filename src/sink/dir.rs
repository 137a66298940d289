//! Directory output: one file per object plus a `kustomization.yaml`.
//!
//! Everything is prepared in memory first; files are then written under temporary names and
//! renamed into place, so a failure before the renames leaves the directory as it was. A
//! manifest of the files sts-gen wrote lets a later run remove files it no longer renders
//! while never touching files it did not write.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::check::Doc;
use crate::emit::yaml_document;

/// The list of files sts-gen wrote into a directory, one per line.
pub const MANIFEST: &str = ".sts-gen-manifest";

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub name: String,
    pub content: String,
    /// Secret files are written with mode 0600.
    pub private: bool,
}

/// A directory could not be written; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{dir}: {message}")]
pub struct DirError {
    pub dir: String,
    pub message: String,
}

/// Secret data in a directory sts-gen wrote before, by Secret name then key (base64), so
/// generated values can be reused. Anything unreadable is skipped: it only means a value is
/// generated anew.
pub fn previous_secrets(dir: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Ok(manifest) = fs::read_to_string(dir.join(MANIFEST)) else {
        return out;
    };
    for name in manifest
        .lines()
        .filter(|n| n.starts_with("secret-") && !n.contains('/'))
    {
        let Ok(text) = fs::read_to_string(dir.join(name)) else {
            continue;
        };
        let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let (Some(secret), Some(data)) = (
            doc.pointer("/metadata/name").and_then(|v| v.as_str()),
            doc.get("data").and_then(|v| v.as_object()),
        ) else {
            continue;
        };
        let values = data
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect();
        out.insert(secret.to_string(), values);
    }
    out
}

/// The files for `docs` (in apply order) plus the kustomization listing them.
pub fn plan(docs: &[Doc]) -> Vec<OutFile> {
    let mut files = Vec::new();
    for d in docs {
        files.push(OutFile {
            name: format!("{}-{}.yaml", d.kind(), d.name()).to_lowercase(),
            content: yaml_document(&d.value),
            private: d.kind() == "Secret",
        });
    }
    let mut k = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for f in &files {
        k.push_str(&format!("  - {}\n", f.name));
    }
    files.push(OutFile {
        name: "kustomization.yaml".into(),
        content: k,
        private: false,
    });
    files
}

/// Writes `files` into `dir`, creating it if needed.
///
/// Refuses (changing nothing) when `dir` is a file or a symlink, when it holds files but no
/// sts-gen manifest, or when a file to write exists but sts-gen did not write it; `force`
/// lifts the last two.
///
/// The new contents are assembled in a sibling staging directory (files sts-gen did not
/// write are hard-linked into it) and swapped in with one atomic `rename` (exchange when the
/// directory exists), so a failure or a kill at any point leaves either the old directory or
/// the new one, never a mix. Where the swap is impossible (a foreign subdirectory, a file
/// system without exchange, `DIR` being `.`), each file is replaced by rename instead.
pub fn write(dir: &Path, files: &[OutFile], force: bool) -> Result<(), DirError> {
    let err = |message: String| DirError {
        dir: dir.display().to_string(),
        message,
    };
    let io =
        |what: &str, e: std::io::Error| err(format!("{what}: {}", crate::profile::io_reason(&e)));
    let exists = match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(err("is a symbolic link; give the real directory".into()))
        }
        Ok(m) if !m.is_dir() => return Err(err("exists and is not a directory".into())),
        Ok(_) => true,
        Err(_) => false,
    };
    let previous: BTreeSet<String> = if exists {
        match fs::read_to_string(dir.join(MANIFEST)) {
            Ok(text) => text.lines().map(str::to_string).collect(),
            Err(_) => {
                let non_empty = fs::read_dir(dir)
                    .map_err(|e| io("cannot read", e))?
                    .next()
                    .is_some();
                if non_empty && !force {
                    return Err(err("is not empty and was not written by sts-gen; pass --force to write into it".into()));
                }
                BTreeSet::new()
            }
        }
    } else {
        BTreeSet::new()
    };
    for f in files {
        let target = dir.join(&f.name);
        if let Ok(m) = fs::symlink_metadata(&target) {
            if m.file_type().is_symlink() || !m.is_file() {
                return Err(err(format!(
                    "`{}` exists and is not a regular file; refusing to replace it",
                    f.name
                )));
            }
            if !previous.contains(&f.name) && !force {
                return Err(err(format!(
                    "`{}` exists and was not written by sts-gen; pass --force to replace it",
                    f.name
                )));
            }
        }
    }
    let mut manifest = files.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    manifest.sort();
    let mut all: Vec<OutFile> = files.to_vec();
    all.push(OutFile {
        name: MANIFEST.into(),
        content: manifest.join("\n") + "\n",
        private: false,
    });

    let Some(staging) = staging_path(dir) else {
        return write_in_place(dir, &all, &previous).map_err(|(what, e)| io(&what, e));
    };
    if let Some(parent) = staging.parent() {
        fs::create_dir_all(parent).map_err(|e| io("cannot create the parent directory", e))?;
    }
    let _ = fs::remove_dir_all(&staging);
    match stage(dir, exists, &staging, &all, &previous) {
        Ok(true) => {}
        Ok(false) => {
            // A foreign subdirectory cannot be linked into the staging directory.
            let _ = fs::remove_dir_all(&staging);
            return write_in_place(dir, &all, &previous).map_err(|(what, e)| io(&what, e));
        }
        Err((what, e)) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(io(&what, e));
        }
    }
    if !exists {
        // rename() onto a missing path is atomic; the directory appears complete.
        return fs::rename(&staging, dir).map_err(|e| {
            let _ = fs::remove_dir_all(&staging);
            io("cannot move the output into place", e)
        });
    }
    let cwd = rustix::fs::CWD;
    match rustix::fs::renameat_with(cwd, &staging, cwd, dir, rustix::fs::RenameFlags::EXCHANGE) {
        Ok(()) => {
            // The old contents are now at the staging path: our old files and links to
            // foreign files that also live on in the new directory.
            let _ = fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(_) => {
            let _ = fs::remove_dir_all(&staging);
            write_in_place(dir, &all, &previous).map_err(|(what, e)| io(&what, e))
        }
    }
}

/// `<parent>/.<name>.sts-gen-new`, beside `dir` so the final rename stays on one file system.
fn staging_path(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_str()?;
    if name == "." || name == ".." {
        return None;
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Some(parent.join(format!(".{name}.sts-gen-new")))
}

type IoFail = (String, std::io::Error);

/// Fills the staging directory: the new files, plus hard links to every file in `dir` that
/// sts-gen did not write. Returns false when `dir` holds something that cannot be linked.
fn stage(
    dir: &Path,
    exists: bool,
    staging: &Path,
    files: &[OutFile],
    previous: &BTreeSet<String>,
) -> Result<bool, IoFail> {
    fs::create_dir(staging).map_err(|e| ("cannot create a staging directory".to_string(), e))?;
    if exists {
        if let Ok(m) = fs::metadata(dir) {
            let _ = fs::set_permissions(staging, m.permissions());
        }
    }
    for f in files {
        write_file(&staging.join(&f.name), &f.content, f.private)
            .map_err(|e| (format!("cannot write {}", f.name), e))?;
    }
    if !exists {
        return Ok(true);
    }
    let ours: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for entry in fs::read_dir(dir).map_err(|e| ("cannot read".to_string(), e))? {
        let entry = entry.map_err(|e| ("cannot read".to_string(), e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if ours.contains(name.as_str()) || previous.contains(&name) {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| ("cannot read".to_string(), e))?;
        if !kind.is_file() {
            return Ok(false);
        }
        fs::hard_link(entry.path(), staging.join(&name))
            .map_err(|e| (format!("cannot keep {name}"), e))?;
    }
    Ok(true)
}

/// Fallback: every file written under a temporary name and renamed over its target.
fn write_in_place(
    dir: &Path,
    files: &[OutFile],
    previous: &BTreeSet<String>,
) -> Result<(), IoFail> {
    fs::create_dir_all(dir).map_err(|e| ("cannot create".to_string(), e))?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    for f in files {
        let tmp = dir.join(format!(".{}.sts-gen-tmp", f.name));
        // A leftover from an interrupted run is ours to replace; removing it first (rather
        // than truncating) never follows a link planted under that name.
        let _ = fs::remove_file(&tmp);
        if let Err(e) = write_file(&tmp, &f.content, f.private) {
            let _ = fs::remove_file(&tmp);
            cleanup(&staged);
            return Err((format!("cannot write {}", f.name), e));
        }
        staged.push((tmp, dir.join(&f.name)));
    }
    for (tmp, target) in &staged {
        if let Err(e) = fs::rename(tmp, target) {
            cleanup(&staged);
            return Err(("cannot rename into place".to_string(), e));
        }
    }
    let current: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for stale in previous.iter().filter(|p| !current.contains(p.as_str())) {
        // Only plain names from our own manifest; never a path.
        if !stale.contains('/') && !stale.starts_with('.') {
            let _ = fs::remove_file(dir.join(stale));
        }
    }
    Ok(())
}

fn write_file(path: &Path, content: &str, private: bool) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    let _ = private;
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}
