import { Server, ServerCredentials, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { ApiService, ConflictError, InvalidError, NotFoundError, Pod, UnavailableError, wrap, kindOfCase, type ApiObject, type ApiServer, type WatchEvent, type WatchRequest } from '@skiff/api';
import { waitFor } from '@skiff/testing';
import { apiserverTarget, connect } from './grpc-client';
import { typed } from './typed-client';
import type { SkiffClient } from './skiff-client';

const podInfo = kindOfCase('pod');
const pod = (name: string, rv = '5'): ApiObject => wrap(podInfo, Pod.fromPartial({ metadata: { name, namespace: 'default', resourceVersion: rv } }) as never);

/** A real gRPC server with canned answers: the client is exercised over a real socket. */
async function startFakeApi(version = '0.1.0'): Promise<{ address: string; server: Server; cancelled: string[]; started: string[] }> {
  const cancelled: string[] = [];
  const started: string[] = [];
  const never = (what: string) => (call: ServerUnaryCall<unknown, unknown>) => {
    started.push(what);
    call.on('cancelled', () => cancelled.push(what));
  };
  const impl: Partial<ApiServer> = {
    get: (call, cb) => {
      if (call.request.name === 'missing') cb({ code: status.NOT_FOUND, details: 'pods "missing" not found' });
      else cb(null, pod(call.request.name));
    },
    list: (call) => never('list')(call),
    create: (_call, cb) => cb({ code: status.INVALID_ARGUMENT, details: 'spec.containers[0].image: required; metadata.name: bad' }),
    update: (_call, cb) => cb({ code: status.ABORTED, details: 'the object has been modified' }),
    updateStatus: (call: ServerUnaryCall<{ object?: ApiObject }, ApiObject>, cb: sendUnaryData<ApiObject>) => cb(null, call.request.object as ApiObject),
    delete: (call, cb) => cb(null, pod(call.request.name, String(call.request.gracePeriodSeconds ?? -1))),
    watch: (call: ServerWritableStream<WatchRequest, WatchEvent>) => {
      for (let rev = 1; rev <= 3; rev++) call.write({ type: 'ADDED', object: pod(`p${rev}`, String(rev)), revision: rev, resource: 'pods', namespace: 'default', name: `p${rev}` });
      call.on('cancelled', () => cancelled.push('watch'));
    },
    version: (_call, cb) => cb(null, { version, gitCommit: 'abc', platform: 'linux/x64' }),
  };
  const server = new Server();
  server.addService(ApiService, impl as ApiServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, server, cancelled, started };
}

describe('gRPC SkiffClient', () => {
  let api: Awaited<ReturnType<typeof startFakeApi>>;
  let client: SkiffClient;

  beforeAll(async () => {
    api = await startFakeApi();
    client = connect(api.address);
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((resolve) => api.server.tryShutdown(() => resolve()));
  });

  it('makes unary calls', async () => {
    expect(await client.version()).toEqual({ version: '0.1.0', gitCommit: 'abc', platform: 'linux/x64' });
    const got = await client.get('pods', 'default', 'web');
    expect(got.kind?.$case).toBe('pod');
  });

  it('maps statuses to the API error classes', async () => {
    await expect(client.get('pods', 'default', 'missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.update(pod('web'))).rejects.toBeInstanceOf(ConflictError);
    const invalid = await client.create(pod('web')).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidError);
    expect((invalid as InvalidError).fields).toEqual([
      { field: 'spec.containers[0].image', detail: 'required' },
      { field: 'metadata.name', detail: 'bad' },
    ]);
  });

  it('cancels a call when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = client.list('pods', { signal: controller.signal });
    await waitFor('the call to reach the server', () => api.started.includes('list'));
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await waitFor('the server to see the cancellation', () => api.cancelled.includes('list'));
  });

  it('fails a call after its deadline', async () => {
    await expect(client.list('pods', { timeoutMs: 100 })).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
  });

  it('streams a watch until the signal aborts', async () => {
    const controller = new AbortController();
    const revisions: number[] = [];
    for await (const event of client.watch('pods', {}, controller.signal)) {
      revisions.push(event.revision);
      if (revisions.length === 3) controller.abort();
    }
    expect(revisions).toEqual([1, 2, 3]);
    await waitFor('the server to see the cancellation', () => api.cancelled.includes('watch'));
  });

  it('gives typed objects for one kind', async () => {
    const pods = typed(client, 'pod');
    const web = await pods.get('default', 'web');
    expect(web.metadata?.name).toBe('web');
    const deleted = await pods.delete('default', 'web', { gracePeriodSeconds: 0 });
    expect(deleted.metadata?.resourceVersion).toBe('0');
    const echoed = await pods.updateStatus(web);
    expect(echoed).toEqual(web);
    const names: string[] = [];
    const controller = new AbortController();
    for await (const event of pods.watch({}, controller.signal)) {
      names.push(event.object.metadata?.name ?? '');
      if (names.length === 2) controller.abort();
    }
    expect(names).toEqual(['p1', 'p2']);
  });

  it('fails fast with UnavailableError when nothing listens', async () => {
    const nowhere = connect('127.0.0.1:1');
    try {
      await expect(nowhere.version({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      nowhere.close();
    }
  });
});

describe('apiserverTarget', () => {
  it('keeps one address as it is (DNS names resolve through grpc-js)', () => {
    expect(apiserverTarget('127.0.0.1:6443')).toBe('127.0.0.1:6443');
    expect(apiserverTarget('apiserver.example:6443')).toBe('apiserver.example:6443');
    expect(apiserverTarget(' 10.0.0.1:6443 , ')).toBe('10.0.0.1:6443');
  });

  it('turns a list of IPs (localhost = 127.0.0.1) into one ipv4:/ipv6: target', () => {
    expect(apiserverTarget('10.0.0.1:6443,10.0.0.2:6443')).toBe('ipv4:10.0.0.1:6443,10.0.0.2:6443');
    expect(apiserverTarget('localhost:1,127.0.0.2:2')).toBe('ipv4:127.0.0.1:1,127.0.0.2:2');
    expect(apiserverTarget('[::1]:1, [fd00::2]:2')).toBe('ipv6:[::1]:1,[fd00::2]:2');
  });

  it('refuses what grpc-js could not resolve as a list', () => {
    expect(() => apiserverTarget('')).toThrow('no apiserver');
    expect(() => apiserverTarget('a.example:1,b.example:2')).toThrow('must be IP addresses');
    expect(() => apiserverTarget('10.0.0.1,10.0.0.2:2')).toThrow('not host:port');
    expect(() => apiserverTarget('10.0.0.1:1,[::1]:2')).toThrow('mix IPv4 and IPv6');
  });
});

describe('gRPC SkiffClient with two apiservers', () => {
  it('spreads calls over both and carries on with the survivor when one dies', async () => {
    const [a, b] = await Promise.all([startFakeApi('a'), startFakeApi('b')]);
    const client = connect(`${a.address},${b.address.replace('127.0.0.1', 'localhost')}`);
    try {
      const answered = new Set<string>();
      await waitFor('both apiservers to answer', async () => {
        answered.add((await client.version()).version);
        return answered.size === 2;
      });
      a.server.forceShutdown();
      // A call may fail with UNAVAILABLE while the dead one leaves the rotation (callers retry);
      // then every call reaches the survivor.
      let failures = 0;
      const served: string[] = [];
      while (served.length < 20) {
        try {
          served.push((await client.version({ timeoutMs: 5_000 })).version);
        } catch (err) {
          expect(err).toBeInstanceOf(UnavailableError);
          failures++;
          expect(failures).toBeLessThanOrEqual(2);
        }
      }
      expect(new Set(served)).toEqual(new Set(['b']));
    } finally {
      client.close();
      a.server.forceShutdown();
      b.server.forceShutdown();
    }
  });
});
