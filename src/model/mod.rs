//! Model stage: a typed profile → a defaulted, validated [`Model`] that templates render.
//!
//! Every semantic rule of PROFILE.md is checked here, and all errors are collected (not just
//! the first), each located in the profile through its field path.

pub mod names;
pub mod roles;
pub mod secrets;

use std::collections::BTreeSet;

use base64::Engine;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::profile::de::join_key;
use crate::profile::types::*;
use crate::profile::{locate, LoadError, Loaded};

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
}

/// The Kubernetes version output targets unless `--kube-version` says otherwise.
pub const DEFAULT_KUBE_VERSION: (u32, u32) = (1, 33);
/// The versions `--kube-version` accepts (those the conformance schemas cover).
pub const KUBE_VERSIONS: std::ops::RangeInclusive<u32> = 25..=37;

/// Parses `1.33` (or `v1.33`, `1.33.2`) into (1, 33), within [`KUBE_VERSIONS`].
pub fn parse_kube_version(text: &str) -> Result<(u32, u32), String> {
    let t = text.trim_start_matches('v');
    let mut parts = t.split('.');
    let (Some(Ok(1)), Some(Ok(minor))) = (
        parts.next().map(str::parse::<u32>),
        parts.next().map(str::parse::<u32>),
    ) else {
        return Err(format!(
            "--kube-version `{text}`: expected a version like 1.33"
        ));
    };
    if !KUBE_VERSIONS.contains(&minor) {
        return Err(format!(
            "--kube-version `{text}`: supported versions are 1.{} to 1.{}",
            KUBE_VERSIONS.start(),
            KUBE_VERSIONS.end()
        ));
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
        }
    }
}

/// Everything the templates need, defaulted and validated. Serialized (camelCase) as the
/// template context `app`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub name: String,
    pub namespace: Option<String>,
    pub create_namespace: bool,
    /// Labels for objects every node set shares: the recommended labels plus the user's.
    pub labels: IndexMap<String, String>,
    /// Labels for this set's own objects and pods: `labels` plus the set's component.
    pub set_labels: IndexMap<String, String>,
    pub annotations: IndexMap<String, String>,
    /// The pod template's annotations: the profile's plus `checksum/config`, a hash of the
    /// ConfigMap data, so a config change rolls the pods and nothing else does.
    pub pod_annotations: IndexMap<String, String>,
    /// The pod selector: stable, never includes user labels.
    pub selector_labels: IndexMap<String, String>,
    pub image: String,
    pub image_pull_policy: &'static str,
    pub replicas: u32,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub ports: Vec<ModelPort>,
    pub env: Vec<ModelEnv>,
    pub resources: ModelResources,
    pub probes: IndexMap<&'static str, Json>,
    pub pod_management_policy: &'static str,
    pub update_strategy: Json,
    pub termination_grace_period_seconds: u32,
    pub service_account_name: String,
    pub storage: ModelStorage,
    pub persistent_volumes: Vec<ModelPv>,
    pub config: Option<ModelConfig>,
    pub role_init: Option<ModelRoleInit>,
    pub secret: ModelSecret,
    pub services: ModelServices,
    pub pdb: Option<Json>,
    /// Fields the target Kubernetes version supports (see `--kube-version`).
    pub features: ModelFeatures,
    /// With node sets: the Service over every set's pods.
    pub client_service: Option<ModelClientService>,
    pub init_containers: Vec<Json>,
    pub sidecars: Vec<Json>,
    pub volumes: Vec<Json>,
    /// Secrets and ConfigMaps managed outside sts-gen that references may use.
    #[serde(skip)]
    pub external: crate::check::External,
    /// Things that render but deserve a word on stderr.
    #[serde(skip)]
    pub warnings: Vec<String>,
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
}

