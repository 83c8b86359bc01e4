/**
 * How an informer applies watch events to its cache (pure, no I/O; see ARCHITECTURE.md "The
 * watch pipeline"):
 *
 *   revision <= lastRevision              -> skip (already in the List or applied before)
 *   prevRevision > lastRevision           -> gap: an event of this resource was missed; relist
 *   otherwise                             -> apply, lastRevision = revision
 *
 * Applying: DELETED removes the key; ADDED/MODIFIED upserts the object when it matches the
 * informer's selectors, and removes it when it no longer matches (it left the selection).
 */
import { keyOf, type KubeObject, type WatchEvent } from '@skiff/api';
import type { Delta, InformerStore } from './informer-store';

export interface ApplierState {
  /** The newest revision the cache reflects (the List's revision, then each applied event's). */
  lastRevision: number;
}

export type ApplyOutcome<T> =
  | { kind: 'skipped' }
  | { kind: 'gap'; prevRevision: number; lastRevision: number }
  | { kind: 'applied'; delta: Delta<T> | undefined };

export interface ApplyContext<T extends KubeObject> {
  store: InformerStore<T>;
  state: ApplierState;
  /** Extracts the typed object from the event (throws on a wrong kind). */
  unwrap: (event: WatchEvent) => T;
  /** Whether the informer's namespace and selectors select the object. */
  matches: (object: Readonly<T>) => boolean;
}

/** Applies one event; see the table above. Mutates ctx.store and ctx.state only when applied. */
export function applyWatchEvent<T extends KubeObject>(ctx: ApplyContext<T>, event: WatchEvent, prevRevision: number): ApplyOutcome<T> {
  const { state, store } = ctx;
  if (event.revision <= state.lastRevision) return { kind: 'skipped' };
  if (prevRevision > state.lastRevision) return { kind: 'gap', prevRevision, lastRevision: state.lastRevision };
  state.lastRevision = event.revision;
  const key = event.name ? keyOf({ namespace: event.namespace, name: event.name }) : keyOf(ctx.unwrap(event).metadata);
  if (event.type === 'DELETED') return { kind: 'applied', delta: store.remove(key) };
  const object = ctx.unwrap(event);
  if (!ctx.matches(object)) return { kind: 'applied', delta: store.remove(key) };
  return { kind: 'applied', delta: store.upsert(object) };
}
