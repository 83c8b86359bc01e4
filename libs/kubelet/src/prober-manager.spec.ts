import type { Pod, PodStatus, Probe } from '@skiff/api';
import { FakeClock, type TypedClient } from '@skiff/client';
import { HollowRuntime, type ContainerStatusInfo } from '@skiff/runtime';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { KubeletEventRecorder } from './kubelet-events';
import { createKubeletMetrics } from './kubelet-metrics';
import { PodSyncer } from './pod-syncer';
import { PodWorkers } from './pod-workers';
import type { ProbeOutcome, ProbeRunner } from './probe-runner';
import { ProberManager } from './prober-manager';
import type { ProbeKind } from './probe-state';

/**
 * The prober manager on a fake clock, with a runner whose answers the test sets per container and
 * probe kind (the real probes, over the network and Docker, run in probe-runner.int.spec.ts and
 * the cluster e2e probes.spec.ts). Then the whole loop: PodWorkers and the real PodSyncer over a
 * HollowRuntime, the prober feeding their status and kills.
 */
const probe = (extra: Partial<Probe> = {}): Probe => ({
  exec: { command: ['check'] },
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...extra,
});

function pod(name: string, container: Record<string, unknown>, restartPolicy = 'Always'): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: {}, annotations: {}, ownerReferences: [], finalizers: [] },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 30,
      nodeName: 'n1',
      containers: [{ name: 'main', image: 'img:1', imagePullPolicy: 'IfNotPresent', resources: { limits: {}, requests: {} }, ports: [], ...container }],
    },
  } as unknown as Pod;
}

/** A runner answering what `answers` holds for "container/kind" (default success); records each call. */
function scriptedRunner() {
  const answers = new Map<string, ProbeOutcome>();
  const calls: string[] = [];
  const runner: ProbeRunner = async (_probe, target) => {
    const kind = _probe === target.container.livenessProbe ? 'liveness' : _probe === target.container.readinessProbe ? 'readiness' : 'startup';
    calls.push(`${target.container.name}/${kind}@${target.containerId}`);
    return answers.get(`${target.container.name}/${kind}`) ?? { result: 'success', output: '' };
  };
  const answer = (kind: ProbeKind, result: ProbeOutcome['result'], output = '') => answers.set(`main/${kind}`, { result, output });
  return { runner, calls, answer };
}

function eventLog() {
  const events: string[] = [];
  const recorder: KubeletEventRecorder = {
    normal: (_o, reason, message) => void events.push(`Normal ${reason} ${message}`),
    warning: (_o, reason, message) => void events.push(`Warning ${reason} ${message}`),
  };
  return { events, recorder };
}

const tickOver = () => new Promise<void>((resolve) => setImmediate(resolve));

function instance(id: string, state: ContainerStatusInfo['state'], startedAt: number): ContainerStatusInfo {
  return { id, state, startedAt: new Date(startedAt), name: 'main' } as ContainerStatusInfo;
}

