//! Check stage: every rendered document is parsed into its k8s-openapi type, then the
//! objects are checked against each other.
//!
//! A field the type does not know (and so would silently drop) is an error naming the
//! template and the field path. The checked objects are re-serialized from their types,
//! which gives `emit` a canonical field order independent of the template's text.

/// The ExternalSecret type (k8s-openapi has none).
mod external_secret;
/// The rule engine: every rule of check and lint, declared once.
pub(crate) mod rules;
/// Label selectors and the pods they select.
pub(crate) mod selector;


use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolume, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::Resource;
use serde_json::Value as Json;

use crate::render::RenderedDoc;
use crate::shared::error::{ErrorKind, LoadError};

/// A typed Kubernetes object sts-gen knows how to check. Typing is the schema check; no
/// rule reads a Namespace, ServiceAccount or ExternalSecret beyond it.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub(crate) enum Object {
    /// A typed Namespace.
    Namespace(Namespace),
    /// A typed StorageClass.
    StorageClass(StorageClass),
    /// A typed PersistentVolume.
    PersistentVolume(PersistentVolume),
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
    /// A typed StatefulSet.
    StatefulSet(StatefulSet),
}

/// The kinds in apply order: each may be referenced by the ones after it.
pub(crate) const APPLY_ORDER: &[&str] = &[
    "Namespace",
    "StorageClass",
    "PersistentVolume",
    "ServiceAccount",
    "Secret",
    "ExternalSecret",
    "ConfigMap",
    "Service",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "StatefulSet",
];

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

    /// Position of the kind in [`APPLY_ORDER`].
    pub(crate) fn apply_rank(&self) -> usize {
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

/// A problem in the rendered objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {message}")]
pub struct CheckError {
    /// Template and/or object, e.g. "template `statefulset.yaml.j2`, StatefulSet mysql".
    pub context: String,
    /// What is wrong.
    pub message: String,
}

/// Types every document and runs the cross-object rules; returns the checked documents in
/// their render order, or every problem found. `external_secrets` names Secrets that exist
/// in the cluster already (`secret.existing`), which references may use.
pub fn check(
    docs: Vec<RenderedDoc>,
    external_secrets: &[String],
) -> Result<Vec<Doc>, Vec<CheckError>> {
    let external = External {
        secrets: external_secrets.to_vec(),
        config_maps: Vec::new(),
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
    for typed in crate::par::map_owned(docs, |doc| type_doc(&doc)) {
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
    let objects = rules::Objects::new(docs, external, &[]);
    rules::run(
        &objects,
        |r| r.scope == rules::Scope::Rendered,
        &mut |doc: &Doc, rule: &str, _path, message, _fix| {
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

/// Types documents from any source (hand-written manifests for `sts-gen lint`) without
/// stopping at the first problem: returns the typed documents, the schema problems of the
/// others, and a note for each document of a kind sts-gen does not check (skipped).
pub fn type_documents(docs: Vec<RenderedDoc>) -> Typed {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    let mut other_pods = Vec::new();
    for doc in docs {
        let kind = doc.value.get("kind").and_then(Json::as_str).unwrap_or("");
        if !kind.is_empty() && !APPLY_ORDER.contains(&kind) {
            // Not checked, but its pods count when a Service or budget selects them.
            other_pods.extend(selector::pods_of_value(&doc.value));
            let name = field(&doc.value, &["metadata", "name"])
                .and_then(Json::as_str)
                .unwrap_or("?");
            notes.push(format!(
                "{}: {kind} {name} skipped (lint checks {})",
                doc.template,
                APPLY_ORDER.join(", ")
            ));
            continue;
        }
        match type_doc(&doc) {
            Ok(d) => out.push(d),
            Err(e) => errors.push((doc, e)),
        }
    }
    Typed {
        docs: out,
        schema: errors,
        notes,
        other_pods,
    }
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
}

fn type_doc(doc: &RenderedDoc) -> Result<Doc, CheckError> {
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
    let err = |message: String| CheckError {
        context: context.clone(),
        message,
    };
    macro_rules! typed {
        ($ty:ty, $variant:ident) => {{
            if api_version != <$ty as Resource>::API_VERSION {
                return Err(err(format!(
                    "apiVersion is `{api_version}`; {kind} is `{}`",
                    <$ty as Resource>::API_VERSION
                )));
            }
            let typed: $ty = typed_round_trip(&doc.value).map_err(|e| err(e.message))?;
            let value = serde_json::to_value(&typed).map_err(|e| err(e.to_string()))?;
            Doc {
                template: doc.template.clone(),
                object: Object::$variant(typed),
                value,
            }
        }};
    }
    // Names end up in file names (--output-dir) and DNS; a template must not invent others.
    let name_rule = match kind {
        "Service" | "Namespace" => crate::shared::names::dns_label(name, 63),
        _ => crate::shared::names::dns_subdomain(name),
    };
    if let Err(e) = name_rule {
        return Err(err(format!("metadata.name `{name}` {e}")));
    }
    if let Some(ns) = field(&doc.value, &["metadata", "namespace"]).and_then(Json::as_str) {
        crate::shared::names::dns_label(ns, 63)
            .map_err(|e| err(format!("metadata.namespace `{ns}` {e}")))?;
    }
    let d = match kind {
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
        "ExternalSecret" => {
            if api_version != external_secret::API_VERSION {
                return Err(err(format!(
                    "apiVersion is `{api_version}`; ExternalSecret is `{}`",
                    external_secret::API_VERSION
                )));
            }
            let typed: external_secret::ExternalSecret =
                typed_round_trip(&doc.value).map_err(|e| err(e.message))?;
            let value = serde_json::to_value(&typed).map_err(|e| err(e.to_string()))?;
            Doc {
                template: doc.template.clone(),
                object: Object::ExternalSecret(typed),
                value,
            }
        }
        "" => return Err(err("the document has no `kind`".into())),
        other => {
            return Err(err(format!(
                "kind `{other}` is not one sts-gen renders ({})",
                APPLY_ORDER.join(", ")
            )))
        }
    };
    Ok(d)
}

/// Deserializes `value` into `T`, failing on any field `T` would drop.
fn typed_round_trip<T: serde::de::DeserializeOwned>(value: &Json) -> Result<T, LoadError> {
    let mut dropped = Vec::new();
    // Deserializing from the reference avoids copying every document first.
    let typed: T = serde_ignored::deserialize(value, |path| {
        dropped.push(crate::model::ignored_path("", &path.to_string()))
    })
    .map_err(|e| schema_error(format!("does not match the Kubernetes schema: {e}")))?;
    if !dropped.is_empty() {
        return Err(schema_error(format!(
            "unknown field{} {} (Kubernetes would drop {})",
            if dropped.len() > 1 { "s" } else { "" },
            dropped
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if dropped.len() > 1 { "them" } else { "it" }
        )));
    }
    Ok(typed)
}

/// A rendered object Kubernetes would reject or change.
fn schema_error(message: String) -> LoadError {
    LoadError::of(ErrorKind::Check, message)
}
