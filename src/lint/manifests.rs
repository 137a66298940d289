//! Reading manifests to lint: files of a directory, YAML streams split into documents, and
//! telling an sts-gen profile from Kubernetes manifests.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::comment_ignores;
use crate::render::RenderedDoc;
use crate::shared::error::{ErrorKind, LoadError};

/// Splits a YAML stream into its documents (at `---` lines): each one's text and the line
/// (1-based) of the stream its text starts at, so errors and SARIF lines count in the file.
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            let rest = bare[3..].trim_start();
            // Text after the marker (`--- !!map`) is the document's first line.
            if rest.is_empty() {
                docs.push((i + 2, String::new()));
            } else {
                docs.push((i + 1, format!("{rest}\n")));
            }
            continue;
        }
        docs.last_mut().expect("non-empty").1.push_str(line);
    }
    docs
}

/// `# sts-gen:ignore` comments by document source: (rule, reason).
pub type CommentIgnores = BTreeMap<String, Vec<(String, String)>>;

/// Reads manifests (multi-document YAML, or JSON; `kind: List` items are unpacked) into
/// documents named `<source>#<n>`, and the `# sts-gen:ignore` comments of each.
pub fn parse_manifests(
    source: &str,
    text: &str,
) -> Result<(Vec<RenderedDoc>, CommentIgnores), LoadError> {
    let mut docs = Vec::new();
    let mut comments = BTreeMap::new();
    let mut n = 0;
    for (start, chunk) in split_documents(text) {
        let value: Json = if chunk.trim().is_empty() {
            continue;
        } else {
            parse_kube_yaml(&chunk).map_err(|e| {
                LoadError::of(
                    ErrorKind::Syntax,
                    format!("{source}: not YAML: {}", yaml_reason(&e, start - 1)),
                )
            })?
        };
        // The document's first line that is not blank or a comment, for errors about it.
        let line = chunk
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map_or(start, |p| start + p);
        let ignores = comment_ignores(&chunk);
        let items = match value {
            Json::Null => continue,
            Json::Object(ref m) if is_list(m) => m
                .get("items")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default(),
            Json::Object(_) => vec![value],
            _ => {
                return Err(not_a_mapping(format!(
                    "{source}: line {line}: a document is not a mapping (an object starts with `apiVersion:` and `kind:`)"
                )))
            }
        };
        for item in items {
            if !item.is_object() {
                return Err(not_a_mapping(format!(
                    "{source}: line {line}: an item of the List is not a mapping"
                )));
            }
            n += 1;
            let name = format!("{source}#{n}");
            if !ignores.is_empty() {
                comments.insert(name.clone(), ignores.clone());
            }
            docs.push(RenderedDoc {
                template: name,
                value: item,
            });
        }
    }
    Ok((docs, comments))
}

/// Whether a document is a list of objects: `kind: List`, or a typed list such as
/// `ServiceList` (what the API returns) with `items`, which kubectl unpacks alike.
pub(super) fn is_list(m: &serde_json::Map<String, Json>) -> bool {
    let kind = m.get("kind").and_then(Json::as_str).unwrap_or("");
    kind == "List" || (kind.ends_with("List") && m.get("items").is_some_and(Json::is_array))
}

/// Kinds of Kubernetes' own (and of common operators) that are cluster-scoped: no namespace
/// is given to them by `-n`, as kubectl gives none.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "GatewayClass",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Puts every namespaced object without `metadata.namespace` into `namespace`, as
/// `kubectl apply -n` does, so the cross-object rules see where it lands.
pub fn default_namespace(docs: &mut [RenderedDoc], namespace: &str) {
    for doc in docs {
        let kind = doc.value.get("kind").and_then(Json::as_str).unwrap_or("");
        if CLUSTER_SCOPED.contains(&kind) {
            continue;
        }
        let Some(meta) = doc.value.get_mut("metadata").and_then(Json::as_object_mut) else {
            continue;
        };
        let set = meta
            .get("namespace")
            .and_then(Json::as_str)
            .is_some_and(|n| !n.is_empty());
        if !set {
            meta.insert("namespace".into(), Json::String(namespace.to_string()));
        }
    }
}

/// One YAML document read as kubectl reads it: sigs.k8s.io/yaml follows YAML 1.1, where
/// `0755` is octal (493). Helm charts render file modes that way (`defaultMode: 0755`); read
/// as YAML 1.2 it would be a schema error on manifests that apply.
pub(crate) fn parse_kube_yaml(text: &str) -> Result<Json, serde_saphyr::Error> {
    let options = serde_saphyr::options! { legacy_octal_numbers: true };
    serde_saphyr::from_str_with_options(text, options)
}

