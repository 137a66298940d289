//! One function per rule of scope `manifests` (practices CI scanners check), each declared
//! in [`super::RULES`].

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Emit, Objects};
use crate::check::{selector, Doc, Object};

/// The pod of a StatefulSet, as the rules on pods read it.
struct Pod<'a> {
    spec: &'a PodSpec,
    labels: BTreeMap<String, String>,
    replicas: i32,
    /// Init containers, then app containers.
    slots: Vec<Slot<'a>>,
}

/// A container of the pod with its field path.
struct Slot<'a> {
    path: String,
    container: &'a Container,
    app: bool,
}

impl Slot<'_> {
    /// The path of a field of the container.
    fn at(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }
}

/// The pod template of a StatefulSet with a spec and a pod spec; `None` for other objects.
fn pod_of(doc: &Doc) -> Option<Pod<'_>> {
    let Object::StatefulSet(sts) = &doc.object else {
        return None;
    };
    let spec = sts.spec.as_ref()?;
    let pod = spec.template.spec.as_ref()?;
    let base = "spec.template.spec";
    let slots = pod
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
    Some(Pod {
        spec: pod,
        labels: spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default(),
        replicas: spec.replicas.unwrap_or(1),
        slots,
    })
}

/// Whether a label selector selects these labels; an empty selector selects everything
/// where `empty_selects_all` (a NetworkPolicy's podSelector, a policy/v1 budget's
/// selector), nothing otherwise.
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

/// `namespace-set`.
pub(super) fn namespace_set(doc: &Doc, _: &Objects, emit: &mut Emit) {
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
}

/// `local-storage-class`.
pub(super) fn local_storage_class(doc: &Doc, _: &Objects, emit: &mut Emit) {
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
        _ => {}
    }
}

/// `name-length`.
pub(super) fn name_length(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let name = doc.name();
    if matches!(doc.object, Object::StatefulSet(_)) && name.len() > 52 {
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
}

/// `image-tag`.
pub(super) fn image_tag(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in &pod.slots {
        let c = s.container;
        match c.image.as_deref() {
            None | Some("") => emit(
                doc,
                "image-tag",
                s.at("image"),
                format!("container `{}` has no image", c.name),
                None,
            ),
            Some(image) => {
                if let Some(problem) = image_problem(image) {
                    emit(
                        doc,
                        "image-tag",
                        s.at("image"),
                        format!("container `{}`: image `{image}` {problem}", c.name),
                        None,
                    );
                }
            }
        }
    }
}

/// Why an image reference is not pinned, or cannot be pulled at all, if so.
fn image_problem(image: &str) -> Option<&'static str> {
    if !image.contains('@') {
        let last = image.rsplit('/').next().unwrap_or(image);
        match last.split_once(':') {
            None => return Some("has no tag, so it means `latest`"),
            Some((_, "latest")) => return Some("uses the moving tag `latest`"),
            Some((_, "")) => return Some("has an empty tag"),
            _ => {}
        }
    }
    // Whitespace around it is the schema rule's (the API server refuses it).
    crate::shared::names::image_reference(image.trim()).is_err().then_some(
        "is not a valid image reference (an optional registry, a lower-case repository, then `:tag` or `@sha256:...`); the kubelet cannot pull it (InvalidImageName)",
    )
}

/// Whether the container sets `resources.<section>.<key>`.
fn has_resource(c: &Container, section: &str, key: &str) -> bool {
    c.resources
        .as_ref()
        .and_then(|r| {
            if section == "requests" {
                r.requests.as_ref()
            } else {
                r.limits.as_ref()
            }
        })
        .is_some_and(|m| m.contains_key(key))
}

/// `resources`.
pub(super) fn resources(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in &pod.slots {
        let c = s.container;
        let missing: Vec<&str> = [
            ("requests", "cpu", "requests.cpu"),
            ("requests", "memory", "requests.memory"),
            ("limits", "memory", "limits.memory"),
        ]
        .iter()
        .filter(|(section, key, _)| !has_resource(c, section, key))
        .map(|(_, _, field)| *field)
        .collect();
        if !missing.is_empty() {
            emit(
                doc,
                "resources",
                s.at("resources"),
                format!("container `{}` has no {}", c.name, missing.join(", ")),
                None,
            );
        }
    }
}

