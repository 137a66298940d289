//! A located parser for the YAML that profiles are written in.
//!
//! Profiles use a narrow part of YAML: block mappings and sequences indented with spaces,
//! plain, quoted and `|`/`|-` literal scalars, comments, and one-line flow collections
//! (`{name: mysql, port: 3306}`). The general parser (granit-parser, through
//! [`super::node::parse`]) was a fifth of a whole render's instructions on the bundled
//! MySQL profile. [`parse`] reads exactly that subset, with the same nodes and locations
//! the general parser gives, and declines (returns `None`) on anything else: anchors,
//! aliases, tags, directives, document markers, tabs, carriage returns, multi-line plain or
//! flow scalars, folded or `|+` scalars, escapes other than the common ones, duplicate or
//! merge keys, and every error. The caller then runs the general parser, which also writes
//! the error messages; so this parser never has to. Debug builds compare both parsers on
//! every profile they load (so every test and the fuzzer check the agreement).

use std::sync::Arc;

use super::node::{Key, Loc, Node, Value, MAX_DEPTH, MAX_NODES};

/// Parses `text` (already checked to be UTF-8 without NUL, BOM removed) when it is inside
/// the subset; `None` means "use the general parser".
pub fn parse(file: &Arc<str>, text: &str) -> Option<Node> {
    let ascii_ok = |b: &u8| matches!(b, b'\n' | b'\t' | b' '..=b'~');
    if !text.ends_with('\n') || !(text.bytes().all(|b| ascii_ok(&b)) || text.chars().all(allowed)) {
        return None;
    }
    let lines: Vec<Line> = text[..text.len() - 1].split('\n').map(Line::new).collect();
    let mut parser = Parser {
        file,
        lines,
        at: 0,
        nodes: 0,
    };
    parser.skip_blank();
    let first = parser.lines.get(parser.at)?;
    if first.indent != 0 || first.tabbed {
        return None;
    }
    let root = parser.block_map(0, 0, 0)?;
    parser.skip_blank();
    (parser.at == parser.lines.len()).then_some(root)
}

/// Characters this parser accepts anywhere; the rest (controls, line and byte-order marks
/// YAML treats specially, non-characters) are left to the general parser.
fn allowed(c: char) -> bool {
    match c {
        '\n' | '\t' | ' '..='~' => true,
        '\u{0}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    }
}

/// One line of the text, without its newline.
struct Line<'a> {
    text: &'a str,
    /// Leading spaces.
    indent: usize,
    /// Only spaces, or spaces and a comment.
    blank: bool,
    /// Has a tab: only a block scalar's content may.
    tabbed: bool,
    /// ASCII only: columns are byte offsets.
    ascii: bool,
}

impl<'a> Line<'a> {
    fn new(text: &'a str) -> Self {
        let indent = text.bytes().take_while(|&b| b == b' ').count();
        let rest = &text.as_bytes()[indent..];
        Line {
            text,
            indent,
            blank: rest.is_empty() || rest[0] == b'#',
            tabbed: rest.contains(&b'\t'),
            ascii: text.is_ascii(),
        }
    }
}

struct Parser<'f, 'a> {
    file: &'f Arc<str>,
    lines: Vec<Line<'a>>,
    /// The line being read.
    at: usize,
    nodes: usize,
}

/// Where a value starts: line index and byte offset in that line.
#[derive(Clone, Copy)]
struct Pos {
    line: usize,
    byte: usize,
}

impl<'f, 'a> Parser<'f, 'a> {
    fn loc(&self, pos: Pos) -> Loc {
        let line = &self.lines[pos.line];
        let col = if line.ascii {
            pos.byte
        } else {
            line.text[..pos.byte].chars().count()
        };
        Loc {
            file: self.file.clone(),
            line: pos.line + 1,
            col: col + 1,
        }
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// Moves past blank and comment lines.
    fn skip_blank(&mut self) {
        while self
            .lines
            .get(self.at)
            .is_some_and(|l| l.blank && !l.tabbed)
        {
            self.at += 1;
        }
    }

    /// The next line that holds content, if it is not tabbed (tabs decline).
    fn next_content(&mut self) -> Option<Option<&Line<'a>>> {
        self.skip_blank();
        match self.lines.get(self.at) {
            None => Some(None),
            Some(l) if l.tabbed => None,
            Some(l) => Some(Some(l)),
        }
    }

