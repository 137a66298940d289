//! Removing what is sts-gen's to remove (staging directories, the old tree a swap moved
//! aside, leftovers of interrupted runs), for the writer and the audit alike.

use std::fs;
use std::path::{Path, PathBuf};

use super::keep::Mount;

/// Removes a tree that is sts-gen's to delete (a staging directory, or the old contents a
/// swap moved to one), never following a link. A directory lacking its owner's permission
/// bits gets them first: a read-only directory the user keeps in DIR (carried over with its
/// mode) would otherwise keep its entries, and with them a whole copy of the old output.
/// The error names the entry that could not go. A directory on another mount than `path`
/// (a bind mount planted inside) is never entered: its contents live outside the tree.
pub(super) fn remove_tree(path: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    remove_within(path, None)
}

fn remove_within(path: &Path, root: Option<Mount>) -> Result<(), (PathBuf, std::io::Error)> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fail = |e| (path.to_path_buf(), e);
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other.map_err(fail)?,
    };
    if !meta.is_dir() {
        return fs::remove_file(path).map_err(fail);
    }
    let here = Mount::of(path).map_err(fail)?;
    if root.is_some_and(|root| root.differs(&here)) {
        return Err(fail(std::io::Error::from(
            std::io::ErrorKind::CrossesDevices,
        )));
    }
    let mode = meta.permissions().mode();
    if mode & 0o700 != 0o700 {
        // On the open handle (fchmod): a link swapped in meanwhile is refused, not followed.
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::DIRECTORY;
        fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits() as i32)
            .open(path)
            .and_then(|d| d.set_permissions(fs::Permissions::from_mode(mode | 0o700)))
            .map_err(fail)?;
    }
    // Every entry is tried, so one that cannot go leaves as little as possible behind.
    let mut first = None;
    for entry in fs::read_dir(path).map_err(fail)? {
        let removed = match entry {
            Ok(entry) => remove_within(&entry.path(), Some(root.unwrap_or(here))),
            Err(e) => Err(fail(e)),
        };
        if let Err(e) = removed {
            first.get_or_insert(e);
        }
    }
    match first {
        Some(e) => Err(e),
        None => fs::remove_dir(path).map_err(fail),
    }
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
}
