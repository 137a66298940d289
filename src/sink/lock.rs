//! One writer per output directory at a time: an advisory `flock` on a lock file beside the
//! directory (`<parent>/.<name>.sts-gen.lock`; not on the directory itself, which a write
//! replaces by another). Two renders into one directory (CI matrix jobs, an editor's save
//! hook beside a pre-commit hook) then run one after the other and the result is always one
//! run's complete output. Which locks a run takes (its directory's, its parent's shared, a
//! batch's root covering the directories in it) is [`crate::sink::dir::WriteLock`]'s rule.
//!
//! The holder writes its pid and command into the file, so a run that gives up waiting can
//! name it. The file is removed on release (so it never lingers beside the output, e.g. in
//! `git status`); a waiter that then gets the lock on the removed file notices (the path no
//! longer names the inode it locked) and starts over.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::safe::error;
use super::DirError;

/// How long a writer waits for another by default; `STS_GEN_LOCK_TIMEOUT` (seconds) changes it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A held lock; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct Lock {
    /// `None` when the directory itself is locked (see [`acquire`]).
    path: Option<PathBuf>,
    file: fs::File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so no other run can hold it under this path meanwhile.
        // A reader's shared lock becomes exclusive first: only the last holder removes the
        // file (a reader removing it under another reader would let a writer in beside it).
        // A conversion that fails may drop the shared lock; it is being released anyway.
        if let Some(path) = &self.path {
            let alone = rustix::fs::flock(
                &self.file,
                rustix::fs::FlockOperation::NonBlockingLockExclusive,
            )
            .is_ok();
            if alone && same_file(path, &self.file) {
                let _ = fs::remove_file(path);
            }
        }
        // Closing the file releases the flock.
    }
}

/// `<parent>/.<name>.sts-gen.lock` for a normalized directory path, `<parent>` by its real
/// path: every alias of the directory (a link in the path above it, `/tmp` -> `/private/tmp`)
/// then meets at one lock file. A parent that cannot be resolved (missing) is used as given.
pub fn lock_path(dir: &Path) -> Result<PathBuf, DirError> {
    let name = dir.file_name().ok_or_else(|| {
        error(
            dir,
            "has no name to lock beside; give a directory below it".into(),
        )
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    Ok(parent.join(file_name(name)))
}

/// `.<name>.sts-gen.lock`, with [`short_name`]. An OsString: a name that is not UTF-8 gets
/// its lock beside it like any other.
pub(crate) fn file_name(name: &OsStr) -> OsString {
    let mut file = OsString::from(".");
    file.push(short_name(name));
    file.push(".sts-gen.lock");
    file
}

/// Longest directory name that names its lock file and staging directory as it is.
const SHORT: usize = 200;

/// `name`, or for a name longer than [`SHORT`] bytes its first bytes, `~` and a hash of all
/// of it ([`SHORT`] bytes in all): the lock file and the staging directory add up to 40
/// bytes to the name, and a name of 216 to 255 bytes (valid) made theirs too long to
/// create. The hash is SHA-256's first 8 bytes, so every sts-gen version names them alike.
pub(crate) fn short_name(name: &OsStr) -> OsString {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = name.as_bytes();
    if bytes.len() <= SHORT {
        return name.to_os_string();
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = bytes[..SHORT - 17].to_vec();
    out.push(b'~');
    for b in &digest[..8] {
        out.extend(format!("{b:02x}").into_bytes());
    }
    OsString::from_vec(out)
}

/// The holder as a message names it: `another sts-gen run (pid 12: sts-gen render ...)`,
/// from the first line it wrote into its lock file. Anyone who can write the parent can
/// write this line: no control characters reach the terminal.
fn holder_of(file: &mut fs::File) -> String {
    let mut text = String::new();
    let _ = Read::by_ref(file).take(512).read_to_string(&mut text);
    let line: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    match line.trim() {
        "" => "another sts-gen run".to_string(),
        line => format!("another sts-gen run ({line})"),
    }
}

/// The non-blocking lock a reader (`shared`) or a writer tries.
fn lock_mode(shared: bool) -> rustix::fs::FlockOperation {
    if shared {
        rustix::fs::FlockOperation::NonBlockingLockShared
    } else {
        rustix::fs::FlockOperation::NonBlockingLockExclusive
    }
}

/// Sleeps before the next try, never past `deadline`: 1 ms at first, doubling up to 20 ms.
pub(super) fn back_off(pause: &mut Duration, deadline: Option<Instant>) {
    let left = deadline.map_or(*pause, |d| d.saturating_duration_since(Instant::now()));
    std::thread::sleep((*pause).min(left));
    *pause = (*pause * 2).min(Duration::from_millis(20));
}

/// The wait from `STS_GEN_LOCK_TIMEOUT` (seconds, fractions allowed), else 60 s. `inf` or a
/// value too large for a `Duration` is [`Duration::MAX`], which [`acquire`] takes as no
/// deadline: someone who sets 1e19 means "wait for the holder", not an error.
pub fn timeout() -> Result<Duration, super::DirError> {
    match std::env::var("STS_GEN_LOCK_TIMEOUT") {
        Err(_) => Ok(DEFAULT_TIMEOUT),
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| *s >= 0.0)
            .map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX))
            .ok_or_else(|| super::DirError {
                dir: "STS_GEN_LOCK_TIMEOUT".into(),
                message: format!(
                    "`{v}` is not a number of seconds (e.g. 60 or 0.5; `inf` waits without limit)"
                ),
            }),
    }
}

