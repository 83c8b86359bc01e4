import { ensureLocalRoute, isIPv4Cidr } from './local-route';

describe('isIPv4Cidr', () => {
  it('accepts IPv4 CIDRs and refuses anything else', () => {
    expect(isIPv4Cidr('10.96.0.0/16')).toBe(true);
    expect(isIPv4Cidr('0.0.0.0/0')).toBe(true);
    for (const bad of ['10.96.0.0', '10.96.0.0/33', '10.96.256.0/16', 'default', '10.96.0.0/16 dev eth0', '']) expect(isIPv4Cidr(bad)).toBe(false);
  });

  it('ensureLocalRoute refuses an invalid CIDR without running ip', async () => {
    await expect(ensureLocalRoute('10.96.0.0/16; rm -rf /')).rejects.toThrow('invalid service CIDR');
  });
});
