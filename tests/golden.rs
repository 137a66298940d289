//! Golden renders of the bundled profiles. The snapshots in tests/snapshots/ were reviewed by
//! hand against the seeds' manifests; a change to the output shows up as a diff to review.

use std::path::Path;

use sts_gen::{emit, model, profile, render};

fn render_profile(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(file);
    // Replace the render-time secret source with a literal so the test needs no env var.
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "{fromEnv: MYSQL_ROOT_PASSWORD}",
        "{value: golden-test-password}",
    );
    let loaded = profile::load_bytes(file, text.as_bytes(), path.parent().unwrap()).unwrap();
    let renderer = render::Renderer::new(None).unwrap();
    let docs = sts_gen::build(&loaded, &model::Options::default(), &renderer).unwrap();
    emit::to_yaml(&docs)
}

#[test]
fn mysql_golden() {
    insta::assert_snapshot!("mysql", render_profile("mysql.yaml"));
}

#[test]
fn web_golden() {
    insta::assert_snapshot!("web", render_profile("web.yaml"));
}

#[test]
fn output_is_byte_stable() {
    assert_eq!(render_profile("mysql.yaml"), render_profile("mysql.yaml"));
}
