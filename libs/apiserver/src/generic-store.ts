/**
 * The generic registry: one code path that serves every kind in KINDS (create, get, list,
 * update, updateStatus, delete, bind, watch) on a revisioned Storage, in the spirit of
 * Kubernetes' generic registry Store. Kind-specific behaviour lives in strategy.ts, deletion.ts
 * and bind.ts as pure functions; this class adds the I/O: reads, compare-and-swap writes with
 * retry, namespace checks, defaulting and validation.
 *
 * Objects carry resourceVersion = the etcd mod revision of their last write; it is stamped on
 * every returned object and never stored.
 */
import {
  applyDefaults,
  ForbiddenError,
  NamespaceTerminatingError,
  findKind,
  InvalidError,
  MAX_OBJECT_BYTES,
  NotFoundError,
  parseFieldSelector,
  parseLabelSelector,
  unwrap,
  validateObject,
  wrap,
  ConflictError,
  AlreadyExistsError,
  type ApiObject,
  type BindRequest,
  type KindInfo,
  type ListResponse,
  type WatchEvent,
  type WatchRequest,
  type DeleteRequest,
  type PodSpec,
  type Service,
  type ServiceAccount,
  type StorageClass,
  KINDS,
  kindFor,
  selectedWatchShard,
  watchShardOf,
} from '@skiff/api';
import { SideKeyExistsError, type Guard, type SideWrites, type Storage } from '@skiff/storage';
import { ALL_ADMISSION_PLUGINS, type EnabledAdmissionPlugins } from './admission-plugins';
import { bindPod, validateBinding } from './bind';
import { addDefaultTolerations } from './default-toleration-seconds';
import { checkPreconditions, decideDelete } from './deletion';
import { markTerminating, namespaceFinalized } from './namespace-lifecycle';
import { DEFAULT_NODE_PORT_RANGE, type NodePortRange } from './node-port-range';
import { decodeObject, deepCopy, encodeObject, metaOf, sameObject, type StoredObject } from './object-access';
import { RecentObjects, type RecentObject } from './recent-objects';
import { objectKey, resourcePrefix } from './registry-keys';
import { allocationKeysOf, keepAllocatedValues } from './service-allocations';
import { RangeFullError, ServiceAllocator, type AllocationPlan } from './service-allocator';
import { parseServiceIpRange, type ServiceIpRange } from './service-ip-range';
import { admitServiceAccount, type ServiceAccountAdmissionOptions } from './service-account-admission';
import { admitStorageCreate } from './storage-admission';
import { fillGeneratedName, prepareForCreate, prepareForUpdate, prepareForUpdateStatus, readyToRemove, systemStrategyEnv, ttlSecondsOf, type ObjectTtls, type StrategyEnv } from './strategy';
import { toWatchEvent, type WatchFilter } from './watch-filter';

/** Namespaces that always exist: created at start, never deleted (skiff-node-lease holds the nodes' heartbeat Leases, as kube-node-lease). */
export const SYSTEM_NAMESPACES = ['default', 'skiff-system', 'skiff-node-lease'] as const;

/** How many times an unconditional write re-reads and retries after losing a compare-and-swap. */
const MAX_WRITE_ATTEMPTS = 20;

/** Server-wide settings of the store. */
export interface GenericStoreOptions {
  /** tolerationSeconds of the not-ready / unreachable tolerations every new pod gets (DefaultTolerationSeconds); 300. */
  defaultTolerationSeconds?: number;
  /** The service CIDR ClusterIPs come from; 10.96.0.0/16. */
  serviceIpRange?: ServiceIpRange;
  /** The range node ports come from; 30000-32767. */
  nodePortRange?: NodePortRange;
  /** The admission plugins that run (--disable-admission-plugins removes some); all by default. */
  admissionPlugins?: EnabledAdmissionPlugins;
  /** Retry tuning of the ServiceAccount plugin (tests). */
  serviceAccountAdmission?: ServiceAccountAdmissionOptions;
  /** How long Events live after their last write (--event-ttl); 1 h. */
  ttls?: ObjectTtls;
}

