//! The output directory under concurrency and hostile contents (issue 15): racing writers,
//! planted links, a doctored manifest, leftovers of killed runs, foreign subdirectories,
//! damaged Secret files, failed writes. Everything runs through the binary.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PW: &str = "s3cr3t-RACE-4b7e1a";

fn exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("sts-gen")
}

fn cmd(args: &[&str]) -> Command {
    let mut c = process(args);
    c.env("MYSQL_ROOT_PASSWORD", PW);
    c
}

fn run(args: &[&str]) -> Output {
    cmd(args).output().unwrap()
}

/// Runs sts-gen with `args` (shell words) under a one-block file-size limit, so its first
/// larger write fails: killed by SIGXFSZ, or with `trap_xfsz` a write error it reports.
fn run_with_file_limit(args: &str, trap_xfsz: bool) -> Output {
    let trap = if trap_xfsz { "trap '' XFSZ; " } else { "" };
    let script = format!("{trap}ulimit -f 1; exec \"$0\" {args}");
    Command::new("sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MYSQL_ROOT_PASSWORD", PW)
        .args(["-c", &script])
        .arg(exe())
        .output()
        .unwrap()
}

/// Every entry below `dir` (recursively): relative name → (bytes, permission bits); a
/// directory has no bytes, a link its target.
fn tree(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, u32)>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let m = fs::symlink_metadata(&path).unwrap();
            let name = path.strip_prefix(base).unwrap().display().to_string();
            if m.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap();
                out.insert(name, (target.display().to_string().into_bytes(), 0));
            } else if m.is_dir() {
                out.insert(name + "/", (Vec::new(), m.mode() & 0o777));
                walk(base, &path, out);
            } else {
                out.insert(name, (fs::read(&path).unwrap(), m.mode() & 0o777));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn local_pv_profile(name: &str, replicas: u32) -> String {
    format!(
        "apiVersion: sts-gen/v1
kind: Profile
preset: mysql
name: {name}
namespace: data
replicas: {replicas}
secret:
  data:
    password: {{fromEnv: MYSQL_ROOT_PASSWORD}}
storage:
  local:
    path: /mnt/disks/db
    nodes: [n1, n2, n3]
    reclaimPolicy: Retain
"
    )
}

/// Renders `args` + `--output-dir` into a fresh directory and returns what it holds.
fn expected(tmp: &Path, label: &str, args: &[&str]) -> BTreeMap<String, (Vec<u8>, u32)> {
    let dir = tmp.join(format!("expected-{label}"));
    let mut a = args.to_vec();
    a.extend(["--output-dir", arg(&dir)]);
    let o = run(&a);
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    tree(&dir)
}

/// `pairs` times: two processes (arguments `a` and `b`, each followed by `--output-dir OUT`)
/// started together into one directory. Both must succeed, the directory must then hold
/// exactly one run's output, and nothing else may be left beside it.
fn race(tmp: &Path, pairs: usize, a: &[&str], b: &[&str]) {
    let want_a = expected(tmp, "a", a);
    let want_b = expected(tmp, "b", b);
    assert_ne!(want_a, want_b);
    let parent = tmp.join("race");
    fs::create_dir(&parent).unwrap();
    let out = parent.join("out");
    let (mut seen_a, mut seen_b) = (0, 0);
    for i in 0..pairs {
        let start = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--output-dir", arg(&out)]);
            cmd(&all)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Alternate who starts first, so either may win.
        let (first, second) = if i % 2 == 0 { (a, b) } else { (b, a) };
        let x = start(first);
        let y = start(second);
        for child in [x, y] {
            let o = child.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "pair {i}: {:?}\n{}",
                o.status,
                lossy(&o.stderr)
            );
            assert!(!lossy(&o.stderr).contains(PW));
        }
        let got = tree(&out);
        if got == want_a {
            seen_a += 1;
        } else if got == want_b {
            seen_b += 1;
        } else {
            let only = |want: &BTreeMap<String, (Vec<u8>, u32)>,
                        other: &BTreeMap<String, (Vec<u8>, u32)>| {
                got.iter()
                    .filter(|(k, v)| want.get(*k) == Some(v) && other.get(*k) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect::<Vec<_>>()
            };
            let neither: Vec<_> = got
                .iter()
                .filter(|(k, v)| want_a.get(*k) != Some(v) && want_b.get(*k) != Some(v))
                .map(|(k, _)| k.clone())
                .collect();
            panic!(
                "pair {i}: the directory is neither run's output: from the first {:?}, from the second {:?}, from neither {neither:?}",
                only(&want_a, &want_b),
                only(&want_b, &want_a)
            );
        }
        assert_eq!(
            names(&parent),
            ["out"],
            "pair {i}: leftovers beside the output"
        );
    }
    assert_eq!(seen_a + seen_b, pairs);
}

// 1. Concurrent runs -----------------------------------------------------------------------

#[test]
fn racing_renders_of_small_profiles_leave_one_complete_output() {
    let tmp = tempfile::tempdir().unwrap();
    race(
        tmp.path(),
        150,
        &["render", "profiles/mysql.yaml"],
        &["render", "profiles/web.yaml"],
    );
}

#[test]
fn racing_renders_of_1000_pv_profiles_leave_one_complete_output() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.yaml");
    let b = tmp.path().join("b.yaml");
    fs::write(&a, local_pv_profile("db", 1000)).unwrap();
    fs::write(&b, local_pv_profile("db", 999)).unwrap();
    race(tmp.path(), 4, &["render", arg(&a)], &["render", arg(&b)]);
}

