//! The rule engine: every rule declared once in [`RULES`] with its id, severity, scope,
//! what it checks, the usual fix and the one function that checks it. The check stage runs
//! the rules of scope [`Scope::Rendered`] on sts-gen's own objects ([`super::check`] fails
//! on any finding); `sts-gen lint` runs every rule on any manifests.

mod api;
mod api_objects;
mod checks;
mod cross;
mod service_name;
mod wiring;

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;

use serde::Serialize;

use super::selector::{self, Pods};
use super::{Doc, External};

/// A rule's function: `(object, every object, where to report)`. It reports only its own
/// rule, on the object it is given or (cross-object rules) on the objects it names.
pub(crate) type RuleFn = fn(&Doc, &Objects, &mut Emit);

/// Where rules report: (object, rule id, field path, message, fix); an empty path or no
/// fix means the rule's own.
pub(crate) type Emit<'a> = dyn FnMut(&Doc, &str, String, String, Option<String>) + 'a;

/// The objects the rules run over, with what cross-object rules share.
pub(crate) struct Objects<'a> {
    docs: &'a [Doc],
    /// Secrets and ConfigMaps that exist in the cluster already.
    external: &'a External,
    /// The pods of every workload among the objects, typed or not (a Deployment beside
    /// the StatefulSet in hand-written manifests), which Services and budgets may select.
    pods: Vec<Pods>,
    /// Whether the objects are anyone's manifests (`sts-gen lint`) rather than sts-gen's
    /// own rendered objects, which a rule may hold to more (every object in the profile's
    /// namespace).
    pub(crate) manifests: bool,
    /// The StatefulSets, found once for all the objects that may name their pods (found per
    /// object, 20,000 ConfigMaps took seconds).
    sets: OnceCell<Vec<wiring::Set<'a>>>,
    /// The pods by each label pair of their template, made on first use: comparing every
    /// selector with every pod took 4 s for 4,000 Services beside 4,000 Deployments.
    pods_by_label: OnceCell<PodsByLabel>,
    /// The objects by kind and by kind and name, made on first use: rules that looked
    /// through every object for each StatefulSet took 250 s for 3,000 of them.
    docs_by_kind: OnceCell<DocIndex>,
}

/// Indices into [`Objects::docs`], in the objects' order.
#[derive(Default)]
struct DocIndex {
    by_kind: HashMap<String, Vec<usize>>,
    by_name: HashMap<(String, String), Vec<usize>>,
    /// Budgets and network policies by the first `matchLabels` pair of their pod selector,
    /// by kind; under `None` those whose selector has no such pair.
    by_selector: HashMap<(String, Option<LabelPair>), Vec<usize>>,
}

/// A label's key and value.
type LabelPair = (String, String);

/// Where the pod selector of an object of these kinds is.
const POD_SELECTORS: &[(&str, &str)] = &[
    ("PodDisruptionBudget", "/spec/selector/matchLabels"),
    ("NetworkPolicy", "/spec/podSelector/matchLabels"),
];

/// Indices into [`Objects::pods`] by label pair, and those a selector may always select.
#[derive(Default)]
struct PodsByLabel {
    by_pair: HashMap<(String, String), Vec<usize>>,
    /// Pods whose labels are not all in their template, which any selector may select.
    any: Vec<usize>,
}

impl<'a> Objects<'a> {
    /// The typed objects, what exists outside them, the pods of untyped workloads, and
    /// whether they are anyone's manifests.
    pub(crate) fn new(
        docs: &'a [Doc],
        external: &'a External,
        others: &[Pods],
        manifests: bool,
    ) -> Self {
        let pods = docs
            .iter()
            .filter_map(selector::pods_of)
            .chain(others.iter().cloned())
            .map(|mut p| {
                p.labels_itself = crate::check::pod_labellers::may_label(
                    &external.pod_labellers,
                    p.namespace.as_deref(),
                    &p.service_account,
                );
                p
            })
            .collect();
        Objects {
            docs,
            external,
            pods,
            manifests,
            sets: OnceCell::new(),
            pods_by_label: OnceCell::new(),
            docs_by_kind: OnceCell::new(),
        }
    }