describe('ProberManager', () => {
  function setup() {
    const clock = new FakeClock(1_000_000);
    const script = scriptedRunner();
    const { events, recorder } = eventLog();
    const registry = new Registry();
    const metrics = createKubeletMetrics(registry, new HollowRuntime({ nodeName: 'n1' }), pino({ level: 'silent' }));
    const changes: string[] = [];
    const stop = new AbortController();
    const prober = new ProberManager({ runner: script.runner, recorder, metrics, clock, random: () => 0, onChange: (uid) => changes.push(uid) }, stop.signal);
    /** Moves the clock by `ms`, one timer at a time, letting each probe finish. */
    const advance = async (ms: number) => {
      let left = ms;
      do {
        clock.advance(Math.min(100, left));
        await tickOver();
        left -= 100;
      } while (left > 0);
    };
    return { clock, prober, events, changes, registry, stop, advance, ...script };
  }

  it('makes a container ready after its first successful readiness probe, and unready after failureThreshold failures', async () => {
    const { prober, advance, answer, events, changes, clock, registry, stop } = setup();
    const p = pod('web', { readinessProbe: probe({ failureThreshold: 2 }) });
    const c1 = instance('c1', 'running', clock.now());
    prober.update(p, '10.0.0.1', new Map([['main', c1]]));
    const spec = p.spec!.containers[0];
    expect(prober.containerStatus('uid-web', spec, c1)).toEqual({ started: true, ready: false });
    await advance(0);
    expect(prober.containerStatus('uid-web', spec, c1)).toEqual({ started: true, ready: true });
    expect(changes).toEqual(['uid-web']);

    answer('readiness', 'failure', 'HTTP probe failed with statuscode: 503');
    await advance(1_000);
    expect(prober.containerStatus('uid-web', spec, c1).ready).toBe(true); // one failure: below the threshold
    await advance(1_000);
    expect(prober.containerStatus('uid-web', spec, c1).ready).toBe(false);
    expect(changes).toEqual(['uid-web', 'uid-web']);
    expect(events).toEqual(['Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 503', 'Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 503']);
    expect(await registry.metrics()).toMatch(/prober_probe_total\{probe_type="Readiness",result="successful"\} 1\n/);
    expect(await registry.metrics()).toMatch(/prober_probe_total\{probe_type="Readiness",result="failed"\} 2\n/);
    stop.abort();
  });

  it('reports a liveness failure after failureThreshold, then holds until a new instance, which starts healthy', async () => {
    const { prober, advance, answer, calls, clock, stop } = setup();
    const p = pod('live', { livenessProbe: probe() });
    prober.update(p, '10.0.0.1', new Map([['main', instance('c1', 'running', clock.now())]]));
    answer('liveness', 'failure', 'boom');
    await advance(1_900);
    expect(prober.unhealthy('uid-live')).toEqual(new Map()); // 2 failures: at 0 and 1 s
    await advance(100); // the third, at 2 s
    expect(prober.unhealthy('uid-live')).toEqual(new Map([['c1', 'liveness']]));
    const probes = calls.length;
    await advance(3_000);
    expect(calls.length).toBe(probes); // on hold: the dying instance is left alone
    prober.update(p, '10.0.0.1', new Map([['main', instance('c2', 'running', clock.now())]]));
    await advance(0);
    expect(calls.at(-1)).toBe('main/liveness@c2'); // the new instance is probed at once
    expect(prober.unhealthy('uid-live')).toEqual(new Map());
    stop.abort();
  });

  it('holds liveness and readiness back until the startup probe succeeds', async () => {
    const { prober, advance, answer, calls, clock, stop } = setup();
    const p = pod('slow', { startupProbe: probe({ failureThreshold: 30 }), livenessProbe: probe(), readinessProbe: probe() });
    const c1 = instance('c1', 'running', clock.now());
    prober.update(p, '10.0.0.1', new Map([['main', c1]]));
    answer('startup', 'failure', 'not yet');
    answer('liveness', 'failure', 'would kill');
    await advance(5_000);
    expect(new Set(calls)).toEqual(new Set(['main/startup@c1']));
    expect(prober.containerStatus('uid-slow', p.spec!.containers[0], c1)).toEqual({ started: false, ready: false });
    expect(prober.unhealthy('uid-slow')).toEqual(new Map());
    answer('startup', 'success');
    answer('liveness', 'success');
    await advance(1_000);
    expect(prober.containerStatus('uid-slow', p.spec!.containers[0], c1).started).toBe(true);
    await advance(1_000);
    expect(new Set(calls)).toEqual(new Set(['main/startup@c1', 'main/liveness@c1', 'main/readiness@c1']));
    const startups = calls.filter((c) => c.startsWith('main/startup')).length;
    await advance(3_000);
    expect(calls.filter((c) => c.startsWith('main/startup')).length).toBe(startups); // done once started
    expect(prober.containerStatus('uid-slow', p.spec!.containers[0], c1)).toEqual({ started: true, ready: true });
    stop.abort();
  });

  it('waits out initialDelaySeconds, disregards probes that cannot run (errored), and stops with removePod', async () => {
    const { prober, advance, answer, calls, events, clock, stop } = setup();
    const p = pod('late', { readinessProbe: probe({ initialDelaySeconds: 3 }) });
    prober.update(p, '10.0.0.1', new Map([['main', instance('c1', 'running', clock.now())]]));
    await advance(2_900);
    expect(calls).toEqual([]);
    answer('readiness', 'error', 'port http not found');
    await advance(200);
    expect(calls).toEqual(['main/readiness@c1']);
    expect(events).toEqual(['Warning Unhealthy Readiness probe errored: port http not found']);
    expect(prober.containerStatus('uid-late', p.spec!.containers[0], instance('c1', 'running', 0)).ready).toBe(false);
    prober.removePod('uid-late');
    expect(prober.podCount()).toBe(0);
    await advance(5_000);
    expect(calls).toHaveLength(1);
    stop.abort();
  });

  it('spreads the first probes of the pods it adopts at start over a period, then probes every period', async () => {
    const clock = new FakeClock(0);
    const { runner, calls } = scriptedRunner();
    const stop = new AbortController();
    const prober = new ProberManager({ runner, clock, random: () => 0.5 }, stop.signal);
    prober.update(pod('a', { livenessProbe: probe({ periodSeconds: 10 }) }), '10.0.0.1', new Map([['main', instance('c1', 'running', 0)]]));
    clock.advance(4_999);
    await tickOver();
    expect(calls).toHaveLength(0);
    clock.advance(1);
    await tickOver();
    expect(calls).toHaveLength(1);
    clock.advance(10_000);
    await tickOver();
    expect(calls).toHaveLength(2);
    stop.abort();
    clock.advance(10_000);
    await tickOver();
    expect(calls).toHaveLength(2);
  });
});

