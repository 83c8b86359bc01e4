/**
 * What Skiff does with every field of a pod spec: one row per field of every message reachable
 * from PodSpec (containers, volumes, security contexts, probes ...), saying either which test
 * exercises it end to end or that the API refuses it (and why). This is how "accepted but
 * ignored" cannot come back:
 *  - pod-field-support.spec.ts fails when a proto field has no row, and when a row names a test
 *    file that does not exist or never mentions the field;
 *  - validation (refusedPodFields) rejects every refused field that is set, naming its path, so a
 *    field added to proto/ stays refused until someone implements it, tests it and says so here.
 * Rows are keyed by the message's short name (unique in skiff.core.v1) and the field's JSON name.
 * A field that Kubernetes has and proto/ does not is refused by the manifest parser ("unknown
 * field"), so only proto fields need rows.
 */
import type { FieldError } from './errors';
import { messageSchema, type MessageSchema } from './proto-schema';

/** A field that works as in Kubernetes, and the test file (from the repository root) that shows it. */
export interface Tested {
  test: string;
}
/** A field the API refuses when set, with the reason given in the error. */
export interface Refused {
  refused: string;
}
export type FieldSupport = Tested | Refused;

const E2E = 'apps/cluster-e2e/src';
const VALIDATION = 'libs/api/src/validation.spec.ts';
const t = (test: string): Tested => ({ test });
// A field not implemented yet gets a Refused row, `{ refused: 'why' }` (none today).

const PODS = t(`${E2E}/pods.spec.ts`);
const PVC_VOLUMES = t(`${E2E}/persistent-volumes.spec.ts`);
const PLACEMENT = t(`${E2E}/placement.spec.ts`);
const PROBES = t(`${E2E}/probes.spec.ts`);
const SERVICES = t(`${E2E}/services.spec.ts`);
const STATEFULSET = t(`${E2E}/statefulset.spec.ts`);
const DNS = t('libs/kubelet/src/pod-dns.spec.ts');
const VOLUMES = t(`${E2E}/pod-volumes.spec.ts`);
const VOLUME_MANAGER = t('libs/kubelet/src/volumes/volume-manager.int.spec.ts');
const PROJECTION = t('libs/kubelet/src/volumes/projection.spec.ts');
const CONTAINER_ENV = t('libs/kubelet/src/container-env.spec.ts');
const KUBELET_DOCKER = t('libs/kubelet/src/kubelet-docker.int.spec.ts');
const LIFECYCLE_E2E = t(`${E2E}/pod-lifecycle.spec.ts`);
const LIFECYCLE = t('libs/kubelet/src/lifecycle-hooks.spec.ts');
const SECURITY = t('libs/kubelet/src/security-context.spec.ts');

/** The root message of the table. */
export const POD_SPEC_TYPE = 'skiff.core.v1.PodSpec';

