//! `sts-gen lint`: the checks CI scanners (kube-score, kube-linter, Polaris, Checkov) make,
//! plus sts-gen's cross-object rules, over rendered profiles or hand-written manifests.
//!
//! Each finding names its rule, severity, object, field path and a one-line fix. A rule is
//! switched off for one object with an annotation `sts-gen/ignore: "RULE reason"` or a YAML
//! comment `# sts-gen:ignore RULE reason` in the object's document, and for a whole profile
//! with `lintIgnore: {RULE: reason}`; the reason is required.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde_json::Value as Json;

use crate::check::{self, selector, Doc, Object};
use crate::render::RenderedDoc;

/// How serious a finding is; `--fail-on` picks the lowest one that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One lint rule.
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// What it checks, for `--rules` and the README.
    pub checks: &'static str,
    /// The usual fix (a finding may give a more precise one).
    pub fix: &'static str,
    /// The field path of findings whose rule does not give one (cross-object rules).
    pub path: &'static str,
}

const fn rule(
    id: &'static str,
    severity: Severity,
    checks: &'static str,
    fix: &'static str,
    path: &'static str,
) -> Rule {
    Rule {
        id,
        severity,
        checks,
        fix,
        path,
    }
}

use Severity::{Error as E, Warning as W};

/// Every rule, cross-object rules of the check stage first.
pub const RULES: &[Rule] = &[
    rule("schema", E, "every object matches its Kubernetes type (no unknown field, valid names)", "correct the field the message names", ""),
    rule("selects-pods", E, "every Service and PodDisruptionBudget selects pods of a StatefulSet", "make the selector a subset of the pod template labels", "spec.selector"),
    rule("service-ports", E, "a Service's named targetPort is a container port of the pods it selects", "name the targetPort after a container port", "spec.ports"),
    rule("size-limits", E, "ConfigMap/Secret data at most 1 MiB, annotations at most 256 KiB", "move large data out of the object", "data"),
    rule("namespace", E, "with a Namespace object, every namespaced object is in it", "use the rendered Namespace", "metadata.namespace"),
    rule("statefulset", E, "a StatefulSet has a spec", "add the spec", "spec"),
    rule("selector", E, "the StatefulSet selector is non-empty and matches the pod template labels", "copy the selector's labels onto the pod template", "spec.selector"),
    rule("service-name", E, "serviceName is a headless Service (clusterIP: None) among the objects", "add the headless Service or fix serviceName", "spec.serviceName"),
    rule("pod", E, "the pod template has a spec", "add spec.template.spec", "spec.template.spec"),
    rule("volumes", E, "volume and claim names are unique", "rename one of the volumes", "spec.template.spec.volumes"),
    rule("volume-mounts", E, "every volumeMount has a volume or volume claim", "add the volume or fix the mount's name", "spec.template.spec"),
    rule("references", W, "ConfigMap and Secret references resolve to objects (and keys) among the linted ones", "add the object or key, or mark the reference optional", "spec.template.spec"),
    rule("local-pvs", E, "local PersistentVolumes have a required nodeAffinity and are enough for the replicas, with the claims' size and access modes", "add a PersistentVolume per replica with spec.nodeAffinity.required on kubernetes.io/hostname", "spec"),
    rule("local-storage-class", E, "a kubernetes.io/no-provisioner StorageClass binds WaitForFirstConsumer", "set volumeBindingMode: WaitForFirstConsumer", "volumeBindingMode"),
    rule("image-tag", E, "every container image is pinned to a tag other than latest (or a digest)", "pin a version tag such as `redis:7.4.3`, or a digest", ""),
    rule("resources", E, "every container requests CPU and memory and has a memory limit", "set resources.requests.cpu, resources.requests.memory and resources.limits.memory", ""),
    rule("cpu-limit", W, "every container has a CPU limit", "set resources.limits.cpu", ""),
    rule("probes", W, "every app container has readiness and liveness probes, and they differ", "add the probe; make liveness more tolerant than readiness (a busy pod is not dead)", ""),
    rule("probe-port", E, "probes use ports the pod declares", "probe a declared container port (by name or number)", ""),
    rule("security-context", E, "the restricted Pod Security Standard: non-root, no privilege escalation, capabilities drop ALL, seccomp RuntimeDefault, no host namespaces", "set the field as the message says (sts-gen renders it by default)", ""),
    rule("read-only-root", W, "containers have readOnlyRootFilesystem: true", "set readOnlyRootFilesystem: true and mount emptyDirs where the image writes", ""),
    rule("run-as-user", W, "containers run as a uid of 10000 or more (no clash with host users)", "set runAsUser (and runAsGroup, fsGroup) to 10000 or more", ""),
    rule("pdb", W, "a StatefulSet with more than one replica has a PodDisruptionBudget, which sets unhealthyPodEvictionPolicy", "add a PodDisruptionBudget with maxUnavailable: 1 and unhealthyPodEvictionPolicy: AlwaysAllow", ""),
    rule("anti-affinity", W, "a StatefulSet with more than one replica spreads its pods over nodes (podAntiAffinity or topologySpreadConstraints on kubernetes.io/hostname)", "add a preferred podAntiAffinity term on kubernetes.io/hostname selecting the pods", "spec.template.spec.affinity"),
    rule("network-policy", W, "a NetworkPolicy selects the StatefulSet's pods", "add a NetworkPolicy whose podSelector matches the pod labels", ""),
    rule("namespace-set", W, "namespaced objects set metadata.namespace", "set metadata.namespace (profile `namespace` or `-n`)", "metadata.namespace"),
    rule("name-length", E, "a StatefulSet name has at most 52 characters (the controller-revision-hash label adds 11)", "shorten the name", "metadata.name"),
    rule("port-names", E, "container ports have unique IANA service names; multi-port Services name every port", "name every port (at most 15 lowercase letters, digits and `-`)", ""),
    rule("suppression", E, "every `sts-gen:ignore` names a rule and gives a reason", "write `RULE reason`", "metadata.annotations"),
];

