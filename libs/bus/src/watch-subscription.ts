/**
 * Reads one resource's watch events from the stream, from now on, strictly in order. Unlike
 * nats.js's ordered consumer it never repairs itself: any doubt about completeness (NATS
 * disconnect or restart, consumer deleted, missed heartbeats, a consumer sequence gap) ends the
 * iteration with BusResetError, so that the informer relists instead of trusting a stream that
 * may have lost events.
 */
import { AckPolicy, createInbox, DeliverPolicy, isFlowControlMsg, isHeartbeatMsg, nanos, ReplayPolicy, type Msg, type Subscription } from 'nats';
import { WatchEvent } from '@skiff/api';
import type { BusConnection } from './connection';
import { parseDeliveryInfo } from './delivery-info';
import { decodeWatchEvent, HEADER_PREV_REVISION, resourceFilter, WATCH_STREAM } from './subjects';

/** The subscription can no longer vouch for seeing every event: relist and subscribe again. */
export class BusResetError extends Error {
  override readonly name = 'BusResetError';
}

/** One event from the stream, with the Skiff-Prev-Revision header (0 when absent). */
export interface WatchMessage {
  event: WatchEvent;
  prevRevision: number;
  /** The event's sequence on the stream. */
  streamSequence: number;
}

/**
 * An async iterable of a resource's events. Iterate it once. The iteration ends (returns) when
 * the signal aborts and throws BusResetError when the subscription broke.
 */
export interface WatchSubscription extends AsyncIterable<WatchMessage> {
  /**
   * Resolves once the consumer exists on the server: every event published after that is
   * delivered (subscribe, await ready, then List: nothing falls between). Rejects with
   * BusResetError (or the setup error) when setup failed.
   */
  readonly ready: Promise<void>;
}

export interface SubscribeWatchOptions {
  /** Idle heartbeat the server sends; two and a half missed ones reset the subscription. Default 2 s. */
  heartbeatMs?: number;
  /**
   * The consumer's filter subject; default resourceFilter(resource), every event of the resource.
   * objectFilter(resource, namespace, name) narrows it to one object's events, shardFilter(resource,
   * shard) to one shard's (one node's pods): the server then sends nothing else to this client.
   */
  filterSubject?: string;
}

const NATS_LAST_CONSUMER = 'Nats-Last-Consumer';
const NATS_CONSUMER_STALLED = 'Nats-Consumer-Stalled';

/**
 * Subscribes to every event of `resource` published from now on (an ephemeral, flow-controlled,
 * heartbeat-monitored push consumer with the single filter resourceFilter(resource), or
 * opts.filterSubject, deleted when the iteration ends). See WatchSubscription for the guarantees.
 */
export function subscribeWatch(bus: BusConnection, resource: string, signal: AbortSignal, opts: SubscribeWatchOptions = {}): WatchSubscription {
  return new PushWatchSubscription(bus, resource, signal, opts.heartbeatMs ?? 2_000, opts.filterSubject ?? resourceFilter(resource));
}

class PushWatchSubscription implements WatchSubscription {
  readonly ready: Promise<void>;
  private readonly queue: Msg[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private sub: Subscription | undefined;
  private consumerName: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private offStatus: (() => void) | undefined;
  private lastActivity = Date.now();
  private lastConsumerSeq = 0;
  private closed = false;
  private iterated = false;

  constructor(
    private readonly bus: BusConnection,
    private readonly resource: string,
    private readonly signal: AbortSignal,
    private readonly heartbeatMs: number,
    private readonly filterSubject: string,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
    this.ready = this.setup();
    this.ready.catch(() => undefined);
  }

  private readonly onAbort = () => {
    this.close();
    this.notify();
  };

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.close();
    this.notify();
  }