/// Locks `dir` (normalized; its parent must exist), waiting up to `wait` for another
/// writer, then failing with an error that names the holder.
///
/// Where no lock file can be made beside `dir` (a parent this user may not write, such as
/// `/` for `--output-dir .` in `/work`; or `dir` being `/`), the existing directory itself is
/// locked: it is then written in place (a swap needs the parent too), so its inode stays,
/// and every run decides the same way. The holder cannot be named then.
pub fn acquire(dir: &Path, wait: Duration) -> Result<Lock, DirError> {
    acquire_as(dir, wait, false)
}

/// [`acquire`] for a reader (`diff`, `--check`): a shared lock on the same file, so readers
/// run together but never while a writer swaps the directory (they would compare a mix of
/// old and new files). Waits up to `wait` for a writer like [`acquire`].
pub fn acquire_shared(dir: &Path, wait: Duration) -> Result<Lock, DirError> {
    acquire_as(dir, wait, true)
}

fn acquire_as(dir: &Path, wait: Duration, shared: bool) -> Result<Lock, DirError> {
    let beside = lock_path(dir).ok();
    let mode = lock_mode(shared);
    // None: a wait beyond what the clock can count (a huge STS_GEN_LOCK_TIMEOUT) never ends.
    let deadline = Instant::now().checked_add(wait);
    let mut pause = Duration::from_millis(1);
    loop {
        let (mut file, path) = open(dir, beside.as_deref())?;
        match rustix::fs::flock(&file, mode) {
            Ok(()) => {
                let Some(path) = path else {
                    return Ok(Lock { path: None, file });
                };
                if !same_file(&path, &file) {
                    // The holder removed it as we waited; lock the current file instead.
                    continue;
                }
                // Only a writer names itself: readers share the file.
                if !shared {
                    let _ = file
                        .set_len(0)
                        .and_then(|()| file.write_all(holder().as_bytes()));
                }
                return Ok(Lock {
                    path: Some(path),
                    file,
                });
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    let who = holder_of(&mut file);
                    return Err(error(
                        dir,
                        format!(
                            "{who} is writing it; gave up after waiting {:.1} s (lock file {}; set STS_GEN_LOCK_TIMEOUT to wait longer)",
                            wait.as_secs_f64(),
                            path.as_deref().unwrap_or(dir).display()
                        ),
                    ));
                }
                back_off(&mut pause, deadline);
            }
            Err(e) => {
                let what = path.as_deref().unwrap_or(dir).display().to_string();
                return Err(error(dir, format!("cannot lock {what}: {e}")));
            }
        }
    }
}

