/**
 * The result of one plugin on one node, as kube-scheduler's framework.Status: a code and the
 * reasons shown to users. Plugins return a Status; they never throw for "does not fit".
 */

/**
 * Success: the node passes. Unschedulable: it does not fit now but might after a change (e.g.
 * resources freed). UnschedulableAndUnresolvable: no change to other pods would help (labels,
 * taints). Error: the plugin could not decide (bad input); the pod is retried with backoff.
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  readonly code: StatusCode;
  /** Human-readable reasons, as Kubernetes words them ("Insufficient cpu"). Empty on success. */
  readonly reasons: readonly string[];
  /** The plugin that returned it (set by the framework when a filter fails). */
  readonly plugin?: string;
}

/** The shared success status. */
export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });

/** A status saying the node does not fit for the given reasons. */
export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

/** A status saying the node does not fit and no other pod's removal would change that. */
export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

/** True for Success. */
export function isSuccess(status: Status): boolean {
  return status.code === 'Success';
}
