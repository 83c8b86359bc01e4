import { InvalidError } from '@skiff/api';
import { parseNodeLabels, parseTaints } from './node-registration-flags';

describe('--node-labels', () => {
  it('parses key=value pairs (prefixed keys, empty values, spaces around items)', () => {
    expect(parseNodeLabels('')).toEqual({});
    expect(parseNodeLabels('disk=ssd, example.com/zone=a ,empty=')).toEqual({ disk: 'ssd', 'example.com/zone': 'a', empty: '' });
  });

  it('names every bad item', () => {
    expect(() => parseNodeLabels('disk')).toThrow(new InvalidError([{ field: '--node-labels', detail: 'Invalid value: "disk": must be key=value' }]));
    let err: unknown;
    try {
      parseNodeLabels('-bad=x,ok=no spaces,a=1,a=2');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).fields).toEqual([
      { field: '--node-labels', detail: expect.stringMatching(/^Invalid value: "-bad": name part must consist of/) },
      { field: '--node-labels', detail: expect.stringMatching(/^Invalid value: "no spaces": a valid label must be/) },
      { field: '--node-labels', detail: 'Duplicate value: "a"' },
    ]);
  });
});

describe('--register-with-taints', () => {
  it('parses key=value:effect and key:effect as Kubernetes does', () => {
    expect(parseTaints('')).toEqual([]);
    expect(parseTaints('dedicated=gpu:NoSchedule,spot:PreferNoSchedule,example.com/evict=now:NoExecute')).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule', timeAdded: undefined },
      { key: 'spot', value: '', effect: 'PreferNoSchedule', timeAdded: undefined },
      { key: 'example.com/evict', value: 'now', effect: 'NoExecute', timeAdded: undefined },
    ]);
  });

  it('refuses a missing or unknown effect, a bad key or value and a repeated key+effect', () => {
    expect(() => parseTaints('dedicated=gpu')).toThrow('--register-with-taints: Invalid value: "dedicated=gpu": must be key=value:effect or key:effect');
    expect(() => parseTaints('dedicated=gpu:Sometimes')).toThrow(
      '--register-with-taints: Unsupported value: "Sometimes": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"',
    );
    expect(() => parseTaints(':NoSchedule')).toThrow('--register-with-taints: Invalid value: "": name part must be non-empty');
    expect(() => parseTaints('k=bad value:NoSchedule')).toThrow('Invalid value: "bad value"');
    expect(() => parseTaints('k=a:NoSchedule,k=b:NoSchedule')).toThrow('--register-with-taints: Duplicate value: "k:NoSchedule"');
    expect(parseTaints('k=a:NoSchedule,k=b:NoExecute')).toHaveLength(2);
  });
});
