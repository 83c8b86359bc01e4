/**
 * The informer's cache: objects by key ("namespace/name"), with secondary indexes (namespace
 * always, plus custom index functions such as pods by spec.nodeName). Pure, no I/O. Every change
 * returns the Delta it made, which the informer hands to its handlers.
 */
import { keyOf, type KubeObject } from '@skiff/api';

/** One change of the cache, with the previous state for updates and deletes. */
export type Delta<T> =
  | { type: 'add'; key: string; object: Readonly<T> }
  | { type: 'update'; key: string; old: Readonly<T>; object: Readonly<T> }
  | { type: 'delete'; key: string; old: Readonly<T> };

/** The values an object is indexed under (e.g. [pod.spec.nodeName]); [] for none. */
export type IndexFunc<T> = (object: Readonly<T>) => string[];

/** The index every store has: objects by metadata.namespace ('' for cluster-scoped). */
export const NAMESPACE_INDEX = 'namespace';

export class InformerStore<T extends KubeObject> {
  private readonly objects = new Map<string, Readonly<T>>();
  private readonly indexers: Record<string, IndexFunc<T>>;
  /** index name -> value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.indexers = { [NAMESPACE_INDEX]: (o) => [o.metadata?.namespace ?? ''], ...indexers };
    for (const name of Object.keys(this.indexers)) this.indices.set(name, new Map());
  }

  get size(): number {
    return this.objects.size;
  }

  get(key: string): Readonly<T> | undefined {
    return this.objects.get(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  list(): Readonly<T>[] {
    return [...this.objects.values()];
  }

  /**
   * Adds index functions (client-go's AddIndexers): existing objects are indexed at once. A name
   * already in use is an error, so that two callers never silently share a different function.
   */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    const taken = Object.keys(indexers).filter((name) => name in this.indexers);
    if (taken.length > 0) throw new Error(`index ${taken.join(', ')} already exists`);
    for (const [name, fn] of Object.entries(indexers)) {
      this.indexers[name] = fn;
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, object] of this.objects) {
        for (const value of fn(object)) {
          let keys = index.get(value);
          if (!keys) index.set(value, (keys = new Set()));
          keys.add(key);
        }
      }
    }
  }

  /** The objects indexed under `value` by index `name`; throws for an unknown index. */
  byIndex(name: string, value: string): Readonly<T>[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named "${name}"`);
    return [...(index.get(value) ?? [])].map((key) => this.objects.get(key) as Readonly<T>);
  }

  /** Adds or replaces the object; undefined when the same resourceVersion was already there. */
  upsert(object: Readonly<T>): Delta<T> | undefined {
    const key = keyOf(object.metadata);
    const old = this.objects.get(key);
    if (old && old.metadata?.resourceVersion === object.metadata?.resourceVersion) return undefined;
    if (old) this.unindex(key, old);
    this.objects.set(key, object);
    this.index(key, object);
    return old ? { type: 'update', key, old, object } : { type: 'add', key, object };
  }

  /** Removes the key; undefined when it was not there. */
  remove(key: string): Delta<T> | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    this.unindex(key, old);
    return { type: 'delete', key, old };
  }

  /**
   * Replaces the whole content with `items` (a fresh List), returning the differences as
   * synthetic deltas, as client-go's reflector does after a relist: adds for new keys, updates
   * for changed resourceVersions, deletes for keys that are gone.
   */
  replace(items: readonly Readonly<T>[]): Delta<T>[] {
    const deltas: Delta<T>[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(keyOf(item.metadata));
      const delta = this.upsert(item);
      if (delta) deltas.push(delta);
    }
    for (const key of [...this.objects.keys()]) {
      if (seen.has(key)) continue;
      const delta = this.remove(key);
      if (delta) deltas.push(delta);
    }
    return deltas;
  }

  private index(key: string, object: Readonly<T>): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const value of fn(object)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private unindex(key: string, object: Readonly<T>): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const value of fn(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
