#!/usr/bin/env bash
# Builds the test image with Node in it and serves it from the local registry:
#   127.0.0.1:5000/skiff/node:latest
# the busybox rootfs of build.sh plus this machine's `node` binary and the shared libraries it
# loads (as ldd lists them), so that test pods can run small programs busybox has no applet for
# (a UDP server, say) with `node -e`. Default command `node`. No public registry is needed.
# Idempotent and safe to run concurrently, as build.sh. Prints the image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
image=127.0.0.1:5000/skiff/node:latest

bash "$here/ensure-docker.sh"
bash "$here/ensure-registry.sh"

exec 9>"${TMPDIR:-/tmp}/skiff-images.lock"
flock -w 300 9

node_bin=$(readlink -f "$(command -v node)")
hash=$(inputs_hash "$busybox" "$node_bin" "${BASH_SOURCE[0]}" "$here/lib.sh")
if ! image_current "$image" "$hash"; then
  echo "images: building $image" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  busybox_rootfs "$rootfs"
  mkdir -p "$rootfs/usr/bin"
  cp "$node_bin" "$rootfs/usr/bin/node"
  # Every library ldd resolves (an absolute path in its output), at the same path.
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/bin:/bin' \
    --change 'WORKDIR /' \
    --change 'CMD ["node"]' \
    --change "LABEL io.skiff.image.inputs=$hash" \
    - "$image" >/dev/null
fi
push_if_not_served "$image"
echo "$image"
