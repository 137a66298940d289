//! Load stage: profile bytes → located node tree → typed [`Profile`].
//!
//! Public surface: [`load_file`], [`load_bytes`], [`Loaded`], [`LoadError`], [`locate`].

mod chars;
pub mod collect;
pub(crate) mod de;
pub mod error;
pub(crate) mod merge;
pub(crate) mod node;
mod overlay;
pub mod presets;
pub mod schema;
mod set_paths;
pub mod types;
pub mod write;

use crate::shared::error::ErrorKind;
use std::path::{Path, PathBuf};

pub use de::join_key;
pub use error::LoadError;
pub use node::{Loc, Node};
pub use overlay::{Layers, SetKind};
pub use set_paths::{dedup_errors, in_set_paths};
pub use types::Profile;

/// Most node sets one profile may have (each renders a StatefulSet and its Services).
pub const MAX_NODE_SETS: usize = 64;

/// Supported `apiVersion` values.
pub const API_VERSIONS: &[&str] = &["sts-gen/v1"];

/// A typed profile plus what later stages need to report errors and resolve files.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The profile, with its preset, overlays and `--set` values merged in.
    pub profile: Profile,
    /// The located tree the profile was typed from; see [`locate`].
    pub tree: Node,
    /// The file name used in messages (`-` is shown as `<stdin>`).
    pub file: String,
    /// The folder `fromFile` paths are relative to.
    pub base_dir: PathBuf,
    /// Set when this is one node set of a profile with `nodeSets` (see [`expand_sets`]).
    pub set: Option<SetInfo>,
}

/// Where a node set stands in its profile.
#[derive(Debug, Clone)]
pub struct SetInfo {
    /// The profile's `name`: labels, the ServiceAccount, the Secret and the client Service.
    pub cluster: String,
    /// This set's name (`nodeSets[].name`).
    pub set: String,
    /// Every set of the profile, for `{{ sets.<set>.* }}` in profile text.
    pub sets: Vec<SetSummary>,
    /// Port names every set declares: the client Service exposes these.
    pub client_ports: Vec<String>,
    /// The set's place in `nodeSets`.
    pub index: usize,
    /// The set's item as written (with overlays), so errors of its fields name
    /// `nodeSets[i]` ([`in_set_paths`]).
    pub item: Node,
}

/// What one set's text may refer to in another set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetSummary {
    /// The set's own name (`nodeSets[].name`); the key under `sets`, so not serialized.
    #[serde(skip)]
    pub set: String,
    /// The StatefulSet name, `<name>-<set>`.
    pub name: String,
    /// The set's headless Service name.
    pub headless: String,
    /// The set's replica count.
    pub replicas: u32,
}

/// Reads and loads a profile file; `-` reads standard input.
pub fn load_file(path: &str) -> Result<Loaded, LoadError> {
    load_file_with(path, &overlay::Layers::default())
}

/// Loads a profile file with overlays and `--set` values merged over it.
pub fn load_file_with(path: &str, layers: &overlay::Layers) -> Result<Loaded, LoadError> {
    load_file_all(path, layers).map_err(first)
}

/// [`load_file_with`], with every typing error of the profile (up to
/// [`collect::MAX_ERRORS`]) rather than the first.
pub fn load_file_all(path: &str, layers: &overlay::Layers) -> Result<Loaded, Vec<LoadError>> {
    let (file, bytes, base) = read_source(path).map_err(|e| vec![e])?;
    load_layers_all(&file, &bytes, &base, layers)
}

fn first(mut errors: Vec<LoadError>) -> LoadError {
    errors.swap_remove(0)
}

