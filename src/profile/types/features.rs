//! Day-2 feature types: `metrics` and `backup`, which a preset wires and a user switches on.

use super::*;

/// `metrics: {...}`: a Prometheus endpoint for every pod, off by default.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsSpec {
    /// Whether metrics are on (default false: nothing is rendered).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The exporter sidecar's image (the preset's choice by default).
    #[serde(default)]
    pub image: Option<String>,
    /// The port metrics are served on: the exporter's, or the engine's own when there is no
    /// `exporter`.
    #[serde(default, deserialize_with = "optional_port_number")]
    pub port: Option<u16>,
    /// The HTTP path of the metrics (default `/metrics`).
    #[serde(default)]
    pub path: Option<String>,
    /// The exporter sidecar's requests and limits.
    #[serde(default)]
    pub resources: Option<Resources>,
    /// Render a `monitoring.coreos.com/v1` ServiceMonitor for the metrics Service.
    #[serde(default)]
    pub service_monitor: Option<bool>,
    /// Render a `monitoring.coreos.com/v1` PodMonitor for the pods.
    #[serde(default)]
    pub pod_monitor: Option<bool>,
    /// Namespaces (besides the app's own) whose pods may scrape the metrics port.
    #[serde(default)]
    pub from: Vec<String>,
    /// The exporter sidecar's container fields besides name, image, ports, resources and
    /// probes (command, args, env, volumeMounts). Absent: the engine serves the metrics itself.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub exporter: Option<serde_json::Value>,
    /// Profile keys merged over the profile when metrics are on (a preset's extra Secret keys,
    /// volumes or config), by the preset merge rules.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub with: Option<serde_json::Value>,
}

/// `backup: {...}`: a CronJob that backs the data up with the engine's own tool.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupSpec {
    /// The CronJob schedule (`0 3 * * *`); backups are on when it is set.
    #[serde(default)]
    pub schedule: Option<String>,
    /// The schedule's time zone, an IANA name such as `Europe/Berlin` (the CronJob's
    /// `timeZone`); default: the time zone of the cluster's controller manager.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// A PersistentVolumeClaim rendered for the backups.
    #[serde(default)]
    pub claim: Option<BackupClaim>,
    /// An existing PersistentVolumeClaim to write the backups to (instead of `claim`).
    #[serde(default)]
    pub existing_claim: Option<String>,
    /// How many backups to keep: older ones are deleted after each backup (default 7).
    #[serde(default)]
    pub keep: Option<u32>,
    /// The backup job's image (default: the app's image, which has the engine's tools).
    #[serde(default)]
    pub image: Option<String>,
    /// The image of the job's two shell steps (empty the work dir; name and prune backups),
    /// default `busybox:1.37.0`.
    #[serde(default)]
    pub helper_image: Option<String>,
    /// The backup job's requests and limits.
    #[serde(default)]
    pub resources: Option<Resources>,
    /// The backup container's fields besides name, image and resources (the preset's
    /// command, env, volumeMounts). It writes one backup into `$BACKUP_DIR` (emptied before);
    /// sts-gen then names it by time and keeps the newest `keep`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub job: Option<serde_json::Value>,
    /// Volumes of the backup pod besides the backup claim (such as the Secret as files).
    #[serde(default)]
    pub volumes: Vec<serde_json::Value>,
    /// The backup pod's affinity: a preset whose job reads a member's own volume places the
    /// pod beside that member (a ReadWriteOnce volume is shared only on its node).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub affinity: Option<serde_json::Value>,
    /// Profile keys merged over the profile when backups are on.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub with: Option<serde_json::Value>,
    /// Set by a preset whose engine a backup CronJob cannot back up honestly: why, and what
    /// to do instead. A `schedule` is then an error with this text, not a job that only
    /// looks like a backup.
    #[serde(default)]
    pub unsupported: Option<String>,
}

/// `backup.claim`: the PersistentVolumeClaim the backups go to.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupClaim {
    /// Its size, such as `20Gi`.
    pub size: String,
    /// Its StorageClass (the cluster's default when omitted).
    #[serde(default)]
    pub class_name: Option<String>,
}

/// `tls: {...}`: a certificate for clients and, where the engine supports it, members; on
/// when `issuer` or `secretName` is set.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsSpec {
    /// A cert-manager issuer: a `Certificate` for every pod's and Service's DNS names is
    /// rendered, into the Secret `<name>-tls`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// `Issuer` (default) or `ClusterIssuer`.
    #[serde(default)]
    pub issuer_kind: Option<IssuerKind>,
    /// An existing Secret with `tls.crt`, `tls.key` and `ca.crt` (instead of `issuer`).
    #[serde(default)]
    pub secret_name: Option<String>,
    /// Profile keys merged over the profile when TLS is on (the preset's engine settings).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub with: Option<serde_json::Value>,
}

/// The kind of cert-manager issuer.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum IssuerKind {
    /// An issuer in the app's namespace.
    Issuer,
    /// A cluster-wide issuer.
    ClusterIssuer,
}
