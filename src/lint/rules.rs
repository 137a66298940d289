//! The lint rules: the table every rule is declared in once (id, severity, scope, what it
//! checks, the usual fix), and the rules lint adds to the check stage's cross-object ones.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::check::{selector, Doc, Object};

/// How serious a finding is; `--fail-on` picks the lowest one that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
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
}

const fn rule(
    id: &'static str,
    severity: Severity,
    scope: Scope,
    checks: &'static str,
    fix: &'static str,
    path: &'static str,
) -> Rule {
    Rule {
        id,
        severity,
        scope,
        checks,
        fix,
        path,
    }
}

use Scope::{Manifests as M, Rendered as R};
use Severity::{Error as E, Warning as W};

/// Every rule, cross-object rules of the check stage first.
pub const RULES: &[Rule] = &[
    rule("schema", E, R, "every object matches its Kubernetes type (no unknown field, valid names)", "correct the field the message names", ""),
    rule("selects-pods", E, R, "every Service and PodDisruptionBudget selects the pods of a workload in its namespace (selectors evaluated in full)", "make the selector a subset of the pod template labels", "spec.selector"),
    rule("service-ports", E, R, "a Service's named targetPort is a container port of the pods it selects", "name the targetPort after a container port", "spec.ports"),
    rule("size-limits", E, R, "ConfigMap/Secret data at most 1 MiB, annotations at most 256 KiB", "move large data out of the object", "data"),
    rule("namespace", E, R, "with a Namespace object, every namespaced object is in it", "use the rendered Namespace", "metadata.namespace"),
    rule("statefulset", E, R, "a StatefulSet has a spec", "add the spec", "spec"),
    rule("selector", E, R, "the StatefulSet selector is non-empty and matches the pod template labels", "copy the selector's labels onto the pod template", "spec.selector"),
    rule("service-name", E, R, "serviceName is a headless Service (clusterIP: None) among the objects", "add the headless Service or fix serviceName", "spec.serviceName"),
    rule("pod", E, R, "the pod template has a spec", "add spec.template.spec", "spec.template.spec"),
    rule("volumes", E, R, "volume and claim names are unique", "rename one of the volumes", "spec.template.spec.volumes"),
    rule("volume-mounts", E, R, "every volumeMount has a volume or volume claim", "add the volume or fix the mount's name", "spec.template.spec"),
    rule("references", W, R, "ConfigMap and Secret references resolve to objects (and keys) among the linted ones", "add the object or key, or mark the reference optional", "spec.template.spec"),
    rule("local-pvs", E, R, "local PersistentVolumes have a required nodeAffinity and are enough for the replicas, with the claims' size and access modes", "add a PersistentVolume per replica with spec.nodeAffinity.required on kubernetes.io/hostname", "spec"),
    rule("local-storage-class", E, M, "a kubernetes.io/no-provisioner StorageClass binds WaitForFirstConsumer", "set volumeBindingMode: WaitForFirstConsumer", "volumeBindingMode"),
    rule("image-tag", E, M, "every container image is pinned to a tag other than latest (or a digest)", "pin a version tag such as `redis:7.4.3`, or a digest", ""),
    rule("resources", E, M, "every container requests CPU and memory and has a memory limit", "set resources.requests.cpu, resources.requests.memory and resources.limits.memory", ""),
    rule("cpu-limit", W, M, "every container has a CPU limit", "set resources.limits.cpu", ""),
    rule("probes", W, M, "every app container has readiness and liveness probes, and they differ", "add the probe; make liveness more tolerant than readiness (a busy pod is not dead)", ""),
    rule("probe-port", E, M, "probes use ports the pod declares", "probe a declared container port (by name or number)", ""),
    rule("security-context", E, M, "the restricted Pod Security Standard: non-root, no privilege escalation, capabilities drop ALL, seccomp RuntimeDefault, no host namespaces", "set the field as the message says (sts-gen renders it by default)", ""),
    rule("read-only-root", W, M, "containers have readOnlyRootFilesystem: true", "set readOnlyRootFilesystem: true and mount emptyDirs where the image writes", ""),
    rule("run-as-user", W, M, "containers run as a uid of 10000 or more (no clash with host users)", "set runAsUser (and runAsGroup, fsGroup) to 10000 or more", ""),
    rule("pdb", W, M, "a StatefulSet with more than one replica has a PodDisruptionBudget, which sets unhealthyPodEvictionPolicy", "add a PodDisruptionBudget with maxUnavailable: 1 and unhealthyPodEvictionPolicy: AlwaysAllow", ""),
    rule("anti-affinity", W, M, "a StatefulSet with more than one replica spreads its pods over nodes (podAntiAffinity or topologySpreadConstraints on kubernetes.io/hostname)", "add a preferred podAntiAffinity term on kubernetes.io/hostname selecting the pods", "spec.template.spec.affinity"),
    rule("network-policy", W, M, "a NetworkPolicy selects the StatefulSet's pods", "add a NetworkPolicy whose podSelector matches the pod labels", ""),
    rule("namespace-set", W, M, "namespaced objects set metadata.namespace", "set metadata.namespace (profile `namespace` or `-n`)", "metadata.namespace"),
    rule("name-length", E, M, "a StatefulSet name has at most 52 characters (the controller-revision-hash label adds 11)", "shorten the name", "metadata.name"),
    rule("port-names", E, M, "container ports have unique IANA service names; multi-port Services name every port", "name every port (at most 15 lowercase letters, digits and `-`)", ""),
    rule("suppression", E, M, "every `sts-gen:ignore` names a rule and gives a reason", "write `RULE reason`", "metadata.annotations"),
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

/// Where rules report: (object, rule id, field path, message, fix).
pub(super) type Emit<'a> = dyn FnMut(&Doc, &str, String, String, Option<String>) + 'a;

/// Rules on single objects other than StatefulSets.
pub(super) fn object_rules(docs: &[Doc], emit: &mut Emit) {
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

pub(super) fn statefulset_rules(doc: &Doc, sts: &StatefulSet, docs: &[Doc], emit: &mut Emit) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{comment_ignores, split_documents};

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
            ]
        );
        // Every id is declared once.
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len());
    }
}
