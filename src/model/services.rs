//! Services: the declared ports, the headless Service, the read and primary Services, and
//! the client Service of a profile with node sets.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::errors::Errors;
use super::roles::OrdinalRange;
use super::text::{expand_or_keep, TemplateVars};
use super::{names, ModelClientService, ModelPort};
use crate::profile::de::join_key;
use crate::profile::types::*;
use crate::profile::SetInfo;
use crate::shared::error::LoadError;
use serde::Serialize;

/// The exporter sidecar's container name: `features` adds it, and the port checks here
/// count it as one of the pod's own containers.
pub const METRICS_CONTAINER: &str = "metrics";

/// The declared ports, checked, and their names; sidecars' ports are checked against them.
pub(super) fn ports(p: &Profile, errs: &mut Errors) -> (Vec<ModelPort>, BTreeSet<String>) {
    let mut port_names = BTreeSet::new();
    let mut ports: Vec<ModelPort> = Vec::new();
    for (i, port) in p.ports.iter().enumerate() {
        let path = format!("ports[{i}]");
        errs.check(&format!("{path}.name"), names::port_name(&port.name));
        if !port_names.insert(port.name.clone()) {
            errs.push(
                &format!("{path}.name"),
                format!("port name `{}` is used twice", port.name),
            );
        }
        let protocol = match port.protocol.unwrap_or(Protocol::TCP) {
            Protocol::TCP => "TCP",
            Protocol::UDP => "UDP",
            Protocol::SCTP => "SCTP",
        };
        if port.port == 0 {
            errs.check(&format!("{path}.port"), names::port_number("port", 0));
        } else if let Some(j) = ports
            .iter()
            .position(|x| x.port == port.port && x.protocol == protocol)
        {
            // The Services list every port, and the API server refuses a Service that lists
            // one port/protocol twice ("Duplicate value").
            errs.push(
                &format!("{path}.port"),
                format!(
                    "port {}/{protocol} is already declared by ports[{j}] (`{}`); a Service cannot list it twice",
                    port.port, ports[j].name
                ),
            );
        }
        ports.push(ModelPort {
            name: port.name.clone(),
            port: port.port,
            protocol,
        });
    }
    sidecar_ports(p, &ports, errs);
    (ports, port_names)
}

/// The containers a profile adds that run beside the app container and so share the pod's
/// network: sidecars, init containers with `restartPolicy: Always` (native sidecars) and
/// the containers `podTemplate` adds, as (profile path, what it is, container). A
/// `podTemplate` container named like another one extends it (its ports replace that
/// one's by name), so it is not a container of its own here.
pub(super) fn running_containers(p: &Profile) -> Vec<(String, &'static str, &serde_json::Value)> {
    fn name(c: &serde_json::Value) -> Option<&str> {
        c.get("name").and_then(serde_json::Value::as_str)
    }
    let restartable = |c: &&serde_json::Value| {
        c.get("restartPolicy").and_then(serde_json::Value::as_str) == Some("Always")
    };
    let mut out: Vec<(String, &'static str, &serde_json::Value)> = Vec::new();
    out.extend(
        p.sidecars
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("sidecars[{i}]"), "sidecar", c)),
    );
    out.extend(
        p.init_containers
            .iter()
            .enumerate()
            .filter(|(_, c)| restartable(c))
            .map(|(i, c)| (format!("initContainers[{i}]"), "init container", c)),
    );
    let template = p.pod_template.as_ref();
    for (list, restartable_only) in [("containers", false), ("initContainers", true)] {
        let items = template
            .and_then(|t| t.get(list))
            .and_then(serde_json::Value::as_array);
        for (i, c) in items.into_iter().flatten().enumerate() {
            let own = name(c).is_some_and(|n| {
                // `{{ name }}` and friends: a rendered container's name, whichever it is.
                n == p.name
                    || n.contains("{{")
                    || (n == METRICS_CONTAINER
                        && p.metrics.as_ref().is_some_and(|m| m.enabled == Some(true)))
                    || p.sidecars
                        .iter()
                        .chain(&p.init_containers)
                        .any(|o| name(o) == Some(n))
            });
            if !own && (!restartable_only || restartable(&c)) {
                out.push((format!("podTemplate.{list}[{i}]"), "container", c));
            }
        }
    }
    out
}

