//! Model stage: a typed profile → a defaulted, validated [`Model`] that templates render.
//!
//! Every semantic rule of PROFILE.md is checked here, and all errors are collected (not just
//! the first), each located in the profile through its field path. One module per concern:
//!
//! - [`identity`]: name, namespace, image, replicas, labels and annotations;
//! - [`config`]: config files, roles and the role init container;
//! - [`secret`]: the Secret (and [`secrets`]: how `generate` values are derived);
//! - [`env`], [`resources`], [`probes`];
//! - [`storage`]: the claim template and local PersistentVolumes;
//! - [`services`], [`disruption`] (update strategy and PodDisruptionBudget);
//! - [`security`]: security contexts, writable paths, affinity and the NetworkPolicy;
//! - [`mounts`]: no two mounts of the main container at one path;
//! - [`raw`]: raw Kubernetes objects in the profile; [`text`]: text variables.

mod config;
pub(crate) mod cron;
mod disruption;
mod env;
mod errors;
mod features;
mod identity;
mod mounts;
mod probes;
mod raw;
mod rbac;
mod resources;
/// Role ordinals and the role init container's script.
pub(crate) mod roles;
mod secret;
/// How `generate` secret values are derived (and drawn).
mod secrets;
mod security;
mod services;
mod storage;
mod text;
mod text_budget;
mod text_limits;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

use crate::profile::types::*;
use crate::profile::{LoadError, Loaded};
use crate::shared::error::ErrorKind;
use errors::Errors;
use text::TemplateVars;

pub(crate) use crate::shared::names;
pub use features::{Day2, ModelBackup, ModelMetrics, ModelTls};
pub use identity::{CHECKSUM_ANNOTATION, SYSTEM_NAMESPACES};
pub(crate) use raw::ignored_path;
pub use rbac::ModelRbac;
pub use resources::cpu_limit;
pub use secrets::seed as secret_seed;
pub use security::DEFAULT_UID;
pub use services::METRICS_CONTAINER;
pub use services::{
    ModelExtraService, ModelHeadless, ModelPrimaryService, ModelReadService, ModelServices,
};

/// Highest `replicas` (and local PV count) accepted.
pub const MAX_REPLICAS: u32 = 5000;

/// Render options that come from the command line rather than the profile.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-n/--namespace`: replaces the profile's namespace.
    pub namespace: Option<String>,
    /// The cluster DNS domain used in `{{ clusterDomain }}`.
    pub cluster_domain: String,
    /// Seed that `generate` secret values derive from (`--secret-seed-file`).
    pub secret_seed: Option<Vec<u8>>,
    /// Secret data already in the output directory, by Secret name then key (base64):
    /// `generate` values are taken from here first.
    pub previous_secrets:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// Whether a missing `generate` value may be drawn at random (only when writing an
    /// output directory, where the next render finds and reuses it).
    pub allow_random_secrets: bool,
    /// The Kubernetes version the output targets (`--kube-version`), as (major, minor).
    pub kube_version: (u32, u32),
    /// The namespace when neither `-n` nor the profile names one (Argo CD's
    /// `ARGOCD_APP_NAMESPACE`).
    pub default_namespace: Option<String>,
    /// Whether a `fromEnv` variable that is not set is a note rather than an error: for
    /// `validate` and `lint` in CI, which check a profile without its secret values (a
    /// placeholder stands in). `render` always needs them.
    pub secrets_may_be_missing: bool,
    /// `--allow-outside-files`: a `fromFile` path may be absolute or lead outside the
    /// profile's folder.
    pub allow_outside_files: bool,
}

/// The Kubernetes version output targets unless `--kube-version` says otherwise.
pub const DEFAULT_KUBE_VERSION: (u32, u32) = (1, 33);
/// The versions `--kube-version` accepts (those the conformance schemas cover).
pub const KUBE_VERSIONS: std::ops::RangeInclusive<u32> = 25..=37;

