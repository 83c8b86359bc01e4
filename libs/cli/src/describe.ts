/**
 * `skiff describe`'s text, kubectl style: Name, Namespace, Labels, Annotations, then what matters
 * for the kind (pods: service account, node, phase, init containers and containers with their
 * state, env, envFrom and mounts, conditions, volumes with their sources; replicas; ports; data...),
 * then the object's events. Pure: objects and a clock in, text out.
 *
 * It prints the spec as kubectl does and nothing about what the kubelet did with it beyond the
 * status the kubelet reported: `<set to the key 'k' of config map 'c'>` names where a variable
 * comes from, not a value; fieldRef values are read from the pod object itself, as kubectl's.
 */
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@skiff/api';
import { describePersistentVolume, describePersistentVolumeClaim, describeStorageClass } from './describe-storage';
import { stringify } from 'yaml';
import {
  compareQuantities, containerResourceValue, intOrStringValue, podMetadataFieldValue, splitSubscriptedFieldPath,
  type ConfigMap, type Container, type ContainerState, type ContainerStatus, type CronJob, type DaemonSet, type Deployment, type Event, type HorizontalPodAutoscaler, type Job, type KindInfo, type KubeObject,
  type Namespace, type Node, type Pod, type PodDisruptionBudget, type PodTemplateSpec, type Probe, type ReplicaSet, type ResourceFieldSelector, type Secret, type Service, type ServiceAccount,
  type StatefulSet, type Volume,
} from '@skiff/api';
import { ageOf } from './age';
import { describeHpa } from './describe-hpa';
import { describePodDisruptionBudget } from './describe-pdb';
import { describeDaemonSet } from './describe-daemonset';
import { describeStatefulSet } from './statefulset-cli';
import { describeCronJob, describeJob } from './describe-job';
import { annotationEntries, describeTime, labelEntries } from './describe-fields';
import { formatLabelSelector } from './table-columns';
import { renderTable } from './table';

/**
 * Go's text/tabwriter (padding 2, no flags) over rows of cells: a column's width is decided per
 * run of consecutive rows that have a cell in that column followed by another cell.
 */
export function tabAlign(rows: readonly (readonly string[])[], padding = 2): string[] {
  const out = rows.map(() => '');
  const format = (widths: number[], from: number, to: number): void => {
    const column = widths.length;
    let start = from;
    for (let i = from; i < to; i++) {
      if (column >= rows[i].length - 1) continue;
      write(widths, start, i);
      let width = 0;
      const blockStart = i;
      for (; i < to && column < rows[i].length - 1; i++) width = Math.max(width, rows[i][column].length + padding);
      format([...widths, width], blockStart, i);
      start = i;
      i--;
    }
    write(widths, start, to);
  };
  const write = (widths: number[], from: number, to: number): void => {
    for (let i = from; i < to; i++) out[i] = rows[i].map((cell, j) => (j < widths.length ? cell.padEnd(widths[j]) : cell)).join('');
  };
  format([], 0, rows.length);
  return out;
}

/** Lines with two-space indentation levels and aligned "Key:  value" pairs. */
class Describer {
  readonly lines: string[] = [];

  field(level: number, key: string, value: string | number | undefined, width = 20): void {
    const label = `${key}:`;
    const text = value === undefined || value === '' ? '' : String(value);
    this.lines.push(`${'  '.repeat(level)}${text ? label.padEnd(Math.max(width - level * 2, label.length + 2)) + text : label}`.trimEnd());
  }

  /** "Labels:  a=1" then each further entry on its own line, aligned under the first. */
  map(level: number, key: string, map: Readonly<Record<string, string>> | undefined, width = 20): void {
    this.entries(level, key, labelEntries(map), width);
  }

  /** "Annotations:  k: v" as kubectl prints annotations (describe-fields.ts), aligned as map(). */
  annotations(level: number, key: string, map: Readonly<Record<string, string>> | undefined, width = 20): void {
    this.entries(level, key, annotationEntries(map), width);
  }

  private entries(level: number, key: string, entries: readonly string[], width: number): void {
    if (entries.length === 0) return this.field(level, key, '<none>', width);
    const pad = Math.max(width - level * 2, key.length + 3);
    entries.forEach((e, i) => this.lines.push(`${'  '.repeat(level)}${(i === 0 ? `${key}:` : '').padEnd(pad)}${e}`));
  }

