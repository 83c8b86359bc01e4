/**
 * The connection to the event bus (NATS). The only place that opens NATS connections: every
 * other part of Skiff gets a BusConnection and uses the watch-stream functions of this lib.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';

/** A change of the connection's state, as NATS reports it. */
export interface BusStatusEvent {
  /** "disconnect", "reconnect", "reconnecting", "error", "ldm", "update", ... */
  type: string;
  data?: unknown;
}

export interface BusConnection {
  /** The raw NATS connection. Only libs/bus code may use it (lint enforces who imports nats). */
  readonly nats: NatsConnection;
  readonly jetstream: JetStreamClient;
  readonly manager: JetStreamManager;
  /**
   * Increments on every disconnect. Anything that holds server-side state (a consumer) records
   * it at creation and treats any change as "my state may be gone".
   */
  readonly epoch: number;
  /** Resolves when the connection is closed for good (close() or a fatal error, returned here). */
  readonly closed: Promise<void | Error>;
  /** Calls `listener` on every status change until the returned function is called. */
  onStatus(listener: (event: BusStatusEvent) => void): () => void;
  /** Closes the connection (pending publishes are flushed); resolves when closed. */
  close(): Promise<void>;
}

export interface ConnectBusOptions {
  /** Client name shown by the server's monitoring (e.g. "apiserver", "scheduler"). */
  name?: string;
  /** Gives up connecting when aborted (the first connection otherwise waits forever). */
  signal?: AbortSignal;
}

class NatsBus implements BusConnection {
  epoch = 0;
  readonly closed: Promise<void | Error>;
  private readonly listeners = new Set<(event: BusStatusEvent) => void>();

  constructor(
    readonly nats: NatsConnection,
    readonly manager: JetStreamManager,
  ) {
    this.closed = nats.closed();
    void this.pump();
  }

  get jetstream(): JetStreamClient {
    return this.nats.jetstream();
  }

  private async pump(): Promise<void> {
    for await (const status of this.nats.status()) {
      if (status.type === 'disconnect') this.epoch++;
      for (const listener of [...this.listeners]) listener({ type: String(status.type), data: status.data });
    }
  }

  onStatus(listener: (event: BusStatusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (!this.nats.isClosed()) await this.nats.close();
  }
}

/**
 * Connects to NATS (one server or several of a cluster) with JetStream. Waits for the first
 * connection as long as it takes (or until `signal` aborts), then reconnects forever with
 * jittered backoff; every disconnect/reconnect is reported through onStatus and bumps `epoch`.
 * Failover: on a disconnect the client tries the other servers, the listed ones and those the
 * cluster announced (nats.js's server pool), so losing one server of a cluster costs a reconnect;
 * subscriptions then reset (BusResetError) and informers relist.
 */
export async function connectBus(servers: string | string[], opts: ConnectBusOptions = {}): Promise<BusConnection> {
  const signal = opts.signal;
  // The first connection is retried here (not by nats.js's waitOnFirstConnect, which cannot be
  // stopped), so that an abort stops the attempts at once.
  let nc: NatsConnection;
  for (let backoffMs = 100; ; backoffMs = Math.min(backoffMs * 2, 2_000)) {
    signal?.throwIfAborted();
    try {
      nc = await connect({
        servers,
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 250,
        // A server that vanishes without closing the socket (its machine is lost) is noticed within
        // ~10 s, and the client moves on to another server of the cluster.
        pingInterval: 5_000,
        maxPingOut: 2,
        // No stack capture per request (an Error built for every publish): a measurable share
        // of the apiserver's CPU per write.
        noAsyncTraces: true,
      });
      break;
    } catch {
      await delay(backoffMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return new NatsBus(nc, await nc.jetstreamManager());
}
