/**
 * Kubernetes' DefaultTolerationSeconds admission, applied to every pod on Create: a pod that
 * does not already tolerate node.kubernetes.io/not-ready (resp. unreachable) with effect
 * NoExecute gets a toleration for it (operator Exists) with tolerationSeconds = the apiserver's
 * --default-toleration-seconds (300 by default). So when its node fails, the pod stays bound that
 * long before the taint eviction controller deletes it and its owner replaces it.
 * A toleration with an empty key (operator Exists) or an empty effect counts as tolerating, as in
 * Kubernetes. Pure apart from changing `spec` in place.
 */
import type { PodSpec, Toleration } from '@skiff/api';

export const DEFAULT_TOLERATION_SECONDS = 300;
export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';

function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
}

/** Adds the missing default not-ready / unreachable NoExecute tolerations to `spec` (in place). */
export function addDefaultTolerations(spec: PodSpec | undefined, seconds: number = DEFAULT_TOLERATION_SECONDS): void {
  if (!spec) return;
  const tolerations = spec.tolerations ?? [];
  const missing = [NOT_READY_TAINT_KEY, UNREACHABLE_TAINT_KEY].filter((key) => !tolerates(tolerations, key));
  if (missing.length === 0) return;
  spec.tolerations = [...tolerations, ...missing.map((key) => ({ key, operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: seconds }))];
}
