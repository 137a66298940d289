//! One function per rule of scope `rendered`, each declared in [`super::RULES`]: the
//! objects must work together once applied.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, PersistentVolume, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{is_claim_of, is_listed_claim, may_share_namespace, Emit, Objects};
use crate::check::selector::{self, Pods};
use crate::check::{field, Doc, Object};
use crate::shared::names::quantity;

/// A StatefulSet's parts, as the rules on StatefulSets read them.
pub(super) struct Sts<'a> {
    sts: &'a StatefulSet,
    pub(super) spec: &'a StatefulSetSpec,
    /// The pod spec, when the template has one.
    pod: Option<&'a PodSpec>,
}

impl<'a> Sts<'a> {
    /// A StatefulSet with a spec; `None` for other objects.
    pub(super) fn of(doc: &'a Doc) -> Option<Sts<'a>> {
        let Object::StatefulSet(sts) = &doc.object else {
            return None;
        };
        let spec = sts.spec.as_ref()?;
        Some(Sts {
            sts,
            spec,
            pod: spec.template.spec.as_ref(),
        })
    }

    /// Init containers, then app containers.
    fn containers(&self) -> Vec<&'a Container> {
        self.pod
            .into_iter()
            .flat_map(|p| {
                p.init_containers
                    .iter()
                    .flatten()
                    .chain(p.containers.iter())
            })
            .collect()
    }
}

/// Reports `rule` on `doc` with the rule's own field path and fix.
pub(super) fn push(emit: &mut Emit, doc: &Doc, rule: &str, message: String) {
    emit(doc, rule, String::new(), message, None);
}

/// `schema`, the part types cannot check: containers have unique names and an image (a
/// podTemplate entry whose name matches no container adds a new, incomplete one).
pub(super) fn schema(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    super::api::container_fields(doc, objects, emit);
    super::api_objects::fields(doc, objects.manifests, emit);
    let Some(sts) = Sts::of(doc) else { return };
    let mut names = BTreeSet::new();
    for c in sts.containers() {
        if c.name.is_empty() {
            push(emit, doc, "schema", "a container has no name".into());
        } else if !names.insert(c.name.as_str()) {
            push(
                emit,
                doc,
                "schema",
                format!("container name `{}` is used twice", c.name),
            );
        }
        if c.image.as_deref().is_none_or(str::is_empty) {
            push(
                emit,
                doc,
                "schema",
                format!("container `{}` has no image", c.name),
            );
        }
    }
}

/// The selector of a Service or PodDisruptionBudget and what to call the object; `None`
/// for other objects. A Service's empty selector is none (the API server drops an empty
/// map), while a policy/v1 budget's `{}` selects every pod of its namespace.
pub(super) fn selector_of(doc: &Doc) -> Option<(Option<LabelSelector>, &'static str)> {
    match &doc.object {
        Object::Service(s) => Some((
            s.spec
                .as_ref()
                .and_then(|sp| sp.selector.clone())
                .filter(|m| !m.is_empty())
                .map(selector::from_labels),
            "Service",
        )),
        Object::PodDisruptionBudget(p) => Some((
            p.spec.as_ref().and_then(|sp| sp.selector.clone()),
            "PodDisruptionBudget",
        )),
        _ => None,
    }
}

/// The pods in the namespace of `doc` that `selector` selects.
fn selected<'a>(doc: &Doc, selector: &LabelSelector, objects: &'a Objects) -> Vec<&'a Pods> {
    objects
        .pods_for(selector)
        .into_iter()
        .filter(|p| may_share_namespace(p.namespace.as_deref(), doc.namespace()))
        .filter(|p| p.selected_by(selector))
        .collect()
}

/// Whether a Service without a selector is meant to have none: an ExternalName Service (a
/// DNS alias), or in anyone's manifests one whose endpoints are managed by hand (an
/// EndpointSlice labelled with its name). sts-gen's own Services always select its pods.
fn selectorless_by_design(doc: &Doc, objects: &Objects) -> bool {
    let Object::Service(s) = &doc.object else {
        return false;
    };
    let external_name = s
        .spec
        .as_ref()
        .and_then(|sp| sp.type_.as_deref())
        .is_some_and(|t| t == "ExternalName");
    external_name || objects.manifests
}

