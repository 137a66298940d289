//! Output integrity, path safety and secret hygiene, through the binary.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;

const PW: &str = "s3cr3t-MARKER-7d1f9c";

fn bin() -> Command {
    let mut c = Command::cargo_bin("sts-gen").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MYSQL_ROOT_PASSWORD", PW);
    c
}

/// Every file below `dir`: name → (bytes, mode, inode).
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32, u64)> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = fs::symlink_metadata(e.path()).unwrap();
            let content = if m.is_file() {
                fs::read(e.path()).unwrap()
            } else {
                vec![]
            };
            (
                e.file_name().to_string_lossy().to_string(),
                (content, m.mode(), m.ino()),
            )
        })
        .collect()
}

fn render_into(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    bin()
        .args(["render", "profiles/mysql.yaml", "--output-dir"])
        .arg(dir)
        .args(extra)
        .assert()
}

/// Runs the render under `sh` with a 1-block file size limit; `ignore_signal` makes the
/// oversize write fail with an error instead of killing the process.
fn limited_render(dir: &Path, ignore_signal: bool) -> std::process::Output {
    let exe = assert_cmd::cargo::cargo_bin("sts-gen");
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    let script = format!(
        "{trap}ulimit -f 1; exec \"$0\" render profiles/mysql.yaml -n other --output-dir \"$1\""
    );
    Std::new("sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MYSQL_ROOT_PASSWORD", PW)
        .args(["-c", &script])
        .arg(&exe)
        .arg(dir)
        .output()
        .unwrap()
}

fn staging_leftovers(parent: &Path) -> Vec<PathBuf> {
    fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains(".sts-gen")
        })
        .collect()
}

#[test]
fn a_killed_render_leaves_the_previous_directory_exactly_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    render_into(&out, &[]).success();
    fs::write(out.join("NOTES.md"), "kept by hand").unwrap();
    render_into(&out, &["--force"]).success();
    let before = snapshot(&out);
    let o = limited_render(&out, false);
    // Killed by SIGXFSZ while writing its first large file.
    assert!(!o.status.success(), "{o:?}");
    assert_eq!(o.status.code(), None, "expected death by signal: {o:?}");
    assert_eq!(snapshot(&out), before);
    // The next normal render cleans up and succeeds.
    render_into(&out, &["-n", "other"]).success();
    assert!(staging_leftovers(tmp.path()).is_empty());
    assert!(out.join("namespace-other.yaml").exists());
    assert_eq!(
        fs::read_to_string(out.join("NOTES.md")).unwrap(),
        "kept by hand"
    );
}

#[test]
fn a_write_error_changes_nothing_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    render_into(&out, &[]).success();
    let before = snapshot(&out);
    let o = limited_render(&out, true);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(o.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(!stderr.contains(PW));
    assert_eq!(snapshot(&out), before);
    assert!(
        staging_leftovers(tmp.path()).is_empty(),
        "staging directory left behind"
    );

    // Into a directory that does not exist yet: it must not appear half-written.
    let fresh = tmp.path().join("fresh");
    let o = limited_render(&fresh, true);
    assert_eq!(o.status.code(), Some(2));
    assert!(!fresh.exists());
}

#[test]
fn rerender_keeps_foreign_files_as_the_same_file_and_prunes_only_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("README.txt"), "mine").unwrap();
    fs::set_permissions(out.join("README.txt"), fs::Permissions::from_mode(0o640)).unwrap();
    render_into(&out, &[]).code(2).stdout("");
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        1,
        "refused: nothing written"
    );
    render_into(&out, &["--force"]).success();
    let inode = fs::metadata(out.join("README.txt")).unwrap().ino();
    render_into(&out, &["-n", "other"]).success();
    let m = fs::metadata(out.join("README.txt")).unwrap();
    assert_eq!((m.ino(), m.mode() & 0o777), (inode, 0o640));
    assert_eq!(fs::read_to_string(out.join("README.txt")).unwrap(), "mine");
    assert!(
        !out.join("namespace-mysql.yaml").exists(),
        "stale output pruned"
    );
    assert!(out.join("namespace-other.yaml").exists());
    assert_eq!(
        fs::metadata(out.join("secret-mysql-secret.yaml"))
            .unwrap()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn symlinks_are_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target.txt");
    fs::write(&target, "precious").unwrap();

    // A link planted where an output file goes.
    let out = tmp.path().join("out");
    render_into(&out, &[]).success();
    fs::remove_file(out.join("statefulset-mysql.yaml")).unwrap();
    std::os::unix::fs::symlink(&target, out.join("statefulset-mysql.yaml")).unwrap();
    let e = render_into(&out, &[]).code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&e).contains("is not a regular file"));
    assert_eq!(fs::read_to_string(&target).unwrap(), "precious");

    // The output directory itself a link.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(tmp.path().join("elsewhere"), &link).unwrap();
    let e = render_into(&link, &[]).code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&e).contains("symbolic link"));
    assert!(!tmp.path().join("elsewhere").exists());
}

