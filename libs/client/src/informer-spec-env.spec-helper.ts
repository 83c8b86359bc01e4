/**
 * For informer specs against real etcd, NATS and the built apiserver: registers beforeAll and
 * afterAll hooks that start them, a client and a bus connection, and stop them all (and abort
 * `stop`, which the spec's informers run under) at the end.
 */
import { connectBus, type BusConnection } from '@skiff/bus';
import { startApiserverEnv, type ApiserverEnv } from '@skiff/testing';
import { connect } from './grpc-client';
import type { SkiffClient } from './skiff-client';

export interface InformerSpecEnv {
  env: ApiserverEnv;
  client: SkiffClient;
  bus: BusConnection;
  /** Aborted after the spec's tests. */
  stop: AbortController;
}

/** The environment, filled in by beforeAll (read its fields inside tests). */
export function useInformerSpecEnv(busName: string): InformerSpecEnv {
  const ctx = { stop: new AbortController() } as InformerSpecEnv;
  beforeAll(async () => {
    ctx.env = await startApiserverEnv();
    ctx.client = connect(ctx.env.apiserver.address, { timeoutMs: 10_000 });
    ctx.bus = await connectBus(ctx.env.nats.url, { name: busName });
  }, 120_000);
  afterAll(async () => {
    ctx.stop.abort();
    await ctx.bus?.close();
    ctx.client?.close();
    await ctx.env?.stop();
  }, 30_000);
  return ctx;
}