#[test]
fn racing_batch_renders_leave_one_complete_output_root() {
    let tmp = tempfile::tempdir().unwrap();
    // One batch of eight apps, rendered into two namespaces (different contents and names).
    let set = tmp.path().join("set");
    fs::create_dir(&set).unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for app in ["web", "mysql"] {
        let body = fs::read_to_string(manifest.join(format!("profiles/{app}.yaml"))).unwrap();
        for i in 1..=4 {
            // Each app its own StorageClass and no Namespace: a batch refuses objects two
            // profiles both render.
            let body = body
                .replacen(&format!("name: {app}\n"), &format!("name: {app}{i}\n"), 1)
                .replace("createNamespace: true\n", "")
                .replace("  className: local-storage\n", "");
            fs::write(set.join(format!("{app}{i}.yaml")), body).unwrap();
        }
    }
    race(
        tmp.path(),
        50,
        &["render", arg(&set), "-n", "one"],
        &["render", arg(&set), "-n", "two"],
    );
}

#[test]
fn racing_batch_renders_of_1000_pv_profiles_leave_one_complete_output_root() {
    let tmp = tempfile::tempdir().unwrap();
    for (set, replicas) in [("set-a", 1000), ("set-b", 998)] {
        let d = tmp.path().join(set);
        fs::create_dir(&d).unwrap();
        fs::write(d.join("db.yaml"), local_pv_profile("db", replicas)).unwrap();
        fs::write(d.join("small.yaml"), local_pv_profile("small", 2)).unwrap();
    }
    let (a, b) = (tmp.path().join("set-a"), tmp.path().join("set-b"));
    race(tmp.path(), 2, &["render", arg(&a)], &["render", arg(&b)]);
}

#[test]
fn a_held_lock_makes_the_second_writer_wait_then_fail_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let lock_path = tmp.path().join(".out.sts-gen.lock");
    let holder = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&lock_path)
        .unwrap();
    rustix::fs::flock(&holder, rustix::fs::FlockOperation::LockExclusive).unwrap();
    fs::write(&lock_path, "pid 424242: sts-gen render other.yaml\n").unwrap();
    let started = std::time::Instant::now();
    let o = cmd(&["render", "profiles/web.yaml", "--output-dir", arg(&out)])
        .env("STS_GEN_LOCK_TIMEOUT", "0.5")
        .output()
        .unwrap();
    let waited = started.elapsed();
    let err = lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("424242"), "the holder is named: {err}");
    assert!(err.contains("STS_GEN_LOCK_TIMEOUT"), "{err}");
    assert!(
        waited >= std::time::Duration::from_millis(450),
        "{waited:?}"
    );
    assert!(!out.exists(), "nothing written");
    drop(holder);
    // Released: the next run proceeds.
    let o = run(&["render", "profiles/web.yaml", "--output-dir", arg(&out)]);
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    assert!(out.join("statefulset-web.yaml").is_file());
}

