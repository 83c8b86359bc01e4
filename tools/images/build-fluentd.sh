#!/usr/bin/env bash
# Builds the image the Kubernetes docs' fluentd-elasticsearch DaemonSet names,
# `quay.io/fluentd_elasticsearch/fluentd:v2.5.2`, as a STAND-IN: the busybox rootfs of build.sh
# with a default command that keeps running and reads /var/log (the DaemonSet's hostPath mount)
# every few seconds, as a log shipper would, and stops at once on SIGTERM. It is not fluentd: no
# public registry is reachable here. The image is kept under the docs' exact name in the local
# dockerd (the DaemonSet's pull policy is IfNotPresent, so no pull happens) and served by the
# local registry as 127.0.0.1:5000/skiff/fluentd:latest.
# Idempotent and safe to run concurrently, as build.sh. Prints the local image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
image=127.0.0.1:5000/skiff/fluentd:latest
docs_name=quay.io/fluentd_elasticsearch/fluentd:v2.5.2

bash "$here/ensure-docker.sh"
bash "$here/ensure-registry.sh"

exec 9>"${TMPDIR:-/tmp}/skiff-images.lock"
flock -w 300 9

hash=$(inputs_hash "$busybox" "${BASH_SOURCE[0]}" "$here/lib.sh")
if ! image_current "$image" "$hash"; then
  echo "images: building $image" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  busybox_rootfs "$rootfs"
  mkdir -p "$rootfs/var/log"
  # The stand-in: read /var/log (count its files) every 5 s until SIGTERM.
  cat >"$rootfs/bin/fluentd-standin" <<'SCRIPT'
#!/bin/sh
trap 'exit 0' TERM INT
echo "fluentd stand-in: watching /var/log"
while :; do
  find /var/log -type f 2>/dev/null | wc -l >/tmp/files-seen
  sleep 5 & wait $!
done
SCRIPT
  chmod 755 "$rootfs/bin/fluentd-standin"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/bin' \
    --change 'WORKDIR /' \
    --change 'CMD ["/bin/fluentd-standin"]' \
    --change "LABEL io.skiff.image.inputs=$hash" \
    - "$image" >/dev/null
fi
docker tag "$image" "$docs_name"
push_if_not_served "$image"
echo "$docs_name"