/// Reads a profile or overlay: (name for messages, bytes, folder for relative paths).
fn read_source(path: &str) -> Result<(String, Vec<u8>, PathBuf), LoadError> {
    if path == "-" {
        let bytes = crate::shared::read_to_limit(std::io::stdin(), node::MAX_PROFILE_BYTES as u64)
            .map_err(|e| LoadError::of(ErrorKind::Io, format!("<stdin>: cannot read: {e}")))?;
        return Ok(("<stdin>".into(), bytes, PathBuf::from(".")));
    }
    let p = Path::new(path);
    if p.is_dir() {
        return Err(LoadError::of(
            ErrorKind::Io,
            format!("{path}: is a directory, not a profile file"),
        ));
    }
    let meta = std::fs::metadata(p)
        .map_err(|e| LoadError::of(ErrorKind::Io, format!("{path}: {}", io_reason(&e))))?;
    if meta.len() > node::MAX_PROFILE_BYTES as u64 {
        return Err(LoadError::of(
            ErrorKind::Io,
            format!(
                "{path}: file is {} bytes; the largest profile accepted is {} bytes",
                meta.len(),
                node::MAX_PROFILE_BYTES
            ),
        ));
    }
    let bytes = crate::shared::read_limited(p, node::MAX_PROFILE_BYTES as u64)
        .map_err(|e| LoadError::of(ErrorKind::Io, format!("{path}: {}", io_reason(&e))))?;
    let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((path.to_string(), bytes, base))
}

use crate::shared::io_reason;

/// Loads a profile from bytes; `file` names it in errors, `base_dir` anchors `fromFile`.
pub fn load_bytes(file: &str, bytes: &[u8], base_dir: &Path) -> Result<Loaded, LoadError> {
    load_layers(file, bytes, base_dir, &overlay::Layers::default())
}

/// [`load_bytes`] with overlays and `--set` values merged over the profile (and its preset).
pub fn load_layers(
    file: &str,
    bytes: &[u8],
    base_dir: &Path,
    layers: &overlay::Layers,
) -> Result<Loaded, LoadError> {
    load_layers_all(file, bytes, base_dir, layers).map_err(first)
}

/// [`load_layers`], with every typing error of the profile (up to [`collect::MAX_ERRORS`]).
/// A file that does not parse, or a layer that does not apply, still gives one error: what
/// follows it would only guess.
pub fn load_layers_all(
    file: &str,
    bytes: &[u8],
    base_dir: &Path,
    layers: &overlay::Layers,
) -> Result<Loaded, Vec<LoadError>> {
    let tree = layered_tree(file, bytes, layers).map_err(|e| vec![e])?;
    let profile = collect::type_profile(&tree)?;
    Ok(Loaded {
        profile,
        tree,
        file: file.to_string(),
        base_dir: base_dir.to_path_buf(),
        set: None,
    })
}

/// The profile's tree with its preset, overlays and `--set` values merged in.
fn layered_tree(file: &str, bytes: &[u8], layers: &overlay::Layers) -> Result<Node, LoadError> {
    let Some(tree) = node::parse(file, bytes)? else {
        return Err(LoadError::bare(format!(
            "{file}: the profile is empty; it needs at least apiVersion, kind, name, image and storage"
        )));
    };
    if !matches!(tree.value, node::Value::Map(_)) {
        return Err(LoadError::new(
            tree.loc.clone(),
            format!(
                "a profile must be a mapping of keys, found {}",
                tree.type_name()
            ),
        ));
    }
    check_header(&tree)?;
    let mut tree = apply_preset(tree)?;
    for path in &layers.overlays {
        let (name, bytes, _) = read_source(path)?;
        tree = merge::merge_layer(
            tree,
            overlay_tree(&name, &bytes)?,
            merge::NewItems::WhenWhole,
        )?;
    }
    for (kind, arg) in &layers.sets {
        let (layer, new_items) = overlay::set_layer(*kind, arg)?;
        tree = merge::merge_layer(tree, layer, new_items)?;
    }
    let tree = apply_feature_overlays(tree);
    chars::check_tree(&tree, "")?;
    Ok(tree)
}

