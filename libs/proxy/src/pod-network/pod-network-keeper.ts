/**
 * The pod network keeper, the I/O half (pod-network-plan.ts decides): programs this machine's
 * routes to other nodes' pod CIDRs and the forward/masquerade rules, with `ip` and `iptables`
 * (Debian's iptables is the nf_tables backend, the one Docker uses too). Needs CAP_NET_ADMIN.
 *
 *   apply(nodes)   idempotent: rules are checked (`iptables -C`) and rebuilt only when they differ;
 *                  routes listed (`ip -j route show proto 157`) and changed only where they differ;
 *                  net.ipv4.ip_forward turned on when off. A route that cannot be added (its
 *                  gateway unreachable) is logged and skipped; other failures reject.
 *   cleanup()      removes the keeper's routes (inside its cluster CIDR, proto 157) and its chains
 *                  and jumps; DOCKER-USER and its FORWARD jump stay (Docker's). Best effort: logs
 *                  what fails.
 * Every command goes through `run` (commandRunner), which can prefix it, e.g. with
 * `nsenter --net=/var/run/netns/NAME` to act in another network namespace (tests, test hosts).
 */
import { execFile } from 'node:child_process';
import type { Node } from '@skiff/api';
import type { Logger } from '@skiff/service';
import { desiredPodRoutes, nodeRouteView, podNetworkRules, POD_ROUTE_PROTO, routeChanges, type InstalledRoute, type PodNetworkRules } from './pod-network-plan';

/** Runs a command; resolves with its stdout, rejects with an Error carrying `code` and `stderr`. */
export type CommandRunner = (command: string, args: readonly string[], signal?: AbortSignal) => Promise<string>;

/** An Error of a failed command: its exit code and stderr. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A runner through execFile, each command prefixed with `prefix` (e.g. ['nsenter', '--net=/var/run/netns/h1']). */
export function commandRunner(prefix: readonly string[] = []): CommandRunner {
  return (command, args, signal) =>
    new Promise((resolve, reject) => {
      const [file, ...rest] = [...prefix, command, ...args];
      execFile(file as string, rest, { signal, timeout: 30_000 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : undefined;
        reject(new CommandError(`${[command, ...args].join(' ')} failed: ${stderr.trim() || err.message}`, code, stderr, { cause: err }));
      });
    });
}

export interface PodNetworkKeeperOptions {
  clusterCidr: string;
  /** The nodes of this machine (no route to them). */
  localNodes: readonly string[];
  run?: CommandRunner;
  log: Logger;
}

const DOCKER_USER = 'DOCKER-USER';

export class PodNetworkKeeper {
  private readonly run: CommandRunner;
  private readonly rules: PodNetworkRules;
  private readonly localNodes: ReadonlySet<string>;

  constructor(private readonly options: PodNetworkKeeperOptions) {
    this.run = options.run ?? commandRunner();
    this.rules = podNetworkRules(options.clusterCidr);
    this.localNodes = new Set(options.localNodes);
  }

  /** `iptables -w <args>`; resolves true/false for a check (-C) or create (-N) that may fail with exit 1. */
  private iptables(args: readonly string[], signal?: AbortSignal): Promise<string> {
    return this.run('iptables', ['-w', ...args], signal);
  }

  private async succeeds(args: readonly string[], signal?: AbortSignal): Promise<boolean> {
    try {
      await this.iptables(args, signal);
      return true;
    } catch (err) {
      signal?.throwIfAborted();
      if (err instanceof CommandError && err.code === 1) return false;
      throw err;
    }
  }

  /** Makes `chain` of `table` hold exactly `rules`, in order: checked first, rebuilt only when different. */
  private async ensureChain(table: string, chain: string, rules: readonly string[][], signal?: AbortSignal): Promise<void> {
    await this.succeeds(['-t', table, '-N', chain], signal); // exit 1: it exists
    const listed = (await this.iptables(['-t', table, '-S', chain], signal)).split('\n').filter((l) => l.startsWith('-A '));
    let same = listed.length === rules.length;
    for (const rule of rules) {
      if (!same) break;
      same = await this.succeeds(['-t', table, '-C', chain, ...rule], signal);
    }
    if (same) return;
    await this.iptables(['-t', table, '-F', chain], signal);
    for (const rule of rules) await this.iptables(['-t', table, '-A', chain, ...rule], signal);
    this.options.log.info({ table, chain }, 'pod network rules written');
  }

  /** Inserts `rule` first in `chain` unless it is there. */
  private async ensureJump(table: string, chain: string, rule: readonly string[], signal?: AbortSignal): Promise<void> {
    if (!(await this.succeeds(['-t', table, '-C', chain, ...rule], signal))) await this.iptables(['-t', table, '-I', chain, '1', ...rule], signal);
  }