// 2. Links -----------------------------------------------------------------------------------

#[test]
fn diff_and_check_never_read_through_a_planted_link() {
    let tmp = tempfile::tempdir().unwrap();
    let canary = tmp.path().join("canary.txt");
    let canary_text = "CANARY-do-not-print-91f3";
    fs::write(&canary, format!("{canary_text}\nline two\n")).unwrap();
    let out = tmp.path().join("out");
    let o = run(&["render", "profiles/web.yaml", "--output-dir", arg(&out)]);
    assert!(o.status.success());
    for victim in [
        "service-web.yaml",
        "statefulset-web.yaml",
        ".sts-gen-manifest",
    ] {
        let planted = out.join(victim);
        let saved = fs::read(&planted).unwrap();
        fs::remove_file(&planted).unwrap();
        std::os::unix::fs::symlink(&canary, &planted).unwrap();
        for args in [
            vec!["diff", "profiles/web.yaml", "--output-dir", arg(&out)],
            vec![
                "render",
                "profiles/web.yaml",
                "--output-dir",
                arg(&out),
                "--check",
            ],
            vec!["render", "profiles/web.yaml", "--output-dir", arg(&out)],
        ] {
            let o = run(&args);
            let (so, se) = (lossy(&o.stdout), lossy(&o.stderr));
            assert!(
                !so.contains(canary_text) && !se.contains(canary_text),
                "{victim} {args:?}: {so}{se}"
            );
            assert_eq!(o.status.code(), Some(2), "{victim} {args:?}: {so}{se}");
            assert!(se.contains("symbolic link"), "{victim} {args:?}: {se}");
        }
        fs::remove_file(&planted).unwrap();
        fs::write(&planted, saved).unwrap();
    }
    assert_eq!(
        fs::read_to_string(&canary).unwrap(),
        format!("{canary_text}\nline two\n")
    );
}

