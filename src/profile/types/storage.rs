//! Storage types: `storage`, its claims, retention and local volumes.

use super::*;

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
