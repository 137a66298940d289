//! One writer per output directory at a time: an advisory `flock` on a lock file beside the
//! directory (`<parent>/.<name>.sts-gen.lock`; not on the directory itself, which a write
//! replaces by another). Two renders into one directory (CI matrix jobs, an editor's save
//! hook beside a pre-commit hook) then run one after the other and the result is always one
//! run's complete output.
//!
//! The holder writes its pid and command into the file, so a run that gives up waiting can
//! name it. The file is removed on release (so it never lingers beside the output, e.g. in
//! `git status`); a waiter that then gets the lock on the removed file notices (the path no
//! longer names the inode it locked) and starts over.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::dir::DirError;
use super::safe::error;

/// How long a writer waits for another by default; `STS_GEN_LOCK_TIMEOUT` (seconds) changes it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A held lock; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: fs::File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so no other run can hold it under this path meanwhile.
        if same_file(&self.path, &self.file) {
            let _ = fs::remove_file(&self.path);
        }
        // Closing the file releases the flock.
    }
}

/// `<parent>/.<name>.sts-gen.lock` for a normalized directory path.
pub fn lock_path(dir: &Path) -> Result<PathBuf, DirError> {
    let name = dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        error(
            dir,
            "has no name to lock beside; give a directory below it".into(),
        )
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{name}.sts-gen.lock")))
}

/// The wait from `STS_GEN_LOCK_TIMEOUT` (seconds, fractions allowed), else 60 s.
pub fn timeout() -> Result<Duration, String> {
    match std::env::var("STS_GEN_LOCK_TIMEOUT") {
        Err(_) => Ok(DEFAULT_TIMEOUT),
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| {
                format!("STS_GEN_LOCK_TIMEOUT `{v}` is not a number of seconds (e.g. 60 or 0.5)")
            }),
    }
}

/// Locks `dir` (normalized; its parent must exist), waiting up to `wait` for another
/// writer, then failing with an error that names the holder.
pub fn acquire(dir: &Path, wait: Duration) -> Result<Lock, DirError> {
    let path = lock_path(dir)?;
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        let mut opts = fs::OpenOptions::new();
        opts.read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        let mut file = opts.open(&path).map_err(|e| {
            let why = match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => "is a symbolic link".to_string(),
                _ => crate::profile::io_reason(&e),
            };
            error(
                dir,
                format!("cannot open the lock file {}: {why}", path.display()),
            )
        })?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                if !same_file(&path, &file) {
                    // The holder removed it as we waited; lock the current file instead.
                    continue;
                }
                let _ = file
                    .set_len(0)
                    .and_then(|()| file.write_all(holder().as_bytes()));
                return Ok(Lock { path, file });
            }
            Err(rustix::io::Errno::WOULDBLOCK) => {
                if Instant::now() >= deadline {
                    let mut text = String::new();
                    let _ = Read::by_ref(&mut file).take(512).read_to_string(&mut text);
                    // Anyone who can write the parent can write this line: no control
                    // characters reach the terminal.
                    let text: String = text
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(200)
                        .collect();
                    let text = text.trim();
                    let who = if text.is_empty() {
                        "another sts-gen run".to_string()
                    } else {
                        format!("another sts-gen run ({text})")
                    };
                    return Err(error(
                        dir,
                        format!(
                            "{who} is writing it; gave up after waiting {:.1} s (lock file {}; set STS_GEN_LOCK_TIMEOUT to wait longer)",
                            wait.as_secs_f64(),
                            path.display()
                        ),
                    ));
                }
                std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(e) => return Err(error(dir, format!("cannot lock {}: {e}", path.display()))),
        }
    }
}

/// Whether a writer holds `dir`'s lock now (so staging beside it is in use, not a leftover).
/// Takes nothing: a shared lock taken to ask is dropped at once.
pub fn is_held(dir: &Path) -> bool {
    let Ok(path) = lock_path(dir) else {
        return false;
    };
    let mut opts = fs::OpenOptions::new();
    opts.read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    let Ok(file) = opts.open(path) else {
        return false;
    };
    matches!(
        rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockShared),
        Err(rustix::io::Errno::WOULDBLOCK)
    )
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
    for arg in std::env::args() {
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
