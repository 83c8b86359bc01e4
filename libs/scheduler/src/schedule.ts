/**
 * One scheduling decision, pure: filter the snapshot's nodes, score the feasible ones, pick the
 * best. No I/O, no clock, no randomness: the same pod and snapshot give the same answer.
 *
 *   nodes (from startIndex, wrapping) ──filters──> feasible (stop at numFeasibleNodesToFind)
 *        │ every filter failure recorded                      │
 *        v                                                    v
 *   none feasible: { unschedulable, message }       scores x weight ──> highest total wins
 *                                                   (ties: the first in evaluation order)
 */
import { DEFAULT_FILTERS, DEFAULT_SCORES } from './default-plugins';
import { fitErrorMessage } from './fit-error';
import type { NodeInfo } from './framework/node-info';
import type { FilterPlugin, ScorePlugin } from './framework/plugin';
import { podInfoOf, type PodInfo } from './framework/pod-info';
import { snapshotOf, type Snapshot } from './framework/snapshot';
import { SUCCESS, type Status } from './framework/status';
import type { Pod } from '@skiff/api';
import { hasClaims, preFilterVolumes, volumeBindingFilter, type PodVolumes, type VolumeLister } from './plugins/volume-binding';

export interface ScheduleOptions {
  filters?: readonly FilterPlugin[];
  scores?: readonly ScorePlugin[];
  /**
   * Stop filtering once this share of nodes (percent) is feasible, as kube-scheduler's
   * percentageOfNodesToScore; 0 or unset: Kubernetes' adaptive default (all nodes below 100,
   * 50% minus 1% per 125 nodes above, at least 5% and at least 100 nodes); 100: all nodes.
   */
  percentageOfNodesToScore?: number;
  /** Index of the first node to evaluate (rotated by the caller between cycles); 0. */
  startIndex?: number;
  /**
   * The claims, volumes and classes (VolumeBinding): given, a pod with persistentVolumeClaim
   * volumes is pre-filtered (a missing claim, an unbound Immediate claim reject it before any
   * node) and its nodes filtered by its volumes. Absent: such pods are placed as if volume-less.
   */
  volumes?: VolumeLister;
}

export interface Scheduled {
  readonly node: string;
  /** Nodes that passed the filters (of those evaluated). */
  readonly feasibleNodes: number;
  /** Nodes evaluated; the next cycle should start at (startIndex + evaluatedNodes) % nodes. */
  readonly evaluatedNodes: number;
  /** The pod's claims as VolumeBinding's PreFilter found them (for PreBind); absent without claims. */
  readonly volumes?: PodVolumes;
}

export interface Unschedulable {
  /** The failing status of each node that was filtered out, by node name. */
  readonly unschedulable: ReadonlyMap<string, Status>;
  /** "0/2 nodes are available: 2 Insufficient cpu." */
  readonly message: string;
  readonly evaluatedNodes: number;
}

export type ScheduleResult = Scheduled | Unschedulable;

/** True when the result names a node. */
export function isScheduled(result: ScheduleResult): result is Scheduled {
  return 'node' in result;
}

/** kube-scheduler's numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  const minFeasible = 100;
  if (numAllNodes < minFeasible || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(numAllNodes / 125));
  const n = Math.floor((numAllNodes * pct) / 100);
  return Math.max(n, minFeasible);
}

/** Runs the filters on one node; the first failure wins (tagged with its plugin's name). */
export function runFilters(filters: readonly FilterPlugin[], pod: PodInfo, node: NodeInfo): Status {
  for (const plugin of filters) {
    let status: Status;
    try {
      status = plugin.filter(pod, node);
    } catch (err) {
      status = { code: 'Error', reasons: [`${plugin.name}: ${(err as Error).message}`] };
    }
    if (status.code !== 'Success') return { ...status, plugin: plugin.name };
  }
  return SUCCESS;
}

/**
 * Weighted total score of each feasible node (same order as `nodes`, taken from `snapshot`),
 * over the plugins given (skip() is the caller's business: see activePlugins).
 */
export function scoreNodes(scores: readonly ScorePlugin[], pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot = snapshotOf(nodes)): number[] {
  const n = nodes.length;
  const totals = new Array<number>(n).fill(0);
  for (const plugin of scores) {
    const state: unknown = plugin.preScore?.(pod, snapshot);
    if (!plugin.normalize) {
      for (let i = 0; i < n; i++) totals[i] += plugin.score(pod, nodes[i], state) * plugin.weight;
      continue;
    }
    const raw = new Array<number>(n);
    for (let i = 0; i < n; i++) raw[i] = plugin.score(pod, nodes[i], state);
    const normalized = plugin.normalize(raw);
    for (let i = 0; i < n; i++) totals[i] += normalized[i] * plugin.weight;
  }
  return totals;
}

/**
 * The plugins that take part in this pod's cycle: those whose skip() (Kubernetes' PreFilter /
 * PreScore Skip) does not say they cannot matter for the pod.
 */
export function activePlugins<P extends { skip?(pod: PodInfo): boolean }>(plugins: readonly P[], pod: PodInfo): P[] {
  return plugins.filter((p) => !p.skip?.(pod));
}

/**
 * Picks a node for the pod (a Pod or a prepared PodInfo) in the snapshot, or explains why none
 * fits. Never throws for an unschedulable pod; a filter that throws counts as an Error status on
 * that node (and so as a reason in the message).
 */
export function schedule(pod: Readonly<Pod> | PodInfo, snapshot: Snapshot, options: ScheduleOptions = {}): ScheduleResult {
  const info = 'requests' in pod ? pod : podInfoOf(pod);
  const filters = activePlugins(options.filters ?? DEFAULT_FILTERS, info);
  const nodes = snapshot.nodes;
  const n = nodes.length;
  // VolumeBinding's PreFilter: a rejection needs no node (kube-scheduler's PreFilter message).
  let volumes: PodVolumes | undefined;
  if (options.volumes && hasClaims(info.pod)) {
    const pre = preFilterVolumes(info.pod, options.volumes);
    if ('code' in pre) return { unschedulable: new Map(), message: n ? `0/${n} nodes are available: ${pre.reasons.join(', ')}.` : fitErrorMessage(0, []), evaluatedNodes: 0 };
    volumes = pre;
    filters.push(volumeBindingFilter(pre, options.volumes));
  }
  const wanted = numFeasibleNodesToFind(n, options.percentageOfNodesToScore);
  const start = n ? (((options.startIndex ?? 0) % n) + n) % n : 0;
  const feasible: NodeInfo[] = [];
  const failed = new Map<string, Status>();
  let evaluated = 0;
  for (; evaluated < n && feasible.length < wanted; evaluated++) {
    const node = nodes[(start + evaluated) % n];
    const status = runFilters(filters, info, node);
    if (status.code === 'Success') feasible.push(node);
    else failed.set(node.name, status);
  }
  if (feasible.length === 0) return { unschedulable: failed, message: fitErrorMessage(n, failed.values()), evaluatedNodes: evaluated };
  if (feasible.length === 1) return { node: feasible[0].name, feasibleNodes: 1, evaluatedNodes: evaluated, volumes };
  const totals = scoreNodes(activePlugins(options.scores ?? DEFAULT_SCORES, info), info, feasible, snapshot);
  let best = 0;
  for (let i = 1; i < feasible.length; i++) if (totals[i] > totals[best]) best = i;
  return { node: feasible[best].name, feasibleNodes: feasible.length, evaluatedNodes: evaluated, volumes };
}