#[test]
fn a_linked_secret_file_is_never_read_for_previous_values() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(
        &profile,
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: mysql\nname: db\nnamespace: data\nsecret:\n  data:\n    password: {generate: 24}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    assert!(run(&["render", arg(&profile), "--output-dir", arg(&out)])
        .status
        .success());
    let secret = out.join("secret-db-secret.yaml");
    // An attacker's Secret with a value of their choosing, linked in.
    let planted = tmp.path().join("planted.yaml");
    let mine = fs::read_to_string(&secret).unwrap();
    let value = mine
        .lines()
        .find(|l| l.contains("password:"))
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    fs::write(&planted, mine.replace(&value, "QVRUQUNLRVItQ0hPU0VO")).unwrap();
    fs::remove_file(&secret).unwrap();
    std::os::unix::fs::symlink(&planted, &secret).unwrap();
    for extra in [vec![], vec!["--check"]] {
        let mut args = vec!["render", arg(&profile), "--output-dir", arg(&out)];
        args.extend(extra);
        let o = run(&args);
        let se = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{se}");
        assert!(
            se.contains("secret-db-secret.yaml") && se.contains("symbolic link"),
            "{se}"
        );
    }
    let o = run(&["diff", arg(&profile), "--output-dir", arg(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
}

#[test]
fn a_link_given_with_a_trailing_slash_or_as_batch_root_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let slash = format!("{}/", arg(&link));
    let dot = format!("{}/.", arg(&link));
    for dir in [slash.as_str(), dot.as_str()] {
        for args in [
            vec!["render", "profiles/web.yaml", "--output-dir", dir],
            vec![
                "render",
                "profiles/web.yaml",
                "--output-dir",
                dir,
                "--check",
            ],
            vec!["diff", "profiles/web.yaml", "--output-dir", dir],
        ] {
            let o = run(&args);
            let se = lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {se}");
            assert!(se.contains("symbolic link"), "{args:?}: {se}");
        }
    }
    // A batch whose output root is a link.
    let batch = tmp.path().join("batch");
    fs::create_dir(&batch).unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/web.yaml"),
        batch.join("web.yaml"),
    )
    .unwrap();
    for root in [arg(&link), slash.as_str()] {
        let o = run(&["render", arg(&batch), "--output-dir", root]);
        let se = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{root}: {se}");
        assert!(se.contains("symbolic link"), "{se}");
    }
    assert!(names(&real).is_empty(), "nothing written through the link");
    // A batch whose app directory is a link.
    let root = tmp.path().join("root");
    fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(&real, root.join("web")).unwrap();
    let o = run(&["render", arg(&batch), "--output-dir", arg(&root)]);
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
    assert!(names(&real).is_empty());
}

// 3. Pruning ---------------------------------------------------------------------------------

#[test]
fn pruning_removes_only_regular_files_named_plainly_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(
        run(&["render", "profiles/web.yaml", "--output-dir", arg(&out)])
            .status
            .success()
    );
    fs::create_dir(out.join("overlays")).unwrap();
    fs::write(out.join("overlays/patch.yaml"), "mine").unwrap();
    fs::write(tmp.path().join("outside.txt"), "outside").unwrap();
    fs::write(out.join("notes.txt"), "notes").unwrap();
    std::os::unix::fs::symlink("notes.txt", out.join("link.yaml")).unwrap();
    let absolute = tmp.path().join("outside.txt");
    let mut manifest = fs::read_to_string(out.join(".sts-gen-manifest")).unwrap();
    for line in [
        "overlays",
        "overlays/patch.yaml",
        ".",
        "..",
        "../outside.txt",
        arg(&absolute),
        "link.yaml",
        "",
    ] {
        manifest.push_str(line);
        manifest.push('\n');
    }
    fs::write(out.join(".sts-gen-manifest"), manifest).unwrap();
    // A different render: the namespace file changes name, so pruning runs.
    let o = run(&[
        "render",
        "profiles/web.yaml",
        "-n",
        "other",
        "--output-dir",
        arg(&out),
    ]);
    let se = lossy(&o.stderr);
    assert!(o.status.success(), "{se}");
    assert_eq!(
        fs::read_to_string(out.join("overlays/patch.yaml")).unwrap(),
        "mine"
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("outside.txt")).unwrap(),
        "outside"
    );
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "notes");
    assert!(fs::symlink_metadata(out.join("link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(
        !out.join("namespace-web.yaml").exists(),
        "our stale file is pruned"
    );
    for shown in ["`overlays`", "`..`", "`../outside.txt`", "`link.yaml`"] {
        assert!(
            se.contains(&format!("warning: {}: manifest entry {shown}", arg(&out))),
            "{shown}: {se}"
        );
    }
    // The new manifest lists only what this run wrote.
    let m = fs::read_to_string(out.join(".sts-gen-manifest")).unwrap();
    assert!(!m.contains("overlays") && !m.contains("link.yaml"), "{m}");
}

// 4. Leftovers of killed runs ----------------------------------------------------------------

#[test]
fn leftovers_of_a_directory_whose_name_is_not_utf8_are_reported_and_removed() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(OsStr::from_bytes(b"out\xff"));
    let render = |check: bool| {
        let mut c = cmd(&["render", "profiles/mysql.yaml", "--output-dir"]);
        c.arg(&out);
        if check {
            c.arg("--check");
        }
        c.output().unwrap()
    };
    assert!(render(false).status.success());
    let leftover = tmp
        .path()
        .join(OsStr::from_bytes(b".out\xff.sts-gen-stage-99999-abcdef"));
    fs::create_dir(&leftover).unwrap();
    fs::copy(
        out.join("secret-mysql-secret.yaml"),
        leftover.join("secret-mysql-secret.yaml"),
    )
    .unwrap();
    // Another directory's, differing in the byte that is not UTF-8: not ours.
    let other = tmp
        .path()
        .join(OsStr::from_bytes(b".out\xfe.sts-gen-stage-99999-abcdef"));
    fs::create_dir(&other).unwrap();
    let o = render(true);
    let se = lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{se}");
    assert!(
        se.contains("left by an interrupted run") && se.contains(".sts-gen-stage-99999-abcdef"),
        "{se}"
    );
    assert_eq!(se.matches("left by an interrupted run").count(), 1, "{se}");
    let o = render(false);
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    assert!(fs::symlink_metadata(&leftover).is_err(), "not removed");
    assert!(other.is_dir(), "another directory's staging is left alone");
    assert_eq!(render(true).status.code(), Some(0));
}