/// `selects-pods`: a Service or PodDisruptionBudget selects the pods of a workload in its
/// namespace.
pub(super) fn selects_pods(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let Some((selector, what)) = selector_of(doc) else {
        return;
    };
    let Some(selector) = selector else {
        if !selectorless_by_design(doc, objects) {
            push(
                emit,
                doc,
                "selects-pods",
                format!("the {what} has no selector"),
            );
        }
        return;
    };
    // The cluster's own pods live in kube-system and in no manifest: static control-plane
    // pods, CoreDNS, kube-proxy (kube-prometheus-stack's Services select them by default).
    if objects.manifests && doc.namespace() == Some("kube-system") {
        return;
    }
    if selected(doc, &selector, objects).is_empty() {
        push(
            emit,
            doc,
            "selects-pods",
            format!(
                "the {what} selector `{}` matches no pods of a workload ({}) in its namespace",
                selector::describe(&selector),
                selector::WORKLOAD_KINDS.join(", ")
            ),
        );
    }
}

/// `service-ports`: a Service's named target ports are ports of the pods it selects (a
/// Service that selects none is `selects-pods`'s finding).
pub(super) fn service_ports(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let Object::Service(svc) = &doc.object else {
        return;
    };
    let Some((Some(selector), _)) = selector_of(doc) else {
        return;
    };
    if selector::is_empty(&selector) {
        return;
    }
    let matching = selected(doc, &selector, objects);
    // An operator's pods: their ports are not in the manifests.
    if matching.is_empty() || matching.iter().any(|p| p.operator.is_some()) {
        return;
    }
    for port in svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_ref())
        .into_iter()
        .flatten()
    {
        // An empty name is unset: the API server defaults it to the port's number.
        if let Some(IntOrString::String(name)) = &port.target_port {
            if !name.is_empty() && !matching.iter().any(|p| p.port_names.contains(name)) {
                push(
                    emit,
                    doc,
                    "service-ports",
                    format!("targetPort `{name}` is not a container port of the selected pods"),
                );
            }
        }
    }
}

/// Limits the API server enforces, checked here so they fail at render time.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;
/// etcd's default request limit (1.5 MiB), which bounds every stored object.
const MAX_OBJECT_BYTES: usize = 3 << 19;
/// The most annotation bytes (keys and values) an object may carry.
pub const MAX_ANNOTATION_BYTES: usize = 256 << 10;

/// `size-limits`: ConfigMap and Secret data, and annotations, fit what the API server stores.
pub(super) fn size_limits(doc: &Doc, _: &Objects, emit: &mut Emit) {
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
        push(emit, doc, "size-limits", format!("data is {data_bytes} bytes; Kubernetes stores at most {MAX_CONFIG_BYTES} bytes in a {}", doc.kind()));
    }
    // A workload's pod template (a long env value) has no limit but etcd's on the object.
    let workload = matches!(doc.kind(), "StatefulSet" | "CronJob");
    let size = workload.then(|| serde_json::to_string(&doc.value).map_or(0, |s| s.len()));
    if let Some(n) = size.filter(|n| *n > MAX_OBJECT_BYTES) {
        let m =
            format!("the object is {n} bytes; etcd stores at most {MAX_OBJECT_BYTES} per object");
        push(emit, doc, "size-limits", m);
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
            field(&doc.value, &["metadata", "annotations"]),
        ),
        (
            "spec.template.metadata.annotations",
            field(&doc.value, &["spec", "template", "metadata", "annotations"]),
        ),
    ] {
        let n = annotation_bytes(value);
        if n > MAX_ANNOTATION_BYTES {
            push(
                emit,
                doc,
                "size-limits",
                format!("{at} total {n} bytes; Kubernetes allows at most {MAX_ANNOTATION_BYTES}"),
            );
        }
    }
}

/// `namespace`: with a Namespace among sts-gen's own objects, every namespaced object is in
/// it (sts-gen renders all into the profile's namespace, so one elsewhere is a template's
/// mistake). Anyone's manifests are not judged: an object may go to a namespace that exists
/// in the cluster already (cert-manager's leader-election Role in kube-system, an app's
/// RoleBinding in `monitoring`), which the manifests cannot show; `schema` checks the name.
pub(super) fn namespace(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    if objects.manifests {
        return;
    }
    let Some(ns) = doc.namespace() else { return };
    let mut declared = objects
        .iter()
        .filter(|d| matches!(d.object, Object::Namespace(_)))
        .map(|d| d.name())
        .peekable();
    if declared.peek().is_some() && !declared.any(|n| n == ns) {
        push(
            emit,
            doc,
            "namespace",
            format!("namespace `{ns}` is not the rendered Namespace"),
        );
    }
}