/// The rule with this id.
pub fn find_rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
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

/// The annotation that suppresses rules on one object: lines of `RULE reason`.
pub const IGNORE_ANNOTATION: &str = "sts-gen/ignore";
/// The comment marker that suppresses a rule for the document it appears in.
pub const IGNORE_COMMENT: &str = "sts-gen:ignore";

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// Field path in the object, e.g. `spec.template.spec.containers[0].image`.
    pub path: String,
    pub message: String,
    pub fix: String,
    /// The template or file (and document) the object came from.
    pub source: String,
    #[serde(skip)]
    order: usize,
}

/// A finding a suppression switched off, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
}

/// The result of a lint run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
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

/// Suppressions: rule → reason, for every object (a profile's `lintIgnore`) and per document
/// (`# sts-gen:ignore` comments, by the document's source).
#[derive(Debug, Default, Clone)]
pub struct Ignores {
    pub all: IndexMap<String, String>,
    pub by_source: BTreeMap<String, Vec<(String, String)>>,
}

/// Lints checked objects. `core` runs the check stage's cross-object rules too (a rendered
/// profile has passed them already); `schema` are documents that did not type.
pub fn lint(
    docs: &[Doc],
    schema: &[(RenderedDoc, check::CheckError)],
    core: bool,
    ignores: &Ignores,
) -> Report {
    run(docs, schema, &[], core, ignores)
}

/// Lints manifests from any source: every rule, the cross-object ones included, with the
/// pods of workloads sts-gen does not type counted by the selector rules, and a note per
/// skipped document.
pub fn lint_manifests(typed: check::Typed, ignores: &Ignores) -> Report {
    let mut report = run(&typed.docs, &typed.schema, &typed.other_pods, true, ignores);
    report.notes.extend(typed.notes);
    report
}