  private async setup(): Promise<void> {
    this.signal.throwIfAborted();
    const epoch = this.bus.epoch;
    this.offStatus = this.bus.onStatus((status) => {
      if (status.type === 'disconnect' || status.type === 'reconnect') this.fail(new BusResetError(`NATS connection ${status.type}`));
    });
    const inbox = createInbox();
    this.sub = this.bus.nats.subscribe(inbox, {
      callback: (err, msg) => {
        this.lastActivity = Date.now();
        if (err) this.fail(new BusResetError(`subscription failed: ${err.message}`, { cause: err }));
        else {
          this.queue.push(msg);
          this.notify();
        }
      },
    });
    try {
      await this.bus.nats.flush();
      const info = await this.bus.manager.consumers.add(WATCH_STREAM, {
        deliver_subject: inbox,
        filter_subject: this.filterSubject,
        deliver_policy: DeliverPolicy.New,
        ack_policy: AckPolicy.None,
        replay_policy: ReplayPolicy.Instant,
        max_deliver: 1,
        flow_control: true,
        idle_heartbeat: nanos(this.heartbeatMs),
        inactive_threshold: nanos(Math.max(5_000, 5 * this.heartbeatMs)),
        mem_storage: true,
        num_replicas: 1,
      });
      this.consumerName = info.name;
    } catch (err) {
      const error = new BusResetError(`could not create the watch consumer for ${this.resource}: ${(err as Error).message}`, { cause: err });
      this.fail(error);
      throw this.failure ?? error;
    }
    if (this.closed) {
      this.deleteConsumer();
      if (this.failure) throw this.failure;
      this.signal.throwIfAborted();
    }
    if (this.bus.epoch !== epoch) {
      this.fail(new BusResetError('NATS reconnected while the consumer was being created'));
      throw this.failure;
    }
    this.lastActivity = Date.now();
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastActivity > 2.5 * this.heartbeatMs) this.fail(new BusResetError('missed the watch consumer heartbeats'));
    }, this.heartbeatMs / 2);
    this.watchdog.unref?.();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.watchdog) clearInterval(this.watchdog);
    this.offStatus?.();
    this.sub?.unsubscribe();
    this.deleteConsumer();
  }

  private deleteConsumer(): void {
    const name = this.consumerName;
    this.consumerName = undefined;
    if (!name || this.bus.nats.isClosed()) return;
    // Best effort: the server also removes it after inactive_threshold without interest.
    this.bus.manager.consumers.delete(WATCH_STREAM, name).catch(() => undefined);
  }

  /** Handles one pushed message: a watch event to yield, or undefined for control messages. */
  private handle(msg: Msg): WatchMessage | undefined {
    if (isFlowControlMsg(msg)) {
      if (isHeartbeatMsg(msg)) {
        const last = Number(msg.headers?.get(NATS_LAST_CONSUMER) || 0);
        if (last > this.lastConsumerSeq) throw new BusResetError(`missed watch events ${this.lastConsumerSeq + 1}..${last} (heartbeat)`);
        const stalled = msg.headers?.get(NATS_CONSUMER_STALLED);
        if (stalled) this.bus.nats.publish(stalled);
      } else if (msg.reply) {
        msg.respond();
      }
      return undefined;
    }
    if (msg.headers && msg.data.length === 0 && msg.headers.code >= 300) {
      throw new BusResetError(`watch consumer status ${msg.headers.code} ${msg.headers.description}`);
    }
    const info = parseDeliveryInfo(msg.reply);
    if (!info) throw new BusResetError(`unexpected message on the watch inbox (reply ${msg.reply ?? 'none'})`);
    if (info.consumerSequence !== this.lastConsumerSeq + 1) {
      throw new BusResetError(`watch consumer sequence jumped from ${this.lastConsumerSeq} to ${info.consumerSequence}`);
    }
    this.lastConsumerSeq = info.consumerSequence;
    const prev = Number(msg.headers?.get(HEADER_PREV_REVISION) || 0);
    return { event: decodeWatchEvent(msg.data), prevRevision: Number.isFinite(prev) ? prev : 0, streamSequence: info.streamSequence };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchMessage> {
    if (this.iterated) throw new Error('a watch subscription can be iterated only once');
    this.iterated = true;
    try {
      await this.ready;
      for (;;) {
        if (this.signal.aborted) return;
        const msg = this.queue.shift();
        if (msg) {
          const item = this.handle(msg);
          if (item) yield item;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } catch (err) {
      if (this.signal.aborted && !(err instanceof BusResetError)) return;
      throw err;
    } finally {
      this.close();
    }
  }
}