/// `statefulset`: a StatefulSet has a spec.
pub(super) fn statefulset(doc: &Doc, _: &Objects, emit: &mut Emit) {
    if let Object::StatefulSet(sts) = &doc.object {
        if sts.spec.is_none() {
            push(
                emit,
                doc,
                "statefulset",
                "the StatefulSet has no spec".into(),
            );
        }
    }
}

/// `selector`: the selector is not empty and selects the pod template's labels.
pub(super) fn selector(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(Sts { spec, .. }) = Sts::of(doc) else {
        return;
    };
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    if selector::is_empty(&spec.selector) {
        push(
            emit,
            doc,
            "selector",
            "the StatefulSet selector is empty".into(),
        );
    }
    let mut label_missing = false;
    for (k, v) in spec.selector.match_labels.iter().flatten() {
        if labels.get(k) != Some(v) {
            label_missing = true;
            push(
                emit,
                doc,
                "selector",
                format!("selector label `{k}: {v}` is not on the pod template"),
            );
        }
    }
    if !label_missing && !selector::matches(&spec.selector, &labels) {
        push(
            emit,
            doc,
            "selector",
            format!(
                "selector `{}` does not match the pod template labels",
                selector::describe(&spec.selector)
            ),
        );
    }
}

/// `pod`: the pod template has a spec.
pub(super) fn pod(doc: &Doc, _: &Objects, emit: &mut Emit) {
    if Sts::of(doc).is_some_and(|s| s.pod.is_none()) {
        push(emit, doc, "pod", "the pod template has no spec".into());
    }
}

/// The names of a StatefulSet's volume claim templates, then of its pod's volumes.
fn volume_names(sts: &Sts) -> (Vec<String>, Vec<String>) {
    let claims = sts
        .spec
        .volume_claim_templates
        .iter()
        .flatten()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    let volumes = sts
        .pod
        .into_iter()
        .flat_map(|p| p.volumes.iter().flatten())
        .map(|v| v.name.clone())
        .collect();
    (claims, volumes)
}

/// `volumes`: volume and claim names are unique.
pub(super) fn volumes(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let Some(sts) = Sts::of(doc).filter(|s| s.pod.is_some()) else {
        return;
    };
    let (claims, volumes) = volume_names(&sts);
    let mut seen = BTreeSet::new();
    for (i, v) in claims.iter().chain(volumes.iter()).enumerate() {
        // The StatefulSet controller replaces a pod volume named like a claim template with
        // the claim (a chart's `emptyDir` fallback beside its claim works): in anyone's
        // manifests only names repeated among the volumes, or among the claims, are wrong.
        let volume = i >= claims.len();
        if objects.manifests
            && volume
            && claims.contains(v)
            && !volumes[..i - claims.len()].contains(v)
        {
            continue;
        }
        if !seen.insert(v) {
            push(
                emit,
                doc,
                "volumes",
                format!("volume name `{v}` is defined twice"),
            );
        }
    }
}

