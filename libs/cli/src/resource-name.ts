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

/** "deployments.apps", "jobs.batch", "pods": how kubectl names a resource in not-found and already-exists errors. */
export function qualifiedResource(info: Pick<KindInfo, 'resource' | 'apiVersion'>): string {
  const slash = info.apiVersion.indexOf('/');
  return slash < 0 ? info.resource : `${info.resource}.${info.apiVersion.slice(0, slash)}`;
}
