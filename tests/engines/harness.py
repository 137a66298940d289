"""Runs the per-preset checks of tests/engines/presets/*.py on the local kubelet.

Usage: python3 tests/engines/harness.py [preset ...]   (normally through tests/engines/run.sh)
Prints one line per check (PASS/FAIL/SKIP) and a final `N passed, M failed[, K skipped]`.
"""

import atexit
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kubelet  # noqa: E402
import images   # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
ALL = ["etcd", "redis", "web", "zookeeper", "postgresql", "mysql",
       "cassandra", "elasticsearch", "kafka", "mongodb"]
# Checked with apt-cache (Debian 12: no candidate) and the PyPI/npm package lists (clients and
# drivers only, no server): none of these has an engine that installs here.
NO_ENGINE = {p: "no engine in the reachable registries (no %s server package in Debian 12, "
               "PyPI or npm)" % p for p in ("cassandra", "elasticsearch", "kafka", "mongodb")}

# What each preset's engine needs on this machine (and the package it comes from).
ENGINE = {"etcd": ("/usr/bin/etcd", "etcd-server"), "redis": ("/usr/bin/redis-server", "redis-server"),
          "web": ("/usr/sbin/nginx", "nginx"), "zookeeper": ("/usr/share/java/zookeeper.jar", "zookeeper"),
          "postgresql": ("/usr/lib/postgresql", "postgresql"), "mysql": ("/usr/sbin/mariadbd", "mariadb-server")}


class Harness:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.clusters = []
        self.tmp = tempfile.mkdtemp(prefix="sts-engines-")
        self.sts_gen = os.environ.get("STS_GEN") or os.path.join(ROOT, "target/release/sts-gen")
        self.preset = None
        self.images = images
        import threading
        self.lock = threading.Lock()

    def line(self, s):
        print(s, flush=True)

    def check(self, name, fn, *a, **kw):
        """Run one check; an exception or a False result is a FAIL with its reason."""
        t0 = time.time()
        try:
            r = fn(*a, **kw)
            if r is False:
                raise AssertionError("returned False")
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            with self.lock:
                self.failed += 1
            msg = str(e).strip() or type(e).__name__
            self.line("FAIL %s: %s: %s" % (self.preset, name, msg.replace("\n", "\n    ")))
            if os.environ.get("STS_ENGINES_DEBUG"):
                traceback.print_exc()
                for cl in [x for x in self.clusters if x is not None]:
                    for pod in cl.pods.values():
                        for cn in list(pod.containers):
                            tail = pod.logs(cn).splitlines()[-int(os.environ["STS_ENGINES_DEBUG"]):]
                            self.line("\n".join("    %s/%s| %s" % (pod.name, cn, l) for l in tail))
            return False
        with self.lock:
            self.passed += 1
        self.line("PASS %s: %s (%.1fs)" % (self.preset, name, time.time() - t0))
        return True

    def concurrently(self, *fns):
        """Run scenarios side by side (e.g. the bundled and the renamed install: separate
        clusters on the same node), to keep the suite within its time budget."""
        import threading

        def guard(fn):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - reported as a failure, like check()
                with self.lock:
                    self.failed += 1
                self.line("FAIL %s: %s" % (self.preset, str(e).replace("\n", "\n    ")))
        ths = [threading.Thread(target=guard, args=(f,)) for f in fns]
        for t in ths:
            t.start()
        for t in ths:
            t.join()

    def skip(self, preset, reason):
        self.skipped += 1
        self.line("SKIP %s: %s" % (preset, reason))

    def render(self, profile, name=None, namespace=None, replicas=None, env=None, sets=()):
        """Render a preset name or a profile text; returns the list of objects."""
        if "\n" not in profile and ":" not in profile:
            text = "apiVersion: sts-gen/v1\nkind: Profile\npreset: %s\n" % profile
        else:
            text = profile
        if name:
            text += "name: %s\n" % name
        if namespace:
            text += "namespace: %s\n" % namespace
        args = [self.sts_gen, "render", "-", "-o", "json"]
        if replicas is not None:
            args += ["--set", "replicas=%d" % replicas]
        for s in sets:
            args += ["--set", s]
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run(args, input=text, capture_output=True, text=True, env=e)
        if r.returncode != 0:
            raise RuntimeError("sts-gen render failed: %s" % r.stderr.strip())
        return json.loads(r.stdout)["items"]

    def cluster(self, objects, label):
        """A Cluster in its own work dir, torn down at the end of the preset."""
        with self.lock:
            wd = os.path.join(self.tmp, "%s-%d" % (label, len(self.clusters)))
            self.clusters.append(None)
        c = kubelet.Cluster(objects, wd, images)
        with self.lock:
            self.clusters[self.clusters.index(None)] = c
        return c

    def teardown(self, c=None):
        cs = [c] if c else [x for x in self.clusters if x is not None]
        for cl in cs:
            try:
                cl.teardown()
            except Exception as e:  # noqa: BLE001
                self.line("teardown error: %s" % e)
            if cl in self.clusters:
                self.clusters.remove(cl)

    def cleanup(self):
        self.teardown()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv):
    kubelet.enter_node_namespace([sys.executable, os.path.abspath(__file__)] + argv)
    h = Harness()
    done = []

    def finish(*_):
        if not done:
            done.append(1)
            h.cleanup()

    def on_signal(sig, _frame):
        finish()
        print("interrupted", flush=True)
        os._exit(130)
    atexit.register(finish)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    wanted = argv or ALL
    t_all = time.time()
    try:
        for p in wanted:
            h.preset = p
            if p in NO_ENGINE:
                h.skip(p, NO_ENGINE[p])
                continue
            if p in ENGINE and not os.path.exists(ENGINE[p][0]):
                h.skip(p, "engine not installed (%s: package %s could not be installed)" % ENGINE[p])
                continue
            path = os.path.join(HERE, "presets", p + ".py")
            if not os.path.exists(path):
                h.check("checks exist", lambda: (_ for _ in ()).throw(
                    FileNotFoundError("no %s" % os.path.relpath(path, ROOT))))
                continue
            t0 = time.time()
            spec = importlib.util.spec_from_file_location("preset_" + p, path)
            mod = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(mod)
                mod.run(h)
            except Exception as e:  # noqa: BLE001
                h.failed += 1
                h.line("FAIL %s: %s" % (p, str(e).replace("\n", "\n    ")))
            finally:
                h.teardown()
            h.line("(%s: %.0fs)" % (p, time.time() - t0))
    finally:
        finish()
    s = "%d passed, %d failed" % (h.passed, h.failed)
    if h.skipped:
        s += ", %d skipped" % h.skipped
    print("(engines: %.0fs)" % (time.time() - t_all))
    print(s, flush=True)
    return 1 if h.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
