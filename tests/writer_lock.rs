//! Issue 15: `render --output-dir` holds the writers' lock from before it reads the previous
//! Secret values it reuses until its write is done, so it never writes values read from a
//! directory another writer replaced meanwhile (single and batch renders).

mod common;
use common::*;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const PROFILE: &str = "apiVersion: sts-gen/v1\nkind: Profile\npreset: mysql\nname: db\nnamespace: data\nsecret:\n  data:\n    password: {generate: 24}\n";

/// The `password:` value (base64) of a rendered Secret file.
fn password(secret: &Path) -> String {
    fs::read_to_string(secret)
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .unwrap()
        .trim()
        .to_string()
}

/// Waits until `child` has the lock file open: it is then in its wait for the lock.
fn wait_until_waiting(child: &mut Child, lock_path: &Path) {
    let fds = PathBuf::from(format!("/proc/{}/fd", child.id()));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting = fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| fs::read_link(e.path()).is_ok_and(|t| t == lock_path));
        if waiting {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the render ended early"
        );
        assert!(
            Instant::now() < deadline,
            "the render never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Renders `args` into `out` once, then again while the test holds `lock_path` (as `mode`),
/// replacing the Secret file at `secret` while the second render waits: the render must
/// reuse the value present when it got the lock, not the one it would have read before.
fn reuses_the_value_present_under_the_lock(
    args: &[&str],
    lock_path: &Path,
    mode: rustix::fs::FlockOperation,
    secret: &Path,
) {
    let o = process(args).output().unwrap();
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    let old = password(secret);
    let held = flock(lock_path, mode);
    let mut child = process(args)
        .env("STS_GEN_LOCK_TIMEOUT", "60")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_waiting(&mut child, lock_path);
    // Another writer's value (as a swap by that writer would leave it), of the same length.
    let theirs = "QW5vdGhlcldyaXRlcnNWYWx1ZTEyMzQ1";
    assert_ne!(old, theirs);
    let planted = fs::read_to_string(secret).unwrap().replace(&old, theirs);
    fs::write(secret, planted).unwrap();
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    assert_eq!(
        password(secret),
        theirs,
        "the render wrote the value it read before it held the lock"
    );
}

#[test]
fn a_render_reads_previous_secrets_under_its_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(&profile, PROFILE).unwrap();
    let out = tmp.path().join("out");
    reuses_the_value_present_under_the_lock(
        &["render", arg(&profile), "--output-dir", arg(&out)],
        &tmp.path().join(".out.sts-gen.lock"),
        rustix::fs::FlockOperation::LockExclusive,
        &out.join("secret-db-secret.yaml"),
    );
}

#[test]
fn a_batch_render_reads_previous_secrets_under_its_directories_locks() {
    let tmp = tempfile::tempdir().unwrap();
    let profiles = tmp.path().join("profiles");
    fs::create_dir(&profiles).unwrap();
    fs::write(profiles.join("db.yaml"), PROFILE).unwrap();
    fs::write(
        profiles.join("other.yaml"),
        PROFILE.replace("name: db", "name: other"),
    )
    .unwrap();
    let root = tmp.path().join("root");
    // A single render into `root/db` holds the root's lock shared (and `root/.db`'s
    // exclusively); the batch's exclusive lock on its root waits for it.
    reuses_the_value_present_under_the_lock(
        &["render", arg(&profiles), "--output-dir", arg(&root)],
        &tmp.path().join(".root.sts-gen.lock"),
        rustix::fs::FlockOperation::LockShared,
        &root.join("db").join("secret-db-secret.yaml"),
    );
    assert_eq!(
        names(&root),
        ["db", "other"],
        "a batch leaves no lock file in its root"
    );
}

#[test]
fn a_render_into_a_batch_directory_waits_for_the_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("db.yaml");
    fs::write(&profile, PROFILE).unwrap();
    let root = tmp.path().join("root");
    let out = root.join("db");
    // A batch writing `root` holds the root's lock exclusively, and no lock of `root/db`.
    reuses_the_value_present_under_the_lock(
        &["render", arg(&profile), "--output-dir", arg(&out)],
        &tmp.path().join(".root.sts-gen.lock"),
        rustix::fs::FlockOperation::LockExclusive,
        &out.join("secret-db-secret.yaml"),
    );
}