#[test]
fn leftovers_of_a_killed_run_are_reported_by_check_and_removed_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let args = ["render", "profiles/mysql.yaml", "--output-dir", arg(&out)];
    assert!(run(&args).status.success());
    let leftovers = [
        tmp.path().join(".out.sts-gen-new"),
        tmp.path().join(".out.sts-gen-stage-4242-0123456789abcdef"),
    ];
    for l in &leftovers {
        fs::create_dir(l).unwrap();
        fs::copy(
            out.join("secret-mysql-secret.yaml"),
            l.join("secret-mysql-secret.yaml"),
        )
        .unwrap();
    }
    let tmp_file = out.join(".secret-mysql-secret.yaml.sts-gen-tmp");
    fs::copy(out.join("secret-mysql-secret.yaml"), &tmp_file).unwrap();
    // Not ours: a similar name of another directory, and a link with our pattern.
    let other = tmp.path().join(".out.sts-gen-stage-x.sts-gen-stage-1-ab");
    fs::create_dir(&other).unwrap();

    let mut check = args.to_vec();
    check.push("--check");
    let o = run(&check);
    let se = lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{se}");
    for l in leftovers.iter().chain([&tmp_file]) {
        assert!(se.contains(arg(l)), "{} not named: {se}", l.display());
    }
    assert!(!se.contains(arg(&other)), "{se}");
    assert!(!se.contains(PW));

    // The output itself is up to date; the run still cleans up.
    let before = fs::metadata(out.join("statefulset-mysql.yaml"))
        .unwrap()
        .mtime_nsec();
    let o = run(&args);
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    assert_eq!(
        fs::metadata(out.join("statefulset-mysql.yaml"))
            .unwrap()
            .mtime_nsec(),
        before
    );
    for l in leftovers.iter().chain([&tmp_file]) {
        assert!(
            fs::symlink_metadata(l).is_err(),
            "{} not removed",
            l.display()
        );
    }
    assert!(
        other.is_dir(),
        "another directory's look-alike is left alone"
    );
    let o = run(&check);
    assert_eq!(o.status.code(), Some(0), "{}", lossy(&o.stderr));
}

#[test]
fn a_run_killed_mid_write_is_cleaned_up_by_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let args = ["render", "profiles/mysql.yaml", "--output-dir", arg(&out)];
    assert!(run(&args).status.success());
    // Killed by SIGXFSZ on its first large file, after the Secret was staged.
    let o = run_with_file_limit(
        &format!(
            "render profiles/mysql.yaml -n other --output-dir {}",
            arg(&out)
        ),
        false,
    );
    assert_eq!(o.status.code(), None, "killed: {o:?}");
    let left: Vec<String> = names(tmp.path())
        .into_iter()
        .filter(|n| n != "out")
        .collect();
    assert!(!left.is_empty(), "the killed run left its staging");
    let mut check = args.to_vec();
    check.push("--check");
    let o = run(&check);
    assert_eq!(o.status.code(), Some(1), "{}", lossy(&o.stderr));
    assert!(run(&args).status.success());
    assert_eq!(names(tmp.path()), ["out"]);
}

// 5. Atomic writes ---------------------------------------------------------------------------

