/**
 * The node IPAM controller in-process against real etcd, NATS and the built apiserver (default
 * range 10.244.0.0/16, /24 per node): Nodes get distinct pod CIDRs, the apiserver keeps a pod CIDR
 * once set, a Node claiming one outside the range is left alone with a CIDRNotAvailable Event, and
 * a restarted controller rebuilds its allocation from the Nodes, reusing a deleted Node's CIDR.
 */
import { InvalidError, Node } from '@skiff/api';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

let env: ControllersTestEnv;

beforeAll(async () => {
  env = await startControllersTestEnv({ controllers: ['nodeipam'] });
}, 120_000);

afterAll(async () => {
  await env?.stop();
}, 30_000);

const nodes = () => env.typed('node');
const create = (name: string, podCIDR = '') => nodes().create(Node.fromPartial({ metadata: { name }, spec: { podCIDR } }));
const podCidrOf = async (name: string) => (await nodes().get('', name)).spec?.podCIDR ?? '';
const allocated = (name: string) => waitFor(`node ${name} to get a pod CIDR`, async () => (await podCidrOf(name)) || undefined, { timeoutMs: 10_000, intervalMs: 50 });

describe('node IPAM', () => {
  it('gives each Node its own /24 of the cluster CIDR, which the apiserver then keeps', async () => {
    await Promise.all(['a', 'b', 'c'].map((n) => create(n)));
    const cidrs = await Promise.all(['a', 'b', 'c'].map(allocated));
    expect([...cidrs].sort()).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);

    const a = await nodes().get('', 'a');
    await expect(nodes().update({ ...a, spec: { ...a.spec!, podCIDR: '10.244.9.0/24' } })).rejects.toBeInstanceOf(InvalidError);
    await expect(nodes().update({ ...a, spec: { ...a.spec!, podCIDR: '' } })).rejects.toBeInstanceOf(InvalidError);
  }, 30_000);

  it('gives 40 Nodes registered at once distinct pod CIDRs while their kubelets write status (writes in parallel, conflicts decided again)', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    await Promise.all(names.map((n) => create(n)));
    // Status writes race the pod CIDR writes: some of the controller's compare-and-swaps lose.
    await Promise.all(
      names.map(async (name) => {
        for (let i = 0; i < 3; i++) {
          const node = await nodes().get('', name);
          await nodes().updateStatus({ ...node, status: { ...node.status!, conditions: [{ type: 'Ready', status: 'True', reason: `beat-${i}`, message: '', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }] } }).catch(() => undefined);
        }
      }),
    );
    const cidrs = await Promise.all(names.map(allocated));
    expect(new Set(cidrs).size).toBe(names.length);
    for (const cidr of cidrs) expect(cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
    await Promise.all(names.map((n) => nodes().delete('', n)));
  }, 30_000);

  it('leaves a Node whose pod CIDR is outside the cluster CIDR alone, with a CIDRNotAvailable Event', async () => {
    await create('outside', '192.168.7.0/24');
    const event = await waitFor(
      'the CIDRNotAvailable event',
      async () => (await env.typed('event').list({ namespace: 'default' })).items.find((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject?.name === 'outside'),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(event.type).toBe('Warning');
    expect(event.message).toContain('192.168.7.0/24');
    expect(await podCidrOf('outside')).toBe('192.168.7.0/24');
  }, 30_000);

  it("rebuilds its allocation from the Nodes after a restart, and hands out a deleted Node's CIDR again", async () => {
    const before = { a: await podCidrOf('a'), b: await podCidrOf('b'), c: await podCidrOf('c') };
    await env.stopControllers();
    await nodes().delete('', 'a');
    await create('d');
    await create('e');
    env.startControllers();
    const [d, e] = await Promise.all([allocated('d'), allocated('e')]);
    // The lowest free subnets: a's (freed), then the next after c's.
    expect([d, e].sort()).toEqual([before.a, '10.244.3.0/24'].sort());
    expect({ b: await podCidrOf('b'), c: await podCidrOf('c') }).toEqual({ b: before.b, c: before.c });
  }, 30_000);
});
