//! Leftovers of interrupted runs: what `render --check` reports and what a write removes.

use std::os::unix::ffi::{OsStrExt, OsStringExt};

use super::*;

/// What `render --check` reports besides differences: staging directories and half-written
/// files that an interrupted run left (they may hold Secret data), and Secret files that
/// others may read. Each line names the path.
pub fn audit(dir: &Path, files: &[OutFile]) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = safe::normalize(dir);
    // While a writer runs, its staging directory is no leftover (a batch's writer holds
    // the parent's lock instead of the directory's).
    let found = if lock::is_held(&dir) || parent_lock_dir(&dir).is_some_and(|p| lock::is_held(&p)) {
        Vec::new()
    } else {
        leftovers(&dir, &staging_dirs(parent_of(&dir)))
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

/// Directories in `parent` that may be stagings (`.<name>.sts-gen-...`), by name. A batch
/// lists each parent once for all the directories it writes there: listing it once per
/// directory made a batch of 1,000 profiles quadratic (a fifth of its time).
/// Names are bytes: the staging of a directory whose name is not UTF-8 (which may hold
/// Secret data) is found like any other.
pub(super) fn staging_dirs(parent: &Path) -> Vec<(Vec<u8>, PathBuf)> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_vec();
            let ours = name.starts_with(b".") && contains(&name, b".sts-gen-");
            // Only directories: a link with such a name is not ours to remove.
            (ours && e.file_type().ok()?.is_dir()).then(|| (name, e.path()))
        })
        .collect()
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Staging directories beside `dir` (normalized; `staging` is [`staging_dirs`] of its
/// parent) and temporary files inside it that a killed run left behind. Only names sts-gen
/// makes for this very directory, and only directories and regular files.
fn leftovers(dir: &Path, staging: &[(Vec<u8>, PathBuf)]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    // Named as the staging is (shortened when long).
    let Some(name) = dir.file_name().map(lock::short_name) else {
        return out;
    };
    for (entry, path) in staging {
        if is_staging_name(entry, name.as_bytes()) {
            out.push(path.clone());
        }
    }
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let tmp = e.file_name().to_str().is_some_and(|n| {
                n.strip_prefix('.')
                    .and_then(|n| n.strip_suffix(".sts-gen-tmp"))
                    .is_some_and(safe::plain_name)
            });
            if tmp && e.file_type().ok().is_some_and(|k| k.is_file()) {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// `.<name>.sts-gen-stage-<pid>-<hex>`, or `.<name>.sts-gen-new` of earlier versions.
fn is_staging_name(entry: &[u8], name: &[u8]) -> bool {
    let Some(rest) = entry.strip_prefix(b".").and_then(|e| e.strip_prefix(name)) else {
        return false;
    };
    if rest == b".sts-gen-new" {
        return true;
    }
    let Some(rest) = rest.strip_prefix(b".sts-gen-stage-") else {
        return false;
    };
    let Some(dash) = rest.iter().position(|b| *b == b'-') else {
        return false;
    };
    let (pid, random) = (&rest[..dash], &rest[dash + 1..]);
    !pid.is_empty()
        && pid.iter().all(u8::is_ascii_digit)
        && !random.is_empty()
        && random.iter().all(u8::is_ascii_hexdigit)
}

/// Removes [`leftovers`]; a failure is a warning (the write itself does not need it).
pub(super) fn remove_leftovers(dir: &Path, staging: &[(Vec<u8>, PathBuf)]) {
    for path in leftovers(dir, staging) {
        if let Err((entry, e)) = super::remove::remove_tree(&path) {
            eprintln!(
                "warning: {}: cannot remove this leftover of an interrupted run ({}: {})",
                path.display(),
                entry.display(),
                crate::shared::io_reason(&e)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::stage::staging_path;
    use super::*;

    #[test]
    fn staging_names_match_only_this_directory_and_run_pattern() {
        let mine = staging_path(Path::new("deploy/out")).unwrap();
        let mine = mine.file_name().unwrap().as_bytes();
        assert!(is_staging_name(mine, b"out"), "{mine:?}");
        assert!(is_staging_name(b".out.sts-gen-new", b"out"));
        assert!(is_staging_name(b".out.sts-gen-stage-12-00ff", b"out"));
        assert!(is_staging_name(
            b".out\xff.sts-gen-stage-12-00ff",
            b"out\xff"
        ));
        for other in [
            ".out.sts-gen-stage-x.sts-gen-stage-1-ab",
            ".out.sts-gen-stage-12-",
            ".out.sts-gen-stage--ab",
            ".out.sts-gen-stage-12-zz",
            ".outer.sts-gen-stage-12-ab",
            ".out.sts-gen.lock",
        ] {
            assert!(!is_staging_name(other.as_bytes(), b"out"), "{other}");
        }
        // Two stagings of one directory never share a name.
        assert_ne!(
            staging_path(Path::new("out")),
            staging_path(Path::new("out"))
        );
    }

    #[test]
    fn the_staging_of_a_directory_with_a_255_byte_name_is_a_leftover_of_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("x".repeat(255));
        let staging = staging_path(&dir).unwrap();
        fs::create_dir(&staging).unwrap();
        let found = leftovers(&dir, &staging_dirs(tmp.path()));
        assert_eq!(found, [staging]);
        // Another long name sharing the first 200 bytes is not it.
        let other = tmp.path().join("x".repeat(254) + "y");
        assert!(leftovers(&other, &staging_dirs(tmp.path())).is_empty());
    }
}
