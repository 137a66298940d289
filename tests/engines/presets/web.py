"""web preset on Debian's nginx: ordered start, each pod serving its own volume, partition."""

import http.client
import os
import socket

import checks as C


def get(ip, path="/", port=80):
    c = http.client.HTTPConnection(ip, port, timeout=3)
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


def metrics(h):
    """metrics.enabled: nginx-prometheus-exporter (Debian's 0.11 here) scrapes the loopback
    stub_status server the preset adds; each pod's metrics port shows nginx_up 1 and the
    connection counters, which follow the requests nginx serves."""
    def counts(c, pods, label):
        def follows():
            p = pods[0]
            before = C.metric_values(C.scrape(p, 9113), "nginx_connections_accepted")[0]
            for _ in range(5):
                get(p.ip)
            after = C.metric_values(C.scrape(p, 9113), "nginx_connections_accepted")[0]
            # The exporter's own scrape of stub_status is a connection too: at least 5 more.
            if after - before < 5:
                raise AssertionError("nginx_connections_accepted %s -> %s after 5 requests" % (before, after))
        h.check("%s: nginx_connections_accepted grows with the requests served" % label, follows)

        def loopback_only():
            p = pods[0]
            rc, out, err = p.exec(p.name.rsplit("-", 1)[0], ["curl", "-s", "http://127.0.0.1:8080/stub_status"])
            if rc != 0 or "Active connections" not in out:
                raise AssertionError("stub_status inside the pod: rc %d %r %s" % (rc, out, err))
            try:
                http.client.HTTPConnection(p.ip, 8080, timeout=3).request("GET", "/stub_status")
            except OSError:
                return True
            raise AssertionError("stub_status answers on the pod IP %s:8080" % p.ip)
        h.check("%s: stub_status answers on the pod's loopback, not on its IP" % label, loopback_only)
    C.metrics_scenario(h, "web", "webm", 9113, {"nginx_up": 1.0, "nginx_connections_active": None},
                       replicas=2, extra=counts)


def backup(h):
    """A tar of web-0's content claim, mounted read-only by the CronJob's pod (the same
    directory the pod serves); restored with tar in a fresh install's pod (docs/DAY2.md)."""
    import subprocess
    page = "backed up from web-0\n"

    def write(c, pods):
        d = c.claim_dir("www", pods[0].name)
        os.makedirs(os.path.join(d, "css"), exist_ok=True)
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write(page)
        with open(os.path.join(d, "css", "site.css"), "w") as f:
            f.write("body { color: black }\n")
        # As mkfs leaves it on an ext4 volume: unreadable to the job, which must skip it.
        os.makedirs(os.path.join(d, "lost+found"), mode=0o700, exist_ok=True)
        os.chmod(os.path.join(d, "lost+found"), 0o700)
        put_page(c, pods[1])       # other content on web-1: not what is backed up
        st, body = get(pods[0].ip)
        if (st, body) != (200, page):
            raise AssertionError("%s serves %s %r" % (pods[0].name, st, body))
        return True

    def restore(h, c2, claim, newest):
        c2.start(timeout=60)
        pod = list(c2.pods.values())[0]
        with open(os.path.join(newest, "www.tar.gz"), "rb") as f:
            data = f.read()
        listing = subprocess.run(["tar", "-tzf", os.path.join(newest, "www.tar.gz")],
                                 capture_output=True, text=True, check=True).stdout.split()
        if "index.html" not in listing or any("lost+found" in x for x in listing):
            raise AssertionError("the backup holds %s" % listing)
        # docs/DAY2.md: kubectl exec -i <name>-0 -- tar -xzf - -C /usr/share/nginx/html < www.tar.gz
        rc, out, err = pod.exec(pod.name.rsplit("-", 1)[0],
                                ["tar", "-xzf", "-", "-C", "/usr/share/nginx/html"], stdin=data)
        if rc != 0:
            raise AssertionError("tar -x in %s: rc %d %s" % (pod.name, rc, err.strip()))

    def read(c2, pods):
        st, body = get(pods[0].ip)
        if (st, body) != (200, page):
            raise AssertionError("restored %s serves %s %r" % (pods[0].name, st, body))
        st, body = get(pods[0].ip, "/css/site.css")
        if st != 200 or "color" not in body:
            raise AssertionError("restored %s serves /css/site.css as %s %r" % (pods[0].name, st, body))
    C.backup_scenario(h, "web", "webb", 2, None, write, read, restore)


