"""A local kubelet for tests: runs the pods of rendered StatefulSets on this machine.

Python 3 stdlib only; needs root, util-linux (unshare, nsenter, setpriv, mount) and iproute2.

Isolation, and why each piece is there:
- The harness runs in a private "node" namespace set (`enter_node_namespace`: new net, pid and
  mount namespaces). The pods' bridge lives there, so nothing touches the host's network, and
  when the harness (the pid namespace's first process) exits, the kernel kills every process
  it started: nothing can outlive a crash or Ctrl-C.
- Each pod: a pause process holding its own net/uts/ipc namespaces (hostname `<sts>-<i>`, an
  address on the node bridge, the pod's sysctls).
- Each container: its own mount namespace entered from the pod's namespaces. Its root is an
  overlay whose lower layer is the host's `/` and whose upper layer is a per-container
  directory, so mount points for volumes (and the image adaptations of images.py) are created
  in the upper layer, never on the host's real root. With readOnlyRootFilesystem the overlay is
  remounted read-only after the volumes are bound over it. /etc/hosts, /etc/hostname and an
  empty /etc/resolv.conf are per pod. The process runs chrooted there through
  `setpriv --reuid --regid --groups <fsGroup,...> --inh-caps=-all --bounding-set=-all
  --no-new-privs`.
- A container's processes are exactly those in its mount namespace; a pod's are those in its
  network namespace. stop/freeze/kill act on those sets, not on guessed process groups.

Differences from Kubernetes (kept on purpose, documented): a pod keeps its address across
restarts; a ClusterIP Service name resolves (through the per-pod hosts file) to the first ready
endpoint rather than to a virtual IP; no service-link env vars; crash-loop backoff is 1 s
doubling to 8 s instead of 10 s to 5 min; rolling updates of a changed template are not run.
"""

import base64
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import http.client

BRIDGE = "stsbr0"
NET = "10.77"          # pods get 10.77.<a>.<b>/16, the bridge 10.77.0.1
GATEWAY = NET + ".0.1"


def sh(*argv, check=True, input=None):
    r = subprocess.run(argv, input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: rc %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r


def enter_node_namespace(argv=None):
    """Re-exec this program in new net+pid+mount namespaces (the "node"), once.

    A shell is the pid namespace's init so orphans are reaped; when the program exits the
    shell exits and the kernel kills everything left in the namespace."""
    if os.environ.get("STS_ENGINES_NODE") == "1":
        return
    argv = argv or [sys.executable] + sys.argv
    env = dict(os.environ, STS_ENGINES_NODE="1")
    cmd = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--mount",
           "--propagation", "private", "--", "sh", "-c",
           '"$@"; rc=$?; exit $rc', "sh"] + argv
    os.execvpe("unshare", cmd, env)


_node_ready = False
_next_index = 10                 # pod address/interface numbers, node-wide
_alloc_lock = threading.Lock()


def setup_node():
    """The bridge in the node namespace (idempotent)."""
    global _node_ready
    with _alloc_lock:
        if _node_ready:
            return
        sh("ip", "link", "set", "lo", "up")
        if sh("ip", "link", "show", BRIDGE, check=False).returncode != 0:
            sh("ip", "link", "add", BRIDGE, "type", "bridge")
            sh("ip", "addr", "add", GATEWAY + "/16", "dev", BRIDGE)
            sh("ip", "link", "set", BRIDGE, "up")
        _node_ready = True


# ---------------------------------------------------------------- helpers

def expand(s, env):
    """$(VAR) expansion as the kubelet does it: $$ is $, unknown references stay as they are."""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c == "$" and i + 1 < n:
            d = s[i + 1]
            if d == "$":
                out.append("$"); i += 2; continue
            if d == "(":
                j = s.find(")", i + 2)
                if j < 0:
                    out.append(s[i:]); break
                name = s[i + 2:j]
                out.append(env[name] if name in env else "$(" + name + ")")
                i = j + 1; continue
            out.append("$" + d); i += 2; continue
        out.append(c); i += 1
    return "".join(out)


def pids_in_ns(kind, inode):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/%s" % (p, kind)) == inode:
                out.append(int(p))
        except OSError:
            pass
    return out


def ns_of(pid, kind):
    try:
        return os.readlink("/proc/%d/ns/%s" % (pid, kind))
    except OSError:
        return None


def signal_all(pids, sig):
    for p in pids:
        if p == os.getpid():
            continue
        try:
            os.kill(p, sig)
        except OSError:
            pass


def q(s):
    return shlex.quote(str(s))


def in_root(path):
    """`path` with its symlinks resolved as the container sees them (against the root's lower
    layer, the host's /), so a volume at /var/run/x (/var/run -> /run) is mounted inside the
    container's root, not at the host's /run/x. (Added for the postgresql/mysql presets.)"""
    parts, out, hops = [x for x in path.split("/") if x], "/", 0
    while parts:
        p = parts.pop(0)
        cand = os.path.join(out, p)
        if p == ".":
            continue
        if p == "..":
            out = os.path.dirname(out)
        elif os.path.islink(cand) and hops < 40:
            hops += 1
            t = os.readlink(cand)
            parts = [x for x in t.split("/") if x] + parts
            if t.startswith("/"):
                out = "/"
        else:
            out = cand
    return out


