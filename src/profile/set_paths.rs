//! Field paths of errors found in a node set: a set is checked as a whole profile (the
//! profile merged with the set's overrides), so its errors name paths of that merged tree.
//! Where the field was written under `nodeSets[i]`, the user should read that path.

use std::borrow::Cow;

use super::node::{Node, Value};
use super::{Loaded, Loc};
use crate::shared::error::Error;

/// Rewrites the path of every error of `errors` located in a node set's own overrides to
/// its path under `nodeSets[i]` (by location: the set's nodes are where the user wrote them).
pub fn in_set_paths(sets: &[Cow<'_, Loaded>], errors: &mut [Error]) {
    for e in errors.iter_mut() {
        if e.path.starts_with("nodeSets") {
            continue;
        }
        let Some(loc) = &e.loc else { continue };
        for set in sets {
            let Some(info) = &set.set else { continue };
            let Some(written) = path_at(&info.item, loc, format!("nodeSets[{}]", info.index))
            else {
                continue;
            };
            // The same node in the merged tree: its path there is the start of the error's,
            // which may go deeper (a fallback to an ancestor, a field of a raw object).
            let merged = path_at(&set.tree, loc, String::new()).unwrap_or_default();
            let rest = e
                .path
                .strip_prefix(merged.as_str())
                .filter(|r| !merged.is_empty() && (r.is_empty() || r.starts_with(['.', '['])));
            e.path = match rest {
                Some(rest) => format!("{written}{rest}"),
                None if e.path.is_empty() || e.path.starts_with('[') => {
                    format!("nodeSets[{}]{}", info.index, e.path)
                }
                None => format!("nodeSets[{}].{}", info.index, e.path),
            };
            break;
        }
    }
}

/// The path (below `path`) of the node or key of `node` at `loc`, or of the `|` text that
/// holds it.
fn path_at(node: &Node, loc: &Loc, path: String) -> Option<String> {
    if node.loc == *loc {
        return Some(path);
    }
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            let here = super::join_key(&path, &k.name);
            if k.loc == *loc {
                return Some(here);
            }
            path_at(v, loc, here)
        }),
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| path_at(v, loc, format!("{path}[{i}]"))),
        Value::Scalar {
            text,
            literal: true,
            ..
        } => {
            // A `|` block: its line k is the file's line `loc.line + k - 1`.
            let lines = text.lines().count().max(1);
            (node.loc.file == loc.file
                && loc.line >= node.loc.line
                && loc.line < node.loc.line + lines)
                .then_some(path)
        }
        Value::Scalar { .. } => None,
    }
}

/// Drops the repeats of an error: a top-level field's problem is found once per node set
/// (each set is checked as a whole profile), at the same place with the same words.
pub fn dedup_errors(errors: &mut Vec<Error>) {
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| {
        let loc = e.loc.as_ref().map(|l| (l.file.clone(), l.line, l.col));
        // Without a place, the object (which set's) is what tells two findings apart.
        let object = e.loc.is_none().then(|| e.object.clone());
        seen.insert((loc, e.path.clone(), e.message.clone(), object))
    });
}