#[test]
fn a_directory_with_a_foreign_subdirectory_is_still_swapped_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(
        run(&["render", "profiles/web.yaml", "--output-dir", arg(&out)])
            .status
            .success()
    );
    fs::create_dir_all(out.join("overlays/deep")).unwrap();
    fs::write(out.join("overlays/deep/patch.yaml"), "mine").unwrap();
    fs::set_permissions(out.join("overlays"), fs::Permissions::from_mode(0o750)).unwrap();
    std::os::unix::fs::symlink("deep/patch.yaml", out.join("overlays/link")).unwrap();
    let before = tree(&out);
    let dir_inode = fs::metadata(&out).unwrap().ino();
    let file_inode = fs::metadata(out.join("overlays/deep/patch.yaml"))
        .unwrap()
        .ino();
    let o = run(&[
        "render",
        "profiles/web.yaml",
        "-n",
        "other",
        "--output-dir",
        arg(&out),
    ]);
    let se = lossy(&o.stderr);
    assert!(o.status.success(), "{se}");
    assert!(!se.contains("atomic"), "{se}");
    assert_ne!(
        fs::metadata(&out).unwrap().ino(),
        dir_inode,
        "swapped in one rename"
    );
    assert_eq!(
        fs::metadata(out.join("overlays/deep/patch.yaml"))
            .unwrap()
            .ino(),
        file_inode
    );
    let after = tree(&out);
    for (name, entry) in before.iter().filter(|(n, _)| n.starts_with("overlays")) {
        assert_eq!(after.get(name), Some(entry), "{name}");
    }
    assert_eq!(names(tmp.path()), ["out"]);
}

#[test]
fn writing_into_the_working_directory_says_it_is_not_atomic_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/web.yaml");
    let o = cmd(&["render", arg(&profile), "--output-dir", "."])
        .current_dir(&out)
        .output()
        .unwrap();
    let se = lossy(&o.stderr);
    assert!(o.status.success(), "{se}");
    assert!(se.contains("not atomic"), "{se}");
    assert!(out.join("statefulset-web.yaml").is_file());
    // Up to date: nothing written, nothing to warn about; only the summary says so.
    let o = cmd(&["render", arg(&profile), "--output-dir", "."])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let se = lossy(&o.stderr);
    assert!(
        se.starts_with(".: up to date (") && se.lines().count() == 1,
        "{se}"
    );
}

// 6. Secret files ----------------------------------------------------------------------------

#[test]
fn a_damaged_previous_secret_is_an_error_not_a_new_value() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(
        &profile,
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: mysql\nname: db\nnamespace: data\nsecret:\n  data:\n    password: {generate: 24}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let args = ["render", arg(&profile), "--output-dir", arg(&out)];
    assert!(run(&args).status.success());
    let secret = out.join("secret-db-secret.yaml");
    let good = fs::read_to_string(&secret).unwrap();
    for bad in [
        good.replace("data:", "data: [").to_string(),
        "not: [closed\n".to_string(),
        good.replace("metadata:", "meta:"),
    ] {
        fs::write(&secret, &bad).unwrap();
        for extra in [None, Some("--check")] {
            let mut a = args.to_vec();
            a.extend(extra);
            let o = run(&a);
            let se = lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{bad}: {se}");
            assert!(se.contains(arg(&secret)), "{se}");
        }
        assert_eq!(fs::read_to_string(&secret).unwrap(), bad, "not rotated");
    }
    fs::write(&secret, &good).unwrap();
    assert!(run(&args).status.success());
    assert_eq!(fs::read_to_string(&secret).unwrap(), good, "value kept");
}

#[test]
fn check_reports_a_secret_file_readable_by_others() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let args = ["render", "profiles/mysql.yaml", "--output-dir", arg(&out)];
    assert!(run(&args).status.success());
    let secret = out.join("secret-mysql-secret.yaml");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    let mut check = args.to_vec();
    check.push("--check");
    let o = run(&check);
    let se = lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{se}");
    assert!(
        se.contains("secret-mysql-secret.yaml") && se.contains("0644"),
        "{se}"
    );
    assert!(run(&args).status.success());
    assert_eq!(fs::metadata(&secret).unwrap().mode() & 0o777, 0o600);
    assert_eq!(run(&check).status.code(), Some(0));
}

// 7. Failed writes ---------------------------------------------------------------------------

