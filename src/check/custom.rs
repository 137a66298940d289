//! Custom resources stateful apps render beside the StatefulSet, which k8s-openapi does not
//! type: the Prometheus Operator's ServiceMonitor and PodMonitor (monitoring.coreos.com/v1)
//! and cert-manager's Certificate (cert-manager.io/v1). Typed here with their required fields
//! and the fields templates commonly set, so a typo is an error like in a built-in kind; a
//! nested structure sts-gen does not look into (TLS config, relabelings) stays JSON.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// The apiVersion of ServiceMonitor and PodMonitor.
pub const MONITORING_V1: &str = "monitoring.coreos.com/v1";
/// The apiVersion of Certificate.
pub const CERT_MANAGER_V1: &str = "cert-manager.io/v1";

/// A custom resource as Kubernetes stores it: apiVersion, kind, metadata and a typed spec
/// (what differs between the kinds below).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomResource<S> {
    /// Its API group and version, e.g. `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// Its kind, e.g. `ServiceMonitor`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// What it asks for.
    pub spec: S,
}

/// A Prometheus Operator ServiceMonitor: scrape the endpoints of the Services it selects.
pub type ServiceMonitor = CustomResource<ServiceMonitorSpec>;

/// A PodMonitor: scrape the pods it selects directly.
pub type PodMonitor = CustomResource<PodMonitorSpec>;

/// A cert-manager Certificate: a key pair and certificate kept in a Secret.
pub type Certificate = CustomResource<CertificateSpec>;

/// The spec of a ServiceMonitor.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// The Services to scrape (required).
    pub selector: LabelSelector,
    /// Their ports to scrape (required: without one nothing is scraped).
    pub endpoints: Vec<Endpoint>,
    /// Namespaces of the Services (default: the ServiceMonitor's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Service label whose value names the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Service labels copied onto the metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_labels: Option<Vec<String>>,
    /// Pod labels copied onto the metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// Most samples per scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_limit: Option<i64>,
}

/// The spec of a PodMonitor.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    /// The pods to scrape (required).
    pub selector: LabelSelector,
    /// Their ports to scrape (required: without one nothing is scraped).
    pub pod_metrics_endpoints: Vec<Endpoint>,
    /// Namespaces of the pods (default: the PodMonitor's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Pod label whose value names the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Pod labels copied onto the metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
    /// Most samples per scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_limit: Option<i64>,
}

/// Namespaces a monitor looks in.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Every namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<bool>,
    /// These namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_names: Option<Vec<String>>,
}

/// One scrape endpoint of a ServiceMonitor (`endpoints`) or PodMonitor
/// (`podMetricsEndpoints`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// The port's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The target port, a number or a name (deprecated by the operator, still accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<Json>,
    /// The HTTP path (default `/metrics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `http` or `https`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, Vec<String>>>,
    /// Scrape interval, such as `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Scrape timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    /// Keep the target's labels on conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    /// Keep the target's timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_timestamps: Option<bool>,
    /// Follow HTTP redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// TLS settings (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<Json>,
    /// Basic auth from a Secret (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<Json>,
    /// Authorization header from a Secret (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Json>,
    /// Bearer token from a Secret (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_secret: Option<Json>,
    /// Relabelings before the scrape (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relabelings: Option<Vec<Json>>,
    /// Relabelings of the samples (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_relabelings: Option<Vec<Json>>,
}

/// The spec of a Certificate.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// The Secret cert-manager writes `tls.crt`, `tls.key` and `ca.crt` to (required).
    pub secret_name: String,
    /// The issuer (required).
    pub issuer_ref: IssuerRef,
    /// The subject's common name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// DNS subject alternative names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_names: Option<Vec<String>>,
    /// IP subject alternative names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
    /// URI subject alternative names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uris: Option<Vec<String>>,
    /// Email subject alternative names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_addresses: Option<Vec<String>>,
    /// Requested lifetime, such as `2160h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Renew this long before expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
    /// Key usages (`server auth`, `client auth`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usages: Option<Vec<String>>,
    /// Whether the certificate is a CA.
    #[serde(default, rename = "isCA", skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
    /// The private key's algorithm, encoding, size and rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<PrivateKey>,
    /// Subject fields (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Json>,
    /// Labels and annotations of the Secret (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_template: Option<Json>,
    /// Extra keystores in the Secret (not looked into).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystores: Option<Json>,
    /// CertificateRequests kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i64>,
}

/// The issuer of a Certificate.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRef {
    /// Its name (required).
    pub name: String,
    /// `Issuer` (default) or `ClusterIssuer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its API group (default `cert-manager.io`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The private key of a Certificate.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    /// `RSA`, `ECDSA` or `Ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// `PKCS1` or `PKCS8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Key size in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// `Never` or `Always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_policy: Option<String>,
}
