//! Cross-object rules: the objects must work together once applied.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::selector::{self, Pods};
use super::{CheckError, Doc, Object};
use crate::shared::names::quantity;

/// Runs every rule; returns all violations.
pub fn check_all(docs: &[Doc], external: &super::External) -> Vec<CheckError> {
    let mut errs = Vec::new();
    visit(
        docs,
        external,
        &[],
        |doc: &Doc, rule: &str, message: String| {
            errs.push(CheckError {
                context: format!(
                    "template `{}`, {} {} [{rule}]",
                    doc.template,
                    doc.kind(),
                    doc.name()
                ),
                message,
            })
        },
    );
    errs
}

/// Runs every rule and calls `push(object, rule id, message)` for each violation. `others`
/// are the pods of workloads among the objects that sts-gen does not type (a Deployment
/// beside the StatefulSet in hand-written manifests): a Service may select them.
pub fn visit(
    docs: &[Doc],
    external: &super::External,
    others: &[Pods],
    mut push: impl FnMut(&Doc, &str, String),
) {
    let sets: Vec<(&Doc, &StatefulSet)> = docs
        .iter()
        .filter_map(|d| match &d.object {
            Object::StatefulSet(s) => Some((d, s)),
            _ => None,
        })
        .collect();

    namespaces(docs, &mut push);
    size_limits(docs, &mut push);
    local_pv_affinity(docs, &mut push);
    for (doc, sts) in &sets {
        statefulset(doc, sts, docs, external, &mut push);
    }
    let pods: Vec<Pods> = docs
        .iter()
        .filter_map(selector::pods_of)
        .chain(others.iter().cloned())
        .collect();
    for doc in docs {
        selects_pods(doc, &pods, &mut push);
    }
}

/// `selects-pods` and `service-ports`: a Service or PodDisruptionBudget selects the pods of
/// a workload in its namespace, and a Service's named target ports are ports of those pods.
fn selects_pods(doc: &Doc, pods: &[Pods], push: &mut impl FnMut(&Doc, &str, String)) {
    let (selector, what) = match &doc.object {
        Object::Service(s) => (
            s.spec
                .as_ref()
                .and_then(|sp| sp.selector.clone())
                .map(selector::from_labels),
            "Service",
        ),
        Object::PodDisruptionBudget(p) => (
            p.spec.as_ref().and_then(|sp| sp.selector.clone()),
            "PodDisruptionBudget",
        ),
        _ => return,
    };
    let Some(selector) = selector.filter(|s| !selector::is_empty(s)) else {
        push(doc, "selects-pods", format!("the {what} has no selector"));
        return;
    };
    let matching: Vec<&Pods> = pods
        .iter()
        .filter(|p| p.namespace.as_deref() == doc.namespace() && p.selected_by(&selector))
        .collect();
    if matching.is_empty() {
        push(
            doc,
            "selects-pods",
            format!(
                "the {what} selector `{}` matches no pods of a workload ({}) in its namespace",
                selector::describe(&selector),
                selector::WORKLOAD_KINDS.join(", ")
            ),
        );
        return;
    }
    let Object::Service(svc) = &doc.object else {
        return;
    };
    for port in svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_ref())
        .into_iter()
        .flatten()
    {
        if let Some(IntOrString::String(name)) = &port.target_port {
            if !matching.iter().any(|p| p.port_names.contains(name)) {
                push(
                    doc,
                    "service-ports",
                    format!("targetPort `{name}` is not a container port of the selected pods"),
                );
            }
        }
    }
}

