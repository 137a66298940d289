//! A serde `Deserializer` over the located node tree.
//!
//! Typing a profile through serde keeps the profile types declarative (derive with
//! `deny_unknown_fields`), while every error still carries the file, line and column of the
//! node that caused it, the field path, and a "did you mean" for misspelt keys and values.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::error::{did_you_mean, ErrorKind, LoadError};
use super::node::{Node, Resolved, Value};

impl de::Error for LoadError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        // Custom messages come from the profile types' own checks of a value.
        LoadError::of(ErrorKind::Value, msg.to_string())
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut err = LoadError::bare(format!("unknown key `{field}`"));
        err.hint = Some(match did_you_mean(field, expected) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("valid keys here: {}", expected.join(", ")),
        });
        err
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut err = LoadError::of(ErrorKind::Value, format!("unknown value `{variant}`"));
        err.hint = Some(match did_you_mean(variant, expected) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("expected one of: {}", expected.join(", ")),
        });
        err
    }

    fn missing_field(field: &'static str) -> Self {
        LoadError::bare(format!("missing required key `{field}`"))
    }
}

pub use crate::shared::join_key;

/// Whether a field path is at or inside a secret value: `secret.data.<key>` and everything
/// below it. Secrets are known by their place in the profile, never by their text, so an
/// error there never quotes the scalar (or key) it is about: `password: hunter2` where a
/// mapping was expected must not print `hunter2`.
pub fn is_secret_path(path: &str) -> bool {
    // A node set's `secret` is refused, and not quoted either.
    let path = path
        .strip_prefix("nodeSets[")
        .and_then(|rest| rest.split_once("]."))
        .filter(|(index, _)| index.bytes().all(|b| b.is_ascii_digit()))
        .map_or(path, |(_, rest)| rest);
    path.strip_prefix("secret.data")
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The message of an error raised by a visitor at a secret position, where its own message
/// (serde's `invalid type: string "..."`) could quote the value.
const SECRET_REJECTED: &str =
    "this value is not accepted here (it is in `secret.data`, so it is not shown)";

/// Name of the marker newtype for a field whose scalar is text: see [`TextOrAny`].
pub const TEXT_OR_ANY: &str = "$sts_gen::TextOrAny";

/// Deserializes a field that is text when it is a scalar and anything else otherwise (an
/// environment value: a string or a `{secret: key}` reference). A plain scalar keeps its source
/// text (`1.10` stays `1.10`, `01234` stays `01234`), as `String` fields such as labels do;
/// other deserializers see an ordinary `deserialize_any`.
pub fn deserialize_text_or_any<'de, D, V>(d: D, visitor: V) -> Result<V::Value, D::Error>
where
    D: de::Deserializer<'de>,
    V: Visitor<'de>,
{
    struct Unwrap<V>(V);
    impl<'de, V: Visitor<'de>> Visitor<'de> for Unwrap<V> {
        type Value = V::Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            self.0.expecting(f)
        }
        fn visit_newtype_struct<D2: de::Deserializer<'de>>(
            self,
            d: D2,
        ) -> Result<V::Value, D2::Error> {
            d.deserialize_any(self.0)
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
            self.0.visit_borrowed_str(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
            self.0.visit_str(v)
        }
    }
    d.deserialize_newtype_struct(TEXT_OR_ANY, Unwrap(visitor))
}

/// Types `node` as `T`; errors carry the location and path of the offending node.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, LoadError> {
    T::deserialize(NodeDe {
        node,
        path: String::new(),
    })
    .map_err(|e| attach(e, node, ""))
}

/// Fills in the location and path of an error raised while typing `node`, unless a deeper
/// node already claimed it.
fn attach(mut err: LoadError, node: &Node, path: &str) -> LoadError {
    if err.loc.is_none() {
        err.loc = Some(node.loc.clone());
    }
    if err.path.is_empty() {
        err.path = path.to_string();
    }
    err
}

/// Deserializes one node, knowing its field path.
pub struct NodeDe<'a> {
    /// The node to read.
    pub node: &'a Node,
    /// Its field path (`storage.size`), for error messages.
    pub path: String,
}

impl<'a> NodeDe<'a> {
    /// Whether this node is at a secret position ([`is_secret_path`]).
    fn secret(&self) -> bool {
        is_secret_path(&self.path)
    }