/** The default service CIDR (--service-cluster-ip-range). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

export interface WriteOptions {
  dryRun?: boolean;
}

/** Resolves a resource name ("pods", "pod", "po") to its kind, or NotFoundError. */
export function resolveKind(resource: string): KindInfo {
  const info = findKind(resource);
  if (!info) throw new NotFoundError(`the server doesn't have a resource type "${resource}"`);
  return info;
}

function unwrapRequest(object: ApiObject | undefined): { info: KindInfo; object: StoredObject } {
  if (!object?.kind) throw new InvalidError([{ field: 'object', detail: 'required: no kind set' }]);
  // The request was decoded for this call alone: the store may change it in place.
  const { info, object: value } = unwrap(object);
  return { info, object: value as StoredObject };
}

function describe(info: KindInfo, namespace: string, name: string): string {
  return info.namespaced ? `${info.resource} "${namespace}/${name}"` : `${info.resource} "${name}"`;
}

const NAMESPACE_KIND = kindFor('namespaces');
const SERVICE_ACCOUNT_KIND = kindFor('serviceaccounts');
const STORAGE_CLASS_KIND = kindFor('storageclasses');

/** The uid recorded in an allocation key's value (AllocationOwner JSON); undefined if unreadable. */
function ownerUid(value: Uint8Array): string | undefined {
  try {
    return (JSON.parse(new TextDecoder().decode(value)) as { uid?: string }).uid;
  } catch {
    return undefined;
  }
}

export class GenericStore {
  /** Writable namespaces seen by writes, at their mod revision (see namespaceGuard). */
  private readonly namespaces = new Map<string, { revision: number }>();
  /** The last state seen of pods read or written here: where a bind starts (see bind). */
  private readonly recent: RecentObjects;
  /** ClusterIPs and node ports of Services (see service-allocator.ts). */
  private readonly services: ServiceAllocator;

