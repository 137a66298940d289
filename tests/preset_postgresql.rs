//! The `postgresql` preset (profiles/postgresql.yaml): the primary at ordinal 0, replicas that
//! clone it with pg_basebackup on first start and stream from it as hot standbys.
//!
//! The generated role init script, the `clone-primary` init container, the initdb script and
//! the liveness probe are run for real under `sh` with stand-ins for the PostgreSQL tools
//! (`pg_basebackup`, `pg_isready`, `chown`, `docker_process_sql`), against temporary folders
//! that stand in for the config volume and the data volume.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{
    dir_files, env_value, init_container, main_container, mount_path, named, one, path_with, pod,
    role_init, secret_behind, sh_script, strings, write_exe,
};
use serde_json::{json, Value};

/// A password with the characters .pgpass and SQL need escaped.
const REPL_PASSWORD: &str = r"re:pl\it's";

fn profile_text() -> String {
    common::bundled_text("postgresql")
        .replace("{fromEnv: POSTGRES_PASSWORD}", "{value: super-password}")
        .replace(
            "{fromEnv: POSTGRES_REPLICATION_PASSWORD}",
            "{value: repl-password}",
        )
}

fn render_with(text: &str, namespace: Option<&str>, cluster_domain: Option<&str>) -> Vec<Value> {
    common::render_bundled(
        "postgresql",
        text,
        &common::options(namespace, cluster_domain),
    )
}

/// Writes `content` to a file standing in for a mounted Secret key; returns its path.
fn secret_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path
}

/// Runs the role init script for one pod (in namespace `ns`, with the HEADLESS its env
/// gives); returns the config dir it filled.
fn run_role_init(items: &[Value], tmp: &Path, pod: &str) -> PathBuf {
    let ri = role_init(items);
    let headless = env_value(&ri.container, "HEADLESS");
    ri.run(tmp, pod, headless, Some("ns")).ok().config_dir
}

/// `key = 'value'` lines of a postgresql.conf-style file.
fn pg_settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("not a setting: {l:?}"));
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

fn setting<'a>(settings: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    settings
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// `key=value` pairs of a libpq connection string (values without spaces or quotes).
fn conninfo(text: &str) -> BTreeMap<String, String> {
    text.split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn role_init_gives_each_pod_its_role_and_cluster_name() {
    let items = render_with(&profile_text(), None, None);
    let tmp = tempfile::tempdir().unwrap();
    let primary = dir_files(&run_role_init(&items, tmp.path(), "postgresql-0"));
    assert_eq!(
        primary.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "initdb-replication.sh",
            "pg_hba.conf",
            "pod-ordinal",
            "pod-role",
            "pod.conf",
            "postgresql.conf"
        ]
    );
    assert_eq!(primary["pod-role"], "primary\n");
    assert_eq!(primary["pod.conf"], "cluster_name = 'postgresql-0'\n");

    // postgresql-4 exists only after scaling up; it is a replica all the same.
    for pod in ["postgresql-1", "postgresql-4"] {
        let files = dir_files(&run_role_init(&items, tmp.path(), pod));
        assert_eq!(files["pod-role"], "replica\n", "{pod}");
        assert_eq!(files["pod.conf"], format!("cluster_name = '{pod}'\n"));
        let replica = pg_settings(&files["replica.conf"]);
        let ci = setting(&replica, "primary_conninfo");
        assert_eq!(ci.len(), 1, "{replica:?}");
        let ci = conninfo(ci[0]);
        assert_eq!(ci["host"], "postgresql-0.postgresql", "{pod}");
        assert_eq!(ci["port"], "5432");
        assert_eq!(ci["user"], "replicator");
        assert!(
            !ci.contains_key("password"),
            "the password is never in the ConfigMap"
        );
        assert_eq!(files["postgresql.conf"], primary["postgresql.conf"]);
    }
}

