"""postgresql preset on Debian's PostgreSQL 15: streaming replicas of ordinal 0, probes, scaling."""

import checks as C

# A quote, a colon and a backslash: .pgpass and SQL escaping are exercised.
ENV = {"POSTGRES_PASSWORD": "su'per:pw", "POSTGRES_REPLICATION_PASSWORD": r"re:pl\it's"}


def port_of(pod, ctr):
    """The port the pod declares (the renamed install moves it; the socket's name follows)."""
    return str(pod.containers[ctr].spec["ports"][0]["containerPort"])


def sql(pod, ctr, query, ok=True):
    """psql as the superuser over the pod's unix socket (trusted by the preset's pg_hba)."""
    rc, out, err = pod.exec(ctr, ["env", "PGPORT=" + port_of(pod, ctr),
                                  "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql",
                                  "-U", "postgres", "-Atc", query], timeout=15)
    if ok and rc != 0:
        raise AssertionError("psql %r on %s: rc %d: %s" % (query, pod.name, rc, err.strip()))
    return out.strip() if ok else (rc, out, err)



def scenario(h, name, namespace, full, port=None):
    # With `port`, the profile moves the postgresql port: config, probes, clone and
    # primary_conninfo follow it.
    profile = "postgresql" if port is None else (
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: postgresql\nports:\n  - {name: postgresql, port: %d}\n"
        % port)
    objs = h.render(profile, name=name, namespace=namespace, replicas=3, env=ENV)
    c = h.cluster(objs, name)
    label = "%s/%s" % (namespace or "default", name) + ("" if port is None else " (port %d)" % port)
    if not h.check("%s: all 3 pods ready (OrderedReady)" % label, c.start, timeout=120):
        return
    pods = list(c.pods.values())
    ctr = name
    replicas = ["%s-%d" % (name, i) for i in range(1, 3)]

    def streaming(n=2):
        rows = sql(pods[0], ctr, "SELECT application_name, state FROM pg_stat_replication "
                                 "ORDER BY 1").splitlines()
        want = ["%s-%d|streaming" % (name, i) for i in range(1, n + 1)]
        if rows != want:
            raise AssertionError("pg_stat_replication on %s: %s, expected %s" % (pods[0].name, rows, want))
        for p in c.pods.values():
            rec = sql(p, ctr, "SELECT pg_is_in_recovery()")
            if rec != ("f" if p is pods[0] else "t"):
                raise AssertionError("%s: pg_is_in_recovery = %s" % (p.name, rec))
        return True
    h.check("%s: pg_stat_replication on %s-0 shows %s streaming" % (label, name, " and ".join(replicas)),
            streaming)

    def write_read():
        # Through <name>-rw with the superuser's password over TCP (scram-sha-256), as a client.
        rc, out, err = pods[1].exec(ctr, ["sh", "-c", 'PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")" '
                                          'PGPORT="$2" exec psql -X -h "$0" -U postgres -Atc "$1"', name + "-rw",
                                          "CREATE TABLE t (v text); INSERT INTO t VALUES ('%s')" % label,
                                          port_of(pods[1], ctr)])
        if rc != 0:
            raise AssertionError("write via %s-rw: %s" % (name, err.strip()))
        C.wait_for(lambda: all(sql(p, ctr, "SELECT v FROM t") == label for p in pods[1:]), 15,
                   "the row on both replicas")
        for p in pods[1:]:
            rc, _, err = sql(p, ctr, "INSERT INTO t VALUES ('x')", ok=False)
            if rc == 0 or "read-only transaction" not in err:
                raise AssertionError("%s accepted a write (rc %d): %s" % (p.name, rc, err.strip()))
    h.check("%s: a write via %s-rw is read on the replicas, which refuse writes (read-only transaction)"
            % (label, name), write_read)
    h.check("%s: runs as uid 10001 without capabilities, root read-only" % label,
            C.security, pods[1], ctr, 10001)
    if not full:
        return      # the probes do not depend on the name (50 runs take ~15 s per pod)
    # A replica: the primary runs the same probe commands.
    h.check("%s: every probe of %s passes 50/50" % (label, pods[1].name), C.probes_pass, pods[1], 50)
    h.check("%s: probes fail on a frozen (SIGSTOP) member" % label, C.probes_fail_frozen, pods[2])
    h.check("%s: probes fail on a stopped member" % label, C.probes_fail_stopped, pods[2], ctr, True)
    h.check("%s: member back after the stop" % label, c.wait_ready, 60)

    def restart_keeps_data():
        pods[1].restart()
        c.wait_ready(60)
        if sql(pods[1], ctr, "SELECT v FROM t") != label:
            raise AssertionError("%s lost its data" % pods[1].name)
        C.wait_for(streaming, 20, "both replicas streaming again")
        sql(pods[0], ctr, "INSERT INTO t VALUES ('after-restart')")
        C.wait_for(lambda: sql(pods[1], ctr, "SELECT count(*) FROM t") == "2", 10,
                   "replication to the restarted replica")
    h.check("%s: a restarted replica keeps its data (no second clone) and streams again" % label,
            restart_keeps_data)

    def primary_down():
        # The preset's readiness is "accepting connections": a hot standby stays ready and
        # serves (possibly stale) reads through <name>-ro while the primary is down.
        pods[0].stop()
        try:
            for p in pods[1:]:
                if not p.probe(ctr, "readiness") or sql(p, ctr, "SELECT v FROM t LIMIT 1") != label:
                    raise AssertionError("%s does not serve reads while the primary is down" % p.name)
        finally:
            pods[0].start()
        c.wait_ready(60)
        if sql(pods[0], ctr, "SELECT count(*) FROM t") != "2":
            raise AssertionError("the restarted primary lost rows")
        C.wait_for(streaming, 30, "both replicas streaming from the restarted primary")
    h.check("%s: primary down: replicas stay ready for reads; the restarted primary keeps its data "
            "and the replicas stream again" % label, primary_down)

    def scale():
        c.apply(h.render(profile, name=name, namespace=namespace, replicas=4, env=ENV), timeout=90)
        p3 = c.pods["%s-3" % name]
        C.wait_for(lambda: streaming(3), 20, "3 replicas streaming")
        if sql(p3, ctr, "SELECT count(*) FROM t") != "2":
            raise AssertionError("%s does not have the rows" % p3.name)
    h.check("%s: scale 3 -> 4 adds a replica that clones %s-0 and streams" % (label, name), scale)


