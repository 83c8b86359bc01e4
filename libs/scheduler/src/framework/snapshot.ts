/**
 * The cluster as one scheduling cycle sees it: every node with its placed pods. Immutable; the
 * scheduler cache hands out a new one after a change.
 */
import type { NodeInfo } from './node-info';

/** Pods of one controlling owner per NodeInfo.id (nodes without any are absent). */
export type OwnerCounts = ReadonlyMap<number, number>;

export interface Snapshot {
  /** Every node, in a stable order (the cache's insertion order). */
  readonly nodes: readonly NodeInfo[];
  /**
   * The placed pods of one controlling owner per node, from an index kept beside the nodes (one
   * lookup per cycle instead of one per node), or undefined when this snapshot has no index or
   * it no longer holds (a newer snapshot exists): read each NodeInfo's ownerCounts then. When
   * it answers, it agrees with the nodes' ownerCounts.
   */
  ownerCounts?(ownerUid: string): OwnerCounts | undefined;
}

/** A snapshot of the given nodes (no owner index). */
export function snapshotOf(nodes: readonly NodeInfo[], ownerCounts?: (ownerUid: string) => OwnerCounts | undefined): Snapshot {
  return ownerCounts ? { nodes, ownerCounts } : { nodes };
}
