/**
 * What the scheduler believes is placed where: the nodes from the node informer, the pods bound
 * to them from the pod informer, and the pods it has assumed (decided, bind in flight). An
 * assumed pod counts at once, so pods decided back to back never overcommit a node; it is
 * confirmed when the informer shows it bound, or forgotten when its bind fails.
 * snapshot() hands out an immutable view; after a change the next one costs one array copy
 * (the changed entries are replaced in place in a fresh copy, as Kubernetes' UpdateSnapshot
 * updates only the nodes whose generation moved).
 */
import type { Node, Pod } from '@skiff/api';
import { nodeInfoOf, withNode, withPod, withoutPod, type NodeInfo } from './framework/node-info';
import { podInfoOf, type PodInfo } from './framework/pod-info';
import { snapshotOf, type OwnerCounts, type Snapshot } from './framework/snapshot';

interface Placement {
  node: string;
  info: PodInfo;
  assumed: boolean;
}

/** The owner index's answer for an owner with no placed pods. */
const NO_PODS: OwnerCounts = new Map();

/** True when the pod no longer holds resources (Succeeded or Failed). */
export function isTerminal(pod: Readonly<Pod>): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** The nodes in snapshot order, and each node's position in it. */
  private list: NodeInfo[] = [];
  private readonly positions = new Map<string, number>();
  /** `list` was handed out in a snapshot: copy it before the next change. */
  private shared = false;
  /** Placed pods per controlling owner per node id (the snapshot's owner index). */
  private readonly owners = new Map<string, Map<number, number>>();
  /** NodeInfo.id of each node name known (in the cache, or holding pods). */
  private readonly ids = new Map<string, number>();
  private nextId = 0;
  /** Bumped on every change: a snapshot's owner index answers only while it is current. */
  private generation = 0;
  private readonly placements = new Map<string, Placement>();
  /** Pods by node name, including nodes not (yet) in the cache. */
  private readonly podsByNode = new Map<string, Map<string, PodInfo>>();
  private cached: Snapshot | undefined;

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** The cluster now; the same object until something changes. */
  snapshot(): Snapshot {
    if (!this.cached) {
      const generation = this.generation;
      this.cached = snapshotOf(this.list, (owner) => (this.generation === generation ? (this.owners.get(owner) ?? NO_PODS) : undefined));
      this.shared = true;
    }
    return this.cached;
  }

  /** Something a snapshot shows changed. */
  private changed(): void {
    this.cached = undefined;
    this.generation++;
  }

  /** The id of a node name, assigned on first sight. */
  private idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) this.ids.set(name, (id = this.nextId++));
    return id;
  }

  /** Forgets the id of a node name nothing refers to any more. */
  private releaseId(name: string): void {
    if (!this.nodes.has(name) && !this.podsByNode.has(name)) this.ids.delete(name);
  }

  /** Adds `delta` to the owner's pod count on the node of id `node`. */
  private countOwner(owner: string, node: number, delta: number): void {
    if (!owner) return;
    let counts = this.owners.get(owner);
    if (!counts) this.owners.set(owner, (counts = new Map()));
    const n = (counts.get(node) ?? 0) + delta;
    if (n > 0) counts.set(node, n);
    else counts.delete(node);
    if (counts.size === 0) this.owners.delete(owner);
    this.changed();
  }

  /** Stores a node's new NodeInfo (new nodes go last in the snapshot order). */
  private setNode(name: string, info: NodeInfo): void {
    this.nodes.set(name, info);
    if (this.shared) {
      this.list = this.list.slice();
      this.shared = false;
    }
    const at = this.positions.get(name);
    if (at === undefined) {
      this.positions.set(name, this.list.length);
      this.list.push(info);
    } else {
      this.list[at] = info;
    }
    this.changed();
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  addOrUpdateNode(node: Readonly<Node>): void {
    const name = node.metadata?.name ?? '';
    const existing = this.nodes.get(name);
    this.setNode(name, existing ? withNode(existing, node) : nodeInfoOf(node, this.podsByNode.get(name)?.values() ?? [], this.idOf(name)));
  }

  removeNode(name: string): void {
    if (!this.nodes.delete(name)) return;
    this.releaseId(name);
    // Rare: rebuild the order without it.
    this.list = [];
    this.shared = false;
    this.positions.clear();
    for (const [key, info] of this.nodes) {
      this.positions.set(key, this.list.length);
      this.list.push(info);
    }
    this.changed();
  }

  /** The pod is (or will be) placed on `placement.node`; replaces any earlier placement. */
  private place(uid: string, placement: Placement): void {
    this.unplace(uid);
    this.placements.set(uid, placement);
    let pods = this.podsByNode.get(placement.node);
    if (!pods) this.podsByNode.set(placement.node, (pods = new Map()));
    pods.set(uid, placement.info);
    this.countOwner(placement.info.ownerUid, this.idOf(placement.node), 1);
    const node = this.nodes.get(placement.node);
    if (node) this.setNode(placement.node, withPod(node, placement.info));
  }

  private unplace(uid: string): boolean {
    const old = this.placements.get(uid);
    if (!old) return false;
    this.placements.delete(uid);
    const pods = this.podsByNode.get(old.node);
    pods?.delete(uid);
    this.countOwner(old.info.ownerUid, this.idOf(old.node), -1);
    if (pods?.size === 0) {
      this.podsByNode.delete(old.node);
      this.releaseId(old.node);
    }
    const node = this.nodes.get(old.node);
    if (node) this.setNode(old.node, withoutPod(node, uid));
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