    /// A block mapping whose keys are at column `indent`; its first key is on the current
    /// line at byte `first`. `depth` is its nesting level.
    fn block_map(&mut self, indent: usize, first: usize, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH - 2 {
            return None;
        }
        self.count()?;
        let loc = self.loc(Pos {
            line: self.at,
            byte: first,
        });
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut byte = first;
        loop {
            let line = self.at;
            let text = self.lines[line].text;
            let (name, after) = key(text, byte)?;
            if name == "<<" || entries.iter().any(|(k, _)| k.name == name) {
                return None;
            }
            self.count()?;
            let key = Key {
                name,
                loc: self.loc(Pos { line, byte }),
            };
            // `after` is just past the colon.
            let value = self.value_after_key(
                indent,
                Pos {
                    line,
                    byte: after - 1,
                },
                depth,
            )?;
            entries.push((key, value));
            match self.next_content()? {
                Some(next) if next.indent == indent => {
                    if next.text.as_bytes()[indent] == b'-' {
                        // A sequence where a key belongs: an error, or an indentless
                        // sequence the value above did not take.
                        return None;
                    }
                    byte = indent;
                }
                Some(next) if next.indent > indent => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::Map(entries),
            loc,
        })
    }

    /// The value of a key whose colon is at `colon`, in a mapping at column `indent`.
    fn value_after_key(&mut self, indent: usize, colon: Pos, depth: usize) -> Option<Node> {
        let text = self.lines[colon.line].text;
        let rest = colon.byte + 1;
        let start = rest + spaces(&text[rest..]);
        if start == text.len() || text.as_bytes()[start] == b'#' {
            if start > rest || start == text.len() {
                return self.nested_or_null(indent, colon, depth, true);
            }
            return None;
        }
        if start == rest {
            return None;
        }
        self.inline_value(
            indent,
            Pos {
                line: colon.line,
                byte: start,
            },
            depth,
        )
    }

    /// What follows a key or dash with nothing after it on its line: a more indented
    /// block, an indentless sequence (for a key), or null.
    fn nested_or_null(
        &mut self,
        indent: usize,
        at: Pos,
        depth: usize,
        for_key: bool,
    ) -> Option<Node> {
        self.at = at.line + 1;
        let next = self.next_content()?;
        match next {
            Some(next) if next.indent > indent => {
                let col = next.indent;
                let starts_seq = is_dash(next.text, col);
                if starts_seq {
                    self.block_seq(col, false, depth + 1)
                } else {
                    self.block_map(col, col, depth + 1)
                }
            }
            Some(next) if for_key && next.indent == indent && is_dash(next.text, indent) => {
                self.block_seq(indent, true, depth + 1)
            }
            _ if for_key => {
                self.count()?;
                Some(Node {
                    value: Value::Scalar {
                        text: "~".into(),
                        plain: true,
                    },
                    loc: self.loc(at),
                })
            }
            _ => None,
        }
    }

