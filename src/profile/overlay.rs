//! Layers over a profile: overlay files (`-f`) and `--set` / `--set-string` / `--set-file`.
//!
//! Each layer becomes a partial profile tree merged over the profile with the preset rules,
//! so `--set` follows exactly the same semantics as an overlay file.

use std::path::Path;
use std::sync::Arc;

use super::error::{ErrorKind, LoadError};
use super::merge::{NewItems, NAMED_LISTS};
use super::node::{self, Key, Loc, Node, Value};

/// How a `--set` value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set path=value`: the value is YAML, typed by the field (`3`, `true`, `[a, b]`).
    Typed,
    /// `--set-string path=value`: the value is always text.
    String,
    /// `--set-file path=FILE`: the file's contents, as text.
    File,
}

/// Everything layered over the profile, in order: overlays, then sets.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    /// Overlay files (`-f`), merged in this order.
    pub overlays: Vec<String>,
    /// `--set*` arguments (`PATH=VALUE`) with their kind, applied after the overlays in this order.
    pub sets: Vec<(SetKind, String)>,
}

/// The longest `--set` path accepted (field names and item names, dot-separated).
pub const MAX_SET_PATH_BYTES: usize = 1024;

/// The tree one `--set` argument stands for, and how the argument names list items: a path through an item's name to
/// one of its fields (`sidecars.NAME.image=`) addresses an item that must exist.
pub fn set_layer(kind: SetKind, arg: &str) -> Result<(Node, NewItems), LoadError> {
    let flag = match kind {
        SetKind::Typed => "--set",
        SetKind::String => "--set-string",
        SetKind::File => "--set-file",
    };
    let Some((path, value)) = split_assignment(arg) else {
        // Without `=` the value cannot be told from the path: under `secret.data` nothing
        // of the argument is quoted.
        let shown = if arg.starts_with("secret.data") {
            String::new()
        } else {
            format!(" `{arg}`")
        };
        return Err(LoadError::of(
            ErrorKind::Usage,
            format!("{flag}{shown}: expected PATH=VALUE, e.g. {flag} replicas=3"),
        ));
    };
    // Bounded before anything is built from it: the tree below is one level per segment,
    // and every later error repeats the path.
    if path.len() > MAX_SET_PATH_BYTES {
        return Err(LoadError::of(
            ErrorKind::Usage,
            format!(
                "{flag}: the path is {} bytes; at most {MAX_SET_PATH_BYTES} are accepted",
                path.len()
            ),
        ));
    }
    let segments = split_path(path);
    if segments.len() > node::MAX_DEPTH {
        return Err(LoadError::of(
            ErrorKind::Usage,
            format!(
                "{flag}: the path has {} segments; profiles nest at most {} levels",
                segments.len(),
                node::MAX_DEPTH
            ),
        ));
    }
    if segments.iter().any(String::is_empty) {
        return Err(LoadError::of(
            ErrorKind::Usage,
            format!("{flag} `{path}`: empty path segment (escape a literal dot as `\\.`)"),
        ));
    }
    let loc = Loc {
        file: Arc::from(format!("{flag} {path}")),
        line: 1,
        col: 1,
    };
    let leaf = match kind {
        SetKind::Typed => match node::parse(&loc.file, value.as_bytes()).map_err(|e| {
            // The parser's message may quote the value's text; a secret's is not shown.
            if segments.len() > 2 && segments[0] == "secret" && segments[1] == "data" {
                LoadError {
                    message: "invalid YAML (a secret value: its text is not shown; --set-string takes any text)".into(),
                    ..e
                }
            } else {
                e
            }
        })? {
            Some(mut n) => {
                relocate(&mut n, &loc);
                n
            }
            None => scalar("", true, &loc),
        },
        SetKind::String => scalar(value, false, &loc),
        SetKind::File => {
            let text =
                crate::shared::read_limited(Path::new(value), crate::shared::MAX_VALUE_FILE_BYTES)
                    .and_then(|b| {
                        String::from_utf8(b).map_err(|_| std::io::Error::other("not UTF-8 text"))
                    })
                    .map_err(|e| {
                        LoadError::of(
                            ErrorKind::Io,
                            format!(
                                "{flag} {path}: cannot read `{value}`: {}",
                                super::io_reason(&e)
                            ),
                        )
                    })?;
            scalar(&text, false, &loc)
        }
    };
    // Build the tree from the leaf upwards.
    let mut node = leaf;
    let mut new_items = NewItems::WhenWhole;
    let mut i = segments.len();
    while i > 0 {
        i -= 1;
        let seg = &segments[i];
        let parent_is_named_list = i > 0
            && NAMED_LISTS
                .iter()
                .any(|(l, _)| *l == segments[i - 1].as_str())
            && depth_of(&segments, i - 1) == 0;
        if parent_is_named_list {
            if i + 1 < segments.len() {
                new_items = NewItems::Never;
            }
            // `roles.replica.x=…` → roles: [{name: replica, x: …}]
            let mut entries = vec![(key("name", &loc), scalar(seg, false, &loc))];
            if let Value::Map(inner) = node.value {
                entries.extend(inner);
            } else {
                return Err(LoadError::of(ErrorKind::Usage, format!(
                    "{flag} `{path}`: `{seg}` names an item of `{}`; set one of its fields, e.g. {}.{seg}.name",
                    segments[i - 1], segments[i - 1]
                )));
            }
            node = Node {
                value: Value::Seq(vec![Node {
                    value: Value::Map(entries),
                    loc: loc.clone(),
                }]),
                loc: loc.clone(),
            };
            // The list's own key is the next segment up; skip the item name.
            i -= 1;
            node = Node {
                value: Value::Map(vec![(key(&segments[i], &loc), node)]),
                loc: loc.clone(),
            };
        } else {
            node = Node {
                value: Value::Map(vec![(key(seg, &loc), node)]),
                loc: loc.clone(),
            };
        }
    }
    Ok((node, new_items))
}

