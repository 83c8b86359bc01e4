/**
 * The state machine of one probe worker (one container of a pod and one probe kind), as
 * Kubernetes' prober worker.doProbe, without I/O. The prober manager (prober-manager.ts) calls
 * planProbeTick at each tick, runs the probe when told to, and feeds the outcome to afterProbe.
 *
 *   tick ──> no container yet ─────────────────────────────────> wait
 *            a new container id ──> forget the old id's result, publish the kind's initial
 *                                   result (readiness Failure, liveness Success, startup
 *                                   Unknown), leave hold, count from 0; then go on below
 *            on hold (liveness/startup failed) ─────────────────> wait for a new container
 *            not running ─> exited: publish Failure; exited under restartPolicy Never: stop
 *            within initialDelaySeconds of its start ───────────> wait (retry when it ends)
 *            startup: already started ──────────────────────────> wait (nothing to do)
 *            liveness/readiness: not started yet ───────────────> wait (startup holds them back)
 *            otherwise ─────────────────────────────────────────> probe
 *
 *   outcome ─> same as the last one: run + 1, else run = 1
 *              run reaches failureThreshold / successThreshold ─> publish it
 *              liveness/startup publishing Failure ───────────> hold until a new container
 *
 * A probe that could not run at all (an error, not a failure) changes nothing here.
 */
import type { Container, Probe } from '@skiff/api';
import type { ContainerStateName } from '@skiff/runtime';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** A published probe result. */
export type ProbeResult = 'success' | 'failure' | 'unknown';

export const PROBE_KINDS: readonly ProbeKind[] = ['liveness', 'readiness', 'startup'];

/** What a container is assumed to be before its first probe (Kubernetes' initialValue). */
export function initialProbeResult(kind: ProbeKind): ProbeResult {
  return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
}

/** "Liveness", "Readiness", "Startup": the probe type as events and metrics name it. */
export function probeTypeName(kind: ProbeKind): string {
  return kind === 'liveness' ? 'Liveness' : kind === 'readiness' ? 'Readiness' : 'Startup';
}

/** The container's probe of `kind`, if it declares one. */
export function probeOf(container: Readonly<Container>, kind: ProbeKind): Readonly<Probe> | undefined {
  return kind === 'liveness' ? container.livenessProbe : kind === 'readiness' ? container.readinessProbe : container.startupProbe;
}

/** A probe's thresholds and delays with Kubernetes' defaults for unset (0) fields. */
export function probeTiming(probe: Readonly<Probe>): { initialDelayMs: number; timeoutMs: number; periodMs: number; successThreshold: number; failureThreshold: number } {
  return {
    initialDelayMs: Math.max(0, probe.initialDelaySeconds || 0) * 1000,
    timeoutMs: (probe.timeoutSeconds || 1) * 1000,
    periodMs: (probe.periodSeconds || 10) * 1000,
    successThreshold: probe.successThreshold || 1,
    failureThreshold: probe.failureThreshold || 3,
  };
}

/** What a worker remembers between ticks. */
export interface ProbeWorkerState {
  /** The container instance it probes ('' before it has seen one). */
  containerId: string;
  /** The last probe outcome and how many times in a row it came. */
  lastResult?: 'success' | 'failure';
  run: number;
  /** Liveness/startup failed: nothing more to probe until a new container. */
  onHold: boolean;
}

export const NEW_PROBE_WORKER: ProbeWorkerState = { containerId: '', run: 0, onHold: false };

/** The container's current instance as the kubelet last saw it. */
export interface ObservedContainer {
  id: string;
  state: ContainerStateName;
  startedAt?: Date;
}

export interface ProbeTickInput {
  kind: ProbeKind;
  probe: Readonly<Probe>;
  /** Undefined while the container has no instance. */
  container?: ObservedContainer;
  restartPolicy: string;
  /** Whether the instance counts as started (its startup probe succeeded, or it has none). */
  started: boolean;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface ProbeTickDecision {
  state: ProbeWorkerState;
  /** wait: nothing to probe now; probe: run it; stop: the worker is done for good. */
  action: 'wait' | 'probe' | 'stop';
  /** A container id whose result is to be forgotten (the worker moved to a new one). */
  forget?: string;
  /** A result to publish for state.containerId. */
  publish?: ProbeResult;
  /** When waiting for the initial delay: milliseconds until it is over. */
  retryInMs?: number;
}

/** Decides one tick (see the module comment). Pure. */
export function planProbeTick(state: ProbeWorkerState, input: ProbeTickInput): ProbeTickDecision {
  const c = input.container;
  if (!c) return { state, action: 'wait' };
  let next = state;
  let forget: string | undefined;
  let publish: ProbeResult | undefined;
  if (c.id !== state.containerId) {
    forget = state.containerId || undefined;
    next = { containerId: c.id, run: 0, onHold: false };
    publish = initialProbeResult(input.kind);
  }
  const decision = (action: ProbeTickDecision['action'], extra: Partial<ProbeTickDecision> = {}): ProbeTickDecision => ({ state: next, action, forget, publish, ...extra });
  if (next.onHold) return decision('wait');
  if (c.state !== 'running') {
    if (c.state !== 'exited') return decision('wait');
    publish = 'failure';
    return decision(input.restartPolicy === 'Never' ? 'stop' : 'wait');
  }
  const { initialDelayMs } = probeTiming(input.probe);
  const since = input.now - (c.startedAt?.getTime() ?? input.now);
  if (since < initialDelayMs) return decision('wait', { retryInMs: initialDelayMs - since });
  if (input.kind === 'startup' ? input.started : !input.started) return decision('wait');
  return decision('probe');
}

/**
 * Counts a probe outcome against the thresholds: the next state and the result to publish
 * (undefined while below the threshold). Pure.
 */
export function afterProbe(state: ProbeWorkerState, outcome: 'success' | 'failure', kind: ProbeKind, probe: Readonly<Probe>): { state: ProbeWorkerState; publish?: ProbeResult } {
  const { successThreshold, failureThreshold } = probeTiming(probe);
  const run = state.lastResult === outcome ? state.run + 1 : 1;
  const next: ProbeWorkerState = { ...state, lastResult: outcome, run };
  if (run < (outcome === 'failure' ? failureThreshold : successThreshold)) return { state: next };
  if (outcome === 'failure' && kind !== 'readiness') return { state: { ...next, onHold: true, run: 0 }, publish: outcome };
  return { state: next, publish: outcome };
}

/**
 * A running container's `started` and `ready` from its probe results (Kubernetes'
 * UpdatePodStatus): started once its startup probe succeeded (at once without one); ready once
 * started and its readiness probe succeeded (at once without one). A result that is not there
 * yet counts as "not yet" when the probe is declared. Neither for a container not running.
 */
export function containerProbeStatus(input: {
  running: boolean;
  hasStartupProbe: boolean;
  startup?: ProbeResult;
  hasReadinessProbe: boolean;
  readiness?: ProbeResult;
}): { started: boolean; ready: boolean } {
  if (!input.running) return { started: false, ready: false };
  const started = input.startup !== undefined ? input.startup === 'success' : !input.hasStartupProbe;
  if (!started) return { started, ready: false };
  return { started, ready: input.readiness !== undefined ? input.readiness === 'success' : !input.hasReadinessProbe };
}
