#!/usr/bin/env bash
# The committed profile schema in yaml-language-server itself, over LSP (scripts/lsp_check.py):
# a `sts-gen init` starter with its modeline pointed at schema/profile.schema.json gets a
# diagnostic on the right line for a misspelt key, a wrong type and a missing required key,
# and completion offers profile keys and the preset names.
# yaml-language-server is installed from npm (pinned; 1.x runs on the Node 18/20 of
# distribution packages, 2.x wants Node 22) into LSP_DIR (default <repo>/.lsp-check).
# Environment: STS_GEN (the binary; default target/debug/sts-gen), LSP_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
YLS_VERSION=1.19.2
DIR=${LSP_DIR:-$PWD/.lsp-check}
BIN=${STS_GEN:-target/debug/sts-gen}
log() { echo "[lsp-check] $*"; }

scripts/ensure-npm.sh
YLS=$DIR/node_modules/.bin/yaml-language-server
if ! { [ -x "$YLS" ] && grep -q "\"version\": \"$YLS_VERSION\"" "$DIR/node_modules/yaml-language-server/package.json"; }; then
    log "installing yaml-language-server@$YLS_VERSION into $DIR"
    mkdir -p "$DIR"
    (cd "$DIR" && npm install --silent --no-audit --no-fund --no-save "yaml-language-server@$YLS_VERSION" >/dev/null)
fi
log "yaml-language-server $YLS_VERSION, node $(node --version)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" init web >"$WORK/starter.yaml"
PRESETS="$("$BIN" presets | awk '{print $1}')" \
    python3 scripts/lsp_check.py "$YLS" --stdio -- schema/profile.schema.json "$WORK/starter.yaml"
