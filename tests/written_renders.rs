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
podTemplate: {priorityClassName: \"{{ name }}-h\"}
",
    );
    let c = main_container(&items);
    assert_eq!(strings(&c["command"]), ["/bin/app"]);
    assert_eq!(strings(&c["args"]), ["app-x", "--peers=app.ns", "plain"]);
    let i = init_container(&items, "init");
    assert_eq!(strings(&i["command"]), ["app-i"]);
    assert_eq!(strings(&i["args"]), ["3"]);
    assert_eq!(strings(&container(&items, "side")["args"]), ["app-s"]);
    assert_eq!(pod(&items)["priorityClassName"], "app-h");
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

// ---------------------------------------------------------------- named items in layers

const WITH_ITEMS: &str = "roles:
  - {name: primary, ordinals: \"0\"}
  - {name: replica, ordinals: 1-}
sidecars:
  - {name: exporter, image: \"exp:1\"}
";

/// Loads BASE + WITH_ITEMS with `overlay` (a file, if any) and `sets` layered over it.
fn layered(overlay: Option<&str>, sets: &[&str]) -> Result<sts_gen::profile::Loaded, String> {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("p.yaml");
    std::fs::write(&base, format!("{BASE}{WITH_ITEMS}")).unwrap();
    let mut layers = sts_gen::profile::Layers::default();
    if let Some(text) = overlay {
        let o = dir.path().join("o.yaml");
        std::fs::write(&o, text).unwrap();
        layers.overlays.push(o.to_string_lossy().into_owned());
    }
    for s in sets {
        layers
            .sets
            .push((sts_gen::profile::SetKind::Typed, s.to_string()));
    }
    sts_gen::profile::load_file_with(&base.to_string_lossy(), &layers).map_err(|e| e.to_string())
}

#[test]
fn set_of_a_misspelt_item_name_is_an_error_with_did_you_mean() {
    let e = layered(None, &["sidecars.exportr.image=x:2"]).unwrap_err();
    assert!(e.contains("`sidecars` has no item named `exportr`"), "{e}");
    assert!(e.contains("did you mean `exporter`?"), "{e}");
    let e = layered(None, &["roles.replicaa.ordinals=1-"]).unwrap_err();
    assert!(e.starts_with("--set roles.replicaa.ordinals:1:1: "), "{e}");
    assert!(e.contains("`roles` has no item named `replicaa`"), "{e}");
    assert!(e.contains("did you mean `replica`?"), "{e}");
    // An existing name merges into its item.
    let l = layered(None, &["sidecars.exporter.image=x:2"]).unwrap();
    assert_eq!(l.profile.sidecars.len(), 1);
    assert_eq!(l.profile.sidecars[0]["image"], "x:2");
}

#[test]
fn a_whole_new_item_is_added() {
    let l = layered(None, &["sidecars=[{name: new, image: \"n:1\"}]"]).unwrap();
    let names: Vec<&str> = l
        .profile
        .sidecars
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["exporter", "new"]);
    let l = layered(None, &["sidecars.new={image: \"n:1\"}"]).unwrap();
    assert_eq!(l.profile.sidecars.len(), 2);
    // Without its image it is not whole: an error, not a container without an image.
    let e = layered(None, &["sidecars=[{name: exportr, args: [x]}]"]).unwrap_err();
    assert!(e.contains("did you mean `exporter`?"), "{e}");
}

#[test]
fn overlay_items_are_checked_at_their_line() {
    let e = layered(
        Some("sidecars:\n  - name: exporter\n    args: [a]\n  - name: exportr\n    args: [b]\n"),
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("o.yaml:4:11: sidecars[1].name: `sidecars` has no item named `exportr`"),
        "{e}"
    );
    let l = layered(
        Some("roles:\n  - {name: replica, ordinals: 2-}\n  - {name: backup, ordinals: \"1\"}\n"),
        &[],
    )
    .unwrap();
    let roles: Vec<(&str, &str)> = l
        .profile
        .roles
        .iter()
        .map(|r| (r.name.as_str(), r.ordinals.as_str()))
        .collect();
    assert_eq!(
        roles,
        [("primary", "0"), ("replica", "2-"), ("backup", "1")]
    );
}

#[test]
fn a_layer_naming_one_item_twice_is_an_error_not_a_silent_merge() {
    // Both items merged into one (the last port won) and the render exited 0.
    let e = layered(
        Some("sidecars:\n  - {name: exporter, args: [a]}\n  - {name: exporter, args: [b]}\n"),
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("o.yaml:3:12: sidecars[1].name: `exporter` names two items of `sidecars` (items 0 and 1)"),
        "{e}"
    );
    let e = layered(
        None,
        &["sidecars=[{name: x, image: \"x:1\"}, {name: x, image: \"x:2\"}]"],
    )
    .unwrap_err();
    assert!(
        e.contains("`x` names two items of `sidecars` (items 0 and 1)"),
        "{e}"
    );
    // One item per name, over the base's: merged as before.
    let l = layered(Some("sidecars:\n  - {name: exporter, args: [a]}\n"), &[]).unwrap();
    assert_eq!(l.profile.sidecars.len(), 1);
}

// ---------------------------------------------------------------- partial maps and defaults

fn resources(items: &[Value]) -> Value {
    main_container(items)["resources"].clone()
}

#[test]
fn partial_resources_keep_the_other_defaults() {
    let r = resources(&render("resources: {requests: {cpu: 2}}\n"));
    assert_eq!(r["requests"]["cpu"], "2");
    assert_eq!(r["requests"]["memory"], "256Mi");
    assert_eq!(r["limits"]["memory"], "256Mi");
    assert_eq!(r["limits"]["cpu"], "8");
    // A memory request of the profile's own: its limit derives from it, not the default.
    let r = resources(&render("resources: {requests: {memory: 1Gi}}\n"));
    assert_eq!(r["requests"]["cpu"], "100m");
    assert_eq!(r["requests"]["memory"], "1Gi");
    assert_eq!(r["limits"]["memory"], "1Gi");
    // A limit below a default request lowers the request (as Kubernetes would default it).
    let r = resources(&render("resources: {limits: {memory: 128Mi}}\n"));
    assert_eq!(r["requests"]["memory"], "128Mi");
    assert_eq!(r["limits"]["memory"], "128Mi");
}

#[test]
fn partial_probes_keep_the_other_defaults_and_null_removes_one() {
    let items = render("probes: {readiness: {exec: [\"true\"]}}\n");
    let c = main_container(&items);
    assert_eq!(c["readinessProbe"]["exec"]["command"][0], "true");
    assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], "http");
    assert!(c.get("startupProbe").is_none());
    let items = render("probes: {readiness: {exec: [\"true\"]}, liveness: null}\n");
    let c = main_container(&items);
    assert!(c.get("livenessProbe").is_none(), "{c}");
}

