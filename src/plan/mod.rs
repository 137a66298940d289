//! `sts-gen plan`: an offline dry-run of the StatefulSet controller. For each pod it shows
//! what the controller and the profile give it (name, role, config files, DNS name, the
//! claim, local PersistentVolume and node its data lives on, the peer it clones from or
//! joins), in the order pods start and the order an update rolls them.
//!
//! Reads the profile and the model only (it comes after the model and before rendering), so
//! it shows what the objects will say without rendering them.

mod text;

use serde::Serialize;

use crate::model::{self, roles, Model, Options};
use crate::profile::types::{Peer, PeerFrom, PodManagementPolicy, UpdateType};
use crate::profile::{self, LoadError, Loaded};

pub use text::to_text;

/// The plan of a profile: one entry per StatefulSet (one per node set).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The StatefulSets, in profile order.
    pub stateful_sets: Vec<SetPlan>,
}

/// One StatefulSet and its pods.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetPlan {
    /// The StatefulSet name.
    pub name: String,
    /// Its namespace; None leaves it to kubectl.
    pub namespace: Option<String>,
    /// Replicas.
    pub replicas: u32,
    /// The governing headless Service.
    pub headless_service: String,
    /// `OrderedReady` or `Parallel`.
    pub pod_management_policy: &'static str,
    /// `RollingUpdate` or `OnDelete`.
    pub update_strategy: String,
    /// RollingUpdate's partition (0 when unset).
    pub partition: u32,
    /// Where the config files are mounted; None without config files or roles.
    pub config_mount_path: Option<String>,
    /// Where the data volume is mounted.
    pub data_mount_path: String,
    /// The claim size; None for an emptyDir (`storage: none`).
    pub storage_size: Option<String>,
    /// The claims' StorageClass; None: the cluster's default.
    pub storage_class: Option<String>,
    /// The primary Service and the pod it selects; None without one.
    pub primary: Option<(String, String)>,
    /// Pods an update rolls, in the order it rolls them.
    pub update_order: Vec<String>,
    /// The pods, by ordinal.
    pub pods: Vec<PodPlan>,
    /// `metrics`, when on.
    pub metrics: Option<MetricsPlan>,
    /// `backup`, when on.
    pub backup: Option<BackupPlan>,
    /// `tls`, when on.
    pub tls: Option<TlsPlan>,
}

/// Where the metrics are scraped.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsPlan {
    /// An exporter sidecar (`true`) or the engine's own endpoint.
    pub exporter: bool,
    /// The port and HTTP path.
    pub port: u16,
    /// The HTTP path.
    pub path: String,
    /// The headless Service over every pod's metrics port.
    pub service: String,
    /// `ServiceMonitor` and/or `PodMonitor`, as rendered.
    pub monitors: Vec<&'static str>,
    /// Namespaces the NetworkPolicy lets scrape (besides the app's own).
    pub from_namespaces: Vec<String>,
}

/// The backup CronJob: when, from where, to where, how many kept.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupPlan {
    /// The CronJob's name.
    pub cron_job: String,
    /// Its schedule.
    pub schedule: String,
    /// The schedule's time zone; None: the cluster's controller manager's.
    pub time_zone: Option<String>,
    /// The member it reads from over the network (`BACKUP_HOST` of the job); None when the
    /// preset's job does not name one.
    pub from_host: Option<String>,
    /// Members' claims the job mounts and reads directly (zookeeper, web), read-only.
    pub reads_claims: Vec<String>,
    /// The claim the backups go to.
    pub claim: String,
    /// Its size when sts-gen renders it; None for `existingClaim`.
    pub claim_size: Option<String>,
    /// How many backups are kept.
    pub keep: Option<String>,
}

/// The certificate the members use.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsPlan {
    /// The Secret mounted at `mount_path`.
    pub secret: String,
    /// Where it is mounted.
    pub mount_path: &'static str,
    /// The cert-manager issuer (`Issuer/NAME` or `ClusterIssuer/NAME`) when sts-gen renders
    /// the Certificate; None for `secretName`.
    pub issuer: Option<String>,
}

/// One pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodPlan {
    /// Its ordinal.
    pub ordinal: u32,
    /// The pod name, `<statefulset>-<ordinal>`.
    pub pod: String,
    /// Its role; None without roles.
    pub role: Option<String>,
    /// The config files it gets (shared, then its role's, then the role init's identity files).
    pub config_files: Vec<String>,
    /// Its stable DNS name through the headless Service.
    pub dns: String,
    /// Its PersistentVolumeClaim; None for an emptyDir.
    pub claim: Option<String>,
    /// The local PersistentVolume pre-bound to the claim; None when the claim binds at
    /// scheduling time (or storage is not local).
    pub persistent_volume: Option<String>,
    /// The nodes its data can live on: the bound PV's node, or the nodes of the local PVs
    /// a claim may bind to; empty when the cluster's provisioner decides.
    pub nodes: Vec<String>,
    /// `clone` or `join`, from the profile's `peer`; None when it declares none, or when the
    /// pod is the peer itself.
    pub peer_action: Option<&'static str>,
    /// The pods it clones from or joins.
    pub peers: Vec<String>,
    /// When it starts: `first`, `after <pod> is Ready` or `with every pod`.
    pub starts: String,
    /// Its place in an update: `1`, `2`, ... in roll order; None when the update does not
    /// touch it (below the partition, or OnDelete).
    pub update_position: Option<u32>,
}

