//! The profile format v1 as Rust types (see PROFILE.md). Field names are the public interface.
//!
//! These types only describe shape; defaults that depend on other fields and semantic rules
//! (quantities, DNS names, ordinal ranges, references) live in `model`.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A whole profile.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Profile {
    /// Format version of the profile; must be `sts-gen/v1`.
    pub api_version: String,
    /// Must be `Profile`.
    pub kind: String,
    /// The application's name: a DNS-1123 label of at most 52 characters. Names the StatefulSet
    /// and, by default, its Services, Secret and ConfigMap.
    pub name: String,
    /// A bundled preset (such as `mysql`) to start from; this profile is merged over it.
    #[serde(default)]
    pub preset: Option<String>,
    /// Several StatefulSets from one profile: each item has a `name` (StatefulSet `<name>-<set>`)
    /// and may override any top-level field.
    #[serde(default)]
    #[schemars(with = "Option<Vec<serde_json::Map<String, serde_json::Value>>>")]
    pub node_sets: Option<serde::de::IgnoredAny>,
    /// Namespace of every namespaced object; a Namespace object is rendered too unless
    /// `createNamespace` is false. Omitted: objects carry no namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Whether to render the Namespace object when `namespace` is set (default true).
    #[serde(default)]
    pub create_namespace: Option<bool>,
    /// Labels added to every object's metadata; never used in selectors. The
    /// `app.kubernetes.io/name`, `/component` and `/managed-by` keys are reserved.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// Annotations added to every object's metadata.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// The main container's image, such as `mysql:8.0.36`. Required unless the preset gives one.
    #[serde(default)]
    pub image: Option<String>,
    /// When the kubelet pulls the image: Always, IfNotPresent (default) or Never.
    #[serde(default)]
    pub image_pull_policy: Option<PullPolicy>,
    /// Number of pods (default 1, at most 5,000).
    #[serde(default)]
    pub replicas: Option<u32>,
    /// The main container's command (replaces the image's entrypoint); default: the image's.
    #[serde(default)]
    pub command: Vec<String>,
    /// The main container's arguments; default: the image's.
    #[serde(default)]
    pub args: Vec<String>,
    /// Container ports; the headless and read Services expose each under its name.
    #[serde(default)]
    pub ports: Vec<Port>,
    /// Environment variables of the main container, in order: name → a string, or {secret: key},
    /// {configMap: key} or {field: path}.
    #[serde(default)]
    pub env: IndexMap<String, EnvValue>,
    /// Resource requests and limits of the main container. Without `resources`: requests cpu
    /// 100m and memory 256Mi. Missing limits are derived (see `defaultLimits`).
    #[serde(default)]
    pub resources: Option<Resources>,
    /// Readiness, liveness and startup probes of the main container. Without `probes`: TCP
    /// readiness and liveness probes on the first port; with it, only the probes it lists.
    #[serde(default)]
    pub probes: Option<Probes>,
    /// How pods are started and stopped: OrderedReady (default, one at a time in ordinal order) or
    /// Parallel.
    #[serde(default)]
    pub pod_management_policy: Option<PodManagementPolicy>,
    /// How pods are replaced when the pod template changes (default: RollingUpdate).
    #[serde(default)]
    pub update_strategy: Option<UpdateStrategy>,
    /// Seconds a pod gets to shut down before it is killed (default 30).
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u32>,
    /// Required. The data volume: a mapping with at least `size` for a PersistentVolumeClaim per
    /// pod, or `none` for an emptyDir named `data` at `/data`.
    #[serde(default)]
    pub storage: Option<StorageSpec>,
    /// Configuration files every pod gets, rendered into the ConfigMap `<name>`.
    #[serde(default)]
    pub config: Option<Config>,
    /// Pod roles chosen by ordinal at pod start (such as primary and replica); each pod gets
    /// exactly one role and that role's files.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// The generated init container `role-init` that installs the role's files and runs an optional
    /// script.
    #[serde(default)]
    pub role_init: Option<RoleInit>,
    /// The Secret the profile's env references use: its name and where each value comes from, or an
    /// existing Secret.
    #[serde(default)]
    pub secret: Option<SecretSpec>,
    /// The headless (governing) Service, the read Service and the optional primary Service.
    #[serde(default)]
    pub services: Option<Services>,
    /// The PodDisruptionBudget: rendered by default when replicas > 1 with maxUnavailable 1;
    /// `false` omits it.
    #[serde(default)]
    pub pdb: Option<PdbSpec>,
    /// Extra init containers (Kubernetes Container objects), run after the generated role init.
    #[serde(default)]
    pub init_containers: Vec<serde_json::Value>,
    /// Extra containers (Kubernetes Container objects), placed after the main container.
    #[serde(default)]
    pub sidecars: Vec<serde_json::Value>,
    /// Extra pod volumes (Kubernetes Volume objects). The names `data` (or `storage.claimName`),
    /// `config` and `config-source` are reserved.
    #[serde(default)]
    pub volumes: Vec<serde_json::Value>,
    /// PodSpec fields merged into the pod last (maps by key, named lists by `name`): the escape
    /// hatch for anything else.
    #[serde(default)]
    pub pod_template: Option<serde_json::Map<String, serde_json::Value>>,
    /// Secrets and ConfigMaps managed outside sts-gen (cert-manager, an operator) that raw
    /// containers and volumes may reference.
    #[serde(default)]
    pub external: Option<External>,
    /// Pod and container security contexts (the "restricted" Pod Security Standard);
    /// `securityContext: false` renders none.
    #[serde(default)]
    pub security_context: Option<Toggle<SecuritySettings>>,
    /// Pod anti-affinity on kubernetes.io/hostname: soft (default), hard or none.
    #[serde(default)]
    pub affinity: Option<AffinityMode>,
    /// Optional topologySpreadConstraints: `zone` spreads pods over topology.kubernetes.io/zone.
    #[serde(default)]
    pub topology_spread: Option<TopologySpread>,
    /// The NetworkPolicy: on by default, `false` omits it.
    #[serde(default)]
    pub network_policy: Option<Toggle<NetworkPolicySettings>>,
    /// Whether missing resource limits are derived from the requests (default true).
    #[serde(default)]
    pub default_limits: Option<bool>,
    /// `sts-gen lint` rules switched off for this profile's objects: rule id → reason.
    #[serde(default)]
    pub lint_ignore: IndexMap<String, String>,
}

