import { ApiClient, ExecOutput, GRPC_CODE, KubeletService, LogChunk, NotFoundError, StatsSummary } from '@skiff/api';
import { bindService, createLogger, startGrpcServer, type GrpcServer } from '@skiff/service';
import { startEtcd, startNats } from '@skiff/testing';
import { credentials } from '@grpc/grpc-js';
import { obj, pod, startTestEnv, type TestEnv } from './apiserver-test-env.spec-helper';

/**
 * The apiserver proxies logs and exec to the kubelet of the pod's node. The kubelet here is a
 * real gRPC server on loopback serving the Kubelet service with known answers (the real kubelet
 * is tested end to end with Docker).
 */
/** A Node whose kubelet endpoint is 127.0.0.1:`port`. */
function nodeManifest(name: string, port: number): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { port } } } };
}

let env: TestEnv;
let kubelet: GrpcServer;
let api: ApiClient;
const seen: string[] = [];

beforeAll(async () => {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  env = await startTestEnv({ etcd, nats });
  kubelet = await startGrpcServer({
    address: '127.0.0.1:0',
    logger: createLogger('kubelet', 'silent'),
    services: [bindService('skiff.node.v1.Kubelet', KubeletService, {
    logs: async function* (req) {
      seen.push(`logs ${req.namespace}/${req.name}/${req.container} follow=${req.follow} tail=${req.tailLines}`);
      if (req.container === 'missing') throw new NotFoundError(`container "missing" not found in pod "${req.name}"`);
      for (const line of ['one\n', 'two\n', 'three\n']) yield LogChunk.fromPartial({ data: Buffer.from(line) });
    },
    exec: async function* (req) {
      seen.push(`exec ${req.name} ${req.command.join(' ')}`);
      yield ExecOutput.fromPartial({ output: { $case: 'stdout', value: Buffer.from('hi\n') } });
      yield ExecOutput.fromPartial({ output: { $case: 'stderr', value: Buffer.from('warn\n') } });
      yield ExecOutput.fromPartial({ output: { $case: 'exitCode', value: 3 } });
    },
    summary: async () => StatsSummary.fromPartial({}), // metrics-api.int.spec.ts covers it
    })],
  });
  await env.api.create(obj(nodeManifest('node-1', kubelet.port)));
  await env.api.create(pod('web'));
  await env.api.bind({ namespace: 'default', name: 'web', nodeName: 'node-1', uid: '', resourceVersion: '' });
  await env.api.create(pod('pending'));
  api = new ApiClient(env.address, credentials.createInsecure());
}, 30_000);

afterAll(async () => {
  api?.close();
  await kubelet?.close();
  await env?.stop();
});

function collect<T>(call: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    call.on('data', (m: T) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

const request = { namespace: 'default', container: '', follow: false, previous: false, timestamps: false };

describe('pod logs and exec through the apiserver', () => {
  it('streams a container log from the kubelet of the pod node', async () => {
    const chunks = await collect<LogChunk>(api.podLogs({ ...request, name: 'web', container: 'main', tailLines: 10 }));
    expect(Buffer.concat(chunks.map((c) => c.data)).toString()).toBe('one\ntwo\nthree\n');
    expect(seen).toContain('logs default/web/main follow=false tail=10');
  });

  it('relays exec output and the exit code', async () => {
    const out = await collect<ExecOutput>(api.podExec({ namespace: 'default', name: 'web', container: '', command: ['sh', '-c', 'echo hi'] }));
    expect(out.map((o) => o.output?.$case)).toEqual(['stdout', 'stderr', 'exitCode']);
    expect(out.at(-1)?.output).toEqual({ $case: 'exitCode', value: 3 });
    expect(seen).toContain('exec web sh -c echo hi');
  });

  it('keeps the kubelet error code, refuses unscheduled pods and unknown pods', async () => {
    await expect(collect(api.podLogs({ ...request, name: 'web', container: 'missing' }))).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND, details: expect.stringContaining('missing') });
    await expect(collect(api.podLogs({ ...request, name: 'pending' }))).rejects.toMatchObject({ code: GRPC_CODE.FAILED_PRECONDITION, details: expect.stringContaining('not scheduled') });
    await expect(collect(api.podLogs({ ...request, name: 'nope' }))).rejects.toMatchObject({ code: GRPC_CODE.NOT_FOUND });
  });
});
