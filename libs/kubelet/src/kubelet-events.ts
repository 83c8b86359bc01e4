/**
 * The Events the kubelet records, with Kubernetes' reasons (pkg/kubelet/events/event.go) and the
 * messages its kubelet writes, so that `describe` reads as users know it. Pure: message builders
 * only; the kubelet records them through the shared EventRecorder (component 'kubelet', host =
 * node name), which folds repeats of one message into a count.
 *
 * When they are recorded (never on a sync that changes nothing):
 *   pod    Pulling, Pulled ─ each time a container is about to be created (as the kubelet's image
 *                            manager: "already present" too, but only then)
 *          Failed, ErrImageNeverPull, BackOff ─ a pull fails / is refused / waits (once per failure)
 *          Created, Started, Failed ─ a container (init or app) is created, started, or either fails
 *          Killing ─ a container is stopped (spec changed, sandbox lost, pod terminating, its
 *                    liveness or startup probe failed, its postStart hook failed, killPod)
 *          FailedPostStartHook, FailedPreStopHook ─ a lifecycle hook failed (lifecycle-hooks.ts)
 *          Unhealthy ─ a probe failed or could not run (each time: the recorder counts repeats)
 *          ProbeWarning ─ an HTTP probe succeeded with a redirect it did not follow
 *          BackOff ─ a crashed container (init or app) waits to restart (once per crashed instance)
 *          SandboxChanged, FailedCreatePodSandBox ─ a sandbox is replaced / cannot be made
 *          OutOf<resource> ─ admission refused the pod (the message its status carries)
 *   node   Starting ─ the kubelet started; NodeReady ─ the kubelet turned its Node Ready
 */
import type { EventRecorder } from '@skiff/client';

/** Where the kubelet records Events (the shared EventRecorder). */
export type KubeletEventRecorder = Pick<EventRecorder, 'normal' | 'warning'>;

/** Records nothing: for a PodSyncer or NodeHeartbeat built without a recorder. */
export const NO_EVENTS: KubeletEventRecorder = { normal: () => undefined, warning: () => undefined };

/** Kubernetes' kubelet event reasons (pkg/kubelet/events). */
export const KubeletReason = {
  Pulling: 'Pulling',
  Pulled: 'Pulled',
  /** A failed pull, create or start ("Error: ..."). */
  Failed: 'Failed',
  ErrImageNeverPull: 'ErrImageNeverPull',
  /** Image pull backoff (Normal) and crash-loop backoff (Warning). */
  BackOff: 'BackOff',
  Created: 'Created',
  Started: 'Started',
  Killing: 'Killing',
  FailedPostStartHook: 'FailedPostStartHook',
  FailedPreStopHook: 'FailedPreStopHook',
  /** A probe failed ("Liveness probe failed: ...") or errored. */
  Unhealthy: 'Unhealthy',
  ProbeWarning: 'ProbeWarning',
  SandboxChanged: 'SandboxChanged',
  FailedCreatePodSandBox: 'FailedCreatePodSandBox',
  Starting: 'Starting',
  NodeReady: 'NodeReady',
} as const;

export const pullingMessage = (image: string) => `Pulling image "${image}"`;
export const pulledMessage = (image: string, ms: number) => `Successfully pulled image "${image}" in ${goDuration(ms)}`;
export const alreadyPresentMessage = (image: string) => `Container image "${image}" already present on machine`;
export const neverPullMessage = (image: string) => `Container image "${image}" is not present with pull policy of Never`;
export const pullBackOffMessage = (image: string) => `Back-off pulling image "${image}"`;
export const createdMessage = (container: string) => `Created container ${container}`;
export const startedMessage = (container: string) => `Started container ${container}`;
export const killingMessage = (container: string) => `Stopping container ${container}`;
/** The hook events' messages: Kubernetes leaves the hook's output out (it may hold secrets). */
export const postStartFailedMessage = () => 'PostStartHook failed';
export const preStopFailedMessage = () => 'PreStopHook failed';
/** The Killing message of a container whose postStart hook failed. */
export const postStartKillMessage = () => 'FailedPostStartHook';
export const definitionChangedMessage = (container: string) => `Container ${container} definition changed, will be restarted`;
/** "Liveness probe failed: HTTP probe failed with statuscode: 500" (type: Liveness, Readiness, Startup). */
export const probeFailedMessage = (type: string, output: string) => `${type} probe failed: ${output}`;
export const probeErroredMessage = (type: string, error: string) => `${type} probe errored: ${error}`;
export const probeWarningMessage = (type: string, output: string) => `${type} probe warning: ${output}`;
/** The Killing message of a container whose liveness/startup probe failed: "Container web failed liveness probe, will be restarted". */
export const probeKillMessage = (container: string, kind: 'liveness' | 'startup', restart: boolean) =>
  `Container ${container} failed ${kind} probe${restart ? ', will be restarted' : ''}`;
export const sandboxChangedMessage = () => 'Pod sandbox changed, it will be killed and re-created.';
export const sandboxFailedMessage = (error: string) => `Failed to create pod sandbox: ${error}`;
export const startingMessage = () => 'Starting kubelet.';
export const nodeReadyMessage = (node: string) => `Node ${node} status is now: NodeReady`;

/** The "Failed" event after a failed pull, create or start: "Error: ErrImagePull", "Error: <runtime message>". */
export const errorMessage = (error: string) => `Error: ${error}`;

/**
 * "Failed to pull image "x": <why>", from the runtime's message, which may already say the
 * first half (as ImagePullError's "failed to pull image "x": ..." does).
 */
export function pullFailedMessage(image: string, error: string): string {
  const prefix = `failed to pull image "${image}": `;
  const why = error.toLowerCase().startsWith(prefix.toLowerCase()) ? error.slice(prefix.length) : error;
  return `Failed to pull image "${image}": ${why}`;
}

/** The parts of a pod's metadata that name it in messages. */
export interface PodNameParts {
  name?: string;
  namespace?: string;
  uid?: string;
}

/**
 * A pod as Kubernetes' format.Pod writes it in the kubelet's messages and events:
 * name_namespace(uid), a missing part empty. Every kubelet message naming a pod uses this.
 */
export function formatPod(pod: Readonly<{ metadata?: Readonly<PodNameParts> }>): string {
  const m = pod.metadata;
  return `${m?.name ?? ''}_${m?.namespace ?? ''}(${m?.uid ?? ''})`;
}

/** "Back-off restarting failed container NAME in pod POD_NAMESPACE(UID)", POD as formatPod writes it. */
export function crashBackOffMessage(container: string, pod: Readonly<PodNameParts>): string {
  return `Back-off restarting failed container ${container} in pod ${formatPod({ metadata: pod })}`;
}

/**
 * A duration as Go's time.Duration prints it after Truncate(time.Millisecond): "523ms", "1.2s",
 * "1m3.05s", "2h0m1s". Negative or fractional milliseconds are floored at 0 ms.
 */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms));
  if (total < 1_000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = `${Math.floor(millis / 1_000)}${millis % 1_000 ? `.${String(millis % 1_000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
