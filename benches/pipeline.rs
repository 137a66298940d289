//! Criterion benchmarks of the pipeline stages: load, model, render, check, emit, on the
//! MySQL reference profile and on a MySQL profile with 1,000 replicas and 1,000 local
//! PersistentVolumes; plus renderer construction (the per-process startup cost).
//!
//! Run with `cargo bench --bench pipeline`; whole-process timings are in `scripts/bench.sh`.
//! Nothing here is a test: no timing is asserted.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

use sts_gen::{check, emit, model, profile, render};

/// A mysql-like profile with `replicas` pods and one local PV per pod on three nodes. It
/// starts from the bundled `mysql` preset (which does not pass on `storage.local`).
fn replicas_profile(replicas: u32) -> String {
    format!(
        "apiVersion: sts-gen/v1
kind: Profile
preset: mysql
name: mysql
namespace: mysql
replicas: {replicas}
storage:
  className: local-storage
  local:
    path: /data/svr/projects/mysql
    nodes: [n1, n2, n3]
    reclaimPolicy: Retain
"
    )
}

struct Case {
    id: &'static str,
    file: String,
    text: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mysql = root.join("profiles/mysql.yaml");
    vec![
        Case {
            id: "mysql",
            file: mysql.display().to_string(),
            text: std::fs::read(&mysql).expect("profiles/mysql.yaml is readable"),
        },
        Case {
            id: "replicas1000",
            file: "replicas1000.yaml".into(),
            text: replicas_profile(1000).into_bytes(),
        },
    ]
}

fn pipeline(c: &mut Criterion) {
    // The MySQL profiles read the root password from the environment at model time.
    if std::env::var_os("MYSQL_ROOT_PASSWORD").is_none() {
        std::env::set_var("MYSQL_ROOT_PASSWORD", "bench-password");
    }
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let opts = model::Options::default();
    let renderer = render::Renderer::new(None).expect("the embedded templates compile");

    c.bench_function("startup/renderer_new", |b| {
        b.iter(|| black_box(render::Renderer::new(None).expect("templates compile")))
    });

    for case in cases() {
        let mut g = c.benchmark_group(case.id);
        if case.id == "replicas1000" {
            g.sample_size(20);
        }
        let loaded = profile::load_bytes(&case.file, &case.text, &base).expect("the profile loads");
        let model = model::build(&loaded, &opts).expect("the profile is valid");
        let rendered = renderer.render(&model).expect("the templates render");
        let docs = check::check(rendered.clone(), &[]).expect("the objects check");
        let docs = emit::apply_order(docs);

        g.bench_function("load", |b| {
            b.iter(|| {
                black_box(
                    profile::load_bytes(&case.file, black_box(&case.text), &base).expect("loads"),
                )
            })
        });
        g.bench_function("model", |b| {
            b.iter(|| black_box(model::build(black_box(&loaded), &opts).expect("valid")))
        });
        g.bench_function("render", |b| {
            b.iter(|| black_box(renderer.render(black_box(&model)).expect("renders")))
        });
        g.bench_function("check", |b| {
            b.iter_batched(
                || rendered.clone(),
                |r| black_box(check::check(r, &[]).expect("checks")),
                BatchSize::LargeInput,
            )
        });
        g.bench_function("emit", |b| {
            b.iter(|| black_box(emit::to_yaml(black_box(&docs))))
        });
        // Everything after startup, as the CLI runs it for one profile.
        g.bench_function("build_and_emit", |b| {
            b.iter(|| {
                let loaded = profile::load_bytes(&case.file, &case.text, &base).expect("loads");
                let docs = sts_gen::build(&loaded, &opts, &renderer).expect("builds");
                black_box(emit::to_yaml(&docs))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