  line(level: number, text: string): void {
    this.lines.push(`${'  '.repeat(level)}${text}`.trimEnd());
  }

  /** "Key:" then one "name:  value" line per entry, indented (resource lists: Limits, Capacity). */
  nested(level: number, key: string, map: Readonly<Record<string, string>> | undefined): void {
    this.line(level, `${key}:`);
    this.rows(level + 1, Object.keys(map ?? {}).sort().map((k) => [`${k}:`, map![k]]));
  }

  /**
   * Rows of cells aligned as kubectl's tabwriter aligns a block of tab-separated lines (each
   * column as wide as its widest cell plus two spaces, the last cell of a row never padded).
   */
  rows(level: number, rows: readonly (readonly string[])[]): void {
    const indent = '  '.repeat(level);
    for (const l of tabAlign(rows.map((r) => r.map((cell, i) => (i === 0 ? indent + cell : cell))))) this.lines.push(l.trimEnd());
  }

  /** kubectl's DescribePodTemplate: "Pod Template:", its labels, containers and volumes. */
  podTemplate(template: PodTemplateSpec | undefined): void {
    describeTemplate(this, template);
  }

  /** A YAML block (for fields with no dedicated layout). */
  yaml(level: number, key: string, value: unknown): void {
    if (value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) return;
    this.line(level, `${key}:`);
    for (const l of stringify(value).trimEnd().split('\n')) this.line(level + 1, l);
  }
}

export { describeTime } from './describe-fields';

/**
 * A probe as kubectl's DescribeProbe prints it: "http-get http://:8080/healthz delay=0s
 * timeout=1s period=10s #success=1 #failure=3", "exec [cat /tmp/ok] ...", "tcp-socket :5432 ...".
 */
export function describeProbe(probe: Readonly<Probe>): string {
  const attrs = `delay=${probe.initialDelaySeconds}s timeout=${probe.timeoutSeconds}s period=${probe.periodSeconds}s #success=${probe.successThreshold} #failure=${probe.failureThreshold}`;
  if (probe.exec) return `exec [${probe.exec.command.join(' ')}] ${attrs}`;
  if (probe.httpGet) {
    const get = probe.httpGet;
    const port = String(intOrStringValue(get.port) ?? '');
    const host = port ? `${get.host.includes(':') ? `[${get.host}]` : get.host}:${port}` : get.host;
    return `http-get ${get.scheme.toLowerCase()}://${host}${get.path} ${attrs}`;
  }
  if (probe.tcpSocket) return `tcp-socket ${probe.tcpSocket.host}:${String(intOrStringValue(probe.tcpSocket.port) ?? '')} ${attrs}`;
  return `unknown ${attrs}`;
}

/** "State:" or "Last State:" and its details, as kubectl's describeStatus. */
function describeState(d: Describer, level: number, name: string, state: ContainerState | undefined): void {
  if (state?.running) {
    d.field(level, name, 'Running');
    d.field(level + 1, 'Started', describeTime(state.running.startedAt));
  } else if (state?.terminated) {
    const t = state.terminated;
    d.field(level, name, 'Terminated');
    if (t.reason) d.field(level + 1, 'Reason', t.reason);
    if (t.message) d.field(level + 1, 'Message', t.message);
    d.field(level + 1, 'Exit Code', t.exitCode);
    if (t.signal > 0) d.field(level + 1, 'Signal', t.signal);
    d.field(level + 1, 'Started', describeTime(t.startedAt));
    d.field(level + 1, 'Finished', describeTime(t.finishedAt));
  } else {
    d.field(level, name, 'Waiting');
    if (state?.waiting?.reason) d.field(level + 1, 'Reason', state.waiting.reason);
  }
}

/**
 * What kubectl's EnvValueRetriever shows for a fieldRef: the pod's own metadata.name, namespace,
 * uid, labels['k'] and annotations['k']; "" for other paths (spec.nodeName, status.podIP...) and
 * for templates, which have no pod.
 */
export function resolveFieldRef(fieldPath: string, pod: Readonly<Pod> | undefined): string {
  if (!pod?.metadata) return '';
  const { path, subscript } = splitSubscriptedFieldPath(fieldPath);
  const shown = subscript !== undefined ? path === 'metadata.labels' || path === 'metadata.annotations' : KUBECTL_FIELD_PATHS.has(fieldPath);
  return shown ? podMetadataFieldValue(pod, fieldPath) : '';
}

