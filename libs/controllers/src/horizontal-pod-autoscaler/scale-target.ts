/**
 * What an autoscaler scales (Kubernetes reads it through the scale subresource): the kind its
 * scaleTargetRef names (Deployments and ReplicaSets, group apps), and the target's "scale":
 * spec.replicas and the selector of its pods. Pure.
 */
import { labelSelectorMatcher, splitKey, type CrossVersionObjectReference, type Deployment, type LabelMatcher, type Pod, type ReplicaSet } from '@skiff/api';

/** The kinds an autoscaler can scale, by kind name: their informer / typed-client case. */
const SCALABLE = { Deployment: 'deployment', ReplicaSet: 'replicaSet' } as const;
const GROUP = 'apps';

export type ScalableCase = (typeof SCALABLE)[keyof typeof SCALABLE];
export type Scalable = Deployment | ReplicaSet;

/**
 * The kind `ref` names, or the error Kubernetes' REST mapper gives: `no matches for kind "StatefulSet"
 * in group "apps"`. An empty apiVersion means the kind's own group; another group is no match.
 */
export function scaleTargetKind(ref: Readonly<CrossVersionObjectReference> | undefined): { ok: true; kind: ScalableCase } | { ok: false; message: string } {
  const kind = ref?.kind ?? '';
  const apiVersion = ref?.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : apiVersion ? '' : GROUP;
  const scalable = (SCALABLE as Record<string, ScalableCase | undefined>)[kind];
  if (!scalable || group !== GROUP) return { ok: false, message: `no matches for kind "${kind}" in group "${group}"` };
  return { ok: true, kind: scalable };
}

/** A target's scale: spec.replicas (1 when unset) and its pod selector, as text and as a matcher (or why it does not parse). */
export interface TargetScale {
  specReplicas: number;
  /** "app=web"; empty when the target has no selector. */
  selector: string;
  matcher?: LabelMatcher;
  parseError?: string;
}

/** The scale of a Deployment or ReplicaSet. */
export function scaleOf(target: Readonly<Scalable>): TargetScale {
  const specReplicas = target.spec?.replicas ?? 1;
  if (!target.spec?.selector) return { specReplicas, selector: '' };
  try {
    const matcher = labelSelectorMatcher(target.spec.selector);
    return { specReplicas, selector: matcher.toString(), matcher };
  } catch (err) {
    return { specReplicas, selector: '<error>', parseError: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The autoscalers ("ns/name" keys, sorted) of `namespace` whose last known target selector
 * (`selectors`, by key) matches at least one of `pods`.
 */
export function hpasSelecting(pods: readonly Readonly<Pod>[], selectors: ReadonlyMap<string, LabelMatcher>, namespace: string): string[] {
  const keys: string[] = [];
  for (const [key, matcher] of selectors) {
    if (splitKey(key).namespace !== namespace) continue;
    if (pods.some((pod) => matcher.matches(pod.metadata?.labels))) keys.push(key);
  }
  return keys.sort();
}
