//! Sink stage: where rendered text goes (stdout or a directory).

pub mod batch;
pub mod diff;
pub mod dir;
mod lock;
pub mod safe;

use std::io::Write;

/// A directory could not be written; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{dir}: {message}")]
pub struct DirError {
    /// The directory (or the file in it) concerned.
    pub dir: String,
    /// What went wrong.
    pub message: String,
}

/// Writes the whole output at once; output is complete in memory before this is called, so
/// stdout receives either everything or (on an earlier error) nothing.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
