/**
 * The pod status the kubelet reports, computed from the pod and what the runtime shows, without
 * I/O (Kubernetes' generateAPIPodStatus + getPhase + status/generate.go):
 *
 *   phase: an init container failed under restartPolicy Never ........................ Failed
 *          initializing (a regular init container not done, a sidecar not started)
 *            and no app container ever started ........................................ Pending
 *          any app container waiting for its first start ............................. Pending
 *          any container running (app, or sidecar) .................................... Running
 *          all app containers stopped: restartPolicy Always, or OnFailure with a failure Running (restarting)
 *                       all exited 0 .............................................. Succeeded
 *                       Never with a failure ...................................... Failed
 *          a pod refused by admission ............................................ Failed + reason
 *          (sidecars that stopped do not count; the plan stops them once the app containers are done)
 *   initContainerStatuses: as containerStatuses; a regular init container is ready once it exited 0.
 *   Before their first instance, containers wait with reason PodInitializing when the pod has init
 *   containers (ContainerCreating otherwise).
 *   conditions: PodScheduled; Initialized (False, ContainersNotInitialized, "containers with
 *   incomplete status: [a b]" until every regular init container exited 0 and every sidecar
 *   started, or an app container started; True, PodCompleted, when Succeeded), ContainersReady
 *   and Ready (every app container and sidecar ready). A condition keeps its lastTransitionTime
 *   while its status does not change.
 *   container started: running, and its startup probe succeeded (if it has one);
 *             ready: started, and its readiness probe succeeded (if it has one): the probe
 *             results come in the observation (ProberManager.containerStatus).
 */
import { isRestartableInitContainer, type Condition, type Container, type ContainerPort, type ContainerState, type ContainerStatus, type Pod, type PodStatus } from '@skiff/api';
import { containerIdUri, toContainerState, type ContainerStatusInfo, type PodSandbox } from '@skiff/runtime';
import { effectiveRestartPolicy, shouldRestart } from './pod-sync-plan';

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
  /** By container name (app and init containers). */
  containers: ReadonlyMap<string, ContainerObservation>;
  /** Runtime name for container ids ("docker", "hollow"). */
  runtime: string;
  /** Set when admission refused the pod. */
  rejected?: { reason: string; message: string };
  /** Set when the kubelet evicted the pod (reason Evicted): Failed, its containers as they ended. */
  evicted?: { reason: string; message: string };
  /** The ready sandbox's published ports (status.publishedPorts, see publishedPorts); none when unset. */
  publishedPorts?: readonly ContainerPort[];
}

/**
 * status.publishedPorts: each port the sandbox publishes on the node (hostIP:hostPort: only the
 * spec's ports with a hostPort), named as in the pod spec; empty without a ready sandbox.
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

/** The init containers and their statuses, for podPhase. */
export interface InitContainersObserved {
  containers: readonly Readonly<Container>[];
  statuses: readonly ContainerStatus[];
}

/** Whether an app container ever started: running, terminated, or waiting after a termination (Kubernetes' HasAnyRegularContainerStarted). */
export function anyAppContainerStarted(statuses: readonly ContainerStatus[]): boolean {
  return statuses.some((s) => !!s.state?.running || !!s.state?.terminated || (!!s.state?.waiting && !!s.lastState?.terminated));
}

/** Kubernetes' getPhase over the app containers' statuses and, if any, the init containers'. */
export function podPhase(restartPolicy: string, statuses: readonly ContainerStatus[], init: InitContainersObserved = { containers: [], statuses: [] }): string {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of init.containers) {
    const s = init.statuses.find((x) => x.name === c.name);
    if (isRestartableInitContainer(c)) {
      if (s?.state?.running) {
        if (!s.started) pendingInitialization++;
        running++;
      } else if (!s?.state?.terminated && !s?.lastState?.terminated) {
        pendingInitialization++;
        waiting++;
      }
      continue;
    }
    if (s?.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s?.state?.waiting && s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
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
  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !anyAppContainerStarted(statuses)) || waiting > 0) return 'Pending';
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

