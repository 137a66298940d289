//! Merging profile trees: a preset under a profile, a profile under a node set.
//!
//! The rule (PROFILE.md): mappings merge by key, lists of named items (every item a mapping
//! with a `name`) merge by `name`, anything else is replaced. Merged nodes keep their own
//! locations, so an error in a value that came from a preset points into the preset.

use super::error::{did_you_mean, ErrorKind, LoadError};
use super::node::{Key, Node, Value};

/// Profile fields that are lists of named items, with the keys a new item needs besides
/// `name` to be a whole item (empty: any one other key). An overlay or `--set` names the
/// items of these lists; a name that is not there is a typo unless the item is given whole.
pub const NAMED_LISTS: &[(&str, &[&str])] = &[
    ("roles", &["ordinals"]),
    ("ports", &["port"]),
    ("nodeSets", &[]),
    ("initContainers", &["image"]),
    ("sidecars", &["image"]),
    ("volumes", &[]),
];

/// How a layer names list items it does not find in the tree below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewItems {
    /// A new item is accepted when given whole (an overlay file, `--set LIST=[...]`).
    WhenWhole,
    /// Every item is addressed by name (`--set LIST.NAME.FIELD=...`): a new name is a typo.
    Never,
}

/// Merges a layer (overlay file or `--set`) over `base`, after checking that every named
/// list item it changes exists in `base` or is given whole.
pub fn merge_layer(base: Node, layer: Node, new_items: NewItems) -> Result<Node, LoadError> {
    check_items(&base, &layer, "", &[], new_items)?;
    Ok(merge(base, layer))
}

/// Checks the named-list items of `layer` (a mapping at a profile's top level or a node
/// set's) against `base`; `also` holds names a node set inherits from the top level.
fn check_items(
    base: &Node,
    layer: &Node,
    prefix: &str,
    also: &[(&str, Vec<String>)],
    new_items: NewItems,
) -> Result<(), LoadError> {
    let Value::Map(entries) = &layer.value else {
        return Ok(());
    };
    for (key, value) in entries {
        let Some((list, required)) = NAMED_LISTS.iter().find(|(l, _)| *l == key.name) else {
            continue;
        };
        let Value::Seq(items) = &value.value else {
            continue;
        };
        let below = base.get(list);
        let mut known: Vec<String> = match below.map(|n| &n.value) {
            Some(Value::Seq(b)) => b.iter().filter_map(item_name).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        if let Some((_, inherited)) = also.iter().find(|(l, _)| l == list) {
            known.extend(inherited.iter().cloned());
        }
        let mut named: Vec<&str> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(name) = item_name(item) else {
                continue;
            };
            let path = format!("{prefix}{list}[{i}]");
            // Merged by name, a second item of the same name would silently replace the first.
            if let Some(first) = named.iter().position(|n| *n == name) {
                let at = item.get("name").unwrap_or(item).loc.clone();
                return Err(LoadError::new(
                    at,
                    format!("`{name}` names two items of `{list}` (items {first} and {i})"),
                )
                .with_path(format!("{path}.name")));
            }
            named.push(name);
            if known.iter().any(|k| k == name) {
                if *list == "nodeSets" {
                    let set_base = match below.map(|n| &n.value) {
                        Some(Value::Seq(b)) => b.iter().find(|s| item_name(s) == Some(name)),
                        _ => None,
                    };
                    let inherited: Vec<(&str, Vec<String>)> = NAMED_LISTS
                        .iter()
                        .map(|(l, _)| (*l, top_level_names(base, l)))
                        .collect();
                    if let Some(set_base) = set_base {
                        check_items(set_base, item, &format!("{path}."), &inherited, new_items)?;
                    }
                }
                continue;
            }
            let whole = new_items == NewItems::WhenWhole && is_whole(item, required);
            if !whole {
                return Err(unknown_item(
                    list, name, item, &path, &known, required, new_items,
                ));
            }
        }
    }
    Ok(())
}