/// Parses an overlay: a partial profile; `apiVersion` and `kind` are optional.
fn overlay_tree(file: &str, bytes: &[u8]) -> Result<Node, LoadError> {
    let Some(mut tree) = node::parse(file, bytes)? else {
        return Err(LoadError::bare(format!("{file}: the overlay is empty")));
    };
    if !matches!(tree.value, node::Value::Map(_)) {
        return Err(LoadError::new(
            tree.loc.clone(),
            format!(
                "an overlay must be a mapping of keys, found {}",
                tree.type_name()
            ),
        ));
    }
    if tree.get("apiVersion").is_some() || tree.get("kind").is_some() {
        check_header(&tree)?;
    }
    if let Some(p) = tree.get("preset") {
        return Err(LoadError::new(
            p.loc.clone(),
            "an overlay cannot choose a preset; set `preset` in the base profile",
        )
        .with_path("preset"));
    }
    merge::remove_path(&mut tree, &["apiVersion"]);
    merge::remove_path(&mut tree, &["kind"]);
    Ok(tree)
}

/// Merges each switched-on feature's `with` (profile keys a preset needs only with the
/// feature, such as an exporter's Secret key) over the profile, so an off feature changes
/// nothing in the output. `metrics` is on with `enabled: true`, `backup` with a `schedule`,
/// `tls` with an `issuer` or a `secretName`.
fn apply_feature_overlays(mut tree: Node) -> Node {
    let features: [(&str, &[&str]); 3] = [
        ("metrics", &["enabled"]),
        ("backup", &["schedule"]),
        ("tls", &["issuer", "secretName"]),
    ];
    for (feature, switches) in features {
        let Some(section) = tree.get(feature) else {
            continue;
        };
        // A switch is on when set to anything but null or false.
        let on = switches.iter().any(|s| {
            !matches!(
                section.get(s).map(Node::resolve),
                None | Some(Some(node::Resolved::Null)) | Some(Some(node::Resolved::Bool(false)))
            )
        });
        let with = section.get("with").cloned();
        // Applied or not, `with` has done its work: typing it (a preset's TLS scripts are
        // most of its text) cost every render, and an effective profile (`plan --effective`)
        // that kept it would apply it a second time.
        merge::remove_path(&mut tree, &[feature, "with"]);
        if let (true, Some(with)) = (on, with) {
            if matches!(with.value, node::Value::Map(_)) {
                tree = merge::merge_additions(tree, with);
            }
        }
    }
    tree
}

/// Merges the profile over the preset it names, if any.
fn apply_preset(tree: Node) -> Result<Node, LoadError> {
    let Some(preset_node) = tree.get("preset") else {
        return Ok(tree);
    };
    let name = match preset_node.resolve() {
        Some(node::Resolved::Str(s)) => s.to_string(),
        _ => {
            return Err(
                LoadError::new(preset_node.loc.clone(), "expected a preset name")
                    .with_path("preset"),
            )
        }
    };
    let Some(base) = presets::tree(&name) else {
        let names = presets::names();
        let hint = match error::did_you_mean(&name, &names) {
            Some(best) => format!("did you mean `{best}`? presets: {}", names.join(", ")),
            None => format!("presets: {}", names.join(", ")),
        };
        return Err(
            LoadError::new(preset_node.loc.clone(), format!("unknown preset `{name}`"))
                .with_kind(ErrorKind::Reference)
                .with_path("preset")
                .with_hint(hint),
        );
    };
    Ok(merge::merge(base?, tree))
}

