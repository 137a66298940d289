//! Security defaults and network policy: the restricted Pod Security Standard's contexts,
//! emptyDirs where a read-only image writes, anti-affinity and topology spread, and the
//! NetworkPolicy.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::{names, ModelNetworkPolicy, ModelPort, ModelStorage, ModelWritable};
use crate::profile::types::*;

/// The uid, gid and fsGroup pods run as unless the profile says otherwise.
pub const DEFAULT_UID: i64 = 10001;

/// What [`defaults`] decided for the pod.
pub(super) struct Defaults {
    pub(super) pod: Option<Json>,
    pub(super) container: Option<Json>,
    pub(super) writable: Vec<ModelWritable>,
    /// Peer ports, client sources (None: any) and client ports of the NetworkPolicy.
    pub(super) network_policy: Option<PolicyPorts>,
}

/// Peer ports, client sources (None: any) and client ports of the NetworkPolicy.
pub(super) type PolicyPorts = (Vec<Json>, Option<Vec<Json>>, Vec<Json>);

/// The "restricted" security contexts, the writable emptyDirs and the NetworkPolicy ports.
#[allow(clippy::too_many_arguments)]
pub(super) fn defaults(
    p: &Profile,
    ports: &[ModelPort],
    storage: &Option<ModelStorage>,
    config_mount: Option<&str>,
    volume_names: &BTreeSet<String>,
    pod_template: Option<&Json>,
    any_source: bool,
    errs: &mut Errors,
) -> Defaults {
    let (pod, container, writable) = contexts(
        p,
        ports,
        storage,
        config_mount,
        volume_names,
        pod_template,
        errs,
    );
    let network_policy = policy_ports(p, ports, pod_template, any_source, errs);
    Defaults {
        pod,
        container,
        writable,
        network_policy,
    }
}

/// The pod and container securityContexts and the writable emptyDirs; none with
/// `securityContext: false`.
fn contexts(
    p: &Profile,
    ports: &[ModelPort],
    storage: &Option<ModelStorage>,
    config_mount: Option<&str>,
    volume_names: &BTreeSet<String>,
    pod_template: Option<&Json>,
    errs: &mut Errors,
) -> (Option<Json>, Option<Json>, Vec<ModelWritable>) {
    match &p.security_context {
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
                    errs.add(&at, e);
                    continue;
                }
                let norm = names::clean_path(path);
                if norm == "/" {
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
                    storage.as_ref().map(|s| names::clean_path(&s.mount_path)),
                    config_mount.map(names::clean_path),
                ];
                if taken.contains(&Some(norm.clone())) {
                    errs.push(&at, format!("`{norm}` is already the storage or config mount path, which is writable"));
                    continue;
                }
                let name = writable_volume_name(&norm, &used);
                used.insert(name.clone());
                writable.push(ModelWritable { name, path: norm });
            }
            (Some(pod), Some(container), writable)
        }
    }
}

