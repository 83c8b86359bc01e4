#!/usr/bin/env bash
# Makes sure a second Docker registry, one that demands a login, serves plain HTTP on
# 127.0.0.1:5001 and holds the test image as
#   127.0.0.1:5001/skiff/private-busybox:latest
# for tests of pulls with credentials (imagePullSecrets). Debian's docker-registry with htpasswd
# basic auth (bcrypt, written by apache2-utils' `htpasswd`): user `skiff`, password
# `skiff-test-password` (a test credential, for loopback only). Docker trusts 127.0.0.0/8
# registries over HTTP, and sends basic auth to them, without configuration.
# Starts dockerd, the registry on :5000 and builds the busybox image first (build.sh). The
# registry started here keeps running (shared per machine), stores blobs in
# ${SKIFF_AUTH_REGISTRY_DIR:-/var/lib/skiff-auth-registry} and logs to
# ${SKIFF_AUTH_REGISTRY_LOG:-/var/log/skiff-auth-registry.log}. The image is pushed (docker login,
# push, logout in a throw-away DOCKER_CONFIG, so no one's credentials file is touched) only when
# the registry does not serve that very image, and its local tag is removed afterwards, so a pull
# of it always goes to the registry. Idempotent and safe to run concurrently (flock).
# Prints the image name on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${SKIFF_AUTH_REGISTRY_DIR:-/var/lib/skiff-auth-registry}"
log="${SKIFF_AUTH_REGISTRY_LOG:-/var/log/skiff-auth-registry.log}"
addr=127.0.0.1:5001
user=skiff
password=skiff-test-password
source_image=127.0.0.1:5000/skiff/busybox:latest
image=$addr/skiff/private-busybox:latest

bash "$here/build.sh" >/dev/null

# /v2/ answers 401 from a registry that demands a login; bash's /dev/tcp needs no curl.
answers() (
  exec 8<>"/dev/tcp/127.0.0.1/5001" || exit 1
  printf 'GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n' "$addr" >&8
  IFS= read -r -t 5 status <&8 || exit 1
  [[ "$status" == *" 401"* ]]
) 2>/dev/null

start_registry() {
  command -v htpasswd >/dev/null || { echo "ensure-auth-registry: htpasswd missing (install apache2-utils: tools/install-deps.sh)" >&2; return 1; }
  mkdir -p "$dir"
  htpasswd -Bbn "$user" "$password" >"$dir/htpasswd.new"
  mv "$dir/htpasswd.new" "$dir/htpasswd"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
auth:
  htpasswd:
    realm: skiff-auth-registry
    path: $dir/htpasswd
http:
  addr: $addr
YAML
  echo "ensure-auth-registry: starting docker-registry with basic auth on $addr (log: $log)" >&2
  setsid docker-registry serve "$dir/config.yml" >>"$log" 2>&1 </dev/null 8>&- 9>&- &
  for _ in $(seq 1 300); do
    answers && return 0
    sleep 0.1
  done
  echo "ensure-auth-registry: no registry answered on $addr within 30 s; end of $log:" >&2
  tail -n 30 "$log" >&2 || true
  return 1
}

exec 9>"${TMPDIR:-/tmp}/skiff-auth-registry.lock"
flock -w 120 9
answers || start_registry

# The config digest of the manifest the registry serves for the image ('' when none).
served_id() {
  USER_PASS="$user:$password" REPO=skiff/private-busybox node -e '
    fetch(`http://127.0.0.1:5001/v2/${process.env.REPO}/manifests/latest`, {
      headers: {
        accept: "application/vnd.docker.distribution.manifest.v2+json",
        authorization: `Basic ${Buffer.from(process.env.USER_PASS).toString("base64")}`,
      },
    })
      .then((r) => (r.ok ? r.json() : {}))
      .then((m) => console.log(m.config?.digest ?? ""), () => console.log(""));'
}

local_id=$(docker image inspect -f '{{.Id}}' "$source_image")
if [ "$(served_id)" != "$local_id" ]; then
  echo "images: pushing $image" >&2
  config=$(mktemp -d)
  trap 'rm -rf "$config"' EXIT
  docker tag "$source_image" "$image"
  # docker login warns on stderr that the (throw-away) config holds the password: shown on failure only.
  if ! out=$(printf '%s' "$password" | DOCKER_CONFIG="$config" docker login -u "$user" --password-stdin "$addr" 2>&1); then
    echo "$out" >&2
    exit 1
  fi
  DOCKER_CONFIG="$config" docker push -q "$image" >/dev/null
  DOCKER_CONFIG="$config" docker logout "$addr" >/dev/null
  docker rmi "$image" >/dev/null
fi
echo "$image"