    /// At a secret position, an error a visitor raised here (it has no location yet: errors
    /// of deeper nodes and of [`Self::mismatch`] have one) gets a message that quotes nothing.
    fn guard<T>(&self, result: Result<T, LoadError>) -> Result<T, LoadError> {
        match result {
            Err(mut e) if e.loc.is_none() && self.secret() => {
                e.message = SECRET_REJECTED.into();
                e.hint = None;
                Err(attach(e, self.node, &self.path))
            }
            other => other,
        }
    }

    fn mismatch(&self, expected: &str) -> LoadError {
        let found = self.node.type_name();
        let mut err = LoadError::new(
            self.node.loc.clone(),
            format!("expected {expected}, found {found}"),
        )
        .with_path(self.path.clone());
        // Quoting makes a string, which only a string field wants; `key: null` (or a bare
        // `key:`) elsewhere is usually a value left out.
        err.hint = match (expected, found) {
            ("a string" | "a name or a mapping with one key", "a boolean" | "null") => {
                Some("quote the value to make it a string".into())
            }
            ("a list", "null") => Some(
                "write the items as `[a, b]` or `- item` lines (`[]` is an empty list), or remove the key to keep the default".into(),
            ),
            ("a mapping", "null") => Some(
                "write the entries as `{key: value}` or `key: value` lines (`{}` is an empty mapping), or remove the key to keep the default".into(),
            ),
            (_, "null") => Some("write a value, or remove the key to keep the default".into()),
            _ => None,
        };
        err
    }

    fn int(&self) -> Result<i64, LoadError> {
        match self.node.resolve() {
            Some(Resolved::Int(i)) => Ok(i),
            _ => Err(self.mismatch("an integer")),
        }
    }

