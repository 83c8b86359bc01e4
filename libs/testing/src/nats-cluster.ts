/**
 * A real nats-server cluster with clustered JetStream (nats-server 2.9: server_name, cluster
 * { name, listen, routes }, jetstream { store_dir } in a config file) for fault tests: each
 * member can be SIGKILLed and restarted with its store dir, so that it rejoins and catches up.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './free-port';
import { loopbackHosts, memberDir, restartableMember, sharesPortSpace, startMembers, type MemberHost, type RestartableMember } from './member-host';

export interface NatsMember extends RestartableMember {
  /** server_name: "n1", "n2", ... */
  name: string;
  /** "nats://IP:PORT" */
  url: string;
  /** The HTTP monitoring address "http://IP:PORT" (/healthz, /jsz). */
  monitorUrl: string;
}

export interface NatsCluster {
  members: NatsMember[];
  /** Every member's client URL. */
  urls: string[];
  /** The same, comma separated (what --nats takes; startApiserver's `nats`). */
  url: string;
  /**
   * The replicas of JetStream stream `stream` as its leader's monitoring reports them: server
   * name, whether it is the leader, and whether it is current. Empty when no running member
   * leads the stream (e.g. during an election).
   */
  streamReplicas(stream: string): Promise<{ name: string; leader: boolean; current: boolean }[]>;
  /** Stops every member and removes the store dirs. */
  stop(): Promise<void>;
}

export interface StartNatsClusterOptions {
  /** Where each member runs (its length is the member count); default `n` members on loopback. */
  hosts?: MemberHost[];
  timeoutMs?: number;
}

async function jetStreamHealthy(monitorUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

interface Jsz {
  server_name?: string;
  account_details?: {
    stream_detail?: {
      name: string;
      cluster?: { leader?: string; replicas?: { name: string; current: boolean; offline?: boolean }[] };
    }[];
  }[];
}

/**
 * Starts an `n`-server NATS cluster (3 by default; or one server per `options.hosts`) with
 * JetStream clustered across them, each on its own client, route and monitoring port and store
 * dir; resolves once every server reports healthy (JetStream meta group formed). On failure it
 * stops what it started.
 */
export async function startNatsCluster(n = 3, options: StartNatsClusterOptions = {}): Promise<NatsCluster> {
  const hosts = options.hosts ?? loopbackHosts(n);
  const clusterName = `skiff-${randomBytes(3).toString('hex')}`;
  const plans: { name: string; host: MemberHost; client: number; route: number; monitor: number; dir: { path: string; remove: () => void } }[] = [];
  for (const [i, host] of hosts.entries()) {
    const local = sharesPortSpace(host);
    plans.push({
      name: `n${i + 1}`,
      host,
      client: local ? await freePort() : 4222,
      route: local ? await freePort() : 6222,
      monitor: local ? await freePort() : 8222,
      dir: memberDir(host, `nats-n${i + 1}`),
    });
  }
  const routes = plans.map((p) => `nats-route://${p.host.ip}:${p.route}`);
  const members: NatsMember[] = plans.map((plan) => {
    const config = join(plan.dir.path, 'nats.conf');
    writeFileSync(
      config,
      [
        `server_name: ${plan.name}`,
        `listen: "${plan.host.ip}:${plan.client}"`,
        `http: "${plan.host.ip}:${plan.monitor}"`,
        `jetstream { store_dir: "${join(plan.dir.path, 'js')}" }`,
        `cluster {`,
        `  name: ${clusterName}`,
        `  listen: "${plan.host.ip}:${plan.route}"`,
        `  routes: [${routes.map((r) => `"${r}"`).join(', ')}]`,
        `}`,
        '',
      ].join('\n'),
    );
    const monitorUrl = `http://${plan.host.ip}:${plan.monitor}`;
    return restartableMember(
      { name: plan.name, url: `nats://${plan.host.ip}:${plan.client}`, monitorUrl },
      { host: plan.host, label: `nats ${plan.name}`, command: 'nats-server', args: ['-c', config], healthy: () => jetStreamHealthy(monitorUrl), timeoutMs: options.timeoutMs, intervalMs: 100 },
    );
  });
  const stop = await startMembers(members, plans.map((p) => p.dir));
  const cluster: NatsCluster = {
    members,
    urls: members.map((m) => m.url),
    url: members.map((m) => m.url).join(','),
    async streamReplicas(stream) {
      for (const m of members) {
        if (!m.process?.running) continue;
        try {
          const res = await fetch(`${m.monitorUrl}/jsz?accounts=true&streams=true`, { signal: AbortSignal.timeout(2_000) });
          const jsz = (await res.json()) as Jsz;
          const detail = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
          const group = detail?.cluster;
          // Only the stream leader's own view lists the followers' state (others may be stale).
          if (!group?.leader || group.leader !== m.name) continue;
          return [
            { name: group.leader, leader: true, current: true },
            ...(group.replicas ?? []).map((r) => ({ name: r.name, leader: false, current: r.current && !r.offline })),
          ];
        } catch {
          // ask the next member
        }
      }
      return [];
    },
    stop,
  };
  return cluster;
}