/// `local-pvs`: a local PersistentVolume has a required nodeAffinity (the API server
/// rejects one without; the scheduler needs it to place the pod on the volume's node).
fn local_pv_affinity(docs: &[Doc], push: &mut impl FnMut(&Doc, &str, String)) {
    for doc in docs {
        let Object::PersistentVolume(pv) = &doc.object else {
            continue;
        };
        let Some(spec) = &pv.spec else { continue };
        let has_affinity = spec
            .node_affinity
            .as_ref()
            .and_then(|a| a.required.as_ref())
            .is_some_and(|r| !r.node_selector_terms.is_empty());
        if spec.local.is_some() && !has_affinity {
            push(
                doc,
                "local-pvs",
                "a local PersistentVolume needs a required nodeAffinity".into(),
            );
        }
    }
}

/// Limits the API server enforces, checked here so they fail at render time.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;
/// The most annotation bytes (keys and values) an object may carry.
pub const MAX_ANNOTATION_BYTES: usize = 256 << 10;

fn size_limits(docs: &[Doc], push: &mut impl FnMut(&Doc, &str, String)) {
    for doc in docs {
        let data_bytes = match &doc.object {
            Object::ConfigMap(cm) => {
                cm.data
                    .iter()
                    .flatten()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
                    + cm.binary_data
                        .iter()
                        .flatten()
                        .map(|(k, v)| k.len() + v.0.len())
                        .sum::<usize>()
            }
            Object::Secret(s) => {
                s.data
                    .iter()
                    .flatten()
                    .map(|(k, v)| k.len() + v.0.len())
                    .sum::<usize>()
                    + s.string_data
                        .iter()
                        .flatten()
                        .map(|(k, v)| k.len() + v.len())
                        .sum::<usize>()
            }
            _ => 0,
        };
        if data_bytes > MAX_CONFIG_BYTES {
            push(doc, "size-limits", format!("data is {data_bytes} bytes; Kubernetes stores at most {MAX_CONFIG_BYTES} bytes in a {}", doc.kind()));
        }
        let annotation_bytes = |v: Option<&serde_json::Value>| {
            v.and_then(|a| a.as_object())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
                        .sum::<usize>()
                })
                .unwrap_or(0)
        };
        for (at, value) in [
            (
                "metadata.annotations",
                crate::check::field(&doc.value, &["metadata", "annotations"]),
            ),
            (
                "spec.template.metadata.annotations",
                crate::check::field(&doc.value, &["spec", "template", "metadata", "annotations"]),
            ),
        ] {
            let n = annotation_bytes(value);
            if n > MAX_ANNOTATION_BYTES {
                push(
                    doc,
                    "size-limits",
                    format!(
                        "{at} total {n} bytes; Kubernetes allows at most {MAX_ANNOTATION_BYTES}"
                    ),
                );
            }
        }
    }
}

fn namespaces(docs: &[Doc], push: &mut impl FnMut(&Doc, &str, String)) {
    let declared: Vec<&str> = docs
        .iter()
        .filter(|d| matches!(d.object, Object::Namespace(_)))
        .map(|d| d.name())
        .collect();
    if declared.is_empty() {
        return;
    }
    for doc in docs {
        if let Some(ns) = doc.namespace() {
            if !declared.contains(&ns) {
                push(
                    doc,
                    "namespace",
                    format!("namespace `{ns}` is not the rendered Namespace"),
                );
            }
        }
    }
}

fn statefulset(
    doc: &Doc,
    sts: &StatefulSet,
    docs: &[Doc],
    external: &super::External,
    push: &mut impl FnMut(&Doc, &str, String),
) {
    let Some(spec) = &sts.spec else {
        push(doc, "statefulset", "the StatefulSet has no spec".into());
        return;
    };
    selector_matches_pods(doc, spec, push);
    service_name(doc, spec, docs, push);
    let Some(pod) = &spec.template.spec else {
        push(doc, "pod", "the pod template has no spec".into());
        return;
    };
    let containers: Vec<&Container> = pod
        .init_containers
        .iter()
        .flatten()
        .chain(pod.containers.iter())
        .collect();
    volumes_and_mounts(doc, spec, pod, &containers, push);
    references(doc, pod, &containers, docs, external, push);
    local_pvs(doc, sts, spec, docs, push);
}

