/**
 * Test helper: Deployments and ReplicaSets as the apiserver would store them (defaulted, with
 * uid, generation and creationTimestamp), for the decision specs. No I/O.
 */
import { Deployment, intOrString, type DeploymentStatus, type Pod, type ReplicaSet } from '@skiff/api';
import { newReplicaSetIdentity, replicaSetForTemplate } from './new-replica-set';
import { REVISION_ANNOTATION } from './revision-annotations';

/** The clock the specs start at. */
export const T0 = Date.parse('2024-05-01T10:00:00Z');

export interface DeploymentOptions {
  name?: string;
  replicas?: number;
  image?: string;
  strategy?: 'RollingUpdate' | 'Recreate';
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
  generation?: number;
  annotations?: Record<string, string>;
  status?: Partial<DeploymentStatus>;
}

/** A Deployment "web" (app=web) of `image`, as stored: defaults applied, generation 1. */
export function deploymentOf(o: DeploymentOptions = {}): Deployment {
  const name = o.name ?? 'web';
  const labels = { app: name };
  const recreate = o.strategy === 'Recreate';
  return Deployment.fromPartial({
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: o.generation ?? 1, resourceVersion: '10', annotations: o.annotations ?? {}, creationTimestamp: new Date(T0 - 60_000) },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: o.image ?? 'busybox:1', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' } },
      strategy: recreate
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrString(o.maxSurge ?? '25%'), maxUnavailable: intOrString(o.maxUnavailable ?? '25%') } },
      minReadySeconds: o.minReadySeconds ?? 0,
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      paused: o.paused ?? false,
    },
    status: { observedGeneration: 0, replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 0, conditions: [], ...o.status },
  });
}

export interface ReplicaSetOptions {
  /** spec.replicas */
  replicas: number;
  /** status.replicas (default: replicas) */
  actual?: number;
  /** status.readyReplicas (default: available) */
  ready?: number;
  /** status.availableReplicas (default: actual) */
  available?: number;
  revision?: number;
  /** creationTimestamp offset from T0 in seconds (default: a minute per revision, newer revisions later). */
  createdAt?: number;
  /** The Deployment's desired/max replicas annotations (default: the Deployment's current). */
  desired?: number;
  max?: number;
}

/** The ReplicaSet `d` would own for its current template, as stored, with the given counts. */
export function replicaSetOf(d: Readonly<Deployment>, o: ReplicaSetOptions): ReplicaSet {
  const rs = replicaSetForTemplate(d);
  const revision = o.revision ?? 1;
  const { name } = newReplicaSetIdentity(d);
  rs.metadata!.uid = `uid-${name}`;
  rs.metadata!.generation = 1;
  rs.metadata!.resourceVersion = '5';
  rs.metadata!.creationTimestamp = new Date(T0 + (o.createdAt ?? (revision - 10) * 60) * 1000);
  rs.spec!.replicas = o.replicas;
  const desired = o.desired ?? d.spec?.replicas ?? 1;
  rs.metadata!.annotations = {
    [REVISION_ANNOTATION]: String(revision),
    'deployment.kubernetes.io/desired-replicas': String(desired),
    'deployment.kubernetes.io/max-replicas': String(o.max ?? desired + 1),
  };
  const actual = o.actual ?? o.replicas;
  const available = o.available ?? actual;
  rs.status = { replicas: actual, fullyLabeledReplicas: actual, readyReplicas: o.ready ?? available, availableReplicas: available, observedGeneration: 1, conditions: [] };
  return rs;
}

/** A copy of `d` with another image (a new template), generation + 1. */
export function withImage(d: Readonly<Deployment>, image: string): Deployment {
  const copy = structuredClone(d) as Deployment;
  copy.spec!.template!.spec!.containers[0].image = image;
  copy.metadata!.generation = (copy.metadata?.generation ?? 1) + 1;
  return copy;
}

/** A pod controlled by `rs` in `phase`. */
export function podOf(rs: Readonly<ReplicaSet>, name: string, phase = 'Running'): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: rs.spec?.template?.metadata?.labels ?? {}, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata?.name ?? '', uid: rs.metadata?.uid ?? '', controller: true }] },
    status: { phase },
  } as unknown as Pod;
}