/// A preset's engine listens where its config files and scripts say. Where they write the
/// port as `{{ ports.<name> }}` the engine follows a profile that gives it another number;
/// where they write the number, such a profile moves the Services, probes and
/// NetworkPolicy but not the engine: a warning at the line.
pub(super) fn moved_preset_ports(
    loaded: &crate::profile::Loaded,
    ports: &[ModelPort],
    warnings: &mut Vec<String>,
) {
    use crate::profile::node::Value;
    let Some(preset) = &loaded.profile.preset else {
        return;
    };
    let Some(Ok(tree)) = crate::profile::presets::tree(preset) else {
        return;
    };
    let Some(Value::Seq(items)) = tree.get("ports").map(|n| &n.value) else {
        return;
    };
    let text = |n: Option<&crate::profile::Node>| match n.map(|n| &n.value) {
        Some(Value::Scalar { text, .. }) => Some(text.clone()),
        _ => None,
    };
    for item in items {
        let (Some(name), Some(Ok(was))) = (
            text(item.get("name")),
            text(item.get("port")).map(|p| p.parse::<u16>()),
        ) else {
            continue;
        };
        let Some((i, now)) = ports.iter().enumerate().find(|(_, x)| x.name == name) else {
            continue;
        };
        if follows_port(crate::profile::presets::get(preset).unwrap_or(""), &name) {
            continue;
        }
        let at = crate::profile::locate(&loaded.tree, &format!("ports[{i}].port"));
        // A preset may move its own port (the web preset's `tls.with`: 443, its config too).
        if now.port != was && *at.loc.file != *format!("<preset {preset}>") {
            warnings.push(format!("{}: ports[{i}].port: the {preset} preset's engine listens on {was} for `{name}` (its config files and scripts say so); {} moves the Services and probes, not the engine: keep {was}, or change the preset's config too", at.loc, now.port));
        }
    }
}

/// Whether a preset's `text` writes port `name` as a text variable, so its engine follows
/// the number a profile gives it.
fn follows_port(text: &str, name: &str) -> bool {
    let dotted = format!("ports.{name}");
    let identifier = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&dotted)
        .any(|(i, _)| !text[i + dotted.len()..].starts_with(identifier))
        || text.contains(&format!("ports['{name}']"))
        || text.contains(&format!("ports[\"{name}\"]"))
}

/// Ports of the containers of [`running_containers`]: in range, and none a port/protocol
/// another container of the pod already has, since the containers share the pod's network
/// and only one can bind it.
fn sidecar_ports(p: &Profile, ports: &[ModelPort], errs: &mut Errors) {
    // (port, protocol, who declared it) of the main container, then of earlier containers.
    let mut taken: Vec<(i64, String, String)> = ports
        .iter()
        .enumerate()
        .map(|(j, x)| {
            let owner = format!("ports[{j}] (`{}`) of the app container", x.name);
            (i64::from(x.port), x.protocol.to_string(), owner)
        })
        .collect();
    for (at, _, c) in running_containers(p) {
        let list = c.get("ports").and_then(serde_json::Value::as_array);
        for (j, port) in list.into_iter().flatten().enumerate() {
            let Some(n) = port
                .get("containerPort")
                .and_then(serde_json::Value::as_i64)
            else {
                continue;
            };
            let field = format!("{at}.ports[{j}].containerPort");
            if let Err(e) = names::port_number("container port", n) {
                errs.check(&field, Err(e));
                continue;
            }
            let protocol = port
                .get("protocol")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("TCP")
                .to_string();
            match taken.iter().find(|(m, pr, _)| *m == n && *pr == protocol) {
                Some((_, _, owner)) => errs.push(
                    &field,
                    format!("port {n}/{protocol} is already {owner}; the containers share the pod's network, so only one of them can bind it"),
                ),
                None => taken.push((n, protocol, format!("{at}.ports[{j}]"))),
            }
        }
    }
}