/// The parser's reason without its source excerpt or the character it quotes: a document
/// that does not parse cannot be told to be a Secret, and the excerpt (or the character)
/// could be part of a secret value. Line and column stay, the line counted in the file:
/// `offset` is the number of lines before the document.
fn yaml_reason(e: &serde_saphyr::Error, offset: usize) -> String {
    let line = |l: &serde_saphyr::Location| l.line() as usize + offset;
    match e.without_snippet() {
        // After `...` a second document may start without `---`; kubectl splits only at
        // `---` lines and would read the first document alone, dropping the rest unseen.
        serde_saphyr::Error::MultipleDocuments { location, .. } => {
            return format!(
                "line {}: a document follows `...` without a `---` line; kubectl would read only the one before (put `---` before it)",
                line(location)
            )
        }
        // The parser's own wording tells a developer to change its options.
        serde_saphyr::Error::DuplicateMappingKey { key, location } => {
            let key = key.as_deref().map_or(String::new(), |k| {
                format!(" `{}`", k.chars().flat_map(char::escape_debug).collect::<String>())
            });
            return format!(
                "line {} column {}: duplicate key{key} (kubectl refuses a field given twice)",
                line(location),
                location.column()
            );
        }
        _ => {}
    }
    let message = e.to_string();
    let first = message.lines().next().unwrap_or("");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // `unexpected character: `\u{1}'`: the quoted character goes.
    let reason = match first.find(": `") {
        Some(i) if first.ends_with('\'') => &first[..i],
        _ => first,
    };
    // `line 5 column 6: ...` counts lines in the document.
    let located = reason.strip_prefix("line ").and_then(|r| {
        let (n, rest) = r.split_at(r.find(' ')?);
        Some(format!("line {}{rest}", n.parse::<usize>().ok()? + offset))
    });
    located.unwrap_or_else(|| reason.to_string())
}

/// A document that is YAML but not an object.
fn not_a_mapping(message: String) -> LoadError {
    LoadError::of(ErrorKind::Schema, message)
}

/// Whether a text is an sts-gen profile rather than Kubernetes manifests: a top-level
/// `apiVersion` of sts-gen's group (`sts-gen/v1`; another version goes to the loader, which
/// says which are supported). Only that decides: a `kind: Profile` of another API group
/// (Kubeflow's `kubeflow.org/v1`) is an ordinary manifest.
pub fn is_profile(text: &str) -> bool {
    text.lines().any(|l| {
        let Some(value) = l.trim_end().strip_prefix("apiVersion:") else {
            return false;
        };
        let value = value.split(" #").next().unwrap_or("").trim();
        value.trim_matches(['"', '\'']).starts_with("sts-gen/")
    })
}

/// The manifest files of a directory, recursively, in name order: `*.yaml`, `*.yml`,
/// `*.json`; hidden files and folders are skipped.
pub fn manifest_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, LoadError> {
    let io = |message: String| LoadError::of(ErrorKind::Io, message);
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| io(format!("{}: {}", d.display(), crate::shared::io_reason(&e))))?;
        for entry in entries {
            let entry = entry.map_err(|e| io(format!("{}: {e}", d.display())))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            // The entry's own type, links not followed: a link to a folder is not entered, so
            // a link loop cannot trap the walk and no folder is read twice.
            let kind = entry.file_type().map_err(|e| {
                io(format!(
                    "{}: {}",
                    path.display(),
                    crate::shared::io_reason(&e)
                ))
            })?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_symlink() && path.is_dir() {
                continue;
            } else if [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    out.sort();
    // A link to a file that is also in the tree would count its objects twice; keep the
    // first path (in sorted order) of each real file.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::split_documents;
    use crate::lint::comment_ignores;

    #[test]
    fn comments_and_documents() {
        let docs =
            split_documents("a: 1\n---\n# sts-gen:ignore probes sidecar idles\nb: 2\n--- \nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert_eq!((docs[1].0, docs[2].0), (3, 6));
        assert_eq!(
            comment_ignores(&docs[1].1),
            vec![("probes".to_string(), "sidecar idles".to_string())]
        );
        assert_eq!(
            comment_ignores("# sts-gen:ignore probes"),
            vec![("probes".to_string(), String::new())]
        );
    }

    #[test]
    fn comment_text_inside_values_is_not_a_suppression() {
        let ignore = |rule: &str| vec![(rule.to_string(), "why".to_string())];
        let doc = "data:\n  notes.txt: |\n    # sts-gen:ignore pod-references why\n\n    more\n  script: >-\n    # sts-gen:ignore probes why\n# sts-gen:ignore image-tag why\n";
        assert_eq!(comment_ignores(doc), ignore("image-tag"));
        // In a sequence entry, with a header comment, and after the block ends.
        let doc = "args:\n  - |2+ # sts-gen:ignore resources why\n    # sts-gen:ignore probes why\n  - x # sts-gen:ignore cpu-limit why\n";
        assert_eq!(
            comment_ignores(doc),
            [ignore("resources"), ignore("cpu-limit")].concat()
        );
        // In quotes or without a space before `#`: text.
        let doc = "a: \"# sts-gen:ignore probes why\"\nb: 'x # sts-gen:ignore probes why'\nc: u#sts-gen:ignore probes\n";
        assert_eq!(comment_ignores(doc), []);
    }
}
