//! The error collector of the model stage: errors carry a field path and are located
//! against the profile tree, so each names the line the user wrote.

use crate::profile::node::Value;
use crate::profile::{locate, LoadError, Loaded};
use crate::shared::error::{text_hash, ErrorKind};

/// Collects errors with field paths; located against the profile tree at the end.
pub(super) struct Errors<'a> {
    pub(super) loaded: &'a Loaded,
    pub(super) list: Vec<LoadError>,
}

impl<'a> Errors<'a> {
    /// An empty collector for `loaded`.
    pub(super) fn new(loaded: &'a Loaded) -> Self {
        Errors {
            loaded,
            list: Vec::new(),
        }
    }

    /// Records `message`, a value the profile may not have, at the profile field `path`.
    pub(super) fn push(&mut self, path: &str, message: impl Into<String>) {
        self.add(path, LoadError::of(ErrorKind::Value, message));
    }

    /// Records `e` (its kind, message and hint) at the profile field `path`.
    pub(super) fn add(&mut self, path: &str, mut e: LoadError) {
        let node = locate(&self.loaded.tree, path);
        let mut loc = node.loc.clone();
        if let Some(at) = e.in_text.take() {
            // Only where the text's lines are the file's lines (a `|` block written in the
            // file); elsewhere the message keeps saying where in the text.
            if let Value::Scalar {
                text,
                literal: true,
                ..
            } = &node.value
            {
                if text_hash(text) == at.hash {
                    loc.line += at.line - 1;
                    loc.col += at.col - 1;
                    e.message = at.message;
                }
            }
        }
        e.loc = Some(loc);
        self.list.push(e.with_path(path));
    }

    /// Records the error of `r`, if any, at `path`.
    pub(super) fn check(&mut self, path: &str, r: Result<(), LoadError>) {
        if let Err(e) = r {
            self.add(path, e);
        }
    }
}