def backup(h):
    """pg_basebackup (tar, gzip, streamed WAL) from the last replica as `replicator`; restored by
    unpacking base.tar.gz and pg_wal.tar.gz into a fresh member's PGDATA (docs/DAY2.md)."""
    import os
    import subprocess

    def ctr(p):
        return p.name.rsplit("-", 1)[0]

    def write(c, pods):
        sql(pods[0], ctr(pods[0]), "CREATE TABLE bk (v text); INSERT INTO bk VALUES ('before-backup')")
        return C.wait_for(lambda: sql(pods[-1], ctr(pods[-1]), "SELECT count(*) FROM bk") == "1", 15,
                          "the row on the last replica")

    def restore(h, c2, claim, newest):
        pgdata = os.path.join(claim, "pgdata")
        os.makedirs(os.path.join(pgdata, "pg_wal"), exist_ok=True)
        subprocess.run(["tar", "-xzf", os.path.join(newest, "base.tar.gz"), "-C", pgdata], check=True)
        subprocess.run(["tar", "-xzf", os.path.join(newest, "pg_wal.tar.gz"), "-C", os.path.join(pgdata, "pg_wal")],
                       check=True)
        # A backup of a replica carries its standby.signal: without removing it the restored
        # member would stay a standby of nothing.
        if not os.path.exists(os.path.join(pgdata, "standby.signal")):
            raise AssertionError("expected the replica's standby.signal in its backup")
        os.remove(os.path.join(pgdata, "standby.signal"))
        subprocess.run(["chown", "-R", "10001:10001", claim], check=True)
        os.chmod(pgdata, 0o700)
        c2.start(timeout=90)

    def read(c2, pods):
        got = sql(pods[0], ctr(pods[0]), "SELECT v FROM bk")
        if got != "before-backup":
            raise AssertionError("restored member reads %r" % got)
        if sql(pods[0], ctr(pods[0]), "SELECT pg_is_in_recovery()") != "f":
            raise AssertionError("the restored member is still in recovery")
    C.backup_scenario(h, "postgresql", "pgb", 2, ENV, write, read, restore)


