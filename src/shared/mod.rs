//! Small helpers every stage uses: Kubernetes name and quantity rules ([`names`]), the
//! text of an I/O error, and the JSON merge that `podTemplate` and raw containers use.
//!
//! They depend on no stage, so any stage may use them without an import cycle.

/// The error type users see.
pub mod error;
/// Kubernetes name, path and quantity rules.
pub mod names;
/// Peer lists fixed at render time (render marks them, lint checks them).
pub mod peers;

use serde_json::Value as Json;

/// A short, stable reason for an I/O error (no OS error codes).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Largest `--set-file` or `fromFile` value: Kubernetes stores a ConfigMap or Secret in at
/// What every secret value is replaced with when a failure is reported: `<secret>`, base64.
/// The model's own messages use it too (a secret file's errors), so it lives below both.
pub(crate) const SECRET_PLACEHOLDER: &str = "PHNlY3JldD4=";

/// most 1 MiB, so a larger value could never be applied.
pub const MAX_VALUE_FILE_BYTES: u64 = 1 << 20;
/// Largest secret seed file: a seed is a few dozen random bytes.
pub const MAX_SEED_FILE_BYTES: u64 = 64 << 10;
/// Largest custom template file (`--templates`); the bundled ones are a few KB each.
pub const MAX_TEMPLATE_FILE_BYTES: u64 = 1 << 20;
/// Largest manifest file `lint` reads: rendered output of a large profile, with room.
pub const MAX_MANIFEST_FILE_BYTES: u64 = 16 << 20;

/// Reads the regular file at `path`, refusing one larger than `limit` bytes.
///
/// The size is checked before reading and the read itself stops at `limit + 1` bytes, so a file
/// that grows meanwhile cannot exhaust memory. Anything but a regular file (a FIFO, a device
/// such as /dev/zero, a folder) is refused before it is opened: opening a FIFO blocks until
/// a writer comes. The errors read well through [`io_reason`].
pub fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Error;
    let meta = std::fs::metadata(path)?;
    let refuse_kind = || {
        Error::other(if meta.is_dir() {
            "is a folder, not a file"
        } else {
            "is not a regular file (a FIFO or device cannot be read; pass `-` for standard input where allowed)"
        })
    };
    if !meta.is_file() {
        return Err(refuse_kind());
    }
    if meta.len() > limit {
        return Err(Error::other(format!(
            "file is {} bytes; the largest accepted is {limit} bytes",
            meta.len()
        )));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    // Non-blocking open: if a FIFO replaced the file since the look above, opening it
    // returns at once instead of waiting for a writer (it is then refused below).
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut opts,
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    let file = opts.open(path)?;
    // The path may have been replaced between the two looks; check what was opened.
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(refuse_kind());
    }
    // Sized from the file, so it is read in one call instead of doubling from 32 bytes.
    let capacity = opened.len().min(limit).saturating_add(1);
    read_into(file, limit, Vec::with_capacity(capacity as usize))
}

/// Reads `reader` to its end, refusing more than `limit` bytes (for standard input, whose
/// size is unknown until read).
pub fn read_to_limit(reader: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
    read_into(reader, limit, Vec::new())
}

fn read_into(
    reader: impl std::io::Read,
    limit: u64,
    mut bytes: Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "input is larger than the largest accepted, {limit} bytes"
        )));
    }
    Ok(bytes)
}

/// A memory buffer that refuses to grow past a limit: template output is written into it,
/// so a template that would write gigabytes stops at the limit instead.
pub struct BoundedWriter {
    /// What was written.
    pub bytes: Vec<u8>,
    limit: usize,
}

impl BoundedWriter {
    /// An empty buffer that takes at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        BoundedWriter {
            bytes: Vec::new(),
            limit,
        }
    }
}

impl std::io::Write for BoundedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            return Err(std::io::Error::other(format!(
                "the output would be longer than {} bytes",
                self.limit
            )));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Merges `overlay` into `base`: mappings by key, lists of named items by `name`, anything
/// else replaced (the profile's merge rule).
pub fn merge(base: &mut Json, overlay: &Json) {
    match (base, overlay) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Json::Array(b), Json::Array(o)) if is_named_list(b) && is_named_list(o) => {
            for item in o {
                let name = item.get("name");
                match b.iter_mut().find(|x| x.get("name") == name) {
                    Some(existing) => merge(existing, item),
                    None => b.push(item.clone()),
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn is_named_list(items: &[Json]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| i.get("name").is_some_and(Json::is_string))
}

/// Appends a mapping key to a field path, quoting keys that are not identifiers.
pub fn join_key(path: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    // Built for every key of every profile (errors name the path): pushed, not formatted.
    match (path.is_empty(), simple) {
        (true, true) => key.to_string(),
        (false, true) => {
            let mut joined = String::with_capacity(path.len() + 1 + key.len());
            joined.push_str(path);
            joined.push('.');
            joined.push_str(key);
            joined
        }
        (_, false) => format!("{path}[{}]", serde_json::Value::from(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_by_key_and_by_name() {
        let mut base = json!({"a": 1, "c": [{"name": "x", "v": 1}, {"name": "y"}], "l": [1, 2]});
        merge(
            &mut base,
            &json!({"b": 2, "c": [{"name": "x", "v": 2}, {"name": "z"}], "l": [3]}),
        );
        assert_eq!(
            base,
            json!({"a": 1, "c": [{"name": "x", "v": 2}, {"name": "y"}, {"name": "z"}], "l": [3], "b": 2})
        );
    }

    #[cfg(unix)]
    #[test]
    fn reads_are_bounded_and_only_of_regular_files() {
        let dir = std::env::temp_dir().join(format!("sts-gen-read-limited-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_limited(&f, 5).unwrap(), b"12345");
        let e = read_limited(&f, 4).unwrap_err();
        assert!(
            io_reason(&e).contains("file is 5 bytes; the largest accepted is 4"),
            "{e}"
        );
        // A character device that never ends: refused before reading, not read forever.
        let e = read_limited(std::path::Path::new("/dev/zero"), 4).unwrap_err();
        assert!(io_reason(&e).contains("not a regular file"), "{e}");
        let e = read_limited(&dir, 4).unwrap_err();
        assert!(io_reason(&e).contains("is a folder"), "{e}");
        // Standard input and other streams: read to the limit, not past it.
        let e = read_to_limit(std::io::repeat(b'x'), 1000).unwrap_err();
        assert!(e.to_string().contains("1000 bytes"), "{e}");
        assert_eq!(read_to_limit(&b"abc"[..], 3).unwrap(), b"abc");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn io_reasons_are_stable() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_reason(&e), "no such file");
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(io_reason(&e), "permission denied");
    }
}