/// `cpu-limit`.
pub(super) fn cpu_limit(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in &pod.slots {
        if !has_resource(s.container, "limits", "cpu") {
            emit(
                doc,
                "cpu-limit",
                s.at("resources.limits.cpu"),
                format!("container `{}` has no CPU limit", s.container.name),
                None,
            );
        }
    }
}

/// `probes`: on app containers only (init containers run to completion).
pub(super) fn probes(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in pod.slots.iter().filter(|s| s.app) {
        let c = s.container;
        if c.readiness_probe.is_none() {
            emit(doc, "probes", s.at("readinessProbe"), format!("container `{}` has no readiness probe: Services send it traffic before it is ready", c.name), None);
        }
        if c.liveness_probe.is_none() {
            emit(
                doc,
                "probes",
                s.at("livenessProbe"),
                format!(
                    "container `{}` has no liveness probe: a hung process is never restarted",
                    c.name
                ),
                None,
            );
        }
        if let (Some(r), Some(l)) = (&c.readiness_probe, &c.liveness_probe) {
            if r == l {
                emit(doc, "probes", s.at("livenessProbe"), format!("container `{}` has identical liveness and readiness probes: a pod that is only busy gets restarted", c.name), Some("give liveness a longer period or higher failureThreshold, or a cheaper check".into()));
            }
        }
    }
}

