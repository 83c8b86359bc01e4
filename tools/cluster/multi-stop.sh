#!/usr/bin/env bash
# Stops the multi-host cluster `npm run cluster:multi` started: SIGTERM to its owner process
# (which removes its hosts, namespaces, routes, bridge, registry and dockerds), SIGKILL after
# 60 s, then a sweep that removes whatever test networks of dead processes left behind.
# Idempotent: with nothing running it only sweeps. Meant to be called from tools/cluster/stop.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
state_dir="$root/.skiff/multi"
pid="$(cat "$state_dir/pid" 2>/dev/null || true)"
if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF 'tools/cluster/multi.mjs start'; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    echo "multi-host cluster: killed (pid $pid did not stop within 60 s)"
  else
    echo "multi-host cluster: stopped"
  fi
else
  echo "multi-host cluster: not running"
fi
rm -rf "$state_dir"
# Leftovers of dead owners (this one if it was killed, crashed test runs): only our own names.
if ls /var/run/netns 2>/dev/null | grep -q '^skt' || ls "${TMPDIR:-/tmp}/skiff-test-hosts" >/dev/null 2>&1; then
  node tools/cluster/multi.mjs sweep
fi
