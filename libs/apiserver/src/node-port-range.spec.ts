import { formatNodePortRange, parseNodePortRange, pickFreePort, portInRange } from './node-port-range';

describe('node port range', () => {
  it('parses min-max and refuses anything else', () => {
    expect(parseNodePortRange('30000-32767')).toEqual({ min: 30000, max: 32767 });
    expect(parseNodePortRange(' 20000 - 20000 ')).toEqual({ min: 20000, max: 20000 });
    for (const bad of ['30000', '0-10', '10-65536', '200-100', 'a-b', '1-2-3']) expect(() => parseNodePortRange(bad)).toThrow(/invalid node port range/);
    expect(formatNodePortRange({ min: 30000, max: 32767 })).toBe('30000-32767');
  });

  it('knows which ports are in range', () => {
    const range = { min: 30000, max: 30002 };
    expect([29999, 30000, 30002, 30003, 30000.5].map((p) => portInRange(range, p))).toEqual([false, true, true, false, false]);
  });

  it('picks a free port from a random start, wrapping around, until the range is full', () => {
    const range = { min: 30000, max: 30002 };
    expect(pickFreePort(range, new Set(), () => 1)).toBe(30001);
    expect(pickFreePort(range, new Set([30001, 30002]), () => 1)).toBe(30000);
    expect(pickFreePort(range, new Set([30000, 30001, 30002]), () => 0)).toBeUndefined();
  });
});
