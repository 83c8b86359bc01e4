/**
 * What every controller of the controller-manager is built from: the API client (writes), the
 * shared informers (reads), an event recorder per controller, logs, metrics and tuning. A
 * controller is a factory `(ctx) => Controller`, registered in controller-manager.ts.
 */
import type { EventRecorder, SkiffClient } from '@skiff/client';
import type { Controller, SharedInformers } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeIpamConfig } from './node-ipam/node-cidr-plan';

export interface ControllerTuning {
  /** Node lifecycle: a node whose Lease is not renewed for this long becomes Ready=Unknown; 40 s. */
  nodeMonitorGracePeriodMs: number;
  /** Workers per controller; 5 (Kubernetes' --concurrent-*-syncs defaults). */
  workers: number;
  /** Pod GC: how long a pod's node must be missing before the pod counts as orphaned; 40 s (Kubernetes' quarantine). */
  orphanPodQuarantineMs: number;
  /** HPA: how often each autoscaler is synced (metrics read, replicas decided); 15 s (--horizontal-pod-autoscaler-sync-period). */
  hpaSyncPeriodMs: number;
  /** HPA: scale-down stabilization window of autoscalers without one of their own; 300 s (--horizontal-pod-autoscaler-downscale-stabilization). */
  hpaDownscaleStabilizationMs: number;
  /** HPA: usage ratios within this of 1.0 change nothing; 0.1 (--horizontal-pod-autoscaler-tolerance). */
  hpaTolerance: number;
  /** HPA: after a pod starts, its CPU samples count only once it is Ready and sampled since; 5 min (--horizontal-pod-autoscaler-cpu-initialization-period). */
  hpaCpuInitializationPeriodMs: number;
  /** HPA: a pod that turned unready within this of its start has never been ready; 30 s (--horizontal-pod-autoscaler-initial-readiness-delay). */
  hpaInitialReadinessDelayMs: number;
  /** Job: the first delay before failed pods are replaced, doubled per further failure up to 6 min; 10 s (Kubernetes' DefaultJobPodFailureBackOff). */
  jobPodFailureBackoffMs: number;
}

export const DEFAULT_TUNING: ControllerTuning = {
  nodeMonitorGracePeriodMs: 40_000,
  workers: 5,
  orphanPodQuarantineMs: 40_000,
  hpaSyncPeriodMs: 15_000,
  hpaDownscaleStabilizationMs: 300_000,
  hpaTolerance: 0.1,
  hpaCpuInitializationPeriodMs: 300_000,
  hpaInitialReadinessDelayMs: 30_000,
  jobPodFailureBackoffMs: 10_000,
};

export interface ControllerContext {
  client: SkiffClient;
  informers: SharedInformers;
  /** The recorder for a component name ('replicaset-controller', ...). */
  recorder(component: string): EventRecorder;
  log: Logger;
  registry?: Registry;
  tuning: ControllerTuning;
  /** Wall clock (ms); injected so that decisions can be tested. */
  now(): number;
  /** Node IPAM's cluster CIDR and node mask size; undefined: the defaults (10.244.0.0/16, 24); false: no allocation. */
  nodeIpam?: NodeIpamConfig | false;
}

/** Builds one controller (or any long-running part with start(signal)) from the context. */
export type ControllerFactory = (ctx: ControllerContext) => Pick<Controller, 'start'>;
