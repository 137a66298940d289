//! Characters a profile string may not hold: those the YAML output cannot carry as they are.
//!
//! The templates quote every value with `tojson`, which escapes C0 controls but writes DEL,
//! the C1 controls and the noncharacters U+FFFE and U+FFFF as they are; YAML forbids them, so
//! the rendered document would not parse and the error would name a bundled template. They
//! are refused here instead, at the profile line and field path they came from.

use super::de::{is_secret_path, join_key};
use super::error::LoadError;
use super::node::{Node, Value};

/// What the character is, if a profile string may not hold it.
fn forbidden(c: char) -> Option<&'static str> {
    match c {
        '\u{7f}' => Some("the control character DEL"),
        // U+0085 (NEL) is printable in YAML.
        '\u{80}'..='\u{84}' | '\u{86}'..='\u{9f}' => Some("a C1 control character"),
        '\u{fffe}' | '\u{ffff}' => Some("the noncharacter"),
        _ => None,
    }
}

/// The first forbidden character of `text`, as an error message.
fn check_text(text: &str) -> Option<String> {
    text.chars().find_map(|c| {
        forbidden(c).map(|what| {
            format!(
                "contains {what} U+{:04X}, which the rendered YAML cannot carry; remove it",
                c as u32
            )
        })
    })
}

/// Whether `text` holds a forbidden character; all of them are outside ASCII but DEL, so
/// most text is ruled out by a byte scan.
fn has_forbidden(text: &str) -> bool {
    // `is_ascii` and `contains` scan a word and a vector at a time, not a byte.
    (!text.is_ascii() || text.as_bytes().contains(&0x7f))
        && text.chars().any(|c| forbidden(c).is_some())
}

/// Whether any key or string of the tree, Secret values included, holds a forbidden character.
fn any_forbidden(node: &Node) -> bool {
    match &node.value {
        Value::Scalar { text, .. } => has_forbidden(text),
        Value::Seq(items) => items.iter().any(any_forbidden),
        Value::Map(entries) => entries
            .iter()
            .any(|(key, value)| has_forbidden(&key.name) || any_forbidden(value)),
    }
}

/// Checks every key and string of the tree, merged layers included. Secret values are
/// skipped: they are base64-encoded into the Secret, so any character is fine there.
///
/// The field paths an error names are built only once a forbidden character is known to be
/// there: building one per node for every profile was a tenth of a mysql render.
pub fn check_tree(node: &Node, path: &str) -> Result<(), LoadError> {
    if !any_forbidden(node) {
        return Ok(());
    }
    locate(node, path)
}

fn locate(node: &Node, path: &str) -> Result<(), LoadError> {
    if is_secret_path(path) {
        return Ok(());
    }
    match &node.value {
        Value::Scalar { text, .. } => match check_text(text) {
            Some(message) => Err(LoadError::new(node.loc.clone(), message)
                .with_kind(super::error::ErrorKind::Value)
                .with_path(path)),
            None => Ok(()),
        },
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| locate(item, &format!("{path}[{i}]"))),
        Value::Map(entries) => entries.iter().try_for_each(|(key, value)| {
            let child = join_key(path, &key.name);
            if let Some(message) = check_text(&key.name) {
                return Err(LoadError::new(key.loc.clone(), format!("key {message}"))
                    .with_kind(super::error::ErrorKind::Value)
                    .with_path(path));
            }
            locate(value, &child)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_character_and_allows_printable_text() {
        assert!(check_text("tab\there, NEL \u{85}, é, 😀, \u{1}").is_none());
        let m = check_text("a\u{7f}b").unwrap();
        assert!(m.contains("DEL U+007F"), "{m}");
        assert!(check_text("\u{90}")
            .unwrap()
            .contains("C1 control character U+0090"));
        assert!(check_text("\u{fffe}")
            .unwrap()
            .contains("noncharacter U+FFFE"));
        assert!(check_text("\u{ffff}").unwrap().contains("U+FFFF"));
    }

    fn tree(yaml: &str) -> Node {
        super::super::node::parse("p.yaml", yaml.as_bytes())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_character_found_anywhere_is_located_except_in_secret_values() {
        // In a list below a map: the path is built on the way to it.
        let e = check_tree(&tree("a:\n  b: [ok, \"x\\x7fy\"]\n"), "").unwrap_err();
        assert_eq!(e.path, "a.b[1]", "{e}");
        assert!(e.to_string().contains("DEL U+007F"), "{e}");
        // In a key.
        let e = check_tree(&tree("\"k\\u0090\": 1\n"), "").unwrap_err();
        assert!(e.to_string().contains("key contains a C1"), "{e}");
        // A Secret value may hold any character (it is base64-encoded); found, then allowed.
        let secret = tree("secret:\n  data:\n    password: {value: \"p\\x7fw\"}\n");
        assert!(any_forbidden(&secret));
        assert!(check_tree(&secret, "").is_ok());
        assert!(check_tree(&tree("a: [plain, é, 😀]\n"), "").is_ok());
    }
}