/// The headless Service's name: `services.headless.name` (which may use text variables)
/// or the profile's name.
pub(super) fn headless_name(p: &Profile, name_vars: &TemplateVars, errs: &mut Errors) -> String {
    match p
        .services
        .as_ref()
        .and_then(|s| s.headless.as_ref())
        .and_then(|h| h.name.clone())
    {
        Some(n) => expand_or_keep(name_vars, "services.headless.name", &n, errs),
        None => p.name.clone(),
    }
}

/// The headless, read, primary and extra Services. The primary Service selects the one pod
/// of the first role (`roles`, parsed).
pub(super) fn build(
    p: &Profile,
    ports: &[ModelPort],
    headless_name: String,
    parsed_roles: &[(&str, Vec<OrdinalRange>)],
    name_vars: &TemplateVars,
    errs: &mut Errors,
) -> ModelServices {
    let expand_name =
        |path: &str, text: &str, errs: &mut Errors| expand_or_keep(name_vars, path, text, errs);
    let services_spec = p.services.clone().unwrap_or_default();
    // Names derived from an invalid `name` would repeat its error at places the user never
    // wrote; check them only once `name` is valid.
    let name_ok = names::dns_label(&p.name, 52).is_ok();
    // A Service name is a DNS-1035 label (it starts with a letter), so a `name` that starts
    // with a digit (valid for the StatefulSet) cannot name the Services after it: one error
    // at `name`, not one per Service at a key the user never wrote (the check stage's were
    // not located at all).
    let written = |name: Option<&String>| name.is_some();
    let headless_spec = services_spec.headless.clone().unwrap_or_default();
    let read_named = match &services_spec.read {
        Some(Toggle::Off) => true,
        Some(Toggle::On(r)) => written(r.name.as_ref()),
        None => p.ports.is_empty(),
    };
    let primary_named = services_spec
        .primary
        .as_ref()
        .is_none_or(|pr| written(pr.name.as_ref()));
    let metrics_on = p.metrics.as_ref().is_some_and(|m| m.enabled == Some(true));
    let derived =
        !written(headless_spec.name.as_ref()) || !read_named || !primary_named || metrics_on;
    let digit_first = name_ok && p.name.starts_with(|c: char| c.is_ascii_digit());
    if digit_first && derived {
        errs.push(
            "name",
            format!("`{}` starts with a digit, but the Services named after it (`{0}`, `{0}-read`, ...) must start with a letter (DNS-1035 labels); rename the app, or name each Service under `services`", p.name),
        );
    }
    let errs_names = |errs: &mut Errors, path: &str, r: Result<(), LoadError>| {
        if name_ok && !(digit_first && derived) {
            errs.check(path, r);
        }
    };
    let service_name =
        |n: &str| names::dns_1035_label(n, 63).map_err(|e| e.prefixed(format_args!("`{n}` ")));
    errs_names(errs, "services.headless.name", service_name(&headless_name));
    let read = match &services_spec.read {
        Some(Toggle::Off) => None,
        Some(Toggle::On(r)) => Some(ModelReadService {
            name: match &r.name {
                Some(n) => expand_name("services.read.name", n, errs),
                None => format!("{}-read", p.name),
            },
            kind: service_type(r.kind),
            ports: select_ports("services.read.ports", r.ports.as_ref(), ports, errs),
            annotations: annotations("services.read", &r.annotations, errs),
        }),
        None if p.ports.is_empty() => None,
        None => Some(ModelReadService {
            name: format!("{}-read", p.name),
            kind: "ClusterIP",
            ports: ports.to_vec(),
            annotations: IndexMap::new(),
        }),
    };
    if let Some(r) = &read {
        errs_names(errs, "services.read.name", service_name(&r.name));
    }
    let primary = services_spec
        .primary
        .as_ref()
        .and_then(|pr| primary(p, pr, ports, parsed_roles, &expand_name, errs));
    if let Some(pr) = &primary {
        errs_names(errs, "services.primary.name", service_name(&pr.name));
    }
    let extra = extra(p, &services_spec.extra, ports, &expand_name, errs);
    // Without ports only the headless Service (which needs none) is rendered.
    if ports.is_empty() {
        if matches!(services_spec.read, Some(Toggle::On(_))) {
            errs.push("services.read", "the read Service needs ports: declare `ports` (e.g. `[{name: app, port: 8080}]`) or omit it");
        }
        if services_spec.primary.is_some() {
            errs.push("services.primary", "the primary Service needs ports: declare `ports` (e.g. `[{name: app, port: 8080}]`) or omit it");
        }
    }
    let services = ModelServices {
        headless: ModelHeadless {
            name: headless_name,
            publish_not_ready_addresses: headless_spec.publish_not_ready_addresses.unwrap_or(false),
            ports: select_ports(
                "services.headless.ports",
                headless_spec.ports.as_ref(),
                ports,
                errs,
            ),
            annotations: annotations("services.headless", &headless_spec.annotations, errs),
        },
        read,
        primary,
        extra,
    };
    unique_names(&services, errs);
    services
}

