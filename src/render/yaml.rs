//! Parsing the YAML text that templates produce.
//!
//! Template output is a narrow kind of YAML: block mappings and sequences indented with
//! spaces, keys that are plain words, and values that are either JSON from `tojson`, short
//! one-line flow collections (`{cpu: 50m}`) or plain words and integers. A general YAML
//! parser spends most of a render on it (callgrind: 42-61% of all instructions), so
//! [`parse_documents`] first tries [`parse_subset`], a line-based parser for exactly that
//! subset, and hands the text to serde-saphyr whenever the subset parser meets anything
//! else: anchors, tags, block scalars, single quotes, multi-line scalars or flows, floats,
//! words YAML 1.1 reads as booleans, duplicate keys, tabs, characters YAML does not allow.
//! Both parsers give the same values for the subset; debug builds check that on every
//! render (so every test and the fuzzer compare them).

use serde_json::{Map, Number, Value as Json};

use crate::shared::error::{Error, ErrorKind};
use crate::yaml_scalar::{plain_key, special_word};

/// Parses a multi-document YAML stream; empty documents are left out.
pub fn parse_documents(text: &str) -> Result<Vec<Json>, Error> {
    if let Some(docs) = parse_subset_parallel(text) {
        #[cfg(debug_assertions)]
        {
            let full = parse_full(text);
            assert_eq!(
                full.as_ref().ok(),
                Some(&docs),
                "the subset YAML parser disagrees with serde-saphyr on:\n{text}"
            );
        }
        return Ok(docs);
    }
    parse_full(text)
}

/// The general parser (serde-saphyr), for text outside the subset.
pub fn parse_full(text: &str) -> Result<Vec<Json>, Error> {
    // One document per local PV: the budget follows the model's replica cap.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 2 * crate::model::MAX_REPLICAS as usize + 100,
            max_nodes: 2_000_000,
            max_events: 8_000_000,
        },
    };
    let values: Vec<Json> = serde_saphyr::from_str_multiple_with_options(text, options)
        .map_err(|e| Error::of(ErrorKind::Syntax, e.to_string()))?;
    Ok(values.into_iter().filter(|v| !v.is_null()).collect())
}

/// [`parse_subset`] of a long text (a thousand PersistentVolumes) split at document
/// markers into one piece per core. A `---` line at the start of a line ends any YAML
/// document, so the pieces parse independently.
fn parse_subset_parallel(text: &str) -> Option<Vec<Json>> {
    const PIECE: usize = 64 * 1024;
    // Length first: reading the core count costs a handful of cgroup file reads.
    if text.len() < 2 * PIECE {
        return parse_subset(text);
    }
    let cores = crate::par::cores();
    if cores < 2 {
        return parse_subset(text);
    }
    let target = text.len().div_ceil(cores).max(PIECE);
    let pieces = split_at_markers(text, target);
    let mut docs = Vec::new();
    for part in crate::par::map_each(&pieces, |piece| parse_subset(piece)) {
        docs.extend(part?);
    }
    Some(docs)
}

/// `text` cut into pieces of at least `target` bytes, each cut just before a `---` line.
/// The search starts `target` bytes in, which may be inside a multi-byte character: it runs
/// on bytes, and a cut is always at a line start, so on a character boundary.
fn split_at_markers(text: &str, target: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while text.len() - start > target {
        match memchr::memmem::find(&text.as_bytes()[start + target..], b"\n---") {
            Some(at) => {
                let end = start + target + at + 1;
                pieces.push(&text[start..end]);
                start = end;
            }
            None => break,
        }
    }
    pieces.push(&text[start..]);
    pieces
}

/// Parses `text` when it stays inside the subset described in the module documentation;
/// `None` when it does not (which says nothing about whether it is valid YAML).
pub fn parse_subset(text: &str) -> Option<Vec<Json>> {
    let ascii_ok = crate::yaml_scalar::printable_ascii_lines(text.as_bytes());
    if !ascii_ok && !text.chars().all(allowed_char) {
        return None;
    }
    let mut docs = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    for raw in text.split('\n') {
        if let Some(rest) = raw.strip_prefix("---") {
            if !(rest.is_empty() || rest.starts_with(' ')) || !is_blank_or_comment(rest) {
                return None;
            }
            finish_document(&mut lines, &mut docs)?;
            continue;
        }
        if raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        let content = raw.trim_start_matches(' ');
        if is_blank_or_comment(content) {
            continue;
        }
        lines.push(Line {
            indent: raw.len() - content.len(),
            text: content,
        });
    }
    finish_document(&mut lines, &mut docs)?;
    Some(docs)
}

/// A non-blank, non-comment line: its indentation and what follows it.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

