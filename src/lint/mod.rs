//! `sts-gen lint`: the checks CI scanners (kube-score, kube-linter, Polaris, Checkov) make,
//! plus sts-gen's cross-object rules, over rendered profiles or hand-written manifests.
//!
//! Each finding names its rule, severity, object, field path and a one-line fix. A rule is
//! switched off for one object with an annotation `sts-gen/ignore: "RULE reason"` or a YAML
//! comment `# sts-gen:ignore RULE reason` in the object's document, and for a whole profile
//! with `lintIgnore: {RULE: reason}`; the reason is required.

mod equivalents;
mod manifests;
mod report;
mod sarif;
mod suppress;

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

use crate::check::rules::{self as engine, Objects};
use crate::check::{self, Doc};
use crate::render::RenderedDoc;

pub use crate::check::rules::{find_rule, rules_text, Rule, Scope, Severity, RULES};
pub use equivalents::{equivalents, EQUIVALENTS};
pub use manifests::{
    default_namespace, is_profile, manifest_files, parse_manifests, split_documents, CommentIgnores,
};
pub use report::{Finding, Report, Suppressed};
pub use sarif::to_sarif;
pub use suppress::{
    comment_ignores, profile_ignore_errors, Ignores, IGNORE_ANNOTATION, IGNORE_COMMENT,
};

/// Lints checked objects. `core` runs the check stage's cross-object rules too (a rendered
/// profile has passed them already); `schema` are documents that did not type.
pub fn lint(
    docs: &[Doc],
    schema: &[(RenderedDoc, check::CheckError)],
    core: bool,
    ignores: &Ignores,
) -> Report {
    lint_for(docs, schema, core, ignores, None)
}

/// [`lint`] for the Kubernetes version the objects were rendered for (`--kube-version`), so
/// no rule asks for a field that version does not have.
pub fn lint_for(
    docs: &[Doc],
    schema: &[(RenderedDoc, check::CheckError)],
    core: bool,
    ignores: &Ignores,
    kube_version: Option<(u32, u32)>,
) -> Report {
    let external = check::External {
        kube_version,
        ..check::External::default()
    };
    run(docs, schema, &[], &external, core, false, ignores)
}

/// Lints manifests from any source: every rule, the cross-object ones included, with the
/// pods of workloads sts-gen does not type counted by the selector rules, and a note per
/// skipped document.
pub fn lint_manifests(typed: check::Typed, ignores: &Ignores) -> Report {
    let external = check::External {
        secrets: typed.produced_secrets.clone(),
        pod_labellers: typed.pod_labellers.clone(),
        ..check::External::default()
    };
    let mut report = run(
        &typed.docs,
        &typed.schema,
        &typed.other_pods,
        &external,
        true,
        true,
        ignores,
    );
    report.notes.extend(typed.notes);
    report
}

fn run(
    docs: &[Doc],
    schema: &[(RenderedDoc, check::CheckError)],
    other_pods: &[check::selector::Pods],
    external: &check::External,
    core: bool,
    manifests: bool,
    ignores: &Ignores,
) -> Report {
    let mut raw: Vec<Finding> = Vec::new();
    // A finding keeps its object's place in the input; looked up, not scanned for (a scan
    // per finding made 20,000 objects take seconds).
    let places: HashMap<*const Doc, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d as *const Doc, i))
        .collect();
    let position = |doc: &Doc| {
        places
            .get(&(doc as *const Doc))
            .copied()
            .unwrap_or(usize::MAX)
    };
    let mut emit = |doc: &Doc, id: &str, path: String, message: String, fix: Option<String>| {
        let r = find_rule(id).expect("rules are declared in RULES");
        raw.push(Finding {
            rule: id.to_string(),
            severity: r.severity,
            kind: doc.kind().to_string(),
            name: doc.name().to_string(),
            namespace: doc.namespace().map(str::to_string),
            path: if path.is_empty() {
                r.path.to_string()
            } else {
                path
            },
            message,
            fix: fix.unwrap_or_else(|| r.fix.to_string()),
            source: doc.template.clone(),
            order: position(doc),
        })
    };

    // Rules of scope `rendered` have passed already in a rendered profile's check stage.
    let objects = Objects::new(docs, external, other_pods, manifests);
    engine::run(&objects, |r| core || r.scope == Scope::Manifests, &mut emit);

    let mut report = Report {
        objects: docs.len() + schema.len(),
        ..Report::default()
    };
    for (i, (doc, e)) in schema.iter().enumerate() {
        let value = &doc.value;
        let text = |p: &str| value.pointer(p).and_then(Json::as_str).map(str::to_string);
        raw.push(Finding {
            rule: "schema".into(),
            severity: Severity::Error,
            kind: text("/kind").unwrap_or_default(),
            name: text("/metadata/name").unwrap_or_default(),
            namespace: text("/metadata/namespace"),
            // `unknown field `spec.x``, `... schema at `spec.x`: ...`: the path is the field.
            path: [
                "unknown field `",
                "does not match the Kubernetes schema at `",
            ]
            .iter()
            .find_map(|p| e.message.strip_prefix(p))
            .and_then(|r| r.split_once('`'))
            .map(|(f, _)| f.to_string())
            .unwrap_or_default(),
            message: e.message.clone(),
            fix: find_rule("schema").map(|r| r.fix).unwrap_or("").to_string(),
            source: doc.template.clone(),
            order: docs.len() + i,
        });
    }

    // Duplicates (a rule reached twice for one field) are reported once.
    let mut seen = BTreeSet::new();
    raw.retain(|f| {
        seen.insert((
            f.rule.clone(),
            f.kind.clone(),
            f.namespace.clone(),
            f.name.clone(),
            f.path.clone(),
            f.message.clone(),
        ))
    });

    let (findings, suppressed) = suppress::apply(raw, docs, ignores);
    report.findings = findings;
    report.suppressed = suppressed;
    report
}
