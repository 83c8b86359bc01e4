/**
 * Kubernetes' DefaultTolerationSeconds admission, applied to every pod on Create: a pod that
 * does not already tolerate node.kubernetes.io/not-ready (resp. unreachable) with effect
 * NoExecute gets a toleration for it (operator Exists) with tolerationSeconds = the apiserver's
 * --default-toleration-seconds (300 by default). So when its node fails, the pod stays bound that
 * long before the taint eviction controller deletes it and its owner replaces it.
 * A toleration with an empty key (operator Exists) or an empty effect counts as tolerating, as in
 * Kubernetes. Pure apart from changing `spec` in place.
 */
import { TAINT_NOT_READY, TAINT_UNREACHABLE, type PodSpec, type Toleration } from '@skiff/api';

export const DEFAULT_TOLERATION_SECONDS = 300;

function tolerates(tolerations: readonly Toleration[], key: string): boolean {
  return tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
}

/** Adds the missing default not-ready / unreachable NoExecute tolerations to `spec` (in place). */
export function addDefaultTolerations(spec: PodSpec | undefined, seconds: number = DEFAULT_TOLERATION_SECONDS): void {
  if (!spec) return;
  const tolerations = spec.tolerations ?? [];
  const missing = [TAINT_NOT_READY, TAINT_UNREACHABLE].filter((key) => !tolerates(tolerations, key));
  if (missing.length === 0) return;
  spec.tolerations = [...tolerations, ...missing.map((key) => ({ key, operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: seconds }))];
}