/// `volume-mounts`: every mount has a volume or a claim.
pub(super) fn volume_mounts(doc: &Doc, _: &Objects, emit: &mut Emit) {
    let Some(sts) = Sts::of(doc).filter(|s| s.pod.is_some()) else {
        return;
    };
    let (claims, volumes) = volume_names(&sts);
    for c in sts.containers() {
        for m in c.volume_mounts.iter().flatten() {
            if !claims.contains(&m.name) && !volumes.contains(&m.name) {
                push(
                    emit,
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

/// The keys of the ConfigMap or Secret `name` (`kind`) in `doc`'s namespace, or `None` when
/// it is not among the objects. A cert-manager Certificate writes the Secret it names, with
/// the keys below; of several objects that give the same one, the last counts.
fn object_keys<'a>(
    doc: &'a Doc,
    objects: &'a Objects,
    kind: &str,
    name: &str,
) -> Option<BTreeSet<&'a str>> {
    let written = (kind == "Secret")
        .then(|| {
            objects
                .of_kind_near(doc, "Certificate")
                .filter(|d| crate::check::certificate_secret(&d.value) == Some(name))
                .last()
        })
        .flatten();
    let given = objects.named_near(doc, kind, name).last();
    // Both are items of the same slice, so their addresses give their order.
    let position = |d: &Doc| std::ptr::from_ref(d) as usize;
    let last = match (written, given) {
        (Some(w), Some(g)) if position(w) > position(g) => w,
        (_, Some(g)) => g,
        (Some(w), None) => w,
        (None, None) => return None,
    };
    if crate::check::certificate_secret(&last.value).is_some() {
        return Some(["tls.crt", "tls.key", "ca.crt"].into());
    }
    Some(match &last.object {
        Object::ConfigMap(cm) => (cm.data.iter().flatten().map(|(k, _)| k.as_str()))
            .chain(cm.binary_data.iter().flatten().map(|(k, _)| k.as_str()))
            .collect(),
        Object::Secret(s) => (s.data.iter().flatten().map(|(k, _)| k.as_str()))
            .chain(s.string_data.iter().flatten().map(|(k, _)| k.as_str()))
            .collect(),
        _ => return None,
    })
}

/// `references`: the ConfigMaps and Secrets (and keys) the pod uses are rendered or
/// external.
pub(super) fn references(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let Some(sts) = Sts::of(doc) else { return };
    let Some(pod) = sts.pod else { return };
    let containers = sts.containers();
    let external = objects.external;
    let mut resolve = |kind: &str, name: &str, key: Option<&str>, optional: bool, at: String| {
        if optional {
            return;
        }
        let existing = match kind {
            "Secret" => &external.secrets,
            _ => &external.config_maps,
        };
        match object_keys(doc, objects, kind, name).as_ref() {
            None if existing.iter().any(|e| e == name) => {}
            None => push(
                emit,
                doc,
                "references",
                format!(
                    "{at} refers to {kind} `{name}`, which is not {}",
                    objects.absent()
                ),
            ),
            Some(keys) => {
                if let Some(k) = key.filter(|k| !keys.contains(k)) {
                    push(
                        emit,
                        doc,
                        "references",
                        format!(
                            "{at} refers to key `{k}` of {kind} `{name}`, which has no such key"
                        ),
                    );
                }
            }
        }
    };
    for v in pod.volumes.iter().flatten() {
        let direct = [
            v.config_map
                .as_ref()
                .map(|c| ("ConfigMap", c.name.as_str(), c.optional, &c.items)),
            v.secret.as_ref().map(|s| {
                let name = s.secret_name.as_deref().unwrap_or_default();
                ("Secret", name, s.optional, &s.items)
            }),
        ];
        // A projected volume's sources fail the pod's start the same way when missing.
        let projected = v.projected.iter().flat_map(|p| p.sources.iter().flatten());
        let projected = projected.flat_map(|source| {
            [
                source
                    .config_map
                    .as_ref()
                    .map(|c| ("ConfigMap", c.name.as_str(), c.optional, &c.items)),
                source
                    .secret
                    .as_ref()
                    .map(|s| ("Secret", s.name.as_str(), s.optional, &s.items)),
            ]
        });
        for (kind, name, optional, items) in direct.into_iter().chain(projected).flatten() {
            let optional = optional.unwrap_or(false);
            let at = format!("volume `{}`", v.name);
            if items.as_ref().is_none_or(|i| i.is_empty()) {
                resolve(kind, name, None, optional, at.clone());
            }
            for item in items.iter().flatten() {
                resolve(kind, name, Some(&item.key), optional, at.clone());
            }
        }
    }
    for c in containers {
        for e in c.env.iter().flatten() {
            let Some(from) = &e.value_from else { continue };
            let at = format!("env `{}` of container `{}`", e.name, c.name);
            let refs = [
                from.config_map_key_ref
                    .as_ref()
                    .map(|r| ("ConfigMap", &r.name, &r.key, r.optional)),
                from.secret_key_ref
                    .as_ref()
                    .map(|r| ("Secret", &r.name, &r.key, r.optional)),
            ];
            for (kind, name, key, optional) in refs.into_iter().flatten() {
                resolve(kind, name, Some(key), optional.unwrap_or(false), at.clone());
            }
        }
        for e in c.env_from.iter().flatten() {
            let at = format!("envFrom of container `{}`", c.name);
            let refs = [
                e.config_map_ref
                    .as_ref()
                    .map(|r| ("ConfigMap", &r.name, r.optional)),
                e.secret_ref
                    .as_ref()
                    .map(|r| ("Secret", &r.name, r.optional)),
            ];
            for (kind, name, optional) in refs.into_iter().flatten() {
                resolve(kind, name, None, optional.unwrap_or(false), at.clone());
            }
        }
    }
}

/// `local-pvs`: a local PersistentVolume has a required nodeAffinity, and the local
/// PersistentVolumes of each claim's no-provisioner class are enough for the replicas,
/// large enough, with the claim's access modes, and pre-bound (if at all) to this
/// StatefulSet's claims.
pub(super) fn local_pvs(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    if let Object::PersistentVolume(pv) = &doc.object {
        node_affinity(doc, pv, emit);
    }
    let Some(Sts { sts, spec, .. }) = Sts::of(doc).filter(|s| s.pod.is_some()) else {
        return;
    };
    let docs: &[Doc] = objects;
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
        // Anyone's manifests without a PersistentVolume of the class leave them to be made
        // apart, by sig-storage-local-static-provisioner from the node's disks or by hand:
        // lint cannot count them. With some among the manifests, they are the set.
        let listed_pvs = docs.iter().any(|d| {
            matches!(&d.object, Object::PersistentVolume(pv) if pv.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()) == Some(class.as_str()))
        });
        if objects.manifests && !listed_pvs {
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
        // Every StatefulSet whose claims use this class, this one among them (node sets share
        // one class): a PV pre-bound to another one's claim is that one's, not a stray.
        let users = class_users(docs, class);
        let first_user =
            users.first().map(|u| (u.0.as_deref(), u.1.as_str())) == Some((ns, sts_name.as_str()));
        let mut pvs: Vec<&Doc> = Vec::new();
        for d in docs {
            let Object::PersistentVolume(pv) = &d.object else {
                continue;
            };
            let Some(ps) = pv.spec.as_ref() else { continue };
            if ps.storage_class_name.as_deref() != Some(class.as_str()) {
                continue;
            }
            let Some(cr) = &ps.claim_ref else {
                pvs.push(d);
                continue;
            };
            let (cr_ns, cr_name) = (cr.namespace.as_deref(), cr.name.as_deref().unwrap_or(""));
            if cr_ns == ns && is_claim_of(cr_name, &claim_name, &sts_name) {
                pvs.push(d);
            } else if is_listed_claim(docs, cr_ns, cr_name)
                || users
                    .iter()
                    .any(|(u_ns, u, c)| cr_ns == u_ns.as_deref() && is_claim_of(cr_name, c, u))
            {
                continue;
            } else {
                // A stray is counted as before (one finding per mistake), and said once, by
                // the first StatefulSet of the class.
                pvs.push(d);
                if !first_user {
                    continue;
                }
                let mut names: Vec<&str> = users.iter().map(|u| u.1.as_str()).collect();
                names.dedup();
                push(
                    emit,
                    d,
                    "local-pvs",
                    format!(
                        "claimRef `{}/{cr_name}` is not a claim of StatefulSet {}",
                        cr_ns.unwrap_or(""),
                        names.join(" or ")
                    ),
                );
            }
        }
        if (pvs.len() as i64) < i64::from(replicas) {
            push(
                emit,
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
                        emit,
                        pv_doc,
                        "local-pvs",
                        format!("capacity is below the claim `{claim_name}` request"),
                    );
                }
            }
            let pv_modes = ps.access_modes.clone().unwrap_or_default();
            if !modes.iter().all(|m| pv_modes.contains(m)) {
                push(
                    emit,
                    pv_doc,
                    "local-pvs",
                    format!(
                        "access modes [{}] do not cover the claim's [{}]",
                        pv_modes.join(", "),
                        modes.join(", ")
                    ),
                );
            }
        }
    }
}

