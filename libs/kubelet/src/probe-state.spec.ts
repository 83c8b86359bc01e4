import type { Probe } from '@skiff/api';
import { afterProbe, containerProbeStatus, NEW_PROBE_WORKER, planProbeTick, type ProbeKind, type ProbeTickInput, type ProbeWorkerState } from './probe-state';

const probe = (extra: Partial<Probe> = {}): Probe => ({ initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 1, successThreshold: 1, failureThreshold: 3, ...extra });
const running = (id = 'c1', startedAt = 10_000) => ({ id, state: 'running' as const, startedAt: new Date(startedAt) });
const input = (kind: ProbeKind, extra: Partial<ProbeTickInput> = {}): ProbeTickInput => ({
  kind,
  probe: probe(),
  container: running(),
  restartPolicy: 'Always',
  started: true,
  now: 20_000,
  ...extra,
});

/** Feeds outcomes through afterProbe; returns what each published (undefined: nothing). */
function feed(kind: ProbeKind, p: Probe, outcomes: ('success' | 'failure')[], start: ProbeWorkerState = { containerId: 'c1', run: 0, onHold: false }) {
  let state = start;
  const published: (string | undefined)[] = [];
  for (const o of outcomes) {
    const next = afterProbe(state, o, kind, p);
    state = next.state;
    published.push(next.publish);
  }
  return { state, published };
}

describe('planProbeTick', () => {
  it('waits while the container has no instance', () => {
    expect(planProbeTick(NEW_PROBE_WORKER, input('liveness', { container: undefined }))).toEqual({ state: NEW_PROBE_WORKER, action: 'wait', forget: undefined, publish: undefined });
  });

  it('publishes the initial result of each kind for a new instance and forgets the old one', () => {
    expect(planProbeTick(NEW_PROBE_WORKER, input('readiness'))).toMatchObject({ action: 'probe', publish: 'failure', forget: undefined, state: { containerId: 'c1' } });
    expect(planProbeTick(NEW_PROBE_WORKER, input('liveness'))).toMatchObject({ action: 'probe', publish: 'success' });
    expect(planProbeTick(NEW_PROBE_WORKER, input('startup', { started: false }))).toMatchObject({ action: 'probe', publish: 'unknown' });
    const held = { containerId: 'c1', run: 0, onHold: true, lastResult: 'failure' as const };
    expect(planProbeTick(held, input('liveness', { container: running('c2') }))).toMatchObject({ action: 'probe', forget: 'c1', publish: 'success', state: { containerId: 'c2', onHold: false, run: 0 } });
  });

  it('keeps a held worker quiet until its container is replaced', () => {
    const held = { containerId: 'c1', run: 0, onHold: true };
    expect(planProbeTick(held, input('liveness'))).toMatchObject({ action: 'wait', publish: undefined });
  });

  it('marks an exited instance failed, and stops for good under restartPolicy Never', () => {
    const state = { containerId: 'c1', run: 2, onHold: false };
    const exited = { id: 'c1', state: 'exited' as const, startedAt: new Date(0) };
    expect(planProbeTick(state, input('readiness', { container: exited }))).toMatchObject({ action: 'wait', publish: 'failure' });
    expect(planProbeTick(state, input('readiness', { container: exited, restartPolicy: 'Never' }))).toMatchObject({ action: 'stop', publish: 'failure' });
    // created (not started yet): nothing to say
    expect(planProbeTick(state, input('readiness', { container: { id: 'c1', state: 'created' } }))).toMatchObject({ action: 'wait', publish: undefined });
  });

  it('honours initialDelaySeconds from the container start, telling when it ends', () => {
    const state = { containerId: 'c1', run: 0, onHold: false };
    const early = input('liveness', { probe: probe({ initialDelaySeconds: 5 }), container: running('c1', 17_000), now: 20_000 });
    expect(planProbeTick(state, early)).toMatchObject({ action: 'wait', retryInMs: 2_000 });
    expect(planProbeTick(state, { ...early, now: 22_000 })).toMatchObject({ action: 'probe' });
  });

  it('lets the startup probe hold back liveness and readiness, and rest once started', () => {
    const state = { containerId: 'c1', run: 0, onHold: false };
    expect(planProbeTick(state, input('liveness', { started: false })).action).toBe('wait');
    expect(planProbeTick(state, input('readiness', { started: false })).action).toBe('wait');
    expect(planProbeTick(state, input('startup', { started: false })).action).toBe('probe');
    expect(planProbeTick(state, input('startup', { started: true })).action).toBe('wait');
    expect(planProbeTick(state, input('liveness', { started: true })).action).toBe('probe');
  });
});

describe('afterProbe', () => {
  it('publishes a failure only after failureThreshold in a row, then holds liveness until a new container', () => {
    const { state, published } = feed('liveness', probe({ failureThreshold: 3 }), ['failure', 'failure', 'success', 'failure', 'failure', 'failure']);
    expect(published).toEqual([undefined, undefined, 'success', undefined, undefined, 'failure']);
    expect(state).toMatchObject({ onHold: true, run: 0 });
  });

  it('holds startup after its failure too, but never readiness', () => {
    expect(feed('startup', probe({ failureThreshold: 2 }), ['failure', 'failure']).state.onHold).toBe(true);
    const readiness = feed('readiness', probe({ failureThreshold: 2 }), ['failure', 'failure', 'failure']);
    expect(readiness.published).toEqual([undefined, 'failure', 'failure']);
    expect(readiness.state.onHold).toBe(false);
  });

  it('needs successThreshold successes in a row for readiness', () => {
    expect(feed('readiness', probe({ successThreshold: 3, failureThreshold: 1 }), ['success', 'success', 'failure', 'success', 'success', 'success']).published).toEqual([
      undefined,
      undefined,
      'failure',
      undefined,
      undefined,
      'success',
    ]);
  });

  it('applies Kubernetes defaults to unset thresholds (success 1, failure 3)', () => {
    const unset = probe({ successThreshold: 0, failureThreshold: 0 });
    expect(feed('readiness', unset, ['success', 'failure', 'failure', 'failure']).published).toEqual(['success', undefined, undefined, 'failure']);
  });
});

describe('containerProbeStatus', () => {
  const none = { hasStartupProbe: false, hasReadinessProbe: false };
  it('is started and ready while running when no probe says otherwise', () => {
    expect(containerProbeStatus({ running: true, ...none })).toEqual({ started: true, ready: true });
    expect(containerProbeStatus({ running: false, ...none })).toEqual({ started: false, ready: false });
  });

  it('waits for the readiness probe, which has no result before its first run', () => {
    expect(containerProbeStatus({ running: true, hasStartupProbe: false, hasReadinessProbe: true })).toEqual({ started: true, ready: false });
    expect(containerProbeStatus({ running: true, hasStartupProbe: false, hasReadinessProbe: true, readiness: 'failure' })).toEqual({ started: true, ready: false });
    expect(containerProbeStatus({ running: true, hasStartupProbe: false, hasReadinessProbe: true, readiness: 'success' })).toEqual({ started: true, ready: true });
  });

  it('is neither started nor ready before its startup probe succeeds, whatever readiness says', () => {
    expect(containerProbeStatus({ running: true, hasStartupProbe: true, startup: 'unknown', hasReadinessProbe: true, readiness: 'success' })).toEqual({ started: false, ready: false });
    expect(containerProbeStatus({ running: true, hasStartupProbe: true, startup: 'success', hasReadinessProbe: false })).toEqual({ started: true, ready: true });
  });
});