# ---------------------------------------------------------------- containers

class Container:
    def __init__(self, pod, spec, init=False):
        self.pod, self.spec, self.init = pod, spec, init
        self.name = spec["name"]
        self.proc = None
        self.mntns = None
        self.ready = False
        self.started = False        # startup probe passed (or none)
        self.restarts = 0
        self.stopping = False
        self.held = False           # engine stopped on purpose, container root kept
        self.env = {}
        self.log = os.path.join(pod.dir, self.name + ".log")
        self.lock = threading.Lock()
        self.threads = []

    # ----- spec
    def sec(self):
        s = dict(self.pod.spec.get("securityContext") or {})
        s.update(self.spec.get("securityContext") or {})
        return s

    def probe_spec(self, kind):
        return self.spec.get(kind + "Probe")

    def port(self, p):
        if isinstance(p, int) or str(p).isdigit():
            return int(p)
        for c in self.pod.spec.get("containers", []) + self.pod.spec.get("initContainers", []):
            for cp in c.get("ports") or []:
                if cp.get("name") == p:
                    return int(cp["containerPort"])
        raise ValueError("no port named %s" % p)

    def build_env(self):
        pod, c = self.pod, self.spec
        env = {}
        for ef in c.get("envFrom") or []:
            pre = ef.get("prefix", "")
            if "configMapRef" in ef:
                data = pod.cluster.configmap(ef["configMapRef"]["name"])
            else:
                data = pod.cluster.secret(ef["secretRef"]["name"])
            for k, v in data.items():
                env[pre + k] = v.decode() if isinstance(v, bytes) else v
        for e in c.get("env") or []:
            if "value" in e or "valueFrom" not in e:
                env[e["name"]] = expand(e.get("value", ""), env)
                continue
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                env[e["name"]] = pod.field(vf["fieldRef"]["fieldPath"])
            elif "configMapKeyRef" in vf:
                r = vf["configMapKeyRef"]
                env[e["name"]] = pod.cluster.configmap(r["name"])[r["key"]]
            elif "secretKeyRef" in vf:
                r = vf["secretKeyRef"]
                env[e["name"]] = pod.cluster.secret(r["name"])[r["key"]].decode()
            elif "resourceFieldRef" in vf:
                env[e["name"]] = "0"
        self.env = env
        return env

    def argv(self):
        img = self.pod.cluster.images.adapt(self.spec["image"])
        env = self.env
        cmd = [expand(a, env) for a in self.spec.get("command") or []]
        args = [expand(a, env) for a in self.spec.get("args") or []]
        if cmd:
            return cmd + args
        return list(img.get("entrypoint", [])) + (args or list(img.get("cmd", [])))

    def full_env(self):
        img = self.pod.cluster.images.adapt(self.spec["image"])
        e = {"HOSTNAME": self.pod.name, "HOME": "/"}
        e.update(img.get("env", {}))
        e.update(self.env)
        return e

    def user(self):
        s = self.sec()
        uid = s.get("runAsUser", 0)
        gid = s.get("runAsGroup", 0)
        ps = self.pod.spec.get("securityContext") or {}
        groups = [gid]
        if "fsGroup" in ps:
            groups.append(ps["fsGroup"])
        groups += ps.get("supplementalGroups") or []
        return uid, gid, sorted(set(groups))

    def setpriv(self):
        uid, gid, groups = self.user()
        return ["setpriv", "--reuid", str(uid), "--regid", str(gid),
                "--groups", ",".join(map(str, groups)),
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]

    # ----- root filesystem and process
    def setup_script(self):
        pod = self.pod
        img = pod.cluster.images.adapt(self.spec["image"])
        d = os.path.join(pod.dir, "ctr", self.name)
        if os.path.exists(d):
            shutil.rmtree(d)
        for sub in ("upper", "work", "root"):
            os.makedirs(os.path.join(d, sub))
        R = os.path.join(d, "root")
        L = ["set -e",
             "mount -t overlay overlay -o lowerdir=/,upperdir=%s,workdir=%s %s"
             % (q(d + "/upper"), q(d + "/work"), q(R))]
        for special in ("dev", "proc", "sys"):
            L.append("mount --rbind /%s %s/%s" % (special, q(R), special))
        # The image's files: binaries at the image's paths, entrypoint stand-ins, its config.
        for path, mode in img.get("dirs", {}).items():
            L.append("mkdir -p %s && chmod %o %s" % (q(R + path), mode, q(R + path)))
        for path, target in img.get("links", {}).items():
            L.append("mkdir -p %s && rm -rf %s && ln -s %s %s"
                     % (q(R + os.path.dirname(path)), q(R + path), q(target), q(R + path)))
        for path, (mode, text) in img.get("files", {}).items():
            src = os.path.join(d, "imgfile-" + path.strip("/").replace("/", "_"))
            with open(src, "w") as f:
                f.write(text)
            L.append("mkdir -p %s && rm -rf %s && cp %s %s && chmod %o %s"
                     % (q(R + os.path.dirname(path)), q(R + path), q(src), q(R + path), mode, q(R + path)))
        mounts = list(self.spec.get("volumeMounts") or [])
        # The image's declared VOLUMEs: the runtime gives each an anonymous writable volume.
        taken = {m["mountPath"] for m in mounts}
        for v in img.get("volumes", []):
            if v not in taken:
                mounts.append({"name": "__image" + v.replace("/", "_"), "mountPath": v})
        for m in sorted(mounts, key=lambda m: m["mountPath"].count("/")):
            src = pod.volume_path(m["name"])
            if m.get("subPath"):
                src = os.path.join(src, expand(m["subPath"], self.env))
                # As the kubelet: a missing subPath is created with the volume root's mode and
                # (setgid) group. (Added for the mysql preset, whose data volume uses one.)
                if not os.path.exists(src):
                    st = os.stat(pod.volume_path(m["name"]))
                    os.makedirs(src)
                    os.chown(src, 0, st.st_gid)
                    os.chmod(src, st.st_mode & 0o7777)
            dst = R + in_root(m["mountPath"])
            if os.path.isdir(src):
                L.append("rm -f %s 2>/dev/null || true; mkdir -p %s" % (q(dst), q(dst)))
            else:
                L.append("mkdir -p %s && touch %s" % (q(os.path.dirname(dst)), q(dst)))
            L.append("mount --bind %s %s" % (q(src), q(dst)))
            if m.get("readOnly") or pod.volume_readonly(m["name"]):
                L.append("mount -o remount,bind,ro %s" % q(dst))
        for f in ("hosts", "hostname", "resolv.conf"):
            L.append("touch %s/etc/%s && mount --bind %s %s/etc/%s"
                     % (q(R), f, q(os.path.join(pod.dir, f)), q(R), f))
        if self.sec().get("readOnlyRootFilesystem"):
            L.append("mount -o remount,bind,ro %s" % q(R))
        wd = self.spec.get("workingDir") or img.get("workdir", "/")
        inner = " ".join(q(a) for a in self.setpriv() + ["env", "-i"]
                         + ["%s=%s" % kv for kv in self.full_env().items()] + self.argv())
        # A holder process in the container's root keeps it enterable (exec, exec probes)
        # while the engine is stopped by `Pod.kill_engine`, as a stopped process would leave it.
        L.append("exec chroot %s sh -c %s" % (q(R), q("sleep infinity </dev/null >/dev/null 2>&1 & "
                                                      "cd %s && exec %s" % (q(wd), inner))))
        path = os.path.join(d, "setup.sh")
        with open(path, "w") as f:
            f.write("\n".join(L) + "\n")
        return path

    def run_once(self):
        """Start the process (returns at once)."""
        self.build_env()
        script = self.setup_script()
        logf = open(self.log, "ab")
        logf.write(("--- start %s (restart %d) at %.1f\n"
                    % (self.name, self.restarts, time.time())).encode())
        logf.flush()
        # The container's own stdio, as a runtime gives it: reopening /dev/stdout (images link
        # their log files there) must work for the container's uid.
        uid, gid, _ = self.user()
        os.chown(self.log, uid, gid)
        self.proc = subprocess.Popen(
            ["nsenter", "-t", str(self.pod.pause.pid), "-n", "-u", "-i", "--",
             "unshare", "--mount", "--propagation", "private", "--", "sh", script],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
            start_new_session=True)
        logf.close()
        # Every exec in the chain replaces the process; its mount ns identifies the container.
        deadline = time.time() + 5
        host_mnt = ns_of(os.getpid(), "mnt")
        self.mntns = None
        while time.time() < deadline and self.proc.poll() is None:
            m = ns_of(self.proc.pid, "mnt")
            if m and m != host_mnt:
                self.mntns = m
                break
            time.sleep(0.01)
        self.t_start = time.time()

    def pids(self):
        if not self.mntns:
            return [self.proc.pid] if self.proc and self.proc.poll() is None else []
        return pids_in_ns("mnt", self.mntns)

    def kill(self, grace):
        """preStop, SIGTERM, then SIGKILL of every process of the container after `grace` s."""
        if not self.proc or self.proc.poll() is not None:
            signal_all(self.pids(), signal.SIGKILL)
            return
        pre = ((self.spec.get("lifecycle") or {}).get("preStop") or {}).get("exec")
        t0 = time.time()
        if pre:
            self.exec(pre["command"], timeout=grace)
        signal_all(self.pids(), signal.SIGCONT)
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.proc.wait(max(0.1, grace - (time.time() - t0)))
        except subprocess.TimeoutExpired:
            pass
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            signal_all(left, signal.SIGKILL)
            time.sleep(0.05)
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass

    # ----- exec and probes
    def holder(self):
        if not self.mntns or not self.proc:
            return None
        for p in pids_in_ns("mnt", self.mntns):
            try:
                with open("/proc/%d/stat" % p) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd == b"sleep\0infinity\0" and ppid in (self.proc.pid, 1):
                return p
        return None

    def exec(self, argv, timeout=30, stdin=None):
        target = self.holder() if self.held else None
        if target is None:
            if not self.proc or self.proc.poll() is not None:
                return 126, "", "container %s is not running" % self.name
            target = self.proc.pid
        argv = [expand(a, self.env) for a in argv]
        cmd = (["nsenter", "-t", str(target), "-m", "-n", "-u", "-i", "-r", "-w", "--"]
               + self.setpriv() + ["env", "-i"]
               + ["%s=%s" % kv for kv in self.full_env().items()] + list(argv))
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(stdin.encode() if isinstance(stdin, str) else stdin,
                                     timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            out, err = p.communicate()
            return 124, out.decode(errors="replace"), err.decode(errors="replace") + "\n(timeout)"
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def probe(self, kind):
        spec = self.probe_spec(kind)
        if not spec:
            return True
        t = spec.get("timeoutSeconds", 1)
        ip = self.pod.ip
        try:
            if "exec" in spec:
                return self.exec(spec["exec"]["command"], timeout=t)[0] == 0
            if "tcpSocket" in spec:
                port = self.port(spec["tcpSocket"]["port"])
                with socket.create_connection((ip, port), timeout=t):
                    return True
            if "httpGet" in spec:
                g = spec["httpGet"]
                c = http.client.HTTPConnection(ip, self.port(g["port"]), timeout=t)
                try:
                    c.request("GET", g.get("path", "/"),
                              headers={h["name"]: h["value"] for h in g.get("httpHeaders") or []})
                    s = c.getresponse().status
                finally:
                    c.close()
                return 200 <= s < 400
            if "grpc" in spec:
                return False
        except (OSError, http.client.HTTPException):
            return False
        return False

    # ----- supervision (restartPolicy Always)
    def supervise(self):
        backoff = 1
        while not self.stopping:
            with self.lock:
                if self.stopping:
                    return
                self.started = self.probe_spec("startup") is None
                self.ready = False
                self.run_once()
                self.gen = getattr(self, "gen", 0) + 1
                gen = self.gen
            for kind in ("startup", "readiness", "liveness"):
                if self.probe_spec(kind):
                    t = threading.Thread(target=self.probe_loop, args=(kind, gen), daemon=True)
                    t.start()
            if not self.probe_spec("readiness"):
                self.ready = True
            t0 = time.time()
            self.exit_code = self.proc.wait()
            # As when a container's init process dies: the runtime kills the rest of it.
            self.kill_rest()
            self.ready = False
            self.pod.cluster.changed()
            if self.pod.spec.get("restartPolicy") == "Never":
                return        # a Job's pod: the container ran to completion (or failed)
            while self.held and not self.stopping:
                time.sleep(0.1)
            if self.stopping:
                return
            if time.time() - t0 > 30:
                backoff = 1
            self.restarts += 1
            time.sleep(backoff)
            backoff = min(backoff * 2, 8)

    def probe_loop(self, kind, gen):
        spec = self.probe_spec(kind)
        period = spec.get("periodSeconds", 10)
        fth = spec.get("failureThreshold", 3)
        sth = spec.get("successThreshold", 1)
        alive = lambda: not self.stopping and self.gen == gen and self.proc.poll() is None
        if kind != "startup":
            while alive() and not self.started:
                time.sleep(0.1)
        start = self.t_start if kind == "startup" else max(self.t_start, time.time() - 0)
        next_at = self.t_start + spec.get("initialDelaySeconds", 0)
        if kind != "startup":
            next_at = max(next_at, start)
        fails = succ = 0
        while alive():
            now = time.time()
            if now < next_at:
                time.sleep(min(0.1, next_at - now)); continue
            next_at = now + period
            ok = self.probe(kind)
            if not alive():
                return
            if ok:
                succ += 1; fails = 0
            else:
                fails += 1; succ = 0
            if kind == "startup":
                if ok:
                    self.started = True
                    return
                if fails >= fth:
                    self.restart_proc("startup probe failed")
                    return
            elif kind == "readiness":
                was = self.ready
                if ok and succ >= sth:
                    self.ready = True
                elif not ok and fails >= fth:
                    self.ready = False
                if was != self.ready:
                    self.pod.cluster.changed()
            elif kind == "liveness" and fails >= fth:
                self.restart_proc("liveness probe failed")
                return

    def kill_rest(self):
        keep = self.holder() if self.held else None
        for _ in range(20):
            left = [p for p in self.pids() if p != keep]
            if not left:
                return
            signal_all(left, signal.SIGKILL)
            time.sleep(0.05)

    def kill_engine(self):
        """Stop the engine (SIGKILL of the main process and the rest of the container) but
        keep the container's root for exec."""
        self.held = True
        h = self.holder()
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait(5)
        self.kill_rest()
        return h

    def resume(self):
        """Let the supervisor restart the container stopped by kill_engine."""
        signal_all([p for p in self.pids()], signal.SIGKILL)
        self.held = False

    def restart_proc(self, why):
        with open(self.log, "ab") as f:
            f.write(("--- kubelet: %s, killing %s\n" % (why, self.name)).encode())
        self.kill(self.pod.grace())


# ---------------------------------------------------------------- pods

class Pod:
    def __init__(self, cluster, sts, ordinal):
        self.cluster, self.sts, self.ordinal = cluster, sts, ordinal
        self.name = "%s-%d" % (sts["metadata"]["name"], ordinal)
        self.namespace = cluster.namespace_of(sts)
        self.spec = sts["spec"]["template"]["spec"]
        self.labels = dict(sts["spec"]["template"]["metadata"].get("labels") or {})
        self.labels["statefulset.kubernetes.io/pod-name"] = self.name
        self.labels["apps.kubernetes.io/pod-index"] = str(ordinal)
        self.dir = os.path.join(cluster.workdir, "pods", self.name)
        self.ip = cluster.ip_for(self.name)
        self.template = None        # the template the running pod was created from
        self.started_at = self.ready_at = None
        self.pause = None
        self.containers = {}
        self.inits = []
        self.running = False
        self.init_done = False
        self.threads = []

    # ----- identity
    def field(self, path):
        if path == "metadata.name":
            return self.name
        if path == "metadata.namespace":
            return self.namespace
        if path in ("status.podIP", "status.podIPs"):
            return self.ip
        if path in ("status.hostIP", "status.hostIPs"):
            return GATEWAY
        if path == "spec.nodeName":
            return "local-node"
        if path == "spec.serviceAccountName":
            return self.spec.get("serviceAccountName", "default")
        if path == "metadata.uid":
            return "uid-" + self.name
        if path.startswith("metadata.labels['"):
            return self.labels.get(path[len("metadata.labels['"):-2], "")
        raise ValueError("downward API field %s not supported" % path)

    def grace(self):
        return self.spec.get("terminationGracePeriodSeconds", 30)

    def headless(self):
        return self.sts["spec"].get("serviceName")

    # ----- volumes
    def volume(self, name):
        for v in self.spec.get("volumes") or []:
            if v["name"] == name:
                return v
        return None

    def volume_path(self, name):
        v = self.volume(name)
        if v and "persistentVolumeClaim" in v:      # a claim of its own (a Job's): node-wide dir
            return self.cluster.pvc_dir(v["persistentVolumeClaim"]["claimName"])
        return os.path.join(self.dir, "volumes", name) if v or name.startswith("__image") \
            else self.cluster.claim_dir(name, self.name)

    def volume_readonly(self, name):
        v = self.volume(name)
        return bool(v and ("secret" in v or "configMap" in v or "downwardAPI" in v or "projected" in v
                           or (v.get("persistentVolumeClaim") or {}).get("readOnly")))

    def fs_group(self):
        return (self.spec.get("securityContext") or {}).get("fsGroup")

    def own(self, path, mode):
        g = self.fs_group()
        if g is not None:
            os.chown(path, 0, g)
        os.chmod(path, mode)

    def write_projection(self, path, data, items, default_mode):
        os.makedirs(path, exist_ok=True)
        self.own(path, 0o755 | (0o2000 if self.fs_group() is not None else 0))
        pairs = [(i["key"], i["path"], i.get("mode", default_mode)) for i in items] if items \
            else [(k, k, default_mode) for k in data]
        for key, rel, mode in pairs:
            if key not in data:
                raise KeyError("key %s not found" % key)
            f = os.path.join(path, rel)
            os.makedirs(os.path.dirname(f), exist_ok=True)
            v = data[key]
            with open(f, "wb") as fh:
                fh.write(v if isinstance(v, bytes) else v.encode())
            # With fsGroup the kubelet makes the files group-readable by it.
            self.own(f, mode | (0o040 if self.fs_group() is not None else 0))

    def make_volumes(self, fresh):
        vdir = os.path.join(self.dir, "volumes")
        if fresh and os.path.exists(vdir):
            shutil.rmtree(vdir)
        os.makedirs(vdir, exist_ok=True)
        for v in self.spec.get("volumes") or []:
            p = os.path.join(vdir, v["name"])
            if "emptyDir" in v:
                if not os.path.exists(p):
                    os.makedirs(p)
                    self.own(p, 0o777 | (0o2000 if self.fs_group() is not None else 0))
            elif "configMap" in v:
                s = v["configMap"]
                self.write_projection(p, self.cluster.configmap(s["name"]), s.get("items"),
                                      s.get("defaultMode", 0o644))
            elif "secret" in v:
                s = v["secret"]
                self.write_projection(p, self.cluster.secret(s["secretName"]), s.get("items"),
                                      s.get("defaultMode", 0o644))
            elif "persistentVolumeClaim" in v:
                p = self.cluster.pvc_dir(v["persistentVolumeClaim"]["claimName"])
                if not os.path.exists(p):
                    os.makedirs(p)
                    self.own(p, 0o775 | (0o2000 if self.fs_group() is not None else 0))
            else:
                raise ValueError("volume type of %s not supported" % v["name"])
        imgs = set()
        for c in self.spec.get("initContainers", []) + self.spec["containers"]:
            for path in self.cluster.images.adapt(c["image"]).get("volumes", []):
                imgs.add("__image" + path.replace("/", "_"))
        for n in imgs:
            p = os.path.join(vdir, n)
            os.makedirs(p, exist_ok=True)
            self.own(p, 0o777)
        for t in self.sts["spec"].get("volumeClaimTemplates") or []:
            p = self.cluster.claim_dir(t["metadata"]["name"], self.name)
            if not os.path.exists(p):
                os.makedirs(p)
                self.own(p, 0o775 | (0o2000 if self.fs_group() is not None else 0))

    # ----- lifecycle
    def start(self):
        """Create the pod (as the StatefulSet controller does after a deletion)."""
        if self.running:
            return
        # The StatefulSet's current template, as the controller creates a pod from it.
        self.spec = self.sts["spec"]["template"]["spec"]
        self.template = json.dumps(self.sts["spec"]["template"], sort_keys=True)
        self.started_at, self.ready_at = time.time(), None
        os.makedirs(self.dir, exist_ok=True)
        self.make_volumes(fresh=True)
        with open(os.path.join(self.dir, "hostname"), "w") as f:
            f.write(self.name + "\n")
        with open(os.path.join(self.dir, "resolv.conf"), "w") as f:
            f.write("# names come from /etc/hosts (tests/engines/kubelet.py)\noptions ndots:1\n")
        with open(os.path.join(self.dir, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n")
        for p in ("hostname", "resolv.conf", "hosts"):
            os.chmod(os.path.join(self.dir, p), 0o644)
        self.pause = subprocess.Popen(["unshare", "--net", "--uts", "--ipc", "--", "sleep", "infinity"],
                                      start_new_session=True)
        host = ns_of(os.getpid(), "net")
        while ns_of(self.pause.pid, "net") in (None, host):
            time.sleep(0.01)
        self.netns = ns_of(self.pause.pid, "net")
        pid = str(self.pause.pid)
        sh("nsenter", "-t", pid, "-u", "hostname", self.name)
        veth = "v%d" % self.cluster.index_of(self.name)
        sh("ip", "link", "del", veth, check=False)
        # The pod keeps its address across restarts, so it keeps its MAC too: peers' neighbour
        # caches would otherwise point at the old interface for a while.
        n = self.cluster.index_of(self.name)
        mac = "02:42:0a:4d:%02x:%02x" % (n // 256, n % 256)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "address", mac, "netns", pid)
        sh("ip", "link", "set", veth, "master", BRIDGE, "up")
        sh("nsenter", "-t", pid, "-n", "sh", "-c",
           "ip link set lo up && ip addr add %s/16 dev eth0 && ip link set eth0 up"
           " && ip route add default via %s" % (self.ip, GATEWAY))
        for s in (self.spec.get("securityContext") or {}).get("sysctls") or []:
            sh("nsenter", "-t", pid, "-n", "sysctl", "-qw", "%s=%s" % (s["name"], s["value"]))
        self.running = True
        self.init_done = False
        self.cluster.changed()
        self.inits = [Container(self, c, init=True) for c in self.spec.get("initContainers") or []]
        self.containers = {c["name"]: Container(self, c) for c in self.spec["containers"]}
        t = threading.Thread(target=self._run, daemon=True)
        t.start()
        self.threads = [t]

    def _run(self):
        for c in self.inits:
            if (c.spec.get("restartPolicy") == "Always"):   # a native sidecar
                threading.Thread(target=c.supervise, daemon=True).start()
                while self.running and not c.started:
                    time.sleep(0.1)
                continue
            backoff = 1
            while self.running:
                c.run_once()
                rc = c.exit_code = c.proc.wait()
                if rc == 0 or not self.running:
                    break
                if self.spec.get("restartPolicy") == "Never":
                    return    # a Job's pod fails with its init container
                c.restarts += 1
                time.sleep(backoff)
                backoff = min(backoff * 2, 8)
            if not self.running:
                return
        self.init_done = True
        for c in self.containers.values():
            threading.Thread(target=c.supervise, daemon=True).start()

    @property
    def ready(self):
        return (self.running and self.init_done
                and all(c.ready and c.proc and c.proc.poll() is None for c in self.containers.values()))

    def stop(self):
        """Delete the pod: preStop and SIGTERM for every container, SIGKILL after the grace."""
        if not self.running:
            return
        self.running = False
        conts = list(self.containers.values()) + self.inits
        for c in conts:
            c.stopping = True
        ths = [threading.Thread(target=c.kill, args=(self.grace(),)) for c in conts]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        signal_all(pids_in_ns("net", self.netns), signal.SIGKILL)
        try:
            self.pause.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.cluster.changed()

    def restart(self):
        self.stop()
        self.start()

    def freeze(self):
        signal_all(pids_in_ns("net", self.netns), signal.SIGSTOP)

    def thaw(self):
        signal_all(pids_in_ns("net", self.netns), signal.SIGCONT)

    def container(self, name):
        if name in self.containers:
            return self.containers[name]
        for c in self.inits:
            if c.name == name:
                return c
        raise KeyError("pod %s has no container %s" % (self.name, name))

    def kill_engine(self, container):
        """The container's process stops (SIGKILL) and is not restarted until resume()."""
        return self.container(container).kill_engine()

    def resume(self, container):
        self.container(container).resume()

    def exec(self, container, argv, timeout=30, stdin=None):
        return self.container(container).exec(argv, timeout=timeout, stdin=stdin)

    def probe(self, container, kind):
        return self.container(container).probe(kind)

    def logs(self, container):
        try:
            with open(self.container(container).log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def pid(self, container):
        c = self.container(container)
        return c.proc.pid if c.proc and c.proc.poll() is None else None

    def status(self):
        parts = []
        for c in self.inits + list(self.containers.values()):
            state = "running" if c.proc and c.proc.poll() is None else (
                "exited %s" % c.proc.returncode if c.proc else "waiting")
            parts.append("%s:%s%s r%d" % (c.name, state, " ready" if c.ready else "", c.restarts))
        return "%s %s" % (self.name, ", ".join(parts))


# ---------------------------------------------------------------- cluster

def job_result(pod):
    """None while a Job's pod runs; else (succeeded, {container: exit code})."""
    codes = {c.name: getattr(c, "exit_code", None) for c in pod.inits + list(pod.containers.values())}
    failed_init = [c for c in pod.inits if getattr(c, "exit_code", None) not in (None, 0)]
    if failed_init:
        return False, codes
    if pod.init_done and all(getattr(c, "exit_code", None) is not None for c in pod.containers.values()):
        return all(v == 0 for v in codes.values()), codes
    return None


class Cluster:
    def __init__(self, objects, workdir, images, cluster_domain="cluster.local"):
        self.workdir = os.path.abspath(workdir)
        self.images = images
        self.domain = cluster_domain
        self.pods = {}
        self.jobs = []          # pods of run_job
        self.pvcs = {}          # claim name -> directory, for claims handed over
        self._ips = {}
        self._lock = threading.RLock()
        os.makedirs(os.path.join(self.workdir, "claims"), exist_ok=True)
        self._load(objects)
        setup_node()

    def _load(self, objects):
        if isinstance(objects, dict):
            objects = objects.get("items", [objects])
        self.objects = list(objects)
        by = lambda k: [o for o in self.objects if o.get("kind") == k]
        self.statefulsets = by("StatefulSet")
        self.services = by("Service")
        self._cms = {(self.namespace_of(o), o["metadata"]["name"]): o for o in by("ConfigMap")}
        self._secrets = {(self.namespace_of(o), o["metadata"]["name"]): o for o in by("Secret")}
        self.default_ns = self.namespace_of(self.statefulsets[0]) if self.statefulsets else "default"

    @staticmethod
    def namespace_of(o):
        return o["metadata"].get("namespace") or "default"

    def configmap(self, name):
        o = self._cms[(self.default_ns, name)]
        d = dict(o.get("data") or {})
        d.update({k: base64.b64decode(v) for k, v in (o.get("binaryData") or {}).items()})
        return d

    def secret(self, name):
        o = self._secrets[(self.default_ns, name)]
        d = {k: base64.b64decode(v) for k, v in (o.get("data") or {}).items()}
        d.update({k: v.encode() for k, v in (o.get("stringData") or {}).items()})
        return d

    def pvc_dir(self, claim):
        """A PersistentVolumeClaim of its own (the backup claim); the harness may hand one
        cluster's to another (`Cluster(..., claims=...)`), as a restore mounts a backup. A
        member's claim, named as the StatefulSet controller names it (<template>-<pod>), is
        that member's own directory: a pod mounting it (a backup job) shares the member's data,
        as a ReadWriteOnce volume is shared by pods on its node. (Added for the zookeeper
        backup, which reads a member's data claim, and used by the web backup, which reads web-0's
        content volume.)"""
        if claim in self.pvcs:
            return self.pvcs[claim]
        for sts in self.statefulsets:
            for t in sts["spec"].get("volumeClaimTemplates") or []:
                tname = t["metadata"]["name"]
                pod = claim[len(tname) + 1:]
                base, _, ordinal = pod.rpartition("-")
                if claim.startswith(tname + "-") and base == sts["metadata"]["name"] and ordinal.isdigit():
                    return self.claim_dir(tname, pod)
        return os.path.join(self.workdir, "claims", "pvc-" + claim)

    def run_job(self, cronjob, timeout=120):
        """Runs a CronJob's pod template once to completion, as the first pod of the Job the
        CronJob creates: init containers in order, then the containers, none restarted
        (restartPolicy Never). Returns the pod; `job_result(pod)` tells how it ended."""
        tmpl = cronjob["spec"]["jobTemplate"]["spec"]["template"]
        if tmpl["spec"].get("restartPolicy") != "Never":
            raise ValueError("the job's restartPolicy is not Never")
        fake = {"metadata": {"name": cronjob["metadata"]["name"],
                             "namespace": self.namespace_of(cronjob)},
                "spec": {"template": tmpl}}
        pod = Pod(self, fake, len(self.jobs))
        self.jobs.append(pod)
        pod.start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = job_result(pod)
            if r is not None:
                pod.stop()
                return pod
            time.sleep(0.2)
        pod.stop()
        raise TimeoutError("job %s did not finish in %ss: %s" % (pod.name, timeout, pod.status()))

    def claim_dir(self, template, pod):
        return os.path.join(self.workdir, "claims", "%s-%s" % (template, pod))

    def index_of(self, pod):
        with self._lock:
            if pod not in self._ips:
                # Node-wide: clusters that live at the same time share the bridge.
                with _alloc_lock:
                    global _next_index
                    self._ips[pod] = _next_index
                    _next_index += 1
            return self._ips[pod]

    def ip_for(self, pod):
        n = self.index_of(pod)
        return "%s.%d.%d" % (NET, n // 250, n % 250 + 2)

    # ----- names (per-pod /etc/hosts, rewritten in place when readiness changes)
    def hosts_text(self, pod):
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        ns, dom = pod.namespace, self.domain

        def forms(name, svc_or_none):
            if svc_or_none:
                base = [name + "." + svc_or_none]
            else:
                base = [name]
            b = base[0]
            return [b + "." + ns + ".svc." + dom, b + "." + ns + ".svc", b + "." + ns] + base
        own_svc = pod.headless()
        lines.append("%s\t%s" % (pod.ip, " ".join(forms(pod.name, own_svc) + [pod.name])))
        pods = [p for p in self.pods.values() if p.running]
        for svc in self.services:
            sel = svc["spec"].get("selector") or {}
            match = [p for p in pods if all(p.labels.get(k) == v for k, v in sel.items())]
            name = svc["metadata"]["name"]
            headless = svc["spec"].get("clusterIP") == "None"
            pnra = svc["spec"].get("publishNotReadyAddresses", False)
            eps = [p for p in match if p.ready or pnra]
            if headless:
                for p in eps:
                    if p.headless() == name and p is not pod:
                        lines.append("%s\t%s" % (p.ip, " ".join(forms(p.name, name))))
                for p in eps:
                    lines.append("%s\t%s" % (p.ip, " ".join(forms(name, None))))
            elif eps:
                # No virtual IP: the Service name is the first ready endpoint's address.
                lines.append("%s\t%s" % (eps[0].ip, " ".join(forms(name, None))))
        return "\n".join(lines) + "\n"

    def changed(self):
        with self._lock:
            for p in list(self.pods.values()) + self.jobs:
                if not p.running:
                    continue
                path = os.path.join(p.dir, "hosts")
                text = self.hosts_text(p)
                try:
                    with open(path) as f:
                        if f.read() == text:
                            continue
                    with open(path, "r+") as f:   # in place: the bind mounts keep the inode
                        f.write(text)
                        f.truncate()
                except FileNotFoundError:
                    pass

    # ----- controller
    def _replicas(self, sts):
        return sts["spec"].get("replicas", 1)

    def _ensure_pods(self, timeout):
        deadline = time.time() + timeout
        for sts in self.statefulsets:
            want = self._replicas(sts)
            ordered = sts["spec"].get("podManagementPolicy", "OrderedReady") == "OrderedReady"
            for i in range(want):
                name = "%s-%d" % (sts["metadata"]["name"], i)
                if name not in self.pods:
                    self.pods[name] = Pod(self, sts, i)
                else:
                    self.pods[name].sts = sts
                    self.pods[name].spec = sts["spec"]["template"]["spec"]
                p = self.pods[name]
                if not p.running:
                    p.start()
                if ordered:
                    self._wait([p], deadline)
            # Scale down: highest ordinal first.
            extra = sorted([p for p in self.pods.values() if p.sts["metadata"]["name"] == sts["metadata"]["name"]
                            and p.ordinal >= want], key=lambda p: -p.ordinal)
            for p in extra:
                p.stop()
                del self.pods[p.name]
            self._roll(sts, deadline)
        self.pods = dict(sorted(self.pods.items(), key=lambda kv: (kv[1].sts["metadata"]["name"], kv[1].ordinal)))
        self._wait(list(self.pods.values()), deadline)

    def _roll(self, sts, deadline):
        """RollingUpdate of a changed template: highest ordinal first, down to the partition,
        each replaced pod Ready (and every higher one healthy) before the next, as the
        StatefulSet controller does."""
        us = sts["spec"].get("updateStrategy") or {}
        if us.get("type", "RollingUpdate") != "RollingUpdate":
            return
        part = (us.get("rollingUpdate") or {}).get("partition", 0)
        tmpl = json.dumps(sts["spec"]["template"], sort_keys=True)
        mine = sorted([p for p in self.pods.values() if p.sts is sts], key=lambda p: -p.ordinal)
        for p in mine:
            if p.ordinal < part:
                break
            if p.template != tmpl:
                p.stop()
                p.start()
            self._wait([p], deadline)

    def _wait(self, pods, deadline):
        while time.time() < deadline:
            if all(p.ready for p in pods):
                now = time.time()
                for p in pods:
                    p.ready_at = p.ready_at or now
                return
            time.sleep(0.2)
        msg = ["pods not ready in time:"]
        for p in pods:
            msg.append("  " + p.status())
            for c in p.inits + list(p.containers.values()):
                tail = p.logs(c.name).splitlines()[-8:]
                msg += ["    %s| %s" % (c.name, l) for l in tail]
        raise TimeoutError("\n".join(msg))

    def start(self, timeout=120):
        self._ensure_pods(timeout)

    def wait_ready(self, timeout=60, pods=None):
        self._wait(pods or list(self.pods.values()), time.time() + timeout)

    def apply(self, new_objects, timeout=120):
        """A re-render: new ConfigMap/Secret data, Services and replica counts."""
        self._load(new_objects)
        for p in self.pods.values():
            if p.running:
                p.make_volumes(fresh=False)   # projected volumes follow their source
        self.changed()
        self._ensure_pods(timeout)

    def teardown(self):
        pods = [p for p in list(self.pods.values()) + self.jobs if p.running]
        ths = [threading.Thread(target=p.stop) for p in pods]
        for t in ths:
            t.start()
        for t in ths:
            t.join(timeout=90)
        for p in pods:
            if p.pause:
                signal_all(pids_in_ns("net", p.netns), signal.SIGKILL)
        shutil.rmtree(self.workdir, ignore_errors=True)
