/**
 * The pod status the kubelet reports, computed from the pod and what the runtime shows, without
 * I/O (Kubernetes' generateAPIPodStatus + getPhase):
 *
 *   phase: any container waiting for its first start ............................ Pending
 *          any container running ................................................. Running
 *          all stopped: restartPolicy Always, or OnFailure with a failure ......... Running (restarting)
 *                       all exited 0 .............................................. Succeeded
 *                       Never with a failure ...................................... Failed
 *          a pod refused by admission ............................................ Failed + reason
 *   conditions: PodScheduled, Initialized (no init containers yet: True), ContainersReady and
 *   Ready (every container ready). A condition keeps its lastTransitionTime while its status does
 *   not change.
 *   container started: running, and its startup probe succeeded (if it has one);
 *             ready: started, and its readiness probe succeeded (if it has one): the probe
 *             results come in the observation (ProberManager.containerStatus).
 */
import type { Condition, ContainerPort, ContainerState, ContainerStatus, Pod, PodStatus } from '@skiff/api';
import { containerIdUri, toContainerState, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { shouldRestart } from './pod-sync-plan';

/** What the kubelet knows about one container of the pod spec. */
export interface ContainerObservation {
  /** The newest instance (highest attempt), if any. */
  current?: ContainerStatusInfo;
  /** The instance before it (its lastState), if kept. */
  previous?: ContainerStatusInfo;
  /**
   * A waiting reason the kubelet decided (CrashLoopBackOff, ErrImagePull, ImagePullBackOff,
   * RunContainerError ...). Shown only while the container is to run again under the restart
   * policy: a container that is done (e.g. restartPolicy Never after a failed start) shows how it ended.
   */
  waiting?: { reason: string; message: string };
  /** The current instance's started/ready from its probes; without: started and ready while it runs. */
  probe?: { started: boolean; ready: boolean };
}

/** Everything computePodStatus reads besides the pod. */
export interface PodObservation {
  /** The node address (status.hostIP). */
  hostIP: string;
  /** The pod IP of its ready sandbox; '' when none. */
  podIP: string;
  /** By container name. */
  containers: ReadonlyMap<string, ContainerObservation>;
  /** Runtime name for container ids ("docker", "hollow"). */
  runtime: string;
  /** Set when admission refused the pod. */
  rejected?: { reason: string; message: string };
  /** The ready sandbox's published ports (status.publishedPorts, see publishedPorts); none when unset. */
  publishedPorts?: readonly ContainerPort[];
}

/**
 * status.publishedPorts: each port the sandbox publishes on the node (hostIP:hostPort, the host
 * port possibly chosen by the runtime), named as in the pod spec; empty without a ready sandbox.
 */
export function publishedPorts(pod: Readonly<Pod>, sandbox: Readonly<PodSandbox> | undefined): ContainerPort[] {
  if (!sandbox) return [];
  const declared = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  return sandbox.ports.map((p) => ({
    name: declared.find((d) => d.containerPort === p.containerPort && (d.protocol || 'TCP') === p.protocol)?.name ?? '',
    containerPort: p.containerPort,
    protocol: p.protocol,
    hostIP: p.hostIP,
    hostPort: p.hostPort,
  }));
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** True for Succeeded and Failed: a terminal pod never runs again. */
export function isTerminalPhase(phase: string | undefined): boolean {
  return !!phase && TERMINAL.has(phase);
}

/** Kubernetes' getPhase over container statuses. */
export function podPhase(restartPolicy: string, statuses: readonly ContainerStatus[]): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        stopped++;
        if (s.lastState.terminated.exitCode === 0) succeeded++;
      } else waiting++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Never') return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'OnFailure') return stopped === succeeded ? 'Succeeded' : 'Running';
    return 'Running';
  }
  return 'Pending';
}

function terminatedState(info: ContainerStatusInfo, runtime: string): ContainerState | undefined {
  const state = toContainerState(info, runtime);
  return state.terminated ? state : undefined;
}

