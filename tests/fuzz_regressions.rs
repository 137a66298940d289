//! Replays saved inputs through the pipeline the `profile` fuzz target drives (load → model →
//! render → check → emit, see `fuzz/fuzz_targets/profile.rs` and docs/FUZZING.md).
//!
//! Every `tests/fuzz_regressions/*.yaml` must come back as `Ok` or `Err` — never a panic, never
//! a hang — in under a second (debug build). Each input runs on its own thread under
//! `catch_unwind`, so one failing input does not hide the others: all failures are reported
//! together. On `Ok`, both emitted forms must agree with the objects built. An optional
//! `<name>.expect` beside an input lists, one per line, text the outcome must contain: the
//! outcome is `ok` followed by the emitted YAML, or `error` followed by the error message.
//!
//! `tests/fuzz_regressions/open/` holds findings not fixed yet; their test is ignored until
//! they are (then move the file up a folder).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use sts_gen::render::Renderer;

/// CPU time one input may take (the renderer is compiled once, outside this budget). CPU
/// time of the thread, not wall time: a busy machine stretches the one, not the other.
const BUDGET: Duration = Duration::from_secs(1);
/// How long to wait before declaring an input hung (its thread is then abandoned).
const HANG: Duration = Duration::from_secs(30);

static RENDERER: OnceLock<Renderer> = OnceLock::new();

fn renderer() -> &'static Renderer {
    RENDERER.get_or_init(|| Renderer::new(None).expect("the embedded templates compile"))
}

fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(sub)
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// CPU time used by the calling thread.
struct ThreadCpu(Duration);

impl ThreadCpu {
    fn now() -> Self {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        ThreadCpu(Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
    }

    fn elapsed(&self) -> Duration {
        Self::now().0.saturating_sub(self.0)
    }
}

/// The fuzz target's pipeline, timed. Returns `ok` + the YAML, or `error` + the message; on
/// success it then (untimed) checks the two emitted forms against the objects built.
fn run(data: &[u8]) -> (String, Duration) {
    let start = ThreadCpu::now();
    let loaded = match sts_gen::profile::load_bytes("fuzz.yaml", data, Path::new("/nonexistent")) {
        Ok(l) => l,
        Err(e) => return (format!("error\n{e}"), start.elapsed()),
    };
    let docs = match sts_gen::build(&loaded, &sts_gen::model::Options::default(), renderer()) {
        Ok(d) => d,
        Err(e) => return (format!("error\n{e}"), start.elapsed()),
    };
    let yaml = sts_gen::emit::to_yaml(&docs);
    let json = sts_gen::emit::to_json(&docs);
    let took = start.elapsed();
    let list: serde_json::Value = serde_json::from_str(&json).expect("to_json emits valid JSON");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(docs.len()),
        "the JSON List holds every object"
    );
    // Up to 5000 local PVs: above serde-saphyr's default budget of 1024 documents.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_documents: 20_000, max_nodes: 2_000_000, max_events: 8_000_000 },
    };
    let parsed: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple_with_options(&yaml, options)
            .expect("to_yaml emits valid YAML");
    assert_eq!(parsed.len(), docs.len(), "one YAML document per object");
    assert_eq!(
        parsed,
        *list["items"].as_array().unwrap(),
        "YAML and JSON carry the same objects"
    );
    (format!("ok\n{yaml}"), took)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(non-string payload)".into())
}

/// Replays every input of `dir`; returns one line per failure (empty when all pass).
fn replay(dir: &Path) -> (usize, Vec<String>) {
    renderer();
    let files = inputs(dir);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(|| run(&data))));
        });
        let (outcome, took) = match rx.recv_timeout(HANG) {
            Err(_) => {
                failures.push(format!("{name}: still running after {HANG:?} (hang)"));
                continue;
            }
            Ok(Err(panic)) => {
                failures.push(format!("{name}: panicked: {}", panic_message(&*panic)));
                continue;
            }
            Ok(Ok(done)) => done,
        };
        let first = outcome.lines().nth(1).unwrap_or("");
        eprintln!(
            "{name}: {} in {took:?}: {first}",
            outcome.lines().next().unwrap_or("")
        );
        if took > BUDGET {
            failures.push(format!("{name}: took {took:?}, budget {BUDGET:?}"));
        }
        if outcome.starts_with("error") && first.trim().is_empty() {
            failures.push(format!("{name}: rejected with an empty message"));
        }
        let expect = path.with_extension("expect");
        if let Ok(text) = std::fs::read_to_string(&expect) {
            for want in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !outcome.contains(want) {
                    failures.push(format!(
                        "{name}: outcome lacks `{want}`; it begins:\n{}",
                        outcome.lines().take(3).collect::<Vec<_>>().join("\n")
                    ));
                }
            }
        }
    }
    (files.len(), failures)
}

#[test]
fn every_fuzz_regression_returns_without_panicking_in_under_a_second() {
    let (n, failures) = replay(&dir(""));
    assert!(n >= 5, "expected at least 5 regression inputs, found {n}");
    assert!(
        failures.is_empty(),
        "{} of {n} fuzz regression inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_input_has_its_expectations() {
    for path in inputs(&dir("")) {
        assert!(
            path.with_extension("expect").is_file(),
            "{} has no .expect file",
            path.display()
        );
    }
}

/// MAX_REPLICAS (5000) is the documented local PersistentVolume limit; the render stage's
/// YAML budget (once serde-saphyr's default 1024 documents) must follow it.
#[test]
fn local_pvs_beyond_1024_render() {
    let profile = "apiVersion: sts-gen/v1\nkind: Profile\nname: a\nimage: x\n\
                   ports: [{name: p, port: 80}]\nreplicas: 1100\n\
                   storage: {size: 1Gi, className: l, local: {path: /d, nodes: [n1]}}\n";
    let (outcome, _) = run(profile.as_bytes());
    assert!(
        outcome.starts_with("ok"),
        "1100 local PVs (limit 5000) were rejected:\n{}",
        outcome.lines().take(3).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(outcome.matches("\nkind: PersistentVolume\n").count(), 1100);
    assert!(outcome.contains("path: /d/a-1099"));
}
