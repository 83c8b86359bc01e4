import { ForbiddenError, PodSpec, ServiceAccount } from '@skiff/api';
import { admitServiceAccount, applyServiceAccount, type ServiceAccountLookup } from './service-account-admission';

const all = () => true;
const account = (name: string, secrets: string[] = []) => ServiceAccount.fromPartial({ metadata: { name, namespace: 'team' }, imagePullSecrets: secrets.map((s) => ({ name: s })) });
const spec = (extra: Partial<PodSpec> = {}) => PodSpec.fromPartial({ containers: [{ name: 'c', image: 'x' }], ...extra });

describe('applyServiceAccount', () => {
  it('names the account and copies its imagePullSecrets into a pod that has none', () => {
    const s = spec();
    applyServiceAccount(s, account('default', ['regcred', 'other']), all);
    expect(s.serviceAccountName).toBe('default');
    expect(s.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'other' }]);
  });

  it("keeps the pod's own imagePullSecrets and name", () => {
    const s = spec({ serviceAccountName: 'robot', imagePullSecrets: [{ name: 'mine' }] });
    applyServiceAccount(s, account('robot', ['regcred']), all);
    expect(s).toMatchObject({ serviceAccountName: 'robot', imagePullSecrets: [{ name: 'mine' }] });
  });

  it('writes no field Skiff does not implement yet', () => {
    const s = spec();
    applyServiceAccount(s, account('default', ['regcred']), () => false);
    expect(s).toMatchObject({ serviceAccountName: '', imagePullSecrets: [] });
  });
});

describe('admitServiceAccount', () => {
  function lookupOf(accounts: ServiceAccount[], appearsAfter = 0): { lookup: ServiceAccountLookup; calls: string[] } {
    const calls: string[] = [];
    const lookup: ServiceAccountLookup = async (namespace, name) => {
      calls.push(`${namespace}/${name}`);
      if (calls.length <= appearsAfter) return undefined;
      return accounts.find((a) => a.metadata?.name === name);
    };
    return { lookup, calls };
  }
  const fast = { retryDelayMs: () => 1, implemented: all };

  it('admits a pod naming no account as `default`', async () => {
    const pod = { metadata: { name: 'p' }, spec: spec() };
    await admitServiceAccount(pod, 'team', lookupOf([account('default', ['regcred'])]).lookup, fast);
    expect(pod.spec).toMatchObject({ serviceAccountName: 'default', imagePullSecrets: [{ name: 'regcred' }] });
  });

  it("refuses a pod whose account does not exist, in Kubernetes' words, after one look", async () => {
    const { lookup, calls } = lookupOf([account('default')]);
    const admitted = admitServiceAccount({ metadata: { name: 'p' }, spec: spec({ serviceAccountName: 'robot' }) }, 'team', lookup, fast);
    await expect(admitted).rejects.toThrow(ForbiddenError);
    await expect(admitted).rejects.toThrow('pods "p" is forbidden: error looking up service account team/robot: serviceaccount "robot" not found');
    expect(calls).toEqual(['team/robot']);
  });

  it('waits a little for `default`, which the controller creates just after its namespace', async () => {
    const { lookup, calls } = lookupOf([account('default')], 3);
    const pod = { metadata: { name: 'p' }, spec: spec() };
    await admitServiceAccount(pod, 'team', lookup, fast);
    expect(calls).toHaveLength(4);
    const never = lookupOf([]);
    await expect(admitServiceAccount({ metadata: { name: 'p' }, spec: spec() }, 'team', never.lookup, fast)).rejects.toThrow('serviceaccount "default" not found');
    expect(never.calls).toHaveLength(10);
  });
});
