/**
 * Leader election and the event recorder against the real apiserver (real etcd, NATS, gRPC).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Lease, Pod } from '@skiff/api';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';
import { EventRecorder } from './event-recorder';
import { connect } from './grpc-client';
import { LeaderElector } from './leader-election';
import type { SkiffClient } from './skiff-client';
import { typed } from './typed-client';

describe('coordination against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  });

  describe('LeaderElector', () => {
    const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };

    /** Runs a candidate that records when it leads; stop() ends its campaign. */
    function candidate(name: string, identity: string, log: string[]) {
      const stop = new AbortController();
      const elector = new LeaderElector({ client, name, identity, ...timing });
      const done = elector.run(stop.signal, async (leaderSignal) => {
        log.push(`+${identity}`);
        await new Promise<void>((resolve) => leaderSignal.addEventListener('abort', () => resolve(), { once: true }));
        log.push(`-${identity}`);
      });
      return { elector, stop: () => (stop.abort(), done) };
    }

    it('elects exactly one of two candidates, and the standby takes over when the leader stops', async () => {
      const log: string[] = [];
      const a = candidate('test-a', 'a', log);
      await waitFor('a leads', () => a.elector.isLeader || undefined, { timeoutMs: 5_000 });
      const b = candidate('test-a', 'b', log);
      await sleep(800); // several retry periods: b must stay a candidate
      expect(b.elector.isLeader).toBe(false);
      const stoppedAt = Date.now();
      await a.stop(); // releases the lease
      await waitFor('b leads', () => b.elector.isLeader || undefined, { timeoutMs: 5_000 });
      expect(Date.now() - stoppedAt).toBeLessThan(1_500); // released: no waiting out the duration
      await b.stop();
      expect(log).toEqual(['+a', '-a', '+b', '-b']);
      const lease = await typed(client, 'lease').get('skiff-system', 'test-a');
      expect(lease.spec?.holderIdentity).toBe('');
      expect(lease.spec?.leaseTransitions).toBe(0); // released leases are taken without a transition
    }, 20_000);

    it('takes over an expired lease of a crashed leader only after the lease duration', async () => {
      const leases = typed(client, 'lease');
      const now = new Date();
      await leases.create(Lease.fromPartial({ metadata: { name: 'test-b', namespace: 'skiff-system' }, spec: { holderIdentity: 'crashed', leaseDurationSeconds: 2, acquireTime: now, renewTime: now, leaseTransitions: 0 } }));
      const log: string[] = [];
      const started = Date.now();
      const c = candidate('test-b', 'c', log);
      await waitFor('c leads', () => c.elector.isLeader || undefined, { timeoutMs: 8_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
      await c.stop();
      expect((await leases.get('skiff-system', 'test-b')).spec?.leaseTransitions).toBe(1);
    }, 20_000);

    it('steps down when it cannot renew (apiserver gone) and leads again once it can', async () => {
      const log: string[] = [];
      const d = candidate('test-c', 'd', log);
      await waitFor('d leads', () => d.elector.isLeader || undefined, { timeoutMs: 5_000 });
      await services.apiserver.kill();
      await waitFor('d steps down', () => log.includes('-d') || undefined, { timeoutMs: 5_000 });
      await services.apiserver.restart();
      await waitFor('d leads', () => d.elector.isLeader || undefined, { timeoutMs: 10_000 });
      await d.stop();
      expect(log).toEqual(['+d', '-d', '+d', '-d']);
    }, 40_000);
  });

  describe('EventRecorder', () => {
    it('creates one Event per object, reason and message and counts repeats', async () => {
      const pod = await typed(client, 'pod').create(Pod.fromPartial({ metadata: { name: 'ev-pod', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } }));
      const recorder = new EventRecorder({ client, component: 'test', host: 'node-1' });
      for (let i = 0; i < 5; i++) recorder.warning(pod, 'BackOff', 'Back-off restarting failed container', 'Pod');
      recorder.normal(pod, 'Pulled', 'pulled', 'Pod');
      await recorder.flush();
      recorder.warning(pod, 'BackOff', 'Back-off restarting failed container', 'Pod');
      await recorder.flush();
      const events = (await typed(client, 'event').list({ namespace: 'default' })).items.filter((e) => e.involvedObject?.uid === pod.metadata?.uid);
      const byReason = Object.fromEntries(events.map((e) => [e.reason, e]));
      expect(events).toHaveLength(2);
      expect(byReason.BackOff.count).toBe(6);
      expect(byReason.BackOff.type).toBe('Warning');
      expect(byReason.BackOff.involvedObject).toMatchObject({ kind: 'Pod', apiVersion: 'v1', name: 'ev-pod', namespace: 'default' });
      expect(byReason.BackOff.source).toEqual({ component: 'test', host: 'node-1' });
      expect(byReason.Pulled.count).toBe(1);

      // A restarted component (a new recorder) bumps the same Event.
      const again = new EventRecorder({ client, component: 'test', host: 'node-1' });
      again.normal(pod, 'Pulled', 'pulled', 'Pod');
      await again.flush();
      const pulled = (await typed(client, 'event').get('default', byReason.Pulled.metadata?.name ?? ''));
      expect(pulled.count).toBe(2);
      expect(recorder.dropped + again.dropped).toBe(0);
    }, 20_000);

    it('puts events of cluster-scoped objects in the default namespace', async () => {
      const recorder = new EventRecorder({ client, component: 'test' });
      recorder.normal({ metadata: { name: 'node-x', uid: 'u-1' } }, 'NodeReady', 'ready', 'Node');
      await recorder.flush();
      const events = (await typed(client, 'event').list({ namespace: 'default' })).items.filter((e) => e.involvedObject?.name === 'node-x');
      expect(events).toHaveLength(1);
      expect(events[0].involvedObject?.kind).toBe('Node');
    }, 20_000);
  });
});
