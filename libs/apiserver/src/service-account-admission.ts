/**
 * Kubernetes' ServiceAccount admission plugin, for pod creation (plugin/pkg/admission/
 * serviceaccount): a pod that names no ServiceAccount runs as `default`; the ServiceAccount must
 * exist (else Forbidden: "error looking up service account <ns>/<name>: serviceaccount
 * \"<name>\" not found"); a pod without imagePullSecrets gets the ServiceAccount's. Updates are
 * not admitted (the spec is immutable). The lookup is I/O and injected; `default`, which the
 * serviceaccount controller creates shortly after its namespace, is looked up several times
 * (as Kubernetes: 10 attempts 100-200 ms apart) before the pod is refused.
 *
 * Fields that Skiff does not implement yet (the pod field table) are not written: the account's
 * existence is still checked, so a pod is refused exactly when Kubernetes would refuse it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_SERVICE_ACCOUNT_NAME, ForbiddenError, implementedPodField, type FieldImplemented, type PodSpec, type ServiceAccount } from '@skiff/api';

/** Reads a ServiceAccount: the account, or undefined when it does not exist (other errors throw). */
export type ServiceAccountLookup = (namespace: string, name: string, signal?: AbortSignal) => Promise<ServiceAccount | undefined>;

export interface ServiceAccountAdmissionOptions {
  /** Attempts for `default` before the pod is refused; 10. */
  defaultAttempts?: number;
  /** Pause between attempts (ms); 100-200 random, as Kubernetes. */
  retryDelayMs?: () => number;
  implemented?: FieldImplemented;
}

/** The message of a pod refused for a missing ServiceAccount (Kubernetes' words). */
export function serviceAccountNotFoundMessage(podName: string, namespace: string, account: string): string {
  return `pods "${podName}" is forbidden: error looking up service account ${namespace}/${account}: serviceaccount "${account}" not found`;
}

/**
 * The pod spec as the account makes it (mutates `spec`): serviceAccountName set when empty,
 * imagePullSecrets copied from the account when the pod has none. Pure.
 */
export function applyServiceAccount(spec: PodSpec, account: ServiceAccount, implemented: FieldImplemented = implementedPodField): void {
  if (!spec.serviceAccountName && implemented('PodSpec', 'serviceAccountName')) spec.serviceAccountName = account.metadata?.name ?? DEFAULT_SERVICE_ACCOUNT_NAME;
  if (!(spec.imagePullSecrets ?? []).length && (account.imagePullSecrets ?? []).length && implemented('PodSpec', 'imagePullSecrets')) {
    spec.imagePullSecrets = account.imagePullSecrets.map((ref) => ({ name: ref.name }));
  }
}

/**
 * Admits a pod being created in `namespace`: finds its ServiceAccount and applies it (see
 * applyServiceAccount); ForbiddenError when the account does not exist.
 */
export async function admitServiceAccount(
  pod: { metadata?: { name?: string }; spec?: PodSpec },
  namespace: string,
  lookup: ServiceAccountLookup,
  options: ServiceAccountAdmissionOptions = {},
  signal?: AbortSignal,
): Promise<void> {
  const spec = pod.spec;
  if (!spec) return; // validation says "required"
  const name = spec.serviceAccountName || DEFAULT_SERVICE_ACCOUNT_NAME;
  const attempts = name === DEFAULT_SERVICE_ACCOUNT_NAME ? (options.defaultAttempts ?? 10) : 1;
  const delay = options.retryDelayMs ?? (() => 100 + Math.floor(Math.random() * 100));
  for (let attempt = 1; ; attempt++) {
    const account = await lookup(namespace, name, signal);
    if (account) {
      applyServiceAccount(spec, account, options.implemented);
      return;
    }
    if (attempt >= attempts) throw new ForbiddenError(serviceAccountNotFoundMessage(pod.metadata?.name ?? '', namespace, name));
    await sleep(delay(), undefined, { signal });
  }
}
