import { FailedPreconditionError, InvalidError, Service } from '@skiff/api';
import type { Storage } from '@skiff/storage';
import { ServiceAllocator } from './service-allocator';
import { parseServiceIpRange } from './service-ip-range';

const owner = { namespace: 'default', name: 'web', uid: 'u1' };
// Loose specs: fromPartial fills what a test leaves out.
const svc = (spec: object) => Service.fromPartial({ metadata: { name: 'web', namespace: 'default' }, spec: spec as never });
// plan() is pure: it never touches the storage (only refresh() reads it).
const allocator = (cidr = '10.96.0.0/24', ports = { min: 30000, max: 30009 }, random = () => 0) => new ServiceAllocator(undefined as unknown as Storage, parseServiceIpRange(cidr), ports, random);
const keys = (side: { create?: { key: string }[]; delete?: string[] }) => ({ create: (side.create ?? []).map((c) => c.key), delete: side.delete ?? [] });

describe('ServiceAllocator.plan', () => {
  it('fills an empty clusterIP (skipping the reserved .1) and records it with its owner', () => {
    const next = svc({ ports: [{ port: 80 }] });
    const plan = allocator().plan(next, undefined, owner);
    expect(next.spec!.clusterIP).toBe('10.96.0.2');
    expect(next.spec!.clusterIPs).toEqual(['10.96.0.2']);
    expect(keys(plan.side)).toEqual({ create: ['/registry/ipallocations/10.96.0.2'], delete: [] });
    expect(JSON.parse(new TextDecoder().decode(plan.side.create![0].value))).toEqual(owner);
    expect(plan.requested.size).toBe(0);
  });

  it('takes a requested IP as requested (blaming spec.clusterIP if it is taken) and refuses one outside the range', () => {
    const next = svc({ clusterIP: '10.96.0.10', ports: [{ port: 53 }] });
    const plan = allocator().plan(next, undefined, owner);
    expect(keys(plan.side).create).toEqual(['/registry/ipallocations/10.96.0.10']);
    expect(plan.requested.get('/registry/ipallocations/10.96.0.10')).toEqual({ field: 'spec.clusterIP', detail: 'Invalid value: "10.96.0.10": provided IP is already allocated' });
    for (const ip of ['10.96.1.1', '10.96.0.0', '10.96.0.255']) {
      expect(() => allocator().plan(svc({ clusterIP: ip, ports: [{ port: 80 }] }), undefined, owner)).toThrow(
        new InvalidError([{ field: 'spec.clusterIP', detail: `Invalid value: "${ip}": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/24` }], 'Service "web" is invalid'),
      );
    }
  });

  it('allocates nothing for a headless service', () => {
    const plan = allocator().plan(svc({ clusterIP: 'None', ports: [{ port: 80 }] }), undefined, owner);
    expect(keys(plan.side)).toEqual({ create: [], delete: [] });
  });

  it('gives NodePort ports node ports (one per port number), keeps requested ones, checks the range', () => {
    const next = svc({ type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'TCP' }, { name: 'b', port: 53, protocol: 'UDP' }, { name: 'c', port: 80, nodePort: 30000 }] });
    const plan = allocator().plan(next, undefined, owner);
    expect(next.spec!.ports.map((p) => p.nodePort)).toEqual([30001, 30001, 30000]);
    expect(keys(plan.side).create).toEqual(['/registry/ipallocations/10.96.0.2', '/registry/servicenodeports/30001', '/registry/servicenodeports/30000']);
    expect(plan.requested.get('/registry/servicenodeports/30000')?.field).toBe('spec.ports[2].nodePort');
    expect(() => allocator().plan(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }), undefined, owner)).toThrow(
      /spec\.ports\[0\]\.nodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30009/,
    );
  });

  it('on update, records new values and releases dropped ones (NodePort -> ClusterIP frees the node ports)', () => {
    const old = svc({ type: 'NodePort', clusterIP: '10.96.0.7', ports: [{ port: 80, nodePort: 30005 }] });
    const same = allocator().plan(svc({ type: 'NodePort', clusterIP: '10.96.0.7', ports: [{ port: 80, nodePort: 30005 }] }), old, owner);
    expect(keys(same.side)).toEqual({ create: [], delete: [] });
    const toClusterIP = allocator().plan(svc({ type: 'ClusterIP', clusterIP: '10.96.0.7', ports: [{ port: 80 }] }), old, owner);
    expect(keys(toClusterIP.side)).toEqual({ create: [], delete: ['/registry/servicenodeports/30005'] });
    const back = allocator().plan(svc({ type: 'NodePort', clusterIP: '10.96.0.7', ports: [{ port: 80 }] }), svc({ clusterIP: '10.96.0.7', ports: [{ port: 80 }] }), owner);
    expect(keys(back.side)).toEqual({ create: ['/registry/servicenodeports/30000'], delete: [] });
    expect(allocator().release(old)).toEqual({ delete: ['/registry/ipallocations/10.96.0.7', '/registry/servicenodeports/30005'] });
  });

  it('avoids values it knows are taken, and says when a range is full', () => {
    const a = allocator('10.96.0.0/29', { min: 30000, max: 30000 }); // dynamic IPs: .2 .3 .4 .5 .6
    a.committed({ create: ['2', '3', '4', '5'].map((d) => ({ key: `/registry/ipallocations/10.96.0.${d}`, value: new Uint8Array() })) });
    const next = svc({ ports: [{ port: 80 }] });
    a.plan(next, undefined, owner);
    expect(next.spec!.clusterIP).toBe('10.96.0.6');
    a.committed({ create: [{ key: '/registry/ipallocations/10.96.0.6', value: new Uint8Array() }], delete: ['/registry/ipallocations/10.96.0.3'] });
    const again = svc({ ports: [{ port: 80 }] });
    a.plan(again, undefined, owner);
    expect(again.spec!.clusterIP).toBe('10.96.0.3');
    a.committed({ create: [{ key: '/registry/ipallocations/10.96.0.3', value: new Uint8Array() }, { key: '/registry/servicenodeports/30000', value: new Uint8Array() }] });
    expect(() => a.plan(svc({ ports: [{ port: 80 }] }), undefined, owner)).toThrow(new FailedPreconditionError('failed to allocate a serviceIP: range 10.96.0.0/29 is full'));
    expect(() => a.plan(svc({ type: 'NodePort', clusterIP: '10.96.0.1', ports: [{ port: 80 }] }), undefined, owner)).toThrow(/failed to allocate a nodePort: range 30000-30000 is full/);
  });
});
