//! `peer`: which pod a new pod copies its data from or joins, declared so that `sts-gen plan`
//! can show it (the scripts that do the copying are opaque text to sts-gen).

use serde::Deserialize;

/// Which pod a pod copies its data from (`clone`) or joins (`join`) when it starts; exactly one
/// of the two. Read by `sts-gen plan` only: the profile's scripts do the work.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Peer {
    /// The pod copies its data from this peer on its first start (e.g. XtraBackup,
    /// pg_basebackup).
    #[serde(default)]
    pub clone: Option<PeerFrom>,
    /// The pod joins the cluster through this peer (a seed, an initial member list).
    #[serde(default)]
    pub join: Option<PeerFrom>,
}

/// A peer, relative to the pod.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PeerFrom {
    /// The pod with the ordinal one below.
    Previous,
    /// Ordinal 0.
    First,
    /// The pod of the first role (the primary Service's pod); ordinal 0 without roles.
    Primary,
    /// Every other pod of the StatefulSet (a fixed member list such as a quorum's voters).
    All,
}

impl Peer {
    /// `("clone" | "join", from)`; None unless exactly one of the two is set.
    pub fn action(&self) -> Option<(&'static str, PeerFrom)> {
        match (self.clone, self.join) {
            (Some(f), None) => Some(("clone", f)),
            (None, Some(f)) => Some(("join", f)),
            _ => None,
        }
    }
}
