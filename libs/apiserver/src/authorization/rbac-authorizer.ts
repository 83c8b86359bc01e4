/**
 * Kubernetes RBAC as a pure decision (plugin/pkg/auth/authorizer/rbac): a request is allowed when
 * a ClusterRoleBinding, or a RoleBinding in the request's namespace, grants a role one of whose
 * rules matches it; nothing else allows, and nothing denies. Rule matching follows Kubernetes:
 * "*" in verbs, apiGroups and resources; "<resource>/<subresource>" and "*\/<subresource>";
 * resourceNames (empty: any name); nonResourceURLs with a trailing "*" as a prefix.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '@skiff/api';

/** Who is asking: the authenticated user (certificate CN and O, token, service account). */
export interface UserInfo {
  name: string;
  groups: readonly string[];
}

/** What is asked: Kubernetes' authorizer.Attributes. */
export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

export interface ResourceAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection (or impersonate, bind, escalate, use...). */
  verb: string;
  /** "" for the core group. */
  apiGroup: string;
  /** "pods" */
  resource: string;
  /** "log", "exec", "status", "eviction", "binding"; "" for the object itself. */
  subresource?: string;
  /** "" for cluster-scoped resources and requests across all namespaces. */
  namespace: string;
  /** "" for list, watch, create and deletecollection. */
  name?: string;
}

export interface NonResourceAttributes {
  user: UserInfo;
  verb: string;
  /** "/healthz", "/version", "/api". */
  path: string;
}

/** The RBAC objects the decision reads (an informer's caches in the apiserver). */
export interface RbacPolicy {
  clusterRoles(): Iterable<ClusterRole>;
  clusterRoleBindings(): Iterable<ClusterRoleBinding>;
  /** The Role `name` of `namespace`, if any. */
  role(namespace: string, name: string): Role | undefined;
  /** The ClusterRole `name`, if any. */
  clusterRole(name: string): ClusterRole | undefined;
  roleBindings(namespace: string): Iterable<RoleBinding>;
}

export interface Decision {
  allowed: boolean;
  /** Which binding allowed it ("RBAC: allowed by ClusterRoleBinding ..."), or why nothing did. */
  reason: string;
}

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const isNonResource = (a: RequestAttributes): a is NonResourceAttributes => 'path' in a;

const has = (list: readonly string[], value: string) => list.includes('*') || list.includes(value);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return rule.resources.some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some((url) => url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1))));
}

/** Whether `rule` allows the request (Kubernetes' RuleAllows). */
export function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  if (!has(rule.verbs, request.verb)) return false;
  if (isNonResource(request)) return nonResourceUrlMatches(rule, request.path);
  return (
    has(rule.apiGroups, request.apiGroup) &&
    resourceMatches(rule, request.resource, request.subresource ?? '') &&
    (rule.resourceNames.length === 0 || rule.resourceNames.includes(request.name ?? ''))
  );
}

/** The user name a ServiceAccount authenticates as. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Whether a binding's subject is `user` (a ServiceAccount subject without namespace takes the binding's). */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return namespace !== '' && user.name === serviceAccountUserName(namespace, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject): string {
  return subject.kind === 'ServiceAccount' ? `ServiceAccount "${subject.namespace}/${subject.name}"` : `${subject.kind} "${subject.name}"`;
}

/** Decides `request` under `policy`. */
export function authorizeRbac(request: RequestAttributes, policy: RbacPolicy): Decision {
  for (const binding of policy.clusterRoleBindings()) {
    const ref = binding.roleRef;
    if (!ref || ref.kind !== 'ClusterRole') continue;
    const subject = binding.subjects.find((s) => subjectMatches(s, request.user, ''));
    if (!subject) continue;
    const role = policy.clusterRole(ref.name);
    if (role?.rules.some((r) => ruleAllows(r, request))) {
      return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${binding.metadata?.name}" of ClusterRole "${ref.name}" to ${describeSubject(subject)}` };
    }
  }
  const namespace = isNonResource(request) ? '' : request.namespace;
  if (namespace) {
    for (const binding of policy.roleBindings(namespace)) {
      const ref = binding.roleRef;
      if (!ref) continue;
      const subject = binding.subjects.find((s) => subjectMatches(s, request.user, namespace));
      if (!subject) continue;
      const role = ref.kind === 'Role' ? policy.role(namespace, ref.name) : ref.kind === 'ClusterRole' ? policy.clusterRole(ref.name) : undefined;
      if (role?.rules.some((r) => ruleAllows(r, request))) {
        return { allowed: true, reason: `RBAC: allowed by RoleBinding "${binding.metadata?.name}/${namespace}" of ${ref.kind} "${ref.name}" to ${describeSubject(subject)}` };
      }
    }
  }
  return { allowed: false, reason: 'no RBAC policy matched' };
}

/**
 * Kubernetes' forbidden message: `pods "web" is forbidden: User "alice" cannot delete resource
 * "pods" in API group "" in the namespace "default"`.
 */
export function forbiddenMessage(request: RequestAttributes): string {
  const user = `User "${request.user.name}"`;
  if (isNonResource(request)) return `forbidden: ${user} cannot ${request.verb} path "${request.path}"`;
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const what = request.name ? `${request.resource} "${request.name}"` : request.resource;
  const scope = request.namespace ? ` in the namespace "${request.namespace}"` : ' at the cluster scope';
  return `${what} is forbidden: ${user} cannot ${request.verb} resource "${resource}" in API group "${request.apiGroup}"${scope}`;
}

/** An RbacPolicy over fixed lists (tests, `skiff auth can-i` offline, the bootstrap policy). */
export function rbacPolicyOf(objects: { clusterRoles?: readonly ClusterRole[]; clusterRoleBindings?: readonly ClusterRoleBinding[]; roles?: readonly Role[]; roleBindings?: readonly RoleBinding[] }): RbacPolicy {
  const ns = (o: { metadata?: { namespace?: string } }) => o.metadata?.namespace ?? '';
  return {
    clusterRoles: () => objects.clusterRoles ?? [],
    clusterRoleBindings: () => objects.clusterRoleBindings ?? [],
    role: (namespace, name) => objects.roles?.find((r) => ns(r) === namespace && r.metadata?.name === name),
    clusterRole: (name) => objects.clusterRoles?.find((r) => r.metadata?.name === name),
    roleBindings: (namespace) => (objects.roleBindings ?? []).filter((b) => ns(b) === namespace),
  };
}