function containerStatus(
  container: Readonly<Container>,
  kind: 'app' | 'init' | 'sidecar',
  podRestartPolicy: string,
  obs: ContainerObservation | undefined,
  runtime: string,
  defaultWaiting: string,
): ContainerStatus {
  const current = obs?.current;
  let state: ContainerState = { waiting: { reason: defaultWaiting, message: '' } };
  let lastState: ContainerState = {};
  if (current) {
    state = toContainerState(current, runtime);
    if (obs?.previous) lastState = terminatedState(obs.previous, runtime) ?? {};
  }
  if (obs?.waiting && (!current || shouldRestart(effectiveRestartPolicy(podRestartPolicy, kind), current))) {
    // A decided wait (crash loop, image pull) replaces the state; a stopped current instance becomes the last state.
    if (current && current.state === 'exited') lastState = terminatedState(current, runtime) ?? lastState;
    state = { waiting: { reason: obs.waiting.reason, message: obs.waiting.message } };
  }
  const running = !!state.running;
  // A regular init container has no probes: started while it runs, ready once it exited 0.
  const started = running && (kind === 'init' || (obs?.probe?.started ?? true));
  const ready = kind === 'init' ? state.terminated?.exitCode === 0 : started && (obs?.probe?.ready ?? true);
  return {
    name: container.name,
    state,
    lastState,
    ready,
    restartCount: current?.restartCount ?? 0,
    image: container.image,
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

/**
 * The Initialized condition (Kubernetes' GeneratePodInitializedCondition): True without init
 * containers, once every regular one exited 0 and every sidecar started, or once an app
 * container started (initialized before; sidecars restarting do not undo it); True with reason
 * PodCompleted when the pod Succeeded; else False, ContainersNotInitialized.
 */
function initializedCondition(
  inits: readonly Readonly<Container>[],
  initStatuses: readonly ContainerStatus[],
  appStatuses: readonly ContainerStatus[],
  phase: string,
  old: readonly Condition[],
  now: Date,
): Condition {
  if (inits.length === 0) return condition('Initialized', true, old, now);
  if (phase === 'Succeeded') return condition('Initialized', true, old, now, 'PodCompleted');
  if (anyAppContainerStarted(appStatuses)) return condition('Initialized', true, old, now);
  const incomplete = inits
    .filter((c, i) => (isRestartableInitContainer(c) ? !initStatuses[i].started : initStatuses[i].state?.terminated?.exitCode !== 0))
    .map((c) => c.name);
  if (incomplete.length === 0) return condition('Initialized', true, old, now);
  return condition('Initialized', false, old, now, 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`);
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
      initContainerStatuses: [],
      podIPs: [],
      publishedPorts: [],
    };
  }
  const restartPolicy = pod.spec?.restartPolicy || 'Always';
  const inits = pod.spec?.initContainers ?? [];
  const defaultWaiting = inits.length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(c, 'app', restartPolicy, obs.containers.get(c.name), obs.runtime, defaultWaiting));
  const initStatuses = inits.map((c) => containerStatus(c, isRestartableInitContainer(c) ? 'sidecar' : 'init', restartPolicy, obs.containers.get(c.name), obs.runtime, defaultWaiting));
  const phase = podPhase(restartPolicy, statuses, { containers: inits, statuses: initStatuses });
  const sidecarStatuses = initStatuses.filter((_s, i) => isRestartableInitContainer(inits[i]));
  const unready = [...sidecarStatuses, ...statuses].filter((s) => !s.ready).map((s) => s.name);
  const terminal = isTerminalPhase(phase);
  const allReady = unready.length === 0 && statuses.length > 0 && !terminal;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = terminal ? '' : `containers with unready status: [${unready.join(' ')}]`;
  const conditions = [
    condition('PodScheduled', true, oldConditions, now),
    initializedCondition(inits, initStatuses, statuses, phase, oldConditions, now),
    condition('ContainersReady', allReady, oldConditions, now, allReady ? '' : notReadyReason, allReady ? '' : notReadyMessage),
    condition('Ready', allReady, oldConditions, now, allReady ? '' : notReadyReason, allReady ? '' : notReadyMessage),
  ];
  const podIP = obs.podIP;
  return {
    phase: obs.evicted ? 'Failed' : phase,
    conditions,
    message: obs.evicted?.message ?? '',
    reason: obs.evicted?.reason ?? '',
    hostIP: obs.hostIP,
    podIP: podIP,
    startTime,
    containerStatuses: statuses,
    initContainerStatuses: initStatuses,
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
