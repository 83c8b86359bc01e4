/**
 * Pod Security Standards as a pure check (k8s.io/pod-security-admission/policy): which of a pod's
 * settings violate the baseline or restricted level, in Kubernetes' words, so that admission can
 * refuse ("violates PodSecurity "baseline:latest": privileged (container "c" must not set
 * securityContext.privileged=true)") or warn. privileged allows everything.
 *
 * Checks on fields Skiff's API does not have (host namespaces, sysctls, SELinux, AppArmor,
 * Windows) cannot fail. seccompProfile, which restricted requires, is not in the API yet: every
 * pod fails that check of restricted until it is.
 */
import type { Container, PodSpec, SecurityContext } from '@skiff/api';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** One failed check: Kubernetes' check name and what to change. */
export interface PodSecurityViolation {
  /** "privileged", "hostPath volumes", "runAsNonRoot != true" */
  check: string;
  /** 'container "c" must not set securityContext.privileged=true' */
  detail: string;
}

/** Capabilities baseline allows adding (Docker's default set). */
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const RESTRICTED_VOLUME_SOURCES = new Set(['configMap', 'downwardAPI', 'emptyDir', 'persistentVolumeClaim', 'projected', 'secret']);

const quoteAll = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
/** 'container "a"' or 'containers "a", "b"' (Kubernetes' pluralisation). */
const containers = (names: readonly string[]) => `${names.length === 1 ? 'container' : 'containers'} ${quoteAll(names)}`;
const normalizeCapability = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

function allContainers(spec: PodSpec): Container[] {
  return [...spec.initContainers, ...spec.containers];
}

function withContext(spec: PodSpec, pick: (sc: SecurityContext) => boolean): string[] {
  return allContainers(spec).filter((c) => c.securityContext && pick(c.securityContext)).map((c) => c.name);
}

function baseline(spec: PodSpec): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const privileged = withContext(spec, (sc) => sc.privileged === true);
  if (privileged.length) out.push({ check: 'privileged', detail: `${containers(privileged)} must not set securityContext.privileged=true` });

  const added: string[] = [];
  const addedBy: string[] = [];
  for (const c of allContainers(spec)) {
    const bad = (c.securityContext?.capabilities?.add ?? []).map(normalizeCapability).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (bad.length) {
      addedBy.push(c.name);
      for (const cap of bad) if (!added.includes(cap)) added.push(cap);
    }
  }
  if (addedBy.length) out.push({ check: 'non-default capabilities', detail: `${containers(addedBy)} must not include ${quoteAll(added)} in securityContext.capabilities.add` });

  const hostPaths = spec.volumes.filter((v) => v.hostPath).map((v) => v.name);
  if (hostPaths.length) out.push({ check: 'hostPath volumes', detail: `${hostPaths.length === 1 ? 'volume' : 'volumes'} ${quoteAll(hostPaths)}` });

  const hostPorts: string[] = [];
  const hostPortUsers: string[] = [];
  for (const c of allContainers(spec)) {
    const ports = c.ports.filter((p) => p.hostPort).map((p) => String(p.hostPort));
    if (ports.length) {
      hostPortUsers.push(c.name);
      hostPorts.push(...ports);
    }
  }
  if (hostPortUsers.length) out.push({ check: 'hostPort', detail: `${containers(hostPortUsers)} ${hostPortUsers.length === 1 ? 'uses' : 'use'} ${hostPorts.length === 1 ? 'hostPort' : 'hostPorts'} ${hostPorts.join(', ')}` });

  const unmasked = withContext(spec, (sc) => !!sc.procMount && sc.procMount !== 'Default');
  if (unmasked.length) out.push({ check: 'procMount', detail: `${containers(unmasked)} must not set securityContext.procMount to "Unmasked"` });
  return out;
}

