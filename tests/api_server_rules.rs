//! Rules of the Kubernetes API server that a profile can run into: what it refuses must be
//! refused here, located at the profile line, and what it accepts must render. (Refusals
//! seen through the binary, with their exact text, are in `tests/bad/`.)

mod common;

use std::path::Path;

use common::{all, named};
use serde_json::{json, Value};
use sts_gen::model;

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: app
image: nginx:1
storage: {size: 1Gi, mountPath: /d}
";

/// BASE plus `extra`, rendered; the objects or the error text.
fn try_render(extra: &str) -> Result<Vec<Value>, String> {
    common::try_render(
        "t.yaml",
        &format!("{BASE}{extra}"),
        Path::new("."),
        &model::Options::default(),
    )
}

fn render(extra: &str) -> Vec<Value> {
    try_render(extra).unwrap_or_else(|e| panic!("{e}\n--- extra:\n{extra}"))
}

/// The error text of a profile that must be refused.
fn refused(extra: &str) -> String {
    match try_render(extra) {
        Ok(_) => panic!("rendered, but should be refused:\n{extra}"),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------------------- ports

#[test]
fn one_port_number_with_two_protocols_is_two_ports() {
    let items =
        render("ports: [{name: dns-udp, port: 53, protocol: UDP}, {name: dns, port: 53}]\n");
    let read = named(&items, "Service", "app-read");
    assert_eq!(
        read["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["port"].clone(), p["protocol"].clone()))
            .collect::<Vec<_>>(),
        [(json!(53), json!("UDP")), (json!(53), json!("TCP"))]
    );
}

#[test]
fn a_port_twice_is_refused_at_the_second() {
    let e = refused("ports:\n  - {name: a, port: 80}\n  - {name: b, port: 81}\n  - {name: c, port: 80, protocol: TCP}\n");
    assert_eq!(
        e,
        "t.yaml:9:21: ports[2].port: port 80/TCP is already declared by ports[0] (`a`); a Service cannot list it twice"
    );
}

#[test]
fn sidecars_cannot_bind_a_port_another_container_has() {
    let e = refused("ports: [{name: web, port: 80}]\nsidecars:\n  - {name: a, image: x, ports: [{containerPort: 9000}]}\n  - {name: b, image: x, ports: [{containerPort: 9000}]}\n");
    assert_eq!(
        e,
        "t.yaml:9:49: sidecars[1].ports[0].containerPort: port 9000/TCP is already sidecars[0].ports[0]; the containers share the pod's network, so only one of them can bind it"
    );
    // Another protocol is another socket.
    let items = render("ports: [{name: web, port: 80}]\nsidecars:\n  - {name: a, image: x, ports: [{containerPort: 80, protocol: UDP}]}\n");
    assert_eq!(all(&items, "StatefulSet").len(), 1);
    let e = refused("sidecars:\n  - {name: a, image: x, ports: [{containerPort: 70000}]}\n");
    assert!(
        e.starts_with("t.yaml:7:49: sidecars[0].ports[0].containerPort: 70000 is not a port"),
        "{e}"
    );
}
