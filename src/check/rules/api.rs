//! Container and pod template fields the API server refuses although they type: port numbers
//! and names, environment variable names (by the target Kubernetes version), liveness and
//! startup probes that need more than one success, negative quantities, requests above their
//! limits, and a StatefulSet's pod template fields (restart policy, DNS policy, deadlines,
//! priority, host network ports, container restart policies). Part of `schema`: an object
//! that breaks one is never created, whoever wrote it (a sidecar or `podTemplate` from the
//! profile, a hand-written manifest).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, PodSpec, Probe, Volume};

use super::{Emit, Objects};
use crate::check::{Doc, Object};
use crate::shared::names;

/// The Kubernetes version whose rules apply when the target is unknown (lint of any
/// manifests): the newest `--kube-version` accepts.
const NEWEST: (u32, u32) = (1, *crate::model::KUBE_VERSIONS.end());

/// The first version that runs an init container with `restartPolicy: Always` as a sidecar
/// (SidecarContainers, on by default from 1.29).
const SIDECAR_CONTAINERS: (u32, u32) = (1, 29);

/// The API server's container and pod template rules on a StatefulSet's pod template.
pub(super) fn container_fields(doc: &Doc, objects: &Objects, emit: &mut Emit) {
    let Object::StatefulSet(sts) = &doc.object else {
        return;
    };
    let Some(pod) = sts.spec.as_ref().and_then(|s| s.template.spec.as_ref()) else {
        return;
    };
    let version = objects.external.kube_version.unwrap_or(NEWEST);
    let base = "spec.template.spec";
    let init = pod.init_containers.iter().flatten().enumerate();
    let init = init.map(|(i, c)| (format!("{base}.initContainers[{i}]"), c, true));
    let app = pod.containers.iter().enumerate();
    let app = app.map(|(i, c)| (format!("{base}.containers[{i}]"), c, false));
    let host_network = pod.host_network == Some(true);
    // (hostPort, protocol, hostIP) of the regular containers: the node has each once.
    let mut host_ports = BTreeSet::new();
    for (at, c, init) in init.chain(app) {
        let mut found = problems(c, version);
        found.extend(pod_container_problems(c, init, host_network, version));
        for (j, p) in c.ports.iter().flatten().enumerate() {
            let Some(h) = p.host_port.filter(|h| *h != 0 && !init) else {
                continue;
            };
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            if !host_ports.insert((h, protocol, p.host_ip.as_deref().unwrap_or(""))) {
                found.push((
                    format!("ports[{j}].hostPort"),
                    format!("hostPort {h}/{protocol} is already taken by another port of the pod"),
                ));
            }
        }
        for (path, message) in found {
            // The container and field by name: the trace finds them in the profile.
            let message = format!("container `{}`, `{path}`: {message}", c.name);
            emit(doc, "schema", format!("{at}.{path}"), message, None);
        }
    }
    for (i, v) in pod.volumes.iter().flatten().enumerate() {
        for (path, message) in volume_problems(v) {
            // The volume and field by name: the trace finds them in the profile.
            let message = format!("volume `{}`, `{path}`: {message}", v.name);
            emit(
                doc,
                "schema",
                format!("{base}.volumes[{i}].{path}"),
                message,
                None,
            );
        }
    }
    for (path, message) in pod_problems(pod) {
        // The field by name: the trace finds it under the profile's `podTemplate`.
        let message = format!("pod template `{path}`: {message}");
        emit(doc, "schema", format!("{base}.{path}"), message, None);
    }
}

/// (field path below the volume, message) for what the API server refuses of a pod volume:
/// a name that is not a DNS-1123 label, more than one source.
fn volume_problems(v: &Volume) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Err(e) = names::dns_label(&v.name, 63) {
        out.push((
            "name".to_string(),
            format!("volume name `{}` {}", v.name, e.message),
        ));
    }
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(v) {
        let sources: Vec<&str> = fields
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "name")
            .collect();
        if sources.len() > 1 {
            out.push((
                sources[1].to_string(),
                format!(
                    "a volume has one source; this one has {}: {}",
                    sources.len(),
                    sources.join(", ")
                ),
            ));
        }
    }
    out
}