  constructor(
    private readonly storage: Storage,
    private readonly env: StrategyEnv = systemStrategyEnv,
    recent: RecentObjects = new RecentObjects(),
    private readonly options: GenericStoreOptions = {},
  ) {
    this.recent = recent;
    this.services = new ServiceAllocator(storage, options.serviceIpRange ?? parseServiceIpRange(DEFAULT_SERVICE_CIDR), options.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
  }

  /** Seconds an object of `info` lives after a write (Events: --event-ttl), or undefined. */
  private ttlOf(info: KindInfo): number | undefined {
    return ttlSecondsOf(info, this.options.ttls ?? {});
  }

  /**
   * The allocations a write of `next` (over `stored`, if any) records in the same transaction:
   * fills a Service's clusterIP / nodePorts (see ServiceAllocator.plan), or releases all it
   * holds when `next` is about to be removed. Undefined for other kinds. A range that looks full
   * is read again from etcd before the write is refused (RangeFullError).
   */
  private async allocate(info: KindInfo, next: StoredObject, stored: StoredObject | undefined): Promise<AllocationPlan | undefined> {
    if (info.case !== 'service') return undefined;
    if (stored && readyToRemove(next)) return { side: this.services.release(stored as Service), requested: new Map() };
    const meta = metaOf(next);
    const owner = { namespace: meta.namespace, name: meta.name, uid: meta.uid };
    const attempt = deepCopy(next) as Service;
    try {
      const plan = this.services.plan(attempt, stored as Service | undefined, owner);
      Object.assign(next, attempt);
      return plan;
    } catch (err) {
      if (!(err instanceof RangeFullError)) throw err;
      await this.services.refresh();
      return this.services.plan(next as Service, stored as Service | undefined, owner);
    }
  }

  /**
   * After a write failed because an allocation key exists: InvalidError when the user asked for
   * that value; otherwise the hints were stale, so they are read again and the caller retries.
   */
  private async allocationTaken(err: SideKeyExistsError, plan: AllocationPlan | undefined, kind: string, name: string, attempt: number): Promise<void> {
    const requested = plan?.requested.get(err.key);
    if (requested) throw new InvalidError([requested], `${kind} "${name}" is invalid`);
    if (attempt >= MAX_WRITE_ATTEMPTS) throw new ConflictError(`${kind} "${name}": allocation lost ${attempt} races for free values: try again`, { cause: err });
    await this.services.refresh();
  }

  /** Records what a committed write allocated or released. */
  private committed(side: SideWrites | undefined): void {
    if (side) this.services.committed(side);
  }

  /** Remembers a pod's stored state (pods only: Bind is the one write that starts from it). */
  private remember(info: KindInfo, key: string, revision: number, bytes: Uint8Array): void {
    if (info.case === 'pod') this.recent.remember(key, revision, bytes);
  }

  // ------------------------------------------------------------------ reads

  private namespaceOf(info: KindInfo, namespace: string | undefined): string {
    return info.namespaced ? namespace || 'default' : '';
  }

  /** The stored object and its mod revision, or NotFoundError. */
  private async read(info: KindInfo, namespace: string, name: string, signal?: AbortSignal): Promise<{ object: StoredObject; revision: number }> {
    const key = objectKey(info, namespace, name);
    const kv = await this.storage.get(key, signal);
    if (!kv) {
      this.recent.forget(key);
      throw new NotFoundError(`${describe(info, namespace, name)} not found`);
    }
    this.remember(info, key, kv.modRevision, kv.value);
    return { object: decodeObject(info, kv.value, kv.modRevision), revision: kv.modRevision };
  }

  /**
   * Where a compare-and-swap on `key` may start without a read (bind, readModifyWrite): the state
   * this apiserver last read or wrote, unless the request names another resourceVersion.
   */
  private rememberedStart(key: string, resourceVersion: string | undefined): RecentObject | undefined {
    const known = this.recent.get(key);
    return known && (!resourceVersion || resourceVersion === String(known.revision)) ? known : undefined;
  }

  /** The remembered state when there is one, else the stored object read now (NotFoundError). */
  private async startFrom(info: KindInfo, namespace: string, name: string, remembered: RecentObject | undefined): Promise<{ object: StoredObject; revision: number }> {
    return remembered ? { object: decodeObject(info, remembered.bytes, remembered.revision), revision: remembered.revision } : await this.read(info, namespace, name);
  }

  /** Get: the object with its resourceVersion, or NotFoundError. */
  async get(resource: string, namespace: string, name: string, signal?: AbortSignal): Promise<ApiObject> {
    const info = resolveKind(resource);
    const { object } = await this.read(info, this.namespaceOf(info, namespace), name, signal);
    return wrap(info, object as never);
  }

  /**
   * List: every object of the resource (in one namespace, or all when empty) matching the label
   * and field selectors, read in one etcd range at one revision (returned as resourceVersion).
   * Bad selectors are InvalidError. As Kubernetes' registry does, `metadata.name=<name>` (with a
   * namespace, for a namespaced kind) reads that one key, and a selector on the kind's watch shard
   * field (pods' spec.nodeName) is checked on the stored bytes before anything is decoded: a
   * kubelet's list of its own pods decodes only those.
   */
  async list(request: { resource: string; namespace?: string; labelSelector?: string; fieldSelector?: string }, signal?: AbortSignal): Promise<ListResponse> {
    const info = resolveKind(request.resource);
    const filter = this.filterFor(info, request);
    const name = filter.field?.requirements.find((r) => r.field === 'metadata.name' && r.operator === '=')?.value;
    const namespace = info.namespaced ? (request.namespace ?? '') : '';
    const result =
      name !== undefined && (namespace || !info.namespaced)
        ? await this.storage.listKey(objectKey(info, namespace, name), signal)
        : await this.storage.list(resourcePrefix(info, namespace), signal);
    const shard = selectedWatchShard(info, filter.field);
    const items: ApiObject[] = [];
    for (const kv of result.items) {
      if (shard !== undefined && watchShardOf(info, kv.value) !== shard) continue;
      const object = decodeObject(info, kv.value, kv.modRevision);
      if (filter.label && !filter.label.empty && !filter.label.matches(metaOf(object).labels)) continue;
      if (filter.field && !filter.field.empty && !filter.field.matches(object)) continue;
      items.push(wrap(info, object as never));
    }
    return { items, resourceVersion: String(result.revision) };
  }

  private filterFor(info: KindInfo, request: { namespace?: string; labelSelector?: string; fieldSelector?: string }): WatchFilter {
    return {
      namespace: info.namespaced ? (request.namespace ?? '') : '',
      label: request.labelSelector ? parseLabelSelector(request.labelSelector) : undefined,
      field: request.fieldSelector ? parseFieldSelector(info, request.fieldSelector) : undefined,
    };
  }

  // ------------------------------------------------------------------ writes

  /**
   * Mutating admission on Create and Update (after defaulting, before validation), each plugin
   * unless disabled (admission-plugins.ts): pods get the default not-ready / unreachable
   * tolerations (Kubernetes' DefaultTolerationSeconds, which also runs on Update so that an
   * update sending the tolerations a user wrote keeps them).
   */
  private admit(info: KindInfo, object: StoredObject): void {
    const plugins = this.options.admissionPlugins ?? ALL_ADMISSION_PLUGINS;
    if (info.case === 'pod' && plugins.has('DefaultTolerationSeconds')) addDefaultTolerations((object as { spec?: PodSpec }).spec, this.options.defaultTolerationSeconds);
  }

  /**
   * Admission on Create only: admit (above), then Kubernetes' ServiceAccount plugin for pods
   * (service-account-admission.ts). The namespace is checked first, as Kubernetes'
   * NamespaceLifecycle runs before it: a missing namespace is NotFound, not a missing account.
   */
  private async admitCreate(info: KindInfo, object: StoredObject): Promise<void> {
    this.admit(info, object);
    const plugins = this.options.admissionPlugins ?? ALL_ADMISSION_PLUGINS;
    await admitStorageCreate(info, object, plugins, () => this.listAll(STORAGE_CLASS_KIND) as Promise<StorageClass[]>);
    if (info.case !== 'pod' || !plugins.has('ServiceAccount')) return;
    const namespace = metaOf(object).namespace;
    if (!namespace) return; // validation says "required"
    await this.namespaceGuard(namespace, false);
    await admitServiceAccount(object as { metadata?: { name?: string }; spec?: PodSpec }, namespace, (ns, name, signal) => this.findServiceAccount(ns, name, signal), this.options.serviceAccountAdmission);
  }

  /** Every stored object of a cluster-scoped kind (admission lookups). */
  private async listAll(info: KindInfo): Promise<StoredObject[]> {
    const { items } = await this.storage.list(resourcePrefix(info));
    return items.map((kv) => decodeObject(info, kv.value, kv.modRevision));
  }

  /** A ServiceAccount read from storage, or undefined. */
  private async findServiceAccount(namespace: string, name: string, signal?: AbortSignal): Promise<ServiceAccount | undefined> {
    const kv = await this.storage.get(objectKey(SERVICE_ACCOUNT_KIND, namespace, name), signal);
    return kv ? (decodeObject(SERVICE_ACCOUNT_KIND, kv.value, kv.modRevision) as ServiceAccount) : undefined;
  }

  /** InvalidError listing every problem validation finds (and the key guards below). */
  private validate(info: KindInfo, object: StoredObject, old?: StoredObject): void {
    const meta = metaOf(object);
    const problems = [...validateObject(info, object, old)];
    // Whatever validation says, never build a key from a missing name or namespace.
    if (!problems.length && (!meta.name || meta.name.includes('/'))) {
      problems.push({ field: 'metadata.name', detail: meta.name ? 'may not contain "/"' : 'Required value' });
    }
    if (!problems.length && info.namespaced !== !!meta.namespace) {
      problems.push({ field: 'metadata.namespace', detail: info.namespaced ? 'Required value' : 'Forbidden: not allowed on a cluster-scoped resource' });
    }
    if (problems.length) throw new InvalidError(problems, `${info.kind} "${meta.name}" is invalid`);
  }

  /** The bytes to store; InvalidError (field "object") over MAX_OBJECT_BYTES. */
  private encode(info: KindInfo, object: StoredObject): Uint8Array {
    const bytes = encodeObject(info, object);
    if (bytes.length > MAX_OBJECT_BYTES) {
      const detail = `Too long: the encoded object is ${bytes.length} bytes, more than the limit of ${MAX_OBJECT_BYTES} bytes`;
      throw new InvalidError([{ field: 'object', detail }], `${info.kind} "${metaOf(object).name}" is invalid`);
    }
    return bytes;
  }

  /**
   * The guard for writing into a namespace: its key at the mod revision last seen. NotFoundError
   * when it does not exist, ForbiddenError while it terminates (as Kubernetes' NamespaceLifecycle). The revision is cached
   * (`fresh` reads it again); a guarded write that finds the namespace changed re-reads it, so
   * the cache can be stale but never wrong, and a namespace deleted meanwhile gets nothing new.
   */
  private async namespaceGuard(namespace: string, fresh: boolean, signal?: AbortSignal): Promise<Guard> {
    const key = objectKey(NAMESPACE_KIND, '', namespace);
    let state = fresh ? undefined : this.namespaces.get(namespace);
    if (!state) {
      const kv = await this.storage.get(key, signal);
      if (!kv) {
        this.namespaces.delete(namespace);
        throw new NotFoundError(`namespaces "${namespace}" not found`);
      }
      const ns = decodeObject(NAMESPACE_KIND, kv.value, kv.modRevision) as { status?: { phase?: string }; metadata?: { deletionTimestamp?: Date } };
      state = { revision: kv.modRevision };
      if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
        // Not cached: a namespace that finishes terminating may come back under the same name.
        this.namespaces.delete(namespace);
        throw new NamespaceTerminatingError(namespace);
      }
      this.namespaces.set(namespace, state);
    }
    return { key, revision: state.revision };
  }