/// `securityContext: {...}`: the user and groups the pod runs as and the writable paths of a
/// read-only root filesystem.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecuritySettings {
    /// User ID every container runs as (default 10001; 0 is not allowed).
    #[serde(default)]
    pub run_as_user: Option<i64>,
    /// Group ID every container runs as (default: `runAsUser`).
    #[serde(default)]
    pub run_as_group: Option<i64>,
    /// Group that owns mounted volumes (default: `runAsGroup`).
    #[serde(default)]
    pub fs_group: Option<i64>,
    /// Whether the containers' root filesystem is read-only (default true); see `writablePaths`.
    #[serde(default)]
    pub read_only_root_filesystem: Option<bool>,
    /// Paths the image writes to: an emptyDir is mounted at each (default `[/tmp]`).
    #[serde(default)]
    pub writable_paths: Option<Vec<String>>,
}

/// Pod anti-affinity on kubernetes.io/hostname.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AffinityMode {
    /// Prefer one pod per node (default).
    Soft,
    /// Require one pod per node: pods stay Pending when there are fewer nodes than replicas.
    Hard,
    /// No anti-affinity.
    None,
}

/// Whether pods are spread over zones.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TopologySpread {
    /// Spread pods over topology.kubernetes.io/zone (maxSkew 1, ScheduleAnyway).
    Zone,
    /// No spread constraint (default).
    None,
}

/// `networkPolicy: {...}`: where clients may connect from.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicySettings {
    /// Namespaces (besides the app's own) whose pods may connect to the client ports.
    #[serde(default)]
    pub from: Vec<String>,
    /// The ports clients may use, by name (default: every port the Services expose).
    #[serde(default)]
    pub client_ports: Option<Vec<String>>,
}

