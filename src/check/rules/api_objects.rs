//! What the API server checks of the objects beside a StatefulSet, although they type:
//! ConfigMap and Secret keys, a Service's ports, a PodDisruptionBudget's numbers, labels and
//! selectors, a CronJob's schedule, an Ingress's rules, a NetworkPolicy's ports. Part of
//! `schema`, like the container and pod template rules of [`super::api`].

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::Emit;
use crate::check::{field, Doc, Object};
use crate::shared::names;

/// Every rule of this module on one object; `manifests`: anyone's, not sts-gen's render.
pub(super) fn fields(doc: &Doc, manifests: bool, emit: &mut Emit) {
    data_keys(doc, emit);
    service_and_budget_fields(doc, emit);
    labels_and_selectors(doc, emit);
    cron_schedule(doc, emit);
    ingress_fields(doc, emit);
    // sts-gen's NetworkPolicy copies container ports, which are judged (at their profile
    // line) on the StatefulSet.
    if manifests {
        network_policy_fields(doc, emit);
    }
    secret_type_keys(doc, emit);
    claim_fields(doc, emit);
    volume_fields(doc, emit);
    binding_and_class_fields(doc, emit);
}

/// The API server's rules on ConfigMap and Secret keys: each a valid key name (letters,
/// digits, `-`, `_`, `.`; at most 253; not `.`, `..` or starting with `..`: the same
/// [`names::config_key`] the model holds a profile's files and keys to), and no ConfigMap key
/// in both `data` and `binaryData`.
fn data_keys(doc: &Doc, emit: &mut Emit) {
    let (fields, config_map): (Vec<(&str, Vec<&String>)>, bool) = match &doc.object {
        Object::ConfigMap(cm) => (
            vec![
                ("data", cm.data.iter().flatten().map(|(k, _)| k).collect()),
                (
                    "binaryData",
                    cm.binary_data.iter().flatten().map(|(k, _)| k).collect(),
                ),
            ],
            true,
        ),
        Object::Secret(s) => (
            vec![
                ("data", s.data.iter().flatten().map(|(k, _)| k).collect()),
                (
                    "stringData",
                    s.string_data.iter().flatten().map(|(k, _)| k).collect(),
                ),
            ],
            false,
        ),
        _ => return,
    };
    for (field, keys) in &fields {
        for key in keys {
            if let Err(e) = names::config_key(key) {
                emit(
                    doc,
                    "schema",
                    format!("{field}[{key:?}]"),
                    format!("{field} key {}", e.message),
                    None,
                );
            }
        }
    }
    if config_map {
        let data: BTreeSet<&String> = fields[0].1.iter().copied().collect();
        for key in fields[1].1.iter().filter(|k| data.contains(*k)) {
            emit(
                doc,
                "schema",
                format!("binaryData[{key:?}]"),
                format!("key `{key}` is in both data and binaryData; the API server refuses a ConfigMap with a key twice"),
                None,
            );
        }
    }
}

/// The API server's rules on a Service's ports (see [`service_fields`]) and a
/// PodDisruptionBudget's numbers, which types cannot hold: a budget sets minAvailable or maxUnavailable (not both), each a
/// number of at least 0 or a percentage up to 100%, and a known unhealthyPodEvictionPolicy.
fn service_and_budget_fields(doc: &Doc, emit: &mut Emit) {
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    match &doc.object {
        Object::Service(svc) => service_fields(svc, &mut refuse),
        Object::PodDisruptionBudget(pdb) => {
            use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
            let Some(spec) = &pdb.spec else { return };
            if spec.min_available.is_some() && spec.max_unavailable.is_some() {
                refuse(
                    "spec.maxUnavailable".into(),
                    "minAvailable and maxUnavailable are both set; the API server takes one".into(),
                );
            }
            for (field, value) in [
                ("minAvailable", &spec.min_available),
                ("maxUnavailable", &spec.max_unavailable),
            ] {
                let bad = match value {
                    Some(IntOrString::Int(n)) if *n < 0 => {
                        Some(format!("{field} is {n}; it must be 0 or more"))
                    }
                    Some(IntOrString::String(s)) => match s
                        .strip_suffix('%')
                        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                    {
                        None => Some(format!(
                            "{field} `{s}` is neither a number nor a percentage such as `50%`"
                        )),
                        Some(d) if d.parse::<u64>().map_or(true, |n| n > 100) => {
                            Some(format!("{field} `{s}` is more than 100%"))
                        }
                        Some(_) => None,
                    },
                    _ => None,
                };
                if let Some(m) = bad {
                    refuse(format!("spec.{field}"), m);
                }
            }
            if let Some(policy) = spec
                .unhealthy_pod_eviction_policy
                .as_deref()
                .filter(|p| !["IfHealthyBudget", "AlwaysAllow"].contains(p))
            {
                refuse(
                    "spec.unhealthyPodEvictionPolicy".into(),
                    format!("unhealthyPodEvictionPolicy `{policy}` is not IfHealthyBudget or AlwaysAllow"),
                );
            }
        }
        _ => {}
    }
}

