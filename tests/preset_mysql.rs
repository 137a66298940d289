//! The `mysql` preset (profiles/mysql.yaml): the root password reaches mysqld's first start, the
//! readiness probe and the xtrabackup sidecar as a file of the mounted Secret, never through
//! the environment of the pod spec. The probe and the sidecar script are run for real under
//! `sh`/`bash` with stand-ins for `mysql`, `ncat` and `xtrabackup` and the password in a
//! temporary file, as the Secret volume gives it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{container, env_value, mount_path, one, path_with, secret_behind, strings, write_exe};
use serde_json::Value;
use sts_gen::model;

/// A password with the characters the shell and SQL treat specially.
const PASSWORD: &str = "p\"a\\ss w$rd`x'y";

fn render_profile(name: &str) -> Vec<Value> {
    let text = common::bundled_text("mysql")
        .replace("{fromEnv: MYSQL_ROOT_PASSWORD}", "{value: test-password}")
        .replace("\nname: mysql\n", &format!("\nname: {name}\n"));
    common::render_bundled("mysql", &text, &model::Options::default())
}

fn password_file(tmp: &Path) -> PathBuf {
    let path = tmp.join("secret-password");
    fs::write(&path, PASSWORD).unwrap();
    path
}

#[test]
fn the_root_password_is_a_file_of_the_secret_in_every_container() {
    let items = render_profile("shop");
    let secret = one(&items, "Secret");
    let secret_name = secret["metadata"]["name"].as_str().unwrap().to_string();
    // No container takes a Secret through its environment.
    common::assert_no_secret_in_env(&items);
    // mysqld's first start (the image's entrypoint reads MYSQL_ROOT_PASSWORD_FILE) and the
    // sidecar read the Secret's `password` key.
    let main = container(&items, "shop");
    assert!(
        main.get("command").is_none() && main.get("args").is_none(),
        "the image's entrypoint starts mysqld"
    );
    for c in [main, container(&items, "xtrabackup")] {
        assert_eq!(
            secret_behind(&items, c, env_value(c, "MYSQL_ROOT_PASSWORD_FILE")),
            (secret_name.clone(), "password".to_string()),
            "{}",
            c["name"]
        );
    }
    assert!(secret["data"]["password"].is_string());
}

#[test]
fn readiness_logs_in_as_root_with_the_password_from_the_file() {
    let items = render_profile("mysql");
    let main = container(&items, "mysql");
    let probe = strings(&main["readinessProbe"]["exec"]["command"]);
    assert_eq!(&probe[..2], &["sh", "-c"]);
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    write_exe(
        &bin,
        "mysql",
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done > \"$OUT/args\"\nprintf '%s' \"$MYSQL_PWD\" > \"$OUT/pwd\"\nexit \"$FAKE_EXIT\"\n",
    );
    let run = |exit: &str| {
        std::process::Command::new("sh")
            .env_clear()
            .env("PATH", path_with(&bin))
            .env("OUT", tmp.path())
            .env("FAKE_EXIT", exit)
            .env("MYSQL_ROOT_PASSWORD_FILE", password_file(tmp.path()))
            .arg("-c")
            .arg(&probe[2])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(run("0"));
    assert!(!run("1"), "the probe passes mysql's failure on");
    // The pod's uid has no passwd entry, so the client's default user would not be root.
    assert_eq!(
        fs::read_to_string(tmp.path().join("args")).unwrap(),
        "[-h][127.0.0.1][-u][root][-e][SELECT 1]"
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("pwd")).unwrap(),
        PASSWORD
    );
    // Liveness needs no password: mysqladmin ping exits 0 when the server answers at all.
    assert_eq!(
        strings(&main["livenessProbe"]["exec"]["command"]),
        ["mysqladmin", "ping"]
    );
}

/// What one run of the xtrabackup sidecar's script did.
struct Sidecar {
    ok: bool,
    trace: String,
    mysql_calls: String,
    xtrabackup_args: String,
}

