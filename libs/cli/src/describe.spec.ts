import { findKind, type Event, type KubeObject } from '@skiff/api';
import { describeObject, isEventFor } from './describe';

const now = new Date('2024-05-01T12:00:00Z');
const pods = findKind('pod')!;

function decode(kind: string, json: unknown): KubeObject {
  return findKind(kind)!.codec.fromJSON(json) as KubeObject;
}

describe('describeObject', () => {
  const pod = decode('pod', {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web', tier: 'fe' }, creationTimestamp: '2024-05-01T11:59:00Z' },
    spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'prod' }], resources: { limits: { cpu: '500m' } } }] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
  });

  it('prints the kubectl-like summary of a pod', () => {
    const text = describeObject(pods, pod, [], now);
    expect(text).toContain('Name:               web\n');
    expect(text).toContain('Namespace:          default\n');
    expect(text).toContain('Labels:             app=web\n                    tier=fe\n');
    expect(text).toContain('Annotations:        <none>\nCreationTimestamp:  Wed, 01 May 2024 11:59:00 +0000\n');
    expect(text).toContain('Status:             Pending\n');
    expect(text).toMatch(/Containers:\n  web:\n    Image:\s+nginx:1\n    Port:\s+80\/TCP\n/);
    expect(text).toMatch(/    Limits:\n      cpu:  500m\n/);
    expect(text).toMatch(/MODE:\s+prod/);
    expect(text).toMatch(/Conditions:\n  Type\s+Status\n  PodScheduled\s+False\n/);
    expect(text).toContain('Events:             <none>\n');
  });

  it('shows probes as kubectl does, with the restart count and how the last instance ended', () => {
    const probed = decode('pod', {
      metadata: { name: 'live', namespace: 'default', uid: 'u2' },
      spec: {
        containers: [{
          name: 'web', image: 'busybox',
          livenessProbe: { httpGet: { path: '/healthz', port: { intVal: 8080 }, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 1, successThreshold: 1, failureThreshold: 3 },
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 2, failureThreshold: 3 },
          startupProbe: { tcpSocket: { port: { strVal: 'http' } }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 30 },
        }],
      },
      status: {
        phase: 'Running',
        containerStatuses: [{
          name: 'web', ready: false, restartCount: 2, started: true,
          state: { running: { startedAt: '2024-05-01T11:59:30Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2024-05-01T11:59:00Z', finishedAt: '2024-05-01T11:59:29Z' } },
        }],
      },
    });
    const text = describeObject(pods, probed, [], now);
    expect(text).toMatch(/    State:\s+Running\n      Started:\s+Wed, 01 May 2024 11:59:30 \+0000\n    Last State:\s+Terminated\n      Reason:\s+Error\n      Exit Code:\s+137\n      Started:\s+Wed, 01 May 2024 11:59:00 \+0000\n      Finished:\s+Wed, 01 May 2024 11:59:29 \+0000\n    Ready:\s+False\n    Restart Count:\s+2\n/);
    expect(text).toMatch(/    Liveness:\s+http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=1s #success=1 #failure=3\n/);
    expect(text).toMatch(/    Readiness:\s+exec \[cat \/tmp\/ready\] delay=5s timeout=1s period=5s #success=2 #failure=3\n/);
    expect(text).toMatch(/    Startup:\s+tcp-socket :http delay=0s timeout=1s period=10s #success=1 #failure=30\n    Environment:/);
  });

  it('lists the object\'s events', () => {
    const event = decode('event', {
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled', message: 'assigned default/web to node-1', type: 'Normal', source: { component: 'default-scheduler' },
      lastTimestamp: '2024-05-01T11:59:55Z', count: 1,
    }) as Event;
    expect(isEventFor(event, pods, pod)).toBe(true);
    const text = describeObject(pods, pod, [event], now);
    expect(text).toMatch(/Events:\n  Type\s+Reason\s+Age\s+From\s+Message\n  ----\s+------\s+----\s+----\s+-------\n  Normal\s+Scheduled\s+5s\s+default-scheduler\s+assigned default\/web to node-1\n/);
  });

  it('prints configmap data and falls back to YAML for other kinds', () => {
    const cm = decode('cm', { metadata: { name: 'conf', namespace: 'default' }, data: { 'app.conf': 'x=1' } });
    expect(describeObject(findKind('cm')!, cm, [], now)).toContain('Data\n====\napp.conf:\n----\nx=1\n');
    const lease = decode('lease', { metadata: { name: 'l', namespace: 'default' }, spec: { holderIdentity: 'me' } });
    expect(describeObject(findKind('lease')!, lease, [], now)).toContain('Spec:\n  holderIdentity: me\n');
  });
});
