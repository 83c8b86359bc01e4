import type { OwnerReference, Pod } from '@skiff/api';
import { goDuration, parseDrainOptions } from './drain-command';
import { aggregateMessage, evictionRetryMessage, podsForDeletion, type DrainFilterOptions } from './drain-filters';

const ref = (kind: string, name: string): OwnerReference => ({ apiVersion: 'apps/v1', kind, name, uid: `${name}-uid`, controller: true });

function pod(name: string, opts: { owner?: OwnerReference; emptyDir?: boolean; phase?: string; mirror?: boolean; namespace?: string } = {}): Pod {
  return {
    metadata: { name, namespace: opts.namespace ?? 'default', ownerReferences: opts.owner ? [opts.owner] : [], annotations: opts.mirror ? { 'kubernetes.io/config.mirror': 'abc' } : {} },
    spec: { volumes: opts.emptyDir ? [{ name: 'scratch', emptyDir: { medium: '' } }] : [] },
    status: { phase: opts.phase ?? 'Running' },
  } as unknown as Pod;
}

const none: DrainFilterOptions = { force: false, ignoreDaemonSets: false, deleteEmptyDirData: false };
const all: DrainFilterOptions = { force: true, ignoreDaemonSets: true, deleteEmptyDirData: true };
const dsExists = () => true;
const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata?.name);

describe('podsForDeletion (kubectl GetPodsForDeletion)', () => {
  const web = pod('web-1', { owner: ref('ReplicaSet', 'web-abc') });
  const bare = pod('bare');
  const ds = pod('proxy-x', { owner: ref('DaemonSet', 'proxy'), namespace: 'kube-system' });
  const scratch = pod('cache-1', { owner: ref('ReplicaSet', 'cache-abc'), emptyDir: true });
  const mirror = pod('etcd-node-1', { mirror: true, namespace: 'kube-system' });
  const done = pod('job-1', { phase: 'Succeeded' });

  it('evicts controller-managed pods; refuses, grouped by reason, bare pods, DaemonSet pods and emptyDir pods', () => {
    const bare2 = pod('bare2', { namespace: 'other' });
    const result = podsForDeletion([web, bare, ds, scratch, bare2], none, dsExists);
    expect(result.pods).toEqual([]);
    expect(result.errors).toEqual([
      'cannot delete Pods that declare no controller (use --force to override): default/bare, other/bare2',
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/proxy-x',
      'cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-1',
    ]);
    expect(aggregateMessage(result.errors)).toMatch(/^\[cannot delete Pods that declare no controller .*, cannot delete DaemonSet-managed .*, cannot delete Pods with local storage .*\]$/);
  });

  it('with the flags: DaemonSet pods skipped with a warning, the others evicted; the unmanaged warning with --force', () => {
    const result = podsForDeletion([web, bare, ds, scratch], all, dsExists);
    expect(names(result.pods)).toEqual(['web-1', 'bare', 'cache-1']);
    expect(result.errors).toEqual([]);
    // kubectl keeps the last filter's verdict: the emptyDir warning of a managed pod is dropped.
    // (Messages in the order their first pod was listed; kubectl's order is a Go map's.)
    expect(result.warnings).toBe('deleting Pods that declare no controller: default/bare; ignoring DaemonSet-managed Pods: kube-system/proxy-x');
  });

  it('only --ignore-daemonsets: a lone DaemonSet pod is skipped, nothing refused', () => {
    const result = podsForDeletion([web, ds], { ...none, ignoreDaemonSets: true }, dsExists);
    expect(names(result.pods)).toEqual(['web-1']);
    expect(result.warnings).toBe('ignoring DaemonSet-managed Pods: kube-system/proxy-x');
  });

  it('skips mirror pods silently; finished pods go without --force or --delete-emptydir-data', () => {
    const finishedScratch = pod('old-cache', { emptyDir: true, phase: 'Failed' });
    const finishedDs = pod('proxy-old', { owner: ref('DaemonSet', 'proxy'), phase: 'Succeeded' });
    const result = podsForDeletion([mirror, done, finishedScratch, finishedDs], none, dsExists);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toBe('');
    expect(names(result.pods)).toEqual(['job-1', 'old-cache', 'proxy-old']);
  });

  it('a DaemonSet pod whose DaemonSet is gone: an error, or deleted with a warning under --force', () => {
    expect(podsForDeletion([ds], { ...none, ignoreDaemonSets: true }, () => false).errors).toEqual(['cannot delete daemonsets.apps "proxy" not found: kube-system/proxy-x']);
    const forced = podsForDeletion([ds], { ...none, force: true }, () => false);
    expect(names(forced.pods)).toEqual(['proxy-x']);
    // its warning is dropped by the later filters, as kubectl's (the last verdict counts)
    expect(forced.warnings).toBe('');
  });
});

describe('drain messages and flags', () => {
  it("the PDB retry line is kubectl's", () => {
    expect(evictionRetryMessage(pod('web-1'), 5)).toBe(`error when evicting pods/"web-1" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
  });

  it('goDuration prints as Go', () => {
    expect([goDuration(5000), goDuration(120_000), goDuration(90_000), goDuration(3_600_000), goDuration(1500)]).toEqual(['5s', '2m0s', '1m30s', '1h0m0s', '1.5s']);
  });

  it('parseDrainOptions: grace period (-1: the pods own), timeout, errors naming the flag', () => {
    expect(parseDrainOptions({ gracePeriod: '-1', timeout: '120s', ignoreDaemonsets: true })).toMatchObject({ gracePeriodSeconds: undefined, timeoutMs: 120_000, filters: { ignoreDaemonSets: true, force: false, deleteEmptyDirData: false } });
    expect(parseDrainOptions({ gracePeriod: '0', timeout: '0s' })).toMatchObject({ gracePeriodSeconds: 0, timeoutMs: 0 });
    expect(() => parseDrainOptions({ gracePeriod: 'soon' })).toThrow('invalid argument "soon" for "--grace-period": must be an integer >= -1');
    expect(() => parseDrainOptions({ timeout: 'forever' })).toThrow(/^invalid argument "forever" for "--timeout"/);
  });
});
