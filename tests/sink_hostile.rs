//! The output directory against what a hostile user can plant around it: a hard link at the
//! lock path, broken entries in a batch's profile directory, a bind mount inside it,
//! foreign owners and extended attributes, names near the file system's limit, and writers
//! of nested directories. Everything runs through the binary.

mod common;
use common::*;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A profile of the bundled web preset with its own name and replica count.
fn web(name: &str, replicas: u32) -> String {
    format!(
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: web\nname: {name}\nreplicas: {replicas}\n"
    )
}

/// Renders `profile` into `out` (with `extra` arguments); returns the exit code and stderr.
fn render(profile: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["render", arg(profile), "--output-dir", arg(out)];
    args.extend(extra);
    let o = process(&args).output().unwrap();
    (o.status.code(), lossy(&o.stderr))
}

#[test]
fn a_hard_link_at_the_lock_path_is_refused_and_its_file_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(&profile, web("web", 2)).unwrap();
    let precious = tmp.path().join("precious");
    fs::write(&precious, "important data\n").unwrap();
    let lock = tmp.path().join(".out.sts-gen.lock");
    fs::hard_link(&precious, &lock).unwrap();
    let out = tmp.path().join("out");
    // A reader locks it too (shared); with no directory to read it has nothing to lock.
    for (cmd, mkdir) in [("render", false), ("diff", true)] {
        if mkdir {
            fs::create_dir(&out).unwrap();
        }
        let o = process(&[cmd, arg(&profile), "--output-dir", arg(&out)])
            .output()
            .unwrap();
        let err = lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        assert!(
            err.contains(arg(&lock)) && err.contains("hard link"),
            "{cmd}: {err}"
        );
    }
    assert_eq!(fs::read_to_string(&precious).unwrap(), "important data\n");
    assert_eq!(fs::read_to_string(&lock).unwrap(), "important data\n");
    assert!(names(&out).is_empty(), "nothing written");
}

/// Makes a broken entry at a path.
type Plant = dyn Fn(&Path);

#[test]
fn a_batch_loads_every_yaml_entry_that_is_not_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    fs::write(input.join("web.yaml"), web("web", 2)).unwrap();
    // A directory named `*.yaml` is no profile: skipped, as before.
    fs::create_dir(input.join("folder.yaml")).unwrap();
    let out = tmp.path().join("out");
    let planted: [(&str, &Plant); 3] = [
        ("db.yaml", &|p| {
            std::os::unix::fs::symlink("/nonexistent/db.yaml", p).unwrap()
        }),
        ("q.yaml", &|p| {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                p,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o644),
                0,
            )
            .unwrap()
        }),
        ("z.yaml", &|p| {
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
    ];
    for (name, plant) in planted {
        let path = input.join(name);
        plant(&path);
        let (code, err) = render(&input, &out, &[]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(name), "{name}: the error names it: {err}");
        assert!(!out.exists(), "{name}: nothing written");
        fs::remove_file(&path).unwrap();
    }
    let (code, err) = render(&input, &out, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(names(&out), ["web"]);
}

/// Unmounts on drop, so a failed assertion leaves no mount behind.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// The `replicas:` line of the rendered StatefulSet in `out`.
fn replicas(out: &Path) -> String {
    fs::read_to_string(out.join("statefulset-web.yaml"))
        .unwrap()
        .lines()
        .find(|l| l.trim_start().starts_with("replicas:"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn a_bind_mount_inside_the_directory_is_written_around_never_moved_or_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(&profile, web("web", 2)).unwrap();
    let out = tmp.path().join("out");
    assert_eq!(render(&profile, &out, &[]).0, Some(0));
    // Data outside the output directory, only directories (which a swap recreates).
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("keep/deep")).unwrap();
    fs::create_dir(src.join("ro")).unwrap();
    let m = out.join("m");
    fs::create_dir(&m).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["--bind", arg(&src), arg(&m)])
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot bind-mount here (not root?): {mounted:?}");
        return;
    }
    let _guard = Mounted(m.clone());
    fs::write(&profile, web("web", 5)).unwrap();
    let (code, err) = render(&profile, &out, &["--force"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("not atomic") && err.contains("mount point"),
        "the file-by-file fallback says why: {err}"
    );
    assert_eq!(replicas(&out), "replicas: 5");
    for kept in ["keep/deep", "ro"] {
        assert!(src.join(kept).is_dir(), "{kept} outside DIR was removed");
        assert!(m.join(kept).is_dir(), "out/m is no longer the mount");
    }
    assert_eq!(names(tmp.path()), ["out", "p.yaml", "src"], "no leftovers");
}

/// Owner, group and permission bits of `path`.
fn owner(path: &Path) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::symlink_metadata(path).unwrap();
    (m.uid(), m.gid(), m.mode() & 0o7777)
}