#[test]
fn parents_created_for_a_failed_write_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("new1/new2/out");
    let o = run_with_file_limit(
        &format!("render profiles/mysql.yaml --output-dir {}", arg(&out)),
        true,
    );
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
    assert!(
        names(tmp.path()).is_empty(),
        "left: {:?}",
        names(tmp.path())
    );
    // A batch into a new root.
    let batch_dir = tempfile::tempdir().unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/mysql.yaml"),
        batch_dir.path().join("mysql.yaml"),
    )
    .unwrap();
    let root = tmp.path().join("r1/root");
    let o = run_with_file_limit(
        &format!(
            "render {} --output-dir {}",
            arg(batch_dir.path()),
            arg(&root)
        ),
        true,
    );
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
    assert!(
        names(tmp.path()).is_empty(),
        "left: {:?}",
        names(tmp.path())
    );
}

/// A directory whose parent this user may not write (`--output-dir .` in `/work` of a CI
/// container): no lock file or staging directory fits beside it, so the directory itself is
/// locked and written file by file, with the warning. Needs root to act as another user.
#[test]
fn a_directory_in_a_parent_the_user_cannot_write_is_written_in_place() {
    let root = Command::new("id").arg("-u").output().unwrap();
    if lossy(&root.stdout).trim() != "0" || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as another user");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let profile = tmp.path().join("web.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/web.yaml"),
        &profile,
    )
    .unwrap();
    fs::set_permissions(&profile, fs::Permissions::from_mode(0o644)).unwrap();
    let parent = tmp.path().join("ro");
    let out = parent.join("out");
    fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::chown(&out, Some(65534), Some(65534)).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    let as_nobody = |cwd: &Path, dir: &str, namespace: &str| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(exe())
            .args([
                "render",
                arg(&profile),
                "-n",
                namespace,
                "--output-dir",
                dir,
            ])
            .current_dir(cwd)
            .env_remove("STS_GEN_LOCK_TIMEOUT")
            .output()
            .unwrap()
    };
    for (cwd, dir, namespace) in [
        (Path::new("/"), arg(&out), "first"),
        (out.as_path(), ".", "second"),
        (Path::new("/"), arg(&out), "third"),
    ] {
        let o = as_nobody(cwd, dir, namespace);
        let se = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{dir} {namespace}: {se}");
        assert!(se.contains("not atomic"), "{se}");
    }
    assert!(out.join("namespace-third.yaml").is_file());
    assert!(!out.join("namespace-second.yaml").exists());
    assert_eq!(names(&parent), ["out"]);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A directory name that is not UTF-8 gets its lock and staging beside it like any other.
#[test]
fn a_directory_name_that_is_not_utf8_is_locked_and_swapped() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(std::ffi::OsStr::from_bytes(b"o\xff"));
    for namespace in ["first", "second"] {
        let o = cmd(&[
            "render",
            "profiles/web.yaml",
            "-n",
            namespace,
            "--output-dir",
        ])
        .arg(&out)
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", lossy(&o.stderr));
        // Only the write's summary line.
        assert_eq!(lossy(&o.stderr).lines().count(), 1, "{}", lossy(&o.stderr));
        assert!(
            lossy(&o.stderr).contains(" objects written ("),
            "{}",
            lossy(&o.stderr)
        );
    }
    assert!(out.join("namespace-second.yaml").is_file());
    assert!(!out.join("namespace-first.yaml").exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
}