/// Parses `1.33` (or `v1.33`, `1.33.2`) into (1, 33), within [`KUBE_VERSIONS`].
pub fn parse_kube_version(text: &str) -> Result<(u32, u32), LoadError> {
    let usage = |message: String| LoadError::of(ErrorKind::Usage, message);
    let t = text.trim_start_matches('v');
    let mut parts = t.split('.');
    let (Some(Ok(1)), Some(Ok(minor))) = (
        parts.next().map(str::parse::<u32>),
        parts.next().map(str::parse::<u32>),
    ) else {
        return Err(usage(format!(
            "--kube-version `{text}`: expected a version like 1.33"
        )));
    };
    if !KUBE_VERSIONS.contains(&minor) {
        return Err(usage(format!(
            "--kube-version `{text}`: supported versions are 1.{} to 1.{}",
            KUBE_VERSIONS.start(),
            KUBE_VERSIONS.end()
        )));
    }
    Ok((1, minor))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: None,
            cluster_domain: "cluster.local".into(),
            secret_seed: None,
            previous_secrets: Default::default(),
            allow_random_secrets: false,
            kube_version: DEFAULT_KUBE_VERSION,
            default_namespace: None,
            secrets_may_be_missing: false,
            allow_outside_files: false,
        }
    }
}

/// Everything the templates need, defaulted and validated. Serialized (camelCase) as the
/// template context `app`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// The StatefulSet name (the profile name, `<name>-<set>` in a node set).
    pub name: String,
    /// The namespace of every namespaced object; None leaves it to kubectl.
    pub namespace: Option<String>,
    /// Whether a Namespace object is rendered.
    pub create_namespace: bool,
    /// Labels for objects every node set shares: the recommended labels plus the user's.
    pub labels: IndexMap<String, String>,
    /// Labels for this set's own objects and pods: `labels` plus the set's component.
    pub set_labels: IndexMap<String, String>,
    /// Annotations on every object.
    pub annotations: IndexMap<String, String>,
    /// The pod template's annotations: the profile's plus `checksum/config`, a hash of the
    /// ConfigMap data, so a config change rolls the pods and nothing else does.
    pub pod_annotations: IndexMap<String, String>,
    /// The pod selector: stable, never includes user labels.
    pub selector_labels: IndexMap<String, String>,
    /// The app container image.
    pub image: String,
    /// `imagePullPolicy` as Kubernetes spells it.
    pub image_pull_policy: &'static str,
    /// The StatefulSet replicas.
    pub replicas: u32,
    /// The app container command (empty: the image entrypoint).
    pub command: Vec<String>,
    /// The app container arguments.
    pub args: Vec<String>,
    /// The app container ports, also the Services' ports.
    pub ports: Vec<ModelPort>,
    /// The app container environment.
    pub env: Vec<ModelEnv>,
    /// The app container requests and limits.
    pub resources: ModelResources,
    /// The app container probes by kind (`readiness`, `liveness`, `startup`).
    pub probes: IndexMap<&'static str, Json>,
    /// `podManagementPolicy` as Kubernetes spells it.
    pub pod_management_policy: &'static str,
    /// The StatefulSet `updateStrategy`.
    pub update_strategy: Json,
    /// Seconds a pod gets to stop.
    pub termination_grace_period_seconds: u32,
    /// The ServiceAccount the pods run as.
    pub service_account_name: String,
    /// The data volume (claim template or emptyDir).
    pub storage: ModelStorage,
    /// Local PersistentVolumes, with `storage.local`.
    pub persistent_volumes: Vec<ModelPv>,
    /// The ConfigMap and its mount; None without config files or roles.
    pub config: Option<ModelConfig>,
    /// The role init container; None without roles and `roleInit.script`.
    pub role_init: Option<ModelRoleInit>,
    /// The Secret (or ExternalSecret) and the name references use.
    pub secret: ModelSecret,
    /// The headless, read and primary Services.
    pub services: ModelServices,
    /// The PodDisruptionBudget spec fields; None without a budget.
    pub pdb: Option<Json>,
    /// Fields the target Kubernetes version supports (see `--kube-version`).
    pub features: ModelFeatures,
    /// With node sets: the Service over every set's pods.
    pub client_service: Option<ModelClientService>,
    /// Raw init containers, expanded and defaulted.
    pub init_containers: Vec<Json>,
    /// Raw sidecar containers, expanded and defaulted.
    pub sidecars: Vec<Json>,
    /// Raw pod volumes, expanded.
    pub volumes: Vec<Json>,
    /// `metrics`, `backup` and `tls` (templates see `app.metrics`, ...); each None when off.
    #[serde(flatten)]
    pub day2: Day2,
    /// Merged into the pod spec after rendering (the escape hatch).
    #[serde(skip)]
    pub pod_template: Option<serde_json::Map<String, Json>>,
    /// The pod's securityContext; None with `securityContext: false`.
    pub pod_security_context: Option<Json>,
    /// The securityContext of the containers sts-gen renders (raw containers get it merged
    /// under their own); None with `securityContext: false`.
    pub container_security_context: Option<Json>,
    /// emptyDir volumes mounted in every container at the image's writable paths.
    pub writable_volumes: Vec<ModelWritable>,
    /// The pod's affinity (anti-affinity on kubernetes.io/hostname); None with `affinity: none`.
    pub affinity: Option<Json>,
    /// topologySpreadConstraints; empty unless `topologySpread` asks for them.
    pub topology_spread_constraints: Vec<Json>,
    /// The NetworkPolicy; None with `networkPolicy: false`.
    pub network_policy: Option<ModelNetworkPolicy>,
    /// The Role and RoleBinding of `rbac`; the pods mount their token only with it.
    pub rbac: Option<ModelRbac>,
}

