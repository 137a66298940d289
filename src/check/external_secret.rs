//! The External Secrets Operator's `ExternalSecret` (external-secrets.io/v1): not a
//! Kubernetes built-in, so typed here with the fields sts-gen renders.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// The apiVersion of ExternalSecrets sts-gen renders.
pub const API_VERSION: &str = "external-secrets.io/v1";

/// An External Secrets Operator ExternalSecret (the fields sts-gen renders).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecret {
    /// `external-secrets.io/v1`.
    pub api_version: String,
    /// `ExternalSecret`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// What to fetch and where to put it.
    pub spec: ExternalSecretSpec,
}

/// The spec of an ExternalSecret.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    /// How often the operator refreshes the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    /// The store the values come from.
    pub secret_store_ref: StoreRef,
    /// The Secret the operator creates.
    pub target: Target,
    /// Secret keys and where each comes from.
    pub data: Vec<Data>,
}

/// A SecretStore or ClusterSecretStore.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StoreRef {
    /// The store name.
    pub name: String,
    /// `SecretStore` or `ClusterSecretStore`.
    pub kind: String,
}

/// The Secret an ExternalSecret creates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Its name.
    pub name: String,
    /// Who owns it (`Owner`).
    pub creation_policy: String,
}

/// One key of the Secret.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    /// The key in the Secret.
    pub secret_key: String,
    /// Where the value is in the store.
    pub remote_ref: BTreeMap<String, String>,
}