/// An emptyDir volume at a path the image writes to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelWritable {
    pub name: String,
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
    pub client_ports: Vec<Json>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelFeatures {
    /// PodDisruptionBudget `unhealthyPodEvictionPolicy` (beta and on from 1.27).
    pub unhealthy_pod_eviction_policy: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelClientService {
    pub name: String,
    pub selector_labels: IndexMap<String, String>,
    pub ports: Vec<ModelPort>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelPort {
    pub name: String,
    pub port: u16,
    pub protocol: &'static str,
}

/// One environment variable; exactly one of the options is set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelEnv {
    pub name: String,
    pub value: Option<String>,
    pub secret_key: Option<String>,
    pub config_map_key: Option<String>,
    pub field_path: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelResources {
    pub requests: IndexMap<String, String>,
    pub limits: IndexMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelStorage {
    /// False for `storage: none` (an emptyDir).
    pub persistent: bool,
    pub claim_name: String,
    pub mount_path: String,
    pub sub_path: Option<String>,
    pub size: Option<String>,
    pub class_name: Option<String>,
    pub access_modes: Vec<AccessMode>,
    pub retention: Option<Json>,
    /// Set when local PVs are rendered: the StorageClass and its reclaim policy.
    pub local_class: Option<ModelLocalClass>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelLocalClass {
    pub name: String,
    pub reclaim_policy: RetainOrDelete,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPv {
    pub name: String,
    pub node: String,
    pub path: String,
    /// The claim this PV is pre-bound to (`bindToClaims`).
    pub claim: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelConfig {
    /// ConfigMap name.
    pub name: String,
    pub mount_path: String,
    /// ConfigMap data, in profile order: shared files, then role files.
    pub data: IndexMap<String, String>,
    /// Volume items mapping keys to paths (only with a role init container).
    pub items: Vec<Json>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelRoleInit {
    pub image: String,
    pub script: String,
    pub source_dir: &'static str,
}

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
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelServices {
    pub headless: ModelHeadless,
    pub read: Option<ModelReadService>,
    pub primary: Option<ModelPrimaryService>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelHeadless {
    pub name: String,
    pub publish_not_ready_addresses: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelReadService {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPrimaryService {
    pub name: String,
    /// The one pod of the first role, selected by the label the StatefulSet controller sets.
    pub pod_name: String,
}

/// Downward-API field paths Kubernetes accepts in `env[].valueFrom.fieldRef`.
const FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// The pod-template annotation holding the hash of the ConfigMap data.
pub const CHECKSUM_ANNOTATION: &str = "checksum/config";

/// Labels sts-gen sets on every object; selectors rely on them.
const RESERVED_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
];

/// Names of volumes the renderer itself adds to the pod.
pub const CONFIG_VOLUME: &str = "config";
pub const CONFIG_SOURCE_VOLUME: &str = "config-source";

/// Collects errors with field paths; located against the profile tree at the end.
struct Errors<'a> {
    loaded: &'a Loaded,
    list: Vec<LoadError>,
}

impl Errors<'_> {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        let node = locate(&self.loaded.tree, path);
        self.list
            .push(LoadError::new(node.loc.clone(), message).with_path(path));
    }

    fn check(&mut self, path: &str, r: Result<(), String>) {
        if let Err(e) = r {
            self.push(path, e);
        }
    }
}

/// Builds the model, or every semantic error found.
pub fn build(loaded: &Loaded, opts: &Options) -> Result<Model, Vec<LoadError>> {
    let p = &loaded.profile;
    let mut errs = Errors {
        loaded,
        list: Vec::new(),
    };
    let mut warnings: Vec<String> = Vec::new();

    errs.check(
        "name",
        names::dns_label(&p.name, 52).map_err(|e| format!("`{}` {e}", p.name)),
    );
    let namespace = opts
        .namespace
        .clone()
        .or_else(|| p.namespace.clone())
        .or_else(|| opts.default_namespace.clone());
    if let Some(ns) = &namespace {
        let path = if opts.namespace.is_some() {
            ""
        } else {
            "namespace"
        };
        if let Err(e) = names::dns_label(ns, 63) {
            errs.push(path, format!("namespace `{ns}` {e}"));
        }
    }
    for (k, v) in &p.labels {
        let path = join_key("labels", k);
        errs.check(&path, names::qualified_name(k));
        errs.check(
            &path,
            names::label_value(v).map_err(|e| format!("label `{k}` value {e}")),
        );
        if RESERVED_LABELS.contains(&k.as_str()) {
            errs.push(
                &path,
                format!("label `{k}` is set by sts-gen (selectors rely on it); choose another key"),
            );
        }
    }
    for k in p.annotations.keys() {
        errs.check(&join_key("annotations", k), names::qualified_name(k));
    }

    let image = match &p.image {
        Some(i) if !i.trim().is_empty() && !i.chars().any(char::is_whitespace) => i.clone(),
        Some(_) => {
            errs.push(
                "image",
                "the image reference must be non-empty and without spaces",
            );
            String::new()
        }
        None => {
            errs.push("", "missing required key `image`");
            String::new()
        }
    };
    let replicas = p.replicas.unwrap_or(1);
    if replicas > MAX_REPLICAS {
        errs.push(
            "replicas",
            format!("{replicas} replicas is more than the supported maximum of {MAX_REPLICAS}"),
        );
    }

    // Ports.
    let mut port_names = BTreeSet::new();
    let mut ports = Vec::new();
    for (i, port) in p.ports.iter().enumerate() {
        let path = format!("ports[{i}]");
        errs.check(&format!("{path}.name"), names::port_name(&port.name));
        if !port_names.insert(port.name.clone()) {
            errs.push(
                &format!("{path}.name"),
                format!("port name `{}` is used twice", port.name),
            );
        }
        if port.port == 0 {
            errs.push(&format!("{path}.port"), "port must be in 1..65535");
        }
        ports.push(ModelPort {
            name: port.name.clone(),
            port: port.port,
            protocol: match port.protocol.unwrap_or(Protocol::TCP) {
                Protocol::TCP => "TCP",
                Protocol::UDP => "UDP",
                Protocol::SCTP => "SCTP",
            },
        });
    }

    let set = loaded.set.as_ref();
    // The application name: the profile's name, shared by every node set.
    let cluster = set.map_or(p.name.as_str(), |s| s.cluster.as_str());
    let sets: IndexMap<String, crate::profile::SetSummary> = set
        .map(|s| s.sets.iter().map(|x| (x.set.clone(), x.clone())).collect())
        .unwrap_or_default();
    // The Secret references use: `existing`, `name`, or the profile's name.
    let secret_ref_name = p
        .secret
        .as_ref()
        .and_then(|s| s.existing.clone().or_else(|| s.name.clone()))
        .unwrap_or_else(|| cluster.to_string());
    // Names may use {{ name }} and {{ cluster }} too, so a preset's Services follow the
    // user's name (`{{ name }}-rw`).
    let name_vars = TemplateVars {
        name: &p.name,
        namespace: None,
        headless: &p.name,
        replicas,
        cluster_domain: &opts.cluster_domain,
        cluster,
        sets: &sets,
        secret_name: &secret_ref_name,
        image: &image,
        compiled: Default::default(),
    };
    let expand_name = |path: &str, text: &str, errs: &mut Errors| match name_vars.expand(text) {
        Ok(t) => t,
        Err(e) => {
            errs.push(path, e);
            text.to_string()
        }
    };
    let headless_name = match p
        .services
        .as_ref()
        .and_then(|s| s.headless.as_ref())
        .and_then(|h| h.name.clone())
    {
        Some(n) => expand_name("services.headless.name", &n, &mut errs),
        None => p.name.clone(),
    };

    // Values profile text may use as {{ name }}, {{ namespace }}, ...
    let vars = TemplateVars {
        name: &p.name,
        namespace: namespace.as_deref(),
        headless: &headless_name,
        replicas,
        cluster_domain: &opts.cluster_domain,
        cluster,
        sets: &sets,
        secret_name: &secret_ref_name,
        image: &image,
        compiled: Default::default(),
    };

    // Config files and roles.
    let config_spec = p.config.clone().unwrap_or_default();
    let mut data: IndexMap<String, String> = IndexMap::new();
    let mut shared_files = Vec::new();
    for (file, content) in &config_spec.files {
        let path = join_key("config.files", file);
        errs.check(&path, names::config_key(file));
        reserved_file(&mut errs, &path, file);
        match vars.expand(content) {
            Ok(text) => {
                data.insert(file.clone(), text);
            }
            Err(e) => errs.push(&path, e),
        }
        shared_files.push(file.clone());
    }
    let mut parsed_roles = Vec::new();
    let mut role_names = BTreeSet::new();
    for (i, role) in p.roles.iter().enumerate() {
        let path = format!("roles[{i}]");
        errs.check(
            &format!("{path}.name"),
            names::dns_label(&role.name, 63).map_err(|e| format!("role name `{}` {e}", role.name)),
        );
        if !role_names.insert(role.name.clone()) {
            errs.push(
                &format!("{path}.name"),
                format!("role `{}` is defined twice", role.name),
            );
        }
        match roles::parse_ordinals(&role.ordinals) {
            Ok(r) => parsed_roles.push((role.name.as_str(), r)),
            Err(e) => errs.push(&format!("{path}.ordinals"), e),
        }
        for (file, content) in &role.files {
            let fpath = join_key(&format!("{path}.files"), file);
            errs.check(&fpath, names::config_key(file));
            reserved_file(&mut errs, &fpath, file);
            if config_spec.files.contains_key(file) {
                errs.push(
                    &fpath,
                    format!("`{file}` is also a shared file in config.files; the role's copy would silently replace it, so rename one of them"),
                );
            }
            let key = role_key(&role.name, file);
            if data.contains_key(&key) {
                errs.push(
                    &fpath,
                    format!("ConfigMap key `{key}` is used twice; rename the file"),
                );
            }
            match vars.expand(content) {
                Ok(text) => {
                    data.insert(key, text);
                }
                Err(e) => errs.push(&fpath, e),
            }
        }
    }
    if parsed_roles.len() == p.roles.len() && !p.roles.is_empty() {
        if let Err((i, e)) = roles::check_cover(&parsed_roles) {
            errs.push(&format!("roles[{i}].ordinals"), e);
        }
    }

    let user_script = match p.role_init.as_ref().and_then(|r| r.script.as_deref()) {
        Some(s) => match vars.expand(s) {
            Ok(t) => Some(t),
            Err(e) => {
                errs.push("roleInit.script", e);
                None
            }
        },
        None => None,
    };
    let mount_path = config_spec
        .mount_path
        .clone()
        .unwrap_or_else(|| format!("/etc/{}", p.name));
    if config_spec.mount_path.is_some() {
        errs.check("config.mountPath", names::abs_path(&mount_path));
    }
    let needs_init = !p.roles.is_empty() || user_script.is_some();
    if p.role_init.as_ref().is_some_and(|r| r.image.is_some()) && !needs_init {
        errs.push("roleInit.image", "roleInit.image is set but there are no roles and no roleInit.script, so no role init container runs");
    }
    let role_init = needs_init.then(|| {
        let shared: Vec<(String, &str)> = shared_files
            .iter()
            .map(|f| (format!("shared/{f}"), f.as_str()))
            .collect();
        let shell_roles: Vec<roles::ShellRole> = p
            .roles
            .iter()
            .zip(parsed_roles.iter())
            .map(|(role, (_, ranges))| roles::ShellRole {
                name: &role.name,
                ranges,
                files: role
                    .files
                    .keys()
                    .map(|f| (format!("roles/{}/{f}", role.name), f.as_str()))
                    .collect(),
            })
            .collect();
        ModelRoleInit {
            image: p
                .role_init
                .as_ref()
                .and_then(|r| r.image.clone())
                .unwrap_or_else(|| image.clone()),
            script: roles::init_script(&shared, &shell_roles, user_script.as_deref()),
            source_dir: roles::SOURCE_DIR,
        }
    });
    let config = (!data.is_empty() || needs_init).then(|| {
        let mut items = Vec::new();
        if needs_init {
            for f in &shared_files {
                items.push(json!({"key": f, "path": format!("shared/{f}")}));
            }
            for role in &p.roles {
                for f in role.files.keys() {
                    items.push(json!({"key": role_key(&role.name, f), "path": format!("roles/{}/{f}", role.name)}));
                }
            }
        }
        ModelConfig {
            name: p.name.clone(),
            mount_path: mount_path.clone(),
            data: data.clone(),
            items,
        }
    });

    // Secret.
    let secret_spec = p.secret.clone().unwrap_or_default();
    let mut secret_data = IndexMap::new();
    if let Some(existing) = &secret_spec.existing {
        errs.check(
            "secret.existing",
            names::dns_subdomain(existing).map_err(|e| format!("`{existing}` {e}")),
        );
        if !secret_spec.data.is_empty() {
            errs.push("secret.data", "secret.data and secret.existing exclude each other: with `existing` no Secret is rendered");
        }
        if secret_spec.name.is_some() {
            errs.push(
                "secret.name",
                "secret.name and secret.existing exclude each other",
            );
        }
    }
    let rendered_secret_name = secret_spec
        .name
        .clone()
        .unwrap_or_else(|| cluster.to_string());
    for (key, source) in &secret_spec.data {
        let path = join_key("secret.data", key);
        errs.check(&path, names::config_key(key));
        if let SecretSource::Generate(len) = source {
            if *len == 0 || *len > secrets::MAX_LENGTH {
                errs.push(
                    &path,
                    format!("generate takes a length from 1 to {}", secrets::MAX_LENGTH),
                );
                continue;
            }
            let previous = opts
                .previous_secrets
                .get(&rendered_secret_name)
                .and_then(|d| d.get(key));
            let value = match (previous, &opts.secret_seed) {
                (Some(b64), _) => Some(b64.clone()),
                (None, Some(seed)) => Some(base64::engine::general_purpose::STANDARD.encode(
                    secrets::derive(
                        seed,
                        namespace.as_deref().unwrap_or(""),
                        &rendered_secret_name,
                        key,
                        *len as usize,
                    ),
                )),
                (None, None) if opts.allow_random_secrets => Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(secrets::random(*len as usize)),
                ),
                (None, None) => None,
            };
            match value {
                Some(v) => {
                    secret_data.insert(key.clone(), v);
                }
                None => errs.push(&path, "a generated value must be the same on every render: render into a directory (--output-dir keeps and reuses it), or give a seed (--secret-seed-file, STS_GEN_SECRET_SEED_FILE or STS_GEN_SECRET_SEED) so every machine derives the same value"),
            }
            continue;
        }
        match read_secret(source, loaded) {
            Ok(bytes) => {
                secret_data.insert(
                    key.clone(),
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                );
            }
            Err(e) => errs.push(&path, e),
        }
    }
    let external_secret = secret_spec.external.as_ref().map(|x| {
        if !secret_spec.data.is_empty() || secret_spec.existing.is_some() {
            errs.push("secret.external", "secret.external replaces secret.data and secret.existing: the keys come from external.keys");
        }
        errs.check("secret.external.store.name", names::dns_subdomain(&x.store.name).map_err(|e| format!("`{}` {e}", x.store.name)));
        if x.keys.is_empty() {
            errs.push("secret.external.keys", "list at least one key: `keys: {password: path/in/store}`");
        }
        for k in x.keys.keys() {
            errs.check(&join_key("secret.external.keys", k), names::config_key(k));
        }
        let mut spec = serde_json::Map::new();
        if let Some(r) = &x.refresh_interval {
            spec.insert("refreshInterval".into(), json!(r));
        }
        spec.insert("secretStoreRef".into(), json!({
            "name": x.store.name,
            "kind": if x.store.kind == Some(StoreKind::ClusterSecretStore) { "ClusterSecretStore" } else { "SecretStore" },
        }));
        spec.insert("data".into(), Json::Array(x.keys.iter().map(|(k, r)| json!({"secretKey": k, "remoteRef": r})).collect()));
        Json::Object(spec)
    });
    let secret_name = secret_spec.existing.clone().or_else(|| {
        (!secret_spec.data.is_empty() || secret_spec.external.is_some()).then(|| {
            secret_spec
                .name
                .clone()
                .unwrap_or_else(|| cluster.to_string())
        })
    });
    if let Some(n) = &secret_spec.name {
        errs.check(
            "secret.name",
            names::dns_subdomain(n).map_err(|e| format!("`{n}` {e}")),
        );
    }

    // Environment.
    let mut env = Vec::new();
    for (name, value) in &p.env {
        let path = join_key("env", name);
        errs.check(&path, names::env_name(name));
        let mut e = ModelEnv {
            name: name.clone(),
            value: None,
            secret_key: None,
            config_map_key: None,
            field_path: None,
        };
        match value {
            EnvValue::Literal(v) => match vars.expand(v) {
                Ok(t) => e.value = Some(t),
                Err(msg) => errs.push(&path, msg),
            },
            EnvValue::Secret(key) => {
                if secret_spec.existing.is_none()
                    && !secret_data.contains_key(key)
                    && !secret_spec.data.contains_key(key)
                    && !secret_spec
                        .external
                        .as_ref()
                        .is_some_and(|x| x.keys.contains_key(key))
                {
                    let known: Vec<&str> = secret_spec
                        .data
                        .keys()
                        .chain(secret_spec.external.iter().flat_map(|x| x.keys.keys()))
                        .map(String::as_str)
                        .collect();
                    let hint = match crate::profile::error::did_you_mean(key, &known) {
                        Some(k) => format!("; did you mean `{k}`?"),
                        None if known.is_empty() => {
                            "; add it under secret.data or set secret.existing".into()
                        }
                        None => format!("; keys are: {}", known.join(", ")),
                    };
                    errs.push(
                        &format!("{path}.secret"),
                        format!("`{key}` is not a key of the Secret{hint}"),
                    );
                }
                e.secret_key = Some(key.clone());
            }
            EnvValue::ConfigMap(key) => {
                if !config_spec.files.contains_key(key) {
                    let known: Vec<&str> = config_spec.files.keys().map(String::as_str).collect();
                    let hint = match crate::profile::error::did_you_mean(key, &known) {
                        Some(k) => format!("; did you mean `{k}`?"),
                        None if known.is_empty() => "; config.files is empty".into(),
                        None => format!("; keys are: {}", known.join(", ")),
                    };
                    errs.push(
                        &format!("{path}.configMap"),
                        format!("`{key}` is not a key of the ConfigMap (config.files){hint}"),
                    );
                }
                e.config_map_key = Some(key.clone());
            }
            EnvValue::Field(f) => {
                let ok = FIELD_PATHS.contains(&f.as_str())
                    || ["metadata.labels['", "metadata.annotations['"]
                        .iter()
                        .any(|pre| f.starts_with(pre) && f.ends_with("']"));
                if !ok {
                    errs.push(
                        &format!("{path}.field"),
                        format!(
                            "`{f}` is not a downward-API field; use one of {}",
                            FIELD_PATHS.join(", ")
                        ),
                    );
                }
                e.field_path = Some(f.clone());
            }
        }
        env.push(e);
    }

    // Resources.
    let resources = match &p.resources {
        Some(r) => {
            for (section, map) in [("requests", &r.requests), ("limits", &r.limits)] {
                for (k, v) in map {
                    let path = join_key(&format!("resources.{section}"), k);
                    if let Err(e) = names::quantity(v) {
                        errs.push(&path, e);
                    }
                    if !["cpu", "memory", "ephemeral-storage"].contains(&k.as_str())
                        && !k.contains('/')
                    {
                        errs.push(&path, format!("unknown resource `{k}`; use cpu, memory, ephemeral-storage or a vendor/resource name"));
                    }
                }
            }
            for (k, req) in &r.requests {
                if let (Some(lim), Ok(a)) = (r.limits.get(k), names::quantity(req)) {
                    if names::quantity(lim).is_ok_and(|b| a > b) {
                        errs.push(
                            &join_key("resources.requests", k),
                            format!("request {req} is above the limit {lim}"),
                        );
                    }
                }
            }
            ModelResources {
                requests: r.requests.clone(),
                limits: r.limits.clone(),
            }
        }
        None => ModelResources {
            requests: IndexMap::from([
                ("cpu".into(), "100m".into()),
                ("memory".into(), "256Mi".into()),
            ]),
            limits: IndexMap::from([("memory".into(), "256Mi".into())]),
        },
    };

    // Probes.
    let mut probes = IndexMap::new();
    match &p.probes {
        Some(spec) => {
            for (kind, probe) in [
                ("readiness", &spec.readiness),
                ("liveness", &spec.liveness),
                ("startup", &spec.startup),
            ] {
                if let Some(probe) = probe {
                    if let Some(j) =
                        probe_json(probe, &format!("probes.{kind}"), &port_names, &mut errs)
                    {
                        probes.insert(kind, j);
                    }
                }
            }
        }
        None => {
            if let Some(first) = ports.first() {
                probes.insert(
                    "readiness",
                    json!({"tcpSocket": {"port": first.name}, "periodSeconds": 10}),
                );
                probes.insert("liveness", json!({"tcpSocket": {"port": first.name}, "initialDelaySeconds": 30, "periodSeconds": 20}));
            }
        }
    }

    // Update strategy.
    let update_strategy = match &p.update_strategy {
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
                if *mu == IntOrPercent::Int(0) {
                    errs.push(
                        "updateStrategy.maxUnavailable",
                        "maxUnavailable must be at least 1",
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
    };

    // Storage.
    let storage = match &p.storage {
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
            Some(storage_model(s, &mut errs))
        }
    };
    let mut persistent_volumes = Vec::new();
    if let (Some(StorageSpec::Persistent(s)), Some(st)) = (&p.storage, &storage) {
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
                    names::dns_subdomain(n).map_err(|e| format!("node `{n}` {e}")),
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
                    let pv_name = match &namespace {
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
            }
        }
    }

    // Services.
    let services_spec = p.services.clone().unwrap_or_default();
    // Names derived from an invalid `name` would repeat its error at places the user never
    // wrote; check them only once `name` is valid.
    let name_ok = names::dns_label(&p.name, 52).is_ok();
    let errs_names = |errs: &mut Errors, path: &str, r: Result<(), String>| {
        if name_ok {
            errs.check(path, r);
        }
    };
    errs_names(
        &mut errs,
        "services.headless.name",
        names::dns_label(&headless_name, 63).map_err(|e| format!("`{headless_name}` {e}")),
    );
    let read = match &services_spec.read {
        Some(Toggle::Off) => None,
        Some(Toggle::On(r)) => Some(ModelReadService {
            name: match &r.name {
                Some(n) => expand_name("services.read.name", n, &mut errs),
                None => format!("{}-read", p.name),
            },
            kind: match r.kind.unwrap_or(ServiceType::ClusterIP) {
                ServiceType::ClusterIP => "ClusterIP",
                ServiceType::NodePort => "NodePort",
                ServiceType::LoadBalancer => "LoadBalancer",
            },
        }),
        None if p.ports.is_empty() => None,
        None => Some(ModelReadService {
            name: format!("{}-read", p.name),
            kind: "ClusterIP",
        }),
    };
    if let Some(r) = &read {
        errs_names(
            &mut errs,
            "services.read.name",
            names::dns_label(&r.name, 63).map_err(|e| format!("`{}` {e}", r.name)),
        );
        if r.name == headless_name {
            errs.push(
                "services.read.name",
                "the read Service needs a name other than the headless Service's",
            );
        }
    }
    let primary = match &services_spec.primary {
        None => None,
        Some(pr) => {
            let name = pr
                .name
                .clone()
                .map(|n| expand_name("services.primary.name", &n, &mut errs))
                .unwrap_or_else(|| format!("{}-primary", p.name));
            errs_names(
                &mut errs,
                "services.primary.name",
                names::dns_label(&name, 63).map_err(|e| format!("`{name}` {e}")),
            );
            match parsed_roles.first() {
                Some((_, ranges))
                    if ranges.len() == 1 && ranges[0].end == Some(ranges[0].start) =>
                {
                    Some(ModelPrimaryService {
                        name,
                        pod_name: format!("{}-{}", p.name, ranges[0].start),
                    })
                }
                Some((role, _)) => {
                    errs.push("services.primary", format!("the primary Service selects the pod of the first role, but role `{role}` has more than one ordinal; a Service selector cannot pick several ordinals"));
                    None
                }
                None => {
                    errs.push(
                        "services.primary",
                        "the primary Service selects the pods of the first role: define `roles`",
                    );
                    None
                }
            }
        }
    };
    // Without ports only the headless Service (which needs none) is rendered.
    if ports.is_empty() {
        if matches!(services_spec.read, Some(Toggle::On(_))) {
            errs.push("services.read", "the read Service needs ports: declare `ports` (e.g. `[{name: app, port: 8080}]`) or omit it");
        }
        if services_spec.primary.is_some() {
            errs.push("services.primary", "the primary Service needs ports: declare `ports` (e.g. `[{name: app, port: 8080}]`) or omit it");
        }
    }

    // PodDisruptionBudget.
    let pdb = match &p.pdb {
        Some(Toggle::Off) => None,
        Some(Toggle::On(s)) => pdb_json(s, &mut errs),
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

    // Raw Kubernetes objects from the profile: checked against their types now, so a typo
    // is reported at its place in the profile.
    let mut container_names: BTreeSet<String> =
        BTreeSet::from([p.name.clone(), "role-init".to_string()]);
    for (list, field) in [
        (&p.init_containers, "initContainers"),
        (&p.sidecars, "sidecars"),
    ] {
        for (i, c) in list.iter().enumerate() {
            let path = format!("{field}[{i}]");
            check_k8s::<k8s_openapi::api::core::v1::Container>(
                locate(&loaded.tree, &path),
                &path,
                &mut errs,
            );
            match c.get("name").and_then(Json::as_str) {
                Some(n) if !container_names.insert(n.to_string()) => errs.push(
                    &format!("{path}.name"),
                    format!("container name `{n}` is already used"),
                ),
                Some(n) => errs.check(
                    &format!("{path}.name"),
                    names::dns_label(n, 63).map_err(|e| format!("container name `{n}` {e}")),
                ),
                None => errs.push(&path, "missing required key `name`"),
            }
        }
    }
    let mut volume_names: BTreeSet<String> = BTreeSet::from([
        st_claim(&storage),
        CONFIG_VOLUME.into(),
        CONFIG_SOURCE_VOLUME.into(),
    ]);
    for (i, v) in p.volumes.iter().enumerate() {
        let path = format!("volumes[{i}]");
        check_k8s::<k8s_openapi::api::core::v1::Volume>(
            locate(&loaded.tree, &path),
            &path,
            &mut errs,
        );
        if v.get("name")
            .and_then(Json::as_str)
            .is_none_or(str::is_empty)
        {
            errs.push(&path, "missing required key `name`");
        }
        if let Some(n) = v.get("name").and_then(Json::as_str) {
            if !volume_names.insert(n.to_string()) {
                errs.push(&format!("{path}.name"), format!("volume name `{n}` is already used (`{}` and `{CONFIG_VOLUME}` are reserved)", st_claim(&storage)));
            }
        }
    }
    if p.pod_template.is_some() {
        // PodSpec requires `containers`; the partial spec merged last may omit it.
        let mut node = locate(&loaded.tree, "podTemplate").clone();
        if let crate::profile::node::Value::Map(entries) = &mut node.value {
            if !entries.iter().any(|(k, _)| k.name == "containers") {
                let loc = node.loc.clone();
                entries.push((
                    crate::profile::node::Key {
                        name: "containers".into(),
                        loc: loc.clone(),
                    },
                    crate::profile::Node {
                        value: crate::profile::node::Value::Seq(vec![]),
                        loc,
                    },
                ));
            }
        }
        check_k8s::<k8s_openapi::api::core::v1::PodSpec>(&node, "podTemplate", &mut errs);
    }

    // Strings in raw containers and podTemplate may use the text variables too (a preset's sidecar needs
    // the peer names of whatever the user calls the app).
    let mut init_containers = p.init_containers.clone();
    let mut sidecars = p.sidecars.clone();
    for (list, field) in [
        (&mut init_containers, "initContainers"),
        (&mut sidecars, "sidecars"),
    ] {
        for (i, c) in list.iter_mut().enumerate() {
            expand_strings(c, &format!("{field}[{i}]"), &vars, &mut errs);
        }
    }
    if let Some(e) = &p.external {
        for (field, list) in [("secrets", &e.secrets), ("configMaps", &e.config_maps)] {
            for (i, n) in list.iter().enumerate() {
                errs.check(
                    &format!("external.{field}[{i}]"),
                    names::dns_subdomain(n).map_err(|e| format!("`{n}` {e}")),
                );
            }
        }
    }
    let mut volumes = p.volumes.clone();
    for (i, v) in volumes.iter_mut().enumerate() {
        expand_strings(v, &format!("volumes[{i}]"), &vars, &mut errs);
    }
    let mut pod_template = p.pod_template.clone().map(Json::Object);
    if let Some(pt) = &mut pod_template {
        expand_strings(pt, "podTemplate", &vars, &mut errs);
    }

    // Production defaults: security contexts, writable paths, derived limits, affinity,
    // topology spread and the NetworkPolicy (see security_defaults).
    let defaults = security_defaults(
        p,
        &ports,
        &storage,
        config.as_ref().map(|c| c.mount_path.as_str()),
        &volume_names,
        pod_template.as_ref(),
        // A NodePort or LoadBalancer Service brings clients from outside the cluster.
        read.as_ref().is_some_and(|r| r.kind != "ClusterIP"),
        &mut errs,
    );
    let derive = p.default_limits.unwrap_or(true);
    let mut resources = resources;
    if derive {
        derive_limits(&resources.requests, &mut resources.limits);
    }
    for list in [&mut init_containers, &mut sidecars] {
        for c in list.iter_mut() {
            apply_container_defaults(c, &defaults, derive);
        }
    }
    for (rule, reason) in &p.lint_ignore {
        let path = join_key("lintIgnore", rule);
        if !crate::lint::RULES.iter().any(|r| r.id == rule) {
            let known: Vec<&str> = crate::lint::RULES.iter().map(|r| r.id).collect();
            let hint = match crate::profile::error::did_you_mean(rule, &known) {
                Some(k) => format!("; did you mean `{k}`?"),
                None => "; `sts-gen lint --rules` lists them".into(),
            };
            errs.push(&path, format!("`{rule}` is not a lint rule{hint}"));
        }
        if reason.trim().is_empty() {
            errs.push(
                &path,
                "give the reason the rule does not apply (it is required)",
            );
        }
    }

    if !errs.list.is_empty() {
        return Err(errs.list);
    }
    let storage = storage.expect("storage errors were reported above");

    let mut labels = IndexMap::new();
    labels.insert("app.kubernetes.io/name".to_string(), cluster.to_string());
    labels.insert(
        "app.kubernetes.io/managed-by".to_string(),
        "sts-gen".to_string(),
    );
    let mut selector_labels =
        IndexMap::from([("app.kubernetes.io/name".to_string(), cluster.to_string())]);
    if let Some(s) = set {
        selector_labels.insert("app.kubernetes.io/component".to_string(), s.set.clone());
    }
    // The client Service of a profile with node sets: every pod of every set.
    let client_service = set.map(|s| ModelClientService {
        name: s.cluster.clone(),
        selector_labels: IndexMap::from([(
            "app.kubernetes.io/name".to_string(),
            s.cluster.clone(),
        )]),
        ports: ports
            .iter()
            .filter(|port| s.client_ports.contains(&port.name))
            .cloned()
            .collect(),
    });
    for (k, v) in &p.labels {
        if !labels.contains_key(k) {
            labels.insert(k.clone(), v.clone());
        }
    }
    let mut set_labels = labels.clone();
    if let Some(s) = set {
        set_labels.insert("app.kubernetes.io/component".to_string(), s.set.clone());
    }

    let external_objects = {
        let mut ext = crate::check::External::default();
        if let Some(e) = &p.external {
            ext.secrets = e.secrets.clone();
            ext.config_maps = e.config_maps.clone();
        }
        if let Some(existing) = &secret_spec.existing {
            ext.secrets.push(existing.clone());
        }
        // The External Secrets Operator creates this one.
        if let (Some(n), Some(_)) = (&secret_name, &secret_spec.external) {
            ext.secrets.push(n.clone());
        }
        ext
    };
    Ok(Model {
        name: p.name.clone(),
        namespace,
        create_namespace: p.create_namespace.unwrap_or(true),
        labels,
        set_labels,
        annotations: p.annotations.clone(),
        pod_annotations: {
            let mut a = p.annotations.clone();
            if let Some(c) = &config {
                let canonical = serde_json::to_string(&c.data).expect("strings serialize");
                let digest = sha2::Digest::finalize(sha2::Digest::chain_update(
                    <sha2::Sha256 as sha2::Digest>::new(),
                    canonical.as_bytes(),
                ));
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                a.insert(CHECKSUM_ANNOTATION.to_string(), hex);
            }
            a
        },
        selector_labels: selector_labels.clone(),
        image,
        image_pull_policy: match p.image_pull_policy.unwrap_or(PullPolicy::IfNotPresent) {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        },
        replicas,
        command: p.command.clone(),
        args: p.args.clone(),
        ports,
        env,
        resources,
        probes,
        pod_management_policy: match p
            .pod_management_policy
            .unwrap_or(PodManagementPolicy::OrderedReady)
        {
            PodManagementPolicy::OrderedReady => "OrderedReady",
            PodManagementPolicy::Parallel => "Parallel",
        },
        update_strategy,
        termination_grace_period_seconds: p.termination_grace_period_seconds.unwrap_or(30),
        service_account_name: cluster.to_string(),
        storage,
        persistent_volumes,
        config,
        role_init,
        secret: ModelSecret {
            render: secret_spec.existing.is_none() && !secret_data.is_empty(),
            external: external_secret,
            name: secret_name,
            data: secret_data,
        },
        services: ModelServices {
            headless: ModelHeadless {
                name: headless_name,
                publish_not_ready_addresses: services_spec
                    .headless
                    .as_ref()
                    .and_then(|h| h.publish_not_ready_addresses)
                    .unwrap_or(false),
            },
            read,
            primary,
        },
        pdb,
        features: ModelFeatures {
            unhealthy_pod_eviction_policy: opts.kube_version >= (1, 27),
        },
        client_service,
        init_containers,
        sidecars,
        volumes,
        external: external_objects,
        warnings,
        pod_template: match pod_template {
            Some(Json::Object(m)) => Some(m),
            _ => None,
        },
        pod_security_context: defaults.pod,
        container_security_context: defaults.container,
        writable_volumes: defaults.writable,
        affinity: affinity_json(p.affinity.unwrap_or(AffinityMode::Soft), &selector_labels),
        topology_spread_constraints: match p.topology_spread.unwrap_or(TopologySpread::None) {
            TopologySpread::None => vec![],
            TopologySpread::Zone => vec![json!({
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector_labels},
            })],
        },
        network_policy: defaults
            .network_policy
            .map(
                |(peer_ports, client_from, client_ports)| ModelNetworkPolicy {
                    peer_selector: IndexMap::from([(
                        "app.kubernetes.io/name".to_string(),
                        cluster.to_string(),
                    )]),
                    peer_ports,
                    client_from,
                    client_ports,
                },
            ),
    })
}

/// The uid, gid and fsGroup pods run as unless the profile says otherwise.
pub const DEFAULT_UID: i64 = 10001;

/// What [`security_defaults`] decided for the pod.
struct Defaults {
    pod: Option<Json>,
    container: Option<Json>,
    writable: Vec<ModelWritable>,
    /// Peer ports, client sources (None: any) and client ports of the NetworkPolicy.
    network_policy: Option<PolicyPorts>,
}

/// Peer ports, client sources (None: any) and client ports of the NetworkPolicy.
type PolicyPorts = (Vec<Json>, Option<Vec<Json>>, Vec<Json>);

/// The "restricted" security contexts, the writable emptyDirs and the NetworkPolicy ports.
#[allow(clippy::too_many_arguments)]
fn security_defaults(
    p: &Profile,
    ports: &[ModelPort],
    storage: &Option<ModelStorage>,
    config_mount: Option<&str>,
    volume_names: &BTreeSet<String>,
    pod_template: Option<&Json>,
    any_source: bool,
    errs: &mut Errors,
) -> Defaults {
    let (pod, container, writable) = match &p.security_context {
        Some(Toggle::Off) => (None, None, vec![]),
        other => {
            let s = match other {
                Some(Toggle::On(s)) => s.clone(),
                _ => SecuritySettings::default(),
            };
            let user = s.run_as_user.unwrap_or(DEFAULT_UID);
            if user == 0 {
                errs.push("securityContext.runAsUser", "0 is root, which the restricted Pod Security Standard forbids; for an image that must run as root write `securityContext: false`");
            }
            let group = s.run_as_group.unwrap_or(user);
            let fs_group = s.fs_group.unwrap_or(group);
            for (key, v) in [
                ("runAsUser", user),
                ("runAsGroup", group),
                ("fsGroup", fs_group),
            ] {
                if !(0..=i64::from(i32::MAX)).contains(&v) {
                    errs.push(
                        &format!("securityContext.{key}"),
                        format!("{v} is not an id from 0 to {}", i32::MAX),
                    );
                }
            }
            let mut pod = json!({
                "runAsNonRoot": true,
                "runAsUser": user,
                "runAsGroup": group,
                "fsGroup": fs_group,
                "fsGroupChangePolicy": "OnRootMismatch",
                "seccompProfile": {"type": "RuntimeDefault"},
            });
            // A non-root process cannot bind a port below 1024 unless the pod lowers this
            // (namespaced, "safe") sysctl; it is lowered only as far as the lowest port.
            if let Some(low) = ports.iter().map(|p| p.port).filter(|p| *p < 1024).min() {
                pod["sysctls"] = json!([{"name": "net.ipv4.ip_unprivileged_port_start", "value": low.to_string()}]);
            }
            let container = json!({
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "privileged": false,
                "readOnlyRootFilesystem": s.read_only_root_filesystem.unwrap_or(true),
            });
            let mut used: BTreeSet<String> = volume_names.clone();
            for v in pod_template
                .and_then(|t| t.get("volumes"))
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = v.get("name").and_then(Json::as_str) {
                    used.insert(n.to_string());
                }
            }
            let paths = s
                .writable_paths
                .clone()
                .unwrap_or_else(|| vec!["/tmp".to_string()]);
            let mut writable: Vec<ModelWritable> = Vec::new();
            for (i, path) in paths.iter().enumerate() {
                let at = format!("securityContext.writablePaths[{i}]");
                if let Err(e) = names::abs_path(path) {
                    errs.push(&at, e);
                    continue;
                }
                let norm = path.trim_end_matches('/');
                if norm.is_empty() {
                    errs.push(
                        &at,
                        "`/` cannot be a writable path; set readOnlyRootFilesystem: false instead",
                    );
                    continue;
                }
                if writable.iter().any(|w| w.path == norm) {
                    errs.push(&at, format!("`{norm}` is listed twice"));
                    continue;
                }
                let taken = [
                    storage.as_ref().map(|s| s.mount_path.trim_end_matches('/')),
                    config_mount.map(|c| c.trim_end_matches('/')),
                ];
                if taken.contains(&Some(norm)) {
                    errs.push(&at, format!("`{norm}` is already the storage or config mount path, which is writable"));
                    continue;
                }
                let name = writable_volume_name(norm, &used);
                used.insert(name.clone());
                writable.push(ModelWritable {
                    name,
                    path: norm.to_string(),
                });
            }
            (Some(pod), Some(container), writable)
        }
    };

    let network_policy = match &p.network_policy {
        Some(Toggle::Off) => None,
        other => {
            let s = match other {
                Some(Toggle::On(s)) => s.clone(),
                _ => NetworkPolicySettings::default(),
            };
            for (i, ns) in s.from.iter().enumerate() {
                errs.check(
                    &format!("networkPolicy.from[{i}]"),
                    names::dns_label(ns, 63).map_err(|e| format!("namespace `{ns}` {e}")),
                );
            }
            let port_json = |port: &Json, protocol: &Json| json!({"port": port, "protocol": if protocol.is_string() { protocol.clone() } else { json!("TCP") }});
            let client_ports: Vec<Json> = match &s.client_ports {
                None => ports
                    .iter()
                    .map(|p| port_json(&json!(p.port), &json!(p.protocol)))
                    .collect(),
                Some(list) => {
                    if list.is_empty() {
                        errs.push(
                            "networkPolicy.clientPorts",
                            "list at least one port name, or write `networkPolicy: false`",
                        );
                    }
                    let known: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
                    let mut out = Vec::new();
                    for (i, n) in list.iter().enumerate() {
                        match ports.iter().find(|p| &p.name == n) {
                            Some(port) => {
                                out.push(port_json(&json!(port.port), &json!(port.protocol)))
                            }
                            None => {
                                let hint = match crate::profile::error::did_you_mean(n, &known) {
                                    Some(k) => format!("; did you mean `{k}`?"),
                                    None => format!("; declared ports: {}", known.join(", ")),
                                };
                                errs.push(
                                    &format!("networkPolicy.clientPorts[{i}]"),
                                    format!("`{n}` is not one of the declared ports{hint}"),
                                );
                            }
                        }
                    }
                    out
                }
            };
            // Peers: every port of every container in the pod, raw ones included.
            let mut peer_ports: Vec<Json> = ports
                .iter()
                .map(|p| port_json(&json!(p.port), &json!(p.protocol)))
                .collect();
            let template_lists = ["initContainers", "containers"].map(|k| {
                pod_template
                    .and_then(|t| t.get(k))
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default()
            });
            for c in p
                .init_containers
                .iter()
                .chain(p.sidecars.iter())
                .chain(template_lists.iter().flatten())
            {
                for port in c
                    .get("ports")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(n) = port.get("containerPort").filter(|n| n.is_number()) {
                        let j = port_json(n, port.get("protocol").unwrap_or(&Json::Null));
                        if !peer_ports.contains(&j) {
                            peer_ports.push(j);
                        }
                    }
                }
            }
            let client_from = (!any_source).then(|| {
                let mut from = vec![json!({"podSelector": {}})];
                for ns in &s.from {
                    from.push(json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}));
                }
                from
            });
            Some((peer_ports, client_from, client_ports))
        }
    };
    Defaults {
        pod,
        container,
        writable,
        network_policy,
    }
}

/// `writable-<path as a DNS label>`, unique among `used`.
fn writable_volume_name(path: &str, used: &BTreeSet<String>) -> String {
    let mut base = String::from("writable");
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let clean: String = seg
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        base.push('-');
        base.push_str(&clean);
    }
    let mut base: String = base
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    base.truncate(56);
    let base = base.trim_end_matches('-').to_string();
    let mut name = base.clone();
    let mut i = 2;
    while used.contains(&name) {
        name = format!("{base}-{i}");
        i += 1;
    }
    name
}

