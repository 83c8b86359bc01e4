import { PodSpec } from '@skiff/api';
import { describeViolations, podSecurityViolations } from './pod-security';

const spec = (partial: object) => PodSpec.fromPartial({ containers: [{ name: 'c', image: 'i' }], ...partial });
const checks = (level: 'baseline' | 'restricted', s: PodSpec) => podSecurityViolations(level, s).map((v) => v.check);

describe('Pod Security Standards', () => {
  it('privileged allows anything; a plain pod passes baseline', () => {
    const hostile = spec({ containers: [{ name: 'c', image: 'i', securityContext: { privileged: true } }], volumes: [{ name: 'root', hostPath: { path: '/' } }] });
    expect(podSecurityViolations('privileged', hostile)).toEqual([]);
    expect(podSecurityViolations('baseline', spec({}))).toEqual([]);
  });

  it("baseline: privileged, added capabilities beyond Docker's defaults, hostPath, hostPort, procMount, in Kubernetes' words", () => {
    const s = spec({
      initContainers: [{ name: 'init', image: 'i', securityContext: { privileged: true } }],
      containers: [
        { name: 'a', image: 'i', securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'CHOWN'] } }, ports: [{ containerPort: 80, hostPort: 8080 }] },
        { name: 'b', image: 'i', securityContext: { capabilities: { add: ['cap_sys_admin', 'NET_BIND_SERVICE'] }, procMount: 'Unmasked' } },
      ],
      volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }, { name: 'tmp', emptyDir: {} }],
    });
    const violations = podSecurityViolations('baseline', s);
    expect(describeViolations('baseline', violations)).toBe(
      'violates PodSecurity "baseline:latest": privileged (containers "init", "a" must not set securityContext.privileged=true), ' +
        'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add), ' +
        'hostPath volumes (volume "logs"), hostPort (container "a" uses hostPort 8080), ' +
        'procMount (container "b" must not set securityContext.procMount to "Unmasked")',
    );
    expect(checks('baseline', spec({ containers: [{ name: 'c', image: 'i', securityContext: { capabilities: { add: ['CHOWN', 'KILL'] } } }] }))).toEqual([]);
  });

  it('restricted: adds escalation, capabilities, non-root, root user, volume types and seccomp', () => {
    const s = spec({ securityContext: { runAsUser: 0 }, volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] });
    expect(checks('restricted', s)).toEqual(['hostPath volumes', 'restricted volume types', 'allowPrivilegeEscalation != false', 'unrestricted capabilities', 'runAsNonRoot != true', 'runAsUser=0', 'seccompProfile']);
    const v = podSecurityViolations('restricted', spec({}));
    expect(v.find((x) => x.check === 'runAsNonRoot != true')?.detail).toBe('pod or container "c" must set securityContext.runAsNonRoot=true');
    expect(v.find((x) => x.check === 'allowPrivilegeEscalation != false')?.detail).toBe('container "c" must set securityContext.allowPrivilegeEscalation=false');
    expect(v.find((x) => x.check === 'unrestricted capabilities')?.detail).toBe('container "c" must set securityContext.capabilities.drop=["ALL"]');
  });

  it('restricted: a hardened pod fails only seccompProfile (not in the API yet)', () => {
    const hardened = spec({
      securityContext: { runAsNonRoot: true, runAsUser: 1000 },
      containers: [{ name: 'c', image: 'i', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
      volumes: [{ name: 'cfg', configMap: { name: 'x' } }, { name: 'data', persistentVolumeClaim: { claimName: 'd' } }],
    });
    expect(checks('restricted', hardened)).toEqual(['seccompProfile']);
    const podSaysRoot = spec({ securityContext: { runAsNonRoot: false }, containers: [{ name: 'c', image: 'i', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] });
    expect(podSecurityViolations('restricted', podSaysRoot).find((x) => x.check === 'runAsNonRoot != true')?.detail).toBe('pod must not set securityContext.runAsNonRoot=false');
  });
});
