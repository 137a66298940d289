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
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// The bundled preset this profile was merged over (see `profile::presets`).
    #[serde(default)]
    pub preset: Option<String>,
    /// Several StatefulSets from one profile; expanded by `profile::expand_sets`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<serde_json::Map<String, serde_json::Value>>>")]
    pub node_sets: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub create_namespace: Option<bool>,
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub image_pull_policy: Option<PullPolicy>,
    #[serde(default)]
    pub replicas: Option<u32>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default)]
    pub env: IndexMap<String, EnvValue>,
    #[serde(default)]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub probes: Option<Probes>,
    #[serde(default)]
    pub pod_management_policy: Option<PodManagementPolicy>,
    #[serde(default)]
    pub update_strategy: Option<UpdateStrategy>,
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u32>,
    #[serde(default)]
    pub storage: Option<StorageSpec>,
    #[serde(default)]
    pub config: Option<Config>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub role_init: Option<RoleInit>,
    #[serde(default)]
    pub secret: Option<SecretSpec>,
    #[serde(default)]
    pub services: Option<Services>,
    #[serde(default)]
    pub pdb: Option<PdbSpec>,
    #[serde(default)]
    pub init_containers: Vec<serde_json::Value>,
    #[serde(default)]
    pub sidecars: Vec<serde_json::Value>,
    #[serde(default)]
    pub volumes: Vec<serde_json::Value>,
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
    #[serde(default)]
    pub run_as_user: Option<i64>,
    #[serde(default)]
    pub run_as_group: Option<i64>,
    #[serde(default)]
    pub fs_group: Option<i64>,
    #[serde(default)]
    pub read_only_root_filesystem: Option<bool>,
    /// Paths the image writes to: an emptyDir is mounted at each (default `[/tmp]`).
    #[serde(default)]
    pub writable_paths: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AffinityMode {
    Soft,
    Hard,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TopologySpread {
    Zone,
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

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct External {
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub config_maps: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum PodManagementPolicy {
    OrderedReady,
    Parallel,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum Protocol {
    TCP,
    UDP,
    SCTP,
}

/// A container port; Services expose it under the same name.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    pub name: String,
    pub port: u16,
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// An environment value: a literal string or a reference.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
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

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    #[serde(default)]
    pub requests: IndexMap<String, String>,
    #[serde(default)]
    pub limits: IndexMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    #[serde(default)]
    pub readiness: Option<Probe>,
    #[serde(default)]
    pub liveness: Option<Probe>,
    #[serde(default)]
    pub startup: Option<Probe>,
}

/// One probe: exactly one of `exec`, `tcp`, `http`, plus timings.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    #[serde(default)]
    pub exec: Option<Vec<String>>,
    #[serde(default)]
    pub tcp: Option<PortRef>,
    #[serde(default)]
    pub http: Option<HttpGet>,
    #[serde(default)]
    pub initial_delay_seconds: Option<u32>,
    #[serde(default)]
    pub period_seconds: Option<u32>,
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    #[serde(default)]
    pub failure_threshold: Option<u32>,
    #[serde(default)]
    pub success_threshold: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    pub path: String,
    pub port: PortRef,
    #[serde(default)]
    pub scheme: Option<HttpScheme>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[allow(clippy::upper_case_acronyms)]
pub enum HttpScheme {
    HTTP,
    HTTPS,
}

/// A port by name (one of `ports`) or by number.
#[derive(Debug, Clone, PartialEq)]
pub enum PortRef {
    Name(String),
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

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum UpdateType {
    RollingUpdate,
    OnDelete,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateStrategy {
    #[serde(rename = "type", default)]
    pub kind: Option<UpdateType>,
    #[serde(default)]
    pub partition: Option<u32>,
    #[serde(default)]
    pub max_unavailable: Option<IntOrPercent>,
}

/// An integer or a percentage such as `25%`.
#[derive(Debug, Clone, PartialEq)]
pub enum IntOrPercent {
    Int(u32),
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
    None,
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

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    pub size: String,
    #[serde(default)]
    pub mount_path: Option<String>,
    #[serde(default)]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub claim_name: Option<String>,
    #[serde(default)]
    pub class_name: Option<String>,
    #[serde(default)]
    pub access_modes: Option<Vec<AccessMode>>,
    #[serde(default)]
    pub retention: Option<Retention>,
    #[serde(default)]
    pub local: Option<LocalStorage>,
}

#[derive(
    Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

#[derive(
    Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize, schemars::JsonSchema,
)]
pub enum RetainOrDelete {
    Retain,
    Delete,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Retention {
    #[serde(default)]
    pub when_deleted: Option<RetainOrDelete>,
    #[serde(default)]
    pub when_scaled: Option<RetainOrDelete>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalStorage {
    pub path: String,
    pub nodes: Vec<String>,
    #[serde(default)]
    pub reclaim_policy: Option<RetainOrDelete>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub bind_to_claims: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub mount_path: Option<String>,
    #[serde(default)]
    pub files: IndexMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Role {
    pub name: String,
    pub ordinals: String,
    #[serde(default)]
    pub files: IndexMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleInit {
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub script: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretSpec {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub data: IndexMap<String, SecretSource>,
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
    #[serde(default)]
    pub refresh_interval: Option<String>,
    /// Secret key → remote key (`path/in/store`) or `{key, property, version}`.
    pub keys: IndexMap<String, RemoteRef>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StoreRef {
    pub name: String,
    #[serde(default)]
    pub kind: Option<StoreKind>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum StoreKind {
    SecretStore,
    ClusterSecretStore,
}

/// A value's place in the external store.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRef {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RemoteRefFields {
    key: String,
    #[serde(default)]
    property: Option<String>,
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

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Services {
    #[serde(default)]
    pub headless: Option<HeadlessService>,
    #[serde(default)]
    pub read: Option<Toggle<ReadService>>,
    #[serde(default)]
    pub primary: Option<PrimaryService>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HeadlessService {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub publish_not_ready_addresses: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReadService {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<ServiceType>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrimaryService {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PdbSettings {
    #[serde(default)]
    pub max_unavailable: Option<IntOrPercent>,
    #[serde(default)]
    pub min_available: Option<IntOrPercent>,
}

/// `pdb: false` / `pdb: true` / `pdb: {...}`.
pub type PdbSpec = Toggle<PdbSettings>;

/// A section that can be switched off with `false` (or on with defaults with `true`).
#[derive(Debug, Clone)]
pub enum Toggle<T> {
    Off,
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
