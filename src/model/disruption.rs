//! Disruption: the update strategy and the PodDisruptionBudget (how many pods may be down
//! at once, on an update or a node drain).

use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::Options;
use crate::profile::types::*;
use crate::profile::{locate, Loaded};

/// The StatefulSet's `updateStrategy`; a field the target version drops is a warning, and so
/// is a start order that can keep a quorum from forming ([`ordered_quorum`]).
pub(super) fn update_strategy(
    loaded: &Loaded,
    opts: &Options,
    warnings: &mut Vec<String>,
    errs: &mut Errors,
) -> Json {
    let p = &loaded.profile;
    ordered_quorum(loaded, warnings);
    match &p.update_strategy {
        Some(u) if u.kind == Some(UpdateType::OnDelete) => {
            if u.partition.is_some() || u.max_unavailable.is_some() {
                errs.push("updateStrategy", "with type OnDelete no other key is allowed (partition and maxUnavailable apply to RollingUpdate)");
            }
            json!({"type": "OnDelete"})
        }
        Some(u) => {
            let mut ru = serde_json::Map::new();
            if let Some(part) = u.partition {
                // Only ordinals at or above the partition take a new template: the web preset's
                // `partition: 1` with one replica rolled nothing out (seen on tests/engines).
                let replicas = p.replicas.unwrap_or(1);
                if replicas > 0 && u64::from(part) >= u64::from(replicas) {
                    let at = locate(&loaded.tree, "updateStrategy.partition");
                    warnings.push(format!(
                        "{}: updateStrategy.partition: {part} is not below replicas ({replicas}): a changed template (image, config, env) reaches no pod, as only ordinals {part} and above are updated; lower the partition to roll it out",
                        at.loc
                    ));
                }
                ru.insert("partition".into(), json!(part));
            }
            if let Some(mu) = &u.max_unavailable {
                // StatefulSet maxUnavailable is alpha (feature gate off, field dropped by the
                // API server) before 1.35.
                if opts.kube_version < (1, 35) {
                    // Honoured where the alpha gate is on, so a warning rather than an error.
                    let at = locate(&loaded.tree, "updateStrategy.maxUnavailable");
                    warnings.push(format!(
                        "{}: updateStrategy.maxUnavailable: before 1.35 (the target is 1.{}, --kube-version) the API server drops StatefulSet maxUnavailable unless the alpha MaxUnavailableStatefulSet feature gate is on",
                        at.loc, opts.kube_version.1
                    ));
                }
                // The API server refuses `0%` as it refuses 0: no update could proceed.
                if mu.is_zero() {
                    errs.push(
                        "updateStrategy.maxUnavailable",
                        "maxUnavailable must be at least 1 (or a percentage above 0%)",
                    );
                }
                ru.insert("maxUnavailable".into(), int_or_percent(mu));
            }
            if ru.is_empty() {
                json!({"type": "RollingUpdate"})
            } else {
                json!({"type": "RollingUpdate", "rollingUpdate": ru})
            }
        }
        None => json!({"type": "RollingUpdate"}),
    }
}

/// Pods that each join all the others (`peer: {join: all}`, a static quorum) under
/// OrderedReady: pod 1 is created only once pod 0 is Ready, which a readiness gated on the
/// quorum (etcd's `/health`, ZooKeeper's `srvr`) never is alone, so the set never starts (seen
/// on tests/engines). A warning, not an error: a readiness that only asks whether the server
/// answers (the ZooKeeper tutorial's `ruok`) does start this way.
fn ordered_quorum(loaded: &Loaded, warnings: &mut Vec<String>) {
    let p = &loaded.profile;
    let joins_all = |peer: Option<&Peer>| {
        peer.and_then(Peer::action)
            .is_some_and(|(action, from)| action == "join" && from == PeerFrom::All)
    };
    let ordered = p
        .pod_management_policy
        .unwrap_or(PodManagementPolicy::OrderedReady)
        == PodManagementPolicy::OrderedReady;
    if !ordered || p.replicas.unwrap_or(1) < 2 {
        return;
    }
    let all_join = joins_all(p.peer.as_ref())
        && p.roles
            .iter()
            .all(|r| r.peer.is_none() || joins_all(r.peer.as_ref()))
        || !p.roles.is_empty() && p.roles.iter().all(|r| joins_all(r.peer.as_ref()));
    if !all_join {
        return;
    }
    let path = if loaded.tree.get("podManagementPolicy").is_some() {
        "podManagementPolicy"
    } else {
        "peer"
    };
    let at = locate(&loaded.tree, path);
    warnings.push(format!(
        "{}: podManagementPolicy: OrderedReady starts the pods one at a time and each joins all the others (`peer: {{join: all}}`): the second pod is created only once the first is Ready, so a readiness probe that needs a quorum never passes and the set never starts; use `podManagementPolicy: Parallel` unless readiness only checks that the server answers",
        at.loc
    ));
}

