//! A lint run's report: findings, suppressed findings and notes, as text or JSON.

use serde::Serialize;

use super::Severity;

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id.
    pub rule: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The object's namespace.
    pub namespace: Option<String>,
    /// Field path in the object, e.g. `spec.template.spec.containers[0].image`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The template or file (and document) the object came from.
    pub source: String,
    /// Position of the object among the linted ones (findings are sorted by it).
    #[serde(skip)]
    pub(super) order: usize,
}

/// A finding a suppression switched off, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The reason the suppression gives.
    pub reason: String,
}

/// The result of a lint run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Findings that stand, in object order.
    pub findings: Vec<Finding>,
    /// Findings a suppression switched off.
    pub suppressed: Vec<Suppressed>,
    /// Documents skipped (kinds lint does not check).
    pub notes: Vec<String>,
    /// How many objects were checked.
    pub objects: usize,
}

impl Report {
    /// Whether a finding at or above `level` remains.
    pub fn fails(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }

    /// Adds another run's results (one file of a directory).
    pub fn extend(&mut self, other: Report) {
        let base = self.objects;
        self.findings
            .extend(other.findings.into_iter().map(|mut f| {
                f.order += base;
                f
            }));
        self.suppressed.extend(other.suppressed);
        self.notes.extend(other.notes);
        self.objects += other.objects;
    }

    /// Human-readable text: one line per finding, then a summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let object = match &f.namespace {
                Some(ns) => format!("{} {ns}/{}", f.kind, f.name),
                None => format!("{} {}", f.kind, f.name),
            };
            let at = if f.path.is_empty() {
                String::new()
            } else {
                format!(" {}", f.path)
            };
            out.push_str(&format!(
                "{}[{}] {object}{at}: {} (fix: {})\n",
                f.severity.as_str(),
                f.rule,
                f.message,
                f.fix
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let warnings = self.findings.len() - errors;
        out.push_str(&format!(
            "{} objects: {errors} error{}, {warnings} warning{}, {} suppressed\n",
            self.objects,
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            self.suppressed.len()
        ));
        out
    }

    /// `{"findings": [...], "suppressed": [...], "notes": [...], "objects": N}`.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report serializes");
        s.push('\n');
        s
    }
}