/// `probe-port`: a named port must be one of the container's own, a number any of the pod's.
pub(super) fn probe_port(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in &pod.slots {
        let c = s.container;
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
                // A number is probed as it is, declared or not (a metrics or admin port
                // the image opens without a `ports` entry); only a name must resolve, and
                // the kubelet resolves it against this container's own ports.
                let bad = match &port {
                    IntOrString::String(n) if !own.contains(n.as_str()) => Some(format!(
                        "port `{n}` is not a port of container `{}`",
                        c.name
                    )),
                    _ => None,
                };
                if let Some(m) = bad {
                    emit(doc, "probe-port", s.at(&format!("{kind}.{field}")), m, None);
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

/// `port-names`: a Service with several ports names each; container ports have unique
/// IANA service names.
pub(super) fn port_names(doc: &Doc, _: &Objects, emit: &mut Emit) {
    if let Object::Service(svc) = &doc.object {
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
    let Some(pod) = pod_of(doc) else { return };
    let mut port_names: BTreeMap<String, String> = BTreeMap::new();
    for s in &pod.slots {
        let c = s.container;
        for (i, p) in c.ports.iter().flatten().enumerate() {
            let path = s.at(&format!("ports[{i}].name"));
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

/// The uid a container runs as: its own `runAsUser`, else the pod's.
fn run_as_user(pod: &Pod, c: &Container) -> Option<i64> {
    c.security_context
        .as_ref()
        .and_then(|x| x.run_as_user)
        .or_else(|| {
            pod.spec
                .security_context
                .as_ref()
                .and_then(|p| p.run_as_user)
        })
}

/// `security-context`: the restricted Pod Security Standard, pod first, then each container.
pub(super) fn security_context(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    let base = "spec.template.spec";
    for (field, on) in [
        ("hostNetwork", pod.spec.host_network),
        ("hostPID", pod.spec.host_pid),
        ("hostIPC", pod.spec.host_ipc),
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
    for s in &pod.slots {
        container_security(doc, &pod, s, emit);
    }
}

/// `security-context` of one container.
fn container_security(doc: &Doc, pod: &Pod, s: &Slot, emit: &mut Emit) {
    let psc = pod.spec.security_context.as_ref();
    let c = s.container;
    let sc = c.security_context.as_ref();
    let at = |f: &str| s.at(&format!("securityContext.{f}"));
    let name = &c.name;
    let non_root = sc
        .and_then(|x| x.run_as_non_root)
        .or_else(|| psc.and_then(|p| p.run_as_non_root));
    if run_as_user(pod, c) == Some(0) {
        emit(
            doc,
            "security-context",
            at("runAsUser"),
            format!("container `{name}` runs as root (uid 0)"),
            Some("run as a non-root uid".into()),
        );
    } else if non_root != Some(true) {
        emit(
            doc,
            "security-context",
            at("runAsNonRoot"),
            format!(
                "container `{name}` may run as root: runAsNonRoot is not true (pod or container)"
            ),
            Some("set runAsNonRoot: true in the pod's securityContext".into()),
        );
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
        emit(
            doc,
            "security-context",
            at("capabilities.drop"),
            format!(
                "container `{name}` keeps the runtime's default capabilities (NET_RAW among them)"
            ),
            Some("set capabilities.drop: [ALL]".into()),
        );
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
            Some("set seccompProfile: {type: RuntimeDefault} in the pod's securityContext".into()),
        );
    }
}

/// `read-only-root`.
pub(super) fn read_only_root(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in &pod.slots {
        let c = s.container;
        if c.security_context
            .as_ref()
            .and_then(|x| x.read_only_root_filesystem)
            != Some(true)
        {
            emit(
                doc,
                "read-only-root",
                s.at("securityContext.readOnlyRootFilesystem"),
                format!("container `{}` can write to its root filesystem", c.name),
                None,
            );
        }
    }
}

/// `run-as-user`.
pub(super) fn run_as_user_rule(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    for s in &pod.slots {
        let name = &s.container.name;
        let at = s.at("securityContext.runAsUser");
        match run_as_user(&pod, s.container) {
            Some(u) if u >= 10000 => {}
            Some(u) => emit(doc, "run-as-user", at, format!("container `{name}` runs as uid {u}, below 10000, which may be a user of the node"), None),
            None => emit(doc, "run-as-user", at, format!("container `{name}` runs as the image's user (runAsUser unset)"), None),
        }
    }
}

/// `pdb`: a PodDisruptionBudget sets unhealthyPodEvictionPolicy; a StatefulSet of more than
/// one replica has a PodDisruptionBudget.
pub(super) fn pdb(doc: &Doc, docs: &Objects, emit: &mut Emit) {
    // The field is beta and on from 1.27; before it, an alpha feature gate the target's
    // API server most likely does not have (sts-gen does not render it there).
    let supported = docs.external.kube_version.is_none_or(|v| v >= (1, 27));
    if let Object::PodDisruptionBudget(pdb) = &doc.object {
        if supported
            && pdb
                .spec
                .as_ref()
                .and_then(|s| s.unhealthy_pod_eviction_policy.as_deref())
                .is_none()
        {
            emit(
                doc,
                "pdb",
                "spec.unhealthyPodEvictionPolicy".into(),
                "unhealthyPodEvictionPolicy is unset: a pod that is not ready counts against the budget and can block a node drain".into(),
                Some("set unhealthyPodEvictionPolicy: AlwaysAllow".into()),
            );
        }
    }
    let Some(pod) = pod_of(doc).filter(|p| p.replicas > 1) else {
        return;
    };
    let has_pdb = docs
        .selecting_near(doc, "PodDisruptionBudget", &pod.labels)
        .any(|d| match &d.object {
            Object::PodDisruptionBudget(p) => p
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                // policy/v1: `selector: {}` covers every pod of the namespace.
                .is_some_and(|s| selects(s, &pod.labels, true)),
            _ => false,
        });
    if !has_pdb {
        emit(
            doc,
            "pdb",
            String::new(),
            format!("{} replicas and no PodDisruptionBudget selects the pods: a node drain may evict several at once", pod.replicas),
            None,
        );
    }
}

/// `anti-affinity`: a StatefulSet of more than one replica spreads its pods over nodes.
pub(super) fn anti_affinity(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc).filter(|p| p.replicas > 1) else {
        return;
    };
    let on_hostname = |key: &str, sel: Option<&LabelSelector>| {
        key == "kubernetes.io/hostname" && sel.is_some_and(|s| selects(s, &pod.labels, false))
    };
    let spread = pod
        .spec
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
            req.chain(pref)
                .any(|t| on_hostname(&t.topology_key, t.label_selector.as_ref()))
        })
        || pod
            .spec
            .topology_spread_constraints
            .iter()
            .flatten()
            .any(|t| on_hostname(&t.topology_key, t.label_selector.as_ref()));
    if !spread {
        emit(
            doc,
            "anti-affinity",
            String::new(),
            format!("{} replicas may all land on one node: nothing spreads them over kubernetes.io/hostname", pod.replicas),
            None,
        );
    }
}

/// `network-policy`: a NetworkPolicy selects the StatefulSet's pods.
pub(super) fn network_policy(doc: &Doc, docs: &Objects, emit: &mut Emit) {
    let Some(pod) = pod_of(doc) else { return };
    let has_policy = docs
        .selecting_near(doc, "NetworkPolicy", &pod.labels)
        .any(|d| match &d.object {
            Object::NetworkPolicy(np) => np.spec.as_ref().is_some_and(|s| {
                selects(
                    &s.pod_selector.clone().unwrap_or_default(),
                    &pod.labels,
                    true,
                )
            }),
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

/// `peer-count`: a peer list fixed at render time (pods named one by one in the pod template
/// or in a ConfigMap it uses) that no longer matches `replicas`, as after `kubectl scale` or
/// a kustomize replicas patch. Any list of a StatefulSet marked `sts-gen/peers-fixed`
/// counts; unmarked, a list of two or more pods that names a pod which does not run.
pub(super) fn peer_count(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    use crate::shared::peers;
    let Object::StatefulSet(sts) = &doc.object else {
        return;
    };
    let (Some(spec), Some(template)) = (&sts.spec, doc.value.pointer("/spec/template")) else {
        return;
    };
    let replicas = u64::try_from(spec.replicas.unwrap_or(1)).unwrap_or(0);
    // Pods are numbered from `spec.ordinals.start` (0 unless set).
    let start = spec
        .ordinals
        .as_ref()
        .and_then(|o| o.start)
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(0);
    let headless = spec.service_name.as_deref().unwrap_or("");
    let mut texts = Vec::new();
    peers::strings(template, &mut texts);
    // ConfigMaps the pod names (volume, env or envFrom reference) hold config files.
    let mut config_texts = Vec::new();
    let mut named: Vec<&str> = texts.clone();
    named.sort_unstable();
    named.dedup();
    for cm in named
        .into_iter()
        .flat_map(|t| objects.named_near(doc, "ConfigMap", t))
    {
        if let Some(data) = cm.value.get("data") {
            peers::strings(data, &mut config_texts);
        }
    }
    let mut ordinals = BTreeSet::new();
    for t in texts.iter().chain(&config_texts) {
        peers::ordinals_in(t, doc.name(), headless, doc.namespace(), &mut ordinals);
    }
    let marked = doc
        .value
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(peers::ANNOTATION))
        .is_some();
    let matches = ordinals.iter().copied().eq(start..start + replicas);
    // Unmarked, a list of some of the pods may be a seed list (Cassandra's seeds, Bitnami's
    // `seedCount`), which is a subset by design; one naming a pod that does not run is stale
    // either way.
    let names_missing_pod = ordinals
        .iter()
        .any(|i| !(start..start + replicas).contains(i));
    if matches || !(marked || (ordinals.len() >= 2 && names_missing_pod)) {
        return;
    }
    let listed = if ordinals.is_empty() {
        "none of its pods (renamed since the list was written?)".to_string()
    } else {
        let names: Vec<String> = ordinals
            .iter()
            .map(|i| format!("{}-{i}", doc.name()))
            .collect();
        format!("{} pods: {}", names.len(), names.join(", "))
    };
    emit(
        doc,
        "peer-count",
        "spec.replicas".into(),
        format!("replicas is {replicas}, but the peer list written into its pod template or config names {listed}; pods outside the list are not members, and members no pod runs count against the quorum"),
        Some("change replicas and the peer list together (sts-gen's output: in the profile, then render again), not with kubectl scale or a kustomize replicas patch".into()),
    );
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
        let digest = format!("redis@sha256:{}", "ab".repeat(32));
        assert_eq!(image_problem(&digest), None);
        // A digest cut short is no digest: the kubelet refuses the reference.
        assert!(image_problem("redis@sha256:abc").is_some());
    }
}
