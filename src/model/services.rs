//! Services: the declared ports, the headless Service, the read and primary Services, and
//! the client Service of a profile with node sets.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::errors::Errors;
use super::roles::OrdinalRange;
use super::text::{expand_or_keep, TemplateVars};
use super::{
    names, ModelClientService, ModelHeadless, ModelPort, ModelPrimaryService, ModelReadService,
    ModelServices,
};
use crate::profile::types::*;
use crate::profile::SetInfo;
use crate::shared::error::LoadError;

/// The declared ports, checked, and their names.
pub(super) fn ports(p: &Profile, errs: &mut Errors) -> (Vec<ModelPort>, BTreeSet<String>) {
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
    (ports, port_names)
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

/// The headless, read and primary Services. The primary Service selects the one pod of the
/// first role (`roles`, parsed).
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
    // Services.
    let services_spec = p.services.clone().unwrap_or_default();
    // Names derived from an invalid `name` would repeat its error at places the user never
    // wrote; check them only once `name` is valid.
    let name_ok = names::dns_label(&p.name, 52).is_ok();
    let errs_names = |errs: &mut Errors, path: &str, r: Result<(), LoadError>| {
        if name_ok {
            errs.check(path, r);
        }
    };
    errs_names(
        errs,
        "services.headless.name",
        names::dns_label(&headless_name, 63)
            .map_err(|e| e.prefixed(format_args!("`{headless_name}` "))),
    );
    let read = match &services_spec.read {
        Some(Toggle::Off) => None,
        Some(Toggle::On(r)) => Some(ModelReadService {
            name: match &r.name {
                Some(n) => expand_name("services.read.name", n, errs),
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
            errs,
            "services.read.name",
            names::dns_label(&r.name, 63).map_err(|e| e.prefixed(format_args!("`{}` ", r.name))),
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
                .map(|n| expand_name("services.primary.name", &n, errs))
                .unwrap_or_else(|| format!("{}-primary", p.name));
            errs_names(
                errs,
                "services.primary.name",
                names::dns_label(&name, 63).map_err(|e| e.prefixed(format_args!("`{name}` "))),
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
    ModelServices {
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
    }
}

/// The client Service of a profile with node sets: every pod of every set, on the ports
/// every set declares.
pub(super) fn client_service(
    set: Option<&SetInfo>,
    ports: &[ModelPort],
) -> Option<ModelClientService> {
    set.map(|s| ModelClientService {
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