#[test]
fn a_re_render_keeps_the_owner_group_and_xattrs_of_every_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    fs::write(&profile, web("web", 2)).unwrap();
    let out = tmp.path().join("out");
    assert_eq!(render(&profile, &out, &[]).0, Some(0));
    let overlays = out.join("overlays");
    fs::create_dir(&overlays).unwrap();
    // A team directory: another owner, setgid group.
    for dir in [&out, &overlays] {
        if let Err(e) = std::os::unix::fs::chown(dir, Some(65534), Some(65534)) {
            eprintln!("skipped: cannot chown here (not root?): {e}");
            return;
        }
    }
    fs::set_permissions(&out, fs::Permissions::from_mode(0o2775)).unwrap();
    fs::write(&profile, web("web", 3)).unwrap();
    let (code, err) = render(&profile, &out, &["--force"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(replicas(&out), "replicas: 3");
    assert_eq!(owner(&out), (65534, 65534, 0o2775));
    assert_eq!(owner(&overlays), (65534, 65534, 0o755));
    // New files take the setgid directory's group, as when written in place.
    assert_eq!(owner(&out.join("statefulset-web.yaml")).1, 65534);

    // Extended attributes (ACLs, labels) a recreated directory would not get.
    let xattr = |p: &Path| {
        rustix::fs::getxattr(p, "user.team", &mut [0u8; 16][..]).map_err(|e| e.to_string())
    };
    for dir in [&out, &overlays] {
        if let Err(e) =
            rustix::fs::setxattr(dir, "user.team", b"db", rustix::fs::XattrFlags::empty())
        {
            eprintln!("skipped the xattr part: {e}");
            return;
        }
    }
    fs::write(&profile, web("web", 4)).unwrap();
    let (code, err) = render(&profile, &out, &["--force"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("extended attributes"), "{err}");
    assert_eq!(replicas(&out), "replicas: 4");
    for dir in [&out, &overlays] {
        assert_eq!(xattr(dir), Ok(2), "{}", dir.display());
    }
    assert_eq!(owner(&out), (65534, 65534, 0o2775));
}

/// Every entry below `dir` whose name sts-gen gives its staging, temporary or lock files.
fn sts_gen_leftovers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = [".sts-gen-stage-", ".sts-gen-tmp", ".sts-gen.lock"];
        if ours.iter().any(|o| name.contains(o)) {
            out.push(e.path().display().to_string());
        } else if e.file_type().unwrap().is_dir() {
            out.extend(sts_gen_leftovers(&e.path()));
        }
    }
    out
}

#[test]
fn writers_of_directories_nested_two_levels_apart_take_turns() {
    let tmp = tempfile::tempdir().unwrap();
    let (web, db) = (
        profiles_dir().join("web.yaml"),
        profiles_dir().join("mysql.yaml"),
    );
    let out = tmp.path().join("out");
    let deep = out.join("a").join("b");
    let run = |profile: &Path, dir: &Path, replicas: u32| {
        let set = format!("replicas={replicas}");
        let mut c = process(&["render", arg(profile), "--output-dir", arg(dir)]);
        c.args(["--force", "--set", &set])
            .env("MYSQL_ROOT_PASSWORD", "hunter2")
            .env("STS_GEN_SECRET_SEED", "seed1234567890abcdefXYZ")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    for (profile, dir) in [(&web, &out), (&db, &deep)] {
        assert!(run(profile, dir, 2).wait().unwrap().success());
    }
    // One PersistentVolume file per replica, the same other files.
    let pvs = |dir: &Path| {
        let (pv, other): (Vec<String>, Vec<String>) = names(dir)
            .into_iter()
            .partition(|n| n.starts_with("persistentvolume-"));
        (pv.len() as u32, other)
    };
    let files = pvs(&deep).1;
    let secret = fs::read(deep.join("secret-mysql-secret.yaml")).unwrap();
    for i in 0..30u32 {
        let (r_in, r_out) = (i % 5 + 2, i % 3 + 2);
        // Alternate who starts first.
        let (x, y) = if i % 2 == 0 {
            (run(&db, &deep, r_in), run(&web, &out, r_out))
        } else {
            (run(&web, &out, r_out), run(&db, &deep, r_in))
        };
        for child in [x, y] {
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "{i}: {}", lossy(&o.stderr));
        }
        // The outer run carries the inner directory over whole, whichever ran last: it
        // holds the inner run's complete output.
        assert_eq!(pvs(&deep), (r_in, files.clone()), "{i}");
        assert_eq!(replicas(&out), format!("replicas: {r_out}"), "{i}");
        let sts = fs::read_to_string(deep.join("statefulset-mysql.yaml")).unwrap();
        assert!(
            sts.contains(&format!("\n  replicas: {r_in}\n")),
            "{i}: {sts}"
        );
        assert_eq!(
            fs::read(deep.join("secret-mysql-secret.yaml")).unwrap(),
            secret,
            "{i}"
        );
        assert_eq!(sts_gen_leftovers(tmp.path()), Vec::<String>::new(), "{i}");
    }
}

