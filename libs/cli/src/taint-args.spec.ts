import type { Taint } from '@skiff/api';
import { applyTaintChanges, parseTaintArgs, taintString } from './taint-args';
import { splitTaintArgs } from './taint-command';

const taint = (key: string, value: string, effect: string): Taint => ({ key, value, effect });

describe('parseTaintArgs (kubectl ParseTaints, validateFlags)', () => {
  it('parses key=value:Effect and key:Effect to add, key:Effect- and key- to remove', () => {
    expect(parseTaintArgs(['dedicated=gpu:NoSchedule', 'spot:PreferNoSchedule', 'old:NoExecute-', 'legacy-'])).toEqual({
      add: [taint('dedicated', 'gpu', 'NoSchedule'), taint('spot', '', 'PreferNoSchedule')],
      remove: [
        { key: 'old', effect: 'NoExecute' },
        { key: 'legacy', effect: '' },
      ],
    });
    expect(parseTaintArgs(['example.com/zone=a:NoSchedule']).add).toEqual([taint('example.com/zone', 'a', 'NoSchedule')]);
  });

  it("refuses unknown effects, missing effects, bad keys and values with kubectl's messages", () => {
    expect(() => parseTaintArgs(['k=v:NoWay'])).toThrow('invalid taint effect: NoWay, unsupported taint effect');
    expect(() => parseTaintArgs(['k=v'])).toThrow('invalid taint spec: k=v');
    expect(() => parseTaintArgs(['a:b:c'])).toThrow('invalid taint spec: a:b:c');
    expect(() => parseTaintArgs(['k=a=b:NoSchedule'])).toThrow('invalid taint spec: k=a=b:NoSchedule');
    expect(() => parseTaintArgs(['-bad=v:NoSchedule'])).toThrow(/^invalid taint spec: -bad=v:NoSchedule, name part must consist of alphanumeric characters/);
    expect(() => parseTaintArgs(['k=has space:NoSchedule'])).toThrow(/^invalid taint spec: k=has space:NoSchedule, a valid label must be an empty string/);
  });

  it('refuses duplicates, a taint both added and removed, and no change', () => {
    expect(() => parseTaintArgs(['k=a:NoSchedule', 'k=b:NoSchedule'])).toThrow('duplicated taints with the same key and effect: {k b NoSchedule <nil>}');
    expect(parseTaintArgs(['k=a:NoSchedule', 'k=b:NoExecute']).add).toHaveLength(2);
    expect(() => parseTaintArgs(['k=a:NoSchedule', 'k-'])).toThrow('can not both modify and remove the following taint(s) in the same command: k=');
    expect(() => parseTaintArgs(['k=a:NoSchedule', 'k:NoSchedule-'])).toThrow('can not both modify and remove the following taint(s) in the same command: k=NoSchedule');
    expect(() => parseTaintArgs([])).toThrow('at least one taint update is required');
  });
});

describe('applyTaintChanges (kubectl reorganizeTaints)', () => {
  const current = [taint('a', '1', 'NoSchedule'), taint('a', '', 'NoExecute'), taint('b', '', 'NoSchedule')];

  it('adds (tainted), removes by key and effect or by key (untainted), both (modified)', () => {
    expect(applyTaintChanges('n1', current, parseTaintArgs(['c=3:NoSchedule']), false)).toEqual({ operation: 'tainted', taints: [taint('c', '3', 'NoSchedule'), ...current] });
    expect(applyTaintChanges('n1', current, parseTaintArgs(['a:NoExecute-']), false)).toEqual({ operation: 'untainted', taints: [current[0], current[2]] });
    expect(applyTaintChanges('n1', current, parseTaintArgs(['a-']), false)).toEqual({ operation: 'untainted', taints: [current[2]] });
    expect(applyTaintChanges('n1', current, parseTaintArgs(['c=3:NoSchedule', 'b-']), false).operation).toBe('modified');
  });

  it('refuses an existing key and effect without --overwrite; with it, replaces the value (modified)', () => {
    expect(() => applyTaintChanges('n1', current, parseTaintArgs(['a=2:NoSchedule']), false)).toThrow('node n1 already has a taint(s) with same effect(s) and --overwrite is false');
    expect(applyTaintChanges('n1', current, parseTaintArgs(['a=2:NoSchedule']), true)).toEqual({ operation: 'modified', taints: [taint('a', '2', 'NoSchedule'), current[1], current[2]] });
  });

  it('refuses removing a taint the node does not have', () => {
    expect(() => applyTaintChanges('n1', current, parseTaintArgs(['zz-']), false)).toThrow('taint "zz" not found');
    expect(() => applyTaintChanges('n1', current, parseTaintArgs(['b:NoExecute-']), false)).toThrow('taint "b:NoExecute" not found');
  });

  it('taintString is kubectl ToString', () => {
    expect([taintString({ key: 'k' }), taintString({ key: 'k', value: 'v' }), taintString({ key: 'k', effect: 'NoSchedule' }), taintString(taint('k', 'v', 'NoExecute'))]).toEqual(['k', 'k=v:', 'k:NoSchedule', 'k=v:NoExecute']);
  });
});

describe('splitTaintArgs', () => {
  it('takes "nodes NAME... SPEC..." and "node/NAME SPEC..."', () => {
    expect(splitTaintArgs(['nodes', 'n1', 'n2', 'k=v:NoSchedule', 'x-'])).toEqual({ nodes: ['n1', 'n2'], specs: ['k=v:NoSchedule', 'x-'] });
    expect(splitTaintArgs(['node/n1', 'k:NoSchedule'])).toEqual({ nodes: ['n1'], specs: ['k:NoSchedule'] });
    expect(splitTaintArgs(['no', 'n1', 'k-'])).toEqual({ nodes: ['n1'], specs: ['k-'] });
  });

  it('refuses other kinds', () => {
    expect(() => splitTaintArgs(['pods', 'web', 'k=v:NoSchedule'])).toThrow('invalid resource type pods, only node types are supported');
    expect(() => splitTaintArgs(['pod/web', 'k=v:NoSchedule'])).toThrow('invalid resource type pod, only node types are supported');
  });
});
