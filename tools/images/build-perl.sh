#!/usr/bin/env bash
# Builds the image the Kubernetes docs' `pi` Job names, `perl:5.34.0`, from this machine's perl
# (Debian's perl: the interpreter, the shared libraries ldd lists and the core modules, bignum
# among them), on the busybox rootfs of build.sh; default command `perl`. The docs' Job runs it
# unmodified: `perl -Mbignum=bpi -wle 'print bpi(2000)'`. The image is kept under that name in the
# local dockerd (the Job's pull policy is IfNotPresent) and served by the local registry as
# 127.0.0.1:5000/skiff/perl:latest. No public registry is needed.
# Idempotent and safe to run concurrently, as build.sh. Prints the local image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
image=127.0.0.1:5000/skiff/perl:latest
docs_name=perl:5.34.0

bash "$here/ensure-docker.sh"
bash "$here/ensure-registry.sh"

exec 9>"${TMPDIR:-/tmp}/skiff-images.lock"
flock -w 300 9

perl_bin=$(readlink -f "$(command -v perl)")
# The core module trees (@INC of Debian's perl that exist here).
mapfile -t inc < <("$perl_bin" -e 'print "$_\n" for grep { -d && m{^/usr/} } @INC')
perl -Mbignum=bpi -e 1 2>/dev/null || { echo "images: perl's bignum module is missing (install perl: tools/install-deps.sh)" >&2; exit 1; }
hash=$( (echo "${inc[*]}"; "$perl_bin" -v; "$perl_bin" -MMath::BigInt -e 'print $Math::BigInt::VERSION') | sha256sum | cut -c1-16)-$(inputs_hash "$busybox" "$perl_bin" "${BASH_SOURCE[0]}" "$here/lib.sh")
if ! image_current "$image" "$hash"; then
  echo "images: building $image" >&2
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  busybox_rootfs "$rootfs"
  mkdir -p "$rootfs/usr/bin"
  cp "$perl_bin" "$rootfs/usr/bin/perl"
  for lib in $(ldd "$perl_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  for dir in "${inc[@]}"; do
    mkdir -p "$rootfs$dir"
    cp -a "$dir/." "$rootfs$dir/" # through a version symlink (5.36 -> 5.36.0) to its files
  done
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/bin:/bin' \
    --change 'WORKDIR /' \
    --change 'CMD ["perl"]' \
    --change "LABEL io.skiff.image.inputs=$hash" \
    - "$image" >/dev/null
fi
docker tag "$image" "$docs_name"
push_if_not_served "$image"
echo "$docs_name"