/// `external: {...}`: Secrets and ConfigMaps managed outside sts-gen (cert-manager, an operator)
/// that containers and volumes may reference.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct External {
    /// Names of Secrets managed outside sts-gen.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Names of ConfigMaps managed outside sts-gen.
    #[serde(default)]
    pub config_maps: Vec<String>,
}

/// When the kubelet pulls the image.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum PullPolicy {
    /// Pull the image every time a container starts.
    Always,
    /// Pull only when the node does not have the image (default).
    IfNotPresent,
    /// Never pull; the image must be on the node.
    Never,
}

/// How the StatefulSet starts and stops pods.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum PodManagementPolicy {
    /// Start pods one at a time in ordinal order, each once the previous one is ready; stop them in
    /// reverse (default).
    OrderedReady,
    /// Start and stop all pods at once.
    Parallel,
}

/// A port's protocol.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum Protocol {
    /// TCP (default).
    TCP,
    /// UDP.
    UDP,
    /// SCTP.
    SCTP,
}

/// A container port; Services expose it under the same name.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    /// The port's name (at most 15 characters); Services and probes refer to it.
    pub name: String,
    /// The container port number, 1 to 65535.
    pub port: u16,
    /// TCP (default), UDP or SCTP.
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// An environment value: a literal string or a reference.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    /// A literal value.
    Literal(String),
    /// A key of this profile's Secret (or of `secret.existing`).
    Secret(String),
    /// A key of this profile's ConfigMap.
    ConfigMap(String),
    /// A downward-API field path such as `status.podIP`.
    Field(String),
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or one of {secret: key}, {configMap: key}, {field: path}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<EnvValue, E> {
                Err(E::custom(
                    "an environment value must be a string; quote true/false",
                ))
            }
            fn visit_unit<E: de::Error>(self) -> Result<EnvValue, E> {
                Err(E::custom(
                    "an environment value must be a string; write \"\" for an empty value",
                ))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvValue, A::Error> {
                const KEYS: &[&str] = &["secret", "configMap", "field"];
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(
                        "empty reference; use one of {secret: key}, {configMap: key}, {field: path}",
                    ));
                };
                let value = match key.as_str() {
                    "secret" => EnvValue::Secret(map.next_value()?),
                    "configMap" => EnvValue::ConfigMap(map.next_value()?),
                    "field" => EnvValue::Field(map.next_value()?),
                    other => return Err(de::Error::unknown_field(other, KEYS)),
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(
                        "a reference has exactly one key: secret, configMap or field",
                    ));
                }
                Ok(value)
            }
        }
        d.deserialize_any(V)
    }
}

/// Container resources: quantities by resource name (cpu, memory, ...).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// Resources reserved for the container, such as {cpu: 500m, memory: 1Gi}.
    #[serde(default)]
    pub requests: IndexMap<String, String>,
    /// Resource caps, such as {memory: 1Gi}; missing ones are derived from the requests unless
    /// `defaultLimits` is false.
    #[serde(default)]
    pub limits: IndexMap<String, String>,
}

/// The main container's probes; only those listed are rendered.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    /// Whether a pod may receive traffic.
    #[serde(default)]
    pub readiness: Option<Probe>,
    /// Whether a container must be restarted.
    #[serde(default)]
    pub liveness: Option<Probe>,
    /// Holds the other probes back until the application has started.
    #[serde(default)]
    pub startup: Option<Probe>,
}