/// Splits a profile with `nodeSets` into one profile per set: the top level merged with the
/// set's overrides, named `<name>-<set>`. A profile without sets is returned as it is.
/// Without sets the profile is borrowed, not copied (a deep copy of the tree and the typed
/// profile was 6% of a batch render).
pub fn expand_sets(loaded: &Loaded) -> Result<Vec<std::borrow::Cow<'_, Loaded>>, Vec<LoadError>> {
    let Some(sets_node) = loaded.tree.get("nodeSets") else {
        return Ok(vec![std::borrow::Cow::Borrowed(loaded)]);
    };
    let items = set_items(sets_node).map_err(|e| vec![e])?;
    let mut base = loaded.tree.clone();
    merge::remove_path(&mut base, &["nodeSets"]);
    let mut errors = Vec::new();
    let mut out: Vec<Loaded> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (set, errs) = expand_set(loaded, &base, i, item, &out);
        errors.extend(errs);
        out.extend(set);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    share_set_summaries(&mut out);
    Ok(out.into_iter().map(std::borrow::Cow::Owned).collect())
}

/// The items of `nodeSets`: a list of 1 to [`MAX_NODE_SETS`] entries.
fn set_items(sets_node: &Node) -> Result<&[Node], LoadError> {
    let node::Value::Seq(items) = &sets_node.value else {
        return Err(LoadError::new(
            sets_node.loc.clone(),
            format!(
                "expected a list of node sets, found {}",
                sets_node.type_name()
            ),
        )
        .with_path("nodeSets"));
    };
    if items.is_empty() {
        return Err(
            LoadError::new(sets_node.loc.clone(), "list at least one node set")
                .with_path("nodeSets"),
        );
    }
    if items.len() > MAX_NODE_SETS {
        return Err(LoadError::new(
            sets_node.loc.clone(),
            format!(
                "{} node sets; at most {MAX_NODE_SETS} are supported",
                items.len()
            ),
        )
        .with_path("nodeSets"));
    }
    Ok(items)
}

/// The name of node set `item` (at `path`), which no set in `done` may have.
fn set_name(item: &Node, path: &str, done: &[Loaded]) -> Result<String, LoadError> {
    let set_name = match item.get("name").map(|n| (n, n.resolve())) {
        Some((_, Some(node::Resolved::Str(s)))) => s.to_string(),
        Some((n, _)) => {
            return Err(LoadError::new(n.loc.clone(), "expected a set name")
                .with_path(format!("{path}.name")))
        }
        None => {
            return Err(
                LoadError::new(item.loc.clone(), "missing required key `name`").with_path(path),
            )
        }
    };
    // A set's name is its pods' and Services' component label; `metrics` is the metrics
    // Services', which ServiceMonitors select by it.
    if set_name == "metrics" {
        let name_loc = item.get("name").map_or(item.loc.clone(), |n| n.loc.clone());
        return Err(LoadError::new(
            name_loc,
            "a node set cannot be named `metrics`: that is the component label of the metrics Services, which ServiceMonitors select",
        )
        .with_path(format!("{path}.name")));
    }
    if done
        .iter()
        .any(|l| l.set.as_ref().is_some_and(|s| s.set == set_name))
    {
        let name_loc = item
            .get("name")
            .map(|n| n.loc.clone())
            .unwrap_or(item.loc.clone());
        return Err(
            LoadError::new(name_loc, format!("node set `{set_name}` is defined twice"))
                .with_path(format!("{path}.name")),
        );
    }
    Ok(set_name)
}

