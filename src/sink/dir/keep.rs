//! What a swap must not lose or cross: the mount a directory is on, and the owner, group
//! and extended attributes (ACLs, SELinux labels) of the directories it recreates. Where a
//! recreated directory cannot carry them, the caller writes file by file instead, which
//! keeps every directory inode (and so all of its metadata) as it is.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Where a directory lives: its device and, where the kernel says (Linux 5.8+), its mount.
/// A bind mount of the same file system has the device of what it is mounted in, so the
/// device alone cannot tell it; the mount id can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mount {
    dev: u64,
    id: Option<u64>,
}

impl Mount {
    /// The mount of the open directory (or file) `fd`.
    pub(super) fn of_fd(fd: impl std::os::fd::AsFd) -> std::io::Result<Mount> {
        let st = rustix::fs::fstat(&fd)?;
        Ok(Mount {
            dev: st.st_dev as u64,
            id: mount_id_fd(&fd),
        })
    }

    /// Whether `other` is another file system or another mount (a bind mount) than `self`.
    /// Mount ids are compared only when both are known.
    pub(super) fn differs(&self, other: &Mount) -> bool {
        self.dev != other.dev || matches!((self.id, other.id), (Some(a), Some(b)) if a != b)
    }
}

#[cfg(target_os = "linux")]
fn mount_id_fd(fd: impl std::os::fd::AsFd) -> Option<u64> {
    use rustix::fs::{statx, AtFlags, StatxFlags};
    let st = statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID).ok()?;
    (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id)
}

#[cfg(not(target_os = "linux"))]
fn mount_id_fd(_: impl std::os::fd::AsFd) -> Option<u64> {
    None
}

/// Gives the new directory `to` the owner and group of `from` (whose metadata is `meta`)
/// where permitted, then says why `to` still differs from `from` in owner, group or
/// extended attributes, if it does: swapping it in would then change them.
///
/// Extended attributes are compared, not required absent: a new directory inherits default
/// ACLs and SELinux labels from where it is made, and where those equal the original's a
/// swap loses nothing.
pub(super) fn carry_identity(from: &Path, meta: &fs::Metadata, to: &Path) -> Result<(), String> {
    // Best effort: only root (or the owner, for a group of its own) may.
    let _ = std::os::unix::fs::lchown(to, Some(meta.uid()), Some(meta.gid()));
    let now = fs::symlink_metadata(to).map_err(|e| e.to_string())?;
    if (now.uid(), now.gid()) != (meta.uid(), meta.gid()) {
        return Err(format!(
            "{} has an owner or group ({}:{}) a recreated directory cannot get",
            from.display(),
            meta.uid(),
            meta.gid()
        ));
    }
    if xattrs(from) != xattrs(to) {
        return Err(format!(
            "{} has extended attributes (ACLs, labels) a recreated directory would not carry",
            from.display()
        ));
    }
    Ok(())
}

/// The extended attributes of `path` (not following a link), names with values, sorted;
/// `None` when they cannot be read (the file system has none, or refuses), which compares
/// equal only to another `None`.
fn xattrs(path: &Path) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    use rustix::fs::{lgetxattr, llistxattr};
    let mut names = vec![0u8; 4096];
    let n = match llistxattr(path, &mut names[..]) {
        Ok(n) => n,
        Err(rustix::io::Errno::RANGE) => {
            names = vec![0u8; 1 << 16];
            llistxattr(path, &mut names[..]).ok()?
        }
        Err(_) => return None,
    };
    let mut out = Vec::new();
    for name in names[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        // Small first (a label, an ACL); the largest value Linux allows when that is short.
        let mut value = vec![0u8; 256];
        let len = match lgetxattr(path, name, &mut value[..]) {
            Err(rustix::io::Errno::RANGE) => {
                value = vec![0u8; 1 << 16];
                lgetxattr(path, name, &mut value[..]).ok()?
            }
            other => other.ok()?,
        };
        value.truncate(len);
        out.push((name.to_vec(), value));
    }
    out.sort();
    Some(out)
}
