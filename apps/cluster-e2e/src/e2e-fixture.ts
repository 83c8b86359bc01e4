/**
 * What the end-to-end specs share: a started cluster with a client of it (startE2eCluster), the
 * Deployment of sleeping pods several specs run, and the questions they all ask: which pods an
 * app has, whether a pod runs, which Docker containers a pod or a node still has. Not a spec
 * itself (jest runs only *.spec.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deployment, intOrString, type Endpoints, type KindCase, type Pod } from '@skiff/api';
import { connect, typed, type SkiffClient, type TypedClient } from '@skiff/client';
import { NODE_LABEL_KEY, TEST_IMAGE, ensureTestImages, labelledContainers, runCli, startCluster, waitFor, type Cluster, type StartClusterOptions } from '@skiff/testing';

/** The Docker label the kubelet puts on every container (sandbox included) of a pod. */
const POD_UID_LABEL_KEY = 'io.skiff.pod.uid';

/** A running cluster and a client of it; stop() it in afterAll. */
export interface E2eCluster {
  cluster: Cluster;
  client: SkiffClient;
  /** The typed client of one kind over `client`. */
  typed<C extends KindCase>(kind: C): TypedClient<C>;
  /** Runs the built CLI against the cluster (see runCli): stdout, or a rejection on a non-zero exit. */
  cli(args: string[], timeoutMs?: number): Promise<string>;
  /**
   * Writes `yaml` to `file` in the cluster's temp directory and runs `skiff apply -f` on it, as a
   * user would; resolves with the file's path (for a later `skiff delete -f`).
   */
  apply(file: string, yaml: string): Promise<string>;
  /** Closes the client, stops the cluster (processes and every Docker object of its nodes) and removes the temp directory. */
  stop(): Promise<void>;
}

/**
 * Makes sure the test images are in the local registry, starts the cluster (see startCluster:
 * resolves once every Node is Ready) and connects a client.
 */
export async function startE2eCluster(options: StartClusterOptions): Promise<E2eCluster> {
  await ensureTestImages();
  const cluster = await startCluster(options);
  const client = connect(cluster.address);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  const cli = (args: string[], timeoutMs?: number) => runCli(cluster.cliPath, cluster.address, args, timeoutMs);
  return {
    cluster,
    client,
    typed: (kind) => typed(client, kind),
    cli,
    async apply(file, yaml) {
      const path = join(dir, file);
      writeFileSync(path, yaml);
      await cli(['apply', '-f', path], 90_000);
      return path;
    },
    async stop() {
      client.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SleeperOptions {
  namespace?: string;
  /** Put into the template as env VERSION, so that each version is a new template. */
  version?: string;
  /** A RollingUpdate strategy with these bounds; the Deployment default (25%/25%) without. */
  rollingUpdate?: { maxSurge: number; maxUnavailable: number };
}

/**
 * A 3-replica Deployment labelled app=<name> whose pods sleep in TEST_IMAGE (one container "web",
 * 100m CPU requested, 1 s grace period).
 */
export function sleeperDeployment(name: string, { namespace = 'default', version, rollingUpdate }: SleeperOptions = {}): Deployment {
  const labels = { app: name };
  return Deployment.fromPartial({
    metadata: { name, namespace },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      strategy: rollingUpdate && { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrString(rollingUpdate.maxSurge), maxUnavailable: intOrString(rollingUpdate.maxUnavailable) } },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'web',
              image: TEST_IMAGE,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', 'exec sleep 3600'],
              env: version === undefined ? [] : [{ name: 'VERSION', value: version }],
              resources: { requests: { cpu: '100m' } },
            },
          ],
        },
      },
    },
  });
}

/** True unless the pod is being deleted. */
export const isLive = (pod: Readonly<Pod>): boolean => !pod.metadata?.deletionTimestamp;

