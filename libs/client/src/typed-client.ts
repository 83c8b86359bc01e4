/**
 * Typed access to one kind, so that controllers work on Pod, Node, ... objects and never touch
 * the ApiObject oneof. One generic implementation for every kind (driven by KindInfo.case).
 */
import { kindOfCase, wrap, type ApiObject, type KindCase, type KindInfo, type ObjectOf, type WatchEvent } from '@skiff/api';
import type { CallOptions, DeleteOptions, ListOptions, SkiffClient, WatchOptions, WriteOptions } from './skiff-client';

/** A watch event with the object unwrapped. */
export interface TypedWatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
  revision: number;
}

export interface TypedList<T> {
  items: T[];
  /** The revision the list was read at. */
  resourceVersion: string;
}

/**
 * The SkiffClient's methods for one kind (`TypedClient<'pod'>` works on Pods). Errors are the
 * SkiffClient's (NotFoundError, ConflictError, ...).
 */
export interface TypedClient<C extends KindCase, T = ObjectOf<C>> {
  readonly info: KindInfo<C>;
  create(object: T, options?: WriteOptions): Promise<T>;
  /** `namespace` is ignored (pass '') for cluster-scoped kinds. */
  get(namespace: string, name: string, options?: CallOptions): Promise<T>;
  list(options?: ListOptions): Promise<TypedList<T>>;
  update(object: T, options?: WriteOptions): Promise<T>;
  updateStatus(object: T, options?: WriteOptions): Promise<T>;
  delete(namespace: string, name: string, options?: DeleteOptions): Promise<T>;
  watch(options: WatchOptions, signal: AbortSignal): AsyncIterable<TypedWatchEvent<T>>;
}

/**
 * Unwraps an ApiObject known to hold kind `info`; throws when it holds another kind (a server
 * bug, never a user error).
 */
export function unwrapAs<C extends KindCase>(info: KindInfo<C>, object: ApiObject | undefined): ObjectOf<C> {
  if (object?.kind?.$case !== info.case) {
    throw new Error(`expected a ${info.kind}, got ${object?.kind?.$case ?? 'an empty object'}`);
  }
  return object.kind.value as ObjectOf<C>;
}

/**
 * The typed client for one kind, by its oneof case or KindInfo: `typed(client, 'pod').get('default',
 * 'web')` resolves to a Pod.
 */
export function typed<C extends KindCase>(client: SkiffClient, kind: C | KindInfo<C>): TypedClient<C> {
  const info = (typeof kind === 'string' ? kindOfCase(kind) : kind) as KindInfo<C>;
  const ns = (namespace: string) => (info.namespaced ? namespace : '');
  const out = (object: ApiObject) => unwrapAs(info, object);
  return {
    info,
    async create(object, options) {
      return out(await client.create(wrap(info, object), options));
    },
    async get(namespace, name, options) {
      return out(await client.get(info.resource, ns(namespace), name, options));
    },
    async list(options) {
      const response = await client.list(info.resource, options);
      return { items: response.items.map(out), resourceVersion: response.resourceVersion };
    },
    async update(object, options) {
      return out(await client.update(wrap(info, object), options));
    },
    async updateStatus(object, options) {
      return out(await client.updateStatus(wrap(info, object), options));
    },
    async delete(namespace, name, options) {
      return out(await client.delete(info.resource, ns(namespace), name, options));
    },
    async *watch(options, signal) {
      for await (const event of client.watch(info.resource, options, signal)) yield typedEvent(info, event);
    },
  };
}

function typedEvent<C extends KindCase>(info: KindInfo<C>, event: WatchEvent): TypedWatchEvent<ObjectOf<C>> {
  return { type: event.type as TypedWatchEvent<unknown>['type'], object: unwrapAs(info, event.object), revision: event.revision };
}
