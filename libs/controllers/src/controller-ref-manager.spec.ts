import { Job, JOB_TRACKING_FINALIZER, Pod } from '@skiff/api';
import pino from 'pino';
import { adoptedCopy, applyClaims, releasedCopy } from './controller-ref-manager';

const ref = { apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true };
const owner = Job.fromPartial({ metadata: { name: 'pi', namespace: 'default', uid: 'job-uid' } });

function podOf(name: string, finalizers: string[], owned: boolean): Pod {
  return Pod.fromPartial({ metadata: { name, namespace: 'default', uid: `${name}-uid`, finalizers, ownerReferences: owned ? [ref] : [] } });
}

describe('controller ref manager finalizers', () => {
  it('adoption adds the finalizers once; release removes them and keeps the others', () => {
    const adopted = adoptedCopy(podOf('a', ['other'], false), ref, [JOB_TRACKING_FINALIZER]);
    expect(adopted.metadata?.finalizers).toEqual(['other', JOB_TRACKING_FINALIZER]);
    expect(adoptedCopy(adopted, ref, [JOB_TRACKING_FINALIZER]).metadata?.finalizers).toEqual(['other', JOB_TRACKING_FINALIZER]);
    const released = releasedCopy(adopted, 'job-uid', [JOB_TRACKING_FINALIZER]);
    expect(released.metadata?.finalizers).toEqual(['other']);
    expect(released.metadata?.ownerReferences).toEqual([]);
    expect(releasedCopy(adopted, 'job-uid').metadata?.finalizers).toEqual(['other', JOB_TRACKING_FINALIZER]);
  });

  it('applyClaims writes the finalizer with the adoption and drops it with the release', async () => {
    const written: Pod[] = [];
    await applyClaims(owner, { owned: [], adopt: [podOf('orphan', [], false)], release: [podOf('gone', [JOB_TRACKING_FINALIZER], true)] }, {
      readOwner: async () => owner,
      update: async (pod: Pod) => (written.push(pod), pod),
      ownerRef: ref,
      what: 'pod',
      log: pino({ level: 'silent' }),
      finalizers: [JOB_TRACKING_FINALIZER],
    });
    expect(written.map((p) => [p.metadata?.name, p.metadata?.finalizers, p.metadata?.ownerReferences.length])).toEqual([
      ['orphan', [JOB_TRACKING_FINALIZER], 1],
      ['gone', [], 0],
    ]);
  });
});