    fn doc_index(&self) -> &DocIndex {
        self.docs_by_kind.get_or_init(|| {
            let mut index = DocIndex::default();
            for (i, d) in self.docs.iter().enumerate() {
                let kind = d.kind().to_string();
                if let Some((_, at)) = POD_SELECTORS.iter().find(|(k, _)| *k == kind) {
                    let pair = d
                        .value
                        .pointer(at)
                        .and_then(|m| m.as_object())
                        .and_then(|m| m.iter().next())
                        .and_then(|(k, v)| Some((k.clone(), v.as_str()?.to_string())));
                    let key = (kind.clone(), pair);
                    index.by_selector.entry(key).or_default().push(i);
                }
                let key = (kind.clone(), d.name().to_string());
                index.by_kind.entry(kind).or_default().push(i);
                index.by_name.entry(key).or_default().push(i);
            }
            index
        })
    }

    /// The objects of `kind` that may share `doc`'s namespace, in their order.
    pub(super) fn of_kind_near<'s>(
        &'s self,
        doc: &'s Doc,
        kind: &str,
    ) -> impl Iterator<Item = &'s Doc> + 's {
        let found = self.doc_index().by_kind.get(kind);
        self.near(doc, found)
    }

    /// The budgets or network policies (`kind`) that may share `doc`'s namespace and whose
    /// pod selector may select pods with `labels`, in their order: those whose first
    /// `matchLabels` pair is among the labels, and those with none. The caller still
    /// matches the whole selector.
    pub(super) fn selecting_near<'s>(
        &'s self,
        doc: &'s Doc,
        kind: &str,
        labels: &BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'s Doc> + 's {
        let index = &self.doc_index().by_selector;
        let mut found: Vec<usize> = labels
            .iter()
            .map(|(k, v)| Some((k.clone(), v.clone())))
            .chain([None])
            .filter_map(|pair| index.get(&(kind.to_string(), pair)))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .map(|i| &self.docs[i])
            .filter(move |d| may_share_namespace(d.namespace(), doc.namespace()))
    }

    /// The objects of `kind` named `name` that may share `doc`'s namespace, in their order.
    pub(super) fn named_near<'s>(
        &'s self,
        doc: &'s Doc,
        kind: &str,
        name: &str,
    ) -> impl Iterator<Item = &'s Doc> + 's {
        let found = self
            .doc_index()
            .by_name
            .get(&(kind.to_string(), name.to_string()));
        self.near(doc, found)
    }

    fn near<'s>(
        &'s self,
        doc: &'s Doc,
        found: Option<&'s Vec<usize>>,
    ) -> impl Iterator<Item = &'s Doc> + 's {
        found
            .into_iter()
            .flatten()
            .map(|&i| &self.docs[i])
            .filter(move |d| may_share_namespace(d.namespace(), doc.namespace()))
    }

    /// The pods `selector` may select, in their order: those with the first pair of its
    /// `matchLabels` that every pod carries in its template, or all of them when it has
    /// none (the pod-name and pod-index labels differ per pod). [`Pods::selected_by`]
    /// still decides.
    pub(super) fn pods_for(
        &self,
        selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    ) -> Vec<&Pods> {
        let pair = selector.match_labels.iter().flatten().find(|(k, _)| {
            k.as_str() != selector::POD_NAME_LABEL && k.as_str() != selector::POD_INDEX_LABEL
        });
        let Some((key, value)) = pair else {
            return self.pods.iter().collect();
        };
        let index = self.pods_by_label.get_or_init(|| {
            let mut index = PodsByLabel::default();
            for (i, p) in self.pods.iter().enumerate() {
                // An operator's pods, and pods that label themselves, may carry labels
                // their template lacks.
                if p.operator.is_some() || p.labels_itself {
                    index.any.push(i);
                }
                for (k, v) in &p.labels {
                    index
                        .by_pair
                        .entry((k.clone(), v.clone()))
                        .or_default()
                        .push(i);
                }
            }
            index
        });
        let mut found: Vec<usize> = index
            .by_pair
            .get(&(key.clone(), value.clone()))
            .into_iter()
            .flatten()
            .chain(&index.any)
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.pods[i]).collect()
    }

    /// What an object missing from the objects is: sts-gen's own were rendered, anyone's
    /// manifests were written (`... which is not rendered`, `... not among the manifests`).
    pub(crate) fn absent(&self) -> &'static str {
        if self.manifests {
            "among the manifests"
        } else {
            "rendered"
        }
    }

    /// The StatefulSets among the objects.
    fn sets(&self) -> &[wiring::Set<'a>] {
        self.sets.get_or_init(|| wiring::sets(self.docs))
    }
}