/// The PodDisruptionBudget's spec fields; one that never allows an eviction is an error.
pub(super) fn pdb(p: &Profile, replicas: u32, errs: &mut Errors) -> Option<Json> {
    let pdb = match &p.pdb {
        Some(Toggle::Off) => None,
        Some(Toggle::On(s)) => pdb_json(s, errs),
        None if replicas > 1 => Some(json!({"maxUnavailable": 1})),
        None => None,
    };
    // A budget that never allows an eviction blocks every node drain.
    let blocks_drains = match &pdb {
        Some(b) => {
            b.get("maxUnavailable") == Some(&json!(0))
                || b.get("maxUnavailable") == Some(&json!("0%"))
                || b.get("minAvailable")
                    .and_then(Json::as_u64)
                    .is_some_and(|m| m >= u64::from(replicas))
                || b.get("minAvailable") == Some(&json!("100%"))
        }
        None => false,
    };
    if blocks_drains {
        errs.push(
            "pdb",
            format!("this budget never allows a voluntary eviction of the {replicas} pod(s), so it would block node drains; lower minAvailable or raise maxUnavailable (or `pdb: false`)"),
        );
    }
    pdb
}

/// An int-or-string as JSON.
fn int_or_percent(v: &IntOrPercent) -> Json {
    match v {
        IntOrPercent::Int(i) => json!(i),
        IntOrPercent::Percent(p) => json!(p),
    }
}

/// The budget the profile asks for.
fn pdb_json(s: &PdbSettings, errs: &mut Errors) -> Option<Json> {
    match (&s.max_unavailable, &s.min_available) {
        (Some(_), Some(_)) => {
            errs.push("pdb", "set maxUnavailable or minAvailable, not both");
            None
        }
        (Some(m), None) => Some(json!({"maxUnavailable": int_or_percent(m)})),
        (None, Some(m)) => Some(json!({"minAvailable": int_or_percent(m)})),
        (None, None) => Some(json!({"maxUnavailable": 1})),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages};
    use super::*;

    #[test]
    fn a_budget_by_default_with_several_replicas_only() {
        let loaded = load("");
        let mut errs = Errors::new(&loaded);
        assert_eq!(
            pdb(&loaded.profile, 3, &mut errs),
            Some(json!({"maxUnavailable": 1}))
        );
        assert_eq!(pdb(&loaded.profile, 1, &mut errs), None);
        let loaded = load("pdb: {minAvailable: 50%}\n");
        assert_eq!(
            pdb(&loaded.profile, 1, &mut errs),
            Some(json!({"minAvailable": "50%"}))
        );
        assert!(errs.list.is_empty());
    }

    #[test]
    fn a_budget_that_blocks_drains_is_an_error() {
        let loaded = load("pdb: {minAvailable: 3}\n");
        let mut errs = Errors::new(&loaded);
        pdb(&loaded.profile, 3, &mut errs);
        assert_eq!(messages(&errs).len(), 1);
        assert!(messages(&errs)[0]
            .starts_with("pdb: this budget never allows a voluntary eviction of the 3 pod(s)"));
    }

    #[test]
    fn update_strategies() {
        let loaded = load("updateStrategy: {type: OnDelete, partition: 1}\n");
        let (mut warnings, mut errs) = (Vec::new(), Errors::new(&loaded));
        let u = update_strategy(&loaded, &Options::default(), &mut warnings, &mut errs);
        assert_eq!(u, json!({"type": "OnDelete"}));
        assert_eq!(messages(&errs).len(), 1);
        let loaded = load("replicas: 3\nupdateStrategy: {partition: 2, maxUnavailable: 25%}\n");
        let mut errs = Errors::new(&loaded);
        let opts = Options {
            kube_version: (1, 35),
            ..Options::default()
        };
        let u = update_strategy(&loaded, &opts, &mut warnings, &mut errs);
        assert_eq!(
            u,
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2, "maxUnavailable": "25%"}})
        );
        assert!(warnings.is_empty() && errs.list.is_empty());
        // A partition at or above replicas updates no pod.
        let loaded = load("replicas: 2\nupdateStrategy: {partition: 2}\n");
        let mut errs = Errors::new(&loaded);
        update_strategy(&loaded, &opts, &mut warnings, &mut errs);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .starts_with("t.yaml:6:29: updateStrategy.partition: 2 is not below replicas (2)"),
            "{warnings:?}"
        );
        warnings.clear();
        // 0% stops an update as 0 does; the API server refuses both.
        for zero in ["0", "\"0%\"", "\"00%\""] {
            let loaded = load(&format!("updateStrategy: {{maxUnavailable: {zero}}}\n"));
            let mut errs = Errors::new(&loaded);
            update_strategy(&loaded, &opts, &mut warnings, &mut errs);
            assert_eq!(
                messages(&errs),
                ["updateStrategy.maxUnavailable: maxUnavailable must be at least 1 (or a percentage above 0%)"],
                "{zero}"
            );
        }
    }
}
