import { Namespace } from '@skiff/api';
import { missingServiceAccounts, namespaceActive } from './service-account-plan';

const ns = (extra: Partial<Namespace> = {}) => Namespace.fromPartial({ metadata: { name: 'team' }, status: { phase: 'Active' }, ...extra });

describe('missingServiceAccounts', () => {
  it('creates `default` in an Active namespace that lacks it', () => {
    expect(missingServiceAccounts(ns(), () => false).map((sa) => sa.metadata)).toEqual([expect.objectContaining({ name: 'default', namespace: 'team' })]);
  });

  it('creates nothing when it exists', () => {
    expect(missingServiceAccounts(ns(), (name) => name === 'default')).toEqual([]);
  });

  it('creates nothing in a namespace that is terminating or gone', () => {
    expect(missingServiceAccounts(ns({ status: { phase: 'Terminating', conditions: [] } }), () => false)).toEqual([]);
    expect(missingServiceAccounts(Namespace.fromPartial({ metadata: { name: 'team', deletionTimestamp: new Date() }, status: { phase: 'Active' } }), () => false)).toEqual([]);
    expect(missingServiceAccounts(undefined, () => false)).toEqual([]);
  });

  it('takes a namespace without a phase yet as Active', () => {
    expect(namespaceActive(Namespace.fromPartial({ metadata: { name: 'x' } }))).toBe(true);
  });

  it('manages the names it is given', () => {
    expect(missingServiceAccounts(ns(), (name) => name === 'a', ['a', 'b']).map((sa) => sa.metadata?.name)).toEqual(['b']);
  });
});