/// An emptyDir volume at a path the image writes to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelWritable {
    /// The emptyDir volume name.
    pub name: String,
    /// Where it is mounted.
    pub path: String,
}

/// The NetworkPolicy's two ingress rules: the app's own pods on every port the pod declares,
/// and clients on the Services' ports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelNetworkPolicy {
    /// Labels of every pod of the app (all node sets).
    pub peer_selector: IndexMap<String, String>,
    /// `{port, protocol}` of every container port in the pod.
    pub peer_ports: Vec<Json>,
    /// NetworkPolicyPeers clients may come from; None admits any source (a NodePort or
    /// LoadBalancer read Service).
    pub client_from: Option<Vec<Json>>,
    /// `{port, protocol}` clients may connect to.
    pub client_ports: Vec<Json>,
}

/// Fields the target Kubernetes version supports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelFeatures {
    /// PodDisruptionBudget `unhealthyPodEvictionPolicy` (beta and on from 1.27).
    pub unhealthy_pod_eviction_policy: bool,
}

/// The Service over every node set's pods.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelClientService {
    /// The Service name (the profile name).
    pub name: String,
    /// Selects the pods of every set.
    pub selector_labels: IndexMap<String, String>,
    /// The ports every set declares.
    pub ports: Vec<ModelPort>,
}

/// A declared container port.
#[derive(Debug, Clone, Serialize)]
pub struct ModelPort {
    /// The port name (an IANA service name).
    pub name: String,
    /// The port number.
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: &'static str,
}

/// One environment variable; exactly one of the options is set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelEnv {
    /// The variable name.
    pub name: String,
    /// A literal value (text variables expanded).
    pub value: Option<String>,
    /// A key of the Secret.
    pub secret_key: Option<String>,
    /// A key of the ConfigMap.
    pub config_map_key: Option<String>,
    /// A downward-API field.
    pub field_path: Option<String>,
}

/// Requests and limits of a container.
#[derive(Debug, Clone, Serialize)]
pub struct ModelResources {
    /// Resource requests by name.
    pub requests: IndexMap<String, String>,
    /// Resource limits by name.
    pub limits: IndexMap<String, String>,
}