/// The lock file beside `dir` (created, never followed if a link), or `dir` itself when
/// there is no place beside it; the path is `None` for the latter.
fn open(dir: &Path, beside: Option<&Path>) -> Result<(fs::File, Option<PathBuf>), DirError> {
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    let mut refused = None;
    if let Some(path) = beside {
        let mut opts = fs::OpenOptions::new();
        opts.read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(nofollow);
        match opts.open(path) {
            Ok(file) => {
                refuse_foreign(dir, path, &file)?;
                return Ok((file, Some(path.to_path_buf())));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                ) && fs::symlink_metadata(path).is_err() =>
            {
                refused = Some((path, e));
            }
            Err(e) => {
                let why = match fs::symlink_metadata(path) {
                    Ok(m) if m.file_type().is_symlink() => "is a symbolic link".to_string(),
                    _ => crate::shared::io_reason(&e),
                };
                return Err(error(
                    dir,
                    format!("cannot open the lock file {}: {why}", path.display()),
                ));
            }
        }
    }
    let directory = rustix::fs::OFlags::DIRECTORY.bits() as i32;
    let mut opts = fs::OpenOptions::new();
    opts.read(true).custom_flags(nofollow | directory);
    opts.open(dir)
        .map(|file| (file, None))
        .map_err(|e| match refused {
            Some((path, first)) => error(
                dir,
                format!(
                    "cannot create the lock file {}: {}",
                    path.display(),
                    crate::shared::io_reason(&first)
                ),
            ),
            None => error(
                dir,
                format!("cannot open it to lock: {}", crate::shared::io_reason(&e)),
            ),
        })
}

/// Refuses a lock file that is not a regular file of its own: a writer truncates and
/// writes its lock file, and `O_NOFOLLOW` stops only symbolic links, so a hard link planted
/// at the lock path would have another file (outside the output directory) overwritten. No
/// links at all is a file its holder removed as we opened it: the caller starts over.
fn refuse_foreign(dir: &Path, path: &Path, file: &fs::File) -> Result<(), DirError> {
    let meta = file.metadata().map_err(|e| {
        error(
            dir,
            format!(
                "cannot read the lock file {}: {}",
                path.display(),
                crate::shared::io_reason(&e)
            ),
        )
    })?;
    let why = if !meta.is_file() {
        "is not a regular file".to_string()
    } else if meta.nlink() > 1 {
        format!(
            "is a hard link ({} names for one file); sts-gen would overwrite the other names' contents",
            meta.nlink()
        )
    } else {
        return Ok(());
    };
    Err(error(
        dir,
        format!(
            "cannot use the lock file {}: it {why}; remove it (no sts-gen run is using it)",
            path.display()
        ),
    ))
}

/// Where the lock is held: its lock file, `None` for a directory locked itself.
impl Lock {
    /// The lock file's path, `None` when the directory itself is locked.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

/// Whether the existing lock file at `path` is held exclusively now (by a writer). Never
/// creates it: a missing file, or one that is not a regular file, is not held.
pub fn held_exclusively(path: &Path) -> bool {
    open_existing(path, false).is_some_and(|file| exclusive_now(&file))
}

/// Whether the existing lock file at `path` could be locked exclusively now (no reader or
/// writer holds it), or is gone. Takes nothing.
pub fn free_now(path: &Path) -> bool {
    open_existing(path, false).is_none_or(|file| {
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok()
    })
}

/// Whether the directory `dir` itself is locked exclusively now: by a writer that could make
/// no lock file beside it ([`acquire`]). Never follows a link.
pub fn dir_held_exclusively(dir: &Path) -> bool {
    open_existing(dir, true).is_some_and(|file| exclusive_now(&file))
}

/// Whether another open file holds an exclusive `flock` on `file`'s inode; asks with a
/// shared lock, dropped at once.
fn exclusive_now(file: &fs::File) -> bool {
    matches!(
        rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockShared),
        Err(rustix::io::Errno::WOULDBLOCK)
    )
}

/// Whether this user's run would lock `dir` itself rather than a lock file beside it (see
/// [`acquire`]): `dir` has no parent, or its parent is one this user may not write (or is on
/// a read-only file system). Creates nothing.
pub fn locks_itself(dir: &Path) -> bool {
    match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        None => true,
        Some(parent) => {
            let want = rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK;
            rustix::fs::access(parent, want).is_err()
        }
    }
}

