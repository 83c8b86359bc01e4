# Shared by the image scripts (source it): a busybox rootfs, the inputs hash an image is labelled
# with, and pushing to the local registry only what it does not already serve.
# Callers have run ensure-docker.sh and ensure-registry.sh and hold the images lock.

busybox=/bin/busybox

# busybox_rootfs DIR: /bin/busybox plus a symlink per applet, /etc/passwd and /etc/group, /tmp,
# /www/index.html ("skiff").
busybox_rootfs() {
  local rootfs="$1"
  [ -x "$busybox" ] || { echo "images: $busybox missing (install busybox-static: tools/install-deps.sh)" >&2; return 1; }
  mkdir -p "$rootfs"/{bin,etc,tmp,www,root,proc,sys,dev}
  chmod 1777 "$rootfs/tmp"
  cp "$busybox" "$rootfs/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  echo skiff >"$rootfs/www/index.html"
}

# inputs_hash FILE...: 16 hex digits over the files' contents (the image's label io.skiff.image.inputs).
inputs_hash() {
  (sha256sum "$@" | cut -d' ' -f1) | sha256sum | cut -c1-16
}

# image_current IMAGE HASH: true when the local image carries that inputs hash.
image_current() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "io.skiff.image.inputs" }}' "$1" 2>/dev/null || true)" = "$2" ]
}

# push_if_not_served IMAGE: pushes 127.0.0.1:5000/<repo>:latest unless the registry serves this
# very image (its manifest's config digest is the local image id).
push_if_not_served() {
  local image="$1" repo local_id served_id
  repo=${image#127.0.0.1:5000/}
  repo=${repo%:latest}
  local_id=$(docker image inspect -f '{{.Id}}' "$image")
  served_id=$(REPO="$repo" node -e '
    fetch(`http://127.0.0.1:5000/v2/${process.env.REPO}/manifests/latest`,
          { headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" } })
      .then((r) => (r.ok ? r.json() : {}))
      .then((m) => console.log(m.config?.digest ?? ""), () => console.log(""));')
  if [ "$served_id" != "$local_id" ]; then
    echo "images: pushing $image" >&2
    docker push -q "$image" >/dev/null
  fi
}