/// The data volume.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelStorage {
    /// False for `storage: none` (an emptyDir).
    pub persistent: bool,
    /// The claim template (or emptyDir volume) name.
    pub claim_name: String,
    /// Where the volume is mounted.
    pub mount_path: String,
    /// The subPath of the mount.
    pub sub_path: Option<String>,
    /// The requested size; None for an emptyDir.
    pub size: Option<String>,
    /// The StorageClass of the claims.
    pub class_name: Option<String>,
    /// The claims' access modes.
    pub access_modes: Vec<AccessMode>,
    /// `persistentVolumeClaimRetentionPolicy`.
    pub retention: Option<Json>,
    /// Set when local PVs are rendered: the StorageClass and its reclaim policy.
    pub local_class: Option<ModelLocalClass>,
}

/// The StorageClass of local PersistentVolumes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelLocalClass {
    /// The StorageClass name.
    pub name: String,
    /// What happens to a released PersistentVolume.
    pub reclaim_policy: RetainOrDelete,
}

/// One local PersistentVolume.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPv {
    /// The PersistentVolume name.
    pub name: String,
    /// The node it lives on.
    pub node: String,
    /// The directory on the node.
    pub path: String,
    /// The claim this PV is pre-bound to (`bindToClaims`).
    pub claim: Option<String>,
}

/// The ConfigMap and its mount.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelConfig {
    /// ConfigMap name.
    pub name: String,
    /// Where the files are mounted.
    pub mount_path: String,
    /// ConfigMap data, in profile order: shared files, then role files.
    pub data: IndexMap<String, String>,
    /// Volume items mapping keys to paths (only with a role init container).
    pub items: Vec<Json>,
}

/// The role init container.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelRoleInit {
    /// Its image.
    pub image: String,
    /// The shell script that lays out the files of the pod's role.
    pub script: String,
    /// Where it reads the ConfigMap.
    pub source_dir: &'static str,
}

/// The Secret references use.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSecret {
    /// The name references use (the rendered Secret or `existing`).
    pub name: Option<String>,
    /// False with `existing` or without data: no Secret object is rendered.
    pub render: bool,
    /// Base64 values by key.
    pub data: IndexMap<String, String>,
    /// With `secret.external`: the ExternalSecret's spec (no Secret is rendered; the
    /// External Secrets Operator creates it under `name`).
    pub external: Option<Json>,
    /// With `secret.mountPath`: the Secret as files in the main container.
    pub mount: Option<ModelSecretMount>,
}

/// The Secret mounted as files.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSecretMount {
    /// Where the main container sees the files (read-only).
    pub mount_path: String,
    /// The pod volume [`SECRET_VOLUME`] (a Kubernetes Volume).
    pub volume: Json,
}

/// Names of volumes the renderer itself adds to the pod.
pub const CONFIG_VOLUME: &str = "config";
/// The volume the role init container reads the ConfigMap from.
pub const CONFIG_SOURCE_VOLUME: &str = "config-source";
/// The Secret's volume with `secret.mountPath` (other containers mount it by this name).
pub const SECRET_VOLUME: &str = "secret";

/// What [`build`] makes: the model, and what the caller needs beside it.
#[derive(Debug, Clone)]
pub struct Built {
    /// What the templates render.
    pub model: Model,
    /// Things that render but deserve a word on stderr.
    pub warnings: Vec<String>,
    /// Secrets and ConfigMaps managed outside sts-gen that references may use.
    pub external: External,
}

/// Objects that exist in the cluster without sts-gen rendering them; references to them
/// resolve (their keys cannot be checked).
#[derive(Debug, Clone, Default)]
pub struct External {
    /// Names of Secrets.
    pub secrets: Vec<String>,
    /// Names of ConfigMaps.
    pub config_maps: Vec<String>,
    /// The Kubernetes version the objects target (`--kube-version`), for the API server's
    /// version-dependent rules; `None` (lint of any manifests): the newest rules.
    pub kube_version: Option<(u32, u32)>,
    /// ServiceAccounts (namespace, name; `*` for all) that may patch pods: the pods that run
    /// as one may label themselves (lint of any manifests reads them from their RBAC).
    pub pod_labellers: Vec<(Option<String>, String)>,
}

