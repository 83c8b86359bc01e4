/**
 * Taints and tolerations: the well-known taint keys (Kubernetes' node.kubernetes.io/*) and the
 * rule deciding whether a toleration tolerates a taint, shared by the scheduler, the node
 * lifecycle controllers and the apiserver's DefaultTolerationSeconds admission.
 */
import type { Taint, Toleration } from './gen/skiff/core/v1/core';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/**
 * Kubernetes' Toleration.ToleratesTaint: an empty toleration effect matches every effect; an
 * empty key (with Exists) matches every key; operator Exists matches any value, Equal (or
 * empty) needs the same value.
 */
export function toleratesTaint(t: Readonly<Toleration>, taint: Readonly<Taint>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator) {
    case '':
    case undefined:
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** True when one of the tolerations tolerates the taint. */
export function tolerated(tolerations: readonly Toleration[], taint: Readonly<Taint>): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}
