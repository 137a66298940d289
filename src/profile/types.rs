//! The profile format v1 as Rust types (see PROFILE.md). Field names are the public interface.
//!
//! These types only describe shape; defaults that depend on other fields and semantic rules
//! (quantities, DNS names, ordinal ranges, references) live in `model`.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

mod features;
mod peer;
mod probes;
mod schema;
mod secret;
mod storage;

pub use features::*;
pub use peer::*;
pub use probes::*;
pub use schema::{OVERLAY_SCHEMA_ID, PROFILE_SCHEMA_ID};
pub use secret::*;
pub use storage::*;

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
    /// Namespace of every namespaced object (never created: see `createNamespace`). Omitted:
    /// objects carry no namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Whether to render the Namespace object (default false): only then does deleting the
    /// app's objects delete the namespace and its volume claims. Never for `default`,
    /// `kube-system`, `kube-public` or `kube-node-lease`.
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
    /// Resource requests and limits of the main container, merged over the defaults resource
    /// by resource: requests cpu 100m and memory 256Mi (with a memory limit of 256Mi while the
    /// memory request is the default). Missing limits are derived (see `defaultLimits`).
    #[serde(default)]
    pub resources: Option<Resources>,
    /// Readiness, liveness and startup probes of the main container, merged over the defaults
    /// (TCP readiness and liveness probes on the first port) probe by probe: one not listed
    /// keeps its default, one written `null` is removed.
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
    /// The peer every pod clones its data from or joins when it starts (`{clone: previous}`,
    /// `{join: first}`); a role's own `peer` replaces it. Shown by `sts-gen plan`.
    #[serde(default)]
    pub peer: Option<Peer>,
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
    /// A Role with these rules and a RoleBinding to the pods' ServiceAccount, whose token the
    /// pods then mount: for peer discovery through the Kubernetes API.
    #[serde(default)]
    pub rbac: Option<Rbac>,
    /// `sts-gen lint` rules switched off for this profile's objects: rule id → reason.
    #[serde(default)]
    pub lint_ignore: IndexMap<String, String>,
    /// Prometheus metrics (an exporter sidecar or the engine's endpoint), off by default.
    #[serde(default)]
    pub metrics: Option<MetricsSpec>,
    /// Scheduled backups with the engine's own tool, off by default.
    #[serde(default)]
    pub backup: Option<BackupSpec>,
    /// TLS from a cert-manager issuer or an existing Secret, off by default.
    #[serde(default)]
    pub tls: Option<TlsSpec>,
}

/// `rbac: {rules: [...]}`: what the pods may do through the Kubernetes API.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rbac {
    /// Kubernetes PolicyRules of the Role, such as `{apiGroups: [""], resources: [endpoints],
    /// verbs: [get, list]}`.
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub rules: Vec<serde_json::Value>,
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
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AffinityMode {
    /// Prefer one pod per node (default).
    #[default]
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
    #[serde(deserialize_with = "port_number")]
    pub port: u16,
    /// TCP (default), UDP or SCTP.
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// A port number, 1 to 65535, refused with the wording every other port check uses
/// ([`crate::shared::names::port_number`]) rather than the integer type's range (0 to 65535).
pub(crate) fn port_number<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    checked_port(i64::deserialize(d)?)
}

/// [`port_number`] of an optional field (`null` is no port).
pub(crate) fn optional_port_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<u16>, D::Error> {
    Option::<i64>::deserialize(d)?.map(checked_port).transpose()
}

fn checked_port<E: de::Error>(n: i64) -> Result<u16, E> {
    crate::shared::names::port_number("port", n).map_err(|e| E::custom(e.message))?;
    u16::try_from(n).map_err(|_| E::custom(format!("port {n} is not in 1..65535")))
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
        // A scalar keeps its text: `VERSION: 1.10` is "1.10", not the number 1.1.
        super::de::deserialize_text_or_any(d, V)
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

impl IntOrPercent {
    /// Whether it is `0` or `0%`: none of the pods.
    pub fn is_zero(&self) -> bool {
        match self {
            IntOrPercent::Int(n) => *n == 0,
            IntOrPercent::Percent(p) => p.trim_end_matches('%').parse::<u32>() == Ok(0),
        }
    }
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
                match v.strip_suffix('%').and_then(|n| n.parse::<u32>().ok()) {
                    Some(n) if n <= 100 => Ok(IntOrPercent::Percent(v.to_string())),
                    Some(_) => Err(E::custom(format!(
                        "`{v}` is over 100%: a percentage of the pods is at most `100%`"
                    ))),
                    None => Err(E::custom(format!(
                        "`{v}` is neither a whole number nor a percentage like `25%`"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
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
    /// The peer this role's pods clone their data from or join (shown by `sts-gen plan`);
    /// replaces the top-level `peer` for these pods.
    #[serde(default)]
    pub peer: Option<Peer>,
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
    /// More Services over the pods (or one pod), each with its own name, ports, type and
    /// annotations: an admin or metrics port kept off the read Service, a per-pod
    /// LoadBalancer.
    #[serde(default)]
    pub extra: Vec<ExtraService>,
}

/// A Service of `services.extra`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtraService {
    /// The Service's name (may use `{{ name }}`).
    pub name: String,
    /// The Service type: ClusterIP (default), NodePort or LoadBalancer.
    #[serde(rename = "type", default)]
    pub kind: Option<ServiceType>,
    /// The declared ports it exposes, by name (default: every port).
    #[serde(default)]
    pub ports: Option<Vec<String>>,
    /// Annotations of this Service (load balancer settings, ...), over the profile's.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Select only the pod with this ordinal (default: every pod).
    #[serde(default)]
    pub ordinal: Option<u32>,
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
    /// The declared ports it lists, by name (default: every port).
    #[serde(default)]
    pub ports: Option<Vec<String>>,
    /// Annotations of this Service, over the profile's.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
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
    /// The declared ports it exposes, by name (default: every port); clients need not see
    /// peer ports.
    #[serde(default)]
    pub ports: Option<Vec<String>>,
    /// Annotations of this Service (load balancer settings, ...), over the profile's.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
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
    /// The Service type: ClusterIP (default), NodePort or LoadBalancer.
    #[serde(rename = "type", default)]
    pub kind: Option<ServiceType>,
    /// The declared ports it exposes, by name (default: every port).
    #[serde(default)]
    pub ports: Option<Vec<String>>,
    /// Annotations of this Service, over the profile's.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
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
