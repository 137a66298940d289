//! Storage: the volume claim template (or an emptyDir with `storage: none`), and the local
//! PersistentVolumes and their StorageClass with `storage.local`.

use serde_json::json;

use super::errors::Errors;
use super::{
    names, ModelLocalClass, ModelPv, ModelStorage, Options, CONFIG_SOURCE_VOLUME, CONFIG_VOLUME,
    MAX_REPLICAS,
};
use crate::profile::types::*;

/// The data volume; None (with an error) when the profile has no `storage`. `namespace`
/// names the default StorageClass of local volumes.
pub(super) fn build(
    p: &Profile,
    opts: &Options,
    namespace: Option<&str>,
    errs: &mut Errors,
) -> Option<ModelStorage> {
    match &p.storage {
        None => {
            errs.push("", "missing required key `storage`: give a size (`storage: {size: 10Gi}`) or `storage: none` for an emptyDir");
            None
        }
        Some(StorageSpec::None) => Some(ModelStorage {
            persistent: false,
            claim_name: "data".into(),
            mount_path: "/data".into(),
            sub_path: None,
            size: None,
            class_name: None,
            access_modes: vec![],
            retention: None,
            local_class: None,
        }),
        Some(StorageSpec::Persistent(s)) => {
            if s.retention.is_some() && opts.kube_version < (1, 27) {
                errs.push(
                    "storage.retention",
                    format!("persistentVolumeClaimRetentionPolicy needs Kubernetes 1.27 or later; the target is 1.{} (--kube-version)", opts.kube_version.1),
                );
            }
            Some(storage_model(
                s,
                &local_class_name(&p.name, namespace),
                errs,
            ))
        }
    }
}

/// The local PersistentVolumes of `storage.local`: one per replica (or `count`), spread over
/// the nodes in turn, optionally pre-bound to their claims.
pub(super) fn local_pvs(
    p: &Profile,
    storage: &Option<ModelStorage>,
    replicas: u32,
    namespace: &Option<String>,
    errs: &mut Errors,
) -> Vec<ModelPv> {
    let mut persistent_volumes = Vec::new();
    if let (Some(StorageSpec::Persistent(s)), Some(st)) = (&p.storage, storage) {
        if let Some(local) = &s.local {
            errs.check("storage.local.path", names::abs_path(&local.path));
            if local.nodes.is_empty() {
                errs.push(
                    "storage.local.nodes",
                    "list at least one node name for the local PersistentVolumes",
                );
            }
            for (i, n) in local.nodes.iter().enumerate() {
                errs.check(
                    &format!("storage.local.nodes[{i}]"),
                    names::dns_subdomain(n).map_err(|e| e.prefixed(format_args!("node `{n}` "))),
                );
            }
            let count = local.count.unwrap_or(replicas);
            if count < replicas {
                errs.push("storage.local.count", format!("{count} local PersistentVolumes for {replicas} replicas: pods above ordinal {} would stay Pending", count.saturating_sub(1)));
            }
            if count > MAX_REPLICAS {
                errs.push(
                    "storage.local.count",
                    format!("at most {MAX_REPLICAS} local PersistentVolumes are supported"),
                );
            }
            let bind = local.bind_to_claims.unwrap_or(false);
            if bind && namespace.is_none() {
                errs.push("storage.local.bindToClaims", "bindToClaims pre-binds each PV to a claim in a namespace: set `namespace` (or pass -n)");
            }
            if !local.nodes.is_empty() && count <= MAX_REPLICAS {
                let base = local.path.trim_end_matches('/');
                for i in 0..count {
                    let pv_name = match namespace {
                        Some(ns) => format!("{ns}-{}-{}-{i}", st.claim_name, p.name),
                        None => format!("{}-{}-{i}", st.claim_name, p.name),
                    };
                    persistent_volumes.push(ModelPv {
                        name: pv_name,
                        node: local.nodes[i as usize % local.nodes.len()].clone(),
                        path: format!("{base}/{}-{i}", p.name),
                        claim: bind.then(|| format!("{}-{}-{i}", st.claim_name, p.name)),
                    });
                }
                pv_name_check(persistent_volumes.last(), namespace, st, p, errs);
            }
        }
    }
    persistent_volumes
}

