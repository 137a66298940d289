"""zookeeper preset on Debian's zookeeper: one ensemble, probes, quorum loss, restart, resize;
metrics (what can be seen without the provider's jar), backup and restore, TLS."""

import os
import shutil
import socket
import subprocess

import checks as C

# Netty's TLS client needs netty-codec and netty-resolver, which Debian's zookeeper.jar
# manifest does not name (the image's lib/ has them).
ZKCP = "/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar"
ZKLOG = ["-XX:-UsePerfData", "-Dzookeeper.root.logger=ERROR,CONSOLE", "-Dlog4j.configuration=file:/dev/null"]
ZKCLI = ["java", "-cp", ZKCP] + ZKLOG + ["org.apache.zookeeper.ZooKeeperMain"]
# A TLS client as docs/DAY2.md gives it (CLIENT_JVMFLAGS of zkCli.sh): Netty, the pod's
# certificate as a PEM key store (key and certificate in one file), the CA as trust store.
TLS_FLAGS = ["-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
             "-Dzookeeper.client.secure=true",
             "-Dzookeeper.ssl.keyStore.location=/conf/tls.pem", "-Dzookeeper.ssl.keyStore.type=PEM",
             "-Dzookeeper.ssl.trustStore.location=/etc/tls/ca.crt", "-Dzookeeper.ssl.trustStore.type=PEM"]
PROVIDER = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"


def four(ip, word, timeout=3):
    """A four-letter word from the harness (the node), read to the end."""
    with socket.create_connection((ip, 2181), timeout=timeout) as s:
        s.sendall(word.encode())
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            b = s.recv(4096)
            if not b:
                return out.decode()
            out += b


def mode(pod):
    for l in four(pod.ip, "srvr").splitlines():
        if l.startswith("Mode: "):
            return l.split()[1]
    return None


