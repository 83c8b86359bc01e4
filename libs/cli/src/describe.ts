/**
 * `skiff describe`'s text, kubectl style: Name, Namespace, Labels, Annotations, then what matters
 * for the kind (pod status, containers and conditions; replicas; ports; data...), then the
 * object's events. Pure: objects and a clock in, text out.
 */
import { stringify } from 'yaml';
import {
  intOrStringValue,
  type ConfigMap, type Container, type ContainerState, type Deployment, type Event, type HorizontalPodAutoscaler, type KindInfo, type KubeObject, type Namespace, type Node, type Pod,
  type PodTemplateSpec, type Probe, type ReplicaSet, type Secret, type Service,
} from '@skiff/api';
import { ageOf } from './age';
import { describeHpa } from './describe-hpa';
import { summarizePod } from './pod-status';
import { formatLabelSelector } from './table-columns';
import { renderTable } from './table';

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
    const keys = Object.keys(map ?? {}).sort();
    if (keys.length === 0) return this.field(level, key, '<none>', width);
    const pad = Math.max(width - level * 2, key.length + 3);
    keys.forEach((k, i) => this.lines.push(`${'  '.repeat(level)}${(i === 0 ? `${key}:` : '').padEnd(pad)}${k}=${map![k]}`));
  }

  line(level: number, text: string): void {
    this.lines.push(`${'  '.repeat(level)}${text}`.trimEnd());
  }

  /** "Key:" then one "name:  value" line per entry, indented (resource lists: Limits, Capacity). */
  nested(level: number, key: string, map: Readonly<Record<string, string>> | undefined): void {
    this.line(level, `${key}:`);
    for (const k of Object.keys(map ?? {}).sort()) this.field(level + 1, k, map![k], 0);
  }

  /** A YAML block (for fields with no dedicated layout). */
  yaml(level: number, key: string, value: unknown): void {
    if (value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) return;
    this.line(level, `${key}:`);
    for (const l of stringify(value).trimEnd().split('\n')) this.line(level + 1, l);
  }
}

/** "Wed, 01 May 2024 12:00:00 +0000", as kubectl prints timestamps in describe. */
export function describeTime(date: Date | undefined): string {
  if (!date) return '<unset>';
  return date.toUTCString().replace('GMT', '+0000');
}

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

function describeContainer(d: Describer, level: number, container: Container, pod?: Pod): void {
  d.line(level, `${container.name}:`);
  const l = level + 1;
  d.field(l, 'Image', container.image);
  for (const port of container.ports) d.field(l, 'Port', `${port.containerPort}/${port.protocol || 'TCP'}${port.name ? ` (${port.name})` : ''}`);
  if (container.ports.length === 0) d.field(l, 'Port', '<none>');
  if (container.command.length) d.field(l, 'Command', container.command.join(' '));
  if (container.args.length) d.field(l, 'Args', container.args.join(' '));
  const status = pod?.status?.containerStatuses.find((s) => s.name === container.name);
  if (pod && status) {
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
  if (container.env.length === 0) d.field(l, 'Environment', '<none>');
  else {
    d.line(l, 'Environment:');
    for (const env of container.env) {
      const from = env.valueFrom?.configMapKeyRef
        ? `<set to the key '${env.valueFrom.configMapKeyRef.key}' of config map '${env.valueFrom.configMapKeyRef.name}'>`
        : env.valueFrom?.secretKeyRef
          ? `<set to the key '${env.valueFrom.secretKeyRef.key}' in secret '${env.valueFrom.secretKeyRef.name}'>`
          : env.valueFrom?.fieldRef
            ? `(${env.valueFrom.fieldRef.fieldPath})`
            : env.value;
      d.field(l + 1, env.name, from);
    }
  }
}

function describeTemplate(d: Describer, template: PodTemplateSpec | undefined): void {
  d.line(0, 'Pod Template:');
  d.map(1, 'Labels', template?.metadata?.labels);
  d.line(1, 'Containers:');
  for (const c of template?.spec?.containers ?? []) describeContainer(d, 2, c);
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
      d.field(0, 'Node', pod.spec?.nodeName || '<none>');
      if (pod.status?.startTime) d.field(0, 'Start Time', describeTime(pod.status.startTime));
      if (pod.metadata?.deletionTimestamp) d.field(0, 'Status', `Terminating (lasts ${ageOf(pod.metadata.deletionTimestamp, now)})`);
      else d.field(0, 'Status', summarizePod(pod, now).status);
      if (pod.status?.reason) d.field(0, 'Reason', pod.status.reason);
      if (pod.status?.message) d.field(0, 'Message', pod.status.message);
      d.field(0, 'IP', pod.status?.podIP || '<none>');
      d.line(0, 'Containers:');
      for (const c of pod.spec?.containers ?? []) describeContainer(d, 1, c, pod);
      const conditions = pod.status?.conditions ?? [];
      if (conditions.length) {
        d.line(0, 'Conditions:');
        for (const l of renderTable(['Type', 'Status'], conditions.map((c) => [c.type, c.status]))) d.line(1, l);
      }
      d.map(0, 'Node-Selectors', pod.spec?.nodeSelector);
      d.field(0, 'Tolerations', (pod.spec?.tolerations ?? []).map((t) => `${t.key}${t.operator === 'Exists' ? '' : `=${t.value}`}:${t.effect}`).join(', ') || '<none>');
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

/** The describe text of one object; `events` are already filtered to it. */
export function describeObject(info: KindInfo, object: KubeObject, events: readonly Event[], now: Date): string {
  const d = new Describer();
  const meta = object.metadata;
  d.field(0, 'Name', meta?.name);
  if (info.namespaced) d.field(0, 'Namespace', meta?.namespace);
  d.map(0, 'Labels', meta?.labels);
  d.map(0, 'Annotations', meta?.annotations);
  d.field(0, 'CreationTimestamp', describeTime(meta?.creationTimestamp));
  if (meta?.deletionTimestamp) d.field(0, 'DeletionTimestamp', describeTime(meta.deletionTimestamp));
  if (meta?.finalizers.length) d.field(0, 'Finalizers', `[${meta.finalizers.join(' ')}]`);
  describeKind(d, info, object, now);
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
  return `${d.lines.join('\n')}\n`;
}
