/**
 * The queue of pods waiting for a node, as kube-scheduler's PriorityQueue (keys, not objects):
 *
 *          add ──────────────────────────────> active (heap: priority desc, then first added)
 *                                                │ pop (a scheduling cycle starts)
 *                                                v
 *   ┌─ unschedulable <── addUnschedulable ── in flight ── addBackoff (error) ──> backoff
 *   │   (until a cluster event or 5 min)          │ forget (bound)                │ timer
 *   └── moveAll (node/pod changed) ──> backoff or active ─────────────────────────┘
 *
 * Backoff per pod: initial * 2^(attempts-1), capped (1 s .. 10 s by default, as Kubernetes),
 * counted from the last attempt. A cluster event during a pod's cycle sends that pod to backoff
 * instead of unschedulable, so that the event is not lost (Kubernetes' moveRequestCycle).
 */
import { realClock, type Clock, type TimerHandle } from '@skiff/client';

export interface SchedulingQueueOptions {
  clock?: Clock;
  /** First backoff after a failed attempt; 1,000 ms. */
  initialBackoffMs?: number;
  /** Backoff cap; 10,000 ms. */
  maxBackoffMs?: number;
  /** An unschedulable pod is retried after this long even without a cluster event; 5 min. */
  unschedulableTimeoutMs?: number;
}

/** A pod handed out by pop(): its key and the scheduling cycle it belongs to. */
export interface QueuedPod {
  readonly key: string;
  readonly cycle: number;
}

interface Entry {
  key: string;
  priority: number;
  seq: number;
  attempts: number;
  lastAttempt: number;
  where: 'active' | 'backoff' | 'unschedulable' | 'flight';
  timer?: TimerHandle;
}

export class SchedulingQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly heap: Entry[] = [];
  private readonly waiters: ((pod: QueuedPod | undefined) => void)[] = [];
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly unschedulableTimeoutMs: number;
  private seq = 0;
  private cycle = 0;
  private moveRequestCycle = -1;
  private closed = false;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.unschedulableTimeoutMs = opts.unschedulableTimeoutMs ?? 5 * 60_000;
  }

  /** Pods per sub-queue, for metrics. */
  counts(): { active: number; backoff: number; unschedulable: number } {
    const out = { active: 0, backoff: 0, unschedulable: 0 };
    for (const e of this.entries.values()) if (e.where !== 'flight') out[e.where]++;
    return out;
  }

  /** True when the key is known to the queue (queued or in flight). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * A pending pod was added or changed in a way that may make it schedulable: it goes to
   * active (or to backoff while its backoff runs). A pod already active or in flight stays.
   */
  add(key: string, priority = 0): void {
    if (this.closed) return;
    const e = this.entries.get(key);
    if (!e) {
      const entry: Entry = { key, priority, seq: this.seq++, attempts: 0, lastAttempt: 0, where: 'active' };
      this.entries.set(key, entry);
      this.pushActive(entry);
      return;
    }
    if (e.where === 'unschedulable' || e.where === 'backoff') {
      e.priority = priority;
      this.activateOrBackoff(e);
    }
  }

  /** Forgets the pod entirely (deleted, bound elsewhere, no longer ours). */
  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.timer?.cancel();
    this.entries.delete(key);
    if (e.where === 'active') this.removeFromHeap(e);
  }

  /** The pod was bound: drop it and its history. */
  forget(key: string): void {
    this.delete(key);
  }

  /**
   * The next pod to schedule (highest priority, then oldest), waiting until there is one;
   * undefined once closed or when the signal aborts.
   */
  pop(signal?: AbortSignal): Promise<QueuedPod | undefined> {
    const e = this.popActive();
    if (e) return Promise.resolve(this.take(e));
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (pod: QueuedPod | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(pod);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * The pod fits nowhere (cycle `cycle`): it waits for a cluster event, or goes to backoff at
   * once when an event came during its cycle. Ignored when the pod was deleted or re-added.
   */
  addUnschedulable(key: string, cycle: number): void {
    const e = this.entries.get(key);
    if (!e || e.where !== 'flight') return;
    e.attempts++;
    e.lastAttempt = this.clock.now();
    if (this.moveRequestCycle >= cycle) {
      this.toBackoff(e);
      return;
    }
    e.where = 'unschedulable';
    e.timer = this.clock.setTimer(() => {
      e.timer = undefined;
      if (e.where === 'unschedulable') this.activateOrBackoff(e);
    }, this.unschedulableTimeoutMs);
  }

  /** The attempt failed for another reason (API error, lost bind): retry after the backoff. */
  addBackoff(key: string): void {
    const e = this.entries.get(key);
    if (!e || e.where !== 'flight') return;
    e.attempts++;
    e.lastAttempt = this.clock.now();
    this.toBackoff(e);
  }

  /** A pod in flight whose cycle ended without an outcome for the queue: make it poppable again. */
  requeue(key: string): void {
    const e = this.entries.get(key);
    if (!e || e.where !== 'flight') return;
    this.pushActive(e);
  }

  /**
   * A cluster event that may make pods schedulable (node added or changed, pod removed): every
   * unschedulable pod goes to active, or to backoff while its backoff runs.
   */
  moveAllToActiveOrBackoff(): void {
    this.moveRequestCycle = this.cycle;
    for (const e of this.entries.values()) if (e.where === 'unschedulable') this.activateOrBackoff(e);
  }

  /** Backoff for a pod with `attempts` failed attempts. */
  backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(attempts - 1, 30));
  }

  /** Stops the queue: waiting pops resolve undefined, timers are cancelled. */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) e.timer?.cancel();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  // ---- internals ----

  private take(e: Entry): QueuedPod {
    e.where = 'flight';
    return { key: e.key, cycle: ++this.cycle };
  }

  private activateOrBackoff(e: Entry): void {
    e.timer?.cancel();
    e.timer = undefined;
    const remaining = e.lastAttempt + this.backoffMs(e.attempts) - this.clock.now();
    if (remaining > 0) this.toBackoff(e);
    else this.pushActive(e);
  }

  private toBackoff(e: Entry): void {
    e.timer?.cancel();
    e.where = 'backoff';
    const remaining = Math.max(0, e.lastAttempt + this.backoffMs(e.attempts) - this.clock.now());
    e.timer = this.clock.setTimer(() => {
      e.timer = undefined;
      if (e.where === 'backoff' && this.entries.get(e.key) === e) this.pushActive(e);
    }, remaining);
  }

  private pushActive(e: Entry): void {
    e.timer?.cancel();
    e.timer = undefined;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.take(e));
      return;
    }
    e.where = 'active';
    this.heap.push(e);
    this.siftUp(this.heap.length - 1);
  }

  private popActive(): Entry | undefined {
    if (this.heap.length === 0) return undefined;
    const top = this.heap[0];
    const last = this.heap.pop() as Entry;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private removeFromHeap(e: Entry): void {
    const i = this.heap.indexOf(e);
    if (i < 0) return;
    const last = this.heap.pop() as Entry;
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.siftDown(i);
      this.siftUp(i);
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
