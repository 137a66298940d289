//! The Prometheus Operator's `ServiceMonitor` and `PodMonitor` (monitoring.coreos.com/v1):
//! not Kubernetes built-ins, so typed here with the fields of the CRDs' schema sts-gen
//! renders; any other field is an error, as for the built-in kinds.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// The apiVersion of both monitors.
pub const API_VERSION: &str = "monitoring.coreos.com/v1";

/// A monitor: `spec` differs by kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Monitor<S> {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `ServiceMonitor` or `PodMonitor`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// What to scrape.
    pub spec: S,
}

/// A ServiceMonitor's spec.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// The Services whose endpoints are scraped.
    pub selector: LabelSelector,
    /// Their endpoints (a port by name).
    pub endpoints: Vec<Endpoint>,
}

/// A PodMonitor's spec.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    /// The pods scraped.
    pub selector: LabelSelector,
    /// Their endpoints (a container port by name).
    pub pod_metrics_endpoints: Vec<Endpoint>,
}

/// One scrape endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// The port's name.
    pub port: String,
    /// The HTTP path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The scrape interval, such as `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Extra URL parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, Vec<String>>>,
}

/// A typed ServiceMonitor.
pub type ServiceMonitor = Monitor<ServiceMonitorSpec>;
/// A typed PodMonitor.
pub type PodMonitor = Monitor<PodMonitorSpec>;