def zkcli(ip, *args):
    """ZooKeeper's own CLI, run on the node against a member's client port."""
    r = subprocess.run(ZKCLI + ["-server", "%s:2181" % ip] + list(args),
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def scenario(h, name, namespace, full):
    objs = h.render("zookeeper", name=name, namespace=namespace, replicas=3)
    c = h.cluster(objs, name)
    label = "%s/%s" % (namespace or "default", name)
    if not h.check("%s: all 3 pods ready" % label, c.start, timeout=120):
        return
    pods = list(c.pods.values())
    ctr = name

    def ensemble():
        modes = sorted(mode(p) or "none" for p in pods)
        if modes != ["follower", "follower", "leader"]:
            raise AssertionError("modes %s" % modes)
        return True
    h.check("%s: srvr shows one leader and two followers" % label, ensemble)
    leader = lambda: next(p for p in pods if mode(p) == "leader")
    follower = lambda: next(p for p in pods if mode(p) == "follower")

    def write_read():
        rc, out = zkcli(leader().ip, "create", "/sts-key", label)
        if "Created /sts-key" not in out:
            raise AssertionError("create on the leader: %s" % out[-400:])
        f = follower()
        rc, out = zkcli(f.ip, "get", "/sts-key")
        if label not in out.splitlines():
            raise AssertionError("get on %s: %s" % (f.name, out[-400:]))
    h.check("%s: a znode created on the leader is read on a follower" % label, write_read)
    h.check("%s: runs as uid 10001 without capabilities, root read-only" % label,
            C.security, pods[0], ctr, 10001)
    for p in (leader(), follower()):
        h.check("%s: every probe of %s (%s) passes 50/50" % (label, p.name, mode(p)), C.probes_pass, p, 50)
    if not full:
        return
    h.check("%s: probes fail on a frozen (SIGSTOP) member" % label, C.probes_fail_frozen, pods[2])
    h.check("%s: probes fail on a stopped member" % label, C.probes_fail_stopped, pods[2], ctr)
    h.check("%s: member back after the stop" % label, c.wait_ready, 60)

    def no_quorum():
        # The preset: ready only while in a quorum; alive while it answers ruok.
        others = [p for p in pods if p is not pods[0]]
        C.in_parallel(*[p.stop for p in others])
        try:
            C.readiness_becomes(pods[0], ctr, False, 30)
            if not pods[0].probe(ctr, "liveness"):
                raise AssertionError("liveness fails without quorum (the pod would be restarted)")
        finally:
            for p in others:
                p.start()
        c.wait_ready(90)
        ensemble()
    h.check("%s: readiness fails without quorum, liveness does not; recovers" % label, no_quorum)

    def restart_keeps_data():
        p = follower()
        p.restart()
        c.wait_ready(90)
        C.wait_for(lambda: mode(p) in ("leader", "follower"), 30, "%s back in the ensemble" % p.name)
        rc, out = zkcli(p.ip, "get", "/sts-key")
        if label not in out.splitlines():
            raise AssertionError("after restart: %s" % out[-300:])
        with open(c.claim_dir("data", p.name) + "/myid") as f:
            if f.read().strip() != str(p.ordinal + 1):
                raise AssertionError("myid is not ordinal + 1")
    h.check("%s: a restarted member keeps its data and rejoins" % label, restart_keeps_data)

    def scale():
        # The preset: change replicas and re-render; the new server list rolls through the pods.
        c.apply(h.render("zookeeper", name=name, namespace=namespace, replicas=4), timeout=240)
        allp = list(c.pods.values())
        def four_servers():
            modes = sorted(mode(p) or "none" for p in allp)
            if modes != ["follower", "follower", "follower", "leader"]:
                raise AssertionError("modes after scale %s" % modes)
            return True
        C.wait_for(four_servers, 30, "one leader and 3 followers")
        rc, out = zkcli(allp[3].ip, "get", "/sts-key")
        if label not in out.splitlines():
            raise AssertionError("new member reads: %s" % out[-300:])
    # Off by default: in 2 of 4 runs here the servers given the new list (the new one and the
    # first rolled) voted for each other while the old ensemble kept its leader, and neither
    # side reached a quorum of its own view, so the rollout stalled. Resizing by re-render is
    # therefore not proven (README); STS_ENGINES_ZK_SCALE=1 runs the check.
    if os.environ.get("STS_ENGINES_ZK_SCALE") == "1":
        h.check("%s: re-render 3 -> 4 rolls the server list and a 4th server joins" % label, scale)


def metrics(h):
    """`metrics`: ZooKeeper's own Prometheus provider. Its jar is in the image but not in
    Debian's 3.8, so no scrape here: the rendered objects, and ZooKeeper reading the rendered
    provider settings out of the zoo.cfg the role init assembles (it fails to start naming
    exactly the class it was told to load)."""
    name = "zkm"
    objs = h.render("zookeeper", name=name, namespace="mon", replicas=1,
                    sets=["metrics.enabled=true", "metrics.serviceMonitor=true"])
    label = "mon/%s metrics" % name
    h.check("%s: a metrics Service on 7000 and a NetworkPolicy rule for it" % label,
            C.metrics_objects, objs, name, 7000)

    def monitor():
        sm = [o for o in objs if o["kind"] == "ServiceMonitor"]
        ep = sm[0]["spec"]["endpoints"][0] if sm else {}
        if (ep.get("port"), ep.get("path")) != ("metrics", "/metrics"):
            raise AssertionError("ServiceMonitor endpoints %s" % sm)
        sts = [o for o in objs if o["kind"] == "StatefulSet"][0]
        ports = {p["name"]: p["containerPort"] for p in sts["spec"]["template"]["spec"]["containers"][0]["ports"]}
        if ports.get("metrics") != 7000:
            raise AssertionError("container ports %s" % ports)
    h.check("%s: the ServiceMonitor scrapes port `metrics` (7000) at /metrics" % label, monitor)

    def provider_read():
        c = h.cluster(objs, name)
        try:
            c.start(timeout=25)
        except TimeoutError:
            pass
        else:
            raise AssertionError("ZooKeeper started: the provider's jar is on this machine after all?")
        log = c.pods[name + "-0"].logs(name)
        # 3.8 loads the class while it parses zoo.cfg (QuorumPeerConfig), and exits.
        for want in ("metrics provider class was not found", "ClassNotFoundException: " + PROVIDER,
                     "QuorumPeerConfig.parseProperties", "Invalid config, exiting abnormally"):
            if want not in log:
                raise AssertionError("no %r in the log:\n%s" % (want, log[-1200:]))
    h.check("%s: ZooKeeper 3.8 reads the rendered zoo.cfg's provider and fails on its missing class "
            "(Debian ships no zookeeper-prometheus-metrics jar: no scrape)" % label, provider_read)


def backup(h):
    """A copy of the last member's snapshots and logs (its data claim mounted read-only);
    restored by putting them in a fresh one-member install's version-2 (docs/DAY2.md)."""
    def write(c, pods):
        rc, out = zkcli(pods[0].ip, "create", "/backup-key", "before-backup")
        if "Created /backup-key" not in out:
            raise AssertionError("create: %s" % out[-400:])
        # The backup reads the last member's disk: wait until it has the znode.
        return C.wait_for(lambda: "before-backup" in zkcli(pods[-1].ip, "get", "/backup-key")[1].splitlines(),
                          20, "the znode on the last member")

    def restore(h, c2, claim, newest):
        files = sorted(os.listdir(newest))
        if not any(f.startswith("snapshot.") for f in files) or not any(f.startswith("log.") for f in files):
            raise AssertionError("the backup holds %s, expected snapshots and logs" % files)
        d = os.path.join(claim, "version-2")
        os.makedirs(d, exist_ok=True)
        for f in files:
            shutil.copy(os.path.join(newest, f), d)
        subprocess.run(["chown", "-R", "10001:10001", claim], check=True)
        c2.start(timeout=90)

    def read(c2, pods):
        p = pods[0]
        if mode(p) != "standalone":
            raise AssertionError("the restored member is %s, not standalone" % mode(p))
        rc, out = zkcli(p.ip, "get", "/backup-key")
        if "before-backup" not in out.splitlines():
            raise AssertionError("restored member reads: %s" % out[-400:])
    C.backup_scenario(h, "zookeeper", "zkb", 3, None, write, read, restore)


def tls(h):
    """tls.issuer: the Certificate's Secret made with openssl (as cert-manager would); the
    ensemble forms over TLS (sslQuorum), a client with the CA and a certificate writes and
    reads on the secure client port, a plaintext client and a certificate-less one are refused."""
    import kubelet
    name, ns = "zkt", "sec"
    objs = h.render("zookeeper", name=name, namespace=ns, replicas=3,
                    sets=["tls.issuer=test-ca", "backup.schedule=0 3 * * *", "backup.claim.size=1Gi"])
    label = "%s/%s tls" % (ns, name)
    if not h.check("%s: the Certificate's Secret issued from a test CA (openssl)" % label,
                   lambda: objs.append(C.tls_secret(objs, h.tmp)) or True):
        return
    secret = [o for o in objs if o["kind"] == "Certificate"][0]["spec"]["secretName"]
    pki = os.path.join(h.tmp, "pki-" + secret)
    c = h.cluster(objs, name)
    if not h.check("%s: all 3 pods ready over TLS (probes on the loopback client port)" % label,
                   c.start, timeout=150):
        return
    pods = list(c.pods.values())
    fqdn = lambda p: "%s.%s.%s.svc.cluster.local" % (p.name, name, ns)

    def srvr_mode(p):
        rc, out, err = p.exec(name, ["sh", "-c", "printf srvr | nc -w 2 127.0.0.1 2181"], timeout=10)
        return next((l.split()[1] for l in out.splitlines() if l.startswith("Mode: ")), "none")

    def ensemble():
        modes = sorted(srvr_mode(p) for p in pods)
        if modes != ["follower", "follower", "leader"]:
            raise AssertionError("modes %s" % modes)
        return True
    h.check("%s: srvr shows one leader and two followers" % label, lambda: C.wait_for(ensemble, 30, "the ensemble"))

    def handshake(ip, port):
        r = subprocess.run(["openssl", "s_client", "-connect", "%s:%d" % (ip, port), "-CAfile", pki + "/ca.crt",
                            "-cert", pki + "/tls.crt", "-key", pki + "/tls.key", "-verify_return_error"],
                           input="", capture_output=True, text=True, timeout=20)
        out = r.stdout + r.stderr
        if "Verify return code: 0 (ok)" not in out or "CN = " + secret not in out:
            raise AssertionError("%s:%d: no TLS handshake with the member's certificate:\n%s" % (ip, port, out[-600:]))

    def quorum_over_tls():
        leader = next(p for p in pods if srvr_mode(p) == "leader")
        for p in pods:
            handshake(p.ip, 3888)          # leader election, every member
        handshake(leader.ip, 2888)         # followers' connections to the leader
    h.check("%s: the quorum ports speak TLS with the member's certificate (election 3888 on every "
            "member, the leader's 2888)" % label, quorum_over_tls)

    def cli(pod, server, *args, flags=TLS_FLAGS):
        rc, out, err = pod.exec(name, ["java"] + flags + ["-cp", ZKCP] + ZKLOG
                                + ["org.apache.zookeeper.ZooKeeperMain", "-server", server] + list(args), timeout=60)
        return out + err

    def client_with_ca():
        out = cli(pods[0], fqdn(pods[1]) + ":2281", "create", "/tls-key", "over-tls")
        if "Created /tls-key" not in out:
            raise AssertionError("create over TLS: %s" % out[-600:])
        out = cli(pods[2], fqdn(pods[0]) + ":2281", "get", "/tls-key")
        if "over-tls" not in out.splitlines():
            raise AssertionError("get over TLS: %s" % out[-600:])
    h.check("%s: a client with the CA and a certificate writes and reads on 2281 (another pod's name)"
            % label, client_with_ca)

    def refused():
        target = pods[1]
        rc, out, err = pods[0].exec(name, ["nc", "-z", "-w", "3", fqdn(target), "2181"], timeout=10)
        if rc == 0:
            raise AssertionError("the plain client port answers another pod")
        try:
            four(target.ip, "srvr")
        except OSError:
            pass
        else:
            raise AssertionError("the plain client port answers the node")
        plain = [f for f in TLS_FLAGS if "secure" not in f and "Netty" not in f]
        for what, server, flags in (("plaintext on 2281", ":2281", plain),
                                    ("plaintext on 2181", ":2181", plain),
                                    ("TLS without a certificate", ":2281",
                                     [f for f in TLS_FLAGS if "keyStore" not in f])):
            out = cli(pods[0], fqdn(target) + server, "get", "/tls-key", flags=flags)
            # Refused at the connection (the same client with a certificate reads it above).
            if "over-tls" in out.splitlines() or "ConnectionLoss" not in out:
                raise AssertionError("%s: %s" % (what, out[-600:]))
    h.check("%s: plaintext clients (2181 from another pod, from the node; 2281) and a certificate-less "
            "TLS client are refused" % label, refused)
    h.check("%s: every probe of %s passes 20/20 over the loopback port" % (label, pods[0].name),
            C.probes_pass, pods[0], 20)

    def backup_with_tls():
        cj = [o for o in objs if o["kind"] == "CronJob"][0]
        pod = c.run_job(cj, timeout=120)
        ok, codes = kubelet.job_result(pod)
        if not ok:
            raise AssertionError("backup job: %s\n%s" % (codes, pod.logs("backup")[-600:]))
    h.check("%s: the backup job runs with TLS on" % label, backup_with_tls)


def run(h):
    # The bundled install and a renamed one (another name and namespace), side by side.
    if not C.DAY2_ONLY:
        h.concurrently(lambda: scenario(h, "zookeeper", None, True),
                       lambda: scenario(h, "zk", "coord", False))
        h.teardown()
    metrics(h)
    h.teardown()
    backup(h)
    h.teardown()
    tls(h)
