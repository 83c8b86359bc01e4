/**
 * Docker for tests: a running dockerd, the test image in the local registry, and cleanup of
 * everything a test labelled. Docker is shared per machine: nothing here stops dockerd or the
 * registry (whether it started them or not); tests remove only what carries their own label.
 * The shell scripts in tools/images do the starting (also used by `npm start` and CI).
 */
import { repoRoot } from './built-app';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { resolve } from 'node:path';


const SOCKET = '/var/run/docker.sock';

/** The image tools/images/build.sh builds and pushes: busybox-static, default command `httpd -f -p 8080 -h /www`. */
export const TEST_IMAGE = '127.0.0.1:5000/skiff/busybox:latest';

/** The image tools/images/build-node.sh builds and pushes: TEST_IMAGE's busybox plus this machine's `node`, default command `node`. */
export const NODE_IMAGE = '127.0.0.1:5000/skiff/node:latest';

/** The label key tests put on what they create; the value is unique per test run (testLabel()). */
export const TEST_LABEL_KEY = 'io.skiff.test';

function runScript(script: string, timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile('bash', [resolve(repoRoot(), 'tools/images', script)], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) fail(new Error(`tools/images/${script} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else done(stdout.trim());
    });
  });
}

/**
 * Calls the Docker Engine API over the socket, with `body` sent as JSON when given: resolves with
 * the status code and the body (JSON-parsed when it is JSON). Rejects when nothing answers on the
 * socket.
 */
export function dockerApi(method: string, path: string, timeoutMs = 10_000, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {};
    const req = request({ socketPath: SOCKET, method, path, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json') && text) body = JSON.parse(text);
        done({ status: res.statusCode ?? 0, body });
      });
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path} timed out`)));
    req.on('error', fail);
    req.end(payload);
  });
}

/** dockerApi for callers that want the body of a success only: a status of 300 or more rejects, naming it. */
export async function dockerCall(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; body: unknown }> {
  const answer = await dockerApi(method, path, timeoutMs, body);
  if (answer.status >= 300) throw new Error(`docker ${method} ${path}: ${answer.status} ${typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)}`);
  return answer;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    return (await dockerApi('GET', '/_ping', 2_000)).status === 200;
  } catch {
    return false;
  }
}

let dockerReady: Promise<void> | undefined;

/**
 * Makes sure dockerd answers on /var/run/docker.sock: uses a running one, else starts dockerd in
 * the background (removing a stale pid file first; tools/images/ensure-docker.sh) and waits for
 * it. Idempotent, safe across parallel jest workers (the script takes a lock). Never stops dockerd.
 */
export function ensureDocker(): Promise<void> {
  dockerReady ??= (async () => {
    if (await dockerAnswers()) return;
    await runScript('ensure-docker.sh', 90_000);
  })();
  dockerReady.catch(() => (dockerReady = undefined));
  return dockerReady;
}

let imagesReady: Promise<string> | undefined;

/**
 * Makes sure dockerd runs, the local registry serves 127.0.0.1:5000 and it holds TEST_IMAGE,
 * which is also present locally (tools/images/build.sh; rebuilt only when its inputs changed).
 * Resolves with the image name. Pods using it pull through the real pull path.
 */
export function ensureTestImages(): Promise<string> {
  imagesReady ??= (async () => {
    await ensureDocker();
    return runScript('build.sh', 300_000);
  })();
  imagesReady.catch(() => (imagesReady = undefined));
  return imagesReady;
}

/** The test image behind a login (tools/images/ensure-auth-registry.sh), and that login (loopback only). */
export const PRIVATE_IMAGE = '127.0.0.1:5001/skiff/private-busybox:latest';
export const PRIVATE_REGISTRY_LOGIN = { registry: '127.0.0.1:5001', username: 'skiff', password: 'skiff-test-password' } as const;

let privateImageReady: Promise<string> | undefined;

