//! One error type for every stage: each failure carries the kind of problem, and the
//! stage's errors print through the same `Display` (location or object, path, message, hint).

use std::path::Path;

use sts_gen::shared::error::{Error, ErrorKind};
use sts_gen::{model, profile, render, Failure};

const BASE: &str = "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: postgres:16.4\nports: [{name: pg, port: 5432}]\nstorage: {size: 1Gi}\n";

fn errors(text: &str) -> Vec<Error> {
    let loaded = match profile::load_bytes("p.yaml", text.as_bytes(), Path::new(".")) {
        Ok(l) => l,
        Err(e) => return vec![e],
    };
    let renderer = render::Renderer::new(None).unwrap();
    match sts_gen::build(&loaded, &model::Options::default(), &renderer) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(f) => f.errors().to_vec(),
    }
}

fn kind_of(text: &str) -> ErrorKind {
    let errs = errors(text);
    assert!(!errs.is_empty());
    errs[0].kind
}

#[test]
fn each_stage_reports_its_kind() {
    assert_eq!(kind_of(&format!("{BASE}replicas: [1\n")), ErrorKind::Syntax);
    assert_eq!(kind_of(&format!("{BASE}replicaz: 1\n")), ErrorKind::Schema);
    assert_eq!(
        kind_of(&format!("{BASE}preset: mysqll\n")),
        ErrorKind::Reference
    );
    assert_eq!(
        kind_of("apiVersion: sts-gen/v9\nkind: Profile\n"),
        ErrorKind::Value
    );
    assert_eq!(
        kind_of(&format!("{BASE}imagePullPolicy: Sometimes\n")),
        ErrorKind::Value
    );
}

#[test]
fn a_template_error_is_the_same_type_naming_the_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml.j2"), "{% if %}\n").unwrap();
    let e = match render::Renderer::new(Some(dir.path())) {
        Err(e) => e,
        Ok(_) => panic!("a broken template must not load"),
    };
    assert_eq!(e.kind, ErrorKind::Template);
    assert_eq!(e.object(), Some("template `bad.yaml.j2`"));
    assert!(e.to_string().starts_with("template `bad.yaml.j2`: "), "{e}");
}

#[test]
fn failure_lists_errors_of_every_stage_alike() {
    let f = Failure::Load(vec![Error::of(ErrorKind::Io, "x: not found")]);
    assert_eq!(f.errors()[0].kind, ErrorKind::Io);
    assert_eq!(f.to_string(), "x: not found");
}
