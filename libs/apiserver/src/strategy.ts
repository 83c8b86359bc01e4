/**
 * The per-kind strategy of the generic registry, as pure functions over plain objects (in the
 * spirit of Kubernetes' RESTCreateStrategy / RESTUpdateStrategy): what the server sets on create,
 * which fields Update and UpdateStatus may change, and when generation increases. Everything that
 * differs by kind is decided from the KINDS registry's flags plus the small table below.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { generateJobSelector, GENERATED_JOB_LABELS, InvalidError, validateGeneratedJobSelector, NamespaceStatus, PodStatus, type Job, type KindInfo } from '@skiff/api';
import { finalizeSpecFinalizers, keepSpecFinalizers, prepareNamespaceForCreate, specFinalizersOf } from './namespace-lifecycle';
import { contentOf, deepCopy, metaOf, type StoredObject } from './object-access';

/** Time and randomness, injected so that tests can pin them. */
export interface StrategyEnv {
  now(): Date;
  uid(): string;
  /** Five random [a-z0-9] characters for generateName. */
  nameSuffix(): string;
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Real clock, crypto.randomUUID and crypto-random name suffixes. */
export const systemStrategyEnv: StrategyEnv = {
  now: () => new Date(),
  uid: () => randomUUID(),
  nameSuffix: () => Array.from({ length: 5 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join(''),
};

/**
 * The status a new object starts with, as Kubernetes' PrepareForCreate resets it: a client
 * cannot create an object with a made-up status (only Node, which its kubelet registers with
 * capacity, and kinds without status keep what was sent).
 */
const INITIAL_STATUS: Partial<Record<string, () => unknown>> = {
  pod: () => PodStatus.fromPartial({ phase: 'Pending' }),
  namespace: () => NamespaceStatus.fromPartial({ phase: 'Active' }),
  service: () => undefined,
  replicaSet: () => undefined,
  deployment: () => undefined,
  horizontalPodAutoscaler: () => undefined,
  job: () => undefined,
  cronJob: () => undefined,
  daemonSet: () => undefined,
  podDisruptionBudget: () => undefined,
  statefulSet: () => undefined,
  persistentVolumeClaim: () => ({ phase: 'Pending', accessModes: [], capacity: {}, conditions: [] }),
  persistentVolume: () => ({ phase: 'Pending', message: '', reason: '', lastPhaseTransitionTime: undefined }),
};

/** How long objects of the kinds that expire live after their last write (Kubernetes' --event-ttl). */
export interface ObjectTtls {
  /** Events; default 3600 (1 h). */
  eventSeconds?: number;
}

export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** What a kind adds to the generic create and update preparation (Kubernetes' per-kind strategy). */
interface KindHooks {
  /** Seconds an object lives after each write (the store deletes it then); undefined: for ever. */
  ttlSeconds?(ttls: ObjectTtls): number;
  /** After the server-set metadata (uid, name) is in place; mutates the object. */
  prepareForCreate?(object: StoredObject): void;
  /** On the next object of an update (a copy of the request), with the stored one; mutates `next`. */
  prepareForUpdate?(next: StoredObject, stored: StoredObject): void;
}

const KIND_HOOKS: Partial<Record<string, KindHooks>> = {
  event: {
    ttlSeconds: (ttls) => ttls.eventSeconds ?? DEFAULT_EVENT_TTL_SECONDS,
  },
  namespace: {
    prepareForCreate: prepareNamespaceForCreate,
    prepareForUpdate: keepSpecFinalizers,
  },
  job: {
    prepareForCreate: (job) => {
      generateJobSelector(job as Job);
      // Validation ran before the uid existed: the generated parts are checked now.
      const errors = validateGeneratedJobSelector(job as Job);
      if (errors.length > 0) throw new InvalidError(errors);
    },
    prepareForUpdate: (next, stored) => keepGeneratedJobSelector(next as Job, stored as Job),
  },
};

/** How long an object of `info` lives after a write (Kubernetes' TTLFunc), or undefined. */
export function ttlSecondsOf(info: KindInfo, ttls: ObjectTtls): number | undefined {
  return KIND_HOOKS[info.case]?.ttlSeconds?.(ttls);
}

/**
 * An update of a Job with a generated selector that leaves the selector out (a manifest applied
 * again) keeps the stored selector and the generated pod labels, so it is no change.
 */
function keepGeneratedJobSelector(next: Job, stored: Job): void {
  if (!next.spec?.template || !stored.spec || next.spec.manualSelector || next.spec.selector) return;
  next.spec.selector = deepCopy(stored.spec.selector);
  const storedLabels = stored.spec.template?.metadata?.labels ?? {};
  next.spec.template.metadata ??= deepCopy(stored.spec.template?.metadata);
  if (!next.spec.template.metadata) return;
  const labels = (next.spec.template.metadata.labels ??= {});
  for (const key of GENERATED_JOB_LABELS) if (!(key in labels) && key in storedLabels) labels[key] = storedLabels[key];
}

/**
 * Prepares a client's object for Create (mutates and returns it): name from generateName, a new
 * uid, creationTimestamp now, generation 1, no resourceVersion, no deletion fields, initial
 * status. The namespace is the client's (validation requires one exactly for namespaced kinds).
 */
export function prepareForCreate(info: KindInfo, object: StoredObject, env: StrategyEnv): StoredObject {
  const meta = metaOf(object);
  fillGeneratedName(object, env);
  meta.uid = env.uid();
  meta.creationTimestamp = env.now();
  meta.generation = 1;
  meta.resourceVersion = '';
  meta.deletionTimestamp = undefined;
  meta.deletionGracePeriodSeconds = undefined;
  const initial = INITIAL_STATUS[info.case];
  if (initial) object.status = initial();
  KIND_HOOKS[info.case]?.prepareForCreate?.(object);
  return object;
}

/** Sets metadata.name to generateName + 5 random characters when the name is empty. */
export function fillGeneratedName(object: StoredObject, env: StrategyEnv): void {
  const meta = metaOf(object);
  if (!meta.name && meta.generateName) meta.name = meta.generateName + env.nameSuffix();
}

/**
 * Prepares an Update (returns a new object built from `requested`): identity and server-owned
 * metadata (uid, name, namespace, creationTimestamp, deletion fields, generation) come from the
 * stored object; status comes from the stored object for kinds with a status subresource;
 * generation increases by one when the content (everything but metadata and status) changed.
 * An object being deleted cannot gain finalizers (InvalidError on metadata.finalizers). A
 * namespace keeps its spec.finalizers (only UpdateStatus changes them).
 */
export function prepareForUpdate(info: KindInfo, requested: StoredObject, stored: StoredObject): StoredObject {
  const next = deepCopy(requested);
  const meta = metaOf(next);
  const old = metaOf(stored);
  meta.uid = old.uid;
  meta.name = old.name;
  meta.namespace = old.namespace;
  meta.generateName = old.generateName;
  meta.creationTimestamp = old.creationTimestamp;
  meta.deletionTimestamp = old.deletionTimestamp;
  meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  meta.generation = old.generation;
  if (info.hasStatus) next.status = deepCopy(stored.status);
  KIND_HOOKS[info.case]?.prepareForUpdate?.(next, stored);
  if (old.deletionTimestamp) {
    const added = meta.finalizers.filter((f) => !old.finalizers.includes(f));
    if (added.length) {
      throw new InvalidError([{ field: 'metadata.finalizers', detail: `no new finalizers can be added while the object is being deleted (${added.join(', ')})` }]);
    }
  }
  if (contentOf(info, next) !== contentOf(info, stored)) meta.generation = old.generation + 1;
  return next;
}

/**
 * Prepares an UpdateStatus: the stored object with only its status replaced by the requested
 * one (metadata, spec and generation unchanged). Kinds without status refuse (InvalidError).
 * A namespace's spec.finalizers are taken from the request too: this is how the namespace
 * controller finalizes (Kubernetes' /finalize subresource).
 */
export function prepareForUpdateStatus(info: KindInfo, requested: StoredObject, stored: StoredObject): StoredObject {
  if (!info.hasStatus) throw new InvalidError([{ field: 'status', detail: `${info.resource} have no status` }]);
  const next = deepCopy(stored);
  next.status = deepCopy(requested.status);
  if (info.case === 'namespace') finalizeSpecFinalizers(next, requested, stored);
  return next;
}

/**
 * True when a stored object marked for deletion may now be removed: no finalizers left (for a
 * namespace, none in spec.finalizers either) and no grace period pending (a graceful pod waits
 * for its kubelet's grace-0 delete).
 */
export function readyToRemove(object: StoredObject): boolean {
  const meta = metaOf(object);
  return !!meta.deletionTimestamp && meta.finalizers.length === 0 && specFinalizersOf(object).length === 0 && !(Number(meta.deletionGracePeriodSeconds ?? 0) > 0);
}