/// One probe: exactly one of `exec`, `tcp`, `http`, plus timings.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    /// Run this command (argv list) in the container; exit 0 means healthy.
    #[serde(default)]
    pub exec: Option<Vec<String>>,
    /// Open a TCP connection to this port (name or number).
    #[serde(default)]
    pub tcp: Option<PortRef>,
    /// Send an HTTP GET request; a 2xx or 3xx status means healthy.
    #[serde(default)]
    pub http: Option<HttpGet>,
    /// Seconds after the container starts before the first probe (Kubernetes default when omitted).
    #[serde(default)]
    pub initial_delay_seconds: Option<u32>,
    /// Seconds between probes (Kubernetes default when omitted).
    #[serde(default)]
    pub period_seconds: Option<u32>,
    /// Seconds a probe may take (Kubernetes default when omitted).
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Consecutive failures after which the probe fails (Kubernetes default when omitted).
    #[serde(default)]
    pub failure_threshold: Option<u32>,
    /// Consecutive successes after which a failed probe succeeds again (Kubernetes default when
    /// omitted).
    #[serde(default)]
    pub success_threshold: Option<u32>,
}

/// An HTTP GET probe.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    /// The request path; starts with `/`.
    pub path: String,
    /// The port, by name (one of `ports`) or number.
    pub port: PortRef,
    /// HTTP (default) or HTTPS.
    #[serde(default)]
    pub scheme: Option<HttpScheme>,
}

/// The scheme of an HTTP probe.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum HttpScheme {
    /// Plain HTTP (default).
    HTTP,
    /// HTTPS, without certificate verification.
    HTTPS,
}

/// A port by name (one of `ports`) or by number.
#[derive(Debug, Clone, PartialEq)]
pub enum PortRef {
    /// A port declared in `ports`, by name.
    Name(String),
    /// A port number.
    Number(u16),
}

impl<'de> Deserialize<'de> for PortRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PortRef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a port name or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortRef, E> {
                Ok(PortRef::Name(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortRef, E> {
                match u16::try_from(v) {
                    Ok(p) if p > 0 => Ok(PortRef::Number(p)),
                    _ => Err(E::custom(format!("port {v} is not in 1..65535"))),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortRef, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
        }
        d.deserialize_any(V)
    }
}

/// The StatefulSet update strategy type.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum UpdateType {
    /// Replace pods one by one, highest ordinal first (default).
    RollingUpdate,
    /// Replace a pod only when it is deleted by hand.
    OnDelete,
}

/// How pods are replaced when the pod template changes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateStrategy {
    /// RollingUpdate (default) or OnDelete; with OnDelete no other key is allowed.
    #[serde(rename = "type", default)]
    pub kind: Option<UpdateType>,
    /// Only pods with an ordinal at or above this are updated (default 0: all).
    #[serde(default)]
    pub partition: Option<u32>,
    /// Pods that may be down at once during an update, a number or a percentage; emitted only when
    /// set.
    #[serde(default)]
    pub max_unavailable: Option<IntOrPercent>,
}

