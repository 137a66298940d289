//! Container fields the API server refuses although they type: port numbers and names,
//! environment variable names, liveness and startup probes that need more than one
//! success, negative quantities, and requests above their limits. Part of `schema`: an object
//! that breaks one is never created, whoever wrote it (a sidecar or `podTemplate` from the
//! profile, a hand-written manifest).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Container;

use super::Emit;
use crate::check::{Doc, Object};
use crate::shared::names;

/// The API server's container rules on every container of a StatefulSet's pod template.
pub(super) fn container_fields(doc: &Doc, emit: &mut Emit) {
    let Object::StatefulSet(sts) = &doc.object else {
        return;
    };
    let Some(pod) = sts.spec.as_ref().and_then(|s| s.template.spec.as_ref()) else {
        return;
    };
    let base = "spec.template.spec";
    let init = pod.init_containers.iter().flatten().enumerate();
    let init = init.map(|(i, c)| (format!("{base}.initContainers[{i}]"), c));
    let app = pod.containers.iter().enumerate();
    let app = app.map(|(i, c)| (format!("{base}.containers[{i}]"), c));
    for (at, c) in init.chain(app) {
        for (path, message) in problems(c) {
            // The container and field by name: the trace finds them in the profile.
            let message = format!("container `{}`, `{path}`: {message}", c.name);
            emit(doc, "schema", format!("{at}.{path}"), message, None);
        }
    }
}

