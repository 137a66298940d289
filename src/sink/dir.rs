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

mod audit;
mod keep;
mod nested;
mod remove;
mod stage;

pub use audit::audit;
use stage::{create_dirs, write_locked};

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
/// directory may be a mix). Recreated directories get their owner and group (where this
/// user may give them); a directory whose owner, group or extended attributes (ACLs,
/// SELinux labels) its copy would not have, or one that is a mount point, makes the whole
/// directory written file by file, which keeps every directory inode as it is.
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
    let mut held = WriteLock::default();
    held.take(root)?;
    write_held(&mut held, units, force)
}

/// Exclusive locks on the directories a run writes, taken before it reads anything of them
/// (the previous Secret values it reuses, the files it compares) and held through the
/// write: a run that read first and locked later could write values read from a directory
/// another run replaced meanwhile. Released on drop; the parent directories created to
/// hold the lock files go again then, unless a write through the locks succeeded.
///
/// A directory's writer also holds its parent's lock, shared; a batch holds its root's lock
/// exclusively, which covers every directory in the root. A batch of 1,000 profiles thus
/// takes two locks instead of 1,001: creating and removing a lock file per directory was a
/// third of its time on disk (docs/PERFORMANCE.md).
#[derive(Debug, Default)]
pub struct WriteLock {
    /// Each lock with whether it is exclusive (a parent's is shared).
    held: Vec<(PathBuf, lock::Lock, bool)>,
    created: Vec<PathBuf>,
    written: bool,
}

