/**
 * How a container runs, from its pod's and its own security context, as the kubelet derives it
 * (Kubernetes' securitycontext.DetermineEffectiveSecurityContext and kuberuntime's
 * determineEffectiveSecurityContext / verifyRunAsNonRoot). Pure.
 *
 *   field                      from                                      runtime setting
 *   runAsUser, runAsGroup,     the container's, else the pod's           user, group
 *   runAsNonRoot
 *   capabilities, privileged,  the container's only                      capAdd/capDrop, privileged,
 *   readOnlyRootFilesystem                                                readOnlyRootFilesystem
 *   allowPrivilegeEscalation   the container's; false sets no_new_privs   noNewPrivileges
 *   fsGroup, then              the pod's                                 supplementalGroups
 *   supplementalGroups
 *   procMount                  Default only (validation refuses others)  Docker's masked paths
 *
 * verifyRunAsNonRoot is the check before a container is created: with an effective runAsNonRoot,
 * the container must not run as uid 0, whether by its runAsUser or by its image's user when it
 * sets none. An image user the check cannot read as a uid ("nobody") fails it. The caller shows
 * the message as the container's CreateContainerConfigError and retries on later syncs.
 */
import type { Container, Pod, SecurityContext } from '@skiff/api';
import type { ContainerSecurity } from '@skiff/runtime';
import { formatPod } from './kubelet-events';

/** The largest uid Kubernetes accepts (math.MaxInt32). */
const MAX_USER_ID = 2_147_483_647n;

/**
 * The container's security context with the pod's runAsUser, runAsGroup and runAsNonRoot filled
 * in where the container sets none; undefined when neither has one.
 */
export function effectiveSecurityContext(pod: Readonly<Pod>, container: Readonly<Container>): SecurityContext | undefined {
  const podSc = pod.spec?.securityContext;
  const sc = container.securityContext;
  if (!podSc && !sc) return undefined;
  const merged: SecurityContext = { ...(sc ? structuredClone(sc) : { procMount: '' }) };
  merged.runAsUser ??= podSc?.runAsUser;
  merged.runAsGroup ??= podSc?.runAsGroup;
  merged.runAsNonRoot ??= podSc?.runAsNonRoot;
  return merged;
}

/**
 * The runtime's security settings for the container (see the table above). Unset fields keep the
 * runtime's defaults: the image's user, Docker's default capabilities, a writable root, privilege
 * escalation allowed.
 */
export function effectiveSecurity(pod: Readonly<Pod>, container: Readonly<Container>): ContainerSecurity {
  const sc = effectiveSecurityContext(pod, container);
  const podSc = pod.spec?.securityContext;
  const security: ContainerSecurity = {};
  if (sc?.runAsUser !== undefined) security.user = sc.runAsUser;
  if (sc?.runAsGroup !== undefined) security.group = sc.runAsGroup;
  const groups = [...(podSc?.fsGroup !== undefined ? [podSc.fsGroup] : []), ...(podSc?.supplementalGroups ?? [])];
  if (groups.length) security.supplementalGroups = groups;
  if (sc?.capabilities?.add?.length) security.capAdd = [...sc.capabilities.add];
  if (sc?.capabilities?.drop?.length) security.capDrop = [...sc.capabilities.drop];
  if (sc?.privileged) security.privileged = true;
  if (sc?.readOnlyRootFilesystem) security.readOnlyRootFilesystem = true;
  if (sc?.allowPrivilegeEscalation === false) security.noNewPrivileges = true;
  return security;
}

/**
 * An image's configured user as the runtime reports it to the kubelet: a uid when its user part
 * (before any ":group") is a 64-bit integer, else a user name; no user part is uid 0 (root).
 */
function imageUid(imageUser: string): { uid: bigint } | { name: string } {
  const user = imageUser.split(':')[0];
  if (user === '') return { uid: 0n };
  if (/^[+-]?\d+$/.test(user)) {
    const uid = BigInt(user);
    if (uid >= -(2n ** 63n) && uid < 2n ** 63n) return { uid };
  }
  return { name: user };
}

/**
 * Kubernetes' runAsNonRoot check: undefined when the container may run, else the kubelet's error
 * message. `imageUser` is the image's configured user (ContainerRuntime.imageUser; '' for none).
 */
export function verifyRunAsNonRoot(pod: Readonly<Pod>, container: Readonly<Container>, imageUser: string): string | undefined {
  const sc = effectiveSecurityContext(pod, container);
  if (!sc?.runAsNonRoot) return undefined;
  const where = `(pod: "${formatPod(pod)}", container: ${container.name})`;
  if (sc.runAsUser !== undefined) {
    return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  }
  const user = imageUid(imageUser);
  if ('name' in user) {
    return `container has runAsNonRoot and image has non-numeric user (${user.name}), cannot verify user is non-root ${where}`;
  }
  if (user.uid === 0n) return `container has runAsNonRoot and image will run as root ${where}`;
  if (user.uid < 0n || user.uid > MAX_USER_ID) {
    return (
      `container has runAsNonRoot and image has an invalid user id (${user.uid}). (Must be 1-(${MAX_USER_ID})): ` +
      `must be between 0 and ${MAX_USER_ID}, inclusive ${where}`
    );
  }
  return undefined;
}
