/**
 * The cluster as one scheduling cycle sees it: every node with its placed pods. Immutable; the
 * scheduler cache hands out a new one after a change.
 */
import type { NodeInfo } from './node-info';

export interface Snapshot {
  /** Every node, in a stable order (the cache's insertion order). */
  readonly nodes: readonly NodeInfo[];
}

/** A snapshot of the given nodes. */
export function snapshotOf(nodes: readonly NodeInfo[]): Snapshot {
  return { nodes };
}
