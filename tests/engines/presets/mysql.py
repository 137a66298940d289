"""mysql preset on Debian's MariaDB 10.11 (the stand-in for MySQL 5.7 + XtraBackup 2.4):
clones from the previous ordinal, replication from ordinal 0, probes, scaling."""

import checks as C

# A quote, a backslash, a dollar and a non-ASCII letter (replication stores it converted from
# the client's character set).
PASSWORD = "r0ot'pw\\x$y\u00e9"
ENV = {"MYSQL_ROOT_PASSWORD": PASSWORD}
SIDECAR = "xtrabackup"


def sql(pod, ctr, query, user="root", password=PASSWORD, ok=True):
    rc, out, err = pod.exec(ctr, ["env", "MYSQL_PWD=" + password, "mysql", "-h", "127.0.0.1", "-u", user,
                                  "-N", "-B", "-e", query], timeout=15)
    if ok and rc != 0:
        raise AssertionError("mysql %r on %s: rc %d: %s" % (query, pod.name, rc, err.strip()))
    return out.strip() if ok else (rc, out, err)


def slave_status(pod, ctr):
    rc, out, err = pod.exec(ctr, ["env", "MYSQL_PWD=" + PASSWORD, "mysql", "-h", "127.0.0.1", "-u", "root",
                                  "-e", "SHOW SLAVE STATUS\\G"], timeout=15)
    if rc != 0:
        raise AssertionError("SHOW SLAVE STATUS on %s: %s" % (pod.name, err.strip()))
    return {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in out.splitlines() if ":" in l)}