function containerStatus(name: string, image: string, restartPolicy: string, obs: ContainerObservation | undefined, runtime: string): ContainerStatus {
  const current = obs?.current;
  let state: ContainerState = { waiting: { reason: 'ContainerCreating', message: '' } };
  let lastState: ContainerState = {};
  if (current) {
    state = toContainerState(current, runtime);
    if (obs?.previous) lastState = terminatedState(obs.previous, runtime) ?? {};
  }
  if (obs?.waiting && (!current || shouldRestart(restartPolicy, current))) {
    // A decided wait (crash loop, image pull) replaces the state; a stopped current instance becomes the last state.
    if (current && current.state === 'exited') lastState = terminatedState(current, runtime) ?? lastState;
    state = { waiting: { reason: obs.waiting.reason, message: obs.waiting.message } };
  }
  const running = !!state.running;
  const started = running && (obs?.probe?.started ?? true);
  return {
    name,
    state,
    lastState,
    ready: started && (obs?.probe?.ready ?? true),
    restartCount: current?.restartCount ?? 0,
    image,
    imageID: current?.imageId ?? '',
    containerID: current ? containerIdUri(runtime, current.id) : '',
    started,
  };
}

function condition(type: string, ok: boolean, old: readonly Condition[], now: Date, reason = '', message = ''): Condition {
  const status = ok ? 'True' : 'False';
  const previous = old.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime: previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now,
    lastUpdateTime: undefined,
    lastProbeTime: undefined,
    lastHeartbeatTime: undefined,
    reason,
    message,
  };
}

/** The status to report for `pod` given what the runtime shows (see the module comment). Pure. */
export function computePodStatus(pod: Readonly<Pod>, obs: PodObservation, now: Date): PodStatus {
  const old = pod.status;
  const oldConditions = old?.conditions ?? [];
  const startTime = old?.startTime ?? now;
  if (obs.rejected) {
    return {
      phase: 'Failed',
      conditions: oldConditions.map((c) => ({ ...c })),
      message: obs.rejected.message,
      reason: obs.rejected.reason,
      hostIP: obs.hostIP,
      podIP: '',
      startTime,
      containerStatuses: [],
      podIPs: [],
      publishedPorts: [],
    };
  }
  const restartPolicy = pod.spec?.restartPolicy || 'Always';
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(c.name, c.image, restartPolicy, obs.containers.get(c.name), obs.runtime));
  const phase = podPhase(restartPolicy, statuses);
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const terminal = isTerminalPhase(phase);
  const allReady = unready.length === 0 && statuses.length > 0 && !terminal;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = terminal ? '' : `containers with unready status: [${unready.join(' ')}]`;
  const conditions = [
    condition('PodScheduled', true, oldConditions, now),
    condition('Initialized', true, oldConditions, now),
    condition('ContainersReady', allReady, oldConditions, now, allReady ? '' : notReadyReason, allReady ? '' : notReadyMessage),
    condition('Ready', allReady, oldConditions, now, allReady ? '' : notReadyReason, allReady ? '' : notReadyMessage),
  ];
  const podIP = obs.podIP;
  return {
    phase,
    conditions,
    message: '',
    reason: '',
    hostIP: obs.hostIP,
    podIP: podIP,
    startTime,
    containerStatuses: statuses,
    podIPs: podIP ? [{ ip: podIP }] : [],
    publishedPorts: (obs.publishedPorts ?? []).map((p) => ({ ...p })),
  };
}

/** Whether two statuses say the same (timestamps compared by value): the kubelet writes only changes. */
export function podStatusEqual(a: Readonly<PodStatus> | undefined, b: Readonly<PodStatus> | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(status: Readonly<PodStatus> | undefined): string {
  return JSON.stringify(status ?? {}, (_key, value: unknown) => {
    if (value === undefined || value === null || value === '' || value === false || (Array.isArray(value) && value.length === 0)) return undefined;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0) return undefined;
    return value;
  });
}
