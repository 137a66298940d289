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
        "[-h][127.0.0.1][-P][3306][-u][root][-e][SELECT 1]"
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
    ncat_args: String,
}

/// Runs the sidecar script with its data dir moved into `tmp/data`, stand-ins for `mysql`
/// (logs its arguments), `ncat` (runs its `-c` command once) and `xtrabackup` (logs its
/// arguments), and the password in a file.
fn run_sidecar(items: &[Value], tmp: &Path, password: Option<PathBuf>) -> Sidecar {
    run_sidecar_tls(items, tmp, password, &tmp.join("no-tls"))
}

/// [`run_sidecar`] with the TLS Secret's mount (`/etc/tls` when the sidecar has none) moved to
/// `tls`, which holds the certificate files or does not exist.
fn run_sidecar_tls(items: &[Value], tmp: &Path, password: Option<PathBuf>, tls: &Path) -> Sidecar {
    let c = container(items, "xtrabackup");
    let command = strings(&c["command"]);
    assert_eq!(&command[..2], &["bash", "-c"]);
    let data_mount = mount_path(c, "data");
    let data = tmp.join("data");
    let tls_mount = tls_mount_of(c);
    // As the kubelet hands it over: `$(VAR)` references and `$$` expanded.
    let script = common::k8s_expand(&command[2], &std::collections::BTreeMap::new())
        .replace(data_mount, &data.display().to_string())
        .replace(&format!("{tls_mount}/"), &format!("{}/", tls.display()))
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
        "#!/bin/sh\necho $$ > \"$OUT/ncat-pid\"\nfor a in \"$@\"; do printf '[%s]' \"$a\"; last=\"$a\"; done > \"$OUT/ncat\"\nexec sh -c \"$last\"\n",
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
        ncat_args: read("ncat"),
    }
}

/// A replica's data directory just cloned from the primary: the binlog position xtrabackup
/// recorded is where replication starts.
fn cloned_replica() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("data")).unwrap();
    fs::write(
        tmp.path().join("data/xtrabackup_binlog_info"),
        "mysql-bin.000003\t154\n",
    )
    .unwrap();
    tmp
}

