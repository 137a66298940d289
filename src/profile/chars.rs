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

/// Checks every key and string of the tree, merged layers included. Secret values are
/// skipped: they are base64-encoded into the Secret, so any character is fine there.
pub fn check_tree(node: &Node, path: &str) -> Result<(), LoadError> {
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
            .try_for_each(|(i, item)| check_tree(item, &format!("{path}[{i}]"))),
        Value::Map(entries) => entries.iter().try_for_each(|(key, value)| {
            let child = join_key(path, &key.name);
            if let Some(message) = check_text(&key.name) {
                return Err(LoadError::new(key.loc.clone(), format!("key {message}"))
                    .with_kind(super::error::ErrorKind::Value)
                    .with_path(path));
            }
            check_tree(value, &child)
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
}
