/**
 * The kubelet's prober (Kubernetes' prober_manager + worker + results_manager): one worker per
 * container (app container or sidecar) and probe kind, each ticking every periodSeconds on its own timer.
 *
 *   PodSyncer.report ──update(pod, podIP, current instances)──> ProberManager
 *        workers made at the pod's first update (one per declared probe; the spec cannot change)
 *        a worker seeing a new instance (a restart) probes it at once
 *   worker tick ──planProbeTick──> runner (probe-runner.ts) ──afterProbe──> results[container id/kind]
 *        every failure:     Warning Unhealthy "Liveness probe failed: <output>" (errored: "... probe errored: ...")
 *        every probe:       prober_probe_total{probe_type, result}
 *        a result changed:  onChange(uid): the pod is synced now (pod status, or a kill)
 *   PodSyncer ──containerStatus(uid, name, instance)──> started / ready (containerProbeStatus)
 *             ──unhealthy(uid)──> running instances whose liveness or startup probe failed (killed by the plan)
 *   removePod(uid): the pod terminates, turns terminal or goes: its workers stop, results go.
 *
 * Results are kept per container instance (id), so a restarted container starts from the kind's
 * initial result. Time (ticks, initial delays) comes from the Clock; a probe's own timeout is
 * real time (it bounds real I/O). Workers made within one period of the manager's start (a
 * restarted kubelet adopting its pods) first wait a random part of their period, so that they
 * do not all probe at once, as Kubernetes' do.
 */
import { isRestartableInitContainer, type Container, type Pod, type Probe } from '@skiff/api';
import { realClock, type Clock, type TimerHandle } from '@skiff/client';
import type { ContainerStatusInfo } from '@skiff/runtime';
import pino, { type Logger } from 'pino';
import { KubeletReason, NO_EVENTS, probeErroredMessage, probeFailedMessage, probeWarningMessage, type KubeletEventRecorder } from './kubelet-events';
import type { KubeletMetrics } from './kubelet-metrics';
import type { ProbeRunner } from './probe-runner';
import {
  afterProbe,
  containerProbeStatus,
  initialProbeResult,
  NEW_PROBE_WORKER,
  PROBE_KINDS,
  planProbeTick,
  probeOf,
  probeTiming,
  probeTypeName,
  type ObservedContainer,
  type ProbeKind,
  type ProbeResult,
  type ProbeWorkerState,
} from './probe-state';

export interface ProberManagerOptions {
  runner: ProbeRunner;
  /** Where Unhealthy / ProbeWarning events go; none when unset. */
  recorder?: KubeletEventRecorder;
  /** Counts prober_probe_total; nothing counted when unset. */
  metrics?: Pick<KubeletMetrics, 'probeTotal'>;
  /** Called when a container's published probe result changes: sync that pod now. */
  onChange?: (uid: string) => void;
  clock?: Clock;
  log?: Logger;
  /** The start jitter's random source (0 <= x < 1); Math.random by default. */
  random?: () => number;
}

interface Worker {
  name: string;
  kind: ProbeKind;
  probe: Readonly<Probe>;
  state: ProbeWorkerState;
  timer?: TimerHandle;
  /** A tick is running (a probe may be in flight). */
  busy: boolean;
  /** Tick again as soon as the running one ends. */
  again: boolean;
  /** Its first tick has not happened yet (it may be waiting out the start jitter). */
  fresh: boolean;
  stopped: boolean;
  /** Aborts the probe in flight when the worker stops. */
  inFlight?: AbortController;
}

interface PodProbes {
  uid: string;
  pod: Readonly<Pod>;
  podIP: string;
  /** Each container's current instance, by name. */
  current: Map<string, ObservedContainer>;
  /** `${containerId}/${kind}` -> result. */
  results: Map<string, ProbeResult>;
  /** `${name}/${kind}` -> worker. */
  workers: Map<string, Worker>;
}

/** The probes of one kubelet; stops every worker when `signal` aborts. */
export class ProberManager {
  private readonly pods = new Map<string, PodProbes>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recorder: KubeletEventRecorder;
  private readonly started: number;