fn finish_document(lines: &mut Vec<Line>, docs: &mut Vec<Json>) -> Option<()> {
    if lines.is_empty() {
        return Some(());
    }
    let mut parser = Block { lines, pos: 0 };
    let root = parser.node(lines_indent(parser.lines, 0))?;
    if parser.pos != parser.lines.len() {
        return None;
    }
    if !root.is_null() {
        docs.push(root);
    }
    lines.clear();
    Some(())
}

fn lines_indent(lines: &[Line], pos: usize) -> usize {
    lines[pos].indent
}

/// Characters the subset accepts: YAML's printable set without tab, CR, BOM and
/// the non-characters, so anything unusual goes to the full parser.
fn allowed_char(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FEFE}' | '\u{FF00}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_blank_or_comment(s: &str) -> bool {
    let t = s.trim_start_matches(' ');
    t.is_empty() || t.starts_with('#')
}

fn is_seq_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

struct Block<'l, 'a> {
    lines: &'l mut [Line<'a>],
    pos: usize,
}

impl Block<'_, '_> {
    fn more_at(&self, indent: usize) -> bool {
        self.pos < self.lines.len() && self.lines[self.pos].indent == indent
    }

    fn deeper_than(&self, indent: usize) -> bool {
        self.pos < self.lines.len() && self.lines[self.pos].indent > indent
    }

    /// The node starting at the current line, which is indented by `indent`.
    fn node(&mut self, indent: usize) -> Option<Json> {
        let text = self.lines[self.pos].text;
        if is_seq_entry(text) {
            return self.sequence(indent);
        }
        if split_key(text).is_some() {
            return self.mapping(indent);
        }
        let value = inline_value(text)?;
        self.pos += 1;
        if self.deeper_than(indent) {
            return None; // a continued scalar
        }
        Some(value)
    }

    fn sequence(&mut self, indent: usize) -> Option<Json> {
        let mut items = Vec::new();
        while self.more_at(indent) && is_seq_entry(self.lines[self.pos].text) {
            let after = &self.lines[self.pos].text[1..];
            let rest = after.trim_start_matches(' ');
            if is_blank_or_comment(rest) {
                self.pos += 1;
                if self.deeper_than(indent) {
                    let inner = self.lines[self.pos].indent;
                    items.push(self.node(inner)?);
                } else {
                    items.push(Json::Null);
                }
            } else {
                // `- key: value` and `- - x`: the entry's content is a node indented to
                // where it starts on the line.
                let inner = indent + 1 + (after.len() - rest.len());
                self.lines[self.pos] = Line {
                    indent: inner,
                    text: rest,
                };
                items.push(self.node(inner)?);
            }
        }
        if self.deeper_than(indent) {
            return None;
        }
        Some(Json::Array(items))
    }

    fn mapping(&mut self, indent: usize) -> Option<Json> {
        let mut map = Map::new();
        while self.more_at(indent) {
            let (key, rest) = split_key(self.lines[self.pos].text)?;
            let rest = rest.trim_start_matches(' ');
            let value = if is_blank_or_comment(rest) {
                self.pos += 1;
                if self.deeper_than(indent) {
                    let inner = self.lines[self.pos].indent;
                    self.node(inner)?
                } else if self.more_at(indent) && is_seq_entry(self.lines[self.pos].text) {
                    self.sequence(indent)?
                } else {
                    Json::Null
                }
            } else {
                let v = inline_value(rest)?;
                self.pos += 1;
                if self.deeper_than(indent) {
                    return None;
                }
                v
            };
            if map.insert(key, value).is_some() {
                return None; // a duplicate key
            }
        }
        if self.deeper_than(indent) {
            return None;
        }
        Some(Json::Object(map))
    }
}

/// `key: rest` or `key:` with a plain-word or JSON-quoted key.
fn split_key(text: &str) -> Option<(String, &str)> {
    if text.starts_with('"') {
        let (key, end) = json_string(text)?;
        let rest = text[end..].strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest));
    }
    let colon = text.find(':')?;
    let rest = &text[colon + 1..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let key = &text[..colon];
    plain_key(key).then(|| (key.to_string(), rest))
}

/// One value that fills the rest of a line (a trailing comment allowed).
fn inline_value(text: &str) -> Option<Json> {
    let first = text.as_bytes()[0];
    let (value, end) = match first {
        b'"' => {
            let (s, end) = json_string(text)?;
            (Json::String(s), end)
        }
        b'[' | b'{' => {
            let mut flow = Flow { s: text, i: 0 };
            let v = flow.value()?;
            (v, flow.i)
        }
        _ => {
            let end = text.find(" #").unwrap_or(text.len());
            let word = text[..end].trim_end_matches(' ');
            if word.contains(": ") || word.ends_with(':') || word.contains(['{', '}', '[', ']']) {
                return None;
            }
            return plain_scalar(word);
        }
    };
    is_blank_or_comment(&text[end..]).then_some(value)
}

