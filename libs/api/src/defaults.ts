/**
 * Defaulting by kind, as Kubernetes' defaulters do (restartPolicy Always, protocol TCP,
 * imagePullPolicy from the image tag, terminationMessagePath /dev/termination-log, volume file
 * modes 0644, a pod's serviceAccountName `default`, replicas 1, strategy RollingUpdate
 * 25%/25%, ...).
 * CONTRACT: mutates `object` in place; only fills fields that are unset; runs before validation.
 * One exception, as in Kubernetes: a Secret's write-only stringData is merged into data (and
 * cleared), see mergeSecretStringData.
 */
import type {
  Container,
  CronJob,
  DaemonSet,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  StatefulSet,
  StorageClass,
  Deployment,
  DownwardAPIVolumeFile,
  Endpoints,
  HorizontalPodAutoscaler,
  HPAScalingRules,
  HTTPGetAction,
  Job,
  JobSpec,
  Namespace,
  Pod,
  PodSpec,
  Probe,
  ReplicaSet,
  Secret,
  Service,
  Volume,
} from './gen';
import { intOrString, isIntOrStringEmpty } from './int-or-string';
import type { KindInfo, KubeObject } from './kinds';
import { POD_FIELD_SUPPORT } from './pod-field-support';

/**
 * Whether Skiff implements a pod field (message short name, JSON name). Defaults and admission
 * fill only implemented fields, so that a default never makes validation refuse a field the user
 * did not set (pod-field-support.ts refuses every field set that is not implemented yet).
 */
export type FieldImplemented = (message: string, field: string) => boolean;

/** FieldImplemented from POD_FIELD_SUPPORT: the field's row names a test. */
export const implementedPodField: FieldImplemented = (message, field) => {
  const row = POD_FIELD_SUPPORT[message]?.[field];
  return !!row && 'test' in row;
};

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_HPA_CPU_UTILIZATION = 80;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
export const DEFAULT_TERMINATION_MESSAGE_POLICY = 'File';
/** 0644: the mode of files in configMap, secret, downwardAPI and projected volumes (420 in decimal). */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;
/** The ServiceAccount a pod runs as when it names none. */
export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';

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
  defaultHttpGet(probe.httpGet);
}

/** As Kubernetes' SetDefaults_HTTPGetAction (probes and lifecycle hooks alike). */
function defaultHttpGet(get: HTTPGetAction | undefined): void {
  if (!get) return;
  if (!get.path) get.path = '/';
  if (!get.scheme) get.scheme = 'HTTP';
}

/** A downward API file's fieldRef apiVersion is v1 when unset (SetDefaults_ObjectFieldSelector). */
function defaultFieldRefs(items: readonly DownwardAPIVolumeFile[] | undefined): void {
  for (const item of items ?? []) if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
}

/** Volumes as Kubernetes: file modes 0644 unless given, downward API fieldRefs in v1. */
function defaultVolume(v: Volume): void {
  if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_VOLUME_FILE_MODE;
  if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_VOLUME_FILE_MODE;
  if (v.downwardAPI) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_VOLUME_FILE_MODE;
    defaultFieldRefs(v.downwardAPI.items);
  }
  if (v.projected) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_VOLUME_FILE_MODE;
    for (const source of v.projected.sources ?? []) defaultFieldRefs(source.downwardAPI?.items);
  }
}

function defaultContainer(c: Container, implemented: FieldImplemented): void {
  if (!c.imagePullPolicy && c.image) c.imagePullPolicy = defaultPullPolicy(c.image);
  for (const port of c.ports ?? []) if (!port.protocol) port.protocol = 'TCP';
  for (const env of c.env ?? []) if (env.valueFrom?.fieldRef && !env.valueFrom.fieldRef.apiVersion) env.valueFrom.fieldRef.apiVersion = 'v1';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHttpGet(c.lifecycle?.postStart?.httpGet);
  defaultHttpGet(c.lifecycle?.preStop?.httpGet);
  if (!c.terminationMessagePath && implemented('Container', 'terminationMessagePath')) c.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  if (!c.terminationMessagePolicy && implemented('Container', 'terminationMessagePolicy')) c.terminationMessagePolicy = DEFAULT_TERMINATION_MESSAGE_POLICY;
  // As Kubernetes: a limit without a request makes the request equal to the limit.
  if (c.resources) {
    const limits = c.resources.limits ?? {};
    c.resources.requests ??= {};
    for (const [name, value] of Object.entries(limits)) if (!(name in c.resources.requests)) c.resources.requests[name] = value;
  }
}

