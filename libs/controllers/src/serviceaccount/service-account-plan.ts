/**
 * The serviceaccount controller's decision (Kubernetes' pkg/controller/serviceaccount), pure:
 * which of the ServiceAccounts every namespace must have (`default`) are missing and must be
 * created. A namespace that is not Active (terminating, or gone) gets nothing: the apiserver would
 * refuse, and its content is being deleted.
 */
import { DEFAULT_SERVICE_ACCOUNT_NAME, ServiceAccount, type Namespace } from '@skiff/api';

/** The ServiceAccounts every namespace has (Kubernetes' ServiceAccountsControllerOptions default). */
export const MANAGED_SERVICE_ACCOUNTS: readonly string[] = [DEFAULT_SERVICE_ACCOUNT_NAME];

/** True when a namespace takes new content: it exists, is not being deleted and is Active. */
export function namespaceActive(ns: Readonly<Namespace> | undefined): boolean {
  if (!ns || ns.metadata?.deletionTimestamp) return false;
  return (ns.status?.phase || 'Active') === 'Active';
}

/**
 * The ServiceAccounts to create in `ns`: each managed name `exists` says is missing, as a new
 * object (metadata only, as Kubernetes' controller makes them). Empty when the namespace is not
 * Active.
 */
export function missingServiceAccounts(ns: Readonly<Namespace> | undefined, exists: (name: string) => boolean, managed: readonly string[] = MANAGED_SERVICE_ACCOUNTS): ServiceAccount[] {
  if (!namespaceActive(ns)) return [];
  const namespace = ns?.metadata?.name ?? '';
  return managed.filter((name) => !exists(name)).map((name) => ServiceAccount.fromPartial({ metadata: { name, namespace } }));
}