/// The pod's anti-affinity on kubernetes.io/hostname.
fn affinity_json(mode: AffinityMode, selector: &IndexMap<String, String>) -> Option<Json> {
    let term = json!({"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": selector}});
    match mode {
        AffinityMode::None => None,
        AffinityMode::Soft => Some(json!({"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
        }})),
        AffinityMode::Hard => Some(json!({"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term]
        }})),
    }
}

/// Fills missing limits from the requests: memory = the memory request, CPU = four times the
/// CPU request but at least one core.
fn derive_limits(requests: &IndexMap<String, String>, limits: &mut IndexMap<String, String>) {
    if !limits.contains_key("memory") {
        if let Some(m) = requests.get("memory") {
            limits.insert("memory".into(), m.clone());
        }
    }
    if !limits.contains_key("cpu") {
        if let Some(c) = requests.get("cpu").and_then(|c| names::quantity(c).ok()) {
            limits.insert("cpu".into(), cpu_limit(c));
        }
    }
}

/// The derived CPU limit for a request of `cores`.
pub fn cpu_limit(cores: f64) -> String {
    let millis = ((cores * 4.0).max(1.0) * 1000.0).round() as u64;
    if millis % 1000 == 0 {
        format!("{}", millis / 1000)
    } else {
        format!("{millis}m")
    }
}

