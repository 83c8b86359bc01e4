/**
 * The roles and bindings every cluster starts with (Kubernetes' bootstrappolicy): the user-facing
 * roles cluster-admin, admin, edit and view (aggregation flattened: admin holds edit's rules, edit
 * holds view's), the discovery roles, and one role per control-plane component, bound to the
 * user its client certificate names. The apiserver creates the missing ones at start (as the
 * rbac/bootstrap-roles post-start hook does) and leaves existing ones as they are.
 */
import { ClusterRole, ClusterRoleBinding, PolicyRule } from '@skiff/api';
import { RBAC_GROUP } from './rbac-authorizer';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

function rule(verbs: readonly string[], apiGroups: readonly string[], resources: readonly string[], resourceNames: readonly string[] = []): PolicyRule {
  return PolicyRule.fromPartial({ verbs: [...verbs], apiGroups: [...apiGroups], resources: [...resources], resourceNames: [...resourceNames] });
}

function urls(verbs: readonly string[], nonResourceURLs: readonly string[]): PolicyRule {
  return PolicyRule.fromPartial({ verbs: [...verbs], nonResourceURLs: [...nonResourceURLs] });
}

const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
  rule(READ, [''], ['events', 'pods/status', 'namespaces/status', 'pods/log']),
  // Reading namespaces at the namespace scope means reading this namespace.
  rule(READ, [''], ['namespaces']),
  rule(READ, ['apps'], ['controllerrevisions', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status']),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
];

const EDIT_RULES: PolicyRule[] = [
  ...VIEW_RULES,
  // Reading what can escalate: exec, attach, port-forward, Secrets.
  rule(READ, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
  rule(['create'], [''], ['pods/eviction']),
  rule(WRITE, [''], ['serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(WRITE, ['apps'], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['jobs', 'cronjobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
];

const ADMIN_RULES: PolicyRule[] = [
  ...EDIT_RULES,
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule(READ_WRITE, [RBAC_GROUP], ['roles', 'rolebindings']),
];

const HEALTH_URLS = ['/livez', '/readyz', '/healthz', '/version', '/version/'];

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole {
  return ClusterRole.fromPartial({ metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } }, rules });
}

function binding(name: string, role: string, subjects: { kind: 'User' | 'Group'; name: string }[]): ClusterRoleBinding {
  return ClusterRoleBinding.fromPartial({
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: subjects.map((s) => ({ ...s, apiGroup: RBAC_GROUP })),
  });
}

/** The users the control-plane components authenticate as (their client certificates' CN). */
export const COMPONENT_USERS = {
  scheduler: 'system:kube-scheduler',
  controllerManager: 'system:kube-controller-manager',
  proxy: 'system:kube-proxy',
} as const;

/** Kubernetes' group of cluster administrators (O=system:masters in a certificate). */
export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';

export const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('admin', ADMIN_RULES),
  clusterRole('edit', EDIT_RULES),
  clusterRole('view', VIEW_RULES),
  clusterRole('system:discovery', [urls(['get'], [...HEALTH_URLS, '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'])]),
  clusterRole('system:public-info-viewer', [urls(['get'], HEALTH_URLS)]),
  clusterRole('system:basic-user', [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])]),
  clusterRole('system:kube-scheduler', [
    rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
    rule(['delete', ...READ], [''], ['pods']),
    rule(['create'], [''], ['bindings', 'pods/binding']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(READ, [''], ['nodes', 'namespaces', 'services', 'persistentvolumeclaims', 'persistentvolumes', 'replicationcontrollers']),
    rule(READ, ['apps'], ['replicasets', 'statefulsets']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(READ, ['storage.k8s.io'], ['storageclasses', 'csinodes', 'csidrivers', 'csistoragecapacities']),
  ]),
  clusterRole('system:kube-controller-manager', [
    // One process runs every controller (Kubernetes gives each its own service account): the
    // kinds they own, read and written.
    rule(READ_WRITE, ['', 'events.k8s.io'], ['events']),
    rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
    rule(READ_WRITE, [''], ['pods', 'pods/status', 'services', 'services/status', 'endpoints', 'nodes', 'nodes/status', 'namespaces', 'namespaces/status', 'namespaces/finalize', 'serviceaccounts', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'persistentvolumes', 'persistentvolumes/status', 'configmaps', 'secrets']),
    rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
    rule(READ_WRITE, ['apps'], ['*']),
    rule(READ_WRITE, ['batch'], ['*']),
    rule(READ_WRITE, ['autoscaling'], ['*']),
    rule(READ_WRITE, ['policy'], ['*']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule(['get'], ['metrics.k8s.io'], ['pods', 'nodes']),
    rule(['list'], ['metrics.k8s.io'], ['pods', 'nodes']),
  ]),
  clusterRole('system:node-proxier', [
    rule(['list', 'watch'], [''], ['services', 'endpoints']),
    rule(READ, [''], ['nodes']),
    rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  ]),
];

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: MASTERS_GROUP }]),
  binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: AUTHENTICATED_GROUP }]),
  binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: AUTHENTICATED_GROUP }]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [{ kind: 'Group', name: AUTHENTICATED_GROUP }, { kind: 'Group', name: UNAUTHENTICATED_GROUP }]),
  binding('system:kube-scheduler', 'system:kube-scheduler', [{ kind: 'User', name: COMPONENT_USERS.scheduler }]),
  binding('system:kube-controller-manager', 'system:kube-controller-manager', [{ kind: 'User', name: COMPONENT_USERS.controllerManager }]),
  binding('system:node-proxier', 'system:node-proxier', [{ kind: 'User', name: COMPONENT_USERS.proxy }]),
];
