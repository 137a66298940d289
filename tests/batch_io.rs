//! Batch output (`render DIR --output-dir OUT`): every directory is checked before any is
//! written, a failure while writing leaves every directory as it was, and each directory is
//! what rendering its profile alone gives.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Presets that share no state: the parsed preset is cached per process, so a batch naming
/// each of them several times (with different overrides) must not leak one into another.
const PRESETS: [&str; 5] = ["etcd", "mysql", "zookeeper", "kafka", "redis"];
const N: usize = 24;

fn name(i: usize) -> String {
    format!("{}-{i}", PRESETS[i % PRESETS.len()])
}

/// The binary, run in `dir`, with the secrets the presets read and a secret seed.
fn bin(dir: &Path) -> Command {
    let mut c = common::sts_gen();
    c.current_dir(dir)
        .env("MYSQL_ROOT_PASSWORD", "pw-mysql")
        .env("REDIS_PASSWORD", "pw-redis")
        .env("STS_GEN_SECRET_SEED", "a-long-enough-secret-seed")
        .env_remove("STS_GEN_SECRET_SEED_FILE");
    c
}

/// `dir/in/pNN.yaml`, N profiles cycling through [`PRESETS`]; `shift` changes every replica
/// count.
fn write_inputs(dir: &Path, shift: usize) {
    let input = dir.join("in");
    fs::create_dir_all(&input).unwrap();
    for i in 0..N {
        let preset = PRESETS[i % PRESETS.len()];
        fs::write(
            input.join(format!("p{i:02}.yaml")),
            format!(
                "apiVersion: sts-gen/v1\nkind: Profile\npreset: {preset}\nname: {}\nnamespace: ns-{i}\ncreateNamespace: true\nreplicas: {}\n",
                name(i),
                1 + (i + shift) % 4
            ),
        )
        .unwrap();
    }
}

fn render_batch(dir: &Path) -> common::Run {
    common::run(bin(dir).args(["render", "in", "--output-dir", "out"]))
}

/// Every entry below `dir` (dot files included), by relative path: content and mode.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let m = fs::symlink_metadata(&path).unwrap();
            let content = if m.is_file() {
                fs::read(&path).unwrap()
            } else if m.file_type().is_symlink() {
                fs::read_link(&path)
                    .unwrap()
                    .to_string_lossy()
                    .as_bytes()
                    .to_vec()
            } else {
                stack.push(path.clone());
                Vec::new()
            };
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            out.insert(rel, (content, m.permissions().mode()));
        }
    }
    out
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

#[test]
fn each_directory_of_a_batch_is_what_its_profile_renders_alone() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_inputs(d, 0);
    let r = render_batch(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = d.join("out");
    assert_eq!(fs::read_dir(&out).unwrap().count(), N, "one directory each");
    for i in 0..N {
        let single = d.join("single").join(name(i));
        let r = common::run(
            bin(d)
                .args(["render", &format!("in/p{i:02}.yaml"), "--output-dir"])
                .arg(&single),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        // Only the summary line: a new directory, every object new.
        assert!(
            r.stderr.starts_with(&format!("{}: ", single.display()))
                && r.stderr
                    .contains(" new, 0 changed, 0 unchanged), 0 removed; ")
                && r.stderr.lines().count() == 1,
            "{}",
            r.stderr
        );
        let batch = snapshot(&out.join(name(i)));
        assert_eq!(batch, snapshot(&single), "{}", name(i));
        assert!(batch.contains_key(".sts-gen-manifest"));
        let replicas = format!("replicas: {}\n", 1 + i % 4);
        let sts = &batch[&format!("statefulset-{}.yaml", name(i))].0;
        assert!(
            String::from_utf8_lossy(sts).contains(&replicas),
            "{}",
            name(i)
        );
    }
    let secret = fs::metadata(out.join("mysql-1/secret-mysql-1-secret.yaml")).unwrap();
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_refusal_anywhere_in_a_batch_writes_nothing_anywhere() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_inputs(d, 0);
    let out = d.join("out");

    // Into a fresh output directory, one of whose profile directories holds foreign files.
    fs::create_dir_all(out.join(name(17))).unwrap();
    fs::write(out.join(name(17)).join("NOTES.md"), "mine").unwrap();
    let before = snapshot(&out);
    let r = render_batch(d);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("{}: is not empty", name(17))),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&out), before, "nothing written anywhere");

    // Over a rendered batch: two refusals late in the batch, both reported.
    fs::remove_dir_all(out.join(name(17))).unwrap();
    assert_eq!(render_batch(d).code, 0);
    write_inputs(d, 1);
    let precious = d.join("precious.txt");
    fs::write(&precious, "precious").unwrap();
    let link = out
        .join(name(20))
        .join(format!("statefulset-{}.yaml", name(20)));
    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    fs::write(
        out.join(name(23))
            .join(format!("service-{}.yaml", name(23))),
        "x",
    )
    .unwrap();
    fs::write(out.join(name(23)).join(".sts-gen-manifest"), "").unwrap();
    let before = snapshot(&out);
    let r = render_batch(d);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a regular file"), "{}", r.stderr);
    assert!(
        r.stderr.contains("was not written by sts-gen"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&out), before, "nothing written anywhere");
    assert_eq!(fs::read_to_string(&precious).unwrap(), "precious");
}

