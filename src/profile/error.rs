//! Errors of the load and model stages: each names a place in a profile.

use std::fmt;
use std::sync::Arc;

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

/// One problem in a profile: where it is, which field, what is wrong, and a hint.
///
/// Messages never contain secret values: code that builds them from profile data only
/// quotes names, keys and paths, never `secret.data` values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Where in which file; `None` for problems with no single place (a missing file).
    pub loc: Option<Loc>,
    /// The field path, e.g. `roles[1].ordinals`; empty for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// A suggestion, e.g. "did you mean `replicas`?".
    pub hint: Option<String>,
}

impl LoadError {
    /// An error at `loc`.
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        LoadError {
            loc: Some(loc),
            path: String::new(),
            message: message.into(),
            hint: None,
        }
    }

    /// An error not tied to a place in a file.
    pub fn bare(message: impl Into<String>) -> Self {
        LoadError {
            loc: None,
            path: String::new(),
            message: message.into(),
            hint: None,
        }
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

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.loc {
            write!(f, "{loc}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (levenshtein(&word_l, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["replicas", "image", "imagePullPolicy", "ports"];
        assert_eq!(did_you_mean("replica", &keys), Some("replicas"));
        assert_eq!(
            did_you_mean("imagePullPolicies", &keys),
            Some("imagePullPolicy")
        );
        assert_eq!(did_you_mean("Ports", &keys), Some("ports"));
        assert_eq!(did_you_mean("storage", &keys), None);
    }
}
