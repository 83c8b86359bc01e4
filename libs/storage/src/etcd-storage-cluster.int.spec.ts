import { startEtcdCluster, waitFor, type EtcdCluster } from '@skiff/testing';
import { EtcdStorage } from './etcd-storage';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b?: Uint8Array) => (b ? new TextDecoder().decode(b) : undefined);

/**
 * Writes through one EtcdStorage on a 3-member cluster while members die: each write is
 * acknowledged (its revision returned) or fails with an error; an acknowledged write is never lost.
 */
describe('EtcdStorage on a 3-member etcd cluster', () => {
  let etcd: EtcdCluster;
  let storage: EtcdStorage;

  beforeAll(async () => {
    etcd = await startEtcdCluster(3);
    storage = new EtcdStorage({ endpoints: etcd.endpoints, timeoutMs: 5_000 });
  }, 60_000);
  afterAll(async () => {
    await storage?.close();
    await etcd?.stop();
  }, 30_000);

  it('keeps every acknowledged write and goes on writing when the leader, then a follower, is killed', async () => {
    const acked = new Map<string, string>(); // key -> last acknowledged value
    const failures: string[] = [];
    let stop = false;
    let lastAckAt = 0;
    const writer = async (w: number) => {
      const key = `/registry/configmaps/ha/w${w}`;
      let revision = 0;
      for (let i = 0; !stop; i++) {
        const value = `w${w}-${i}`;
        try {
          revision = revision === 0 ? await storage.create(key, bytes(value)) : await storage.update(key, bytes(value), revision);
          acked.set(key, value);
          lastAckAt = Date.now();
        } catch (err) {
          failures.push(`${(err as Error).name}: ${(err as Error).message}`);
          // Unknown state after an error: read back where the key stands and go on from there.
          const current = await storage.get(key).catch(() => undefined);
          revision = current?.modRevision ?? 0;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const writers = [1, 2, 3, 4].map(writer);
    try {
      await waitFor('writes to flow', () => acked.size === 4);
      const leader = await etcd.leader();
      const killedAt = Date.now();
      await leader.kill();
      await waitFor('a write acknowledged after the leader died', () => lastAckAt > killedAt + 0, { timeoutMs: 10_000 });
      const leaderFailoverMs = lastAckAt - killedAt;
      await leader.restart();
      const follower = etcd.members.find((m) => m !== leader)!;
      const killed2 = Date.now();
      await follower.kill();
      await waitFor('a write acknowledged after a follower died', () => lastAckAt > killed2 + 500, { timeoutMs: 10_000 });
      await follower.restart();
      await waitFor('the cluster to be healthy again', () => etcd.healthy(), { timeoutMs: 20_000 });
      console.log(`etcd failover: first write acknowledged ${leaderFailoverMs} ms after the leader was killed; ${failures.length} writes failed with an error`);
      expect(leaderFailoverMs).toBeLessThan(5_000);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    // Every acknowledged write is there: each key holds its last acknowledged value (only its
    // own writer writes it, and a failed write is re-read before the next).
    for (const [key, value] of acked) {
      const stored = await storage.get(key);
      const [, n] = text(stored?.value)!.split('-');
      expect(Number(n)).toBeGreaterThanOrEqual(Number(value.split('-')[1]));
    }
    // Only errors a caller can act on (retry), never anything else.
    for (const f of failures) expect(f).toMatch(/^(UnavailableError|ConflictError|AlreadyExistsError|NotFoundError)/);
  }, 90_000);
});
