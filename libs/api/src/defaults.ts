/**
 * Defaulting by kind, as Kubernetes' defaulters do (restartPolicy Always, protocol TCP,
 * imagePullPolicy from the image tag, replicas 1, strategy RollingUpdate 25%/25%, ...).
 * CONTRACT: mutates `object` in place; only fills fields that are unset; runs before validation.
 */
import type { KindInfo, KubeObject } from './kinds';

export function applyDefaults(_info: KindInfo, _object: KubeObject): void {
  // TODO(api helper): implement
}