#[test]
fn partial_security_context_keeps_the_other_defaults() {
    let items = render("securityContext: {runAsUser: 1234}\n");
    let ctx = &pod(&items)["securityContext"];
    assert_eq!(ctx["runAsUser"], 1234);
    assert_eq!(ctx["runAsNonRoot"], true);
    assert_eq!(
        main_container(&items)["securityContext"]["readOnlyRootFilesystem"],
        true
    );
}

// ---------------------------------------------------------------- values that mean something else

#[test]
fn bytes_on_purpose_and_an_empty_literal_secret_are_accepted() {
    // The bad corpus (secret-env-empty, storage-size-no-unit, resource-memory-no-unit) has
    // the refusals; these are the explicit forms their hints name.
    let items =
        render("resources: {requests: {memory: 512e6}}\nsecret: {data: {empty: {value: \"\"}}}\n");
    assert_eq!(resources(&items)["requests"]["memory"], "512e6");
    let e = error("resources: {limits: {ephemeral-storage: \"2048\"}}\n");
    assert!(
        e.contains("resources.limits.ephemeral-storage: `2048` has no unit"),
        "{e}"
    );
}

// ---------------------------------------------------------------- findings after the model

#[test]
fn a_pod_template_container_of_another_name_points_at_its_line() {
    let extra = "podTemplate:\n  containers:\n    - name: ap\n      env: [{name: A, value: b}]\n";
    let e = error(extra);
    assert!(
        e.contains(&format!(
            "p.yaml:{}:13: podTemplate.containers[0].name: container `ap` has no image",
            line_of(extra, "- name: ap")
        )),
        "{e}"
    );
    assert!(e.contains("the app container is named `app`"), "{e}");
    assert!(
        e.contains("found in template `statefulset.yaml.j2`, StatefulSet app"),
        "{e}"
    );
}

// ---------------------------------------------------------------- every error in one run

#[test]
fn render_lists_every_typing_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.yaml");
    std::fs::write(
        &p,
        format!("{BASE}replicaz: 3\nenv:\n  A: {{secrets: x}}\nimagePullPolicy: Sometimes\n"),
    )
    .unwrap();
    let r = common::run(common::sts_gen().arg("render").arg(&p));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(
        lines[0].ends_with("replicaz: unknown key `replicaz` (did you mean `replicas`?)"),
        "{}",
        r.stderr
    );
    assert!(
        lines[1].contains(":12:6: env.A: unknown key `secrets`"),
        "{}",
        r.stderr
    );
    assert!(
        lines[2].contains(":13:18: imagePullPolicy: unknown value `Sometimes`"),
        "{}",
        r.stderr
    );
}

#[test]
fn model_errors_are_all_listed_up_to_the_limit() {
    // 25 references to Secret keys that do not exist, each found by the model stage.
    let env: String = (0..25)
        .map(|i| format!("  E{i}: {{secret: key{i}}}\n"))
        .collect();
    let e = error(&format!("env:\n{env}"));
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 21, "{e}");
    assert!(
        lines[0].contains("env.E0.secret: `key0` is not a key"),
        "{e}"
    );
    assert!(
        lines[19].contains("env.E19.secret: `key19` is not a key"),
        "{e}"
    );
    assert!(lines[20].starts_with("stopped after 20 errors"), "{e}");
}

/// The list of variables an unknown one is told with is the whole list: `claimName` works,
/// so it is offered.
#[test]
fn an_unknown_variable_lists_every_variable() {
    let r = common::run(
        common::sts_gen()
            .args(["render", "-"])
            .write_stdin("apiVersion: sts-gen/v1\nkind: Profile\nname: a\nimage: x:1\nstorage: {size: 1Gi}\nargs: [\"{{ claim }}\"]\n"),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown variable `claim`") && r.stderr.contains("{{ claimName }}"),
        "{}",
        r.stderr
    );
}