/// A Service as the API server validates it: a known type; ports (unless headless or an
/// ExternalName) whose numbers are ports (a targetPort of 0 or "" is defaulted to the port)
/// and whose target names are IANA service names; port names and (port, protocol) pairs
/// used once; no nodePort on a ClusterIP Service, no `clusterIP: None` on a NodePort or
/// LoadBalancer one.
fn service_fields(
    svc: &k8s_openapi::api::core::v1::Service,
    refuse: &mut impl FnMut(String, String),
) {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let Some(spec) = &svc.spec else { return };
    let kind = spec.type_.as_deref().unwrap_or("ClusterIP");
    let headless = spec.cluster_ip.as_deref() == Some("None");
    if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(&kind) {
        refuse(
            "spec.type".into(),
            format!("type `{kind}` is not ClusterIP, NodePort, LoadBalancer or ExternalName"),
        );
    } else if headless && (kind == "NodePort" || kind == "LoadBalancer") {
        refuse(
            "spec.clusterIP".into(),
            format!("clusterIP: None (headless) is refused on a Service of type {kind}"),
        );
    }
    let ports = spec.ports.as_deref().unwrap_or_default();
    if ports.is_empty() && !headless && kind != "ExternalName" {
        refuse(
            "spec.ports".into(),
            "the Service has no ports; the API server requires them unless it is headless (clusterIP: None) or an ExternalName".into(),
        );
    }
    let valid = |n: i32| (1..=65535).contains(&n);
    let mut names = BTreeSet::new();
    let mut pairs = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
            if !names.insert(name) {
                refuse(
                    format!("spec.ports[{i}].name"),
                    format!("port name `{name}` is used twice; the API server refuses a Service whose port names repeat"),
                );
            }
        }
        if !valid(p.port) {
            refuse(
                format!("spec.ports[{i}].port"),
                format!("port {} is not in 1..65535", p.port),
            );
        }
        match &p.target_port {
            Some(IntOrString::Int(n)) if *n != 0 && !valid(*n) => refuse(
                format!("spec.ports[{i}].targetPort"),
                format!("targetPort {n} is not in 1..65535"),
            ),
            Some(IntOrString::String(name)) if !name.is_empty() => {
                if let Err(e) = names::port_name(name) {
                    refuse(
                        format!("spec.ports[{i}].targetPort"),
                        format!("targetPort: {}", e.message),
                    );
                }
            }
            _ => {}
        }
        if p.node_port.is_some_and(|n| n != 0 && !valid(n)) {
            refuse(
                format!("spec.ports[{i}].nodePort"),
                format!("nodePort {} is not in 1..65535", p.node_port.unwrap_or(0)),
            );
        }
        let protocol = p.protocol.as_deref().unwrap_or("TCP");
        if !pairs.insert((p.port, protocol)) {
            refuse(
                format!("spec.ports[{i}].port"),
                format!("port {}/{protocol} is listed twice; the API server refuses a Service with a port and protocol twice", p.port),
            );
        }
        if kind == "ClusterIP" && p.node_port.is_some_and(|n| n != 0) {
            refuse(
                format!("spec.ports[{i}].nodePort"),
                "a nodePort is refused on a Service of type ClusterIP; use NodePort or LoadBalancer, or drop it".into(),
            );
        }
    }
}

