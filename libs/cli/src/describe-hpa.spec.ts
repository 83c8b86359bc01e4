import { findKind, type KubeObject } from '@skiff/api';
import { describeObject } from './describe';
import { describeMetric } from './describe-hpa';

const now = new Date('2024-05-01T12:00:00Z');
const hpaKind = findKind('hpa')!;
const decode = (json: unknown) => hpaKind.codec.fromJSON(json) as KubeObject;

describe('describe hpa', () => {
  const hpa = decode({
    metadata: { name: 'web', namespace: 'default', uid: 'h1', creationTimestamp: '2024-05-01T11:00:00Z' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
      ],
    },
    status: {
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 80, averageValue: '80m' } } }, { type: '' }],
      conditions: [
        { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 3' },
        { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' },
      ],
    },
  });

  it('prints reference, metrics (current / target), bounds, pods and conditions as kubectl', () => {
    const text = describeObject(hpaKind, hpa, [], now);
    expect(text).toContain('Reference:          Deployment/web\n');
    expect(text).toContain('Metrics:            ( current / target )\n');
    expect(text).toContain('  resource cpu on pods  (as a percentage of request):  80% (80m) / 50%\n');
    expect(text).toContain('  resource memory on pods:  <unknown> / 100Mi\n');
    expect(text).toContain('Min replicas:       1\nMax replicas:       5\nDeployment pods:    2 current / 3 desired\n');
    expect(text).toMatch(/Conditions:\n  Type\s+Status\s+Reason\s+Message\n  ----\s+------\s+------\s+-------\n  AbleToScale\s+True\s+SucceededRescale\s+the HPA controller was able to update the target scale to 3\n/);
    expect(text).toContain('Events:             <none>\n');
  });

  it('prints a behavior when the HPA has one', () => {
    const withBehavior = decode({
      metadata: { name: 'b', namespace: 'default' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5,
        behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } },
      },
    });
    expect(describeObject(hpaKind, withBehavior, [], now)).toContain('Behavior:\n  Scale Down:\n    Stabilization Window: 60 seconds\n    Select Policy: Min\n    Policies:\n      - Type: Pods  Value: 1  Period: 30 seconds\n');
  });

  it('shows <unknown> before the first sync and <auto> without a utilization target', () => {
    expect(describeMetric({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', value: '', averageValue: '', averageUtilization: 50 } } }, undefined)).toEqual([
      'resource cpu on pods  (as a percentage of request)',
      '<unknown> / 50%',
    ]);
    expect(describeMetric({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Value', value: '1', averageValue: '', averageUtilization: undefined } } }, undefined)[1]).toBe('<unknown> / <auto>');
  });
});
