#!/usr/bin/env bash
# Makes sure a Docker engine answers on /var/run/docker.sock, starting dockerd in the background
# when none does. Idempotent and safe to run concurrently (flock). A dockerd that is already
# running is used as it is and never stopped; one started here keeps running after this script
# (Docker is shared per machine), logging to ${SKIFF_DOCKERD_LOG:-/var/log/skiff-dockerd.log}.
# A stale /var/run/docker.pid (left by a killed dockerd) is removed when no dockerd is alive.
# Exits non-zero, with the end of dockerd's log, when the engine does not answer within 60 s.
set -euo pipefail
log="${SKIFF_DOCKERD_LOG:-/var/log/skiff-dockerd.log}"
sock=/var/run/docker.sock

answers() { docker -H "unix://$sock" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Whether a dockerd process is alive (from /proc: procps may be missing on a fresh machine).
dockerd_alive() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = dockerd ] && return 0
  done
  return 1
}

answers && exit 0

exec 9>"${TMPDIR:-/tmp}/skiff-dockerd.lock"
flock -w 120 9
answers && exit 0

if ! dockerd_alive; then
  rm -f /var/run/docker.pid
  echo "ensure-docker: starting dockerd (log: $log)" >&2
  # setsid + closed stdio: dockerd outlives the caller (a test run) and holds none of its pipes.
  setsid dockerd >>"$log" 2>&1 </dev/null 9>&- &
fi
for _ in $(seq 1 600); do
  answers && exit 0
  sleep 0.1
done
echo "ensure-docker: dockerd did not answer on $sock within 60 s; end of $log:" >&2
tail -n 30 "$log" >&2 || true
exit 1
