/**
 * One informer per kind, shared by every controller of a process (client-go's
 * SharedInformerFactory): controllers ask for the kinds they read, then the factory starts them
 * all. Indexes are declared when a kind is first asked for; asking again for a kind with an index
 * it was not created with is a programming error (thrown at wiring time, never at run time).
 */
import { Informer, type IndexFunc, type SkiffClient } from '@skiff/client';
import type { BusConnection } from '@skiff/bus';
import type { KindCase, ObjectOf } from '@skiff/api';
import type { Logger } from 'pino';

export interface SharedInformersOptions {
  client: SkiffClient;
  bus: BusConnection;
  log?: Logger;
  /** Re-deliver every cached object to handlers this often (level-triggered safety net); 0: never. */
  resyncMs?: number;
}

export class SharedInformers {
  private readonly informers = new Map<KindCase, { informer: Informer<KindCase>; indexes: Set<string> }>();
  private started = false;

  constructor(private readonly options: SharedInformersOptions) {}

  /** The informer for `kind`, created on first use with `indexers`. */
  get<C extends KindCase>(kind: C, indexers: Record<string, IndexFunc<ObjectOf<C>>> = {}): Informer<C> {
    const known = this.informers.get(kind);
    if (known) {
      const missing = Object.keys(indexers).filter((name) => !known.indexes.has(name));
      if (missing.length > 0) throw new Error(`the ${kind} informer was created without the index ${missing.join(', ')}: declare it where the informer is first asked for`);
      return known.informer as unknown as Informer<C>;
    }
    if (this.started) throw new Error(`the ${kind} informer was asked for after the informers started`);
    const informer = new Informer<C>({ client: this.options.client, bus: this.options.bus, resource: kind, log: this.options.log, indexers, resyncMs: this.options.resyncMs });
    this.informers.set(kind, { informer: informer as unknown as Informer<KindCase>, indexes: new Set(Object.keys(indexers)) });
    return informer;
  }

  /** Runs every informer asked for so far until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map(({ informer }) => informer.start(signal)));
  }

  /** Resolves once every informer has synced. */
  async synced(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map(({ informer }) => informer.synced(signal)));
  }
}