#[test]
fn a_template_cannot_name_a_file_outside_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("t");
    fs::create_dir(&templates).unwrap();
    fs::write(
        templates.join("serviceaccount.yaml.j2"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ \"../../evil\" | tojson }}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = render_into(&out, &["--templates", templates.to_str().unwrap()]).code(2);
    let e = String::from_utf8_lossy(&o.get_output().stderr).to_string();
    assert!(
        e.contains("metadata.name `../../evil` is not a DNS-1123 subdomain"),
        "{e}"
    );
    assert!(!out.exists());
    assert!(!tmp.path().join("evil").exists());
}

#[test]
fn secret_values_never_reach_any_output_on_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let base = format!(
        "apiVersion: sts-gen/v1\nkind: Profile\nname: db\nimage: x:1\nports: [{{name: p, port: 1}}]\nstorage: {{size: 1Gi}}\nsecret: {{data: {{pw: {{value: {PW}}}, file: {{fromFile: pw.txt}}}}}}\nenv: {{A: {{secret: pw}}}}\n"
    );
    fs::write(dir.join("pw.txt"), PW).unwrap();
    let t = dir.join("templates");
    fs::create_dir(&t).unwrap();
    // A user template that tries to print secret data into an error and a dropped field.
    fs::write(
        t.join("extra.yaml.j2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata: {{ app.secret.data | tojson }}\nnotAField: {{ app.secret.data.pw | tojson }}\n",
    )
    .unwrap();
    let u = dir.join("templates-undefined");
    fs::create_dir(&u).unwrap();
    fs::write(
        u.join("extra.yaml.j2"),
        "x: {{ app.secret.data.pw | int(bad=1) }}\n",
    )
    .unwrap();
    let cases: Vec<(String, Vec<String>)> = vec![
        // load stage: a type error next to the secret
        (format!("{base}replicas: many\n"), vec![]),
        // model stage: a semantic error, and an unset variable
        (
            format!("{base}resources: {{requests: {{cpu: lots}}}}\n"),
            vec![],
        ),
        (
            base.replace(
                "{value: s3cr3t",
                "{fromEnv: STS_GEN_UNSET_VAR}, x: {value: s3cr3t",
            ),
            vec![],
        ),
        // check stage: a template that puts the secret into an unknown field
        (
            base.clone(),
            vec!["--templates".into(), t.display().to_string()],
        ),
        // render stage: a template error while handling the secret
        (
            base.clone(),
            vec!["--templates".into(), u.display().to_string()],
        ),
    ];
    for (i, (profile, flags)) in cases.iter().enumerate() {
        let path = dir.join(format!("p{i}.yaml"));
        fs::write(&path, profile).unwrap();
        let o = Command::cargo_bin("sts-gen")
            .unwrap()
            .arg("render")
            .arg(&path)
            .args(flags)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "case {i}: {o:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!all.contains(PW), "case {i} leaks the secret: {all}");
        let b64 = base64_of(PW);
        assert!(
            !all.contains(&b64),
            "case {i} leaks the base64 secret: {all}"
        );
        assert!(!all.is_empty());
    }
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Whether the tests run as root (`/proc/self` belongs to the effective user).
fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs the binary in `dir` as an unprivileged user (through `setpriv` when the tests run as
/// root, who may remove entries of a read-only directory anyway); `None` when that is
/// impossible here.
fn unprivileged(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    let exe = assert_cmd::cargo::cargo_bin("sts-gen");
    let mut c = if is_root() {
        let mut c = Std::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe);
        c
    } else {
        Std::new(&exe)
    };
    c.current_dir(dir)
        .args(args)
        .env_remove("STS_GEN_LOCK_TIMEOUT")
        .output()
        .ok()
        .filter(|o| !String::from_utf8_lossy(&o.stderr).contains("setpriv:"))
}

#[test]
fn a_read_only_subdirectory_of_the_user_leaves_no_copy_of_the_old_output() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/web.yaml"),
        work.join("web.yaml"),
    )
    .unwrap();
    let prod = work.join("out/overlays/prod");
    fs::create_dir_all(&prod).unwrap();
    fs::write(prod.join("k.yaml"), "x\n").unwrap();
    if is_root() {
        let ok = Std::new("chown")
            .args(["-R", "65534:65534"])
            .arg(work)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown");
    }
    fs::set_permissions(&prod, fs::Permissions::from_mode(0o555)).unwrap();
    let render = ["render", "web.yaml", "--output-dir", "out", "--force"];
    let Some(o) = unprivileged(work, &render) else {
        eprintln!("skipped: cannot run as an unprivileged user here (setpriv), and as root a read-only directory does not stop a removal");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for r in ["4", "5"] {
        let set = format!("replicas={r}");
        let mut args = render.to_vec();
        args.extend(["--set", &set]);
        let o = unprivileged(work, &args).unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(!err.contains("warning"), "{err}");
        let mut left: Vec<String> = fs::read_dir(work)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["out", "web.yaml"],
            "a copy of the old output is left"
        );
    }
    let o = unprivileged(
        work,
        &[&render[..], &["--set", "replicas=5", "--check"]].concat(),
    )
    .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The user's directory is carried over as it was.
    let m = fs::metadata(&prod).unwrap();
    assert_eq!(m.mode() & 0o777, 0o555);
    assert_eq!(fs::read_to_string(prod.join("k.yaml")).unwrap(), "x\n");
    let _ = fs::set_permissions(&prod, fs::Permissions::from_mode(0o755));
}
