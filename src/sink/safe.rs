//! Reading the output directory without ever following a symbolic link at or inside it.
//!
//! The directory's contents may come from a pull request: a link planted under a rendered
//! file's name must not make `diff` print another file, nor make a render reuse "previous"
//! secret values chosen by whoever planted it. Entries are opened with `O_NOFOLLOW` (a link
//! fails the open instead of being followed) and checked to be regular files on the open
//! handle, so nothing can be swapped in between a check and the read.

use std::fs;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::OFlags;

use super::DirError;

/// The output directory as sts-gen addresses it: without a trailing `/` or `/.` (with
/// either, `lstat` would follow a link named by the rest), and with `.`, `..` or a path
/// ending in `..` resolved to the real directory, so the staging directory and the lock
/// file get a name beside it.
pub fn normalize(dir: &Path) -> PathBuf {
    let plain: PathBuf = dir.components().collect();
    match plain.components().next_back() {
        Some(Component::Normal(_)) => plain,
        // `.`, `..`, `a/..`, `/`: only the real path has a name (a missing one cannot be
        // resolved and is left for the caller's error).
        _ => fs::canonicalize(&plain).unwrap_or(plain),
    }
}

/// Whether `dir` (normalized) exists; an error when it is a link or not a directory.
pub fn existing_dir(dir: &Path) -> Result<bool, DirError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(error(
            dir,
            "is a symbolic link; give the real directory".into(),
        )),
        Ok(m) if !m.is_dir() => Err(error(dir, "exists and is not a directory".into())),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(error(
            dir,
            format!("cannot read: {}", crate::shared::io_reason(&e)),
        )),
    }
}

/// Opens the directory `name` in `at`, never following a link.
pub(super) fn open_dir(
    at: impl std::os::fd::AsFd,
    name: impl rustix::path::Arg,
) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::openat(at, name, flags, rustix::fs::Mode::empty())
}

/// The contents of `dir/name`, `None` when there is no such entry. A link, a directory or
/// any other non-regular file is an error naming the entry (never its contents).
///
/// The entry is opened in `dir` opened first (`O_NOFOLLOW`), not by its path: `dir`
/// swapped for a link to another place after the caller checked it is refused, never read
/// through.
pub fn read_entry(dir: &Path, name: &str) -> Result<Option<String>, DirError> {
    let path = dir.join(name);
    let at = match open_dir(rustix::fs::CWD, dir) {
        Ok(at) => at,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => {
            return Err(match existing_dir(dir) {
                Err(refused) => refused,
                Ok(_) => error(
                    dir,
                    format!("cannot read: {}", crate::shared::io_reason(&e.into())),
                ),
            })
        }
    };
    let bytes = match read_nofollow(&at, name) {
        Ok(bytes) => bytes,
        Err(Refused::Missing) => return Ok(None),
        Err(Refused::Why(why)) => return Err(error(&path, why)),
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| error(&path, "is not UTF-8 text".into()))
}

/// Largest file read back from an output directory (a rendered file, the manifest, a Secret
/// whose values are reused): a ConfigMap or Secret is at most 1 MiB, and the manifest of
/// 5,000 PersistentVolumes a few hundred KB.
pub const MAX_ENTRY_BYTES: u64 = 16 << 20;

enum Refused {
    Missing,
    Why(String),
}

fn read_nofollow(at: &OwnedFd, name: &str) -> Result<Vec<u8>, Refused> {
    // NOFOLLOW: a link fails the open. NONBLOCK: a FIFO planted under a file's name cannot
    // hang the run (it is then refused below as not a regular file).
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let mut file = match rustix::fs::openat(at, name, flags, rustix::fs::Mode::empty()) {
        Ok(f) => fs::File::from(f),
        Err(rustix::io::Errno::NOENT) => return Err(Refused::Missing),
        Err(e) => {
            let link = rustix::fs::statat(at, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| {
                    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink
                });
            return Err(Refused::Why(if link {
                "is a symbolic link; sts-gen never follows links in its output directory".into()
            } else {
                format!("cannot read: {}", crate::shared::io_reason(&e.into()))
            }));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Refused::Why(format!("cannot read: {}", crate::shared::io_reason(&e))))?;
    if !meta.is_file() {
        return Err(Refused::Why("is not a regular file".into()));
    }
    // Bounded like every other read: a huge file planted under a rendered file's name (or
    // one growing as it is read) cannot make `diff` or `--check` exhaust memory.
    let too_big = |n: u64| {
        Refused::Why(format!(
            "is {n} bytes or more; sts-gen writes no file larger than {MAX_ENTRY_BYTES} bytes"
        ))
    };
    if meta.len() > MAX_ENTRY_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.by_ref()
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Refused::Why(format!("cannot read: {}", crate::shared::io_reason(&e))))?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Whether `line` of a manifest can name a file sts-gen wrote: one plain name in the
/// directory (no `/`, not `.` or `..`, not hidden, no NUL).
pub fn plain_name(line: &str) -> bool {
    !line.is_empty() && !line.starts_with('.') && !line.contains(['/', '\0'])
}

/// The manifest's entries that name regular files sts-gen may replace or remove. Every other
/// line (a directory, a link, a path, `.`, `..`) is reported in `ignored` with the reason,
/// and left alone; lines naming nothing are dropped silently (the file was removed by hand).
pub fn manifest_entries(
    dir: &Path,
    manifest: &str,
    ignored: &mut Vec<String>,
) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for line in manifest.lines().filter(|l| !l.is_empty()) {
        if !plain_name(line) {
            ignored.push(format!(
                "manifest entry `{line}` is not a plain file name; ignored"
            ));
            continue;
        }
        match fs::symlink_metadata(dir.join(line)) {
            Ok(m) if m.is_file() => {
                out.insert(line.to_string());
            }
            Ok(m) => ignored.push(format!(
                "manifest entry `{line}` is {}, not a file sts-gen wrote; left alone",
                if m.file_type().is_symlink() {
                    "a symbolic link"
                } else if m.is_dir() {
                    "a directory"
                } else {
                    "not a regular file"
                }
            )),
            Err(_) => {}
        }
    }
    out
}

/// A [`DirError`] about `path`.
pub fn error(path: &Path, message: String) -> DirError {
    DirError {
        dir: path.display().to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_what_would_make_lstat_follow_a_link() {
        assert_eq!(normalize(Path::new("link/")), Path::new("link"));
        assert_eq!(normalize(Path::new("a/link/.")), Path::new("a/link"));
        assert_eq!(normalize(Path::new("./a//b/")), Path::new("./a/b"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(normalize(Path::new(".")), fs::canonicalize(&cwd).unwrap());
        assert_eq!(
            normalize(Path::new("..")),
            fs::canonicalize(cwd.parent().unwrap()).unwrap()
        );
    }

    #[test]
    fn only_plain_names_are_ours() {
        for ok in ["service-web.yaml", "kustomization.yaml", "a..b"] {
            assert!(plain_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".sts-gen-manifest",
            "a/b",
            "/etc/passwd",
            "../x",
            "a\0b",
        ] {
            assert!(!plain_name(bad), "{bad:?}");
        }
    }
}
