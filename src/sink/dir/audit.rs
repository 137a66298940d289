//! Leftovers of interrupted runs: what `render --check` reports and what a write removes.

use super::*;

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
pub(super) fn remove_leftovers(dir: &Path) {
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
