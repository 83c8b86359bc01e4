import type { Pod } from '@skiff/api';
import { FakeClock } from '@skiff/client';
import {
  execHookFailedMessage,
  httpHookSucceeded,
  remainingGraceSeconds,
  runLifecycleHook,
  stopPodContainers,
  type HookDeps,
  type StopDeps,
  type StopRequest,
} from './lifecycle-hooks';
import { httpOutcome, type ProbeRunner } from './probe-runner';

const pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { initContainers: [{ name: 'log', restartPolicy: 'Always' }], containers: [{ name: 'web' }, { name: 'side' }] },
} as unknown as Pod;
const web = { name: 'web', image: 'img' } as never;
const target = { pod, container: web, containerId: 'c1', podIP: '10.0.0.9' };
const never: ProbeRunner = async () => {
  throw new Error('no http expected');
};

/** Lets pending promise callbacks run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('lifecycle hook messages and rules', () => {
  it('words a failed exec hook as Kubernetes', () => {
    expect(execHookFailedMessage(['sh', '-c', 'exit 3'], 'web', pod, "command 'sh -c exit 3' exited with 3: oops\n", 'oops\n')).toBe(
      'Exec lifecycle hook ([sh -c exit 3]) for Container "web" in Pod "p_default(u1)" failed - error: command \'sh -c exit 3\' exited with 3: oops\n, message: "oops\\n"',
    );
  });

  it('takes any HTTP answer as success, whatever its status; no answer fails', () => {
    expect(httpHookSucceeded(httpOutcome(200, 'ok'))).toBe(true);
    expect(httpHookSucceeded(httpOutcome(302, ''))).toBe(true);
    expect(httpHookSucceeded(httpOutcome(500, 'boom'))).toBe(true);
    expect(httpHookSucceeded({ result: 'failure', output: 'Get "http://10.0.0.9:80/": dial tcp 10.0.0.9:80: connect: connection refused' })).toBe(false);
    expect(httpHookSucceeded({ result: 'error', output: 'the pod has no IP' })).toBe(false);
  });

  it('takes the whole seconds a preStop hook took off the grace period, leaving at least 2 s once anything was spent', () => {
    expect(remainingGraceSeconds(30, 0)).toBe(30);
    expect(remainingGraceSeconds(1, 0)).toBe(1);
    expect(remainingGraceSeconds(0, 0)).toBe(0);
    expect(remainingGraceSeconds(30, 4_900)).toBe(26);
    expect(remainingGraceSeconds(5, 4_999)).toBe(2);
    expect(remainingGraceSeconds(1, 10)).toBe(2);
  });
});

describe('runLifecycleHook', () => {
  const clock = new FakeClock(0);
  const deps = (exec: HookDeps['runtime']['exec'], http: ProbeRunner = never): HookDeps => ({ runtime: { exec }, http, clock });

  it('runs exec in the container: exit 0 succeeds, another code fails with its output', async () => {
    const calls: unknown[] = [];
    const ok = await runLifecycleHook({ exec: { command: ['touch', '/x'] } }, target, deps(async (id, cmd) => (calls.push([id, cmd]), { exitCode: 0, stdout: '', stderr: '' })), new AbortController().signal);
    expect([ok, calls]).toEqual([{ ok: true }, [['c1', ['touch', '/x']]]]);
    const failed = await runLifecycleHook({ exec: { command: ['false'] } }, target, deps(async () => ({ exitCode: 1, stdout: 'out', stderr: 'err' })), new AbortController().signal);
    expect(failed).toEqual({ ok: false, message: execHookFailedMessage(['false'], 'web', pod, "command 'false' exited with 1: err", 'outerr') });
    const gone = await runLifecycleHook({ exec: { command: ['false'] } }, target, deps(async () => Promise.reject(new Error('container is not running'))), new AbortController().signal);
    expect(gone).toMatchObject({ ok: false, message: expect.stringContaining('error: container is not running') });
  });

  it('runs httpGet through the probe runner against the pod, bounded by the given timeout', async () => {
    const seen: unknown[] = [];
    const http: ProbeRunner = async (probe, t) => (seen.push([probe, t.podIP]), httpOutcome(503, ''));
    const hook = { httpGet: { path: '/stop', port: { value: { $case: 'intVal' as const, value: 8080 } }, host: '', scheme: '', httpHeaders: [] } };
    expect(await runLifecycleHook(hook, target, deps(never as never, http), new AbortController().signal, 7.2)).toEqual({ ok: true });
    expect(seen).toEqual([[{ httpGet: hook.httpGet, timeoutSeconds: 8 }, '10.0.0.9']]);
    const refused: ProbeRunner = async () => ({ result: 'failure', output: 'dial tcp 10.0.0.9:8080: connect: connection refused' });
    expect(await runLifecycleHook(hook, target, deps(never as never, refused), new AbortController().signal)).toEqual({
      ok: false,
      message: 'HTTP lifecycle hook (/stop) for Container "web" in Pod "p_default(u1)" failed - error: dial tcp 10.0.0.9:8080: connect: connection refused',
    });
  });

  it('sleeps on the clock, and stops sleeping when aborted', async () => {
    let done = false;
    const sleeping = runLifecycleHook({ sleep: { seconds: 3 } }, target, deps(never as never), new AbortController().signal).then((r) => ((done = true), r));
    clock.advance(2_999);
    await flush();
    expect(done).toBe(false);
    clock.advance(1);
    expect(await sleeping).toEqual({ ok: true });
    const abort = new AbortController();
    const aborted = runLifecycleHook({ sleep: { seconds: 3 } }, target, deps(never as never), abort.signal);
    abort.abort(new Error('gone'));
    expect(await aborted).toEqual({ ok: true });
  });

  it('refuses a handler with no action', async () => {
    expect(await runLifecycleHook({}, target, deps(never as never), new AbortController().signal)).toEqual({ ok: false, message: 'invalid handler: no exec, httpGet or sleep' });
  });
});

describe('stopPodContainers', () => {
  function setup() {
    const clock = new FakeClock(0);
    const log: string[] = [];
    const exits = new Map<string, () => void>();
    const failed: string[] = [];
    const deps: StopDeps = {
      clock,
      podIP: '10.0.0.9',
      http: never,
      runtime: {
        exec: async (id, cmd) => {
          log.push(`exec ${id} ${cmd.join(' ')}`);
          return { exitCode: cmd[0] === 'false' ? 1 : 0, stdout: '', stderr: '' };
        },
        stopContainer: (id, grace) => {
          log.push(`stop ${id} ${grace}`);
          return new Promise<void>((resolve) => exits.set(id, resolve));
        },
      },
      onPreStopFailed: (r, message) => failed.push(`${r.name}: ${message.slice(0, 24)}`),
    };
    return { clock, log, exits, failed, deps };
  }

  it('runs every preStop hook first, then SIGTERMs app containers, then sidecars once the app containers exited', async () => {
    const { log, exits, failed, deps } = setup();
    const requests: StopRequest[] = [
      { id: 'l', name: 'log', container: { name: 'log', lifecycle: { preStop: { exec: { command: ['flush'] } } } } as never, graceSeconds: 30 },
      { id: 'w', name: 'web', container: { name: 'web', lifecycle: { preStop: { exec: { command: ['false'] } } } } as never, graceSeconds: 30 },
      { id: 's', name: 'side', container: { name: 'side' } as never, graceSeconds: 30 },
    ];
    const stopping = stopPodContainers(pod, requests, deps, new AbortController().signal);
    await flush();
    expect(log).toEqual(['exec l flush', 'exec w false', 'stop s 30', 'stop w 30']);
    expect(failed).toEqual(['web: Exec lifecycle hook ([fa']);
    exits.get('w')!();
    await flush();
    expect(log).not.toContain('stop l 30');
    exits.get('s')!();
    await flush();
    expect(log.at(-1)).toBe('stop l 30');
    exits.get('l')!();
    await stopping;
  });

  it('counts a slow preStop hook against the grace period and stops waiting for it when the grace period is over', async () => {
    const { clock, log, exits, deps } = setup();
    const request = (name: string, seconds: number, grace: number): StopRequest => ({ id: name, name, container: { name, lifecycle: { preStop: { sleep: { seconds } } } } as never, graceSeconds: grace });
    const stopping = stopPodContainers(pod, [request('web', 3, 10), request('side', 60, 5)], deps, new AbortController().signal);
    clock.advance(3_000);
    await flush();
    expect(log).toEqual(['stop web 7']);
    clock.advance(2_000); // side's grace period is over while its hook sleeps: SIGTERM with the minimum
    await flush();
    expect(log).toEqual(['stop web 7', 'stop side 2']);
    exits.get('web')!();
    exits.get('side')!();
    await stopping;
  });

  it('runs no preStop hook with a grace period of 0, and stops a sidecar without waiting when its grace period is over', async () => {
    const { clock, log, exits, deps } = setup();
    const hooked = { name: 'web', lifecycle: { preStop: { exec: { command: ['x'] } } } } as never;
    const stopping = stopPodContainers(pod, [{ id: 'w', name: 'web', container: hooked, graceSeconds: 0 }, { id: 'l', name: 'log', graceSeconds: 4 }], deps, new AbortController().signal);
    await flush();
    expect(log).toEqual(['stop w 0']);
    clock.advance(4_000);
    await flush();
    expect(log).toEqual(['stop w 0', 'stop l 2']);
    exits.get('w')!();
    exits.get('l')!();
    await stopping;
  });
});
