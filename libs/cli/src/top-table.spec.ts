import { Node, NodeMetrics, PodMetrics } from '@skiff/api';
import { renderTable } from './table';
import { nodeTopTable, parseTopSortBy, percentCell, podTopTable } from './top-table';

const pod = (namespace: string, name: string, containers: [string, string, string][]) =>
  PodMetrics.fromPartial({ metadata: { namespace, name }, containers: containers.map(([n, cpu, memory]) => ({ name: n, usage: { cpu, memory } })) });
const pods = [
  pod('default', 'web', [['app', '250000001n', '100Mi'], ['sidecar', '1000001n', '5000Ki']]),
  pod('shop', 'db', [['db', '900m', '50Mi']]),
];

describe('top tables', () => {
  it('prints pods as kubectl: millicores rounded up, whole Mi rounded down, containers summed', () => {
    expect(renderTable(...Object.values(podTopTable(pods)) as [string[], string[][]])).toEqual([
      'NAME   CPU(cores)   MEMORY(bytes)',
      'web    252m         104Mi', // 250000001n + 1000001n = 251000002n: 252m (not 251m + 2m)
      'db     900m         50Mi',
    ]);
  });

  it('adds NAMESPACE with -A, a line per container with --containers, and sorts largest first', () => {
    const { header, rows } = podTopTable(pods, { withNamespace: true, containers: true, sortBy: 'cpu' });
    expect(header).toEqual(['NAMESPACE', 'POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(rows).toEqual([
      ['shop', 'db', 'db', '900m', '50Mi'],
      ['default', 'web', 'app', '251m', '100Mi'],
      ['default', 'web', 'sidecar', '2m', '4Mi'],
    ]);
    expect(podTopTable(pods, { sortBy: 'memory' }).rows.map((r) => r[0])).toEqual(['web', 'db']);
  });

  it('prints nodes with their share of allocatable, and <unknown> for nodes without metrics', () => {
    const node = (name: string, cpu: string, memory: string) => Node.fromPartial({ metadata: { name }, status: { allocatable: { cpu, memory } } });
    const nodes = [node('a', '2', '4Gi'), node('b', '4', '8Gi'), node('c', '1', '1Gi')];
    const metrics = [
      NodeMetrics.fromPartial({ metadata: { name: 'a' }, usage: { cpu: '500m', memory: '1Gi' } }),
      NodeMetrics.fromPartial({ metadata: { name: 'b' }, usage: { cpu: '3999m', memory: '100Mi' } }),
    ];
    expect(renderTable(...Object.values(nodeTopTable(nodes, metrics, 'cpu')) as [string[], string[][]])).toEqual([
      'NAME   CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%',
      'b      3999m        99%         100Mi           1%',
      'a      500m         25%         1024Mi          25%',
      'c      <unknown>    <unknown>   <unknown>       <unknown>',
    ]);
  });

  it('refuses other sort fields, and has no percentage without allocatable', () => {
    expect(parseTopSortBy(undefined)).toBeUndefined();
    expect(() => parseTopSortBy('name')).toThrow('cpu or memory');
    expect(percentCell(10, 0)).toBe('<unknown>');
  });
});
