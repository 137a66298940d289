#!/usr/bin/env bash
# Regenerates scripts/sts-gen.symbol-order: the functions a render executes, in the order
# the linker should place them (scripts/build-release.sh passes the file to LLD as
# `--symbol-ordering-file`).
#
# Why: a short render runs about 1,300 functions spread over 8 MB of machine code, and every
# first touch of a 64 KiB window of the binary is a page fault (about 3 us on the machine of
# docs/PERFORMANCE.md). Placed together, the same functions fault 55 windows instead of 124
# (both threads of a mysql render).
#
# How: builds the shipped binary, runs it under callgrind (`--demangle=no`, so the names are
# the linker's) on the bundled profiles, and lists every function that executed, grouped by
# workload: first those of rendering profiles/mysql.yaml to stdout, then those the other
# bundled profiles, JSON output and directory output add. Within a group small functions
# come first (a few large serde visitors are only partly run; behind the small ones they
# spread the dense part less). Names the binary does not define are skipped by the linker,
# so a stale file only loses its effect; scripts/bench.sh prints how much of it still
# matches. Re-run after upgrading the toolchain or dependencies.
#
# Needs: valgrind, python3, and what scripts/build-release.sh needs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/scripts/sts-gen.symbol-order
for tool in valgrind python3 nm; do
    command -v "$tool" >/dev/null || {
        echo "symbol-order.sh: $tool is missing" >&2
        exit 2
    }
done

BIN=${STS_GEN:-$(bash "$ROOT/scripts/build-release.sh" --quiet)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sts-gen-order.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=scripts/preset-secrets.sh
source "$ROOT/scripts/preset-secrets.sh"
export_preset_secrets "$BIN" order

n=0
trace() {
    n=$((n + 1))
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/$(printf %02d "$n").cg" \
        "$BIN" "$@" >/dev/null 2>"$WORK/valgrind.log" || {
        cat "$WORK/valgrind.log" >&2
        echo "symbol-order.sh: \`sts-gen $*\` failed" >&2
        exit 2
    }
}

trace render "$ROOT/profiles/mysql.yaml"
for profile in "$ROOT"/profiles/*.yaml; do
    [[ $profile == */mysql.yaml ]] || trace render "$profile"
done
trace render "$ROOT/profiles/mysql.yaml" -o json
trace render "$ROOT/profiles/mysql.yaml" --output-dir "$WORK/out"

nm -S "$BIN" >"$WORK/nm.txt"
python3 - "$WORK" >"$OUT.tmp" <<'EOF'
import pathlib, re, sys

work = pathlib.Path(sys.argv[1])
sizes = {}
for line in (work / "nm.txt").read_text().splitlines():
    parts = line.split()
    if len(parts) == 4 and parts[2] in "tTwW":
        sizes[parts[3]] = int(parts[1], 16)

SMALL = 16 * 1024
placed = set()
for profile in sorted(work.glob("*.cg")):
    names, ran = {}, []
    for line in profile.read_text(errors="replace").splitlines():
        m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
        if not m:
            continue
        kind, ident, name = m.groups()
        if name:
            names[ident] = name
        if kind == "fn" and ident in names:
            ran.append(names[ident])
    group = []
    for name in ran:
        if name in sizes and name not in placed:
            placed.add(name)
            group.append(name)
    group.sort(key=lambda name: sizes[name] >= SMALL)  # stable: first-run order kept
    for name in group:
        print(name)
EOF
mv "$OUT.tmp" "$OUT"
# Cargo does not track a file named in linker arguments: make the next build relink.
touch "$ROOT/src/main.rs"
echo "symbol-order.sh: $(wc -l <"$OUT") functions written to ${OUT#"$ROOT"/}" >&2
