import type { Taint, Toleration } from '@skiff/api';
import { nodeInfo, podInfo } from '../test-objects.spec-helper';
import { taintTolerationFilter, taintTolerationScore } from './taint-toleration';

const taint = (key: string, value: string, effect: string): Taint => ({ key, value, effect, timeAdded: undefined });
const tol = (t: Partial<Toleration>): Toleration => ({ key: '', operator: '', value: '', effect: '', ...t });

describe('TaintToleration', () => {
  const tainted = nodeInfo('n', { taints: [taint('dedicated', 'gpu', 'NoSchedule'), taint('soft', '', 'PreferNoSchedule')] });

  it('refuses a node with an untolerated NoSchedule or NoExecute taint, naming it', () => {
    expect(taintTolerationFilter.filter(podInfo('p'), tainted)).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {dedicated: gpu}'] });
    const noExecute = nodeInfo('n', { taints: [taint('evict', 'x', 'NoExecute')] });
    expect(taintTolerationFilter.filter(podInfo('p'), noExecute).reasons).toEqual(['node(s) had untolerated taint {evict: x}']);
  });

  it('accepts the node when every hard taint is tolerated; PreferNoSchedule does not filter', () => {
    const p = podInfo('p', { tolerations: [tol({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' })] });
    expect(taintTolerationFilter.filter(p, tainted).code).toBe('Success');
  });

  it('scores untolerated PreferNoSchedule taints, fewer is better', () => {
    const p = podInfo('p');
    const raw = [taintTolerationScore.score(p, tainted), taintTolerationScore.score(p, nodeInfo('clean'))];
    expect(raw).toEqual([1, 0]);
    expect(taintTolerationScore.normalize?.(raw)).toEqual([0, 100]);
    const tolerant = podInfo('t', { tolerations: [tol({ key: 'soft', operator: 'Exists', effect: 'PreferNoSchedule' })] });
    expect(taintTolerationScore.score(tolerant, tainted)).toBe(0);
  });
});
