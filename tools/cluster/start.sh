#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, and starts a local Skiff cluster in the
# background on loopback (etcd, NATS with JetStream, the apiserver), state under .skiff/
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

etcd_healthy() { node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$ETCD_CLIENT_PORT/health"; }
nats_healthy() { port_open "$NATS_PORT"; }
apiserver_healthy() { node dist/apps/skiff/main.js version --server "127.0.0.1:$API_PORT" >/dev/null 2>&1; }

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

cat <<INFO

Skiff is running (state and logs in .skiff/):
  etcd        http://127.0.0.1:$ETCD_CLIENT_PORT      log .skiff/logs/etcd.log
  nats        nats://127.0.0.1:$NATS_PORT (JetStream)   log .skiff/logs/nats.log
  apiserver   127.0.0.1:$API_PORT (gRPC), metrics http://127.0.0.1:$METRICS_PORT/metrics   log .skiff/logs/apiserver.log

Applying the demo (npx skiff apply -f examples/):
INFO
node dist/apps/skiff/main.js apply --server "127.0.0.1:$API_PORT" -f examples/
cat <<INFO

Try: npx skiff get all        npx skiff get pods -w        npx skiff describe pod web
Stop with: npm stop
INFO
