import { parseResolvConf } from './dns-forwarder';

describe('parseResolvConf', () => {
  it('reads nameserver lines in order, as port 53 upstreams, ignoring everything else', () => {
    const text = ['# generated', 'search example.internal', 'nameserver 192.0.2.1', '  nameserver   2001:db8::1  ', 'options ndots:5', 'nameserver', ''].join('\n');
    expect(parseResolvConf(text)).toEqual([
      { host: '192.0.2.1', port: 53 },
      { host: '2001:db8::1', port: 53 },
    ]);
  });
});