def scenario(h, name, namespace, full):
    objs = h.render("mysql", name=name, namespace=namespace, replicas=3, env=ENV)
    c = h.cluster(objs, name)
    label = "%s/%s" % (namespace or "mysql", name)
    if not h.check("%s: all 3 pods ready (OrderedReady)" % label, c.start, timeout=150):
        return
    pods = list(c.pods.values())
    ctr = name
    primary = "%s-0.%s" % (name, name)

    def replicating(ps=None):
        for p in ps or list(c.pods.values())[1:]:
            s = slave_status(p, ctr)
            got = (s.get("Slave_IO_Running"), s.get("Slave_SQL_Running"), s.get("Master_Host"))
            if got != ("Yes", "Yes", primary):
                raise AssertionError("%s: IO/SQL running, master = %s (%s)"
                                     % (p.name, got, s.get("Last_IO_Error") or s.get("Last_SQL_Error")))
        return True

    def cloned_from_previous(ps=None):
        for p in ps or list(c.pods.values())[1:]:
            prev = "%s-%d.%s" % (name, p.ordinal - 1, name)
            log = p.logs("clone-mysql")
            if "ncat --recv-only %s 3307" % prev not in log or "completed OK!" not in log:
                raise AssertionError("%s did not clone from %s:\n%s" % (p.name, prev, log[-800:]))
        return True
    h.check("%s: each replica cloned from the previous ordinal (backup streamed and prepared)" % label,
            cloned_from_previous)
    h.check("%s: SHOW SLAVE STATUS on both replicas: IO and SQL running, master %s" % (label, primary),
            replicating)

    def write_read():
        sql(pods[0], ctr, "CREATE DATABASE IF NOT EXISTS t; CREATE TABLE t.x (v VARCHAR(64)); "
                          "INSERT INTO t.x VALUES ('%s'); "
                          "CREATE USER 'app'@'%%' IDENTIFIED BY 'app-pw'; GRANT INSERT, SELECT ON t.* TO 'app'@'%%'"
                          % label)
        C.wait_for(lambda: all(sql(p, ctr, "SELECT v FROM t.x") == label for p in pods[1:]), 15,
                   "the row on both replicas")
        for p in pods[1:]:
            if sql(p, ctr, "SELECT @@read_only") != "1":
                raise AssertionError("%s: read_only is off" % p.name)
            rc, _, err = sql(p, ctr, "INSERT INTO t.x VALUES ('no')", user="app", password="app-pw", ok=False)
            if rc == 0 or "read-only" not in err:
                raise AssertionError("%s accepted a write (rc %d): %s" % (p.name, rc, err.strip()))
        # The primary takes the same user's write.
        sql(pods[0], ctr, "INSERT INTO t.x VALUES ('app')", user="app", password="app-pw")
        C.wait_for(lambda: sql(pods[2], ctr, "SELECT count(*) FROM t.x") == "2", 10, "replication")
    h.check("%s: a write on %s-0 is read on the replicas, which refuse writes (read_only)" % (label, name),
            write_read)
    for ct in (ctr, SIDECAR):
        h.check("%s: %s runs as uid 10001 without capabilities, root read-only" % (label, ct),
                C.security, pods[1], ct, 10001)
    if not full:
        return      # the probes do not depend on the name (50 runs take ~15 s per pod)
    # The primary and a replica: they differ in what the sidecar did before starting ncat.
    for p in (pods[0], pods[1]):
        h.check("%s: every probe of %s passes 50/50" % (label, p.name), C.probes_pass, p, 50)

    def no_backup_from_probes():
        # The sidecar's probes never connect to 3307: no backup ran on the last replica, which
        # nothing cloned from, while the one the last replica cloned from logged its backup.
        mark = "BACKUP STAGE START"
        if mark not in pods[1].logs(SIDECAR):
            raise AssertionError("no %r in %s's sidecar log: the check cannot see backups" % (mark, pods[1].name))
        n = pods[2].logs(SIDECAR).count(mark)
        if n:
            raise AssertionError("%d backups ran on %s, which nothing cloned from" % (n, pods[2].name))
    h.check("%s: the sidecar's probes start no backup" % label, no_backup_from_probes)
    h.check("%s: probes fail on a frozen (SIGSTOP) member" % label, C.probes_fail_frozen, pods[2])
    for ct in (ctr, SIDECAR):
        h.check("%s: %s probes fail when its process is stopped" % (label, ct), C.probes_fail_stopped, pods[2], ct, True)
        h.check("%s: member back after the stop of %s" % (label, ct), c.wait_ready, 60)

    def restart_keeps_data():
        pods[1].restart()
        c.wait_ready(60)
        if sql(pods[1], ctr, "SELECT count(*) FROM t.x") != "2":
            raise AssertionError("%s lost its data" % pods[1].name)
        if "ncat --recv-only" in pods[1].logs("clone-mysql").split("--- start clone-mysql")[-1]:
            raise AssertionError("%s cloned again" % pods[1].name)
        C.wait_for(lambda: replicating([pods[1]]), 20, "replication after the restart")
        sql(pods[0], ctr, "INSERT INTO t.x VALUES ('after-restart')")
        C.wait_for(lambda: sql(pods[1], ctr, "SELECT count(*) FROM t.x") == "3", 10,
                   "replication to the restarted replica")
    h.check("%s: a restarted replica keeps its data (no second clone) and replicates again" % label,
            restart_keeps_data)

    def primary_down():
        # The preset's readiness is "answers SELECT 1": a replica stays ready and serves
        # (possibly stale) reads through <name>-read while the primary is down.
        pods[0].stop()
        try:
            for p in pods[1:]:
                if not p.probe(ctr, "readiness") or sql(p, ctr, "SELECT count(*) FROM t.x") != "3":
                    raise AssertionError("%s does not serve reads while the primary is down" % p.name)
        finally:
            pods[0].start()
        c.wait_ready(60)
        sql(pods[0], ctr, "INSERT INTO t.x VALUES ('after-primary-restart')")
        C.wait_for(lambda: all(sql(p, ctr, "SELECT count(*) FROM t.x") == "4" for p in pods[1:]), 30,
                   "both replicas replicating from the restarted primary")
        replicating()
    h.check("%s: primary down: replicas stay ready for reads; the restarted primary keeps its data "
            "and the replicas replicate again" % label, primary_down)

    def scale():
        c.apply(h.render("mysql", name=name, namespace=namespace, replicas=4, env=ENV), timeout=120)
        p3 = c.pods["%s-3" % name]
        cloned_from_previous([p3])
        C.wait_for(lambda: replicating([p3]), 20, "%s replicating" % p3.name)
        if sql(p3, ctr, "SELECT count(*) FROM t.x") != "4":
            raise AssertionError("%s does not have the rows" % p3.name)
    h.check("%s: scale 3 -> 4 adds a replica that clones %s-2 and replicates" % (label, name), scale)


