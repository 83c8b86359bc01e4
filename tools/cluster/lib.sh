# Shared by start.sh and stop.sh: where the local cluster keeps its state, and how to tell whether
# a service we started is still the process its pid file names.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="$root/.skiff"
run_dir="$state/run"
log_dir="$state/logs"

# The services, in start order: name|command-line marker (to recognise our process in /proc).
SERVICES=(etcd nats apiserver scheduler controller-manager proxy kubelet-1 kubelet-2)
declare -A MARKER=([etcd]="etcd" [nats]="nats-server" [apiserver]="dist/apps/apiserver/main.js" [scheduler]="dist/apps/scheduler/main.js"
  [controller-manager]="dist/apps/controller-manager/main.js" [proxy]="dist/apps/proxy/main.js"
  [kubelet-1]="--node-name node-1" [kubelet-2]="--node-name node-2")

ETCD_CLIENT_PORT="${SKIFF_ETCD_PORT:-2379}"
ETCD_PEER_PORT="${SKIFF_ETCD_PEER_PORT:-2380}"
NATS_PORT="${SKIFF_NATS_PORT:-4222}"
API_PORT="${SKIFF_API_PORT:-6443}"
METRICS_PORT="${SKIFF_METRICS_PORT:-6480}"
SCHEDULER_METRICS_PORT="${SKIFF_SCHEDULER_METRICS_PORT:-10251}"
CONTROLLER_MANAGER_METRICS_PORT="${SKIFF_CONTROLLER_MANAGER_METRICS_PORT:-10257}"
PROXY_METRICS_PORT="${SKIFF_PROXY_METRICS_PORT:-10249}"
# Cluster DNS: served by the proxy at the DNS service's ClusterIP; pods get it as their nameserver.
CLUSTER_DNS=10.96.0.10
# The pod network: node IPAM cuts a /24 per node from it (controller-manager and proxy --cluster-cidr).
CLUSTER_CIDR=10.244.0.0/16
# Two nodes on this machine, each on its own loopback address (their pods' host ports too).
KUBELET_1_ADDRESS="127.0.0.1:${SKIFF_KUBELET_1_PORT:-10250}"
KUBELET_2_ADDRESS="127.0.0.2:${SKIFF_KUBELET_2_PORT:-10260}"

# Prints the pid of a running service we started, or nothing (a stale pid file is removed).
service_pid() {
  local name="$1" file="$run_dir/$1.pid" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "${MARKER[$name]}"; then
    echo "$pid"
  else
    rm -f "$file"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  node -e 'const s=require("net").connect({host:"127.0.0.1",port:+process.argv[1]},()=>{s.destroy();process.exit(0)});s.on("error",()=>process.exit(1))' "$1"
}
