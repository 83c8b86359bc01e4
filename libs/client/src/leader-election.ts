/**
 * One leader at a time per component, through a Lease object (client-go's leaderelection with
 * the LeaseLock): candidates try to take the Lease every retry period; the holder renews it; a
 * Lease not renewed for its duration may be taken by another candidate.
 *
 *   candidate ──acquire──> leader ──renew fails for renewDeadline / signal aborts──> candidate
 *       ^                    │ runs lead(leaderSignal); leaderSignal aborts when leadership ends
 *       └────────────────────┘ (after lead() has returned, it tries again)
 *
 * Expiry is judged by the candidate's own clock from the moment it last saw the Lease change
 * (holder or renewTime), never by comparing clocks across machines. Acquire and renew are
 * compare-and-swap updates, so two candidates never both succeed. On a clean stop the leader
 * releases the Lease (empty holder, 1 s duration) so a standby takes over at once.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyExistsError, ConflictError, Lease, NotFoundError } from '@skiff/api';
import pino, { type Logger } from 'pino';
import type { SkiffClient } from './skiff-client';
import { typed, type TypedClient } from './typed-client';

export interface LeaderElectionOptions {
  client: SkiffClient;
  /** The Lease: kube-system's counterpart is skiff-system. */
  namespace?: string;
  name: string;
  /** This candidate's unique identity (hostname + random suffix). */
  identity: string;
  /** How long a Lease holds without renewal; Kubernetes' default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long; 10 s. Must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew; 2 s. */
  retryPeriodMs?: number;
  log?: Logger;
  now?: () => number;
}

export const LEADER_ELECTION_NAMESPACE = 'skiff-system';

/** A candidate identity unique per process: `<hostname>_<random hex>` (Kubernetes' form). */
export function candidateIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

/** How a component campaigns: the Lease name and the timing (identity defaults to candidateIdentity()). */
export type LeaderElectionConfig = Partial<Omit<LeaderElectionOptions, 'client' | 'log' | 'now'>>;

/**
 * Runs `lead` while this process holds the Lease `config.name ?? defaultName` (again after each
 * loss, see LeaderElector.run), or once at once when `config` is false (a single replica).
 * Resolves when `signal` aborts and `lead` has returned.
 */
export function runLeading(
  client: SkiffClient,
  config: LeaderElectionConfig | false | undefined,
  defaultName: string,
  log: Logger,
  signal: AbortSignal,
  lead: (leaderSignal: AbortSignal) => Promise<void>,
): Promise<void> {
  if (config === false) return lead(signal);
  const le = config ?? {};
  return new LeaderElector({ ...le, client, name: le.name ?? defaultName, identity: le.identity ?? candidateIdentity(), log }).run(signal, lead);
}

/** What a candidate decides from the Lease it read (pure). */
export type LeaseDecision = { action: 'take'; transitions: number } | { action: 'renew' } | { action: 'wait'; holder: string };

/**
 * Whether `identity` may take or renew `lease`: it holds it (renew), nobody holds it or the
 * holder has not renewed within the lease duration since `observedAt` (take, counting a
 * transition when the holder changes), else wait.
 */
export function decideLease(lease: Readonly<Lease>, identity: string, observedAt: number, now: number, defaultDurationMs: number): LeaseDecision {
  const spec = lease.spec;
  const holder = spec?.holderIdentity ?? '';
  const transitions = spec?.leaseTransitions ?? 0;
  if (holder === identity) return { action: 'renew' };
  const durationMs = (spec?.leaseDurationSeconds ?? defaultDurationMs / 1000) * 1000;
  if (holder === '' || now >= observedAt + durationMs) return { action: 'take', transitions: holder === '' ? transitions : transitions + 1 };
  return { action: 'wait', holder };
}