  constructor(
    private readonly options: ProberManagerOptions,
    private readonly signal: AbortSignal,
  ) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? pino({ level: 'silent' });
    this.recorder = options.recorder ?? NO_EVENTS;
    this.started = this.clock.now();
    signal.addEventListener('abort', () => {
      for (const uid of [...this.pods.keys()]) this.removePod(uid);
    }, { once: true });
  }

  /**
   * What the last sync of `pod` saw: its pod IP and each container's newest instance (by name;
   * absent or undefined: none yet). Makes the pod's workers at its first update; a worker whose
   * container has a new instance probes it at once.
   */
  update(pod: Readonly<Pod>, podIP: string, instances: ReadonlyMap<string, Readonly<ContainerStatusInfo> | undefined>): void {
    const uid = pod.metadata?.uid ?? '';
    if (!uid || this.signal.aborted) return;
    let entry = this.pods.get(uid);
    if (!entry) {
      const declared = probedContainers(pod).flatMap((c) => PROBE_KINDS.filter((k) => probeOf(c, k)).map((kind) => ({ c, kind })));
      if (declared.length === 0) return;
      entry = { uid, pod, podIP, current: new Map(), results: new Map(), workers: new Map() };
      this.pods.set(uid, entry);
      for (const { c, kind } of declared) this.startWorker(entry, c, kind);
    }
    entry.pod = pod;
    entry.podIP = podIP;
    for (const c of probedContainers(pod)) {
      const info = instances.get(c.name);
      const before = entry.current.get(c.name);
      if (!info) {
        entry.current.delete(c.name);
        continue;
      }
      entry.current.set(c.name, { id: info.id, state: info.state, startedAt: info.startedAt });
      if (before?.id === info.id && before.state === info.state) continue;
      for (const kind of PROBE_KINDS) {
        const w = entry.workers.get(`${c.name}/${kind}`);
        if (w && !w.fresh) this.kick(entry, w);
      }
    }
  }

  /** Stops the pod's workers (a probe in flight is aborted) and forgets its results. */
  removePod(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const w of entry.workers.values()) this.stopWorker(w);
    this.pods.delete(uid);
  }

  /**
   * `started` and `ready` of a container instance (containerProbeStatus over the results of its
   * probes). A readiness probe that has no result for a started instance yet is run now.
   */
  containerStatus(uid: string, container: Readonly<Container>, instance: Readonly<Pick<ContainerStatusInfo, 'id' | 'state'>>): { started: boolean; ready: boolean } {
    const entry = this.pods.get(uid);
    const result = (kind: ProbeKind) => entry?.results.get(`${instance.id}/${kind}`);
    const status = containerProbeStatus({
      running: instance.state === 'running',
      hasStartupProbe: !!container.startupProbe,
      startup: result('startup'),
      hasReadinessProbe: !!container.readinessProbe,
      readiness: result('readiness'),
    });
    const readiness = entry?.workers.get(`${container.name}/readiness`);
    if (entry && readiness && status.started && result('readiness') === undefined && !readiness.fresh) this.kick(entry, readiness);
    return status;
  }

  /** The pod's container instances whose liveness or startup probe failed: instance id -> kind. */
  unhealthy(uid: string): Map<string, 'liveness' | 'startup'> {
    const failed = new Map<string, 'liveness' | 'startup'>();
    const entry = this.pods.get(uid);
    for (const c of entry?.current.values() ?? []) {
      if (entry?.results.get(`${c.id}/liveness`) === 'failure') failed.set(c.id, 'liveness');
      else if (entry?.results.get(`${c.id}/startup`) === 'failure') failed.set(c.id, 'startup');
    }
    return failed;
  }

  /** Pods with probe workers (for tests and debugging). */
  podCount(): number {
    return this.pods.size;
  }

  private startWorker(entry: PodProbes, container: Readonly<Container>, kind: ProbeKind): void {
    const probe = probeOf(container, kind)!;
    const w: Worker = { name: container.name, kind, probe, state: NEW_PROBE_WORKER, busy: false, again: false, fresh: true, stopped: false };
    entry.workers.set(`${container.name}/${kind}`, w);
    const { periodMs } = probeTiming(probe);
    const jitter = this.clock.now() - this.started < periodMs ? Math.floor((this.options.random ?? Math.random)() * periodMs) : 0;
    this.schedule(entry, w, jitter);
  }

  private stopWorker(w: Worker): void {
    w.stopped = true;
    w.timer?.cancel();
    w.inFlight?.abort(new Error('probe worker stopped'));
  }

  private schedule(entry: PodProbes, w: Worker, ms: number): void {
    w.timer?.cancel();
    w.timer = this.clock.setTimer(() => {
      w.timer = undefined;
      void this.tick(entry, w);
    }, ms);
  }

  /** Probes now (or right after the tick in progress). */
  private kick(entry: PodProbes, w: Worker): void {
    if (w.stopped) return;
    if (w.busy) w.again = true;
    else this.schedule(entry, w, 0);
  }

  private async tick(entry: PodProbes, w: Worker): Promise<void> {
    if (w.stopped) return;
    if (w.busy) {
      w.again = true;
      return;
    }
    w.busy = true;
    w.fresh = false;
    const began = this.clock.now();
    const { periodMs } = probeTiming(w.probe);
    let nextMs = periodMs;
    try {
      const retryInMs = await this.probeOnce(entry, w);
      if (retryInMs !== undefined) nextMs = Math.min(nextMs, retryInMs);
    } catch (err) {
      if (!w.stopped) this.log.warn({ err, pod: podKey(entry.pod), container: w.name, probe: w.kind }, 'probe worker tick failed');
    } finally {
      w.busy = false;
    }
    if (w.stopped) return;
    const again = w.again;
    w.again = false;
    this.schedule(entry, w, again ? 0 : Math.max(0, began + nextMs - this.clock.now()));
  }

  /** One tick of a worker; resolves with a shorter wait before the next one, if any. */
  private async probeOnce(entry: PodProbes, w: Worker): Promise<number | undefined> {
    const container = probedContainers(entry.pod).find((c) => c.name === w.name);
    const observed = entry.current.get(w.name);
    const startup = observed && entry.results.get(`${observed.id}/startup`);
    const started = startup ? startup === 'success' : !container?.startupProbe;
    const decision = planProbeTick(w.state, {
      kind: w.kind,
      probe: w.probe,
      container: observed,
      // A sidecar always restarts.
      restartPolicy: container && isRestartableInitContainer(container) ? 'Always' : entry.pod.spec?.restartPolicy || 'Always',
      started,
      now: this.clock.now(),
    });
    w.state = decision.state;
    if (decision.forget) entry.results.delete(`${decision.forget}/${w.kind}`);
    if (decision.publish) this.publish(entry, w, decision.publish);
    if (decision.action === 'stop') {
      this.stopWorker(w);
      entry.workers.delete(`${w.name}/${w.kind}`);
      return undefined;
    }
    if (decision.action === 'wait' || !container || !observed) return decision.retryInMs;

    const controller = new AbortController();
    w.inFlight = controller;
    let outcome;
    try {
      outcome = await this.options.runner(w.probe, { pod: entry.pod, container, containerId: observed.id, podIP: entry.podIP }, controller.signal);
    } finally {
      w.inFlight = undefined;
    }
    if (w.stopped || w.state.containerId !== observed.id) return undefined;
    const type = probeTypeName(w.kind);
    const metric = outcome.result === 'error' ? 'unknown' : outcome.result === 'failure' ? 'failed' : 'successful';
    this.options.metrics?.probeTotal.inc({ probe_type: type, result: metric });
    const log = { pod: podKey(entry.pod), container: w.name, probe: w.kind, result: outcome.result };
    if (outcome.result === 'error') {
      this.log.info({ ...log, output: outcome.output }, 'probe errored');
      this.recorder.warning(entry.pod, KubeletReason.Unhealthy, probeErroredMessage(type, outcome.output), 'Pod');
      return undefined;
    }
    if (outcome.result === 'failure') {
      this.log.info({ ...log, output: outcome.output.slice(0, 200) }, 'probe failed');
      this.recorder.warning(entry.pod, KubeletReason.Unhealthy, probeFailedMessage(type, outcome.output), 'Pod');
    } else if (outcome.result === 'warning') {
      this.recorder.warning(entry.pod, KubeletReason.ProbeWarning, probeWarningMessage(type, outcome.output), 'Pod');
    }
    const after = afterProbe(w.state, outcome.result === 'failure' ? 'failure' : 'success', w.kind, w.probe);
    w.state = after.state;
    if (after.publish) this.publish(entry, w, after.publish);
    return undefined;
  }

  /**
   * Sets the result of the worker's current instance. A change (from the kind's initial value
   * when unset) of a running instance syncs the pod; one that is not running is neither ready
   * nor killed whatever its results say.
   */
  private publish(entry: PodProbes, w: Worker, result: ProbeResult): void {
    const key = `${w.state.containerId}/${w.kind}`;
    const before = entry.results.get(key) ?? initialProbeResult(w.kind);
    entry.results.set(key, result);
    const current = entry.current.get(w.name);
    if (before === result || current?.id !== w.state.containerId || current.state !== 'running') return;
    this.log.info({ pod: podKey(entry.pod), container: w.name, probe: w.kind, from: before, to: result }, 'probe result changed');
    this.options.onChange?.(entry.uid);
  }
}

/** The containers that may have probes: the app containers and the sidecars (regular init containers have none). */
function probedContainers(pod: Readonly<Pod>): readonly Readonly<Container>[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isRestartableInitContainer)];
}

function podKey(pod: Readonly<Pod>): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}
