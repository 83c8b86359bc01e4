import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { intOrString, type Container, type Pod, type Probe } from '@skiff/api';
import type { ExecResult } from '@skiff/runtime';
import { createProbeRunner, goDialError, httpOutcome, MAX_PROBE_OUTPUT, probeUrl, redirectTarget, resolveProbePort, type ProbeTarget } from './probe-runner';

/**
 * The probes over real sockets on loopback (an HTTP server and a closed port of this process) and
 * real commands (exec runs them on this host through a runtime whose `exec` is a child process;
 * in a container through Docker in the cluster e2e probes.spec.ts).
 */
let server: http.Server;
let port = 0;
let closedPort = 0;
const requests: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.headers);
    const url = req.url ?? '';
    if (url === '/ok') res.end('fine');
    else if (url === '/fail') res.writeHead(500).end('secret detail');
    else if (url === '/slow') setTimeout(() => res.end('late'), 3_000).unref();
    else if (url === '/here') res.writeHead(302, { location: '/ok' }).end();
    else if (url === '/away') res.writeHead(302, { location: `http://localhost:${port}/ok` }).end('moved');
    else if (url === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (url === '/big') res.end('x'.repeat(1024 * 1024));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Runs commands on this host (the runtime's exec, minus the container). */
const localExec = {
  exec: (_id: string, cmd: readonly string[], options: { signal?: AbortSignal } = {}) =>
    new Promise<ExecResult>((resolve, reject) => {
      execFile(cmd[0], cmd.slice(1), { signal: options.signal }, (err, stdout, stderr) => {
        if (err?.name === 'AbortError') reject(err);
        else resolve({ exitCode: err ? Number(err.code) || 1 : 0, stdout, stderr });
      });
    }),
};
const run = createProbeRunner(localExec, { userAgent: 'skiff-probe/0.1' });
const container = { name: 'main', image: 'img', ports: [{ name: 'http', containerPort: 0, protocol: 'TCP' }] } as unknown as Container;
const target = (): ProbeTarget => ({ pod: {} as Pod, container: { ...container, ports: [{ ...container.ports[0], containerPort: port }] }, containerId: 'c1', podIP: '127.0.0.1' });
const probe = (handler: Partial<Probe>, timeoutSeconds = 1): Probe => ({ initialDelaySeconds: 0, timeoutSeconds, periodSeconds: 1, successThreshold: 1, failureThreshold: 3, ...handler });
const httpGet = (path: string, extra: Record<string, unknown> = {}) => probe({ httpGet: { path, port: intOrString(port), host: '', scheme: 'HTTP', httpHeaders: [], ...extra } });
const signal = () => new AbortController().signal;

describe('http probes', () => {
  it('succeeds on 2xx with the body, fails on 500 with the status code (not the body)', async () => {
    expect(await run(httpGet('/ok'), target(), signal())).toEqual({ result: 'success', output: 'fine' });
    expect(await run(httpGet('/fail'), target(), signal())).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    expect(await run(httpGet('/missing'), target(), signal())).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 404' });
  });

  it('sends skiff-probe/<version> as User-Agent, Accept */*, and the probe\'s headers; resolves named ports', async () => {
    requests.length = 0;
    const p = probe({ httpGet: { path: '/ok', port: intOrString('http'), host: '', scheme: 'HTTP', httpHeaders: [{ name: 'X-Check', value: 'deep' }] } });
    expect((await run(p, target(), signal())).result).toBe('success');
    expect(requests[0]).toMatchObject({ 'user-agent': 'skiff-probe/0.1', accept: '*/*', 'x-check': 'deep', connection: 'close' });
  });

  it('follows redirects on the same host; one to another host is a warning (success); a loop fails after 10', async () => {
    expect(await run(httpGet('/here'), target(), signal())).toEqual({ result: 'success', output: 'fine' });
    expect(await run(httpGet('/away'), target(), signal())).toEqual({ result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
    expect(await run(httpGet('/loop'), target(), signal())).toEqual({ result: 'failure', output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects` });
  });

  it('reads at most 10 KiB of the body', async () => {
    const outcome = await run(httpGet('/big'), target(), signal());
    expect(outcome.result).toBe('success');
    expect(outcome.output).toHaveLength(MAX_PROBE_OUTPUT);
  });

  it('counts a timeout and a refused connection as failures, worded as Kubernetes shows them', async () => {
    const started = Date.now();
    expect(await run(httpGet('/slow'), target(), signal())).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await run(httpGet('/ok', { port: intOrString(closedPort) }), target(), signal())).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${closedPort}/ok": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('is an error, not a failure, when the port name is unknown or the pod has no IP', async () => {
    expect(await run(httpGet('/ok', { port: intOrString('nope') }), target(), signal())).toEqual({ result: 'error', output: 'port nope not found' });
    expect(await run(httpGet('/ok'), { ...target(), podIP: '' }, signal())).toEqual({ result: 'error', output: 'the pod has no IP' });
  });
});

describe('tcp probes', () => {
  it('succeeds when the port accepts a connection, fails when it is refused', async () => {
    const tcp = (p: number) => probe({ tcpSocket: { port: intOrString(p), host: '' } });
    expect(await run(tcp(port), target(), signal())).toEqual({ result: 'success', output: '' });
    expect(await run(tcp(closedPort), target(), signal())).toEqual({ result: 'failure', output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
  });
});

describe('exec probes', () => {
  it('succeeds on exit 0 and fails on another code, with the output', async () => {
    expect(await run(probe({ exec: { command: ['sh', '-c', 'echo ok'] } }), target(), signal())).toEqual({ result: 'success', output: 'ok\n' });
    expect(await run(probe({ exec: { command: ['sh', '-c', 'echo no >&2; exit 3'] } }), target(), signal())).toEqual({ result: 'failure', output: 'no\n' });
  });

  it('fails a command that outlives timeoutSeconds', async () => {
    const started = Date.now();
    expect(await run(probe({ exec: { command: ['sleep', '5'] } }, 1), target(), signal())).toEqual({ result: 'failure', output: 'command "sleep 5" timed out' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects when the worker stops it (aborted), rather than reporting an outcome', async () => {
    const stop = new AbortController();
    const pending = run(probe({ exec: { command: ['sleep', '5'] } }, 10), target(), stop.signal);
    stop.abort(new Error('worker stopped'));
    await expect(pending).rejects.toThrow('worker stopped');
  });
});

describe('probe helpers', () => {
  it('resolves ports by number, name or numeric string, and refuses the rest', () => {
    const c = { name: 'c', ports: [{ name: 'web', containerPort: 8080 }] } as unknown as Container;
    expect([resolveProbePort(intOrString(80), c), resolveProbePort(intOrString('web'), c), resolveProbePort(intOrString('9090'), c)]).toEqual([80, 8080, 9090]);
    expect(() => resolveProbePort(intOrString('db'), c)).toThrow('port db not found');
    expect(() => resolveProbePort(intOrString(70000), c)).toThrow('invalid port number: 70000');
  });

  it('builds URLs, classifies status codes and redirects, and words socket errors as Go does', () => {
    expect(probeUrl('HTTPS', 'fd00::1', 443, '/healthz?full=1').href).toBe('https://[fd00::1]/healthz?full=1');
    expect(probeUrl('', '10.0.0.1', 8080, '').href).toBe('http://10.0.0.1:8080/');
    expect([httpOutcome(200, 'b').result, httpOutcome(399, 'b').result, httpOutcome(400, 'b').result, httpOutcome(199, 'b').result]).toEqual(['success', 'warning', 'failure', 'failure']);
    const first = new URL('http://10.0.0.1:8080/a');
    expect(redirectTarget(302, 'http://10.0.0.1:9090/b', first, first)?.href).toBe('http://10.0.0.1:9090/b');
    expect(redirectTarget(302, 'http://example.com/b', first, first)).toBeUndefined();
    expect(redirectTarget(304, '/b', first, first)).toBeUndefined();
    expect(goDialError('10.0.0.1:80', Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }))).toBe('dial tcp 10.0.0.1:80: connect: no route to host');
  });
});
