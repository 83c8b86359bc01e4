#!/usr/bin/env bash
# Makes sure a Docker registry serves plain HTTP on 127.0.0.1:5000, starting Debian's
# docker-registry in the background when nothing answers there. Idempotent and safe to run
# concurrently (flock). The registry started here keeps running (shared per machine), stores
# blobs in ${SKIFF_REGISTRY_DIR:-/var/lib/skiff-registry} and logs to
# ${SKIFF_REGISTRY_LOG:-/var/log/skiff-registry.log}; deletes are enabled so tests can remove
# what they push. Docker trusts 127.0.0.0/8 registries over HTTP without configuration.
set -euo pipefail
dir="${SKIFF_REGISTRY_DIR:-/var/lib/skiff-registry}"
log="${SKIFF_REGISTRY_LOG:-/var/log/skiff-registry.log}"
addr=127.0.0.1:5000

# /v2/ answers 200 from a registry without auth; bash's /dev/tcp needs no curl.
answers() (
  exec 8<>"/dev/tcp/127.0.0.1/5000" || exit 1
  printf 'GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n' "$addr" >&8
  IFS= read -r -t 5 status <&8 || exit 1
  [[ "$status" == *" 200"* ]]
) 2>/dev/null

answers && exit 0

exec 9>"${TMPDIR:-/tmp}/skiff-registry.lock"
flock -w 60 9
answers && exit 0

mkdir -p "$dir"
config="$dir/config.yml"
cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
YAML
echo "ensure-registry: starting docker-registry on $addr (log: $log)" >&2
setsid docker-registry serve "$config" >>"$log" 2>&1 </dev/null 9>&- &
for _ in $(seq 1 300); do
  answers && exit 0
  sleep 0.1
done
echo "ensure-registry: no registry answered on $addr within 30 s; end of $log:" >&2
tail -n 30 "$log" >&2 || true
exit 1