/// A JSON string at the start of `s` (YAML's double-quoted scalar restricted to JSON
/// escapes): its value and the byte offset after its closing quote.
fn json_string(s: &str) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    let mut i = 1;
    let mut escaped = false;
    // Only quotes and backslashes matter: skip to the next one (long strings, such as the
    // scripts and config files, are most of a template's output).
    while let Some(at) = memchr::memchr2(b'"', b'\\', bytes.get(i..)?) {
        i += at;
        if bytes[i] == b'"' {
            let token = &s[..=i];
            let value = if escaped {
                serde_json::from_str::<String>(token).ok()?
            } else {
                token[1..i].to_string()
            };
            return Some((value, i + 1));
        }
        // A backslash. \u escapes of surrogates are read differently by the two parsers.
        if bytes.get(i + 1) == Some(&b'u')
            && matches!(bytes.get(i + 2), Some(b'd' | b'D'))
            && matches!(
                bytes.get(i + 3),
                Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
            )
        {
            return None;
        }
        escaped = true;
        i += 2;
    }
    None
}

/// Resolves a plain scalar: `true`/`false`, `null`/`~`, decimal integers and words that
/// cannot be numbers; anything else (floats, octal, hex, YAML 1.1 booleans) is left to the
/// full parser.
fn plain_scalar(word: &str) -> Option<Json> {
    match word {
        "" => return None,
        "true" => return Some(Json::Bool(true)),
        "false" => return Some(Json::Bool(false)),
        "null" | "~" => return Some(Json::Null),
        _ => {}
    }
    let bytes = word.as_bytes();
    let first = bytes[0];
    if first.is_ascii_digit() || first == b'-' {
        if let Some(n) = decimal_integer(word) {
            return Some(Json::Number(n));
        }
        // `50m` and `64Mi` are words; anything made only of characters that appear in
        // some YAML number or date is left to the full parser.
        let numeric = |c: u8| c.is_ascii_hexdigit() || b"xXoObB_.:+-".contains(&c);
        if bytes.iter().all(|&c| numeric(c)) || first == b'-' {
            return None;
        }
    } else if !(first.is_ascii_alphabetic() || first == b'/' || first == b'_') {
        return None;
    }
    if special_word(word)
        || word.contains(['#', '\'', '"', ',', '`'])
        || word.contains(|c: char| !c.is_ascii() && !c.is_alphanumeric())
    {
        return None;
    }
    Some(Json::String(word.to_string()))
}

/// `0` or `-?[1-9][0-9]*` that fits in 64 bits.
fn decimal_integer(word: &str) -> Option<Number> {
    let digits = word.strip_prefix('-').unwrap_or(word);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
        || (word.starts_with('-') && digits == "0")
    {
        return None;
    }
    if word.starts_with('-') {
        word.parse::<i64>().ok().map(Number::from)
    } else {
        word.parse::<u64>().ok().map(Number::from)
    }
}