/// Waits until the existing lock file at `path` could be taken (`shared`, or exclusively),
/// or is gone, then lets it go at once; never creates it, never removes it. `path` `None` is
/// the directory `dir` locked itself. Past `deadline` (`None`: none) an error names the
/// holder.
pub fn wait_free(
    dir: &Path,
    path: Option<&Path>,
    shared: bool,
    deadline: Option<Instant>,
) -> Result<(), DirError> {
    let mode = lock_mode(shared);
    let mut pause = Duration::from_millis(1);
    loop {
        let opened = match path {
            Some(path) => open_existing(path, false),
            None => open_existing(dir, true),
        };
        let Some(mut file) = opened else {
            return Ok(());
        };
        match rustix::fs::flock(&file, mode) {
            // Closing the file drops the lock; a holder that removed it is done too.
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::WOULDBLOCK) => {}
            Err(_) => return Ok(()),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(error(
                dir,
                match path {
                    Some(path) => format!(
                        "{} is writing a directory nested with it; gave up waiting (lock file {}; set STS_GEN_LOCK_TIMEOUT to wait longer)",
                        holder_of(&mut file),
                        path.display()
                    ),
                    None => "another sts-gen run holds the lock of this directory itself (one that could make no lock file beside it); gave up waiting (set STS_GEN_LOCK_TIMEOUT to wait longer)".to_string(),
                },
            ));
        }
        back_off(&mut pause, deadline);
    }
}

/// The existing regular file (or, with `directory`, the directory) at `path`, opened to be
/// locked, not written; `None` otherwise. Never follows a link.
fn open_existing(path: &Path, directory: bool) -> Option<fs::File> {
    let mut flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    if directory {
        flags |= rustix::fs::OFlags::DIRECTORY;
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    (if directory {
        meta.is_dir()
    } else {
        meta.is_file()
    })
    .then_some(file)
}

/// Whether a writer holds `dir`'s lock now (so staging beside it is in use, not a leftover).
/// Takes nothing: a shared lock taken to ask is dropped at once.
pub fn is_held(dir: &Path) -> bool {
    lock_path(dir).is_ok_and(|path| held_exclusively(&path))
}

/// Whether `path` still names the open `file`.
fn same_file(path: &Path, file: &fs::File) -> bool {
    match (fs::symlink_metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// `pid N: sts-gen render ...`, with the values of `--set*` options left out (they may be
/// secrets, and a waiting run prints this line).
fn holder() -> String {
    let mut words = Vec::new();
    let mut hide_next = false;
    // args_os: `args` panics on an argument that is not UTF-8 (a profile's file name).
    for arg in std::env::args_os().map(|a| a.to_string_lossy().into_owned()) {
        if hide_next {
            words.push("...".to_string());
            hide_next = false;
            continue;
        }
        if let Some((flag, _)) = arg.split_once('=').filter(|(f, _)| f.starts_with("--set")) {
            words.push(format!("{flag}=..."));
            continue;
        }
        hide_next = arg.starts_with("--set");
        words.push(arg);
    }
    format!("pid {}: {}\n", std::process::id(), words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_with_no_place_beside_it_is_locked_itself() {
        // `/` has no parent to hold a lock file.
        let root = Path::new("/");
        let first = acquire(root, Duration::ZERO).unwrap();
        assert!(first.path.is_none());
        let e = acquire(root, Duration::ZERO).unwrap_err();
        assert!(
            e.message.contains("another sts-gen run is writing it"),
            "{e}"
        );
        drop(first);
        acquire(root, Duration::ZERO).unwrap();
    }

    #[test]
    fn a_lock_file_is_removed_on_release_and_names_its_holder_while_held() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let lock = acquire(&dir, Duration::ZERO).unwrap();
        let file = tmp.path().join(".out.sts-gen.lock");
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with(&format!("pid {}: ", std::process::id())),
            "{text}"
        );
        let e = acquire(&dir, Duration::from_millis(30)).unwrap_err();
        assert!(
            e.message.contains(&format!("pid {}", std::process::id())),
            "{e}"
        );
        drop(lock);
        assert!(!file.exists());
    }

    #[test]
    fn long_names_are_shortened_alike_and_apart() {
        let short = OsStr::new("out");
        assert_eq!(short_name(short), short);
        let a = OsString::from("x".repeat(255));
        let b = OsString::from("x".repeat(254) + "y");
        let (sa, sb) = (short_name(&a), short_name(&b));
        assert_eq!(sa.len(), SHORT);
        assert_ne!(
            sa, sb,
            "names that differ only at the end get their own locks"
        );
        assert_eq!(sa, short_name(&a));
        assert!(sa.to_str().unwrap().starts_with(&"x".repeat(183)));
        // Fixed by SHA-256, not by the build: other versions name the lock alike.
        assert_eq!(
            short_name(&OsString::from("a".repeat(201))),
            OsString::from("a".repeat(183) + "~a92efd82109373e5")
        );
        assert!(file_name(&a).len() <= 255);
    }
}
