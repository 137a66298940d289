//! Check stage: every rendered document is parsed into its k8s-openapi type, then the
//! objects are checked against each other.
//!
//! A field the type does not know (and so would silently drop) is an error naming the
//! template and the field path. The checked objects are re-serialized from their types,
//! which gives `emit` a canonical field order independent of the template's text.

/// ServiceMonitor, PodMonitor and Certificate types (k8s-openapi has none).
pub mod custom;
/// The ExternalSecret type (k8s-openapi has none).
mod external_secret;
/// Which ServiceAccounts may label pods (RBAC among linted manifests).
pub(crate) mod pod_labellers;
/// The rule engine: every rule of check and lint, declared once.
pub(crate) mod rules;
/// Label selectors and the pods they select.
pub(crate) mod selector;
/// The round trip of a document through its type.
mod typed;

use typed::typed_round_trip;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolume, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::Resource;
use serde_json::Value as Json;

use crate::render::RenderedDoc;
use crate::shared::error::{ErrorKind, LoadError};

/// A typed Kubernetes object sts-gen knows how to check. Typing is the schema check; no
/// rule reads a Namespace, ServiceAccount or ExternalSecret beyond it.
///
/// The largest kinds are boxed, so a document is not as large as a PersistentVolume (3.4 KB
/// inline): documents are moved into lists and sorted.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub(crate) enum Object {
    /// A typed Namespace.
    Namespace(Namespace),
    /// A typed StorageClass.
    StorageClass(StorageClass),
    /// A typed PersistentVolume.
    PersistentVolume(Box<PersistentVolume>),
    /// A typed ServiceAccount.
    ServiceAccount(ServiceAccount),
    /// A typed Secret.
    Secret(Secret),
    /// A typed ExternalSecret.
    ExternalSecret(external_secret::ExternalSecret),
    /// A typed ConfigMap.
    ConfigMap(ConfigMap),
    /// A typed Service.
    Service(Service),
    /// A typed NetworkPolicy.
    NetworkPolicy(NetworkPolicy),
    /// A typed PodDisruptionBudget.
    PodDisruptionBudget(PodDisruptionBudget),
    /// A typed PersistentVolumeClaim (the backup claim).
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    /// A typed StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// A typed Role (peer discovery through the API).
    Role(Role),
    /// A typed RoleBinding.
    RoleBinding(RoleBinding),
    /// A typed Ingress.
    Ingress(Ingress),
    /// A typed CronJob (backups).
    CronJob(Box<CronJob>),
    /// A Prometheus Operator ServiceMonitor.
    ServiceMonitor(custom::ServiceMonitor),
    /// A Prometheus Operator PodMonitor.
    PodMonitor(custom::PodMonitor),
    /// A cert-manager Certificate.
    Certificate(Box<custom::Certificate>),
    /// A custom resource sts-gen has no schema for: kept as the template wrote it, with a
    /// warning (see [`unchecked_warnings`]).
    Unchecked,
}

/// The kinds sts-gen types, in apply order: each may be referenced by the ones after it.
/// A kind a template may render is added here, in [`Object`] and in `type_doc`'s table.
pub(crate) const APPLY_ORDER: &[&str] = &[
    "Namespace",
    "StorageClass",
    "PersistentVolume",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Secret",
    "ExternalSecret",
    "Certificate",
    "ConfigMap",
    "Service",
    "Ingress",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "PersistentVolumeClaim",
    "StatefulSet",
    "CronJob",
    "ServiceMonitor",
    "PodMonitor",
];

/// Kinds typed with only the fields sts-gen's templates use: `sts-gen lint` skips them in
/// others' manifests, where a field the type leaves out would be a false finding.
pub const PARTIAL_SCHEMAS: &[&str] = &[
    "ServiceMonitor",
    "PodMonitor",
    "Certificate",
    "ExternalSecret",
];

