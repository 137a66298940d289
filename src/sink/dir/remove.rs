//! Removing what is sts-gen's to remove (staging directories, the old tree a swap moved
//! aside, leftovers of interrupted runs), for the writer and the audit alike.

use std::ffi::{CStr, CString, OsStr};
use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, CWD};

use super::keep::Mount;
use super::safe::open_dir;

/// Removes a tree that is sts-gen's to delete (a staging directory, or the old contents a
/// swap moved to one), never following a link. A directory lacking its owner's permission
/// bits gets them first: a read-only directory the user keeps in DIR (carried over with its
/// mode) would otherwise keep its entries, and with them a whole copy of the old output.
/// The error names the entry that could not go. A directory on another mount than `path`
/// (a bind mount planted inside) is never entered: its contents live outside the tree.
///
/// Every directory is opened (`O_NOFOLLOW`) and its entries are looked at, opened and
/// removed relative to that open handle, never by a path: a directory inside the tree
/// swapped for a link to another place while this runs (a planted staging directory, a
/// racing process) cannot make it remove anything there; the swapped entry fails to open.
pub(super) fn remove_tree(path: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    let fail = |e: std::io::Error| (path.to_path_buf(), e);
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(fail)?,
    };
    if !meta.is_dir() {
        return fs::remove_file(path).map_err(fail);
    }
    let dir = open_dir(CWD, path).map_err(|e| fail(e.into()))?;
    let root = Mount::of_fd(&dir).map_err(fail)?;
    empty(&dir, path, &root)?;
    drop(dir);
    fs::remove_dir(path).map_err(fail)
}

/// Removes everything in the open directory `dir` (at `path`, for messages). Every entry is
/// tried, so one that cannot go leaves as little as possible behind.
fn empty(dir: &OwnedFd, path: &Path, root: &Mount) -> Result<(), (PathBuf, std::io::Error)> {
    let fail = |e: rustix::io::Errno| (path.to_path_buf(), std::io::Error::from(e));
    let mode = rustix::fs::fstat(dir).map_err(fail)?.st_mode;
    if mode & 0o700 != 0o700 {
        // On the open handle: nothing swapped in meanwhile is changed.
        rustix::fs::fchmod(dir, Mode::from_raw_mode(mode | 0o700)).map_err(fail)?;
    }
    let names = entry_names(dir).map_err(fail)?;
    let mut first = None;
    for name in names {
        let child = path.join(OsStr::from_bytes(name.to_bytes()));
        if let Err(e) = remove_entry(dir, &name, &child, root) {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// The names in the open directory `dir`, without `.` and `..`.
pub(super) fn entry_names(dir: impl AsFd) -> rustix::io::Result<Vec<CString>> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Removes the entry `name` of the open directory `parent` (at `path`, for messages).
fn remove_entry(
    parent: &OwnedFd,
    name: &CStr,
    path: &Path,
    root: &Mount,
) -> Result<(), (PathBuf, std::io::Error)> {
    let fail = |e: rustix::io::Errno| (path.to_path_buf(), std::io::Error::from(e));
    let st = match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Err(rustix::io::Errno::NOENT) => return Ok(()),
        other => other.map_err(fail)?,
    };
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return match rustix::fs::unlinkat(parent, name, AtFlags::empty()) {
            Err(rustix::io::Errno::NOENT) => Ok(()),
            other => other.map_err(fail),
        };
    }
    // A link swapped in since the look fails to open: it is never entered.
    let dir = open_dir(parent, name).map_err(fail)?;
    let here = Mount::of_fd(&dir).map_err(|e| (path.to_path_buf(), e))?;
    if root.differs(&here) {
        return Err((
            path.to_path_buf(),
            std::io::Error::from(std::io::ErrorKind::CrossesDevices),
        ));
    }
    empty(&dir, path, root)?;
    drop(dir);
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn remove_tree_opens_read_only_directories_and_never_follows_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join(".out.sts-gen-stage-1-ab");
        let locked = old.join("overlays/prod");
        fs::create_dir_all(&locked).unwrap();
        fs::write(locked.join("k.yaml"), "x").unwrap();
        // Outside the tree, read-only too, reached by a link inside it: left exactly alone.
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep"), "y").unwrap();
        std::os::unix::fs::symlink(&outside, locked.join("link")).unwrap();
        for dir in [&locked, &outside] {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        }
        fs::set_permissions(old.join("overlays"), fs::Permissions::from_mode(0o000)).unwrap();
        remove_tree(&old).unwrap();
        assert!(fs::symlink_metadata(&old).is_err());
        let mode = fs::metadata(&outside).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o555);
        assert_eq!(fs::read_to_string(outside.join("keep")).unwrap(), "y");
        // A missing tree is nothing to do.
        remove_tree(&old).unwrap();
    }

    #[test]
    fn remove_tree_never_enters_a_bind_mount_inside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir_all(outside.join("deep")).unwrap();
        let old = tmp.path().join(".out.sts-gen-stage-1-ab");
        let m = old.join("m");
        fs::create_dir_all(&m).unwrap();
        let mounted = std::process::Command::new("mount")
            .arg("--bind")
            .args([&outside, &m])
            .output();
        if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("skipped: cannot bind-mount here (not root?): {mounted:?}");
            return;
        }
        let (entry, _) = remove_tree(&old).unwrap_err();
        let _ = std::process::Command::new("umount").arg(&m).status();
        assert_eq!(entry, m);
        assert!(outside.join("deep").is_dir(), "removed through the mount");
    }

    #[test]
    fn remove_tree_never_removes_through_a_directory_swapped_for_a_link() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        let keep = ["a", "b", "c"].map(|n| outside.join(n));
        for f in &keep {
            fs::write(f, "keep").unwrap();
        }
        let old = tmp.path().join(".out.sts-gen-stage-1-ab");
        let (sub, link) = (old.join("sub"), old.join("link"));
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            // Another process swapping a directory of the tree for a link to `outside`.
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let _ = rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        &sub,
                        rustix::fs::CWD,
                        &link,
                        rustix::fs::RenameFlags::EXCHANGE,
                    );
                }
            });
            for i in 0..1500 {
                let _ = fs::create_dir_all(&sub);
                for n in ["a", "b", "c"] {
                    let _ = fs::write(sub.join(n), "ours");
                }
                let _ = std::os::unix::fs::symlink(&outside, &link);
                let _ = remove_tree(&old);
                let gone: Vec<_> = keep.iter().filter(|f| !f.exists()).collect();
                if !gone.is_empty() {
                    stop.store(true, Ordering::Relaxed);
                    panic!("{i}: removed through the link: {gone:?}");
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
    }
}
