import { Node } from '../gen';
import { kindFor } from '../kinds';
import { validateObject } from '../validation';

const node = (podCIDR: string): Node => Node.fromPartial({ metadata: { name: 'n1' }, spec: { podCIDR } });
const info = kindFor('node');

describe('Node podCIDR', () => {
  it('must be a CIDR', () => {
    expect(validateObject(info, node('10.244.1.0/24'))).toEqual([]);
    expect(validateObject(info, node('10.244.1.0'))).toEqual([expect.objectContaining({ field: 'spec.podCIDR' })]);
  });

  it('may be set once, from empty', () => {
    expect(validateObject(info, node('10.244.1.0/24'), node(''))).toEqual([]);
    expect(validateObject(info, node('10.244.1.0/24'), node('10.244.1.0/24'))).toEqual([]);
  });

  it('may not be changed or cleared once set', () => {
    for (const next of ['10.244.2.0/24', '']) {
      expect(validateObject(info, node(next), node('10.244.1.0/24'))).toEqual([
        expect.objectContaining({ field: 'spec.podCIDR', detail: expect.stringContaining('may not change podCIDR') }),
      ]);
    }
  });
});
