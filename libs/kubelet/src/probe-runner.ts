/**
 * Runs one probe from the node, as Kubernetes' prober does: httpGet and tcpSocket to the pod IP
 * (or the probe's host), exec inside the container through the runtime.
 *
 *   httpGet    success: 200 <= status < 400 (a redirect it did not follow is a warning, which
 *              counts as success); failure: any other status ("HTTP probe failed with
 *              statuscode: 500"), a connection error or the timeout. Redirects are followed
 *              (at most 10) while they stay on the same host name. Headers: User-Agent
 *              skiff-probe/<version>, Accept *\/*, then the probe's own. The body read is
 *              bounded (10 KiB). HTTPS does not verify the certificate (as Kubernetes).
 *   tcpSocket  success: the connection opens within the timeout.
 *   exec       success: exit code 0; failure: another code (output: the command's output,
 *              bounded to 10 KiB) or the timeout ('command "x" timed out'). Docker cannot kill
 *              an exec: one that times out goes on in the container, unobserved.
 *
 * Outcomes never throw: a probe that cannot run at all (a named port the container does not
 * declare, no pod IP, the container gone) is an `error`, which the worker disregards.
 * Messages mimic the Go errors Kubernetes shows ("dial tcp 10.1.2.3:80: connect: connection
 * refused"), so that events read as users know them.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { intOrStringValue, type Container, type IntOrString, type Pod, type Probe } from '@skiff/api';
import type { ContainerRuntime } from '@skiff/runtime';

/** What a probe checks. */
export interface ProbeTarget {
  pod: Readonly<Pod>;
  container: Readonly<Container>;
  /** The runtime id of the instance probed (exec runs in it). */
  containerId: string;
  /** The pod IP: the default host of httpGet and tcpSocket ('' when unknown). */
  podIP: string;
}

/** One probe's outcome and its output (the event message of a failure). */
export interface ProbeOutcome {
  result: 'success' | 'warning' | 'failure' | 'error';
  output: string;
}

/** Runs `probe` against `target`, bounded by the probe's timeout; resolves with the outcome, aborts with `signal`. */
export type ProbeRunner = (probe: Readonly<Probe>, target: ProbeTarget, signal: AbortSignal) => Promise<ProbeOutcome>;

/** How much of an HTTP body or exec output is kept (Kubernetes' 10 KiB). */
export const MAX_PROBE_OUTPUT = 10 * 1024;
const MAX_REDIRECTS = 10;

/** The probes of a real node: network from this host, exec through `runtime`. */
export function createProbeRunner(runtime: Pick<ContainerRuntime, 'exec'>, options: { userAgent: string }): ProbeRunner {
  return async (probe, target, signal) => {
    const timeoutMs = (probe.timeoutSeconds || 1) * 1000;
    try {
      if (probe.exec) return await execProbe(runtime, target.containerId, probe.exec.command, timeoutMs, signal);
      if (probe.httpGet) {
        const port = resolveProbePort(probe.httpGet.port, target.container);
        const host = probe.httpGet.host || target.podIP;
        if (!host) return { result: 'error', output: 'the pod has no IP' };
        const url = probeUrl(probe.httpGet.scheme, host, port, probe.httpGet.path);
        const headers = probeHeaders(options.userAgent, probe.httpGet.httpHeaders ?? []);
        return await httpProbe(url, headers, timeoutMs, signal);
      }
      if (probe.tcpSocket) {
        const port = resolveProbePort(probe.tcpSocket.port, target.container);
        const host = probe.tcpSocket.host || target.podIP;
        if (!host) return { result: 'error', output: 'the pod has no IP' };
        return await tcpProbe(host, port, timeoutMs, signal);
      }
      return { result: 'error', output: 'missing probe handler' };
    } catch (err) {
      signal.throwIfAborted();
      return { result: 'error', output: (err as Error).message };
    }
  };
}

/** The hollow runtime's probes: every probe succeeds (nothing runs, as its containers). */
export const hollowProbeRunner: ProbeRunner = async () => ({ result: 'success', output: '' });

/**
 * The port number of a probe's port: an int, or the name of one of the container's ports (or a
 * number written as a string). Throws for an unknown name or a number outside 1-65535.
 */
export function resolveProbePort(port: IntOrString | undefined, container: Readonly<Container>): number {
  const value = intOrStringValue(port);
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const named = (container.ports ?? []).find((p) => p.name === value);
    if (named) n = named.containerPort;
    else if (/^\d+$/.test(value)) n = Number(value);
    else throw new Error(`port ${value} not found`);
  } else n = -1;
  if (n > 0 && n < 65536) return n;
  throw new Error(`invalid port number: ${n}`);
}

/** host:port with IPv6 hosts in brackets (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The URL an httpGet probe requests: scheme (lower case, default http), host:port and path (default "/", may carry a query). */
export function probeUrl(scheme: string, host: string, port: number, path: string): URL {
  const p = path || '/';
  return new URL(`${(scheme || 'HTTP').toLowerCase()}://${joinHostPort(host, port)}${p.startsWith('/') ? p : `/${p}`}`);
}

