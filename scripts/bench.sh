#!/usr/bin/env bash
# Whole-process performance of sts-gen against the targets of the performance issue.
#
# Builds the release binary, generates the inputs into a temporary folder, times complete
# process runs with hyperfine (no shell in between, `-N`), takes peak RSS from
# `/usr/bin/time -v`, and prints one table: case, median wall ms, median peak RSS MiB,
# target, PASS/FAIL. A failed target is reported, not fatal: the exit status is 0 unless
# the build, the input generation or a render itself fails.
#
# Cases
#   mysql            render profiles/mysql.yaml to stdout            <= 2.5 ms, <= 10 MiB
#   replicas N       mysql preset, N replicas, N local PVs on 3 nodes (N = 10, 100, 1000);
#                    1000 must take < 50 ms, and the cost must grow linearly
#   batch N          N profiles of mixed presets, `render DIR --output-dir OUT`
#                    (N = 10, 100, 1000); 1000 must take < 1 s, and grow linearly
#   kustomize        `kubectl kustomize` of the mysql output directory (comparison only)
#   helm             `$HELM template x $HELM_CHART $HELM_ARGS` (comparison, when both are set)
#
# Needs: cargo, hyperfine and time (Debian: `apt-get install hyperfine time`), jq, python3.
#
# Environment:
#   STS_GEN      time this binary instead of building it with scripts/build-release.sh
#   RUNS         timed runs per single-profile case (default 100; batch cases use fewer)
#   RSS_RUNS     runs under /usr/bin/time -v per case, median taken (default 5)
#   HELM         a helm binary, and HELM_CHART a chart directory (or reference): time
#   HELM_CHART   `helm template` in the same run and print the ratio to sts-gen's mysql
#   HELM_ARGS    extra arguments for helm template (e.g. `--set architecture=replication`)
#   KUBECTL      kubectl binary (default: kubectl on PATH; skipped when missing)
#   BASELINE     another sts-gen binary (e.g. an earlier commit's): its mysql render is timed
#                right after this one's and the ratio printed, which survives a machine
#                whose speed drifts between runs better than either median does
#   KEEP_WORK=1  keep the generated inputs, outputs and hyperfine JSON
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-100}
RSS_RUNS=${RSS_RUNS:-5}
KUBECTL=${KUBECTL:-kubectl}

for tool in hyperfine jq python3; do
    command -v "$tool" >/dev/null || {
        echo "bench.sh: $tool is missing (apt-get install hyperfine jq python3)" >&2
        exit 2
    }
done
[[ -x /usr/bin/time ]] || {
    echo "bench.sh: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
}

if [[ -z ${STS_GEN:-} ]]; then
    echo "building: scripts/build-release.sh" >&2
    STS_GEN=$(bash "$ROOT/scripts/build-release.sh" --quiet)
fi
STS_GEN=$(realpath "$STS_GEN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sts-gen-bench.XXXXXX")
if [[ ${KEEP_WORK:-0} == 1 ]]; then
    echo "work folder: $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi
cd "$WORK"

# --- inputs ---------------------------------------------------------------------------

# shellcheck source=scripts/preset-secrets.sh
source "$ROOT/scripts/preset-secrets.sh"
export_preset_secrets "$STS_GEN" bench
PRESETS=$("$STS_GEN" presets | awk '{print $1}')

replicas_profile() {
    cat <<EOF
apiVersion: sts-gen/v1
kind: Profile
preset: mysql
name: mysql
namespace: mysql
replicas: $1
storage:
  className: local-storage
  local:
    path: /data/svr/projects/mysql
    nodes: [n1, n2, n3]
    reclaimPolicy: Retain
EOF
}
for n in 10 100 1000; do
    replicas_profile "$n" >"replicas$n.yaml"
done

