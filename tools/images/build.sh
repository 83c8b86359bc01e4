#!/usr/bin/env bash
# Builds Skiff's test image and serves it from the local registry:
#   127.0.0.1:5000/skiff/busybox:latest
# a rootfs of Debian's busybox-static (/bin/busybox plus a symlink per applet), imported with
# `docker import` (no public registry is needed), default command `httpd -f -p 8080 -h /www`
# (a web server answering "skiff" on /), pushed to the registry on 127.0.0.1:5000 so that pods
# pull it through the real pull path. (build-node.sh builds the image with Node in it.)
# Starts dockerd and the registry when they are not running (ensure-docker.sh, ensure-registry.sh).
# Idempotent: the image carries a label with a hash of its inputs; an image with the current hash
# is not rebuilt, and it is pushed only when the registry does not serve that very image.
# Safe to run concurrently (flock). Prints the image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
image=127.0.0.1:5000/skiff/busybox:latest

bash "$here/ensure-docker.sh"
bash "$here/ensure-registry.sh"

exec 9>"${TMPDIR:-/tmp}/skiff-images.lock"
flock -w 300 9

[ -x "$busybox" ] || { echo "images: $busybox missing (install busybox-static: tools/install-deps.sh)" >&2; exit 1; }
hash=$(inputs_hash "$busybox" "${BASH_SOURCE[0]}" "$here/lib.sh")
if ! image_current "$image" "$hash"; then
  echo "images: building $image" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  busybox_rootfs "$rootfs"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/bin' \
    --change 'WORKDIR /' \
    --change 'EXPOSE 8080' \
    --change 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]' \
    --change "LABEL io.skiff.image.inputs=$hash" \
    - "$image" >/dev/null
fi
push_if_not_served "$image"
echo "$image"
