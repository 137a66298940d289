//! A YAML document as a tree of located nodes.
//!
//! Profiles are parsed into this tree (not straight into Rust types) so that presets and
//! overlays can be merged before typing, and so that every later error, even a semantic one
//! found long after parsing, can point at the file, line and column it came from.

use std::collections::HashMap;
use std::sync::Arc;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::error::LoadError;
pub use super::error::Loc;

/// Largest profile accepted, in bytes; a profile is a few kilobytes, config files included.
pub const MAX_PROFILE_BYTES: usize = 4 << 20;
/// Deepest nesting accepted; profiles need about ten levels.
pub const MAX_DEPTH: usize = 64;
/// Most nodes a document may expand to, aliases included ("billion laughs" guard).
pub const MAX_NODES: usize = 200_000;
/// Most scalar bytes (keys and values) a document may expand to, aliases included. Counting
/// nodes alone lets one alias of a 100 KB string, repeated, grow a small file into hundreds of
/// MB. Without aliases a document holds at most its own size in scalars, so 4x the largest
/// file accepted never refuses a profile that only uses aliases for ordinary sharing.
pub const MAX_EXPANDED_BYTES: usize = 4 * MAX_PROFILE_BYTES;

/// A YAML node with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Where it starts in its file.
    pub loc: Loc,
}

/// A mapping key with its location (keys are always strings in a profile).
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where the key starts in its file.
    pub loc: Loc,
}

/// The content of a node. Scalars keep their source text; they are typed only when a
/// field asks for a type, so `ordinals: 0` and `ordinals: "0"` can both be read as text.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `plain` is true for unquoted scalars, the only ones that can be null, bool or number.
    Scalar {
        /// The scalar's text as written (after YAML unescaping).
        text: String,
        /// Unquoted in the source.
        plain: bool,
        /// A `|` block scalar whose text starts on its first content line, at `loc`: line k
        /// of the text is the file's line `loc.line + k - 1`, its column c the file's
        /// `loc.col + c - 1`. False for every other style (folding, quoting and escapes
        /// move text off its file position) and for nodes made or moved by a merge.
        literal: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Key, Node)>),
}

/// What a scalar resolves to under the YAML 1.2 core schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved<'a> {
    /// `null`, `~` or empty.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A decimal, octal (`0o`) or hexadecimal (`0x`) integer.
    Int(i64),
    /// A floating-point number, `.inf` or `.nan`.
    Float(f64),
    /// Anything else, and every quoted scalar.
    Str(&'a str),
}

impl Node {
    /// Resolves a scalar by the YAML 1.2 core schema (so `yes`, `on` and `y` are strings).
    pub fn resolve(&self) -> Option<Resolved<'_>> {
        match &self.value {
            Value::Scalar {
                text, plain: false, ..
            } => Some(Resolved::Str(text)),
            Value::Scalar {
                text, plain: true, ..
            } => Some(resolve_plain(text)),
            _ => None,
        }
    }

    /// A short description of the node's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.resolve() {
            Some(Resolved::Null) => "null",
            Some(Resolved::Bool(_)) => "a boolean",
            Some(Resolved::Int(_)) => "an integer",
            Some(Resolved::Float(_)) => "a number",
            Some(Resolved::Str(_)) => "a string",
            None => match self.value {
                Value::Seq(_) => "a list",
                _ => "a mapping",
            },
        }
    }

    /// Whether the node is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Some(Resolved::Null))
    }

    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

fn resolve_plain(text: &str) -> Resolved<'_> {
    if crate::yaml_scalar::core_null(text) {
        return Resolved::Null;
    }
    if let Some(b) = crate::yaml_scalar::core_bool(text) {
        return Resolved::Bool(b);
    }
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_core_int(text) {
        return Resolved::Int(i);
    }
    if is_core_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

fn parse_core_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    None
}