    /// A block sequence whose dashes are at column `indent`, starting on the current line.
    /// An indentless one (under a key at the same column) is located at its first item's
    /// content, an indented one at its first dash, as the general parser does.
    fn block_seq(&mut self, indent: usize, indentless: bool, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH - 2 {
            return None;
        }
        self.count()?;
        let mut items = Vec::new();
        let mut loc = None;
        loop {
            let line = self.at;
            let text = self.lines[line].text;
            let after_dash = indent + 1;
            let gap = spaces(&text[after_dash..]);
            let start = after_dash + gap;
            if gap == 0 || start == text.len() || text.as_bytes()[start] == b'#' {
                // `-` alone on its line, or `-x`: left to the general parser.
                return None;
            }
            if loc.is_none() {
                let byte = if indentless { start } else { indent };
                loc = Some(self.loc(Pos { line, byte }));
            }
            let item = if is_dash(text, start) {
                return None;
            } else if key(text, start).is_some() {
                self.block_map(start, start, depth + 1)?
            } else {
                self.inline_value(indent, Pos { line, byte: start }, depth)?
            };
            items.push(item);
            match self.next_content()? {
                Some(next) if next.indent == indent && is_dash(next.text, indent) => {}
                Some(next) if next.indent > indent => return None,
                // A line at the dashes' column that is not an item ends an indentless
                // sequence (its mapping goes on) and is an error after an indented one.
                Some(next) if next.indent == indent && !indentless => return None,
                _ => break,
            }
        }
        Some(Node {
            value: Value::Seq(items),
            loc: loc?,
        })
    }

    /// A value that starts on its line at `at` (after `key: ` or `- `) in a collection at
    /// column `indent`. Leaves `self.at` on the line after the value.
    fn inline_value(&mut self, indent: usize, at: Pos, depth: usize) -> Option<Node> {
        let text = self.lines[at.line].text;
        let bytes = text.as_bytes();
        let (value, end) = match bytes[at.byte] {
            b'|' | b'>' => return self.block_scalar(indent, at),
            b'[' | b'{' => {
                let mut flow = Flow {
                    parser: self,
                    line: at.line,
                    text,
                    pos: at.byte,
                    depth,
                };
                let node = flow.collection()?;
                (node, flow.pos)
            }
            b'"' | b'\'' => {
                let (scalar, end) = quoted(text, at.byte)?;
                (self.scalar(scalar, false, at)?, end)
            }
            _ => {
                let (scalar, end) = plain_block(text, at.byte)?;
                (self.scalar(scalar.to_string(), true, at)?, end)
            }
        };
        if !line_ends(&text[end..]) {
            return None;
        }
        self.at = at.line + 1;
        Some(value)
    }

    fn scalar(&mut self, text: String, plain: bool, at: Pos) -> Option<Node> {
        self.count()?;
        Some(Node {
            value: Value::Scalar { text, plain },
            loc: self.loc(at),
        })
    }

    /// A `|`, `|-`, `>` or `>-` block scalar whose indicator is at `at`, in a collection at
    /// column `indent`; located at its first content line, as the general parser does.
    /// Folded scalars with more-indented lines (which keep their line breaks) decline.
    fn block_scalar(&mut self, indent: usize, at: Pos) -> Option<Node> {
        let text = self.lines[at.line].text;
        let folded = text.as_bytes()[at.byte] == b'>';
        let mut header = at.byte + 1;
        let strip = text.as_bytes().get(header) == Some(&b'-');
        if strip {
            header += 1;
        }
        let rest = &text[header..];
        let gap = spaces(rest);
        if !(rest.len() == gap || (gap > 0 && rest.as_bytes()[gap] == b'#')) {
            // `|+`, `|2`, `>` and the like.
            return None;
        }
        let first = at.line + 1;
        let content = self.lines.get(first)?;
        if content.indent <= indent || content.indent == content.text.len() {
            // Empty, or leading blank lines: left to the general parser.
            return None;
        }
        let width = content.indent;
        let mut out = String::new();
        let mut pending_newlines = 0;
        let mut line = first;
        while let Some(l) = self.lines.get(line) {
            let bytes = l.text.as_bytes();
            if l.indent == l.text.len() {
                if l.indent > width {
                    return None;
                }
                pending_newlines += 1;
            } else if l.indent >= width {
                if bytes[..width].contains(&b'\t') {
                    return None;
                }
                let content = &l.text[width..];
                if folded && content.starts_with([' ', '\t']) {
                    return None;
                }
                if line > first {
                    if folded && pending_newlines == 0 {
                        out.push(' ');
                    } else if !folded {
                        pending_newlines += 1;
                    }
                }
                for _ in 0..pending_newlines {
                    out.push('\n');
                }
                pending_newlines = 0;
                out.push_str(content);
            } else if l.text[l.indent..].starts_with('\t') {
                return None;
            } else {
                break;
            }
            line += 1;
        }
        if !strip {
            out.push('\n');
        }
        self.at = line;
        self.scalar(
            out,
            false,
            Pos {
                line: first,
                byte: width,
            },
        )
    }
}

