//! Writers of nested directories (`out` and `out/a/b`) exclude each other, however far
//! apart, without lock files beside arbitrary ancestors (no clutter in `/` or `$HOME`).
//!
//! A writer of `D` holds `D`'s lock exclusively and its parent's shared, which settles one
//! level. For the rest, once it holds them, it
//! 1. looks at the lock files that EXIST beside each further ancestor of `D`: one held
//!    exclusively is a writer of that ancestor, so this writer lets its own locks go, waits
//!    for that one, and starts over ([`busy_ancestor`]); then
//! 2. waits until every lock file inside `D`'s tree is free ([`wait_inside`]): a writer of a
//!    directory below `D`, which started before.
//!
//! Why one of two nested writers always sees the other: each announces itself (creates and
//! locks its own lock file) before it looks for the other. Say the outer writer O locks at
//! time `o` and scans `D`'s tree after `o`; the inner writer I locks at `i` and looks at the
//! ancestors after `i`. If `i < o`, O's scan (after `o`) finds I's lock file held and waits
//! for I. If `o < i`, I's look (after `i`) finds O's lock file held and I backs off. Neither
//! waits for the other while holding what the other waits for: I backs off before waiting,
//! so the two never deadlock. A lock file removed on release is one whose holder is done
//! ([`lock::wait_free`] ends then too).
//!
//! A directory has two locks: the lock file beside it, and, for a run that can make no lock
//! file there (its parent not writable by that user), the directory itself. Two users can
//! thus lock one directory differently; [`other_kind`] makes them exclude each other, with
//! the same rule: the run holding the lock file waits, the one holding the directory backs
//! off (a reader with the lock file backs off from a writer holding the directory).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::*;

/// The lock file beside `dir` (a real path), as [`lock::lock_path`] names it, without
/// resolving anything again; `None` for `/`.
fn beside(dir: &Path) -> Option<PathBuf> {
    Some(dir.parent()?.join(lock::file_name(dir.file_name()?)))
}

/// An ancestor of a directory in `mine` (real paths this run locked exclusively, or shared
/// for a reader) that a writer holds now, with its lock file (`None`: the ancestor is locked
/// itself, as a run locks a directory with no place beside it for a lock file; see
/// [`lock::acquire`]). `ours` are what this run holds: its lock files, and the directories
/// it locked themselves.
pub(super) fn busy_ancestor(
    mine: &[PathBuf],
    ours: &[PathBuf],
) -> Option<(PathBuf, Option<PathBuf>)> {
    let mut seen = BTreeSet::new();
    for dir in mine {
        for ancestor in dir.ancestors().skip(1) {
            if !seen.insert(ancestor.to_path_buf()) {
                continue;
            }
            if let Some(path) = beside(ancestor) {
                if !ours.contains(&path) && lock::held_exclusively(&path) {
                    return Some((ancestor.to_path_buf(), Some(path)));
                }
            }
            // A writer that could make no lock file beside the ancestor locked it itself.
            if !ours.iter().any(|p| p == ancestor)
                && lock::locks_itself(ancestor)
                && lock::dir_held_exclusively(ancestor)
            {
                return Some((ancestor.to_path_buf(), None));
            }
        }
    }
    None
}

/// Waits until no lock inside the trees of `mine` (other than `ours`) is held: the writers
/// (and readers) of directories below them finish first. Those are the lock files in the
/// trees, and the directories a run would lock themselves (those in a directory this user
/// may not write).
pub(super) fn wait_inside(
    mine: &[PathBuf],
    ours: &[PathBuf],
    deadline: Option<Instant>,
) -> Result<(), DirError> {
    for dir in mine {
        let mut found = Vec::new();
        lock_files(dir, &mut found);
        for (path, itself) in found.iter().filter(|(p, _)| !ours.contains(p)) {
            if *itself {
                lock::wait_free(path, None, false, deadline)?;
            } else {
                lock::wait_free(dir, Some(path), false, deadline)?;
            }
        }
    }
    Ok(())
}

/// The `.<name>.sts-gen.lock` files in the tree of `dir` (`false`) and the directories in it
/// a run would lock themselves (`true`), never following a link and never entering
/// sts-gen's own staging directories.
fn lock_files(dir: &Path, out: &mut Vec<(PathBuf, bool)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    // Asked once per directory, and only when it has a directory in it.
    let mut locks_itself = None;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let name = name.as_encoded_bytes();
        let ours = name.starts_with(b".") && name.windows(8).any(|w| w == b".sts-gen");
        if kind.is_dir() && !ours {
            let path = entry.path();
            if *locks_itself.get_or_insert_with(|| lock::locks_itself(&path)) {
                out.push((path.clone(), true));
            }
            lock_files(&path, out);
        } else if kind.is_file() && ours && name.ends_with(b".sts-gen.lock") {
            out.push((entry.path(), false));
        }
    }
}

/// After a run locked `dir` (a real path) by its lock file (`by_file`) or `dir` itself, and
/// `exclusive`ly or not: the lock of the other kind, which a run of another user takes (see
/// the module's docs). A writer holding the lock file waits here for the runs holding the
/// directory itself; a writer holding the directory waits for the readers holding the lock
/// file. `Some` is a holder to back off from (let every lock go, wait for it, start over):
/// a writer, for a run holding the directory, or for a reader holding the lock file, a
/// writer holding the directory.
pub(super) fn other_kind(
    dir: &Path,
    by_file: bool,
    exclusive: bool,
    deadline: Option<Instant>,
) -> Result<Option<(PathBuf, Option<PathBuf>)>, DirError> {
    let file = beside(dir);
    match (by_file, exclusive) {
        (true, true) if owned_apart(dir) => {
            lock::wait_free(dir, None, false, deadline).map(|()| None)
        }
        (true, true) => Ok(None),
        (true, false) => Ok((owned_apart(dir) && lock::dir_held_exclusively(dir))
            .then(|| (dir.to_path_buf(), None))),
        (false, false) => Ok(file
            .filter(|f| lock::held_exclusively(f))
            .map(|f| (dir.to_path_buf(), Some(f)))),
        (false, true) => {
            let Some(file) = file else {
                return Ok(None);
            };
            let mut pause = std::time::Duration::from_millis(1);
            loop {
                if lock::held_exclusively(&file) {
                    return Ok(Some((dir.to_path_buf(), Some(file))));
                }
                if lock::free_now(&file) {
                    return Ok(None);
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    // Names the readers' file.
                    return lock::wait_free(dir, Some(&file), false, Some(Instant::now()))
                        .map(|()| None);
                }
                lock::back_off(&mut pause, deadline);
            }
        }
    }
}

/// Whether `dir` and its parent have different owners: only then is there, as a rule, a user
/// who may write `dir` (its owner) but not its parent, whose runs lock `dir` itself. A
/// directory owned like its parent is not asked, so `flock out sts-gen render --output-dir
/// out` (a lock of the user's own on the directory) does not wait for itself.
fn owned_apart(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(parent) = dir.parent() else {
        return false;
    };
    match (fs::symlink_metadata(dir), fs::metadata(parent)) {
        (Ok(d), Ok(p)) => d.is_dir() && d.uid() != p.uid(),
        _ => false,
    }
}
