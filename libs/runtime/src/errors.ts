/**
 * Errors a ContainerRuntime throws. Each carries `reason`, the Kubernetes waiting reason the
 * kubelet shows for it in a container status (ErrImagePull, ErrImageNeverPull, CreateContainerError,
 * RunContainerError, ...), so the kubelet maps failures to statuses without parsing messages.
 * The underlying Docker error, if any, is the `cause`.
 */
export abstract class RuntimeError extends Error {
  /** The container status waiting reason for this failure, as Kubernetes names it. */
  abstract readonly reason: string;
}

/** Pulling the image failed (unknown image, registry unreachable, ...): back off and retry (ImagePullBackOff). */
export class ImagePullError extends RuntimeError {
  override readonly name = 'ImagePullError';
  readonly reason = 'ErrImagePull';
}

/** imagePullPolicy is Never and the image is not present on the node; retrying helps only if someone loads it. */
export class ImageNeverPullError extends RuntimeError {
  override readonly name = 'ImageNeverPullError';
  readonly reason = 'ErrImageNeverPull';
}

/** A present image could not be inspected (gone meanwhile, or dockerd failed): Kubernetes' ErrImageInspect. */
export class ImageInspectError extends RuntimeError {
  override readonly name = 'ImageInspectError';
  readonly reason = 'ImageInspectError';
}

/** The pod sandbox (network namespace holder) could not be created or started. */
export class SandboxError extends RuntimeError {
  override readonly name = 'SandboxError';
  readonly reason = 'CreatePodSandboxError';
}

/** The container could not be created (bad config, name conflict, sandbox gone). */
export class ContainerCreateError extends RuntimeError {
  override readonly name = 'ContainerCreateError';
  readonly reason = 'CreateContainerError';
}

/** The container was created but could not be started (command not found, ...). */
export class ContainerStartError extends RuntimeError {
  override readonly name = 'ContainerStartError';
  readonly reason = 'RunContainerError';
}

/** No container or sandbox with this id exists (any more). */
export class ContainerNotFoundError extends RuntimeError {
  override readonly name = 'ContainerNotFoundError';
  readonly reason = 'ContainerNotFound';
}

/** The node's pod network could not be set up (bad pod CIDR, a network in use with another subnet, dockerd failed). */
export class PodNetworkError extends RuntimeError {
  override readonly name = 'PodNetworkError';
  readonly reason = 'NetworkPluginNotReady';
}