/// An integer or a percentage such as `25%`.
#[derive(Debug, Clone, PartialEq)]
pub enum IntOrPercent {
    /// A whole number.
    Int(u32),
    /// A percentage such as `25%`.
    Percent(String),
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrPercent;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number or a percentage like `25%`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrPercent, E> {
                u32::try_from(v)
                    .map(IntOrPercent::Int)
                    .map_err(|_| E::custom(format!("{v} must be zero or more")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrPercent, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrPercent, E> {
                let ok = v
                    .strip_suffix('%')
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|n| n <= 100);
                if ok {
                    Ok(IntOrPercent::Percent(v.to_string()))
                } else {
                    Err(E::custom(format!(
                        "`{v}` is neither a whole number nor a percentage like `25%`"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `storage: none` (an emptyDir) or a persistent volume claim.
#[derive(Debug, Clone)]
pub enum StorageSpec {
    /// `storage: none`: an emptyDir named `data` at `/data`.
    None,
    /// A PersistentVolumeClaim per pod.
    Persistent(Storage),
}

impl<'de> Deserialize<'de> for StorageSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StorageSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`none` or a mapping with at least `size`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StorageSpec, E> {
                if v == "none" {
                    Ok(StorageSpec::None)
                } else {
                    Err(E::custom(format!(
                        "`{v}` is not a storage; write `none` or a mapping like {{size: 10Gi}}"
                    )))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StorageSpec, A::Error> {
                Storage::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(StorageSpec::Persistent)
            }
        }
        d.deserialize_any(V)
    }
}

/// A PersistentVolumeClaim per pod (the StatefulSet's volumeClaimTemplate).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// Required. The claim's size, a Kubernetes quantity such as `10Gi`.
    pub size: String,
    /// Where the main container sees the volume (default `/data`).
    #[serde(default)]
    pub mount_path: Option<String>,
    /// A sub-directory of the volume to mount instead of its root.
    #[serde(default)]
    pub sub_path: Option<String>,
    /// The volumeClaimTemplate name (default `data`); PVCs are named
    /// `<claimName>-<name>-<ordinal>`.
    #[serde(default)]
    pub claim_name: Option<String>,
    /// The claim's storageClassName. Omitted: the cluster's default class, or `local-storage` with
    /// `local`.
    #[serde(default)]
    pub class_name: Option<String>,
    /// The claim's access modes (default [ReadWriteOnce]).
    #[serde(default)]
    pub access_modes: Option<Vec<AccessMode>>,
    /// What happens to the claims when the StatefulSet is deleted or scaled down
    /// (persistentVolumeClaimRetentionPolicy); omitted: the Kubernetes default.
    #[serde(default)]
    pub retention: Option<Retention>,
    /// Local persistent volumes: renders the StorageClass `className` (no-provisioner,
    /// WaitForFirstConsumer) and one PersistentVolume per ordinal.
    #[serde(default)]
    pub local: Option<LocalStorage>,
}

/// A volume access mode.
#[derive(
    Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
)]
pub enum AccessMode {
    /// Read-write by the pods of one node.
    ReadWriteOnce,
    /// Read-only by many nodes.
    ReadOnlyMany,
    /// Read-write by many nodes.
    ReadWriteMany,
    /// Read-write by a single pod.
    ReadWriteOncePod,
}

/// Whether a volume or claim is kept or deleted.
#[derive(
    Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
)]
pub enum RetainOrDelete {
    /// Keep it (default).
    Retain,
    /// Delete it.
    Delete,
}

/// The claims' persistentVolumeClaimRetentionPolicy.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Retention {
    /// Retain (default) or Delete the claims when the StatefulSet is deleted.
    #[serde(default)]
    pub when_deleted: Option<RetainOrDelete>,
    /// Retain (default) or Delete the claims of the pods removed by a scale-down.
    #[serde(default)]
    pub when_scaled: Option<RetainOrDelete>,
}

/// Local persistent volumes on named nodes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalStorage {
    /// Required. The folder on the node; PV `i` is at `<path>/<name>-<i>`.
    pub path: String,
    /// Required. Node names (kubernetes.io/hostname); PV `i` lives on `nodes[i mod len(nodes)]`.
    pub nodes: Vec<String>,
    /// Reclaim policy of the StorageClass and the PVs: Retain (default) or Delete.
    #[serde(default)]
    pub reclaim_policy: Option<RetainOrDelete>,
    /// Number of PersistentVolumes (default `replicas`; fewer than `replicas` is an error).
    #[serde(default)]
    pub count: Option<u32>,
    /// Pre-bind PV `i` to claim `<claimName>-<name>-<i>` so ordinal `i` always lands on the same
    /// node (default false; needs `namespace`).
    #[serde(default)]
    pub bind_to_claims: Option<bool>,
}

/// Configuration files every pod gets, from the ConfigMap `<name>`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// Where the main container sees the files (default `/etc/<name>`).
    #[serde(default)]
    pub mount_path: Option<String>,
    /// File name → contents, given to every pod. Contents may use `{{ name }}`, `{{ namespace }}`,
    /// `{{ headless }}`, `{{ replicas }}` and `{{ clusterDomain }}`.
    #[serde(default)]
    pub files: IndexMap<String, String>,
}