impl Deref for Objects<'_> {
    type Target = [Doc];

    fn deref(&self) -> &[Doc] {
        self.docs
    }
}

/// Runs the rules `wanted` picks in table order, each over every object in turn (so
/// findings of one object come in table order once a report sorts them by object).
pub(crate) fn run(objects: &Objects, wanted: impl Fn(&Rule) -> bool, emit: &mut Emit) {
    for run in RULES.iter().filter(|r| wanted(r)).filter_map(|r| r.run) {
        for doc in objects.docs {
            run(doc, objects, emit);
        }
    }
}

/// How serious a finding is; `--fail-on` picks the lowest one that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing; fails the run only with `--fail-on warning`.
    Warning,
    /// Wrong: the objects do not work as written.
    Error,
}

/// Which objects a rule is enforced on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Objects must work together once applied: the check stage fails a render of
    /// sts-gen's own objects that breaks one, and lint checks it on any manifests.
    Rendered,
    /// Practices CI scanners check, on any manifests: lint reports them; a render does
    /// not fail on them.
    Manifests,
}

impl Severity {
    /// `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule, declared once in [`RULES`].
pub struct Rule {
    /// The id findings, suppressions and `--rules` use.
    pub id: &'static str,
    /// How serious a finding is.
    pub severity: Severity,
    /// Which objects it is enforced on.
    pub scope: Scope,
    /// What it checks, for `--rules` and the README.
    pub checks: &'static str,
    /// The usual fix (a finding may give a more precise one).
    pub fix: &'static str,
    /// The field path of findings whose rule does not give one (cross-object rules).
    pub path: &'static str,
    /// What runs for the rule on each object; `None` for `suppression`, which lint's
    /// suppression pass reports.
    pub(crate) run: Option<RuleFn>,
}

const fn rule(
    id: &'static str,
    severity: Severity,
    scope: Scope,
    checks: &'static str,
    fix: &'static str,
    path: &'static str,
    run: Option<RuleFn>,
) -> Rule {
    Rule {
        id,
        severity,
        scope,
        checks,
        fix,
        path,
        run,
    }
}

/// Whether objects with these `metadata.namespace` values can be in one namespace: one
/// without it goes to kubectl's namespace of the moment, which may be any (`default`
/// usually). sts-gen's own objects all have one or all lack it, so only others' mixed
/// manifests see the difference, where a rule must not claim what it cannot know.
pub(super) fn may_share_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Whether `pvc` is a claim StatefulSet `sts` creates from its claim template `template`:
/// `<template>-<sts>-<ordinal>`. Shared by `local-pvs` and `pod-references`, which once spelt it
/// twice.
pub(super) fn is_claim_of(pvc: &str, template: &str, sts: &str) -> bool {
    pvc.strip_prefix(template)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_prefix(sts))
        .and_then(|r| r.strip_prefix('-'))
        // Digits only (`parse` alone takes `+1`), and an ordinal that fits (none when empty).
        .is_some_and(|i| i.bytes().all(|b| b.is_ascii_digit()) && i.parse::<u32>().is_ok())
}

/// Whether PersistentVolumeClaim `ns/name` is among `docs`: a PersistentVolume pre-bound to
/// it (a standalone claim, such as a backup's) is that claim's, not a StatefulSet's stray.
pub(super) fn is_listed_claim(docs: &[Doc], ns: Option<&str>, name: &str) -> bool {
    docs.iter().any(|d| {
        matches!(d.object, super::Object::PersistentVolumeClaim(_))
            && d.name() == name
            && may_share_namespace(d.namespace(), ns)
    })
}

use Scope::{Manifests as M, Rendered as R};
use Severity::{Error as E, Warning as W};