function restricted(spec: PodSpec): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const all = allContainers(spec);

  const restrictedVolumes = spec.volumes
    .map((v) => ({ name: v.name, type: Object.entries(v).find(([k, value]) => k !== 'name' && value)?.[0] ?? '' }))
    .filter((v) => v.type && !RESTRICTED_VOLUME_SOURCES.has(v.type));
  if (restrictedVolumes.length) {
    const types = [...new Set(restrictedVolumes.map((v) => v.type))];
    out.push({ check: 'restricted volume types', detail: `${restrictedVolumes.length === 1 ? 'volume' : 'volumes'} ${quoteAll(restrictedVolumes.map((v) => v.name))} ${restrictedVolumes.length === 1 ? 'uses' : 'use'} restricted volume ${types.length === 1 ? 'type' : 'types'} ${quoteAll(types)}` });
  }

  const escalating = all.filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
  if (escalating.length) out.push({ check: 'allowPrivilegeEscalation != false', detail: `${containers(escalating)} must set securityContext.allowPrivilegeEscalation=false` });

  const notDropping = all.filter((c) => !(c.securityContext?.capabilities?.drop ?? []).some((d) => normalizeCapability(d) === 'ALL')).map((c) => c.name);
  const adding = all.filter((c) => (c.securityContext?.capabilities?.add ?? []).some((a) => normalizeCapability(a) !== 'NET_BIND_SERVICE'));
  const capabilityDetails: string[] = [];
  if (notDropping.length) capabilityDetails.push(`${containers(notDropping)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) {
    const caps = [...new Set(adding.flatMap((c) => (c.securityContext?.capabilities?.add ?? []).map(normalizeCapability).filter((a) => a !== 'NET_BIND_SERVICE')))];
    capabilityDetails.push(`${containers(adding.map((c) => c.name))} must not include ${quoteAll(caps)} in securityContext.capabilities.add`);
  }
  if (capabilityDetails.length) out.push({ check: 'unrestricted capabilities', detail: capabilityDetails.join('; ') });

  const pod = spec.securityContext;
  if (pod?.runAsNonRoot === false) {
    out.push({ check: 'runAsNonRoot != true', detail: 'pod must not set securityContext.runAsNonRoot=false' });
  } else {
    const explicitFalse = all.filter((c) => c.securityContext?.runAsNonRoot === false).map((c) => c.name);
    const unset = pod?.runAsNonRoot === true ? [] : all.filter((c) => c.securityContext?.runAsNonRoot === undefined).map((c) => c.name);
    const details: string[] = [];
    if (explicitFalse.length) details.push(`${containers(explicitFalse)} must not set securityContext.runAsNonRoot=false`);
    if (unset.length) details.push(`pod or ${containers(unset)} must set securityContext.runAsNonRoot=true`);
    if (details.length) out.push({ check: 'runAsNonRoot != true', detail: details.join('; ') });
  }

  const rootUsers: string[] = [];
  if (pod?.runAsUser === 0) rootUsers.push('pod must not set runAsUser=0');
  const rootContainers = all.filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
  if (rootContainers.length) rootUsers.push(`${containers(rootContainers)} must not set runAsUser=0`);
  if (rootUsers.length) out.push({ check: 'runAsUser=0', detail: rootUsers.join('; ') });

  // No seccompProfile in the API yet: nothing can set it to RuntimeDefault or Localhost.
  out.push({ check: 'seccompProfile', detail: `pod or ${containers(all.map((c) => c.name))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` });
  return out;
}

/** The checks `spec` fails at `level` (restricted includes baseline's), in Kubernetes' order. */
export function podSecurityViolations(level: PodSecurityLevel, spec: PodSpec): PodSecurityViolation[] {
  if (level === 'privileged') return [];
  return level === 'baseline' ? baseline(spec) : [...baseline(spec), ...restricted(spec)];
}

/** `violates PodSecurity "baseline:latest": privileged (container "c" must not set ...), hostPath volumes (volume "d")` */
export function describeViolations(level: PodSecurityLevel, violations: readonly PodSecurityViolation[]): string {
  return `violates PodSecurity "${level}:latest": ${violations.map((v) => `${v.check} (${v.detail})`).join(', ')}`;
}