mapfile -t PRESET_LIST <<<"$PRESETS"
for n in 10 100 1000; do
    mkdir "batch$n"
    for ((i = 0; i < n; i++)); do
        preset=${PRESET_LIST[i % ${#PRESET_LIST[@]}]}
        printf 'apiVersion: sts-gen/v1\nkind: Profile\npreset: %s\nname: %s-%d\nnamespace: ns-%d\n' \
            "$preset" "$preset" "$i" "$i" >"batch$n/p$(printf %04d "$i").yaml"
    done
done

# Sanity: every input renders (a failure here is fatal, not a FAIL row).
"$STS_GEN" render "$ROOT/profiles/mysql.yaml" >mysql.out.yaml
"$STS_GEN" render "$ROOT/profiles/mysql.yaml" --output-dir mysql-dir >/dev/null
for n in 10 100 1000; do
    "$STS_GEN" render "replicas$n.yaml" >"replicas$n.out.yaml"
done
"$STS_GEN" render batch10 --output-dir batch10.out >/dev/null
pvs=$(grep -c '^kind: PersistentVolume$' replicas1000.out.yaml)
[[ $pvs == 1000 ]] || {
    echo "bench.sh: replicas1000 rendered $pvs PersistentVolumes, expected 1000" >&2
    exit 2
}

# --- measurements ---------------------------------------------------------------------

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# median_rss_kib CMD...: median over RSS_RUNS runs of /usr/bin/time's maximum resident set.
median_rss_kib() {
    local i
    for ((i = 0; i < RSS_RUNS; i++)); do
        /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
    done | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# Before each batch run the previous output is moved aside (into $WORK/aside, removed when
# the script ends) and the move flushed (`sync`), so every run writes a fresh directory
# tree and pays for its own writes. Deleting it instead would measure the file system: ext4
# without a journal skips inodes freed in the last minute when it allocates new ones, so
# each file created after an `rm -rf` of 13,000 files scans past them (docs/PERFORMANCE.md).
# The case `batch1000-rerender` measures a re-render into an existing, unchanged output.
mkdir -p "$WORK/aside"
# shellcheck disable=SC2016 # $1 and $2 are for the generated script
printf '#!/bin/sh\n[ ! -e "$1" ] || mv "$1" "$2/$(date +%%s%%N)" && sync\n' >"$WORK/clean.sh"
chmod +x "$WORK/clean.sh"

# median_rss_kib_clean CLEAN_DIR CMD...: median_rss_kib, with CLEAN_DIR (when not empty)
# moved aside before every run, as hyperfine's --prepare does.
median_rss_kib_clean() {
    local clean=$1 i
    shift
    if [[ -z $clean ]]; then
        median_rss_kib "$@"
        return
    fi
    for ((i = 0; i < RSS_RUNS; i++)); do
        "$WORK/clean.sh" "$clean" "$(dirname "$clean")/aside"
        RSS_RUNS=1 median_rss_kib "$@"
    done | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# measure CASE RUNS CLEAN_DIR CMD...: hyperfine median (ms) and peak RSS (KiB) into RESULTS;
# CLEAN_DIR (when not empty) is removed before every run.
measure() {
    local case=$1 runs=$2 clean=$3
    shift 3
    local json="$WORK/hf-$case.json"
    local args=(-N --warmup 3 --runs "$runs" --export-json "$json" --style none)
    [[ -n $clean ]] && args+=(--prepare "$(printf '%q ' "$WORK/clean.sh" "$clean" "$(dirname "$clean")/aside")")
    local cmd
    cmd=$(printf '%q ' "$@")
    echo "timing $case: $cmd" >&2
    hyperfine "${args[@]}" "$cmd" >/dev/null
    local median
    median=$(jq '.results[0].median * 1000' "$json")
    [[ -n $clean ]] && "$WORK/clean.sh" "$clean" "$(dirname "$clean")/aside"
    local rss
    rss=$(median_rss_kib_clean "$clean" "$@")
    [[ -n $clean ]] && "$WORK/clean.sh" "$clean" "$(dirname "$clean")/aside"
    printf '%s\t%s\t%s\n' "$case" "$median" "$rss" >>"$RESULTS"
}

measure start "$RUNS" "" "$STS_GEN" --version
measure mysql "$RUNS" "" "$STS_GEN" render "$ROOT/profiles/mysql.yaml"
if [[ -n ${BASELINE:-} ]]; then
    measure mysql-baseline "$RUNS" "" "$(realpath "$BASELINE")" render "$ROOT/profiles/mysql.yaml"
    measure mysql-again "$RUNS" "" "$STS_GEN" render "$ROOT/profiles/mysql.yaml"
fi
for n in 10 100 1000; do
    measure "replicas$n" "$RUNS" "" "$STS_GEN" render "replicas$n.yaml"
done
measure batch10 "$RUNS" "$WORK/out" "$STS_GEN" render batch10 --output-dir "$WORK/out"
measure batch100 20 "$WORK/out" "$STS_GEN" render batch100 --output-dir "$WORK/out"
measure batch1000 10 "$WORK/out" "$STS_GEN" render batch1000 --output-dir "$WORK/out"
# A re-render into the output of the previous run, inputs unchanged (a CI or GitOps job
# that finds nothing to change): every directory is compared and left alone.
"$STS_GEN" render batch1000 --output-dir "$WORK/out" >/dev/null
measure batch1000-rerender 10 "" "$STS_GEN" render batch1000 --output-dir "$WORK/out"
# The same batch into memory (tmpfs: fsync is free), to separate computing from disk flushes.
if [[ -d /dev/shm && -w /dev/shm ]]; then
    SHM_OUT=$(mktemp -d /dev/shm/sts-gen-bench.XXXXXX)
    mkdir "$SHM_OUT/aside"
    trap 'rm -rf "$SHM_OUT"; [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"' EXIT
    measure batch1000-tmpfs 10 "$SHM_OUT/out" "$STS_GEN" render batch1000 --output-dir "$SHM_OUT/out"
fi

if command -v "$KUBECTL" >/dev/null; then
    measure kustomize "$RUNS" "" "$(command -v "$KUBECTL")" kustomize mysql-dir
fi
if [[ -n ${HELM:-} && -n ${HELM_CHART:-} ]]; then
    read -r -a helm_args <<<"${HELM_ARGS:-}"
    measure helm "$RUNS" "" "$HELM" template x "$HELM_CHART" "${helm_args[@]}"
fi

# --- report ---------------------------------------------------------------------------

echo
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
echo "binary:  $("$STS_GEN" --version), $(hyperfine --version)"
# A stale symbol order (toolchain or dependencies changed since scripts/symbol-order.sh ran)
# leaves functions where the linker puts them by default: slower, and shown here.
ORDER=$ROOT/scripts/sts-gen.symbol-order
if [[ -f $ORDER ]] && command -v nm >/dev/null; then
    found=$(nm "$STS_GEN" | awk 'NR == FNR {defined[$NF] = 1; next} ($1 in defined) {n++} END {print n + 0}' - "$ORDER")
    echo "order:   $found of $(wc -l <"$ORDER") functions of scripts/sts-gen.symbol-order are in the binary"
fi
echo "method:  hyperfine -N --warmup 3, median wall; peak RSS = median of $RSS_RUNS runs of /usr/bin/time -v"
echo

python3 - "$RESULTS" <<'EOF'
import sys

rows = {}
for line in open(sys.argv[1]):
    case, ms, rss = line.rstrip("\n").split("\t")
    rows[case] = (float(ms), float(rss) / 1024)

def ms(case):
    return rows[case][0]

# (case, description, check(ms, mib) -> bool or None, target text)
table = [
    ("start", "sts-gen --version (process start, floor)", None, "diagnostic"),
    ("mysql", "render profiles/mysql.yaml > stdout",
     lambda t, m: t <= 2.5 and m <= 10, "<= 2.5 ms, <= 10 MiB"),
    ("mysql-baseline", "same, BASELINE binary", None, "comparison"),
    ("mysql-again", "same, this binary again", None, "comparison"),
    ("replicas10", "mysql, 10 replicas + 10 local PVs", None, "curve"),
    ("replicas100", "mysql, 100 replicas + 100 local PVs", None, "curve"),
    ("replicas1000", "mysql, 1000 replicas + 1000 local PVs",
     lambda t, m: t < 50, "< 50 ms"),
    ("batch10", "batch of 10 mixed profiles -> dir", None, "curve"),
    ("batch100", "batch of 100 mixed profiles -> dir", None, "curve"),
    ("batch1000", "batch of 1000 mixed profiles -> dir",
     lambda t, m: t < 1000, "< 1000 ms"),
    ("batch1000-tmpfs", "same, output dir on tmpfs (no disk flush)", None, "diagnostic"),
    ("batch1000-rerender", "same, again into its unchanged output", None, "diagnostic"),
    ("kustomize", "kubectl kustomize (mysql output dir)", None, "comparison"),
    ("helm", "helm template (HELM_CHART)", None, "comparison"),
]

out = []
fails = 0
for case, desc, check, target in table:
    if case not in rows:
        continue
    t, m = rows[case]
    verdict = "-" if check is None else ("PASS" if check(t, m) else "FAIL")
    fails += verdict == "FAIL"
    out.append((desc, f"{t:.2f}", f"{m:.1f}", target, verdict))

# Linear growth: the marginal cost per unit from 100 to 1000 must not exceed twice the
# marginal cost from 10 to 100 (a quadratic term would make it about 11 times larger).
for prefix, unit in (("replicas", "replica"), ("batch", "profile")):
    if all(f"{prefix}{n}" in rows for n in (10, 100, 1000)):
        lo = (ms(f"{prefix}100") - ms(f"{prefix}10")) / 90
        hi = (ms(f"{prefix}1000") - ms(f"{prefix}100")) / 900
        ok = hi <= 2 * max(lo, 0.001)
        fails += not ok
        out.append((f"{prefix}: ms per {unit}, 10->100 | 100->1000",
                    f"{lo:.4f} | {hi:.4f}", "", "linear (<= 2x)", "PASS" if ok else "FAIL"))

if "mysql-baseline" in rows:
    mine = (ms("mysql") + ms("mysql-again")) / 2
    out.append(("ratio BASELINE / sts-gen (mysql, both runs)", f"{ms('mysql-baseline') / mine:.2f}x",
                "", "comparison", "-"))

for other in ("kustomize", "helm"):
    if other in rows and "mysql" in rows:
        out.append((f"ratio {other} / sts-gen (mysql)", f"{ms(other) / ms('mysql'):.1f}x",
                    "", "comparison", "-"))

head = ("case", "median wall ms", "peak RSS MiB", "target", "result")
widths = [max(len(r[i]) for r in out + [head]) for i in range(5)]
fmt = "  ".join(f"{{:{'<' if i in (0, 3) else '>'}{w}}}" for i, w in enumerate(widths))
print(fmt.format(*head))
print("  ".join("-" * w for w in widths))
for r in out:
    print(fmt.format(*r))
print()
print(f"{fails} target(s) failed" if fails else "all targets met")
EOF
exit 0
