/**
 * A real multi-member etcd cluster for fault tests: each member can be SIGKILLed and restarted
 * on its own ports and data dir, so that it rejoins as the same member.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from './free-port';
import { loopbackHosts, memberDir, restartableMember, sharesPortSpace, startMembers, type MemberHost, type RestartableMember } from './member-host';

export interface EtcdMember extends RestartableMember {
  /** "s1", "s2", ... */
  name: string;
  /** "http://IP:PORT" */
  endpoint: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL. */
  endpoints: string[];
  /** The same, comma separated (what the apiserver's --etcd takes; startApiserver's `etcd`). */
  endpoint: string;
  /** The member that leads now (asked of the running members); rejects when none knows one. */
  leader(): Promise<EtcdMember>;
  /** True when every member runs, answers healthy, and the member list has them all started. */
  healthy(): Promise<boolean>;
  /** Stops every member and removes the data dirs. */
  stop(): Promise<void>;
}

export interface StartEtcdClusterOptions {
  /** Where each member runs (its length is the member count); default `n` members on loopback. */
  hosts?: MemberHost[];
  timeoutMs?: number;
}

/** etcd's JSON gateway (v3, grpc-gateway): POST a JSON body, get JSON back. */
async function gateway<T>(endpoint: string, path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${endpoint}/v3/${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`${endpoint}/v3/${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/**
 * Starts an `n`-member etcd cluster (3 by default; or one member per `options.hosts`), each on
 * its own client and peer port with its own temp data dir; resolves once every member reports
 * healthy (a leader is elected). On failure it stops what it started.
 */
export async function startEtcdCluster(n = 3, options: StartEtcdClusterOptions = {}): Promise<EtcdCluster> {
  const hosts = options.hosts ?? loopbackHosts(n);
  const token = `skiff-${randomBytes(4).toString('hex')}`;
  const plans: { name: string; host: MemberHost; client: number; peer: number; dir: { path: string; remove: () => void } }[] = [];
  for (const [i, host] of hosts.entries()) {
    const local = sharesPortSpace(host);
    const client = local ? await freePort() : 2379;
    const peer = local ? await freePort() : 2380;
    plans.push({ name: `s${i + 1}`, host, client, peer, dir: memberDir(host, `etcd-s${i + 1}`) });
  }
  const initialCluster = plans.map((p) => `${p.name}=http://${p.host.ip}:${p.peer}`).join(',');
  const members: EtcdMember[] = plans.map((plan) => {
    const endpoint = `http://${plan.host.ip}:${plan.client}`;
    const peerUrl = `http://${plan.host.ip}:${plan.peer}`;
    const args = [
      '--name', plan.name, '--data-dir', plan.dir.path,
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
      // etcd's defaults, written out: a lost leader is noticed within 1-2 s.
      '--heartbeat-interval', '100', '--election-timeout', '1000',
      '--logger', 'zap', '--log-level', 'error',
    ];
    return restartableMember({ name: plan.name, endpoint }, { host: plan.host, label: `etcd ${plan.name}`, command: 'etcd', args, healthy: () => healthy(endpoint), timeoutMs: options.timeoutMs });
  });
  const stop = await startMembers(members, plans.map((p) => p.dir));
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.endpoint),
    endpoint: members.map((m) => m.endpoint).join(','),
    async leader() {
      for (const m of members) {
        if (!m.process?.running) continue;
        try {
          const status = await gateway<{ leader?: string; header?: { member_id?: string } }>(m.endpoint, 'maintenance/status');
          if (!status.leader || status.leader === '0') continue;
          const list = await gateway<{ members?: { ID: string; name: string }[] }>(m.endpoint, 'cluster/member/list');
          const name = list.members?.find((x) => x.ID === status.leader)?.name;
          const leader = members.find((x) => x.name === name);
          if (leader) return leader;
        } catch {
          // this member does not answer: ask the next
        }
      }
      throw new Error('no etcd member knows a leader');
    },
    async healthy() {
      if (!members.every((m) => m.process?.running)) return false;
      if (!(await Promise.all(members.map((m) => healthy(m.endpoint)))).every(Boolean)) return false;
      const list = await gateway<{ members?: { name?: string; clientURLs?: string[] }[] }>(members[0].endpoint, 'cluster/member/list');
      return list.members?.length === members.length && list.members.every((m) => !!m.name && (m.clientURLs?.length ?? 0) > 0);
    },
    stop,
  };
  return cluster;
}