/// Runs the sidecar script with its data dir moved into `tmp/data`, stand-ins for `mysql`
/// (logs its arguments), `ncat` (runs its `-c` command once) and `xtrabackup` (logs its
/// arguments), and the password in a file.
fn run_sidecar(items: &[Value], tmp: &Path, password: Option<PathBuf>) -> Sidecar {
    let c = container(items, "xtrabackup");
    let command = strings(&c["command"]);
    assert_eq!(&command[..2], &["bash", "-c"]);
    let data_mount = mount_path(c, "data");
    let data = tmp.join("data");
    // As the kubelet hands it over: `$(VAR)` references and `$$` expanded.
    let script = common::k8s_expand(&command[2], &std::collections::BTreeMap::new())
        .replace(data_mount, &data.display().to_string())
        .replace(
            &sidecar_pid_file(items).unwrap_or_else(|| "/nonexistent/".into()),
            &tmp.join("sidecar.pid").display().to_string(),
        );
    let bin = tmp.join("bin");
    write_exe(
        &bin,
        "mysql",
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >> \"$OUT/mysql\"\necho >> \"$OUT/mysql\"\n",
    );
    write_exe(
        &bin,
        "ncat",
        "#!/bin/sh\necho $$ > \"$OUT/ncat-pid\"\nfor a in \"$@\"; do last=\"$a\"; done\nexec sh -c \"$last\"\n",
    );
    write_exe(
        &bin,
        "xtrabackup",
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done > \"$OUT/xtrabackup\"\n",
    );
    let out = std::process::Command::new("bash")
        .env_clear()
        .env("PATH", path_with(&bin))
        .env("OUT", tmp)
        .env(
            "MYSQL_ROOT_PASSWORD_FILE",
            password.unwrap_or_else(|| password_file(tmp)),
        )
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let read = |f: &str| fs::read_to_string(tmp.join(f)).unwrap_or_default();
    Sidecar {
        ok: out.status.success(),
        trace: String::from_utf8_lossy(&out.stderr).into_owned(),
        mysql_calls: read("mysql"),
        xtrabackup_args: read("xtrabackup"),
    }
}

#[test]
fn the_sidecar_reads_the_password_from_the_file_and_never_traces_it() {
    let items = render_profile("shop");
    // A replica cloned from the primary: replication starts with the password in the statement.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("data")).unwrap();
    fs::write(
        tmp.path().join("data/xtrabackup_binlog_info"),
        "mysql-bin.000003\t154\n",
    )
    .unwrap();
    let run = run_sidecar(&items, tmp.path(), None);
    assert!(run.ok, "{}", run.trace);
    assert!(run.trace.contains("+ cd "), "tracing is on: {}", run.trace);
    assert!(
        !run.trace.contains("w$rd"),
        "the password was traced:\n{}",
        run.trace
    );
    let calls: Vec<&str> = run.mysql_calls.lines().collect();
    assert_eq!(calls[0], "[-h][127.0.0.1][-u][root][-e][SELECT 1]");
    let statement = calls[1];
    // Escaped for a single-quoted SQL string: backslash doubled, quote doubled.
    assert!(
        statement.contains(r#"MASTER_PASSWORD='p"a\\ss w$rd`x''y'"#),
        "{statement}"
    );
    assert!(
        statement.contains("MASTER_HOST='shop-0.shop'"),
        "{statement}"
    );
    assert!(
        statement.contains("MASTER_LOG_FILE='mysql-bin.000003'"),
        "{statement}"
    );
    // Peers' clones get a backup taken with the same password.
    assert!(
        run.xtrabackup_args
            .ends_with(&format!("[--user=root][--password={PASSWORD}]")),
        "{}",
        run.xtrabackup_args
    );

    // The primary (nothing cloned): no replication to start, the backup server all the same.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("data")).unwrap();
    let run = run_sidecar(&items, tmp.path(), None);
    assert!(run.ok, "{}", run.trace);
    assert_eq!(run.mysql_calls, "");
    assert!(run
        .xtrabackup_args
        .ends_with(&format!("[--password={PASSWORD}]")));
    assert!(!run.trace.contains("w$rd"));
}

#[test]
fn a_missing_password_file_stops_the_sidecar() {
    let items = render_profile("mysql");
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("data")).unwrap();
    let run = run_sidecar(&items, tmp.path(), Some(tmp.path().join("missing")));
    assert!(!run.ok);
    assert_eq!(
        run.xtrabackup_args, "",
        "no backup server without the password"
    );
    assert!(
        !run.trace.contains("+ cd "),
        "it stops before anything else"
    );
}

/// The file the sidecar's probes read ncat's pid from (the path in the readiness probe).
fn sidecar_pid_file(items: &[Value]) -> Option<String> {
    let c = container(items, "xtrabackup");
    let command = &c["readinessProbe"]["exec"]["command"];
    if !command.is_array() {
        return None;
    }
    let probe = strings(command);
    let probe = probe.get(2)?;
    let start = probe.find("< /")? + 2;
    let len = probe[start..].find(' ')?;
    Some(probe[start..start + len].to_string())
}