fn is_core_float(text: &str) -> bool {
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let b = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// Parses one YAML document from `bytes` (named `file` in errors) into a node tree.
///
/// Rejects: non-UTF-8 input, more than one document, duplicate keys, non-scalar keys,
/// merge keys, custom tags, nesting deeper than [`MAX_DEPTH`] and expansion past [`MAX_NODES`].
/// An empty document is returned as `None`.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Option<Node>, LoadError> {
    let file: Arc<str> = Arc::from(file);
    let at = |line: usize, col: usize| Loc {
        file: file.clone(),
        line,
        col,
    };
    if bytes.len() > MAX_PROFILE_BYTES {
        return Err(LoadError::syntax(
            at(1, 1),
            format!(
                "file is {} bytes; the largest profile accepted is {} bytes",
                bytes.len(),
                MAX_PROFILE_BYTES
            ),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col_of_byte(bytes, e.valid_up_to());
            return Err(LoadError::syntax(
                at(line, col),
                "file is not UTF-8 text (is it a binary file?)",
            ));
        }
    };
    if text.contains('\0') {
        let off = text.find('\0').unwrap_or(0);
        let (line, col) = line_col_of_byte(bytes, off);
        return Err(LoadError::syntax(
            at(line, col),
            "file contains a NUL byte (is it a binary file?)",
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    parse_general(&file, text)
}

/// [`parse`] by the YAML parser (granit-parser), which also writes every YAML error message.
fn parse_general(file: &Arc<str>, text: &str) -> Result<Option<Node>, LoadError> {
    let at = |line: usize, col: usize| Loc {
        file: file.clone(),
        line,
        col,
    };
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        root: None,
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            // The parser's message may quote the character it stopped at: not inside a
            // secret value, known by where the parser is in the document.
            let loc = at(m.line(), m.col() + 1);
            match builder.secret_path() {
                Some(path) => LoadError::syntax(
                    loc,
                    "invalid YAML in a secret value (its text is not shown)",
                )
                .with_path(path),
                None => LoadError::syntax(loc, format!("invalid YAML: {}", e.info())),
            }
        })?;
        let loc = at(span.start.line(), span.start.col() + 1);
        builder.event(event, loc)?;
    }
    Ok(builder.root)
}

fn line_col_of_byte(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

/// Keys of a mapping from which duplicates are looked up in an index rather than found by
/// a scan of the keys before.
const INDEXED_FROM: usize = 16;

enum Frame {
    Seq {
        items: Vec<Node>,
        loc: Loc,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        pending_key: Option<Key>,
        /// Line of each key already in `entries` once there are [`INDEXED_FROM`], so a
        /// duplicate is found without a scan (a scan per key made a 150,000-key mapping
        /// quadratic); below that a scan is cheaper than hashing and copying every key.
        seen: Option<HashMap<String, usize>>,
        loc: Loc,
        anchor: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    /// Anchored nodes by anchor id (a later anchor of the same id replaces the earlier one),
    /// looked up per alias: a scan per alias made 90,000 anchors quadratic.
    anchors: HashMap<usize, Node>,
    nodes: usize,
    /// Scalar bytes so far, aliases expanded; see [`MAX_EXPANDED_BYTES`].
    bytes: usize,
    root: Option<Node>,
    documents: usize,
}

impl Builder {
    /// The field path of the secret value the parser is in (`secret.data.<key>`, see
    /// `de::is_secret_path`), by the keys of the mappings open now; `None` outside one.
    fn secret_path(&self) -> Option<String> {
        let key = |i: usize| match self.stack.get(i) {
            Some(Frame::Map {
                pending_key: Some(k),
                ..
            }) => Some(k.name.as_str()),
            _ => None,
        };
        // At the top, or in a node set (where `secret` is refused, but not quoted either).
        let (at, prefix) = match (key(0), self.stack.get(1)) {
            (Some("nodeSets"), Some(Frame::Seq { items, .. })) => {
                (2, format!("nodeSets[{}].", items.len()))
            }
            _ => (0, String::new()),
        };
        if key(at) != Some("secret") || key(at + 1) != Some("data") {
            return None;
        }
        key(at + 2).map(|k| crate::shared::join_key(&format!("{prefix}secret.data"), k))
    }

    fn event(&mut self, event: Event<'_>, loc: Loc) -> Result<(), LoadError> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(LoadError::syntax(
                        loc,
                        "a profile is one YAML document; found a second one (remove the `---`)",
                    ));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(tag) = &tag {
                    let core_str = tag.is_yaml_core_schema_tag("str");
                    if !core_str {
                        return Err(LoadError::syntax(
                            loc,
                            format!(
                                "YAML tag `{}{}` is not supported in a profile",
                                tag.handle(),
                                tag.suffix()
                            ),
                        ));
                    }
                }
                let plain = style == ScalarStyle::Plain && tag.is_none();
                // Leading empty lines: the scalar's position is its first line with text.
                let literal = style == ScalarStyle::Literal && !text.starts_with('\n');
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain,
                        literal,
                    },
                    loc,
                };
                self.count(1, &node.loc)?;
                if let Value::Scalar { text, .. } = &node.value {
                    self.count_bytes(text.len(), &node.loc)?;
                }
                self.finish(node, anchor)
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.reject_tag(tag.is_some(), &loc)?;
                self.open(Frame::Seq {
                    items: Vec::new(),
                    loc,
                    anchor,
                })
            }
            Event::MappingStart(_, anchor, tag) => {
                self.reject_tag(tag.is_some(), &loc)?;
                self.open(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    seen: None,
                    loc,
                    anchor,
                })
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { items, loc, anchor }) => self.finish(
                    Node {
                        value: Value::Seq(items),
                        loc,
                    },
                    anchor,
                ),
                _ => Err(LoadError::syntax(loc, "invalid YAML: unbalanced sequence")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    entries,
                    loc,
                    anchor,
                    ..
                }) => self.finish(
                    Node {
                        value: Value::Map(entries),
                        loc,
                    },
                    anchor,
                ),
                _ => Err(LoadError::syntax(loc, "invalid YAML: unbalanced mapping")),
            },
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(LoadError::syntax(
                        loc,
                        "YAML alias refers to an unknown anchor",
                    ));
                };
                let (size, bytes) = count_nodes(&node);
                // Bytes first: the error then names the cause that usually applies.
                self.count_bytes(bytes, &loc)?;
                self.count(size, &loc)?;
                self.finish(node, 0)
            }
            _ => Ok(()),
        }
    }

    fn reject_tag(&self, tagged: bool, loc: &Loc) -> Result<(), LoadError> {
        if tagged {
            return Err(LoadError::syntax(
                loc.clone(),
                "YAML tags are not supported in a profile",
            ));
        }
        Ok(())
    }

    fn count(&mut self, n: usize, loc: &Loc) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(LoadError::syntax(
                loc.clone(),
                format!(
                    "document expands to more than {MAX_NODES} nodes (too many aliases or a very large file)"
                ),
            ));
        }
        Ok(())
    }

    fn count_bytes(&mut self, n: usize, loc: &Loc) -> Result<(), LoadError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > MAX_EXPANDED_BYTES {
            return Err(LoadError::syntax(
                loc.clone(),
                format!(
                    "document expands to more than {MAX_EXPANDED_BYTES} bytes of text (an alias repeats a large value too often)"
                ),
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            let loc = match &frame {
                Frame::Seq { loc, .. } | Frame::Map { loc, .. } => loc.clone(),
            };
            return Err(LoadError::syntax(
                loc,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.count(1, &self.frame_loc(&frame))?;
        self.stack.push(frame);
        Ok(())
    }

    fn frame_loc(&self, frame: &Frame) -> Loc {
        match frame {
            Frame::Seq { loc, .. } | Frame::Map { loc, .. } => loc.clone(),
        }
    }

    /// Hands a completed node to its parent (or makes it the root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let secret = self.secret_path();
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending_key,
                seen,
                ..
            }) => match pending_key.take() {
                Some(key) => {
                    entries.push((key, node));
                    Ok(())
                }
                None => {
                    let name = match &node.value {
                        Value::Scalar { text, .. } => text.clone(),
                        _ => {
                            return Err(LoadError::syntax(
                                node.loc,
                                "mapping keys must be plain strings, not lists or mappings",
                            ))
                        }
                    };
                    if name == "<<" {
                        return Err(LoadError::syntax(
                            node.loc,
                            "YAML merge keys (`<<`) are not supported in a profile; use a preset or an overlay",
                        ));
                    }
                    if seen.is_none() && entries.len() >= INDEXED_FROM {
                        let index = entries.iter().map(|(k, _)| (k.name.clone(), k.loc.line));
                        *seen = Some(index.collect());
                    }
                    let first_line = match seen {
                        Some(index) => index.get(&name).copied(),
                        None => entries
                            .iter()
                            .find(|(k, _)| k.name == name)
                            .map(|(k, _)| k.loc.line),
                    };
                    if let Some(first_line) = first_line {
                        // A key inside a secret value may be the value (`{hunter2}`).
                        let shown = if secret.is_some() {
                            String::new()
                        } else {
                            format!(" `{name}`")
                        };
                        return Err(LoadError::syntax(
                            node.loc,
                            format!("duplicate key{shown} (first defined at line {first_line})"),
                        )
                        .with_path(secret.unwrap_or_default()));
                    }
                    if let Some(index) = seen {
                        index.insert(name.clone(), node.loc.line);
                    }
                    *pending_key = Some(Key {
                        name,
                        loc: node.loc,
                    });
                    Ok(())
                }
            },
        }
    }
}

