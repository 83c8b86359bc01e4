import { freePort, startNats, type NatsServer } from '@skiff/testing';
import { connectBus } from './connection';

describe('connectBus (real nats-server)', () => {
  let nats: NatsServer | undefined;
  afterEach(async () => {
    await nats?.stop();
    nats = undefined;
  });

  it('keeps trying while the server is down and connects once it is up', async () => {
    nats = await startNats();
    await nats.process.kill();
    const connecting = connectBus(nats.url, { name: 'late' });
    await nats.restart();
    const bus = await connecting;
    await bus.close();
  }, 30_000);

  it('stops trying when its signal aborts', async () => {
    const port = await freePort(); // nothing listens there
    const abort = new AbortController();
    const connecting = connectBus(`nats://127.0.0.1:${port}`, { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('gave up')), 300);
    const started = Date.now();
    await expect(connecting).rejects.toThrow('gave up');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
