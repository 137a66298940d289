//! Sink stage: where rendered text goes (stdout or a directory).

pub mod diff;
pub mod dir;
pub mod lock;
pub mod safe;

use std::io::Write;

/// Writes the whole output at once; output is complete in memory before this is called, so
/// stdout receives either everything or (on an earlier error) nothing.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