#[test]
fn a_profile_error_leaves_no_lock_file_or_directory_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(&profile, PROFILE.replace("{generate: 24}", "{generate: 4}")).unwrap();
    let out = tmp.path().join("new").join("out");
    let o = process(&["render", arg(&profile), "--output-dir", arg(&out)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", lossy(&o.stderr));
    assert!(
        lossy(&o.stderr).contains("generate"),
        "{}",
        lossy(&o.stderr)
    );
    assert!(
        !tmp.path().join("new").exists(),
        "the parent created for the lock is removed again"
    );
}

#[test]
fn a_huge_lock_timeout_waits_without_limit_and_a_bad_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(&profile, PROFILE).unwrap();
    // Beyond what the clock can add (it once panicked, leaving the parent it created).
    for (i, wait) in ["1e19", "9.3e18", "1e400", "inf"].iter().enumerate() {
        let out = tmp.path().join(format!("new{i}")).join("q");
        for args in [
            vec!["render", arg(&profile), "--output-dir", arg(&out)],
            vec!["diff", arg(&profile), "--output-dir", arg(&out)],
        ] {
            let o = process(&args)
                .env("STS_GEN_LOCK_TIMEOUT", wait)
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{wait}: {}", lossy(&o.stderr));
        }
        assert!(out.join("statefulset-db.yaml").is_file(), "{wait}");
    }
    // Such a wait has no deadline: the render waits for the holder, then writes.
    let out = tmp.path().join("held");
    let lock_path = tmp.path().join(".held.sts-gen.lock");
    let held = flock(&lock_path, rustix::fs::FlockOperation::LockExclusive);
    let mut child = process(&["render", arg(&profile), "--output-dir", arg(&out)])
        .env("STS_GEN_LOCK_TIMEOUT", "1e19")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_waiting(&mut child, &lock_path);
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    assert!(out.join("statefulset-db.yaml").is_file());
    for bad in ["-1", "nan", "soon", ""] {
        let out = tmp.path().join("bad").join("q");
        let o = process(&["render", arg(&profile), "--output-dir", arg(&out)])
            .env("STS_GEN_LOCK_TIMEOUT", bad)
            .output()
            .unwrap();
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(
            err.contains("STS_GEN_LOCK_TIMEOUT") && err.contains("is not a number of seconds"),
            "{bad:?}: {err}"
        );
        assert!(o.stdout.is_empty());
        assert!(!tmp.path().join("bad").exists(), "{bad:?}: parent left");
    }
}

#[test]
fn every_alias_of_a_directory_takes_the_same_locks() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("db.yaml");
    fs::write(&profile, PROFILE).unwrap();
    let real = tmp.path().join("R");
    fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink("R", tmp.path().join("L")).unwrap();
    let out = tmp.path().join("L").join("db");
    // A batch writing `R` holds `.R.sts-gen.lock` exclusively; a render into `L/db` (the
    // same directory through a link in its parent path) must wait for it, as must a reader.
    let held = flock(
        &tmp.path().join(".R.sts-gen.lock"),
        rustix::fs::FlockOperation::LockExclusive,
    );
    for args in [
        vec!["render", arg(&profile), "--output-dir", arg(&out)],
        vec!["diff", arg(&profile), "--output-dir", arg(&out)],
    ] {
        let o = process(&args)
            .env("STS_GEN_LOCK_TIMEOUT", "0.3")
            .output()
            .unwrap();
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("is writing it") && err.contains(".R.sts-gen.lock"),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }
    assert!(
        !real.join("db").exists(),
        "nothing written under the batch's lock"
    );
    drop(held);
    let o = process(&["render", arg(&profile), "--output-dir", arg(&out)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", lossy(&o.stderr));
    assert!(real.join("db").join("statefulset-db.yaml").is_file());
    assert_eq!(
        names(tmp.path()),
        ["L", "R", "db.yaml"],
        "no lock file left"
    );
    assert_eq!(names(&real), ["db"]);
}

/// `flock out sts-gen render --output-dir out`: a lock the user takes on the directory
/// itself (owned like its parent, so no run of another user locks it that way) is not
/// waited for.
#[test]
fn a_lock_of_the_users_own_on_the_directory_is_not_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let render = |extra: &[&str]| {
        let mut args = vec!["render", "profiles/web.yaml", "--output-dir", arg(&out)];
        args.extend(extra);
        process(&args)
            .env("STS_GEN_LOCK_TIMEOUT", "0.5")
            .output()
            .unwrap()
    };
    assert!(render(&[]).status.success());
    let held = fs::File::open(&out).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).unwrap();
    for extra in [&["-n", "other"][..], &["-n", "other", "--check"]] {
        let o = render(extra);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", lossy(&o.stderr));
    }
    drop(held);
}
