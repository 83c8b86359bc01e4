import type { Container, Pod, PodSecurityContext, SecurityContext } from '@skiff/api';
import { effectiveSecurity, effectiveSecurityContext, verifyRunAsNonRoot } from './security-context';

const container = (securityContext?: Partial<SecurityContext>): Container =>
  ({ name: 'app', image: 'img:1', securityContext: securityContext && { procMount: '', ...securityContext } }) as unknown as Container;
const pod = (securityContext?: Partial<PodSecurityContext>): Pod =>
  ({
    metadata: { name: 'web', namespace: 'team', uid: 'u-1' },
    spec: { containers: [], securityContext: securityContext && { supplementalGroups: [], ...securityContext } },
  }) as unknown as Pod;

describe('effectiveSecurity', () => {
  it('is empty (the runtime defaults) without security contexts', () => {
    expect(effectiveSecurityContext(pod(), container())).toBeUndefined();
    expect(effectiveSecurity(pod(), container())).toEqual({});
    expect(effectiveSecurity(pod({}), container({}))).toEqual({});
  });

  it('takes the pod\'s user, group and non-root flag where the container sets none, field by field', () => {
    const p = pod({ runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true });
    expect(effectiveSecurity(p, container())).toEqual({ user: 1000, group: 3000 });
    expect(effectiveSecurity(p, container({ runAsUser: 2000 }))).toEqual({ user: 2000, group: 3000 });
    expect(effectiveSecurity(p, container({ runAsGroup: 0 }))).toEqual({ user: 1000, group: 0 });
    expect(effectiveSecurityContext(p, container({ runAsNonRoot: false }))?.runAsNonRoot).toBe(false);
    expect(effectiveSecurityContext(pod({ runAsUser: 0 }), container({ runAsUser: 5 }))?.runAsUser).toBe(5);
  });

  it('gives the pod\'s fsGroup and then its supplemental groups as extra groups', () => {
    expect(effectiveSecurity(pod({ fsGroup: 2000, supplementalGroups: [4000, 5000] }), container()).supplementalGroups).toEqual([2000, 4000, 5000]);
    expect(effectiveSecurity(pod({ supplementalGroups: [4000] }), container({ runAsUser: 1 }))).toEqual({ user: 1, supplementalGroups: [4000] });
    expect(effectiveSecurity(pod({ fsGroup: 0 }), container()).supplementalGroups).toEqual([0]);
  });

  it('maps the container\'s capabilities, privileged, read-only root and allowPrivilegeEscalation', () => {
    const sc = { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false };
    expect(effectiveSecurity(pod(), container(sc))).toEqual({ capAdd: ['NET_ADMIN'], capDrop: ['ALL'], readOnlyRootFilesystem: true, noNewPrivileges: true });
    expect(effectiveSecurity(pod(), container({ privileged: true, allowPrivilegeEscalation: true }))).toEqual({ privileged: true });
    expect(effectiveSecurity(pod(), container({ privileged: false, readOnlyRootFilesystem: false, capabilities: { add: [], drop: [] } }))).toEqual({});
  });
});

describe('verifyRunAsNonRoot', () => {
  const where = '(pod: "web_team(u-1)", container: app)';
  it('passes when runAsNonRoot is not asked for', () => {
    expect(verifyRunAsNonRoot(pod(), container(), '')).toBeUndefined();
    expect(verifyRunAsNonRoot(pod({ runAsNonRoot: false }), container({ runAsUser: 0 }), '')).toBeUndefined();
    expect(verifyRunAsNonRoot(pod({ runAsNonRoot: true }), container({ runAsNonRoot: false }), '')).toBeUndefined();
  });

  it('refuses a runAsUser of 0 and trusts any other', () => {
    expect(verifyRunAsNonRoot(pod({ runAsNonRoot: true, runAsUser: 0 }), container(), '1000')).toBe(`container's runAsUser breaks non-root policy ${where}`);
    expect(verifyRunAsNonRoot(pod({ runAsNonRoot: true }), container({ runAsUser: 0 }), '1000')).toBe(`container's runAsUser breaks non-root policy ${where}`);
    expect(verifyRunAsNonRoot(pod({ runAsNonRoot: true, runAsUser: 0 }), container({ runAsUser: 1000 }), '')).toBeUndefined();
    expect(verifyRunAsNonRoot(pod(), container({ runAsNonRoot: true, runAsUser: 1 }), 'root')).toBeUndefined();
  });

  it('without a runAsUser, checks the image\'s user: none or 0 is root, a name cannot be verified', () => {
    const p = pod({ runAsNonRoot: true });
    expect(verifyRunAsNonRoot(p, container(), '')).toBe(`container has runAsNonRoot and image will run as root ${where}`);
    expect(verifyRunAsNonRoot(p, container(), '0')).toBe(`container has runAsNonRoot and image will run as root ${where}`);
    expect(verifyRunAsNonRoot(p, container(), '0:1000')).toBe(`container has runAsNonRoot and image will run as root ${where}`);
    expect(verifyRunAsNonRoot(p, container(), ':1000')).toBe(`container has runAsNonRoot and image will run as root ${where}`);
    expect(verifyRunAsNonRoot(p, container(), '1000')).toBeUndefined();
    expect(verifyRunAsNonRoot(p, container(), '1000:1000')).toBeUndefined();
    expect(verifyRunAsNonRoot(p, container(), 'nobody:nogroup')).toBe(
      `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root ${where}`,
    );
    expect(verifyRunAsNonRoot(p, container(), '4294967296')).toBe(
      `container has runAsNonRoot and image has an invalid user id (4294967296). (Must be 1-(2147483647)): must be between 0 and 2147483647, inclusive ${where}`,
    );
    // A runAsGroup does not make the user non-root.
    expect(verifyRunAsNonRoot(pod({ runAsNonRoot: true, runAsGroup: 1000 }), container(), '')).toBe(`container has runAsNonRoot and image will run as root ${where}`);
  });
});