#[test]
fn postgres_reads_the_assembled_config_dir() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let config_dir = mount_path(c, "config");
    assert_eq!(
        env_value(init_container(&items, "role-init"), "CONFIG_DIR"),
        config_dir
    );
    // The image's entrypoint is kept (initdb, dropping root); postgres gets our config file.
    assert!(c.get("command").is_none());
    assert_eq!(
        strings(&c["args"]),
        [
            "postgres",
            "-c",
            &format!("config_file={config_dir}/postgresql.conf")
        ]
    );
    let tmp = tempfile::tempdir().unwrap();
    let files = dir_files(&run_role_init(&items, tmp.path(), "postgresql-1"));
    let conf = pg_settings(&files["postgresql.conf"]);
    assert_eq!(
        setting(&conf, "hba_file"),
        [format!("{config_dir}/pg_hba.conf")]
    );
    assert!(files.contains_key("pg_hba.conf"));
    // Relative includes resolve next to postgresql.conf: the per-pod and the role's files.
    assert_eq!(
        setting(&conf, "include_if_exists"),
        ["pod.conf", "replica.conf"]
    );
    assert_eq!(setting(&conf, "listen_addresses"), ["*"]);
    assert_eq!(setting(&conf, "wal_level"), ["replica"]);
    assert_eq!(setting(&conf, "hot_standby"), ["on"]);
    assert_eq!(setting(&conf, "port"), ["5432"]);
    assert_eq!(
        c["ports"],
        json!([{"name": "postgresql", "containerPort": 5432, "protocol": "TCP"}])
    );
    // Replicas may connect for replication, as the replication role only, with a password.
    let hba: Vec<Vec<&str>> = files["pg_hba.conf"]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        hba.contains(&vec![
            "host",
            "replication",
            "replicator",
            "all",
            "scram-sha-256"
        ]),
        "{hba:?}"
    );
    assert!(
        hba.iter()
            .all(|l| l[0] != "host" || l.last() != Some(&"trust")),
        "no network connection is trusted: {hba:?}"
    );
    // The data dir is a subdirectory of the volume (initdb refuses lost+found).
    let pgdata = env_value(c, "PGDATA");
    assert!(pgdata.starts_with(&format!("{}/", mount_path(c, "data"))));
}

/// Stand-in tools that log their calls; pg_basebackup creates a data dir at its -D argument.
fn fake_tools(bin: &Path) {
    fs::create_dir_all(bin).unwrap();
    let tools = [
        (
            "pg_basebackup",
            "d=''; prev=''; for a in \"$@\"; do [ \"$prev\" = -D ] && d=\"$a\"; prev=\"$a\"; done\n\
             mkdir -p \"$d/global\" && echo 16 > \"$d/PG_VERSION\"\n",
        ),
        // As libpq: without -U (or PGUSER) the user name comes from the uid's passwd entry; the
        // pod's non-root uid has none, so no connection is attempted (exit 3, "no attempt").
        (
            "pg_isready",
            "u=\"${PGUSER:-}\"; prev=''; for a in \"$@\"; do [ \"$prev\" = -U ] && u=\"$a\"; prev=\"$a\"; done\n\
             [ -n \"$u\" ] || [ \"$FAKE_UID\" = 0 ] || exit 3\n",
        ),
        ("chown", ""),
        // A wait that would never end fails the script (set -e) instead of hanging the test.
        ("sleep", "exit 1\n"),
        ("gosu", ""),
        ("pg_ctl", ""),
    ];
    for (name, body) in tools {
        common::write_call_logger(bin, name, &format!("{body}exit 0\n"));
    }
    // `id -u` answers FAKE_UID: the tests run the scripts as root and as a non-root pod user.
    write_exe(
        bin,
        "id",
        "#!/bin/sh\n[ \"$1\" = -u ] && echo \"$FAKE_UID\"\n",
    );
}

struct Clone {
    out: Output,
    calls: String,
    pgdata: PathBuf,
    passfile: PathBuf,
}

