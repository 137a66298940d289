#!/usr/bin/env bash
# Conformance checks for every profile in profiles/*.yaml:
#
#   render          `sts-gen render P` succeeds and prints at least one object
#   validate-X.Y    every document passes `kubernetes-validate --strict` for
#                   Kubernetes X.Y (1.29, 1.33, 1.37); a document whose
#                   apiVersion/kind has no schema (typo, removed API, CRD) fails
#   json            `sts-gen render P -o json` is a v1 List whose items equal
#                   the stdout objects
#   kustomize       `sts-gen render P --output-dir D` writes one file per object
#                   plus kustomization.yaml (hidden files are ignored), and
#                   `kubectl kustomize D` prints the same set of objects as
#                   stdout mode
#
# Objects are compared as data (key order and YAML formatting do not matter),
# matched by (apiVersion, kind, namespace, name).
#
# Prints one PASS/FAIL line per profile per check and ends with the line
# `N passed, M failed`. Exits non-zero if anything failed.
#
# Environment:
#   STS_GEN             use this binary instead of building it (`cargo build --release --locked`)
#   KUBE_VERSIONS       space-separated Kubernetes versions (default "1.29.0 1.33.0 1.37.0")
#   KUBECTL             kubectl to use (default: kubectl on PATH)
#   KEEP_WORK=1         keep the temporary work directory for inspection
#   CONFORMANCE_VENV    virtualenv for the validators (default: <repo>/.venv)
#
# Profiles referencing `fromEnv: NAME` get a dummy value exported for NAME
# (unless NAME is already set in the environment).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Resolve an STS_GEN override against the caller's cwd before we cd.
if [ -n "${STS_GEN:-}" ]; then
    case "$STS_GEN" in
        */*) _d=$(cd "$(dirname "$STS_GEN")" 2>/dev/null && pwd) && STS_GEN=${_d%/}/$(basename "$STS_GEN") ;;
        *) STS_GEN=$(command -v "$STS_GEN" || echo "$STS_GEN") ;;
    esac
fi
cd "$ROOT"

read -r -a KUBE_VERSIONS <<<"${KUBE_VERSIONS:-1.29.0 1.33.0 1.37.0}"
KUBECTL=${KUBECTL:-kubectl}
VENV=${CONFORMANCE_VENV:-$ROOT/.venv}
export CONFORMANCE_VENV=$VENV
VPY=$VENV/bin/python
KV=$VENV/bin/kubernetes-validate

PASSED=0
FAILED=0
SUMMARY_DONE=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sts-gen-conformance.XXXXXX")
START=$SECONDS

summary() {
    SUMMARY_DONE=1
    echo "conformance: $((SECONDS - START))s"
    echo "$PASSED passed, $FAILED failed"
}

on_exit() {
    rc=$?
    if [ "$SUMMARY_DONE" = 0 ]; then
        # Aborted by an unexpected error: still end with the summary line.
        echo "FAIL conformance aborted unexpectedly (exit $rc)"
        FAILED=$((FAILED + 1))
        summary
        rc=1
    fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap on_exit EXIT

pass() { PASSED=$((PASSED + 1)); echo "PASS $1 $2"; }

# fail PROFILE CHECK [DETAIL_FILE]: report a failure, with up to 40 lines of
# detail indented below it.
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL $1 $2"
    if [ -n "${3:-}" ] && [ -s "$3" ]; then
        head -n 40 "$3" | sed 's/^/    /'
        n=$(wc -l <"$3")
        if [ "$n" -gt 40 ]; then echo "    ... ($((n - 40)) more lines in $3)"; fi
    fi
}

# A failure before any profile ran: report it and stop.
fatal() {
    echo "FAIL setup: $*"
    FAILED=$((FAILED + 1))
    summary
    exit 1
}

section() { echo; echo "== $* =="; }

# --- tools -----------------------------------------------------------------

section "tools"
if ! command -v "$KUBECTL" >/dev/null 2>&1; then
    fatal "kubectl not found (looked for '$KUBECTL' on PATH); it is needed for 'kubectl kustomize'. Install kubectl >= 1.14 or set KUBECTL=/path/to/kubectl"
fi
echo "kubectl: $(command -v "$KUBECTL") ($("$KUBECTL" version --client 2>/dev/null | head -n 1))"

if [ -z "${STS_GEN:-}" ]; then
    section "cargo build --release --locked (the shipped binary)"
    cargo build --release --locked || fatal "cargo build --release failed"
    STS_GEN=${CARGO_TARGET_DIR:-$ROOT/target}/release/sts-gen
    case "$STS_GEN" in /*) ;; *) STS_GEN=$ROOT/$STS_GEN ;; esac
fi
[ -x "$STS_GEN" ] || fatal "sts-gen binary not found or not executable: $STS_GEN"
echo "sts-gen: $STS_GEN"

section "validators"
bash "$ROOT/scripts/install-validators.sh" || fatal "scripts/install-validators.sh failed"

# --- helpers ---------------------------------------------------------------

# Data-level checks, run with the venv's python (PyYAML).
cat >"$WORK/objects.py" <<'PYEOF'
import difflib, json, os, sys
import yaml


def load_yaml_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def key(o):
    if not isinstance(o, dict):
        return ("?", "?", "?", json.dumps(o, sort_keys=True, default=str))
    md = o.get("metadata") or {}
    return (str(o.get("apiVersion", "")), str(o.get("kind", "")),
            str(md.get("namespace", "") or ""), str(md.get("name", "")))


def fmt(k):
    api, kind, ns, name = k
    return "%s %s %s" % (api, kind, (ns + "/" if ns else "") + name)


def dump(o):
    return json.dumps(o, indent=1, sort_keys=True, default=str).splitlines()


def index(objs, label, errors):
    out = {}
    for o in objs:
        k = key(o)
        if k in out:
            errors.append("%s: duplicate object %s" % (label, fmt(k)))
        out[k] = o
    return out


def compare(expected, actual, elabel, alabel):
    """Return a list of human-readable differences (empty if equal)."""
    errors = []
    e = index(expected, elabel, errors)
    a = index(actual, alabel, errors)
    for k in sorted(set(e) - set(a)):
        errors.append("only in %s: %s" % (elabel, fmt(k)))
    for k in sorted(set(a) - set(e)):
        errors.append("only in %s: %s" % (alabel, fmt(k)))
    for k in sorted(set(e) & set(a)):
        if e[k] != a[k]:
            errors.append("differs: %s" % fmt(k))
            diff = difflib.unified_diff(dump(e[k]), dump(a[k]), elabel, alabel, n=2, lineterm="")
            errors.extend("  " + line for line in list(diff)[:30])
    return errors


def cmd_count(path):
    objs = load_yaml_docs(path)
    bad = [o for o in objs if not (isinstance(o, dict) and o.get("apiVersion") and o.get("kind")
                                   and isinstance(o.get("metadata"), dict)
                                   and o["metadata"].get("name"))]
    if bad:
        print("documents without apiVersion/kind/metadata.name:")
        for o in bad[:5]:
            print("  " + json.dumps(o, default=str)[:200])
        return 1
    if not objs:
        print("no objects rendered")
        return 1
    print("%d objects" % len(objs))
    return 0


def cmd_json(stdout_yaml, json_path):
    with open(json_path) as f:
        try:
            lst = json.load(f)
        except ValueError as exc:
            print("-o json output is not valid JSON: %s" % exc)
            return 1
    if not isinstance(lst, dict) or lst.get("apiVersion") != "v1" or lst.get("kind") != "List":
        print("-o json output is not a v1 List (apiVersion=%r kind=%r)"
              % (lst.get("apiVersion") if isinstance(lst, dict) else None,
                 lst.get("kind") if isinstance(lst, dict) else None))
        return 1
    items = lst.get("items")
    if not isinstance(items, list):
        print("-o json List has no items array")
        return 1
    errors = compare(load_yaml_docs(stdout_yaml), items, "stdout", "json")
    print("\n".join(errors))
    return 1 if errors else 0


def cmd_kustomize(stdout_yaml, kustomize_yaml, out_dir):
    errors = []
    kfile = os.path.join(out_dir, "kustomization.yaml")
    with open(kfile) as f:
        kust = yaml.safe_load(f) or {}
    resources = kust.get("resources") or []
    # Hidden files (e.g. sts-gen's own bookkeeping) are not objects.
    files = sorted(n for n in os.listdir(out_dir)
                   if n != "kustomization.yaml" and not n.startswith("."))
    for n in files:
        p = os.path.join(out_dir, n)
        if os.path.isdir(p):
            errors.append("unexpected directory in output dir: %s" % n)
            continue
        if n not in resources:
            errors.append("file not listed in kustomization.yaml resources: %s" % n)
        docs = load_yaml_docs(p)
        if len(docs) != 1:
            errors.append("%s holds %d objects, want exactly 1" % (n, len(docs)))
    errors.extend(compare(load_yaml_docs(stdout_yaml), load_yaml_docs(kustomize_yaml),
                          "stdout", "kustomize"))
    print("\n".join(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"count": cmd_count, "json": cmd_json, "kustomize": cmd_kustomize}[cmd](*args))
PYEOF

# check_validate VERSION STDOUT_YAML LOG: strict schema validation.
# kubernetes-validate exits 0 when it finds no schema for an apiVersion/kind
# (it only prints WARN), so any WARN/ERROR/FATAL line counts as a failure.
check_validate() {
    local rc=0
    "$KV" --strict --quiet -k "$1" "$2" >"$3" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] || grep -Eq '^(WARN|ERROR|FATAL)' "$3"; then
        return 1
    fi
}

# --- profiles --------------------------------------------------------------

shopt -s nullglob
PROFILES=(profiles/*.yaml)
shopt -u nullglob
[ "${#PROFILES[@]}" -gt 0 ] || fatal "no profiles found in $ROOT/profiles/*.yaml"

for profile in "${PROFILES[@]}"; do
    name=$(basename "$profile" .yaml)
    section "profile $name ($profile)"
    d=$WORK/$name
    mkdir -p "$d"

    # Dummy values for `fromEnv: NAME` secrets (either `{fromEnv: NAME}` or a
    # block mapping), passed only to this profile's renders.
    envs=()
    while IFS= read -r var; do
        [ -n "$var" ] || continue
        if [ -z "${!var:-}" ]; then
            envs+=("$var=conformance-dummy-${var,,}-0123456789")
            echo "env: $var=<dummy>"
        else
            echo "env: $var=<from environment>"
        fi
    done < <(grep -oE "fromEnv:[[:space:]]*[\"']?[A-Za-z_][A-Za-z0-9_]*" "$profile" \
                 | sed -E "s/^fromEnv:[[:space:]]*[\"']?//" | sort -u || true)
    run_gen() { env ${envs[@]+"${envs[@]}"} "$STS_GEN" "$@"; }

    # render (stdout mode)
    rendered=0
    if run_gen render "$profile" >"$d/stdout.yaml" 2>"$d/render.log" \
        && "$VPY" "$WORK/objects.py" count "$d/stdout.yaml" >>"$d/render.log" 2>&1; then
        rendered=1
        pass "$name" "render ($(tail -n 1 "$d/render.log"))"
    else
        fail "$name" render "$d/render.log"
    fi

    # strict schema validation, one check per Kubernetes version
    for v in "${KUBE_VERSIONS[@]}"; do
        check="validate-$(echo "$v" | sed -E 's/^v//; s/^([0-9]+\.[0-9]+).*/\1/')"
        if [ "$rendered" = 0 ]; then
            fail "$name" "$check (not run: render failed)"
        elif check_validate "$v" "$d/stdout.yaml" "$d/$check.log"; then
            pass "$name" "$check"
        else
            fail "$name" "$check" "$d/$check.log"
        fi
    done

    # -o json is a v1 List of the same objects
    if [ "$rendered" = 0 ]; then
        fail "$name" "json (not run: render failed)"
    elif run_gen render "$profile" -o json >"$d/out.json" 2>"$d/json.log" \
        && "$VPY" "$WORK/objects.py" json "$d/stdout.yaml" "$d/out.json" >>"$d/json.log" 2>&1; then
        pass "$name" json
    else
        fail "$name" json "$d/json.log"
    fi

    # --output-dir + kubectl kustomize gives the same objects as stdout mode
    if [ "$rendered" = 0 ]; then
        fail "$name" "kustomize (not run: render failed)"
    elif ! run_gen render "$profile" --output-dir "$d/out" >"$d/kustomize.log" 2>&1; then
        fail "$name" "kustomize (render --output-dir failed)" "$d/kustomize.log"
    elif [ ! -f "$d/out/kustomization.yaml" ]; then
        echo "files written: $(ls -A "$d/out" 2>/dev/null | tr '\n' ' ')" >>"$d/kustomize.log"
        fail "$name" "kustomize (no kustomization.yaml in output dir)" "$d/kustomize.log"
    elif ! "$KUBECTL" kustomize "$d/out" >"$d/kustomize.yaml" 2>>"$d/kustomize.log"; then
        fail "$name" "kustomize (kubectl kustomize failed)" "$d/kustomize.log"
    elif "$VPY" "$WORK/objects.py" kustomize "$d/stdout.yaml" "$d/kustomize.yaml" "$d/out" \
        >>"$d/kustomize.log" 2>&1; then
        pass "$name" kustomize
    else
        fail "$name" "kustomize (output dir does not match stdout mode)" "$d/kustomize.log"
    fi
done

# --- sts-gen schema ---------------------------------------------------------
# Every bundled profile validates against `sts-gen schema` (what editors use through
# yaml-language-server), and a misspelt key does not.
section "profile JSON Schema"
if run_gen schema >"$WORK/schema.json" 2>"$WORK/schema.log" && "$VPY" - "$WORK/schema.json" "${PROFILES[@]}" >>"$WORK/schema.log" 2>&1 <<'PY'
import json, sys, jsonschema, yaml
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    for e in errors:
        print(f"{path}: {e.json_path}: {e.message}")
    bad += bool(errors)
wrong = {"apiVersion": "sts-gen/v1", "kind": "Profile", "name": "x", "replica": 3}
if not list(validator.iter_errors(wrong)):
    print("a profile with the unknown key `replica` passed the schema")
    bad += 1
sys.exit(1 if bad else 0)
PY
then
    pass schema profiles
else
    fail schema profiles "$WORK/schema.log"
fi

echo
summary
[ "$FAILED" -eq 0 ]
