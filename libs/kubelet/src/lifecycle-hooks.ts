/**
 * Container lifecycle hooks and how the kubelet stops containers (Kubernetes' lifecycle
 * HandlerRunner, kuberuntime's startContainer step 4, executePreStopHook and killContainer).
 *
 *   postStart  runs right after the container started; the sync waits for it, so the container
 *              is reported Running only after it completed. A failure is the Warning
 *              FailedPostStartHook "PostStartHook failed" (as Kubernetes, the hook's output stays
 *              out of the event, where secrets could leak: it goes to the container's waiting
 *              message PostStartHookError and the kubelet's log), then the container is stopped
 *              (Killing "FailedPostStartHook") and restarted as its restart policy says.
 *   preStop    runs before SIGTERM whenever the kubelet stops a container (pod deleted, a failed
 *              liveness probe, a changed spec, killPod), bounded by the container's grace period;
 *              the whole seconds it took are taken off the grace period SIGTERM then gets. A
 *              failure is the Warning FailedPreStopHook "PreStopHook failed"; the stop goes on.
 *
 * Handlers: exec (runtime.exec in the container; fails on a non-zero exit code), httpGet (the
 * probe runner's GET, probe-runner.ts, to the hook's host or the pod IP; as Kubernetes', any HTTP
 * answer succeeds, whatever its status: only a request that gets no answer fails), sleep
 * (seconds on the kubelet's clock). A hook is never retried.
 *
 * stopPodContainers stops several containers of a pod together: every preStop hook at once,
 * then SIGTERM in the pod's termination order (sidecars after the app containers, in reverse
 * order: terminationPrerequisites), each with what is left of its grace period. Kubernetes
 * gives every stop at least 2 s; here only a stop whose grace period a hook or the wait for its
 * turn shortened gets that minimum, so a pod's grace period of 0 or 1 s is kept otherwise.
 */
import type { Container, LifecycleHandler, Pod, Probe } from '@skiff/api';
import type { Clock } from '@skiff/client';
import type { ContainerRuntime } from '@skiff/runtime';
import type { ProbeOutcome, ProbeRunner } from './probe-runner';
import { formatPod } from './kubelet-events';
import { terminationPrerequisites } from './pod-sync-plan';

/** Kubernetes' minimumGracePeriodInSeconds: SIGTERM gets at least this long after a preStop hook or a wait. */
export const MIN_GRACE_SECONDS = 2;

/** How long a postStart httpGet may take (Kubernetes sets no bound; the sync can be cancelled). */
const POST_START_HTTP_TIMEOUT_SECONDS = 24 * 3600;

/** The container a hook runs for. */
export interface HookTarget {
  pod: Readonly<Pod>;
  container: Readonly<Container>;
  /** The runtime id of the instance (exec runs in it). */
  containerId: string;
  /** The pod IP: the default host of httpGet ('' when unknown). */
  podIP: string;
}

/** What running hooks needs. */
export interface HookDeps {
  runtime: Pick<ContainerRuntime, 'exec'>;
  /** The HTTP GET of httpGet hooks (createProbeRunner's, or hollowProbeRunner on a hollow node). */
  http: ProbeRunner;
  clock: Clock;
}

/** A hook's outcome: ok, or the message Kubernetes' handler runner returns. */
export type HookResult = { ok: true } | { ok: false; message: string };

/** "Exec lifecycle hook ([sh -c exit 3]) for Container "web" in Pod "p_default(uid)" failed - error: command 'sh -c exit 3' exited with 3: , message: "..."" */
export function execHookFailedMessage(command: readonly string[], container: string, pod: Readonly<Pod>, error: string, output: string): string {
  return `Exec lifecycle hook ([${command.join(' ')}]) for Container ${JSON.stringify(container)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${error}, message: ${JSON.stringify(output)}`;
}

/** "HTTP lifecycle hook (/path) for Container "web" in Pod "p_default(uid)" failed - error: ..." */
export function httpHookFailedMessage(path: string, container: string, pod: Readonly<Pod>, error: string): string {
  return `HTTP lifecycle hook (${path}) for Container ${JSON.stringify(container)} in Pod ${JSON.stringify(formatPod(pod))} failed - error: ${error}`;
}

/**
 * Whether an httpGet hook's probe outcome means the hook succeeded: any HTTP answer does (a 2xx,
 * a redirect not followed, or an error status, which the probe runner reports as a failure
 * "HTTP probe failed with statuscode: N"); no answer (refused, timed out, no pod IP) does not.
 */
export function httpHookSucceeded(outcome: ProbeOutcome): boolean {
  return outcome.result === 'success' || outcome.result === 'warning' || /^HTTP probe failed with statuscode: \d+$/.test(outcome.output);
}

/**
 * The grace period SIGTERM gets after `spentMs` went to the preStop hook and the wait for the
 * container's turn: the whole seconds spent are taken off; when anything was spent, at least
 * MIN_GRACE_SECONDS are left (Kubernetes' minimum, so that no container is SIGKILLed at once).
 */
export function remainingGraceSeconds(graceSeconds: number, spentMs: number): number {
  if (spentMs <= 0) return graceSeconds;
  return Math.max(MIN_GRACE_SECONDS, graceSeconds - Math.floor(spentMs / 1000));
}