fn run(
    docs: &[Doc],
    schema: &[(RenderedDoc, check::CheckError)],
    other_pods: &[check::selector::Pods],
    core: bool,
    ignores: &Ignores,
) -> Report {
    let mut raw: Vec<Finding> = Vec::new();
    let position = |doc: &Doc| {
        docs.iter()
            .position(|d| std::ptr::eq(d, doc))
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

    if core {
        check::rules::visit(
            docs,
            &check::External::default(),
            other_pods,
            |doc, id, message| {
                let id = if find_rule(id).is_some() {
                    id
                } else {
                    "schema"
                };
                emit(doc, id, String::new(), message, None)
            },
        );
    }
    object_rules(docs, &mut emit);
    for doc in docs {
        if let Object::StatefulSet(sts) = &doc.object {
            statefulset_rules(doc, sts, docs, &mut emit);
        }
    }

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
            // `unknown field `spec.x``: the path is the field.
            path: e
                .message
                .strip_prefix("unknown field `")
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
    for f in raw {
        let reason = ignores.all.get(&f.rule).cloned().or_else(|| {
            per_doc
                .get(&f.order)
                .and_then(|l| l.iter().find(|(r, _)| *r == f.rule))
                .map(|(_, reason)| reason.clone())
        });
        match reason {
            Some(reason) if f.rule != "suppression" => {
                report.suppressed.push(Suppressed { finding: f, reason })
            }
            _ => report.findings.push(f),
        }
    }
    report
}

/// `# sts-gen:ignore RULE reason` comments of one document's text: (rule, reason).
pub fn comment_ignores(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(pos) = line.find('#') else { continue };
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

/// Splits a YAML stream into its documents' texts (at `---` lines).
pub fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare.starts_with("---\t") {
            docs.push(String::new());
            let rest = bare[3..].trim_start();
            if !rest.is_empty() {
                docs.last_mut().expect("non-empty").push_str(rest);
                docs.last_mut().expect("non-empty").push('\n');
            }
            continue;
        }
        docs.last_mut().expect("non-empty").push_str(line);
    }
    docs
}

type Emit<'a> = dyn FnMut(&Doc, &str, String, String, Option<String>) + 'a;

