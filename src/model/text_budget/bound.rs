//! Upper bounds of the values a profile text can make, and of what each operation and
//! filter makes from them.

use std::rc::Rc;

use minijinja::Value;

use super::SCALAR_BYTES;
use crate::model::text_limits::MAX_TEXT_BYTES;

/// The most a value can be.
#[derive(Clone)]
pub(super) struct Bound {
    /// Bytes it prints as (and at least what it holds).
    pub(super) bytes: u64,
    /// Items it yields when iterated.
    pub(super) items: u64,
    /// For a number: the largest magnitude it can have (`u64::MAX`: unknown).
    pub(super) number: Option<u64>,
    /// What its items (or a map's values) are at most, when known.
    pub(super) item: Option<Rc<Bound>>,
    /// A map's values by key, when known.
    pub(super) fields: Option<Rc<Vec<(String, Bound)>>>,
    /// A `range`: its items are made one at a time, so only what is made of it is held.
    pub(super) lazy: bool,
}

impl Bound {
    pub(super) fn text(bytes: u64) -> Bound {
        Bound {
            bytes,
            items: bytes,
            number: None,
            item: None,
            fields: None,
            lazy: false,
        }
    }

    pub(super) fn number(magnitude: u64) -> Bound {
        Bound {
            number: Some(magnitude),
            ..Bound::text(SCALAR_BYTES)
        }
    }

    pub(super) fn scalar() -> Bound {
        Bound::text(SCALAR_BYTES)
    }

    pub(super) fn list(item: Bound, items: u64) -> Bound {
        Bound {
            bytes: items.saturating_mul(item.bytes.saturating_add(2)),
            items,
            number: None,
            item: Some(Rc::new(item)),
            fields: None,
            lazy: false,
        }
    }

    /// Anything no larger than `bytes`, items included.
    pub(super) fn within(bytes: u64) -> Bound {
        Bound {
            item: Some(Rc::new(Bound::text(bytes))),
            ..Bound::text(bytes)
        }
    }

    /// What an item of this value is at most.
    pub(super) fn item(&self) -> Bound {
        match &self.item {
            Some(item) => (**item).clone(),
            None => Bound::within(self.bytes),
        }
    }

    /// The larger of two bounds, where either may be the value.
    pub(super) fn either(&self, other: &Bound) -> Bound {
        let number = match (self.number, other.number) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        let item = match (&self.item, &other.item) {
            (Some(a), Some(b)) => Some(Rc::new(a.either(b))),
            _ => None,
        };
        Bound {
            bytes: self.bytes.max(other.bytes),
            items: self.items.max(other.items),
            number,
            item,
            fields: None,
            lazy: false,
        }
    }

    /// A number's magnitude, `None` when it may not be a number or its size is unknown.
    pub(super) fn magnitude(&self) -> Option<u64> {
        self.number.filter(|&n| n != u64::MAX)
    }

    /// The bound of a value the profile's variables hold.
    pub(super) fn of(value: &Value) -> Bound {
        if let Some(n) = number_of(value) {
            return Bound::number(n);
        }
        if let Some(s) = value.as_str() {
            return Bound::text(s.len() as u64);
        }
        if value.kind() == minijinja::value::ValueKind::Map {
            let fields: Vec<(String, Bound)> = value
                .try_iter()
                .into_iter()
                .flatten()
                .map(|key| {
                    let field = Bound::of(&value.get_item(&key).unwrap_or_default());
                    (key.to_string(), field)
                })
                .collect();
            let bytes = fields.iter().fold(0u64, |sum, (k, v)| {
                sum.saturating_add(k.len() as u64 + 4)
                    .saturating_add(v.bytes)
            });
            let item = fields
                .iter()
                .map(|(_, v)| v.clone())
                .reduce(|a, b| a.either(&b));
            return Bound {
                bytes,
                items: fields.len() as u64,
                number: None,
                item: item.map(Rc::new),
                fields: Some(Rc::new(fields)),
                lazy: false,
            };
        }
        if let Ok(items) = value.try_iter() {
            let items: Vec<Bound> = items.map(|v| Bound::of(&v)).collect();
            let count = items.len() as u64;
            let item = items.into_iter().reduce(|a, b| a.either(&b));
            return Bound::list(item.unwrap_or_else(Bound::scalar), count);
        }
        Bound::scalar()
    }
}

/// The magnitude of a number value (saturated), `None` for anything else.
pub(super) fn number_of(value: &Value) -> Option<u64> {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::Number => {
            let magnitude = if let Some(i) = value.as_i64() {
                i.unsigned_abs()
            } else {
                f64::try_from(value.clone())
                    .ok()
                    .filter(|f| f.is_finite())
                    .map_or(u64::MAX, |f| f.abs().ceil().min(u64::MAX as f64) as u64)
            };
            Some(magnitude)
        }
        ValueKind::Bool => Some(1),
        _ => None,
    }
}

/// The result of a filter that `text_limits` refuses past [`MAX_TEXT_BYTES`] itself.
pub(super) fn guarded(bytes: u64) -> Bound {
    Bound::within(bytes.min(MAX_TEXT_BYTES as u64))
}

/// Two texts or two lists one after the other.
pub(super) fn concatenated(left: &Bound, right: &Bound) -> Bound {
    Bound {
        bytes: left.bytes.saturating_add(right.bytes),
        items: left.items.saturating_add(right.items),
        number: None,
        item: match (&left.item, &right.item) {
            (Some(a), Some(b)) => Some(Rc::new(a.either(b))),
            _ => None,
        },
        fields: None,
        lazy: false,
    }
}