/// A one-line flow collection (JSON, or YAML flow with plain words).
struct Flow<'a> {
    s: &'a str,
    i: usize,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        while self.s.as_bytes().get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn value(&mut self) -> Option<Json> {
        self.skip_spaces();
        match self.peek()? {
            b'{' => self.mapping(),
            b'[' => self.sequence(),
            b'"' => {
                let (s, end) = json_string(&self.s[self.i..])?;
                self.i += end;
                Some(Json::String(s))
            }
            _ => {
                let rest = &self.s[self.i..];
                let end = rest
                    .find([',', '[', ']', '{', '}', ':', '#'])
                    .unwrap_or(rest.len());
                if matches!(
                    rest.as_bytes().get(end),
                    Some(b':' | b'#' | b'[' | b'{') | None
                ) {
                    return None;
                }
                self.i += end;
                plain_scalar(rest[..end].trim_end_matches(' '))
            }
        }
    }

    fn sequence(&mut self) -> Option<Json> {
        self.i += 1;
        let mut items = Vec::new();
        self.skip_spaces();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_spaces();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(Json::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn mapping(&mut self) -> Option<Json> {
        self.i += 1;
        let mut map = Map::new();
        self.skip_spaces();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(Json::Object(map));
        }
        loop {
            self.skip_spaces();
            let key = if self.peek()? == b'"' {
                let (k, end) = json_string(&self.s[self.i..])?;
                self.i += end;
                if self.peek()? != b':' {
                    return None;
                }
                self.i += 1;
                k
            } else {
                let rest = &self.s[self.i..];
                let colon = rest.find(": ")?;
                let key = &rest[..colon];
                if !plain_key(key) {
                    return None;
                }
                self.i += colon + 1;
                key.to_string()
            };
            let value = self.value()?;
            if map.insert(key, value).is_some() {
                return None; // a duplicate key
            }
            self.skip_spaces();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(Json::Object(map));
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The subset parser must take `text` and agree with serde-saphyr.
    fn same(text: &str) {
        let fast = parse_subset(text).unwrap_or_else(|| panic!("not in the subset:\n{text}"));
        let full = parse_full(text).expect("valid YAML");
        assert_eq!(fast, full, "on:\n{text}");
    }

    /// The subset parser must decline `text`.
    fn declined(text: &str) {
        assert!(parse_subset(text).is_none(), "should be declined:\n{text}");
    }

    #[test]
    fn long_text_is_cut_before_markers_even_inside_multi_byte_characters() {
        let doc = |i: usize| format!("---\nk: \"{}{i}\"\n", "é😀".repeat(10));
        let text: String = (0..200).map(doc).collect();
        // Every target, so the search starts inside characters of every width.
        for target in 1..120 {
            let pieces = split_at_markers(&text, target);
            assert_eq!(pieces.concat(), text, "target {target}");
            assert!(
                pieces[1..].iter().all(|p| p.starts_with("---\n")),
                "target {target}"
            );
            assert!(pieces.len() > 10, "target {target}");
        }
        assert_eq!(split_at_markers(&text, text.len()), [text.as_str()]);
    }

    #[test]
    fn block_structures() {
        same("a: 1\nb:\n  c: x\n  d: [1, 2]\n");
        same("---\n# c\na:\n- x\n- yy: 1\n  z: 2\n-\n  - 3\n- - 4\n  - 5\n---\nb: {}\n");
        same(
            "list:\n  - name: a\n    v: {fieldRef: {fieldPath: metadata.name}}\n  - name: b # c\n",
        );
        same("r: {cpu: 50m, memory: 64Mi}\nl: {cpu: \"1\", memory: 128Mi}\nc: [\"sh\", \"-c\", \"x\"]\n");
        same("m: {\"a\":{\"b\":[1,-2,\"c\"]},\"d\":true,\"e\":null}\n");
        same("a: \"x: y # z\" # comment\nb: ~\nc: null\nd:\ne: false\n");
        same("---\n---\na: 1\n---\n");
        same("k: None\nh: kubernetes.io/hostname\np: /data/x-1\ni: 0\nneg: -12\nbig: 18446744073709551615\n");
        same("s: \"\\u00e9\\n\\t\\\"\\\\ \\/\"\nu: \"\u{2028} é 😀\"\n");
    }

    #[test]
    fn outside_the_subset_is_declined() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  x\n",
            "a: 'x'\n",
            "a: 1.5\n",
            "a: yes\n",
            "a: On\n",
            "a: 0x1F\n",
            "a: 017\n",
            "a: 2024-01-01\n",
            "a: x\n  continued\n",
            "a: [1,\n  2]\n",
            "a: 1\na: 2\n",
            "a:\tb\n",
            "a: b\r\n",
            "? a\n: b\n",
            "--- a\n",
            "a: \"\\ud83d\\ude00\"\n",
            "a: \"\\x41\"\n",
            "yes: 1\n",
            "a: b: c\n",
            "a: {b: 1, b: 2}\n",
            "a: -x\n",
            "a: .inf\n",
            "a:\n    b: 1\n  c: 2\n",
            "\u{feff}a: 1\n",
        ] {
            declined(text);
        }
    }

    #[test]
    fn declined_text_still_parses() {
        let docs = parse_documents("a: &x 1\nb: *x\n---\nc: |\n  x\n").unwrap();
        assert_eq!(
            docs,
            vec![
                serde_json::json!({"a": 1, "b": 1}),
                serde_json::json!({"c": "x\n"})
            ]
        );
    }

    #[test]
    fn words_resolve_like_serde_saphyr() {
        for word in [
            "abc", "None", "Null", "TRUE", "True", "False", "NO", "off", "Y", "n", "~", "50m",
            "64Mi", "1Gi", "0", "-0", "00", "007", "1_000", "1e3", "0o17", "0b1", "+1", ".5", "1.",
            "1:30", "x-y", "a.b/c", "_a", "/p", "ñ", "é1",
        ] {
            let text = format!("k: {word}\n");
            let full = parse_full(&text).expect("valid YAML");
            if let Some(fast) = parse_subset(&text) {
                assert_eq!(fast, full, "on {word:?}");
            }
        }
    }
}