/** The fieldRef paths (besides labels['k'] and annotations['k']) whose value kubectl's describe shows. */
const KUBECTL_FIELD_PATHS: ReadonlySet<string> = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid']);

/**
 * kubectl's ExtractContainerResourceValue for the described container (@skiff/api's
 * containerResourceValue without a node allocatable: an unset limit is 0): the limit or request
 * divided by the divisor (unset or 0: 1), rounded up; CPU in cores, the rest in bytes. "" when
 * the resource is not one of limits/requests.cpu/memory/ephemeral-storage or a quantity is invalid.
 */
export function kubectlResourceFieldValue(ref: Readonly<ResourceFieldSelector>, container: Readonly<Container>): string {
  try {
    return containerResourceValue(container, ref.resource, ref.divisor);
  } catch {
    return '';
  }
}

/** The rows of kubectl's describeContainerEnvVars: [NAME:, value or source, Optional: x]. */
function envRows(container: Readonly<Container>, pod: Readonly<Pod> | undefined): string[][] {
  const rows: string[][] = [];
  for (const env of container.env) {
    const from = env.valueFrom;
    if (!from) {
      env.value.split('\n').forEach((line, i) => rows.push([i === 0 ? `${env.name}:` : '', line]));
    } else if (from.fieldRef) {
      rows.push([`${env.name}:`, `${resolveFieldRef(from.fieldRef.fieldPath, pod)} (${from.fieldRef.apiVersion || 'v1'}:${from.fieldRef.fieldPath})`]);
    } else if (from.resourceFieldRef) {
      // kubectl reads the described container; a containerName naming another container of the pod is read there (what the kubelet sets).
      const named = from.resourceFieldRef.containerName;
      const target = (named && [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find((c) => c.name === named)) || container;
      const resource = from.resourceFieldRef.resource;
      let value = kubectlResourceFieldValue(from.resourceFieldRef, target);
      if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) value = 'node allocatable';
      rows.push([`${env.name}:`, `${value} (${resource})`]);
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      rows.push([`${env.name}:`, `<set to the key '${ref.key}' in secret '${ref.name}'>`, `Optional: ${ref.optional === true}`]);
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      rows.push([`${env.name}:`, `<set to the key '${ref.key}' of config map '${ref.name}'>`, `Optional: ${ref.optional === true}`]);
    }
  }
  return rows;
}

/** The rows of kubectl's describeContainerEnvFrom: [name, ConfigMap|Secret (with prefix 'p'), Optional: x]. */
function envFromRows(container: Readonly<Container>): string[][] {
  return container.envFrom.map((e) => {
    const [from, name, optional] = e.configMapRef
      ? ['ConfigMap', e.configMapRef.name, e.configMapRef.optional === true]
      : e.secretRef
        ? ['Secret', e.secretRef.name, e.secretRef.optional === true]
        : ['', '', false];
    return [name, e.prefix ? `${from} with prefix '${e.prefix}'` : from, `Optional: ${optional}`];
  });
}

/** "/etc/config from cfg (ro)", "/data from data (rw,path=\"sub\")": kubectl's describeContainerVolumes, sorted by path. */
export function describeMounts(container: Readonly<Container>): string[] {
  return [...container.volumeMounts]
    .sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0))
    .map((m) => `${m.mountPath} from ${m.name} (${[m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])].join(',')})`);
}