/// Gives a raw container (initContainers, sidecars) the pod's defaults: the container
/// securityContext under its own, a mount of every writable path it does not mount itself,
/// and derived limits.
fn apply_container_defaults(c: &mut Json, d: &Defaults, derive: bool) {
    let Some(obj) = c.as_object_mut() else {
        return;
    };
    if let Some(ctx) = &d.container {
        let mut merged = ctx.clone();
        if let Some(own) = obj.get("securityContext") {
            crate::render::merge(&mut merged, own);
        }
        obj.insert("securityContext".into(), merged);
    }
    if !d.writable.is_empty() {
        let mounts = obj
            .entry("volumeMounts")
            .or_insert_with(|| Json::Array(vec![]));
        if let Some(list) = mounts.as_array_mut() {
            for w in &d.writable {
                let mounted = list.iter().any(|m| {
                    m.get("mountPath")
                        .and_then(Json::as_str)
                        .map(|s| s.trim_end_matches('/'))
                        == Some(w.path.as_str())
                });
                if !mounted {
                    list.push(json!({"name": w.name, "mountPath": w.path}));
                }
            }
        }
    }
    if derive {
        let text = |v: &Json| match v {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let Some(res) = obj.get_mut("resources").and_then(Json::as_object_mut) else {
            return;
        };
        let requests: IndexMap<String, String> = res
            .get("requests")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        let mut limits: IndexMap<String, String> = res
            .get("limits")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        let before = limits.len();
        derive_limits(&requests, &mut limits);
        if limits.len() != before {
            let entry = res
                .entry("limits")
                .or_insert_with(|| Json::Object(Default::default()));
            if let Some(m) = entry.as_object_mut() {
                for (k, v) in limits {
                    m.entry(k).or_insert(Json::String(v));
                }
            }
        }
    }
}

fn st_claim(storage: &Option<ModelStorage>) -> String {
    storage
        .as_ref()
        .map(|s| s.claim_name.clone())
        .unwrap_or_else(|| "data".into())
}

/// The ConfigMap key holding a role's file.
fn role_key(role: &str, file: &str) -> String {
    format!("{role}--{file}")
}

fn reserved_file(errs: &mut Errors, path: &str, file: &str) {
    if file == roles::ORDINAL_FILE || file == roles::ROLE_FILE {
        errs.push(path, format!("`{file}` is reserved: the role init container writes the pod's ordinal and role there"));
    }
}

fn storage_model(s: &Storage, errs: &mut Errors) -> ModelStorage {
    match names::quantity(&s.size) {
        Ok(v) if v > 0.0 => {}
        Ok(_) => errs.push("storage.size", "storage size must be more than zero"),
        Err(e) => errs.push("storage.size", e),
    }
    let claim_name = s.claim_name.clone().unwrap_or_else(|| "data".into());
    errs.check(
        "storage.claimName",
        names::dns_label(&claim_name, 63).map_err(|e| format!("`{claim_name}` {e}")),
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
        (None, Some(_)) => Some("local-storage".to_string()),
        (None, None) => None,
    };
    if let Some(c) = &class_name {
        errs.check(
            "storage.className",
            names::dns_subdomain(c).map_err(|e| format!("`{c}` {e}")),
        );
    }
    let access_modes = s
        .access_modes
        .clone()
        .unwrap_or_else(|| vec![AccessMode::ReadWriteOnce]);
    if access_modes.is_empty() {
        errs.push("storage.accessModes", "list at least one access mode");
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

fn int_or_percent(v: &IntOrPercent) -> Json {
    match v {
        IntOrPercent::Int(i) => json!(i),
        IntOrPercent::Percent(p) => json!(p),
    }
}

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

fn probe_json(
    probe: &Probe,
    path: &str,
    ports: &BTreeSet<String>,
    errs: &mut Errors,
) -> Option<Json> {
    let handlers = [
        probe.exec.is_some(),
        probe.tcp.is_some(),
        probe.http.is_some(),
    ];
    if handlers.iter().filter(|h| **h).count() != 1 {
        errs.push(path, "a probe needs exactly one of `exec`, `tcp` or `http`");
        return None;
    }
    let port_ref = |r: &PortRef, at: &str, errs: &mut Errors| -> Json {
        match r {
            PortRef::Number(n) => json!(n),
            PortRef::Name(n) => {
                if !ports.contains(n) {
                    let known: Vec<&str> = ports.iter().map(String::as_str).collect();
                    let hint = match crate::profile::error::did_you_mean(n, &known) {
                        Some(k) => format!("; did you mean `{k}`?"),
                        None if known.is_empty() => "; `ports` is empty".to_string(),
                        None => format!("; declared ports: {}", known.join(", ")),
                    };
                    errs.push(at, format!("`{n}` is not one of the declared ports{hint}"));
                }
                json!(n)
            }
        }
    };
    let mut out = serde_json::Map::new();
    if let Some(cmd) = &probe.exec {
        if cmd.is_empty() {
            errs.push(&format!("{path}.exec"), "exec needs a command");
        }
        out.insert("exec".into(), json!({"command": cmd}));
    }
    if let Some(t) = &probe.tcp {
        out.insert(
            "tcpSocket".into(),
            json!({"port": port_ref(t, &format!("{path}.tcp"), errs)}),
        );
    }
    if let Some(h) = &probe.http {
        let mut get = serde_json::Map::new();
        if !h.path.starts_with('/') {
            errs.push(
                &format!("{path}.http.path"),
                "an HTTP probe path starts with `/`",
            );
        }
        get.insert("path".into(), json!(h.path));
        get.insert(
            "port".into(),
            port_ref(&h.port, &format!("{path}.http.port"), errs),
        );
        if let Some(s) = h.scheme {
            get.insert(
                "scheme".into(),
                json!(if s == HttpScheme::HTTPS {
                    "HTTPS"
                } else {
                    "HTTP"
                }),
            );
        }
        out.insert("httpGet".into(), Json::Object(get));
    }
    for (k, v) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        if let Some(v) = v {
            out.insert(k.into(), json!(v));
        }
    }
    Some(Json::Object(out))
}

/// Reads a secret value. Errors name the source (variable, file), never the value.
fn read_secret(source: &SecretSource, loaded: &Loaded) -> Result<Vec<u8>, String> {
    match source {
        SecretSource::Value(v) => Ok(v.clone().into_bytes()),
        SecretSource::Generate(_) => unreachable!("generated values are handled by the caller"),
        SecretSource::FromEnv(var) => match std::env::var_os(var) {
            Some(v) => Ok(v.into_encoded_bytes()),
            None => Err(format!(
                "environment variable `{var}` is not set (fromEnv reads it at render time)"
            )),
        },
        SecretSource::FromFile(f) => {
            let path = loaded.base_dir.join(f);
            std::fs::read(&path).map_err(|e| {
                format!(
                    "cannot read `{}`: {}",
                    path.display(),
                    crate::profile::io_reason(&e)
                )
            })
        }
    }
}

/// Deserializes a raw Kubernetes object from the profile into its k8s-openapi type and
/// reports any field the type does not know (it would be silently dropped otherwise).
///
/// The object is typed straight from the located profile tree, so a wrong type is reported
/// at its own line and field path.
fn check_k8s<T: serde::de::DeserializeOwned>(
    node: &crate::profile::Node,
    path: &str,
    errs: &mut Errors,
) {
    let mut unknown = Vec::new();
    let de = crate::profile::de::NodeDe {
        node,
        path: path.to_string(),
    };
    let result: Result<T, LoadError> =
        serde_ignored::deserialize(de, |p| unknown.push(ignored_path(path, &p.to_string())));
    match result {
        Err(mut e) => {
            if e.loc.is_none() {
                e.loc = Some(node.loc.clone());
            }
            if e.path.is_empty() {
                e.path = path.to_string();
            }
            errs.list.push(e);
        }
        Ok(_) => {
            for field in unknown {
                let key = field
                    .rsplit(['.', '['])
                    .next()
                    .unwrap_or(&field)
                    .to_string();
                let loc = crate::profile::locate_key(&errs.loaded.tree, &field);
                errs.list.push(
                    LoadError::new(
                        loc,
                        format!("unknown field `{key}` (Kubernetes would drop it)"),
                    )
                    .with_path(field),
                );
            }
        }
    }
}

/// Expands text variables in every string of a raw Kubernetes object.
fn expand_strings(value: &mut Json, path: &str, vars: &TemplateVars, errs: &mut Errors) {
    expand_strings_at(value, path, &mut Vec::new(), vars, errs);
}

/// One step below a field path: a mapping key or a list position.
enum Step {
    Key(String),
    Index(usize),
}

/// Walks `value`; the field path of a string is only spelled out when it has an error
/// (building every path up front cost more than the expansion itself).
fn expand_strings_at(
    value: &mut Json,
    base: &str,
    steps: &mut Vec<Step>,
    vars: &TemplateVars,
    errs: &mut Errors,
) {
    match value {
        Json::String(s) => match vars.expand_templated(s) {
            Ok(Some(t)) => *s = t,
            Ok(None) => {}
            Err(e) => {
                let path = steps.iter().fold(base.to_string(), |p, step| match step {
                    Step::Key(k) => join_key(&p, k),
                    Step::Index(i) => format!("{p}[{i}]"),
                });
                errs.push(&path, e)
            }
        },
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                steps.push(Step::Index(i));
                expand_strings_at(item, base, steps, vars, errs);
                steps.pop();
            }
        }
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                if matches!(v, Json::String(_) | Json::Array(_) | Json::Object(_)) {
                    steps.push(Step::Key(k.clone()));
                    expand_strings_at(v, base, steps, vars, errs);
                    steps.pop();
                }
            }
        }
        _ => {}
    }
}

