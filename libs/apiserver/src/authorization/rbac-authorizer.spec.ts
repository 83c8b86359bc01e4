import { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from '@skiff/api';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy';
import { authorizeRbac, forbiddenMessage, rbacPolicyOf, ruleAllows, type RequestAttributes, type UserInfo } from './rbac-authorizer';

const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const req = (u: UserInfo, verb: string, resource: string, namespace = '', extra: Partial<{ apiGroup: string; subresource: string; name: string }> = {}): RequestAttributes => {
  const [res, sub] = resource.split('/');
  return { user: u, verb, apiGroup: extra.apiGroup ?? '', resource: res, subresource: sub ?? extra.subresource ?? '', namespace, name: extra.name ?? '' };
};
const rule = (p: Partial<PolicyRule>) => PolicyRule.fromPartial(p);

describe('ruleAllows (Kubernetes rule matching)', () => {
  const alice = user('alice');
  it.each([
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req(alice, 'get', 'pods', 'a'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req(alice, 'list', 'pods', 'a'), false],
    [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }, req(alice, 'deletecollection', 'pods', 'a'), true],
    [{ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, req(alice, 'get', 'pods', 'a'), false],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] }, req(alice, 'get', 'deployments', 'a', { apiGroup: 'apps' }), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req(alice, 'get', 'pods/log', 'a'), false],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, req(alice, 'get', 'pods/log', 'a'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, req(alice, 'get', 'pods', 'a'), false],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, req(alice, 'get', 'deployments/scale', 'a', { apiGroup: 'apps' }), true],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, req(alice, 'get', 'deployments', 'a', { apiGroup: 'apps' }), false],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods/*'] }, req(alice, 'get', 'pods/log', 'a'), false],
    [{ verbs: ['get'], apiGroups: [''], resources: ['*'] }, req(alice, 'get', 'pods/exec', 'a'), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }, req(alice, 'get', 'secrets', 'a', { name: 's1' }), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }, req(alice, 'get', 'secrets', 'a', { name: 's2' }), false],
    [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] }, req(alice, 'list', 'secrets', 'a'), false],
    [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }, { user: alice, verb: 'get', path: '/healthz' }, true],
    [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { user: alice, verb: 'get', path: '/apis/apps/v1' }, true],
    [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { user: alice, verb: 'get', path: '/api' }, false],
    [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }, req(alice, 'get', 'healthz'), false],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, { user: alice, verb: 'get', path: '/healthz' }, false],
  ] as const)('%j allows %j: %s', (r, request, allowed) => {
    expect(ruleAllows(rule(r as unknown as Partial<PolicyRule>), request as RequestAttributes)).toBe(allowed);
  });
});

describe('authorizeRbac with the bootstrap policy', () => {
  const bindings = [
    RoleBinding.fromPartial({ metadata: { name: 'alice-edit', namespace: 'a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }] }),
    RoleBinding.fromPartial({ metadata: { name: 'viewers', namespace: 'a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'qa' }] }),
    RoleBinding.fromPartial({ metadata: { name: 'robot', namespace: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'builder' }] }),
    RoleBinding.fromPartial({ metadata: { name: 'dangling', namespace: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'missing' }, subjects: [{ kind: 'User', name: 'alice' }] }),
  ];
  const roles = [Role.fromPartial({ metadata: { name: 'secret-reader', namespace: 'b' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['build-key'] }] })];
  const policy = rbacPolicyOf({ clusterRoles: BOOTSTRAP_CLUSTER_ROLES, clusterRoleBindings: BOOTSTRAP_CLUSTER_ROLE_BINDINGS, roles, roleBindings: bindings });
  const allowed = (r: RequestAttributes) => authorizeRbac(r, policy).allowed;
  const alice = user('alice');
  const carol = user('carol', 'qa');
  const admin = user('root', 'system:masters');
  const builder = user('system:serviceaccount:b:builder', 'system:serviceaccounts', 'system:serviceaccounts:b');

  it('an edit user bound in namespace a: writes pods and reads Secrets in a, nothing in b, no RBAC objects', () => {
    expect(allowed(req(alice, 'create', 'pods', 'a'))).toBe(true);
    expect(allowed(req(alice, 'create', 'pods/exec', 'a'))).toBe(true);
    expect(allowed(req(alice, 'get', 'secrets', 'a', { name: 's' }))).toBe(true);
    expect(allowed(req(alice, 'get', 'secrets', 'b', { name: 's' }))).toBe(false);
    expect(allowed(req(alice, 'list', 'pods', ''))).toBe(false);
    expect(allowed(req(alice, 'create', 'rolebindings', 'a', { apiGroup: 'rbac.authorization.k8s.io' }))).toBe(false);
    expect(allowed(req(alice, 'update', 'deployments/scale', 'a', { apiGroup: 'apps' }))).toBe(true);
    expect(allowed(req(alice, 'list', 'nodes', ''))).toBe(false);
  });

  it('a view user (by group): reads pods and their logs, but neither deletes, reads Secrets nor execs', () => {
    expect(allowed(req(carol, 'get', 'pods', 'a', { name: 'web' }))).toBe(true);
    expect(allowed(req(carol, 'get', 'pods/log', 'a', { name: 'web' }))).toBe(true);
    expect(allowed(req(carol, 'delete', 'pods', 'a', { name: 'web' }))).toBe(false);
    expect(allowed(req(carol, 'get', 'secrets', 'a', { name: 's' }))).toBe(false);
    expect(allowed(req(carol, 'create', 'pods/exec', 'a', { name: 'web' }))).toBe(false);
  });

  it('a service account bound to a Role limited to one Secret name', () => {
    expect(allowed(req(builder, 'get', 'secrets', 'b', { name: 'build-key' }))).toBe(true);
    expect(allowed(req(builder, 'get', 'secrets', 'b', { name: 'other' }))).toBe(false);
    expect(allowed(req(builder, 'get', 'secrets', 'a', { name: 'build-key' }))).toBe(false);
    expect(allowed(req(user('system:serviceaccount:a:builder'), 'get', 'secrets', 'b', { name: 'build-key' }))).toBe(false);
  });

  it('system:masters may do anything, discovery is open to every authenticated user, and the reason names the binding', () => {
    expect(authorizeRbac(req(admin, 'delete', 'nodes', '', { name: 'n1' }), policy)).toEqual({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"' });
    expect(allowed({ user: admin, verb: 'get', path: '/metrics' })).toBe(true);
    expect(allowed({ user: alice, verb: 'get', path: '/version' })).toBe(true);
    expect(allowed({ user: alice, verb: 'get', path: '/metrics' })).toBe(false);
    expect(allowed({ user: { name: 'system:anonymous', groups: ['system:unauthenticated'] }, verb: 'get', path: '/healthz' })).toBe(true);
    expect(allowed(req({ name: 'system:anonymous', groups: ['system:unauthenticated'] }, 'list', 'pods', 'a'))).toBe(false);
    expect(authorizeRbac(req(alice, 'get', 'pods', 'a'), policy).reason).toBe('RBAC: allowed by RoleBinding "alice-edit/a" of ClusterRole "edit" to User "alice"');
  });

  it('the components: the scheduler binds pods but does not delete nodes; the proxy only reads', () => {
    const scheduler = user('system:kube-scheduler');
    expect(allowed(req(scheduler, 'create', 'pods/binding', 'a', { name: 'web' }))).toBe(true);
    expect(allowed(req(scheduler, 'delete', 'nodes', '', { name: 'n1' }))).toBe(false);
    const proxy = user('system:kube-proxy');
    expect(allowed(req(proxy, 'watch', 'endpoints', ''))).toBe(true);
    expect(allowed(req(proxy, 'update', 'services', 'a', { name: 'x' }))).toBe(false);
  });

  it("Kubernetes' forbidden message", () => {
    expect(forbiddenMessage(req(carol, 'delete', 'pods', 'a', { name: 'web' }))).toBe('pods "web" is forbidden: User "carol" cannot delete resource "pods" in API group "" in the namespace "a"');
    expect(forbiddenMessage(req(carol, 'list', 'nodes', ''))).toBe('nodes is forbidden: User "carol" cannot list resource "nodes" in API group "" at the cluster scope');
    expect(forbiddenMessage(req(carol, 'create', 'pods/exec', 'a', { name: 'web' }))).toBe('pods "web" is forbidden: User "carol" cannot create resource "pods/exec" in API group "" in the namespace "a"');
  });

  it('bindings to other kinds or subjects grant nothing', () => {
    const odd = rbacPolicyOf({
      clusterRoles: [ClusterRole.fromPartial({ metadata: { name: 'all' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] })],
      clusterRoleBindings: [
        ClusterRoleBinding.fromPartial({ metadata: { name: 'to-role' }, roleRef: { kind: 'Role', name: 'all' }, subjects: [{ kind: 'User', name: 'alice' }] }),
        ClusterRoleBinding.fromPartial({ metadata: { name: 'weird-subject' }, roleRef: { kind: 'ClusterRole', name: 'all' }, subjects: [{ kind: 'Robot', name: 'alice' }] }),
        ClusterRoleBinding.fromPartial({ metadata: { name: 'sa-no-namespace' }, roleRef: { kind: 'ClusterRole', name: 'all' }, subjects: [{ kind: 'ServiceAccount', name: 'default' }] }),
      ],
    });
    expect(authorizeRbac(req(alice, 'get', 'pods', 'a'), odd).allowed).toBe(false);
    expect(authorizeRbac(req(user('system:serviceaccount::default'), 'get', 'pods', 'a'), odd).allowed).toBe(false);
  });
});
