import { kindFor, Namespace } from '@skiff/api';
import { markTerminating, namespaceFinalized } from './namespace-lifecycle';
import { prepareForCreate, prepareForUpdate, prepareForUpdateStatus, readyToRemove, type StrategyEnv } from './strategy';

const env: StrategyEnv = { now: () => new Date('2024-05-01T00:00:00Z'), uid: () => 'uid-1', nameSuffix: () => 'x7k2p' };
const namespaces = kindFor('namespaces');
const ns = (finalizers: string[], extra: { metaFinalizers?: string[]; deleting?: boolean } = {}) =>
  Namespace.fromPartial({
    metadata: { name: 'team', uid: 'u', generation: 1, finalizers: extra.metaFinalizers ?? [], deletionTimestamp: extra.deleting ? env.now() : undefined },
    spec: { finalizers },
    status: { phase: extra.deleting ? 'Terminating' : 'Active' },
  });

describe('namespace lifecycle', () => {
  it('adds the "kubernetes" finalizer at creation, keeping others', () => {
    expect(prepareForCreate(namespaces, ns([]), env)).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    expect(prepareForCreate(namespaces, ns(['example.com/x']), env)).toMatchObject({ spec: { finalizers: ['example.com/x', 'kubernetes'] } });
    expect(prepareForCreate(namespaces, ns(['kubernetes']), env)).toMatchObject({ spec: { finalizers: ['kubernetes'] } });
  });

  it('keeps spec.finalizers on Update, takes them from the request on UpdateStatus (finalize)', () => {
    const stored = ns(['kubernetes']);
    expect(prepareForUpdate(namespaces, ns([]), stored)).toMatchObject({ spec: { finalizers: ['kubernetes'] } });
    const finalized = prepareForUpdateStatus(namespaces, ns([]), stored);
    expect(finalized).toMatchObject({ spec: { finalizers: [] }, status: { phase: 'Active' } });
  });

  it('refuses a new spec finalizer on a terminating namespace', () => {
    expect(() => prepareForUpdateStatus(namespaces, ns(['kubernetes', 'example.com/x']), ns(['kubernetes'], { deleting: true }))).toThrow(/spec.finalizers/);
    expect(prepareForUpdateStatus(namespaces, ns(['example.com/x'], { deleting: true }), ns(['kubernetes', 'example.com/x'], { deleting: true }))).toMatchObject({ spec: { finalizers: ['example.com/x'] } });
  });

  it('is removed only once both kinds of finalizers are gone', () => {
    expect(readyToRemove(ns(['kubernetes'], { deleting: true }))).toBe(false);
    expect(readyToRemove(ns([], { deleting: true, metaFinalizers: ['example.com/x'] }))).toBe(false);
    expect(readyToRemove(ns([], { deleting: true }))).toBe(true);
    expect(namespaceFinalized(ns([]))).toBe(true);
    expect(namespaceFinalized(ns(['kubernetes']))).toBe(false);
  });

  it('marks a namespace Terminating without changing the stored one', () => {
    const stored = ns(['kubernetes']);
    const marked = markTerminating(stored, env.now()) as Namespace;
    expect(marked.metadata).toMatchObject({ deletionTimestamp: env.now(), deletionGracePeriodSeconds: 0 });
    expect(marked.status?.phase).toBe('Terminating');
    expect(stored.status?.phase).toBe('Active');
  });
});