/// Runs the clone-primary init container's script for a pod whose config dir role-init has
/// filled; the container's env, with its paths moved into `tmp`.
fn run_clone(items: &[Value], tmp: &Path, config_dir: &Path, pod: &str, uid: u32) -> Clone {
    let c = init_container(items, "clone-primary");
    let config_mount = mount_path(c, "config");
    let data_mount = mount_path(c, "data");
    let relocate = |v: &str, mount: &str, to: &Path| -> PathBuf {
        let rest = v
            .strip_prefix(mount)
            .unwrap_or_else(|| panic!("{v} is not under {mount}"));
        PathBuf::from(format!("{}{rest}", to.display()))
    };
    let data_dir = tmp.join(format!("data-{pod}"));
    fs::create_dir_all(&data_dir).unwrap();
    let pgdata = relocate(env_value(c, "PGDATA"), data_mount, &data_dir);
    let passfile = relocate(env_value(c, "PGPASSFILE"), config_mount, config_dir);
    let bin = tmp.join("bin");
    fake_tools(&bin);
    let calls = tmp.join(format!("calls-{pod}"));
    let _ = fs::remove_file(&calls);
    // The replication password is a file of the Secret volume, named by the container's env.
    assert_eq!(
        secret_behind(items, c, env_value(c, "POSTGRES_REPLICATION_PASSWORD_FILE")),
        (
            one(items, "Secret")["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string(),
            "replication-password".to_string()
        )
    );
    let pw_file = secret_file(&tmp.join("secrets"), "replication-password", REPL_PASSWORD);
    let out = std::process::Command::new("sh")
        .env_clear()
        .env("PATH", path_with(&bin))
        .env("CALLS", &calls)
        .env("FAKE_UID", uid.to_string())
        .env("PRIMARY_HOST", env_value(c, "PRIMARY_HOST"))
        .env(
            "CONFIG_DIR",
            relocate(env_value(c, "CONFIG_DIR"), config_mount, config_dir),
        )
        .env("PGDATA", &pgdata)
        .env("PGPASSFILE", &passfile)
        .env("POSTGRES_REPLICATION_PASSWORD_FILE", &pw_file)
        .arg("-c")
        .arg(sh_script(c))
        .output()
        .unwrap();
    Clone {
        out,
        calls: fs::read_to_string(&calls).unwrap_or_default(),
        pgdata,
        passfile,
    }
}

fn ok(clone: &Clone) {
    assert!(
        clone.out.status.success(),
        "clone-primary failed: {}\ncalls:\n{}",
        String::from_utf8_lossy(&clone.out.stderr),
        clone.calls
    );
}

#[test]
fn the_primary_is_not_cloned() {
    let items = render_with(&profile_text(), None, None);
    let tmp = tempfile::tempdir().unwrap();
    let conf = run_role_init(&items, tmp.path(), "postgresql-0");
    let clone = run_clone(&items, tmp.path(), &conf, "postgresql-0", 10001);
    ok(&clone);
    assert_eq!(clone.calls, "");
    assert!(!clone.pgdata.exists(), "the entrypoint initializes it");
    assert!(!clone.passfile.exists());
}

#[test]
fn a_replica_clones_the_primary_once_and_becomes_a_standby() {
    let items = render_with(&profile_text(), None, None);
    let tmp = tempfile::tempdir().unwrap();
    // As root (`securityContext: false`) the files are handed to the image's postgres user;
    // as the pod's non-root user they already belong to the user postgres runs as.
    for (pod, uid) in [("postgresql-1", 0), ("postgresql-4", 10001)] {
        let conf = run_role_init(&items, tmp.path(), pod);
        let clone = run_clone(&items, tmp.path(), &conf, pod, uid);
        ok(&clone);
        let pgdata = clone.pgdata.display().to_string();
        let passfile = clone.passfile.display().to_string();
        let (chown_pass, chown_data) = if uid == 0 {
            (
                format!("chown [postgres:postgres] [{passfile}]\n"),
                format!("chown [-R] [postgres:postgres] [{pgdata}.clone]\n"),
            )
        } else {
            (String::new(), String::new())
        };
        assert_eq!(
            clone.calls,
            format!(
                "{chown_pass}\
                 pg_isready [-q] [-h] [postgresql-0.postgresql] [-p] [5432] [-U] [replicator]\n\
                 pg_basebackup [-h] [postgresql-0.postgresql] [-p] [5432] [-U] [replicator] [-w] [-D] [{pgdata}.clone] [-X] [stream] [-c] [fast]\n\
                 {chown_data}"
            ),
            "{pod}"
        );
        // The clone was moved into place, as a standby.
        assert!(clone.pgdata.join("PG_VERSION").is_file(), "{pod}");
        assert!(clone.pgdata.join("standby.signal").is_file(), "{pod}");
        assert!(!Path::new(&format!("{pgdata}.clone")).exists(), "{pod}");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &fs::metadata(&clone.pgdata).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o700, "{pod}");
        // The replication password, escaped for .pgpass, readable by its owner only.
        assert_eq!(
            fs::read_to_string(&clone.passfile).unwrap(),
            "*:*:*:replicator:re\\:pl\\\\it's\n"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &fs::metadata(&clone.passfile).unwrap().permissions(),
        );
        assert_eq!(mode & 0o077, 0, "libpq ignores a passfile others can read");

        // The standby reads the same passfile and connects to the same host.
        let files = dir_files(&conf);
        let ci = conninfo(setting(&pg_settings(&files["replica.conf"]), "primary_conninfo")[0]);
        let c = init_container(&items, "clone-primary");
        assert_eq!(ci["passfile"], env_value(c, "PGPASSFILE"));
        assert_eq!(ci["host"], env_value(c, "PRIMARY_HOST"));

        // A restart keeps the data: no second clone, and a standby.signal removed by a manual
        // promotion is not put back.
        fs::remove_file(clone.pgdata.join("standby.signal")).unwrap();
        let again = run_clone(&items, tmp.path(), &conf, pod, uid);
        ok(&again);
        assert_eq!(again.calls, chown_pass, "{pod}");
        assert!(!again.pgdata.join("standby.signal").exists());
    }
}

