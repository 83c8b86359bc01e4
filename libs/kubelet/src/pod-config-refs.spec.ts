import { Pod } from '@skiff/api';
import { podConfigRefs } from './pod-config-refs';

describe('podConfigRefs', () => {
  it('collects every ConfigMap and Secret a pod uses, from init and app containers, volumes and pull secrets', () => {
    const pod = Pod.fromPartial({
      metadata: { name: 'p', namespace: 'ns' },
      spec: {
        initContainers: [
          {
            name: 'init',
            envFrom: [{ configMapRef: { name: 'init-cm' } }, { secretRef: { name: 'init-secret' } }],
            env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'init-key-cm', key: 'k' } } }],
          },
        ],
        containers: [
          {
            name: 'app',
            envFrom: [{ prefix: 'P_', configMapRef: { name: 'app-cm', optional: true } }],
            env: [
              { name: 'PLAIN', value: 'x' },
              { name: 'S', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
              { name: 'F', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
          },
          { name: 'sidecar', env: [{ name: 'C', valueFrom: { configMapKeyRef: { name: 'app-cm', key: 'k' } } }] },
        ],
        volumes: [
          { name: 'v1', configMap: { name: 'vol-cm' } },
          { name: 'v2', secret: { secretName: 'vol-secret' } },
          { name: 'v3', emptyDir: {} },
          {
            name: 'v4',
            projected: {
              sources: [
                { configMap: { name: 'proj-cm' } },
                { secret: { name: 'proj-secret' } },
                { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
              ],
            },
          },
        ],
        imagePullSecrets: [{ name: 'regcred' }],
      },
    });
    const refs = podConfigRefs(pod);
    expect([...refs.configMaps].sort()).toEqual(['app-cm', 'init-cm', 'init-key-cm', 'proj-cm', 'vol-cm']);
    expect([...refs.secrets].sort()).toEqual(['app-secret', 'init-secret', 'proj-secret', 'regcred', 'vol-secret']);
  });

  it('is empty for a pod without references, and leaves empty names out', () => {
    expect(podConfigRefs(Pod.fromPartial({ spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } }))).toEqual({
      configMaps: new Set(),
      secrets: new Set(),
    });
    const pod = Pod.fromPartial({ spec: { imagePullSecrets: [{ name: '' }], volumes: [{ name: 'v', secret: { secretName: '' } }] } });
    expect(podConfigRefs(pod).secrets.size).toBe(0);
    expect(podConfigRefs(Pod.fromPartial({})).configMaps.size).toBe(0);
  });
});