/// (field path below the pod spec, message) for each pod template field the API server
/// refuses in a StatefulSet (or that stops every pod from being created).
fn pod_problems(pod: &PodSpec) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |path: &str, message: String| out.push((path.to_string(), message));
    if let Some(policy) = pod.restart_policy.as_deref().filter(|p| *p != "Always") {
        push(
            "restartPolicy",
            format!("restartPolicy `{policy}` is refused: a StatefulSet's pods must restart `Always` (remove the field)"),
        );
    }
    if pod
        .ephemeral_containers
        .as_ref()
        .is_some_and(|c| !c.is_empty())
    {
        push(
            "ephemeralContainers",
            "ephemeral containers are refused in a pod template: they are added to a running pod for debugging (`kubectl debug`); use `sidecars` for a container that runs beside the app".to_string(),
        );
    }
    if let Some(s) = pod.active_deadline_seconds {
        push(
            "activeDeadlineSeconds",
            format!("activeDeadlineSeconds ({s}) is refused in a StatefulSet: its pods run until deleted (remove the field)"),
        );
    }
    if let Some(s) = pod.termination_grace_period_seconds.filter(|s| *s < 0) {
        push(
            "terminationGracePeriodSeconds",
            format!("terminationGracePeriodSeconds is {s}; it must be 0 or more"),
        );
    }
    if let Some(p) = pod.priority {
        push(
            "priority",
            format!("priority ({p}) is computed from priorityClassName by the API server, which refuses a pod that sets it; set `priorityClassName` instead"),
        );
    }
    const DNS_POLICIES: [&str; 4] = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
    match pod.dns_policy.as_deref() {
        Some(p) if !DNS_POLICIES.contains(&p) => push(
            "dnsPolicy",
            format!("dnsPolicy `{p}` is not one of {}", DNS_POLICIES.join(", ")),
        ),
        Some("None") => {
            let servers = pod.dns_config.as_ref().and_then(|c| c.nameservers.as_ref());
            if servers.is_none_or(Vec::is_empty) {
                push(
                    "dnsPolicy",
                    "dnsPolicy `None` needs `dnsConfig` with at least one nameserver".to_string(),
                );
            }
        }
        _ => {}
    }
    let servers = pod.dns_config.as_ref().and_then(|c| c.nameservers.as_ref());
    if let Some(n) = servers.map(Vec::len).filter(|n| *n > 3) {
        push(
            "dnsConfig.nameservers",
            format!("dnsConfig has {n} nameservers; at most 3 are allowed"),
        );
    }
    for (j, ip) in servers.into_iter().flatten().enumerate() {
        if ip.parse::<std::net::IpAddr>().is_err() {
            push(
                &format!("dnsConfig.nameservers[{j}]"),
                format!("nameserver `{ip}` is not an IP address"),
            );
        }
    }
    // Namespaced sysctls of the network (IPC) namespace the pod would share with the node.
    let sysctls = pod
        .security_context
        .as_ref()
        .and_then(|c| c.sysctls.as_ref());
    for (j, sysctl) in sysctls.into_iter().flatten().enumerate() {
        let name = sysctl.name.replace('/', ".");
        let ipc = ["kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue."];
        for (host, on, hit) in [
            ("hostNetwork", pod.host_network, name.starts_with("net.")),
            (
                "hostIPC",
                pod.host_ipc,
                ipc.iter().any(|p| name.starts_with(p)),
            ),
        ] {
            if on == Some(true) && hit {
                push(host, format!("{host} is refused with the pod's sysctl `{}` (securityContext.sysctls[{j}]), which would change the node's own setting (sts-gen sets net.ipv4.ip_unprivileged_port_start for a port below 1024: use ports of 1024 or above)", sysctl.name));
            }
        }
    }
    if let Some(p) = pod
        .preemption_policy
        .as_deref()
        .filter(|p| !["PreemptLowerPriority", "Never"].contains(p))
    {
        push(
            "preemptionPolicy",
            format!("preemptionPolicy `{p}` is not PreemptLowerPriority or Never"),
        );
    }
    for (j, t) in pod.tolerations.iter().flatten().enumerate() {
        let at = format!("tolerations[{j}]");
        let operator = t.operator.as_deref().unwrap_or("Equal");
        let key = t.key.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        match operator {
            "Exists" if !value.is_empty() => push(
                &format!("{at}.value"),
                format!("value `{value}` must be empty when operator is `Exists`"),
            ),
            "Equal" if key.is_empty() => push(
                &format!("{at}.operator"),
                "a toleration without `key` needs operator `Exists` (it tolerates every taint)"
                    .to_string(),
            ),
            "Exists" | "Equal" => {}
            other => push(
                &format!("{at}.operator"),
                format!("operator `{other}` is not Exists or Equal"),
            ),
        }
        let effect = t.effect.as_deref().unwrap_or("");
        if !["", "NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect) {
            push(
                &format!("{at}.effect"),
                format!("effect `{effect}` is not NoSchedule, PreferNoSchedule or NoExecute"),
            );
        } else if t.toleration_seconds.is_some() && effect != "NoExecute" {
            push(
                &format!("{at}.tolerationSeconds"),
                "tolerationSeconds needs effect `NoExecute`".to_string(),
            );
        }
    }
    if pod.share_process_namespace == Some(true) && pod.host_pid == Some(true) {
        push(
            "shareProcessNamespace",
            "shareProcessNamespace and hostPID cannot both be true".to_string(),
        );
    }
    out
}

