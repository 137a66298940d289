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

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::*;

/// The lock file beside `dir` (a real path), as [`lock::lock_path`] names it, without
/// resolving anything again; `None` for `/`.
fn beside(dir: &Path) -> Option<PathBuf> {
    Some(dir.parent()?.join(lock::file_name(dir.file_name()?)))
}

/// The lock file of an ancestor of a directory in `mine` (real paths this run locked
/// exclusively) that a writer holds now; `ours` are this run's own lock files.
pub(super) fn busy_ancestor(mine: &[PathBuf], ours: &[PathBuf]) -> Option<(PathBuf, PathBuf)> {
    let mut seen = BTreeSet::new();
    for dir in mine {
        for ancestor in dir.ancestors().skip(1) {
            let Some(path) = beside(ancestor) else {
                continue;
            };
            if !ours.contains(&path) && seen.insert(path.clone()) && lock::held_exclusively(&path) {
                return Some((ancestor.to_path_buf(), path));
            }
        }
    }
    None
}

/// Waits until no lock file inside the trees of `mine` (other than `ours`) is held: the
/// writers (and readers) of directories below them finish first.
pub(super) fn wait_inside(
    mine: &[PathBuf],
    ours: &[PathBuf],
    deadline: Option<Instant>,
) -> Result<(), DirError> {
    for dir in mine {
        let mut found = Vec::new();
        lock_files(dir, &mut found);
        for path in found.iter().filter(|p| !ours.contains(p)) {
            lock::wait_free(dir, path, false, deadline)?;
        }
    }
    Ok(())
}

/// The `.<name>.sts-gen.lock` files in the tree of `dir`, never following a link and never
/// entering sts-gen's own staging directories.
fn lock_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let name = name.as_encoded_bytes();
        let ours = name.starts_with(b".") && name.windows(8).any(|w| w == b".sts-gen");
        if kind.is_dir() && !ours {
            lock_files(&entry.path(), out);
        } else if kind.is_file() && ours && name.ends_with(b".sts-gen.lock") {
            out.push(entry.path());
        }
    }
}
