/**
 * The columns `skiff get` prints per kind, as kubectl prints them (pods: NAME READY STATUS
 * RESTARTS AGE, services: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, serviceaccounts: NAME
 * SECRETS AGE, ...). Pure: objects and a clock in, cells out.
 */
import type {
  ConfigMap, CronJob, DaemonSet, Deployment, Endpoints, Event, HorizontalPodAutoscaler, Job, KindInfo, KubeObject, LabelSelector, Lease, Namespace, Node, Pod,
  ReplicaSet, Secret, Service,
} from '@skiff/api';
import { intOrStringValue, type IntOrString, type PodDisruptionBudget } from '@skiff/api';
import { ageOf, humanDuration } from './age';
import { summarizePod } from './pod-status';
import { STORAGE_COLUMNS } from './storage-columns';
import { STATEFULSET_COLUMNS } from './statefulset-columns';
import { objectRef } from './resource-name';

export interface TableOptions {
  /** -o wide: the extra columns. */
  wide?: boolean;
  /** --show-labels: a LABELS column at the end. */
  showLabels?: boolean;
  /** -A: a NAMESPACE column first (namespaced kinds only). */
  withNamespace?: boolean;
  /** Several kinds in one listing: NAME is "pod/web". */
  withKind?: boolean;
}

/** A table layout for one kind: its header and how to turn an object into a row. */
export interface TableLayout {
  header: string[];
  row(object: KubeObject): string[];
}

interface KindColumns {
  /** Columns after NAME; `nameless` kinds (events) have no NAME column. */
  header: string[];
  wideHeader?: string[];
  nameless?: boolean;
  /** The NAME cell when it is more than metadata.name (storage classes: "local-path (default)"). */
  name?(object: never): string;
  cells(object: never, now: Date): string[];
  wideCells?(object: never, now: Date): string[];
}

/** "a=1,b=2" with keys sorted, or "<none>": kubectl's labels.FormatLabels. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

/** "app=web,tier in (a,b),!legacy": a LabelSelector message as a selector string, or "<none>". */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const parts = Object.keys(selector.matchLabels ?? {}).sort().map((k) => `${k}=${selector.matchLabels[k]}`);
  for (const req of selector.matchExpressions ?? []) {
    if (req.operator === 'In') parts.push(`${req.key} in (${req.values.join(',')})`);
    else if (req.operator === 'NotIn') parts.push(`${req.key} notin (${req.values.join(',')})`);
    else if (req.operator === 'Exists') parts.push(req.key);
    else if (req.operator === 'DoesNotExist') parts.push(`!${req.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function orNone(value: string | undefined): string {
  return value ? value : '<none>';
}

function containersAndImages(spec: { containers?: { name: string; image: string }[] } | undefined): string[] {
  const containers = spec?.containers ?? [];
  return [orNone(containers.map((c) => c.name).join(',')), orNone(containers.map((c) => c.image).join(','))];
}

function nodeStatus(node: Node): string {
  const ready = node.status?.conditions.find((c) => c.type === 'Ready');
  const status = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(node: Node, type: string): string {
  return orNone(node.status?.addresses.find((a) => a.type === type)?.address);
}

function servicePorts(service: Service): string {
  const ports = (service.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol || 'TCP'}`);
  return orNone(ports.join(','));
}

