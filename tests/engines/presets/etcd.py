"""etcd preset on Debian's etcd-server: static bootstrap, probes, restart, scaling."""

import time

import checks as C

CTR = None  # the main container is named after the install


def ctl(pod, ctr, *args, timeout=15):
    rc, out, err = pod.exec(ctr, ["etcdctl", "--endpoints=http://127.0.0.1:2379",
                                  "--command-timeout=5s"] + list(args), timeout=timeout)
    if rc != 0:
        raise AssertionError("etcdctl %s on %s: rc %d: %s" % (" ".join(args), pod.name, rc, err.strip()))
    return out


def members(pod, ctr):
    return [l.split(", ") for l in ctl(pod, ctr, "member", "list").splitlines() if l.strip()]


def scenario(h, name, namespace, full):
    objs = h.render("etcd", name=name, namespace=namespace, replicas=3)
    c = h.cluster(objs, name)
    label = "%s/%s" % (namespace or "default", name)
    if not h.check("%s: all 3 pods ready" % label, c.start, timeout=90):
        return
    pods = list(c.pods.values())
    ctr = name

    def one_cluster():
        for p in pods:
            m = members(p, ctr)
            started = [x for x in m if x[1] == "started"]
            names = sorted(x[2] for x in started)
            if names != ["%s-%d" % (name, i) for i in range(3)]:
                raise AssertionError("%s sees members %s" % (p.name, m))
        ids = {ctl(p, ctr, "endpoint", "status", "-w", "fields").split("\"ClusterID\" : ")[1].split()[0]
               for p in pods}
        if len(ids) != 1:
            raise AssertionError("cluster ids differ: %s" % ids)
    h.check("%s: etcdctl member list shows 3 started members, one cluster id" % label, one_cluster)

    def write_read():
        ctl(pods[0], ctr, "put", "sts-key", "v-" + label)
        for p in pods[1:]:
            out = ctl(p, ctr, "get", "sts-key", "--print-value-only")
            if out.strip() != "v-" + label:
                raise AssertionError("%s reads %r" % (p.name, out))
    h.check("%s: a write on %s is read on the others" % (label, pods[0].name), write_read)

    h.check("%s: pods resolve each other's headless names" % label, lambda: all(
        pods[0].exec(ctr, ["getent", "hosts", "%s-2.%s.%s.svc.cluster.local" % (name, name, namespace or "default")])[0] == 0
        for _ in [0]))
    h.check("%s: runs as uid 10001 without capabilities, root read-only" % label,
            C.security, pods[1], ctr, 10001)
    h.check("%s: every probe passes 50/50 on a healthy member" % label, C.probes_pass, pods[1], 50)
    if not full:
        return
    h.check("%s: probes fail on a frozen (SIGSTOP) member" % label, C.probes_fail_frozen, pods[2])
    h.check("%s: probes fail on a stopped member" % label, C.probes_fail_stopped, pods[2], ctr)
    h.check("%s: member back after the stop" % label, c.wait_ready, 60)

    def restart_keeps_data():
        pods[1].restart()
        c.wait_ready(60)
        out = ctl(pods[1], ctr, "get", "sts-key", "--print-value-only")
        if out.strip() != "v-" + label:
            raise AssertionError("after restart %s reads %r" % (pods[1].name, out))
        ctl(pods[1], ctr, "put", "after-restart", "1")
        if ctl(pods[0], ctr, "get", "after-restart", "--print-value-only").strip() != "1":
            raise AssertionError("rejoined member's write not replicated")
    h.check("%s: a restarted pod keeps its data and rejoins" % label, restart_keeps_data)

    def no_quorum():
        # The preset: readiness needs a leader and a quorum read; liveness does not.
        pods[1].stop()
        pods[2].stop()
        try:
            C.readiness_becomes(pods[0], ctr, False, 30)
        finally:
            pods[1].start()
            pods[2].start()
        c.wait_ready(90)
    h.check("%s: readiness fails without quorum, recovers with it" % label, no_quorum)

    def scale():
        # The preset says scaling needs `etcdctl member add`: a 4th pod rendered with
        # ETCD_INITIAL_CLUSTER_STATE=new is not admitted, and the 3 members stay healthy.
        objs4 = h.render("etcd", name=name, namespace=namespace, replicas=4)
        try:
            c.apply(objs4, timeout=20)
        except TimeoutError:
            pass
        p3 = c.pods["%s-3" % name]
        if p3.ready:
            raise AssertionError("the 4th member became ready without member add")
        names = [x[2] for x in members(pods[0], ctr)]
        if "%s-3" % name in names or len(names) != 3:
            raise AssertionError("member list after scale: %s" % names)
        C.wait_for(lambda: all(p.ready for p in pods), 30, "the 3 members ready")
    h.check("%s: scale 3 -> 4 does not add a member without `member add` (documented)" % label, scale)


