//! Secret types: `secret` and its external store references.

use super::*;

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
    /// File name → contents of files that hold credentials: keys of the Secret, so they stay
    /// out of the ConfigMap. Contents may use the text variables and `{{ secret.KEY }}`, the
    /// value of a key of `data`.
    #[serde(default)]
    pub files: IndexMap<String, String>,
    /// Where the main container sees the Secret's keys as files (read-only volume `secret`,
    /// which sidecars and init containers may mount too). Omitted: the Secret is not mounted.
    #[serde(default)]
    pub mount_path: Option<String>,
    /// Only these keys, each at its own path and mode (default: every key, at its name).
    #[serde(default)]
    pub items: Vec<SecretItem>,
    /// Mode of the files, in octal such as `0440` (default `0440` when the pod has an
    /// fsGroup, which owns them; `0444` without one).
    #[serde(default)]
    pub default_mode: Option<FileMode>,
}

/// One key of the mounted Secret as a file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretItem {
    /// The Secret's key.
    pub key: String,
    /// The file's path under `mountPath` (default: the key).
    #[serde(default)]
    pub path: Option<String>,
    /// The file's mode, in octal such as `0400` (default: `defaultMode`).
    #[serde(default)]
    pub mode: Option<FileMode>,
}

/// A file mode written in octal: `0440`, `0o440` or `"0440"`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum FileMode {
    /// As YAML read it (the model reads the source text: `0440` is octal, as in kubectl).
    Number(i64),
    /// Octal digits as text.
    Text(String),
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
pub(super) struct RemoteRefFields {
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
