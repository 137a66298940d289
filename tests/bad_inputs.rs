//! The bad-profile corpus: every `tests/bad/NAME.yaml` must be rejected by
//! `sts-gen validate tests/bad/NAME.yaml` with a clear, located error.
//!
//! Each case is a profile with exactly one problem plus sidecars:
//! - `NAME.err` (required): the expected error text, one needle per line. A line must appear
//!   as a substring of stderr; a line starting with `!` must NOT appear (e.g. a secret value,
//!   or a derived error that should not be reported). Empty lines and lines starting with
//!   `#` are ignored.
//! - `NAME.env` (optional): `KEY=VALUE` lines set in the environment of that one run. Every
//!   other variable is cleared, so `fromEnv` variables and `STS_GEN_*` settings of the
//!   developer's shell never leak into a case.
//!
//! The binary runs from the crate root with the relative path, so positions read
//! `tests/bad/NAME.yaml:LINE:COL`, exactly as a user would see them.
//!
//! `tests/bad/pending/` holds cases whose `.err` says what a user SHOULD see but the binary
//! does not print yet (known bugs). They are skipped; set `STS_GEN_BAD_PENDING=1` to run
//! them as well. When a bug is fixed, move its case up into `tests/bad/` (and drop
//! `pending/` from the file name in its `.err`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The corpus may grow but never silently shrink below this.
const MIN_CASES: usize = 35;
/// One problem gives one error; allow a little context, never a wall of text.
const MAX_STDERR_LINES: usize = 3;
/// Variables a run keeps from the test's own environment (coverage tooling, not behaviour).
const KEEP_ENV: &[&str] = &["PATH", "LLVM_PROFILE_FILE", "SYSTEMROOT"];

struct Case {
    /// The profile path relative to the crate root, with `/` separators.
    rel: String,
    err: PathBuf,
    env: PathBuf,
}

fn cases_in(root: &Path, sub: &str) -> Vec<Case> {
    let dir = root.join(sub);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut cases: Vec<Case> = entries
        .map(|e| e.expect("readable tests/bad entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let file = p.file_name().unwrap().to_str().expect("UTF-8 case name");
            Case {
                rel: format!("{sub}/{file}"),
                err: p.with_extension("err"),
                env: p.with_extension("env"),
            }
        })
        .collect();
    cases.sort_by(|a, b| a.rel.cmp(&b.rel));
    cases
}

/// Sidecar files (`.err`, `.env`) without their `.yaml`: a renamed case would otherwise be
/// dropped from the corpus without anyone noticing.
fn orphans(root: &Path, sub: &str) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root.join(sub)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "err" || x == "env"))
        .filter(|p| !p.with_extension("yaml").exists())
        .map(|p| format!("{sub}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

fn non_comment_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

/// Runs one case; returns every way it differs from the expectation.
fn run_case(root: &Path, case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let expected = match fs::read_to_string(&case.err) {
        Ok(t) => t,
        Err(e) => return vec![format!("cannot read {}: {e}", case.err.display())],
    };
    let needles: Vec<&str> = non_comment_lines(&expected).collect();
    if !needles.iter().any(|n| !n.starts_with('!')) {
        problems.push("the .err file has no expected line".into());
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sts-gen"));
    cmd.current_dir(root)
        .args(["validate", &case.rel])
        .env_clear()
        .stdin(std::process::Stdio::null());
    for key in KEEP_ENV {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    if case.env.exists() {
        let text = fs::read_to_string(&case.env).expect("readable .env file");
        for line in non_comment_lines(&text) {
            match line.split_once('=') {
                Some((k, v)) => {
                    cmd.env(k, v);
                }
                None => problems.push(format!(".env line `{line}` is not KEY=VALUE")),
            }
        }
    }
    let out = cmd.output().expect("run sts-gen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);

    if out.status.code() != Some(2) {
        problems.push(format!("exit status {:?}, expected 2", out.status.code()));
    }
    if !stdout.is_empty() {
        let head: String = stdout.chars().take(200).collect();
        problems.push(format!("stdout is not empty: {head:?}"));
    }
    if stderr.trim().is_empty() {
        problems.push("stderr is empty".into());
    }
    if stderr.contains("panicked") {
        problems.push("the binary panicked".into());
    }
    let lines: Vec<&str> = stderr.lines().collect();
    if lines.len() > MAX_STDERR_LINES {
        problems.push(format!(
            "{} stderr lines, expected at most {MAX_STDERR_LINES}",
            lines.len()
        ));
    }
    if let Some(l) = lines.iter().find(|l| !l.starts_with("error: ")) {
        problems.push(format!("stderr line without the `error: ` prefix: {l:?}"));
    }
    for needle in &needles {
        match needle.strip_prefix('!') {
            Some(forbidden) => {
                if stderr.contains(forbidden) {
                    problems.push(format!("stderr contains the forbidden text {forbidden:?}"));
                }
            }
            None => {
                if !stderr.contains(needle) {
                    problems.push(format!("stderr lacks {needle:?}"));
                }
            }
        }
    }
    if !problems.is_empty() {
        let shown = if stderr.trim().is_empty() {
            "(empty)"
        } else {
            stderr.trim_end()
        };
        problems.push(format!("actual stderr:\n{shown}"));
    }
    problems
}

#[test]
fn every_bad_profile_is_rejected_with_its_expected_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = cases_in(root, "tests/bad");
    assert!(
        cases.len() >= MIN_CASES,
        "tests/bad holds {} cases; the corpus must keep at least {MIN_CASES}",
        cases.len()
    );
    let mut run = cases;
    let pending = cases_in(root, "tests/bad/pending");
    if std::env::var_os("STS_GEN_BAD_PENDING").is_some() {
        run.extend(pending);
    }

    let mut failures = Vec::new();
    for sub in ["tests/bad", "tests/bad/pending"] {
        for orphan in orphans(root, sub) {
            failures.push(format!("{orphan}: no matching .yaml case"));
        }
    }
    for case in &run {
        let problems = run_case(root, case);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", case.rel, problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad-profile cases failed:\n\n{}",
        failures.len(),
        run.len(),
        failures.join("\n\n")
    );
}
