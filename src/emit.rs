//! Emit stage: checked documents → canonical text, in apply order.
//!
//! The text comes from the serializer, never from template whitespace: the same objects give
//! byte-identical output. Multi-line strings become `|` block scalars; long lines are never
//! folded; strings YAML 1.1 would read as booleans (`yes`, `on`, `y`) are quoted.

use serde_json::{json, Value as Json};

use crate::check::Doc;
use crate::yaml_scalar::{plain_key, printable_ascii_lines, special_word};

/// Sorts documents into apply order (stable within a kind, so render order is kept).
pub fn apply_order(mut docs: Vec<Doc>) -> Vec<Doc> {
    docs.sort_by_cached_key(Doc::apply_rank);
    docs
}

/// Serializes one object as a YAML document (without a leading `---`).
///
/// [`plain_document`] writes the structure directly, in serde-saphyr's layout (4-8x fewer
/// instructions: emitting was a fifth of a render), and lets serde-saphyr write only the
/// strings that need quotes or a block scalar. Documents with floats or nulls go through
/// serde-saphyr whole. Debug builds check that both give the same text.
pub fn yaml_document(value: &Json) -> String {
    if let Some(text) = plain_document(value) {
        #[cfg(debug_assertions)]
        assert_eq!(
            text,
            serde_saphyr_document(value),
            "plain_document disagrees with serde-saphyr"
        );
        return text;
    }
    serde_saphyr_document(value)
}

/// The document as serde-saphyr writes it with sts-gen's options.
pub fn serde_saphyr_document(value: &Json) -> String {
    // Serializing a serde_json::Value cannot fail: it has no non-string keys or floats
    // that YAML cannot carry.
    serde_saphyr::to_string_with_options(value, serde_saphyr_options())
        .expect("a JSON value serializes as YAML")
}

fn serde_saphyr_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
        prefer_block_scalars: true,
    }
}

/// `value` (a mapping) as block YAML when every key is a plain word and every scalar is a
/// string, an integer or a boolean; `None` otherwise. The layout is serde-saphyr's: two
/// spaces per level, sequences at their key's indentation, `- ` items with the first key
/// of a mapping on the dash line, `{}`/`[]` for empty collections. Plain words, integers,
/// booleans and digit strings are written here; other strings by serde-saphyr, one at a
/// time (see [`write_by_serializer`]).
pub fn plain_document(value: &Json) -> Option<String> {
    let mut out = String::with_capacity(1024);
    write_mapping(value.as_object()?, 0, false, &mut out)?;
    Some(out)
}