/// A role: the pods it applies to and the files they get.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Role {
    /// The role's name; the pod sees it in the `pod-role` file and as ROLE in `roleInit.script`.
    pub name: String,
    /// The pods that take this role: `"0"`, `"1-"` (open-ended), `"0-2"` or `"0,2,4"`. Roles may
    /// not overlap and together must cover every ordinal.
    pub ordinals: String,
    /// File name → contents installed only in this role's pods, next to the shared `config.files`.
    #[serde(default)]
    pub files: IndexMap<String, String>,
}

/// The generated `role-init` init container.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleInit {
    /// The init container's image (default: the app image, which must have a POSIX `sh`).
    #[serde(default)]
    pub image: Option<String>,
    /// Shell run after the files are installed, with ORDINAL, ROLE, POD_NAME, CONFIG_DIR, HEADLESS
    /// and NAMESPACE set.
    #[serde(default)]
    pub script: Option<String>,
}

/// The profile's Secret.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretSpec {
    /// The Secret's name (default `<name>`).
    #[serde(default)]
    pub name: Option<String>,
    /// Secret key → where its value comes from: `{fromEnv: VAR}`, `{fromFile: path}`,
    /// `{generate: length}` or `{value: text}`.
    #[serde(default)]
    pub data: IndexMap<String, SecretSource>,
    /// The name of a Secret that already exists: none is rendered and references use it.
    #[serde(default)]
    pub existing: Option<String>,
    /// Render an External Secrets Operator `ExternalSecret` instead of a Secret.
    #[serde(default)]
    pub external: Option<ExternalSecretSpec>,
}

/// `secret.external`: the values live in an external store; nothing secret is committed.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    /// The (Cluster)SecretStore to read from.
    pub store: StoreRef,
    /// How often the operator re-reads the store, such as `1h` (operator default when omitted).
    #[serde(default)]
    pub refresh_interval: Option<String>,
    /// Secret key → remote key (`path/in/store`) or `{key, property, version}`.
    pub keys: IndexMap<String, RemoteRef>,
}

/// The (Cluster)SecretStore the values are read from.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StoreRef {
    /// The store's name.
    pub name: String,
    /// SecretStore (default) or ClusterSecretStore.
    #[serde(default)]
    pub kind: Option<StoreKind>,
}

/// The kind of External Secrets store.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum StoreKind {
    /// A store in the app's namespace (default).
    SecretStore,
    /// A cluster-wide store.
    ClusterSecretStore,
}

/// A value's place in the external store.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRef {
    /// The value's key (path) in the store.
    pub key: String,
    /// A property of a structured value (such as one JSON field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// A version of the value, when the store keeps versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A value's place in the external store.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RemoteRefFields {
    /// The value's key (path) in the store.
    key: String,
    /// A property of a structured value (such as one JSON field).
    #[serde(default)]
    property: Option<String>,
    /// A version of the value, when the store keeps versions.
    #[serde(default)]
    version: Option<String>,
}

impl<'de> Deserialize<'de> for RemoteRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RemoteRef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a remote key or {key, property, version}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RemoteRef, E> {
                Ok(remote_key(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RemoteRef, A::Error> {
                let f = RemoteRefFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RemoteRef {
                    key: f.key,
                    property: f.property,
                    version: f.version,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A remote reference written as just the key.
pub fn remote_key(key: &str) -> RemoteRef {
    RemoteRef {
        key: key.to_string(),
        ..RemoteRef::default()
    }
}

/// Where one Secret key's value comes from.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum SecretSource {
    /// A literal value (discouraged: it is committed with the profile).
    Value(String),
    /// An environment variable read at render time.
    FromEnv(String),
    /// A file's contents; the path is relative to the profile.
    FromFile(String),
    /// A random value of this many letters and digits, stable across renders.
    Generate(u32),
}

/// The Services rendered for the app.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Services {
    /// The governing headless Service (clusterIP: None) that gives each pod its DNS name.
    #[serde(default)]
    pub headless: Option<HeadlessService>,
    /// A Service over every pod (default name `<name>-read`); `false` omits it.
    #[serde(default)]
    pub read: Option<Toggle<ReadService>>,
    /// Optional: a Service over the one pod of the first role (default name `<name>-primary`).
    #[serde(default)]
    pub primary: Option<PrimaryService>,
}

/// The governing headless Service.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HeadlessService {
    /// The Service's name (default `<name>`).
    #[serde(default)]
    pub name: Option<String>,
    /// Publish DNS records of pods that are not ready yet, as some clusters need to form (default
    /// false).
    #[serde(default)]
    pub publish_not_ready_addresses: Option<bool>,
}

/// The Service over every pod.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReadService {
    /// The Service's name (default `<name>-read`).
    #[serde(default)]
    pub name: Option<String>,
    /// The Service type: ClusterIP (default), NodePort or LoadBalancer.
    #[serde(rename = "type", default)]
    pub kind: Option<ServiceType>,
}

/// A Service type.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum ServiceType {
    /// Reachable inside the cluster only (default).
    ClusterIP,
    /// Also on a port of every node.
    NodePort,
    /// Also through a cloud load balancer.
    LoadBalancer,
}

