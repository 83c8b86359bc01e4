#!/usr/bin/env bash
# `npm run cluster:multi [-- --workers N] [-- --ha]`: a Skiff cluster on "test hosts" (network namespaces
# joined by a bridge, see libs/testing/src/test-hosts.ts): one control plane host (etcd, NATS,
# apiserver, scheduler, controller-manager) and N worker hosts (default 2), each worker with its
# own dockerd, kubelet and proxy. Runs in the background (a Node process owning the hosts, log
# .skiff/logs/multi.log, state .skiff/multi/state.json); `bash tools/cluster/multi-stop.sh`
# (or `npm stop`) removes every namespace, route, bridge and dockerd it made. Needs root.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
state_dir="$root/.skiff/multi"
state="$state_dir/state.json"
log="$root/.skiff/logs/multi.log"
mkdir -p "$state_dir" "$(dirname "$log")"

if [ -f "$state" ] && pid="$(node -p 'require(process.argv[1]).pid' "$state" 2>/dev/null)" && kill -0 "$pid" 2>/dev/null; then
  echo "multi: a multi-host cluster is already running (pid $pid); stop it with: bash tools/cluster/multi-stop.sh" >&2
  exit 1
fi
rm -f "$state"
bash tools/install-deps.sh

echo "multi: starting (log: .skiff/logs/multi.log)"
setsid node tools/cluster/multi.mjs start "$@" "$state" >"$log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$state_dir/pid"
for _ in $(seq 1 3000); do
  [ -f "$state" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 40 "$log" >&2
    echo "multi: the cluster did not start (full log: $log)" >&2
    exit 1
  fi
  sleep 0.1
done
[ -f "$state" ] || { tail -n 40 "$log" >&2; echo "multi: not up within 300 s (log: $log)" >&2; exit 1; }

node - "$state" <<'JS'
const s = require(process.argv[2]);
const pad = (t, n) => String(t).padEnd(n);
console.log(`\nSkiff multi-host cluster up (test network ${s.run}, cluster CIDR ${s.clusterCidr}, cluster DNS ${s.clusterDns})\n`);
console.log(`  ${pad('HOST', 6)}${pad('ROLE', 42)}${pad('ADDRESS', 16)}NETWORK NAMESPACE`);
for (const h of s.hosts) console.log(`  ${pad(h.name, 6)}${pad(h.role, 42)}${pad(h.ip, 16)}${h.netns}`);
console.log(`
Use it:
  npx skiff --server ${s.server} get nodes
  export SKIFF_SERVER=${s.server}      # then plain: npx skiff get pods -o wide
  images: ${s.image} (the local registry as the hosts see it, at ${s.registry})
Look inside a host:
  nsenter --net=/var/run/netns/<namespace> ip route
  docker -H unix://<host dir>/docker/docker.sock ps      (worker dockerd sockets are in .skiff/multi/state.json)
Stop it (every namespace, route, bridge and dockerd):
  bash tools/cluster/multi-stop.sh        (npm stop too, once it calls it)
Component logs: .skiff/logs/multi.log`);
JS