def backup(h):
    """etcdctl snapshot save from the last member; restored with `etcdctl snapshot restore`
    into the fresh member's data dir (docs/DAY2.md), as a one-off pod on the claim would."""
    import os
    import subprocess

    def write(c, pods):
        ctl(pods[0], pods[0].name.rsplit("-", 1)[0], "put", "backup-key", "before-backup")
        return True

    def restore(h, c2, claim, newest):
        name = c2.statefulsets[0]["metadata"]["name"]
        peer = "http://%s-0.%s.bk.svc.cluster.local:2380" % (name, name)
        os.makedirs(claim, exist_ok=True)
        r = subprocess.run(["etcdctl", "snapshot", "restore", os.path.join(newest, "snapshot.db"),
                            "--name", name + "-0", "--initial-cluster", "%s-0=%s" % (name, peer),
                            "--initial-advertise-peer-urls", peer, "--initial-cluster-token", name + "-bk",
                            "--data-dir", os.path.join(claim, "data")],
                           capture_output=True, text=True, env=dict(os.environ, ETCDCTL_API="3"))
        if r.returncode != 0:
            raise AssertionError("snapshot restore: %s" % r.stderr.strip())
        subprocess.run(["chown", "-R", "10001:10001", claim], check=True)
        c2.start(timeout=60)

    def read(c2, pods):
        got = ctl(pods[0], pods[0].name.rsplit("-", 1)[0], "get", "backup-key", "--print-value-only").strip()
        if got != "before-backup":
            raise AssertionError("restored member reads %r" % got)
        if len(members(pods[0], pods[0].name.rsplit("-", 1)[0])) != 1:
            raise AssertionError("the restored cluster is not one member")
    C.backup_scenario(h, "etcd", "kvb", 3, None, write, read, restore)


def tls(h):
    """tls.issuer: the Certificate's Secret made with openssl (as cert-manager would); the
    members form their cluster over https with client certificates; a client with the CA and
    a certificate works, plaintext and a client without a certificate are refused; the backup
    job takes its snapshot over TLS."""
    import kubelet
    import os
    name = "kvt"
    objs = h.render("etcd", name=name, namespace="sec", replicas=3,
                    sets=["tls.issuer=test-ca", "backup.schedule=0 3 * * *", "backup.claim.size=1Gi"])
    label = "sec/%s tls" % name
    if not h.check("%s: the Certificate's Secret issued from a test CA (openssl)" % label,
                   lambda: objs.append(C.tls_secret(objs, h.tmp)) or True):
        return
    c = h.cluster(objs, name)
    if not h.check("%s: all 3 pods ready over TLS (probes on the plain metrics port)" % label, c.start, timeout=90):
        return
    pods = list(c.pods.values())
    tls_args = ["--cacert=/etc/tls/ca.crt", "--cert=/etc/tls/tls.crt", "--key=/etc/tls/tls.key"]

    def tctl(pod, *args, scheme="https", extra=tls_args):
        return pod.exec(name, ["etcdctl", "--endpoints=%s://127.0.0.1:2379" % scheme, "--command-timeout=5s"]
                        + list(extra) + list(args), timeout=15)

    def cluster_over_tls():
        for p in pods:
            rc, out, err = tctl(p, "member", "list")
            if rc != 0:
                raise AssertionError("%s: member list over TLS: %s" % (p.name, err.strip()))
            rows = [l.split(", ") for l in out.splitlines() if l.strip()]
            if sorted(r[2] for r in rows if r[1] == "started") != ["%s-%d" % (name, i) for i in range(3)]:
                raise AssertionError("%s sees %s" % (p.name, rows))
            if not all(r[3].startswith("https://") and r[4].startswith("https://") for r in rows):
                raise AssertionError("peer/client URLs are not https: %s" % rows)
    h.check("%s: 3 started members, every peer and client URL https" % label, cluster_over_tls)

    def client_with_ca():
        rc, _, err = tctl(pods[0], "put", "tls-key", "over-tls")
        if rc != 0:
            raise AssertionError("put over TLS: %s" % err.strip())
        rc, out, err = tctl(pods[2], "get", "tls-key", "--print-value-only")
        if rc != 0 or out.strip() != "over-tls":
            raise AssertionError("get over TLS on %s: %r %s" % (pods[2].name, out, err.strip()))
    h.check("%s: a client with the CA and a certificate writes and reads" % label, client_with_ca)

    def refused():
        rc, out, err = tctl(pods[0], "get", "tls-key", scheme="http", extra=[])
        if rc == 0:
            raise AssertionError("a plaintext client was answered: %r" % out)
        rc, out, err = tctl(pods[0], "get", "tls-key", extra=["--cacert=/etc/tls/ca.crt"])
        if rc == 0:
            raise AssertionError("a client without a certificate was answered: %r" % out)
    h.check("%s: a plaintext client and a client without a certificate are refused" % label, refused)

    def backup_over_tls():
        cj = [o for o in objs if o["kind"] == "CronJob"][0]
        pod = c.run_job(cj, timeout=120)
        ok, codes = kubelet.job_result(pod)
        if not ok:
            raise AssertionError("backup job: %s\n%s" % (codes, pod.logs("backup")[-600:]))
        bdir = c.pvc_dir(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"][0]
                         ["persistentVolumeClaim"]["claimName"])
        kept = [x for x in os.listdir(bdir) if not x.startswith(".")]
        if len(kept) != 1 or not os.path.getsize(os.path.join(bdir, kept[0], "snapshot.db")):
            raise AssertionError("backups: %s" % kept)
    h.check("%s: the backup job's snapshot over TLS" % label, backup_over_tls)


def run(h):
    # The bundled install and a renamed one (another name and namespace), side by side.
    if not C.DAY2_ONLY:
        h.concurrently(lambda: scenario(h, "etcd", None, True),
                       lambda: scenario(h, "kv", "store", False))
        h.teardown()
    # metrics: etcd's own endpoint on the metrics port (no exporter).
    C.metrics_scenario(h, "etcd", "kvm", 2381, {"etcd_server_has_leader": 1.0,
                                                "etcd_server_is_leader": 1.0})
    h.teardown()
    backup(h)
    h.teardown()
    tls(h)