export class LeaderElector {
  private readonly leases: TypedClient<'lease'>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly namespace: string;
  private readonly durationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed?: { holder: string; renewTime: string; at: number };
  private current?: Lease;
  private leading = false;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leases = typed(options.client, 'lease');
    this.namespace = options.namespace ?? LEADER_ELECTION_NAMESPACE;
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
    this.log = (options.log ?? pino({ level: 'silent' })).child({ lease: `${this.namespace}/${options.name}`, identity: options.identity });
    this.now = options.now ?? Date.now;
    if (this.renewDeadlineMs >= this.durationMs) throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until `signal` aborts; each time it becomes leader it runs `lead(leaderSignal)`,
   * whose signal aborts when leadership is lost or `signal` aborts; `lead` must then stop all it
   * started and return. Resolves after the last `lead` returned and the Lease was released.
   */
  async run(signal: AbortSignal, lead: (leaderSignal: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      const leadership = new AbortController();
      const onAbort = () => leadership.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.leading = true;
      this.log.info('became leader');
      const renewing = this.renewUntilLost(leadership);
      try {
        await lead(leadership.signal);
      } catch (err) {
        this.log.error({ err }, 'leader work failed');
      } finally {
        leadership.abort();
        signal.removeEventListener('abort', onAbort);
        await renewing;
        this.leading = false;
      }
      if (signal.aborted) await this.release();
      else this.log.warn('leadership lost');
    }
  }

  /** Tries every retry period until the Lease is ours (true) or `signal` aborts (false). */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    let waitingFor = '';
    while (!signal.aborted) {
      try {
        const decision = await this.tryAcquireOrRenew(signal);
        if (decision.action !== 'wait') return true;
        if (decision.holder !== waitingFor) this.log.info({ holder: decision.holder }, 'waiting for leadership');
        waitingFor = decision.holder;
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ err: (err as Error).message }, 'leader election attempt failed');
      }
      await sleep(this.retryMs, undefined, { signal }).catch(() => undefined);
    }
    return false;
  }

  /** Renews every retry period; aborts `leadership` once renewal failed for renewDeadline. */
  private async renewUntilLost(leadership: AbortController): Promise<void> {
    const signal = leadership.signal;
    let lastRenew = this.now();
    while (!signal.aborted) {
      await sleep(this.retryMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      try {
        const decision = await this.tryAcquireOrRenew(AbortSignal.timeout(Math.max(1, this.renewDeadlineMs - (this.now() - lastRenew))));
        if (decision.action === 'wait') {
          leadership.abort(new Error(`lease taken by ${decision.holder}`));
          break;
        }
        lastRenew = this.now();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'lease renewal failed');
      }
      if (this.now() - lastRenew >= this.renewDeadlineMs) leadership.abort(new Error('lease not renewed within the renew deadline'));
    }
  }

  /** One attempt: reads the Lease (creating it if missing) and takes or renews it when allowed. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<LeaseDecision> {
    const now = this.now();
    let lease: Lease;
    try {
      lease = await this.leases.get(this.namespace, this.options.name, { signal });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      try {
        this.current = await this.leases.create(this.leaseFor(undefined, now, 0), { signal });
      } catch (createErr) {
        if (createErr instanceof AlreadyExistsError) return { action: 'wait', holder: 'unknown' };
        throw createErr;
      }
      this.observe(this.current, now);
      return { action: 'take', transitions: 0 };
    }
    this.observe(lease, now);
    const decision = decideLease(lease, this.options.identity, this.observed?.at ?? now, now, this.durationMs);
    if (decision.action === 'wait') return decision;
    const transitions = decision.action === 'take' ? decision.transitions : (lease.spec?.leaseTransitions ?? 0);
    try {
      this.current = await this.leases.update(this.leaseFor(lease, now, transitions, decision.action === 'renew'), { signal });
    } catch (err) {
      if (err instanceof ConflictError) return { action: 'wait', holder: 'unknown' }; // someone else wrote it first
      throw err;
    }
    this.observe(this.current, now);
    return decision;
  }

  private leaseFor(old: Lease | undefined, now: number, transitions: number, renew = false): Lease {
    return Lease.fromPartial({
      metadata: old?.metadata ?? { name: this.options.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
        acquireTime: renew ? old?.spec?.acquireTime : new Date(now),
        renewTime: new Date(now),
        leaseTransitions: transitions,
      },
    });
  }

  private observe(lease: Readonly<Lease>, now: number): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime?.toISOString() ?? '';
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) this.observed = { holder, renewTime, at: now };
  }

  /** Gives the Lease up (empty holder, 1 s duration) if we still hold it; errors are logged. */
  private async release(): Promise<void> {
    const lease = this.current;
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    try {
      await this.leases.update(
        Lease.fromPartial({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new Date(this.now()) } }),
        { signal: AbortSignal.timeout(5_000) },
      );
      this.log.info('lease released');
    } catch (err) {
      this.log.warn({ err }, 'lease release failed');
    }
  }
}