/// Plans a loaded profile (preset, overlays and `--set` merged), building each set's model.
pub fn plan(loaded: &Loaded, opts: &Options) -> Result<Plan, Vec<LoadError>> {
    let sets = profile::expand_sets(loaded)?;
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    for set in &sets {
        match model::build(set, opts) {
            Ok(built) => plans.push(plan_set(set, &built.model, opts)),
            Err(e) => errors.extend(e),
        }
    }
    profile::dedup_errors(&mut errors);
    profile::in_set_paths(&sets, &mut errors);
    if errors.is_empty() {
        Ok(Plan {
            stateful_sets: plans,
        })
    } else {
        Err(errors)
    }
}

/// The merged profile as YAML that renders the same objects: the tree after preset, overlays
/// and `--set`, without `preset` (its keys are in the tree already).
pub fn effective(loaded: &Loaded) -> String {
    let mut tree = loaded.tree.clone();
    profile::merge::remove_path(&mut tree, &["preset"]);
    profile::write::to_yaml(&tree)
}

fn plan_set(loaded: &Loaded, m: &Model, opts: &Options) -> SetPlan {
    let p = &loaded.profile;
    let ordered = m.pod_management_policy == pmp_name(PodManagementPolicy::OrderedReady);
    let (on_delete, partition) = update(loaded);
    let pod = |i: u32| format!("{}-{i}", m.name);
    let ranges: Vec<(String, Vec<roles::OrdinalRange>)> = p
        .roles
        .iter()
        .filter_map(|r| Some((r.name.clone(), roles::parse_ordinals(&r.ordinals).ok()?)))
        .collect();
    let role_of = |i: u32| {
        ranges.iter().position(|(_, rs)| {
            rs.iter()
                .any(|r| i >= r.start && r.end.is_none_or(|e| i <= e))
        })
    };
    // The primary: the first role's first pod, or ordinal 0 without roles.
    let primary = ranges
        .first()
        .and_then(|(_, rs)| rs.iter().map(|r| r.start).min())
        .unwrap_or(0);
    let domain = &opts.cluster_domain;
    let headless = &m.services.headless.name;
    let update_order: Vec<u32> = if on_delete {
        Vec::new()
    } else {
        (partition..m.replicas).rev().collect()
    };
    let shared: Vec<String> = p
        .config
        .iter()
        .flat_map(|c| c.files.keys().cloned())
        .collect();
    let pods = (0..m.replicas)
        .map(|i| {
            let role = role_of(i);
            let mut files = shared.clone();
            if let Some(r) = role.and_then(|r| p.roles.get(r)) {
                files.extend(r.files.keys().cloned());
            }
            if m.role_init.is_some() {
                files.push(roles::ORDINAL_FILE.into());
                if !p.roles.is_empty() {
                    files.push(roles::ROLE_FILE.into());
                }
            }
            let peer = role
                .and_then(|r| p.roles[r].peer.as_ref())
                .or(p.peer.as_ref())
                .and_then(Peer::action);
            let peers: Vec<u32> = match peer {
                Some((_, from)) => peer_ordinals(from, i, primary, m.replicas),
                None => Vec::new(),
            };
            let (claim, pv, nodes) = storage(m, i);
            PodPlan {
                ordinal: i,
                pod: pod(i),
                role: role.map(|r| ranges[r].0.clone()),
                config_files: files,
                dns: match &m.namespace {
                    Some(ns) => format!("{}.{headless}.{ns}.svc.{domain}", pod(i)),
                    None => format!("{}.{headless}", pod(i)),
                },
                claim,
                persistent_volume: pv,
                nodes,
                peer_action: peer.filter(|_| !peers.is_empty()).map(|(a, _)| a),
                peers: peers.into_iter().map(pod).collect(),
                starts: match (ordered, i) {
                    (false, _) => "with every pod".into(),
                    (true, 0) => "first".into(),
                    (true, _) => format!("after {} is Ready", pod(i - 1)),
                },
                update_position: update_order
                    .iter()
                    .position(|&o| o == i)
                    .map(|n| n as u32 + 1),
            }
        })
        .collect();
    SetPlan {
        name: m.name.clone(),
        namespace: m.namespace.clone(),
        replicas: m.replicas,
        headless_service: headless.clone(),
        pod_management_policy: m.pod_management_policy,
        update_strategy: if on_delete {
            "OnDelete"
        } else {
            "RollingUpdate"
        }
        .into(),
        partition,
        config_mount_path: m.config.as_ref().map(|c| c.mount_path.clone()),
        data_mount_path: m.storage.mount_path.clone(),
        storage_size: m.storage.size.clone(),
        storage_class: m.storage.class_name.clone(),
        primary: m
            .services
            .primary
            .as_ref()
            .map(|s| (s.name.clone(), s.pod_name.clone())),
        update_order: update_order.into_iter().map(pod).collect(),
        pods,
        metrics: metrics_plan(p, m),
        backup: backup_plan(m),
        tls: tls_plan(m),
    }
}