/// The NetworkPolicy's peer ports (every port of every container), client sources (None:
/// any, with `any_source`) and client ports; None with `networkPolicy: false`.
fn policy_ports(
    p: &Profile,
    ports: &[ModelPort],
    pod_template: Option<&Json>,
    any_source: bool,
    errs: &mut Errors,
) -> Option<PolicyPorts> {
    match &p.network_policy {
        Some(Toggle::Off) => None,
        other => {
            let s = match other {
                Some(Toggle::On(s)) => s.clone(),
                _ => NetworkPolicySettings::default(),
            };
            for (i, ns) in s.from.iter().enumerate() {
                errs.check(
                    &format!("networkPolicy.from[{i}]"),
                    names::dns_label(ns, 63)
                        .map_err(|e| e.prefixed(format_args!("namespace `{ns}` "))),
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
pub(super) fn affinity_json(
    mode: AffinityMode,
    selector: &IndexMap<String, String>,
) -> Option<Json> {
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

/// Gives a raw container (initContainers, sidecars) the pod's defaults: the container
/// securityContext under its own, a mount of every writable path it does not mount itself,
/// and derived limits.
pub(super) fn apply_container_defaults(c: &mut Json, d: &Defaults, derive: bool) {
    let Some(obj) = c.as_object_mut() else {
        return;
    };
    if let Some(ctx) = &d.container {
        let mut merged = ctx.clone();
        if let Some(own) = obj.get("securityContext") {
            crate::shared::merge(&mut merged, own);
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
        super::resources::derive_limits(&requests, &mut limits);
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

/// `topologySpreadConstraints` for `topologySpread`.
pub(super) fn topology_spread(p: &Profile, selector: &IndexMap<String, String>) -> Vec<Json> {
    match p.topology_spread.unwrap_or(TopologySpread::None) {
        TopologySpread::None => vec![],
        TopologySpread::Zone => vec![json!({
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        })],
    }
}

/// The NetworkPolicy from the ports [`defaults`] decided.
pub(super) fn network_policy(d: Option<PolicyPorts>, cluster: &str) -> Option<ModelNetworkPolicy> {
    d.map(
        |(peer_ports, client_from, client_ports)| ModelNetworkPolicy {
            peer_selector: IndexMap::from([(
                "app.kubernetes.io/name".to_string(),
                cluster.to_string(),
            )]),
            peer_ports,
            client_from,
            client_ports,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages};
    use super::*;

    fn port(n: u16) -> ModelPort {
        ModelPort {
            name: "p".into(),
            port: n,
            protocol: "TCP",
        }
    }

    #[test]
    fn restricted_contexts_and_a_sysctl_for_low_ports() {
        let loaded = load("");
        let mut errs = Errors::new(&loaded);
        let d = defaults(
            &loaded.profile,
            &[port(80)],
            &None,
            None,
            &BTreeSet::new(),
            None,
            false,
            &mut errs,
        );
        assert!(errs.list.is_empty());
        let pod = d.pod.unwrap();
        assert_eq!(pod["runAsUser"], DEFAULT_UID);
        assert_eq!(pod["sysctls"][0]["value"], "80");
        assert_eq!(d.container.unwrap()["readOnlyRootFilesystem"], true);
        assert_eq!(d.writable.len(), 1);
        assert_eq!(
            (d.writable[0].name.as_str(), d.writable[0].path.as_str()),
            ("writable-tmp", "/tmp")
        );
        let (_, from, client_ports) = d.network_policy.unwrap();
        assert_eq!(from.unwrap(), [json!({"podSelector": {}})]);
        assert_eq!(client_ports, [json!({"port": 80, "protocol": "TCP"})]);
    }

    #[test]
    fn root_and_bad_writable_paths_are_errors() {
        let loaded = load("securityContext: {runAsUser: 0, writablePaths: [/, /var/run, /var/run/]}\nnetworkPolicy: {clientPorts: [q]}\n");
        let mut errs = Errors::new(&loaded);
        let d = defaults(
            &loaded.profile,
            &[port(8080)],
            &None,
            None,
            &BTreeSet::new(),
            None,
            true,
            &mut errs,
        );
        let m = messages(&errs);
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(
            m[0].starts_with("securityContext.runAsUser: 0 is root"),
            "{m:?}"
        );
        assert!(
            m[1].starts_with("securityContext.writablePaths[0]: `/` cannot be"),
            "{m:?}"
        );
        assert_eq!(
            m[2],
            "securityContext.writablePaths[2]: `/var/run` is listed twice"
        );
        assert_eq!(
            m[3],
            "networkPolicy.clientPorts[0]: `q` is not one of the declared ports; did you mean `p`?"
        );
        // Any source with a NodePort/LoadBalancer Service.
        assert!(d.network_policy.unwrap().1.is_none());
    }

    #[test]
    fn writable_names_are_dns_labels_and_unique() {
        let used = BTreeSet::from(["writable-var-run".to_string()]);
        assert_eq!(
            writable_volume_name("/var/Run", &used),
            "writable-var-run-2"
        );
        assert_eq!(
            writable_volume_name("/a_b/c", &BTreeSet::new()),
            "writable-a-b-c"
        );
    }

    #[test]
    fn container_defaults_merge_under_the_containers_own() {
        let loaded = load("");
        let mut errs = Errors::new(&loaded);
        let d = defaults(
            &loaded.profile,
            &[],
            &None,
            None,
            &BTreeSet::new(),
            None,
            false,
            &mut errs,
        );
        let mut c = json!({"name": "s", "securityContext": {"readOnlyRootFilesystem": false}, "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}});
        apply_container_defaults(&mut c, &d, true);
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], false);
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(
            c["volumeMounts"],
            json!([{"name": "writable-tmp", "mountPath": "/tmp"}])
        );
        assert_eq!(
            c["resources"]["limits"],
            json!({"memory": "64Mi", "cpu": "1"})
        );
        let sel = IndexMap::from([("app".to_string(), "db".to_string())]);
        assert!(affinity_json(AffinityMode::None, &sel).is_none());
        assert!(
            affinity_json(AffinityMode::Hard, &sel).unwrap()["podAntiAffinity"]
                ["requiredDuringSchedulingIgnoredDuringExecution"]
                .is_array()
        );
    }
}
