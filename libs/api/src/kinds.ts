/**
 * The registry of kinds: how each kind is named (kind, resource, short names, apiVersion), whether
 * it lives in a namespace, and its generated message functions. Everything generic (storage,
 * watch, CLI, client) looks kinds up here instead of naming them one by one.
 */
import { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from './gen/skiff/apps/v1/apps';
import { ApiObject } from './gen/skiff/api/v1/api';
import { HorizontalPodAutoscaler } from './gen/skiff/autoscaling/v2/autoscaling';
import { CronJob, Job } from './gen/skiff/batch/v1/batch';
import { Lease } from './gen/skiff/coordination/v1/coordination';
import { ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from './gen/skiff/core/v1/core';
import { ObjectMeta } from './gen/skiff/meta/v1/meta';
import { PodDisruptionBudget } from './gen/skiff/policy/v1/policy';
import { StorageClass } from './gen/skiff/storage/v1/storage';

/** The `$case` of the ApiObject oneof that holds a kind ("pod", "replicaSet", ...). */
export type KindCase = NonNullable<ApiObject['kind']>['$case'];

/** The TypeScript type of the object held under a given `$case`. */
export type ObjectOf<C extends KindCase> = Extract<NonNullable<ApiObject['kind']>, { $case: C }>['value'];

/** Any top-level object: every kind has metadata. */
export interface KubeObject {
  metadata?: ObjectMeta | undefined;
}

/** The generated functions every message has (ts-proto's MessageFns, without its generics). */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  fromPartial(object: unknown): T;
}

export interface KindInfo<C extends KindCase = KindCase> {
  /** "Pod" */
  kind: string;
  /** Plural lower-case name used in the API and etcd keys: "pods". */
  resource: string;
  /** Singular lower-case name: "pod". */
  singular: string;
  shortNames: readonly string[];
  /** "v1", "apps/v1", "coordination.k8s.io/v1", "autoscaling/v2". */
  apiVersion: string;
  namespaced: boolean;
  /** The kind has a status that only UpdateStatus writes. */
  hasStatus: boolean;
  /** The kind has a spec whose changes bump metadata.generation. */
  hasSpec: boolean;
  /** Fully qualified proto message name: "skiff.core.v1.Pod". */
  typeName: string;
  case: C;
  codec: MessageCodec<ObjectOf<C>>;
  /**
   * The selectable field whose value splits the kind's watch events into shards (the last token
   * of their NATS subject, see @skiff/bus subjects.ts), so that a watch selecting one value (a
   * kubelet's `spec.nodeName=<node>`) is filtered by NATS instead of receiving every event.
   * `path`: the field's protobuf field numbers from the object down (read off the stored bytes
   * without decoding them). The field must be immutable once set (a pod's binding).
   */
  watchShard?: { field: string; path: readonly number[] };
}

function kind<C extends KindCase>(info: KindInfo<C>): KindInfo<C> {
  return info;
}

/** Every kind the API serves, in the order `skiff get all` and the docs list them. */
export const KINDS: readonly KindInfo[] = [
  kind({ kind: 'Namespace', resource: 'namespaces', singular: 'namespace', shortNames: ['ns'], apiVersion: 'v1', namespaced: false, hasStatus: true, hasSpec: true, typeName: 'skiff.core.v1.Namespace', case: 'namespace', codec: Namespace }),
  kind({ kind: 'Node', resource: 'nodes', singular: 'node', shortNames: ['no'], apiVersion: 'v1', namespaced: false, hasStatus: true, hasSpec: true, typeName: 'skiff.core.v1.Node', case: 'node', codec: Node }),
  kind({ kind: 'Pod', resource: 'pods', singular: 'pod', shortNames: ['po'], apiVersion: 'v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.core.v1.Pod', case: 'pod', codec: Pod, watchShard: { field: 'spec.nodeName', path: [2, 4] } }),
  kind({ kind: 'Service', resource: 'services', singular: 'service', shortNames: ['svc'], apiVersion: 'v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.core.v1.Service', case: 'service', codec: Service }),
  kind({ kind: 'Endpoints', resource: 'endpoints', singular: 'endpoints', shortNames: ['ep'], apiVersion: 'v1', namespaced: true, hasStatus: false, hasSpec: false, typeName: 'skiff.core.v1.Endpoints', case: 'endpoints', codec: Endpoints }),
  kind({ kind: 'Event', resource: 'events', singular: 'event', shortNames: ['ev'], apiVersion: 'v1', namespaced: true, hasStatus: false, hasSpec: false, typeName: 'skiff.core.v1.Event', case: 'event', codec: Event }),
  kind({ kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', shortNames: ['cm'], apiVersion: 'v1', namespaced: true, hasStatus: false, hasSpec: false, typeName: 'skiff.core.v1.ConfigMap', case: 'configMap', codec: ConfigMap }),
  kind({ kind: 'Secret', resource: 'secrets', singular: 'secret', shortNames: [], apiVersion: 'v1', namespaced: true, hasStatus: false, hasSpec: false, typeName: 'skiff.core.v1.Secret', case: 'secret', codec: Secret }),
  kind({ kind: 'ServiceAccount', resource: 'serviceaccounts', singular: 'serviceaccount', shortNames: ['sa'], apiVersion: 'v1', namespaced: true, hasStatus: false, hasSpec: false, typeName: 'skiff.core.v1.ServiceAccount', case: 'serviceAccount', codec: ServiceAccount }),
  kind({ kind: 'ReplicaSet', resource: 'replicasets', singular: 'replicaset', shortNames: ['rs'], apiVersion: 'apps/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.apps.v1.ReplicaSet', case: 'replicaSet', codec: ReplicaSet }),
  kind({ kind: 'Deployment', resource: 'deployments', singular: 'deployment', shortNames: ['deploy'], apiVersion: 'apps/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.apps.v1.Deployment', case: 'deployment', codec: Deployment }),
  kind({ kind: 'Lease', resource: 'leases', singular: 'lease', shortNames: [], apiVersion: 'coordination.k8s.io/v1', namespaced: true, hasStatus: false, hasSpec: true, typeName: 'skiff.coordination.v1.Lease', case: 'lease', codec: Lease }),
  kind({ kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', shortNames: ['hpa'], apiVersion: 'autoscaling/v2', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.autoscaling.v2.HorizontalPodAutoscaler', case: 'horizontalPodAutoscaler', codec: HorizontalPodAutoscaler }),
  kind({ kind: 'Job', resource: 'jobs', singular: 'job', shortNames: [], apiVersion: 'batch/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.batch.v1.Job', case: 'job', codec: Job }),
  kind({ kind: 'CronJob', resource: 'cronjobs', singular: 'cronjob', shortNames: ['cj'], apiVersion: 'batch/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.batch.v1.CronJob', case: 'cronJob', codec: CronJob }),
  kind({ kind: 'DaemonSet', resource: 'daemonsets', singular: 'daemonset', shortNames: ['ds'], apiVersion: 'apps/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.apps.v1.DaemonSet', case: 'daemonSet', codec: DaemonSet }),
  kind({ kind: 'ControllerRevision', resource: 'controllerrevisions', singular: 'controllerrevision', shortNames: [], apiVersion: 'apps/v1', namespaced: true, hasStatus: false, hasSpec: false, typeName: 'skiff.apps.v1.ControllerRevision', case: 'controllerRevision', codec: ControllerRevision }),
  kind({ kind: 'PodDisruptionBudget', resource: 'poddisruptionbudgets', singular: 'poddisruptionbudget', shortNames: ['pdb'], apiVersion: 'policy/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.policy.v1.PodDisruptionBudget', case: 'podDisruptionBudget', codec: PodDisruptionBudget }),
  kind({ kind: 'StatefulSet', resource: 'statefulsets', singular: 'statefulset', shortNames: ['sts'], apiVersion: 'apps/v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.apps.v1.StatefulSet', case: 'statefulSet', codec: StatefulSet }),
  kind({ kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', shortNames: ['pvc'], apiVersion: 'v1', namespaced: true, hasStatus: true, hasSpec: true, typeName: 'skiff.core.v1.PersistentVolumeClaim', case: 'persistentVolumeClaim', codec: PersistentVolumeClaim }),
  kind({ kind: 'PersistentVolume', resource: 'persistentvolumes', singular: 'persistentvolume', shortNames: ['pv'], apiVersion: 'v1', namespaced: false, hasStatus: true, hasSpec: true, typeName: 'skiff.core.v1.PersistentVolume', case: 'persistentVolume', codec: PersistentVolume }),
  kind({ kind: 'StorageClass', resource: 'storageclasses', singular: 'storageclass', shortNames: ['sc'], apiVersion: 'storage.k8s.io/v1', namespaced: false, hasStatus: false, hasSpec: true, typeName: 'skiff.storage.v1.StorageClass', case: 'storageClass', codec: StorageClass }),
] as KindInfo[];

const byAnyName = new Map<string, KindInfo>();
const byCase = new Map<string, KindInfo>();
for (const info of KINDS) {
  for (const name of [info.kind.toLowerCase(), info.resource, info.singular, ...info.shortNames]) byAnyName.set(name, info);
  byCase.set(info.case, info);
}

/**
 * Finds a kind by any of its names, case-insensitively: "Pod", "pods", "pod", "po", and also
 * "deployments.apps" style names. Returns undefined for an unknown name.
 */
export function findKind(name: string): KindInfo | undefined {
  const lower = name.toLowerCase();
  return byAnyName.get(lower) ?? byAnyName.get(lower.split('.')[0]);
}

/** Like findKind, but throws a NotFoundError-free plain Error naming the unknown resource. */
export function kindFor(name: string): KindInfo {
  const info = findKind(name);
  if (!info) throw new Error(`the server doesn't have a resource type "${name}"`);
  return info;
}

/** Finds the kind for a manifest's apiVersion and kind, or undefined. */
export function kindForManifest(apiVersion: string, kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind && k.apiVersion === apiVersion);
}

export function kindOfCase(c: string): KindInfo {
  const info = byCase.get(c);
  if (!info) throw new Error(`unknown object case "${c}"`);
  return info;
}

/** Wraps a typed object into the ApiObject oneof. */
export function wrap<C extends KindCase>(info: KindInfo<C>, object: ObjectOf<C>): ApiObject {
  return { kind: { $case: info.case, value: object } as ApiObject['kind'] };
}

/** Unwraps an ApiObject into its kind and object; throws when the oneof is empty. */
export function unwrap(object: ApiObject | undefined): { info: KindInfo; object: KubeObject } {
  if (!object?.kind) throw new Error('object is empty: no kind set');
  return { info: kindOfCase(object.kind.$case), object: object.kind.value };
}

/** "namespace/name" for namespaced objects, "name" otherwise: the work-queue and cache key. */
export function keyOf(meta: { namespace?: string; name?: string } | undefined): string {
  if (!meta?.name) return '';
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** Splits a key made by keyOf. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
