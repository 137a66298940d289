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
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
host=$(rustc -vV | sed -n 's/^host: //p')
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ $host == x86_64-unknown-linux-gnu && ${STS_GEN_DYNAMIC:-0} != 1 ]]; then
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
        cargo build --release --locked --target "$host" "$@" >&2
    echo "$target_dir/$host/release/sts-gen"
else
    cargo build --release --locked "$@" >&2
    echo "$target_dir/release/sts-gen"
fi