#[test]
fn an_interrupted_clone_starts_over() {
    let items = render_with(&profile_text(), None, None);
    let tmp = tempfile::tempdir().unwrap();
    let conf = run_role_init(&items, tmp.path(), "postgresql-2");
    // A half-written side copy and an empty data dir (no PG_VERSION) from an earlier attempt.
    let pgdata_env = env_value(init_container(&items, "clone-primary"), "PGDATA");
    let data_mount = mount_path(init_container(&items, "clone-primary"), "data");
    let data_dir = tmp.path().join("data-postgresql-2");
    let pgdata = PathBuf::from(format!(
        "{}{}",
        data_dir.display(),
        pgdata_env.strip_prefix(data_mount).unwrap()
    ));
    let side = PathBuf::from(format!("{}.clone", pgdata.display()));
    fs::create_dir_all(side.join("base")).unwrap();
    fs::write(side.join("base/junk"), "x").unwrap();
    fs::create_dir_all(&pgdata).unwrap();
    let clone = run_clone(&items, tmp.path(), &conf, "postgresql-2", 10001);
    ok(&clone);
    assert!(clone.calls.contains("pg_basebackup"));
    assert!(!side.exists());
    assert!(!pgdata.join("base/junk").exists());
    assert!(pgdata.join("standby.signal").is_file());
}

#[test]
fn the_primary_creates_the_replication_role_on_first_start() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let cm = one(&items, "ConfigMap");
    // The initdb script is mounted where the image's entrypoint looks for it.
    let initdb = common::volume(pod(&items), "initdb");
    assert_eq!(mount_path(c, "initdb"), "/docker-entrypoint-initdb.d");
    assert_eq!(initdb["configMap"]["name"], cm["metadata"]["name"]);
    let item = &initdb["configMap"]["items"][0];
    assert!(item["path"].as_str().unwrap().ends_with(".sh"));
    let script = cm["data"][item["key"].as_str().unwrap()].as_str().unwrap();
    // No default mode: not executable, so the entrypoint sources it and docker_process_sql exists.
    assert!(initdb["configMap"].get("defaultMode").is_none());

    // Source it with a docker_process_sql that records its arguments and input; the password
    // file stands in for the Secret volume.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("init.sh"), script).unwrap();
    let pw_file = secret_file(
        &tmp.path().join("secrets"),
        "replication-password",
        REPL_PASSWORD,
    );
    common::output_ok(
        std::process::Command::new("sh")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("POSTGRES_REPLICATION_PASSWORD_FILE", &pw_file)
            .current_dir(tmp.path())
            .arg("-c")
            .arg("docker_process_sql() { printf '%s\\n' \"$@\" > args; cat > sql; }; . ./init.sh"),
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("args")).unwrap(),
        format!("--set=pw={REPL_PASSWORD}\n")
    );
    // psql quotes :'pw' itself, so the password never needs SQL escaping.
    assert_eq!(
        fs::read_to_string(tmp.path().join("sql")).unwrap(),
        "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';\n"
    );
    // The image's entrypoint reads the superuser's password from POSTGRES_PASSWORD_FILE; the
    // initdb script the replication password from its own file. Both are keys of the Secret,
    // mounted as files: no container takes a Secret through its environment.
    for (var, key) in [
        ("POSTGRES_PASSWORD_FILE", "password"),
        ("POSTGRES_REPLICATION_PASSWORD_FILE", "replication-password"),
    ] {
        assert_eq!(
            secret_behind(&items, c, env_value(c, var)),
            ("postgresql".to_string(), key.to_string()),
            "{var}"
        );
    }
    common::assert_no_secret_in_env(&items);
    let secret = one(&items, "Secret");
    let keys: Vec<&String> = secret["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["password", "replication-password"]);
}