/// Named lists are only recognised at the top level of the profile (or of a node set).
fn depth_of(segments: &[String], index: usize) -> usize {
    // `nodeSets.<set>.roles.<role>`: a set's fields are top-level fields again.
    if index >= 2 && segments[0] == "nodeSets" {
        index - 2
    } else {
        index
    }
}

fn split_assignment(arg: &str) -> Option<(&str, &str)> {
    // The first `=` not escaped with a backslash.
    let bytes = arg.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => return Some((&arg[..i], &arg[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

/// Splits `a.b\.c` into `["a", "b.c"]`; `\\` is a backslash, `\=` an equals sign.
fn split_path(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.last_mut().unwrap().push(n);
                }
            }
            '.' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn key(name: &str, loc: &Loc) -> Key {
    Key {
        name: name.to_string(),
        loc: loc.clone(),
    }
}

fn scalar(text: &str, plain: bool, loc: &Loc) -> Node {
    Node {
        value: Value::Scalar {
            text: text.to_string(),
            plain,
            literal: false,
        },
        loc: loc.clone(),
    }
}

/// Gives every node of a parsed `--set` value the flag's location.
fn relocate(node: &mut Node, loc: &Loc) {
    node.loc = loc.clone();
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| relocate(n, loc)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            k.loc = loc.clone();
            relocate(v, loc)
        }),
        // Its lines are no longer the file's.
        Value::Scalar { literal, .. } => *literal = false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(kind: SetKind, arg: &str) -> serde_json::Value {
        let (n, _) = set_layer(kind, arg).unwrap();
        super::super::de::from_node(&n).unwrap()
    }

    #[test]
    fn paths_values_and_named_items() {
        assert_eq!(
            json(SetKind::Typed, "replicas=5"),
            serde_json::json!({"replicas": 5})
        );
        assert_eq!(
            json(SetKind::String, "env.A=5"),
            serde_json::json!({"env": {"A": "5"}})
        );
        assert_eq!(
            json(SetKind::Typed, r"roles.replica.files.replica\.cnf=x=1,y"),
            serde_json::json!({"roles": [{"name": "replica", "files": {"replica.cnf": "x=1,y"}}]})
        );
        assert_eq!(
            json(SetKind::Typed, "args=[a, b]"),
            serde_json::json!({"args": ["a", "b"]})
        );
        assert_eq!(
            json(SetKind::Typed, "nodeSets.data.roles.r.ordinals=1-"),
            serde_json::json!({"nodeSets": [{"name": "data", "roles": [{"name": "r", "ordinals": "1-"}]}]})
        );
        assert!(set_layer(SetKind::Typed, "replicas").is_err());
        assert!(set_layer(SetKind::Typed, "a..b=1").is_err());
        assert!(set_layer(SetKind::Typed, "roles.primary=x").is_err());
    }
}
