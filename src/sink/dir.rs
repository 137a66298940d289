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
/// the new one, never a mix. The staged files are flushed to disk before the swap and the
/// parent directory after it, so a power loss cannot make a directory appear with missing
/// contents either. Where the swap is impossible (a foreign subdirectory, a file system
/// without exchange, `DIR` being `.`), each file is replaced by rename instead (each file is
/// then old or new, the directory may be a mix).
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
    // 1. Check every directory before writing anything.
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (dir, files) in units {
        if !seen.insert(dir) {
            errors.push(dir_error(dir, "given twice in one batch".into()));
            continue;
        }
        match Job::check(dir, files, force) {
            Ok(job) => jobs.push(job),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // 2. Missing parents (for a batch, usually one directory shared by all).
    let mut created = Vec::new();
    for job in &jobs {
        let (target, what) = match &job.staging {
            Some(s) => (parent_of(s), "cannot create the parent directory"),
            None => (job.dir, "cannot create"),
        };
        create_dirs(target, &mut created).map_err(|e| vec![job.io(what, e)])?;
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

/// `<parent>/.<name>.sts-gen-new`, beside `dir` so the final rename stays on one file system.
fn staging_path(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_str()?;
    if name == "." || name == ".." {
        return None;
    }
    Some(parent_of(dir).join(format!(".{name}.sts-gen-new")))
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
}

impl<'a> Job<'a> {
    /// The refusals; nothing is written.
    fn check(dir: &'a Path, files: &'a [OutFile], force: bool) -> Result<Self, DirError> {
        let err = |message: String| dir_error(dir, message);
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
            staging: staging_path(dir),
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
            let _ = fs::remove_dir_all(staging);
            match self.fill_staging(staging) {
                Ok(true) => return Ok(()),
                Ok(false) => {
                    // A foreign subdirectory cannot be linked into the staging directory.
                    let _ = fs::remove_dir_all(staging);
                    self.staging = None;
                }
                Err(e) => {
                    let _ = fs::remove_dir_all(staging);
                    return Err(e);
                }
            }
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
                    && fs::read(&path).is_ok_and(|bytes| bytes == f.content.as_bytes())
            })
    }

    /// Fills the staging directory: the new files, plus hard links to every file in `dir`
    /// that sts-gen did not write. Returns false when `dir` holds something that cannot be
    /// linked.
    fn fill_staging(&self, staging: &Path) -> Result<bool, IoFail> {
        fs::create_dir(staging)
            .map_err(|e| ("cannot create a staging directory".to_string(), e))?;
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
            return Ok(true);
        }
        let ours: BTreeSet<&str> = self.all().map(|f| f.name.as_str()).collect();
        for entry in fs::read_dir(self.dir).map_err(|e| ("cannot read".to_string(), e))? {
            let entry = entry.map_err(|e| ("cannot read".to_string(), e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if ours.contains(name.as_str()) || self.previous.contains(&name) {
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
            // Only plain names from our own manifest; never a path.
            if !stale.contains('/') && !stale.starts_with('.') {
                let _ = fs::remove_file(self.dir.join(stale));
            }
        }
        Ok(())
    }
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
