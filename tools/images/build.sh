#!/usr/bin/env bash
# Builds Skiff's test image and serves it from the local registry:
#   127.0.0.1:5000/skiff/busybox:latest
# a rootfs of Debian's busybox-static (/bin/busybox plus a symlink per applet), imported with
# `docker import` (no public registry is needed), default command `httpd -f -p 8080 -h /www`
# (a web server answering "skiff" on /), pushed to the registry on 127.0.0.1:5000 so that pods
# pull it through the real pull path.
# Starts dockerd and the registry when they are not running (ensure-docker.sh, ensure-registry.sh).
# Idempotent: the image carries a label with a hash of its inputs; an image with the current hash
# is not rebuilt, and it is pushed only when the registry does not serve that very image.
# Safe to run concurrently (flock). Prints the image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image=127.0.0.1:5000/skiff/busybox:latest
busybox=/bin/busybox

bash "$here/ensure-docker.sh"
bash "$here/ensure-registry.sh"

exec 9>"${TMPDIR:-/tmp}/skiff-images.lock"
flock -w 300 9

[ -x "$busybox" ] || { echo "images: $busybox missing (install busybox-static: tools/install-deps.sh)" >&2; exit 1; }
inputs_hash=$( (sha256sum "$busybox" "${BASH_SOURCE[0]}" | cut -d' ' -f1) | sha256sum | cut -c1-16)

local_hash=$(docker image inspect -f '{{ index .Config.Labels "io.skiff.image.inputs" }}' "$image" 2>/dev/null || true)
if [ "$local_hash" != "$inputs_hash" ]; then
  echo "images: building $image" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs"/{bin,etc,tmp,www,root,proc,sys,dev}
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  echo skiff >"$rootfs/www/index.html"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/bin' \
    --change 'WORKDIR /' \
    --change 'EXPOSE 8080' \
    --change 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]' \
    --change "LABEL io.skiff.image.inputs=$inputs_hash" \
    - "$image" >/dev/null
fi

# The registry serves this image when its manifest's config digest is the local image id.
local_id=$(docker image inspect -f '{{.Id}}' "$image")
served_id=$(node -e '
  fetch("http://127.0.0.1:5000/v2/skiff/busybox/manifests/latest",
        { headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" } })
    .then((r) => (r.ok ? r.json() : {}))
    .then((m) => console.log(m.config?.digest ?? ""), () => console.log(""));')
if [ "$served_id" != "$local_id" ]; then
  echo "images: pushing $image" >&2
  docker push -q "$image" >/dev/null
fi
echo "$image"