/** True when the pod's Ready condition is True. */
export const isReady = (pod: Readonly<Pod>): boolean => pod.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** True when the pod is bound, in phase Running, and every container of its spec is reported running. */
export function isRunning(pod: Readonly<Pod>): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  return (
    !!pod.spec?.nodeName &&
    pod.status?.phase === 'Running' &&
    (pod.spec.containers ?? []).every((c) => !!statuses.find((s) => s.name === c.name)?.state?.running)
  );
}

/** The pods labelled app=<app> in the namespace, in any state. */
export async function podsOfApp(pods: TypedClient<'pod'>, app: string, namespace = 'default'): Promise<Pod[]> {
  return (await pods.list({ namespace, labelSelector: `app=${app}` })).items;
}

/** The pods labelled app=<app> in the namespace that are not being deleted. */
export async function livePodsOfApp(pods: TypedClient<'pod'>, app: string, namespace = 'default'): Promise<Pod[]> {
  return (await podsOfApp(pods, app, namespace)).filter(isLive);
}

/** Waits until the pod isRunning; resolves with it, rejects at the deadline. */
export function waitPodRunning(pods: TypedClient<'pod'>, namespace: string, name: string, options: { timeoutMs: number; intervalMs: number }): Promise<Pod> {
  return waitFor(
    `${name} to be Running`,
    async () => {
      const pod = await pods.get(namespace, name);
      return isRunning(pod) ? pod : undefined;
    },
    options,
  );
}

/**
 * Waits until app=<app> has exactly `count` pods, every one in phase Running and none being
 * deleted; resolves with them, rejects at the deadline.
 */
export function waitAppRunning(pods: TypedClient<'pod'>, app: string, count: number, { namespace = 'default', timeoutMs = 60_000, intervalMs = 200 } = {}): Promise<Pod[]> {
  return waitFor(
    `${app} to run ${count} pods`,
    async () => {
      const list = await podsOfApp(pods, app, namespace);
      return list.length === count && list.every((p) => p.status?.phase === 'Running' && isLive(p)) ? list : undefined;
    },
    { timeoutMs, intervalMs },
  );
}

/** Ids of the Docker containers (any state, sandboxes included) of the pods with these uids. */
export async function podContainerIds(uids: readonly (string | undefined)[]): Promise<string[]> {
  return (await Promise.all(uids.map((uid) => labelledContainers(`${POD_UID_LABEL_KEY}=${uid}`)))).flat();
}

/** Ids of the Docker containers (any state) the kubelets of these nodes created. */
export async function nodeContainerIds(nodes: readonly string[]): Promise<string[]> {
  return (await Promise.all(nodes.map((node) => labelledContainers(`${NODE_LABEL_KEY}=${node}`)))).flat();
}

/** Waits until no container of these nodes is left; rejects at the deadline. */
export async function waitNodesClean(nodes: readonly string[], options: { timeoutMs: number; intervalMs?: number }): Promise<void> {
  await waitFor('every container of the test nodes to be removed', async () => (await nodeContainerIds(nodes)).length === 0, options);
}

/** One HTTP/1.0 GET / on a new connection to host:port; resolves with the body, trimmed (the test pods answer with their name). */
export function httpGet(host: string, port: number, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`)));
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => {
      const body = data.split('\r\n\r\n')[1];
      if (body === undefined) reject(new Error(`${host}:${port} closed without an HTTP answer`));
      else resolve(body.trim());
    });
    socket.on('error', reject);
  });
}

/** The IPs of the ready and not-ready addresses of the Endpoints namespace/name (none when it does not exist). */
export async function endpointAddresses(endpoints: TypedClient<'endpoints'>, namespace: string, name: string): Promise<{ ready: string[]; notReady: string[] }> {
  const ep: Endpoints | undefined = await endpoints.get(namespace, name).catch(() => undefined);
  const subsets = ep?.subsets ?? [];
  return { ready: subsets.flatMap((s) => s.addresses.map((a) => a.ip)).sort(), notReady: subsets.flatMap((s) => s.notReadyAddresses.map((a) => a.ip)).sort() };
}
