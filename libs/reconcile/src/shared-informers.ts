/**
 * One informer per kind, shared by every controller of a process (client-go's
 * SharedInformerFactory): controllers ask for the kinds they read, then the factory starts them
 * all. Each caller declares the indexes it uses; asking again for a kind with an index it lacks
 * adds that index (before the informers start; after, it is a programming error thrown at wiring
 * time, never at run time). Index names are shared: one name, one function.
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

  /** The informer for `kind`, created on first use; `indexers` it does not have yet are added. */
  get<C extends KindCase>(kind: C, indexers: Record<string, IndexFunc<ObjectOf<C>>> = {}): Informer<C> {
    const known = this.informers.get(kind);
    if (known) {
      const missing = Object.keys(indexers).filter((name) => !known.indexes.has(name));
      if (missing.length > 0) {
        if (this.started) throw new Error(`the ${kind} informer was asked for the index ${missing.join(', ')} after the informers started`);
        (known.informer as unknown as Informer<C>).addIndexers(Object.fromEntries(missing.map((name) => [name, indexers[name]])));
        for (const name of missing) known.indexes.add(name);
      }
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