/// A one-line flow collection, read from `pos`.
struct Flow<'p, 'f, 'a> {
    parser: &'p mut Parser<'f, 'a>,
    line: usize,
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Flow<'_, '_, '_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        self.pos += spaces(&self.text[self.pos..]);
    }

    fn here(&self) -> Pos {
        Pos {
            line: self.line,
            byte: self.pos,
        }
    }

    /// `[...]` or `{...}` at `pos`.
    fn collection(&mut self) -> Option<Node> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH - 2 {
            return None;
        }
        self.parser.count()?;
        let loc = self.parser.loc(self.here());
        let open = self.peek()?;
        self.pos += 1;
        let close = if open == b'[' { b']' } else { b'}' };
        let mut items = Vec::new();
        let mut entries: Vec<(Key, Node)> = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                if open == b'{' {
                    let key_at = self.here();
                    let key = self.scalar(true)?;
                    let Value::Scalar { text: name, .. } = key.value else {
                        return None;
                    };
                    if name == "<<" || entries.iter().any(|(k, _)| k.name == name) {
                        return None;
                    }
                    // A quoted key may be followed by its colon directly.
                    if self.peek() != Some(b':') {
                        return None;
                    }
                    self.pos += 1;
                    if self.peek() != Some(b' ') {
                        return None;
                    }
                    self.skip_spaces();
                    let value = self.item()?;
                    entries.push((
                        Key {
                            name,
                            loc: self.parser.loc(key_at),
                        },
                        value,
                    ));
                } else {
                    items.push(self.item()?);
                }
                self.skip_spaces();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.skip_spaces();
                        // A trailing comma, or an empty entry: left to the general parser.
                        if matches!(self.peek(), Some(b',' | b']' | b'}') | None) {
                            return None;
                        }
                    }
                    c if c == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let value = if open == b'[' {
            Value::Seq(items)
        } else {
            Value::Map(entries)
        };
        Some(Node { value, loc })
    }

    /// An entry: a nested collection or a scalar (not followed by `:`, which would make
    /// a pair in a sequence or a complex key).
    fn item(&mut self) -> Option<Node> {
        let node = match self.peek()? {
            b'[' | b'{' => self.collection()?,
            _ => self.scalar(false)?,
        };
        self.skip_spaces();
        (self.peek() != Some(b':')).then_some(node)
    }

    /// A quoted or plain scalar at `pos`; a plain key stops before its `: `.
    fn scalar(&mut self, is_key: bool) -> Option<Node> {
        let at = self.here();
        let bytes = self.text.as_bytes();
        match *bytes.get(self.pos)? {
            b'"' | b'\'' => {
                let (text, end) = quoted(self.text, self.pos)?;
                self.pos = end;
                self.parser.scalar(text, false, at)
            }
            first => {
                if !plain_start(first, bytes.get(self.pos + 1).copied(), true) {
                    return None;
                }
                let start = self.pos;
                let mut end = start;
                let mut i = start;
                while i < bytes.len() {
                    match bytes[i] {
                        b',' | b']' | b'}' => break,
                        b'[' | b'{' => return None,
                        b':' => match bytes.get(i + 1) {
                            Some(b' ') if is_key => break,
                            Some(b' ' | b',' | b']' | b'}') | None => return None,
                            _ => {}
                        },
                        b'#' if bytes[i - 1] == b' ' => return None,
                        b' ' => {
                            i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    i += 1;
                    end = i;
                }
                self.pos = i;
                let text = self.text[start..end].to_string();
                self.parser.scalar(text, true, at)
            }
        }
    }
}

/// Leading spaces of `s`.
fn spaces(s: &str) -> usize {
    s.bytes().take_while(|&b| b == b' ').count()
}

/// Nothing but spaces and perhaps a comment until the end of the line.
fn line_ends(rest: &str) -> bool {
    let gap = spaces(rest);
    gap == rest.len() || (gap > 0 && rest.as_bytes()[gap] == b'#')
}

/// A `-` entry indicator at byte `at`: followed by a space or the end of the line.
fn is_dash(text: &str, at: usize) -> bool {
    let b = text.as_bytes();
    b.get(at) == Some(&b'-') && matches!(b.get(at + 1), Some(b' ') | None)
}

/// Whether a plain scalar may start with `first` (followed by `next`).
fn plain_start(first: u8, next: Option<u8>, flow: bool) -> bool {
    match first {
        b'-' => match next {
            None | Some(b' ') => false,
            Some(b',' | b'[' | b']' | b'{' | b'}') => !flow,
            Some(_) => true,
        },
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' => false,
        _ => true,
    }
}

/// A mapping key at byte `at` of `text`: a plain word or a quoted scalar, then `:` and a
/// space or the end of the line. Returns the key and the byte after the colon.
fn key(text: &str, at: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let (name, colon) = match bytes.get(at)? {
        b'"' | b'\'' => quoted(text, at)?,
        &first => {
            if !plain_start(first, bytes.get(at + 1).copied(), false) {
                return None;
            }
            let len = bytes[at..]
                .iter()
                .take_while(|&&b| {
                    b.is_ascii_graphic()
                        && !matches!(
                            b,
                            b':' | b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'"' | b'\''
                        )
                })
                .count();
            if len == 0 {
                return None;
            }
            (text[at..at + len].to_string(), at + len)
        }
    };
    if bytes.get(colon) != Some(&b':') || !matches!(bytes.get(colon + 1), Some(b' ') | None) {
        return None;
    }
    Some((name, colon + 1))
}

/// A one-line plain scalar in block context at byte `at`: it ends at a comment or the end
/// of the line. Declines text YAML would read as a mapping or an indicator.
fn plain_block(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if !plain_start(bytes[at], bytes.get(at + 1).copied(), false) {
        return None;
    }
    let mut end = bytes.len();
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'#' if bytes[i - 1] == b' ' => {
                end = i;
                break;
            }
            b':' if matches!(bytes.get(i + 1), Some(b' ') | None) => return None,
            _ => {}
        }
        i += 1;
    }
    let value = text[at..end].trim_end_matches(' ');
    Some((value, at + value.len()))
}

