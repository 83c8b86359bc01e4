import type { Affinity, NodeSelectorRequirement } from '@skiff/api';
import { node, nodeInfo, podInfo } from '../test-objects.spec-helper';
import { ERR_REASON_AFFINITY, nodeAffinityFilter, nodeAffinityScore, nodeSelectorFilter } from './node-affinity';
import { termMatches } from './node-selector-terms';

const required = (...matchExpressions: NodeSelectorRequirement[]): Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions, matchFields: [] }] }, preferredDuringSchedulingIgnoredDuringExecution: [] },
});
const req = (key: string, operator: string, ...values: string[]): NodeSelectorRequirement => ({ key, operator, values });

describe('NodeSelector', () => {
  it('needs every label of spec.nodeSelector on the node', () => {
    const n = nodeInfo('n', { labels: { disk: 'ssd', zone: 'a' } });
    expect(nodeSelectorFilter.filter(podInfo('p', { nodeSelector: { disk: 'ssd' } }), n).code).toBe('Success');
    const status = nodeSelectorFilter.filter(podInfo('p', { nodeSelector: { disk: 'ssd', zone: 'b' } }), n);
    expect(status).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY] });
  });
});

describe('node selector terms', () => {
  const n = node('node-1', { labels: { zone: 'a', cores: '8' } });
  const term = (...matchExpressions: NodeSelectorRequirement[]) => ({ matchExpressions, matchFields: [] });

  it.each([
    [req('zone', 'In', 'a', 'b'), true],
    [req('zone', 'In', 'b'), false],
    [req('zone', 'NotIn', 'b'), true],
    [req('missing', 'NotIn', 'b'), true],
    [req('zone', 'NotIn', 'a'), false],
    [req('zone', 'Exists'), true],
    [req('missing', 'Exists'), false],
    [req('missing', 'DoesNotExist'), true],
    [req('zone', 'DoesNotExist'), false],
    [req('cores', 'Gt', '4'), true],
    [req('cores', 'Gt', '8'), false],
    [req('cores', 'Lt', '16'), true],
    [req('cores', 'Lt', '8'), false],
    [req('zone', 'Gt', '1'), false],
    [req('missing', 'Lt', '1'), false],
    [req('cores', 'Gt', '1', '2'), false],
    [req('zone', 'Bogus', 'a'), false],
  ])('%j -> %s', (r, expected) => {
    expect(termMatches(term(r), n)).toBe(expected);
  });

  it('ANDs the requirements of a term; an empty term matches nothing', () => {
    expect(termMatches(term(req('zone', 'In', 'a'), req('cores', 'Gt', '4')), n)).toBe(true);
    expect(termMatches(term(req('zone', 'In', 'a'), req('cores', 'Gt', '9')), n)).toBe(false);
    expect(termMatches(term(), n)).toBe(false);
  });

  it('matches fields on metadata.name only', () => {
    expect(termMatches({ matchExpressions: [], matchFields: [req('metadata.name', 'In', 'node-1')] }, n)).toBe(true);
    expect(termMatches({ matchExpressions: [], matchFields: [req('metadata.name', 'NotIn', 'node-1')] }, n)).toBe(false);
    expect(termMatches({ matchExpressions: [], matchFields: [req('metadata.uid', 'In', 'node-1')] }, n)).toBe(false);
  });
});

describe('NodeAffinity', () => {
  it('filters on the required terms (ORed)', () => {
    const n = nodeInfo('n', { labels: { zone: 'a' } });
    expect(nodeAffinityFilter.filter(podInfo('p'), n).code).toBe('Success');
    expect(nodeAffinityFilter.filter(podInfo('p', { affinity: required(req('zone', 'In', 'a')) }), n).code).toBe('Success');
    expect(nodeAffinityFilter.filter(podInfo('p', { affinity: required(req('zone', 'In', 'b')) }), n).reasons).toEqual([ERR_REASON_AFFINITY]);
    const either: Affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [req('zone', 'In', 'b')], matchFields: [] },
            { matchExpressions: [], matchFields: [req('metadata.name', 'In', 'n')] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [],
      },
    };
    expect(nodeAffinityFilter.filter(podInfo('p', { affinity: either }), n).code).toBe('Success');
  });

  it('scores preferred terms by weight, normalised to 0..100', () => {
    const affinity: Affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: undefined,
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 80, preference: { matchExpressions: [req('disk', 'In', 'ssd')], matchFields: [] } },
          { weight: 20, preference: { matchExpressions: [req('zone', 'In', 'a')], matchFields: [] } },
        ],
      },
    };
    const p = podInfo('p', { affinity });
    const nodes = [nodeInfo('a', { labels: { disk: 'ssd', zone: 'a' } }), nodeInfo('b', { labels: { zone: 'a' } }), nodeInfo('c')];
    const raw = nodes.map((n) => nodeAffinityScore.score(p, n));
    expect(raw).toEqual([100, 20, 0]);
    expect(nodeAffinityScore.normalize?.([40, 20, 0])).toEqual([100, 50, 0]);
  });
});