/// (field path below the container, message) for what the API server refuses of a
/// container in its place in the pod: a restart policy (only an init container takes one,
/// `Always`, which makes it a sidecar), and under hostNetwork a hostPort other than the
/// containerPort.
fn pod_container_problems(
    c: &Container,
    init: bool,
    host_network: bool,
    version: (u32, u32),
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match (c.restart_policy.as_deref(), init) {
        (None, _) => {}
        (Some(p), false) => out.push((
            "restartPolicy".to_string(),
            format!("restartPolicy `{p}` is refused on a container that is not an init container (an init container with `Always` runs as a sidecar)"),
        )),
        (Some("Always"), true) if version < SIDECAR_CONTAINERS => out.push((
            "restartPolicy".to_string(),
            format!("an init container with restartPolicy `Always` (a sidecar) needs Kubernetes 1.{} or later; the target is 1.{} (--kube-version)", SIDECAR_CONTAINERS.1, version.1),
        )),
        (Some("Always"), true) => {}
        (Some(p), true) => out.push((
            "restartPolicy".to_string(),
            format!("restartPolicy `{p}` is refused on an init container: only `Always` (a sidecar) is allowed"),
        )),
    }
    if host_network {
        for (j, p) in c.ports.iter().flatten().enumerate() {
            if let Some(h) = p.host_port.filter(|h| *h != 0 && *h != p.container_port) {
                out.push((
                    format!("ports[{j}].hostPort"),
                    format!(
                        "hostPort {h} must equal containerPort {} under hostNetwork",
                        p.container_port
                    ),
                ));
            }
        }
    }
    out
}