/**
 * Defaults a pod spec (also used for the templates of ReplicaSets and Deployments); fields that
 * `implemented` says Skiff does not implement yet keep their empty default.
 */
export function applyPodSpecDefaults(spec: PodSpec | undefined, implemented: FieldImplemented = implementedPodField): void {
  if (!spec) return;
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (!spec.schedulerName) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  for (const c of spec.containers ?? []) defaultContainer(c, implemented);
  for (const c of spec.initContainers ?? []) defaultContainer(c, implemented);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/**
 * A pod (not a template) runs as `default` when it names no ServiceAccount, as Kubernetes'
 * ServiceAccount admission sets it (templates keep it empty, as Kubernetes' do).
 */
function defaultPod(pod: Pod, implemented: FieldImplemented): void {
  applyPodSpecDefaults(pod.spec, implemented);
  if (pod.spec && !pod.spec.serviceAccountName && implemented('PodSpec', 'serviceAccountName')) pod.spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT_NAME;
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

function defaultReplicaSet(rs: ReplicaSet, implemented: FieldImplemented): void {
  if (!rs.spec) return;
  if (rs.spec.replicas === undefined) rs.spec.replicas = 1;
  applyPodSpecDefaults(rs.spec.template?.spec, implemented);
}

function defaultDeployment(d: Deployment, implemented: FieldImplemented): void {
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
  applyPodSpecDefaults(spec.template?.spec, implemented);
}

/** Kubernetes' DefaultBackoffLimit. */
export const DEFAULT_JOB_BACKOFF_LIMIT = 6;

/**
 * A Job spec as Kubernetes' SetDefaults_Job: parallelism 1 (and completions 1 when neither is
 * set), backoffLimit 6, completionMode NonIndexed, suspend false, pod condition patterns with
 * status True; and its pod template as any pod's.
 */
function defaultJobSpec(spec: JobSpec, implemented: FieldImplemented): void {
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  if (spec.parallelism === undefined) spec.parallelism = 1;
  if (spec.backoffLimit === undefined) spec.backoffLimit = DEFAULT_JOB_BACKOFF_LIMIT;
  if (!spec.completionMode) spec.completionMode = 'NonIndexed';
  if (spec.suspend === undefined) spec.suspend = false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) for (const pattern of rule.onPodConditions ?? []) if (!pattern.status) pattern.status = 'True';
  applyPodSpecDefaults(spec.template?.spec, implemented);
}

/** A Job: its spec (above); a Job without labels takes its pod template's, as Kubernetes'. */
function defaultJob(job: Job, implemented: FieldImplemented): void {
  if (!job.spec) return;
  defaultJobSpec(job.spec, implemented);
  const templateLabels = job.spec.template?.metadata?.labels ?? {};
  if (job.metadata && Object.keys(job.metadata.labels ?? {}).length === 0 && Object.keys(templateLabels).length > 0) job.metadata.labels = { ...templateLabels };
}

/**
 * A CronJob as Kubernetes' SetDefaults_CronJob: concurrencyPolicy Allow, suspend false, history
 * limits 3 successful and 1 failed; the Job template's pod template as any pod's (its Job fields
 * are defaulted when the Job is created, as in Kubernetes).
 */
function defaultCronJob(cronJob: CronJob, implemented: FieldImplemented): void {
  const spec = cronJob.spec;
  if (!spec) return;
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  if (spec.suspend === undefined) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined) spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit === undefined) spec.failedJobsHistoryLimit = 1;
  applyPodSpecDefaults(spec.jobTemplate?.spec?.template?.spec, implemented);
}

/** A DaemonSet as Kubernetes' SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, 10 revisions kept. */
function defaultDaemonSet(ds: DaemonSet, implemented: FieldImplemented): void {
  const spec = ds.spec;
  if (!spec) return;
  spec.updateStrategy ??= { type: '', rollingUpdate: undefined };
  if (!spec.updateStrategy.type) spec.updateStrategy.type = 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= { maxUnavailable: undefined, maxSurge: undefined };
    if (isIntOrStringEmpty(spec.updateStrategy.rollingUpdate.maxUnavailable)) spec.updateStrategy.rollingUpdate.maxUnavailable = intOrString(1);
    if (isIntOrStringEmpty(spec.updateStrategy.rollingUpdate.maxSurge)) spec.updateStrategy.rollingUpdate.maxSurge = intOrString(0);
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  applyPodSpecDefaults(spec.template?.spec, implemented);
}