/** Makes sure the registry on 127.0.0.1:5001 (basic auth) serves PRIVATE_IMAGE, and no local copy of it is left. */
export function ensurePrivateImage(): Promise<string> {
  privateImageReady ??= (async () => {
    await ensureDocker();
    return runScript('ensure-auth-registry.sh', 300_000);
  })();
  privateImageReady.catch(() => (privateImageReady = undefined));
  return privateImageReady;
}

let nodeImageReady: Promise<string> | undefined;

/**
 * Makes sure the local registry serves NODE_IMAGE (tools/images/build-node.sh; rebuilt only when
 * its inputs changed), for pods that run small Node programs (`node -e`). Resolves with its name.
 */
export function ensureNodeImage(): Promise<string> {
  nodeImageReady ??= (async () => {
    await ensureDocker();
    return runScript('build-node.sh', 300_000);
  })();
  nodeImageReady.catch(() => (nodeImageReady = undefined));
  return nodeImageReady;
}

let perlImageReady: Promise<string> | undefined;

/**
 * Makes sure the local dockerd holds `perl:5.34.0`, the image of the Kubernetes docs' `pi` Job,
 * built from this machine's perl (tools/images/build-perl.sh; rebuilt only when its inputs
 * changed). Resolves with its name.
 */
export function ensurePerlImage(): Promise<string> {
  perlImageReady ??= (async () => {
    await ensureDocker();
    return runScript('build-perl.sh', 300_000);
  })();
  perlImageReady.catch(() => (perlImageReady = undefined));
  return perlImageReady;
}

let fluentdImageReady: Promise<string> | undefined;

/**
 * Makes sure the local dockerd holds `quay.io/fluentd_elasticsearch/fluentd:v2.5.2`, the image
 * of the Kubernetes docs' fluentd-elasticsearch DaemonSet: a busybox stand-in that keeps running
 * and reads /var/log (tools/images/build-fluentd.sh; rebuilt only when its inputs changed).
 * Resolves with its name.
 */
export function ensureFluentdImage(): Promise<string> {
  fluentdImageReady ??= (async () => {
    await ensureDocker();
    return runScript('build-fluentd.sh', 300_000);
  })();
  fluentdImageReady.catch(() => (fluentdImageReady = undefined));
  return fluentdImageReady;
}

/** A label unique to this test run, `io.skiff.test=<random>`, as a key and value and as a filter. */
export function testLabel(): { key: string; value: string; filter: string; labels: Record<string, string> } {
  const value = randomBytes(6).toString('hex');
  return { key: TEST_LABEL_KEY, value, filter: `${TEST_LABEL_KEY}=${value}`, labels: { [TEST_LABEL_KEY]: value } };
}

function filterQuery(label: string): string {
  return encodeURIComponent(JSON.stringify({ label: [label] }));
}

/** Ids of the containers (any state) carrying the label (`key=value` or `key`). */
export async function labelledContainers(label: string): Promise<string[]> {
  const { status, body } = await dockerApi('GET', `/containers/json?all=1&filters=${filterQuery(label)}`);
  if (status !== 200) throw new Error(`listing containers failed: ${status} ${JSON.stringify(body)}`);
  return (body as { Id: string }[]).map((c) => c.Id);
}

/**
 * Force-removes every container and then every network carrying the label (`key=value`), and
 * resolves with how many containers it removed. Containers already gone are fine.
 */
export async function removeLabelledDockerObjects(label: string): Promise<number> {
  const containers = await labelledContainers(label);
  await Promise.all(
    containers.map(async (id) => {
      const { status, body } = await dockerApi('DELETE', `/containers/${id}?force=1&v=1`, 30_000);
      if (status >= 300 && status !== 404 && status !== 409) throw new Error(`removing container ${id}: ${status} ${JSON.stringify(body)}`);
    }),
  );
  const { body } = await dockerApi('GET', `/networks?filters=${filterQuery(label)}`);
  for (const network of (body as { Id: string }[]) ?? []) {
    const { status } = await dockerApi('DELETE', `/networks/${network.Id}`);
    if (status >= 300 && status !== 404) throw new Error(`removing network ${network.Id}: ${status}`);
  }
  return containers.length;
}