fn write_mapping(
    map: &serde_json::Map<String, Json>,
    indent: usize,
    first_on_dash_line: bool,
    out: &mut String,
) -> Option<()> {
    if map.is_empty() {
        return None;
    }
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !first_on_dash_line {
            push_indent(out, indent);
        }
        if !plain_key(key) {
            return None;
        }
        out.push_str(key);
        match value {
            Json::Object(m) if m.is_empty() => out.push_str(": {}\n"),
            Json::Array(a) if a.is_empty() => out.push_str(": []\n"),
            Json::Object(m) => {
                out.push_str(":\n");
                write_mapping(m, indent + 2, false, out)?;
            }
            Json::Array(items) => {
                out.push_str(":\n");
                write_sequence(items, indent, out)?;
            }
            Json::String(s) if !simple_string(s) => match literal_block(s) {
                Some(header) => {
                    out.push_str(": ");
                    write_literal_block(s, header, indent + 2, out);
                }
                None => {
                    out.truncate(out.len() - key.len());
                    write_by_serializer(&OneEntry(key, s), indent, out)?;
                }
            },
            scalar => {
                out.push_str(": ");
                write_scalar(scalar, out)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

fn write_sequence(items: &[Json], indent: usize, out: &mut String) -> Option<()> {
    for item in items {
        push_indent(out, indent);
        out.push_str("- ");
        match item {
            Json::Object(m) => write_mapping(m, indent + 2, true, out)?,
            Json::Array(_) => return None,
            Json::String(s) if !simple_string(s) => match literal_block(s) {
                Some(header) => write_literal_block(s, header, indent + 2, out),
                None => {
                    out.truncate(out.len() - "- ".len());
                    write_by_serializer(&[s], indent, out)?;
                }
            },
            scalar => {
                write_scalar(scalar, out)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

/// `snippet` (a one-entry mapping or a one-item sequence holding a string) written by
/// serde-saphyr at the top level, then indented by `indent` (the current line's
/// indentation is already in `out`). Quoting and block scalars depend only on the string
/// and the indentation step, so the nested text is the top-level text shifted right;
/// empty lines of a block scalar stay empty.
fn write_by_serializer(
    snippet: &impl serde::Serialize,
    indent: usize,
    out: &mut String,
) -> Option<()> {
    let text = serde_saphyr::to_string_with_options(snippet, serde_saphyr_options()).ok()?;
    let mut lines = text.split_inclusive('\n');
    out.push_str(lines.next()?);
    for line in lines {
        if line != "\n" {
            push_indent(out, indent);
        }
        out.push_str(line);
    }
    Some(())
}

/// The header of the `|` block scalar serde-saphyr writes for `s`, when `s` is a plain
/// multi-line text: printable characters and spaces (no tabs, carriage returns or other
/// control characters), no line ending in a space, a first line not starting with one, and
/// at most one final line break (`|` with it, `|-` without). Other multi-line strings are
/// left to serde-saphyr. Writing these directly saves its per-character work on the long
/// scripts of a StatefulSet (about 3% of a render's instructions).
fn literal_block(s: &str) -> Option<&'static str> {
    let (lines, header) = match s.strip_suffix('\n') {
        Some(body) => (body, "|"),
        None => (s, "|-"),
    };
    let bytes = lines.as_bytes();
    let plain = match bytes {
        [] | [b' ' | b'\n', ..] | [.., b' ' | b'\n'] => false,
        // Most texts are printable ASCII: one pass over the bytes.
        _ if printable_ascii_lines(bytes) => true,
        _ if lines.is_ascii() => false,
        _ => lines.chars().all(|c| {
            c == '\n' || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
        }),
    };
    let multi_line = header == "|" || bytes.contains(&b'\n');
    (plain && multi_line && !lines.contains(" \n")).then_some(header)
}

/// Writes `s` (accepted by [`literal_block`], which gave `header`) as a block scalar: the
/// header ends the current line, each text line follows at `indent`, empty lines stay
/// empty.
fn write_literal_block(s: &str, header: &str, indent: usize, out: &mut String) {
    out.push_str(header);
    out.push('\n');
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        if !line.is_empty() {
            push_indent(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// A mapping of one string entry, for [`write_by_serializer`].
struct OneEntry<'a>(&'a str, &'a str);

impl serde::Serialize for OneEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

/// A string [`write_scalar`] writes itself: a plain word or a digit string.
fn simple_string(s: &str) -> bool {
    plain_value(s) || is_digit_string(s)
}

fn is_digit_string(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn push_indent(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

fn write_scalar(value: &Json, out: &mut String) -> Option<()> {
    match value {
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) if n.is_i64() || n.is_u64() => out.push_str(&n.to_string()),
        Json::String(s) if plain_value(s) => out.push_str(s),
        Json::String(s) if is_digit_string(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        _ => return None,
    }
    Some(())
}

/// A string serde-saphyr writes unquoted as a value: a letter or `/` first, then letters,
/// digits and `._/-` (and `:` not followed by a space or at the end, after a letter), not
/// a word YAML 1.1 reads as something else; or a digit first and a unit-like letter
/// (`10Gi`, `50m`), which no YAML number or date has.
fn plain_value(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let word_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-');
    if first.is_ascii_alphabetic() {
        let colon_ok = |i: usize| bytes.get(i + 1).is_some_and(|&n| n != b' ');
        !special_word(s)
            && bytes
                .iter()
                .enumerate()
                .all(|(i, &b)| word_char(b) || (b == b':' && colon_ok(i)))
    } else if first == b'/' {
        bytes.iter().all(|&b| word_char(b))
    } else if first.is_ascii_digit() {
        bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.')
            && bytes
                .iter()
                .any(|&b| b.is_ascii_alphabetic() && !b"abcdefABCDEFxXoObB".contains(&b))
    } else {
        false
    }
}

/// All documents as one multi-document YAML stream.
pub fn to_yaml(docs: &[Doc]) -> String {
    let texts = crate::par::map(docs, |d| yaml_document(&d.value));
    let mut out = String::with_capacity(texts.iter().map(|t| t.len() + 4).sum());
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(text);
    }
    out
}

/// All documents as one pretty-printed `v1` `List`.
pub fn to_json(docs: &[Doc]) -> String {
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": docs.iter().map(|d| d.value.clone()).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&list).expect("a JSON value serializes");
    s.push('\n');
    s
}