#[test]
fn rw_service_is_the_primary_and_ro_service_every_pod() {
    let items = render_with(&profile_text(), None, None);
    assert_eq!(
        named(&items, "Service", "postgresql-rw")["spec"]["selector"],
        json!({"app.kubernetes.io/name": "postgresql", "statefulset.kubernetes.io/pod-name": "postgresql-0"})
    );
    // Known limitation: the read Service selects every ready pod, the primary included.
    assert_eq!(
        named(&items, "Service", "postgresql-ro")["spec"]["selector"],
        json!({"app.kubernetes.io/name": "postgresql"})
    );
    let sts = one(&items, "StatefulSet");
    let headless = named(
        &items,
        "Service",
        sts["spec"]["serviceName"].as_str().unwrap(),
    );
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert_eq!(sts["spec"]["podManagementPolicy"], "OrderedReady");
    // The Service names follow the instance's name ({{ name }}-rw), so two instances in one
    // namespace do not collide.
    let renamed = render_with(
        &profile_text().replace("\nname: postgresql\n", "\nname: orders\n"),
        None,
        None,
    );
    assert_eq!(
        named(&renamed, "Service", "orders-rw")["spec"]["selector"]
            ["statefulset.kubernetes.io/pod-name"],
        "orders-0"
    );
    named(&renamed, "Service", "orders-ro");
}

#[test]
fn probes_and_shutdown() {
    let items = render_with(&profile_text(), None, None);
    let c = main_container(&items);
    let image = c["image"].as_str().unwrap();
    assert!(image.starts_with("postgres:16."), "{image}");
    assert_eq!(init_container(&items, "clone-primary")["image"], image);
    let ready = strings(&c["readinessProbe"]["exec"]["command"]);
    assert_eq!(ready[0], "pg_isready");
    assert_ne!(c["readinessProbe"], c["livenessProbe"]);
    // Liveness passes for "accepting" (0) and "rejecting" (1, starting or recovering), fails
    // for "no response" (2) and "no attempt" (3).
    let live = &c["livenessProbe"];
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    write_exe(&bin, "pg_isready", "#!/bin/sh\nexit \"$FAKE_EXIT\"\n");
    for probe in [live, &c["startupProbe"]] {
        let script = sh_script(&probe["exec"]);
        for (code, alive) in [(0, true), (1, true), (2, false), (3, false)] {
            let out = std::process::Command::new("sh")
                .env_clear()
                .env("PATH", path_with(&bin))
                .env("FAKE_EXIT", code.to_string())
                .arg("-c")
                .arg(&script)
                .output()
                .unwrap();
            assert_eq!(out.status.success(), alive, "pg_isready exit {code}");
        }
    }
    // Fast shutdown before SIGTERM (a smart shutdown would wait for every client), within
    // the grace period.
    // pg_ctl refuses root, so as root it goes through gosu.
    let pre_stop = sh_script(&c["lifecycle"]["preStop"]["exec"]);
    let stubs = tmp.path().join("stubs");
    fake_tools(&stubs);
    let calls = tmp.path().join("calls");
    for (uid, expected) in [
        (
            0,
            "gosu [postgres] [pg_ctl] [stop] [-D] [/pgdata] [-m] [fast] [-w] [-t] [50]\n",
        ),
        (
            10001,
            "pg_ctl [stop] [-D] [/pgdata] [-m] [fast] [-w] [-t] [50]\n",
        ),
    ] {
        let _ = fs::remove_file(&calls);
        let out = std::process::Command::new("sh")
            .env_clear()
            .env("PATH", path_with(&stubs))
            .env("CALLS", &calls)
            .env("FAKE_UID", uid.to_string())
            .env("PGDATA", "/pgdata")
            .arg("-c")
            .arg(&pre_stop)
            .output()
            .unwrap();
        assert!(out.status.success(), "uid {uid}");
        assert_eq!(fs::read_to_string(&calls).unwrap(), expected, "uid {uid}");
    }
    let grace = pod(&items)["terminationGracePeriodSeconds"]
        .as_u64()
        .unwrap();
    assert!(grace > 50, "{grace}");

    // Where postgres writes outside the data volume: emptyDirs, so a read-only root
    // filesystem works.
    let volumes = pod(&items)["volumes"].as_array().unwrap();
    for (volume, path) in [("dshm", "/dev/shm"), ("run", "/var/run/postgresql")] {
        assert_eq!(mount_path(c, volume), path);
        let v = volumes.iter().find(|v| v["name"] == volume).unwrap();
        assert!(v["emptyDir"].is_object(), "{v}");
    }
}

