#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, and starts a local Skiff cluster in the
# background on loopback (etcd, NATS with JetStream, the apiserver, the scheduler, the
# controller-manager, the proxy (service IPs, cluster DNS), kubelets for node-1 and node-2;
# dockerd and a local image registry), state under .skiff/
# (data, logs, pid files). Returns once each is healthy, then applies examples/.
# Safe to run twice: running services are left alone, stale pid files are cleaned up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

bash tools/install-deps.sh
mkdir -p "$run_dir" "$log_dir" "$state/etcd" "$state/nats"

echo "building (log: .skiff/logs/build.log)"
if ! npx nx run-many -t build --output-style=static >"$log_dir/build.log" 2>&1; then
  tail -n 40 "$log_dir/build.log" >&2
  echo "start: the build failed (full log: $log_dir/build.log)" >&2
  exit 1
fi

http_healthy() { node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1"; }
etcd_healthy() { http_healthy "http://127.0.0.1:$ETCD_CLIENT_PORT/health"; }
nats_healthy() { port_open "$NATS_PORT"; }
apiserver_healthy() { node dist/apps/skiff/main.js version --server "127.0.0.1:$API_PORT" >/dev/null 2>&1; }
scheduler_healthy() { http_healthy "http://127.0.0.1:$SCHEDULER_METRICS_PORT/healthz"; }
controller_manager_healthy() { http_healthy "http://127.0.0.1:$CONTROLLER_MANAGER_METRICS_PORT/healthz"; }
proxy_healthy() { http_healthy "http://127.0.0.1:$PROXY_METRICS_PORT/healthz"; }
# A kubelet is healthy once its Node reports Ready=True.
node_ready() {
  node dist/apps/skiff/main.js get node "$1" -o json --server "127.0.0.1:$API_PORT" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const n=JSON.parse(s);process.exit(n.status.conditions.some(c=>c.type==="Ready"&&c.status==="True")?0:1)}catch{process.exit(1)}})'
}
node_1_ready() { node_ready node-1; }
node_2_ready() { node_ready node-2; }

# start_service NAME PORT HEALTH-FUNCTION COMMAND...
start_service() {
  local name="$1" port="$2" healthy="$3"
  shift 3
  local pid
  pid="$(service_pid "$name")"
  if [ -n "$pid" ]; then
    echo "$name: already running (pid $pid)"
  else
    if port_open "$port"; then
      echo "start: port $port is taken by a process this script did not start; stop it or set SKIFF_*_PORT" >&2
      exit 1
    fi
    setsid "$@" >"$log_dir/$name.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$run_dir/$name.pid"
  fi
  local deadline=$((SECONDS + 60))
  until "$healthy"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log_dir/$name.log" >&2 || true
      echo "start: $name exited (log: $log_dir/$name.log)" >&2
      rm -f "$run_dir/$name.pid"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "start: $name is not healthy after 60 s (log: $log_dir/$name.log)" >&2
      exit 1
    fi
    sleep 0.2
  done
}

start_service etcd "$ETCD_CLIENT_PORT" etcd_healthy \
  etcd --name skiff --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "skiff=http://127.0.0.1:$ETCD_PEER_PORT" --logger zap --log-level warn
start_service nats "$NATS_PORT" nats_healthy \
  nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$state/nats"
start_service apiserver "$API_PORT" apiserver_healthy \
  node dist/apps/apiserver/main.js --listen "127.0.0.1:$API_PORT" \
  --etcd "http://127.0.0.1:$ETCD_CLIENT_PORT" --nats "nats://127.0.0.1:$NATS_PORT" --metrics-listen "127.0.0.1:$METRICS_PORT"
start_service scheduler "$SCHEDULER_METRICS_PORT" scheduler_healthy \
  node dist/apps/scheduler/main.js --server "127.0.0.1:$API_PORT" --nats "nats://127.0.0.1:$NATS_PORT" \
  --metrics-listen "127.0.0.1:$SCHEDULER_METRICS_PORT"
# Node IPAM in the controller-manager gives each node a /24 of the cluster CIDR (spec.podCIDR);
# each kubelet runs its pods on a Docker bridge with that subnet.
start_service controller-manager "$CONTROLLER_MANAGER_METRICS_PORT" controller_manager_healthy \
  node dist/apps/controller-manager/main.js --server "127.0.0.1:$API_PORT" --nats "nats://127.0.0.1:$NATS_PORT" \
  --metrics-listen "127.0.0.1:$CONTROLLER_MANAGER_METRICS_PORT" --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24
