//! Custom templates (`--templates`) run with an instruction budget (minijinja's fuel), an
//! output budget and a document budget (issue 15): a runaway template ends quickly with a
//! clear error (exit 2), while the bundled templates still render the largest model accepted.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use assert_cmd::Command;

const PROFILE: &str = "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: postgres:16.4\nports: [{name: pg, port: 5432}]\nstorage: {size: 1Gi}\n";

fn bin() -> Command {
    let mut c = Command::cargo_bin("sts-gen").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("STS_GEN_TEMPLATES")
        .timeout(Duration::from_secs(60));
    c
}

/// A folder with `p.yaml` and one extra object template `zz-extra.yaml.j2` holding `source`.
fn with_template(tag: &str, source: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sts-gen-tbudget-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("t")).unwrap();
    fs::write(d.join("p.yaml"), PROFILE).unwrap();
    fs::write(d.join("t").join("zz-extra.yaml.j2"), source).unwrap();
    d
}

/// Renders with the template and expects exit 2, `needle` on stderr, nothing on stdout, and
/// returns how long the run took.
fn refused(tag: &str, source: &str, needle: &str) -> Duration {
    let d = with_template(tag, source);
    let start = Instant::now();
    let out = bin()
        .arg("render")
        .arg(d.join("p.yaml"))
        .arg("--templates")
        .arg(d.join("t"))
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(
        stderr.contains("zz-extra.yaml.j2"),
        "names the template: {stderr}"
    );
    assert!(out.stdout.is_empty());
    fs::remove_dir_all(&d).unwrap();
    took
}

#[test]
fn nested_loops_run_out_of_fuel_quickly() {
    let took = refused(
        "fuel",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "template instructions",
    );
    // Hours without a budget; a few seconds at most in a debug build on a busy machine.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_template_writing_hundreds_of_megabytes_is_stopped() {
    // 100,000 x 1 KB of literal text: 100 MB, few instructions.
    let line = format!("# {}\n", "x".repeat(1000));
    refused(
        "bytes",
        &format!("{{% for i in range(100000) %}}{line}{{% endfor %}}"),
        "wrote more than 67108864 bytes",
    );
}

#[test]
fn a_template_writing_100000_documents_is_refused() {
    refused(
        "docs",
        "{% for i in range(100000) %}---\na: b\n{% endfor %}",
        "produced 100000 documents; at most 10000",
    );
}

#[test]
fn the_bundled_templates_render_the_largest_model_within_budget() {
    let d = std::env::temp_dir().join(format!("sts-gen-tbudget-max-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    let p = d.join("p.yaml");
    fs::write(
        &p,
        "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: postgres:16.4\nports: [{name: pg, port: 5432}]\nnamespace: data\nreplicas: 5000\nstorage:\n  size: 1Gi\n  className: local-storage\n  local:\n    path: /mnt/disks/db\n    nodes: [n1, n2, n3]\n",
    )
    .unwrap();
    let out = bin().arg("render").arg(&p).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("kind: PersistentVolume\n").count(), 5000);
    fs::remove_dir_all(&d).unwrap();
}