#[test]
fn the_sidecar_reads_the_password_from_the_file_and_never_traces_it() {
    let items = render_profile("shop");
    // A replica cloned from the primary: replication starts with the password in the statement.
    let tmp = cloned_replica();
    let run = run_sidecar(&items, tmp.path(), None);
    assert!(run.ok, "{}", run.trace);
    assert!(run.trace.contains("+ cd "), "tracing is on: {}", run.trace);
    assert!(
        !run.trace.contains("w$rd"),
        "the password was traced:\n{}",
        run.trace
    );
    let calls: Vec<&str> = run.mysql_calls.lines().collect();
    assert_eq!(
        calls[0],
        "[-h][127.0.0.1][-P][3306][-u][root][-e][SELECT 1]"
    );
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
fn replication_gets_a_non_ascii_password_over_a_utf8mb4_connection() {
    // The server stores MASTER_PASSWORD converted from the connection's character set: sent
    // as latin1 (the client's default without a locale), `é` became other bytes than the
    // root password's and the replica was refused (observed on tests/engines).
    let items = render_profile("shop");
    let tmp = cloned_replica();
    let password = tmp.path().join("utf8-password");
    fs::write(&password, "pässwörd-€").unwrap();
    let run = run_sidecar(&items, tmp.path(), Some(password));
    assert!(run.ok, "{}", run.trace);
    let change = run
        .mysql_calls
        .lines()
        .find(|l| l.contains("CHANGE MASTER TO"))
        .expect("a CHANGE MASTER TO statement");
    assert!(
        change.starts_with(
            "[-h][127.0.0.1][-P][3306][-u][root][--default-character-set=utf8mb4][-e]"
        ),
        "{change}"
    );
    assert!(change.contains("MASTER_PASSWORD='pässwörd-€'"), "{change}");
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

// ------------------------------------------------------------------ tls

/// Where a container mounts the TLS Secret (the `tls` volume); `/etc/tls`, the preset's path,
/// for a container without it (TLS off), so a script's TLS branch can still be pointed away.
fn tls_mount_of(c: &Value) -> String {
    let mounted = c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["name"] == "tls");
    match mounted {
        Some(m) => m["mountPath"].as_str().unwrap().to_string(),
        None => "/etc/tls".to_string(),
    }
}

/// The preset with `tls: {issuer: ca}`, metrics and backups on.
fn render_tls(name: &str) -> Vec<Value> {
    let text = common::bundled_text("mysql")
        .replace("{fromEnv: MYSQL_ROOT_PASSWORD}", "{value: test-password}")
        .replace("\nname: mysql\n", &format!("\nname: {name}\n"));
    let text = common::with_day2_on(&text);
    // Metrics generate the exporter's password: a seed keeps it the same on every render.
    let opts = model::Options {
        secret_seed: Some(b"preset-mysql-tls-test-seed-0123456789".to_vec()),
        ..model::Options::default()
    };
    common::render_bundled("mysql", &text, &opts)
}

/// A directory with the files the TLS Secret gives (their content does not matter here).
fn tls_files(tmp: &Path) -> PathBuf {
    let dir = tmp.join("tls");
    fs::create_dir_all(&dir).unwrap();
    for f in ["ca.crt", "tls.crt", "tls.key"] {
        fs::write(dir.join(f), f).unwrap();
    }
    dir
}

/// `key=value` settings of one `[group]` of an option file.
fn cnf_group(text: &str, group: &str) -> Vec<(String, String)> {
    let mut current = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(g) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = g.to_string();
        } else if current == group && !line.is_empty() && !line.starts_with('#') {
            let (k, v) = line.split_once('=').unwrap_or((line, ""));
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[test]
fn with_tls_the_server_requires_it_and_every_client_in_the_pod_has_the_ca() {
    let items = render_tls("shop");
    let main = container(&items, "shop");
    let dir = tls_mount_of(main);
    assert_eq!(
        common::volume(common::pod(&items), "tls")["secret"]["secretName"],
        one(&items, "Certificate")["spec"]["secretName"]
    );
    // Every container that talks to a server or a peer mounts the same Secret at the same path
    // (the replication statement's CA path is read by mysqld in the main container).
    for c in [
        container(&items, "xtrabackup"),
        container(&items, "metrics"),
        common::init_container(&items, "clone-mysql"),
    ] {
        assert_eq!(mount_path(c, "tls"), dir, "{}", c["name"]);
    }
    // The pod's config dir (every container reading option files mounts it) gets tls.cnf.
    let ri = common::role_init(&items);
    let tmp = tempfile::tempdir().unwrap();
    let files = ri.run_ok(tmp.path(), "shop-1", "shop", "mysql");
    let tls = &files["tls.cnf"];
    let config = env_value(&ri.container, "CONFIG_DIR");
    for c in [main, container(&items, "xtrabackup")] {
        assert_eq!(mount_path(c, "config"), config, "{}", c["name"]);
    }
    // mysqld's TLS settings are its arguments (the image's entrypoint passes arguments that
    // start with an option to mysqld), so the ConfigMap names no key file.
    let args = strings(&main["args"]);
    for want in [
        format!("--ssl-ca={dir}/ca.crt"),
        format!("--ssl-cert={dir}/tls.crt"),
        format!("--ssl-key={dir}/tls.key"),
        "--require-secure-transport=ON".to_string(),
    ] {
        assert!(args.contains(&want), "{want}: {args:?}");
    }
    assert!(args.iter().all(|a| a.starts_with("--")), "{args:?}");
    assert!(!one(&items, "ConfigMap").to_string().contains("ssl-key"));
    assert_eq!(
        cnf_group(tls, "client"),
        [("ssl-ca".to_string(), format!("{dir}/ca.crt"))]
    );
    // Off: no tls.cnf, no TLS mount.
    let off = render_profile("shop");
    let files = common::role_init(&off).run_ok(tmp.path(), "shop-2", "shop", "mysql");
    assert!(!files.contains_key("tls.cnf"));
    assert!(container(&off, "xtrabackup")["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["name"] != "tls"));
}

#[test]
fn with_tls_replication_and_the_clone_server_use_it() {
    let items = render_tls("shop");
    let tmp = cloned_replica();
    let tls = tls_files(tmp.path());
    let run = run_sidecar_tls(&items, tmp.path(), None, &tls);
    assert!(run.ok, "{}", run.trace);
    let statement = run
        .mysql_calls
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let compact: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        compact.contains(&format!(
            "MASTER_CONNECT_RETRY=10, MASTER_SSL=1, MASTER_SSL_CA='{}/ca.crt', MASTER_SSL_VERIFY_SERVER_CERT=1; START SLAVE;",
            tls.display()
        )),
        "{statement}"
    );
    assert!(
        run.ncat_args.starts_with(&format!(
            "[--listen][--keep-open][--send-only][--max-conns=1][--ssl][--ssl-cert][{0}/tls.crt][--ssl-key][{0}/tls.key][3307][-c]",
            tls.display()
        )),
        "{}",
        run.ncat_args
    );
    // Without the certificate (TLS off) neither is asked for.
    let tmp = cloned_replica();
    let run = run_sidecar(&render_profile("shop"), tmp.path(), None);
    assert!(run.ok, "{}", run.trace);
    assert!(
        !run.mysql_calls.contains("MASTER_SSL"),
        "{}",
        run.mysql_calls
    );
    assert!(!run.ncat_args.contains("--ssl"), "{}", run.ncat_args);
}

/// Runs the clone-mysql init container of `items` as pod `shop-1` with stand-ins for
/// `hostname`, `ncat` (logs its arguments), `xbstream` and `xtrabackup`; returns ncat's
/// arguments.
fn run_clone(items: &[Value], tmp: &Path, tls: &Path) -> String {
    let c = common::init_container(items, "clone-mysql");
    let command = strings(&c["command"]);
    assert_eq!(&command[..2], &["bash", "-c"]);
    let data = tmp.join("data");
    fs::create_dir_all(&data).unwrap();
    let script = command[2]
        .replace(mount_path(c, "data"), &data.display().to_string())
        .replace(
            &format!("{}/", tls_mount_of(c)),
            &format!("{}/", tls.display()),
        );
    let bin = tmp.join("bin");
    write_exe(&bin, "hostname", "#!/bin/sh\necho shop-1\n");
    write_exe(
        &bin,
        "ncat",
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done > \"$OUT/ncat\"\n",
    );
    write_exe(&bin, "xbstream", "#!/bin/sh\ncat > /dev/null\n");
    write_exe(&bin, "xtrabackup", "#!/bin/sh\nexit 0\n");
    let out = std::process::Command::new("bash")
        .env_clear()
        .env("PATH", path_with(&bin))
        .env("OUT", tmp)
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_to_string(tmp.join("ncat")).unwrap()
}

#[test]
fn with_tls_a_replica_clones_over_tls_and_verifies_the_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let tls = tls_files(tmp.path());
    assert_eq!(
        run_clone(&render_tls("shop"), tmp.path(), &tls),
        format!(
            "[--recv-only][--ssl][--ssl-verify][--ssl-trustfile][{}/ca.crt][shop-0.shop][3307]",
            tls.display()
        )
    );
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        run_clone(
            &render_profile("shop"),
            tmp.path(),
            &tmp.path().join("no-tls")
        ),
        "[--recv-only][shop-0.shop][3307]"
    );
}

#[test]
fn with_tls_the_exporter_and_the_backup_job_connect_over_tls() {
    let items = render_tls("shop");
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    // The exporter's client config, written where its script writes it.
    let m = container(&items, "metrics");
    let dir = mount_path(m, "tls").to_string();
    let script = strings(&m["command"])[2]
        .replace("/tmp/", &format!("{}/", tmp.path().display()))
        .replace(
            "/run/secrets/metrics/password",
            &password_file(tmp.path()).display().to_string(),
        )
        .replace(
            "/bin/mysqld_exporter",
            &bin.join("exporter").display().to_string(),
        );
    write_exe(&bin, "exporter", "#!/bin/sh\nexit 0\n");
    common::shell_ok("sh", &script);
    let cnf = fs::read_to_string(tmp.path().join("exporter.cnf")).unwrap();
    let client = cnf_group(&cnf, "client");
    assert!(
        client.contains(&("ssl-ca".into(), format!("{dir}/ca.crt"))),
        "{cnf}"
    );
    assert!(
        client.contains(&("host".into(), "127.0.0.1".into())),
        "{cnf}"
    );
    // The backup job: mysqldump verifies the server's name with the CA of its own mount.
    let cj = one(&items, "CronJob");
    let job = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let backup = job["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backup")
        .expect("the backup step");
    let job_dir = mount_path(backup, "tls");
    let script = strings(&backup["command"])[2].replace(
        "/run/secrets/mysql/password",
        &password_file(tmp.path()).display().to_string(),
    );
    write_exe(
        &bin,
        "mysqldump",
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done > \"$OUT/dump-args\"\necho '-- dump'\n",
    );
    let out = std::process::Command::new("bash")
        .env_clear()
        .env("PATH", path_with(&bin))
        .env("OUT", tmp.path())
        .env("BACKUP_HOST", "shop-2.shop")
        .env("BACKUP_DIR", tmp.path())
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = fs::read_to_string(tmp.path().join("dump-args")).unwrap();
    assert!(
        args.starts_with(&format!(
            "[--ssl-ca={job_dir}/ca.crt][--ssl-verify-server-cert][-h][shop-2.shop][-P][3306][-u][root]"
        )),
        "{args}"
    );
    assert!(tmp.path().join("all.sql.gz").is_file());
}