# One proxy for this machine, serving both nodes: it routes the service CIDR locally (lo), binds
# each Service's ClusterIP:port and serves cluster DNS at $CLUSTER_DNS:53; it lets pod traffic
# pass between the nodes' bridges and masquerades pods' traffic leaving the cluster CIDR.
start_service proxy "$PROXY_METRICS_PORT" proxy_healthy \
  node dist/apps/proxy/main.js --server "127.0.0.1:$API_PORT" --nats "nats://127.0.0.1:$NATS_PORT" \
  --nodes node-1,node-2 --node-ips "${KUBELET_1_ADDRESS%:*},${KUBELET_2_ADDRESS%:*}" --cluster-dns "$CLUSTER_DNS" \
  --cluster-cidr "$CLUSTER_CIDR" \
  --metrics-listen "127.0.0.1:$PROXY_METRICS_PORT"

# Containers: the local dockerd (started if it is not running), a registry on 127.0.0.1:5000 and
# the busybox test image in it (pods pull it as users' pods would).
echo "docker: dockerd, the local registry and the test image (log: .skiff/logs/images.log)"
if ! { bash tools/images/ensure-docker.sh && bash tools/images/ensure-registry.sh && bash tools/images/build.sh; } >"$log_dir/images.log" 2>&1; then
  tail -n 30 "$log_dir/images.log" >&2
  echo "start: could not prepare Docker (log: $log_dir/images.log)" >&2
  exit 1
fi
start_service kubelet-1 "${KUBELET_1_ADDRESS##*:}" node_1_ready \
  node dist/apps/kubelet/main.js --node-name node-1 --node-ip "${KUBELET_1_ADDRESS%:*}" --listen "$KUBELET_1_ADDRESS" \
  --server "127.0.0.1:$API_PORT" --nats "nats://127.0.0.1:$NATS_PORT" --cluster-dns "$CLUSTER_DNS" --root-dir "$state/kubelet-1"
start_service kubelet-2 "${KUBELET_2_ADDRESS##*:}" node_2_ready \
  node dist/apps/kubelet/main.js --node-name node-2 --node-ip "${KUBELET_2_ADDRESS%:*}" --listen "$KUBELET_2_ADDRESS" \
  --server "127.0.0.1:$API_PORT" --nats "nats://127.0.0.1:$NATS_PORT" --cluster-dns "$CLUSTER_DNS" --root-dir "$state/kubelet-2"

cat <<INFO

Skiff is running (state and logs in .skiff/):
  etcd        http://127.0.0.1:$ETCD_CLIENT_PORT      log .skiff/logs/etcd.log
  nats        nats://127.0.0.1:$NATS_PORT (JetStream)   log .skiff/logs/nats.log
  apiserver   127.0.0.1:$API_PORT (gRPC), metrics http://127.0.0.1:$METRICS_PORT/metrics   log .skiff/logs/apiserver.log
  scheduler   metrics http://127.0.0.1:$SCHEDULER_METRICS_PORT/metrics   log .skiff/logs/scheduler.log
  controller-manager   metrics http://127.0.0.1:$CONTROLLER_MANAGER_METRICS_PORT/metrics   log .skiff/logs/controller-manager.log
  proxy       service CIDR 10.96.0.0/16 (local), pod network $CLUSTER_CIDR, DNS $CLUSTER_DNS:53, metrics http://127.0.0.1:$PROXY_METRICS_PORT/metrics   log .skiff/logs/proxy.log
  registry    127.0.0.1:5000 (image 127.0.0.1:5000/skiff/busybox:latest)
  node-1      kubelet $KUBELET_1_ADDRESS   log .skiff/logs/kubelet-1.log
  node-2      kubelet $KUBELET_2_ADDRESS   log .skiff/logs/kubelet-2.log

Applying the demo (npx skiff apply -f examples/):
INFO
node dist/apps/skiff/main.js apply --server "127.0.0.1:$API_PORT" -f examples/
cat <<INFO

Try: npx skiff get nodes      npx skiff get pods -o wide      npx skiff logs web      npx skiff exec web -- ls /www
Stop with: npm stop
INFO
