"""redis preset on Debian's redis-server: replication from ordinal 0, probes, read Service."""

import checks as C

# Quotes, a backslash and a dollar: the preset escapes the password for redis.conf syntax.
PASSWORD = 'p"w\\d $x'


def cli(pod, ctr, *args, host="127.0.0.1"):
    # The port the pod declares (the renamed install moves it).
    port = str(pod.containers[ctr].spec["ports"][0]["containerPort"])
    rc, out, err = pod.exec(ctr, ["sh", "-c", 'p=$1; shift; REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")" '
                                  'exec redis-cli -h "$0" -p "$p" "$@"', host, port] + list(args), timeout=10)
    if rc != 0:
        raise AssertionError("redis-cli %s on %s: rc %d: %s%s" % (" ".join(args), pod.name, rc, out, err))
    return out.strip()


def info(pod, ctr):
    return dict(l.split(":", 1) for l in cli(pod, ctr, "info", "replication").splitlines() if ":" in l)


def scenario(h, name, namespace, full, port=None):
    # With `port`, the profile moves the redis port: config, probes and replicaof follow it.
    profile = "redis" if port is None else (
        "apiVersion: sts-gen/v1\nkind: Profile\npreset: redis\nports:\n  - {name: redis, port: %d}\n" % port)
    objs = h.render(profile, name=name, namespace=namespace, replicas=3, env={"REDIS_PASSWORD": PASSWORD})
    c = h.cluster(objs, name)
    ns = namespace or "default"
    label = "%s/%s" % (ns, name) + ("" if port is None else " (port %d)" % port)
    if not h.check("%s: all 3 pods ready" % label, c.start, timeout=60):
        return
    pods = list(c.pods.values())
    ctr = name

    def streaming():
        if info(pods[0], ctr).get("role") != "master":
            raise AssertionError("%s is not the master" % pods[0].name)
        for p in pods[1:]:
            i = info(p, ctr)
            if (i.get("role"), i.get("master_link_status")) != ("slave", "up") \
                    or not i.get("master_host", "").startswith("%s-0.%s" % (name, name)):
                raise AssertionError("%s: %s" % (p.name, i))
        return True
    h.check("%s: both replicas master_link_status:up to %s-0" % (label, name), streaming)

    def write_read():
        # Through the Services, as clients would: writes to <name>-primary, reads anywhere.
        if cli(pods[1], ctr, "set", "k", label, host="%s-primary" % name) != "OK":
            raise AssertionError("write via %s-primary failed" % name)
        C.wait_for(lambda: all(cli(p, ctr, "get", "k") == label for p in pods[1:]), 10, "replication")
        out = cli(pods[1], ctr, "set", "k2", "x")
        if "READONLY" not in out:
            raise AssertionError("replica accepted a write: %s" % out)
    h.check("%s: a write via %s-primary is read on the replicas, which refuse writes" % (label, name),
            write_read)
    rport = str(port or 6379)
    h.check("%s: wrong password is refused" % label, lambda: "NOAUTH" in pods[0].exec(
        ctr, ["redis-cli", "-h", "127.0.0.1", "-p", rport, "get", "k"])[1] + pods[0].exec(
        ctr, ["redis-cli", "-h", "127.0.0.1", "-p", rport, "get", "k"])[2])
    h.check("%s: runs as uid 10001 without capabilities, root read-only" % label,
            C.security, pods[1], ctr, 10001)
    for p in (pods[0], pods[1]):
        h.check("%s: every probe of %s passes 50/50" % (label, p.name), C.probes_pass, p, 50)
    if not full:
        return
    h.check("%s: probes fail on a frozen (SIGSTOP) member" % label, C.probes_fail_frozen, pods[2])
    h.check("%s: probes fail on a stopped member" % label, C.probes_fail_stopped, pods[2], ctr)
    h.check("%s: member back after the stop" % label, c.wait_ready, 30)

    def master_down():
        # The preset's choice: a replica that has synced stays ready while the master is down,
        # so <name>-read keeps serving (possibly stale) reads; one that never synced since it
        # started is not ready.
        pods[0].stop()
        try:
            C.wait_for(lambda: info(pods[1], ctr).get("master_link_status") == "down", 20, "link down")
            for p in pods[1:]:
                if not p.probe(ctr, "readiness"):
                    raise AssertionError("%s unready while the master is down: %s has no endpoints"
                                         % (p.name, name + "-read"))
            if cli(pods[2], ctr, "get", "k", host="%s-read" % name) != label:
                raise AssertionError("read via %s-read failed" % name)
            pods[2].restart()      # starts with its AOF but never syncs: not ready
            C.wait_for(lambda: pods[2].containers[ctr].proc and cli(pods[2], ctr, "ping") == "PONG",
                       20, "restarted replica answering")
            for _ in range(3):
                if pods[2].probe(ctr, "readiness"):
                    raise AssertionError("a replica that never synced is ready")
        finally:
            pods[0].start()
        c.wait_ready(60)
        C.wait_for(streaming, 30, "replicas streaming again")
    h.check("%s: master down: synced replicas stay ready for %s-read, an unsynced one is not"
            % (label, name), master_down)

    def restart_keeps_data():
        pods[0].restart()
        c.wait_ready(60)
        if cli(pods[0], ctr, "get", "k") != label:
            raise AssertionError("master lost its data")
        C.wait_for(streaming, 30, "replicas streaming from the restarted master")
        cli(pods[0], ctr, "set", "k3", "after")
        C.wait_for(lambda: cli(pods[2], ctr, "get", "k3") == "after", 10, "replication after restart")
    h.check("%s: a restarted master keeps its data (AOF) and the replicas follow it" % label,
            restart_keeps_data)

    def scale():
        c.apply(h.render(profile, name=name, namespace=namespace, replicas=4,
                         env={"REDIS_PASSWORD": PASSWORD}), timeout=60)
        p3 = c.pods["%s-3" % name]
        i = info(p3, ctr)
        if i.get("master_link_status") != "up" or cli(p3, ctr, "get", "k") != label:
            raise AssertionError("%s: %s" % (p3.name, i))
        C.wait_for(lambda: info(pods[0], ctr).get("connected_slaves") == "3", 20, "3 replicas on the master")
    h.check("%s: scale 3 -> 4 adds a replica that syncs from %s-0" % (label, name), scale)