/// The API server's rules on labels, annotations and label selectors: label and annotation
/// keys are qualified names (`prefix/name`), label values at most 63 characters of
/// `[A-Za-z0-9-_.]` (a Helm chart version with `+` in `helm.sh/chart` is refused), on the
/// object and on the pod and claim templates it holds; a selector's labels likewise, and its
/// expressions use In, NotIn (with values), Exists or DoesNotExist (without).
fn labels_and_selectors(doc: &Doc, emit: &mut Emit) {
    let v = &doc.value;
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    let mut places: Vec<(String, &Json)> = [
        &["metadata"][..],
        &["spec", "template", "metadata"],
        &["spec", "jobTemplate", "metadata"],
        &["spec", "jobTemplate", "spec", "template", "metadata"],
    ]
    .iter()
    .filter_map(|p| Some((p.join("."), field(v, p)?)))
    .collect();
    let claims = field(v, &["spec", "volumeClaimTemplates"]).and_then(Json::as_array);
    for (i, c) in claims.into_iter().flatten().enumerate() {
        if let Some(m) = c.get("metadata") {
            places.push((format!("spec.volumeClaimTemplates[{i}].metadata"), m));
        }
    }
    for (place, meta) in places {
        label_map(meta.get("labels"), &format!("{place}.labels"), &mut refuse);
        let annotations = meta.get("annotations").and_then(Json::as_object);
        for key in annotations.into_iter().flatten().map(|(k, _)| k) {
            if let Err(e) = names::qualified_name(key) {
                refuse(
                    format!("{place}.annotations[{key:?}]"),
                    format!("annotation key {}", e.message),
                );
            }
        }
    }
    let selector = match doc.kind() {
        "Service" => {
            label_map(
                field(v, &["spec", "selector"]),
                "spec.selector",
                &mut refuse,
            );
            return;
        }
        "StatefulSet" | "PodDisruptionBudget" => "spec.selector",
        "NetworkPolicy" => "spec.podSelector",
        _ => return,
    };
    let path: Vec<&str> = selector.split('.').collect();
    let Some(sel) = field(v, &path) else {
        return;
    };
    label_map(
        sel.get("matchLabels"),
        &format!("{selector}.matchLabels"),
        &mut refuse,
    );
    let expressions = sel.get("matchExpressions").and_then(Json::as_array);
    for (i, e) in expressions.into_iter().flatten().enumerate() {
        let at = format!("{selector}.matchExpressions[{i}]");
        let key = e.get("key").and_then(Json::as_str).unwrap_or("");
        if let Err(err) = names::qualified_name(key) {
            refuse(format!("{at}.key"), format!("key {}", err.message));
        }
        let values = e.get("values").and_then(Json::as_array).map_or(0, Vec::len);
        let operator = e.get("operator").and_then(Json::as_str).unwrap_or("");
        let problem = match operator {
            "In" | "NotIn" if values == 0 => Some(format!("operator {operator} needs values")),
            "Exists" | "DoesNotExist" if values > 0 => {
                Some(format!("operator {operator} takes no values"))
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => None,
            other => Some(format!(
                "operator `{other}` is not In, NotIn, Exists or DoesNotExist"
            )),
        };
        if let Some(p) = problem {
            refuse(format!("{at}.operator"), p);
        }
    }
}

/// A map of labels (or of a selector's labels) at `path`: keys and values as labels take.
fn label_map(map: Option<&Json>, path: &str, refuse: &mut impl FnMut(String, String)) {
    for (key, value) in map.and_then(Json::as_object).into_iter().flatten() {
        if let Err(e) = names::qualified_name(key) {
            refuse(
                format!("{path}[{key:?}]"),
                format!("label key {}", e.message),
            );
        } else if let Some(Err(e)) = value.as_str().map(names::label_value) {
            refuse(
                format!("{path}[{key:?}]"),
                format!(
                    "label `{key}` value `{}` {}",
                    value.as_str().unwrap_or(""),
                    e.message
                ),
            );
        }
    }
}

/// A CronJob's schedule as the API server parses it (robfig/cron's standard parser, the
/// one a profile's schedule is held to): `H 3 * * *`, `60 * * * *` or a `TZ=` prefix are
/// refused.
fn cron_schedule(doc: &Doc, emit: &mut Emit) {
    let Object::CronJob(cj) = &doc.object else {
        return;
    };
    let Some(schedule) = cj.spec.as_ref().map(|s| s.schedule.as_str()) else {
        return;
    };
    if let Some(why) = crate::model::cron::schedule_problem(schedule) {
        emit(
            doc,
            "schema",
            "spec.schedule".into(),
            format!("schedule `{schedule}` does not parse: {why}"),
            None,
        );
    }
}

/// An Ingress's rules as the API server validates them: hosts are DNS names (a leading
/// `*.` allowed), every path has a known pathType and an absolute path, and a backend
/// Service has a DNS-1035 name and one port, a number in 1..65535 or an IANA name.
fn ingress_fields(doc: &Doc, emit: &mut Emit) {
    if doc.kind() != "Ingress" {
        return;
    }
    let v = &doc.value;
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    if let Some(b) = field(v, &["spec", "defaultBackend"]) {
        backend(b, "spec.defaultBackend", &mut refuse);
    }
    let rules = field(v, &["spec", "rules"]).and_then(Json::as_array);
    for (i, rule) in rules.into_iter().flatten().enumerate() {
        let host = rule.get("host").and_then(Json::as_str).unwrap_or("");
        let bare = host.strip_prefix("*.").unwrap_or(host);
        if !host.is_empty() {
            if let Err(e) = names::dns_subdomain(bare) {
                refuse(
                    format!("spec.rules[{i}].host"),
                    format!("host `{host}` {}", e.message),
                );
            }
        }
        let paths = field(rule, &["http", "paths"]).and_then(Json::as_array);
        for (j, p) in paths.into_iter().flatten().enumerate() {
            let at = format!("spec.rules[{i}].http.paths[{j}]");
            let path = p.get("path").and_then(Json::as_str).unwrap_or("");
            // The type round trip writes a missing pathType as "".
            match p
                .get("pathType")
                .and_then(Json::as_str)
                .filter(|t| !t.is_empty())
            {
                None => refuse(
                    format!("{at}.pathType"),
                    "pathType is required (Exact, Prefix or ImplementationSpecific)".into(),
                ),
                Some(t) if !["Exact", "Prefix", "ImplementationSpecific"].contains(&t) => refuse(
                    format!("{at}.pathType"),
                    format!("pathType `{t}` is not Exact, Prefix or ImplementationSpecific"),
                ),
                Some(t)
                    if !path.starts_with('/')
                        && (t != "ImplementationSpecific" || !path.is_empty()) =>
                {
                    refuse(
                        format!("{at}.path"),
                        format!("path `{path}` is not absolute (start it with `/`)"),
                    )
                }
                _ => {}
            }
            if let Some(b) = p.get("backend") {
                backend(b, &format!("{at}.backend"), &mut refuse);
            }
        }
    }
}

/// An Ingress backend's Service: a DNS-1035 name and one port, a number or an IANA name.
fn backend(b: &Json, at: &str, refuse: &mut impl FnMut(String, String)) {
    let Some(svc) = b.get("service") else { return };
    let name = svc.get("name").and_then(Json::as_str).unwrap_or("");
    if let Err(e) = names::dns_1035_label(name, 63) {
        refuse(
            format!("{at}.service.name"),
            format!("Service name `{name}` {}", e.message),
        );
    }
    let port = svc.get("port");
    let number = port.and_then(|p| p.get("number")).and_then(Json::as_i64);
    let port_name = port.and_then(|p| p.get("name")).and_then(Json::as_str);
    let problem = match (number, port_name) {
        (Some(_), Some(_)) => Some("sets both a port number and a port name".to_string()),
        (None, None) => Some("needs a port number or a port name".to_string()),
        (Some(n), None) if !(1..=65535).contains(&n) => {
            Some(format!("port {n} is not in 1..65535"))
        }
        (None, Some(n)) => names::port_name(n).err().map(|e| e.message),
        _ => None,
    };
    if let Some(p) = problem {
        refuse(format!("{at}.service.port"), p);
    }
}

/// A NetworkPolicy as the API server validates it: policyTypes are `Ingress` or `Egress`,
/// and each rule's ports have a known protocol, a port number in 1..65535 or an IANA name,
/// and an endPort only after a number, not below it.
fn network_policy_fields(doc: &Doc, emit: &mut Emit) {
    if doc.kind() != "NetworkPolicy" {
        return;
    }
    let v = &doc.value;
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    let types = field(v, &["spec", "policyTypes"]).and_then(Json::as_array);
    for (i, t) in types.into_iter().flatten().enumerate() {
        let t = t.as_str().unwrap_or("");
        if t != "Ingress" && t != "Egress" {
            refuse(
                format!("spec.policyTypes[{i}]"),
                format!("policy type `{t}` is not Ingress or Egress"),
            );
        }
    }
    for direction in ["ingress", "egress"] {
        let rules = field(v, &["spec", direction]).and_then(Json::as_array);
        for (i, rule) in rules.into_iter().flatten().enumerate() {
            let ports = rule.get("ports").and_then(Json::as_array);
            for (j, p) in ports.into_iter().flatten().enumerate() {
                let at = format!("spec.{direction}[{i}].ports[{j}]");
                let protocol = p.get("protocol").and_then(Json::as_str).unwrap_or("TCP");
                if !["TCP", "UDP", "SCTP"].contains(&protocol) {
                    refuse(
                        format!("{at}.protocol"),
                        format!("protocol `{protocol}` is not TCP, UDP or SCTP"),
                    );
                }
                let number = p.get("port").and_then(Json::as_i64);
                match (p.get("port"), number) {
                    (_, Some(n)) if !(1..=65535).contains(&n) => {
                        refuse(format!("{at}.port"), format!("port {n} is not in 1..65535"))
                    }
                    (Some(Json::String(name)), _) => {
                        if let Err(e) = names::port_name(name) {
                            refuse(format!("{at}.port"), e.message);
                        }
                    }
                    _ => {}
                }
                let Some(end) = p.get("endPort").and_then(Json::as_i64) else {
                    continue;
                };
                match number {
                    None => refuse(
                        format!("{at}.endPort"),
                        "endPort needs a numeric port".into(),
                    ),
                    Some(n) if end < n || end > 65535 => refuse(
                        format!("{at}.endPort"),
                        format!("endPort {end} is not between port {n} and 65535"),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// The keys the API server requires of a Secret of a built-in type (in `data` or
/// `stringData`): a TLS Secret's `tls.crt` and `tls.key`, a registry Secret's config,
/// a basic-auth Secret's `username` or `password`, an SSH one's `ssh-privatekey`, a
/// service account token's account annotation. Only key names are named, never values.
fn secret_type_keys(doc: &Doc, emit: &mut Emit) {
    let Object::Secret(secret) = &doc.object else {
        return;
    };
    let Some(kind) = secret.type_.as_deref() else {
        return;
    };
    let has = |key: &str| {
        secret.data.as_ref().is_some_and(|d| d.contains_key(key))
            || secret
                .string_data
                .as_ref()
                .is_some_and(|d| d.contains_key(key))
    };
    let missing = match kind {
        "kubernetes.io/tls" => ["tls.crt", "tls.key"]
            .into_iter()
            .filter(|k| !has(k))
            .map(|k| format!("key `{k}`"))
            .collect(),
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            vec!["key `.dockerconfigjson`".to_string()]
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => vec!["key `.dockercfg`".to_string()],
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            vec!["key `username` or `password`".to_string()]
        }
        "kubernetes.io/ssh-auth" if !has("ssh-privatekey") => {
            vec!["key `ssh-privatekey`".to_string()]
        }
        "kubernetes.io/service-account-token"
            if !secret
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key("kubernetes.io/service-account.name")) =>
        {
            vec!["annotation `kubernetes.io/service-account.name`".to_string()]
        }
        _ => vec![],
    };
    for what in missing {
        emit(
            doc,
            "schema",
            "type".into(),
            format!("a Secret of type {kind} needs {what}; the API server refuses it without"),
            None,
        );
    }
}

/// A PersistentVolumeClaim, or a StatefulSet's claim template (from which the controller
/// creates one claim per pod, failing there and leaving the pod pending), as the API server
/// validates a claim: a name that makes DNS subdomain claim names, at least one known access
/// mode, a known volumeMode and a storage request above zero.
fn claim_fields(doc: &Doc, emit: &mut Emit) {
    let v = &doc.value;
    let claims: Vec<(String, &Json)> = match doc.kind() {
        "PersistentVolumeClaim" => vec![(String::new(), v)],
        "StatefulSet" => field(v, &["spec", "volumeClaimTemplates"])
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, c)| (format!("spec.volumeClaimTemplates[{i}]."), c))
            .collect(),
        _ => return,
    };
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    for (at, claim) in claims {
        if !at.is_empty() {
            let name = field(claim, &["metadata", "name"])
                .and_then(Json::as_str)
                .unwrap_or("");
            // The claims are `<name>-<statefulset>-<ordinal>`.
            if let Err(e) = names::dns_subdomain(&format!("{name}-{}-0", doc.name())) {
                refuse(format!("{at}metadata.name"), format!("claim template name `{name}` makes claim names that are not valid: `{name}-{}-0` {}", doc.name(), e.message));
            }
        }
        let text = |p: &[&str]| field(claim, p).and_then(Json::as_str);
        modes_and_volume_mode(claim, &at, "claim", &mut refuse);
        match text(&["spec", "resources", "requests", "storage"]).map(names::quantity) {
            None => refuse(
                format!("{at}spec.resources.requests"),
                "a claim needs a storage request (resources.requests.storage)".into(),
            ),
            Some(Ok(q)) if q <= 0.0 => refuse(
                format!("{at}spec.resources.requests.storage"),
                "the storage request must be more than zero".into(),
            ),
            _ => {}
        }
    }
}

/// A claim's or volume's access modes (at least one, each known) and volumeMode.
fn modes_and_volume_mode(
    object: &Json,
    at: &str,
    what: &str,
    refuse: &mut impl FnMut(String, String),
) {
    let modes = field(object, &["spec", "accessModes"]).and_then(Json::as_array);
    if modes.is_none_or(Vec::is_empty) {
        refuse(
            format!("{at}spec.accessModes"),
            format!("a {what} needs at least one access mode"),
        );
    }
    for (j, m) in modes.into_iter().flatten().enumerate() {
        let m = m.as_str().unwrap_or("");
        if ![
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ]
        .contains(&m)
        {
            refuse(format!("{at}spec.accessModes[{j}]"), format!("access mode `{m}` is not ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod"));
        }
    }
    let mode = field(object, &["spec", "volumeMode"]).and_then(Json::as_str);
    if let Some(mode) = mode.filter(|m| *m != "Filesystem" && *m != "Block") {
        refuse(
            format!("{at}spec.volumeMode"),
            format!("volumeMode `{mode}` is not Filesystem or Block"),
        );
    }
}

/// A PersistentVolume as the API server validates it: access modes and volumeMode as a
/// claim's, a storage capacity above zero, a known reclaim policy, and node affinity
/// requirements with a known operator.
fn volume_fields(doc: &Doc, emit: &mut Emit) {
    if doc.kind() != "PersistentVolume" {
        return;
    }
    let v = &doc.value;
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    modes_and_volume_mode(v, "", "PersistentVolume", &mut refuse);
    match field(v, &["spec", "capacity", "storage"])
        .and_then(Json::as_str)
        .map(names::quantity)
    {
        None => refuse(
            "spec.capacity".into(),
            "a PersistentVolume needs a storage capacity (capacity.storage)".into(),
        ),
        Some(Ok(q)) if q <= 0.0 => refuse(
            "spec.capacity.storage".into(),
            "the storage capacity must be more than zero".into(),
        ),
        _ => {}
    }
    let policy = field(v, &["spec", "persistentVolumeReclaimPolicy"]).and_then(Json::as_str);
    if let Some(p) = policy.filter(|p| !["Retain", "Delete", "Recycle"].contains(p)) {
        refuse(
            "spec.persistentVolumeReclaimPolicy".into(),
            format!("persistentVolumeReclaimPolicy `{p}` is not Retain, Delete or Recycle"),
        );
    }
    let terms = field(
        v,
        &["spec", "nodeAffinity", "required", "nodeSelectorTerms"],
    )
    .and_then(Json::as_array);
    for (i, term) in terms.into_iter().flatten().enumerate() {
        for field in ["matchExpressions", "matchFields"] {
            let reqs = term.get(field).and_then(Json::as_array);
            for (j, r) in reqs.into_iter().flatten().enumerate() {
                let op = r.get("operator").and_then(Json::as_str).unwrap_or("");
                if !["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"].contains(&op) {
                    refuse(
                        format!("spec.nodeAffinity.required.nodeSelectorTerms[{i}].{field}[{j}].operator"),
                        format!("operator `{op}` is not In, NotIn, Exists, DoesNotExist, Gt or Lt"),
                    );
                }
            }
        }
    }
}

/// A RoleBinding's or ClusterRoleBinding's role and subjects, and a StorageClass's
/// policies, as the API server validates them: roleRef a Role (RoleBinding only) or
/// ClusterRole of `rbac.authorization.k8s.io`; subjects a ServiceAccount (with a namespace
/// in a ClusterRoleBinding), User or Group; a class's reclaimPolicy Retain or Delete and
/// volumeBindingMode Immediate or WaitForFirstConsumer.
fn binding_and_class_fields(doc: &Doc, emit: &mut Emit) {
    let v = &doc.value;
    let text = |p: &[&str]| field(v, p).and_then(Json::as_str).unwrap_or("");
    let mut refuse = |path: &str, message: String| emit(doc, "schema", path.into(), message, None);
    let kind = doc.kind();
    if kind == "StorageClass" {
        for (field, allowed) in [
            ("reclaimPolicy", ["Retain", "Delete"]),
            ("volumeBindingMode", ["Immediate", "WaitForFirstConsumer"]),
        ] {
            let value = text(&[field]);
            if !value.is_empty() && !allowed.contains(&value) {
                refuse(
                    field,
                    format!("{field} `{value}` is not {}", allowed.join(" or ")),
                );
            }
        }
        return;
    }
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return;
    }
    let roles: &[&str] = if kind == "RoleBinding" {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !roles.contains(&text(&["roleRef", "kind"])) {
        refuse(
            "roleRef.kind",
            format!(
                "roleRef kind `{}` is not {}",
                text(&["roleRef", "kind"]),
                roles.join(" or ")
            ),
        );
    }
    if text(&["roleRef", "apiGroup"]) != "rbac.authorization.k8s.io" {
        refuse(
            "roleRef.apiGroup",
            format!(
                "roleRef apiGroup `{}` is not rbac.authorization.k8s.io",
                text(&["roleRef", "apiGroup"])
            ),
        );
    }
    let subjects = v.get("subjects").and_then(Json::as_array);
    for (i, s) in subjects.into_iter().flatten().enumerate() {
        let field = |k: &str| s.get(k).and_then(Json::as_str).unwrap_or("");
        match field("kind") {
            "ServiceAccount" if kind == "ClusterRoleBinding" && field("namespace").is_empty() => {
                refuse(
                    &format!("subjects[{i}].namespace"),
                    "a ServiceAccount subject of a ClusterRoleBinding needs its namespace".into(),
                )
            }
            "ServiceAccount" | "User" | "Group" => {}
            other => refuse(
                &format!("subjects[{i}].kind"),
                format!("subject kind `{other}` is not ServiceAccount, User or Group"),
            ),
        }
    }
}
