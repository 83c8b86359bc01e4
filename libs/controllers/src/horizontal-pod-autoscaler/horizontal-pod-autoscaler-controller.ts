/**
 * The horizontal pod autoscaler (Kubernetes' pkg/controller/podautoscaler), the thin I/O half:
 * every --horizontal-pod-autoscaler-sync-period (15 s) each HorizontalPodAutoscaler reads its
 * target's scale, the target's pods (cache) and their usage (the metrics API), decides
 * (autoscaler-sync.ts), writes the target's spec.replicas when it changes, records Events and
 * writes its status.
 *
 * One reconcile of "ns/name":
 *   1. HPA gone from the cache -> forget its history, done (no requeue).
 *   2. read the target live (Deployment or ReplicaSet, as Kubernetes reads the scale subresource;
 *      the decision then never rests on a stale replica count) and select its pods in the cache.
 *   3. planSync; the metrics API is asked only when the plan needs it.
 *   4. rescale: an Update of the target with its resourceVersion as precondition; a conflict with
 *      spec.replicas unchanged (a status write came between) is retried on a fresh read, a
 *      conflict with spec.replicas changed fails the rescale (FailedRescale; the next sync decides
 *      again on fresh figures).
 *   5. Events, then the status when it differs (one retry on a conflict, on a fresh read).
 *   6. requeue after the sync period, whatever happened: as Kubernetes' fixed-interval queue, an
 *      error never makes an autoscaler sync faster (it is logged).
 *
 * Keys are enqueued when an HPA is added or deleted, or its spec changes (generation); status
 * writes (the controller's own) do not enqueue, so each HPA syncs once per period. The history
 * (recommendations, scale events) and the last selector of each HPA (for AmbiguousSelector) live
 * in memory: a new leader starts afresh and, like Kubernetes', waits a whole stabilization window
 * before scaling down.
 */
import { isDeepStrictEqual } from 'node:util';
import { ConflictError, HorizontalPodAutoscalerStatus, keyOf, type HorizontalPodAutoscaler, type LabelMatcher } from '@skiff/api';
import { podUsageByName, typed, type TypedClient } from '@skiff/client';
import { Controller, type ReconcileResult } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { ControllerContext } from '../controller-context';
import { errorMessage } from '../controller-errors';
import { completeSync, planSync, selectorProblem, type AutoscalerConfig, type RescaleOutcome, type ScaleRead } from './autoscaler-sync';
import type { MetricsRead, PlannedEvent } from './metric-replicas';
import { hpasSelecting, scaleOf, scaleTargetKind, type Scalable, type ScalableCase } from './scale-target';
import type { ScalingHistory } from './scaling-behavior';

/** The component name on Events (Kubernetes'). */
export const HPA_COMPONENT = 'horizontal-pod-autoscaler';
const KIND = 'HorizontalPodAutoscaler';
/** Writes of the target retried after a conflict that left spec.replicas as it was. */
const CONFLICT_RETRIES = 3;


/** Same status, as the API would store it (defaults and unset fields compare equal). */
function sameStatus(a: HorizontalPodAutoscalerStatus | undefined, b: HorizontalPodAutoscalerStatus): boolean {
  return isDeepStrictEqual(HorizontalPodAutoscalerStatus.toJSON(a ?? HorizontalPodAutoscalerStatus.fromPartial({})), HorizontalPodAutoscalerStatus.toJSON(b));
}

/** The decision flags from the tuning. */
export function autoscalerConfig(tuning: ControllerContext['tuning']): AutoscalerConfig {
  return {
    tolerance: tuning.hpaTolerance,
    cpuInitializationPeriodMs: tuning.hpaCpuInitializationPeriodMs,
    initialReadinessDelayMs: tuning.hpaInitialReadinessDelayMs,
    downscaleStabilizationMs: tuning.hpaDownscaleStabilizationMs,
  };
}

