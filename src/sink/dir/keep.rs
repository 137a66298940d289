//! What a swap must not cross: the mount a directory is on. Where a directory of the tree
//! is on another, the caller writes file by file instead, moving and removing nothing.

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
    /// The mount of `path` itself (a link is not followed).
    pub(super) fn of(path: &Path) -> std::io::Result<Mount> {
        let dev = fs::symlink_metadata(path)?.dev();
        Ok(Mount {
            dev,
            id: mount_id(path),
        })
    }

    /// Whether `other` is another file system or another mount (a bind mount) than `self`.
    /// Mount ids are compared only when both are known.
    pub(super) fn differs(&self, other: &Mount) -> bool {
        self.dev != other.dev || matches!((self.id, other.id), (Some(a), Some(b)) if a != b)
    }
}

#[cfg(target_os = "linux")]
fn mount_id(path: &Path) -> Option<u64> {
    use rustix::fs::{statx, AtFlags, StatxFlags, CWD};
    let st = statx(CWD, path, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::MNT_ID).ok()?;
    (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id)
}

#[cfg(not(target_os = "linux"))]
fn mount_id(_: &Path) -> Option<u64> {
    None
}
