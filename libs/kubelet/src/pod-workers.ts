/**
 * One worker per pod UID, as the kubelet's pod_workers.go. Updates are latest-wins: a worker
 * that is busy remembers only the newest pod and runs once more when done. Each worker moves
 * through three phases and never back:
 *
 *       update (no deletionTimestamp)
 *      ┌──────┐
 *      v      │      deletionTimestamp set, or the pod vanished from the API
 *    sync ────┴────────────────────────────────────────> terminating ──> terminated
 *      │  (a sync in flight is aborted)                  (stop, remove)   (confirm the deletion;
 *      └─ requeueAfterMs: sync again later                                 dropped once vanished)
 *
 * A handler error is logged and the step retried after errorRetryMs. Time comes from a Clock.
 */
import { setMaxListeners } from 'node:events';
import type { Pod } from '@skiff/api';
import { realClock, type Clock, type TimerHandle } from '@skiff/client';
import pino, { type Logger } from 'pino';

export type PodWorkerPhase = 'sync' | 'terminating' | 'terminated';

/** The outcome of a sync. */
export interface SyncResult {
  /** Sync again after this long (e.g. a backoff ends). */
  requeueAfterMs?: number;
}

/** The I/O side the workers drive (the pod syncer). */
export interface PodSyncHandler {
  /**
   * Brings the runtime in line with the pod and reports its status. `signal` aborts when the pod
   * starts terminating or the kubelet stops; `more()` says whether another sync of the pod is
   * already queued (it may then leave the report to that one).
   */
  syncPod(pod: Readonly<Pod>, signal: AbortSignal, more?: () => boolean): Promise<SyncResult>;
  /** Stops and removes everything the pod runs (vanished: it is gone from the API). */
  terminatePod(pod: Readonly<Pod>, vanished: boolean, signal: AbortSignal): Promise<void>;
  /** After terminatePod: confirms the deletion to the API (when not vanished) and forgets the pod. */
  podTerminated(pod: Readonly<Pod>, vanished: boolean, signal: AbortSignal): Promise<void>;
}

export interface PodWorkersOptions {
  clock?: Clock;
  log?: Logger;
  /** Delay before a failed step runs again; default 1,000 ms. */
  errorRetryMs?: number;
}

interface Worker {
  uid: string;
  pod: Readonly<Pod>;
  phase: PodWorkerPhase;
  vanished: boolean;
  pending: boolean;
  running?: Promise<void>;
  /** Aborts the step in flight: every step when the kubelet stops, a sync when the pod starts terminating. */
  stepAbort?: AbortController;
  timer?: TimerHandle;
}

/** The pod workers of one kubelet; stop them by aborting the signal given to the constructor. */
export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly handler: PodSyncHandler,
    private readonly signal: AbortSignal,
    private readonly options: PodWorkersOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? pino({ level: 'silent' });
    signal.addEventListener('abort', () => {
      for (const w of this.workers.values()) {
        w.timer?.cancel();
        w.stepAbort?.abort(signal.reason);
      }
    }, { once: true });
  }

  /** The pod as the API has it now (added, changed, or resynced). */
  update(pod: Readonly<Pod>): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { uid, pod, phase: 'sync', vanished: false, pending: false };
      this.workers.set(uid, w);
    }
    w.pod = pod;
    if (pod.metadata?.deletionTimestamp) this.beginTermination(w);
    this.kick(w);
  }

  /** The pod is gone from the API (deleted while we were not looking, or confirmed). */
  remove(pod: Readonly<Pod>): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { uid, pod, phase: 'sync', vanished: true, pending: false };
      this.workers.set(uid, w);
    }
    w.vanished = true;
    this.beginTermination(w);
    this.kick(w);
  }

  /** Runs the worker of `uid` again with the pod it has (a runtime event, a timer); unknown uids are ignored. */
  resync(uid: string): void {
    const w = this.workers.get(uid);
    if (w) this.kick(w);
  }

  /** Runs every worker again (e.g. after the runtime's event stream was down). */
  resyncAll(): void {
    for (const w of this.workers.values()) this.kick(w);
  }

  /** The phase of a pod's worker, or undefined when it has none. */
  phase(uid: string): PodWorkerPhase | undefined {
    return this.workers.get(uid)?.phase;
  }

  /** Uids with a worker. */
  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** Resolves once no worker runs or has a pending update (timers may still be set). */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.workers.values()].map((w) => w.running).filter((p): p is Promise<void> => !!p);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  private beginTermination(w: Worker): void {
    if (w.phase !== 'sync') return;
    w.phase = 'terminating';
    w.timer?.cancel();
    w.stepAbort?.abort(new Error('pod is terminating')); // the step in flight is a sync (or none)
  }

  private kick(w: Worker): void {
    if (this.signal.aborted) return;
    w.pending = true;
    if (!w.running) w.running = this.run(w).finally(() => (w.running = undefined));
  }

  private schedule(w: Worker, ms: number): void {
    w.timer?.cancel();
    w.timer = this.clock.setTimer(() => {
      w.timer = undefined;
      this.kick(w);
    }, ms);
  }

  private async run(w: Worker): Promise<void> {
    while (w.pending && !this.signal.aborted) {
      w.pending = false;
      const phase = w.phase;
      const log = this.log.child({ pod: `${w.pod.metadata?.namespace}/${w.pod.metadata?.name}`, uid: w.uid, phase: w.phase });
      // Not AbortSignal.any with the kubelet's signal (it keeps memory per call on Node 20): the
      // constructor's listener aborts the step's signal when the kubelet stops. A step makes a
      // runtime call per container at once, each listening on the signal: no warning at 10.
      const abort = new AbortController();
      setMaxListeners(0, abort.signal);
      w.stepAbort = abort;
      try {
        if (w.phase === 'sync') {
          const result = await this.handler.syncPod(w.pod, abort.signal, () => w.pending);
          if (result.requeueAfterMs !== undefined && w.phase === 'sync') this.schedule(w, result.requeueAfterMs);
        } else if (w.phase === 'terminating') {
          await this.handler.terminatePod(w.pod, w.vanished, abort.signal);
          w.phase = 'terminated';
          w.pending = true;
        } else {
          await this.handler.podTerminated(w.pod, w.vanished, abort.signal);
          if (w.vanished) {
            w.timer?.cancel();
            this.workers.delete(w.uid);
          }
        }
      } catch (err) {
        if (this.signal.aborted) return;
        if (phase === 'sync' && w.phase !== 'sync') continue; // aborted because the pod began terminating
        log.warn({ err }, 'pod worker step failed; retrying');
        if (!w.pending) this.schedule(w, this.options.errorRetryMs ?? 1_000);
      }
    }
  }
}
