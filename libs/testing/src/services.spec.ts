import { startEtcd, startNats } from './index';

describe('test services', () => {
  it('starts a real etcd and a real nats-server, and stops them', async () => {
    const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    try {
      expect((await fetch(`${etcd.endpoint}/health`)).ok).toBe(true);
      expect(nats.process.running).toBe(true);
    } finally {
      await Promise.all([etcd.stop(), nats.stop()]);
    }
    expect(etcd.process.running).toBe(false);
    expect(nats.process.running).toBe(false);
  }, 30_000);
});