/// The longest PersistentVolume name, checked here so a name the API server would refuse is
/// reported at `storage.local` rather than in the rendered output, where no profile line is
/// known. Only when its parts are valid: their own errors are reported where they are written.
fn pv_name_check(
    pv: Option<&ModelPv>,
    namespace: &Option<String>,
    st: &ModelStorage,
    p: &Profile,
    errs: &mut Errors,
) {
    let parts_ok = namespace
        .as_deref()
        .is_none_or(|n| names::dns_label(n, 63).is_ok())
        && names::dns_label(&st.claim_name, 63).is_ok()
        && names::dns_label(&p.name, 63).is_ok();
    if let Some(pv) = pv.filter(|_| parts_ok) {
        errs.check(
            "storage.local",
            names::dns_subdomain(&pv.name)
                .map_err(|e| e.prefixed(format_args!("PersistentVolume name `{}` ", pv.name))),
        );
    }
}

/// The volume claim template's name as the profile gives it (`storage.claimName`, default
/// `data`), before the model is built: profile text sees it as `{{ claimName }}`.
pub(super) fn template_name(p: &Profile) -> &str {
    match &p.storage {
        Some(StorageSpec::Persistent(s)) => s.claim_name.as_deref().unwrap_or("data"),
        _ => "data",
    }
}

/// The claim template's name (`data` without storage, so names stay reserved).
pub(super) fn claim_name(storage: &Option<ModelStorage>) -> String {
    storage
        .as_ref()
        .map(|s| s.claim_name.clone())
        .unwrap_or_else(|| "data".into())
}

/// The StorageClass of local volumes when `storage.className` is not given: one per app
/// (`<namespace>-<name>-local`, like the PV names), because a StorageClass is cluster-scoped
/// and one shared by two apps would carry the labels of whichever was applied last, and go
/// with the first app deleted.
fn local_class_name(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{ns}-{name}-local"),
        None => format!("{name}-local"),
    }
}

