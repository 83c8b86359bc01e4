import { findKind, intOrString, PodDisruptionBudget, type KubeObject } from '@skiff/api';
import { describeObject } from './describe';
import { renderTable } from './table';
import { tableLayout } from './table-columns';

const now = new Date('2024-05-01T12:00:00Z');
const info = findKind('pdb')!;

const pdb = (name: string, spec: { minAvailable?: number | string; maxUnavailable?: number | string }, allowed: number) =>
  PodDisruptionBudget.fromPartial({
    metadata: { name, namespace: 'default', creationTimestamp: new Date(now.getTime() - 65_000) },
    spec: {
      selector: { matchLabels: { app: name } },
      minAvailable: spec.minAvailable !== undefined ? intOrString(spec.minAvailable) : undefined,
      maxUnavailable: spec.maxUnavailable !== undefined ? intOrString(spec.maxUnavailable) : undefined,
    },
    status: { disruptionsAllowed: allowed, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
  });

describe('PodDisruptionBudgets in get and describe', () => {
  it('get pdb: NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE, N/A for the unset one', () => {
    const layout = tableLayout(info, {}, now);
    expect(renderTable(layout.header, [pdb('web', { minAvailable: 2 }, 1), pdb('api', { maxUnavailable: '25%' }, 0)].map((o) => layout.row(o as KubeObject)))).toEqual([
      'NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE',
      'web    2               N/A               1                     65s',
      'api    N/A             25%               0                     65s',
    ]);
  });

  it('describe pdb as kubectl', () => {
    expect(describeObject(info, pdb('web', { minAvailable: 2 }, 1) as KubeObject, [], now)).toBe(
      [
        'Name:           web',
        'Namespace:      default',
        'Min available:  2',
        'Selector:       app=web',
        'Status:',
        '    Allowed disruptions:  1',
        '    Current:              3',
        '    Desired:              2',
        '    Total:                3',
        'Events:             <none>',
        '',
      ].join('\n'),
    );
    expect(describeObject(info, pdb('api', { maxUnavailable: '25%' }, 0) as KubeObject, [], now)).toContain('Max unavailable:  25%');
  });
});