def backup(h):
    """redis-cli --rdb from the last replica; restored by making dump.rdb the base of a fresh
    member's AOF before its first start (docs/DAY2.md)."""
    import os
    import shutil
    import subprocess

    def ctr(p):
        return p.name.rsplit("-", 1)[0]

    def write(c, pods):
        cli(pods[0], ctr(pods[0]), "set", "backup-key", "before-backup")
        # The backup reads the last replica: wait until it has the key.
        wait_for = C.wait_for(lambda: cli(pods[-1], ctr(pods[-1]), "get", "backup-key") == "before-backup",
                              15, "the key on the last replica")
        return wait_for

    def restore(h, c2, claim, newest):
        # With appendonly on, Redis loads only the AOF: the RDB becomes the base of a
        # multi-part AOF (Redis 7), named by a manifest.
        aof = os.path.join(claim, "appendonlydir")
        os.makedirs(aof, exist_ok=True)
        shutil.copy(os.path.join(newest, "dump.rdb"), os.path.join(aof, "appendonly.aof.1.base.rdb"))
        with open(os.path.join(aof, "appendonly.aof.manifest"), "w") as f:
            f.write("file appendonly.aof.1.base.rdb seq 1 type b\n")
        subprocess.run(["chown", "-R", "10001:10001", claim], check=True)
        c2.start(timeout=60)

    def read(c2, pods):
        got = cli(pods[0], ctr(pods[0]), "get", "backup-key")
        if got != "before-backup":
            raise AssertionError("restored member reads %r" % got)
    C.backup_scenario(h, "redis", "cacheb", 3, {"REDIS_PASSWORD": PASSWORD}, write, read, restore)


TLS_ARGS = ["--tls", "--cacert", "/etc/tls/ca.crt", "--cert", "/etc/tls/tls.crt", "--key", "/etc/tls/tls.key"]


