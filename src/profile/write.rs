//! Writes a located tree back as YAML that parses to the same tree (locations aside): how
//! `sts-gen plan --effective` prints the merged profile.
//!
//! Plain scalars that resolve to null, a boolean or a number keep their text, so they type
//! as they did; every other string is written quoted (or as a literal block when it spans
//! lines), which the profile reads as the same string.

use super::node::{Node, Resolved, Value};

/// The tree as a YAML document (block style, two-space indent), ending in a newline.
pub fn to_yaml(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
        Value::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        _ => {
            out.push_str(&inline(node, 0));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, entries: &[(super::node::Key, Node)], indent: usize) {
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key_text(&key.name));
        out.push(':');
        write_value(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Node], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match &item.value {
            // `- key: value` with the rest of the mapping under the first key.
            Value::Map(entries) if !entries.is_empty() => {
                let (first, rest) = entries.split_first().expect("not empty");
                out.push(' ');
                out.push_str(&key_text(&first.0.name));
                out.push(':');
                write_value(out, &first.1, indent + 2);
                write_map(out, rest, indent + 2);
            }
            _ => write_value(out, item, indent),
        }
    }
}

/// Writes what follows `key:` or `-`: a nested block on the next lines, or ` scalar\n`.
fn write_value(out: &mut String, value: &Node, indent: usize) {
    match &value.value {
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(out, entries, indent + 2);
        }
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(value, indent + 2));
            out.push('\n');
        }
    }
}

/// A scalar or an empty collection on one line (a literal block continues on the next).
fn inline(node: &Node, indent: usize) -> String {
    match &node.value {
        Value::Map(_) => "{}".into(),
        Value::Seq(_) => "[]".into(),
        Value::Scalar { text, .. } => match node.resolve() {
            Some(Resolved::Str(s)) => string(s, indent),
            _ if text.is_empty() => "null".into(),
            _ => text.clone(),
        },
    }
}

/// A string: a literal block when it spans lines and a block can hold it exactly, otherwise
/// double-quoted (JSON's escapes are YAML's).
fn string(s: &str, indent: usize) -> String {
    if let Some(block) = literal_block(s, indent) {
        return block;
    }
    serde_json::to_string(s).expect("a string serializes")
}

fn literal_block(s: &str, indent: usize) -> Option<String> {
    let body = s.strip_suffix('\n')?;
    // `|` keeps exactly one final newline; anything a block would change is quoted instead.
    let exact = !body.is_empty()
        && !body.ends_with('\n')
        && !body.starts_with([' ', '\t', '\n'])
        && body
            .chars()
            .all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}'))
        && body.lines().all(|l| !l.ends_with([' ', '\t']));
    if !exact {
        return None;
    }
    let pad = " ".repeat(indent.max(2));
    let mut out = String::from("|");
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Some(out)
}

/// A key as written: bare when it is a plain string that cannot be mistaken for anything else.
fn key_text(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        && key.as_bytes()[0].is_ascii_alphabetic()
        && !crate::yaml_scalar::core_null(key)
        && crate::yaml_scalar::core_bool(key).is_none();
    if bare {
        key.to_string()
    } else {
        serde_json::to_string(key).expect("a string serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) {
        let tree = crate::profile::node::parse("t", text.as_bytes())
            .unwrap()
            .unwrap();
        let written = to_yaml(&tree);
        let again = crate::profile::node::parse("t", written.as_bytes())
            .unwrap_or_else(|e| panic!("{e}\n{written}"))
            .unwrap();
        assert_eq!(strip(&again), strip(&tree), "written:\n{written}");
    }

    /// The tree without locations, as (text, resolved kind) for comparison.
    fn strip(n: &Node) -> String {
        match &n.value {
            Value::Scalar { text, .. } => format!("{:?}", (text, n.type_name())),
            Value::Seq(items) => format!(
                "[{}]",
                items.iter().map(strip).collect::<Vec<_>>().join(",")
            ),
            Value::Map(e) => format!(
                "{{{}}}",
                e.iter()
                    .map(|(k, v)| format!("{:?}:{}", k.name, strip(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    #[test]
    fn scalars_keep_their_types_and_text() {
        round_trip(
            "a: 1\nb: '1'\nc: yes\nd: true\ne: ~\nf:\ng: 0x1F\nh: 1.5\ni: 'null'\n\"x: y\": '#z'\n",
        );
    }

    #[test]
    fn nested_lists_maps_and_blocks() {
        round_trip("l:\n  - {name: a, port: 1}\n  - [x, [y]]\n  - {}\n  - []\nm: {}\ns: |\n  line one\n\n    indented\n  end\nt: \"trailing \\n\"\nu: \"two\\n\\n\"\nv: \" lead\\nx\\n\"\nw: \"tab\\tx\\ny\\n\"\n");
    }
}
