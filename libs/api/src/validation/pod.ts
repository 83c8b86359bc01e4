/**
 * Validation of pod specs (pods and the templates of ReplicaSets and Deployments) and of pod
 * updates, with Kubernetes' field paths under a given prefix ("spec", "spec.template.spec").
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { Container, HTTPGetAction, IntOrString, Lifecycle, LifecycleHandler, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Probe, Toleration } from '../gen';
import {
  checkDns1123Label,
  checkDns1123Subdomain,
  checkIanaSvcName,
  checkLabelValue,
  checkQualifiedName,
  isDomainPrefixedName,
  isIPv4,
} from '../names';
import { compareQuantities, isQuantity } from '../quantity';
import { deepEqual } from './deep-equal';
import {
  checkEnum,
  checkMin,
  checkPort,
  duplicate,
  forbidden,
  invalid,
  invalidEach,
  required,
  unsupported,
  type Errors,
} from './field-errors';
import { refusedPodFields } from '../pod-field-support';
import { validateLabels } from './object-meta';
import { validatePodDns } from './pod-dns';
import { validateEnv, validateEnvFrom } from './pod-env';
import { validateVolumeMounts, validateVolumes } from './pod-volumes';
import { validatePodSecurityContext, validateSecurityContext } from './security-context';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
export const PROTOCOLS = ['TCP', 'UDP'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const STANDARD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
export const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
/** The one restartPolicy an init container may have: Always makes it a native sidecar. */
export const CONTAINER_RESTART_POLICIES = ['Always'];

/** An int-or-string port: a number in 1..65535 or an IANA service name (a named container port). */
export function validatePortNumOrName(errs: Errors, port: IntOrString | undefined, field: string): void {
  const v = port?.value;
  if (!v || (v.$case === 'strVal' && v.value === '') || (v.$case === 'intVal' && v.value === 0)) {
    errs.push(required(field));
  } else if (v.$case === 'intVal') {
    if (v.value < 1 || v.value > 65535) errs.push(invalid(field, v.value, 'must be between 1 and 65535, inclusive'));
  } else {
    invalidEach(errs, field, v.value, checkIanaSvcName(v.value));
  }
}

function validateResources(errs: Errors, c: Container, path: string): void {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const check = (list: Record<string, string>, kind: 'limits' | 'requests') => {
    for (const [name, value] of Object.entries(list)) {
      const field = `${path}.resources.${kind}[${name}]`;
      if (!STANDARD_RESOURCES.includes(name) && !isDomainPrefixedName(name)) {
        errs.push(invalid(field, name, 'must be a standard resource type or fully qualified'));
        continue;
      }
      if (!isQuantity(value)) errs.push(invalid(field, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
      else if (compareQuantities(value, '0') < 0) errs.push(invalid(field, value, 'must be greater than or equal to 0'));
    }
  };
  check(limits, 'limits');
  check(requests, 'requests');
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined || !isQuantity(limit) || !isQuantity(request)) continue;
    if (compareQuantities(request, limit) > 0)
      errs.push(invalid(`${path}.resources.requests[${name}]`, request, `must be less than or equal to ${name} limit of ${limit}`));
  }
}

/** An httpGet action of a probe or lifecycle hook (path and scheme are defaulted). */
function validateHttpGet(errs: Errors, get: HTTPGetAction, path: string): void {
  validatePortNumOrName(errs, get.port, `${path}.port`);
  checkEnum(errs, `${path}.scheme`, get.scheme, ['HTTP', 'HTTPS']);
  if (get.path && !get.path.startsWith('/')) errs.push(invalid(`${path}.path`, get.path, "must start with '/'"));
  (get.httpHeaders ?? []).forEach((h, i) => {
    if (!/^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/.test(h.name)) errs.push(invalid(`${path}.httpHeaders[${i}].name`, h.name, 'a valid HTTP header must consist of alphanumeric characters or \'-\''));
  });
}

/**
 * A lifecycle hook (validateHandler): exactly one of exec, httpGet, sleep; sleep seconds within
 * the pod's grace period (unknown for a template without one: not checked, as Kubernetes).
 */
