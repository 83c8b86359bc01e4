/**
 * Validation of pod and container security contexts, as Kubernetes' ValidateSecurityContext and
 * validatePodSpecSecurityContext: user and group ids in 0..2147483647, procMount Default
 * (Unmasked needs `hostUsers: false`, which Skiff does not have), privileged with
 * allowPrivilegeEscalation false refused, and capability names Linux knows (with or without
 * "CAP_", or ALL), since Docker refuses any other at container creation.
 * CONTRACT: pure; appends to the given error list, never throws.
 */
import type { PodSecurityContext, SecurityContext } from '../gen';
import { invalid, unsupported, type Errors } from './field-errors';

const MAX_ID = 2_147_483_647;

/** Linux capabilities (capabilities(7)), without the CAP_ prefix. */
export const LINUX_CAPABILITIES = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE',
  'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN',
  'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE',
  'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
];

const PROC_MOUNT_TYPES = ['Default', 'Unmasked'];

/** A user or group id: 0..2147483647 (IsValidUserID / IsValidGroupID). */
function validateId(errs: Errors, value: number | undefined, field: string): void {
  if (value !== undefined && (value < 0 || value > MAX_ID)) errs.push(invalid(field, value, `must be between 0 and ${MAX_ID}, inclusive`));
}

/** True for a capability name Docker accepts: a Linux capability with or without CAP_, or ALL. */
export function isCapabilityName(name: string): boolean {
  const upper = name.toUpperCase();
  return upper === 'ALL' || LINUX_CAPABILITIES.includes(upper.startsWith('CAP_') ? upper.slice(4) : upper);
}

/** A container's securityContext under `path` ("spec.containers[0].securityContext"). */
export function validateSecurityContext(errs: Errors, sc: SecurityContext | undefined, path: string): void {
  if (!sc) return;
  validateId(errs, sc.runAsUser, `${path}.runAsUser`);
  validateId(errs, sc.runAsGroup, `${path}.runAsGroup`);
  if (sc.procMount) {
    if (!PROC_MOUNT_TYPES.includes(sc.procMount)) errs.push(unsupported(`${path}.procMount`, sc.procMount, PROC_MOUNT_TYPES));
    else if (sc.procMount === 'Unmasked') errs.push(invalid(`${path}.procMount`, sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  for (const list of ['add', 'drop'] as const) {
    (sc.capabilities?.[list] ?? []).forEach((name, i) => {
      if (!isCapabilityName(name)) errs.push(invalid(`${path}.capabilities.${list}[${i}]`, name, 'must be a Linux capability (e.g. NET_ADMIN or CAP_NET_ADMIN) or ALL'));
    });
  }
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged) errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap === 'CAP_SYS_ADMIN') errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
}

/** A pod's securityContext under `path` ("spec.securityContext"). */
export function validatePodSecurityContext(errs: Errors, sc: PodSecurityContext | undefined, path: string): void {
  if (!sc) return;
  validateId(errs, sc.fsGroup, `${path}.fsGroup`);
  validateId(errs, sc.runAsUser, `${path}.runAsUser`);
  validateId(errs, sc.runAsGroup, `${path}.runAsGroup`);
  (sc.supplementalGroups ?? []).forEach((gid, i) => validateId(errs, gid, `${path}.supplementalGroups[${i}]`));
}