/// Node set number `i`: the profile without `nodeSets` (`base`) merged with the set's
/// overrides, and the errors found in it. Keys that apply to the whole profile are errors
/// (the set is still returned, so later sets are checked against its name), as is a name
/// some set of `done` already has.
fn expand_set(
    loaded: &Loaded,
    base: &Node,
    i: usize,
    item: &Node,
    done: &[Loaded],
) -> (Option<Loaded>, Vec<LoadError>) {
    let path = format!("nodeSets[{i}]");
    if !matches!(item.value, node::Value::Map(_)) {
        let e = LoadError::new(item.loc.clone(), "a node set is a mapping").with_path(path);
        return (None, vec![e]);
    }
    let set_name = match set_name(item, &path, done) {
        Ok(name) => name,
        Err(e) => return (None, vec![e]),
    };
    let mut errors = Vec::new();
    for whole in [
        "apiVersion",
        "kind",
        "preset",
        "namespace",
        "createNamespace",
        "nodeSets",
        "secret",
    ] {
        if let Some(n) = item.get(whole) {
            errors.push(
                LoadError::new(
                    n.loc.clone(),
                    format!(
                        "`{whole}` applies to the whole profile and cannot differ per node set"
                    ),
                )
                .with_path(de::join_key(&path, whole)),
            );
        }
    }
    let cluster = loaded.profile.name.clone();
    let mut overlay = item.clone();
    merge::remove_path(&mut overlay, &["name"]);
    let mut tree = merge::merge(base.clone(), overlay);
    merge::set_key(&mut tree, "name", &format!("{cluster}-{set_name}"));
    match de::from_node::<Profile>(&tree) {
        Ok(profile) => {
            let set = Loaded {
                profile,
                tree,
                file: loaded.file.clone(),
                base_dir: loaded.base_dir.clone(),
                set: Some(SetInfo {
                    cluster,
                    set: set_name,
                    sets: Vec::new(),
                    client_ports: Vec::new(),
                    index: i,
                    item: item.clone(),
                }),
            };
            (Some(set), errors)
        }
        // The top level typed already, so the problem is in this set's overrides.
        Err(e) => {
            let inner = e.path.clone();
            errors.push(e.with_path(if inner.is_empty() {
                path
            } else {
                format!("{path}.{inner}")
            }));
            (None, errors)
        }
    }
}

/// Gives every set the summaries of all sets and the client ports they all have.
fn share_set_summaries(out: &mut [Loaded]) {
    let summaries: Vec<SetSummary> = out
        .iter()
        .map(|l| {
            let p = &l.profile;
            SetSummary {
                set: l.set.as_ref().map(|s| s.set.clone()).unwrap_or_default(),
                name: p.name.clone(),
                headless: p
                    .services
                    .as_ref()
                    .and_then(|s| s.headless.as_ref())
                    .and_then(|h| h.name.clone())
                    .unwrap_or_else(|| p.name.clone()),
                replicas: p.replicas.unwrap_or(1),
            }
        })
        .collect();
    let client_ports: Vec<String> = out[0]
        .profile
        .ports
        .iter()
        .map(|p| p.name.clone())
        .filter(|name| {
            out.iter()
                .all(|l| l.profile.ports.iter().any(|p| &p.name == name))
        })
        .collect();
    for l in out.iter_mut() {
        if let Some(info) = &mut l.set {
            info.sets = summaries.clone();
            info.client_ports = client_ports.clone();
        }
    }
}

/// Checks `apiVersion` and `kind` first, so a wrong file gets one clear error.
fn check_header(tree: &Node) -> Result<(), LoadError> {
    match tree.get("apiVersion").map(|n| (n, n.resolve())) {
        None => {
            return Err(
                LoadError::new(tree.loc.clone(), "missing required key `apiVersion`")
                    .with_hint(format!("add `apiVersion: {}`", API_VERSIONS[0])),
            )
        }
        Some((n, Some(node::Resolved::Str(v)))) if API_VERSIONS.contains(&v) => {
            let _ = n;
        }
        Some((n, _)) => {
            return Err(LoadError::new(n.loc.clone(), "unsupported apiVersion")
                .with_kind(ErrorKind::Value)
                .with_path("apiVersion")
                .with_hint(format!("supported: {}", API_VERSIONS.join(", "))))
        }
    }
    match tree.get("kind").map(|n| (n, n.resolve())) {
        None => Err(
            LoadError::new(tree.loc.clone(), "missing required key `kind`")
                .with_hint("add `kind: Profile`"),
        ),
        Some((_, Some(node::Resolved::Str("Profile")))) => Ok(()),
        Some((n, _)) => Err(LoadError::new(n.loc.clone(), "unsupported kind")
            .with_kind(ErrorKind::Value)
            .with_path("kind")
            .with_hint("the only kind is `Profile`")),
    }
}

