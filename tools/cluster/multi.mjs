// Drives libs/testing's multi-host cluster for `npm run cluster:multi` (tools/cluster/multi.sh)
// and its cleanup (tools/cluster/multi-stop.sh). libs/testing is bundled from source with the
// apps' esbuild setup (../bundle.mjs) into tmp/cluster/testing.js.
//
//   node tools/cluster/multi.mjs start [--workers N] [--ha] STATE_FILE
//       starts a cluster on test hosts (1 control plane + N workers, default 2; with --ha 3 store
//       hosts with etcd and NATS clusters and 2 control plane hosts instead of one), writes
//       STATE_FILE (JSON: pid, server address, hosts) once it is up, and keeps it running until
//       SIGTERM/SIGINT, then removes every host, namespace, route, bridge and dockerd it made.
//   node tools/cluster/multi.mjs sweep
//       removes what test networks of dead processes left behind (sweepTestHosts).
import { createRequire } from 'node:module';
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { bundle } from '../bundle.mjs';

const [mode = 'start', ...rest] = process.argv.slice(2);
const outfile = 'tmp/cluster/testing.js';
await bundle('libs/testing/src/index.ts', outfile);
const testing = createRequire(import.meta.url)(`../../${outfile}`);

if (mode === 'sweep') {
  const swept = await testing.sweepTestHosts();
  console.log(swept.length ? `multi: removed the leftovers of test network(s) ${swept.join(', ')}` : 'multi: no leftovers of test networks');
  process.exit(0);
}
if (mode !== 'start') {
  console.error('usage: node tools/cluster/multi.mjs start [--workers N] STATE_FILE | sweep');
  process.exit(2);
}

let workers = 2;
let ha = false;
let stateFile;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--workers') workers = Number(rest[++i]);
  else if (rest[i] === '--ha') ha = true;
  else if (rest[i].startsWith('-')) workers = NaN; // an unknown flag: the usage below
  else stateFile = rest[i];
}
if (!stateFile || !(workers >= 1)) {
  console.error('usage: node tools/cluster/multi.mjs start [--workers N] [--ha] STATE_FILE');
  process.exit(2);
}

console.log('multi: making sure the test images are in the local registry');
await testing.ensureTestImages();
console.log(ha ? `multi: starting 3 store hosts (etcd, NATS), 2 control plane hosts and ${workers} worker host(s)` : `multi: starting a control plane host and ${workers} worker host(s)`);
const cluster = await testing.startMultiHostCluster({ workers, ha: ha ? { stores: 3, controlPlanes: 2 } : undefined, logLevel: process.env.SKIFF_LOG_LEVEL ?? 'info' });
let stopping = false;
const stop = async (why) => {
  if (stopping) return;
  stopping = true;
  console.log(`multi: ${why}: removing the cluster's hosts, namespaces, routes, bridge and dockerds`);
  await cluster.stop().catch((err) => console.error(`multi: cleanup failed: ${err.message}`));
  rmSync(stateFile, { force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

const roleOf = (name) => (name.startsWith('s') ? 'etcd member, NATS server' : ha ? 'apiserver, scheduler, controller-manager' : 'control plane');
const hosts = [...cluster.network.hosts.values()]
  .filter((h) => !cluster.workers.has(h.name))
  .map((h) => ({ name: h.name, ip: h.ip, netns: h.netns, role: roleOf(h.name), dir: h.dir }));
for (const w of cluster.workers.values()) hosts.push({ name: w.name, ip: w.host.ip, netns: w.host.netns, role: 'worker', dir: w.host.dir, dockerSocket: w.dockerSocket });
const state = { pid: process.pid, run: cluster.network.run, server: cluster.address, registry: cluster.network.registry, image: cluster.image, clusterCidr: cluster.clusterCidr, clusterDns: cluster.clusterDns, hosts };
writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
renameSync(`${stateFile}.tmp`, stateFile);
console.log('multi: cluster up');

// Each component's output goes to this log (the TestProcess keeps it): echo it as it comes.
for (const p of [
  ...cluster.controlPlaneProcesses.values(),
  ...[...(cluster.etcd?.members ?? []), ...(cluster.nats?.members ?? [])].map((m) => m.process),
  ...[...cluster.workers.values()].flatMap((w) => [w.kubelet, w.proxy]),
]) {
  for (const stream of [p.child.stdout, p.child.stderr]) stream?.on('data', (chunk) => process.stdout.write(`[${p.name}] ${chunk}`));
  p.child.on('exit', (code, signal) => !stopping && console.log(`multi: ${p.name} exited (${signal ?? code})`));
}
