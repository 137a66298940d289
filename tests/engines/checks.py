"""Checks shared by the presets' modules (tests/engines/presets/*.py)."""

import threading
import time

KINDS = ("readiness", "liveness", "startup")


def probes_of(pod):
    """[(container, kind)] for every probe of every (long-running) container of the pod."""
    return [(c, k) for c, ctr in pod.containers.items() for k in KINDS if ctr.probe_spec(k)]


def probes_pass(pod, runs=50):
    """Every probe of every container succeeds `runs` times in a row on a healthy member."""
    bad = []
    for c, k in probes_of(pod):
        fails = sum(1 for _ in range(runs) if not pod.probe(c, k))
        if fails:
            bad.append("%s %s probe failed %d of %d" % (c, k, fails, runs))
    if bad:
        raise AssertionError("%s: %s" % (pod.name, "; ".join(bad)))
    if not probes_of(pod):
        raise AssertionError("%s has no probes" % pod.name)


def probes_fail(pod, kinds=("readiness", "liveness"), containers=None):
    """Each probe (of `containers`, default all) fails; run side by side, as the kubelet's
    probe workers do."""
    todo = [(c, k) for c, k in probes_of(pod)
            if k in kinds and (containers is None or c in containers)]
    res = {}

    def one(c, k):
        res[(c, k)] = pod.probe(c, k)
    in_parallel(*[(lambda c=c, k=k: one(c, k)) for c, k in todo])
    bad = [ck for ck in todo if res[ck]]
    if bad:
        raise AssertionError("%s: probes still succeed: %s" % (pod.name, bad))


def probes_fail_frozen(pod):
    """SIGSTOP of every process of the pod: each probe fails (within its timeoutSeconds)."""
    pod.freeze()
    try:
        probes_fail(pod)
    finally:
        pod.thaw()


def probes_fail_stopped(pod, container, only_its_own=False):
    """The engine process stopped, its container root kept: each probe fails (with
    `only_its_own`, each of that container's probes: a sidecar's may rightly still pass)."""
    pod.kill_engine(container)
    try:
        probes_fail(pod, containers=[container] if only_its_own else None)
    finally:
        pod.resume(container)


def wait_for(fn, timeout, what, interval=0.5):
    """Poll fn() until it returns a true value; raise with `what` on timeout."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            r = fn()
            if r:
                return r
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s%s"
                         % (timeout, what, " (last error: %s)" % last if last else ""))


def status_field(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split()[1:]
    return None


def security(pod, container, uid):
    """The engine runs as the rendered uid without capabilities; a write to / fails."""
    c = pod.containers[container]
    sc = c.sec()
    want = sc.get("runAsUser")
    if want != uid:
        raise AssertionError("rendered runAsUser is %s, expected %s" % (want, uid))
    pids = [p for p in c.pids() if p != c.holder()]
    if not pids:
        raise AssertionError("no process")
    for p in pids:
        u = status_field(p, "Uid")
        if u is None:
            continue
        if set(u) != {str(uid)}:
            raise AssertionError("pid %d runs as uids %s" % (p, u))
        if status_field(p, "CapEff")[0].strip("0"):
            raise AssertionError("pid %d has capabilities %s" % (p, status_field(p, "CapEff")))
    if sc.get("readOnlyRootFilesystem") is not True:
        raise AssertionError("readOnlyRootFilesystem is not rendered")
    rc, out, err = pod.exec(container, ["sh", "-c", "echo x > /sts-probe-write && echo wrote"])
    if rc == 0 or "wrote" in out:
        raise AssertionError("a write to / succeeded")
    if "Read-only file system" not in err:
        raise AssertionError("write to / failed for another reason: %s" % err.strip())


def readiness_becomes(pod, container, want, timeout):
    return wait_for(lambda: pod.probe(container, "readiness") == want, timeout,
                    "%s readiness to be %s" % (pod.name, want))


def in_parallel(*fns):
    ths = [threading.Thread(target=f) for f in fns]
    for t in ths:
        t.start()
    for t in ths:
        t.join()


# STS_ENGINES_DAY2_ONLY=1: only the metrics and backup scenarios (a quicker run while working
# on those features).
import os as _os
DAY2_ONLY = _os.environ.get("STS_ENGINES_DAY2_ONLY") == "1"

SEED = {"STS_GEN_SECRET_SEED": "tests-engines-metrics-seed-0123456789"}


def scrape(pod, port, path="/metrics"):
    """GET the pod's metrics endpoint from the node, as Prometheus would (pod IP, port)."""
    import urllib.request
    with urllib.request.urlopen("http://%s:%d%s" % (pod.ip, port, path), timeout=10) as r:
        return r.read().decode()


