//! cert-manager's `Certificate` (cert-manager.io/v1): not a Kubernetes built-in, so typed here
//! with the fields of the CRD's schema sts-gen renders; any other field is an error.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// The apiVersion of Certificates sts-gen renders.
pub const API_VERSION: &str = "cert-manager.io/v1";

/// A cert-manager Certificate.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// `cert-manager.io/v1`.
    pub api_version: String,
    /// `Certificate`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// What to issue.
    pub spec: CertificateSpec,
}

/// The spec of a Certificate.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// The Secret cert-manager writes (`tls.crt`, `tls.key`, `ca.crt`).
    pub secret_name: String,
    /// The issuer.
    pub issuer_ref: IssuerRef,
    /// Subject alternative names.
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// IP subject alternative names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<String>,
    /// Key usages (`server auth`, `client auth`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usages: Vec<String>,
    /// The private key's algorithm, size and rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<PrivateKey>,
}

/// An Issuer or ClusterIssuer.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IssuerRef {
    /// Its name.
    pub name: String,
    /// `Issuer` or `ClusterIssuer`.
    pub kind: String,
    /// `cert-manager.io`.
    pub group: String,
}

/// The private key settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    /// `RSA`, `ECDSA` or `Ed25519`.
    pub algorithm: String,
    /// Key size in bits.
    pub size: u32,
    /// `Always` (a new key on each renewal) or `Never`.
    pub rotation_policy: String,
}
