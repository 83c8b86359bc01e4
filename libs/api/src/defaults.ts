/**
 * Defaulting by kind, as Kubernetes' defaulters do (restartPolicy Always, protocol TCP,
 * imagePullPolicy from the image tag, replicas 1, strategy RollingUpdate 25%/25%, ...).
 * CONTRACT: mutates `object` in place; only fills fields that are unset; runs before validation.
 * One exception, as in Kubernetes: a Secret's write-only stringData is merged into data (and
 * cleared), see mergeSecretStringData.
 */
import type {
  Container,
  Deployment,
  Endpoints,
  HorizontalPodAutoscaler,
  HPAScalingRules,
  Namespace,
  PodSpec,
  Probe,
  ReplicaSet,
  Secret,
  Service,
} from './gen';
import { intOrString, isIntOrStringEmpty } from './int-or-string';
import type { KindInfo, KubeObject } from './kinds';

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_HPA_CPU_UTILIZATION = 80;

/**
 * The pull policy Kubernetes picks for an image: Always for ":latest" or no tag, else
 * IfNotPresent (an image pinned by digest is IfNotPresent too).
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Probe | undefined): void {
  if (!probe) return;
  if (!probe.timeoutSeconds) probe.timeoutSeconds = 1;
  if (!probe.periodSeconds) probe.periodSeconds = 10;
  if (!probe.successThreshold) probe.successThreshold = 1;
  if (!probe.failureThreshold) probe.failureThreshold = 3;
  if (probe.httpGet) {
    if (!probe.httpGet.path) probe.httpGet.path = '/';
    if (!probe.httpGet.scheme) probe.httpGet.scheme = 'HTTP';
  }
}

function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy && c.image) c.imagePullPolicy = defaultPullPolicy(c.image);
  for (const port of c.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
  for (const env of c.env ?? []) if (env.valueFrom?.fieldRef && !env.valueFrom.fieldRef.apiVersion) env.valueFrom.fieldRef.apiVersion = 'v1';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  // As Kubernetes: a limit without a request makes the request equal to the limit.
  if (c.resources) {
    const limits = c.resources.limits ?? {};
    c.resources.requests ??= {};
    for (const [name, value] of Object.entries(limits)) if (!(name in c.resources.requests)) c.resources.requests[name] = value;
  }
}

/** Defaults a pod spec (also used for the templates of ReplicaSets and Deployments). */
export function applyPodSpecDefaults(spec: PodSpec | undefined): void {
  if (!spec) return;
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (!spec.schedulerName) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  for (const c of spec.containers ?? []) defaultContainer(c);
}

function defaultService(svc: Service): void {
  const spec = svc.spec;
  if (!spec) return;
  if (!spec.type) spec.type = 'ClusterIP';
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  for (const port of spec.ports ?? []) {
    if (!port.protocol) port.protocol = 'TCP';
    const target = port.targetPort?.value;
    const unset = isIntOrStringEmpty(port.targetPort) || (target?.$case === 'intVal' && target.value === 0) || (target?.$case === 'strVal' && target.value === '');
    if (unset && port.port) port.targetPort = intOrString(port.port);
  }
}

function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  if (rs.spec.replicas === undefined) rs.spec.replicas = 1;
  applyPodSpecDefaults(rs.spec.template?.spec);
}

function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  if (!spec) return;
  if (spec.replicas === undefined) spec.replicas = 1;
  spec.strategy ??= { type: '', rollingUpdate: undefined };
  if (!spec.strategy.type) spec.strategy.type = 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= { maxUnavailable: undefined, maxSurge: undefined };
    if (isIntOrStringEmpty(spec.strategy.rollingUpdate.maxUnavailable)) spec.strategy.rollingUpdate.maxUnavailable = intOrString('25%');
    if (isIntOrStringEmpty(spec.strategy.rollingUpdate.maxSurge)) spec.strategy.rollingUpdate.maxSurge = intOrString('25%');
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
  applyPodSpecDefaults(spec.template?.spec);
}

function defaultScalingRules(rules: HPAScalingRules | undefined, up: boolean): HPAScalingRules {
  const out = rules ?? { stabilizationWindowSeconds: undefined, selectPolicy: '', policies: [] };
  // Scale-down's window stays unset, as Kubernetes': the controller-manager's
  // --horizontal-pod-autoscaler-downscale-stabilization (300 s) applies.
  if (up && out.stabilizationWindowSeconds === undefined) out.stabilizationWindowSeconds = 0;
  if (!out.selectPolicy) out.selectPolicy = 'Max';
  if (!out.policies?.length) {
    out.policies = up
      ? [
          { type: 'Percent', value: 100, periodSeconds: 15 },
          { type: 'Pods', value: 4, periodSeconds: 15 },
        ]
      : [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
  return out;
}

function defaultHpa(hpa: HorizontalPodAutoscaler): void {
  const spec = hpa.spec;
  if (!spec) return;
  if (spec.minReplicas === undefined) spec.minReplicas = 1;
  if (!spec.metrics?.length) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', value: '', averageValue: '', averageUtilization: DEFAULT_HPA_CPU_UTILIZATION } } }];
  }
  // As Kubernetes: behaviour rules are filled in only when a behaviour is given.
  if (spec.behavior) {
    spec.behavior.scaleUp = defaultScalingRules(spec.behavior.scaleUp, true);
    spec.behavior.scaleDown = defaultScalingRules(spec.behavior.scaleDown, false);
  }
}

/**
 * Merges a Secret's write-only stringData into data (stringData wins on a shared key, as in
 * Kubernetes), then clears stringData.
 */
export function mergeSecretStringData(secret: Secret): void {
  const stringData = secret.stringData ?? {};
  if (Object.keys(stringData).length === 0) return;
  secret.data ??= {};
  for (const [key, value] of Object.entries(stringData)) secret.data[key] = Buffer.from(value, 'utf8');
  secret.stringData = {};
}

/** Fills the unset fields of an object of the given kind in place (see the file comment). */
export function applyDefaults(info: KindInfo, object: KubeObject): void {
  switch (info.kind) {
    case 'Pod':
      applyPodSpecDefaults((object as { spec?: PodSpec }).spec);
      break;
    case 'Service':
      defaultService(object as Service);
      break;
    case 'ReplicaSet':
      defaultReplicaSet(object as ReplicaSet);
      break;
    case 'Deployment':
      defaultDeployment(object as Deployment);
      break;
    case 'HorizontalPodAutoscaler':
      defaultHpa(object as HorizontalPodAutoscaler);
      break;
    case 'Namespace': {
      const ns = object as Namespace;
      ns.status ??= { phase: '', conditions: [] };
      if (!ns.status.phase) ns.status.phase = 'Active';
      break;
    }
    case 'Secret': {
      const secret = object as Secret;
      if (!secret.type) secret.type = 'Opaque';
      mergeSecretStringData(secret);
      break;
    }
    case 'Endpoints':
      for (const subset of (object as Endpoints).subsets ?? []) for (const port of subset.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
      break;
  }
}