def metric_values(text, name):
    """Values of the samples named `name` (any labels) in a Prometheus text exposition."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if head == name or head.startswith(name + "{"):
            out.append(float(value))
    return out


def metrics_show(pod, port, wants, path="/metrics"):
    """A scrape of the rendered metrics port has every `name: value` in `wants` (a sample of
    that name equal to the value), and the named engine metric (value None: present)."""
    def ok():
        text = scrape(pod, port, path)
        bad = []
        for name, want in wants.items():
            vals = metric_values(text, name)
            if not vals or (want is not None and want not in vals):
                bad.append("%s = %s (expected %s)" % (name, vals or "absent", want if want is not None else "present"))
        if bad:
            raise AssertionError("%s:%d%s: %s" % (pod.name, port, path, "; ".join(bad)))
        return True
    return wait_for(ok, 30, "metrics on %s:%d" % (pod.name, port), interval=1)


def metrics_objects(objs, name, port):
    """The rendered metrics Service targets `port`, and the NetworkPolicy admits it."""
    svc = [o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == name + "-metrics"]
    if not svc or svc[0]["spec"]["ports"][0]["port"] != port:
        raise AssertionError("no metrics Service %s-metrics on port %d: %s" % (name, port, svc))
    np = [o for o in objs if o["kind"] == "NetworkPolicy"]
    if not any(port in [p.get("port") for p in r.get("ports", [])] for r in np[0]["spec"]["ingress"]):
        raise AssertionError("the NetworkPolicy admits nothing on port %d" % port)


def metrics_scenario(h, preset, name, port, wants, env=None, replicas=1, extra=None):
    """Render `preset` with metrics on, run it, scrape each pod's metrics port and check the
    exporter's own container (probes, uid, no capabilities) when there is one."""
    e = dict(SEED)
    e.update(env or {})
    objs = h.render(preset, name=name, namespace="mon", replicas=replicas, env=e,
                    sets=["metrics.enabled=true", "metrics.serviceMonitor=true"])
    label = "mon/%s metrics" % name
    h.check("%s: a metrics Service on %d and a NetworkPolicy rule for it" % (label, port),
            metrics_objects, objs, name, port)
    c = h.cluster(objs, name)
    if not h.check("%s: %d pod(s) ready with metrics on" % (label, replicas), c.start, timeout=150):
        return None
    pods = list(c.pods.values())
    for p in pods:
        h.check("%s: a scrape of %s:%d shows %s" % (label, p.name, port,
                ", ".join("%s %s" % (k, "present" if v is None else int(v)) for k, v in wants.items())),
                metrics_show, p, port, wants)
    if "metrics" in pods[0].containers:
        h.check("%s: the exporter runs as uid 10001 without capabilities, root read-only" % label,
                security, pods[0], "metrics", 10001)
        h.check("%s: the exporter's probes pass 20/20" % label,
                lambda: probes_pass_of(pods[0], "metrics", 20))
    if extra:
        extra(c, pods, label)
    return c


def probes_pass_of(pod, container, runs):
    bad = [(k, sum(1 for _ in range(runs) if not pod.probe(container, k)))
           for c, k in probes_of(pod) if c == container]
    if not bad or any(n for _, n in bad):
        raise AssertionError("%s/%s probe failures (kind, failed runs): %s" % (pod.name, container, bad))