def tls(h):
    """tls.issuer: the Certificate's Secret from an openssl test CA (as cert-manager would
    write it); Redis listens on TLS only (port 0), the replica syncs over TLS, a client with the
    CA and a certificate works, a plaintext client and one without a certificate are refused,
    the probes, the exporter and the backup job work over TLS."""
    import kubelet
    import os
    name = "cachet"
    objs = h.render("redis", name=name, namespace="sec", replicas=2, env=dict(C.SEED, REDIS_PASSWORD=PASSWORD),
                    sets=["tls.issuer=test-ca", "metrics.enabled=true",
                          "backup.schedule=0 3 * * *", "backup.claim.size=1Gi"])
    label = "sec/%s tls" % name
    if not h.check("%s: the Certificate's Secret issued from a test CA (openssl)" % label,
                   lambda: objs.append(C.tls_secret(objs, h.tmp)) or True):
        return
    c = h.cluster(objs, name)
    if not h.check("%s: both pods ready over TLS (probes with redis-cli --tls)" % label, c.start, timeout=90):
        return
    pods = list(c.pods.values())

    def tcli(pod, *args, host="127.0.0.1", tls_args=TLS_ARGS):
        return pod.exec(name, ["sh", "-c", 'REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")" '
                               'exec redis-cli "$@"', "redis-cli"] + list(tls_args)
                        + ["-h", host, "-p", "6379"] + list(args), timeout=10)

    def ok(pod, *args, **kw):
        rc, out, err = tcli(pod, *args, **kw)
        if rc != 0 or out.startswith(("ERR", "NOAUTH", "Could not")) or "Error" in out:
            raise AssertionError("redis-cli %s on %s: rc %d: %s%s" % (" ".join(args), pod.name, rc, out, err))
        return out.strip()

    def replicates_over_tls():
        for p in pods:
            port = ok(p, "config", "get", "port").split()
            trep = ok(p, "config", "get", "tls-replication").split()
            if port != ["port", "0"] or trep != ["tls-replication", "yes"]:
                raise AssertionError("%s: %s %s (expected no plain port, tls-replication yes)" % (p.name, port, trep))
        i = dict(l.split(":", 1) for l in ok(pods[1], "info", "replication").splitlines() if ":" in l)
        if (i.get("role"), i.get("master_link_status")) != ("slave", "up"):
            raise AssertionError("%s: %s" % (pods[1].name, i))
        m = dict(l.split(":", 1) for l in ok(pods[0], "info", "replication").splitlines() if ":" in l)
        if m.get("connected_slaves") != "1":
            raise AssertionError("%s: %s" % (pods[0].name, m))
        return True
    h.check("%s: no plaintext port, tls-replication yes; the replica's link is up (TLS only)" % label,
            lambda: C.wait_for(replicates_over_tls, 20, "the replica synced over TLS"))

    def client_with_ca():
        primary = "%s-0.%s" % (name, name)
        if ok(pods[1], "set", "tls-key", "over-tls", host=primary) != "OK":
            raise AssertionError("SET via %s refused" % primary)
        C.wait_for(lambda: ok(pods[1], "get", "tls-key") == "over-tls", 10, "the key on the replica")
    h.check("%s: a client with the CA and a certificate writes via %s-0.%s, reads on the replica"
            % (label, name, name), client_with_ca)

    def refused():
        host = "%s-0.%s" % (name, name)
        rc, out, err = tcli(pods[1], "ping", host=host, tls_args=[])
        if rc == 0 or "PONG" in out:
            raise AssertionError("a plaintext client got PONG")
        rc, out, err = tcli(pods[1], "ping", host=host, tls_args=["--tls", "--cacert", "/etc/tls/ca.crt"])
        if rc == 0 or "PONG" in out:
            raise AssertionError("a TLS client without a certificate got PONG")
        return True
    h.check("%s: a plaintext client and a client without a certificate are refused" % label, refused)
    for p in pods:
        h.check("%s: every probe of %s passes 20/20 (over TLS)" % (label, p.name), C.probes_pass, p, 20)
    h.check("%s: the exporter connects over TLS (rediss://): redis_up 1, 1 connected replica" % label,
            C.metrics_show, pods[0], 9121, {"redis_up": 1.0, "redis_connected_slaves": 1.0})

    def backup_over_tls():
        cj = [o for o in objs if o["kind"] == "CronJob"][0]
        pod = c.run_job(cj, timeout=120)
        done, codes = kubelet.job_result(pod)
        if not done:
            raise AssertionError("backup job: %s\n%s" % (codes, pod.logs("backup")[-600:]))
        bdir = c.pvc_dir(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"][0]
                         ["persistentVolumeClaim"]["claimName"])
        kept = [x for x in os.listdir(bdir) if not x.startswith(".")]
        if len(kept) != 1:
            raise AssertionError("backups: %s" % kept)
        with open(os.path.join(bdir, kept[0], "dump.rdb"), "rb") as f:
            head = f.read()
        if not head.startswith(b"REDIS") or b"tls-key" not in head:
            raise AssertionError("dump.rdb is not an RDB with the key (%d bytes)" % len(head))
    h.check("%s: the backup job's redis-cli --rdb over TLS (an RDB with the key)" % label, backup_over_tls)


def run(h):
    # The bundled install and a renamed one (another name and namespace), side by side.
    if not C.DAY2_ONLY:
        h.concurrently(lambda: scenario(h, "redis", None, True),
                       lambda: scenario(h, "cache", "kv", False, port=6390))
        h.teardown()
    # metrics: redis_exporter sidecar, authenticated with the Secret's password.
    C.metrics_scenario(h, "redis", "cachem", 9121, {"redis_up": 1.0, "redis_connected_clients": None},
                       env={"REDIS_PASSWORD": PASSWORD})
    h.teardown()
    backup(h)
    h.teardown()
    tls(h)