/// `selector`: the selector is not empty and selects the pod template's labels.
fn selector_matches_pods(
    doc: &Doc,
    spec: &StatefulSetSpec,
    push: &mut impl FnMut(&Doc, &str, String),
) {
    // Selector = pod labels.
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    if selector::is_empty(&spec.selector) {
        push(doc, "selector", "the StatefulSet selector is empty".into());
    }
    let mut label_missing = false;
    for (k, v) in spec.selector.match_labels.iter().flatten() {
        if labels.get(k) != Some(v) {
            label_missing = true;
            push(
                doc,
                "selector",
                format!("selector label `{k}: {v}` is not on the pod template"),
            );
        }
    }
    if !label_missing && !selector::matches(&spec.selector, &labels) {
        push(
            doc,
            "selector",
            format!(
                "selector `{}` does not match the pod template labels",
                selector::describe(&spec.selector)
            ),
        );
    }
}

/// `service-name`: serviceName is a headless Service in the StatefulSet's namespace.
fn service_name(
    doc: &Doc,
    spec: &StatefulSetSpec,
    docs: &[Doc],
    push: &mut impl FnMut(&Doc, &str, String),
) {
    let ns = doc.namespace();
    let same_ns = |d: &&Doc| d.namespace() == ns;
    // serviceName is a rendered headless Service.
    let headless = docs.iter().filter(same_ns).find_map(|d| match &d.object {
        Object::Service(s) if d.name() == spec.service_name.as_deref().unwrap_or("") => Some(s),
        _ => None,
    });
    match headless {
        None => push(
            doc,
            "service-name",
            format!(
                "serviceName `{}` is not a rendered Service",
                spec.service_name.as_deref().unwrap_or("")
            ),
        ),
        Some(s) if s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) != Some("None") => push(
            doc,
            "service-name",
            format!(
                "serviceName `{}` must be a headless Service (clusterIP: None)",
                spec.service_name.as_deref().unwrap_or("")
            ),
        ),
        _ => {}
    }
}

/// `volumes`, `containers` and `volume-mounts`: names are unique and every mount has a
/// volume or a claim.
fn volumes_and_mounts(
    doc: &Doc,
    spec: &StatefulSetSpec,
    pod: &PodSpec,
    containers: &[&Container],
    push: &mut impl FnMut(&Doc, &str, String),
) {
    // Volume mounts resolve.
    let claims: Vec<String> = spec
        .volume_claim_templates
        .iter()
        .flatten()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    let volumes: Vec<String> = pod
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.clone())
        .collect();
    let mut seen = BTreeSet::new();
    for v in claims.iter().chain(volumes.iter()) {
        if !seen.insert(v) {
            push(
                doc,
                "volumes",
                format!("volume name `{v}` is defined twice"),
            );
        }
    }
    let mut container_names = BTreeSet::new();
    for c in containers {
        if c.name.is_empty() {
            push(doc, "containers", "a container has no name".into());
        } else if !container_names.insert(c.name.as_str()) {
            push(
                doc,
                "containers",
                format!("container name `{}` is used twice", c.name),
            );
        }
        // A podTemplate entry whose name matches no container adds a new, incomplete one.
        if c.image.as_deref().is_none_or(str::is_empty) {
            push(
                doc,
                "containers",
                format!("container `{}` has no image (a podTemplate container must be named like the one it extends)", c.name),
            );
        }
    }
    for c in containers {
        for m in c.volume_mounts.iter().flatten() {
            if !claims.contains(&m.name) && !volumes.contains(&m.name) {
                push(
                    doc,
                    "volume-mounts",
                    format!(
                        "container `{}` mounts `{}`, which is neither a volume nor a volume claim",
                        c.name, m.name
                    ),
                );
            }
        }
    }
}