/// The Service over the pod of the first role.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrimaryService {
    /// The Service's name (default `<name>-primary`).
    #[serde(default)]
    pub name: Option<String>,
}

/// The PodDisruptionBudget: `maxUnavailable` or `minAvailable`, not both.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PdbSettings {
    /// Pods that may be evicted at once, a number or a percentage (default 1). Set this or
    /// `minAvailable`.
    #[serde(default)]
    pub max_unavailable: Option<IntOrPercent>,
    /// Pods that must stay up during evictions, a number or a percentage.
    #[serde(default)]
    pub min_available: Option<IntOrPercent>,
}

/// `pdb: false` / `pdb: true` / `pdb: {...}`.
pub type PdbSpec = Toggle<PdbSettings>;

/// A section that can be switched off with `false` (or on with defaults with `true`).
#[derive(Debug, Clone)]
pub enum Toggle<T> {
    /// `false`: the section is omitted.
    Off,
    /// `true` (the defaults) or the settings.
    On(T),
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Toggle<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Toggle<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("false, true or a mapping")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Toggle<T>, E> {
                Ok(if v {
                    Toggle::On(T::default())
                } else {
                    Toggle::Off
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Toggle<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Toggle::On)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

// JSON Schemas of the types with hand-written deserializers (`sts-gen schema`).

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let one = |key: &str, what: &str| serde_json::json!({"type": "object", "properties": {key: {"type": "string", "description": what}}, "required": [key], "additionalProperties": false});
        json_schema!({
            "description": "A literal value, or a reference: {secret: key}, {configMap: key}, {field: path}",
            "anyOf": [
                {"type": ["string", "number"]},
                one("secret", "a key of this profile's Secret"),
                one("configMap", "a key of this profile's ConfigMap"),
                one("field", "a downward-API field path such as status.podIP"),
            ]
        })
    }
}

impl JsonSchema for PortRef {
    fn schema_name() -> Cow<'static, str> {
        "PortRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "A declared port's name, or a port number", "anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1, "maximum": 65535}]})
    }
}

impl JsonSchema for IntOrPercent {
    fn schema_name() -> Cow<'static, str> {
        "IntOrPercent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+%$"}]})
    }
}

impl JsonSchema for StorageSpec {
    fn schema_name() -> Cow<'static, str> {
        "StorageSpec".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let storage = generator.subschema_for::<Storage>();
        json_schema!({"description": "`none` for an emptyDir, or a volume claim", "anyOf": [{"const": "none"}, storage]})
    }
}

impl<T: JsonSchema> JsonSchema for Toggle<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("Toggle_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let inner = generator.subschema_for::<T>();
        json_schema!({"description": "false to omit, true for the defaults, or settings", "anyOf": [{"type": "boolean"}, inner]})
    }
}

impl JsonSchema for RemoteRef {
    fn schema_name() -> Cow<'static, str> {
        "RemoteRef".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let fields = generator.subschema_for::<RemoteRefFields>();
        json_schema!({"description": "A remote key, or {key, property, version}", "anyOf": [{"type": "string"}, fields]})
    }
}