/** A claim (or claim template) as Kubernetes: volumeMode Filesystem. */
function defaultPvcSpec(spec: PersistentVolumeClaimSpec | undefined): void {
  if (spec && spec.volumeMode === undefined) spec.volumeMode = 'Filesystem';
}

/**
 * A StatefulSet as Kubernetes' SetDefaults_StatefulSet: 1 replica, OrderedReady, RollingUpdate
 * from partition 0, 10 revisions kept, claims retained when deleted or scaled down; its claim
 * templates and pod template as claims' and pods'.
 */
function defaultStatefulSet(sts: StatefulSet, implemented: FieldImplemented): void {
  const spec = sts.spec;
  if (!spec) return;
  if (spec.replicas === undefined) spec.replicas = 1;
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  spec.updateStrategy ??= { type: '', rollingUpdate: undefined };
  if (!spec.updateStrategy.type) spec.updateStrategy.type = 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= { partition: undefined, maxUnavailable: undefined };
    if (spec.updateStrategy.rollingUpdate.partition === undefined) spec.updateStrategy.rollingUpdate.partition = 0;
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: '', whenScaled: '' };
  if (!spec.persistentVolumeClaimRetentionPolicy.whenDeleted) spec.persistentVolumeClaimRetentionPolicy.whenDeleted = 'Retain';
  if (!spec.persistentVolumeClaimRetentionPolicy.whenScaled) spec.persistentVolumeClaimRetentionPolicy.whenScaled = 'Retain';
  for (const template of spec.volumeClaimTemplates ?? []) defaultPvcSpec(template.spec);
  applyPodSpecDefaults(spec.template?.spec, implemented);
}

/** A volume as Kubernetes: reclaim policy Retain, volumeMode Filesystem. */
function defaultPv(pv: PersistentVolume): void {
  if (!pv.spec) return;
  if (!pv.spec.persistentVolumeReclaimPolicy) pv.spec.persistentVolumeReclaimPolicy = 'Retain';
  if (pv.spec.volumeMode === undefined) pv.spec.volumeMode = 'Filesystem';
}

/** A StorageClass as Kubernetes: reclaim policy Delete, binding mode Immediate. */
function defaultStorageClass(sc: StorageClass): void {
  if (sc.reclaimPolicy === undefined) sc.reclaimPolicy = 'Delete';
  if (sc.volumeBindingMode === undefined) sc.volumeBindingMode = 'Immediate';
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

/**
 * Fills the unset fields of an object of the given kind in place (see the file comment); pod
 * fields only where `implemented` (default: the field table) says Skiff implements them.
 */
export function applyDefaults(info: KindInfo, object: KubeObject, implemented: FieldImplemented = implementedPodField): void {
  switch (info.kind) {
    case 'Pod':
      defaultPod(object as Pod, implemented);
      break;
    case 'Service':
      defaultService(object as Service);
      break;
    case 'ReplicaSet':
      defaultReplicaSet(object as ReplicaSet, implemented);
      break;
    case 'Deployment':
      defaultDeployment(object as Deployment, implemented);
      break;
    case 'HorizontalPodAutoscaler':
      defaultHpa(object as HorizontalPodAutoscaler);
      break;
    case 'Job':
      defaultJob(object as Job, implemented);
      break;
    case 'CronJob':
      defaultCronJob(object as CronJob, implemented);
      break;
    case 'DaemonSet':
      defaultDaemonSet(object as DaemonSet, implemented);
      break;
    case 'StatefulSet':
      defaultStatefulSet(object as StatefulSet, implemented);
      break;
    case 'PersistentVolumeClaim':
      defaultPvcSpec((object as PersistentVolumeClaim).spec);
      break;
    case 'PersistentVolume':
      defaultPv(object as PersistentVolume);
      break;
    case 'StorageClass':
      defaultStorageClass(object as StorageClass);
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