/** Request headers: the defaults (User-Agent, Accept), replaced by the probe's own of the same name. */
export function probeHeaders(userAgent: string, own: readonly { name: string; value: string }[]): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': userAgent, accept: '*/*' };
  for (const h of own) headers[h.name.toLowerCase()] = h.value;
  return headers;
}

/** An HTTP answer's outcome (Kubernetes' DoHTTPProbe): body = the first MAX_PROBE_OUTPUT bytes. */
export function httpOutcome(status: number, body: string): ProbeOutcome {
  if (status >= 200 && status < 300) return { result: 'success', output: body };
  if (status >= 300 && status < 400) return { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
}

/**
 * Where a redirect goes, or undefined when it is not followed: not a redirect status (301, 302,
 * 303, 307, 308) or no Location, or another host name than the first request's (Kubernetes does
 * not follow redirects off the host; another port of it is fine).
 */
export function redirectTarget(status: number, location: string | undefined, current: URL, first: URL): URL | undefined {
  if (![301, 302, 303, 307, 308].includes(status) || !location) return undefined;
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return undefined;
  }
  return next.hostname === first.hostname && (next.protocol === 'http:' || next.protocol === 'https:') ? next : undefined;
}

/** A Node socket error as Go's net package words it: "dial tcp 10.1.2.3:80: connect: connection refused". */
export function goDialError(address: string, err: NodeJS.ErrnoException): string {
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connect: connection refused',
    EHOSTUNREACH: 'connect: no route to host',
    ENETUNREACH: 'connect: network is unreachable',
    ECONNRESET: 'read: connection reset by peer',
    ETIMEDOUT: 'i/o timeout',
  };
  return `dial tcp ${address}: ${(err.code && reasons[err.code]) || err.message}`;
}

/** Runs `fn` with a signal that aborts at the timeout or with `outer`; tells which one it was. */
async function withTimeout<T>(timeoutMs: number, outer: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T } | { timedOut: true }> {
  outer.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('probe timed out'));
  }, timeoutMs);
  const onAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  try {
    return { value: await fn(controller.signal) };
  } catch (err) {
    if (timedOut) return { timedOut: true };
    throw err;
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onAbort);
  }
}

async function execProbe(runtime: Pick<ContainerRuntime, 'exec'>, containerId: string, command: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const ran = await withTimeout(timeoutMs, signal, (s) => runtime.exec(containerId, command, { signal: s }));
  if ('timedOut' in ran) return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  const output = (ran.value.stdout + ran.value.stderr).slice(0, MAX_PROBE_OUTPUT);
  return { result: ran.value.exitCode === 0 ? 'success' : 'failure', output };
}

function tcpProbe(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const address = joinHostPort(host, port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (outcome: ProbeOutcome | Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => done({ result: 'failure', output: `dial tcp ${address}: i/o timeout` }), timeoutMs);
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ result: 'success', output: '' }));
    socket.once('error', (err) => done({ result: 'failure', output: goDialError(address, err) }));
  });
}

/** GET `url` following same-host redirects, the whole exchange bounded by `timeoutMs`. */
async function httpProbe(url: URL, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  let current = url;
  let phase = 'awaiting headers';
  const ran = await withTimeout(timeoutMs, signal, async (s) => {
    for (let redirects = 0; ; redirects++) {
      phase = 'awaiting headers';
      const answer = await httpGetOnce(current, headers, s, () => (phase = 'reading body'));
      const next = redirectTarget(answer.status, answer.location, current, url);
      if (!next) return httpOutcome(answer.status, answer.body);
      if (redirects + 1 >= MAX_REDIRECTS) return { result: 'failure' as const, output: `Get ${JSON.stringify(next.href)}: stopped after ${MAX_REDIRECTS} redirects` };
      current = next;
    }
  }).catch((err: NodeJS.ErrnoException): { value: ProbeOutcome } => {
    signal.throwIfAborted();
    return { value: { result: 'failure', output: `Get ${JSON.stringify(current.href)}: ${goDialError(joinHostPort(current.hostname.replace(/^\[|\]$/g, ''), Number(current.port) || defaultPort(current)), err)}` } };
  });
  if ('timedOut' in ran) {
    const why = phase === 'reading body' ? 'context deadline exceeded (Client.Timeout or context cancellation while reading body)' : 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
    return { result: 'failure', output: `Get ${JSON.stringify(current.href)}: ${why}` };
  }
  return ran.value;
}

function defaultPort(url: URL): number {
  return url.protocol === 'https:' ? 443 : 80;
}

/** One GET on a new connection: status, Location and the first MAX_PROBE_OUTPUT bytes of the body. */
function httpGetOnce(url: URL, headers: Record<string, string>, signal: AbortSignal, onHeaders: () => void): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { method: 'GET', headers: { ...headers }, agent: false as const, signal };
    const onResponse = (res: http.IncomingMessage) => {
      onHeaders();
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        res.removeAllListeners('data');
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).subarray(0, MAX_PROBE_OUTPUT).toString('utf8') });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_PROBE_OUTPUT) finish();
      });
      res.once('end', finish);
      res.once('error', reject);
    };
    const req = url.protocol === 'https:' ? https.request(url, { ...options, rejectUnauthorized: false }, onResponse) : http.request(url, options, onResponse);
    req.once('error', reject);
    req.end();
  });
}