/// A build result reads as its model (`&built` renders), so callers that only render need
/// not unpack it.
impl std::ops::Deref for Built {
    type Target = Model;

    fn deref(&self) -> &Model {
        &self.model
    }
}

/// Builds the model, or every semantic error found. Each concern's checks run in profile
/// order, so errors come in the order the user reads them.
pub fn build(loaded: &Loaded, opts: &Options) -> Result<Built, Vec<LoadError>> {
    let p = &loaded.profile;
    let mut errs = Errors::new(loaded);
    let mut warnings: Vec<String> = Vec::new();

    let basics = identity::check(p, opts, &mut errs);
    let create_namespace = identity::create_namespace(
        loaded,
        basics.namespace.as_deref(),
        &mut warnings,
        &mut errs,
    );
    let (ports, port_names) = services::ports(p, &mut errs);
    services::moved_preset_ports(loaded, &ports, &mut warnings);
    let replicas = basics.replicas;
    let namespace = basics.namespace.clone();
    let image = basics.image.clone();
    let set = loaded.set.as_ref();
    // The application name: the profile's name, shared by every node set.
    let cluster = set.map_or(p.name.as_str(), |s| s.cluster.as_str());
    let sets = identity::set_summaries(set);
    // Values profile text may use; names cannot use the namespace, nor the Secret's name.
    let text_budget = text_budget::TextBudget::shared_by(set.map_or(1, |s| s.sets.len()));
    let base = TemplateVars {
        name: &p.name,
        namespace: None,
        headless: &p.name,
        replicas,
        cluster_domain: &opts.cluster_domain,
        cluster,
        sets: &sets,
        secret_name: cluster,
        image: &image,
        claim_name: storage::template_name(p),
        budget: &text_budget,
        in_name: true,
        ports: &ports,
        compiled: Default::default(),
    };
    let names = identity::Names::resolve(p, &base, &mut errs);
    let ns = namespace.as_deref();
    let vars = base.with(ns, &names.headless, &names.secret_ref, false);
    let name_vars = base.with(None, &p.name, &names.secret_ref, true);
    let (secret_name, headless_name) = (names.secret, names.headless.clone());

    let config = config::build(p, &vars, &image, &mut errs);
    let mut secret = secret::build(
        loaded,
        opts,
        secret_name.as_deref().unwrap_or(cluster),
        namespace.as_deref(),
        &mut warnings,
        &mut errs,
    );
    secret::files(loaded, &vars, &mut secret, &mut errs);
    let env = env::build(p, &vars, &secret.data, opts.kube_version, &mut errs);
    let mut resources = resources::build(p, &mut errs);
    let probes = probes::build(p, &ports, &port_names, &vars, &mut errs);
    let update_strategy = disruption::update_strategy(loaded, opts, &mut warnings, &mut errs);
    let storage = storage::build(p, opts, namespace.as_deref(), &mut errs);
    let persistent_volumes = storage::local_pvs(p, &storage, replicas, &namespace, &mut errs);
    let services = services::build(
        p,
        &ports,
        headless_name.clone(),
        &config.parsed_roles,
        &name_vars,
        &mut errs,
    );
    let pdb = disruption::pdb(p, replicas, &mut errs);
    let rbac = rbac::build(loaded, &vars, &mut errs);
    let volume_names = raw::check(loaded, &storage, &mut errs);
    let mut raw = raw::expand(p, &vars, &mut errs);
    // The app container's command and args are profile text like env values and sidecars'.
    let command = text::expand_list(&vars, "command", &p.command, &mut errs);
    let args = text::expand_list(&vars, "args", &p.args, &mut errs);
    let labels = identity::labels(p, cluster, set);
    let (defaults, day2) = production_defaults(
        p,
        &vars,
        &labels.selector_labels,
        &ports,
        &storage,
        &config,
        &volume_names,
        &services,
        &mut raw,
        &mut resources,
        &mut errs,
    );
    secret.mount = secret_mount(
        loaded, &secret, &defaults, &storage, &config, &day2, &mut errs,
    );
    if !errs.list.is_empty() {
        return Err(errs.list);
    }
    let storage = storage.expect("storage errors were reported above");
    let external = features::with_external(secret::external_objects(p, &secret), &day2.tls);
    let model = Model {
        name: p.name.clone(),
        namespace,
        create_namespace,
        pod_annotations: identity::pod_annotations(p, config.config.as_ref()),
        labels: labels.labels,
        set_labels: labels.set_labels,
        annotations: p.annotations.clone(),
        selector_labels: labels.selector_labels.clone(),
        image,
        image_pull_policy: identity::pull_policy(p),
        replicas,
        command,
        args,
        client_service: services::client_service(set, &ports),
        ports,
        env,
        resources,
        probes,
        pod_management_policy: identity::pod_management_policy(p),
        update_strategy,
        termination_grace_period_seconds: p.termination_grace_period_seconds.unwrap_or(30),
        service_account_name: cluster.to_string(),
        storage,
        persistent_volumes,
        config: config.config,
        role_init: config.role_init,
        secret,
        services,
        pdb,
        features: ModelFeatures {
            unhealthy_pod_eviction_policy: opts.kube_version >= (1, 27),
        },
        init_containers: raw.init_containers,
        sidecars: raw.sidecars,
        volumes: raw.volumes,
        day2,
        pod_template: raw.pod_template.and_then(|t| t.as_object().cloned()),
        pod_security_context: defaults.pod,
        container_security_context: defaults.container,
        writable_volumes: defaults.writable,
        affinity: security::affinity_json(p.affinity.unwrap_or_default(), &labels.selector_labels),
        topology_spread_constraints: security::topology_spread(p, &labels.selector_labels),
        network_policy: security::network_policy(defaults.network_policy, cluster),
        rbac,
    };
    Ok(Built {
        model,
        warnings,
        external,
    })
}