/// Runs the batch under `sh` with a 1-block file size limit; `ignore_signal` makes the
/// oversize write fail with an error instead of killing the process.
fn limited_batch(dir: &Path, ignore_signal: bool) -> std::process::Output {
    let exe = assert_cmd::cargo::cargo_bin("sts-gen");
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    let script = format!("{trap}ulimit -f 1; exec \"$0\" render in --output-dir out");
    let mut c = std::process::Command::new("sh");
    c.current_dir(dir)
        .env_remove("STS_GEN_TEMPLATES")
        .env("MYSQL_ROOT_PASSWORD", "pw-mysql")
        .env("REDIS_PASSWORD", "pw-redis")
        .env("STS_GEN_SECRET_SEED", "a-long-enough-secret-seed")
        .args(["-c", &script])
        .arg(&exe);
    c.output().unwrap()
}

#[test]
fn a_write_error_or_a_kill_during_a_batch_leaves_every_directory_as_it_was() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_inputs(d, 0);
    assert_eq!(render_batch(d).code, 0);
    let out = d.join("out");
    let before = snapshot(&out);
    write_inputs(d, 1);

    let o = limited_batch(d, true);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write"));
    assert_eq!(
        snapshot(&out),
        before,
        "no directory changed, no staging left"
    );

    let o = limited_batch(d, false);
    assert_eq!(o.status.code(), None, "expected death by signal: {o:?}");
    let mut after = snapshot(&out);
    after.retain(|k, _| !k.starts_with('.'));
    assert_eq!(after, before, "every directory as it was");

    // The next run cleans up the staging directories and writes the new batch.
    assert_eq!(render_batch(d).code, 0);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    let sts = fs::read_to_string(
        out.join(name(5))
            .join(format!("statefulset-{}.yaml", name(5))),
    )
    .unwrap();
    assert!(sts.contains(&format!("replicas: {}\n", 1 + 6 % 4)));
}

/// Every file below `dir` whose name marks a temporary or staging file.
fn temporaries(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .into_keys()
        .filter(|k| k.contains(".sts-gen-tmp") || k.contains(".sts-gen-new"))
        .collect()
}