/// `services.primary`: the pod of the first role, which must be exactly one ordinal.
fn primary(
    p: &Profile,
    pr: &PrimaryService,
    ports: &[ModelPort],
    parsed_roles: &[(&str, Vec<OrdinalRange>)],
    expand_name: &dyn Fn(&str, &str, &mut Errors) -> String,
    errs: &mut Errors,
) -> Option<ModelPrimaryService> {
    let name = pr
        .name
        .clone()
        .map(|n| expand_name("services.primary.name", &n, errs))
        .unwrap_or_else(|| format!("{}-primary", p.name));
    match parsed_roles.first() {
        Some((_, ranges)) if ranges.len() == 1 && ranges[0].end == Some(ranges[0].start) => {
            let replicas = p.replicas.unwrap_or(1);
            if ranges[0].start >= replicas {
                // The check stage refused the Service's selector, without a line.
                errs.push(
                    "replicas",
                    format!("{replicas} replicas do not run pod `{}-{}`, which the primary Service selects (the first role's ordinal); scale to at least {} or remove `services.primary`", p.name, ranges[0].start, ranges[0].start + 1),
                );
                return None;
            }
            Some(ModelPrimaryService {
                name,
                pod_name: format!("{}-{}", p.name, ranges[0].start),
                kind: service_type(pr.kind),
                ports: select_ports("services.primary.ports", pr.ports.as_ref(), ports, errs),
                annotations: annotations("services.primary", &pr.annotations, errs),
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

/// `services.extra`: named Services over every pod or one ordinal.
fn extra(
    p: &Profile,
    list: &[ExtraService],
    ports: &[ModelPort],
    expand_name: &dyn Fn(&str, &str, &mut Errors) -> String,
    errs: &mut Errors,
) -> Vec<ModelExtraService> {
    let replicas = p.replicas.unwrap_or(1);
    let mut out = Vec::new();
    for (i, x) in list.iter().enumerate() {
        let at = format!("services.extra[{i}]");
        let name = expand_name(&format!("{at}.name"), &x.name, errs);
        errs.check(
            &format!("{at}.name"),
            names::dns_1035_label(&name, 63).map_err(|e| e.prefixed(format_args!("`{name}` "))),
        );
        if ports.is_empty() {
            errs.push(
                &at,
                "a Service needs ports: declare `ports` (e.g. `[{name: app, port: 8080}]`)",
            );
        }
        let pod_name = x.ordinal.map(|o| {
            if o >= replicas {
                errs.push(
                    &format!("{at}.ordinal"),
                    format!(
                        "pod {}-{o} does not exist with {replicas} replicas (ordinals 0 to {})",
                        p.name,
                        replicas.saturating_sub(1)
                    ),
                );
            }
            format!("{}-{o}", p.name)
        });
        out.push(ModelExtraService {
            name,
            kind: service_type(x.kind),
            ports: select_ports(&format!("{at}.ports"), x.ports.as_ref(), ports, errs),
            annotations: annotations(&at, &x.annotations, errs),
            pod_name,
        });
    }
    out
}

/// No two Services of the profile share a name.
fn unique_names(s: &ModelServices, errs: &mut Errors) {
    let mut seen: IndexMap<&str, String> = IndexMap::new();
    let named = std::iter::once((s.headless.name.as_str(), "services.headless".to_string()))
        .chain(
            s.read
                .iter()
                .map(|r| (r.name.as_str(), "services.read".to_string())),
        )
        .chain(
            s.primary
                .iter()
                .map(|r| (r.name.as_str(), "services.primary".to_string())),
        )
        .chain(
            s.extra
                .iter()
                .enumerate()
                .map(|(i, x)| (x.name.as_str(), format!("services.extra[{i}]"))),
        );
    for (name, path) in named {
        match seen.get(name) {
            Some(first) => errs.push(
                &format!("{path}.name"),
                format!("Service `{name}` is already the name of {first}; each Service needs a name of its own"),
            ),
            None => {
                seen.insert(name, path);
            }
        }
    }
}

/// The declared ports a Service lists by name; all of them when it lists none.
fn select_ports(
    path: &str,
    names: Option<&Vec<String>>,
    ports: &[ModelPort],
    errs: &mut Errors,
) -> Vec<ModelPort> {
    let Some(names) = names else {
        return ports.to_vec();
    };
    if names.is_empty() {
        errs.push(
            path,
            "list at least one port name, or leave `ports` out for every port",
        );
    }
    let known: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    let mut out: Vec<ModelPort> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        match ports.iter().find(|p| &p.name == n) {
            Some(_) if out.iter().any(|p| &p.name == n) => errs.push(
                &format!("{path}[{i}]"),
                format!("port `{n}` is listed twice"),
            ),
            Some(port) => out.push(port.clone()),
            None => {
                let hint = match crate::profile::error::did_you_mean(n, &known) {
                    Some(k) => format!("; did you mean `{k}`?"),
                    None => format!("; declared ports: {}", known.join(", ")),
                };
                errs.push(
                    &format!("{path}[{i}]"),
                    format!("`{n}` is not one of the declared ports{hint}"),
                );
            }
        }
    }
    out
}

/// A Service's own annotations, checked.
fn annotations(
    at: &str,
    a: &IndexMap<String, String>,
    errs: &mut Errors,
) -> IndexMap<String, String> {
    for k in a.keys() {
        errs.check(
            &join_key(&format!("{at}.annotations"), k),
            names::qualified_name(k),
        );
    }
    a.clone()
}

/// The Service type as Kubernetes spells it.
fn service_type(t: Option<ServiceType>) -> &'static str {
    match t.unwrap_or(ServiceType::ClusterIP) {
        ServiceType::ClusterIP => "ClusterIP",
        ServiceType::NodePort => "NodePort",
        ServiceType::LoadBalancer => "LoadBalancer",
    }
}

/// The Services of the StatefulSet.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelServices {
    /// The headless Service (`serviceName`).
    pub headless: ModelHeadless,
    /// The Service clients read through; None without ports or with `read: false`.
    pub read: Option<ModelReadService>,
    /// The Service over the first role's one pod.
    pub primary: Option<ModelPrimaryService>,
    /// `services.extra`, in profile order.
    pub extra: Vec<ModelExtraService>,
}

impl ModelServices {
    /// Whether a Service brings clients from outside the cluster (NodePort or LoadBalancer).
    pub fn any_external(&self) -> bool {
        self.read
            .iter()
            .map(|r| r.kind)
            .chain(self.primary.iter().map(|r| r.kind))
            .chain(self.extra.iter().map(|r| r.kind))
            .any(|k| k != "ClusterIP")
    }
}

/// The headless Service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelHeadless {
    /// Its name.
    pub name: String,
    /// Whether DNS lists pods before they are ready.
    pub publish_not_ready_addresses: bool,
    /// The ports it lists.
    pub ports: Vec<ModelPort>,
    /// Its own annotations (the profile's are added by the template).
    pub annotations: IndexMap<String, String>,
}

/// The read Service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelReadService {
    /// Its name.
    pub name: String,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The ports it exposes.
    pub ports: Vec<ModelPort>,
    /// Its own annotations.
    pub annotations: IndexMap<String, String>,
}