  /**
   * Create: defaults, generateName, admission (see admitCreate), validation of the object as sent (InvalidError listing
   * "field: detail"), server-set metadata (uid, creationTimestamp, generation 1, initial
   * status), size limit, namespace must exist and not
   * be terminating. AlreadyExistsError when the name is taken. dryRun stores nothing.
   */
  async create(request: ApiObject | undefined, options: WriteOptions = {}): Promise<ApiObject> {
    const { info, object } = unwrapRequest(request);
    applyDefaults(info, object);
    fillGeneratedName(object, this.env);
    await this.admitCreate(info, object);
    // Validate what the client sent (an unsupported status is an error, never dropped), then set
    // the server-owned fields.
    this.validate(info, object);
    prepareForCreate(info, object, this.env);
    const meta = metaOf(object);
    const key = objectKey(info, meta.namespace, meta.name);
    if (options.dryRun) {
      await this.allocate(info, object, undefined);
      this.encode(info, object);
      if (info.namespaced) await this.namespaceGuard(meta.namespace, true);
      if (await this.storage.get(key)) throw new AlreadyExistsError(`${describe(info, meta.namespace, meta.name)} already exists`);
      return wrap(info, object as never);
    }
    // One round trip: the create is conditional on the namespace being as last seen, and records
    // the object's allocations (a Service's ClusterIP, node ports) in the same transaction.
    for (let attempt = 1; ; attempt++) {
      const guard = info.namespaced ? await this.namespaceGuard(meta.namespace, attempt > 1) : undefined;
      const created = info.case === 'service' ? deepCopy(object) : object; // allocation fills fields: start each attempt afresh
      const plan = await this.allocate(info, created, undefined);
      const bytes = this.encode(info, created);
      try {
        const revision = await this.storage.create(key, bytes, guard, plan?.side, this.ttlOf(info));
        this.committed(plan?.side);
        this.remember(info, key, revision, bytes);
        metaOf(created).resourceVersion = String(revision);
        return wrap(info, created as never);
      } catch (err) {
        if (err instanceof SideKeyExistsError) {
          await this.allocationTaken(err, plan, info.kind, meta.name, attempt);
          continue;
        }
        if (err instanceof AlreadyExistsError) throw new AlreadyExistsError(`${describe(info, meta.namespace, meta.name)} already exists`);
        if (!(err instanceof ConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Read-modify-write with compare-and-swap: `change` computes the next object from the stored
   * one (undefined: nothing to write). With `expectedVersion` a stale object is ConflictError
   * at once; without it a lost race re-reads and tries again. An object whose deletion is
   * complete (no finalizers, no pending grace) is removed instead of written.
   */
  private async readModifyWrite(
    info: KindInfo,
    namespace: string,
    name: string,
    expected: { resourceVersion?: string; uid?: string },
    options: WriteOptions,
    change: (stored: StoredObject) => StoredObject | undefined,
  ): Promise<StoredObject> {
    const key = objectKey(info, namespace, name);
    // Where the first attempt starts: as bind() does, from the state this apiserver last read or
    // wrote when it is the one the request names (a kubelet's status write after its previous
    // one), saving a read; anything but a successful write from it is decided on a fresh read.
    let known = options.dryRun ? undefined : this.rememberedStart(key, expected.resourceVersion);
    for (let attempt = 1; ; attempt++) {
      const remembered = known;
      known = undefined;
      const { object: stored, revision } = await this.startFrom(info, namespace, name, remembered);
      let next: StoredObject | undefined;
      let bytes: Uint8Array;
      let plan: AllocationPlan | undefined;
      try {
        // Defaults apply to what was stored before a default existed, as Kubernetes defaults on
        // decode: an update that only restates an old object is no change, and immutability
        // checks compare like with like.
        applyDefaults(info, stored);
        if (expected.resourceVersion && expected.resourceVersion !== String(revision)) {
          throw new ConflictError(`${describe(info, namespace, name)} was modified: resourceVersion is ${revision}, not ${expected.resourceVersion}`);
        }
        // A write meant for an earlier object of the same name (deleted and made again) is refused.
        if (expected.uid && expected.uid !== metaOf(stored).uid) {
          throw new ConflictError(`Precondition failed for ${describe(info, namespace, name)}: UID in precondition: ${expected.uid}, UID in object meta: ${metaOf(stored).uid}`);
        }
        next = change(stored);
        if (!next || sameObject(info, next, stored)) {
          if (remembered) continue;
          return stored;
        }
        this.validate(info, next, stored);
        plan = await this.allocate(info, next, stored);
        bytes = this.encode(info, next);
      } catch (err) {
        if (remembered) continue;
        throw err;
      }
      if (options.dryRun) return next;
      try {
        if (readyToRemove(next)) {
          const removed = await this.storage.delete(key, revision, plan?.side);
          this.recent.forget(key);
          metaOf(next).resourceVersion = String(removed.revision);
        } else {
          const written = await this.storage.update(key, bytes, revision, plan?.side, this.ttlOf(info));
          this.remember(info, key, written, bytes);
          metaOf(next).resourceVersion = String(written);
        }
        this.committed(plan?.side);
        return next;
      } catch (err) {
        if (remembered && (err instanceof ConflictError || err instanceof NotFoundError || err instanceof SideKeyExistsError)) continue;
        if (err instanceof SideKeyExistsError) {
          await this.allocationTaken(err, plan, info.kind, name, attempt);
          continue;
        }
        if (!(err instanceof ConflictError) || expected.resourceVersion || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Update: defaults and admission as Create; replaces metadata (but server-owned fields) and
   * spec; status is kept for kinds with a status subresource; generation increases when the
   * content changed. A request with a
   * resourceVersion is compare-and-swap (ConflictError when stale, nothing changes); without one
   * it is unconditional. Removing the last finalizer of an object being deleted removes it.
   */
  async update(request: ApiObject | undefined, options: WriteOptions = {}): Promise<ApiObject> {
    const { info, object } = unwrapRequest(request);
    applyDefaults(info, object);
    this.admit(info, object);
    const meta = metaOf(object);
    const namespace = this.namespaceOf(info, meta.namespace);
    const next = await this.readModifyWrite(info, namespace, meta.name, { resourceVersion: meta.resourceVersion, uid: meta.uid }, options, (stored) => {
      if (info.case !== 'service') return prepareForUpdate(info, object, stored);
      // A Service update may leave out its allocated clusterIP and node ports: they are kept.
      const requested = deepCopy(object);
      keepAllocatedValues(requested as Service, stored as Service);
      return prepareForUpdate(info, requested, stored);
    });
    return wrap(info, next as never);
  }

  /** UpdateStatus: only the status changes (everything else is taken from the stored object). Same concurrency rules as update. */
  async updateStatus(request: ApiObject | undefined, options: WriteOptions = {}): Promise<ApiObject> {
    const { info, object } = unwrapRequest(request);
    const meta = metaOf(object);
    const namespace = this.namespaceOf(info, meta.namespace);
    const next = await this.readModifyWrite(info, namespace, meta.name, { resourceVersion: meta.resourceVersion, uid: meta.uid }, options, (stored) =>
      prepareForUpdateStatus(info, object, stored),
    );
    return wrap(info, next as never);
  }

  /**
   * Delete: checks preconditions (ConflictError), then removes the object, or marks it for
   * deletion (finalizers, propagation policy, graceful pod deletion; see deletion.ts), or for a
   * namespace with content sets phase Terminating. Returns the object after the call (its last
   * state, with the deletion's revision, when removed). System namespaces cannot be deleted
   * (ForbiddenError, as Kubernetes' NamespaceLifecycle).
   */
  async delete(request: Pick<DeleteRequest, 'resource' | 'namespace' | 'name' | 'preconditions' | 'gracePeriodSeconds' | 'propagationPolicy' | 'dryRun'>): Promise<ApiObject> {
    const info = resolveKind(request.resource);
    const namespace = this.namespaceOf(info, request.namespace);
    const key = objectKey(info, namespace, request.name);
    const what = describe(info, namespace, request.name);
    if (info.case === 'namespace' && (SYSTEM_NAMESPACES as readonly string[]).includes(request.name)) {
      throw new ForbiddenError(`namespaces "${request.name}" is forbidden: this namespace may not be deleted`);
    }
    for (let attempt = 1; ; attempt++) {
      const { object: stored, revision } = await this.read(info, namespace, request.name);
      checkPreconditions(stored, request.preconditions, what);
      const decision =
        info.case === 'namespace'
          ? await this.decideNamespaceDelete(stored, request.name)
          : decideDelete(info, stored, { gracePeriodSeconds: request.gracePeriodSeconds, propagationPolicy: request.propagationPolicy }, this.env.now());
      try {
        if (decision.action === 'none') return wrap(info, stored as never);
        if (request.dryRun) return wrap(info, (decision.action === 'mark' ? decision.object : stored) as never);
        if (decision.action === 'remove') {
          const side = info.case === 'service' ? this.services.release(stored as Service) : undefined;
          const removed = await this.storage.delete(key, revision, side);
          this.committed(side);
          this.recent.forget(key);
          metaOf(stored).resourceVersion = String(removed.revision);
          return wrap(info, stored as never);
        }
        const bytes = encodeObject(info, decision.object);
        const written = await this.storage.update(key, bytes, revision, undefined, this.ttlOf(info));
        this.remember(info, key, written, bytes);
        metaOf(decision.object).resourceVersion = String(written);
        // A namespace is marked first (that fences off creates, which are guarded on its
        // revision); then it is removed, in the next round, if it is empty.
        if (info.case === 'namespace') continue;
        return wrap(info, decision.object as never);
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * A namespace is first marked Terminating (no create gets into it after that: creates are
   * guarded on its revision); a marked namespace that is empty and has no finalizers (neither
   * metadata.finalizers nor spec.finalizers: the namespace controller drops "kubernetes" once it
   * has deleted the content) is removed. Checking emptiness only after the mark is what keeps a
   * racing create from being orphaned.
   */
  private async decideNamespaceDelete(stored: StoredObject, name: string): Promise<ReturnType<typeof decideDelete>> {
    if (metaOf(stored).deletionTimestamp) {
      return namespaceFinalized(stored) && (await this.namespaceIsEmpty(name)) ? { action: 'remove' } : { action: 'none' };
    }
    return { action: 'mark', object: markTerminating(stored, this.env.now()) };
  }

  private async namespaceIsEmpty(namespace: string): Promise<boolean> {
    for (const info of KINDS) {
      if (!info.namespaced) continue;
      const { items } = await this.storage.list(resourcePrefix(info, namespace));
      if (items.length) return false;
    }
    return true;
  }

  /**
   * Bind: sets a pending pod's spec.nodeName (and PodScheduled=True) with compare-and-swap.
   * ConflictError when the pod is bound to another node, being deleted, or its uid /
   * resourceVersion preconditions fail; binding again to the same node changes nothing;
   * InvalidError for a missing or malformed node name; NotFoundError when the pod is gone.
   *
   * One etcd round trip when this apiserver holds the pod's current state (it created or last
   * wrote it, as for pods the scheduler binds right after they were made): the compare-and-swap
   * starts from that state, as Kubernetes' binding starts from its watch cache. Anything but a
   * successful write from remembered state (a lost swap, a refusal, a no-op) is decided again on
   * a fresh read, so a stale memory never shows in the answer. A lost race on a fresh read
   * re-reads and tries again, up to MAX_WRITE_ATTEMPTS times.
   */
  async bind(request: BindRequest): Promise<ApiObject> {
    validateBinding(request);
    const info = kindFor('pods');
    const namespace = this.namespaceOf(info, request.namespace);
    const key = objectKey(info, namespace, request.name);
    const now = this.env.now();
    let known = this.rememberedStart(key, request.resourceVersion);
    for (let attempt = 1; ; ) {
      const remembered = known;
      known = undefined;
      const { object: stored, revision } = await this.startFrom(info, namespace, request.name, remembered);
      let next: StoredObject | undefined;
      try {
        next = bindPod(stored, request, now);
      } catch (err) {
        if (remembered) continue;
        throw err;
      }
      if (!next) {
        if (remembered) continue;
        return wrap(info, stored as never);
      }
      const bytes = this.encode(info, next);
      try {
        const written = await this.storage.update(key, bytes, revision);
        this.remember(info, key, written, bytes);
        metaOf(next).resourceVersion = String(written);
        return wrap(info, next as never);
      } catch (err) {
        if (remembered && (err instanceof ConflictError || err instanceof NotFoundError)) continue;
        if (err instanceof NotFoundError) throw new NotFoundError(`${describe(info, namespace, request.name)} not found`, { cause: err });
        if (!(err instanceof ConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw err;
        attempt++;
      }
    }
  }

  /**
   * Creates the system namespaces when missing (idempotent; safe with several apiservers).
   */
  async ensureSystemNamespaces(): Promise<void> {
    const info = kindFor('namespaces');
    for (const name of SYSTEM_NAMESPACES) {
      if (await this.storage.get(objectKey(info, '', name))) continue;
      try {
        await this.create(wrap(info, info.codec.fromPartial({ metadata: { name } }) as never));
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
    }
  }

  /**
   * Records the allocations of Services stored without them (written before allocation records
   * existed), as Kubernetes' repair controller does at start, so that their ClusterIPs and node
   * ports are never handed out again. Each record is created guarded on the Service's revision
   * (a Service changed or deleted meanwhile is skipped: its own write recorded or released it).
   * Returns the keys recorded and those already held by another Service (a duplicate from
   * before: left as it is, for an operator to resolve). Idempotent; safe with several apiservers.
   */
  async recordServiceAllocations(): Promise<{ recorded: string[]; duplicates: string[] }> {
    const info = kindFor('services');
    const recorded: string[] = [];
    const duplicates: string[] = [];
    const { items } = await this.storage.list(resourcePrefix(info));
    for (const kv of items) {
      const svc = decodeObject(info, kv.value, kv.modRevision) as Service;
      const meta = metaOf(svc as StoredObject);
      const value = new TextEncoder().encode(JSON.stringify({ namespace: meta.namespace, name: meta.name, uid: meta.uid }));
      for (const key of allocationKeysOf(svc)) {
        const existing = await this.storage.get(key);
        if (existing) {
          if (ownerUid(existing.value) !== meta.uid) duplicates.push(key);
          continue;
        }
        try {
          await this.storage.create(key, value, { key: kv.key, revision: kv.modRevision });
          recorded.push(key);
        } catch (err) {
          if (!(err instanceof ConflictError || err instanceof AlreadyExistsError)) throw err;
        }
      }
    }
    await this.services.refresh();
    return { recorded, duplicates };
  }

  // ------------------------------------------------------------------ watch

  /**
   * Watch: the changes of a resource after request.resourceVersion (empty or "0": from now), in
   * revision order, filtered by namespace and selectors (objects entering or leaving the
   * selection are ADDED / DELETED). CompactedError when that history is gone; ends when signal
   * aborts.
   */
  async *watch(request: WatchRequest, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const info = resolveKind(request.resource);
    const filter = this.filterFor(info, request);
    let after: number;
    if (request.resourceVersion && request.resourceVersion !== '0') {
      after = Number(request.resourceVersion);
      if (!Number.isSafeInteger(after) || after < 0) throw new InvalidError([{ field: 'resourceVersion', detail: `invalid value "${request.resourceVersion}"` }]);
    } else {
      after = await this.storage.currentRevision();
    }
    for await (const batch of this.storage.watch(resourcePrefix(info, filter.namespace), after, signal)) {
      for (const change of batch) {
        const event = toWatchEvent(change, filter);
        if (event) yield event;
      }
    }
  }
}
