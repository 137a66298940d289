//! Probes: readiness, liveness and startup from the profile, or TCP probes on the first
//! port by default.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use super::errors::Errors;
use super::text::{expand_list, TemplateVars};
use super::ModelPort;
use crate::profile::types::*;

/// The app container's probes by kind; ports named in probes must be declared. An exec
/// probe's command is profile text like the container's own command (`{{ ports.<name> }}`).
pub(super) fn build(
    p: &Profile,
    ports: &[ModelPort],
    port_names: &BTreeSet<String>,
    vars: &TemplateVars,
    errs: &mut Errors,
) -> IndexMap<&'static str, Json> {
    let mut probes = IndexMap::new();
    let defaults = default_probes(ports);
    // A profile's `probes` merge over the defaults probe by probe: one it does not list
    // keeps its default, one written `null` is removed.
    let written = errs.loaded.tree.get("probes");
    let spec = p.probes.clone().unwrap_or_default();
    for (kind, probe) in [
        ("readiness", &spec.readiness),
        ("liveness", &spec.liveness),
        ("startup", &spec.startup),
    ] {
        match probe {
            Some(probe) => {
                let path = format!("probes.{kind}");
                if let Some(j) = probe_json(probe, &path, port_names, vars, errs) {
                    probes.insert(kind, j);
                }
            }
            None if written.is_some_and(|w| w.get(kind).is_some()) => {}
            None => {
                if let Some((_, j)) = defaults.iter().find(|(k, _)| *k == kind) {
                    probes.insert(kind, j.clone());
                }
            }
        }
    }
    probes
}

/// The probes of a profile that lists none: TCP readiness and liveness on the first port.
fn default_probes(ports: &[ModelPort]) -> Vec<(&'static str, Json)> {
    let Some(first) = ports.first() else {
        return Vec::new();
    };
    vec![
        (
            "readiness",
            json!({"tcpSocket": {"port": first.name}, "periodSeconds": 10}),
        ),
        (
            "liveness",
            json!({"tcpSocket": {"port": first.name}, "initialDelaySeconds": 30, "periodSeconds": 20}),
        ),
    ]
}

/// One probe as Kubernetes writes it.
fn probe_json(
    probe: &Probe,
    path: &str,
    ports: &BTreeSet<String>,
    vars: &TemplateVars,
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
        let cmd = expand_list(vars, &format!("{path}.exec"), cmd, errs);
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

#[cfg(test)]
mod tests {
    use super::super::testing::{load, messages, vars};
    use super::*;

    fn port(name: &str) -> ModelPort {
        ModelPort {
            name: name.into(),
            port: 80,
            protocol: "TCP",
        }
    }

    #[test]
    fn tcp_probes_on_the_first_port_by_default() {
        let loaded = load("");
        let mut errs = Errors::new(&loaded);
        let sets = IndexMap::new();
        let v = vars(&sets, None, 1);
        let probes = build(
            &loaded.profile,
            &[port("web")],
            &BTreeSet::new(),
            &v,
            &mut errs,
        );
        assert_eq!(
            probes.keys().copied().collect::<Vec<_>>(),
            ["readiness", "liveness"]
        );
        assert_eq!(
            probes["liveness"],
            json!({"tcpSocket": {"port": "web"}, "initialDelaySeconds": 30, "periodSeconds": 20})
        );
        assert!(build(&loaded.profile, &[], &BTreeSet::new(), &v, &mut errs).is_empty());
    }

    #[test]
    fn declared_probes_name_declared_ports_and_one_handler() {
        let loaded = load("probes:\n  readiness: {http: {path: health, port: wbe}, periodSeconds: 5}\n  liveness: {tcp: web, exec: [\"true\"]}\n");
        let names = BTreeSet::from(["web".to_string()]);
        let mut errs = Errors::new(&loaded);
        let sets = IndexMap::new();
        let v = vars(&sets, None, 1);
        let probes = build(&loaded.profile, &[port("web")], &names, &v, &mut errs);
        assert_eq!(
            messages(&errs),
            [
                "probes.readiness.http.path: an HTTP probe path starts with `/`",
                "probes.readiness.http.port: `wbe` is not one of the declared ports; declared ports: web",
                "probes.liveness: a probe needs exactly one of `exec`, `tcp` or `http`",
            ]
        );
        assert_eq!(probes["readiness"]["periodSeconds"], 5);
        assert!(!probes.contains_key("liveness"));
    }
}