/// The primary Service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelPrimaryService {
    /// Its name.
    pub name: String,
    /// The one pod of the first role, selected by the label the StatefulSet controller sets.
    pub pod_name: String,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The ports it exposes.
    pub ports: Vec<ModelPort>,
    /// Its own annotations.
    pub annotations: IndexMap<String, String>,
}

/// A Service of `services.extra`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelExtraService {
    /// Its name.
    pub name: String,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The ports it exposes.
    pub ports: Vec<ModelPort>,
    /// Its own annotations.
    pub annotations: IndexMap<String, String>,
    /// With `ordinal`: the one pod it selects.
    pub pod_name: Option<String>,
}

/// The client Service of a profile with node sets: every pod of every set, on the ports
/// every set declares; none without such ports (the API server refuses a ClusterIP
/// Service without ports).
pub(super) fn client_service(
    set: Option<&SetInfo>,
    ports: &[ModelPort],
) -> Option<ModelClientService> {
    let s = set?;
    let ports: Vec<ModelPort> = ports
        .iter()
        .filter(|port| s.client_ports.contains(&port.name))
        .cloned()
        .collect();
    (!ports.is_empty()).then(|| ModelClientService {
        name: s.cluster.clone(),
        selector_labels: IndexMap::from([(
            "app.kubernetes.io/name".to_string(),
            s.cluster.clone(),
        )]),
        ports,
    })
}

