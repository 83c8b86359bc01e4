#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test Skiff, and nothing else:
#   Debian packages: etcd-server, nats-server, protobuf-compiler with libprotobuf-dev (protoc's
#   google/protobuf/*.proto includes, which --no-install-recommends leaves out), docker.io,
#   iptables (the proxy's pod-network rules), busybox-static, docker-registry, iproute2 (`ip`,
#   `ss`: routes, test hosts), procps (`sysctl`), util-linux (`nsenter`, `mount`: test hosts),
#   perl with libmath-bigint-perl (the docs' `pi` Job image, tools/images/build-perl.sh: bookworm's
#   own Math::BigInt fails at bpi(2000)),
#   and the rest of PACKAGES below (apt-get update only when one is missing);
#   npm packages: `npm ci` when node_modules is missing or older than package-lock.json.
# Idempotent, non-interactive, quiet unless it does something.
# SKIFF_INSTALL_DRY_RUN=1 prints what it would do instead of doing it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

PACKAGES=(etcd-server nats-server protobuf-compiler libprotobuf-dev docker.io iptables busybox-static docker-registry iproute2 apache2-utils procps util-linux perl libmath-bigint-perl)
dry_run="${SKIFF_INSTALL_DRY_RUN:-}"

run() {
  if [ -n "$dry_run" ]; then echo "would run: $*"; else "$@"; fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then run "$@"
  elif command -v sudo >/dev/null 2>&1; then run sudo -n "$@"
  else echo "install-deps: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm writes node_modules/.package-lock.json on every install: older than the lock file means
# the lock changed since (a pull, a new dependency).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  run npm ci --no-audit --no-fund --loglevel=error
fi
