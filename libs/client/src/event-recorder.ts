/**
 * Events as every component records them (client-go's EventRecorder with its correlator, made
 * small): `recorder.normal(pod, 'Pulled', 'pulled image ...')` returns at once; the write happens
 * in the background.
 *
 * - One Event object per (involved object, type, reason, message, component): its name is a hash
 *   of those, so a repeat, even from a restarted component, bumps `count` and `lastTimestamp` of
 *   the same Event instead of creating another.
 * - Writes are queued and done one at a time per Event; repeats arriving while a write is in
 *   flight are folded into the next write. The queue is bounded (`maxPending` distinct Events):
 *   beyond it new Events are dropped and counted, so a storm never blocks a controller.
 * - Errors are logged and the Event dropped: Events are best effort, as in Kubernetes.
 * - Events of cluster-scoped objects (Node, Namespace) go to namespace `default`, as Kubernetes'.
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, ConflictError, Event, KINDS, NotFoundError, type ObjectMeta, type ObjectReference } from '@skiff/api';
import pino, { type Logger } from 'pino';
import type { SkiffClient } from './skiff-client';
import { typed, type TypedClient } from './typed-client';

export type EventType = 'Normal' | 'Warning';

/** What an Event is about: any object with metadata, plus its kind and apiVersion. */
export interface InvolvedObject {
  metadata?: Readonly<Partial<Pick<ObjectMeta, 'name' | 'namespace' | 'uid' | 'resourceVersion'>>> | undefined;
  kind?: string;
  apiVersion?: string;
}

export interface EventRecorderOptions {
  client: SkiffClient;
  /** source.component / reportingComponent: 'kubelet', 'default-scheduler', 'replicaset-controller'... */
  component: string;
  /** source.host (kubelets: the node name) and reportingInstance. */
  host?: string;
  log?: Logger;
  /** Distinct Events waiting to be written before new ones are dropped; 1,000. */
  maxPending?: number;
  now?: () => Date;
}

interface Pending {
  event: Event;
  /** Occurrences not yet written. */
  count: number;
  lastTimestamp: Date;
}

/** Writes Events for one component. */
export class EventRecorder {
  private readonly events: TypedClient<'event'>;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly maxPending: number;
  /** Event name -> occurrences waiting for a write. */
  private readonly pending = new Map<string, Pending>();
  /** Event name -> the stored Event as last written by us (saves a read per bump). */
  private readonly written = new Map<string, Event>();
  private draining?: Promise<void>;
  private droppedCount = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.events = typed(options.client, 'event');
    this.log = (options.log ?? pino({ level: 'silent' })).child({ events: options.component });
    this.now = options.now ?? (() => new Date());
    this.maxPending = options.maxPending ?? 1_000;
  }

  /** Events dropped because the queue was full or a write failed. */
  get dropped(): number {
    return this.droppedCount;
  }

  normal(object: Readonly<InvolvedObject>, reason: string, message: string, kind?: string): void {
    this.record(object, 'Normal', reason, message, kind);
  }

  warning(object: Readonly<InvolvedObject>, reason: string, message: string, kind?: string): void {
    this.record(object, 'Warning', reason, message, kind);
  }

  /**
   * Records one occurrence. `kind` (and the apiVersion derived from it) names the involved
   * object's kind when the object itself does not carry it (typed objects do not).
   */
  record(object: Readonly<InvolvedObject>, type: EventType, reason: string, message: string, kind?: string): void {
    const event = buildEvent(involvedReference(object, kind), type, reason, message, this.now(), this.options.component, this.options.host);
    const name = event.metadata?.name ?? '';
    const existing = this.pending.get(name);
    if (existing) {
      existing.count++;
      existing.lastTimestamp = event.lastTimestamp ?? this.now();
    } else if (this.pending.size >= this.maxPending) {
      this.droppedCount++;
      return;
    } else {
      this.pending.set(name, { event, count: 1, lastTimestamp: event.lastTimestamp ?? this.now() });
    }
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves when every Event recorded so far has been written (or dropped). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const [name, entry] = this.pending.entries().next().value as [string, Pending];
      this.pending.delete(name);
      try {
        await this.write(name, entry);
      } catch (err) {
        this.droppedCount++;
        this.log.warn({ err, event: name, reason: entry.event.reason }, 'event dropped');
      }
    }
  }

  /** Creates the Event or bumps the stored one; on a conflict it reads it again (3 tries). */
  private async write(name: string, entry: Pending): Promise<void> {
    const namespace = entry.event.metadata?.namespace ?? '';
    let stored = this.written.get(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (!stored) {
          const created = await this.events.create({ ...entry.event, count: entry.count, lastTimestamp: entry.lastTimestamp });
          this.remember(name, created);
          return;
        }
        const updated = await this.events.update({ ...stored, count: (stored.count || 1) + entry.count, lastTimestamp: entry.lastTimestamp, message: entry.event.message });
        this.remember(name, updated);
        return;
      } catch (err) {
        if (err instanceof AlreadyExistsError || err instanceof ConflictError) {
          stored = await this.events.get(namespace, name);
          continue;
        }
        if (err instanceof NotFoundError && stored) {
          stored = undefined; // expired or deleted: create it again
          this.written.delete(name);
          continue;
        }
        throw err;
      }
    }
    throw new ConflictError(`event ${namespace}/${name} kept changing`);
  }

  private remember(name: string, event: Event): void {
    this.written.delete(name);
    this.written.set(name, event);
    if (this.written.size > 4 * this.maxPending) this.written.delete(this.written.keys().next().value as string);
  }
}

/** The ObjectReference of an Event's involved object. */
export function involvedReference(object: Readonly<InvolvedObject>, kind?: string): ObjectReference {
  const meta = object.metadata;
  const k = kind ?? object.kind ?? '';
  return {
    kind: k,
    apiVersion: object.apiVersion ?? apiVersionOf(k),
    namespace: meta?.namespace ?? '',
    name: meta?.name ?? '',
    uid: meta?.uid ?? '',
    resourceVersion: meta?.resourceVersion ?? '',
    fieldPath: '',
  };
}

function apiVersionOf(kind: string): string {
  return KINDS.find((k) => k.kind === kind)?.apiVersion ?? 'v1';
}

/**
 * The Event for one occurrence (count 1). Its name, `<object name>.<hash>`, is stable for the
 * same involved object (by uid), type, reason, message and component.
 */
export function buildEvent(involved: ObjectReference, type: EventType, reason: string, message: string, now: Date, component: string, host = ''): Event {
  const hash = createHash('sha256').update(`${involved.uid}\n${involved.kind}\n${involved.name}\n${type}\n${reason}\n${message}\n${component}`).digest('hex').slice(0, 16);
  return Event.fromPartial({
    metadata: { name: `${involved.name.slice(0, 200)}.${hash}`, namespace: involved.namespace || 'default' },
    involvedObject: involved,
    reason,
    message: message.slice(0, 1024),
    source: { component, host },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type,
    reportingComponent: component,
    reportingInstance: host,
  });
}
