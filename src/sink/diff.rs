//! Comparing a render with what an output directory holds: `sts-gen diff` and
//! `render --output-dir DIR --check`, plus the fields Kubernetes will not let an update change.

use std::path::Path;

use serde_json::Value as Json;

use super::dir::{DirError, OutFile, MANIFEST};
use super::safe;

/// How a planned directory differs from the one on disk.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// (file, old text, new text)
    pub changed: Vec<(String, String, String)>,
    /// Files the render would add.
    pub added: Vec<String>,
    /// Files sts-gen wrote before and would now remove.
    pub removed: Vec<String>,
}

impl Changes {
    /// Whether the directory already matches the render.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    /// `changed: f`, `added: f`, `removed: f` lines.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (f, _, _) in &self.changed {
            out.push_str(&format!("changed: {f}\n"));
        }
        for f in &self.added {
            out.push_str(&format!("added: {f}\n"));
        }
        for f in &self.removed {
            out.push_str(&format!("removed: {f}\n"));
        }
        out
    }

    /// A unified diff of every change. Secret files are named but their contents are not
    /// shown, so a CI log never carries a secret value.
    pub fn unified(&self, files: &[OutFile], dir: &Path) -> String {
        let private = |name: &str| {
            files.iter().any(|f| f.name == name && f.private) || name.starts_with("secret-")
        };
        let mut out = String::new();
        let label = |f: &str| dir.join(f).display().to_string();
        for (f, old, new) in &self.changed {
            if private(f) {
                out.push_str(&format!(
                    "--- {0}\n+++ {0}\n(secret contents changed; not shown)\n",
                    label(f)
                ));
                continue;
            }
            out.push_str(
                &similar::TextDiff::from_lines(old.as_str(), new.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(&label(f), &label(f))
                    .to_string(),
            );
        }
        for f in &self.added {
            let new = files
                .iter()
                .find(|x| &x.name == f)
                .map_or("", |x| x.content.as_str());
            if private(f) {
                out.push_str(&format!(
                    "--- /dev/null\n+++ {}\n(new secret; contents not shown)\n",
                    label(f)
                ));
                continue;
            }
            out.push_str(
                &similar::TextDiff::from_lines("", new)
                    .unified_diff()
                    .header("/dev/null", &label(f))
                    .to_string(),
            );
        }
        for f in &self.removed {
            out.push_str(&format!("--- {}\n+++ /dev/null\n(removed)\n", label(f)));
        }
        out
    }
}

/// Compares the planned files with the directory. Only regular files sts-gen wrote (named
/// plainly in its manifest) count as removed; foreign files are ignored. A missing directory
/// means everything is added.
///
/// Links are never followed: the directory being a link, or a link under the name of a
/// rendered file or of the manifest, is an error (a pull request could plant one for a CI
/// job's diff to print the file it points to).
pub fn compare(dir: &Path, files: &[OutFile]) -> Result<Changes, DirError> {
    let dir = &safe::normalize(dir);
    let mut changes = Changes::default();
    if !safe::existing_dir(dir)? {
        changes.added = files.iter().map(|f| f.name.clone()).collect();
        return Ok(changes);
    }
    let previous = match safe::read_entry(dir, MANIFEST)? {
        Some(text) => safe::manifest_entries(dir, &text, &mut Vec::new()),
        None => Default::default(),
    };
    for f in files {
        match safe::read_entry(dir, &f.name)? {
            Some(old) if old == f.content => {}
            Some(old) => changes
                .changed
                .push((f.name.clone(), old, f.content.clone())),
            None => changes.added.push(f.name.clone()),
        }
    }
    for p in previous {
        if !files.iter().any(|f| f.name == p) {
            changes.removed.push(p);
        }
    }
    Ok(changes)
}

/// Changes to StatefulSet fields Kubernetes refuses to update, each with the safe procedure.
///
/// Only StatefulSets sts-gen wrote (listed in the directory's manifest) are compared: a
/// hand-written file under the same name is not a committed render.
/// Links are never followed: the directory being one is an error; a link (or anything
/// unreadable) under the manifest's or a StatefulSet's name is skipped here, and refused by
/// the write or reported by [`compare`].
pub fn immutable_changes(dir: &Path, files: &[OutFile]) -> Result<Vec<String>, DirError> {
    let dir = &safe::normalize(dir);
    let mut problems = Vec::new();
    if !safe::existing_dir(dir)? {
        return Ok(problems);
    }
    let ours: Vec<String> = safe::read_entry(dir, MANIFEST)
        .ok()
        .flatten()
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    for f in files
        .iter()
        .filter(|f| f.name.starts_with("statefulset-") && ours.contains(&f.name))
    {
        let Ok(Some(old_text)) = safe::read_entry(dir, &f.name) else {
            continue;
        };
        // The same text has the same fields; a re-render that changes nothing parses nothing.
        if old_text == f.content {
            continue;
        }
        let (Ok(old), Ok(new)) = (
            serde_saphyr::from_str::<Json>(&old_text),
            serde_saphyr::from_str::<Json>(&f.content),
        ) else {
            continue;
        };
        let name = new
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or("?");
        let recreate = format!(
            "delete it keeping its pods (`kubectl delete statefulset {name} --cascade=orphan`), then apply the new one; the pods and their volumes are adopted"
        );
        for (field, pointer) in [
            ("spec.selector", "/spec/selector"),
            ("spec.serviceName", "/spec/serviceName"),
            ("spec.podManagementPolicy", "/spec/podManagementPolicy"),
        ] {
            if old.pointer(pointer) != new.pointer(pointer) {
                let extra = if field == "spec.selector" {
                    "; the selector must still match the running pods' labels, or they are orphaned"
                } else {
                    ""
                };
                problems.push(format!(
                    "StatefulSet {name}: {field} cannot change on an existing StatefulSet; {recreate}{extra}"
                ));
            }
        }
        let (old_claims, new_claims) = (
            old.pointer("/spec/volumeClaimTemplates"),
            new.pointer("/spec/volumeClaimTemplates"),
        );
        if old_claims != new_claims {
            let only_bigger = only_storage_grew(old_claims, new_claims);
            let how = if only_bigger {
                format!(
                    "for a larger size, expand each existing claim (`kubectl patch pvc <claim>-{name}-<ordinal> -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"<size>\"}}}}}}}}'`, the StorageClass must allow volume expansion), then {recreate}"
                )
            } else {
                format!("existing claims keep their old spec; {recreate}, and migrate data to new claims if needed")
            };
            problems.push(format!(
                "StatefulSet {name}: spec.volumeClaimTemplates cannot change on an existing StatefulSet; {how}"
            ));
        }
    }
    Ok(problems)
}

/// Whether the claim templates differ only in a larger storage request.
fn only_storage_grew(old: Option<&Json>, new: Option<&Json>) -> bool {
    let (Some(Json::Array(old)), Some(Json::Array(new))) = (old, new) else {
        return false;
    };
    if old.len() != new.len() {
        return false;
    }
    old.iter().zip(new).all(|(a, b)| {
        let size = |v: &Json| {
            v.pointer("/spec/resources/requests/storage")
                .and_then(Json::as_str)
                .and_then(|q| crate::shared::names::quantity(q).ok())
        };
        let strip = |v: &Json| {
            let mut v = v.clone();
            if let Some(r) = v.pointer_mut("/spec/resources/requests") {
                r.as_object_mut().map(|m| m.remove("storage"));
            }
            v
        };
        strip(a) == strip(b) && matches!((size(a), size(b)), (Some(x), Some(y)) if y >= x)
    })
}
