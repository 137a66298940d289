#!/usr/bin/env bash
# Idempotently set up the Python tooling used by scripts/conformance.sh:
# a virtualenv at .venv/ (repo root, git-ignored) holding kubernetes-validate
# and PyYAML at pinned versions.
#
# kubernetes-validate 1.37.0 bundles strict and non-strict JSON schemas for
# Kubernetes 1.25.0 through 1.37.0, so it covers every version we validate
# against (1.29, 1.33, 1.37). Accepted -k forms: 1.37.0, 1.37, v1.37.0 (any
# patch is mapped to that minor's schemas).
#
# Environment:
#   CONFORMANCE_VENV  path of the virtualenv (default: <repo>/.venv)
#   PYTHON   interpreter used to create it (default: python3)
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0
PYYAML_VERSION=6.0.3
# Kubernetes minors whose schemas must be present in the installed package.
REQUIRED_KUBE_VERSIONS=(1.29.0 1.33.0 1.37.0)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${CONFORMANCE_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
VPY=$VENV/bin/python

log() { echo "[install-validators] $*"; }
die() { echo "[install-validators] ERROR: $*" >&2; exit 1; }

# True when the venv has exactly the pinned versions installed.
installed_ok() {
    [ -x "$VPY" ] || return 1
    "$VPY" - "$KUBERNETES_VALIDATE_VERSION" "$PYYAML_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("kubernetes-validate") == sys.argv[1]
assert version("PyYAML") == sys.argv[2]
import kubernetes_validate.utils, yaml  # noqa: F401  (importable, not just metadata)
EOF
}

if installed_ok; then
    log "kubernetes-validate $KUBERNETES_VALIDATE_VERSION and PyYAML $PYYAML_VERSION already in $VENV"
else
    # A venv whose interpreter no longer runs (e.g. its base Python went away)
    # or that lacks pip is rebuilt from scratch.
    if [ -e "$VENV" ] && ! "$VPY" -m pip --version >/dev/null 2>&1; then
        log "existing $VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -x "$VPY" ]; then
        command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; need Python 3 with the venv module"
        log "creating virtualenv $VENV with $("$PYTHON" --version 2>&1)"
        "$PYTHON" -m venv "$VENV" || die "'$PYTHON -m venv $VENV' failed (is the venv/ensurepip module installed?)"
    fi
    log "installing kubernetes-validate==$KUBERNETES_VALIDATE_VERSION PyYAML==$PYYAML_VERSION from PyPI"
    start=$SECONDS
    PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$VPY" -m pip install --quiet --timeout 60 --retries 5 \
        "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
        "PyYAML==$PYYAML_VERSION" </dev/null \
        || die "pip install failed"
    log "installed in $((SECONDS - start))s"
    installed_ok || die "installed packages do not match the pinned versions"
fi

# Sanity check: the CLI runs and has strict schemas for every required
# Kubernetes version (it silently falls back to older schemas, or fails with
# FATAL for newer ones, so check the version it reports back).
KV=$VENV/bin/kubernetes-validate
[ -x "$KV" ] || die "$KV missing"
got=$("$KV" --version)
[ "$got" = "$KUBERNETES_VALIDATE_VERSION" ] || die "kubernetes-validate --version says '$got', want $KUBERNETES_VALIDATE_VERSION"
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: install-validators-probe\n' >"$probe"
for v in "${REQUIRED_KUBE_VERSIONS[@]}"; do
    mm=${v%.*}
    out=$("$KV" --strict -k "$v" "$probe" 2>&1) || die "kubernetes-validate -k $v failed: $out"
    case "$out" in
        *"against version $mm"*) ;;
        *) die "kubernetes-validate has no schemas for Kubernetes $mm: $out" ;;
    esac
done
log "ok: $KV $got (strict schemas for ${REQUIRED_KUBE_VERSIONS[*]})"
