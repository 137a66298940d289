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

use super::{lock, safe};
use crate::check::Doc;
use crate::emit::yaml_document;

/// The list of files sts-gen wrote into a directory, one per line.
pub const MANIFEST: &str = ".sts-gen-manifest";

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// The file name inside the output directory (`<kind>-<name>.yaml`).
    pub name: String,
    /// The file's text.
    pub content: String,
    /// Secret files are written with mode 0600.
    pub private: bool,
}

pub use super::DirError;

/// Secret data in a directory sts-gen wrote before, by Secret name then key (base64), so
/// generated values can be reused.
///
/// A Secret file the manifest lists but that is gone means its values are generated anew.
/// One that is there but cannot be read as a Secret is an error naming it: silently drawing
/// new values would rotate a live password on the next apply. A link (at the directory or
/// at a file) is an error too: the values would be whatever the link's target says.
pub fn previous_secrets(
    dir: &Path,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, DirError> {
    let dir = safe::normalize(dir);
    let mut out = BTreeMap::new();
    if !safe::existing_dir(&dir)? {
        return Ok(out);
    }
    let Some(manifest) = safe::read_entry(&dir, MANIFEST)? else {
        return Ok(out);
    };
    for name in manifest
        .lines()
        .filter(|n| n.starts_with("secret-") && safe::plain_name(n))
    {
        let Some(text) = safe::read_entry(&dir, name)? else {
            continue;
        };
        let path = dir.join(name);
        // The parser's message is not shown: it may quote the file, i.e. a secret value.
        let bad = |why: &str| {
            safe::error(
                &path,
                format!("cannot reuse the generated values of this Secret: {why}; restore the file (e.g. from version control), or delete it to generate new values"),
            )
        };
        let doc = serde_saphyr::from_str::<serde_json::Value>(&text)
            .map_err(|_| bad("it is not valid YAML"))?;
        let secret = doc
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("it has no metadata.name"))?;
        let mut values = BTreeMap::new();
        match doc.get("data") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(data)) => {
                for (k, v) in data {
                    let v = v.as_str().ok_or_else(|| bad("a data value is not text"))?;
                    values.insert(k.clone(), v.to_string());
                }
            }
            Some(_) => return Err(bad("its data is not a mapping")),
        }
        out.insert(secret.to_string(), values);
    }
    Ok(out)
}

/// What `render --check` reports besides differences: staging directories and half-written
/// files that an interrupted run left (they may hold Secret data), and Secret files that
/// others may read. Each line names the path.
pub fn audit(dir: &Path, files: &[OutFile]) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = safe::normalize(dir);
    // While a writer runs, its staging directory is no leftover.
    let found = if lock::is_held(&dir) {
        Vec::new()
    } else {
        leftovers(&dir)
    };
    let mut out: Vec<String> = found
        .into_iter()
        .map(|p| {
            format!(
                "{}: left by an interrupted run (it may hold Secret data); the next render removes it",
                p.display()
            )
        })
        .collect();
    for f in files.iter().filter(|f| f.private) {
        let path = dir.join(&f.name);
        if let Ok(m) = fs::symlink_metadata(&path) {
            let mode = m.permissions().mode() & 0o777;
            if m.is_file() && mode & 0o077 != 0 {
                out.push(format!(
                    "{}: mode {mode:04o} lets others read this Secret; it must be 0600 (a render fixes it)",
                    path.display()
                ));
            }
        }
    }
    out
}