/// Where the metrics are scraped, from the model.
fn metrics_plan(p: &crate::profile::types::Profile, m: &Model) -> Option<MetricsPlan> {
    m.day2.metrics.as_ref().map(|x| MetricsPlan {
        exporter: m
            .sidecars
            .iter()
            .any(|c| c["name"] == model::METRICS_CONTAINER),
        port: x.port,
        path: x.path.clone(),
        service: x.service_name.clone(),
        monitors: [
            (x.service_monitor, "ServiceMonitor"),
            (x.pod_monitor, "PodMonitor"),
        ]
        .into_iter()
        .filter_map(|(on, kind)| on.then_some(kind))
        .collect(),
        from_namespaces: p
            .metrics
            .as_ref()
            .map(|x| x.from.clone())
            .unwrap_or_default(),
    })
}

/// The backup job, as its containers and volumes say it (so the plan cannot drift from the
/// CronJob).
fn backup_plan(m: &Model) -> Option<BackupPlan> {
    m.day2.backup.as_ref().map(|b| {
        // As the job's containers say it, so the plan cannot drift from the CronJob.
        let env = |c: &serde_json::Value, name: &str| {
            c["env"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["name"] == name)
                .and_then(|e| e["value"].as_str())
                .map(str::to_string)
        };
        BackupPlan {
            cron_job: b.name.clone(),
            schedule: b.schedule.clone(),
            time_zone: b.time_zone.clone(),
            from_host: b.init_containers.iter().find_map(|c| env(c, "BACKUP_HOST")),
            reads_claims: b
                .volumes
                .iter()
                .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
                .filter(|c| *c != b.claim_name)
                .map(str::to_string)
                .collect(),
            claim: b.claim_name.clone(),
            claim_size: b.claim.as_ref().and_then(|c| {
                c["resources"]["requests"]["storage"]
                    .as_str()
                    .map(str::to_string)
            }),
            keep: env(&b.container, "BACKUP_KEEP"),
        }
    })
}

/// The certificate, from the model.
fn tls_plan(m: &Model) -> Option<TlsPlan> {
    m.day2.tls.as_ref().map(|t| TlsPlan {
        secret: t.secret_name.clone(),
        mount_path: t.mount_path,
        issuer: t.certificate.as_ref().and_then(|c| {
            Some(format!(
                "{}/{}",
                c["spec"]["issuerRef"]["kind"].as_str()?,
                c["spec"]["issuerRef"]["name"].as_str()?
            ))
        }),
    })
}

fn pmp_name(p: PodManagementPolicy) -> &'static str {
    match p {
        PodManagementPolicy::OrderedReady => "OrderedReady",
        PodManagementPolicy::Parallel => "Parallel",
    }
}

/// (OnDelete, partition) of the update strategy.
fn update(loaded: &Loaded) -> (bool, u32) {
    match &loaded.profile.update_strategy {
        Some(u) => (
            u.kind == Some(UpdateType::OnDelete),
            u.partition.unwrap_or(0),
        ),
        None => (false, 0),
    }
}

/// The ordinals of pod `i`'s peers; empty when the pod is its own peer (the first pod, the
/// primary itself) or alone.
fn peer_ordinals(from: PeerFrom, i: u32, primary: u32, replicas: u32) -> Vec<u32> {
    match from {
        PeerFrom::Previous => i.checked_sub(1).into_iter().collect(),
        PeerFrom::First => (i != 0).then_some(0).into_iter().collect(),
        PeerFrom::Primary => (i != primary).then_some(primary).into_iter().collect(),
        PeerFrom::All => (0..replicas).filter(|&o| o != i).collect(),
    }
}

/// Pod `i`'s (claim, pre-bound PV, nodes its data can live on).
fn storage(m: &Model, i: u32) -> (Option<String>, Option<String>, Vec<String>) {
    if !m.storage.persistent {
        return (None, None, Vec::new());
    }
    let claim = format!("{}-{}-{i}", m.storage.claim_name, m.name);
    if let Some(pv) = m
        .persistent_volumes
        .iter()
        .find(|pv| pv.claim.as_deref() == Some(claim.as_str()))
    {
        return (Some(claim), Some(pv.name.clone()), vec![pv.node.clone()]);
    }
    // Not pre-bound: the claim takes any free local PV of its class, on the node its pod
    // is scheduled to.
    let mut nodes: Vec<String> = Vec::new();
    for pv in m.persistent_volumes.iter().filter(|pv| pv.claim.is_none()) {
        if !nodes.contains(&pv.node) {
            nodes.push(pv.node.clone());
        }
    }
    (Some(claim), None, nodes)
}