/// Whether an apiVersion is of a custom resource: a group with a dot that is not one of
/// Kubernetes' own (`*.k8s.io`).
pub fn is_custom_api(api_version: &str) -> bool {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group.contains('.') && !group.ends_with(".k8s.io"),
        None => false,
    }
}

/// The apiVersion sts-gen types `kind` with, for the kinds of [`APPLY_ORDER`].
fn typed_api_version(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Namespace" => Namespace::API_VERSION,
        "StorageClass" => StorageClass::API_VERSION,
        "PersistentVolume" => PersistentVolume::API_VERSION,
        "ServiceAccount" => ServiceAccount::API_VERSION,
        "Role" => Role::API_VERSION,
        "RoleBinding" => RoleBinding::API_VERSION,
        "Secret" => Secret::API_VERSION,
        "ExternalSecret" => external_secret::API_VERSION,
        "Certificate" => custom::CERT_MANAGER_V1,
        "ConfigMap" => ConfigMap::API_VERSION,
        "Service" => Service::API_VERSION,
        "Ingress" => Ingress::API_VERSION,
        "NetworkPolicy" => NetworkPolicy::API_VERSION,
        "PodDisruptionBudget" => PodDisruptionBudget::API_VERSION,
        "PersistentVolumeClaim" => PersistentVolumeClaim::API_VERSION,
        "StatefulSet" => StatefulSet::API_VERSION,
        "CronJob" => CronJob::API_VERSION,
        "ServiceMonitor" | "PodMonitor" => custom::MONITORING_V1,
        _ => return None,
    })
}

/// Whether a document of a kind sts-gen types is another API's custom resource of the same
/// name (Knative's `serving.knative.dev/v1` Service, OpenKruise's `apps.kruise.io` StatefulSet):
/// its group is not the kind's and clearly another API's ([`is_custom_api`]). A Kubernetes
/// group that is not the kind's (`apps/v1` for a Service, the removed `extensions/v1beta1`) is
/// no custom resource (their groups hold no such kind) but a wrong apiVersion.
fn is_other_apis_kind(kind: &str, api_version: &str) -> bool {
    typed_api_version(kind).is_some_and(|typed| {
        api_group(typed) != api_group(api_version) && is_custom_api(api_version)
    })
}

/// The group of an apiVersion: `apps` of `apps/v1`, empty for the core `v1`.
fn api_group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// One warning per object of a kind sts-gen has no schema for: it is written unchecked.
pub fn unchecked_warnings(docs: &[Doc]) -> Vec<String> {
    docs.iter()
        .filter(|d| matches!(d.object, Object::Unchecked))
        .map(|d| {
            format!(
                "template `{}` renders {} {} ({}), a custom kind sts-gen has no schema for: it is written as the template wrote it, unchecked",
                d.template,
                d.kind(),
                d.name(),
                d.value.get("apiVersion").and_then(Json::as_str).unwrap_or("")
            )
        })
        .collect()
}

/// A checked document.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The template (or file and document) the object came from.
    pub template: String,
    /// The typed object.
    pub(crate) object: Object,
    /// The object re-serialized from its type (canonical field order).
    pub value: Json,
}

impl Doc {
    /// The object's kind.
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Json::as_str).unwrap_or("")
    }

    /// The object's `metadata.name`.
    pub fn name(&self) -> &str {
        field(&self.value, &["metadata", "name"])
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    /// The object's `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        field(&self.value, &["metadata", "namespace"]).and_then(Json::as_str)
    }

    /// Position of the kind in [`APPLY_ORDER`]; custom resources (a Knative Service too)
    /// come after every kind sts-gen types.
    pub(crate) fn apply_rank(&self) -> usize {
        if matches!(self.object, Object::Unchecked) {
            return APPLY_ORDER.len();
        }
        APPLY_ORDER
            .iter()
            .position(|k| *k == self.kind())
            .unwrap_or(APPLY_ORDER.len())
    }
}

