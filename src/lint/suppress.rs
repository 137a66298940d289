//! Suppressions: a profile's `lintIgnore`, an object's `sts-gen/ignore` annotation and a
//! document's `# sts-gen:ignore` comments. Each needs a reason; a bad one is a finding of
//! the `suppression` rule.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::report::{Finding, Suppressed};
use super::{find_rule, RULES};
use crate::check::Doc;

/// The annotation that suppresses rules on one object: lines of `RULE reason`.
pub const IGNORE_ANNOTATION: &str = "sts-gen/ignore";
/// The comment marker that suppresses a rule for the document it appears in.
pub const IGNORE_COMMENT: &str = "sts-gen:ignore";

/// Suppressions: rule → reason, for every object (a profile's `lintIgnore`) and per document
/// (`# sts-gen:ignore` comments, by the document's source).
#[derive(Debug, Default, Clone)]
pub struct Ignores {
    /// Rules switched off for every object (the profile's `lintIgnore`).
    pub all: IndexMap<String, String>,
    /// Rules switched off per document (comments), by document source.
    pub by_source: BTreeMap<String, Vec<(String, String)>>,
}

/// The errors of a profile's `lintIgnore`: each entry names a lint rule and gives a reason.
/// Checked with the profile's other errors (the lint stage owns the rule names).
pub fn profile_ignore_errors(loaded: &crate::profile::Loaded) -> Vec<crate::profile::LoadError> {
    let mut out = Vec::new();
    let mut push = |path: &str, message: String| {
        let node = crate::profile::locate(&loaded.tree, path);
        out.push(crate::profile::LoadError::new(node.loc.clone(), message).with_path(path));
    };
    for (rule, reason) in &loaded.profile.lint_ignore {
        let path = crate::profile::de::join_key("lintIgnore", rule);
        if find_rule(rule).is_none() {
            let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
            let hint = match crate::profile::error::did_you_mean(rule, &known) {
                Some(k) => format!("; did you mean `{k}`?"),
                None => "; `sts-gen lint --rules` lists them".into(),
            };
            push(&path, format!("`{rule}` is not a lint rule{hint}"));
        }
        if reason.trim().is_empty() {
            push(
                &path,
                "give the reason the rule does not apply (it is required)".into(),
            );
        }
    }
    out
}

/// `# sts-gen:ignore RULE reason` comments of one document's text: (rule, reason).
pub fn comment_ignores(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // The column a block scalar's lines must be indented past, while inside one: its text
    // (a ConfigMap's file, a script) may hold `# sts-gen:ignore` as content.
    let mut block_above: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(column) = block_above {
            if line.trim().is_empty() || indent > column {
                continue;
            }
            block_above = None;
        }
        let comment_at = comment_start(line);
        let code = line[..comment_at.unwrap_or(line.len())].trim_end();
        if opens_block_scalar(code) {
            // The key's column (past the `- ` of sequence entries on the same line), or the
            // last `-`'s when the block is the entry itself.
            let mut column = indent;
            let mut rest = &line[indent..];
            while let Some(r) = rest.strip_prefix("- ") {
                let spaces = r.len() - r.trim_start_matches(' ').len();
                if r[spaces..].starts_with(['|', '>']) {
                    break;
                }
                column += 2 + spaces;
                rest = &r[spaces..];
            }
            block_above = Some(column);
        }
        let Some(pos) = comment_at else { continue };
        let comment = line[pos + 1..].trim();
        let Some(rest) = comment.strip_prefix(IGNORE_COMMENT) else {
            continue;
        };
        let rest = rest.trim();
        let (rule, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        out.push((rule.to_string(), reason.trim().to_string()));
    }
    out
}

/// Where a YAML comment starts in `line`: a `#` at the start or after a space or tab,
/// outside a one-line quoted string (`url: a#b` and `"# x"` are text).
fn comment_start(line: &str) -> Option<usize> {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') if previous == ' ' || previous == '\t' => return Some(i),
            (None, '"' | '\'') if matches!(previous, ' ' | '\t' | ':' | '-' | '[' | '{' | ',') => {
                quote = Some(c)
            }
            (Some('"'), '\\') => {}
            (Some(q), c) if c == q && !(q == '"' && previous == '\\') => quote = None,
            _ => {}
        }
        previous = c;
    }
    None
}

/// Whether a line (its comment removed) ends with a block scalar's header: `key: |`,
/// `- >-`, `key: |2+`.
fn opens_block_scalar(code: &str) -> bool {
    let header = code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let Some(before) = header.strip_suffix(['|', '>']) else {
        return false;
    };
    // `|` or `>` as the whole value: after `key:`, a `- ` or at the start.
    let before = before.trim_end();
    before.is_empty() || before.ends_with(':') || before.ends_with('-') || before.ends_with('?')
}

/// Splits findings (sorted here by object) into those that stand and those a suppression
/// switched off; malformed suppressions become findings themselves.
pub(super) fn apply(
    mut raw: Vec<Finding>,
    docs: &[Doc],
    ignores: &Ignores,
) -> (Vec<Finding>, Vec<Suppressed>) {
    // Suppressions: the profile's, the object's annotation, the document's comments.
    let mut per_doc: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let mut entries: Vec<(String, String, String)> = Vec::new();
        if let Some(text) = doc
            .value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(IGNORE_ANNOTATION))
            .and_then(Json::as_str)
        {
            for line in text.lines().flat_map(|l| l.split(';')) {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let line = line.strip_prefix(IGNORE_COMMENT).unwrap_or(line).trim();
                let (rule, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                entries.push((
                    rule.to_string(),
                    reason.trim().to_string(),
                    format!("metadata.annotations.{IGNORE_ANNOTATION}"),
                ));
            }
        }
        for (rule, reason) in ignores.by_source.get(&doc.template).into_iter().flatten() {
            entries.push((rule.clone(), reason.clone(), format!("# {IGNORE_COMMENT}")));
        }
        for (rule, reason, at) in entries {
            let problem = if rule == "suppression" {
                Some("the suppression rule itself cannot be switched off".to_string())
            } else if find_rule(&rule).is_none() {
                Some(format!("`{IGNORE_COMMENT} {rule}` names no lint rule"))
            } else if reason.is_empty() {
                Some(format!(
                    "`{IGNORE_COMMENT} {rule}` gives no reason; the reason is required"
                ))
            } else {
                None
            };
            match problem {
                Some(message) => {
                    let r = find_rule("suppression").expect("declared");
                    raw.push(Finding {
                        rule: "suppression".into(),
                        severity: r.severity,
                        kind: doc.kind().to_string(),
                        name: doc.name().to_string(),
                        namespace: doc.namespace().map(str::to_string),
                        path: at,
                        message,
                        fix: r.fix.to_string(),
                        source: doc.template.clone(),
                        order: i,
                    });
                }
                None => per_doc.entry(i).or_default().push((rule, reason)),
            }
        }
    }
    raw.sort_by_key(|f| f.order);
    let (mut findings, mut suppressed) = (Vec::new(), Vec::new());
    for f in raw {
        let reason = ignores.all.get(&f.rule).cloned().or_else(|| {
            per_doc
                .get(&f.order)
                .and_then(|l| l.iter().find(|(r, _)| *r == f.rule))
                .map(|(_, reason)| reason.clone())
        });
        match reason {
            Some(reason) if f.rule != "suppression" => {
                suppressed.push(Suppressed { finding: f, reason })
            }
            _ => findings.push(f),
        }
    }
    (findings, suppressed)
}
