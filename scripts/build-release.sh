#!/usr/bin/env bash
# Builds the release binary as it is shipped, and prints its path on stdout (cargo's
# output goes to stderr). Extra arguments go to `cargo build`.
#
# On x86-64 Linux (glibc) the binary is linked statically and not position-independent:
# no dynamic loader, no shared libraries to map and no relocations at start-up, which is
# about 0.5 ms of a 4 ms render (docs/PERFORMANCE.md). The flags apply to the target only
# (`--target`), so build scripts and proc-macros build as usual; the binary lands in
# target/x86_64-unknown-linux-gnu/release/. Elsewhere, or with STS_GEN_DYNAMIC=1, it is
# cargo's default release build in target/release/.
#
# Where the linker is LLD (rustc 1.90 and later on x86-64 Linux), the functions a render
# runs are placed together, in the order of scripts/sts-gen.symbol-order (written by
# scripts/symbol-order.sh): a mysql render then faults 55 windows of machine code instead
# of 124 (docs/PERFORMANCE.md). The linker flags go to the binary's link only (`cargo rustc`), so
# dependencies build, and their symbols are named, exactly as without them.
# STS_GEN_NO_ORDER=1 links in the default order.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
rustc_version=$(rustc -vV)
host=$(sed -n 's/^host: //p' <<<"$rustc_version")
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ $host == x86_64-unknown-linux-gnu && ${STS_GEN_DYNAMIC:-0} != 1 ]]; then
    link_args=()
    minor=$(sed -n 's/^release: 1\.\([0-9]*\)\..*/\1/p' <<<"$rustc_version")
    order=$ROOT/scripts/sts-gen.symbol-order
    if [[ ${STS_GEN_NO_ORDER:-0} != 1 && -f $order && ${minor:-0} -ge 90 ]]; then
        link_args=(-C "link-arg=-Wl,--symbol-ordering-file=$order"
            -C link-arg=-Wl,--no-warn-symbol-ordering)
    fi
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
        cargo rustc --release --locked --target "$host" --bin sts-gen "$@" -- "${link_args[@]}" >&2
    echo "$target_dir/$host/release/sts-gen"
else
    cargo build --release --locked "$@" >&2
    echo "$target_dir/release/sts-gen"
fi
