#!/usr/bin/env bash
# `npm stop`: stops what `npm start` started, in reverse order (SIGTERM, up to 10 s, then
# SIGKILL). Idempotent: services that are not running are skipped. Data stays in .skiff/. dockerd
# and the registry are left running (they serve the whole machine).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
  name="${SERVICES[$i]}"
  pid="$(service_pid "$name")"
  if [ -z "$pid" ]; then
    echo "$name: not running"
    continue
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    echo "$name: killed (pid $pid did not stop within 10 s)"
  else
    echo "$name: stopped"
  fi
  rm -f "$run_dir/$name.pid"
done

# The multi-host cluster of `npm run cluster:multi` (namespaces, routes, bridge, dockerds), if any.
bash "$(dirname "${BASH_SOURCE[0]}")/multi-stop.sh"
