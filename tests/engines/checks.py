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