describe('probes driving the pod workers', () => {
  function setup() {
    const clock = new FakeClock(1_000_000);
    const runtime = new HollowRuntime({ nodeName: 'n1', now: () => clock.now() });
    const statuses: PodStatus[] = [];
    const pods = { updateStatus: async (p: Pod) => (statuses.push(p.status as PodStatus), p) } as unknown as TypedClient<'pod'>;
    const script = scriptedRunner();
    const { events, recorder } = eventLog();
    const stop = new AbortController();
    const resync: { pod?: (uid: string) => void } = {};
    const prober = new ProberManager({ runner: script.runner, recorder, clock, random: () => 0, onChange: (uid) => resync.pod?.(uid) }, stop.signal);
    const syncer = new PodSyncer({ runtime, pods, nodeIP: '127.0.0.1', allocatable: () => ({ cpuMillis: 1000, memoryBytes: 2 ** 30, pods: 10 }), backoff: { baseMs: 100, maxMs: 400 }, clock, recorder, prober });
    const w = new PodWorkers(syncer, stop.signal, { clock });
    resync.pod = (uid) => w.resync(uid);
    const step = async (ms: number) => {
      for (let left = ms; left > 0; left -= 100) {
        clock.advance(Math.min(100, left));
        await tickOver();
        await w.settled();
      }
    };
    const last = () => statuses.at(-1);
    return { clock, runtime, workers: w, step, last, events, stop, ...script };
  }

  it('writes readiness changes at once (no resync needed) and keeps Ready False while the probe fails', async () => {
    const { workers, step, last, answer, stop } = setup();
    workers.update(pod('web', { readinessProbe: probe({ failureThreshold: 1 }) }));
    await workers.settled();
    expect(last()?.containerStatuses[0]).toMatchObject({ ready: false, started: true, state: { running: {} } });
    await step(100);
    expect(last()?.containerStatuses[0].ready).toBe(true);
    expect(last()?.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    answer('readiness', 'failure', 'nope');
    await step(1_000);
    expect(last()?.containerStatuses[0].ready).toBe(false);
    expect(last()?.conditions.find((c) => c.type === 'ContainersReady')).toMatchObject({ status: 'False', message: 'containers with unready status: [main]' });
    answer('readiness', 'success');
    await step(1_000);
    expect(last()?.containerStatuses[0].ready).toBe(true);
    stop.abort();
  });

  it('kills a container whose liveness probe fails and restarts it, with the Killing event', async () => {
    const { workers, step, last, answer, events, runtime, stop } = setup();
    workers.update(pod('live', { livenessProbe: probe({ failureThreshold: 2, terminationGracePeriodSeconds: 1 }) }));
    await workers.settled();
    await step(100);
    answer('liveness', 'failure', 'HTTP probe failed with statuscode: 500');
    await step(2_000);
    expect(last()?.containerStatuses[0]).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: {} } });
    expect(events).toContain('Normal Killing Container main failed liveness probe, will be restarted');
    // two failures killed it; the new instance is probed at once (and fails too: the answer has not changed)
    expect(events.filter((e) => e === 'Warning Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 500').length).toBeGreaterThanOrEqual(2);
    const all = await runtime.listContainers({ podUid: 'uid-live' });
    expect(all.map((c) => `${c.attempt}:${c.state}`).sort()).toEqual(['0:exited', '1:running']);
    stop.abort();
  });

  it('does not restart a container killed by its liveness probe under restartPolicy Never', async () => {
    const { workers, step, last, answer, stop } = setup();
    workers.update(pod('once', { livenessProbe: probe({ failureThreshold: 1 }) }, 'Never'));
    await workers.settled();
    answer('liveness', 'failure', 'dead');
    await step(1_000);
    // the hollow container exits 0 when stopped: the pod Succeeded (a real one killed by SIGKILL: Failed)
    expect(last()).toMatchObject({ phase: 'Succeeded', containerStatuses: [{ restartCount: 0, state: { terminated: { exitCode: 0 } } }] });
    await step(3_000);
    expect(last()?.containerStatuses[0].restartCount).toBe(0);
    stop.abort();
  });
});