/** Builds the HPA controller (registered as "horizontalpodautoscaling", Kubernetes' name). */
export function horizontalPodAutoscalerController(ctx: ControllerContext): Controller {
  const hpaInformer = ctx.informers.get('horizontalPodAutoscaler');
  const podInformer = ctx.informers.get('pod');
  const hpas = typed(ctx.client, 'horizontalPodAutoscaler');
  // Deployments and ReplicaSets are written the same way (spec.replicas); one client type for both.
  const targets = {
    deployment: typed(ctx.client, 'deployment'),
    replicaSet: typed(ctx.client, 'replicaSet'),
  } as unknown as Record<ScalableCase, TypedClient<ScalableCase, Scalable>>;
  const recorder = ctx.recorder(HPA_COMPONENT);
  const baseLog = ctx.log.child({ controller: 'horizontalpodautoscaling' });
  const config = autoscalerConfig(ctx.tuning);
  const syncPeriodMs = ctx.tuning.hpaSyncPeriodMs;
  const histories = new Map<string, ScalingHistory>();
  /** Each HPA's target selector as of its last sync. */
  const selectors = new Map<string, LabelMatcher>();

  /** The target, live, or why it cannot be read. */
  async function readTarget(hpa: Readonly<HorizontalPodAutoscaler>, signal: AbortSignal): Promise<{ kind: ScalableCase; object: Scalable } | { message: string }> {
    const kind = scaleTargetKind(hpa.spec?.scaleTargetRef);
    if (!kind.ok) return { message: kind.message };
    try {
      const object = await targets[kind.kind].get(hpa.metadata?.namespace ?? '', hpa.spec?.scaleTargetRef?.name ?? '', { signal });
      return { kind: kind.kind, object };
    } catch (err) {
      return { message: errorMessage(err) };
    }
  }

  /** Sets the target's spec.replicas (see the module comment for conflicts). */
  async function writeScale(kind: ScalableCase, target: Readonly<Scalable>, replicas: number, signal: AbortSignal): Promise<RescaleOutcome> {
    const before = target.spec?.replicas ?? 1;
    let object = target;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(object) as Scalable;
      if (!next.spec) return { ok: false, message: 'the target has no spec' };
      next.spec.replicas = replicas;
      try {
        await targets[kind].update(next, { signal });
        return { ok: true };
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= CONFLICT_RETRIES) return { ok: false, message: errorMessage(err) };
        try {
          object = await targets[kind].get(target.metadata?.namespace ?? '', target.metadata?.name ?? '', { signal });
        } catch (readErr) {
          return { ok: false, message: errorMessage(readErr) };
        }
        if ((object.spec?.replicas ?? 1) !== before) return { ok: false, message: errorMessage(err) };
      }
    }
  }

  /** UpdateStatus when it changed; on a conflict reads the HPA again and retries once. */
  async function writeStatus(hpa: Readonly<HorizontalPodAutoscaler>, status: HorizontalPodAutoscalerStatus, signal: AbortSignal): Promise<void> {
    let current: Readonly<HorizontalPodAutoscaler> = hpa;
    for (let attempt = 0; ; attempt++) {
      if (sameStatus(current.status, status)) return;
      const next = structuredClone(current) as HorizontalPodAutoscaler;
      next.status = status;
      try {
        await hpas.updateStatus(next, { signal });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 1) throw err;
        current = await hpas.get(hpa.metadata?.namespace ?? '', hpa.metadata?.name ?? '', { signal });
        if (current.metadata?.uid !== hpa.metadata?.uid) return;
      }
    }
  }

  /** The pods' usage from the metrics API, with Kubernetes' wording for failures. */
  async function readMetrics(namespace: string, selector: string, signal: AbortSignal): Promise<MetricsRead> {
    try {
      const usage = await podUsageByName(ctx.client, namespace, selector, { signal });
      if (usage.size === 0) return { ok: false, message: 'no metrics returned from resource metrics API' };
      return { ok: true, usage };
    } catch (err) {
      return { ok: false, message: `unable to fetch metrics from resource metrics API: ${errorMessage(err)}` };
    }
  }

  function record(hpa: Readonly<HorizontalPodAutoscaler>, events: readonly PlannedEvent[]): void {
    for (const e of events) recorder.record(hpa, e.type, e.reason, e.message, KIND);
  }

  async function sync(key: string, hpa: Readonly<HorizontalPodAutoscaler>, log: Logger, signal: AbortSignal): Promise<void> {
    const namespace = hpa.metadata?.namespace ?? '';
    const target = await readTarget(hpa, signal);
    let scale: ScaleRead;
    let problem: ReturnType<typeof selectorProblem>;
    let pods: ReturnType<typeof podInformer.byNamespace> = [];
    if ('message' in target) {
      scale = { ok: false, message: target.message };
    } else {
      const targetScale = scaleOf(target.object);
      scale = { ok: true, specReplicas: targetScale.specReplicas, selector: targetScale.selector };
      const matcher = targetScale.matcher;
      if (matcher) {
        selectors.set(key, matcher);
        pods = podInformer.byNamespace(namespace).filter((pod) => matcher.matches(pod.metadata?.labels));
      }
      problem = selectorProblem(targetScale.selector, targetScale.parseError, matcher ? hpasSelecting(pods, selectors, namespace) : []);
    }
    const plan = await planSync(
      { hpa, scale, selectorProblem: problem, pods, history: histories.get(key), config, now: ctx.now() },
      () => readMetrics(namespace, scale.ok ? scale.selector : '', signal),
    );
    let outcome: RescaleOutcome | undefined;
    if (plan.rescale && !('message' in target)) {
      outcome = await writeScale(target.kind, target.object, plan.rescale.to, signal);
      if (outcome.ok) log.info({ from: plan.rescale.from, to: plan.rescale.to, reason: plan.rescale.reason }, 'rescaled');
      else log.warn({ to: plan.rescale.to, err: outcome.message }, 'rescale failed');
    }
    const done = completeSync(plan, outcome, ctx.now());
    if (done.history) histories.set(key, done.history);
    if (plan.error) log.debug({ err: plan.error }, 'sync incomplete');
    record(hpa, done.events);
    await writeStatus(hpa, done.status, signal);
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const hpa = hpaInformer.get(key);
    if (!hpa) {
      histories.delete(key);
      selectors.delete(key);
      return;
    }
    const log = baseLog.child({ hpa: key });
    try {
      await sync(key, hpa, log, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      log.warn({ err: errorMessage(err) }, 'sync failed; retrying after the sync period');
    }
    return { requeueAfterMs: syncPeriodMs };
  }

  const controller = new Controller({ name: 'horizontalpodautoscaling', reconcile, workers: ctx.tuning.workers, log: ctx.log, registry: ctx.registry });
  // Watched only so that the workers wait for both caches; keys come from the handler below.
  controller.watch(hpaInformer, () => undefined).watch(podInformer, () => undefined);
  hpaInformer.addHandler({
    onAdd: (hpa) => controller.enqueue(keyOf(hpa.metadata)),
    onUpdate: (old, hpa) => {
      if (old.metadata?.generation !== hpa.metadata?.generation) controller.enqueue(keyOf(hpa.metadata));
    },
    onDelete: (hpa) => controller.enqueue(keyOf(hpa.metadata)),
  });
  return controller;
}
