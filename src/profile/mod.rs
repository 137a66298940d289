//! Load stage: profile bytes → located node tree → typed [`Profile`].
//!
//! Public surface: [`load_file`], [`load_bytes`], [`Loaded`], [`LoadError`], [`locate`].

pub mod de;
pub mod error;
pub mod node;
pub mod types;

use std::path::{Path, PathBuf};

pub use error::LoadError;
pub use node::{Loc, Node};
pub use types::Profile;

/// Supported `apiVersion` values.
pub const API_VERSIONS: &[&str] = &["sts-gen/v1"];

/// A typed profile plus what later stages need to report errors and resolve files.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub profile: Profile,
    /// The located tree the profile was typed from; see [`locate`].
    pub tree: Node,
    /// The file name used in messages (`-` is shown as `<stdin>`).
    pub file: String,
    /// The folder `fromFile` paths are relative to.
    pub base_dir: PathBuf,
}

/// Reads and loads a profile file; `-` reads standard input.
pub fn load_file(path: &str) -> Result<Loaded, LoadError> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| LoadError::bare(format!("<stdin>: cannot read: {e}")))?;
        return load_bytes("<stdin>", &bytes, Path::new("."));
    }
    let p = Path::new(path);
    if p.is_dir() {
        return Err(LoadError::bare(format!(
            "{path}: is a directory, not a profile file"
        )));
    }
    let meta =
        std::fs::metadata(p).map_err(|e| LoadError::bare(format!("{path}: {}", io_reason(&e))))?;
    if meta.len() > node::MAX_PROFILE_BYTES as u64 {
        return Err(LoadError::bare(format!(
            "{path}: file is {} bytes; the largest profile accepted is {} bytes",
            meta.len(),
            node::MAX_PROFILE_BYTES
        )));
    }
    let bytes =
        std::fs::read(p).map_err(|e| LoadError::bare(format!("{path}: {}", io_reason(&e))))?;
    let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
    load_bytes(path, &bytes, &base)
}

/// A short, stable reason for an I/O error (no OS error codes).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Loads a profile from bytes; `file` names it in errors, `base_dir` anchors `fromFile`.
pub fn load_bytes(file: &str, bytes: &[u8], base_dir: &Path) -> Result<Loaded, LoadError> {
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
    for (key, what) in [("preset", "presets"), ("nodeSets", "node sets")] {
        if let Some(n) = tree.get(key) {
            return Err(LoadError::new(
                n.loc.clone(),
                format!("{what} are not supported by this version of sts-gen yet"),
            )
            .with_path(key));
        }
    }
    let profile: Profile = de::from_node(&tree)?;
    Ok(Loaded {
        profile,
        tree,
        file: file.to_string(),
        base_dir: base_dir.to_path_buf(),
    })
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