/// Turns a serde_ignored path (`resources.?.limitss`, `ports.0.x`) into a profile field path.
pub fn ignored_path(base: &str, ignored: &str) -> String {
    let mut out = base.to_string();
    for seg in ignored.split('.').filter(|s| *s != "?" && !s.is_empty()) {
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            out = format!("{out}[{seg}]");
        } else {
            out = join_key(&out, seg);
        }
    }
    out
}

/// Variables profile text may use, and the minijinja functions worth keeping (a peer list
/// can be written with `range(replicas)`).
const TEXT_VARIABLES: &[&str] = &[
    "name",
    "namespace",
    "headless",
    "replicas",
    "clusterDomain",
    "cluster",
    "sets",
    "secretName",
    "image",
];
const TEXT_FUNCTIONS: &[&str] = &["range", "dict"];

/// The variables profile text may use.
struct TemplateVars<'a> {
    name: &'a str,
    namespace: Option<&'a str>,
    headless: &'a str,
    replicas: u32,
    cluster_domain: &'a str,
    /// The profile's name (differs from `name` in a node set).
    cluster: &'a str,
    /// Node sets by set name: `{{ sets.masters.name }}`, `.headless`, `.replicas`.
    sets: &'a IndexMap<String, crate::profile::SetSummary>,
    /// The Secret's name as references use it.
    secret_name: &'a str,
    /// The app image, so a preset's helper containers follow a user's `image`.
    image: &'a str,
    /// The environment and variables, made on first use: a fresh minijinja Environment per
    /// text cost more than expanding it.
    compiled: std::cell::OnceCell<(minijinja::Environment<'static>, minijinja::Value)>,
}