def tls(h):
    """tls.issuer (with metrics on too): the Certificate's Secret made with openssl, as
    cert-manager would; the web port is 443 with https only; a client with the CA gets the page
    under the Certificate's names, verified; plaintext gets no page; the probes work over TLS."""
    import ssl
    name, ns = "webt", "sec"
    objs = h.render("web", name=name, namespace=ns, replicas=2,
                    sets=["tls.issuer=test-ca", "metrics.enabled=true"], env=C.SEED)
    label = "%s/%s tls" % (ns, name)

    def wiring():
        svc = [o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] in (name, name + "-read")]
        ports = sorted({(p["name"], p["port"]) for s in svc for p in s["spec"]["ports"]})
        if ports != [("web", 443)]:
            raise AssertionError("the Services' ports are %s" % ports)
        np = [o for o in objs if o["kind"] == "NetworkPolicy"][0]
        opened = {p["port"] for r in np["spec"]["ingress"] for p in r.get("ports", [])}
        if 443 not in opened or 80 in opened:
            raise AssertionError("the NetworkPolicy opens %s" % sorted(opened))
    h.check("%s: the web Services and the NetworkPolicy on 443 only" % label, wiring)
    if not h.check("%s: the Certificate's Secret issued from a test CA (openssl)" % label,
                   lambda: objs.append(C.tls_secret(objs, h.tmp)) or True):
        return
    c = h.cluster(objs, name)
    if not h.check("%s: both pods ready (probes over https)" % label, c.start, timeout=60):
        return
    pods = list(c.pods.values())
    for p in pods:
        put_page(c, p)
    ca = os.path.join(h.tmp, "pki-%s-tls" % name, "ca.crt")

    def https_get(ip, host, cafile=ca):
        """GET / from `ip` as a client that asked for `host` (its SNI and the name verified),
        the address being what a resolver would give for it."""
        ctx = ssl.create_default_context(cafile=cafile)
        conn = http.client.HTTPSConnection(ip, 443, timeout=5, context=ctx)
        conn.sock = ctx.wrap_socket(socket.create_connection((ip, 443), timeout=5), server_hostname=host)
        try:
            conn.request("GET", "/", headers={"Host": host})
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()

    def verified():
        for p in pods:
            for host in ("%s.%s.%s.svc.cluster.local" % (p.name, name, ns), "%s.%s" % (p.name, name),
                         "%s-read.%s.svc" % (name, ns)):
                st, body = https_get(p.ip, host)
                if (st, body) != (200, "served by %s\n" % p.name):
                    raise AssertionError("https://%s/ (%s): %s %r" % (host, p.ip, st, body))
    h.check("%s: a client with the CA gets each pod's page under the Certificate's names, verified" % label,
            verified)

    def in_cluster():
        # From a pod, by name (its /etc/hosts), as a client in the cluster would.
        for host in ("%s-1.%s" % (name, name), "%s-read" % name):
            rc, out, err = pods[0].exec(name, ["curl", "-s", "--fail", "--cacert", "/etc/tls/ca.crt",
                                               "https://%s/" % host])
            if rc != 0 or "served by" not in out:
                raise AssertionError("curl --cacert https://%s/: rc %d %r %s" % (host, rc, out, err.strip()))
    h.check("%s: curl --cacert from a pod gets the page by the Service and pod names" % label, in_cluster)

    def rejected():
        p = pods[0]
        try:
            https_get(p.ip, "not-in-the-certificate.example")
        except ssl.SSLCertVerificationError:
            pass
        else:
            raise AssertionError("a name the Certificate does not hold was accepted")
        try:
            https_get(p.ip, "%s.%s" % (p.name, name), cafile=None)
        except ssl.SSLCertVerificationError:
            pass
        else:
            raise AssertionError("a client without the CA accepted the certificate")
    h.check("%s: another name, or a client without the CA, fails verification" % label, rejected)

    def plaintext():
        p = pods[0]
        st, body = get(p.ip, port=443)
        if st != 400 or "served by" in body:
            raise AssertionError("plain HTTP to 443: %s %r" % (st, body[:200]))
        try:
            get(p.ip)
        except ConnectionRefusedError:
            return True
        raise AssertionError("port 80 still answers")
    h.check("%s: plain HTTP to 443 gets 400 and no page; nothing listens on 80" % label, plaintext)
    h.check("%s: every probe passes 20/20 over TLS" % label, C.probes_pass, pods[1], 20)
    h.check("%s: the https probes fail on a stopped nginx" % label, C.probes_fail_stopped, pods[1], name, True)
    h.check("%s: pod back after the stop" % label, c.wait_ready, 30)
    h.check("%s: metrics on beside TLS: nginx_up 1" % label, C.metrics_show, pods[0], 9113, {"nginx_up": 1.0})


def run(h):
    # The bundled install and a renamed one (another name and namespace), side by side.
    if not C.DAY2_ONLY:
        h.concurrently(lambda: scenario(h, "web", None, True),
                       lambda: scenario(h, "site", "www", False))
        h.teardown()
    metrics(h)
    h.teardown()
    backup(h)
    h.teardown()
    tls(h)
