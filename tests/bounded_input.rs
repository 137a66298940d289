//! Every input is bounded by bytes before it is read (issue 15), through the binary: a file
//! that never ends, a FIFO without a writer or an alias that multiplies a large value must
//! end the run quickly with a located error (exit 2), never hang or exhaust memory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::time::{Duration, Instant};

use assert_cmd::Command;

const PROFILE: &str = "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: postgres:16.4\nports: [{name: pg, port: 5432}]\nstorage: {size: 1Gi}\n";

fn bin() -> Command {
    let mut c = Command::cargo_bin("sts-gen").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("STS_GEN_SECRET_SEED")
        .env_remove("STS_GEN_TEMPLATES")
        // A run that hangs is the failure these tests look for; end it instead of the suite.
        .timeout(Duration::from_secs(20));
    c
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sts-gen-bounded-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Runs and expects a bad-input exit with `needle` on stderr and nothing on stdout.
fn refused(cmd: &mut Command, needle: &str) -> String {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{} bytes on stdout",
        out.stdout.len()
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    stderr
}

fn mkfifo(path: &Path) {
    assert!(Std::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn an_alias_repeating_a_large_string_fails_fast_and_located() {
    let d = scratch("alias");
    let mut text = format!("{PROFILE}env:\n  BIG: &b \"{}\"\n", "x".repeat(100_000));
    for i in 0..3000 {
        text.push_str(&format!("  K{i}: *b\n"));
    }
    assert!(text.len() < 140_000);
    let p = d.join("p.yaml");
    fs::write(&p, &text).unwrap();
    let err = refused(bin().arg("render").arg(&p), "bytes of text");
    // Located at the alias that crossed the budget, in the file given.
    assert!(err.contains(&format!("{}:", p.display())), "{err}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_fifo_or_device_given_as_the_profile_is_refused_without_hanging() {
    let d = scratch("fifo");
    let fifo = d.join("p.yaml");
    mkfifo(&fifo);
    refused(bin().arg("validate").arg(&fifo), "not a regular file");
    refused(bin().arg("validate").arg("/dev/zero"), "not a regular file");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn standard_input_is_read_up_to_the_limit() {
    // More than 4 MiB on stdin: refused, not read whole.
    let big = vec![b'a'; 5 << 20];
    refused(
        bin().arg("validate").arg("-").write_stdin(big),
        "4194304 bytes",
    );
}

#[test]
fn every_other_file_read_is_bounded_and_regular() {
    let d = scratch("others");
    let p = d.join("p.yaml");
    fs::write(&p, PROFILE).unwrap();
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let big = d.join("big.txt");
    fs::write(&big, vec![b'a'; (1 << 20) + 1]).unwrap();
    // --set-file: a device, a FIFO and a value larger than any ConfigMap.
    for file in [Path::new("/dev/zero"), &fifo] {
        let arg = format!("config.vars.X={}", file.display());
        refused(
            bin().arg("render").arg(&p).arg("--set-file").arg(&arg),
            "not a regular file",
        );
    }
    let arg = format!("config.vars.X={}", big.display());
    refused(
        bin().arg("render").arg(&p).arg("--set-file").arg(&arg),
        "largest accepted is 1048576",
    );
    // An overlay.
    refused(
        bin().arg("render").arg(&p).arg("-f").arg(&fifo),
        "not a regular file",
    );
    // The seed file.
    refused(
        bin()
            .arg("render")
            .arg(&p)
            .arg("--secret-seed-file")
            .arg("/dev/zero"),
        "not a regular file",
    );
    // fromFile.
    let secret = d.join("s.yaml");
    fs::write(
        &secret,
        format!("{PROFILE}secret:\n  data:\n    password: {{fromFile: fifo}}\n"),
    )
    .unwrap();
    refused(bin().arg("render").arg(&secret), "not a regular file");
    // A custom template that is a FIFO.
    let t = d.join("templates");
    fs::create_dir(&t).unwrap();
    mkfifo(&t.join("statefulset.yaml.j2"));
    refused(
        bin().arg("render").arg(&p).arg("--templates").arg(&t),
        "not a regular file",
    );
    // A manifest file lint reads.
    refused(bin().arg("lint").arg(&fifo), "not a regular file");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn lint_dir_does_not_follow_folder_links_nor_count_a_file_twice() {
    let d = scratch("lintdir");
    fs::write(
        d.join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: x}\ndata: {a: b}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(".", d.join("loop")).unwrap();
    std::os::unix::fs::symlink("a.yaml", d.join("dup.yaml")).unwrap();
    let out = bin().arg("lint").arg(&d).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}{stdout}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("1 objects"), "the ConfigMap once: {all}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_set_path_is_bounded_in_depth_and_bytes() {
    let d = scratch("setpath");
    fs::write(d.join("p.yaml"), PROFILE).unwrap();
    // 10,000 nested segments overflowed the stack while the tree was built (exit 134).
    let deep = format!("podTemplate.{}=1", vec!["a"; 10_000].join("."));
    let long = format!("env.{}=1", "K".repeat(5_000));
    let fit = format!("podTemplate.{}=1", vec!["a"; 60].join("."));
    for (cmd, arg, needle) in [
        ("render", &deep, "the path is 20011 bytes; at most 1024"),
        ("validate", &deep, "the path is 20011 bytes; at most 1024"),
        ("render", &long, "the path is 5004 bytes"),
    ] {
        let stderr = refused(
            bin().args([cmd, "p.yaml", "--set", arg]).current_dir(&d),
            needle,
        );
        // The message does not repeat the path it refuses.
        assert!(stderr.len() < 300, "{} bytes of stderr", stderr.len());
    }
    let segments = format!("podTemplate.{}=1", vec!["a"; 70].join("."));
    refused(
        bin()
            .args(["render", "p.yaml", "--set", &segments])
            .current_dir(&d),
        "the path has 71 segments; profiles nest at most 64 levels",
    );
    // Within both bounds the path is read as before: an unknown field, located at the flag.
    let out = bin()
        .args(["render", "p.yaml", "--set", &fit])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--set podTemplate.a"));
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn profile_text_is_bounded_in_instructions_length_and_filter_results() {
    let d = scratch("text");
    for (text, needle) in [
        // Ran for hours: profile text had no instruction budget. Now refused before it runs
        // (10,000,000,000 passes); the fuel stays as a second bound (the unit tests of
        // `model::text_limits`).
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "it may run this part 10000000000 times",
        ),
        (
            "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
            "the expanded text would be longer than 1048576 bytes",
        ),
        // Aborted the process on a failed allocation (exit 134).
        (
            "{{ 'x' | indent(9000000000000000000) }}",
            "indent's result would be longer than 1048576 bytes",
        ),
        // Took tens of gigabytes before the OOM killer.
        (
            "{{ ('a' * 1000000) | replace('a', 'a' * 1000000) }}",
            "replace's result would be longer than 1048576 bytes",
        ),
        (
            "{{ [1] | slice(1000000000) }}",
            "slice makes at most 10000 groups",
        ),
    ] {
        let profile = format!(
            "{PROFILE}config:\n  files:\n    a.conf: {}\n",
            serde_json::to_string(text).unwrap()
        );
        fs::write(d.join("p.yaml"), profile).unwrap();
        for cmd in ["render", "validate"] {
            let stderr = refused(bin().args([cmd, "p.yaml"]).current_dir(&d), needle);
            assert!(
                stderr.contains("p.yaml:9:") && stderr.contains("config.files[\"a.conf\"]"),
                "{stderr}"
            );
        }
    }
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn node_sets_together_are_bounded_like_one_set() {
    let d = scratch("sets");
    let sets = |n: u32, replicas: u32| {
        let mut text = format!("{PROFILE}nodeSets:\n");
        for i in 0..n {
            text.push_str(&format!("  - name: s{i}\n    replicas: {replicas}\n"));
        }
        text
    };
    // 64 sets of 5,000 each rendered 190 MB of YAML in a minute and 4.7 GB.
    fs::write(d.join("p.yaml"), sets(64, 5000)).unwrap();
    let stderr = refused(
        bin().args(["validate", "p.yaml"]).current_dir(&d),
        "the node sets have 320000 replicas together; at most 5000 are supported",
    );
    assert!(stderr.contains("p.yaml:9:"), "{stderr}");
    fs::write(d.join("p.yaml"), sets(2, 2600)).unwrap();
    refused(
        bin().args(["render", "p.yaml"]).current_dir(&d),
        "the node sets have 5200 replicas together",
    );
    // Up to the bound, sets render as before.
    fs::write(d.join("p.yaml"), sets(2, 2)).unwrap();
    let out = bin()
        .args(["render", "p.yaml", "-n", "ns"])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("kind: StatefulSet").count(), 2);
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn profile_text_cannot_grow_a_value_past_the_bound_nor_run_long() {
    let d = scratch("grow");
    for (text, needle) in [
        // A macro doubling a string 31 times took 24 GB before the OOM killer.
        (
            "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% else %}{{ s | length }}{% endif %}{% endmacro %}{{ f(name, 31) }}",
            "`{% macro %}` is not available in profile text",
        ),
        // Ran for 44 s: one instruction copied half a megabyte, 100,000 times.
        (
            "{% for i in range(100000) %}{% set y = name * 100000 %}{% endfor %}",
            "this text could take too long to expand",
        ),
        (
            "{% set y = name * 1000000 %}",
            "may make a value longer than 1048576 bytes",
        ),
        // 2.3 GB, and 11 s for each of the next two.
        (
            "{{ ([1] * 100000000) | list | length }}",
            "may make a value longer than 1048576 bytes",
        ),
        (
            "{{ 2 in [1] * 100000000 }}",
            "may make a value longer than 1048576 bytes",
        ),
        (
            "{{ [1] * 100000000 }}",
            "may make a value longer than 1048576 bytes",
        ),
        (
            "{% for x in [name] recursive %}{{ loop([x ~ x]) }}{% endfor %}",
            "a recursive loop is not available in profile text",
        ),
    ] {
        let profile = format!("{PROFILE}env:\n  X: {}\n", serde_json::to_string(text).unwrap());
        fs::write(d.join("p.yaml"), profile).unwrap();
        for cmd in ["render", "validate"] {
            let stderr = refused(bin().args([cmd, "p.yaml"]).current_dir(&d), needle);
            assert!(
                stderr.contains("p.yaml:8:") && stderr.contains("env.X") && stderr.contains("of the text"),
                "{stderr}"
            );
        }
    }
    // Each text within bounds, but all together past the work one render may do: 500 KB
    // copied 1,000 times per text.
    let big = "x".repeat(500_000);
    let mut profile = format!("{PROFILE}env:\n");
    for i in 0..4 {
        let text =
            format!("{{% for i in range(1000) %}}{{% set y = '{big}' ~ name %}}{{% endfor %}}{i}");
        profile.push_str(&format!(
            "  X{i}: {}\n",
            serde_json::to_string(&text).unwrap()
        ));
    }
    fs::write(d.join("p.yaml"), &profile).unwrap();
    let stderr = refused(
        bin().args(["render", "p.yaml"]).current_dir(&d),
        "this text could take too long to expand",
    );
    assert!(
        stderr.contains("env.X2") && stderr.contains("p.yaml:10:"),
        "{stderr}"
    );
    let _ = fs::remove_dir_all(&d);
}