def backup(h):
    """mysqldump of every database from the last replica, gzipped; restored by feeding it to
    the mysql client of a fresh one-member install (docs/DAY2.md)."""
    import gzip
    import os

    def ctr(p):
        return p.name.rsplit("-", 1)[0]

    def write(c, pods):
        sql(pods[0], ctr(pods[0]), "CREATE DATABASE bk; CREATE TABLE bk.x (v VARCHAR(32)); "
                                   "INSERT INTO bk.x VALUES ('before-backup')")
        return C.wait_for(lambda: sql(pods[-1], ctr(pods[-1]), "SELECT v FROM bk.x") == "before-backup", 15,
                          "the row on the last replica")

    def restore(h, c2, claim, newest):
        c2.start(timeout=120)
        p = list(c2.pods.values())[0]
        with gzip.open(os.path.join(newest, "all.sql.gz"), "rt") as f:
            dump = f.read()
        rc, _, err = p.exec(ctr(p), ["env", "MYSQL_PWD=" + PASSWORD, "mysql", "-h", "127.0.0.1", "-u", "root"],
                            timeout=120, stdin=dump)
        if rc != 0:
            raise AssertionError("mysql < dump: rc %d: %s" % (rc, err.strip()[-500:]))

    def read(c2, pods):
        got = sql(pods[0], ctr(pods[0]), "SELECT v FROM bk.x")
        if got != "before-backup":
            raise AssertionError("restored member reads %r" % got)
    C.backup_scenario(h, "mysql", "dbb", 2, ENV, write, read, restore)


def tls(h):
    """tls.issuer: the Certificate's Secret from an openssl test CA; require_secure_transport;
    the replica clones over TLS (ncat --ssl) and replicates over TLS (MASTER_SSL, the primary's
    name verified); a client with the CA connects, a plaintext client is refused; the probes,
    the exporter and the backup job work over TLS."""
    import kubelet
    import os
    name = "dbt"
    objs = h.render("mysql", name=name, namespace="sec", replicas=2, env=dict(C.SEED, **ENV),
                    sets=["tls.issuer=test-ca", "metrics.enabled=true",
                          "backup.schedule=0 3 * * *", "backup.claim.size=1Gi"])
    label = "sec/%s tls" % name
    if not h.check("%s: the Certificate's Secret issued from a test CA (openssl)" % label,
                   lambda: objs.append(C.tls_secret(objs, h.tmp)) or True):
        return
    c = h.cluster(objs, name)
    if not h.check("%s: both pods ready with require_secure_transport (probes over TLS)" % label,
                   c.start, timeout=150):
        return
    pods = list(c.pods.values())
    primary = "%s-0.%s" % (name, name)

    def server_tls():
        for p in pods:
            got = sql(p, name, "SELECT @@require_secure_transport, @@have_ssl")
            if got.split() != ["1", "YES"]:
                raise AssertionError("%s: require_secure_transport, have_ssl = %s" % (p.name, got))
    h.check("%s: both servers have TLS on and require it (require_secure_transport 1, have_ssl YES)" % label,
            server_tls)

    def cloned_over_tls():
        log = pods[1].logs("clone-mysql")
        want = "ncat --recv-only --ssl --ssl-verify --ssl-trustfile /etc/tls/ca.crt %s 3307" % primary
        if want not in log or "completed OK!" not in log:
            raise AssertionError("%s did not clone over TLS:\n%s" % (pods[1].name, log[-800:]))
    h.check("%s: the replica cloned %s over TLS (ncat --ssl, the sender's name verified)" % (label, primary),
            cloned_over_tls)

    def replicates_over_tls():
        s = slave_status(pods[1], name)
        got = {k: s.get(k) for k in ("Slave_IO_Running", "Slave_SQL_Running", "Master_Host", "Master_SSL_Allowed",
                                     "Master_SSL_CA_File", "Master_SSL_Verify_Server_Cert")}
        want = {"Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes", "Master_Host": primary,
                "Master_SSL_Allowed": "Yes", "Master_SSL_CA_File": "/etc/tls/ca.crt",
                "Master_SSL_Verify_Server_Cert": "Yes"}
        if got != want:
            raise AssertionError("%s: %s (%s)" % (pods[1].name, got, s.get("Last_IO_Error")))
        sql(pods[0], name, "CREATE DATABASE IF NOT EXISTS t; CREATE TABLE t.x (v VARCHAR(32)); "
                           "INSERT INTO t.x VALUES ('over-tls')")
        C.wait_for(lambda: sql(pods[1], name, "SELECT v FROM t.x") == "over-tls", 15, "the row on the replica")
        return True
    h.check("%s: SHOW SLAVE STATUS: IO/SQL running, Master_SSL_Allowed and Verify_Server_Cert Yes; "
            "a row replicates (the primary refuses plaintext)" % label,
            lambda: C.wait_for(replicates_over_tls, 30, "replication over TLS"))

    def client(pod, *opts, query="SHOW SESSION STATUS LIKE 'Ssl_cipher'"):
        return pod.exec(name, ["env", "MYSQL_PWD=" + PASSWORD, "mysql", "--no-defaults"] + list(opts)
                        + ["-h", primary, "-u", "root", "-N", "-B", "-e", query], timeout=15)

    def client_with_ca():
        rc, out, err = client(pods[1], "--ssl-ca=/etc/tls/ca.crt", "--ssl-verify-server-cert")
        cipher = out.split()[1:] if rc == 0 else []
        if not cipher or cipher == ["NULL"]:
            raise AssertionError("client verifying %s: rc %d %r %s" % (primary, rc, out, err.strip()))
    h.check("%s: a client with the CA (server name verified) connects to %s over TLS (Ssl_cipher set)"
            % (label, primary), client_with_ca)

    def plaintext_refused():
        # The same user and password: over TLS it logs in, in plaintext it is refused. MySQL says
        # "insecure transport are prohibited" (3159); MariaDB 10.11 reports the refusal as
        # "Access denied" (1045), as for a wrong password (observed with a local server: the
        # same login works once require_secure_transport is off).
        rc, out, err = client(pods[1], "--ssl-ca=/etc/tls/ca.crt", query="SELECT 1")
        if rc != 0:
            raise AssertionError("the TLS login failed: %s" % err.strip())
        rc, out, err = client(pods[1], "--skip-ssl", query="SELECT 1")
        if rc == 0 or not ("insecure transport" in err or "ERROR 1045" in err):
            raise AssertionError("plaintext client: rc %d %r %s" % (rc, out, err.strip()))
    h.check("%s: a plaintext client is refused, the same login over TLS works" % label, plaintext_refused)
    for p in pods:
        h.check("%s: every probe of %s passes 20/20 (over TLS)" % (label, p.name), C.probes_pass, p, 20)
    for p in pods:
        h.check("%s: the exporter on %s connects over TLS: mysql_up 1" % (label, p.name),
                C.metrics_show, p, 9104, {"mysql_up": 1.0})

    def backup_over_tls():
        import gzip
        cj = [o for o in objs if o["kind"] == "CronJob"][0]
        pod = c.run_job(cj, timeout=180)
        done, codes = kubelet.job_result(pod)
        if not done:
            raise AssertionError("backup job: %s\n%s" % (codes, pod.logs("backup")[-600:]))
        bdir = c.pvc_dir(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"][0]
                         ["persistentVolumeClaim"]["claimName"])
        kept = [x for x in os.listdir(bdir) if not x.startswith(".")]
        if len(kept) != 1:
            raise AssertionError("backups: %s" % kept)
        with gzip.open(os.path.join(bdir, kept[0], "all.sql.gz"), "rt") as f:
            if "over-tls" not in f.read():
                raise AssertionError("the dump lacks the row")
    h.check("%s: the backup job's mysqldump over TLS (server name verified) has the row" % label,
            backup_over_tls)