/// The location of the key a field path ends in (for "unknown key" errors), or of the
/// nearest node when the path does not end in a key present in the tree.
pub fn locate_key(tree: &Node, path: &str) -> Loc {
    let (parent, last) = split_last(path);
    let parent_node = locate(tree, parent);
    if let node::Value::Map(entries) = &parent_node.value {
        if let Some((k, _)) = entries.iter().find(|(k, _)| k.name == last) {
            return k.loc.clone();
        }
    }
    locate(tree, path).loc.clone()
}

/// Splits `a.b["c.d"]` into (`a.b`, `c.d`).
fn split_last(path: &str) -> (&str, String) {
    if let Some(stripped) = path.strip_suffix("\"]") {
        if let Some(open) = stripped.rfind("[\"") {
            let key =
                serde_json::from_str::<String>(&path[open + 1..path.len() - 1]).unwrap_or_default();
            return (&path[..open], key);
        }
    }
    match path.rfind(['.', '[']) {
        Some(i) if path.as_bytes()[i] == b'.' => (&path[..i], path[i + 1..].to_string()),
        _ => ("", path.to_string()),
    }
}

/// Finds the node a field path (as produced by [`de::join_key`]) points at.
///
/// Falls back to the deepest existing ancestor, so a missing key is reported at its parent.
pub fn locate<'a>(tree: &'a Node, path: &str) -> &'a Node {
    let mut node = tree;
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        let next: Option<&Node>;
        if let Some(after) = rest.strip_prefix('[') {
            let end = if after.starts_with('"') {
                // A JSON-quoted key: find the closing quote, skipping escapes.
                let mut escaped = false;
                let mut close = None;
                for (i, c) in after.char_indices().skip(1) {
                    match (escaped, c) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            close = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                match close {
                    Some(c) => c + 1,
                    None => return node,
                }
            } else {
                match after.find(']') {
                    Some(e) => e,
                    None => return node,
                }
            };
            let seg = &after[..end];
            rest = after[end..].strip_prefix(']').unwrap_or("");
            next = if seg.starts_with('"') {
                serde_json::from_str::<String>(seg)
                    .ok()
                    .and_then(|k| node.get(&k))
            } else {
                seg.parse::<usize>().ok().and_then(|i| match &node.value {
                    node::Value::Seq(items) => items.get(i),
                    _ => None,
                })
            };
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            next = node.get(&rest[..end]);
            rest = &rest[end..];
        }
        match next {
            Some(n) => node = n,
            None => return node,
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> Result<Loaded, LoadError> {
        load_bytes("p.yaml", src.as_bytes(), Path::new("."))
    }

    const MINIMAL: &str =
        "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: x:1\nstorage: {size: 1Gi}\n";

    #[test]
    fn minimal_profile_loads() {
        let l = load(MINIMAL).unwrap();
        assert_eq!(l.profile.name, "db");
        assert!(matches!(
            l.profile.storage,
            Some(types::StorageSpec::Persistent(_))
        ));
    }

    #[test]
    fn unknown_key_has_location_path_and_suggestion() {
        let e = load(&format!("{MINIMAL}replica: 3\n")).unwrap_err();
        assert_eq!(e.loc.as_ref().unwrap().line, 6);
        assert_eq!(e.loc.as_ref().unwrap().col, 1);
        assert_eq!(e.path, "replica");
        assert_eq!(e.hint.as_deref(), Some("did you mean `replicas`?"));
    }

    #[test]
    fn nested_wrong_type_points_at_value() {
        let e = load(&format!("{MINIMAL}ports:\n  - name: x\n    port: high\n")).unwrap_err();
        assert_eq!(e.path, "ports[0].port");
        let loc = e.loc.unwrap();
        assert_eq!((loc.line, loc.col), (8, 11));
        assert!(e.message.contains("expected an integer"), "{}", e.message);
    }

    #[test]
    fn yaml_1_1_booleans_are_strings() {
        let l = load(&format!(
            "{MINIMAL}env: {{A: yes, B: on, C: \"3\", D: 4}}\n"
        ))
        .unwrap();
        let env: Vec<_> = l.profile.env.values().cloned().collect();
        assert_eq!(
            env,
            vec![
                types::EnvValue::Literal("yes".into()),
                types::EnvValue::Literal("on".into()),
                types::EnvValue::Literal("3".into()),
                types::EnvValue::Literal("4".into()),
            ]
        );
    }

    #[test]
    fn rejects_structural_problems() {
        for (src, needle) in [
            ("", "empty"),
            ("- a\n- b\n", "must be a mapping"),
            ("a: 1\na: 2\n", "duplicate key `a`"),
            ("a: 1\n---\nb: 2\n", "second one"),
            ("a:\n\t- b\n", "invalid YAML"),
            ("a: !!binary aGk=\n", "tag"),
            ("apiVersion: v2\n", "unsupported apiVersion"),
        ] {
            let e = load(src).unwrap_err();
            assert!(e.to_string().contains(needle), "{src:?}: {e}");
        }
        let e = load_bytes("b.yaml", b"name: \xff\xfe", Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = load(&src).unwrap_err();
        assert!(e.message.contains("more than"), "{e}");
    }

    #[test]
    fn alias_of_a_large_string_is_bounded_by_bytes() {
        // 135 KB that would expand to 300 MB: refused by its byte budget, well under the
        // node budget, at the alias that crosses it.
        let mut src = format!("{MINIMAL}env:\n  BIG: &b \"{}\"\n", "x".repeat(100_000));
        for i in 0..3000 {
            src.push_str(&format!("  K{i}: *b\n"));
        }
        let start = std::time::Instant::now();
        let e = load(&src).unwrap_err();
        assert!(e.message.contains("bytes of text"), "{e}");
        assert!(
            e.loc.as_ref().is_some_and(|l| l.line > 8),
            "located at the alias: {e}"
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_mapping_of_many_keys_is_checked_in_linear_time() {
        let keys = |n: usize| {
            let mut src = format!("{MINIMAL}config:\n  vars:\n");
            for i in 0..n {
                src.push_str(&format!("    K{i}: v\n"));
            }
            src.push_str("    K7: again\n");
            src
        };
        // Under the node budget, with a duplicate at the very end: still found, naming the
        // first one's line. The duplicate search was a scan per key (minutes here).
        let e = load(&keys(99_000)).unwrap_err();
        assert!(e.message.contains("duplicate key `K7`"), "{e}");
        assert!(
            e.message
                .contains(&format!("line {}", MINIMAL.lines().count() + 10)),
            "{e}"
        );
        // 150,000 keys: refused by the node budget.
        let e = load(&keys(150_000)).unwrap_err();
        assert!(e.message.contains("more than 200000 nodes"), "{e}");
        // Linear, not quadratic: ten times the keys cost about ten times as long (a scan per
        // key, a hundred times). A ratio of the fastest of three runs each, taken back to back,
        // holds on a busy machine where a wall-clock limit does not.
        let fastest = |src: &str| {
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let _ = load(src);
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let (small, large) = (keys(9_000), keys(90_000));
        let ratio = fastest(&large).as_secs_f64() / fastest(&small).as_secs_f64();
        assert!(ratio < 40.0, "10x the keys took {ratio:.1}x as long");
    }

    #[test]
    fn locate_follows_paths() {
        let l = load(&format!(
            "{MINIMAL}config:\n  files:\n    my.cnf: |\n      x\nroles:\n  - name: a\n    ordinals: \"0-\"\n"
        ))
        .unwrap();
        assert_eq!(locate(&l.tree, "config.files[\"my.cnf\"]").loc.line, 9);
        assert_eq!(locate(&l.tree, "roles[0].ordinals").loc.line, 12);
        assert_eq!(locate(&l.tree, "roles[0].missing").loc.line, 11);
    }
}
