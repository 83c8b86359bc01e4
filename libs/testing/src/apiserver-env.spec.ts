import { startApiserverEnv } from './apiserver-env';

describe('startApiserverEnv', () => {
  it('starts etcd, NATS and the apiserver (with its extra flags) on them, and stops all three', async () => {
    const env = await startApiserverEnv({ apiserverArgs: ['--default-toleration-seconds', '7'] });
    try {
      expect((await fetch(`${env.etcd.endpoint}/health`)).ok).toBe(true);
      expect(env.nats.process.running).toBe(true);
      expect(env.apiserver.process.running).toBe(true);
      expect((await fetch(`http://${env.apiserver.metricsAddress}/healthz`)).ok).toBe(true);
      expect(env.apiserver.process.child.spawnargs).toEqual(expect.arrayContaining(['--etcd', env.etcd.endpoint, '--nats', env.nats.url, '--default-toleration-seconds', '7']));
    } finally {
      await env.stop();
    }
    expect([env.apiserver.process.running, env.nats.process.running, env.etcd.process.running]).toEqual([false, false, false]);
  }, 60_000);
});