/** One container as kubectl's describeContainers prints it; `status` only for pods (not templates). */
function describeContainer(d: Describer, level: number, container: Container, status: ContainerStatus | undefined, pod: Pod | undefined): void {
  d.line(level, `${container.name}:`);
  const l = level + 1;
  if (status) d.field(l, 'Container ID', status.containerID);
  d.field(l, 'Image', container.image);
  if (status) d.field(l, 'Image ID', status.imageID);
  const ports = container.ports.map((port) => `${port.containerPort}/${port.protocol || 'TCP'}`).join(', ');
  d.field(l, ports.includes(',') ? 'Ports' : 'Port', ports || '<none>');
  for (const [key, list] of [['Command', container.command], ['Args', container.args]] as const) {
    if (list.length === 0) continue;
    d.line(l, `${key}:`);
    for (const part of list) for (const text of part.split('\n')) d.line(l + 1, text);
  }
  if (status) {
    describeState(d, l, 'State', status.state);
    if (status.lastState?.terminated) describeState(d, l, 'Last State', status.lastState);
    d.field(l, 'Ready', status.ready ? 'True' : 'False');
    d.field(l, 'Restart Count', status.restartCount);
  }
  const resources = container.resources;
  if (resources && Object.keys(resources.limits).length) d.nested(l, 'Limits', resources.limits);
  if (resources && Object.keys(resources.requests).length) d.nested(l, 'Requests', resources.requests);
  if (container.livenessProbe) d.field(l, 'Liveness', describeProbe(container.livenessProbe));
  if (container.readinessProbe) d.field(l, 'Readiness', describeProbe(container.readinessProbe));
  if (container.startupProbe) d.field(l, 'Startup', describeProbe(container.startupProbe));
  if (container.envFrom.length) {
    d.line(l, 'Environment Variables from:');
    d.rows(l + 1, envFromRows(container));
  }
  if (container.env.length === 0) d.field(l, 'Environment', '<none>');
  else {
    d.line(l, 'Environment:');
    d.rows(l + 1, envRows(container, pod));
  }
  const mounts = describeMounts(container);
  if (mounts.length === 0) d.field(l, 'Mounts', '<none>');
  else {
    d.line(l, 'Mounts:');
    for (const m of mounts) d.line(l + 1, m);
  }
}

/** "Init Containers:" / "Containers:" and each container (kubectl's describeContainers). */
function describeContainers(d: Describer, level: number, label: string, containers: readonly Container[], statuses: readonly ContainerStatus[] | undefined, pod: Pod | undefined): void {
  d.line(level, containers.length ? `${label}:` : `${label}: <none>`);
  for (const c of containers) describeContainer(d, level + 1, c, statuses?.find((s) => s.name === c.name), pod);
}

/** The lines under a volume's name, as kubectl's print<Source>VolumeSource (rows: tab-aligned cells). */
export function describeVolumeSource(volume: Readonly<Volume>): { rows: string[][]; items?: string[] } {
  const optional = (value: boolean | undefined) => String(value === true);
  if (volume.hostPath) {
    return { rows: [['Type:', 'HostPath (bare host directory volume)'], ['Path:', volume.hostPath.path], ['HostPathType:', volume.hostPath.type]] };
  }
  if (volume.persistentVolumeClaim) {
    const claim = volume.persistentVolumeClaim;
    return { rows: [['Type:', 'PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)'], ['ClaimName:', claim.claimName], ['ReadOnly:', String(claim.readOnly)]] };
  }
  if (volume.emptyDir) {
    const size = volume.emptyDir.sizeLimit;
    let positive = false;
    try {
      positive = !!size && compareQuantities(size, '0') > 0;
    } catch {
      positive = false;
    }
    return { rows: [['Type:', "EmptyDir (a temporary directory that shares a pod's lifetime)"], ['Medium:', volume.emptyDir.medium], ['SizeLimit:', positive ? size : '<unset>']] };
  }
  if (volume.secret) {
    return { rows: [['Type:', 'Secret (a volume populated by a Secret)'], ['SecretName:', volume.secret.secretName], ['Optional:', optional(volume.secret.optional)]] };
  }
  if (volume.configMap) {
    return { rows: [['Type:', 'ConfigMap (a volume populated by a ConfigMap)'], ['Name:', volume.configMap.name], ['Optional:', optional(volume.configMap.optional)]] };
  }
  if (volume.downwardAPI) {
    const items = volume.downwardAPI.items.flatMap((item) => [
      ...(item.fieldRef ? [`${item.fieldRef.fieldPath} -> ${item.path}`] : []),
      ...(item.resourceFieldRef ? [`${item.resourceFieldRef.resource} -> ${item.path}`] : []),
    ]);
    return { rows: [['Type:', 'DownwardAPI (a volume populated by information about the pod)']], items };
  }
  if (volume.projected) {
    const rows = [['Type:', 'Projected (a volume that contains injected data from multiple sources)']];
    for (const source of volume.projected.sources) {
      if (source.secret) rows.push(['SecretName:', source.secret.name], ['Optional:', optional(source.secret.optional)]);
      else if (source.downwardAPI) rows.push(['DownwardAPI:', 'true']);
      else if (source.configMap) rows.push(['ConfigMapName:', source.configMap.name], ['Optional:', optional(source.configMap.optional)]);
    }
    return { rows };
  }
  return { rows: [] };
}