/// `value` repeated `count` times.
pub(super) fn repeated(value: &Bound, count: u64) -> Bound {
    Bound {
        bytes: value.bytes.saturating_mul(count),
        items: value.items.saturating_mul(count),
        number: None,
        item: value.item.clone(),
        fields: None,
        lazy: false,
    }
}

pub(super) fn list_of(items: Vec<Bound>) -> Bound {
    let count = items.len() as u64;
    let bytes = items
        .iter()
        .fold(2u64, |s, b| s.saturating_add(b.bytes).saturating_add(2));
    let item = items.into_iter().reduce(|a, b| a.either(&b));
    Bound {
        bytes,
        items: count,
        number: None,
        item: item.map(Rc::new),
        fields: None,
        lazy: false,
    }
}

pub(super) fn map_of(fields: Vec<(String, Bound, Bound)>) -> Bound {
    let bytes = fields.iter().fold(2u64, |s, (_, k, v)| {
        s.saturating_add(k.bytes)
            .saturating_add(v.bytes)
            .saturating_add(4)
    });
    let item = fields
        .iter()
        .map(|(_, _, v)| v.clone())
        .reduce(|a, b| a.either(&b));
    Bound {
        bytes,
        items: fields.len() as u64,
        number: None,
        item: item.map(Rc::new),
        fields: Some(Rc::new(
            fields.into_iter().map(|(n, _, v)| (n, v)).collect(),
        )),
        lazy: false,
    }
}

/// The `loop` variable of a loop over `items` items, each at most `item`.
pub(super) fn loop_bound(items: u64, item: Bound) -> Bound {
    let count = Bound::number(items);
    let fields = [
        "index",
        "index0",
        "revindex",
        "revindex0",
        "length",
        "depth",
        "depth0",
    ]
    .iter()
    .map(|n| (n.to_string(), count.clone()))
    .chain(
        ["first", "last"]
            .iter()
            .map(|n| (n.to_string(), Bound::number(1))),
    )
    .chain(
        ["previtem", "nextitem"]
            .iter()
            .map(|n| (n.to_string(), item.clone())),
    )
    .collect();
    Bound {
        fields: Some(Rc::new(fields)),
        ..Bound::scalar()
    }
}

/// `parent.name`: the field when known, else anything `parent` could hold.
pub(super) fn field(parent: &Bound, name: &str) -> Bound {
    match &parent.fields {
        Some(fields) => fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| Bound::within(parent.bytes.max(SCALAR_BYTES))),
        None => parent.item(),
    }
}

/// What filter `name` makes at most from `input` with `args` (`literal`: the input, when
/// the text writes it as a string). Filters outside this list fail when run (minijinja has
/// no other), so any bound will do for them.
pub(super) fn filter_bound(
    name: &str,
    input: &Bound,
    args: &[Bound],
    literal: Option<&str>,
) -> Bound {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_else(Bound::scalar);
    let grows = |factor: u64| Bound::within(input.bytes.saturating_mul(factor));
    match name {
        "length" | "count" => Bound::number(input.items),
        "abs" | "round" => Bound::number(input.number.unwrap_or(u64::MAX)),
        "int" | "float" | "sum" | "bool" => Bound::number(u64::MAX),
        "first" | "last" | "min" | "max" | "random" => input.item(),
        "default" | "d" => input.either(&arg(0)),
        "lower" | "upper" | "title" | "capitalize" | "trim" | "safe" | "string" | "attr" => {
            Bound::within(input.bytes)
        }
        "list" | "sort" | "unique" | "reverse" | "select" | "reject" | "selectattr"
        | "rejectattr" | "map" | "lines" | "split" | "items" | "dictsort" | "batch" | "slice" => {
            Bound {
                bytes: input.bytes.saturating_mul(3).saturating_add(SCALAR_BYTES),
                items: input.items,
                number: None,
                item: Some(Rc::new(input.item())),
                fields: None,
                lazy: false,
            }
        }
        "groupby" => grows(4),
        // `&` becomes `&amp;`, a quote `&#x27;`: six bytes each at most.
        "escape" | "e" | "urlencode" => grows(6),
        // Every byte may become `\u00XX`; pretty-printing indents each item.
        "tojson" | "pprint" => grows(8),
        // `text_limits` refuses these past MAX_TEXT_BYTES before they allocate, with
        // their own message.
        "join" => guarded(
            input
                .bytes
                .saturating_add(input.items.saturating_mul(arg(0).bytes)),
        ),
        "replace" => guarded(
            input
                .bytes
                .saturating_add(1)
                .saturating_mul(arg(1).bytes.max(1))
                .saturating_add(input.bytes),
        ),
        "indent" => {
            let width = arg(0).magnitude().unwrap_or(u64::MAX);
            guarded(
                input
                    .bytes
                    .saturating_add(1)
                    .saturating_mul(width.saturating_add(1)),
            )
        }
        "format" => {
            // Each printf width or precision pads the result by up to its number, and a
            // format that is not written out could ask for any. `text_limits` refuses one
            // number past the bound; several below it add up here.
            let numbers: Vec<u64> = literal
                .map(|f| {
                    f.split(|c: char| !c.is_ascii_digit())
                        .filter(|run| !run.is_empty())
                        .map(|run| run.parse::<u64>().unwrap_or(u64::MAX))
                        .collect()
                })
                .unwrap_or_else(|| vec![u64::MAX]);
            let widths = numbers.iter().fold(0u64, |s, n| s.saturating_add(*n));
            let bytes = args
                .iter()
                .fold(input.bytes, |s, a| s.saturating_add(a.bytes))
                .saturating_add(widths);
            if literal.is_some() && numbers.iter().any(|&n| n > MAX_TEXT_BYTES as u64) {
                guarded(bytes)
            } else {
                Bound::within(bytes)
            }
        }
        _ => Bound::within(input.bytes),
    }
}