impl WriteLock {
    /// Locks every directory of `dirs` that no lock held yet covers (a second `flock` of
    /// this process on its own lock file would wait for itself), and the parent of each,
    /// shared. All are taken in path order, a parent before what is in it, as every run
    /// takes them, so two runs never wait for each other; a batch's root is taken before
    /// its directories. A link or a file where a directory goes is refused before anything
    /// is created.
    pub fn take<'a>(
        &mut self,
        dirs: impl IntoIterator<Item = &'a Path>,
    ) -> Result<(), Vec<DirError>> {
        let wait = lock::timeout().map_err(|e| vec![e])?;
        let mut dirs: Vec<PathBuf> = dirs.into_iter().map(safe::normalize).collect();
        dirs.sort();
        dirs.dedup();
        let errors: Vec<DirError> = dirs
            .iter()
            .filter_map(|dir| safe::existing_dir(dir).err())
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        // A set: a batch asks for a thousand directories, each looked up here.
        let mut exclusive: std::collections::HashSet<PathBuf> = self
            .held
            .iter()
            .filter(|(_, _, e)| *e)
            .map(|(d, _, _)| d.clone())
            .collect();
        let mut wanted: BTreeMap<PathBuf, bool> = BTreeMap::new();
        // The last parent created, as given and by its real path.
        let mut parent_made: Option<(PathBuf, PathBuf)> = None;
        for dir in dirs {
            // Missing parents are created first: the lock file and the staging live there
            // (once for a batch's thousand directories in one root).
            let parent = parent_of(&dir);
            let real_parent = match &parent_made {
                Some((given, real)) if given == parent => real.clone(),
                _ => {
                    create_dirs(parent, &mut self.created).map_err(|e| {
                        vec![dir_error(
                            &dir,
                            format!(
                                "cannot create the parent directory: {}",
                                crate::shared::io_reason(&e)
                            ),
                        )]
                    })?;
                    let real = real_dir(parent);
                    parent_made = Some((parent.to_path_buf(), real.clone()));
                    real
                }
            };
            // Locks are known by the real parent and the name, so that every alias of a
            // directory (a link in the path above it) takes, and finds, the same locks.
            let Some(name) = dir.file_name() else {
                // `/`: no parent, no alias.
                if exclusive.insert(dir.clone()) {
                    wanted.insert(dir, true);
                }
                continue;
            };
            let key = real_parent.join(name);
            if exclusive.contains(&key) || exclusive.contains(&real_parent) {
                continue;
            }
            exclusive.insert(key.clone());
            wanted.insert(key, true);
        }
        let parents: Vec<PathBuf> = wanted.keys().filter_map(|d| parent_lock_dir(d)).collect();
        for parent in parents {
            if !self.held.iter().any(|(d, _, _)| *d == parent) {
                wanted.entry(parent).or_insert(false);
            }
        }
        self.acquire(&wanted, wait).map_err(|e| vec![e])
    }

    /// Takes `wanted` (path order: a parent sorts before what is in it), then excludes the
    /// writers of directories nested with the exclusive ones further apart ([`nested`]).
    fn acquire(
        &mut self,
        wanted: &BTreeMap<PathBuf, bool>,
        wait: std::time::Duration,
    ) -> Result<(), DirError> {
        let deadline = std::time::Instant::now().checked_add(wait);
        let mine: Vec<PathBuf> = wanted
            .iter()
            .filter(|(_, exclusive)| **exclusive)
            .map(|(dir, _)| dir.clone())
            .collect();
        let start = self.held.len();
        loop {
            for (dir, exclusive) in wanted {
                let lock = if *exclusive {
                    lock::acquire(dir, wait)
                } else {
                    lock::acquire_shared(dir, wait)
                }?;
                self.held.push((dir.clone(), lock, *exclusive));
            }
            // A run of another user may hold the other kind of lock of these directories.
            let mut busy = None;
            for (dir, lock, exclusive) in &self.held[start..] {
                busy = nested::other_kind(dir, lock.path().is_some(), *exclusive, deadline)?;
                if busy.is_some() {
                    break;
                }
            }
            let ours: Vec<PathBuf> = self
                .held
                .iter()
                .map(|(dir, l, _)| l.path().unwrap_or(dir).to_path_buf())
                .collect();
            let Some((ancestor, path)) = busy.or_else(|| nested::busy_ancestor(&mine, &ours))
            else {
                return nested::wait_inside(&mine, &ours, deadline);
            };
            // Another writer is at work: let it finish (it may be waiting for these very
            // locks), then start over.
            self.held.truncate(start);
            lock::wait_free(&ancestor, path.as_deref(), true, deadline)?;
        }
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // The locks first: their files live in the parents that may go.
        self.held.clear();
        if !self.written {
            // Only directories still empty go.
            for dir in self.created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

/// [`write_all`] under locks taken before (a batch's root among them); directories not
/// locked yet are locked first.
pub fn write_held<'a>(
    held: &mut WriteLock,
    units: impl IntoIterator<Item = (&'a Path, &'a [OutFile])>,
    force: bool,
) -> Result<(), Vec<DirError>> {
    let units: Vec<(PathBuf, &[OutFile])> = units
        .into_iter()
        .map(|(dir, files)| (safe::normalize(dir), files))
        .collect();
    held.take(units.iter().map(|(dir, _)| dir.as_path()))?;
    // Checked again: a locked directory may have been replaced by one who takes no lock
    // (a batch's root among them, which its directories are reached through).
    let exclusive = held.held.iter().filter(|(_, _, e)| *e).map(|(d, _, _)| d);
    let dirs: BTreeSet<&PathBuf> = exclusive.chain(units.iter().map(|(d, _)| d)).collect();
    let errors: Vec<DirError> = dirs
        .into_iter()
        .filter_map(|dir| safe::existing_dir(dir).err())
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let result = write_locked(&units, force, &held.created);
    held.written = result.is_ok();
    result
}

/// Shared locks on `dir` and on its parent for a run that only reads it (`diff`, `--check`),
/// held while it reads: a writer swapping the directory in meanwhile (a batch writing the
/// parent among them) would otherwise show it a mix of old and new files. A writer of a
/// directory further up (`out` for a reader of `out/a/b`) is waited for as a nested writer
/// waits for it ([`nested`]): once it holds its locks, the reader lets them go while such a
/// writer is at work, waits for it and starts over; the writer, for its part, waits for the
/// readers it finds inside its tree. Waits like a writer (`STS_GEN_LOCK_TIMEOUT`). Empty
/// when there is nothing to lock: the directory and its parent do not exist (nothing to
/// read either).
pub fn read_lock(dir: &Path) -> Result<Vec<lock::Lock>, DirError> {
    let wait = lock::timeout()?;
    let deadline = std::time::Instant::now().checked_add(wait);
    let dir = safe::normalize(dir);
    if !parent_of(&dir).is_dir() {
        return Ok(Vec::new());
    }
    let parent = parent_lock_dir(&dir);
    // The directory by its real parent, as writers know it.
    let key = match (&parent, dir.file_name()) {
        (Some(parent), Some(name)) => parent.join(name),
        _ => dir.clone(),
    };
    loop {
        // Path order, as writers take them.
        let mut locks = Vec::new();
        let mut ours = Vec::new();
        let mut busy = None;
        if let Some(parent) = &parent {
            let lock = lock::acquire_shared(parent, wait)?;
            busy = nested::other_kind(parent, lock.path().is_some(), false, deadline)?;
            ours.push(lock.path().unwrap_or(parent).to_path_buf());
            locks.push(lock);
        }
        if let Some(lock) = own_read_lock(&dir, wait)? {
            if busy.is_none() {
                busy = nested::other_kind(&key, lock.path().is_some(), false, deadline)?;
            }
            ours.push(lock.path().unwrap_or(&key).to_path_buf());
            locks.push(lock);
        }
        let busy = busy.or_else(|| nested::busy_ancestor(std::slice::from_ref(&key), &ours));
        let Some((ancestor, path)) = busy else {
            return Ok(locks);
        };
        drop(locks);
        lock::wait_free(&ancestor, path.as_deref(), true, deadline)?;
    }
}

/// [`read_lock`] for a directory whose parent's lock the caller holds already (a batch's
/// directories under its root's): only the directory's own, so a check of 1,000 profiles
/// keeps 1,000 lock files open, not 2,000.
pub fn read_lock_own(dir: &Path) -> Result<Option<lock::Lock>, DirError> {
    let wait = lock::timeout()?;
    let dir = safe::normalize(dir);
    if !parent_of(&dir).is_dir() {
        return Ok(None);
    }
    own_read_lock(&dir, wait)
}

/// The shared lock on `dir` itself (normalized, its parent existing).
fn own_read_lock(dir: &Path, wait: std::time::Duration) -> Result<Option<lock::Lock>, DirError> {
    match lock::acquire_shared(dir, wait) {
        Ok(lock) => Ok(Some(lock)),
        // No lock file could be made and there is no directory to lock instead.
        Err(_) if fs::symlink_metadata(dir).is_err() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The directory whose lock a writer of `dir` (normalized) holds shared: its parent, by its
/// real path (so `./x` and `x` in `/a`, or `L/x` with `L` a link to `R`, find the one lock
/// beside it); none for `/`.
pub(crate) fn parent_lock_dir(dir: &Path) -> Option<PathBuf> {
    dir.parent().map(|_| real_dir(parent_of(dir)))
}

/// The real path of the existing directory `dir`; as [`safe::normalize`] names it when it
/// cannot be resolved (missing, or not searchable).
fn real_dir(dir: &Path) -> PathBuf {
    fs::canonicalize(dir).unwrap_or_else(|_| safe::normalize(dir))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_lock_is_the_parents_as_normalize_names_it_and_none_for_the_root() {
        assert_eq!(parent_lock_dir(Path::new("/")), None);
        assert_eq!(parent_lock_dir(Path::new("/a")), Some(PathBuf::from("/")));
        assert_eq!(
            parent_lock_dir(Path::new("deploy/db")),
            Some(PathBuf::from("deploy"))
        );
        // A bare name's parent is the working directory, by its real path: `--output-dir db`
        // here and `--output-dir deploy/db` from the directory above meet at one lock.
        let cwd = fs::canonicalize(".").unwrap();
        assert_eq!(parent_lock_dir(Path::new("db")), Some(cwd.clone()));
        assert_eq!(parent_lock_dir(Path::new("./db")), Some(cwd));
    }
}