    fn text(&self) -> Result<&'a str, LoadError> {
        match &self.node.value {
            Value::Scalar { text, plain, .. } => {
                if *plain {
                    match self.node.resolve() {
                        Some(Resolved::Null) | Some(Resolved::Bool(_)) => {
                            return Err(self.mismatch("a string"))
                        }
                        _ => {}
                    }
                }
                Ok(text)
            }
            _ => Err(self.mismatch("a string")),
        }
    }
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
            let i = self.int()?;
            match <$ty>::try_from(i) {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(LoadError::new(
                    self.node.loc.clone(),
                    // `-1 is out of range (0 to 4294967295)` read as if 4294967295 were fine.
                    if i < 0 && <$ty>::MIN == 0 {
                        format!("{i} is negative; it must be 0 or more")
                    } else {
                        format!("{i} is out of range ({} to {})", <$ty>::MIN, <$ty>::MAX)
                    },
                )
                .with_kind(ErrorKind::Value)
                .with_path(self.path.clone())),
            }
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = LoadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        match &self.node.value {
            Value::Seq(_) => self.deserialize_seq(visitor),
            Value::Map(_) => self.deserialize_map(visitor),
            Value::Scalar { .. } => match self.node.resolve() {
                Some(Resolved::Null) => visitor.visit_unit(),
                Some(Resolved::Bool(b)) => visitor.visit_bool(b),
                Some(Resolved::Int(i)) => visitor.visit_i64(i),
                Some(Resolved::Float(f)) => visitor.visit_f64(f),
                Some(Resolved::Str(s)) => {
                    let secret = self.secret();
                    let r = visitor.visit_borrowed_str(s);
                    if secret {
                        self.guard(r)
                    } else {
                        r
                    }
                }
                None => unreachable!("scalars always resolve"),
            },
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        match self.node.resolve() {
            Some(Resolved::Bool(b)) => visitor.visit_bool(b),
            _ => Err(self.mismatch("true or false")),
        }
    }

    int_method!(deserialize_i8, visit_i8, i8);
    int_method!(deserialize_i16, visit_i16, i16);
    int_method!(deserialize_i32, visit_i32, i32);
    int_method!(deserialize_i64, visit_i64, i64);
    int_method!(deserialize_u8, visit_u8, u8);
    int_method!(deserialize_u16, visit_u16, u16);
    int_method!(deserialize_u32, visit_u32, u32);
    int_method!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        match self.node.resolve() {
            Some(Resolved::Int(i)) => visitor.visit_f64(i as f64),
            Some(Resolved::Float(f)) => visitor.visit_f64(f),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        let r = visitor.visit_borrowed_str(self.text()?);
        self.guard(r)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        if self.node.is_null() {
            visitor.visit_unit()
        } else {
            Err(self.mismatch("null"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        // A text field (see `deserialize_text_or_any`): a plain scalar other than null or a
        // boolean is handed over as it was written, not as the number it resolves to.
        if name == TEXT_OR_ANY {
            if let Value::Scalar { text, .. } = &self.node.value {
                if !matches!(
                    self.node.resolve(),
                    Some(Resolved::Null) | Some(Resolved::Bool(_))
                ) {
                    return visitor.visit_borrowed_str(text);
                }
            }
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        match &self.node.value {
            Value::Seq(items) => visitor.visit_seq(SeqAccess {
                items: items.iter(),
                index: 0,
                path: self.path,
            }),
            _ => Err(self.mismatch("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        match &self.node.value {
            Value::Map(entries) => visitor.visit_map(MapAccess {
                entries: entries.iter(),
                current: None,
                path: self.path,
            }),
            _ => Err(self.mismatch("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        match &self.node.value {
            // `password: hunter2` where `{value: ...}` was meant: the text is not quoted.
            Value::Scalar { .. } if self.secret() => {
                Err(self.mismatch(&format!("a mapping with one key ({})", variants.join(", "))))
            }
            Value::Scalar { .. } => {
                let text = self.text()?;
                visitor.visit_enum(text.into_deserializer())
            }
            Value::Map(entries) if entries.len() == 1 => visitor.visit_enum(EnumAccess {
                key: &entries[0].0.name,
                value: &entries[0].1,
                path: join_key(&self.path, &entries[0].0.name),
                secret: self.secret().then_some(variants),
            }),
            _ => Err(self.mismatch("a name or a mapping with one key")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        visitor.visit_unit()
    }
}

struct SeqAccess<'a> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
    path: String,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = LoadError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, LoadError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{}]", self.path, self.index);
        self.index += 1;
        seed.deserialize(NodeDe {
            node,
            path: path.clone(),
        })
        .map(Some)
        .map_err(|e| attach(e, node, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'a> {
    entries: std::slice::Iter<'a, (super::node::Key, Node)>,
    current: Option<(&'a Node, String)>,
    path: String,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = LoadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, LoadError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let path = join_key(&self.path, &key.name);
        let k = seed.deserialize(KeyDe(&key.name)).map_err(|e| {
            let key_node = Node {
                value: Value::Scalar {
                    text: key.name.clone(),
                    plain: false,
                    literal: false,
                },
                loc: key.loc.clone(),
            };
            attach(e, &key_node, &path)
        })?;
        self.current = Some((value, path));
        Ok(Some(k))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, LoadError> {
        let (node, path) = self
            .current
            .take()
            .ok_or_else(|| LoadError::bare("value requested before key"))?;
        seed.deserialize(NodeDe {
            node,
            path: path.clone(),
        })
        .map_err(|e| attach(e, node, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Deserializes a mapping key: always a string.
struct KeyDe<'a>(&'a str);

impl<'de> de::Deserializer<'de> for KeyDe<'de> {
    type Error = LoadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, LoadError> {
        visitor.visit_borrowed_str(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct EnumAccess<'a> {
    key: &'a str,
    value: &'a Node,
    path: String,
    /// At a secret position, the variants: an unknown key there (`password: {hunter2}` is a
    /// mapping whose key is the value) is not quoted, not even in a "did you mean".
    secret: Option<&'static [&'static str]>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = LoadError;
    type Variant = NodeDe<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDe<'de>), LoadError> {
        let v = match (seed.deserialize(KeyDe(self.key)), self.secret) {
            (Err(mut e), Some(variants)) => {
                e.message = "unknown key (it is in `secret.data`, so it is not shown)".into();
                e.hint = Some(format!("expected one of: {}", variants.join(", ")));
                return Err(e);
            }
            (v, _) => v?,
        };
        Ok((
            v,
            NodeDe {
                node: self.value,
                path: self.path,
            },
        ))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDe<'de> {
    type Error = LoadError;

    fn unit_variant(self) -> Result<(), LoadError> {
        if self.node.is_null() {
            Ok(())
        } else {
            Err(self.mismatch("no value"))
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, LoadError> {
        let node = self.node;
        let path = self.path.clone();
        seed.deserialize(self).map_err(|e| attach(e, node, &path))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, LoadError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::is_secret_path;

    #[test]
    fn secret_positions_are_known_by_path() {
        for p in [
            "secret.data.pw",
            "secret.data.pw.value",
            "secret.data[\"a b\"]",
            "nodeSets[3].secret.data.pw",
        ] {
            assert!(is_secret_path(p), "{p}");
        }
        for p in [
            "secret.data",
            "secret.name",
            "secret.database.x",
            "env.secret.data.x",
            "nodeSets[x].secret.data.pw",
            "sidecars[0].secret.data.x",
        ] {
            assert!(!is_secret_path(p), "{p}");
        }
    }
}