function validateLifecycleHandler(errs: Errors, handler: LifecycleHandler, path: string, gracePeriod: number | undefined): void {
  const handlers = (['exec', 'httpGet', 'sleep'] as const).filter((h) => handler[h] !== undefined);
  if (handlers.length === 0) errs.push(required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) errs.push(forbidden(`${path}.${extra}`, 'may not specify more than 1 handler type'));
  if (handler.exec && !(handler.exec.command ?? []).length) errs.push(required(`${path}.exec.command`));
  if (handler.httpGet) validateHttpGet(errs, handler.httpGet, `${path}.httpGet`);
  if (handler.sleep && gracePeriod !== undefined) {
    const seconds = handler.sleep.seconds;
    if (seconds <= 0 || seconds > gracePeriod)
      errs.push(invalid(`${path}.sleep.seconds`, seconds, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod})`));
  }
}

function validateLifecycle(errs: Errors, lifecycle: Lifecycle, path: string, gracePeriod: number | undefined): void {
  if (lifecycle.postStart) validateLifecycleHandler(errs, lifecycle.postStart, `${path}.postStart`, gracePeriod);
  if (lifecycle.preStop) validateLifecycleHandler(errs, lifecycle.preStop, `${path}.preStop`, gracePeriod);
}

function validateProbe(errs: Errors, probe: Probe | undefined, path: string, kind: 'liveness' | 'readiness' | 'startup'): void {
  if (!probe) return;
  const handlers = (['exec', 'httpGet', 'tcpSocket'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) errs.push(required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) errs.push(forbidden(`${path}.${extra}`, 'may not specify more than 1 handler type'));
  if (probe.exec && !(probe.exec.command ?? []).length) errs.push(required(`${path}.exec.command`));
  if (probe.httpGet) validateHttpGet(errs, probe.httpGet, `${path}.httpGet`);
  if (probe.tcpSocket) validatePortNumOrName(errs, probe.tcpSocket.port, `${path}.tcpSocket.port`);
  checkMin(errs, `${path}.initialDelaySeconds`, probe.initialDelaySeconds, 0);
  checkMin(errs, `${path}.timeoutSeconds`, probe.timeoutSeconds, 0);
  checkMin(errs, `${path}.periodSeconds`, probe.periodSeconds, 0);
  checkMin(errs, `${path}.successThreshold`, probe.successThreshold, 0);
  checkMin(errs, `${path}.failureThreshold`, probe.failureThreshold, 0);
  if (kind !== 'readiness' && probe.successThreshold && probe.successThreshold !== 1)
    errs.push(invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  if (probe.terminationGracePeriodSeconds !== undefined) {
    if (kind === 'readiness') errs.push(invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else if (probe.terminationGracePeriodSeconds <= 0) errs.push(invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
}

/** What every container of a pod is checked against, and the pod-wide facts its checks need. */
interface PodContext {
  /** Names of the pod's valid volumes (volumeMounts name them). */
  volumes: ReadonlySet<string>;
  /** Names of every container, init and app (resourceFieldRefs name them). */
  containers: ReadonlySet<string>;
  /** spec.terminationGracePeriodSeconds (sleep hooks must fit in it). */
  gracePeriod: number | undefined;
}

/** What init and app containers share (Kubernetes' validateContainerCommon). */
function validateContainerCommon(errs: Errors, c: Container, path: string, pod: PodContext, portNames: Set<string>): void {
  if (!c.name) errs.push(required(`${path}.name`));
  else invalidEach(errs, `${path}.name`, c.name, checkDns1123Label(c.name));
  if (!c.image) errs.push(required(`${path}.image`));
  else if (c.image.trim() !== c.image) errs.push(invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  checkEnum(errs, `${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES);
  checkEnum(errs, `${path}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES);
  (c.ports ?? []).forEach((port, i) => {
    const p = `${path}.ports[${i}]`;
    if (port.name) {
      invalidEach(errs, `${p}.name`, port.name, checkIanaSvcName(port.name));
      if (portNames.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      portNames.add(port.name);
    }
    checkPort(errs, `${p}.containerPort`, port.containerPort, false);
    checkPort(errs, `${p}.hostPort`, port.hostPort, true);
    checkEnum(errs, `${p}.protocol`, port.protocol, PROTOCOLS);
    if (port.hostIP && !isIPv4(port.hostIP)) errs.push(invalid(`${p}.hostIP`, port.hostIP, 'must be a valid IP address'));
  });
  validateEnv(errs, c, path, pod.containers);
  validateEnvFrom(errs, c, path);
  validateResources(errs, c, path);
  validateVolumeMounts(errs, c.volumeMounts, pod.volumes, `${path}.volumeMounts`);
  validateSecurityContext(errs, c.securityContext, `${path}.securityContext`);
}

function validateProbesAndHooks(errs: Errors, c: Container, path: string, pod: PodContext): void {
  if (c.lifecycle) validateLifecycle(errs, c.lifecycle, `${path}.lifecycle`, pod.gracePeriod);
  validateProbe(errs, c.livenessProbe, `${path}.livenessProbe`, 'liveness');
  validateProbe(errs, c.readinessProbe, `${path}.readinessProbe`, 'readiness');
  validateProbe(errs, c.startupProbe, `${path}.startupProbe`, 'startup');
}

/** An app container (validateContainers): probes and hooks allowed, no restartPolicy. */
function validateAppContainer(errs: Errors, c: Container, path: string, pod: PodContext, portNames: Set<string>): void {
  validateContainerCommon(errs, c, path, pod, portNames);
  validateProbesAndHooks(errs, c, path, pod);
  if (c.restartPolicy !== undefined) errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
}

const INIT_ONLY = 'may not be set for init containers without restartPolicy=Always';

/**
 * An init container (validateInitContainers): restartPolicy only Always (a native sidecar);
 * probes and lifecycle hooks only on sidecars.
 */
function validateInitContainer(errs: Errors, c: Container, path: string, pod: PodContext): void {
  validateContainerCommon(errs, c, path, pod, new Set()); // init containers run one by one: ports checked alone
  if (c.restartPolicy !== undefined) checkEnum(errs, `${path}.restartPolicy`, c.restartPolicy, CONTAINER_RESTART_POLICIES, false);
  if (c.restartPolicy === 'Always') {
    validateProbesAndHooks(errs, c, path, pod);
    return;
  }
  for (const field of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (c[field] !== undefined) errs.push(forbidden(`${path}.${field}`, INIT_ONLY));
  }
}

function validateNodeSelectorRequirement(errs: Errors, r: NodeSelectorRequirement, path: string, isField: boolean): void {
  if (!r.key) errs.push(required(`${path}.key`));
  else if (isField) {
    if (r.key !== 'metadata.name') errs.push(invalid(`${path}.key`, r.key, 'not a valid field selector key'));
  } else invalidEach(errs, `${path}.key`, r.key, checkQualifiedName(r.key));
  const values = r.values ?? [];
  const allowed = isField ? ['In', 'NotIn'] : NODE_SELECTOR_OPERATORS;
  if (!allowed.includes(r.operator)) {
    errs.push(unsupported(`${path}.operator`, r.operator, allowed));
    return;
  }
  if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) errs.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
  if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) errs.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
  if ((r.operator === 'Gt' || r.operator === 'Lt') && (values.length !== 1 || !/^-?\d+$/.test(values[0]))) errs.push(required(`${path}.values`, "must be specified single integer value when `operator` is 'Lt' or 'Gt'"));
  if (isField && values.length > 1) errs.push(required(`${path}.values`, 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
}

function validateNodeSelectorTerm(errs: Errors, term: NodeSelectorTerm | undefined, path: string): void {
  (term?.matchExpressions ?? []).forEach((r, i) => validateNodeSelectorRequirement(errs, r, `${path}.matchExpressions[${i}]`, false));
  (term?.matchFields ?? []).forEach((r, i) => validateNodeSelectorRequirement(errs, r, `${path}.matchFields[${i}]`, true));
}

function validateTolerations(errs: Errors, tolerations: readonly Toleration[], path: string): void {
  tolerations.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) invalidEach(errs, `${p}.key`, t.key, checkQualifiedName(t.key));
    if (!t.key && t.operator !== 'Exists') errs.push(invalid(`${p}.operator`, t.operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.operator === 'Exists' && t.value) errs.push(invalid(`${p}.value`, t.value, 'value must be empty when `operator` is \'Exists\''));
    else if (t.operator !== 'Exists') {
      checkEnum(errs, `${p}.operator`, t.operator, ['Equal', 'Exists']);
      invalidEach(errs, `${p}.value`, t.value, checkLabelValue(t.value ?? ''));
    }
    checkEnum(errs, `${p}.effect`, t.effect, TAINT_EFFECTS);
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') errs.push(invalid(`${p}.effect`, t.effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  });
}

/** A pod spec under `path` ("spec" for pods, "spec.template.spec" for templates). */
export function validatePodSpec(errs: Errors, spec: PodSpec | undefined, path: string): void {
  if (!spec) {
    errs.push(required(path));
    return;
  }
  errs.push(...refusedPodFields(spec, path));
  // Kubernetes' Priority admission: without a priorityClassName the priority is computed (0 here,
  // as no PriorityClass exists), and a value given in the spec is refused.
  if (spec.priority) errs.push(forbidden(`${path}.priority`, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`));
  const containerNames = new Set([...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name).filter(Boolean));
  const pod: PodContext = {
    volumes: validateVolumes(errs, spec.volumes, `${path}.volumes`, containerNames),
    containers: containerNames,
    gracePeriod: spec.terminationGracePeriodSeconds,
  };
  if (!(spec.containers ?? []).length) errs.push(required(`${path}.containers`));
  // Names are unique across app and init containers (app containers claim theirs first).
  const names = new Set<string>();
  const portNames = new Set<string>();
  const hostPorts = new Set<string>();
  (spec.containers ?? []).forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    validateAppContainer(errs, c, p, pod, portNames);
    if (c.name && names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    names.add(c.name);
    (c.ports ?? []).forEach((port, j) => {
      if (!port.hostPort) return;
      const key = `${port.protocol || 'TCP'}/${port.hostPort}`;
      if (hostPorts.has(key)) errs.push(duplicate(`${path}.containers[${i}].ports[${j}].hostPort`, key));
      hostPorts.add(key);
    });
  });
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = `${path}.initContainers[${i}]`;
    validateInitContainer(errs, c, p, pod);
    if (c.name && names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    names.add(c.name);
  });
  checkEnum(errs, `${path}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES);
  validatePodDns(errs, spec, path);
  checkMin(errs, `${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 0);
  if (spec.nodeName) invalidEach(errs, `${path}.nodeName`, spec.nodeName, checkDns1123Subdomain(spec.nodeName));
  if (spec.hostname) invalidEach(errs, `${path}.hostname`, spec.hostname, checkDns1123Label(spec.hostname));
  if (spec.subdomain) invalidEach(errs, `${path}.subdomain`, spec.subdomain, checkDns1123Label(spec.subdomain));
  if (spec.schedulerName) invalidEach(errs, `${path}.schedulerName`, spec.schedulerName, checkDns1123Subdomain(spec.schedulerName));
  validateLabels(errs, spec.nodeSelector, `${path}.nodeSelector`);
  const na = spec.affinity?.nodeAffinity;
  if (na) {
    const ap = `${path}.affinity.nodeAffinity`;
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const rp = `${ap}.requiredDuringSchedulingIgnoredDuringExecution`;
      if (!(req.nodeSelectorTerms ?? []).length) errs.push(required(`${rp}.nodeSelectorTerms`, 'must have at least one node selector term'));
      (req.nodeSelectorTerms ?? []).forEach((t, i) => validateNodeSelectorTerm(errs, t, `${rp}.nodeSelectorTerms[${i}]`));
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((pref, i) => {
      const pp = `${ap}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (pref.weight < 1 || pref.weight > 100) errs.push(invalid(`${pp}.weight`, pref.weight, 'must be in the range 1-100'));
      validateNodeSelectorTerm(errs, pref.preference, `${pp}.preference`);
    });
  }
  validateTolerations(errs, spec.tolerations ?? [], `${path}.tolerations`);
  validatePodSecurityContext(errs, spec.securityContext, `${path}.securityContext`);
  (spec.imagePullSecrets ?? []).forEach((ref, i) => {
    if (!ref.name) errs.push(required(`${path}.imagePullSecrets[${i}].name`));
    else invalidEach(errs, `${path}.imagePullSecrets[${i}].name`, ref.name, checkDns1123Subdomain(ref.name));
  });
  if (spec.serviceAccountName) invalidEach(errs, `${path}.serviceAccountName`, spec.serviceAccountName, checkDns1123Subdomain(spec.serviceAccountName));
}

/**
 * Pod updates, as Kubernetes: the spec is immutable except containers[*].image,
 * initContainers[*].image, additions to tolerations, and setting nodeName when it was empty
 * (binding).
 */
export function validatePodSpecUpdate(errs: Errors, spec: PodSpec | undefined, old: PodSpec | undefined): void {
  if (!spec || !old) return;
  const oldTolerations = old.tolerations ?? [];
  const newTolerations = spec.tolerations ?? [];
  const removed = oldTolerations.filter((t) => !newTolerations.some((n) => deepEqual(n, t)));
  if (removed.length) errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  if (old.nodeName && spec.nodeName !== old.nodeName) errs.push(invalid('spec.nodeName', spec.nodeName, 'field is immutable'));
  const mutable = (s: PodSpec): unknown => ({
    ...s,
    containers: (s.containers ?? []).map((c) => ({ ...c, image: '' })),
    initContainers: (s.initContainers ?? []).map((c) => ({ ...c, image: '' })),
    tolerations: undefined,
    nodeName: undefined,
  });
  const sameCounts = (spec.containers ?? []).length === (old.containers ?? []).length && (spec.initContainers ?? []).length === (old.initContainers ?? []).length;
  if (!sameCounts || !deepEqual(mutable(spec), mutable(old))) {
    errs.push(
      forbidden(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.tolerations` (only additions to existing tolerations) or `spec.nodeName` (only to bind an unscheduled pod)',
      ),
    );
  }
}
