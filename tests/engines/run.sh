#!/usr/bin/env bash
# Real-engine tests: runs each preset's rendered pods on this machine (tests/engines/kubelet.py)
# with the engines from Debian's packages in place of the images, and checks what they do.
#   bash tests/engines/run.sh [preset ...]
#   STS_ENGINES_DAY2_ONLY=1 bash tests/engines/run.sh ...   only the metrics/backup/TLS checks
# Needs root (CI is root). Installs the engines if missing (apt-get, without starting their
# services), builds sts-gen (release) unless $STS_GEN names a binary, then runs harness.py,
# which prints one line per check and a final `N passed, M failed[, K skipped]`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
t0=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/engines/run.sh: needs root (namespaces, mounts, setpriv)" >&2
  exit 2
fi

# Commands the harness and the engines need -> the Debian package that provides each.
need=(
  unshare:util-linux nsenter:util-linux setpriv:util-linux mount:mount ip:iproute2
  sysctl:procps getent:libc-bin
  etcd:etcd-server etcdctl:etcd-client
  redis-server:redis-server redis-cli:redis-tools
  # Debian's full nginx build: the web preset's metrics and TLS need its stub_status and ssl
  # modules (`nginx -V`); nginx-light is a transitional package for it in Debian 12.
  nginx:nginx
  nc:netcat-openbsd
  java:default-jre-headless
  prometheus-mysqld-exporter:prometheus-mysqld-exporter
  prometheus-postgres-exporter:prometheus-postgres-exporter
  prometheus-redis-exporter:prometheus-redis-exporter
  prometheus-nginx-exporter:prometheus-nginx-exporter
  openssl:openssl
  curl:curl ncat:ncat mariabackup:mariadb-backup mariadb:mariadb-client mariadbd:mariadb-server
)
pkgs=()
for n in "${need[@]}"; do
  command -v "${n%%:*}" >/dev/null 2>&1 || pkgs+=("${n#*:}")
done
[ -f /usr/share/java/zookeeper.jar ] || pkgs+=(zookeeper)
# The postgresql/mysql checks' engines (used only when their preset modules exist).
[ -d /usr/lib/postgresql ] || pkgs+=(postgresql)
# The postgres image gives initdb a passwd entry for a uid without one through nss_wrapper.
[ -e /usr/lib/x86_64-linux-gnu/libnss_wrapper.so ] || pkgs+=(libnss-wrapper)
command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || pkgs+=(mariadb-server mariadb-client mariadb-backup)
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "installing: ${pkgs[*]}"
  # Packages must not start their services: the harness runs the engines itself.
  restore_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    restore_policy=1
  fi
  trap '[ -n "$restore_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq || echo "apt-get update failed"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; then
    # One by one, so one missing package only skips the presets that need it (harness.py
    # reports a preset whose engine is absent as SKIP, never as passed).
    for p in "${pkgs[@]}"; do
      apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || echo "could not install $p"
    done
  fi
  # Debian starts nothing under policy-rc.d, but stop anything a package left running anyway.
  for s in etcd redis-server zookeeper nginx postgresql mariadb prometheus-mysqld-exporter \
           prometheus-postgres-exporter prometheus-redis-exporter prometheus-nginx-exporter; do
    service "$s" stop >/dev/null 2>&1 || true
  done
  [ -z "$restore_policy" ] || rm -f /usr/sbin/policy-rc.d
  trap - EXIT
  echo "engines installed after $((SECONDS - t0))s"
fi

if [ -z "${STS_GEN:-}" ]; then
  cargo build --release --quiet
  export STS_GEN="$PWD/target/release/sts-gen"
fi

echo "engines: etcd $(dpkg-query -W -f='${Version}' etcd-server 2>/dev/null)," \
  "redis $(dpkg-query -W -f='${Version}' redis-server 2>/dev/null)," \
  "zookeeper $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null)," \
  "nginx $(dpkg-query -W -f='${Version}' nginx 2>/dev/null)," \
  "postgresql $(dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null)," \
  "mariadb $(dpkg-query -W -f='${Version}' mariadb-server 2>/dev/null)"
# harness.py re-runs itself in private net/pid/mount namespaces: every process it starts dies
# with it, and nothing it mounts or addresses is visible on the host.
exec python3 tests/engines/harness.py "$@"
