/**
 * Validation of objects by kind, with Kubernetes' field paths. CONTRACT (used by the apiserver):
 * returns every problem found (empty when valid); never throws for bad input.
 * `old` is the stored object on update (immutable fields are checked against it).
 *
 * The rules per kind live in validation/*.ts; this is the one entry point. Messages follow
 * Kubernetes ("Invalid value: \"Web\": a lowercase RFC 1123 subdomain ...", "Unsupported value",
 * "Duplicate value", "Forbidden: ...") except that a missing value says just "required".
 * The encoded size limit (MAX_OBJECT_BYTES) is not checked here: whoever encodes the object checks
 * the bytes it has (objectSizeError does it for callers that have none), so nothing encodes twice.
 */
import type { FieldError } from './errors';
import type {
  ConfigMap,
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  Endpoints,
  Event,
  HorizontalPodAutoscaler,
  Job,
  Lease,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
  Secret,
  Service,
  StatefulSet,
  StorageClass,
} from './gen';
import type { KindInfo, KubeObject } from './kinds';
import { validateHpa } from './validation/autoscaler';
import { validateCronJob, validateJob, validateJobUpdate } from './validation/batch';
export { validateGeneratedJobSelector } from './validation/batch';
import { validateConfigMap, validateImmutableDataUpdate, validateSecret, validateSecretUpdate } from './validation/config-data';
import { validateEvent, validateLease } from './validation/coordination';
import { deepEqual } from './validation/deep-equal';
import type { Errors } from './validation/field-errors';
import { validateNamespace, validateNode, validateNodeUpdate } from './validation/node';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation/object-meta';
import { validatePodSpec, validatePodSpecUpdate } from './validation/pod';
import { validateEndpoints, validateService, validateServiceUpdate } from './validation/service';
import { validatePodDisruptionBudget } from './validation/policy';
import { validatePv, validatePvc, validatePvcUpdate, validatePvUpdate, validateStorageClass, validateStorageClassUpdate } from './validation/storage';
import { validateControllerRevision, validateDaemonSet, validateDeployment, validateReplicaSet, validateSelectorUpdate, validateStatefulSet, validateStatefulSetUpdate } from './validation/workloads';

/** Objects larger than this (encoded protobuf bytes) are refused, as etcd's request limit is. */
export const MAX_OBJECT_BYTES = 1_048_576;

/** The field an oversize object's error names (the object as a whole has no better path). */
export const OBJECT_SIZE_FIELD = 'object';

/**
 * The error for an object whose protobuf encoding exceeds MAX_OBJECT_BYTES, or undefined.
 * The apiserver calls it again on the final object it stores (server-set fields included).
 */
export function objectSizeError(info: KindInfo, object: KubeObject): FieldError | undefined {
  let size: number;
  try {
    size = info.codec.encode(object as never).finish().length;
  } catch {
    return undefined; // an object that cannot be encoded fails elsewhere; size is not its problem
  }
  if (size <= MAX_OBJECT_BYTES) return undefined;
  return { field: OBJECT_SIZE_FIELD, detail: `Too long: the encoded object is ${size} bytes, more than the limit of ${MAX_OBJECT_BYTES} bytes` };
}

function validateKind(errs: Errors, info: KindInfo, object: KubeObject, old: KubeObject | undefined): void {
  switch (info.kind) {
    case 'Job':
      validateJob(errs, object as Job, old as Job | undefined);
      break;
    case 'CronJob':
      validateCronJob(errs, object as CronJob);
      break;
    case 'DaemonSet':
      validateDaemonSet(errs, object as DaemonSet);
      break;
    case 'ControllerRevision':
      validateControllerRevision(errs, object as ControllerRevision, old as ControllerRevision | undefined);
      break;
    case 'PodDisruptionBudget':
      validatePodDisruptionBudget(errs, object as PodDisruptionBudget);
      break;
    case 'StatefulSet':
      validateStatefulSet(errs, object as StatefulSet);
      break;
    case 'PersistentVolumeClaim':
      validatePvc(errs, object as PersistentVolumeClaim);
      break;
    case 'PersistentVolume':
      validatePv(errs, object as PersistentVolume);
      break;
    case 'StorageClass':
      validateStorageClass(errs, object as StorageClass);
      break;
    case 'Pod':
      validatePodSpec(errs, (object as Pod).spec, 'spec');
      break;
    case 'Service':
      validateService(errs, object as Service);
      break;
    case 'Endpoints':
      validateEndpoints(errs, object as Endpoints);
      break;
    case 'ReplicaSet':
      validateReplicaSet(errs, object as ReplicaSet);
      break;
    case 'Deployment':
      validateDeployment(errs, object as Deployment);
      break;
    case 'Node':
      validateNode(errs, object as Node);
      break;
    case 'Namespace':
      validateNamespace(errs, object as Namespace);
      break;
    case 'ConfigMap':
      validateConfigMap(errs, object as ConfigMap);
      break;
    case 'Secret':
      validateSecret(errs, object as Secret);
      break;
    case 'HorizontalPodAutoscaler':
      validateHpa(errs, object as HorizontalPodAutoscaler);
      break;
    case 'Lease':
      validateLease(errs, object as Lease);
      break;
    case 'Event':
      validateEvent(errs, object as Event);
      break;
  }
}

function validateUpdate(errs: Errors, info: KindInfo, object: KubeObject, old: KubeObject): void {
  validateObjectMetaUpdate(errs, object.metadata, old.metadata);
  switch (info.kind) {
    case 'Job':
      validateJobUpdate(errs, object as Job, old as Job);
      break;
    case 'Pod':
      validatePodSpecUpdate(errs, (object as Pod).spec, (old as Pod).spec);
      break;
    case 'Service':
      validateServiceUpdate(errs, object as Service, old as Service);
      break;
    case 'ReplicaSet':
    case 'Deployment':
    case 'DaemonSet':
      validateSelectorUpdate(errs, (object as ReplicaSet).spec?.selector, (old as ReplicaSet).spec?.selector);
      break;
    case 'StatefulSet':
      validateStatefulSetUpdate(errs, object as StatefulSet, old as StatefulSet);
      break;
    case 'PersistentVolumeClaim':
      validatePvcUpdate(errs, object as PersistentVolumeClaim, old as PersistentVolumeClaim);
      break;
    case 'PersistentVolume':
      validatePvUpdate(errs, object as PersistentVolume, old as PersistentVolume);
      break;
    case 'StorageClass':
      validateStorageClassUpdate(errs, object as StorageClass, old as StorageClass);
      break;
    case 'Node':
      validateNodeUpdate(errs, object as Node, old as Node);
      break;
    case 'ConfigMap':
      validateImmutableDataUpdate(errs, object as ConfigMap, old as ConfigMap, deepEqual);
      break;
    case 'Secret':
      validateImmutableDataUpdate(errs, object as Secret, old as Secret, deepEqual);
      validateSecretUpdate(errs, object as Secret, old as Secret);
      break;
  }
}

/** Every problem of `object` (of kind `info`), and of its changes from `old` on update. */
export function validateObject(info: KindInfo, object: KubeObject, old?: KubeObject): FieldError[] {
  const errs: Errors = [];
  try {
    validateObjectMeta(errs, info, object.metadata);
    validateKind(errs, info, object, old);
    if (old) validateUpdate(errs, info, object, old);
  } catch (err) {
    // A validator bug must not turn bad input into a 500; report it against the object instead.
    errs.push({ field: OBJECT_SIZE_FIELD, detail: `Internal error: validation failed: ${(err as Error).message}` });
  }
  return errs;
}
