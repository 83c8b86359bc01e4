/**
 * The controller-manager as one function: `await runControllerManager(config, signal)` connects
 * to the apiserver and NATS, serves /metrics and /healthz, and, while it holds the
 * `skiff-system/controller-manager` Lease (or always, without leader election), runs the
 * shared informers and every selected controller. Losing the Lease stops them all (their
 * caches are dropped) and the process campaigns again; a new term starts from a fresh List,
 * which is safe because every controller is level-triggered.
 */
import { setMaxListeners } from 'node:events';
import { EventRecorder, runLeading, type LeaderElectionConfig } from '@skiff/client';
import { runComponent, SharedInformers } from '@skiff/reconcile';
import type { Logger } from '@skiff/service';
import { Gauge } from 'prom-client';
import { DEFAULT_TUNING, type ControllerContext, type ControllerTuning } from './controller-context';
import { CONTROLLERS } from './controller-registry';
import { DEFAULT_NODE_IPAM, parseClusterCidr, type NodeIpamConfig } from './node-ipam/node-cidr-plan';

export interface ControllerManagerConfig {
  /** apiserver gRPC address, "127.0.0.1:6443". */
  server: string;
  /** NATS server URLs. */
  nats: string[];
  /** Prometheus /metrics and /healthz address (port 0: any free port). */
  metricsListen: string;
  logger: Logger;
  /** Controller names to run; ['*'] (default): all. A name prefixed with '-' is left out. */
  controllers?: string[];
  /** Leader election; false runs the controllers at once (a single replica). */
  leaderElection?: LeaderElectionConfig | false;
  tuning?: Partial<ControllerTuning>;
  /** Informer resync period; 0: none. Default 10 min (every object is reconciled again). */
  resyncMs?: number;
  onListening?: (addresses: { metrics: string }) => void;
  /**
   * Node IPAM (the "nodeipam" controller): each Node gets a spec.podCIDR of nodeCidrMaskSize
   * from clusterCidr. Absent: 10.244.0.0/16 and 24. false: no allocation (nodeipam is not run;
   * Kubernetes' --allocate-node-cidrs=false).
   */
  nodeIpam?: NodeIpamConfig | false;
  /** The controllers' wall clock (ms); Date.now. Tests pass a fake one (CronJob schedules). */
  now?: () => number;
}

/** The controller names `--controllers` selects: '*' is all, '-name' removes one. */
export function selectControllers(requested: readonly string[] = ['*'], known: readonly string[] = Object.keys(CONTROLLERS)): string[] {
  const unknown = requested.map((n) => n.replace(/^-/, '')).filter((n) => n !== '*' && !known.includes(n));
  if (unknown.length > 0) throw new Error(`unknown controller ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const chosen = new Set(requested.includes('*') ? known : requested.filter((n) => !n.startsWith('-')));
  for (const n of requested) if (n.startsWith('-')) chosen.delete(n.slice(1));
  return known.filter((n) => chosen.has(n));
}

/**
 * Runs until `signal` aborts, then stops everything it started and resolves. Rejects only when
 * it cannot start (unknown controller, metrics address taken).
 */
export async function runControllerManager(config: ControllerManagerConfig, signal: AbortSignal): Promise<void> {
  const { logger } = config;
  const names = selectControllers(config.controllers).filter((name) => name !== 'nodeipam' || config.nodeIpam !== false);
  // A bad cluster CIDR is a start-up error, not a crash of the first leadership term.
  if (names.includes('nodeipam')) parseClusterCidr(config.nodeIpam || DEFAULT_NODE_IPAM);
  const tuning = { ...DEFAULT_TUNING, ...config.tuning };
  await runComponent({ ...config, name: 'controller-manager' }, signal, ({ client, bus, registry }) => {
    const leading = new Gauge({ name: 'skiff_leader_election_master_status', help: '1 while this process holds the lease.', labelNames: ['name'], registers: [registry] });
    /** One term of leadership: fresh caches, every controller, until leaderSignal aborts. */
    const lead = async (leaderSignal: AbortSignal) => {
      // Every informer (one per kind), controller and worker listens on this one signal.
      setMaxListeners(0, leaderSignal);
      leading.set({ name: 'controller-manager' }, 1);
      const informers = new SharedInformers({ client, bus, log: logger, resyncMs: config.resyncMs ?? 600_000 });
      const recorders = new Map<string, EventRecorder>();
      const ctx: ControllerContext = {
        client,
        informers,
        recorder(component) {
          let r = recorders.get(component);
          if (!r) recorders.set(component, (r = new EventRecorder({ client, component, log: logger })));
          return r;
        },
        log: logger,
        registry,
        tuning,
        now: config.now ?? Date.now,
        nodeIpam: config.nodeIpam,
      };
      const controllers = names.map((name) => CONTROLLERS[name](ctx));
      logger.info({ controllers: names }, 'controllers starting');
      try {
        await Promise.all([informers.start(leaderSignal), ...controllers.map((c) => c.start(leaderSignal))]);
      } finally {
        leading.set({ name: 'controller-manager' }, 0);
        await Promise.all([...recorders.values()].map((r) => r.flush()));
      }
    };
    return runLeading(client, config.leaderElection, 'controller-manager', logger, signal, lead);
  });
}
