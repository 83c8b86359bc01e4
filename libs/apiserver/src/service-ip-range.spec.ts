import { dynamicIpCount, ipInRange, ipToNumber, numberToIp, parseServiceIpRange, pickFreeIp } from './service-ip-range';

describe('service IP range', () => {
  it('converts addresses to numbers and back', () => {
    expect(ipToNumber('10.96.0.1')).toBe(10 * 2 ** 24 + 96 * 2 ** 16 + 1);
    expect(numberToIp(ipToNumber('255.255.255.255')!)).toBe('255.255.255.255');
    for (const bad of ['10.96.0', '10.96.0.256', '10.96.0.01', 'a.b.c.d', '']) expect(ipToNumber(bad)).toBeUndefined();
  });

  it('parses CIDRs and refuses malformed ones', () => {
    expect(parseServiceIpRange('10.96.0.0/16')).toEqual({ cidr: '10.96.0.0/16', base: ipToNumber('10.96.0.0'), size: 65536 });
    expect(() => parseServiceIpRange('10.96.0.1/16')).toThrow(/host bits are set \(the network is 10\.96\.0\.0\/16\)/);
    for (const bad of ['10.96.0.0', '10.96.0.0/31', '10.96.0.0/4', '10.96.0.0/x', 'fd00::/112', '10.96.0.0/16/1']) {
      expect(() => parseServiceIpRange(bad)).toThrow(/invalid service CIDR/);
    }
  });

  it('holds every address but the network and broadcast ones', () => {
    const range = parseServiceIpRange('10.96.0.0/24');
    expect(ipInRange(range, '10.96.0.0')).toBe(false);
    expect(ipInRange(range, '10.96.0.1')).toBe(true);
    expect(ipInRange(range, '10.96.0.10')).toBe(true);
    expect(ipInRange(range, '10.96.0.254')).toBe(true);
    expect(ipInRange(range, '10.96.0.255')).toBe(false);
    expect(ipInRange(range, '10.96.1.1')).toBe(false);
    expect(ipInRange(range, 'None')).toBe(false);
    expect(dynamicIpCount(range)).toBe(252);
  });

  it('picks free addresses, never the reserved .1 and .10, until the range is full', () => {
    const range = parseServiceIpRange('10.96.0.0/28'); // usable .1 - .14, dynamic: 12 of them
    const taken = new Set<string>();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 31 + 11) % 1000) % n;
    for (let i = 0; i < dynamicIpCount(range); i++) {
      const ip = pickFreeIp(range, taken, random)!;
      expect(ip).toBeDefined();
      expect(ipInRange(range, ip)).toBe(true);
      expect(['10.96.0.1', '10.96.0.10']).not.toContain(ip);
      expect(taken.has(ip)).toBe(false);
      taken.add(ip);
    }
    expect(pickFreeIp(range, taken, random)).toBeUndefined();
  });

  it('starts from the random offset and probes upwards, wrapping around', () => {
    const range = parseServiceIpRange('10.96.0.0/28');
    expect(pickFreeIp(range, new Set(), () => 4)).toBe('10.96.0.5');
    expect(pickFreeIp(range, new Set(['10.96.0.5', '10.96.0.6']), () => 4)).toBe('10.96.0.7');
    expect(pickFreeIp(range, new Set(), () => 9)).toBe('10.96.0.11'); // offset 10 is reserved
    expect(pickFreeIp(range, new Set(['10.96.0.14']), () => 13)).toBe('10.96.0.2'); // wraps, skipping .1
  });
});