/// The Secret's mount (`secret.mountPath`), away from the main container's other mounts;
/// its files' default mode follows the pod's fsGroup. Then, with every mount known, the
/// pairs of mounts no other check compares ([`mounts::check`]).
fn secret_mount(
    loaded: &Loaded,
    secret: &ModelSecret,
    defaults: &security::Defaults,
    storage: &Option<ModelStorage>,
    config: &config::Config,
    day2: &Day2,
    errs: &mut Errors,
) -> Option<ModelSecretMount> {
    let fs_group = defaults
        .pod
        .as_ref()
        .and_then(|p| p.get("fsGroup"))
        .and_then(Json::as_i64);
    let mut taken: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = storage {
        taken.push((&s.mount_path, "storage.mountPath"));
    }
    if let Some(c) = &config.config {
        taken.push((&c.mount_path, "config.mountPath"));
    }
    for w in &defaults.writable {
        taken.push((&w.path, "securityContext.writablePaths"));
    }
    let mount = secret::mount(loaded, secret, fs_group, &taken, errs);
    mounts::check(
        &loaded.profile,
        storage.as_ref(),
        config,
        mount.as_ref(),
        &defaults.writable,
        day2.tls.is_some(),
        errs,
    );
    mount
}

/// Production defaults: security contexts, writable paths, derived limits, affinity,
/// topology spread and the NetworkPolicy (see [`security::defaults`]); raw containers get
/// the container defaults and derived limits too, and so do the day-2 features' containers
/// (built here, after the defaults they need).
#[allow(clippy::too_many_arguments)]
fn production_defaults(
    p: &Profile,
    vars: &TemplateVars,
    selector: &IndexMap<String, String>,
    ports: &[ModelPort],
    storage: &Option<ModelStorage>,
    config: &config::Config,
    volume_names: &std::collections::BTreeSet<String>,
    services: &ModelServices,
    raw: &mut raw::Raw,
    resources: &mut ModelResources,
    errs: &mut Errors,
) -> (security::Defaults, features::Day2) {
    let defaults = security::defaults(
        p,
        ports,
        storage,
        config.config.as_ref().map(|c| c.mount_path.as_str()),
        volume_names,
        raw.pod_template.as_ref(),
        // A NodePort or LoadBalancer Service brings clients from outside the cluster.
        services.any_external(),
        errs,
    );
    let derive = p.default_limits.unwrap_or(true);
    if derive {
        resources::derive_limits(&resources.requests, &mut resources.limits);
    }
    for list in [&mut raw.init_containers, &mut raw.sidecars] {
        for c in list.iter_mut() {
            security::apply_container_defaults(c, &defaults, derive);
        }
    }
    let day2 = features::build(p, vars, ports, selector, services, &defaults, raw, errs);
    (defaults, day2)
}

