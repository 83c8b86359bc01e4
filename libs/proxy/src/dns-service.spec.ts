import { kindFor, validateObject } from '@skiff/api';
import { dnsService } from './dns-service';

describe('dnsService', () => {
  it('is skiff-system/kube-dns at the DNS address, port 53 over UDP and TCP, without a selector', () => {
    const svc = dnsService('10.96.0.10');
    expect(svc.metadata).toMatchObject({ namespace: 'skiff-system', name: 'kube-dns' });
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.10', selector: {} });
    expect(svc.spec?.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(['dns 53/UDP', 'dns-tcp 53/TCP']);
    expect(validateObject(kindFor('service'), svc)).toEqual([]);
  });
});