/// Nodes and scalar bytes (keys included) in `node`, as [`Builder`] counts them.
fn count_nodes(node: &Node) -> (usize, usize) {
    match &node.value {
        Value::Scalar { text, .. } => (1, text.len()),
        Value::Seq(items) => items
            .iter()
            .map(count_nodes)
            .fold((1, 0), |(n, b), (n2, b2)| {
                (n.saturating_add(n2), b.saturating_add(b2))
            }),
        Value::Map(entries) => entries.iter().fold((1, 0), |(n, b), (k, v)| {
            let (n2, b2) = count_nodes(v);
            (
                n.saturating_add(n2),
                b.saturating_add(b2).saturating_add(k.name.len()),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_duplicate_key_names_its_first_line_below_and_past_the_index() {
        for keys in [3, super::INDEXED_FROM, 40] {
            let mut text: String = (0..keys).map(|i| format!("k{i}: {i}\n")).collect();
            text.push_str("k1: again\n");
            let err = super::parse("p.yaml", text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!(
                    "p.yaml:{}:1: duplicate key `k1` (first defined at line 2)",
                    keys + 1
                )),
                "{keys}: {err}"
            );
            let unique: String = (0..keys).map(|i| format!("k{i}: {i}\n")).collect();
            assert!(super::parse("p.yaml", unique.as_bytes()).is_ok(), "{keys}");
        }
    }
}
