import { Lease, Node } from '@skiff/api';
import { decideNodeHealth, heartbeatSignature, NODE_STATUS_NEVER_UPDATED, NODE_STATUS_UNKNOWN, observeHeartbeat, readyStatusOf } from './node-health';

const GRACE = 40_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

function node(conditions: { type: string; status: string; heartbeat?: number }[] = [{ type: 'Ready', status: 'True', heartbeat: T0 }]): Node {
  return Node.fromPartial({
    metadata: { name: 'n1', creationTimestamp: new Date(T0 - 60_000) },
    status: {
      conditions: conditions.map((c) => ({
        type: c.type,
        status: c.status,
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: c.heartbeat === undefined ? undefined : new Date(c.heartbeat),
        lastTransitionTime: new Date(T0 - 60_000),
      })),
    },
  });
}

function lease(renewedAt: number): Lease {
  return Lease.fromPartial({ metadata: { name: 'n1', namespace: 'skiff-node-lease' }, spec: { holderIdentity: 'n1', renewTime: new Date(renewedAt) } });
}

describe('heartbeat observation', () => {
  it('starts a fresh observation at the first sight, however old the heartbeat (no cross-machine clocks)', () => {
    const sig = heartbeatSignature(node(), lease(T0 - 3_600_000));
    expect(observeHeartbeat(undefined, sig, T0)).toEqual({ signature: sig, observedAt: T0 });
  });

  it('keeps the observation time while the heartbeat is unchanged, restarts it when the Lease or the status heartbeat changes', () => {
    const first = observeHeartbeat(undefined, heartbeatSignature(node(), lease(T0)), T0);
    expect(observeHeartbeat(first, heartbeatSignature(node(), lease(T0)), T0 + 30_000)).toBe(first);
    expect(observeHeartbeat(first, heartbeatSignature(node(), lease(T0 + 10_000)), T0 + 30_000).observedAt).toBe(T0 + 30_000);
    const posted = node([{ type: 'Ready', status: 'True', heartbeat: T0 + 5_000 }]);
    expect(observeHeartbeat(first, heartbeatSignature(posted, lease(T0)), T0 + 31_000).observedAt).toBe(T0 + 31_000);
  });
});

describe('decideNodeHealth', () => {
  const observed = { signature: 'x', observedAt: T0 };

  it('a node heard from within the grace period is healthy, with the time it would go stale', () => {
    expect(decideNodeHealth(node(), observed, T0 + GRACE - 1, GRACE)).toEqual({ stale: false, staleAt: T0 + GRACE });
  });

  it('after the grace period every condition becomes Unknown with NodeStatusUnknown, keeping the last heartbeat', () => {
    const now = T0 + GRACE;
    const health = decideNodeHealth(node([{ type: 'Ready', status: 'True', heartbeat: T0 }, { type: 'MemoryPressure', status: 'False', heartbeat: T0 }]), observed, now, GRACE);
    expect(health.stale).toBe(true);
    expect(health.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'Unknown', ...NODE_STATUS_UNKNOWN, lastTransitionTime: new Date(now), lastHeartbeatTime: new Date(T0) }),
      expect.objectContaining({ type: 'MemoryPressure', status: 'Unknown', ...NODE_STATUS_UNKNOWN, lastTransitionTime: new Date(now) }),
    ]);
    expect(readyStatusOf({ ...node(), status: { ...node().status!, conditions: health.conditions! } })).toBe('Unknown');
  });

  it('is idempotent: conditions already Unknown are not rewritten', () => {
    const unknown = node([{ type: 'Ready', status: 'Unknown', heartbeat: T0 }]);
    expect(decideNodeHealth(unknown, observed, T0 + 2 * GRACE, GRACE)).toEqual({ stale: true, staleAt: T0 + GRACE, conditions: undefined });
  });

  it('a node that never posted a Ready condition gets Ready=Unknown NodeStatusNeverUpdated', () => {
    const health = decideNodeHealth(node([]), observed, T0 + GRACE, GRACE);
    expect(health.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'Unknown', ...NODE_STATUS_NEVER_UPDATED, lastHeartbeatTime: new Date(T0 - 60_000) })]);
  });

  it('does not change the node it was given', () => {
    const n = node();
    const before = structuredClone(n);
    decideNodeHealth(n, observed, T0 + GRACE, GRACE);
    expect(n).toEqual(before);
  });
});
