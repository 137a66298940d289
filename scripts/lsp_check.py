#!/usr/bin/env python3
"""The committed profile schema in yaml-language-server itself, spoken to over LSP (stdio).

Usage: lsp_check.py SERVER_CMD... -- SCHEMA STARTER
  SERVER_CMD  how to start the server (e.g. node_modules/.bin/yaml-language-server --stdio)
  SCHEMA      the schema file (schema/profile.schema.json)
  STARTER     a profile from `sts-gen init PRESET`, whose modeline is pointed at SCHEMA

Documents are variations of the starter: each check finds the line it changed by searching
the text, so the expected line is where the edit was made, not a number written here.
Prints one line per check and exits 1 if any fails.
"""
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading

TIMEOUT = 60


class Server:
    """A minimal LSP client: framing, requests, and answers to the server's own requests."""

    def __init__(self, cmd, settings):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.settings = settings
        self.next_id = 0
        self.responses = {}
        self.diagnostics = {}
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.events.put(("eof", None))
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.events.put(("msg", json.loads(out.read(length))))

    def _handle(self, msg):
        if "id" in msg and "method" in msg:  # a request from the server
            result = None
            if msg["method"] == "workspace/configuration":
                result = [self.settings.get(i.get("section"), None)
                          for i in msg["params"]["items"]]
            self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        elif "id" in msg:
            self.responses[msg["id"]] = msg
        elif msg.get("method") == "textDocument/publishDiagnostics":
            p = msg["params"]
            self.diagnostics[p["uri"]] = p["diagnostics"]

    def pump(self, until):
        while not until():
            try:
                kind, msg = self.events.get(timeout=TIMEOUT)
            except queue.Empty:
                raise SystemExit("[lsp-check] ERROR: yaml-language-server did not answer in time")
            if kind == "eof":
                raise SystemExit("[lsp-check] ERROR: yaml-language-server exited")
            self._handle(msg)

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        self.pump(lambda: rid in self.responses)
        resp = self.responses.pop(rid)
        if "error" in resp:
            raise SystemExit(f"[lsp-check] ERROR: {method}: {resp['error']}")
        return resp["result"]

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def open(self, uri, text):
        self.diagnostics.pop(uri, None)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text}})

    def diagnostics_of(self, uri):
        self.pump(lambda: uri in self.diagnostics)
        return self.diagnostics[uri]

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def line_of(text, needle):
    """0-based line of the first line starting with needle (asserted to exist); comments
    (the starter's mention `preset: ` too) never match."""
    for i, line in enumerate(text.splitlines()):
        if line.startswith(needle):
            return i
    raise SystemExit(f"[lsp-check] ERROR: the starter has no line with {needle!r}")


def edit(text, pattern, repl):
    new, n = re.subn(pattern, repl, text, count=1, flags=re.M)
    if n != 1:
        raise SystemExit(f"[lsp-check] ERROR: the starter has no line matching {pattern!r}")
    return new


def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    cmd, (schema, starter) = argv[:sep], argv[sep + 1:]
    schema = os.path.abspath(schema)
    base = open(starter).read()
    # The modeline `sts-gen init` writes, pointed at the local schema file.
    base = edit(base, r"^# yaml-language-server: \$schema=.*$",
                f"# yaml-language-server: $schema={schema}")
    work = tempfile.mkdtemp(prefix="lsp-check-")
    settings = {"yaml": {"validate": True, "completion": True, "hover": True,
                         "schemaStore": {"enable": False}, "format": {"enable": False}}}
    srv = Server(cmd, settings)
    srv.request("initialize", {
        "processId": os.getpid(), "rootUri": f"file://{work}",
        "capabilities": {
            "workspace": {"configuration": True},
            "textDocument": {"publishDiagnostics": {},
                             "completion": {"completionItem": {"snippetSupport": False}}}},
        "initializationOptions": {}})
    srv.notify("initialized", {})
    srv.notify("workspace/didChangeConfiguration", {"settings": settings})

    failures = 0

    def check(name, ok, detail):
        nonlocal failures
        print(f"[lsp-check] {'ok  ' if ok else 'FAIL'} {name}: {detail}")
        failures += 0 if ok else 1

    def doc(name, text):
        path = os.path.join(work, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        uri = f"file://{path}"
        srv.open(uri, text)
        return uri

    def summary(diags):
        return [(d["range"]["start"]["line"] + 1, d["message"].splitlines()[0]) for d in diags]

    # The starter itself: no diagnostics (so the ones below come from the edits).
    d = srv.diagnostics_of(doc("starter", base))
    check("starter", d == [], f"{len(d)} diagnostics {summary(d)}")

    def diag_at(name, text, needle, words):
        want = line_of(text, needle)
        diags = srv.diagnostics_of(doc(name, text))
        hit = [x for x in diags if x["range"]["start"]["line"] == want
               and all(w.lower() in x["message"].lower() for w in words)]
        check(name, bool(hit) and len(diags) == len(hit),
              f"want {words} at line {want + 1}; got {summary(diags)}")

    diag_at("misspelt-key", edit(base, r"^replicas:", "replcas:"), "replcas:",
            ["replcas", "not allowed"])
    diag_at("wrong-type", edit(base, r"^replicas: *[0-9]+", "replicas: three"),
            "replicas: three", ["type", "integer"])
    # storage without its required size: reported on the `storage` mapping.
    missing = edit(base, r"^(storage:\n)  size: .*\n", r"\1  className: fast\n")
    diag_at("missing-required-key", missing, "storage:", ["missing", "size"])

    def complete(name, text, line, character):
        uri = doc(name, text)
        srv.diagnostics_of(uri)
        res = srv.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        items = res["items"] if isinstance(res, dict) else (res or [])
        return {i["label"] for i in items}

    # A key position: a new top-level line after `kind: Profile` (keys already in the
    # document are not offered again, so `replicas` is taken out).
    keys = edit(base, r"^replicas:.*\n", "")
    at = line_of(keys, "kind: Profile") + 1
    keys = keys.splitlines()
    keys.insert(at, "")
    labels = complete("key-completion", "\n".join(keys) + "\n", at, 0)
    want = {"replicas", "podManagementPolicy", "resources"}
    check("key-completion", want <= labels,
          f"want {sorted(want)} among {len(labels)} items; missing {sorted(want - labels)}")

    # An enum value: `preset: ` with the cursor after the colon.
    text = edit(base, r"^preset: .*$", "preset: ")
    at = line_of(text, "preset: ")
    labels = complete("enum-completion", text, at, len("preset: "))
    presets = set(os.environ.get("PRESETS", "").split())
    check("enum-completion", bool(presets) and presets <= labels,
          f"want the {len(presets)} preset names; got {sorted(labels)}")

    srv.close()
    print(f"[lsp-check] {'ok' if failures == 0 else f'{failures} checks failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
