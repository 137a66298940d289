//! Typing a profile with every error listed, not only the first: serde stops at the first
//! problem, so the offending field is taken out of a copy of the tree and the profile typed
//! again, up to [`MAX_ERRORS`] times.

use super::de;
use super::error::LoadError;
use super::node::{Node, Value};
use super::types::Profile;

/// Errors listed in one run at most; more are summed up in a last line.
pub const MAX_ERRORS: usize = 20;

/// Types `tree` as a profile, or returns every error found (at most [`MAX_ERRORS`]).
pub fn type_profile(tree: &Node) -> Result<Profile, Vec<LoadError>> {
    let first = match de::from_node::<Profile>(tree) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    let mut errors = vec![first];
    let mut rest = tree.clone();
    let mut removed: Vec<String> = Vec::new();
    while errors.len() < MAX_ERRORS {
        let last = errors.last().expect("one error at least");
        // An unknown key goes; any other error takes its whole field with it.
        // An unknown key's path names the key itself, or the mapping that holds it: that
        // mapping goes whole, since what is left of it would only give derived errors.
        let mut targets = vec![last.path.clone()];
        if let Some(key) = unknown_key(&last.message) {
            targets.push(de::join_key(&last.path, key));
        }
        let Some(target) = targets
            .into_iter()
            .find(|t| !t.is_empty() && remove(&mut rest, t))
        else {
            break;
        };
        removed.push(target);
        match de::from_node::<Profile>(&rest) {
            Ok(_) => break,
            Err(e) => {
                // A required field taken out above is not a second problem.
                if missing_key(&e.message)
                    .is_some_and(|k| removed.contains(&de::join_key(&e.path, k)))
                    || errors.contains(&e)
                {
                    break;
                }
                errors.push(e);
            }
        }
    }
    if errors.len() == MAX_ERRORS {
        errors.push(stopped());
    }
    Err(errors)
}

/// The last line when [`MAX_ERRORS`] were listed: there may be more.
pub fn stopped() -> LoadError {
    LoadError::bare(format!(
        "stopped after {MAX_ERRORS} errors; fix these and run again for the rest"
    ))
}

fn unknown_key(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown key `")
        .and_then(|r| r.strip_suffix('`'))
}

fn missing_key(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing required key `")
        .and_then(|r| r.strip_suffix('`'))
}

/// One step of a field path.
enum Seg {
    Key(String),
    Index(usize),
}

/// The steps of a field path as [`de::join_key`] and error paths write it.
fn segments(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(after) = rest.strip_prefix('[') {
            if after.starts_with('"') {
                // A JSON string: the shortest prefix that parses as one, then `]`.
                let end = after
                    .char_indices()
                    .skip(1)
                    .filter(|(_, c)| *c == '"')
                    .map(|(i, _)| i + 1)
                    .find(|&e| serde_json::from_str::<String>(&after[..e]).is_ok())?;
                out.push(Seg::Key(serde_json::from_str(&after[..end]).ok()?));
                rest = after[end..].strip_prefix(']')?;
            } else {
                let end = after.find(']')?;
                out.push(Seg::Index(after[..end].parse().ok()?));
                rest = &after[end + 1..];
            }
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Seg::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    Some(out)
}

/// Removes the node at `path`; false when there is none.
fn remove(tree: &mut Node, path: &str) -> bool {
    let Some(segs) = segments(path) else {
        return false;
    };
    let Some((last, parents)) = segs.split_last() else {
        return false;
    };
    let mut node = tree;
    for seg in parents {
        let next = match (seg, &mut node.value) {
            (Seg::Key(k), Value::Map(entries)) => entries
                .iter_mut()
                .find(|(key, _)| key.name == *k)
                .map(|(_, v)| v),
            (Seg::Index(i), Value::Seq(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    match (last, &mut node.value) {
        (Seg::Key(k), Value::Map(entries)) => {
            let before = entries.len();
            entries.retain(|(key, _)| key.name != *k);
            entries.len() < before
        }
        (Seg::Index(i), Value::Seq(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::parse;
    use super::*;

    const MINIMAL: &str =
        "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: x:1\nstorage: {size: 1Gi}\n";

    fn errors(extra: &str) -> Vec<String> {
        let tree = parse("p.yaml", format!("{MINIMAL}{extra}").as_bytes())
            .unwrap()
            .unwrap();
        type_profile(&tree)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_typing_error_is_listed() {
        let e = errors("replicaz: 3\nenv:\n  A: {secrets: x}\nconfig: {files: {a.conf: [1]}}\nimagePullPolicy: Sometimes\n");
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e[0].contains("p.yaml:6:1: replicaz: unknown key `replicaz`"),
            "{e:#?}"
        );
        assert!(e[1].contains("env.A: unknown key `secrets`"), "{e:#?}");
        assert!(
            e[2].contains("config.files[\"a.conf\"]: expected a string"),
            "{e:#?}"
        );
        assert!(
            e[3].contains("imagePullPolicy: unknown value `Sometimes`"),
            "{e:#?}"
        );
    }

    #[test]
    fn a_required_field_taken_out_is_not_reported_missing() {
        let e = errors("replicas: [1]\n");
        assert_eq!(e.len(), 1, "{e:#?}");
        let tree = parse(
            "p.yaml",
            b"apiVersion: sts-gen/v1\nkind: Profile\nname: [x]\nimage: x:1\nstorage: {size: 1Gi}\n",
        )
        .unwrap()
        .unwrap();
        let e = type_profile(&tree).unwrap_err();
        assert_eq!(e.len(), 1, "{e:#?}");
    }

    #[test]
    fn at_most_the_limit_is_listed() {
        let many: String = (0..30).map(|i| format!("bad{i}: 1\n")).collect();
        let e = errors(&many);
        assert_eq!(e.len(), MAX_ERRORS + 1);
        assert!(
            e[MAX_ERRORS].starts_with("stopped after 20 errors"),
            "{e:#?}"
        );
    }
}