/// A quoted scalar on one line starting at byte `at` (its quote); returns the value and
/// the byte after the closing quote. Double-quoted escapes other than the common ones
/// decline.
fn quoted(text: &str, at: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let quote = bytes[at];
    let mut out = String::new();
    let mut i = at + 1;
    let mut run = i;
    while i < bytes.len() {
        let b = bytes[i];
        if b == quote {
            out.push_str(&text[run..i]);
            if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                out.push('\'');
                i += 2;
                run = i;
                continue;
            }
            return Some((out, i + 1));
        }
        if quote == b'"' && b == b'\\' {
            out.push_str(&text[run..i]);
            let escaped = match bytes.get(i + 1)? {
                b'\\' => '\\',
                b'"' => '"',
                b'/' => '/',
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'0' => '\0',
                _ => return None,
            };
            out.push(escaped);
            i += 2;
            run = i;
            continue;
        }
        i += 1;
    }
    // No closing quote on this line: a multi-line scalar (or an error).
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(text: &str) -> Option<Node> {
        super::super::node::parse_general(&Arc::from("t.yaml"), text)
            .ok()
            .flatten()
    }

    fn subset(text: &str) -> Option<Node> {
        parse(&Arc::from("t.yaml"), text)
    }

    /// Every bundled profile (and so every preset) is inside the subset and parses to the
    /// same located tree as with the general parser.
    #[test]
    fn bundled_profiles_take_the_subset_path() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let fast = subset(&text);
            assert!(fast.is_some(), "{} is outside the subset", path.display());
            assert_eq!(fast, general(&text), "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 10);
    }

    /// Text the subset must leave to the general parser (which accepts it or reports the
    /// error).
    #[test]
    fn declines_outside_the_subset() {
        let outside = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "a:\n\tb: 1\n",
            "a: 1\r\nb: 2\r\n",
            "a: 1",
            "a: b\n  c\n",
            "a: \"b\n  c\"\n",
            "a: [b,\n  c]\n",
            "a: |+\n  x\n",
            "a: |2\n   x\n",
            "a: >\n  x\n    y\n",
            "a: |\n\n  x\n",
            "a: |\nb: 1\n",
            "a: \"\\x41\"\n",
            "a: 1\na: 2\n",
            "<<: {a: 1}\n",
            "a: {b: 1, b: 2}\n",
            "a: [1, 2,]\n",
            "a: [1, , 2]\n",
            "a: {b}\n",
            "a: [b: c]\n",
            "? a\n: 1\n",
            "a: b: c\n",
            "a b: 1\n",
            "- a\n",
            "a\n",
            "# only a comment\n",
            "a:\n  - b\n  c: 1\n",
            "a:\n-\n  b: 1\n",
            "a: 1\n b: 2\n",
            "a: x\u{85}y\n",
            "a: x\u{2028}y\n",
            "a: \u{7f}\n",
            "a: - b\n",
            "a: {\n",
            "a: {b: 1,\n",
            "a: {b: \n",
            "a: [\n",
            "a: [b,\n",
            "a: {\"b\": 1\n",
        ];
        for text in outside {
            assert_eq!(subset(text), None, "{text:?}");
        }
    }

    /// Values the subset reads, checked against the general parser node for node.
    #[test]
    fn agrees_on_each_construct() {
        let inside = [
            "a: 1\nb:\nc:   x y   # com\n",
            "d:\n  e: \"q\\\"x\\n\\t\\\\\"\n  f: 'it''s'\n",
            "g:\n- 1\n- name: z\n  k: v\n-   m: n\n",
            "h: [a, 'b', {x: 1, y: []}, -c, \"d\"]\n",
            "i: |\n  line1\n\n  line2\n   more\nj: |-\n  t\n\nk: {}\n",
            "l: >-\n  folded\n  words\n\n  para\nm: >\n  one\n",
            "n:    # comment\n  - x\n  - |\n    lit\n  - {a: b}\n",
            "o: x#y\np: http://h:1/x\nq: -1\nr: a,b [c] {d}\n",
            "\"quoted key\": 1\n'single': 2\n",
            "s: é 日本\nt: [é, 'ü']\n# tail comment\n",
            "u:\n    deep:\n        deeper: 1\n    back: 2\nv: ~\n",
            "w: |\n    # not a comment\n    x: y\n  # a comment\nz: 1\n",
        ];
        for text in inside {
            let fast = subset(text);
            assert!(fast.is_some(), "{text:?} should be inside the subset");
            assert_eq!(fast, general(text), "{text:?}");
        }
    }

    /// Random documents built from tricky scalars, keys, styles, indents, comments and
    /// blank lines: whenever the subset accepts one, the general parser accepts it too and
    /// gives the same located tree; and a good share of them is accepted.
    #[test]
    fn agrees_with_the_general_parser_on_random_documents() {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(3000u64);
        let (mut accepted, mut valid) = (0, 0);
        for seed in 0..cases {
            let text = random_document(seed);
            valid += usize::from(general(&text).is_some());
            if let Some(fast) = subset(&text) {
                accepted += 1;
                assert_eq!(Some(fast), general(&text), "seed {seed}:\n{text}");
            }
        }
        assert!(
            accepted * 2 > valid,
            "only {accepted} of {valid} valid documents (of {cases}) accepted"
        );
    }

    /// Every prefix and a few thousand byte edits of every bundled profile: no panic, and
    /// agreement whenever the subset accepts (the loader's own fuzzing in miniature).
    #[test]
    fn cut_and_edited_profiles_never_panic_and_agree() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles");
        let mut rng = Rng(7);
        let edits: &[&str] = &[
            "", " ", "\n", ":", "- ", "{", "[", "}", "]", "\"", "'", "#", "|", ">", "\t", "é", ",",
            "&a", "*a", "!",
        ];
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let mut cases: Vec<String> = (0..text.len())
                .filter(|&i| text.is_char_boundary(i))
                .step_by(7)
                .map(|i| text[..i].to_string())
                .collect();
            for _ in 0..300 {
                let mut at = rng.below(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut edited = text.clone();
                edited.insert_str(at, rng.pick(edits));
                cases.push(edited);
            }
            for case in cases {
                if let Some(fast) = subset(&case) {
                    assert_eq!(Some(fast), general(&case), "{case}");
                }
            }
        }
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // SplitMix64.
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
    }

    const WORDS: &[&str] = &[
        "a",
        "b c",
        "x#y",
        "-1",
        "-c",
        "http://x:1",
        "yes",
        "~",
        "null",
        "it's",
        "q\"x",
        "é",
        "日本",
        "0x1f",
        "1.5",
        "a,b",
        "a  b",
        "x:y",
        "--",
        "word",
    ];
    const TRICKY_WORDS: &[&str] = &[
        "a #b", "a: b", "a:", "[x]", "{x}", ",", "é", "日本", "\\", "0x1f", "1.5", "", "&a", "*a",
        "!t", "%", "@", "`", "?", ":", "- ", ">", "|", "a,b", "#", "'", "\"", "a  b", " lead",
        "trail ", "x:y", "--", "---", "...", "a\tb",
    ];
    const KEYS: &[&str] = &[
        "a",
        "b",
        "c",
        "d",
        "name",
        "app.kubernetes.io/name",
        "x-y",
        "A_B",
        "1",
        "-k",
        "\"q k\"",
        "'s'",
    ];
    const TRICKY_KEYS: &[&str] = &["k k", "<<", "é", "a:b", "?", "a", "\"a\"", "[a]"];
    const LINES: &[&str] = &[
        "line",
        "  indented",
        "# hash",
        "",
        "x: y",
        "- item",
        "\ttab",
        "end ",
        "a  b",
    ];

    fn random_document(seed: u64) -> String {
        let mut rng = Rng(seed);
        let mut out = String::new();
        if rng.chance(30) {
            out.push_str("# header\n");
        }
        let step = [1, 2, 2, 4][rng.below(4)];
        block_map(&mut rng, &mut out, 0, step, 0);
        if rng.chance(10) {
            out.push_str("\n# trailer");
        }
        if rng.chance(95) && !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    fn filler(rng: &mut Rng, out: &mut String, indent: usize) {
        match rng.below(12) {
            0 => out.push('\n'),
            1 => {
                out.push_str(&" ".repeat(indent));
                out.push_str("# note\n");
            }
            2 => out.push_str("   \n"),
            _ => {}
        }
    }

    fn key(rng: &mut Rng) -> &'static str {
        if rng.chance(5) {
            rng.pick(TRICKY_KEYS)
        } else {
            rng.pick(KEYS)
        }
    }

    fn scalar(rng: &mut Rng) -> String {
        let word = if rng.chance(8) {
            rng.pick(TRICKY_WORDS)
        } else {
            rng.pick(WORDS)
        };
        match rng.below(5) {
            0 => format!("'{}'", word.replace('\'', "''")),
            1 => format!(
                "\"{}\"",
                word.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\t', "\\t")
            ),
            _ => word.to_string(),
        }
    }

    fn flow(rng: &mut Rng, depth: usize) -> String {
        let n = rng.below(4);
        let map = rng.chance(50);
        let mut parts = Vec::new();
        for _ in 0..n {
            let value = if depth < 2 && rng.chance(25) {
                flow(rng, depth + 1)
            } else {
                scalar(rng)
            };
            if map {
                parts.push(format!("{}: {}", key(rng), value));
            } else {
                parts.push(value);
            }
        }
        let sep = if rng.chance(80) { ", " } else { "," };
        let body = parts.join(sep);
        let pad = if rng.chance(20) { " " } else { "" };
        if map {
            format!("{{{pad}{body}{pad}}}")
        } else {
            format!("[{pad}{body}{pad}]")
        }
    }

    /// What follows `key:` or `- `: an inline value with its newline, or a nested block.
    fn value(
        rng: &mut Rng,
        out: &mut String,
        indent: usize,
        step: usize,
        depth: usize,
        in_seq: bool,
    ) {
        let choice = if depth >= 3 {
            rng.below(4)
        } else {
            rng.below(8)
        };
        match choice {
            0 | 1 => {
                out.push(' ');
                out.push_str(&scalar(rng));
                if rng.chance(15) {
                    out.push_str(" # c");
                }
                out.push('\n');
            }
            2 => {
                out.push(' ');
                out.push_str(&flow(rng, 0));
                out.push('\n');
            }
            3 => {
                out.push(' ');
                out.push_str(rng.pick(&["|", "|-", ">", ">-", "|+", "| # c"]));
                out.push('\n');
                let width = indent + step + rng.below(2);
                for _ in 0..1 + rng.below(4) {
                    let line = rng.pick(LINES);
                    if !line.is_empty() {
                        out.push_str(&" ".repeat(width));
                    }
                    out.push_str(line);
                    out.push('\n');
                }
            }
            4 | 5 => {
                if rng.chance(20) {
                    out.push_str(" # c");
                }
                out.push('\n');
                block_map(rng, out, indent + step, step, depth + 1);
            }
            6 => {
                out.push('\n');
                let at = if !in_seq && rng.chance(40) {
                    indent
                } else {
                    indent + step
                };
                block_seq(rng, out, at, step, depth + 1);
            }
            _ => out.push('\n'),
        }
    }

    fn block_map(rng: &mut Rng, out: &mut String, indent: usize, step: usize, depth: usize) {
        for _ in 0..1 + rng.below(4) {
            filler(rng, out, indent);
            out.push_str(&" ".repeat(indent));
            out.push_str(key(rng));
            out.push(':');
            value(rng, out, indent, step, depth, false);
        }
    }

    fn block_seq(rng: &mut Rng, out: &mut String, indent: usize, step: usize, depth: usize) {
        for _ in 0..1 + rng.below(3) {
            filler(rng, out, indent);
            out.push_str(&" ".repeat(indent));
            out.push('-');
            let gap = 1 + rng.below(2) * rng.below(3);
            if rng.chance(30) && depth < 3 {
                out.push_str(&" ".repeat(gap));
                // A compact mapping: its keys line up after the dash.
                let keys = indent + 1 + gap;
                let mut first = true;
                for _ in 0..1 + rng.below(3) {
                    if !first {
                        out.push_str(&" ".repeat(keys));
                    }
                    first = false;
                    out.push_str(key(rng));
                    out.push(':');
                    value(rng, out, keys, step, depth + 1, false);
                }
            } else {
                value(rng, out, indent, step, depth, true);
            }
        }
    }
}
