//! Writing: locks, staging beside the directory, flushing, and the swap (or file-by-file writes).

use super::audit::{remove_leftovers, staging_dirs};
use super::keep::{carry_identity, Mount};
use super::remove::{entry_names, remove_tree};
use super::safe::open_dir;
use super::*;

use std::ffi::{CStr, OsStr};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// [`write_held`] once the directories are normalized and locked.
pub(super) fn write_locked(
    units: &[(PathBuf, &[OutFile])],
    force: bool,
    created: &[PathBuf],
) -> Result<(), Vec<DirError>> {
    // 1. Check every directory before writing anything; a killed run's leftovers go.
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    let mut staging_by_parent = std::collections::HashMap::new();
    for (dir, files) in units {
        let dir = dir.as_path();
        if !seen.insert(dir) {
            errors.push(dir_error(dir, "given twice in one batch".into()));
            continue;
        }
        let parent = parent_of(dir);
        let staging = staging_by_parent
            .entry(parent)
            .or_insert_with(|| staging_dirs(parent));
        remove_leftovers(dir, staging);
        match Job::check(dir, files, force) {
            Ok(job) => jobs.push(job),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // 2. Stage every directory's files, without flushing them one by one.
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

    // 3. The durability barrier: nothing becomes visible before all of it is on disk.
    if let Err(e) = flush(&jobs) {
        discard(&mut jobs);
        return Err(vec![e]);
    }

    // 4. Swap in; the directories whose entries change are flushed afterwards.
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
                format!("cannot flush to disk: {}", crate::shared::io_reason(&e)),
            )]));
        }
    }
    // 5. The old contents, now at the staging paths (a leftover is removed by the next run).
    parallel(&mut old, |p| {
        remove_or_warn(p);
        Ok::<(), ()>(())
    });
    result
}