def tls(h):
    """tls.issuer: the Certificate's Secret from an openssl test CA; replication and clients
    over TLS, a plaintext client refused, the exporter over TLS."""
    name = "pgt"
    env = dict(ENV, **C.SEED)
    objs = h.render("postgresql", name=name, namespace="sec", replicas=2, env=env,
                    sets=["tls.issuer=test-ca", "metrics.enabled=true"])
    label = "sec/%s tls" % name
    if not h.check("%s: the Certificate's Secret issued from a test CA (openssl)" % label,
                   lambda: objs.append(C.tls_secret(objs, h.tmp)) or True):
        return
    c = h.cluster(objs, name)
    if not h.check("%s: 2 pods ready with ssl = on and hostssl only" % label, c.start, timeout=120):
        return
    pods = list(c.pods.values())

    def replication_over_tls():
        row = C.wait_for(lambda: sql(pods[0], name, "SELECT r.application_name, r.state, s.ssl FROM "
                                     "pg_stat_replication r JOIN pg_stat_ssl s USING (pid)"), 20, "a replica")
        if row != "%s-1|streaming|t" % name:
            raise AssertionError("pg_stat_replication with ssl: %r" % row)
    h.check("%s: the replica streams over TLS (pg_stat_ssl.ssl = t for its walsender)" % label,
            replication_over_tls)

    def psql(pod, conninfo, query):
        return pod.exec(name, ["sh", "-c", 'PGPASSWORD="$(cat /run/secrets/postgresql/password)" '
                               'exec psql -X -At "$0" -c "$1"', conninfo, query], timeout=15)

    def client_with_ca():
        host = "%s-0.%s" % (name, name)
        rc, out, err = psql(pods[1], "host=%s user=postgres dbname=postgres sslmode=verify-full "
                                     "sslrootcert=/etc/tls/ca.crt" % host,
                            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        if rc != 0 or out.strip() != "t":
            raise AssertionError("verify-full to %s: rc %d %r %s" % (host, rc, out, err.strip()))
    h.check("%s: a client verifying the server with ca.crt (verify-full) connects over TLS" % label,
            client_with_ca)

    def plaintext_refused():
        rc, out, err = psql(pods[1], "host=%s-0.%s user=postgres dbname=postgres sslmode=disable" % (name, name),
                            "SELECT 1")
        if rc == 0 or "no encryption" not in err:
            raise AssertionError("plaintext client: rc %d %r %s" % (rc, out, err.strip()))
    h.check("%s: a plaintext client is refused (pg_hba: no entry without encryption)" % label, plaintext_refused)
    h.check("%s: the exporter connects over TLS: pg_up 1" % label, C.metrics_show, pods[0], 9187, {"pg_up": 1.0})


def run(h):
    if not C.DAY2_ONLY:
        scenario(h, "postgresql", None, True)
        h.teardown()
        scenario(h, "orders", "shop", False, port=5444)
        h.teardown()

    def least_privilege(c, pods, label):
        def check():
            row = sql(pods[0], "pgm", "SELECT rolsuper, rolcreaterole, rolcreatedb, "
                      "pg_has_role('exporter', 'pg_monitor', 'member') FROM pg_roles WHERE rolname = 'exporter'")
            if row != "f|f|f|t":
                raise AssertionError("role exporter (super, createrole, createdb, pg_monitor): %r" % row)
            rc, _, err = pods[0].exec("pgm", ["sh", "-c", 'PGPASSWORD="$(cat /run/secrets/postgresql/exporter-password)" '
                                      'exec psql -X -h 127.0.0.1 -U exporter -d postgres -c "CREATE TABLE x (i int)"'])
            if rc == 0 or "permission denied" not in err:
                raise AssertionError("exporter could create a table (rc %d): %s" % (rc, err.strip()))
        h.check("%s: the exporter's role is pg_monitor only (no superuser, cannot create)" % label, check)
    # metrics: postgres_exporter sidecar as the pg_monitor role `exporter`, on the primary and a
    # replica (which got the role by its clone).
    C.metrics_scenario(h, "postgresql", "pgm", 9187, {"pg_up": 1.0, "pg_database_size_bytes": None},
                       env=ENV, replicas=2, extra=least_privilege)
    h.teardown()
    backup(h)
    h.teardown()
    tls(h)