/// A persistent `storage` section, checked; `local_class` is the default class of local
/// volumes.
fn storage_model(s: &Storage, local_class: &str, errs: &mut Errors) -> ModelStorage {
    match names::byte_quantity(&s.size) {
        Ok(v) if v > 0.0 => {}
        Ok(_) => errs.push("storage.size", "storage size must be more than zero"),
        Err(e) => errs.add("storage.size", e),
    }
    let claim_name = s.claim_name.clone().unwrap_or_else(|| "data".into());
    errs.check(
        "storage.claimName",
        names::dns_label(&claim_name, 63).map_err(|e| e.prefixed(format_args!("`{claim_name}` "))),
    );
    if claim_name == CONFIG_VOLUME || claim_name == CONFIG_SOURCE_VOLUME {
        errs.push(
            "storage.claimName",
            format!("`{claim_name}` is reserved for the config volume"),
        );
    }
    let mount_path = s.mount_path.clone().unwrap_or_else(|| "/data".into());
    errs.check("storage.mountPath", names::abs_path(&mount_path));
    if let Some(sp) = &s.sub_path {
        if sp.starts_with('/') || sp.split('/').any(|p| p == "..") {
            errs.push(
                "storage.subPath",
                "subPath must be a relative path without `..`",
            );
        }
    }
    let class_name = match (&s.class_name, &s.local) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(_)) => Some(local_class.to_string()),
        (None, None) => None,
    };
    if let Some(c) = &class_name {
        errs.check(
            "storage.className",
            names::dns_subdomain(c).map_err(|e| e.prefixed(format_args!("`{c}` "))),
        );
    }
    let access_modes = s
        .access_modes
        .clone()
        .unwrap_or_else(|| vec![AccessMode::ReadWriteOnce]);
    if access_modes.is_empty() {
        errs.push("storage.accessModes", "list at least one access mode");
    }
    // The API server's rule: a single-pod claim excludes sharing it any other way.
    if access_modes.contains(&AccessMode::ReadWriteOncePod) && access_modes.len() > 1 {
        errs.push(
            "storage.accessModes",
            "ReadWriteOncePod cannot be combined with other access modes",
        );
    }
    ModelStorage {
        persistent: true,
        claim_name,
        mount_path,
        sub_path: s.sub_path.clone(),
        size: Some(s.size.clone()),
        class_name: class_name.clone(),
        access_modes,
        retention: s.retention.as_ref().map(|r| {
            json!({
                "whenDeleted": r.when_deleted.unwrap_or(RetainOrDelete::Retain),
                "whenScaled": r.when_scaled.unwrap_or(RetainOrDelete::Retain),
            })
        }),
        local_class: s.local.as_ref().map(|l| ModelLocalClass {
            name: class_name.unwrap_or_default(),
            reclaim_policy: l.reclaim_policy.unwrap_or(RetainOrDelete::Retain),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages};
    use super::*;

    #[test]
    fn local_pvs_go_round_the_nodes_and_bind_to_their_claims() {
        let loaded = load(
            "storage: {size: 1Gi, local: {path: /mnt/d/, nodes: [a, b], bindToClaims: true}}\n",
        );
        let mut errs = Errors::new(&loaded);
        let st = build(&loaded.profile, &Options::default(), Some("ns"), &mut errs);
        assert_eq!(
            st.as_ref().and_then(|s| s.class_name.as_deref()),
            Some("ns-db-local")
        );
        let pvs = local_pvs(&loaded.profile, &st, 3, &Some("ns".into()), &mut errs);
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        let got: Vec<String> = pvs
            .iter()
            .map(|p| format!("{} {} {} {:?}", p.name, p.node, p.path, p.claim))
            .collect();
        assert_eq!(
            got,
            [
                "ns-data-db-0 a /mnt/d/db-0 Some(\"data-db-0\")",
                "ns-data-db-1 b /mnt/d/db-1 Some(\"data-db-1\")",
                "ns-data-db-2 a /mnt/d/db-2 Some(\"data-db-2\")",
            ]
        );
        // Binding needs a namespace; fewer PVs than replicas leave pods Pending.
        let loaded = load("storage: {size: 1Gi, local: {path: /mnt/d, nodes: [a], count: 1, bindToClaims: true}}\n");
        let mut errs = Errors::new(&loaded);
        local_pvs(&loaded.profile, &st, 2, &None, &mut errs);
        let m = messages(&errs);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("storage.local.count: 1 local PersistentVolumes for 2 replicas"),
            "{m:?}"
        );
        assert!(m[1].starts_with("storage.local.bindToClaims:"), "{m:?}");
    }

    #[test]
    fn long_pv_names_are_valid_and_a_bad_one_is_reported_at_storage_local() {
        // Kubernetes caps a name at 253, not each part at 63: this PV name has 72 characters.
        let ns = "team-payments-production-eu-west";
        let text = "storage: {size: 1Gi, local: {path: /d, nodes: [n1]}}\n";
        let loaded = load(text);
        let mut errs = Errors::new(&loaded);
        let st = build(&loaded.profile, &Options::default(), Some(ns), &mut errs);
        let pvs = local_pvs(&loaded.profile, &st, 1, &Some(ns.into()), &mut errs);
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        assert_eq!(pvs[0].name, format!("{ns}-data-db-0"));
        // A name over 253 (which valid parts cannot make today) names the field it comes from.
        let long = ModelPv {
            name: "a".repeat(254),
            ..pvs[0].clone()
        };
        let (st, ns) = (st.unwrap(), Some(ns.to_string()));
        pv_name_check(Some(&long), &ns, &st, &loaded.profile, &mut errs);
        let m = messages(&errs);
        assert!(
            m.len() == 1
                && m[0].starts_with("storage.local: PersistentVolume name `aaa")
                && m[0].ends_with("` is 254 characters; at most 253 are allowed"),
            "{m:?}"
        );
        assert!(errs.list[0].loc.is_some());
    }

    #[test]
    fn storage_errors_and_none() {
        let loaded = load("storage: {size: 0Gi, claimName: config, subPath: ../x}\n");
        let mut errs = Errors::new(&loaded);
        build(&loaded.profile, &Options::default(), None, &mut errs);
        assert_eq!(
            messages(&errs),
            [
                "storage.size: storage size must be more than zero",
                "storage.claimName: `config` is reserved for the config volume",
                "storage.subPath: subPath must be a relative path without `..`",
            ]
        );
        let loaded = load("storage: none\n");
        let st = build(&loaded.profile, &Options::default(), None, &mut errs).unwrap();
        assert!(!st.persistent);
        assert_eq!(claim_name(&Some(st)), "data");
    }
}
