//! The one error type users see: what kind of problem, where in which profile, which field,
//! what is wrong, and a hint. It lives here, beside no stage, so every stage can return it
//! without importing another.

use std::fmt;
use std::sync::Arc;

/// What sort of problem an error is; the message says the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not well-formed YAML or JSON.
    Syntax,
    /// The profile does not fit its schema: unknown key, wrong type, missing key.
    Schema,
    /// A value is well-typed but not allowed (a name, quantity, path or version).
    Value,
    /// Something named does not exist (a preset, node set, file or key).
    Reference,
    /// A `{{ }}` text in the profile does not expand.
    Template,
    /// Rendered objects break a rule of the check stage.
    Check,
    /// A file or folder cannot be read.
    Io,
    /// A command-line option is wrong.
    Usage,
}

/// Where a profile value starts: file, 1-based line, 1-based column (`file:line:col`).
/// Part of the error type, so errors need nothing of the parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    /// The file name as messages show it.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One problem for the user, from any stage: its kind, where it is, which field, what is
/// wrong, and a hint. `Display` prints `file:line:col: path: message (hint)`, leaving out the
/// parts it lacks; a problem found in the rendered output also names the template and
/// object (`object`), before the message when no profile line is known, after it otherwise.
///
/// Messages never contain secret values: code that builds them from profile data only
/// quotes names, keys and paths, never `secret.data` values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What sort of problem it is.
    pub kind: ErrorKind,
    /// Where in which file; `None` for problems with no single place (a missing file).
    pub loc: Option<Loc>,
    /// The field path, e.g. `roles[1].ordinals`; empty for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// A suggestion, e.g. "did you mean `replicas`?".
    pub hint: Option<String>,
    /// For a problem in the rendered output: the template and object it was found in, e.g.
    /// "template `statefulset.yaml.j2`, StatefulSet mysql [volume-mounts]" (see
    /// [`Self::object`]). Boxed, so a `Result` carrying the error stays small.
    pub object: Option<Box<String>>,
    /// For a problem inside a profile text (a config file, an env value): where in the text,
    /// so the model can point at the file's own line where the text is a `|` block.
    pub in_text: Option<Box<TextPos>>,
}

/// A position in a profile text, and the message to use once it is shown as a file
/// position (the message itself says "at line N, column C of the text").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextPos {
    /// 1-based line in the text.
    pub line: usize,
    /// 1-based column (in characters) in the text.
    pub col: usize,
    /// [`text_hash`] of the text: only the node holding this very text is mapped.
    pub hash: u64,
    /// The message without the position in the text.
    pub message: String,
}

/// A hash of a profile text, to tell that an error's text is a node's (see [`TextPos`]).
pub fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same in the stage that hashes and the one that compares.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The name the load and model stages know the one error type by.
pub type LoadError = Error;

impl Error {
    /// An error at `loc`; of kind [`ErrorKind::Schema`] unless [`Self::with_kind`] says.
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        LoadError {
            kind: ErrorKind::Schema,
            loc: Some(loc),
            path: String::new(),
            message: message.into(),
            hint: None,
            object: None,
            in_text: None,
        }
    }

    /// Malformed input at `loc` (kind [`ErrorKind::Syntax`]).
    pub fn syntax(loc: Loc, message: impl Into<String>) -> Self {
        Self::new(loc, message).with_kind(ErrorKind::Syntax)
    }

    /// An error not tied to a place in a file; of kind [`ErrorKind::Schema`] unless
    /// [`Self::with_kind`] says.
    pub fn bare(message: impl Into<String>) -> Self {
        Self::of(ErrorKind::Schema, message)
    }

    /// An error of `kind` not tied to a place in a file.
    pub fn of(kind: ErrorKind, message: impl Into<String>) -> Self {
        LoadError {
            kind,
            loc: None,
            path: String::new(),
            message: message.into(),
            hint: None,
            object: None,
            in_text: None,
        }
    }

    /// An error of `kind` found in the rendered output, in `object` (template and object).
    pub fn in_object(
        kind: ErrorKind,
        object: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error {
            object: Some(Box::new(object.into())),
            ..Self::of(kind, message)
        }
    }

    /// The template and object a problem in the rendered output was found in.
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref().map(String::as_str)
    }

    /// The error with its kind.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The error with `prefix` before its message, e.g. the name a validator's message is
    /// about: `` `web-` `` + `is not a DNS-1123 label`.
    pub fn prefixed(mut self, prefix: impl fmt::Display) -> Self {
        self.message = format!("{prefix}{}", self.message);
        self
    }

    /// The error with the profile field path it concerns.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The error with a hint on how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Writes `text` with its control characters escaped (`\n`, `\t`, `\u{1b}`): a message
/// quotes profile values, and a newline in one (`name: "y\nz"`) split the error into a
/// second `error:` line without a location, and an escape sequence could drive the terminal.
fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if !text.chars().any(char::is_control) {
        return f.write_str(text);
    }
    for c in text.chars() {
        match c {
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.loc, &self.object) {
            (Some(loc), _) => write!(f, "{loc}: ")?,
            (None, Some(object)) => write!(f, "{object}: ")?,
            (None, None) => {}
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write_escaped(f, &self.message)?;
        if let Some(hint) = &self.hint {
            f.write_str(" (")?;
            write_escaped(f, hint)?;
            f.write_str(")")?;
        }
        if let (Some(_), Some(object)) = (&self.loc, &self.object) {
            write!(f, "; found in {object}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