/// Every rule, the check stage's (scope [`Scope::Rendered`]) first.
pub const RULES: &[Rule] = &[
    rule("schema", E, R, "every object matches its Kubernetes type (no unknown field, valid names) and what the API server checks of a StatefulSet's containers and pod template (ports in 1..65535 with valid unique names, env names, requests within limits, restartPolicy Always, no activeDeadlineSeconds or priority, DNS policy, container restart policies, host ports, tolerations, probe handlers, enum values, subPaths, volume names and sources), ConfigMap/Secret keys the API server accepts, none in both data and binaryData, Service ports used once (no nodePort on ClusterIP), and budget numbers the API server accepts", "correct the field the message names", "", Some(cross::schema)),
    rule("namespace", E, R, "with a Namespace object, every object sts-gen renders is in it (anyone's manifests are not judged: a namespace they do not create may exist in the cluster)", "use the rendered Namespace", "metadata.namespace", Some(cross::namespace)),
    rule("size-limits", E, R, "ConfigMap/Secret data at most 1 MiB, annotations at most 256 KiB, a StatefulSet or CronJob at most 1.5 MiB (etcd)", "move large data out of the object", "data", Some(cross::size_limits)),
    rule("statefulset", E, R, "a StatefulSet has a spec", "add the spec", "spec", Some(cross::statefulset)),
    rule("selector", E, R, "the StatefulSet selector is non-empty and matches the pod template labels", "copy the selector's labels onto the pod template", "spec.selector", Some(cross::selector)),
    rule("service-name", E, R, "serviceName is a headless Service (clusterIP: None) among the objects (in others' manifests: one they hold is headless, or selects nothing; sts-gen's output keeps its own)", "add the headless Service or fix serviceName", "spec.serviceName", Some(service_name::service_name)),
    rule("pod", E, R, "the pod template has a spec", "add spec.template.spec", "spec.template.spec", Some(cross::pod)),
    rule("volumes", E, R, "volume and claim names are unique", "rename one of the volumes", "spec.template.spec.volumes", Some(cross::volumes)),
    rule("volume-mounts", E, R, "every volumeMount has a volume or volume claim", "add the volume or fix the mount's name", "spec.template.spec", Some(cross::volume_mounts)),
    rule("references", W, R, "ConfigMap and Secret references resolve to objects (and keys) among the linted ones", "add the object or key, or mark the reference optional", "spec.template.spec", Some(cross::references)),
    rule("local-pvs", E, R, "local PersistentVolumes have a required nodeAffinity and are enough for the replicas, with the claims' size and access modes", "add a PersistentVolume per replica with spec.nodeAffinity.required on kubernetes.io/hostname", "spec", Some(cross::local_pvs)),
    rule("selects-pods", E, R, "every Service and PodDisruptionBudget selects the pods of a workload in its namespace (selectors evaluated in full; beside a custom resource whose operator may create pods, such as a Prometheus or a database Cluster, any selector may be its pods')", "make the selector a subset of the pod template labels", "spec.selector", Some(cross::selects_pods)),
    rule("service-ports", E, R, "a Service's named targetPort is a container port of the pods it selects", "name the targetPort after a container port", "spec.ports", Some(cross::service_ports)),
    rule("local-storage-class", E, M, "a kubernetes.io/no-provisioner StorageClass binds WaitForFirstConsumer", "set volumeBindingMode: WaitForFirstConsumer", "volumeBindingMode", Some(checks::local_storage_class)),
    rule("image-tag", E, M, "every container image is pinned to a tag other than latest (or a digest) and is a reference the kubelet can pull", "pin a version tag such as `redis:7.4.3`, or a digest", "", Some(checks::image_tag)),
    rule("resources", E, M, "every container requests CPU and memory and has a memory limit", "set resources.requests.cpu, resources.requests.memory and resources.limits.memory", "", Some(checks::resources)),
    rule("cpu-limit", W, M, "every container has a CPU limit", "set resources.limits.cpu", "", Some(checks::cpu_limit)),
    rule("probes", W, M, "every app container has readiness and liveness probes, and they differ", "add the probe; make liveness more tolerant than readiness (a busy pod is not dead)", "", Some(checks::probes)),
    rule("probe-port", E, M, "a probe's named port is a port of its container (the kubelet cannot resolve another name; a number is probed whether declared or not)", "name a port of the container, or probe its number", "", Some(checks::probe_port)),
    rule("security-context", E, M, "the restricted Pod Security Standard: non-root, no privilege escalation, capabilities drop ALL, seccomp RuntimeDefault, no host namespaces", "set the field as the message says (sts-gen renders it by default)", "", Some(checks::security_context)),
    rule("read-only-root", W, M, "containers have readOnlyRootFilesystem: true", "set readOnlyRootFilesystem: true and mount emptyDirs where the image writes", "", Some(checks::read_only_root)),
    rule("run-as-user", W, M, "containers run as a uid of 10000 or more (no clash with host users)", "set runAsUser (and runAsGroup, fsGroup) to 10000 or more", "", Some(checks::run_as_user_rule)),
    rule("pdb", W, M, "a StatefulSet with more than one replica has a PodDisruptionBudget, which sets unhealthyPodEvictionPolicy", "add a PodDisruptionBudget with maxUnavailable: 1 and unhealthyPodEvictionPolicy: AlwaysAllow", "", Some(checks::pdb)),
    rule("anti-affinity", W, M, "a StatefulSet with more than one replica spreads its pods over nodes (podAntiAffinity or topologySpreadConstraints on kubernetes.io/hostname)", "add a preferred podAntiAffinity term on kubernetes.io/hostname selecting the pods", "spec.template.spec.affinity", Some(checks::anti_affinity)),
    rule("network-policy", W, M, "a NetworkPolicy selects the StatefulSet's pods", "add a NetworkPolicy whose podSelector matches the pod labels", "", Some(checks::network_policy)),
    rule("namespace-set", W, M, "namespaced objects set metadata.namespace", "set metadata.namespace (profile `namespace` or `-n`)", "metadata.namespace", Some(checks::namespace_set)),
    rule("name-length", E, M, "a StatefulSet name has at most 52 characters (the controller-revision-hash label adds 11)", "shorten the name", "metadata.name", Some(checks::name_length)),
    rule("peer-count", E, M, "a peer list fixed at render time (pods named one by one in env, args or a ConfigMap, or a StatefulSet marked sts-gen/peers-fixed) names exactly the pods of replicas (unmarked, a list of some of the pods may be seeds: it fails when it names a pod that does not run)", "change replicas and the peer list together (sts-gen's output: in the profile, then render again), not with kubectl scale or a kustomize replicas patch", "spec.replicas", Some(checks::peer_count)),
    rule("port-names", E, M, "container ports have unique IANA service names; multi-port Services name every port", "name every port (at most 15 lowercase letters, digits and `-`)", "", Some(checks::port_names)),
    rule("pod-references", E, M, "headless and pod DNS names in env, args, command and ConfigMap data, PV claimRefs and pod-name selectors name a StatefulSet's pods as they are (name, serviceName, namespace, an ordinal the StatefulSet has: from ordinals.start, replicas of them); checked when they resemble a linted StatefulSet", "name the StatefulSet's pods as they are, or change name, namespace and replicas where the manifests are made (sts-gen's output: in the profile, then render again)", "", Some(wiring::pod_references)),
    rule("suppression", E, M, "every `sts-gen:ignore` names a rule and gives a reason", "write `RULE reason`", "metadata.annotations", None),
];

/// The rule with this id.
pub fn find_rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_runs_every_rule_but_suppression() {
        for r in RULES {
            assert_eq!(r.run.is_some(), r.id != "suppression", "{}", r.id);
        }
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

    #[test]
    fn the_check_stages_rules_are_the_rendered_scope() {
        let rendered: Vec<&str> = RULES
            .iter()
            .filter(|r| r.scope == Scope::Rendered)
            .map(|r| r.id)
            .collect();
        assert_eq!(
            rendered,
            [
                "schema",
                "namespace",
                "size-limits",
                "statefulset",
                "selector",
                "service-name",
                "pod",
                "volumes",
                "volume-mounts",
                "references",
                "local-pvs",
                "selects-pods",
                "service-ports",
            ]
        );
        // Every id is declared once.
        let ids: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len());
    }
}