/// The binlog position of a clone from the primary, with and without the third (GTID) field
/// that MariaDB's backup tool (and XtraBackup with GTIDs) writes.
#[test]
fn a_replica_cloned_from_the_primary_starts_at_the_binlog_position() {
    let items = render_profile("mysql");
    for info in [
        "mysql-bin.000003\t154\n",
        "mysql-bin.000003\t154\t0-100-3\n",
        "mysql-bin.000003 154 0-100-3,0-101-7\n",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("data")).unwrap();
        fs::write(tmp.path().join("data/xtrabackup_binlog_info"), info).unwrap();
        let run = run_sidecar(&items, tmp.path(), None);
        assert!(run.ok, "{info:?}: {}", run.trace);
        let statement = run
            .mysql_calls
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let compact: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            compact.contains(
                "[-e][CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=154, MASTER_HOST="
            ),
            "{info:?}: {statement}"
        );
        assert!(!statement.contains("0-100-3"), "{statement}");
        // Started once: a restart does not start replication again.
        assert!(tmp.path().join("data/change_master_to.sql.orig").is_file());
        assert!(!tmp.path().join("data/xtrabackup_binlog_info").exists());
    }
    // A file without a numeric position stops the sidecar before anything reaches mysql.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("data")).unwrap();
    fs::write(
        tmp.path().join("data/xtrabackup_binlog_info"),
        "mysql-bin.000003\n",
    )
    .unwrap();
    let run = run_sidecar(&items, tmp.path(), None);
    assert!(!run.ok);
    assert_eq!(run.mysql_calls, "");
}

/// The sidecar's probes look at the ncat process, not at port 3307: every connection there
/// starts a full backup and takes the single connection slot a cloning peer needs.
#[test]
fn sidecar_probes_check_ncat_without_connecting_to_the_backup_port() {
    let items = render_profile("mysql");
    let c = container(&items, "xtrabackup");
    let pid_file = sidecar_pid_file(&items).expect("the readiness probe reads a pid file");
    // The sidecar records the pid that exec hands on to ncat.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("data")).unwrap();
    fs::write(tmp.path().join("sidecar.pid"), "stale\n").unwrap();
    let run = run_sidecar(&items, tmp.path(), None);
    assert!(run.ok, "{}", run.trace);
    assert_eq!(
        fs::read_to_string(tmp.path().join("sidecar.pid")).unwrap(),
        fs::read_to_string(tmp.path().join("ncat-pid")).unwrap()
    );

    // A process named ncat (a copy of sleep) stands in for the backup server.
    let bin = tmp.path().join("bin2");
    fs::create_dir_all(&bin).unwrap();
    let sleep = common::find_on_path("sleep").unwrap();
    fs::copy(&sleep, bin.join("ncat")).unwrap();
    let pid_path = tmp.path().join("probe.pid");
    for kind in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let probe = &c[kind];
        assert!(
            probe.get("tcpSocket").is_none() && probe.get("httpGet").is_none(),
            "{kind}: {probe}"
        );
        let command = strings(&probe["exec"]["command"]);
        assert_eq!(&command[..2], &["bash", "-c"], "{kind}");
        let script = command[2].replace(&pid_file, &pid_path.display().to_string());
        let passes = || {
            std::process::Command::new("bash")
                .env_clear()
                .arg("-c")
                .arg(&script)
                .status()
                .unwrap()
                .success()
        };
        let _ = fs::remove_file(&pid_path);
        assert!(!passes(), "{kind}: no pid file, no ncat yet");
        let mut ncat = std::process::Command::new(bin.join("ncat"))
            .arg("60")
            .spawn()
            .unwrap();
        let pid = ncat.id().to_string();
        fs::write(&pid_path, format!("{pid}\n")).unwrap();
        assert!(passes(), "{kind}: ncat is running");
        let signal = |sig: &str| {
            assert!(std::process::Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success())
        };
        signal("-STOP");
        // The stop shows in /proc shortly after the signal.
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!passes(), "{kind}: ncat is frozen");
        signal("-CONT");
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(passes(), "{kind}: ncat runs again");
        ncat.kill().unwrap();
        ncat.wait().unwrap();
        assert!(!passes(), "{kind}: ncat is gone");
        // A pid that now belongs to another program (a restarted container) does not count.
        fs::write(&pid_path, format!("{}\n", std::process::id())).unwrap();
        assert!(!passes(), "{kind}: not ncat");
    }
}