fn top_level_names(base: &Node, list: &str) -> Vec<String> {
    match base.get(list).map(|n| &n.value) {
        Some(Value::Seq(b)) => b.iter().filter_map(item_name).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// An item with `name`, the `required` keys, and (when none are required) one key more.
fn is_whole(item: &Node, required: &[&str]) -> bool {
    let Value::Map(entries) = &item.value else {
        return false;
    };
    if required.is_empty() {
        entries.iter().any(|(k, _)| k.name != "name")
    } else {
        required.iter().all(|r| item.get(r).is_some())
    }
}

fn unknown_item(
    list: &str,
    name: &str,
    item: &Node,
    path: &str,
    known: &[String],
    required: &[&str],
    new_items: NewItems,
) -> LoadError {
    let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
    let fields: Vec<String> = required.iter().map(|r| format!("{r}: ...")).collect();
    let add = match (new_items, required) {
        (NewItems::Never, []) => {
            format!("to add a new item, set it whole: --set '{list}.{name}={{...}}'")
        }
        (NewItems::Never, _) => format!(
            "to add a new item, set it whole: --set '{list}.{name}={{{}}}'",
            fields.join(", ")
        ),
        (_, []) => "to add a new item, give it whole: its name and its fields".to_string(),
        _ => format!(
            "to add a new item, give it whole: name, {}",
            fields.join(", ")
        ),
    };
    let hint = match did_you_mean(name, &candidates) {
        Some(best) => format!("did you mean `{best}`? {add}"),
        None if known.is_empty() => format!("`{list}` has no items yet; {add}"),
        None => format!("items: {}; {add}", known.join(", ")),
    };
    let loc = item.get("name").map_or(&item.loc, |n| &n.loc).clone();
    LoadError::new(loc, format!("`{list}` has no item named `{name}`"))
        .with_kind(ErrorKind::Reference)
        .with_path(format!("{path}.name"))
        .with_hint(hint)
}

/// Keys of which a mapping holds exactly one (an env reference, a secret source, a probe
/// handler): an overlay naming another one replaces the choice instead of adding a second.
const ONE_OF: &[&[&str]] = &[
    &["secret", "configMap", "field"],
    &["value", "fromEnv", "fromFile", "generate"],
    &["exec", "tcp", "http"],
    // Where a Secret's values come from (`secret.data`, `.existing`, `.external`).
    &["data", "existing", "external"],
];

/// Merges `overlay` over `base`.
pub fn merge(base: Node, overlay: Node) -> Node {
    match (base.value, overlay.value) {
        (Value::Map(mut entries), Value::Map(over)) => {
            for group in ONE_OF {
                let chosen = |e: &[(Key, Node)]| {
                    e.iter()
                        .find(|(k, _)| group.contains(&k.name.as_str()))
                        .map(|(k, _)| k.name.clone())
                };
                if let (Some(a), Some(b)) = (chosen(&entries), chosen(&over)) {
                    if a != b {
                        entries.retain(|(k, _)| !group.contains(&k.name.as_str()));
                    }
                }
            }
            for (key, value) in over {
                match entries.iter().position(|(k, _)| k.name == key.name) {
                    Some(i) => {
                        let (_, old) = entries.remove(i);
                        entries.insert(i, (key, merge(old, value)));
                    }
                    None => entries.push((key, value)),
                }
            }
            Node {
                value: Value::Map(entries),
                loc: overlay.loc,
            }
        }
        (Value::Seq(mut items), Value::Seq(over)) if named(&items) && named(&over) => {
            for item in over {
                let name = item_name(&item).map(str::to_string);
                match items
                    .iter()
                    .position(|i| item_name(i).map(str::to_string) == name)
                {
                    Some(i) => {
                        let old = items.remove(i);
                        items.insert(i, merge(old, item));
                    }
                    None => items.push(item),
                }
            }
            Node {
                value: Value::Seq(items),
                loc: overlay.loc,
            }
        }
        (_, value) => Node {
            value,
            loc: overlay.loc,
        },
    }
}

/// [`merge`] of keys a switched-on feature adds (a preset's `with`) under the profile: a
/// mapping or named list both have keeps the profile's location, so an error about it (a
/// key the user's `backup` lacks) points at what the user wrote, not into the preset.
pub fn merge_additions(base: Node, additions: Node) -> Node {
    // Only the sections `additions` touches, to restore their locations after.
    let before: Vec<(Key, Node)> = match (&base.value, &additions.value) {
        (Value::Map(entries), Value::Map(added)) => entries
            .iter()
            .filter(|(k, _)| added.iter().any(|(a, _)| a.name == k.name))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let root = base.loc.clone();
    let mut merged = merge(base, additions);
    merged.loc = root;
    if let Value::Map(entries) = &mut merged.value {
        for (k, v) in entries.iter_mut() {
            if let Some((old_key, old)) = before.iter().find(|(o, _)| o.name == k.name) {
                if keep_locs(v, old) {
                    k.loc = old_key.loc.clone();
                }
            }
        }
    }
    merged
}

/// Gives `merged` (and what in it merged with `base`) `base`'s locations where both are
/// mappings or named lists; whether they were.
fn keep_locs(merged: &mut Node, base: &Node) -> bool {
    match (&mut merged.value, &base.value) {
        (Value::Map(entries), Value::Map(old)) => {
            for (k, v) in entries.iter_mut() {
                if let Some((old_key, o)) = old.iter().find(|(o, _)| o.name == k.name) {
                    if keep_locs(v, o) {
                        k.loc = old_key.loc.clone();
                    }
                }
            }
        }
        (Value::Seq(items), Value::Seq(old)) if named(old) => {
            for item in items.iter_mut() {
                let name = item_name(item).map(str::to_string);
                if let Some(o) = old
                    .iter()
                    .find(|o| item_name(o).map(str::to_string) == name)
                {
                    keep_locs(item, o);
                }
            }
        }
        _ => return false,
    }
    merged.loc = base.loc.clone();
    true
}

fn item_name(node: &Node) -> Option<&str> {
    match node.get("name").map(|n| &n.value) {
        Some(Value::Scalar { text, .. }) => Some(text),
        _ => None,
    }
}

fn named(items: &[Node]) -> bool {
    !items.is_empty() && items.iter().all(|i| item_name(i).is_some())
}

/// Removes the entry at a dotted path of mapping keys (e.g. `storage.local`), if present.
pub fn remove_path(node: &mut Node, path: &[&str]) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    match path {
        [] => {}
        [last] => entries.retain(|(k, _)| k.name != *last),
        [first, rest @ ..] => {
            if let Some((_, child)) = entries.iter_mut().find(|(k, _)| k.name == *first) {
                remove_path(child, rest);
            }
        }
    }
}

/// Sets a top-level key to a string scalar (used to name a node set's StatefulSet).
pub fn set_key(node: &mut Node, key: &str, text: &str) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let value = Node {
        value: Value::Scalar {
            text: text.to_string(),
            plain: false,
            literal: false,
        },
        loc: node.loc.clone(),
    };
    match entries.iter_mut().find(|(k, _)| k.name == key) {
        Some((_, v)) => *v = value,
        None => entries.push((
            Key {
                name: key.to_string(),
                loc: node.loc.clone(),
            },
            value,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::parse;
    use super::*;

    fn tree(src: &str) -> Node {
        parse("t.yaml", src.as_bytes()).unwrap().unwrap()
    }

    fn to_json(n: &Node) -> serde_json::Value {
        super::super::de::from_node(n).unwrap()
    }

    #[test]
    fn merge_rules() {
        let base = tree("a: {x: 1, y: 2}\nl: [1, 2]\nc: [{name: m, v: 1}, {name: k}]\ns: a\n");
        let over = tree("a: {y: 3}\nl: [9]\nc: [{name: m, w: 2}, {name: n}]\n");
        let merged = merge(base, over);
        assert_eq!(
            to_json(&merged),
            serde_json::json!({"a": {"x": 1, "y": 3}, "l": [9], "c": [{"name": "m", "v": 1, "w": 2}, {"name": "k"}, {"name": "n"}], "s": "a"})
        );
    }

    #[test]
    fn one_of_choices_are_replaced_not_combined() {
        let base = tree("pw: {fromEnv: X}\nprobe: {exec: [a], periodSeconds: 5}\n");
        let over = tree("pw: {value: v}\nprobe: {tcp: p}\n");
        assert_eq!(
            to_json(&merge(base, over)),
            serde_json::json!({"pw": {"value": "v"}, "probe": {"periodSeconds": 5, "tcp": "p"}})
        );
    }

    #[test]
    fn merged_nodes_keep_their_file() {
        let base = parse("base.yaml", b"a: {x: 1}\n").unwrap().unwrap();
        let over = parse("over.yaml", b"a: {y: 2}\n").unwrap().unwrap();
        let merged = merge(base, over);
        let a = merged.get("a").unwrap();
        assert_eq!(&*a.get("x").unwrap().loc.file, "base.yaml");
        assert_eq!(&*a.get("y").unwrap().loc.file, "over.yaml");
    }

    #[test]
    fn remove_and_set() {
        let mut t = tree("storage: {size: 1Gi, local: {path: /x}}\nname: a\n");
        remove_path(&mut t, &["storage", "local"]);
        set_key(&mut t, "name", "b");
        assert_eq!(
            to_json(&t),
            serde_json::json!({"storage": {"size": "1Gi"}, "name": "b"})
        );
    }
}