#[test]
fn directories_that_cannot_be_swapped_are_written_file_by_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_inputs(d, 0);
    assert_eq!(render_batch(d).code, 0);
    let out = d.join("out");

    // A foreign subdirectory is carried into the staging directory (recreated around hard
    // links, see tests/sink_safety.rs): every directory is swapped in whole.
    let kept = out.join(name(0)).join("extra");
    fs::create_dir(&kept).unwrap();
    fs::write(kept.join("notes.txt"), "mine").unwrap();
    write_inputs(d, 1);
    fs::write(
        d.join("in/p00.yaml"),
        format!(
            "apiVersion: sts-gen/v1\nkind: Profile\npreset: etcd\nname: {}\nnamespace: moved\ncreateNamespace: true\nreplicas: 2\n",
            name(0)
        ),
    )
    .unwrap();
    let r = render_batch(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fs::read_to_string(kept.join("notes.txt")).unwrap(), "mine");
    let first = out.join(name(0));
    assert!(first.join("namespace-moved.yaml").exists());
    assert!(
        !first.join("namespace-ns-0.yaml").exists(),
        "stale file pruned"
    );
    let sts = fs::read_to_string(first.join(format!("statefulset-{}.yaml", name(0)))).unwrap();
    assert!(sts.contains("replicas: 2\n"));
    let manifest = fs::read_to_string(first.join(".sts-gen-manifest")).unwrap();
    assert!(manifest.contains("namespace-moved.yaml\n") && !manifest.contains("ns-0"));
    let sts = fs::read_to_string(
        out.join(name(7))
            .join(format!("statefulset-{}.yaml", name(7))),
    )
    .unwrap();
    // write_inputs(d, 1): 1 + (7 + 1) % 4 replicas.
    assert!(sts.contains("replicas: 1\n"));
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));

    // `--output-dir .`: swapping the working directory would leave the shell in the
    // removed old one, so it is written file by file, and the run says so first.
    let here = d.join("here");
    fs::create_dir(&here).unwrap();
    for namespace in ["first", "second"] {
        let r = common::run(bin(&here).args([
            "render",
            "../in/p01.yaml",
            "-n",
            namespace,
            "--output-dir",
            ".",
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.starts_with("warning: ") && r.stderr.contains("not atomic"),
            "{}",
            r.stderr
        );
    }
    assert!(here.join("namespace-second.yaml").exists());
    assert!(
        !here.join("namespace-first.yaml").exists(),
        "stale file pruned"
    );
    let secret = fs::metadata(here.join("secret-mysql-1-secret.yaml")).unwrap();
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);
    assert!(temporaries(&here).is_empty(), "{:?}", temporaries(&here));
}

/// Inode and modification time of every file in each output directory, and of the
/// directory itself: a rewrite (staged and swapped in) changes all of them.
fn identities(out: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut ids = BTreeMap::new();
    for dir in fs::read_dir(out).unwrap() {
        let dir = dir.unwrap().path();
        let mut paths = vec![dir.clone()];
        paths.extend(fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()));
        for p in paths {
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(out).unwrap().display().to_string();
            ids.insert(rel, (m.ino(), m.mtime(), m.mtime_nsec()));
        }
    }
    ids
}

#[test]
fn a_re_render_that_changes_nothing_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write_inputs(d, 0);
    assert_eq!(render_batch(d).code, 0);
    let out = d.join("out");
    let first = identities(&out);
    let content = snapshot(&out);

    // The same inputs again: every directory is up to date, nothing is touched.
    let r = render_batch(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(identities(&out), first);
    assert_eq!(snapshot(&out), content);
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));

    // One profile changes: only its directory is replaced.
    let changed = name(3);
    fs::write(
        d.join("in/p03.yaml"),
        fs::read_to_string(d.join("in/p03.yaml"))
            .unwrap()
            .replace("replicas: 4\n", "replicas: 2\n"),
    )
    .unwrap();
    // A secret made readable by others, and a deleted file, in two other directories.
    let secret_dir = out.join(name(1));
    let secret = fs::read_dir(&secret_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("secret-")
        })
        .expect("a Secret file");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    let deleted = fs::read_dir(out.join(name(2)))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("statefulset-")
        })
        .expect("a StatefulSet file");
    fs::remove_file(&deleted).unwrap();

    let r = render_batch(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = identities(&out);
    let touched: BTreeSet<String> = after
        .iter()
        .filter(|(path, id)| first.get(*path) != Some(id))
        .map(|(path, _)| path.split('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        touched,
        BTreeSet::from([name(1), name(2), changed.clone()]),
        "only the directories that differ are rewritten"
    );
    assert_eq!(
        fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600,
        "the Secret is private again"
    );
    assert!(deleted.is_file(), "the deleted file is back");
    let sts = fs::read_to_string(
        out.join(&changed)
            .join(format!("statefulset-{changed}.yaml")),
    )
    .unwrap();
    assert!(sts.contains("replicas: 2\n"), "{sts}");
}