/// (field path below the container, message) for each field the API server refuses.
fn problems(c: &Container, version: (u32, u32)) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut names_seen = BTreeSet::new();
    for (j, p) in c.ports.iter().flatten().enumerate() {
        if let Err(e) = names::port_number("container port", p.container_port.into()) {
            out.push((format!("ports[{j}].containerPort"), e.message));
        }
        if let Some(host) = p.host_port.filter(|h| *h != 0) {
            if let Err(e) = names::port_number("host port", host.into()) {
                out.push((format!("ports[{j}].hostPort"), e.message));
            }
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
    out.extend(env_problems(c, version));
    if let Some(image) = c.image.as_deref().filter(|i| i.trim() != *i) {
        out.push((
            "image".into(),
            format!(
                "image `{}` has leading or trailing whitespace",
                image.escape_debug()
            ),
        ));
    }
    let enums: [(&str, Option<&str>, &[&str]); 2] = [
        (
            "imagePullPolicy",
            c.image_pull_policy.as_deref(),
            &["Always", "IfNotPresent", "Never"],
        ),
        (
            "terminationMessagePolicy",
            c.termination_message_policy.as_deref(),
            &["File", "FallbackToLogsOnError"],
        ),
    ];
    for (field, value, allowed) in enums {
        if let Some(v) = value.filter(|v| !allowed.contains(v)) {
            out.push((
                field.to_string(),
                format!("{field} `{v}` is not one of {}", allowed.join(", ")),
            ));
        }
    }
    for (j, p) in c.ports.iter().flatten().enumerate() {
        if let Some(v) = p
            .protocol
            .as_deref()
            .filter(|v| !["TCP", "UDP", "SCTP"].contains(v))
        {
            out.push((
                format!("ports[{j}].protocol"),
                format!("protocol `{v}` is not TCP, UDP or SCTP (upper case)"),
            ));
        }
    }
    let mut mount_paths = BTreeSet::new();
    for (j, m) in c.volume_mounts.iter().flatten().enumerate() {
        if let Some(sub) = m.sub_path.as_deref() {
            if sub.starts_with('/') || sub.split('/').any(|part| part == "..") {
                out.push((
                    format!("volumeMounts[{j}].subPath"),
                    format!("subPath `{sub}` must be a relative path without `..`"),
                ));
            }
        }
        if !mount_paths.insert(m.mount_path.trim_end_matches('/')) {
            out.push((
                format!("volumeMounts[{j}].mountPath"),
                format!(
                    "mountPath `{}` is used twice in container `{}`",
                    m.mount_path, c.name
                ),
            ));
        }
    }
    for (field, probe) in [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ] {
        if let Some(p) = probe {
            out.extend(probe_problems(field, p));
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

/// What the API server refuses of a container's `env` and `envFrom`: names (by `version`),
/// `value` beside `valueFrom`, not exactly one source, an unknown downward-API field or
/// resource.
fn env_problems(c: &Container, version: (u32, u32)) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (j, e) in c.env.iter().flatten().enumerate() {
        if let Err(err) = names::env_name(&e.name, version) {
            out.push((format!("env[{j}].name"), err.message));
        }
        if let Some(from) = &e.value_from {
            if e.value.as_deref().is_some_and(|v| !v.is_empty()) {
                out.push((
                    format!("env[{j}].valueFrom"),
                    format!(
                        "env `{}` has both `value` and `valueFrom`; give one",
                        e.name
                    ),
                ));
            }
            let sources = [
                from.field_ref.is_some(),
                from.resource_field_ref.is_some(),
                from.config_map_key_ref.is_some(),
                from.secret_key_ref.is_some(),
            ];
            let n = sources.iter().filter(|s| **s).count();
            if n != 1 {
                out.push((
                    format!("env[{j}].valueFrom"),
                    format!("env `{}`: valueFrom takes exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef; it has {n}", e.name),
                ));
            }
            if let Some(f) = &from.field_ref {
                let path = f.field_path.as_str();
                let ok = names::FIELD_PATHS.contains(&path)
                    || ["metadata.labels['", "metadata.annotations['"]
                        .iter()
                        .any(|pre| path.starts_with(pre) && path.ends_with("']"));
                if !ok {
                    out.push((
                        format!("env[{j}].valueFrom.fieldRef.fieldPath"),
                        format!("`{path}` is not a downward-API field; use one of {}, metadata.labels['KEY'], metadata.annotations['KEY']", names::FIELD_PATHS.join(", ")),
                    ));
                }
            }
            if let Some(r) = &from.resource_field_ref {
                let resource = r.resource.as_str();
                let ok = ["limits.", "requests."].iter().any(|pre| {
                    resource.strip_prefix(pre).is_some_and(|name| {
                        ["cpu", "memory", "ephemeral-storage"].contains(&name)
                            || name.starts_with("hugepages-")
                    })
                });
                if !ok {
                    out.push((
                        format!("env[{j}].valueFrom.resourceFieldRef.resource"),
                        format!("`{resource}` is not limits.cpu, limits.memory, limits.ephemeral-storage or requests.* of them"),
                    ));
                }
            }
        }
    }
    for (j, e) in c.env_from.iter().flatten().enumerate() {
        if let Some(prefix) = e.prefix.as_deref().filter(|p| !p.is_empty()) {
            if let Err(err) = names::env_name(prefix, version) {
                out.push((
                    format!("envFrom[{j}].prefix"),
                    format!("prefix: {}", err.message),
                ));
            }
        }
    }
    out
}

/// What the API server refuses of a probe: not exactly one handler, a negative number, a
/// terminationGracePeriodSeconds that is not positive (or on a readiness probe).
fn probe_problems(field: &str, p: &Probe) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let handlers = [
        p.exec.is_some(),
        p.http_get.is_some(),
        p.tcp_socket.is_some(),
        p.grpc.is_some(),
    ];
    match handlers.iter().filter(|h| **h).count() {
        0 => out.push((
            field.to_string(),
            format!("{field} has no handler: give one of exec, httpGet, tcpSocket, grpc"),
        )),
        1 => {}
        n => out.push((
            field.to_string(),
            format!("{field} has {n} handlers; it takes one of exec, httpGet, tcpSocket, grpc"),
        )),
    }
    for (name, value) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("periodSeconds", p.period_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            out.push((
                format!("{field}.{name}"),
                format!("{name} is {v}; it must be 0 or more"),
            ));
        }
    }
    match p.termination_grace_period_seconds {
        Some(_) if field == "readinessProbe" => out.push((
            format!("{field}.terminationGracePeriodSeconds"),
            "a readinessProbe takes no terminationGracePeriodSeconds".to_string(),
        )),
        Some(v) if v < 1 => out.push((
            format!("{field}.terminationGracePeriodSeconds"),
            format!("terminationGracePeriodSeconds is {v}; it must be 1 or more"),
        )),
        _ => {}
    }
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
        // Neither is overcommitted: the request needs a limit equal to it.
        let huge_pages = name.starts_with("hugepages-");
        let extended = (name.contains('/') && !name.starts_with("kubernetes.io/")) || huge_pages;
        let what = match huge_pages {
            true => "huge pages",
            false => "an extended resource",
        };
        let path = crate::shared::join_key("resources.requests", name);
        let Ok(req) = names::quantity(&request.0) else {
            continue;
        };
        // None: no limit; Some(None): one that is not a quantity (the type check's finding).
        let limit_value = limit.map(|l| names::quantity(&l.0).ok());
        match (limit_value, extended) {
            (Some(Some(lim)), true) if req != lim => out.push((
                path,
                format!(
                    "request {} of `{name}` must equal its limit {} ({what} {} not overcommitted)",
                    request.0,
                    limit.map_or("", |l| l.0.as_str()),
                    if huge_pages { "are" } else { "is" }
                ),
            )),
            (None, true) => out.push((
                path,
                format!("`{name}` ({what}) needs a limit equal to its request"),
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
        let paths: Vec<String> = problems(&c, NEWEST).into_iter().map(|(p, _)| p).collect();
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
        assert_eq!(problems(&c, NEWEST), []);
    }

    fn pod(value: serde_json::Value) -> PodSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn what_the_api_server_refuses_of_a_statefulsets_pod_template() {
        let p = pod(json!({
            "containers": [],
            "restartPolicy": "Never",
            "activeDeadlineSeconds": 5,
            "terminationGracePeriodSeconds": -1,
            "priority": 7,
            "dnsPolicy": "None",
            "dnsConfig": {"nameservers": ["1.1.1.1", "x", "3.3.3.3", "4.4.4.4"]},
            "preemptionPolicy": "Sometimes",
            "shareProcessNamespace": true,
            "hostPID": true,
        }));
        let paths: Vec<String> = pod_problems(&p).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "restartPolicy",
                "activeDeadlineSeconds",
                "terminationGracePeriodSeconds",
                "priority",
                "dnsConfig.nameservers",
                "dnsConfig.nameservers[1]",
                "preemptionPolicy",
                "shareProcessNamespace",
            ]
        );
        let p = pod(json!({"containers": [], "dnsPolicy": "None"}));
        assert_eq!(pod_problems(&p).len(), 1);
        let p = pod(json!({
            "containers": [], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "terminationGracePeriodSeconds": 0, "preemptionPolicy": "Never",
        }));
        assert_eq!(pod_problems(&p), []);
    }

    #[test]
    fn a_containers_restart_policy_and_host_ports_by_its_place() {
        let c = container(json!({
            "name": "s", "image": "x", "restartPolicy": "Always",
            "ports": [{"containerPort": 80, "hostPort": 81}, {"containerPort": 82, "hostPort": 82}],
        }));
        let paths = |init, host, v| -> Vec<String> {
            pod_container_problems(&c, init, host, v)
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        };
        assert_eq!(
            paths(false, true, NEWEST),
            ["restartPolicy", "ports[0].hostPort"]
        );
        assert_eq!(paths(true, false, NEWEST), Vec::<String>::new());
        assert_eq!(paths(true, false, (1, 28)), ["restartPolicy"]);
    }

    #[test]
    fn env_names_by_version() {
        let c = container(
            json!({"name": "s", "image": "x", "env": [{"name": "1A"}, {"name": "a.b-C_9"}]}),
        );
        assert_eq!(problems(&c, (1, 31)).len(), 1);
        assert_eq!(problems(&c, (1, 32)), []);
    }
}
