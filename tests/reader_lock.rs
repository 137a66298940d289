//! Issue 15: `diff` and `render --check` read the output directory under the writers' lock
//! (shared), so they never compare a directory a writer is swapping; and what they read back
//! from it is bounded like every other input.

mod common;
use common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// A rendered `out` directory of the web profile, and the lock file beside it.
fn rendered(tmp: &Path) -> (PathBuf, PathBuf) {
    let out = tmp.join("out");
    let o = process(&["render", "profiles/web.yaml", "--output-dir", arg(&out)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    (out, tmp.join(".out.sts-gen.lock"))
}

fn readers(out: &Path) -> [Vec<String>; 2] {
    [
        vec!["diff", "profiles/web.yaml", "--output-dir", arg(out)]
            .into_iter()
            .map(String::from)
            .collect(),
        vec![
            "render",
            "profiles/web.yaml",
            "--output-dir",
            arg(out),
            "--check",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    ]
}

fn run_reader(args: &[String], timeout: &str) -> (Output, Duration) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let o = process(&args)
        .env("STS_GEN_LOCK_TIMEOUT", timeout)
        .output()
        .unwrap();
    (o, started.elapsed())
}

#[test]
fn diff_and_check_wait_for_a_writer_then_give_up_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, lock_path) = rendered(tmp.path());
    // Make the directory stale, so a reader that did not wait would report a difference.
    fs::write(out.join("statefulset-web.yaml"), "kind: StatefulSet\n").unwrap();
    let writer = flock(&lock_path, rustix::fs::FlockOperation::LockExclusive);
    fs::write(&lock_path, "pid 515151: sts-gen render other.yaml\n").unwrap();
    for args in readers(&out) {
        let (o, waited) = run_reader(&args, "0.5");
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("515151"), "the writer is named: {err}");
        assert!(err.contains("STS_GEN_LOCK_TIMEOUT"), "{err}");
        assert!(waited >= Duration::from_millis(450), "{args:?}: {waited:?}");
        assert_eq!(
            lossy(&o.stdout),
            "",
            "nothing compared while a writer holds it"
        );
    }
    drop(writer);
    // Released: the readers run and find the difference.
    for args in readers(&out) {
        let (o, _) = run_reader(&args, "0.5");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", lossy(&o.stderr));
    }
    // And leave no lock file behind.
    assert!(!lock_path.exists());
}

#[test]
fn readers_share_the_lock_and_hold_writers_off_while_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, lock_path) = rendered(tmp.path());
    // Another reader holds it shared: readers do not wait for each other.
    let reader = flock(&lock_path, rustix::fs::FlockOperation::LockShared);
    for args in readers(&out) {
        let (o, _) = run_reader(&args, "0");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", lossy(&o.stderr));
    }
    // ... but a writer does, and gives up.
    let o = process(&[
        "render",
        "profiles/web.yaml",
        "--output-dir",
        arg(&out),
        "--force",
    ])
    .env("STS_GEN_LOCK_TIMEOUT", "0.2")
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
    // The other reader still holds its lock file: a finishing reader must not remove it
    // from under it (a writer would then lock a new file and write during the read).
    assert!(
        lock_path.exists(),
        "the lock file went while a reader held it"
    );
    drop(reader);
}

#[test]
fn a_huge_file_under_a_rendered_name_is_refused_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = rendered(tmp.path());
    let f = fs::File::create(out.join("statefulset-web.yaml")).unwrap();
    // Sparse: 64 MiB that cost no disk, past the 16 MiB bound.
    f.set_len(64 << 20).unwrap();
    drop(f);
    for args in readers(&out) {
        let (o, waited) = run_reader(&args, "5");
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("statefulset-web.yaml"), "{err}");
        assert!(err.contains("no file larger than"), "{err}");
        assert!(o.stdout.len() < 4096, "no diff of the file is printed");
        assert!(waited < Duration::from_secs(30), "{waited:?}");
    }
}

