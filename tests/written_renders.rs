//! "What is written is what renders" (issue 16): profile text expands or is refused, list
//! items are addressed by name, partial maps keep their defaults, and values that would
//! silently mean something else are errors at the profile's line.

mod common;

use std::path::Path;

use common::{container, init_container, main_container, pod, strings};
use serde_json::Value;
use sts_gen::model;

const BASE: &str = "apiVersion: sts-gen/v1
kind: Profile
name: app
namespace: ns
image: example/app:1.0
replicas: 3
ports:
  - {name: http, port: 8080}
storage: {size: 1Gi}
";

fn render(extra: &str) -> Vec<Value> {
    common::render(
        "p.yaml",
        &format!("{BASE}{extra}"),
        Path::new("."),
        &model::Options::default(),
    )
}

fn error(extra: &str) -> String {
    match common::try_render(
        "p.yaml",
        &format!("{BASE}{extra}"),
        Path::new("."),
        &model::Options::default(),
    ) {
        Ok(_) => panic!("expected an error for:\n{extra}"),
        Err(e) => e,
    }
}

/// The 1-based line of `needle` in BASE + `extra`.
fn line_of(extra: &str, needle: &str) -> usize {
    format!("{BASE}{extra}")
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in the profile")
        + 1
}

// ---------------------------------------------------------------- command and args

#[test]
fn command_and_args_expand_text_variables_in_every_container() {
    let items = render(
        "command: [\"/bin/{{ name }}\"]
args: [\"{{ name }}-x\", \"--peers={{ headless }}.{{ namespace }}\", plain]
initContainers: [{name: init, image: \"busybox:1\", command: [\"{{ name }}-i\"], args: [\"{{ replicas }}\"]}]
sidecars: [{name: side, image: \"busybox:1\", args: [\"{{ cluster }}-s\"]}]
podTemplate: {hostname: \"{{ name }}-h\"}
",
    );
    let c = main_container(&items);
    assert_eq!(strings(&c["command"]), ["/bin/app"]);
    assert_eq!(strings(&c["args"]), ["app-x", "--peers=app.ns", "plain"]);
    let i = init_container(&items, "init");
    assert_eq!(strings(&i["command"]), ["app-i"]);
    assert_eq!(strings(&i["args"]), ["3"]);
    assert_eq!(strings(&container(&items, "side")["args"]), ["app-s"]);
    assert_eq!(pod(&items)["hostname"], "app-h");
}

#[test]
fn an_arg_that_does_not_expand_is_an_error_at_its_line() {
    let extra = "args:\n  - ok\n  - \"{{ nmae }}-x\"\n";
    let e = error(extra);
    assert!(
        e.contains(&format!("p.yaml:{}:", line_of(extra, "nmae"))),
        "{e}"
    );
    assert!(e.contains("args[1]: unknown variable `nmae`"), "{e}");
}