/// (namespace, StatefulSet name, claim template name) of every claim template among `docs`
/// in storage class `class`, in document order.
fn class_users(docs: &[Doc], class: &str) -> Vec<(Option<String>, String, String)> {
    let mut out = Vec::new();
    for d in docs {
        let Some(Sts { sts, spec, .. }) = Sts::of(d) else {
            continue;
        };
        for claim in spec.volume_claim_templates.iter().flatten() {
            if claim
                .spec
                .as_ref()
                .and_then(|c| c.storage_class_name.as_deref())
                == Some(class)
            {
                out.push((
                    d.namespace().map(str::to_string),
                    sts.metadata.name.clone().unwrap_or_default(),
                    claim.metadata.name.clone().unwrap_or_default(),
                ));
            }
        }
    }
    out
}

fn q(v: &Quantity) -> f64 {
    quantity(&v.0).unwrap_or(0.0)
}

/// The API server rejects a local PersistentVolume without a required nodeAffinity, and
/// the scheduler needs it to place the pod on the volume's node.
fn node_affinity(doc: &Doc, pv: &PersistentVolume, emit: &mut Emit) {
    let Some(spec) = &pv.spec else { return };
    let has_affinity = spec
        .node_affinity
        .as_ref()
        .and_then(|a| a.required.as_ref())
        .is_some_and(|r| !r.node_selector_terms.is_empty());
    if spec.local.is_some() && !has_affinity {
        push(
            emit,
            doc,
            "local-pvs",
            "a local PersistentVolume needs a required nodeAffinity".into(),
        );
    }
}
