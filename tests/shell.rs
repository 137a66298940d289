//! Shell completions and man pages, tried with the real clients: bash, zsh and fish are
//! asked for completions after sourcing the generated script (not by reading it), and every
//! man page is formatted by `man -l --warnings` (man-db). Missing clients are installed with apt-get
//! (as root), as .ci/run also does.
mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

/// The client `name`, installed from the distribution's packages when it is missing (so the
/// README's `cargo test` works on a fresh machine as root; otherwise it says what to install).
fn tool(name: &str) -> PathBuf {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    if find_on_path(name).is_none() && find_on_path("apt-get").is_some() {
        INSTALL.call_once(|| {
            let install = |update: bool| {
                let script = if update {
                    "apt-get update -qq && apt-get install -y -qq zsh fish man-db"
                } else {
                    "apt-get install -y -qq zsh fish man-db"
                };
                Std::new("sh")
                    .args(["-c", script])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .stdout(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let _ = install(false) || install(true);
        });
    }
    find_on_path(name).unwrap_or_else(|| {
        panic!("`{name}` is not installed and could not be (apt-get install zsh fish man-db)")
    })
}

fn script(shell: &str, dir: &Path, file: &str) -> PathBuf {
    let text = run_ok(sts_gen().args(["completions", shell])).stdout;
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary's folder first on PATH, so the shells find this build as `sts-gen`.
fn path_env() -> String {
    let bin = assert_cmd::cargo::cargo_bin("sts-gen");
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What each shell must offer: (command line, words every answer must include).
const CASES: &[(&str, &[&str])] = &[
    ("sts-gen pl", &["plan"]),
    (
        "sts-gen ",
        &[
            "render",
            "plan",
            "lint",
            "schema",
            "completions",
            "man",
            "init",
        ],
    ),
    ("sts-gen render --ov", &["--overlay"]),
    ("sts-gen plan --eff", &["--effective"]),
    ("sts-gen render -o ", &["yaml", "json"]),
    ("sts-gen lint -o ", &["text", "json"]),
    ("sts-gen lint --fail-on ", &["warning", "error"]),
    (
        "sts-gen init ",
        &["mysql", "postgresql", "web", "zookeeper"],
    ),
    ("sts-gen init m", &["mongodb", "mysql"]),
    ("sts-gen completions ", &["bash", "zsh", "fish"]),
];

fn check(shell: &str, line: &str, got: &[String], want: &[&str]) {
    for w in want {
        assert!(
            got.iter().any(|g| g == w),
            "{shell}: `{line}` offers {got:?}, not `{w}`"
        );
    }
    // A prefix narrows the answer: nothing offered that does not start with it.
    let prefix = line.rsplit(' ').next().unwrap();
    assert!(
        got.iter().all(|g| g.starts_with(prefix)),
        "{shell}: `{line}` offers {got:?}"
    );
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let s = script("bash", dir.path(), "sts-gen.bash");
    for (line, want) in CASES {
        // COMP_WORDS/COMP_CWORD as bash sets them, then the function `complete -p` names.
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {}; f=$(complete -p sts-gen | sed -E 's/.*-F ([^ ]+).*/\\1/'); \
             COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE={line:?}; COMP_POINT=${{#COMP_LINE}}; \
             \"$f\" sts-gen {:?} {:?}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            s.display(),
            words
                .iter()
                .map(|w| format!("{w:?}"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = Std::new(tool("bash"))
            .args(["--norc", "-c", &program])
            .env("PATH", path_env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        check("bash", line, &got, want);
    }
}

#[test]
fn fish_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let s = script("fish", dir.path(), "sts-gen.fish");
    for (line, want) in CASES {
        let program = format!("source {}; complete -C {line:?}", s.display());
        let out = Std::new(tool("fish"))
            .args(["--no-config", "-c", &program])
            .env("PATH", path_env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        check("fish", line, &got, want);
    }
}

#[test]
fn zsh_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    script("zsh", dir.path(), "_sts-gen");
    let harness = Path::new(ROOT).join("tests/shell/zsh-complete.zsh");
    for (line, want) in CASES {
        let out = Std::new(tool("zsh"))
            .arg(&harness)
            .arg(dir.path())
            .arg(line)
            .env("PATH", path_env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split(" -- ").next().unwrap().trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        check("zsh", line, &got, want);
    }
}

/// `sts-gen man --dir` writes a page per subcommand; every page formats without a warning;
/// every page the main one refers to exists; ENVIRONMENT lists every STS_GEN_* variable the
/// source reads and ARGOCD_APP_NAMESPACE; EXIT STATUS is on every page.
#[test]
fn man_pages_are_complete_and_format_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let listed = run_ok(sts_gen().args(["man", "--dir"]).arg(dir.path())).stdout;
    let main = std::fs::read_to_string(dir.path().join("sts-gen.1")).unwrap();
    let help = run_ok(sts_gen().arg("--help")).stdout;
    let subcommands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions continue further in.
        .filter(|l| !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap())
        .filter(|c| *c != "help")
        .collect();
    assert!(subcommands.len() >= 10, "{subcommands:?}");
    for sub in &subcommands {
        let page = dir.path().join(format!("sts-gen-{sub}.1"));
        assert!(page.is_file(), "no page for {sub}");
        assert!(listed.contains(&page.display().to_string()));
        assert!(
            main.contains(&format!("sts\\-gen\\-{sub}(1)")),
            "the main page lists {sub}"
        );
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let page = entry.unwrap().path();
        let out = Std::new(tool("man"))
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "{}",
            page.display()
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("EXIT STATUS"), "{}", page.display());
    }
    let env_section = main
        .split(".SH ENVIRONMENT")
        .nth(1)
        .expect("an ENVIRONMENT section");
    let env_section = env_section.split("\n.SH ").next().unwrap();
    let mut vars = vec!["ARGOCD_APP_NAMESPACE".to_string()];
    vars.extend(source_env_vars());
    assert!(vars.len() >= 5, "{vars:?}");
    for var in vars {
        assert!(env_section.contains(&var), "ENVIRONMENT lacks {var}");
    }
}

/// Every `STS_GEN_*` name in src/ (test-only ones aside).
fn source_env_vars() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, _) in text.match_indices("STS_GEN_") {
                    let name: String = text[i..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    let name = name.trim_end_matches('_').to_string();
                    if !name.contains("TEST") && !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(ROOT).join("src"), &mut out);
    out
}

/// `diff` colours on a terminal (run under `script`, which gives it a pseudo-terminal), and
/// not with NO_COLOR set or into a pipe.
#[test]
fn diff_colours_only_on_a_terminal_without_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = run(sts_gen()
        .args(["render", "examples/minimal.yaml", "--output-dir"])
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bin = assert_cmd::cargo::cargo_bin("sts-gen");
    let diff = format!(
        "{} diff examples/minimal.yaml --set replicas=5 --output-dir {}",
        bin.display(),
        out.display()
    );
    let on_tty = |no_color: &str| {
        let o = Std::new(tool("script"))
            .args(["-qec", &diff, "/dev/null"])
            .current_dir(ROOT)
            .env("NO_COLOR", no_color)
            .env_remove("STS_GEN_TEMPLATES")
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let coloured = on_tty("");
    assert!(coloured.contains("\u{1b}[32m+"), "{coloured:?}");
    assert!(coloured.contains("\u{1b}[31m-"), "{coloured:?}");
    assert!(coloured.contains("replicas: 5"));
    let plain = on_tty("1");
    assert!(
        plain.contains("replicas: 5") && !plain.contains('\u{1b}'),
        "{plain:?}"
    );
    let piped = run(sts_gen()
        .args([
            "diff",
            "examples/minimal.yaml",
            "--set",
            "replicas=5",
            "--output-dir",
        ])
        .arg(&out));
    assert_eq!(piped.code, 1);
    assert!(piped.stdout.contains("replicas: 5") && !piped.stdout.contains('\u{1b}'));
}