/// Rules on single objects other than StatefulSets.
fn object_rules(docs: &[Doc], emit: &mut Emit) {
    for doc in docs {
        if !matches!(
            doc.kind(),
            "Namespace" | "StorageClass" | "PersistentVolume"
        ) && doc.namespace().is_none()
        {
            emit(
                doc,
                "namespace-set",
                String::new(),
                format!(
                    "the {} has no namespace; it lands in whatever namespace kubectl's context has",
                    doc.kind()
                ),
                None,
            );
        }
        match &doc.object {
            Object::StorageClass(sc)
                if sc.provisioner == "kubernetes.io/no-provisioner"
                    && sc.volume_binding_mode.as_deref() != Some("WaitForFirstConsumer") =>
            {
                emit(
                    doc,
                    "local-storage-class",
                    String::new(),
                    format!(
                        "volumeBindingMode is {}; a no-provisioner class must wait for the pod to be scheduled, or a claim binds a volume on a node the pod cannot run on",
                        sc.volume_binding_mode.as_deref().unwrap_or("unset (Immediate)")
                    ),
                    None,
                );
            }
            Object::PodDisruptionBudget(pdb)
                if pdb
                    .spec
                    .as_ref()
                    .and_then(|s| s.unhealthy_pod_eviction_policy.as_deref())
                    .is_none() =>
            {
                emit(
                    doc,
                    "pdb",
                    "spec.unhealthyPodEvictionPolicy".into(),
                    "unhealthyPodEvictionPolicy is unset: a pod that is not ready counts against the budget and can block a node drain".into(),
                    Some("set unhealthyPodEvictionPolicy: AlwaysAllow".into()),
                );
            }
            Object::Service(svc) => {
                let ports = svc
                    .spec
                    .as_ref()
                    .and_then(|s| s.ports.clone())
                    .unwrap_or_default();
                for (i, p) in ports.iter().enumerate() {
                    match &p.name {
                        None if ports.len() > 1 => emit(
                            doc,
                            "port-names",
                            format!("spec.ports[{i}].name"),
                            format!(
                                "port {} has no name; a Service with several ports must name each",
                                p.port
                            ),
                            None,
                        ),
                        Some(n) if crate::shared::names::dns_label(n, 63).is_err() => emit(
                            doc,
                            "port-names",
                            format!("spec.ports[{i}].name"),
                            format!("port name `{n}` is not a DNS label"),
                            None,
                        ),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// A container of the pod with its field path.
struct Slot<'a> {
    path: String,
    container: &'a Container,
    app: bool,
}

fn statefulset_rules(doc: &Doc, sts: &StatefulSet, docs: &[Doc], emit: &mut Emit) {
    let name = doc.name();
    if name.len() > 52 {
        emit(
            doc,
            "name-length",
            String::new(),
            format!(
                "the name has {} characters; pods get a controller-revision-hash label of name + 11 characters, which must fit in 63",
                name.len()
            ),
            None,
        );
    }
    let Some(spec) = &sts.spec else { return };
    let replicas = spec.replicas.unwrap_or(1);
    let labels: BTreeMap<String, String> = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let Some(pod) = &spec.template.spec else {
        return;
    };
    let base = "spec.template.spec";
    let slots: Vec<Slot> = pod
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| Slot {
            path: format!("{base}.initContainers[{i}]"),
            container: c,
            app: false,
        })
        .chain(pod.containers.iter().enumerate().map(|(i, c)| Slot {
            path: format!("{base}.containers[{i}]"),
            container: c,
            app: true,
        }))
        .collect();

    containers_rules(doc, pod, &slots, emit);
    security_rules(doc, pod, &slots, emit);

    let same_ns = |d: &&Doc| d.namespace() == doc.namespace();
    if replicas > 1 {
        let has_pdb = docs.iter().filter(same_ns).any(|d| match &d.object {
            Object::PodDisruptionBudget(p) => p
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| selects(s, &labels, false)),
            _ => false,
        });
        if !has_pdb {
            emit(
                doc,
                "pdb",
                String::new(),
                format!("{replicas} replicas and no PodDisruptionBudget selects the pods: a node drain may evict several at once"),
                None,
            );
        }
        let spread = pod
            .affinity
            .as_ref()
            .and_then(|a| a.pod_anti_affinity.as_ref())
            .is_some_and(|aa| {
                let req = aa
                    .required_during_scheduling_ignored_during_execution
                    .iter()
                    .flatten();
                let pref = aa
                    .preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .flatten()
                    .map(|w| &w.pod_affinity_term);
                req.chain(pref).any(|t| {
                    t.topology_key == "kubernetes.io/hostname"
                        && t.label_selector
                            .as_ref()
                            .is_some_and(|s| selects(s, &labels, false))
                })
            })
            || pod.topology_spread_constraints.iter().flatten().any(|t| {
                t.topology_key == "kubernetes.io/hostname"
                    && t.label_selector
                        .as_ref()
                        .is_some_and(|s| selects(s, &labels, false))
            });
        if !spread {
            emit(
                doc,
                "anti-affinity",
                String::new(),
                format!("{replicas} replicas may all land on one node: nothing spreads them over kubernetes.io/hostname"),
                None,
            );
        }
    }
    let has_policy = docs.iter().filter(same_ns).any(|d| match &d.object {
        Object::NetworkPolicy(np) => np
            .spec
            .as_ref()
            .is_some_and(|s| selects(&s.pod_selector.clone().unwrap_or_default(), &labels, true)),
        _ => false,
    });
    if !has_policy {
        emit(
            doc,
            "network-policy",
            String::new(),
            "no NetworkPolicy selects the pods: every pod in the cluster can connect to them"
                .into(),
            None,
        );
    }
}

/// Image, resources, probes and port names of every container.
fn containers_rules(doc: &Doc, pod: &PodSpec, slots: &[Slot], emit: &mut Emit) {
    let mut port_names: BTreeMap<String, String> = BTreeMap::new();
    let pod_numbers: BTreeSet<i32> = slots
        .iter()
        .flat_map(|s| s.container.ports.iter().flatten())
        .map(|p| p.container_port)
        .collect();
    let _ = pod;
    for s in slots {
        let c = s.container;
        let at = |f: &str| format!("{}.{f}", s.path);
        // image-tag
        match c.image.as_deref() {
            None | Some("") => emit(
                doc,
                "image-tag",
                at("image"),
                format!("container `{}` has no image", c.name),
                None,
            ),
            Some(image) => {
                if let Some(problem) = image_problem(image) {
                    emit(
                        doc,
                        "image-tag",
                        at("image"),
                        format!("container `{}`: image `{image}` {problem}", c.name),
                        None,
                    );
                }
            }
        }
        // resources
        let res = c.resources.as_ref();
        let has = |section: &str, key: &str| {
            res.and_then(|r| {
                if section == "requests" {
                    r.requests.as_ref()
                } else {
                    r.limits.as_ref()
                }
            })
            .is_some_and(|m| m.contains_key(key))
        };
        let missing: Vec<&str> = [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "memory"),
        ]
        .iter()
        .filter(|(s, k)| !has(s, k))
        .map(|(s, k)| {
            if *s == "requests" {
                if *k == "cpu" {
                    "requests.cpu"
                } else {
                    "requests.memory"
                }
            } else {
                "limits.memory"
            }
        })
        .collect();
        if !missing.is_empty() {
            emit(
                doc,
                "resources",
                at("resources"),
                format!("container `{}` has no {}", c.name, missing.join(", ")),
                None,
            );
        }
        if !has("limits", "cpu") {
            emit(
                doc,
                "cpu-limit",
                at("resources.limits.cpu"),
                format!("container `{}` has no CPU limit", c.name),
                None,
            );
        }
        // probes
        if s.app {
            if c.readiness_probe.is_none() {
                emit(doc, "probes", at("readinessProbe"), format!("container `{}` has no readiness probe: Services send it traffic before it is ready", c.name), None);
            }
            if c.liveness_probe.is_none() {
                emit(
                    doc,
                    "probes",
                    at("livenessProbe"),
                    format!(
                        "container `{}` has no liveness probe: a hung process is never restarted",
                        c.name
                    ),
                    None,
                );
            }
            if let (Some(r), Some(l)) = (&c.readiness_probe, &c.liveness_probe) {
                if r == l {
                    emit(doc, "probes", at("livenessProbe"), format!("container `{}` has identical liveness and readiness probes: a pod that is only busy gets restarted", c.name), Some("give liveness a longer period or higher failureThreshold, or a cheaper check".into()));
                }
            }
        }
        let own: BTreeSet<&str> = c
            .ports
            .iter()
            .flatten()
            .filter_map(|p| p.name.as_deref())
            .collect();
        for (kind, probe) in [
            ("readinessProbe", &c.readiness_probe),
            ("livenessProbe", &c.liveness_probe),
            ("startupProbe", &c.startup_probe),
        ] {
            let Some(probe) = probe else { continue };
            for (field, port) in probe_ports(probe) {
                let bad = match &port {
                    IntOrString::String(n) if !own.contains(n.as_str()) => Some(format!(
                        "port `{n}` is not a port of container `{}`",
                        c.name
                    )),
                    IntOrString::Int(n) if !pod_numbers.contains(n) => {
                        Some(format!("port {n} is not a declared container port"))
                    }
                    _ => None,
                };
                if let Some(m) = bad {
                    emit(doc, "probe-port", at(&format!("{kind}.{field}")), m, None);
                }
            }
        }
        // port-names
        for (i, p) in c.ports.iter().flatten().enumerate() {
            let path = at(&format!("ports[{i}].name"));
            match &p.name {
                None => emit(doc, "port-names", path, format!("port {} of container `{}` has no name; Services and probes refer to ports by name", p.container_port, c.name), None),
                Some(n) => {
                    if let Err(e) = crate::shared::names::port_name(n) {
                        emit(doc, "port-names", path, format!("container `{}`: {e}", c.name), None);
                    } else if let Some(other) = port_names.insert(n.clone(), c.name.clone()) {
                        emit(doc, "port-names", path, format!("port name `{n}` is also used by container `{other}`"), None);
                    }
                }
            }
        }
    }
}

/// The ports a probe connects to, with their field names.
fn probe_ports(p: &Probe) -> Vec<(&'static str, IntOrString)> {
    let mut out = Vec::new();
    if let Some(t) = &p.tcp_socket {
        out.push(("tcpSocket.port", t.port.clone()));
    }
    if let Some(h) = &p.http_get {
        out.push(("httpGet.port", h.port.clone()));
    }
    if let Some(g) = &p.grpc {
        out.push(("grpc.port", IntOrString::Int(g.port)));
    }
    out
}

/// Why an image reference is not pinned, if it is not.
fn image_problem(image: &str) -> Option<&'static str> {
    if image.contains("@sha256:") || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag, so it means `latest`"),
        Some((_, "latest")) => Some("uses the moving tag `latest`"),
        Some((_, "")) => Some("has an empty tag"),
        _ => None,
    }
}