def backup_scenario(h, preset, name, replicas, env, write, read, restore, runs=3, keep=2):
    """Render `preset` with backups on (keep `keep`), run the CronJob's pod `runs` times against
    the running cluster, check what it wrote and pruned, then restore the newest backup into a
    fresh one-member install (`restore(h, objs_of_fresh, claim_dir, backup_dir)` prepares it and
    returns the started cluster) and `read` the data written before the backups."""
    import os
    e = dict(SEED)
    e.update(env or {})
    sets = ["backup.schedule=0 3 * * *", "backup.claim.size=1Gi", "backup.keep=%d" % keep]
    objs = h.render(preset, name=name, namespace="bk", replicas=replicas, env=e, sets=sets)
    label = "bk/%s backup" % name
    cj = [o for o in objs if o["kind"] == "CronJob"]

    def rendered():
        if len(cj) != 1:
            raise AssertionError("%d CronJobs rendered" % len(cj))
        spec = cj[0]["spec"]
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        if spec.get("concurrencyPolicy") != "Forbid":
            raise AssertionError("concurrencyPolicy %s" % spec.get("concurrencyPolicy"))
        for c in pod["initContainers"] + pod["containers"]:
            sc = c.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False or sc.get("readOnlyRootFilesystem") is not True \
                    or (sc.get("capabilities") or {}).get("drop") != ["ALL"] or not (c.get("resources") or {}).get("limits"):
                raise AssertionError("container %s: securityContext %s, resources %s" % (c["name"], sc, c.get("resources")))
        if (pod.get("securityContext") or {}).get("runAsNonRoot") is not True:
            raise AssertionError("pod securityContext %s" % pod.get("securityContext"))
        host = [v["value"] for c in pod["initContainers"] for v in c.get("env", []) if v["name"] == "BACKUP_HOST"]
        want = "%s-%d.%s" % (name, replicas - 1, name)
        if host != [want]:
            raise AssertionError("BACKUP_HOST %s, expected %s (the last ordinal)" % (host, want))
    if not h.check("%s: CronJob (Forbid, restricted contexts, limits, BACKUP_HOST %s-%d)"
                   % (label, name, replicas - 1), rendered):
        return
    c = h.cluster(objs, name)
    if not h.check("%s: %d pods ready" % (label, replicas), c.start, timeout=150):
        return
    pods = list(c.pods.values())
    if not h.check("%s: data written" % label, write, c, pods):
        return
    claim = cj[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
    bdir = c.pvc_dir(claim)
    import kubelet
    import time as _t

    def run_jobs():
        for i in range(runs):
            pod = c.run_job(cj[0], timeout=180)
            ok, codes = kubelet.job_result(pod)
            if not ok:
                logs = "\n".join("%s| %s" % (n, l) for n in codes for l in pod.logs(n).splitlines()[-6:])
                raise AssertionError("run %d failed: %s\n%s" % (i + 1, codes, logs))
            _t.sleep(1.1)        # backups are named by the second
        kept = sorted(x for x in os.listdir(bdir) if not x.startswith("."))
        if len(kept) != keep:
            raise AssertionError("after %d runs the claim holds %s, expected the newest %d" % (runs, kept, keep))
        newest = os.path.join(bdir, kept[-1])
        files = os.listdir(newest)
        if not files:
            raise AssertionError("the newest backup %s is empty" % newest)
        for f in files:
            st = os.stat(os.path.join(newest, f))
            if st.st_uid != 10001 or st.st_size == 0:
                raise AssertionError("%s: uid %d, %d bytes" % (f, st.st_uid, st.st_size))
        return True
    if not h.check("%s: the CronJob's pod runs %d times to completion; the claim keeps the newest %d, "
                   "written as uid 10001" % (label, runs, keep), run_jobs):
        return
    kept = sorted(x for x in os.listdir(bdir) if not x.startswith("."))
    # Read out of the claim (as `kubectl cp` would): the cluster's teardown removes its claims.
    import shutil
    newest = os.path.join(h.tmp, "backup-%s-%s" % (name, kept[-1]))
    shutil.copytree(os.path.join(bdir, kept[-1]), newest)
    h.teardown(c)
    fresh = name + "r"
    objs2 = h.render(preset, name=fresh, namespace="bk", replicas=1, env=e)
    sts = [o for o in objs2 if o["kind"] == "StatefulSet"][0]
    tmpl = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
    holder = {}

    def do_restore():
        c2 = h.cluster(objs2, fresh)
        holder["c"] = c2
        restore(h, c2, c2.claim_dir(tmpl, fresh + "-0"), newest)
        return True
    if not h.check("%s: restore the newest backup into a fresh one-member install %s" % (label, fresh), do_restore):
        return
    h.check("%s: %s-0 reads the data written before the backup" % (label, fresh),
            read, holder["c"], list(holder["c"].pods.values()))


def tls_secret(objs, workdir):
    """What cert-manager would write for the rendered Certificate: a CA (made here with
    openssl) and a certificate with the Certificate's DNS names, IPs and usages, as the Secret
    it names (tls.crt, tls.key, ca.crt)."""
    import base64
    import os
    import subprocess
    cert = [o for o in objs if o["kind"] == "Certificate"]
    if len(cert) != 1:
        raise AssertionError("%d Certificates rendered" % len(cert))
    spec = cert[0]["spec"]
    d = os.path.join(workdir, "pki-" + spec["secretName"])
    os.makedirs(d, exist_ok=True)

    def ssl(*args):
        r = subprocess.run(["openssl"] + list(args), cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("openssl %s: %s" % (args[0], r.stderr.strip()))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=sts-gen test CA", "-days", "2")
    ssl("req", *ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=" + spec["secretName"])
    # The key in the Certificate's encoding: openssl writes PKCS#8; cert-manager's default
    # (PKCS1) is the traditional form (SEC1 `EC PRIVATE KEY` for ECDSA).
    if (spec.get("privateKey") or {}).get("encoding", "PKCS1") != "PKCS8":
        ssl("pkey", "-in", "tls.key", "-traditional", "-out", "tls-trad.key")
        os.replace(os.path.join(d, "tls-trad.key"), os.path.join(d, "tls.key"))
    usages = {"server auth": "serverAuth", "client auth": "clientAuth"}
    sans = ["DNS:" + n for n in spec.get("dnsNames", [])] + ["IP:" + i for i in spec.get("ipAddresses", [])]
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=digitalSignature,keyEncipherment\n"
                % (",".join(sans), ",".join(usages[u] for u in spec.get("usages", []) if u in usages)))
    ssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tls.crt", "-days", "2", "-extfile", "ext.cnf")
    data = {}
    for k in ("tls.crt", "tls.key", "ca.crt"):
        with open(os.path.join(d, k), "rb") as f:
            data[k] = base64.b64encode(f.read()).decode()
    meta = {"name": spec["secretName"]}
    if cert[0]["metadata"].get("namespace"):
        meta["namespace"] = cert[0]["metadata"]["namespace"]
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": meta, "data": data}
