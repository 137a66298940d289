//! Disruption: the update strategy and the PodDisruptionBudget (how many pods may be down
//! at once, on an update or a node drain).

use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::Options;
use crate::profile::types::*;
use crate::profile::{locate, Loaded};

/// The StatefulSet's `updateStrategy`; a field the target version drops is a warning.
pub(super) fn update_strategy(
    loaded: &Loaded,
    opts: &Options,
    warnings: &mut Vec<String>,
    errs: &mut Errors,
) -> Json {
    let p = &loaded.profile;
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
        let loaded = load("updateStrategy: {partition: 2, maxUnavailable: 25%}\n");
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