/// The restricted Pod Security Standard, read-only root and high uid.
fn security_rules(doc: &Doc, pod: &PodSpec, slots: &[Slot], emit: &mut Emit) {
    let base = "spec.template.spec";
    for (field, on) in [
        ("hostNetwork", pod.host_network),
        ("hostPID", pod.host_pid),
        ("hostIPC", pod.host_ipc),
    ] {
        if on == Some(true) {
            emit(
                doc,
                "security-context",
                format!("{base}.{field}"),
                format!("{field} is true: the pod shares the node's namespace"),
                Some(format!("remove {field}")),
            );
        }
    }
    let psc = pod.security_context.as_ref();
    for s in slots {
        let c = s.container;
        let sc = c.security_context.as_ref();
        let at = |f: &str| format!("{}.securityContext.{f}", s.path);
        let name = &c.name;
        let non_root = sc
            .and_then(|x| x.run_as_non_root)
            .or_else(|| psc.and_then(|p| p.run_as_non_root));
        let uid = sc
            .and_then(|x| x.run_as_user)
            .or_else(|| psc.and_then(|p| p.run_as_user));
        if uid == Some(0) {
            emit(
                doc,
                "security-context",
                at("runAsUser"),
                format!("container `{name}` runs as root (uid 0)"),
                Some("run as a non-root uid".into()),
            );
        } else if non_root != Some(true) {
            emit(doc, "security-context", at("runAsNonRoot"), format!("container `{name}` may run as root: runAsNonRoot is not true (pod or container)"), Some("set runAsNonRoot: true in the pod's securityContext".into()));
        }
        if sc.and_then(|x| x.allow_privilege_escalation) != Some(false) {
            emit(doc, "security-context", at("allowPrivilegeEscalation"), format!("container `{name}` may gain privileges (setuid binaries): allowPrivilegeEscalation is not false"), Some("set allowPrivilegeEscalation: false".into()));
        }
        if sc.and_then(|x| x.privileged) == Some(true) {
            emit(
                doc,
                "security-context",
                at("privileged"),
                format!("container `{name}` is privileged"),
                Some("remove privileged: true".into()),
            );
        }
        let caps = sc.and_then(|x| x.capabilities.as_ref());
        if !caps
            .and_then(|c| c.drop.as_ref())
            .is_some_and(|d| d.iter().any(|x| x == "ALL"))
        {
            emit(doc, "security-context", at("capabilities.drop"), format!("container `{name}` keeps the runtime's default capabilities (NET_RAW among them)"), Some("set capabilities.drop: [ALL]".into()));
        }
        for cap in caps.and_then(|c| c.add.as_ref()).into_iter().flatten() {
            if cap != "NET_BIND_SERVICE" {
                emit(
                    doc,
                    "security-context",
                    at("capabilities.add"),
                    format!("container `{name}` adds capability {cap}"),
                    Some("add no capability but NET_BIND_SERVICE".into()),
                );
            }
        }
        let seccomp = sc
            .and_then(|x| x.seccomp_profile.as_ref())
            .or_else(|| psc.and_then(|p| p.seccomp_profile.as_ref()))
            .map(|p| p.type_.as_str());
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            emit(
                doc,
                "security-context",
                at("seccompProfile"),
                format!(
                    "container `{name}` runs without a seccomp profile ({})",
                    seccomp.unwrap_or("unset")
                ),
                Some(
                    "set seccompProfile: {type: RuntimeDefault} in the pod's securityContext"
                        .into(),
                ),
            );
        }
        if sc.and_then(|x| x.read_only_root_filesystem) != Some(true) {
            emit(
                doc,
                "read-only-root",
                at("readOnlyRootFilesystem"),
                format!("container `{name}` can write to its root filesystem"),
                None,
            );
        }
        match uid {
            Some(u) if u >= 10000 => {}
            Some(u) => emit(doc, "run-as-user", at("runAsUser"), format!("container `{name}` runs as uid {u}, below 10000, which may be a user of the node"), None),
            None => emit(doc, "run-as-user", at("runAsUser"), format!("container `{name}` runs as the image's user (runAsUser unset)"), None),
        }
    }
}