def run(h):
    if not C.DAY2_ONLY:
        scenario(h, "mysql", None, True)
        h.teardown()
        scenario(h, "shop", "sales", False)
        h.teardown()

    def least_privilege(c, pods, label):
        def check():
            grants = sql(pods[0], "dbm", "SHOW GRANTS FOR 'exporter'@'127.0.0.1'").splitlines()
            # MariaDB names REPLICATION CLIENT "BINLOG MONITOR" (MySQL 5.7 keeps the name).
            privs = set()
            for g in grants:
                if g.startswith("GRANT ") and " ON *.* " in g:
                    privs |= {x.strip() for x in g[6:g.index(" ON *.* ")].split(",")}
            if privs - {"BINLOG MONITOR"} | ({"REPLICATION CLIENT"} if "BINLOG MONITOR" in privs else set()) \
                    != {"PROCESS", "REPLICATION CLIENT", "SELECT"} or len(grants) != 1:
                raise AssertionError("exporter's grants: %s" % grants)
        h.check("%s: the exporter's user has PROCESS, REPLICATION CLIENT, SELECT only" % label, check)
    # metrics: mysqld_exporter sidecar as `exporter`, on the primary and a replica (cloned user).
    C.metrics_scenario(h, "mysql", "dbm", 9104, {"mysql_up": 1.0, "mysql_global_status_uptime": None},
                       env=ENV, replicas=2, extra=least_privilege)
    h.teardown()
    backup(h)
    h.teardown()
    tls(h)
