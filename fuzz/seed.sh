#!/usr/bin/env bash
# Seeds the `profile` fuzz target's corpus with every example profile and every bad input.
# `{fromEnv: VAR}` becomes `{value: x}`, so a seed renders without the environment.
# Usage: fuzz/seed.sh   (from anywhere; writes fuzz/corpus/profile/)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fuzz/corpus/profile"
mkdir -p "$out"
n=0
for f in "$root"/profiles/*.yaml; do
    [ -e "$f" ] || continue
    sed -E 's/\{ *fromEnv: *[^}]*\}/{value: x}/g' "$f" > "$out/profile-$(basename "$f")"
    n=$((n + 1))
done
for f in "$root"/tests/bad/*.yaml; do
    [ -e "$f" ] || continue
    cp "$f" "$out/bad-$(basename "$f")"
    n=$((n + 1))
done
echo "seeded $n files into $out"
