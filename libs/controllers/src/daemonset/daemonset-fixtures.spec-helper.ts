/**
 * Test helper: DaemonSets, nodes and daemon pods as the apiserver would store them, for the
 * decision specs. No I/O.
 */
import { DaemonSet, intOrString, Node, type Pod, type Taint } from '@skiff/api';
import { newDaemonPod } from './daemon-pod';
import { daemonSetHash } from './daemonset-revisions';

/** The clock the specs start at. */
export const T0 = Date.parse('2024-05-01T10:00:00Z');

export interface DaemonSetOptions {
  image?: string;
  strategy?: 'RollingUpdate' | 'OnDelete';
  maxUnavailable?: number | string;
  maxSurge?: number | string;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  generation?: number;
  /** Extra template pod spec fields (nodeSelector, affinity, tolerations). */
  spec?: Record<string, unknown>;
}

/** DaemonSet "agent" (app=agent) of `image`, defaulted, generation 1. */
export function daemonSetOf(o: DaemonSetOptions = {}): DaemonSet {
  const labels = { app: 'agent' };
  return DaemonSet.fromPartial({
    metadata: { name: 'agent', namespace: 'default', uid: 'uid-agent', generation: o.generation ?? 1, creationTimestamp: new Date(T0 - 60_000) },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'agent', image: o.image ?? 'busybox:1', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', ...o.spec } },
      updateStrategy:
        o.strategy === 'OnDelete'
          ? { type: 'OnDelete' }
          : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: intOrString(o.maxUnavailable ?? 1), maxSurge: intOrString(o.maxSurge ?? 0) } },
      minReadySeconds: o.minReadySeconds ?? 0,
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
    },
  });
}

/** A node with labels and taints. */
export function nodeOf(name: string, labels: Record<string, string> = {}, taints: Partial<Taint>[] = []): Node {
  return Node.fromPartial({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints: taints.map((t) => ({ key: '', value: '', effect: 'NoSchedule', ...t })) } });
}

export interface PodOptions {
  /** Bound to the node (default) or only aimed at it by affinity. */
  bound?: boolean;
  ready?: boolean;
  /** When it became ready (ms). */
  readySince?: number;
  phase?: string;
  deleting?: boolean;
  /** Seconds after T0 - 30 s. */
  createdAt?: number;
  /** Made from this DaemonSet (its template and hash) rather than the given one. */
  from?: DaemonSet;
}

let counter = 0;

/** A daemon pod of `ds` for `node`: Running and Ready by default. */
export function daemonPodOf(ds: DaemonSet, node: string, o: PodOptions = {}): Pod {
  const source = o.from ?? ds;
  const pod = newDaemonPod(source, node, daemonSetHash(source));
  const name = `agent-${++counter}`;
  pod.metadata = { ...pod.metadata!, name, uid: `uid-${name}`, creationTimestamp: new Date(T0 - 30_000 + (o.createdAt ?? counter) * 1000), deletionTimestamp: o.deleting ? new Date(T0) : undefined };
  if (o.bound !== false) pod.spec!.nodeName = node;
  const ready = o.ready ?? true;
  pod.status = {
    ...pod.status!,
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: '', message: '', lastTransitionTime: new Date(o.readySince ?? T0 - 20_000) }],
  };
  return pod;
}