/// The API server's rules on ConfigMap and Secret keys: each a valid key name (letters,
/// digits, `-`, `_`, `.`; at most 253; not `.`, `..` or starting with `..`: the same
/// [`names::config_key`] the model holds a profile's files and keys to), and no ConfigMap key
/// in both `data` and `binaryData`.
pub(super) fn data_keys(doc: &Doc, emit: &mut Emit) {
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

/// The API server's rules on a Service's ports and a PodDisruptionBudget's numbers, which
/// types cannot hold: Service port names and (port, protocol) pairs used once, no nodePort
/// on a ClusterIP Service; a budget sets minAvailable or maxUnavailable (not both), each a
/// number of at least 0 or a percentage up to 100%, and a known unhealthyPodEvictionPolicy.
pub(super) fn service_and_budget_fields(doc: &Doc, emit: &mut Emit) {
    let mut refuse = |path: String, message: String| emit(doc, "schema", path, message, None);
    match &doc.object {
        Object::Service(svc) => {
            let Some(spec) = &svc.spec else { return };
            let cluster_ip = spec.type_.as_deref().is_none_or(|t| t == "ClusterIP");
            let mut names = BTreeSet::new();
            let mut pairs = BTreeSet::new();
            for (i, p) in spec.ports.iter().flatten().enumerate() {
                if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
                    if !names.insert(name) {
                        refuse(
                            format!("spec.ports[{i}].name"),
                            format!("port name `{name}` is used twice; the API server refuses a Service whose port names repeat"),
                        );
                    }
                }
                let protocol = p.protocol.as_deref().unwrap_or("TCP");
                if !pairs.insert((p.port, protocol)) {
                    refuse(
                        format!("spec.ports[{i}].port"),
                        format!("port {}/{protocol} is listed twice; the API server refuses a Service with a port and protocol twice", p.port),
                    );
                }
                if cluster_ip && p.node_port.is_some_and(|n| n != 0) {
                    refuse(
                        format!("spec.ports[{i}].nodePort"),
                        "a nodePort is refused on a Service of type ClusterIP; use NodePort or LoadBalancer, or drop it".into(),
                    );
                }
            }
        }
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

/// (field path below the container, message) for each field the API server refuses.
fn problems(c: &Container) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut names_seen = BTreeSet::new();
    for (j, p) in c.ports.iter().flatten().enumerate() {
        if !(1..=65535).contains(&p.container_port) {
            out.push((
                format!("ports[{j}].containerPort"),
                format!("container port {} is not in 1..65535", p.container_port),
            ));
        }
        if let Some(host) = p.host_port.filter(|h| *h != 0 && !(1..=65535).contains(h)) {
            out.push((
                format!("ports[{j}].hostPort"),
                format!("host port {host} is not in 1..65535"),
            ));
        }
        if let Some(name) = &p.name {
            if let Err(e) = names::port_name(name) {
                out.push((format!("ports[{j}].name"), e.message));
            } else if !names_seen.insert(name.as_str()) {
                out.push((
                    format!("ports[{j}].name"),
                    format!("port name `{name}` is used twice in container `{}`", c.name),
                ));
            }
        }
    }
    for (j, e) in c.env.iter().flatten().enumerate() {
        if let Err(err) = names::env_name(&e.name) {
            out.push((format!("env[{j}].name"), err.message));
        }
    }
    for (field, probe) in [
        ("livenessProbe", &c.liveness_probe),
        ("startupProbe", &c.startup_probe),
    ] {
        let threshold = probe.as_ref().and_then(|p| p.success_threshold);
        if let Some(n) = threshold.filter(|n| *n != 1) {
            out.push((
                format!("{field}.successThreshold"),
                format!("successThreshold is {n}; a {field} must have 1"),
            ));
        }
    }
    out.extend(resource_problems(c));
    out
}

/// Requests above their limits, and extended resources (`vendor.com/gpu`), which cannot be
/// overcommitted: their request needs a limit, and the two must be equal.
fn resource_problems(c: &Container) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(resources) = &c.resources else {
        return out;
    };
    let limits = resources.limits.as_ref();
    let all = [
        ("requests", &resources.requests),
        ("limits", &resources.limits),
    ];
    for (list, quantities) in all {
        for (name, q) in quantities.iter().flatten() {
            if names::quantity(&q.0).is_ok_and(|v| v < 0.0) {
                out.push((
                    crate::shared::join_key(&format!("resources.{list}"), name),
                    format!("`{}` of `{name}` is negative", q.0),
                ));
            }
        }
    }
    for (name, request) in resources.requests.iter().flatten() {
        let limit = limits.and_then(|l| l.get(name));
        let extended = name.contains('/') && !name.starts_with("kubernetes.io/");
        let path = crate::shared::join_key("resources.requests", name);
        let Ok(req) = names::quantity(&request.0) else {
            continue;
        };
        // None: no limit; Some(None): one that is not a quantity (the type check's finding).
        let limit_value = limit.map(|l| names::quantity(&l.0).ok());
        match (limit_value, extended) {
            (Some(Some(lim)), true) if req != lim => out.push((
                path,
                format!("request {} of `{name}` must equal its limit {} (an extended resource is not overcommitted)", request.0, limit.map_or("", |l| l.0.as_str())),
            )),
            (None, true) => out.push((
                path,
                format!("`{name}` (an extended resource) needs a limit equal to its request"),
            )),
            // A negative limit is reported as such above.
            (Some(Some(lim)), false) if req > lim && lim >= 0.0 => out.push((
                path,
                format!(
                    "request {} of `{name}` is above its limit {}",
                    request.0,
                    limit.map_or("", |l| l.0.as_str())
                ),
            )),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(value: serde_json::Value) -> Container {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn what_the_api_server_refuses() {
        let c = container(json!({
            "name": "side", "image": "busybox:1.36",
            "ports": [
                {"name": "web", "containerPort": 99999},
                {"name": "Bad_N", "containerPort": 80, "hostPort": 70000},
                {"name": "web", "containerPort": 81},
            ],
            "env": [{"name": "A=B", "value": "x"}, {"name": "OK", "value": "y"}],
            "livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2},
            "readinessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2},
            "resources": {
                "requests": {"memory": "2Gi", "cpu": "100m", "vendor.com/gpu": "1", "example.com/fpga": "1"},
                "limits": {"memory": "1Gi", "cpu": "-1", "vendor.com/gpu": "2"},
            },
        }));
        let paths: Vec<String> = problems(&c).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "ports[0].containerPort",
                "ports[1].hostPort",
                "ports[1].name",
                "ports[2].name",
                "env[0].name",
                "livenessProbe.successThreshold",
                "resources.limits.cpu",
                "resources.requests[\"example.com/fpga\"]",
                "resources.requests.memory",
                "resources.requests[\"vendor.com/gpu\"]",
            ]
        );
    }

    #[test]
    fn what_it_accepts() {
        let c = container(json!({
            "name": "app", "image": "nginx:1.27",
            "ports": [{"name": "http", "containerPort": 80, "hostPort": 0}, {"containerPort": 65535}],
            "env": [{"name": "1A", "value": "x"}],
            "resources": {
                "requests": {"memory": "1Gi", "cpu": "1", "vendor.com/gpu": "1"},
                "limits": {"memory": "1024Mi", "vendor.com/gpu": "1"},
            },
        }));
        assert_eq!(problems(&c), []);
    }
}