/// A run that locks its directory itself (its parent is not writable by the user: no lock
/// file fits beside it) is part of the nested writers' protocol: a writer or reader of a
/// directory inside it waits for it, as for a writer holding a lock file. Needs root to act
/// as another user.
#[test]
fn a_directory_locked_itself_holds_off_writers_and_readers_inside_it() {
    let root = Command::new("id").arg("-u").output().unwrap();
    if lossy(&root.stdout).trim() != "0" || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as another user");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let profile = tmp.path().join("web.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/web.yaml"),
        &profile,
    )
    .unwrap();
    fs::set_permissions(&profile, fs::Permissions::from_mode(0o644)).unwrap();
    let parent = tmp.path().join("ro");
    let out = parent.join("out");
    fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::chown(&out, Some(65534), Some(65534)).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    let deep = out.join("a").join("b");
    let as_nobody = |args: &[&str], timeout: &str| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(exe())
            .args(args)
            .current_dir("/")
            .env("STS_GEN_LOCK_TIMEOUT", timeout)
            .output()
            .unwrap()
    };
    let render = ["render", arg(&profile), "--output-dir", arg(&deep)];
    let check = [&render[..], &["--check"]].concat();
    let diff = ["diff", arg(&profile), "--output-dir", arg(&deep)];
    let o = as_nobody(&render, "5");
    assert_eq!(o.status.code(), Some(0), "{}", lossy(&o.stderr));
    // A writer of `out` (as the user would run it) locks `out` itself.
    let held = fs::File::open(&out).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
    for args in [&render[..], &check, &diff] {
        let o = as_nobody(args, "0.5");
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("STS_GEN_LOCK_TIMEOUT"), "{args:?}: {err}");
        assert_eq!(lossy(&o.stdout), "", "{args:?}");
    }
    drop(held);
    for args in [&render[..], &check, &diff] {
        let o = as_nobody(args, "5");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", lossy(&o.stderr));
    }
    assert_eq!(names(&parent), ["out"]);
    assert_eq!(names(&out), ["a"]);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
}

/// One directory, locked two ways: a user who may write its parent locks the file beside
/// it, one who may not locks the directory itself. Neither writes while the other's writer
/// (or, for a writer, reader) holds its lock: root's runs wait for the directory's own
/// lock, the other user's runs wait or cannot open root's lock file. Needs root to act as
/// another user.
#[test]
fn runs_locking_a_directory_by_its_lock_file_and_by_itself_exclude_each_other() {
    let root = Command::new("id").arg("-u").output().unwrap();
    if lossy(&root.stdout).trim() != "0" || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as another user");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let profile = tmp.path().join("web.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/web.yaml"),
        &profile,
    )
    .unwrap();
    fs::set_permissions(&profile, fs::Permissions::from_mode(0o644)).unwrap();
    let parent = tmp.path().join("ro");
    let out = parent.join("out");
    fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::chown(&out, Some(65534), Some(65534)).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    let run = |nobody: bool, args: &[&str], timeout: &str| {
        let mut c = if nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(exe());
            c
        } else {
            Command::new(exe())
        };
        c.args(args)
            .current_dir("/")
            .env("STS_GEN_LOCK_TIMEOUT", timeout)
            .output()
            .unwrap()
    };
    let render = ["render", arg(&profile), "--output-dir", arg(&out)];
    let check = [&render[..], &["--check"]].concat();
    let diff = ["diff", arg(&profile), "--output-dir", arg(&out)];
    let o = run(true, &render, "5");
    assert_eq!(o.status.code(), Some(0), "{}", lossy(&o.stderr));
    let refused = |nobody: bool, args: &[&str]| {
        let o = run(nobody, args, "0.5");
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{nobody} {args:?}: {err}");
        // The other user cannot open root's lock file (mode 0600) at all.
        let why = ["STS_GEN_LOCK_TIMEOUT", "permission denied"];
        assert!(why.iter().any(|w| err.contains(w)), "{args:?}: {err}");
        assert_eq!(lossy(&o.stdout), "", "{args:?}");
    };
    // The other user's writer holds the directory itself: root's runs wait.
    let held = fs::File::open(&out).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
    for args in [&render[..], &check, &diff] {
        refused(false, args);
    }
    drop(held);
    // Root's writer holds the lock file: the other user's runs wait.
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
    let lock_path = parent.join(".out.sts-gen.lock");
    let writer = flock(&lock_path, rustix::fs::FlockOperation::LockExclusive);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    for args in [&render[..], &check, &diff] {
        refused(true, args);
    }
    drop(writer);
    // Root's reader holds it shared: the other user's writer does not write meanwhile.
    let reader = flock(&lock_path, rustix::fs::FlockOperation::LockShared);
    refused(true, &render);
    drop(reader);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_file(&lock_path).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).unwrap();
    for nobody in [true, false] {
        for args in [&render[..], &check, &diff] {
            let o = run(nobody, args, "5");
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", lossy(&o.stderr));
        }
    }
    assert_eq!(names(&parent), ["out"]);
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o755)).unwrap();
}