impl TemplateVars<'_> {
    /// Expands `{{ name }}` and friends in profile text; the result stays plain data.
    /// [`Self::expand`], or `None` (no copy) when `text` has no template markers.
    fn expand_templated(&self, text: &str) -> Result<Option<String>, String> {
        if !text.contains('{') {
            return Ok(None);
        }
        self.expand(text).map(Some)
    }

    fn expand(&self, text: &str) -> Result<String, String> {
        if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
            return Ok(text.to_string());
        }
        let (env, ctx) = self.compiled.get_or_init(|| self.environment());
        let describe = |e: minijinja::Error| {
            let detail = e.detail().unwrap_or("template syntax error");
            let line = e
                .line()
                .map(|l| format!(" at line {l} of the text"))
                .unwrap_or_default();
            format!("{detail}{line} (write a literal `{{{{` as `{{{{ '{{{{' }}}}`)")
        };
        let tmpl = env.template_from_str(text).map_err(describe)?;
        // Name unknown variables up front; minijinja's globals (e.g. its own `namespace`
        // function) would otherwise print as text instead of failing.
        let mut unknown: Vec<String> = tmpl
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| {
                !TEXT_VARIABLES.contains(&v.as_str()) && !TEXT_FUNCTIONS.contains(&v.as_str())
            })
            .collect();
        unknown.sort();
        if let Some(v) = unknown.first() {
            return Err(format!(
                "unknown variable `{v}`; profile text may use {{{{ name }}}}, {{{{ namespace }}}}, {{{{ headless }}}}, {{{{ replicas }}}}, {{{{ clusterDomain }}}}, {{{{ cluster }}}}, {{{{ sets.<set>.name|headless|replicas }}}}, {{{{ secretName }}}} and {{{{ image }}}}"
            ));
        }
        if self.namespace.is_none() && tmpl.undeclared_variables(false).contains("namespace") {
            return Err("`{{ namespace }}` is used but the profile sets no namespace (set `namespace` or pass -n)".into());
        }
        tmpl.render(ctx).map_err(describe)
    }

    /// The environment profile text is expanded in, and the variables it sees.
    fn environment(&self) -> (minijinja::Environment<'static>, minijinja::Value) {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .build()
                .expect("default delimiters are valid"),
        );
        env.set_debug(false);
        let mut ctx = std::collections::BTreeMap::new();
        ctx.insert("name", minijinja::Value::from(self.name));
        ctx.insert("headless", minijinja::Value::from(self.headless));
        ctx.insert("replicas", minijinja::Value::from(self.replicas));
        ctx.insert("clusterDomain", minijinja::Value::from(self.cluster_domain));
        ctx.insert("cluster", minijinja::Value::from(self.cluster));
        ctx.insert("secretName", minijinja::Value::from(self.secret_name));
        ctx.insert("image", minijinja::Value::from(self.image));
        ctx.insert(
            "sets",
            minijinja::Value::from(minijinja::value::Serde(self.sets)),
        );
        if let Some(ns) = self.namespace {
            ctx.insert("namespace", minijinja::Value::from(ns));
        }
        (env, minijinja::Value::from(ctx))
    }
}