/** kubectl's describeVolumes: "Volumes:" then each volume's name and source. */
function describeVolumes(d: Describer, level: number, volumes: readonly Volume[]): void {
  if (volumes.length === 0) return d.field(level, 'Volumes', '<none>');
  d.line(level, 'Volumes:');
  for (const volume of volumes) {
    d.line(level + 1, `${volume.name}:`);
    const { rows, items } = describeVolumeSource(volume);
    if (rows.length === 0) {
      d.line(level + 1, '<unknown>');
      continue;
    }
    d.rows(level + 2, rows);
    if (items) {
      d.line(level + 2, 'Items:');
      for (const item of items) d.line(level + 3, item);
    }
  }
}

function describeTemplate(d: Describer, template: PodTemplateSpec | undefined): void {
  d.line(0, 'Pod Template:');
  d.map(1, 'Labels', template?.metadata?.labels);
  const spec = template?.spec;
  if (spec?.serviceAccountName) d.field(1, 'Service Account', spec.serviceAccountName);
  if (spec?.initContainers.length) describeContainers(d, 1, 'Init Containers', spec.initContainers, undefined, undefined);
  describeContainers(d, 1, 'Containers', spec?.containers ?? [], undefined, undefined);
  describeVolumes(d, 1, spec?.volumes ?? []);
}

/** The "Pod Template:" block describe prints for Deployments and ReplicaSets (also `rollout history --revision`). */
export function describePodTemplate(template: PodTemplateSpec | undefined): string {
  const d = new Describer();
  describeTemplate(d, template);
  return `${d.lines.join('\n')}\n`;
}

