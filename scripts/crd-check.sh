#!/usr/bin/env bash
# The custom resources sts-gen renders, against their CRDs' schemas (scripts/crd_check.mjs):
# cert-manager Certificates and Prometheus Operator ServiceMonitors/PodMonitors from the
# day-2 examples and from every bundled preset with metrics (both monitors) and TLS on.
# The validators come from npm (@kubernetes-models/cert-manager and /prometheus-operator,
# pinned; compiled from the projects' CRDs) into CRD_DIR (default <repo>/.crd-check).
# Environment: STS_GEN (the binary; default target/debug/sts-gen), CRD_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODELS_VERSION=6.0.0
DIR=${CRD_DIR:-$PWD/.crd-check}
BIN=${STS_GEN:-target/debug/sts-gen}
log() { echo "[crd-check] $*"; }
die() { echo "[crd-check] ERROR: $*" >&2; exit 1; }

scripts/ensure-npm.sh
installed() {
    grep -q "\"version\": \"$MODELS_VERSION\"" "$DIR/node_modules/@kubernetes-models/$1/package.json" 2>/dev/null
}
if ! installed cert-manager || ! installed prometheus-operator; then
    log "installing @kubernetes-models/{cert-manager,prometheus-operator}@$MODELS_VERSION into $DIR"
    mkdir -p "$DIR"
    (cd "$DIR" && npm install --silent --no-audit --no-fund --no-save \
        "@kubernetes-models/cert-manager@$MODELS_VERSION" \
        "@kubernetes-models/prometheus-operator@$MODELS_VERSION" >/dev/null)
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=scripts/preset-secrets.sh
source scripts/preset-secrets.sh
export_preset_secrets "$BIN" crd-check
export STS_GEN_SECRET_SEED=crd-check-seed-0123456789abcdef
lists=()
for p in examples/day2/*.yaml; do
    out="$WORK/$(basename "$p" .yaml).json"
    "$BIN" render "$p" -o json >"$out" 2>/dev/null || die "render $p failed"
    lists+=("$out")
done
for preset in $("$BIN" presets | awk '{print $1}'); do
    out="$WORK/$preset-all.json"
    if printf 'apiVersion: sts-gen/v1\nkind: Profile\npreset: %s\nname: x%s\nnamespace: crd\ncreateNamespace: false\n' \
        "$preset" "$preset" | "$BIN" render - -o json --set metrics.enabled=true \
        --set metrics.serviceMonitor=true --set metrics.podMonitor=true --set tls.issuer=ca \
        >"$out" 2>"$WORK/err"; then
        lists+=("$out")
    else
        die "$preset: not rendered with metrics, both monitors and TLS on: $(head -1 "$WORK/err")"
    fi
done
# The validators import their packages by name: run from the install directory.
cp scripts/crd_check.mjs "$DIR/crd_check.mjs"
(cd "$DIR" && node crd_check.mjs "${lists[@]}") || die "a custom resource fails its CRD's schema"