#[cfg(test)]
mod tests {
    use super::super::roles::parse_ordinals;
    use super::super::testing::{load, messages, vars};
    use super::*;

    #[test]
    fn default_services_and_a_primary_on_the_first_roles_pod() {
        let loaded = load(
            "ports: [{name: db, port: 5432}]\nservices: {primary: {name: \"{{ name }}-rw\"}}\n",
        );
        let sets = IndexMap::new();
        let mut errs = Errors::new(&loaded);
        let (ports, _) = super::ports(&loaded.profile, &mut errs);
        let roles = vec![("primary", parse_ordinals("0").unwrap())];
        let s = build(
            &loaded.profile,
            &ports,
            "db".into(),
            &roles,
            &vars(&sets, None, 2),
            &mut errs,
        );
        assert!(errs.list.is_empty(), "{:?}", messages(&errs));
        assert_eq!(
            s.read.as_ref().map(|r| (r.name.as_str(), r.kind)),
            Some(("db-read", "ClusterIP"))
        );
        let primary = s.primary.unwrap();
        assert_eq!(
            (primary.name.as_str(), primary.pod_name.as_str()),
            ("db-rw", "db-0")
        );
    }

    #[test]
    fn a_primary_needs_one_pod_and_services_need_ports() {
        let loaded = load("services: {primary: {}, read: {type: NodePort}}\n");
        let sets = IndexMap::new();
        let mut errs = Errors::new(&loaded);
        let roles = vec![("primary", parse_ordinals("0-1").unwrap())];
        build(
            &loaded.profile,
            &[],
            "db".into(),
            &roles,
            &vars(&sets, None, 2),
            &mut errs,
        );
        let m = messages(&errs);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].starts_with("services.primary: the primary Service selects the pod of the first role, but role `primary`"), "{m:?}");
        assert!(
            m[1].starts_with("services.read: the read Service needs ports"),
            "{m:?}"
        );
        assert!(
            m[2].starts_with("services.primary: the primary Service needs ports"),
            "{m:?}"
        );
    }

    #[test]
    fn port_names_are_unique() {
        let loaded = load("ports: [{name: db, port: 1}, {name: db, port: 2, protocol: UDP}]\n");
        let mut errs = Errors::new(&loaded);
        let (ports, names) = super::ports(&loaded.profile, &mut errs);
        assert_eq!(
            messages(&errs),
            ["ports[1].name: port name `db` is used twice"]
        );
        assert_eq!(ports[1].protocol, "UDP");
        assert_eq!(names.len(), 1);
        assert!(client_service(None, &ports).is_none());
    }
}