/// The value at `path` (mapping keys) in `value`; `Value::pointer` costs an allocation per
/// segment, and these lookups run for every document and rule.
pub(crate) fn field<'a>(value: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// A problem in the rendered objects: the one error type, of kind [`ErrorKind::Check`], with
/// `object` naming the template and object.
pub type CheckError = LoadError;

/// Types every document and runs the cross-object rules; returns the checked documents in
/// their render order, or every problem found. `external_secrets` names Secrets that exist
/// in the cluster already (`secret.existing`), which references may use.
pub fn check(
    docs: Vec<RenderedDoc>,
    external_secrets: &[String],
) -> Result<Vec<Doc>, Vec<CheckError>> {
    let external = External {
        secrets: external_secrets.to_vec(),
        ..External::default()
    };
    check_with_external(docs, &external)
}

pub use crate::model::External;

/// [`check`] with external Secrets and ConfigMaps.
pub(crate) fn check_with_external(
    docs: Vec<RenderedDoc>,
    external: &External,
) -> Result<Vec<Doc>, Vec<CheckError>> {
    let mut out = Vec::with_capacity(docs.len());
    let mut errors = Vec::new();
    // Owned, so each thread also frees the template values it typed.
    for typed in crate::par::map_owned(docs, |doc| type_doc(&doc, Origin::Rendered)) {
        match typed {
            Ok(d) => out.push(d),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        errors = check_all(&out, external);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Runs the rules of scope [`rules::Scope::Rendered`]; every finding is an error.
fn check_all(docs: &[Doc], external: &External) -> Vec<CheckError> {
    let mut errs = Vec::new();
    let objects = rules::Objects::new(docs, external, &[], false);
    rules::run(
        &objects,
        |r| r.scope == rules::Scope::Rendered,
        &mut |doc: &Doc, rule: &str, _path, message, _fix| {
            errs.push(CheckError::in_object(
                ErrorKind::Check,
                format!(
                    "template `{}`, {} {} [{rule}]",
                    doc.template,
                    doc.kind(),
                    doc.name()
                ),
                message,
            ))
        },
    );
    errs
}

/// Types documents from any source (hand-written manifests for `sts-gen lint`) without
/// stopping at the first problem: returns the typed documents, the schema problems of the
/// others, and a note for each document of a kind sts-gen does not check (skipped).
pub fn type_documents(docs: Vec<RenderedDoc>) -> Typed {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let mut other_pods = Vec::new();
    let mut produced_secrets = Vec::new();
    let scaled = autoscaled(&docs);
    let pod_labellers = pod_labellers::pod_labellers(&docs);
    for mut doc in docs {
        scale_to_most(&mut doc, &scaled);
        let kind = doc.value.get("kind").and_then(Json::as_str).unwrap_or("");
        let api = doc
            .value
            .get("apiVersion")
            .and_then(Json::as_str)
            .unwrap_or("");
        let other_apis = is_other_apis_kind(kind, api);
        if !kind.is_empty()
            && (!APPLY_ORDER.contains(&kind) || PARTIAL_SCHEMAS.contains(&kind) || other_apis)
        {
            // Not checked, but its pods count when a Service or budget selects them, and
            // the Secret a cert-manager Certificate or an ExternalSecret has written counts
            // as present.
            other_pods.extend(selector::pods_of_value(&doc.value));
            if let Some(secret) =
                certificate_secret(&doc.value).or_else(|| external_secret_target(&doc.value))
            {
                produced_secrets.push(secret.to_string());
            }
            let name = field(&doc.value, &["metadata", "name"])
                .and_then(Json::as_str)
                .unwrap_or("?");
            // The kind's name alone would read as if lint skipped Kubernetes' own.
            let custom = if other_apis {
                format!(" ({api}, a custom resource)")
            } else {
                String::new()
            };
            notes.push(format!(
                "{}: {kind} {name}{custom} skipped (lint checks {})",
                doc.template,
                APPLY_ORDER
                    .iter()
                    .filter(|k| !PARTIAL_SCHEMAS.contains(k))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        if kind.is_empty() && !meant_as_object(&doc.value) {
            notes.push(format!(
                "{}: skipped: the document has no `kind`, so it is not a Kubernetes object",
                doc.template
            ));
            continue;
        }
        match type_doc(&doc, Origin::Manifests) {
            Ok(d) => out.push(d),
            Err(e) => {
                // Its pods still run once the field is fixed: a Service selecting them is
                // not told, beside the schema error, that it selects none.
                other_pods.extend(selector::pods_of_value(&doc.value));
                errors.push((doc, e))
            }
        }
    }
    Typed {
        docs: out,
        schema: errors,
        notes,
        other_pods,
        produced_secrets,
        pod_labellers,
    }
}

/// The StatefulSets an autoscaler among `docs` scales, as (namespace, name, most replicas): a
/// HorizontalPodAutoscaler's `maxReplicas`, a KEDA ScaledObject's `maxReplicaCount` (100 unless
/// set).
fn autoscaled(docs: &[RenderedDoc]) -> Vec<(Option<String>, String, i64)> {
    let mut out = Vec::new();
    for d in docs {
        let v = &d.value;
        let text = |p: &str| v.pointer(p).and_then(Json::as_str);
        let api = text("/apiVersion").unwrap_or("");
        let most = match text("/kind") {
            Some("HorizontalPodAutoscaler") if api.starts_with("autoscaling/") => {
                v.pointer("/spec/maxReplicas").and_then(Json::as_i64)
            }
            Some("ScaledObject") if api.starts_with("keda.sh/") => Some(
                v.pointer("/spec/maxReplicaCount")
                    .and_then(Json::as_i64)
                    .unwrap_or(100),
            ),
            _ => None,
        };
        let (Some(most), Some("StatefulSet"), Some(name)) = (
            most,
            text("/spec/scaleTargetRef/kind"),
            text("/spec/scaleTargetRef/name"),
        ) else {
            continue;
        };
        out.push((
            text("/metadata/namespace").map(str::to_string),
            name.to_string(),
            most,
        ));
    }
    out
}

/// A StatefulSet an autoscaler scales may run its most replicas: the rules that count its
/// pods (a pod name past `replicas`, a peer list, a budget) count those.
fn scale_to_most(doc: &mut RenderedDoc, scaled: &[(Option<String>, String, i64)]) {
    let v = &doc.value;
    if v.get("kind").and_then(Json::as_str) != Some("StatefulSet") {
        return;
    }
    let name = field(v, &["metadata", "name"]).and_then(Json::as_str);
    let ns = field(v, &["metadata", "namespace"]).and_then(Json::as_str);
    let most = scaled
        .iter()
        .filter(|(s_ns, s_name, _)| {
            Some(s_name.as_str()) == name
                && (s_ns.is_none() || ns.is_none() || s_ns.as_deref() == ns)
        })
        .map(|(_, _, m)| *m)
        .max();
    let replicas = v
        .pointer("/spec/replicas")
        .and_then(Json::as_i64)
        .unwrap_or(1);
    if let (Some(most), Some(spec)) = (
        most.filter(|m| *m > replicas && *m <= i64::from(i32::MAX)),
        doc.value.get_mut("spec").and_then(Json::as_object_mut),
    ) {
        spec.insert("replicas".into(), Json::from(most));
    }
}

/// Whether a document without `kind` was meant as a Kubernetes object (its missing kind is
/// an error), rather than another YAML file among the manifests: a kustomization.yaml, whose
/// apiVersion and kind are optional, or any other configuration.
fn meant_as_object(value: &Json) -> bool {
    let api = value.get("apiVersion").and_then(Json::as_str);
    // A Helm Chart.yaml (`apiVersion: v2`, or `v1` in Helm 2's) names its chart at the top.
    let chart = ["name", "version"]
        .iter()
        .all(|k| value.get(*k).is_some_and(Json::is_string));
    value.get("metadata").is_some()
        || api.is_some_and(|a| {
            !a.starts_with("kustomize.config.k8s.io/") && (a == "v1" || a.contains('/')) && !chart
        })
}

/// The Secret a cert-manager Certificate (`cert-manager.io/*`) writes: its `spec.secretName`.
/// The one place that knows it: the `references` rule counts it as rendered, and `lint`
/// (which skips Certificates) as present.
pub(crate) fn certificate_secret(value: &Json) -> Option<&str> {
    let api = value.get("apiVersion").and_then(Json::as_str)?;
    if value.get("kind").and_then(Json::as_str) != Some("Certificate")
        || !api.starts_with("cert-manager.io/")
    {
        return None;
    }
    field(value, &["spec", "secretName"]).and_then(Json::as_str)
}

/// The Secret an External Secrets Operator ExternalSecret (`external-secrets.io/*`, any
/// version) writes: `spec.target.name`, or its own name when the target has none.
fn external_secret_target(value: &Json) -> Option<&str> {
    let api = value.get("apiVersion").and_then(Json::as_str)?;
    if value.get("kind").and_then(Json::as_str) != Some("ExternalSecret")
        || !api.starts_with("external-secrets.io/")
    {
        return None;
    }
    field(value, &["spec", "target", "name"])
        .or_else(|| field(value, &["metadata", "name"]))
        .and_then(Json::as_str)
}

/// Documents from any source, typed as far as sts-gen can ([`type_documents`]).
#[derive(Debug, Default)]
pub struct Typed {
    /// The documents of kinds sts-gen checks, typed.
    pub(crate) docs: Vec<Doc>,
    /// Documents of those kinds that do not match their schema, with the problem.
    pub(crate) schema: Vec<(RenderedDoc, CheckError)>,
    /// One note per document skipped (a kind sts-gen does not check).
    pub(crate) notes: Vec<String>,
    /// The pods of skipped workloads (Deployment, DaemonSet, ...), which Services and
    /// PodDisruptionBudgets may select.
    pub(crate) other_pods: Vec<selector::Pods>,
    /// Secrets that skipped documents make (a cert-manager Certificate's `secretName`), which
    /// pods may mount though no Secret object is among the manifests.
    pub(crate) produced_secrets: Vec<String>,
    /// ServiceAccounts that RBAC among the manifests lets patch pods, whose pods may carry
    /// labels their template does not set.
    pub(crate) pod_labellers: Vec<pod_labellers::Labeller>,
}

fn type_doc(doc: &RenderedDoc, origin: Origin) -> Result<Doc, CheckError> {
    let api_version = doc
        .value
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or("");
    let kind = doc.value.get("kind").and_then(Json::as_str).unwrap_or("");
    let name = field(&doc.value, &["metadata", "name"])
        .and_then(Json::as_str)
        .unwrap_or("?");
    let context = format!("template `{}`, {kind} {name}", doc.template);
    let err = |message: String| CheckError::in_object(ErrorKind::Check, context.clone(), message);
    if kind.is_empty() {
        // Before the names: without a kind, no name rule applies.
        return Err(err("the document has no `kind`".into()));
    }
    check_names(&doc.value, kind, origin).map_err(err)?;
    let other_apis = is_other_apis_kind(kind, api_version);
    // k8s-openapi's base64 decoder does not skip line breaks as the API server's does: a
    // Secret is typed from its data without them.
    let unwrapped;
    let source = if kind == "Secret" && !other_apis {
        secret_values(&doc.value).map_err(err)?;
        unwrapped = unwrapped_data(&doc.value);
        unwrapped.as_ref().unwrap_or(&doc.value)
    } else {
        &doc.value
    };
    macro_rules! typed {
        ($ty:ty, $variant:ident) => {
            typed!($ty, $variant, <$ty as Resource>::API_VERSION)
        };
        ($ty:ty, $variant:ident, $api:expr) => {{
            if api_version != $api {
                return Err(err(format!(
                    "apiVersion is `{api_version}`; {kind} is `{}`",
                    $api
                )));
            }
            let (typed, value): ($ty, Json) =
                typed_round_trip(source).map_err(|e| err(e.message))?;
            Doc {
                template: doc.template.clone(),
                object: Object::$variant(typed.into()),
                value,
            }
        }};
    }
    let d = match kind {
        // Another API's kind of a typed kind's name: a custom resource, written as is.
        _ if other_apis => Doc {
            template: doc.template.clone(),
            object: Object::Unchecked,
            value: doc.value.clone(),
        },
        "Namespace" => typed!(Namespace, Namespace),
        "StorageClass" => typed!(StorageClass, StorageClass),
        "PersistentVolume" => typed!(PersistentVolume, PersistentVolume),
        "ServiceAccount" => typed!(ServiceAccount, ServiceAccount),
        "Secret" => typed!(Secret, Secret),
        "ConfigMap" => typed!(ConfigMap, ConfigMap),
        "Service" => typed!(Service, Service),
        "NetworkPolicy" => typed!(NetworkPolicy, NetworkPolicy),
        "PodDisruptionBudget" => typed!(PodDisruptionBudget, PodDisruptionBudget),
        "StatefulSet" => typed!(StatefulSet, StatefulSet),
        "Role" => typed!(Role, Role),
        "RoleBinding" => typed!(RoleBinding, RoleBinding),
        "Ingress" => typed!(Ingress, Ingress),
        "CronJob" => typed!(CronJob, CronJob),
        "ExternalSecret" => typed!(
            external_secret::ExternalSecret,
            ExternalSecret,
            external_secret::API_VERSION
        ),
        "ServiceMonitor" => typed!(custom::ServiceMonitor, ServiceMonitor, custom::MONITORING_V1),
        "PodMonitor" => typed!(custom::PodMonitor, PodMonitor, custom::MONITORING_V1),
        "Certificate" => typed!(custom::Certificate, Certificate, custom::CERT_MANAGER_V1),
        "PersistentVolumeClaim" => typed!(PersistentVolumeClaim, PersistentVolumeClaim),
        // A custom resource sts-gen knows nothing of: written as is, with a warning.
        _ if is_custom_api(api_version) => Doc {
            template: doc.template.clone(),
            object: Object::Unchecked,
            value: doc.value.clone(),
        },
        other => {
            return Err(err(format!(
                "kind `{other}` ({api_version}) is not one sts-gen renders ({}; and custom resources, unchecked)",
                APPLY_ORDER.join(", ")
            )))
        }
    };
    Ok(d)
}

/// Where a document comes from, which decides what its names may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// sts-gen's own templates: names end up in file names (--output-dir) and DNS, so a
    /// template must not use one Kubernetes would take but a file system may not.
    Rendered,
    /// Anyone's manifests (`sts-gen lint`): every name Kubernetes accepts.
    Manifests,
}

/// Checks `metadata.name` by the kind's rule (in anyone's manifests, `metadata.generateName`
/// in its place), and `metadata.namespace`.
fn check_names(value: &Json, kind: &str, origin: Origin) -> Result<(), String> {
    use crate::shared::names;
    let text = |key| field(value, &["metadata", key]).and_then(Json::as_str);
    let (key, name) = match (text("name"), text("generateName")) {
        (Some(name), _) => ("name", name),
        // Kubernetes names the object (a Job's or a hook's, often) when it is created.
        (None, Some(prefix)) if origin == Origin::Manifests => ("generateName", prefix),
        (None, _) if origin == Origin::Manifests => {
            return Err("metadata.name is missing (and there is no metadata.generateName)".into())
        }
        (None, _) => return Err("metadata.name is missing".into()),
    };
    // Kubernetes appends five characters to a generateName, so it may end in `-` and is
    // checked as the name would begin (`maskTrailingDash`).
    let checked = match name.strip_suffix('-') {
        Some(rest) if key == "generateName" && !rest.is_empty() => format!("{rest}a"),
        _ => name.to_string(),
    };
    let name_rule = match kind {
        // The API server takes Service names as DNS-1035 labels: `1db` is refused.
        "Service" => names::dns_1035_label(&checked, 63),
        "Namespace" => names::dns_label(&checked, 63),
        // Kubernetes validates RBAC names as path segments (`system:node`).
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
            if origin == Origin::Manifests =>
        {
            names::path_segment_name(&checked)
        }
        _ => names::dns_subdomain(&checked),
    };
    name_rule.map_err(|e| format!("metadata.{key} `{name}` {e}"))?;
    if let Some(ns) = field(value, &["metadata", "namespace"]).and_then(Json::as_str) {
        names::dns_label(ns, 63).map_err(|e| format!("metadata.namespace `{ns}` {e}"))?;
    }
    Ok(())
}

/// Checks a Secret's `data` and `stringData` by position, before the typed round trip,
/// whose messages quote what they reject (`invalid type: integer `1234``, the offset and
/// code of a bad base64 character). Messages here name the key, never the value; once this
/// passes, the round trip has nothing to reject in these two fields.
fn secret_values(secret: &Json) -> Result<(), String> {
    for (field, base64) in [("data", true), ("stringData", false)] {
        let entries = match secret.get(field) {
            None | Some(Json::Null) => continue,
            Some(Json::Object(entries)) => entries,
            Some(other) => {
                return Err(format!(
                    "{field} must be a mapping of keys to values, not {} (the value is not shown)",
                    json_type(other)
                ))
            }
        };
        for (key, value) in entries {
            let path = crate::profile::de::join_key(field, key);
            match value {
                Json::String(text) if base64 => {
                    base64::Engine::decode(
                        &base64::engine::general_purpose::STANDARD,
                        without_line_breaks(text).as_ref(),
                    )
                    .map_err(|_| format!("{path} is not valid base64 (the value is not shown)"))?;
                }
                Json::String(_) => {}
                other => {
                    return Err(format!(
                        "{path} must be a string, not {} (the value is not shown)",
                        json_type(other)
                    ))
                }
            }
        }
    }
    Ok(())
}

/// `text` without CR and LF, which the API server's base64 decoder (Go's `StdEncoding`)
/// skips: `base64` wraps its output at 76 columns, and a `|` block keeps the line breaks.
fn without_line_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\r', '\n']) {
        text.replace(['\r', '\n'], "").into()
    } else {
        text.into()
    }
}

/// A copy of `secret` with its `data` values' line breaks removed, when one has any.
fn unwrapped_data(secret: &Json) -> Option<Json> {
    let data = secret.get("data")?.as_object()?;
    let wrapped = |v: &Json| v.as_str().is_some_and(|t| t.contains(['\r', '\n']));
    if !data.values().any(wrapped) {
        return None;
    }
    let mut copy = secret.clone();
    for value in copy["data"].as_object_mut()?.values_mut() {
        if let Json::String(text) = value {
            *text = without_line_breaks(text).into_owned();
        }
    }
    Some(copy)
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_kind_has_its_api_version() {
        for kind in APPLY_ORDER {
            assert!(typed_api_version(kind).is_some(), "{kind}");
        }
        assert!(is_other_apis_kind("Service", "serving.knative.dev/v1"));
        assert!(is_other_apis_kind("StatefulSet", "apps.kruise.io/v1beta1"));
        // Kubernetes' own groups and the kind's own group (another version) are no custom kind.
        for (kind, api) in [
            ("Service", "apps/v1"),
            ("Ingress", "extensions/v1beta1"),
            ("Service", "networking.k8s.io/v1"),
            ("StatefulSet", "apps/v1beta2"),
            ("ServiceMonitor", "monitoring.coreos.com/v1alpha1"),
            ("Deployment", "apps.kruise.io/v1beta1"),
        ] {
            assert!(!is_other_apis_kind(kind, api), "{kind} {api}");
        }
    }
}