  /** The forward and masquerade rules, and IP forwarding. */
  async ensureRules(signal?: AbortSignal): Promise<void> {
    const r = this.rules;
    await this.ensureChain('filter', r.forwardChain, r.forwardRules, signal);
    // DOCKER-USER is where Docker lets others decide before its isolation and port filters; on a
    // machine without Docker (yet) it is made here, and Docker adopts it when it starts.
    if (await this.succeeds(['-t', 'filter', '-N', DOCKER_USER], signal)) this.options.log.info('created the DOCKER-USER chain');
    await this.ensureJump('filter', 'FORWARD', ['-j', DOCKER_USER], signal);
    await this.ensureJump('filter', DOCKER_USER, ['-j', r.forwardChain], signal);
    await this.ensureChain('nat', r.masqueradeChain, r.masqueradeRules, signal);
    await this.ensureJump('nat', 'POSTROUTING', r.masqueradeJump, signal);
    if ((await this.run('sysctl', ['-n', 'net.ipv4.ip_forward'], signal)).trim() !== '1') {
      await this.run('sysctl', ['-w', 'net.ipv4.ip_forward=1'], signal);
      this.options.log.info('turned on net.ipv4.ip_forward');
    }
  }

  /** This machine's IPv4 addresses. */
  async localAddresses(signal?: AbortSignal): Promise<Set<string>> {
    const links = JSON.parse((await this.run('ip', ['-j', '-4', 'addr', 'show'], signal)) || '[]') as { addr_info?: { local?: string }[] }[];
    return new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')).filter(Boolean));
  }

  /** The routes marked POD_ROUTE_PROTO (in any destination range). */
  async installedRoutes(signal?: AbortSignal): Promise<InstalledRoute[]> {
    const out = await this.run('ip', ['-j', '-4', 'route', 'show', 'proto', String(POD_ROUTE_PROTO)], signal);
    return (JSON.parse(out || '[]') as { dst: string; gateway?: string }[]).map((r) => ({ dst: r.dst, gateway: r.gateway }));
  }

  /** Rules, then routes, for `nodes` (every Node of the cluster). See the module comment. */
  async apply(nodes: readonly Readonly<Node>[], signal?: AbortSignal): Promise<void> {
    const { log, clusterCidr } = this.options;
    await this.ensureRules(signal);
    const desired = desiredPodRoutes({ clusterCidr, nodes: nodes.map(nodeRouteView), localNodes: this.localNodes, localAddresses: await this.localAddresses(signal) });
    const changes = routeChanges(await this.installedRoutes(signal), desired, clusterCidr);
    for (const dst of changes.remove) {
      await this.run('ip', ['route', 'del', dst, 'proto', String(POD_ROUTE_PROTO)], signal).catch((err: unknown) => {
        signal?.throwIfAborted();
        log.warn({ err, dst }, 'could not remove a pod route');
      });
      log.info({ dst }, 'pod route removed');
    }
    for (const route of changes.replace) {
      try {
        await this.run('ip', ['route', 'replace', route.dst, 'via', route.via, 'proto', String(POD_ROUTE_PROTO)], signal);
        log.info({ dst: route.dst, via: route.via, node: route.node }, 'pod route set');
      } catch (err) {
        signal?.throwIfAborted();
        log.warn({ err, dst: route.dst, via: route.via, node: route.node }, 'could not route a node\'s pod CIDR (is its address reachable?)');
      }
    }
  }

  /** Removes the keeper's routes, chains and jumps (see the module comment). Never rejects. */
  async cleanup(): Promise<void> {
    const { log, clusterCidr } = this.options;
    const r = this.rules;
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (err) {
        log.warn({ err }, `pod network cleanup: ${what} failed`);
      }
    };
    await attempt('routes', async () => {
      for (const dst of routeChanges(await this.installedRoutes(), [], clusterCidr).remove) await this.run('ip', ['route', 'del', dst, 'proto', String(POD_ROUTE_PROTO)]);
    });
    const removeChain = async (table: string, from: string, jump: readonly string[], chain: string) => {
      await attempt(`${table} ${chain}`, async () => {
        if (!(await this.succeeds(['-t', table, '-S', chain]))) return; // never made (or already removed)
        while (await this.succeeds(['-t', table, '-C', from, ...jump])) await this.iptables(['-t', table, '-D', from, ...jump]);
        await this.iptables(['-t', table, '-F', chain]);
        await this.iptables(['-t', table, '-X', chain]);
      });
    };
    await removeChain('filter', DOCKER_USER, ['-j', r.forwardChain], r.forwardChain);
    await removeChain('nat', 'POSTROUTING', r.masqueradeJump, r.masqueradeChain);
    log.info({ clusterCidr }, 'pod network routes and rules removed');
  }
}