/// `<parent>/.<name>.sts-gen-stage-<pid>-<random>`: beside `dir` so the final rename stays
/// on one file system, and this run's own, so no other run can write into it or remove it.
pub(super) fn staging_path(dir: &Path) -> Option<PathBuf> {
    // An OsString: a name that is not UTF-8 is staged like any other.
    let name = dir.file_name()?;
    if name == "." || name == ".." {
        return None;
    }
    let mut staging = std::ffi::OsString::from(".");
    // Shortened like the lock file's: the longest valid names would be too long here.
    staging.push(lock::short_name(name));
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

/// Why a directory cannot be staged and swapped whole (not an error: its files are then
/// written in place, with a warning that says this).
struct NotAtomic(String);

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
    /// The directory, opened without following a link, once it is written file by file:
    /// every file is then written, renamed and removed in it through this handle, so the
    /// directory swapped for a link meanwhile is never written through.
    at: Option<OwnedFd>,
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
                        .map_err(|e| err(format!("cannot read: {}", crate::shared::io_reason(&e))))?
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
            at: None,
        })
    }

    /// The files to write: the output and the manifest.
    fn all(&self) -> impl Iterator<Item = &OutFile> {
        self.files.iter().chain(std::iter::once(&self.manifest))
    }

    fn io(&self, what: &str, e: std::io::Error) -> DirError {
        dir_error(
            self.dir,
            format!("{what}: {}", crate::shared::io_reason(&e)),
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
                Ok(Err(NotAtomic(why))) => {
                    remove_or_warn(staging);
                    self.staging = None;
                    warn_not_atomic(self.dir, &why);
                }
                Err(e) => {
                    remove_or_warn(staging);
                    return Err(e);
                }
            }
        } else if let Some(why) = self.in_place {
            warn_not_atomic(self.dir, why);
        }
        let at = open_dir(rustix::fs::CWD, self.dir)
            .map_err(|e| ("cannot open it".to_string(), std::io::Error::from(e)))?;
        let mut failed = None;
        for f in self.all() {
            let tmp = tmp_name(&f.name);
            // A leftover from an interrupted run is ours to replace; removing it first
            // (rather than truncating) never follows a link planted under that name.
            let _ = rustix::fs::unlinkat(&at, &tmp, AtFlags::empty());
            if let Err(e) = write_file_at(&at, &tmp, &f.content, f.private) {
                failed = Some((format!("cannot write {}", f.name), e));
                break;
            }
        }
        self.at = Some(at);
        match failed {
            Some(e) => {
                self.discard();
                Err(e)
            }
            None => Ok(()),
        }
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
    fn fill_staging(&self, staging: &Path) -> Result<Result<(), NotAtomic>, IoFail> {
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
                return Ok(Err(NotAtomic(format!(
                    "no staging directory can be made beside it ({})",
                    crate::shared::io_reason(&e)
                ))));
            }
            Err(e) => return Err(("cannot create a staging directory".to_string(), e)),
        }
        if self.exists {
            if let Ok(m) = fs::symlink_metadata(self.dir) {
                // Before any file is made in it: on a setgid directory they take its group.
                if let Err(why) = carry_identity(self.dir, &m, staging) {
                    return Ok(Err(NotAtomic(why)));
                }
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
        let read = |e: rustix::io::Errno| ("cannot read".to_string(), std::io::Error::from(e));
        // Through the open directory: see [`link_tree`].
        let top = open_dir(rustix::fs::CWD, self.dir).map_err(read)?;
        let mount = Mount::of_fd(&top).map_err(|e| ("cannot read".to_string(), e))?;
        for name in entry_names(&top).map_err(read)? {
            let name_os = OsStr::from_bytes(name.to_bytes());
            if name_os
                .to_str()
                .is_some_and(|n| ours.contains(n) || self.previous.contains(n))
            {
                continue;
            }
            let (from, to) = (self.dir.join(name_os), staging.join(name_os));
            if let Err(why) = link_tree(&top, &name, &from, &to, &mount)? {
                return Ok(Err(why));
            }
        }
        Ok(Ok(()))
    }

    /// Removes what [`Job::stage`] wrote.
    fn discard(&self) {
        match &self.staging {
            Some(staging) => remove_or_warn(staging),
            None => {
                if let Some(at) = &self.at {
                    for f in self.all() {
                        let _ = rustix::fs::unlinkat(at, tmp_name(&f.name), AtFlags::empty());
                    }
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
            let file = match (&self.staging, &self.at) {
                (None, Some(at)) => {
                    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                    rustix::fs::openat(at, tmp_name(&f.name), flags, Mode::empty())
                        .map(fs::File::from)
                        .map_err(std::io::Error::from)
                }
                _ => fs::File::open(folder.join(&f.name)),
            };
            file.and_then(|file| file.sync_all())
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
        let Some(at) = &self.at else {
            return Err(self.io(
                "cannot rename into place",
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        };
        for f in self.all() {
            if let Err(e) = rustix::fs::renameat(at, tmp_name(&f.name), at, &f.name) {
                self.discard();
                return Err(self.io("cannot rename into place", e.into()));
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
            let file = rustix::fs::statat(at, stale, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
            if safe::plain_name(stale) && file {
                let _ = rustix::fs::unlinkat(at, stale, AtFlags::empty());
            }
        }
        Ok(())
    }
}

/// Recreates `from` at `to` inside a staging directory: a directory anew (same mode, owner,
/// group and times) with its contents recreated in turn; anything else (a file, a link, a
/// FIFO) as a hard link to the same inode, so the user's files are the very same files
/// after the swap and nothing is copied. `Ok(Err(why))` when an entry cannot be hard-linked
/// (a file the kernel will not let us link), a directory is on another file system or
/// mount than `mount` (a bind mount: the swap would move it, and removing the old tree would
/// delete what it shows), or a directory's owner, group or extended attributes cannot be
/// given to its copy: the caller then writes in place, keeping every directory as it is.
///
/// `from` is the entry `name` of the open directory `parent`, and it is read only through
/// that handle (looked at, opened with `O_NOFOLLOW`, linked with `linkat`): a directory in
/// DIR swapped for a link to another place meanwhile is not entered, so nothing outside DIR
/// is ever linked into the new directory. `from` names it in messages.
fn link_tree(
    parent: &OwnedFd,
    name: &CStr,
    from: &Path,
    to: &Path,
    mount: &Mount,
) -> Result<Result<(), NotAtomic>, IoFail> {
    let read = |e: std::io::Error| (format!("cannot read {}", from.display()), e);
    let st =
        rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW).map_err(|e| read(e.into()))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        // linkat without AT_SYMLINK_FOLLOW: a link is linked as the link itself.
        return Ok(
            rustix::fs::linkat(parent, name, rustix::fs::CWD, to, AtFlags::empty()).map_err(|e| {
                NotAtomic(format!(
                    "{} cannot be hard-linked ({})",
                    from.display(),
                    crate::shared::io_reason(&e.into())
                ))
            }),
        );
    }
    // A link swapped in since the look fails to open: it is never entered.
    let dir = fs::File::from(open_dir(parent, name).map_err(|e| read(e.into()))?);
    let meta = dir.metadata().map_err(read)?;
    if Mount::of_fd(&dir).map_err(read)?.differs(mount) {
        return Ok(Err(NotAtomic(format!(
            "{} is another file system or a mount point",
            from.display()
        ))));
    }
    fs::create_dir(to).map_err(|e| (format!("cannot stage {}", from.display()), e))?;
    if let Err(why) = carry_identity(from, &meta, to) {
        return Ok(Err(NotAtomic(why)));
    }
    let dir = OwnedFd::from(dir);
    for child in entry_names(&dir).map_err(|e| read(e.into()))? {
        let child_os = OsStr::from_bytes(child.to_bytes());
        let (f, t) = (from.join(child_os), to.join(child_os));
        if let Err(why) = link_tree(&dir, &child, &f, &t, mount)? {
            return Ok(Err(why));
        }
    }
    // After the contents: a read-only directory could not have been filled. Times are best
    // effort.
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

/// [`remove_tree`], saying on stderr what could not be removed (never silently: the tree
/// may hold Secret data, and `--check` would report it as a leftover).
fn remove_or_warn(path: &Path) {
    if let Err((entry, e)) = remove_tree(path) {
        eprintln!(
            "warning: {}: cannot remove this staging directory of sts-gen ({}: {}); remove it by hand, or the next render tries again",
            path.display(),
            entry.display(),
            crate::shared::io_reason(&e)
        );
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
pub(super) fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
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
/// [`write_file`] for the entry `name` of the open directory `at`; never follows a link.
fn write_file_at(at: &OwnedFd, name: &str, content: &str, private: bool) -> std::io::Result<()> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mode = Mode::from_raw_mode(if private { 0o600 } else { 0o644 });
    let mut f = fs::File::from(rustix::fs::openat(at, name, flags, mode)?);
    f.write_all(content.as_bytes())
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
    f.write_all(content.as_bytes())
}
