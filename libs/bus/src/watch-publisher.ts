/**
 * Publishes watch events on the stream, one revision after the other, refusing to publish out of
 * order. The apiserver's publisher loop drives it: read lastPublished() at start, then publish
 * every etcd revision after it; on WrongLastRevisionError, read lastPublished() again and resume.
 */
import { headers as natsHeaders } from 'nats';
import { findKind, watchShardOfObject, WatchEvent, type KubeObject } from '@skiff/api';
import type { BusConnection } from './connection';
import { HEADER_PREV_REVISION, HEADER_RESOURCE_REVISIONS, WATCH_STREAM, watchSubject } from './subjects';

/**
 * JetStream refused a publish: the stream's last message is not `expectedLastRevision` (another
 * publisher got there first, or this one lags), or this revision is already on the stream
 * (`duplicate`). Nothing was published; read lastPublished() and resume from there.
 */
export class WrongLastRevisionError extends Error {
  override readonly name = 'WrongLastRevisionError';
  constructor(
    readonly revision: number,
    readonly expectedLastRevision: number,
    readonly duplicate: boolean,
    options?: ErrorOptions,
  ) {
    super(
      duplicate
        ? `revision ${revision} is already on the stream`
        : `the stream's last revision is not ${expectedLastRevision} (publishing ${revision})`,
      options,
    );
  }
}

/** Where the stream stands: its last event's revision and every resource's last revision. */
export interface PublishedPosition {
  revision: number;
  resourceRevisions: Record<string, number>;
}

export interface WatchPublisherOptions {
  /** Per-publish timeout (the ack from JetStream); default 10 s. */
  timeoutMs?: number;
}

/** JetStream API error codes (nats-server's errors.json). */
const WRONG_LAST_MSG_ID = 10070;
const WRONG_LAST_SEQUENCE = 10071;
const STREAM_NOT_FOUND = 10059;
const NO_MESSAGE_FOUND = 10037;

/** Parses the Skiff-Resource-Revisions header; a missing or bad header is an empty record. */
export function parseResourceRevisions(value: string | undefined): Record<string, number> {
  if (!value) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Record<string, number> = {};
    for (const [resource, revision] of Object.entries(parsed)) {
      if (typeof revision === 'number' && Number.isFinite(revision)) out[resource] = revision;
    }
    return out;
  } catch {
    return {};
  }
}

export class WatchPublisher {
  /**
   * Where the stream will stand once every publish sent so far is stored: updated when a publish
   * is sent (not when it is acknowledged), so that publishes can be pipelined. Each publish that
   * follows a known position pins the stream sequence it expects, a check JetStream keeps across
   * restarts (the last message id is only remembered within the duplicate window). Undefined
   * after a failure: call lastPublished() before publishing again.
   */
  private position: { revision: number; sequence: number } | undefined;

  constructor(
    private readonly bus: BusConnection,
    private readonly opts: WatchPublisherOptions = {},
  ) {}

  /**
   * Reads the stream's last message: its revision (message id, or the WatchEvent's revision when
   * the id is missing) and the Skiff-Resource-Revisions header. Undefined when the stream holds
   * no message. Rejects when the stream does not exist or NATS is unreachable.
   */
  async lastPublished(): Promise<PublishedPosition | undefined> {
    this.position = undefined;
    const info = await this.bus.manager.streams.info(WATCH_STREAM);
    const lastSeq = info.state.last_seq;
    if (info.state.messages === 0 || lastSeq === 0) {
      this.position = { revision: 0, sequence: lastSeq };
      return undefined;
    }
    let stored;
    try {
      stored = await this.bus.manager.streams.getMessage(WATCH_STREAM, { seq: lastSeq });
    } catch (err) {
      const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code;
      if (code === NO_MESSAGE_FOUND || code === STREAM_NOT_FOUND) {
        // Removed between the two calls (aged out): the stream is effectively empty.
        this.position = { revision: 0, sequence: lastSeq };
        return undefined;
      }
      throw err;
    }
    const id = stored.header?.get('Nats-Msg-Id');
    const revision = id ? Number(id) : WatchEvent.decode(stored.data).revision;
    const resourceRevisions = parseResourceRevisions(stored.header?.get(HEADER_RESOURCE_REVISIONS));
    this.position = { revision, sequence: stored.seq };
    return { revision, resourceRevisions };
  }

  /**
   * Publishes `event` on watchSubject(resource, namespace, name, shard) with message id = its revision,
   * after checking that the stream's last revision is `expectedLastRevision` (0: the stream is
   * empty or its position is unknown; no check unless lastPublished() saw it empty). Resolves
   * once JetStream stored it. Throws WrongLastRevisionError when refused (nothing published);
   * other errors (timeout, no stream, disconnected) mean the outcome is unknown: read
   * lastPublished() before going on.
   *
   * Pipelining: the message is sent before this returns its promise, so a caller may publish the
   * next revision without awaiting this one. Each expects the previous one's stream sequence, so
   * if one is refused or lost, every later one is refused too: the stream never gets a gap or a
   * reordering.
   */
  publish(event: WatchEvent, prevRevision: number, resourceRevisions: Record<string, number>, expectedLastRevision: number): Promise<void> {
    const info = findKind(event.resource);
    const object = event.object?.kind?.value as KubeObject | undefined;
    const shard = info && object ? watchShardOfObject(info, object) : '';
    return this.publishEncoded({ ...event, shard }, WatchEvent.encode(event).finish(), prevRevision, resourceRevisions, expectedLastRevision);
  }

  /**
   * publish() for an event already encoded as a WatchEvent (`payload`; `head` names it and its
   * object's watch shard), so that the apiserver can splice stored bytes into it without decoding
   * them.
   */
  publishEncoded(
    head: Pick<WatchEvent, 'revision' | 'resource' | 'namespace' | 'name'> & { shard?: string },
    payload: Uint8Array,
    prevRevision: number,
    resourceRevisions: Record<string, number>,
    expectedLastRevision: number,
  ): Promise<void> {
    const event = head;
    const h = natsHeaders();
    h.set(HEADER_PREV_REVISION, String(prevRevision));
    h.set(HEADER_RESOURCE_REVISIONS, JSON.stringify(resourceRevisions));
    const expect: { lastMsgID?: string; lastSequence?: number } = {};
    let expectedSequence: number | undefined;
    if (this.position && this.position.revision === expectedLastRevision) {
      expect.lastSequence = this.position.sequence;
      expectedSequence = this.position.sequence + 1;
      this.position = { revision: event.revision, sequence: expectedSequence };
    } else {
      if (expectedLastRevision !== 0) expect.lastMsgID = String(expectedLastRevision);
      this.position = undefined;
    }
    const sent = this.bus.jetstream.publish(watchSubject(event.resource, event.namespace, event.name, event.shard), payload, {
      msgID: String(event.revision),
      headers: h,
      expect,
      timeout: this.opts.timeoutMs ?? 10_000,
    });
    return sent.then(
      (ack) => {
        if (ack.duplicate) {
          this.position = undefined;
          throw new WrongLastRevisionError(event.revision, expectedLastRevision, true);
        }
        if (expectedSequence === undefined && !this.position) this.position = { revision: event.revision, sequence: ack.seq };
      },
      (err) => {
        this.position = undefined;
        const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code;
        if (code === WRONG_LAST_MSG_ID || code === WRONG_LAST_SEQUENCE) {
          throw new WrongLastRevisionError(event.revision, expectedLastRevision, false, { cause: err });
        }
        throw err;
      },
    );
  }
}
