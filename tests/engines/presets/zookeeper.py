"""zookeeper preset on Debian's zookeeper: one ensemble, probes, quorum loss, restart, resize."""

import os
import socket
import subprocess

import checks as C

ZKCLI = ["java", "-cp", "/usr/share/java/zookeeper.jar", "-Dzookeeper.root.logger=ERROR,CONSOLE",
         "-Dlog4j.configuration=file:/dev/null", "org.apache.zookeeper.ZooKeeperMain"]


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


def run(h):
    # The bundled install and a renamed one (another name and namespace), side by side.
    h.concurrently(lambda: scenario(h, "zookeeper", None, True),
                   lambda: scenario(h, "zk", "coord", False))