#[test]
fn directories_with_names_up_to_255_bytes_are_written_diffed_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.yaml");
    for len in [215, 230, 255] {
        let out = tmp.path().join("x".repeat(len));
        fs::write(&profile, web("web", 2)).unwrap();
        let (code, err) = render(&profile, &out, &[]);
        assert_eq!(code, Some(0), "{len}: {err}");
        assert!(!err.contains("warning"), "{len}: {err}");
        // A change is swapped in whole: no warning of a file-by-file fallback.
        fs::write(&profile, web("web", 3)).unwrap();
        let (code, err) = render(&profile, &out, &[]);
        assert_eq!(code, Some(0), "{len}: {err}");
        assert!(!err.contains("warning"), "{len}: {err}");
        assert_eq!(replicas(&out), "replicas: 3", "{len}");
        for cmd in ["diff", "check"] {
            let args = match cmd {
                "diff" => vec!["diff", arg(&profile), "--output-dir", arg(&out)],
                _ => vec![
                    "render",
                    arg(&profile),
                    "--output-dir",
                    arg(&out),
                    "--check",
                ],
            };
            let o = process(&args).output().unwrap();
            assert_eq!(
                o.status.code(),
                Some(0),
                "{len} {cmd}: {}",
                lossy(&o.stderr)
            );
        }
    }
    let mut want: Vec<String> = [215, 230, 255].map(|n| "x".repeat(n)).to_vec();
    want.insert(0, "p.yaml".into());
    assert_eq!(names(tmp.path()), want, "no lock or staging left");
}

/// Another process swapping a directory the user keeps in DIR for a link to another place,
/// again and again while renders run: a render reads DIR only through open directory
/// handles, so it never hard-links a file from that other place into the new directory,
/// nor removes anything there (it may fail, exit 2, when it meets the swap).
#[test]
fn a_directory_swapped_for_a_link_during_renders_never_lets_anything_outside_in() {
    use std::os::unix::fs::MetadataExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("web.yaml");
    let out = tmp.path().join("out");
    let secret = tmp.path().join("secretdir");
    fs::create_dir(&secret).unwrap();
    fs::write(secret.join("shadow"), "TOPSECRET\n").unwrap();
    fs::write(&profile, web("web", 2)).unwrap();
    assert_eq!(render(&profile, &out, &[]).0, Some(0));
    // Many pairs, so each render meets many swaps.
    let pairs: Vec<_> = (0..20)
        .map(|i| (out.join(format!("overlay{i}")), out.join(format!("lnk{i}"))))
        .collect();
    for (dir, link) in &pairs {
        fs::create_dir(dir).unwrap();
        fs::write(dir.join("k.yaml"), "x\n").unwrap();
        std::os::unix::fs::symlink(&secret, link).unwrap();
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for (dir, link) in &pairs {
                    let _ = rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        dir,
                        rustix::fs::CWD,
                        link,
                        rustix::fs::RenameFlags::EXCHANGE,
                    );
                }
            }
        });
        let result = std::panic::catch_unwind(|| {
            for i in 0..100u32 {
                fs::write(&profile, web("web", i % 3 + 2)).unwrap();
                let (code, err) = render(&profile, &out, &["--force"]);
                assert!(matches!(code, Some(0) | Some(2)), "{i}: {err}");
                let meta = fs::metadata(secret.join("shadow")).unwrap();
                assert_eq!(
                    meta.nlink(),
                    1,
                    "{i}: a file outside DIR was linked into it"
                );
                assert_eq!(names(&secret), ["shadow"], "{i}");
            }
        });
        stop.store(true, Ordering::Relaxed);
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    });
}

/// A directory written file by file (it holds the working directory) is written through
/// the directory opened once without following a link: swapped for a link to another place
/// again and again while renders run, that place never gets a file.
#[test]
fn a_directory_written_in_place_and_swapped_for_a_link_is_never_written_through() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("web.yaml");
    fs::write(&profile, web("web", 2)).unwrap();
    let out = tmp.path().join("out");
    assert_eq!(render(&profile, &out, &[]).0, Some(0));
    let cwd = out.join("sub");
    fs::create_dir(&cwd).unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // A pause long enough for a run to pass its checks between two swaps.
        s.spawn(|| {
            let pause = std::time::Duration::from_millis(1);
            keep_swapping(&out, &link, Some(pause), &stop)
        });
        let result = std::panic::catch_unwind(|| {
            for i in 0..400u32 {
                let namespace = format!("n{i}");
                let args = ["render", arg(&profile), "--output-dir", arg(&out)];
                let mut c = process(&args);
                c.args(["-n", &namespace, "--force"]).current_dir(&cwd);
                // Started while `out` was the link: no such working directory.
                let Ok(o) = c.output() else { continue };
                assert!(
                    matches!(o.status.code(), Some(0 | 2)),
                    "{i}: {}",
                    lossy(&o.stderr)
                );
                assert_eq!(
                    names(&outside),
                    Vec::<String>::new(),
                    "{i}: written through the link"
                );
            }
        });
        stop.store(true, Ordering::Relaxed);
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    });
}
