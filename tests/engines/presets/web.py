"""web preset on Debian's nginx: ordered start, each pod serving its own volume, partition."""

import http.client
import os

import checks as C


def get(ip, path="/"):
    c = http.client.HTTPConnection(ip, 80, timeout=3)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def put_page(c, pod):
    """Content on the pod's claim, as a user would copy it to /usr/share/nginx/html."""
    d = c.claim_dir("www", pod.name)
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("served by %s\n" % pod.name)


def scenario(h, name, namespace, full):
    objs = h.render("web", name=name, namespace=namespace, replicas=3)
    c = h.cluster(objs, name)
    label = "%s/%s" % (namespace or "web", name)
    if not h.check("%s: all 3 pods ready" % label, c.start, timeout=60):
        return
    pods = list(c.pods.values())
    ctr = name

    def ordered():
        # OrderedReady: each pod is created only once its predecessor is Ready.
        for a, b in zip(pods, pods[1:]):
            if not (a.ready_at and b.started_at >= a.ready_at):
                raise AssertionError("%s started at %.1f before %s was ready (%s)"
                                     % (b.name, b.started_at, a.name, a.ready_at))
    h.check("%s: pods started one at a time, each after the previous was ready" % label, ordered)

    def own_volume():
        for p in pods:
            put_page(c, p)
        for p in pods:
            st, body = get(p.ip)
            if (st, body) != (200, "served by %s\n" % p.name):
                raise AssertionError("%s answers %s %r" % (p.name, st, body))
    h.check("%s: each pod serves the content of its own claim" % label, own_volume)

    def by_names():
        # From a pod: the read Service and a pod's stable name under the headless Service.
        for host in ("%s-read" % name, "%s-2.%s" % (name, name)):
            rc, out, err = pods[0].exec(ctr, ["python3", "-c",
                                               "import urllib.request,sys;"
                                               "print(urllib.request.urlopen('http://%s/',timeout=3).read().decode())" % host])
            if rc != 0 or "served by" not in out:
                raise AssertionError("GET http://%s/ from %s: %s %s" % (host, pods[0].name, out, err))
    h.check("%s: the read Service and <pod>.<name> names answer from inside a pod" % label, by_names)
    h.check("%s: runs as uid 10001 without capabilities, root read-only" % label,
            C.security, pods[1], ctr, 10001)
    h.check("%s: every probe passes 50/50 on a healthy pod" % label, C.probes_pass, pods[1], 50)
    if not full:
        return
    h.check("%s: probes fail on a frozen (SIGSTOP) pod" % label, C.probes_fail_frozen, pods[2])
    h.check("%s: probes fail on a stopped pod" % label, C.probes_fail_stopped, pods[2], ctr)
    h.check("%s: pod back after the stop" % label, c.wait_ready, 30)

    def restart_keeps_data():
        pods[1].restart()
        c.wait_ready(30)
        st, body = get(pods[1].ip)
        if body != "served by %s\n" % pods[1].name:
            raise AssertionError("after restart: %s %r" % (st, body))
    h.check("%s: a restarted pod serves its claim's content again" % label, restart_keeps_data)

    def scale():
        c.apply(h.render("web", name=name, namespace=namespace, replicas=4), timeout=45)
        p3 = c.pods["%s-3" % name]
        put_page(c, p3)
        if get(p3.ip)[1] != "served by %s-3\n" % name:
            raise AssertionError("the 4th pod does not serve its claim")
        if any(p.started_at > p3.started_at for p in pods):
            raise AssertionError("scaling restarted existing pods")
    h.check("%s: scale 3 -> 4 adds a pod with its own claim, others untouched" % label, scale)

    def partition():
        # A template change rolls only ordinals >= 1; web-0 keeps the old template.
        before = {p.name: p.started_at for p in c.pods.values()}
        c.apply(h.render("web", name=name, namespace=namespace, replicas=4,
                         sets=["env.GREETING=changed"]), timeout=60)
        moved = sorted(n for n, p in c.pods.items() if p.started_at != before[n])
        want = sorted("%s-%d" % (name, i) for i in (1, 2, 3))
        if moved != want:
            raise AssertionError("replaced %s, expected %s" % (moved, want))
        rc, out, _ = c.pods["%s-0" % name].exec(ctr, ["sh", "-c", 'echo "${GREETING-unset}"'])
        if out.strip() != "unset":
            raise AssertionError("%s-0 got the new template" % name)
    h.check("%s: a template change replaces ordinals >= 1 only (partition 1)" % label, partition)


def run(h):
    # The bundled install and a renamed one (another name and namespace), side by side.
    h.concurrently(lambda: scenario(h, "web", None, True),
                   lambda: scenario(h, "site", "www", False))
