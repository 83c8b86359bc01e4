/**
 * The kubelets' Summary answers (their latest resource usage), fetched on demand for the metrics
 * API: the nodes asked for are asked concurrently, each within a deadline; a node that does not
 * answer in time (or fails) is left out, as metrics-server leaves out a node it cannot scrape.
 *
 * Cheap to call often: an answer is reused until the kubelet's next sample is due (its
 * `resolution` after the answer came: asking sooner would give the same figures), concurrent
 * requests for one node share one call, and a node that did not answer is not asked again for
 * `failureTtlMs`, so a dead kubelet delays at most one request per that period.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import type { KubeletClient, Node, StatsSummary } from '@skiff/api';
import type { Logger } from '@skiff/service';

export interface KubeletSummariesOptions {
  /** The client of the node's kubelet; throws when the node publishes no kubelet endpoint. */
  clientFor(node: Readonly<Node>): KubeletClient;
  /** Deadline of one kubelet's answer; default 3 s. */
  timeoutMs?: number;
  /** How long a node that did not answer is left out; default 5 s. */
  failureTtlMs?: number;
  /** The clock, ms; default Date.now. */
  now?: () => number;
  log: Logger;
}

/** Reuse bounds of an answer (a kubelet naming no resolution, or a silly one). */
const MIN_REUSE_MS = 500;
const MAX_REUSE_MS = 60_000;

interface Entry {
  /** The node's kubelet address the entry is for (a changed address starts over). */
  address: string;
  /** Reusable until then (ms). */
  until: number;
  /** undefined: the node did not answer. */
  answer: Promise<StatsSummary | undefined>;
}

/** Milliseconds of a protobuf Duration. */
function msOf(duration: { seconds: number; nanos: number } | undefined): number {
  return duration ? duration.seconds * 1000 + duration.nanos / 1e6 : 0;
}

/** See the module comment. */
export class KubeletSummaries {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: KubeletSummariesOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The Summary of every node in `nodes` that answered, by node name. Never rejects for a node's
   * failure (it is logged and left out); rejects with the abort reason when `signal` aborts.
   */
  async summaries(nodes: readonly Readonly<Node>[], signal?: AbortSignal): Promise<Map<string, StatsSummary>> {
    this.prune();
    const answers = await abortable(
      Promise.all(nodes.map(async (node) => [node.metadata?.name ?? '', await this.entryFor(node).answer] as const)),
      signal,
    );
    return new Map(answers.filter((a): a is readonly [string, StatsSummary] => a[1] !== undefined));
  }

  private entryFor(node: Readonly<Node>): Entry {
    const name = node.metadata?.name ?? '';
    let client: KubeletClient;
    let address: string;
    try {
      client = this.options.clientFor(node);
      address = client.getChannel().getTarget();
    } catch (err) {
      this.options.log.debug({ node: name, err }, 'node has no kubelet endpoint: no metrics');
      return { address: '', until: 0, answer: Promise.resolve(undefined) };
    }
    const cached = this.entries.get(name);
    if (cached && cached.address === address && this.now() < cached.until) return cached;
    const entry: Entry = { address, until: Number.POSITIVE_INFINITY, answer: Promise.resolve(undefined) };
    entry.answer = this.fetch(client).then(
      (summary) => {
        entry.until = this.now() + Math.min(MAX_REUSE_MS, Math.max(MIN_REUSE_MS, msOf(summary.resolution)));
        return summary;
      },
      (err: unknown) => {
        entry.until = this.now() + (this.options.failureTtlMs ?? 5_000);
        this.options.log.warn({ node: name, err: (err as ServiceError).details ?? String(err) }, 'kubelet did not answer for metrics: node left out');
        return undefined;
      },
    );
    this.entries.set(name, entry);
    return entry;
  }

  private fetch(client: KubeletClient): Promise<StatsSummary> {
    const deadline = new Date(Date.now() + (this.options.timeoutMs ?? 3_000));
    return new Promise((resolve, reject) => client.summary({}, new Metadata(), { deadline }, (err, res) => (err ? reject(err) : resolve(res))));
  }

  /** Drops entries long expired (nodes nobody asks about any more). */
  private prune(): void {
    const now = this.now();
    for (const [name, entry] of this.entries) if (entry.until + MAX_REUSE_MS < now) this.entries.delete(name);
  }
}

/** `promise`, or a rejection with the signal's reason once it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
