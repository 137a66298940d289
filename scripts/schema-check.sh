#!/usr/bin/env bash
# The profile and overlay JSON Schemas, checked with a standard external validator
# (check-jsonschema from PyPI, pinned; installed into a venv on first use):
#   - schema/profile.schema.json and schema/overlay.schema.json are what `sts-gen schema`
#     and `sts-gen schema --overlay` print;
#   - every bundled profile, every `sts-gen init PRESET` starter and examples/*.yaml pass;
#   - overlays pass the overlay schema (and a misspelt key in one does not);
#   - at least MIN_REJECTED of the bad profiles in tests/bad/ are rejected by the schema
#     alone, YAML parse failures not counted (the rest need the loader: a reference to an undeclared port, a request above
#     its limit...); the ones accepted are listed;
#   - `sts-gen lint -o sarif` logs are valid SARIF 2.1.0 (the published schema, from npm);
#   - the Certificates, ServiceMonitors and PodMonitors sts-gen renders pass their CRDs'
#     schemas (scripts/crd-check.sh);
#   - yaml-language-server, given the committed schema, gives the diagnostics and completions
#     an editor user needs (scripts/lsp-check.sh).
# Environment: STS_GEN (the binary; default target/debug/sts-gen; .ci/run sets the release one),
# SCHEMA_VENV (default <repo>/.venv-schema), MIN_REJECTED (default 45).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CHECK_JSONSCHEMA_VERSION=0.39.0
VENV=${SCHEMA_VENV:-$PWD/.venv-schema}
MIN_REJECTED=${MIN_REJECTED:-45}
BIN=${STS_GEN:-target/debug/sts-gen}
log() { echo "[schema-check] $*"; }
die() { echo "[schema-check] ERROR: $*" >&2; exit 1; }

CJ=$VENV/bin/check-jsonschema
if ! { [ -x "$CJ" ] && [ "$("$CJ" --version)" = "check-jsonschema, version $CHECK_JSONSCHEMA_VERSION" ]; }; then
    log "installing check-jsonschema==$CHECK_JSONSCHEMA_VERSION into $VENV"
    python3 -m venv "$VENV"
    PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install \
        --quiet --timeout 60 --retries 5 "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" </dev/null
fi
log "$("$CJ" --version)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" schema >"$WORK/profile.schema.json"
"$BIN" schema --overlay >"$WORK/overlay.schema.json"
for s in profile overlay; do
    cmp -s "$WORK/$s.schema.json" "schema/$s.schema.json" \
        || die "schema/$s.schema.json differs from \`sts-gen schema${s/profile/}\`; regenerate it (see schema/README.md)"
done
log "schema/*.schema.json are current"

