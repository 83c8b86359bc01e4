/**
 * What the scheduler believes is placed where: the nodes from the node informer, the pods bound
 * to them from the pod informer, and the pods it has assumed (decided, bind in flight). An
 * assumed pod counts at once, so pods decided back to back never overcommit a node; it is
 * confirmed when the informer shows it bound, or forgotten when its bind fails.
 * snapshot() hands out an immutable view, rebuilt only after a change.
 */
import type { Node, Pod } from '@skiff/api';
import { nodeInfoOf, withNode, withPod, withoutPod, type NodeInfo } from './framework/node-info';
import { podInfoOf, type PodInfo } from './framework/pod-info';
import { snapshotOf, type Snapshot } from './framework/snapshot';

interface Placement {
  node: string;
  info: PodInfo;
  assumed: boolean;
}

/** True when the pod no longer holds resources (Succeeded or Failed). */
export function isTerminal(pod: Readonly<Pod>): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly placements = new Map<string, Placement>();
  /** Pods by node name, including nodes not (yet) in the cache. */
  private readonly podsByNode = new Map<string, Map<string, PodInfo>>();
  private cached: Snapshot | undefined;

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** The cluster now; the same object until something changes. */
  snapshot(): Snapshot {
    this.cached ??= snapshotOf([...this.nodes.values()]);
    return this.cached;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  addOrUpdateNode(node: Readonly<Node>): void {
    const name = node.metadata?.name ?? '';
    const existing = this.nodes.get(name);
    this.nodes.set(name, existing ? withNode(existing, node) : nodeInfoOf(node, this.podsByNode.get(name)?.values() ?? []));
    this.cached = undefined;
  }

  removeNode(name: string): void {
    if (this.nodes.delete(name)) this.cached = undefined;
  }

  /** The pod is (or will be) placed on `placement.node`; replaces any earlier placement. */
  private place(uid: string, placement: Placement): void {
    this.unplace(uid);
    this.placements.set(uid, placement);
    let pods = this.podsByNode.get(placement.node);
    if (!pods) this.podsByNode.set(placement.node, (pods = new Map()));
    pods.set(uid, placement.info);
    const node = this.nodes.get(placement.node);
    if (node) {
      this.nodes.set(placement.node, withPod(node, placement.info));
      this.cached = undefined;
    }
  }

  private unplace(uid: string): boolean {
    const old = this.placements.get(uid);
    if (!old) return false;
    this.placements.delete(uid);
    const pods = this.podsByNode.get(old.node);
    pods?.delete(uid);
    if (pods?.size === 0) this.podsByNode.delete(old.node);
    const node = this.nodes.get(old.node);
    if (node) {
      this.nodes.set(old.node, withoutPod(node, uid));
      this.cached = undefined;
    }
    return true;
  }

  /**
   * A pod from the informer. Bound and not terminal: placed (confirming an assumption). Terminal
   * or unbound and not assumed: removed. Returns true when resources were freed (a cluster event
   * that may make other pods schedulable).
   */
  updatePod(pod: Readonly<Pod>): boolean {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName ?? '';
    const current = this.placements.get(uid);
    if (nodeName && !isTerminal(pod)) {
      if (current && current.node === nodeName) {
        current.assumed = false;
        return false;
      }
      this.place(uid, { node: nodeName, info: podInfoOf(pod), assumed: false });
      return !!current;
    }
    if (current && (nodeName || !current.assumed)) return this.unplace(uid);
    return false;
  }

  /** The pod is gone. Returns true when it held resources. */
  removePod(uid: string): boolean {
    return this.unplace(uid);
  }

  /** Counts the pod on `node` right away (a decision whose bind is in flight). */
  assume(info: PodInfo, node: string): void {
    this.place(info.uid, { node, info, assumed: true });
  }

  /** Undoes assume() after a failed bind (no-op when the informer already confirmed it). */
  forget(uid: string): void {
    if (this.placements.get(uid)?.assumed) this.unplace(uid);
  }

  /** True when the pod is assumed and not yet confirmed. */
  isAssumed(uid: string): boolean {
    return this.placements.get(uid)?.assumed ?? false;
  }

  /** The node the cache places the pod on (assumed or bound), if any. */
  nodeOf(uid: string): string | undefined {
    return this.placements.get(uid)?.node;
  }
}