/// `references`: the ConfigMaps and Secrets (and keys) the pod uses are rendered or
/// external.
fn references(
    doc: &Doc,
    pod: &PodSpec,
    containers: &[&Container],
    docs: &[Doc],
    external: &super::External,
    push: &mut impl FnMut(&Doc, &str, String),
) {
    let ns = doc.namespace();
    let same_ns = |d: &&Doc| d.namespace() == ns;
    // ConfigMap and Secret references resolve.
    let config_maps: BTreeMap<&str, BTreeSet<String>> = docs
        .iter()
        .filter(same_ns)
        .filter_map(|d| match &d.object {
            Object::ConfigMap(cm) => Some((
                d.name(),
                cm.data
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.clone())
                    .chain(cm.binary_data.iter().flatten().map(|(k, _)| k.clone()))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    let secrets: BTreeMap<&str, BTreeSet<String>> = docs
        .iter()
        .filter(same_ns)
        .filter_map(|d| match &d.object {
            Object::Secret(s) => Some((
                d.name(),
                s.data
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.clone())
                    .chain(s.string_data.iter().flatten().map(|(k, _)| k.clone()))
                    .collect(),
            )),
            // cert-manager writes the Secret a Certificate names, with these keys.
            Object::Certificate(c) => Some((
                c.spec.secret_name.as_str(),
                ["tls.crt", "tls.key", "ca.crt"].map(String::from).into(),
            )),
            _ => None,
        })
        .collect();
    let mut resolve = |kind: &str, name: &str, key: Option<&str>, optional: bool, at: String| {
        if optional {
            return;
        }
        let table = if kind == "ConfigMap" {
            &config_maps
        } else {
            &secrets
        };
        match table.get(name) {
            None if kind == "Secret" && external.secrets.iter().any(|e| e == name) => {}
            None if kind == "ConfigMap" && external.config_maps.iter().any(|e| e == name) => {}
            None => push(
                doc,
                "references",
                format!("{at} refers to {kind} `{name}`, which is not rendered"),
            ),
            Some(keys) => {
                if let Some(k) = key {
                    if !keys.contains(k) {
                        push(doc, "references", format!("{at} refers to key `{k}` of {kind} `{name}`, which has no such key"));
                    }
                }
            }
        }
    };
    for v in pod.volumes.iter().flatten() {
        if let Some(cm) = &v.config_map {
            let at = format!("volume `{}`", v.name);
            let optional = cm.optional.unwrap_or(false);
            if cm.items.as_ref().is_none_or(|i| i.is_empty()) {
                resolve("ConfigMap", &cm.name, None, optional, at.clone());
            }
            for item in cm.items.iter().flatten() {
                resolve("ConfigMap", &cm.name, Some(&item.key), optional, at.clone());
            }
        }
        if let Some(s) = &v.secret {
            let name = s.secret_name.clone().unwrap_or_default();
            let optional = s.optional.unwrap_or(false);
            let at = format!("volume `{}`", v.name);
            if s.items.as_ref().is_none_or(|i| i.is_empty()) {
                resolve("Secret", &name, None, optional, at.clone());
            }
            for item in s.items.iter().flatten() {
                resolve("Secret", &name, Some(&item.key), optional, at.clone());
            }
        }
    }
    for c in containers {
        for e in c.env.iter().flatten() {
            let Some(from) = &e.value_from else { continue };
            let at = format!("env `{}` of container `{}`", e.name, c.name);
            if let Some(r) = &from.config_map_key_ref {
                resolve(
                    "ConfigMap",
                    &r.name,
                    Some(&r.key),
                    r.optional.unwrap_or(false),
                    at.clone(),
                );
            }
            if let Some(r) = &from.secret_key_ref {
                resolve(
                    "Secret",
                    &r.name,
                    Some(&r.key),
                    r.optional.unwrap_or(false),
                    at.clone(),
                );
            }
        }
        for e in c.env_from.iter().flatten() {
            let at = format!("envFrom of container `{}`", c.name);
            if let Some(r) = &e.config_map_ref {
                resolve(
                    "ConfigMap",
                    &r.name,
                    None,
                    r.optional.unwrap_or(false),
                    at.clone(),
                );
            }
            if let Some(r) = &e.secret_ref {
                resolve(
                    "Secret",
                    &r.name,
                    None,
                    r.optional.unwrap_or(false),
                    at.clone(),
                );
            }
        }
    }
}

/// `local-pvs`: the local PersistentVolumes of each claim's no-provisioner class are enough
/// for the replicas, large enough, with the claim's access modes, and pre-bound (if at
/// all) to this StatefulSet's claims.
fn local_pvs(
    doc: &Doc,
    sts: &StatefulSet,
    spec: &StatefulSetSpec,
    docs: &[Doc],
    push: &mut impl FnMut(&Doc, &str, String),
) {
    let ns = doc.namespace();
    // Local PersistentVolumes fit the claims.
    let replicas = spec.replicas.unwrap_or(1);
    let sts_name = sts.metadata.name.clone().unwrap_or_default();
    for claim in spec.volume_claim_templates.iter().flatten() {
        let Some(cs) = &claim.spec else { continue };
        let Some(class) = &cs.storage_class_name else {
            continue;
        };
        let no_provisioner = docs.iter().any(|d| matches!(&d.object, Object::StorageClass(sc) if d.name() == class && sc.provisioner == "kubernetes.io/no-provisioner"));
        if !no_provisioner {
            continue;
        }
        let claim_name = claim.metadata.name.clone().unwrap_or_default();
        let request = cs
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(q);
        let modes: Vec<String> = cs.access_modes.clone().unwrap_or_default();
        let pvs: Vec<&Doc> = docs
            .iter()
            .filter(|d| matches!(&d.object, Object::PersistentVolume(pv) if pv.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()) == Some(class.as_str())))
            .collect();
        if (pvs.len() as i64) < i64::from(replicas) {
            push(
                doc,
                "local-pvs",
                format!(
                    "{} local PersistentVolumes in class `{class}` for {replicas} replicas",
                    pvs.len()
                ),
            );
        }
        for pv_doc in pvs {
            let Object::PersistentVolume(pv) = &pv_doc.object else {
                continue;
            };
            let Some(ps) = &pv.spec else { continue };
            let capacity = ps.capacity.as_ref().and_then(|c| c.get("storage")).map(q);
            if let (Some(r), Some(c)) = (request, capacity) {
                if c < r {
                    push(
                        pv_doc,
                        "local-pvs",
                        format!("capacity is below the claim `{claim_name}` request"),
                    );
                }
            }
            let pv_modes = ps.access_modes.clone().unwrap_or_default();
            if !modes.iter().all(|m| pv_modes.contains(m)) {
                push(
                    pv_doc,
                    "local-pvs",
                    format!(
                        "access modes [{}] do not cover the claim's [{}]",
                        pv_modes.join(", "),
                        modes.join(", ")
                    ),
                );
            }
            if let Some(cr) = &ps.claim_ref {
                let ok_name = cr
                    .name
                    .as_deref()
                    .and_then(|n| n.strip_prefix(&format!("{claim_name}-{sts_name}-")))
                    .and_then(|i| i.parse::<u32>().ok())
                    .is_some();
                if !ok_name || cr.namespace.as_deref() != ns {
                    push(
                        pv_doc,
                        "local-pvs",
                        format!(
                            "claimRef `{}/{}` is not a claim of StatefulSet {sts_name}",
                            cr.namespace.as_deref().unwrap_or(""),
                            cr.name.as_deref().unwrap_or("")
                        ),
                    );
                }
            }
        }
    }
}

fn q(v: &Quantity) -> f64 {
    quantity(&v.0).unwrap_or(0.0)
}