good=(profiles/*.yaml examples/*.yaml examples/day2/*.yaml)
for preset in $("$BIN" presets | awk '{print $1}'); do
    "$BIN" init "$preset" >"$WORK/starter-$preset.yaml"
    good+=("$WORK/starter-$preset.yaml")
done
"$CJ" --schemafile "$WORK/profile.schema.json" "${good[@]}" || die "a good profile fails the schema"
log "accepted: ${#good[@]} profiles (bundled, examples, init starters)"

printf 'replicas: 5\nlabels: {tier: db}\nroles:\n  - name: replica\n    files: {extra.cnf: "x"}\n' >"$WORK/overlay-ok.yaml"
printf 'storage: {className: fast}\n' >"$WORK/overlay-storage.yaml"
printf 'replica: 5\n' >"$WORK/overlay-misspelt.yaml"
"$CJ" --schemafile "$WORK/overlay.schema.json" "$WORK/overlay-ok.yaml" "$WORK/overlay-storage.yaml" \
    || die "a good overlay fails the overlay schema"
if "$CJ" --schemafile "$WORK/overlay.schema.json" "$WORK/overlay-misspelt.yaml" >/dev/null 2>&1; then
    die "an overlay with the misspelt key \`replica\` passed the overlay schema"
fi
log "overlay schema: good overlays accepted, a misspelt key rejected"

# Counted by what rejected a file: the schema's own errors, not a YAML parse failure (a
# duplicate key, a tab, invalid UTF-8 are the YAML reader's, so they do not count).
rejected=0 unparsed=0 total=0 accepted=() other=()
for f in tests/bad/*.yaml; do
    total=$((total + 1))
    if out=$(timeout 60 "$CJ" --schemafile "$WORK/profile.schema.json" "$f" 2>&1); then
        accepted+=("$(basename "$f" .yaml)")
    elif grep -q '^Schema validation errors' <<<"$out"; then
        rejected=$((rejected + 1))
    elif grep -q '^Failed to parse\|failed to parse' <<<"$out"; then
        unparsed=$((unparsed + 1))
    else
        other+=("$(basename "$f" .yaml)")
    fi
done
log "tests/bad: $rejected of $total rejected by the schema alone ($unparsed more not parsed as YAML)"
log "left to the loader: ${accepted[*]}"
[ ${#other[@]} -eq 0 ] || die "check-jsonschema failed otherwise on: ${other[*]}"
[ "$rejected" -ge "$MIN_REJECTED" ] || die "only $rejected of $total bad profiles rejected by the schema alone (want at least $MIN_REJECTED)"

# --- SARIF ------------------------------------------------------------------------------------
# `sts-gen lint -o sarif` against the SARIF 2.1.0 schema as published (the copy in the npm
# package @microsoft/jest-sarif, pinned). That copy has the erratum OASIS fixed later: a
# `language` pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` that is not a valid regex, which
# check-jsonschema refuses; it is replaced by errata01's `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`.
JEST_SARIF=@microsoft/jest-sarif@1.0.0-beta.0
scripts/ensure-npm.sh
(cd "$WORK" && npm pack --silent "$JEST_SARIF" >/dev/null && tar xzf microsoft-jest-sarif-*.tgz)
python3 - "$WORK/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$WORK/sarif.schema.json" <<'PY'
import sys
text = open(sys.argv[1]).read()
bad = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"
assert text.count(bad) == 2, "the SARIF schema copy changed; review the erratum fix"
open(sys.argv[2], "w").write(text.replace(bad, "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"))
PY
# Manifests with findings (errors, warnings, a suppressed one) and every bundled profile.
mkdir -p "$WORK/manifests"
cat >"$WORK/manifests/app.yaml" <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: x
  annotations: {sts-gen/ignore: "cpu-limit bursts are fine here"}
spec:
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "nginx:latest"}
YAML
sarifs=()
"$BIN" lint "$WORK/manifests" -o sarif >"$WORK/lint-manifests.sarif" || true
grep -q '"suppressions"' "$WORK/lint-manifests.sarif" || die "the SARIF log has no suppressed result"
sarifs+=("$WORK/lint-manifests.sarif")
source scripts/preset-secrets.sh
export_preset_secrets "$BIN" schema-check
for p in profiles/*.yaml; do
    out="$WORK/lint-$(basename "$p" .yaml).sarif"
    "$BIN" lint "$p" -o sarif --fail-on warning >"$out" || true
    sarifs+=("$out")
done
"$CJ" --schemafile "$WORK/sarif.schema.json" "${sarifs[@]}" || die "a SARIF log fails the SARIF 2.1.0 schema"
log "SARIF: ${#sarifs[@]} logs valid against the SARIF 2.1.0 schema"

# --- custom resources against their CRDs ------------------------------------------------------
bash scripts/crd-check.sh || die "a rendered custom resource fails its CRD's schema (see [crd-check] above)"

# --- yaml-language-server over LSP ------------------------------------------------------------
bash scripts/lsp-check.sh || die "yaml-language-server over LSP: a check failed (see [lsp-check] above)"
log "yaml-language-server over LSP: diagnostics and completion as expected"
log "ok"
