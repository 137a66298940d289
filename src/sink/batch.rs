//! A batch (`render DIR --output-dir OUT`) writes each profile's objects into its own
//! directory; an object two profiles both render would be applied twice and deleted with
//! either app. Such a run fails before anything is written, naming the profiles.

use std::collections::BTreeMap;
use std::path::Path;

use crate::check::Doc;

/// An object's identity and a digest of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Id {
    kind: String,
    namespace: Option<String>,
    name: String,
    digest: u64,
}

/// The identities of `docs`, for [`conflicts`].
pub fn ids(docs: &[Doc]) -> Vec<Id> {
    docs.iter()
        .map(|d| Id {
            kind: d.kind().to_string(),
            namespace: d.namespace().map(str::to_string),
            name: d.name().to_string(),
            digest: digest(&d.value),
        })
        .collect()
}

/// Equal objects digest equal. It only tells "rendered differently" in a conflict message,
/// so a 64-bit hash of the value's structure does: serializing every object to JSON and
/// hashing that with SHA-256 was 4% of a batch render.
fn digest(value: &serde_json::Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(v: &serde_json::Value, h: &mut impl Hasher) {
        use serde_json::Value::*;
        match v {
            Null => 0u8.hash(h),
            Bool(b) => (1u8, b).hash(h),
            Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => (2u8, i).hash(h),
                (None, Some(u), _) => (3u8, u).hash(h),
                (_, _, f) => (4u8, f.map(f64::to_bits)).hash(h),
            },
            String(s) => (5u8, s).hash(h),
            Array(items) => {
                (6u8, items.len()).hash(h);
                items.iter().for_each(|i| walk(i, h));
            }
            Object(map) => {
                (7u8, map.len()).hash(h);
                for (k, v) in map {
                    k.hash(h);
                    walk(v, h);
                }
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    walk(value, &mut h);
    h.finish()
}

/// (kind, namespace, name).
type Key<'a> = (&'a str, Option<&'a str>, &'a str);

/// One line per object more than one profile renders, and per Namespace one profile
/// renders while another profile's objects live in it (deleting the first app's directory
/// would delete the second app's objects and claims).
pub fn conflicts<'a>(profiles: impl IntoIterator<Item = (&'a Path, &'a [Id])>) -> Vec<String> {
    let mut by_id: BTreeMap<Key, Vec<(&Path, &u64)>> = BTreeMap::new();
    let mut namespaces_used: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for (file, ids) in profiles {
        for id in ids {
            let key = (id.kind.as_str(), id.namespace.as_deref(), id.name.as_str());
            by_id.entry(key).or_default().push((file, &id.digest));
            if let Some(ns) = &id.namespace {
                let users = namespaces_used.entry(ns.as_str()).or_default();
                if !users.contains(&file) {
                    users.push(file);
                }
            }
        }
    }
    let list = |files: &[&Path]| {
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    for ((kind, namespace, name), renders) in &by_id {
        let at = namespace
            .map(|ns| format!(" in namespace {ns}"))
            .unwrap_or_default();
        if renders.len() > 1 {
            let files: Vec<&Path> = renders.iter().map(|(f, _)| *f).collect();
            let same = renders.iter().all(|(_, d)| *d == renders[0].1);
            out.push(format!(
                "{kind} {name}{at} is rendered by {} profiles{}: {}; render it from one profile only (a name fixed in a profile, such as storage.className or secret.name, must differ per app), or manage it outside sts-gen",
                files.len(),
                if same { "" } else { ", differently" },
                list(&files)
            ));
        } else if *kind == "Namespace" {
            let owner = renders[0].0;
            let others: Vec<&Path> = namespaces_used
                .get(name)
                .into_iter()
                .flatten()
                .copied()
                .filter(|f| *f != owner)
                .collect();
            if !others.is_empty() {
                out.push(format!(
                    "Namespace {name} is rendered by {} (createNamespace: true) and also holds the objects of {}: deleting the first app would delete theirs; create the namespace outside sts-gen, or give each app its own",
                    owner.display(),
                    list(&others)
                ));
            }
        }
    }
    out
}