function describeKind(d: Describer, info: KindInfo, object: KubeObject, now: Date): void {
  switch (info.resource) {
    case 'pods': {
      const pod = object as Pod;
      const spec = pod.spec;
      const phase = pod.status?.phase ?? '';
      if (spec?.serviceAccountName) d.field(0, 'Service Account', spec.serviceAccountName);
      d.field(0, 'Node', spec?.nodeName ? `${spec.nodeName}/${pod.status?.hostIP ?? ''}` : '<none>');
      if (pod.status?.startTime) d.field(0, 'Start Time', describeTime(pod.status.startTime));
      if (pod.metadata?.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded') {
        d.field(0, 'Status', `Terminating (lasts ${ageOf(pod.metadata.deletionTimestamp, now)})`);
        d.field(0, 'Termination Grace Period', `${pod.metadata.deletionGracePeriodSeconds ?? 0}s`);
      } else {
        d.field(0, 'Status', phase);
      }
      if (pod.status?.reason) d.field(0, 'Reason', pod.status.reason);
      if (pod.status?.message) d.field(0, 'Message', pod.status.message);
      d.field(0, 'IP', pod.status?.podIP || '<none>');
      const owner = pod.metadata?.ownerReferences.find((o) => o.controller);
      if (owner) d.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
      if (spec?.initContainers.length) describeContainers(d, 0, 'Init Containers', spec.initContainers, pod.status?.initContainerStatuses ?? [], pod);
      describeContainers(d, 0, 'Containers', spec?.containers ?? [], pod.status?.containerStatuses ?? [], pod);
      const conditions = pod.status?.conditions ?? [];
      if (conditions.length) {
        d.line(0, 'Conditions:');
        for (const l of renderTable(['Type', 'Status'], conditions.map((c) => [c.type, c.status]))) d.line(1, l);
      }
      describeVolumes(d, 0, spec?.volumes ?? []);
      d.map(0, 'Node-Selectors', spec?.nodeSelector);
      d.field(0, 'Tolerations', (spec?.tolerations ?? []).map((t) => `${t.key}${t.operator === 'Exists' ? '' : `=${t.value}`}:${t.effect}`).join(', ') || '<none>');
      return;
    }
    case 'serviceaccounts': {
      // kubectl's describeServiceAccount; Skiff's accounts have no mountable secrets and no token Secrets.
      const names = ((object as ServiceAccount).imagePullSecrets ?? []).map((s) => s.name);
      d.rows(0, [
        ...(names.length ? names.map((n, i) => [i === 0 ? 'Image pull secrets:' : '', n]) : [['Image pull secrets:', '<none>']]),
        ['Mountable secrets:', '<none>'],
        ['Tokens:', '<none>'],
      ]);
      return;
    }
    case 'deployments': {
      const dep = object as Deployment;
      const s = dep.status;
      d.field(0, 'Selector', formatLabelSelector(dep.spec?.selector));
      d.field(0, 'Replicas', `${dep.spec?.replicas ?? 1} desired | ${s?.updatedReplicas ?? 0} updated | ${s?.replicas ?? 0} total | ${s?.availableReplicas ?? 0} available | ${s?.unavailableReplicas ?? 0} unavailable`);
      d.field(0, 'StrategyType', dep.spec?.strategy?.type || 'RollingUpdate');
      d.field(0, 'MinReadySeconds', dep.spec?.minReadySeconds ?? 0);
      describeTemplate(d, dep.spec?.template);
      const conditions = s?.conditions ?? [];
      if (conditions.length) {
        d.line(0, 'Conditions:');
        for (const l of renderTable(['Type', 'Status', 'Reason'], conditions.map((c) => [c.type, c.status, c.reason]))) d.line(1, l);
      }
      return;
    }
    case 'replicasets': {
      const rs = object as ReplicaSet;
      d.field(0, 'Selector', formatLabelSelector(rs.spec?.selector));
      d.field(0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired`);
      const owner = rs.metadata?.ownerReferences.find((o) => o.controller);
      d.field(0, 'Controlled By', owner ? `${owner.kind}/${owner.name}` : '<none>');
      describeTemplate(d, rs.spec?.template);
      return;
    }
    case 'services': {
      const svc = object as Service;
      d.map(0, 'Selector', svc.spec?.selector);
      d.field(0, 'Type', svc.spec?.type || 'ClusterIP');
      d.field(0, 'IP', svc.spec?.clusterIP || '<none>');
      for (const p of svc.spec?.ports ?? []) {
        d.field(0, 'Port', `${p.name || '<unset>'}  ${p.port}/${p.protocol || 'TCP'}`);
        const target = p.targetPort?.value;
        d.field(0, 'TargetPort', `${target ? target.value : p.port}/${p.protocol || 'TCP'}`);
        if (p.nodePort) d.field(0, 'NodePort', `${p.name || '<unset>'}  ${p.nodePort}/${p.protocol || 'TCP'}`);
      }
      d.field(0, 'Session Affinity', svc.spec?.sessionAffinity || 'None');
      return;
    }
    case 'configmaps': {
      const cm = object as ConfigMap;
      d.line(0, '');
      d.line(0, 'Data');
      d.line(0, '====');
      for (const key of Object.keys(cm.data ?? {}).sort()) {
        d.line(0, `${key}:`);
        d.line(0, '----');
        d.line(0, cm.data[key]);
        d.line(0, '');
      }
      for (const key of Object.keys(cm.binaryData ?? {}).sort()) d.line(0, `${key}: ${cm.binaryData[key].length} bytes`);
      return;
    }
    case 'secrets': {
      const secret = object as Secret;
      d.line(0, '');
      d.field(0, 'Type', secret.type || 'Opaque');
      d.line(0, '');
      d.line(0, 'Data');
      d.line(0, '====');
      for (const key of Object.keys(secret.data ?? {}).sort()) d.line(0, `${key}:  ${secret.data[key].length} bytes`);
      return;
    }
    case 'horizontalpodautoscalers':
      describeHpa(d, object as HorizontalPodAutoscaler);
      return;
    case 'namespaces':
      d.field(0, 'Status', (object as Namespace).status?.phase || 'Active');
      return;
    case 'nodes': {
      const node = object as Node;
      d.field(0, 'Unschedulable', node.spec?.unschedulable ? 'true' : 'false');
      d.field(0, 'Taints', (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ') || '<none>');
      const conditions = node.status?.conditions ?? [];
      d.line(0, 'Conditions:');
      for (const l of renderTable(['Type', 'Status', 'Reason', 'Message'], conditions.map((c) => [c.type, c.status, c.reason, c.message]))) d.line(1, l);
      d.line(0, 'Addresses:');
      for (const a of node.status?.addresses ?? []) d.field(1, a.type, a.address);
      d.nested(0, 'Capacity', node.status?.capacity);
      d.nested(0, 'Allocatable', node.status?.allocatable);
      return;
    }
    default: {
      const json = info.codec.toJSON(object as never) as Record<string, unknown>;
      for (const [key, value] of Object.entries(json)) {
        if (key !== 'metadata') d.yaml(0, key[0].toUpperCase() + key.slice(1), value);
      }
    }
  }
}

/** Whether an event is about the object (same uid, or same kind and name when it has none). */
export function isEventFor(event: Event, info: KindInfo, object: KubeObject): boolean {
  const ref = event.involvedObject;
  if (!ref) return false;
  if (ref.uid && object.metadata?.uid) return ref.uid === object.metadata.uid;
  return ref.kind === info.kind && ref.name === object.metadata?.name && (ref.namespace || '') === (object.metadata?.namespace || '');
}

/** The describe text of one object; `events` are already filtered to it; `pods` (DaemonSets) are those of its namespace it may control. */
export function describeObject(info: KindInfo, object: KubeObject, events: readonly Event[], now: Date, pods: readonly Pod[] = []): string {
  const d = new Describer();
  if (info.resource === 'jobs') describeJob(d, object as Job);
  else if (info.resource === 'daemonsets') describeDaemonSet(d, object as DaemonSet, pods);
  else if (info.resource === 'statefulsets') describeStatefulSet(d, object as StatefulSet, pods);
  else if (info.resource === 'cronjobs') describeCronJob(d, object as CronJob);
  else if (info.resource === 'poddisruptionbudgets') describePodDisruptionBudget(d, object as PodDisruptionBudget);
  else if (info.resource === 'persistentvolumeclaims') describePersistentVolumeClaim(d, object as PersistentVolumeClaim, pods);
  else if (info.resource === 'persistentvolumes') describePersistentVolume(d, object as PersistentVolume);
  else if (info.resource === 'storageclasses') describeStorageClass(d, object as StorageClass);
  else describeHeaderAndKind(d, info, object, now);
  describeEvents(d, events, now);
  return `${d.lines.join('\n')}\n`;
}

/** Name, Namespace, Labels, Annotations, CreationTimestamp... then the kind's fields. */
function describeHeaderAndKind(d: Describer, info: KindInfo, object: KubeObject, now: Date): void {
  const meta = object.metadata;
  d.field(0, 'Name', meta?.name);
  if (info.namespaced) d.field(0, 'Namespace', meta?.namespace);
  d.map(0, 'Labels', meta?.labels);
  d.annotations(0, 'Annotations', meta?.annotations);
  d.field(0, 'CreationTimestamp', describeTime(meta?.creationTimestamp));
  if (meta?.deletionTimestamp) d.field(0, 'DeletionTimestamp', describeTime(meta.deletionTimestamp));
  if (meta?.finalizers.length) d.field(0, 'Finalizers', `[${meta.finalizers.join(' ')}]`);
  describeKind(d, info, object, now);
}

/** kubectl's DescribeEvents: "Events:  <none>" or a table of them, oldest first. */
function describeEvents(d: Describer, events: readonly Event[], now: Date): void {
  if (events.length === 0) {
    d.field(0, 'Events', '<none>');
  } else {
    d.line(0, 'Events:');
    const sorted = [...events].sort((a, b) => (a.lastTimestamp?.getTime() ?? 0) - (b.lastTimestamp?.getTime() ?? 0));
    const rows = sorted.map((e) => [
      e.type || 'Normal',
      e.reason,
      e.count > 1 ? `${ageOf(e.lastTimestamp, now)} (x${e.count} over ${ageOf(e.firstTimestamp, now)})` : ageOf(e.lastTimestamp ?? e.firstTimestamp ?? e.metadata?.creationTimestamp, now),
      e.source?.component || e.reportingComponent || '',
      e.message,
    ]);
    const table = renderTable(['Type', 'Reason', 'Age', 'From', 'Message'], [['----', '------', '----', '----', '-------'], ...rows]);
    for (const l of table) d.line(1, l);
  }
}