/** Every field of every message reachable from PodSpec: message short name -> JSON name -> support. */
export const POD_FIELD_SUPPORT: Readonly<Record<string, Readonly<Record<string, FieldSupport>>>> = {
  PodSpec: {
    containers: PODS,
    restartPolicy: PODS,
    terminationGracePeriodSeconds: PODS,
    nodeName: PLACEMENT,
    nodeSelector: PLACEMENT,
    affinity: PLACEMENT,
    tolerations: PLACEMENT,
    hostname: VOLUMES,
    subdomain: STATEFULSET,
    dnsPolicy: DNS,
    enableServiceLinks: t('libs/kubelet/src/service-env.spec.ts'),
    schedulerName: t('libs/scheduler/src/scheduler.int.spec.ts'),
    priority: t(VALIDATION),
    volumes: VOLUMES,
    dnsConfig: DNS,
    initContainers: LIFECYCLE_E2E,
    securityContext: LIFECYCLE_E2E,
    imagePullSecrets: LIFECYCLE_E2E,
    serviceAccountName: t('libs/controllers/src/serviceaccount/service-account-controller.int.spec.ts'),
  },
  Container: {
    name: PODS,
    image: PODS,
    command: PODS,
    args: t('libs/runtime/src/docker-runtime.int.spec.ts'),
    workingDir: t('libs/runtime/src/docker-runtime.int.spec.ts'),
    ports: SERVICES,
    env: t('libs/runtime/src/docker-runtime.int.spec.ts'),
    resources: PLACEMENT,
    livenessProbe: PROBES,
    readinessProbe: PROBES,
    startupProbe: PROBES,
    imagePullPolicy: PODS,
    volumeMounts: VOLUMES,
    stdin: t('libs/runtime/src/pure-helpers.spec.ts'),
    tty: t('libs/runtime/src/docker-runtime.int.spec.ts'),
    envFrom: VOLUMES,
    securityContext: LIFECYCLE_E2E,
    lifecycle: LIFECYCLE_E2E,
    terminationMessagePath: VOLUMES,
    terminationMessagePolicy: KUBELET_DOCKER,
    restartPolicy: LIFECYCLE_E2E,
    stdinOnce: t('libs/runtime/src/pure-helpers.spec.ts'),
  },
  ContainerPort: { name: SERVICES, hostPort: SERVICES, containerPort: SERVICES, protocol: SERVICES, hostIP: t('libs/runtime/src/pure-helpers.spec.ts') },
  EnvVar: { name: PODS, value: PODS, valueFrom: VOLUMES },
  EnvVarSource: { fieldRef: VOLUMES, configMapKeyRef: VOLUMES, secretKeyRef: VOLUMES, resourceFieldRef: VOLUMES },
  ObjectFieldSelector: { apiVersion: CONTAINER_ENV, fieldPath: VOLUMES },
  ConfigMapKeySelector: { name: VOLUMES, key: VOLUMES, optional: VOLUMES },
  SecretKeySelector: { name: VOLUMES, key: VOLUMES, optional: CONTAINER_ENV },
  ResourceFieldSelector: { containerName: VOLUMES, resource: VOLUMES, divisor: VOLUMES },
  ResourceRequirements: { limits: t(`${E2E}/top.spec.ts`), requests: PLACEMENT },
  Probe: {
    exec: PROBES,
    httpGet: PROBES,
    tcpSocket: PROBES,
    initialDelaySeconds: t('libs/kubelet/src/prober-manager.spec.ts'),
    timeoutSeconds: PROBES,
    periodSeconds: PROBES,
    successThreshold: t('libs/kubelet/src/prober-manager.spec.ts'),
    failureThreshold: PROBES,
    terminationGracePeriodSeconds: t('libs/kubelet/src/pod-sync-plan.spec.ts'),
  },
  ExecAction: { command: PROBES },
  HTTPGetAction: { path: PROBES, port: PROBES, host: t('libs/kubelet/src/probe-runner.int.spec.ts'), scheme: t('libs/kubelet/src/probe-runner.int.spec.ts'), httpHeaders: t('libs/kubelet/src/probe-runner.int.spec.ts') },
  HTTPHeader: { name: t('libs/kubelet/src/probe-runner.int.spec.ts'), value: t('libs/kubelet/src/probe-runner.int.spec.ts') },
  TCPSocketAction: { port: PROBES, host: t('libs/kubelet/src/probe-runner.int.spec.ts') },
  VolumeMount: { name: VOLUMES, mountPath: VOLUMES, readOnly: VOLUMES, subPath: VOLUME_MANAGER },
  EnvFromSource: { prefix: VOLUMES, configMapRef: VOLUMES, secretRef: CONTAINER_ENV },
  ConfigMapEnvSource: { name: VOLUMES, optional: CONTAINER_ENV },
  SecretEnvSource: { name: CONTAINER_ENV, optional: CONTAINER_ENV },
  SecurityContext: {
    capabilities: SECURITY,
    privileged: SECURITY,
    runAsUser: LIFECYCLE_E2E,
    runAsGroup: SECURITY,
    runAsNonRoot: SECURITY,
    readOnlyRootFilesystem: LIFECYCLE_E2E,
    allowPrivilegeEscalation: LIFECYCLE_E2E,
    procMount: t(VALIDATION),
  },
  Capabilities: { add: SECURITY, drop: LIFECYCLE_E2E },
  Lifecycle: { postStart: LIFECYCLE_E2E, preStop: LIFECYCLE_E2E },
  LifecycleHandler: { exec: LIFECYCLE_E2E, httpGet: LIFECYCLE, sleep: LIFECYCLE },
  SleepAction: { seconds: LIFECYCLE },
  Affinity: { nodeAffinity: PLACEMENT },
  NodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: PLACEMENT, preferredDuringSchedulingIgnoredDuringExecution: PLACEMENT },
  NodeSelector: { nodeSelectorTerms: PLACEMENT },
  NodeSelectorTerm: { matchExpressions: PLACEMENT, matchFields: t('libs/scheduler/src/plugins/node-affinity.spec.ts') },
  NodeSelectorRequirement: { key: PLACEMENT, operator: PLACEMENT, values: PLACEMENT },
  PreferredSchedulingTerm: { weight: PLACEMENT, preference: PLACEMENT },
  Toleration: { key: PLACEMENT, operator: PLACEMENT, value: PLACEMENT, effect: PLACEMENT, tolerationSeconds: t('libs/controllers/src/node-lifecycle/node-lifecycle.int.spec.ts') },
  Volume: { name: VOLUMES, emptyDir: VOLUMES, configMap: VOLUMES, secret: VOLUMES, hostPath: LIFECYCLE_E2E, downwardAPI: VOLUMES, projected: VOLUME_MANAGER, persistentVolumeClaim: PVC_VOLUMES },
  PersistentVolumeClaimVolumeSource: { claimName: PVC_VOLUMES, readOnly: PVC_VOLUMES },
  EmptyDirVolumeSource: { medium: VOLUMES, sizeLimit: VOLUMES },
  ConfigMapVolumeSource: { name: VOLUMES, optional: VOLUME_MANAGER, items: VOLUMES, defaultMode: VOLUMES },
  KeyToPath: { key: VOLUMES, path: VOLUMES, mode: PROJECTION },
  SecretVolumeSource: { secretName: VOLUMES, optional: VOLUME_MANAGER, items: PROJECTION, defaultMode: PROJECTION },
  HostPathVolumeSource: { path: LIFECYCLE_E2E, type: LIFECYCLE_E2E },
  DownwardAPIVolumeSource: { items: VOLUMES, defaultMode: PROJECTION },
  DownwardAPIVolumeFile: { path: VOLUMES, fieldRef: VOLUMES, resourceFieldRef: VOLUMES, mode: PROJECTION },
  ProjectedVolumeSource: { sources: VOLUME_MANAGER, defaultMode: PROJECTION },
  VolumeProjection: { secret: PROJECTION, configMap: PROJECTION, downwardAPI: PROJECTION },
  SecretProjection: { name: PROJECTION, items: PROJECTION, optional: PROJECTION },
  ConfigMapProjection: { name: PROJECTION, items: PROJECTION, optional: PROJECTION },
  DownwardAPIProjection: { items: PROJECTION },
  PodDNSConfig: { nameservers: DNS, searches: DNS, options: DNS },
  PodDNSConfigOption: { name: DNS, value: DNS },
  PodSecurityContext: { runAsUser: LIFECYCLE_E2E, runAsGroup: LIFECYCLE_E2E, runAsNonRoot: LIFECYCLE_E2E, supplementalGroups: SECURITY, fsGroup: LIFECYCLE_E2E },
  LocalObjectReference: { name: LIFECYCLE_E2E },
};