/// Whether a label selector selects these labels; an empty selector selects everything
/// where `empty_selects_all` (a NetworkPolicy's podSelector), nothing otherwise.
fn selects(
    sel: &LabelSelector,
    labels: &BTreeMap<String, String>,
    empty_selects_all: bool,
) -> bool {
    if selector::is_empty(sel) {
        return empty_selects_all;
    }
    selector::matches(sel, labels)
}

/// `# sts-gen:ignore` comments by document source: (rule, reason).
pub type CommentIgnores = BTreeMap<String, Vec<(String, String)>>;

/// Reads manifests (multi-document YAML, or JSON; `kind: List` items are unpacked) into
/// documents named `<source>#<n>`, and the `# sts-gen:ignore` comments of each.
pub fn parse_manifests(
    source: &str,
    text: &str,
) -> Result<(Vec<RenderedDoc>, CommentIgnores), String> {
    let mut docs = Vec::new();
    let mut comments = BTreeMap::new();
    let mut n = 0;
    for chunk in split_documents(text) {
        let value: Json = if chunk.trim().is_empty() {
            continue;
        } else {
            serde_saphyr::from_str(&chunk).map_err(|e| format!("{source}: not YAML: {e}"))?
        };
        let ignores = comment_ignores(&chunk);
        let items = match value {
            Json::Null => continue,
            Json::Object(ref m) if m.get("kind").and_then(Json::as_str) == Some("List") => m
                .get("items")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default(),
            Json::Object(_) => vec![value],
            _ => return Err(format!("{source}: a document is not a mapping")),
        };
        for item in items {
            if !item.is_object() {
                return Err(format!("{source}: a List item is not a mapping"));
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

/// The rule table as text (`sts-gen lint --rules`).
pub fn rules_text() -> String {
    let mut out = String::new();
    for r in RULES {
        out.push_str(&format!(
            "{:<20} {:<8} {}\n",
            r.id,
            r.severity.as_str(),
            r.checks
        ));
    }
    out
}

/// The manifest files of a directory, recursively, in name order: `*.yaml`, `*.yml`,
/// `*.json`; hidden files and folders are skipped.
pub fn manifest_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| format!("{}: {}", d.display(), crate::profile::io_reason(&e)))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", d.display()))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(image_problem("redis:7.4"), None);
        assert_eq!(image_problem("reg:5000/redis:7.4"), None);
        assert!(image_problem("reg:5000/redis").is_some());
        assert!(image_problem("redis").is_some());
        assert!(image_problem("redis:latest").is_some());
        assert_eq!(image_problem("redis@sha256:abc"), None);
    }

    #[test]
    fn comments_and_documents() {
        let docs =
            split_documents("a: 1\n---\n# sts-gen:ignore probes sidecar idles\nb: 2\n--- \nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert_eq!(
            comment_ignores(&docs[1]),
            vec![("probes".to_string(), "sidecar idles".to_string())]
        );
        assert_eq!(
            comment_ignores("# sts-gen:ignore probes"),
            vec![("probes".to_string(), String::new())]
        );
    }

    #[test]
    fn every_core_rule_has_an_entry() {
        for id in [
            "selects-pods",
            "service-ports",
            "size-limits",
            "namespace",
            "statefulset",
            "selector",
            "service-name",
            "pod",
            "volumes",
            "volume-mounts",
            "references",
            "local-pvs",
        ] {
            assert!(find_rule(id).is_some(), "{id}");
        }
    }
}