/// Staging directories beside `dir` (normalized) and temporary files inside it that a killed
/// run left behind. Only names sts-gen makes for this very directory, and only directories
/// and regular files: a link with such a name is not ours to remove.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy()) else {
        return out;
    };
    let kind = |e: &fs::DirEntry| e.file_type().ok();
    if let Ok(entries) = fs::read_dir(parent_of(dir)) {
        for e in entries.flatten() {
            if is_staging_name(&e.file_name().to_string_lossy(), &name)
                && kind(&e).is_some_and(|k| k.is_dir())
            {
                out.push(e.path());
            }
        }
    }
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let tmp = e.file_name().to_str().is_some_and(|n| {
                n.strip_prefix('.')
                    .and_then(|n| n.strip_suffix(".sts-gen-tmp"))
                    .is_some_and(safe::plain_name)
            });
            if tmp && kind(&e).is_some_and(|k| k.is_file()) {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// `.<name>.sts-gen-stage-<pid>-<hex>`, or `.<name>.sts-gen-new` of earlier versions.
fn is_staging_name(entry: &str, name: &str) -> bool {
    if entry == format!(".{name}.sts-gen-new") {
        return true;
    }
    let Some(rest) = entry.strip_prefix(&format!(".{name}.sts-gen-stage-")) else {
        return false;
    };
    rest.split_once('-').is_some_and(|(pid, random)| {
        !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && !random.is_empty()
            && random.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Removes [`leftovers`]; a failure is a warning (the write itself does not need it).
fn remove_leftovers(dir: &Path) {
    for path in leftovers(dir) {
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if let Err(e) = removed {
            eprintln!(
                "warning: {}: cannot remove this leftover of an interrupted run: {}",
                path.display(),
                crate::profile::io_reason(&e)
            );
        }
    }
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
/// Writers of one directory take turns ([`lock`]). The new contents are assembled in a
/// staging directory of this run's own beside `dir` (entries sts-gen did not write are
/// hard-linked into it, subdirectories recreated around hard links) and swapped in with one
/// atomic `rename` (exchange when the directory exists), so a failure or a kill at any
/// point leaves either the old directory or the new one, never a mix. The staged files are
/// flushed to disk before the swap and the parent directory after it, so a power loss cannot
/// make a directory appear with missing contents either. Where the swap is impossible (an
/// entry that cannot be hard-linked, a file system without exchange, `DIR` holding the
/// working directory, which the swap would leave deleted under the shell), a warning says
/// so and each file is replaced by rename instead (each file is then old or new, the
/// directory may be a mix).
pub fn write(dir: &Path, files: &[OutFile], force: bool) -> Result<(), DirError> {
    write_all([(dir, files)], force).map_err(|errors| {
        errors
            .into_iter()
            .next()
            .expect("a failed write reports an error")
    })
}

/// [`write`] for many directories at once (a batch), paying for one flush to disk instead of
/// one per directory.
///
/// Every directory is checked first: if any would be refused, nothing is written anywhere and
/// every refusal is returned. Then the files of all directories are staged (in parallel),
/// flushed to disk together (`syncfs` on Linux, each file's `fsync` elsewhere or when that
/// fails), and only then swapped in, one directory after the other, in the order given. An
/// error while staging or flushing leaves every directory as it was; an error while swapping
/// (rare: the file system changed under us) stops there, leaving the directories before it
/// new and the rest old. The errors are never empty.
pub fn write_all<'a>(
    units: impl IntoIterator<Item = (&'a Path, &'a [OutFile])>,
    force: bool,
) -> Result<(), Vec<DirError>> {
    write_all_in(None, units, force)
}

/// [`write_all`] for a batch whose directories are all below `root`, which is then locked
/// (and refused when it is a link) as well.
///
/// Locks are taken root first, then the directories in path order: every writer takes them
/// in this order, so two runs never wait for each other. Parent directories created for a
/// write that fails are removed again.
pub fn write_all_in<'a>(
    root: Option<&Path>,
    units: impl IntoIterator<Item = (&'a Path, &'a [OutFile])>,
    force: bool,
) -> Result<(), Vec<DirError>> {
    let wait = lock::timeout().map_err(|message| {
        vec![DirError {
            dir: "STS_GEN_LOCK_TIMEOUT".into(),
            message,
        }]
    })?;
    let root = root.map(safe::normalize);
    let units: Vec<(PathBuf, &[OutFile])> = units
        .into_iter()
        .map(|(dir, files)| (safe::normalize(dir), files))
        .collect();
    // A link or a file where a directory goes is refused before anything is created.
    let errors: Vec<DirError> = root
        .iter()
        .chain(units.iter().map(|(dir, _)| dir))
        .filter_map(|dir| safe::existing_dir(dir).err())
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut created = Vec::new();
    let result = write_locked(root.as_deref(), &units, force, wait, &mut created);
    if result.is_err() {
        // The locks are released (their files gone); only directories still empty go.
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

/// [`write_all_in`] once the directories are normalized: locks, then writes.
fn write_locked(
    root: Option<&Path>,
    units: &[(PathBuf, &[OutFile])],
    force: bool,
    wait: std::time::Duration,
    created: &mut Vec<PathBuf>,
) -> Result<(), Vec<DirError>> {
    // 1. Lock: missing parents are created first (the lock file lives there).
    let mut order: Vec<&Path> = units.iter().map(|(dir, _)| dir.as_path()).collect();
    order.sort();
    order.dedup();
    let mut _locks = Vec::new();
    for dir in root.into_iter().chain(order) {
        create_dirs(parent_of(dir), created).map_err(|e| {
            vec![dir_error(
                dir,
                format!(
                    "cannot create the parent directory: {}",
                    crate::profile::io_reason(&e)
                ),
            )]
        })?;
        _locks.push(lock::acquire(dir, wait).map_err(|e| vec![e])?);
    }

    // 2. Check every directory before writing anything; a killed run's leftovers go.
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (dir, files) in units {
        let dir = dir.as_path();
        if !seen.insert(dir) {
            errors.push(dir_error(dir, "given twice in one batch".into()));
            continue;
        }
        remove_leftovers(dir);
        match Job::check(dir, files, force) {
            Ok(job) => jobs.push(job),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // 3. Stage every directory's files, without flushing them one by one.
    let failed = std::sync::atomic::AtomicBool::new(false);
    let errors = parallel(&mut jobs, |job| {
        // After a failure the remaining directories are not staged: they would be discarded.
        if failed.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        job.stage().map_err(|(what, e)| {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
            job.io(&what, e)
        })
    });
    if !errors.is_empty() {
        discard(&mut jobs);
        return Err(errors);
    }

    // 4. The durability barrier: nothing becomes visible before all of it is on disk.
    if let Err(e) = flush(&jobs) {
        discard(&mut jobs);
        return Err(vec![e]);
    }

    // 5. Swap in; the directories whose entries change are flushed afterwards.
    let mut changed: BTreeSet<PathBuf> =
        created.iter().map(|d| parent_of(d).to_path_buf()).collect();
    let mut old = Vec::new();
    let mut result = Ok(());
    for i in 0..jobs.len() {
        let job = &mut jobs[i];
        if job.up_to_date {
            continue;
        }
        match job.swap() {
            Ok(previous) => {
                changed.insert(match job.staging {
                    Some(_) => parent_of(job.dir).to_path_buf(),
                    None => job.dir.to_path_buf(),
                });
                old.extend(previous);
            }
            Err(e) => {
                discard(&mut jobs[i + 1..]);
                result = Err(vec![e]);
                break;
            }
        }
    }
    for dir in &changed {
        if let Err(e) = sync_dir(dir) {
            result = result.and(Err(vec![dir_error(
                dir,
                format!("cannot flush to disk: {}", crate::profile::io_reason(&e)),
            )]));
        }
    }
    // 6. The old contents, now at the staging paths (a leftover is removed by the next run).
    parallel(&mut old, |p| {
        let _ = fs::remove_dir_all(p);
        Ok::<(), ()>(())
    });
    result
}

fn dir_error(dir: &Path, message: String) -> DirError {
    DirError {
        dir: dir.display().to_string(),
        message,
    }
}

/// The parent of `path`, `.` for a bare name.
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `<parent>/.<name>.sts-gen-stage-<pid>-<random>`: beside `dir` so the final rename stays
/// on one file system, and this run's own, so no other run can write into it or remove it.
fn staging_path(dir: &Path) -> Option<PathBuf> {
    // An OsString: a name that is not UTF-8 is staged like any other.
    let name = dir.file_name()?;
    if name == "." || name == ".." {
        return None;
    }
    let mut staging = std::ffi::OsString::from(".");
    staging.push(name);
    staging.push(format!(
        ".sts-gen-stage-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    Some(parent_of(dir).join(staging))
}

/// Whether `dir` is the working directory or holds it: swapping it would leave this
/// process's and the calling shell's working directory in the removed old one.
fn holds_working_directory(dir: &Path) -> bool {
    match (std::env::current_dir(), fs::canonicalize(dir)) {
        (Ok(cwd), Ok(real)) => cwd.starts_with(real),
        _ => false,
    }
}

/// Says, before writing, that a directory is written file by file.
fn warn_not_atomic(dir: &Path, why: &str) {
    eprintln!(
        "warning: {}: writing file by file, not atomic: {why}; each file is replaced whole, but until the run ends a reader (or a crash) may see old and new files mixed",
        dir.display()
    );
}

/// `.<name>.sts-gen-tmp`: a file written in place, before it is renamed over `name`.
fn tmp_name(name: &str) -> String {
    format!(".{name}.sts-gen-tmp")
}

type IoFail = (String, std::io::Error);

/// One directory to write.
struct Job<'a> {
    dir: &'a Path,
    exists: bool,
    /// The files the previous run wrote (its manifest).
    previous: BTreeSet<String>,
    files: &'a [OutFile],
    manifest: OutFile,
    /// The directory already holds exactly these files (contents, modes and manifest):
    /// nothing is written, flushed or swapped, so a re-render that changes nothing leaves
    /// every file (and its modification time) alone.
    up_to_date: bool,
    /// The staging directory while the directory is to be swapped in whole; `None` when it
    /// is written file by file.
    staging: Option<PathBuf>,
    /// Why the directory is written file by file from the start.
    in_place: Option<&'static str>,
}

impl<'a> Job<'a> {
    /// The refusals; nothing is written.
    fn check(dir: &'a Path, files: &'a [OutFile], force: bool) -> Result<Self, DirError> {
        let err = |message: String| dir_error(dir, message);
        let exists = safe::existing_dir(dir)?;
        let previous: BTreeSet<String> = if exists {
            match safe::read_entry(dir, MANIFEST)? {
                Some(text) => {
                    // Only regular files named plainly are ours to replace or prune; any
                    // other line (a directory, a link, a path) is left alone, said once.
                    let mut ignored = Vec::new();
                    let ours = safe::manifest_entries(dir, &text, &mut ignored);
                    for line in ignored {
                        eprintln!("warning: {}: {line}", dir.display());
                    }
                    ours
                }
                None => {
                    let non_empty = fs::read_dir(dir)
                        .map_err(|e| {
                            err(format!("cannot read: {}", crate::profile::io_reason(&e)))
                        })?
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
        if exists {
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
        }
        let mut names = files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>();
        names.sort();
        let in_place = exists && holds_working_directory(dir);
        Ok(Job {
            dir,
            exists,
            previous,
            files,
            manifest: OutFile {
                name: MANIFEST.into(),
                content: names.join("\n") + "\n",
                private: false,
            },
            up_to_date: false,
            staging: staging_path(dir).filter(|_| !in_place),
            in_place: in_place.then_some(
                "it holds the working directory, which a swap would leave deleted under the shell",
            ),
        })
    }

    /// The files to write: the output and the manifest.
    fn all(&self) -> impl Iterator<Item = &OutFile> {
        self.files.iter().chain(std::iter::once(&self.manifest))
    }

    fn io(&self, what: &str, e: std::io::Error) -> DirError {
        dir_error(
            self.dir,
            format!("{what}: {}", crate::profile::io_reason(&e)),
        )
    }

    /// Writes the files, not yet flushed and not yet visible: into the staging directory,
    /// or (file by file) under temporary names beside their targets.
    fn stage(&mut self) -> Result<(), IoFail> {
        if self.holds_the_same() {
            self.up_to_date = true;
            return Ok(());
        }
        if let Some(staging) = &self.staging {
            match self.fill_staging(staging) {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(why)) => {
                    let _ = fs::remove_dir_all(staging);
                    self.staging = None;
                    warn_not_atomic(self.dir, &why);
                }
                Err(e) => {
                    let _ = fs::remove_dir_all(staging);
                    return Err(e);
                }
            }
        } else if let Some(why) = self.in_place {
            warn_not_atomic(self.dir, why);
        }
        for f in self.all() {
            let tmp = self.dir.join(tmp_name(&f.name));
            // A leftover from an interrupted run is ours to replace; removing it first
            // (rather than truncating) never follows a link planted under that name.
            let _ = fs::remove_file(&tmp);
            if let Err(e) = write_file(&tmp, &f.content, f.private) {
                self.discard();
                return Err((format!("cannot write {}", f.name), e));
            }
        }
        Ok(())
    }

    /// Whether the directory already holds every file with the same content and mode, and
    /// the same manifest (so no stale file of ours is left to remove). Any doubt (a file
    /// that cannot be read) means no.
    fn holds_the_same(&self) -> bool {
        self.exists
            && self.all().all(|f| {
                let path = self.dir.join(&f.name);
                let Ok(meta) = fs::symlink_metadata(&path) else {
                    return false;
                };
                // A secret file must still be private. Other modes are left as found (the
                // umask decides them when files are created).
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    if f.private && meta.permissions().mode() & 0o077 != 0 {
                        return false;
                    }
                }
                meta.is_file()
                    && meta.len() == f.content.len() as u64
                    && safe::read_entry(self.dir, &f.name)
                        .is_ok_and(|t| t.as_deref() == Some(&f.content))
            })
    }

    /// Fills the staging directory: the new files, plus every entry of `dir` that sts-gen
    /// did not write, as hard links (subdirectories recreated around them). `Ok(Err(why))`
    /// when `dir` holds something that cannot be linked.
    fn fill_staging(&self, staging: &Path) -> Result<Result<(), String>, IoFail> {
        match fs::create_dir(staging) {
            Ok(()) => {}
            // A parent this user may not write: the directory can still be written in place.
            Err(e)
                if self.exists
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
            {
                return Ok(Err(format!(
                    "no staging directory can be made beside it ({})",
                    crate::profile::io_reason(&e)
                )));
            }
            Err(e) => return Err(("cannot create a staging directory".to_string(), e)),
        }
        if self.exists {
            if let Ok(m) = fs::metadata(self.dir) {
                let _ = fs::set_permissions(staging, m.permissions());
            }
        }
        for f in self.all() {
            write_file(&staging.join(&f.name), &f.content, f.private)
                .map_err(|e| (format!("cannot write {}", f.name), e))?;
        }
        if !self.exists {
            return Ok(Ok(()));
        }
        let ours: BTreeSet<&str> = self.all().map(|f| f.name.as_str()).collect();
        let device = {
            use std::os::unix::fs::MetadataExt;
            fs::symlink_metadata(self.dir)
                .map_err(|e| ("cannot read".to_string(), e))?
                .dev()
        };
        for entry in fs::read_dir(self.dir).map_err(|e| ("cannot read".to_string(), e))? {
            let entry = entry.map_err(|e| ("cannot read".to_string(), e))?;
            let name = entry.file_name();
            if name
                .to_str()
                .is_some_and(|n| ours.contains(n) || self.previous.contains(n))
            {
                continue;
            }
            if let Err(why) = link_tree(&entry.path(), &staging.join(&name), device)? {
                return Ok(Err(why));
            }
        }
        Ok(Ok(()))
    }

    /// Removes what [`Job::stage`] wrote.
    fn discard(&self) {
        match &self.staging {
            Some(staging) => {
                let _ = fs::remove_dir_all(staging);
            }
            None => {
                for f in self.all() {
                    let _ = fs::remove_file(self.dir.join(tmp_name(&f.name)));
                }
            }
        }
    }

    /// `fsync` of every staged file and of the staging directory: the barrier where
    /// `syncfs` is unavailable.
    fn sync_each(&self) -> Result<(), DirError> {
        let fail = |name: &str, e: std::io::Error| self.io(&format!("cannot flush {name}"), e);
        let folder = self.staging.as_deref().unwrap_or(self.dir);
        for f in self.all() {
            let path = match self.staging {
                Some(_) => folder.join(&f.name),
                None => folder.join(tmp_name(&f.name)),
            };
            fs::File::open(&path)
                .and_then(|file| file.sync_all())
                .map_err(|e| fail(&f.name, e))?;
        }
        if self.staging.is_some() {
            sync_dir(folder).map_err(|e| fail("the staging directory", e))?;
        }
        Ok(())
    }

    /// Makes the staged (and flushed) output visible. Returns where the old contents now
    /// are, to be removed.
    fn swap(&mut self) -> Result<Option<PathBuf>, DirError> {
        let Some(staging) = self.staging.clone() else {
            self.rename_in_place()?;
            return Ok(None);
        };
        if !self.exists {
            // rename() onto a missing path is atomic; the directory appears complete.
            return match fs::rename(&staging, self.dir) {
                Ok(()) => Ok(None),
                Err(e) => {
                    self.discard();
                    Err(self.io("cannot move the output into place", e))
                }
            };
        }
        let cwd = rustix::fs::CWD;
        let exchange = rustix::fs::RenameFlags::EXCHANGE;
        if rustix::fs::renameat_with(cwd, &staging, cwd, self.dir, exchange).is_ok() {
            // The old contents are now at the staging path: our old files and links to
            // foreign files that also live on in the new directory.
            return Ok(Some(staging));
        }
        // No exchange here: file by file, with a barrier of its own.
        self.discard();
        self.staging = None;
        warn_not_atomic(self.dir, "this file system cannot exchange two directories");
        self.stage().map_err(|(what, e)| self.io(&what, e))?;
        if let Err(e) = flush(std::slice::from_ref(&*self)) {
            self.discard();
            return Err(e);
        }
        self.rename_in_place()?;
        Ok(None)
    }

    /// Renames every file written in place over its target, then removes the files the
    /// previous run wrote that this one does not.
    fn rename_in_place(&self) -> Result<(), DirError> {
        for f in self.all() {
            let tmp = self.dir.join(tmp_name(&f.name));
            if let Err(e) = fs::rename(&tmp, self.dir.join(&f.name)) {
                self.discard();
                return Err(self.io("cannot rename into place", e));
            }
        }
        let current: BTreeSet<&str> = self.all().map(|f| f.name.as_str()).collect();
        for stale in self
            .previous
            .iter()
            .filter(|p| !current.contains(p.as_str()))
        {
            // Plain names from our own manifest, checked when it was read; still a regular
            // file (never a link or a directory) when removed.
            let path = self.dir.join(stale);
            if safe::plain_name(stale) && fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                let _ = fs::remove_file(path);
            }
        }
        Ok(())
    }
}

/// Recreates `from` at `to` inside a staging directory: a directory anew (same mode, owner
/// and times) with its contents recreated in turn; anything else (a file, a link, a FIFO)
/// as a hard link to the same inode, so the user's files are the very same files after the
/// swap and nothing is copied. `Ok(Err(why))` when an entry cannot be hard-linked (another
/// file system below, a file the kernel will not let us link): the caller then writes in
/// place.
fn link_tree(from: &Path, to: &Path, device: u64) -> Result<Result<(), String>, IoFail> {
    use std::os::unix::fs::MetadataExt;
    let read = |e| (format!("cannot read {}", from.display()), e);
    let meta = fs::symlink_metadata(from).map_err(read)?;
    if !meta.is_dir() {
        // linkat without AT_SYMLINK_FOLLOW: a link is linked as the link itself.
        return Ok(fs::hard_link(from, to).map_err(|e| {
            format!(
                "{} cannot be hard-linked ({})",
                from.display(),
                crate::profile::io_reason(&e)
            )
        }));
    }
    if meta.dev() != device {
        return Ok(Err(format!("{} is another file system", from.display())));
    }
    fs::create_dir(to).map_err(|e| (format!("cannot stage {}", from.display()), e))?;
    for entry in fs::read_dir(from).map_err(read)? {
        let entry = entry.map_err(read)?;
        if let Err(why) = link_tree(&entry.path(), &to.join(entry.file_name()), device)? {
            return Ok(Err(why));
        }
    }
    // After the contents: a read-only directory could not have been filled. Owner and times
    // are best effort (another user's directory keeps its mode either way).
    let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
    if let (Ok(dir), Ok(modified), Ok(accessed)) =
        (fs::File::open(to), meta.modified(), meta.accessed())
    {
        let _ = dir.set_times(
            fs::FileTimes::new()
                .set_modified(modified)
                .set_accessed(accessed),
        );
    }
    fs::set_permissions(to, meta.permissions())
        .map_err(|e| (format!("cannot stage {}", from.display()), e))?;
    Ok(Ok(()))
}

/// Removes everything staged for `jobs`.
fn discard(jobs: &mut [Job]) {
    parallel(jobs, |job| {
        job.discard();
        Ok::<(), ()>(())
    });
}

/// The durability barrier: makes everything staged for `jobs` durable. On Linux one
/// `syncfs` per file system (the staging directories' parents); elsewhere, or when that
/// fails, an `fsync` per file.
fn flush(jobs: &[Job]) -> Result<(), DirError> {
    let jobs: Vec<&Job> = jobs.iter().filter(|job| !job.up_to_date).collect();
    if jobs.is_empty() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    if syncfs_each(&jobs).is_ok() {
        return Ok(());
    }
    let mut refs = jobs;
    parallel(&mut refs, |job| job.sync_each())
        .into_iter()
        .next()
        .map_or(Ok(()), Err)
}

/// `syncfs` once per file system that holds staged files.
#[cfg(target_os = "linux")]
fn syncfs_each(jobs: &[&Job]) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let folders: BTreeSet<&Path> = jobs
        .iter()
        .map(|job| match &job.staging {
            Some(staging) => parent_of(staging),
            None => job.dir,
        })
        .collect();
    let mut devices = BTreeSet::new();
    for folder in folders {
        let handle = fs::File::open(folder)?;
        if devices.insert(handle.metadata()?.dev()) {
            rustix::fs::syncfs(&handle)?;
        }
    }
    Ok(())
}

/// `fsync` of a directory, so renames and new entries in it are durable. File systems that
/// cannot do it (`EINVAL`) are not an error.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match fs::File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

/// Creates `dir` and its missing ancestors, adding the ones it created to `created`.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || fs::symlink_metadata(dir).is_ok() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {
            created.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs `f` on every item, in parallel when there are several (a batch's directories);
/// returns the errors in the items' order.
fn parallel<T: Send, E: Send>(
    items: &mut [T],
    f: impl Fn(&mut T) -> Result<(), E> + Sync,
) -> Vec<E> {
    use rayon::prelude::*;
    // One item (a single profile's directory) stays on this thread.
    if items.len() < 2 {
        return items.iter_mut().filter_map(|item| f(item).err()).collect();
    }
    items
        .par_iter_mut()
        .filter_map(|item| f(item).err())
        .collect()
}

/// Creates `path` (never an existing file or link) with `content`; mode 0600 when `private`.
/// Not flushed: the caller's barrier ([`flush`]) does that before anything is renamed.
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
    f.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_match_only_this_directory_and_run_pattern() {
        let mine = staging_path(Path::new("deploy/out")).unwrap();
        let mine = mine.file_name().unwrap().to_str().unwrap();
        assert!(is_staging_name(mine, "out"), "{mine}");
        assert!(is_staging_name(".out.sts-gen-new", "out"));
        assert!(is_staging_name(".out.sts-gen-stage-12-00ff", "out"));
        for other in [
            ".out.sts-gen-stage-x.sts-gen-stage-1-ab",
            ".out.sts-gen-stage-12-",
            ".out.sts-gen-stage--ab",
            ".out.sts-gen-stage-12-zz",
            ".outer.sts-gen-stage-12-ab",
            ".out.sts-gen.lock",
        ] {
            assert!(!is_staging_name(other, "out"), "{other}");
        }
        // Two stagings of one directory never share a name.
        assert_ne!(
            staging_path(Path::new("out")),
            staging_path(Path::new("out"))
        );
    }
}
