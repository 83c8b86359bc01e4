import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidError } from './errors';
import { objectFromManifest } from './manifest';
import { POD_FIELD_SUPPORT, podSpecMessageTypes, refusedPodFields } from './pod-field-support';
import { messageSchema } from './proto-schema';

const ROOT = join(__dirname, '../../..');

describe('the pod field table', () => {
  const types = podSpecMessageTypes();

  it.each(types)('has a row for every field of %s', (typeName) => {
    const short = typeName.slice(typeName.lastIndexOf('.') + 1);
    const rows = POD_FIELD_SUPPORT[short] ?? {};
    const missing = messageSchema(typeName).fields.map((f) => f.jsonName).filter((name) => !(name in rows));
    expect(missing).toEqual([]);
  });

  it('has no row for a field or message that is not in the proto', () => {
    const known = new Map(types.map((t) => [t.slice(t.lastIndexOf('.') + 1), messageSchema(t)]));
    const stale = Object.entries(POD_FIELD_SUPPORT).flatMap(([message, rows]) =>
      Object.keys(rows).filter((field) => !known.get(message)?.byJsonName.has(field)).map((field) => `${message}.${field}`),
    );
    expect(stale).toEqual([]);
  });

  it('names, for every supported field, a test file that exists and mentions the field', () => {
    const bad: string[] = [];
    for (const [message, rows] of Object.entries(POD_FIELD_SUPPORT)) {
      for (const [field, row] of Object.entries(rows)) {
        if (!('test' in row)) continue;
        const file = join(ROOT, row.test);
        if (!existsSync(file)) bad.push(`${message}.${field}: ${row.test} does not exist`);
        else if (!readFileSync(file, 'utf8').includes(field)) bad.push(`${message}.${field}: ${row.test} never mentions ${field}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('refusedPodFields', () => {
  it('names each refused field that is set, with its path and reason; none is refused today', () => {
    const refused = Object.entries(POD_FIELD_SUPPORT).flatMap(([message, rows]) => Object.entries(rows).filter(([, row]) => 'refused' in row).map(([field]) => `${message}.${field}`));
    expect(refused).toEqual([]);
    const spec = { containers: [{ name: 'a', image: 'x', lifecycle: { preStop: { sleep: { seconds: 1 } } } }], subdomain: 'web', volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'c' } }] };
    expect(refusedPodFields(spec, 'spec.template.spec')).toEqual([]);
  });

  it('accepts supported fields and defaults of refused ones', () => {
    expect(refusedPodFields({ containers: [{ name: 'a', image: 'x', stdin: false, ports: [{ containerPort: 80 }] }], restartPolicy: 'Always', nodeSelector: {} }, 'spec')).toEqual([]);
  });
});

/**
 * Every field of Kubernetes' (v1.32) PodSpec, Container, Volume, SecurityContext and
 * PodSecurityContext: each is either in the table with a test (accepted) or refused, by the
 * manifest parser (not in our proto: "unknown field") or by validation (a refused row), naming it.
 */
const KUBERNETES_FIELDS = {
  PodSpec: [
    'activeDeadlineSeconds', 'affinity', 'automountServiceAccountToken', 'containers', 'dnsConfig', 'dnsPolicy', 'enableServiceLinks', 'ephemeralContainers',
    'hostAliases', 'hostIPC', 'hostNetwork', 'hostPID', 'hostUsers', 'hostname', 'imagePullSecrets', 'initContainers', 'nodeName', 'nodeSelector', 'os', 'overhead',
    'preemptionPolicy', 'priority', 'priorityClassName', 'readinessGates', 'resourceClaims', 'resources', 'restartPolicy', 'runtimeClassName', 'schedulerName',
    'schedulingGates', 'securityContext', 'serviceAccount', 'serviceAccountName', 'setHostnameAsFQDN', 'shareProcessNamespace', 'subdomain',
    'terminationGracePeriodSeconds', 'tolerations', 'topologySpreadConstraints', 'volumes',
  ],
  Container: [
    'args', 'command', 'env', 'envFrom', 'image', 'imagePullPolicy', 'lifecycle', 'livenessProbe', 'name', 'ports', 'readinessProbe', 'resizePolicy', 'resources',
    'restartPolicy', 'securityContext', 'startupProbe', 'stdin', 'stdinOnce', 'terminationMessagePath', 'terminationMessagePolicy', 'tty', 'volumeDevices',
    'volumeMounts', 'workingDir',
  ],
  Volume: [
    'name', 'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'fc', 'flexVolume',
    'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'hostPath', 'image', 'iscsi', 'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume',
    'projected', 'quobyte', 'rbd', 'scaleIO', 'secret', 'storageos', 'vsphereVolume',
  ],
  SecurityContext: [
    'allowPrivilegeEscalation', 'appArmorProfile', 'capabilities', 'privileged', 'procMount', 'readOnlyRootFilesystem', 'runAsGroup', 'runAsNonRoot', 'runAsUser',
    'seLinuxOptions', 'seccompProfile', 'windowsOptions',
  ],
  PodSecurityContext: [
    'appArmorProfile', 'fsGroup', 'fsGroupChangePolicy', 'runAsGroup', 'runAsNonRoot', 'runAsUser', 'seLinuxChangePolicy', 'seLinuxOptions', 'seccompProfile',
    'supplementalGroups', 'supplementalGroupsPolicy', 'sysctls', 'windowsOptions',
  ],
} as const;

describe("Kubernetes' pod fields", () => {
  const podWith = (patch: (spec: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const spec: Record<string, any> = { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', emptyDir: {} }] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    patch(spec);
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
  };
  const where: Record<keyof typeof KUBERNETES_FIELDS, { path: string; set: (spec: Record<string, any>, field: string) => void }> = { // eslint-disable-line @typescript-eslint/no-explicit-any
    PodSpec: { path: 'spec', set: (spec, f) => (spec[f] = spec[f] ?? { x: 1 }) },
    Container: { path: 'spec.containers[0]', set: (spec, f) => (spec.containers[0][f] = spec.containers[0][f] ?? { x: 1 }) },
    Volume: { path: 'spec.volumes[0]', set: (spec, f) => (spec.volumes[0] = f === 'name' ? spec.volumes[0] : { name: 'v', [f]: { x: 1 } }) },
    SecurityContext: { path: 'spec.containers[0].securityContext', set: (spec, f) => (spec.containers[0].securityContext = { [f]: { x: 1 } }) },
    PodSecurityContext: { path: 'spec.securityContext', set: (spec, f) => (spec.securityContext = { [f]: { x: 1 } }) },
  };

  for (const [message, fields] of Object.entries(KUBERNETES_FIELDS) as [keyof typeof KUBERNETES_FIELDS, readonly string[]][]) {
    const rows = POD_FIELD_SUPPORT[message];
    const schema = messageSchema(`skiff.core.v1.${message}`);
    it(`${message}: every field not in the proto is refused by the parser, naming it`, () => {
      const unknown = fields.filter((f) => !schema.byJsonName.has(f));
      expect(unknown.length).toBeGreaterThan(0);
      for (const field of unknown) {
        const manifest = podWith((spec) => where[message].set(spec, field));
        let error: unknown;
        try {
          objectFromManifest(manifest);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(InvalidError);
        expect((error as InvalidError).fields).toContainEqual({ field: `${where[message].path}.${field}`, detail: 'unknown field' });
      }
    });
    it(`${message}: every field in the proto has a row (tested or refused)`, () => {
      for (const field of fields.filter((f) => schema.byJsonName.has(f))) expect([message, field, !!rows[field]]).toEqual([message, field, true]);
    });
  }
});