/**
 * Runs one handler for `target`; resolves with its outcome, never throws for a hook that fails
 * (only when `signal` aborts). `timeoutSeconds` bounds an httpGet request.
 */
export async function runLifecycleHook(
  handler: Readonly<LifecycleHandler>,
  target: HookTarget,
  deps: HookDeps,
  signal: AbortSignal,
  timeoutSeconds = POST_START_HTTP_TIMEOUT_SECONDS,
): Promise<HookResult> {
  const name = target.container.name;
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    let result;
    try {
      result = await deps.runtime.exec(target.containerId, command, { signal });
    } catch (err) {
      signal.throwIfAborted();
      return { ok: false, message: execHookFailedMessage(command, name, target.pod, (err as Error).message, '') };
    }
    if (result.exitCode === 0) return { ok: true };
    const error = `command '${command.join(' ')}' exited with ${result.exitCode}: ${result.stderr}`;
    return { ok: false, message: execHookFailedMessage(command, name, target.pod, error, result.stdout + result.stderr) };
  }
  if (handler.httpGet) {
    const probe = { httpGet: handler.httpGet, timeoutSeconds: Math.max(1, Math.ceil(timeoutSeconds)) } as Probe;
    const outcome = await deps.http(probe, target, signal);
    signal.throwIfAborted();
    return httpHookSucceeded(outcome) ? { ok: true } : { ok: false, message: httpHookFailedMessage(handler.httpGet.path, name, target.pod, outcome.output) };
  }
  if (handler.sleep) {
    await sleepOn(deps.clock, Number(handler.sleep.seconds) * 1000, signal);
    return { ok: true };
  }
  return { ok: false, message: 'invalid handler: no exec, httpGet or sleep' };
}

/** Resolves after `ms` on the clock, or at once when `signal` aborts. */
function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      timer.cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimer(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One container to stop. */
export interface StopRequest {
  id: string;
  /** Its name in the pod spec. */
  name: string;
  /** Its spec (app or init container), for the preStop hook; none: no hook. */
  container?: Readonly<Container>;
  graceSeconds: number;
}

/** What stopPodContainers needs besides the hook runner's. */
export interface StopDeps extends HookDeps {
  runtime: Pick<ContainerRuntime, 'exec' | 'stopContainer'>;
  /** The pod IP for httpGet preStop hooks ('' when unknown). */
  podIP: string;
  /** A preStop hook failed: record FailedPreStopHook, log `message`. */
  onPreStopFailed: (request: StopRequest, message: string) => void;
}

/**
 * Stops `requests` (containers of `pod`) as the module comment says; resolves once all have
 * exited. Rejects only when the runtime's stop fails or `signal` aborts.
 */
export async function stopPodContainers(pod: Readonly<Pod>, requests: readonly StopRequest[], deps: StopDeps, signal: AbortSignal): Promise<void> {
  const prerequisites = terminationPrerequisites(pod, requests.map((r) => r.name));
  const exited = new Map<string, Promise<unknown>>();
  const settle: Record<string, () => void> = {};
  for (const r of requests) exited.set(r.name, new Promise<void>((resolve) => (settle[r.name] = resolve)));
  await Promise.all(
    requests.map(async (r) => {
      try {
        const began = deps.clock.now();
        const deadline = began + r.graceSeconds * 1000;
        const preStop = r.container?.lifecycle?.preStop;
        if (preStop && r.graceSeconds > 0) await preStopWithin(pod, r, preStop, deps, deadline, signal);
        const waitFor = (prerequisites.get(r.name) ?? []).map((n) => exited.get(n)!);
        if (waitFor.length > 0 && deps.clock.now() < deadline) await untilOrDeadline(Promise.all(waitFor), deps.clock, deadline, signal);
        await deps.runtime.stopContainer(r.id, remainingGraceSeconds(r.graceSeconds, deps.clock.now() - began), signal);
      } finally {
        settle[r.name]();
      }
    }),
  );
}

/** Runs a preStop hook, waiting for it at most until `deadline` (a hook still running then goes on unobserved, as Kubernetes'). */
async function preStopWithin(pod: Readonly<Pod>, r: StopRequest, handler: Readonly<LifecycleHandler>, deps: StopDeps, deadline: number, signal: AbortSignal): Promise<void> {
  const bounded = new AbortController();
  const onAbort = () => bounded.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timeoutSeconds = Math.max(1, (deadline - deps.clock.now()) / 1000);
  const target = { pod, container: r.container!, containerId: r.id, podIP: deps.podIP };
  const hook = runLifecycleHook(handler, target, deps, bounded.signal, timeoutSeconds).then(
    (result) => {
      if (!result.ok) deps.onPreStopFailed(r, result.message);
    },
    (err: unknown) => {
      if (!bounded.signal.aborted) deps.onPreStopFailed(r, (err as Error).message);
    },
  );
  try {
    await untilOrDeadline(hook, deps.clock, deadline, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
    bounded.abort(new Error('preStop hook out of time'));
  }
}

/** Waits for `p` or the deadline, whichever comes first; rejects when `signal` aborts. */
function untilOrDeadline(p: Promise<unknown>, clock: Clock, deadline: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: unknown) => {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish(signal.reason ?? new Error('aborted'));
    const timer = clock.setTimer(() => finish(), Math.max(0, deadline - clock.now()));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => finish(), () => finish());
  });
}