/** kubectl's formatEndpoints: "ip:port" pairs, at most three, then " + N more...". */
export function formatEndpoints(endpoints: Endpoints): string {
  const all: string[] = [];
  for (const subset of endpoints.subsets) {
    for (const address of subset.addresses) {
      if (subset.ports.length === 0) all.push(address.ip);
      for (const port of subset.ports) all.push(`${address.ip}:${port.port}`);
    }
  }
  if (all.length === 0) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

function hpaTargets(hpa: HorizontalPodAutoscaler): string {
  const targets = (hpa.spec?.metrics ?? []).map((metric) => {
    const name = metric.resource?.name ?? metric.type;
    const target = metric.resource?.target;
    const current = hpa.status?.currentMetrics.find((m) => m.resource?.name === name)?.resource?.current;
    if (target?.averageUtilization !== undefined) {
      const now = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
      return `${name}: ${now}/${target.averageUtilization}%`;
    }
    const wanted = target?.averageValue || target?.value || '<unset>';
    return `${name}: ${current?.averageValue || current?.value || '<unknown>'}/${wanted}`;
  });
  return orNone(targets.join(', '));
}

function eventTime(event: Event): Date | undefined {
  return event.lastTimestamp ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
}

const age = (o: KubeObject, now: Date) => ageOf(o.metadata?.creationTimestamp, now);

/** Whether the Job has a condition of this type with status "True" (kubectl's hasJobCondition: the first of the type decides). */
function hasJobCondition(job: Readonly<Job>, type: string): boolean {
  const condition = job.status?.conditions.find((c) => c.type === type);
  return condition?.status === 'True';
}

/**
 * The STATUS column of `get jobs`, as kubectl 1.30+'s printJob decides it: Complete, Failed,
 * Terminating (being deleted), Suspended, FailureTarget, SuccessCriteriaMet, else Running.
 */
export function jobStatus(job: Readonly<Job>): string {
  if (hasJobCondition(job, 'Complete')) return 'Complete';
  if (hasJobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(job, 'Suspended')) return 'Suspended';
  if (hasJobCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasJobCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/**
 * The COMPLETIONS column: "succeeded/completions"; a work queue (no completions) is "succeeded/1",
 * or "succeeded/1 of parallelism" when more than one pod runs at once (kubectl's printJob).
 */
export function jobCompletions(job: Readonly<Job>): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** The DURATION column: completion - start, or now - start while running; "" before the Job started. */
export function jobDuration(job: Readonly<Job>, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ?? now;
  return humanDuration(end.getTime() - start.getTime());
}

/** kubectl's printBoolPtr: "<unset>", "True" or "False". */
function boolPointer(value: boolean | undefined): string {
  return value === undefined ? '<unset>' : value ? 'True' : 'False';
}

const COLUMNS: Record<string, KindColumns> = {
  pods: {
    header: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
    wideHeader: ['IP', 'NODE'],
    cells: (pod: Pod, now) => {
      const s = summarizePod(pod, now);
      return [s.ready, s.status, s.restarts, age(pod, now)];
    },
    wideCells: (pod: Pod) => [orNone(pod.status?.podIP), orNone(pod.spec?.nodeName)],
  },
  nodes: {
    header: ['STATUS', 'ROLES', 'AGE', 'VERSION'],
    wideHeader: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    cells: (node: Node, now) => [nodeStatus(node), nodeRoles(node), age(node, now), orNone(node.status?.nodeInfo?.kubeletVersion)],
    wideCells: (node: Node) => {
      const info = node.status?.nodeInfo;
      return [nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'), orNone(info?.osImage), orNone(info?.kernelVersion), orNone(info?.containerRuntimeVersion)];
    },
  },
  services: {
    header: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wideHeader: ['SELECTOR'],
    cells: (svc: Service, now) => [svc.spec?.type || 'ClusterIP', orNone(svc.spec?.clusterIP), orNone(svc.spec?.externalIPs.join(',')), servicePorts(svc), age(svc, now)],
    wideCells: (svc: Service) => [formatLabels(svc.spec?.selector)],
  },
  deployments: {
    header: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (d: Deployment, now) => [
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      String(d.status?.updatedReplicas ?? 0),
      String(d.status?.availableReplicas ?? 0),
      age(d, now),
    ],
    wideCells: (d: Deployment) => [...containersAndImages(d.spec?.template?.spec), formatLabelSelector(d.spec?.selector)],
  },
  replicasets: {
    header: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
    wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (rs: ReplicaSet, now) => [String(rs.spec?.replicas ?? 1), String(rs.status?.replicas ?? 0), String(rs.status?.readyReplicas ?? 0), age(rs, now)],
    wideCells: (rs: ReplicaSet) => [...containersAndImages(rs.spec?.template?.spec), formatLabelSelector(rs.spec?.selector)],
  },
  daemonsets: {
    header: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (ds: DaemonSet, now) => [
      String(ds.status?.desiredNumberScheduled ?? 0),
      String(ds.status?.currentNumberScheduled ?? 0),
      String(ds.status?.numberReady ?? 0),
      String(ds.status?.updatedNumberScheduled ?? 0),
      String(ds.status?.numberAvailable ?? 0),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(ds, now),
    ],
    wideCells: (ds: DaemonSet) => [...containersAndImages(ds.spec?.template?.spec), formatLabelSelector(ds.spec?.selector)],
  },
  jobs: {
    header: ['STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (job: Job, now) => [jobStatus(job), jobCompletions(job), jobDuration(job, now), age(job, now)],
    wideCells: (job: Job) => [...containersAndImages(job.spec?.template?.spec), formatLabelSelector(job.spec?.selector)],
  },
  cronjobs: {
    header: ['SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
    wideHeader: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    cells: (cj: CronJob, now) => [
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      boolPointer(cj.spec?.suspend),
      String(cj.status?.active.length ?? 0),
      cj.status?.lastScheduleTime ? ageOf(cj.status.lastScheduleTime, now) : '<none>',
      age(cj, now),
    ],
    wideCells: (cj: CronJob) => [...containersAndImages(cj.spec?.jobTemplate?.spec?.template?.spec), formatLabelSelector(cj.spec?.jobTemplate?.spec?.selector)],
  },
  endpoints: {
    header: ['ENDPOINTS', 'AGE'],
    cells: (ep: Endpoints, now) => [formatEndpoints(ep), age(ep, now)],
  },
  namespaces: {
    header: ['STATUS', 'AGE'],
    cells: (ns: Namespace, now) => [ns.status?.phase || 'Active', age(ns, now)],
  },
  events: {
    nameless: true,
    header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    cells: (ev: Event, now) => [
      ageOf(eventTime(ev), now),
      ev.type || 'Normal',
      ev.reason,
      `${(ev.involvedObject?.kind ?? '').toLowerCase()}/${ev.involvedObject?.name ?? ''}`,
      ev.message,
    ],
  },
  configmaps: {
    header: ['DATA', 'AGE'],
    cells: (cm: ConfigMap, now) => [String(Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length), age(cm, now)],
  },
  secrets: {
    header: ['TYPE', 'DATA', 'AGE'],
    cells: (s: Secret, now) => [s.type || 'Opaque', String(Object.keys(s.data ?? {}).length), age(s, now)],
  },
  serviceaccounts: {
    // kubectl's printServiceAccount counts `secrets`; Skiff's accounts have no token Secrets, so 0.
    header: ['SECRETS', 'AGE'],
    cells: (sa: KubeObject, now) => ['0', age(sa, now)],
  },
  leases: {
    header: ['HOLDER', 'AGE'],
    cells: (l: Lease, now) => [l.spec?.holderIdentity ?? '', age(l, now)],
  },
  horizontalpodautoscalers: {
    header: ['REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
    cells: (h: HorizontalPodAutoscaler, now) => [
      `${h.spec?.scaleTargetRef?.kind ?? ''}/${h.spec?.scaleTargetRef?.name ?? ''}`,
      hpaTargets(h),
      String(h.spec?.minReplicas ?? 1),
      String(h.spec?.maxReplicas ?? 0),
      String(h.status?.currentReplicas ?? 0),
      age(h, now),
    ],
  },
};

/** kubectl's PDB MIN AVAILABLE / MAX UNAVAILABLE cells: the int or percentage, or N/A. */
function intOrPercentCell(value: IntOrString | undefined): string {
  const v = intOrStringValue(value);
  return v === undefined ? 'N/A' : String(v);
}

/** Kinds whose columns live apart from COLUMNS (kept apart so that parallel edits do not collide). */
const MORE_COLUMNS: Record<string, KindColumns> = {
  poddisruptionbudgets: {
    header: ['MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE'],
    cells: (pdb: PodDisruptionBudget, now) => [intOrPercentCell(pdb.spec?.minAvailable), intOrPercentCell(pdb.spec?.maxUnavailable), String(pdb.status?.disruptionsAllowed ?? 0), age(pdb, now)],
  },
};

const GENERIC: KindColumns = { header: ['AGE'], cells: (o: KubeObject, now) => [age(o, now)] };

/** Sorts rows as kubectl lists them: by namespace then name (events: by last seen, oldest first). */
export function sortForListing(info: KindInfo, objects: readonly KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}\u0000${o.metadata?.name ?? ''}`;
  if (info.resource === 'events') {
    return [...objects].sort((a, b) => (eventTime(a as Event)?.getTime() ?? 0) - (eventTime(b as Event)?.getTime() ?? 0));
  }
  return [...objects].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The table layout for a kind with the given options; `now` is the clock for AGE columns. */
export function tableLayout(info: KindInfo, options: TableOptions, now: Date): TableLayout {
  const columns = COLUMNS[info.resource] ?? MORE_COLUMNS[info.resource] ?? STORAGE_COLUMNS[info.resource] ?? STATEFULSET_COLUMNS[info.resource] ?? GENERIC;
  const withNamespace = options.withNamespace && info.namespaced;
  const header = [
    ...(withNamespace ? ['NAMESPACE'] : []),
    ...(columns.nameless ? [] : ['NAME']),
    ...columns.header,
    ...(options.wide ? (columns.wideHeader ?? []) : []),
    ...(options.showLabels ? ['LABELS'] : []),
  ];
  const row = (object: KubeObject): string[] => {
    const o = object as never;
    const name = columns.name?.(o) ?? object.metadata?.name ?? '';
    return [
      ...(withNamespace ? [object.metadata?.namespace ?? ''] : []),
      ...(columns.nameless ? [] : [options.withKind ? objectRef(info, name) : name]),
      ...columns.cells(o, now),
      ...(options.wide && columns.wideCells ? columns.wideCells(o, now) : []),
      ...(options.showLabels ? [formatLabels(object.metadata?.labels)] : []),
    ];
  };
  return { header, row };
}
