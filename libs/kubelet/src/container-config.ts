/**
 * What a container is created with, besides its image (the kubelet's generateContainerConfig):
 *
 *   the pod's ConfigMaps and Secrets (watched, synced) ─> containerEnvironment: env, command, args
 *   effectiveSecurity (pod + container security contexts) ─> user, groups, capabilities ...
 *     runAsNonRoot ─> the image's user checked (verifyRunAsNonRoot)
 *   the volume manager's binds for its volumeMounts ─> mounts
 *     + a fresh host file bound at terminationMessagePath (read back when the container exits)
 *
 * CONTRACT: resolves with the options for ContainerRuntime.createContainer, or with a
 * ContainerConfigError (reason CreateContainerConfigError, Kubernetes' message) when the container
 * cannot be made as specified yet: a missing ConfigMap, Secret or key, a root image under
 * runAsNonRoot, a subPath that cannot be bound. The caller shows that as the container's Waiting
 * reason with a Warning event and tries again at the next sync (an object's creation resyncs the
 * pod). Any other failure (apiserver or runtime unreachable) is thrown.
 */
import { DEFAULT_TERMINATION_MESSAGE_PATH, type Container, type Pod } from '@skiff/api';
import { RuntimeError, type ContainerRuntime, type CreateContainerOptions, type Mount } from '@skiff/runtime';
import { ContainerConfigError, containerEnvironment, type InvalidEnvNames } from './container-env';
import { effectiveSecurity, effectiveSecurityContext, verifyRunAsNonRoot } from './security-context';
import { CacheSyncTimeoutError, type PodConfigObjects } from './config-object-manager';
import type { NodeAllocatable } from './volumes/downward-api';
import { ContainerMountError, type VolumeManager } from './volumes/volume-manager';

export interface ContainerConfigDeps {
  runtime: Pick<ContainerRuntime, 'imageUser'>;
  volumes: Pick<VolumeManager, 'mountsFor' | 'terminationLogFile'>;
  /** The pod's ConfigMaps and Secrets, once their watches synced (ConfigObjectManager.podObjects). */
  podObjects(pod: Readonly<Pod>, signal: AbortSignal): Promise<PodConfigObjects>;
  /** The service env vars of the container (service-env.ts). */
  serviceEnv(pod: Readonly<Pod>, container: Readonly<Container>): Record<string, string>;
  nodeIP: string;
  nodeAllocatable(): Readonly<NodeAllocatable>;
}

export interface ContainerConfig {
  options: CreateContainerOptions;
  /** The host file bound at terminationMessagePath (its content is the termination message). */
  terminationLogFile: string;
  /** envFrom keys skipped as invalid names (an InvalidEnvironmentVariableNames event each). */
  invalidEnvNames: InvalidEnvNames[];
}

/** The create options of `container` (attempt `attempt`) of `pod`, whose sandbox has `podIP`; see the module comment. */
export async function containerConfig(
  deps: ContainerConfigDeps,
  pod: Readonly<Pod>,
  container: Readonly<Container>,
  attempt: number,
  podIP: string,
  signal: AbortSignal,
): Promise<ContainerConfig | ContainerConfigError> {
  let objects: PodConfigObjects;
  try {
    objects = await deps.podObjects(pod, signal);
  } catch (err) {
    if (err instanceof CacheSyncTimeoutError) return new ContainerConfigError(err.message);
    throw err;
  }
  const env = containerEnvironment(pod, container, {
    serviceEnv: deps.serviceEnv(pod, container),
    podIP,
    hostIP: deps.nodeIP,
    nodeAllocatable: deps.nodeAllocatable(),
    configMap: (ns, name) => objects.configMap(ns, name),
    secret: (ns, name) => objects.secret(ns, name),
  });
  if (env instanceof ContainerConfigError) return env;

  if (effectiveSecurityContext(pod, container)?.runAsNonRoot) {
    let imageUser: string;
    try {
      imageUser = await deps.runtime.imageUser(container.image, signal);
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      return new ContainerConfigError(err.message);
    }
    const refusal = verifyRunAsNonRoot(pod, container, imageUser);
    if (refusal) return new ContainerConfigError(refusal);
  }

  let mounts: Mount[];
  try {
    mounts = await deps.volumes.mountsFor(pod, container);
  } catch (err) {
    if (err instanceof ContainerMountError) return new ContainerConfigError(err.message);
    throw err;
  }
  const terminationLogFile = await deps.volumes.terminationLogFile(pod.metadata?.uid ?? '', container.name, attempt);
  mounts.push({ hostPath: terminationLogFile, containerPath: container.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH });

  return {
    options: { attempt, env: env.env, command: env.command, args: env.args, mounts, security: effectiveSecurity(pod, container) },
    terminationLogFile,
    invalidEnvNames: env.invalidEnvNames,
  };
}
