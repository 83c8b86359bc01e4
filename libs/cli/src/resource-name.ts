/**
 * How kubectl names a kind in its output: the singular resource plus the API group for non-core
 * kinds ("pod", "deployment.apps", "lease.coordination.k8s.io").
 */
import type { KindInfo } from '@skiff/api';

/** "pod", "deployment.apps", "horizontalpodautoscaler.autoscaling". */
export function qualifiedKind(info: Pick<KindInfo, 'singular' | 'apiVersion'>): string {
  const slash = info.apiVersion.indexOf('/');
  return slash < 0 ? info.singular : `${info.singular}.${info.apiVersion.slice(0, slash)}`;
}

/** "pod/web", "deployment.apps/web": what `apply` and `-o name` print. */
export function objectRef(info: Pick<KindInfo, 'singular' | 'apiVersion'>, name: string): string {
  return `${qualifiedKind(info)}/${name}`;
}