/** Every message type reachable from PodSpec (fully qualified), PodSpec first. */
export function podSpecMessageTypes(): string[] {
  const seen: string[] = [];
  const walk = (typeName: string): void => {
    if (seen.includes(typeName)) return;
    seen.push(typeName);
    for (const f of messageSchema(typeName).fields) if (f.shape.kind === 'message') walk(f.shape.typeName);
  };
  walk(POD_SPEC_TYPE);
  return seen;
}

function shortName(schema: MessageSchema): string {
  return schema.typeName.slice(schema.typeName.lastIndexOf('.') + 1);
}

/** A field holds something other than its default (unset, '', 0, false, [] and {} count as absent). */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true; // a message counts as set even when empty (`emptyDir: {}`)
}

/**
 * The errors for every refused field set in `spec` (a PodSpec under `path`): "Forbidden: <reason>"
 * naming the field's path. Pure; walks the object against the proto schema.
 */
export function refusedPodFields(spec: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const visit = (value: unknown, typeName: string, at: string): void => {
    if (!value || typeof value !== 'object') return;
    const schema = messageSchema(typeName);
    const rows = POD_FIELD_SUPPORT[shortName(schema)] ?? {};
    for (const field of schema.fields) {
      const v = (value as Record<string, unknown>)[field.jsonName];
      if (!isSet(v) || (field.mapValue && Object.keys(v as object).length === 0)) continue;
      const fieldPath = `${at}.${field.jsonName}`;
      const row = rows[field.jsonName];
      if (!row || 'refused' in row) {
        errs.push({ field: fieldPath, detail: `Forbidden: ${row ? row.refused : 'not supported by Skiff'}` });
        continue;
      }
      if (field.shape.kind !== 'message' || field.mapValue) continue;
      const nested = field.shape.typeName;
      if (field.repeated) (v as unknown[]).forEach((item, i) => visit(item, nested, `${fieldPath}[${i}]`));
      else visit(v, nested, fieldPath);
    }
  };
  visit(spec, POD_SPEC_TYPE, path);
  return errs;
}
