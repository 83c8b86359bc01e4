import { Lease } from '@skiff/api';
import { decideLease } from './leader-election';

const lease = (holder: string, durationS = 15, transitions = 2) =>
  Lease.fromPartial({ metadata: { name: 'l', namespace: 'skiff-system' }, spec: { holderIdentity: holder, leaseDurationSeconds: durationS, leaseTransitions: transitions } });

describe('decideLease', () => {
  it('renews a lease it holds', () => {
    expect(decideLease(lease('me'), 'me', 0, 100_000, 15_000)).toEqual({ action: 'renew' });
  });

  it('takes a free lease without counting a transition', () => {
    expect(decideLease(lease(''), 'me', 0, 0, 15_000)).toEqual({ action: 'take', transitions: 2 });
  });

  it('waits while the holder renewed within the duration (by the observer clock)', () => {
    expect(decideLease(lease('other'), 'me', 10_000, 24_999, 15_000)).toEqual({ action: 'wait', holder: 'other' });
  });

  it('takes an expired lease and counts a transition', () => {
    expect(decideLease(lease('other'), 'me', 10_000, 25_000, 15_000)).toEqual({ action: 'take', transitions: 3 });
  });

  it("uses the lease's own duration, not the candidate's default", () => {
    expect(decideLease(lease('other', 1), 'me', 10_000, 11_000, 15_000).action).toBe('take');
  });
});
