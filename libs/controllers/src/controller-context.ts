/**
 * What every controller of the controller-manager is built from: the API client (writes), the
 * shared informers (reads), an event recorder per controller, logs, metrics and tuning. A
 * controller is a factory `(ctx) => Controller`, registered in controller-manager.ts.
 */
import type { EventRecorder, SkiffClient } from '@skiff/client';
import type { Controller, SharedInformers } from '@skiff/reconcile';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface ControllerTuning {
  /** Node lifecycle: a node whose Lease is not renewed for this long becomes Ready=Unknown; 40 s. */
  nodeMonitorGracePeriodMs: number;
  /** Workers per controller; 5 (Kubernetes' --concurrent-*-syncs defaults). */
  workers: number;
  /** Pod GC: how long a pod's node must be missing before the pod counts as orphaned; 40 s (Kubernetes' quarantine). */
  orphanPodQuarantineMs: number;
}

export const DEFAULT_TUNING: ControllerTuning = {
  nodeMonitorGracePeriodMs: 40_000,
  workers: 5,
  orphanPodQuarantineMs: 40_000,
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
}

/** Builds one controller (or any long-running part with start(signal)) from the context. */
export type ControllerFactory = (ctx: ControllerContext) => Pick<Controller, 'start'>;