/// The `--check` summary lines (changed/added/removed files), sorted.
fn summary(o: &Output) -> Vec<String> {
    let mut lines: Vec<String> = lossy(&o.stderr)
        .lines()
        .filter(|l| !l.contains("out of date"))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// A stress check of the lock under a live writer: every `--check` sees A whole or B whole,
/// and none deadlocks. (Without the lock a mix needs a swap inside the few milliseconds of a
/// compare, so this rarely fails on a build without it; the held-lock test above always does.)
#[test]
fn check_racing_a_writer_sees_one_whole_directory_or_the_other() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // 200 local PersistentVolumes: a compare reads 200-odd files, a window a swap can hit.
    // B differs from A in every file (a label), so a mix shows as a partial list.
    let a = [
        "render",
        "profiles/web.yaml",
        "--output-dir",
        arg(&out),
        "--set",
        "replicas=200",
        "--set",
        "storage.local.path=/mnt/web",
        "--set",
        "storage.local.nodes=[n1, n2]",
    ];
    let b_args = ["--set", "labels.team=b"];
    let write = |extra: &[&str]| {
        let o = process(&[&a[..], extra].concat()).output().unwrap();
        assert!(o.status.success(), "{}", lossy(&o.stderr));
    };
    // What --check of A says about a directory holding B: the one "B" answer.
    write(&b_args);
    let check = || {
        process(&[&a[..], &["--check"]].concat())
            .env("STS_GEN_LOCK_TIMEOUT", "60")
            .output()
            .unwrap()
    };
    let against_b = check();
    assert_eq!(
        against_b.status.code(),
        Some(1),
        "{}",
        lossy(&against_b.stderr)
    );
    let against_b = summary(&against_b);
    assert!(!against_b.is_empty());
    write(&[]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut flip = false;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                write(if flip { &b_args[..] } else { &[] });
                flip = !flip;
            }
        });
        for i in 0..12 {
            let o = check();
            match o.status.code() {
                Some(0) => {}
                Some(1) => assert_eq!(summary(&o), against_b, "run {i}: a mix of A and B"),
                _ => panic!("run {i}: {}", lossy(&o.stderr)),
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

#[test]
fn diff_and_check_of_one_directory_wait_for_a_batch_writing_its_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fs::create_dir(&root).unwrap();
    let (out, _) = rendered(&root);
    // A batch writing `root` holds the root's lock exclusively and no lock of `root/out`.
    let batch = flock(
        &tmp.path().join(".root.sts-gen.lock"),
        rustix::fs::FlockOperation::LockExclusive,
    );
    for args in readers(&out) {
        let (o, waited) = run_reader(&args, "0.5");
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("STS_GEN_LOCK_TIMEOUT"), "{err}");
        assert!(waited >= Duration::from_millis(450), "{args:?}: {waited:?}");
    }
    drop(batch);
    for args in readers(&out) {
        let (o, _) = run_reader(&args, "0.5");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", lossy(&o.stderr));
    }
}

/// A reader of `out/a/b` follows the nested writers' protocol: a writer of `out` (two levels
/// up, no lock of `out/a/b` or `out/a` held) is waited for, not read under; and a writer of
/// `out` waits for a reader inside it.
#[test]
fn diff_and_check_of_a_nested_directory_wait_for_a_writer_further_up() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("out").join("a");
    fs::create_dir_all(&a).unwrap();
    let (deep, _) = rendered(&a);
    fs::write(deep.join("statefulset-web.yaml"), "kind: StatefulSet\n").unwrap();
    let outer = tmp.path().join(".out.sts-gen.lock");
    let writer = flock(&outer, rustix::fs::FlockOperation::LockExclusive);
    fs::write(&outer, "pid 616161: sts-gen render outer.yaml\n").unwrap();
    for args in readers(&deep) {
        let (o, waited) = run_reader(&args, "0.5");
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("616161"), "the writer is named: {err}");
        assert!(err.contains("STS_GEN_LOCK_TIMEOUT"), "{err}");
        assert!(waited >= Duration::from_millis(450), "{args:?}: {waited:?}");
        assert_eq!(lossy(&o.stdout), "", "nothing compared under a writer");
    }
    drop(writer);
    for args in readers(&deep) {
        let (o, _) = run_reader(&args, "0.5");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", lossy(&o.stderr));
    }
    // The other way round: a reader of `out/a/b` holds the writer of `out` off.
    let reader = flock(
        &a.join(".out.sts-gen.lock"),
        rustix::fs::FlockOperation::LockShared,
    );
    let o = process(&[
        "render",
        "profiles/web.yaml",
        "--output-dir",
        arg(&tmp.path().join("out")),
        "--force",
    ])
    .env("STS_GEN_LOCK_TIMEOUT", "0.3")
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
    drop(reader);
}

/// `diff` and `--check` read DIR's files through DIR opened without following a link: DIR
/// swapped for a link to another place (again and again, racing the readers) is refused,
/// and what that place holds under the rendered names is never shown.
#[test]
fn a_directory_swapped_for_a_link_while_read_is_never_read_through() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = rendered(tmp.path());
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    for name in fs::read_dir(&out).unwrap() {
        let name = name.unwrap().file_name();
        let text = if name == ".sts-gen-manifest" {
            fs::read_to_string(out.join(&name)).unwrap()
        } else {
            "LEAKED: kind: Secret\n".to_string()
        };
        fs::write(outside.join(&name), text).unwrap();
    }
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| keep_swapping(&out, &link, None, &stop));
        let result = std::panic::catch_unwind(|| {
            for i in 0..120 {
                for args in readers(&out) {
                    let (o, _) = run_reader(&args, "30");
                    let text = lossy(&o.stdout) + &lossy(&o.stderr);
                    assert!(!text.contains("LEAKED"), "{i} {args:?}: {text}");
                    assert!(matches!(o.status.code(), Some(0..=2)), "{i}: {text}");
                }
            }
        });
        stop.store(true, Ordering::Relaxed);
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    });
}