/// Helpers for the concern modules' unit tests: a small valid profile plus an edit.
#[cfg(test)]
mod testing {
    use super::errors::Errors;
    use crate::profile::Loaded;

    /// A valid profile; tests append keys it does not set.
    pub(super) const BASE: &str = "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: db:1\n";

    /// [`BASE`] plus `extra` (which may set ports, storage, replicas, ...), loaded.
    pub(super) fn load(extra: &str) -> Loaded {
        let text = format!("{BASE}{extra}");
        crate::profile::load_bytes("t.yaml", text.as_bytes(), std::path::Path::new("."))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// Text variables of an app `db` (headless Service `db`, image `db:1`) with `replicas`
    /// and, optionally, a namespace.
    pub(super) fn vars<'a>(
        sets: &'a indexmap::IndexMap<String, crate::profile::SetSummary>,
        namespace: Option<&'a str>,
        replicas: u32,
    ) -> super::TemplateVars<'a> {
        super::TemplateVars {
            name: "db",
            namespace,
            headless: "db",
            replicas,
            cluster_domain: "cluster.local",
            cluster: "db",
            sets,
            secret_name: "db",
            image: "db:1",
            claim_name: "data",
            budget: Box::leak(Box::default()),
            in_name: false,
            ports: &[],
            compiled: Default::default(),
        }
    }

    /// `path: message` of every error collected.
    pub(super) fn messages(errs: &Errors) -> Vec<String> {
        errs.list
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::load;
    use super::*;

    #[test]
    fn build_returns_side_results_beside_the_model() {
        let loaded = load("storage: {size: 1Gi}\nreplicas: 2\nupdateStrategy: {maxUnavailable: 1}\nexternal: {secrets: [tls]}\nsecret: {existing: creds}\n");
        let built = build(&loaded, &Options::default()).unwrap();
        assert_eq!(built.external.secrets, ["tls", "creds"]);
        assert_eq!(built.warnings.len(), 1);
        assert!(
            built.warnings[0].contains("updateStrategy.maxUnavailable"),
            "{:?}",
            built.warnings
        );
        // The model itself carries neither.
        let json = serde_json::to_value(&built.model).unwrap();
        assert!(json.get("external").is_none() && json.get("warnings").is_none());
        assert_eq!(built.replicas, 2);
    }

    #[test]
    fn errors_of_every_concern_come_together() {
        // Port 0 is refused while loading now (one wording for every port out of range); a
        // bad port name is the ports concern's own.
        let loaded = load("ports: [{name: Db_1, port: 1}]\nenv: {A: {secret: nope}}\n");
        let errs = build(&loaded, &Options::default()).unwrap_err();
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["ports[0].name", "env.A.secret", ""]);
        assert!(errs[2]
            .message
            .starts_with("missing required key `storage`"));
    }

    #[test]
    fn kube_versions() {
        assert_eq!(parse_kube_version("v1.30.2"), Ok((1, 30)));
        assert!(parse_kube_version("1.24")
            .unwrap_err()
            .message
            .contains("supported versions are 1.25 to 1.37"));
        assert!(parse_kube_version("2.1").is_err());
    }
}