#[test]
fn wiring_does_not_change_with_replicas_namespace_or_cluster_domain() {
    let items = render_with(
        &common::with_replicas(&profile_text(), 3, 5),
        Some("other"),
        Some("example.org"),
    );
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["spec"]["replicas"], 5);
    for i in &items {
        if i["kind"] != "Namespace" {
            assert_eq!(i["metadata"]["namespace"], "other", "{}", i["kind"]);
        }
    }
    // The primary's short name resolves through the pod's DNS search path in any namespace
    // and cluster domain.
    assert_eq!(
        env_value(init_container(&items, "clone-primary"), "PRIMARY_HOST"),
        "postgresql-0.postgresql"
    );
    let tmp = tempfile::tempdir().unwrap();
    let conf = run_role_init(&items, tmp.path(), "postgresql-4");
    let files = dir_files(&conf);
    assert_eq!(files["pod-role"], "replica\n");
    let ci = conninfo(setting(&pg_settings(&files["replica.conf"]), "primary_conninfo")[0]);
    assert_eq!(ci["host"], "postgresql-0.postgresql");
    let clone = run_clone(&items, tmp.path(), &conf, "postgresql-4", 10001);
    ok(&clone);
    assert!(clone.calls.contains("[-h] [postgresql-0.postgresql]"));
}

#[test]
fn used_as_a_preset_everything_follows_the_users_name() {
    let user = "apiVersion: sts-gen/v1\nkind: Profile\npreset: postgresql\nname: orders\nreplicas: 5\nstorage: {size: 50Gi}\n";
    let items = common::json_items(
        common::sts_gen()
            .env("POSTGRES_PASSWORD", "p1")
            .env("POSTGRES_REPLICATION_PASSWORD", "p2")
            .args(["render", "-", "-n", "other"])
            .write_stdin(user),
    );
    let sts = one(&items, "StatefulSet");
    assert_eq!(sts["metadata"]["name"], "orders");
    assert_eq!(sts["spec"]["serviceName"], "orders");
    let c = main_container(&items);
    // podTemplate additions land on the main container, whatever its name.
    assert!(c["lifecycle"]["preStop"].is_object(), "{c}");
    assert_eq!(mount_path(c, "initdb"), "/docker-entrypoint-initdb.d");
    let clone = init_container(&items, "clone-primary");
    assert_eq!(env_value(clone, "PRIMARY_HOST"), "orders-0.orders");
    assert_eq!(
        secret_behind(
            &items,
            clone,
            env_value(clone, "POSTGRES_REPLICATION_PASSWORD_FILE")
        )
        .0,
        "orders"
    );
    let initdb = common::volume(pod(&items), "initdb");
    assert_eq!(initdb["configMap"]["name"], "orders");
    // The write Service follows the instance (its name is fixed by the preset, see the report).
    let rw: Vec<&Value> = items
        .iter()
        .filter(|i| {
            i["kind"] == "Service"
                && i["spec"]["selector"]
                    .get("statefulset.kubernetes.io/pod-name")
                    .is_some()
        })
        .collect();
    assert_eq!(rw.len(), 1);
    assert_eq!(
        rw[0]["spec"]["selector"]["statefulset.kubernetes.io/pod-name"],
        "orders-0"
    );
    let tmp = tempfile::tempdir().unwrap();
    let conf = run_role_init(&items, tmp.path(), "orders-3");
    let files = dir_files(&conf);
    assert_eq!(files["pod.conf"], "cluster_name = 'orders-3'\n");
    let ci = conninfo(setting(&pg_settings(&files["replica.conf"]), "primary_conninfo")[0]);
    assert_eq!(ci["host"], "orders-0.orders");
}
