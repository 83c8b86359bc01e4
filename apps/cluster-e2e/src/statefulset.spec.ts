import { existsSync } from 'node:fs';
import type { Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { testLabel, waitFor } from '@skiff/testing';
import { isLive, isReady, startE2eCluster, type E2eCluster } from './e2e-fixture';
import { buildNginxStandIn } from './nginx-stand-in';

/**
 * StatefulSets end to end: the Kubernetes docs' `web` StatefulSet with its headless Service
 * `nginx` (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/), applied with
 * the built CLI to a cluster of the built apiserver, scheduler, controller-manager, two Docker
 * kubelets and the proxy with cluster DNS, and observed through a watch of the pods (whose events
 * come in the apiserver's write order) and `skiff exec` inside the pods.
 *
 * Stable network identities: each pod `web-N` has hostname web-N, spec.subdomain nginx, the FQDN
 * web-N.nginx.default.svc.cluster.local in its /etc/hosts, and the cluster DNS answers that name
 * with the pod's own IP (the Endpoints of the headless Service carry the pod's hostname).
 *
 * The image is registry.k8s.io/nginx-slim:0.24 as the page has it: a LOCAL image of that name (the
 * nginx stand-in of nginx-stand-in.ts), present in the Docker the kubelets share, so that
 * IfNotPresent never pulls. Changes from the page: its volumeClaimTemplates (`www`, and the
 * container's mount of it) are left out here; and the page's `nslookup web-0.nginx` (a short name
 * through the search list, busybox 1.28's) is asked as the FQDN, because the busybox nslookup of
 * the test image ignores the search list.
 */
const run = testLabel().value;
const NODES = [`sts-${run}-1`, `sts-${run}-2`];
const NS = 'default';
const NGINX_SLIM = 'registry.k8s.io/nginx-slim:0.24';
const DOMAIN = 'nginx.default.svc.cluster.local';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;

/** The page's manifest without its claim templates (see the header). */
const WEB = `apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: nginx # has to match .spec.template.metadata.labels
  serviceName: "nginx"
  replicas: 3 # by default is 1
  minReadySeconds: 10 # by default is 0
  template:
    metadata:
      labels:
        app: nginx # has to match .spec.selector.matchLabels
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: ${NGINX_SLIM}
        ports:
        - containerPort: 80
          name: web
`;

/** One pod event as the watch delivered it. */
interface Seen {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  name: string;
  uid: string;
  ready: boolean;
  terminating: boolean;
}
const seen: Seen[] = [];
const stopWatch = new AbortController();
let watching: Promise<void> | undefined;
/** Why the watch ended early, if it did (the order assertions would be void). */
let watchError: unknown;

const runningAndReady = (pod: Readonly<Pod>) => pod.status?.phase === 'Running' && isReady(pod);

/** Records every event of the app=nginx pods from the list's revision on, in the apiserver's order. */
async function watchPods(): Promise<void> {
  const { resourceVersion } = await pods.list({ namespace: NS, labelSelector: 'app=nginx' });
  watching = (async () => {
    try {
      for await (const ev of pods.watch({ namespace: NS, labelSelector: 'app=nginx', resourceVersion }, stopWatch.signal)) {
        const pod = ev.object;
        seen.push({ type: ev.type, name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', ready: runningAndReady(pod), terminating: Boolean(pod.metadata?.deletionTimestamp) });
      }
    } catch (err) {
      if (!stopWatch.signal.aborted) watchError = err;
    }
  })();
}

/** Index of the first recorded event at or after `from` matching `test`, -1 when none. */
function firstSeen(test: (s: Seen) => boolean, from = 0): number {
  if (watchError) throw new Error(`the pod watch failed: ${String(watchError)}`);
  const i = seen.slice(from).findIndex(test);
  return i < 0 ? -1 : i + from;
}

beforeAll(async () => {
  buildNginxStandIn(NGINX_SLIM);
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    controllerManagers: 1,
    proxy: {},
    kubeletArgs: ['--backoff-base', '0.5', '--backoff-max', '2', '--lease-interval', '1', '--resync-interval', '10'],
  });
  pods = e2e.typed('pod');
  await watchPods();
}, 240_000);

afterAll(async () => {
  stopWatch.abort();
  await watching?.catch(() => undefined);
  await e2e?.stop();
}, 90_000);

const skiff = (...args: string[]) => e2e.cli(args, 60_000);

/** The live pods of web, by name. */
async function webPods(namespace = NS): Promise<Map<string, Pod>> {
  const { items } = await pods.list({ namespace, labelSelector: 'app=nginx' });
  return new Map(items.filter(isLive).map((p) => [p.metadata?.name ?? '', p]));
}

/** Waits until exactly `names` run Ready (the others gone); resolves with them. */
function waitWebReady(names: string[], timeoutMs = 120_000, namespace = NS): Promise<Map<string, Pod>> {
  return waitFor(`${names.join(', ')} Running and Ready, and no other pod of web`, async () => {
    const live = await webPods(namespace);
    const ok = live.size === names.length && names.every((n) => live.get(n) && runningAndReady(live.get(n)!));
    return ok ? live : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

/** The A records busybox nslookup prints for `name`, asked inside `pod` (the server's own line, "addr:53", left out). */
async function lookup(pod: string, name: string): Promise<string[]> {
  const out = await skiff('exec', pod, '--', 'nslookup', '-type=a', name).catch((err: Error) => err.message);
  const answer = out.split(/\n\s*\n/).slice(1).join('\n');
  return [...answer.matchAll(/^Address:?\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]).sort();
}

/** Waits until `name` resolves (inside `pod`) to exactly `ips`. */
function waitLookup(pod: string, name: string, ips: string[]): Promise<string[]> {
  const want = [...ips].sort();
  let last: string[] = [];
  return waitFor(`${name} to resolve to ${want.join(', ')} inside ${pod}`, async () => {
    last = await lookup(pod, name);
    return JSON.stringify(last) === JSON.stringify(want) ? last : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 }).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`);
  });
}

describe("the docs' web StatefulSet with its headless Service nginx", () => {
  it('creates web-0, web-1, web-2 in order, each only once the one before is Running and Ready for minReadySeconds (OrderedReady)', async () => {
    const from = seen.length;
    await e2e.apply('web.yaml', WEB);
    const live = await waitWebReady(['web-0', 'web-1', 'web-2']);
    const added = (name: string) => firstSeen((s) => s.type === 'ADDED' && s.name === name, from);
    const ready = (name: string) => firstSeen((s) => s.name === name && s.ready, from);
    for (const name of ['web-0', 'web-1', 'web-2']) expect(added(name)).toBeGreaterThanOrEqual(0);
    expect(added('web-1')).toBeGreaterThan(ready('web-0'));
    expect(added('web-2')).toBeGreaterThan(ready('web-1'));
    // minReadySeconds 10: the next pod comes 10 s after the previous one became Ready.
    const readySince = (name: string) => live.get(name)!.status!.conditions.find((c) => c.type === 'Ready')!.lastTransitionTime!.getTime();
    const createdAt = (name: string) => live.get(name)!.metadata!.creationTimestamp!.getTime();
    expect(createdAt('web-1') - readySince('web-0')).toBeGreaterThanOrEqual(9_000);
    expect(createdAt('web-2') - readySince('web-1')).toBeGreaterThanOrEqual(9_000);
    for (const [name, pod] of live) {
      expect(pod.spec).toMatchObject({ hostname: name, subdomain: 'nginx' });
      expect(pod.metadata?.labels).toMatchObject({ app: 'nginx', 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': name.slice(4) });
    }
    // Both nodes take part (the scheduler spreads the set's pods).
    expect(new Set([...live.values()].map((p) => p.spec?.nodeName)).size).toBe(2);
  }, 180_000);

  it('shows the set with get, describe and rollout status as kubectl does', async () => {
    const status = await skiff('rollout', 'status', 'statefulset/web', '--timeout', '60s');
    expect(status.trim().split('\n').pop()).toBe('partitioned roll out complete: 3 new pods have been updated...');
    const table = await waitFor('web to show 3/3 ready', async () => {
      const out = await skiff('get', 'sts');
      return /^web\s+3\/3\s+\S+$/m.test(out) ? out : undefined;
    });
    expect(table.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'READY', 'AGE']);
    expect((await skiff('get', 'sts', 'web', '-o', 'wide')).split('\n')[1].split(/\s+/).slice(3)).toEqual(['nginx', NGINX_SLIM]);
    const described = await skiff('describe', 'sts', 'web');
    expect(described).toMatch(/^Replicas:\s+3 desired \| 3 total$/m);
    expect(described).toMatch(/^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(described).toMatch(/SuccessfulCreate\s+.*create Pod web-2 in StatefulSet web successful/);
  }, 120_000);

  it('gives each pod its hostname, its FQDN in /etc/hosts and a DNS name web-N.nginx resolving to its own IP; nginx resolves to all of them', async () => {
    const live = await webPods();
    const ips = [...live.values()].map((p) => p.status?.podIP ?? '');
    for (const [name, pod] of live) {
      const ip = pod.status?.podIP ?? '';
      expect(await skiff('exec', name, '--', 'hostname')).toBe(`${name}\n`);
      expect(await skiff('exec', name, '--', 'cat', '/etc/hosts')).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+${name}\\.${DOMAIN.replace(/\./g, '\\.')}\\s+${name}$`, 'm'));
      await waitLookup(name, `${name}.${DOMAIN}`, [ip]);
    }
    // One pod resolves the others too, and the service name answers every ready pod.
    await waitLookup('web-0', `web-2.${DOMAIN}`, [live.get('web-2')!.status!.podIP]);
    await waitLookup('web-1', DOMAIN, ips);
  }, 120_000);

  it('scales 3 -> 1 removing web-2 then web-1, and back to 3 under the same names and DNS names', async () => {
    const before = await webPods();
    const from = seen.length;
    expect(await skiff('scale', 'sts', 'web', '--replicas=1')).toBe('statefulset.apps/web scaled\n');
    await waitWebReady(['web-0']);
    const gone = (name: string) => firstSeen((s) => s.type === 'DELETED' && s.name === name, from);
    const terminating = (name: string) => firstSeen((s) => s.name === name && s.terminating, from);
    await waitFor('web-1 and web-2 to be deleted', () => gone('web-1') >= 0 && gone('web-2') >= 0, { timeoutMs: 60_000, intervalMs: 100 });
    expect(terminating('web-2')).toBeGreaterThanOrEqual(0);
    expect(gone('web-2')).toBeGreaterThan(terminating('web-2'));
    // web-1 is asked to go only once web-2 is gone.
    expect(terminating('web-1')).toBeGreaterThan(gone('web-2'));
    expect(gone('web-1')).toBeGreaterThan(terminating('web-1'));
    expect(firstSeen((s) => s.name === 'web-0' && (s.terminating || s.type === 'DELETED'), from)).toBe(-1);
    await waitLookup('web-0', DOMAIN, [before.get('web-0')!.status!.podIP]);

    const back = seen.length;
    expect(await skiff('scale', 'sts', 'web', '--replicas=3')).toBe('statefulset.apps/web scaled\n');
    const live = await waitWebReady(['web-0', 'web-1', 'web-2']);
    expect(firstSeen((s) => s.type === 'ADDED' && s.name === 'web-2', back)).toBeGreaterThan(firstSeen((s) => s.name === 'web-1' && s.ready, back));
    expect(live.get('web-0')!.metadata?.uid).toBe(before.get('web-0')!.metadata?.uid);
    for (const name of ['web-1', 'web-2']) {
      expect(live.get(name)!.metadata?.uid).not.toBe(before.get(name)!.metadata?.uid);
      await waitLookup('web-0', `${name}.${DOMAIN}`, [live.get(name)!.status!.podIP]);
    }
  }, 180_000);
});

/**
 * The page's "Stable Storage" and "Writing to Stable Storage": the same manifest WITH its
 * volumeClaimTemplates, in namespace `storage` (its own Service nginx). The one change: the
 * claim template's storageClassName `my-storage-class` (a class the page assumes) is left out, so
 * the claims get the cluster's default class (local-path).
 */
describe("the docs' web StatefulSet with its volumeClaimTemplates", () => {
  const SNS = 'storage';
  const withClaims = WEB.replace(
    `        - containerPort: 80
          name: web
`,
    `        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
`,
  );
  const inNs = (verb: string, ...args: string[]) => skiff(verb, '-n', SNS, ...args);

  it('gives each pod its own claim www-web-N on its node; what a pod writes survives the pod and scaling 3 -> 1 -> 3; claims outlive the set; deleting them removes the volumes and directories', async () => {
    await e2e.apply('storage-ns.yaml', `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${SNS}\n`);
    await waitFor('the default ServiceAccount of storage', async () => (await e2e.typed('serviceAccount').list({ namespace: SNS })).items.some((a) => a.metadata?.name === 'default'), { timeoutMs: 20_000 });
    await e2e.apply('web-storage.yaml', withClaims.replace(/^metadata:\n  name: (nginx|web)\n/gm, `metadata:\n  name: $1\n  namespace: ${SNS}\n`));
    const first = await waitWebReady(['web-0', 'web-1', 'web-2'], 180_000, SNS);
    const { items: claims } = await e2e.typed('persistentVolumeClaim').list({ namespace: SNS });
    expect(claims.map((c) => [c.metadata?.name, c.status?.phase, c.metadata?.labels?.app]).sort()).toEqual([
      ['www-web-0', 'Bound', 'nginx'],
      ['www-web-1', 'Bound', 'nginx'],
      ['www-web-2', 'Bound', 'nginx'],
    ]);
    for (const [name, pod] of first) {
      expect(pod.spec?.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim?.claimName).toBe(`www-${name}`);
      await inNs('exec', name, '--', 'sh', '-c', 'echo "$(hostname)" > /usr/share/nginx/html/index.html');
    }
    // The page deletes the pods (`kubectl delete pod -l app=nginx`: skiff delete takes names); the
    // controller re-creates them, each with its own claim and data.
    await inNs('delete', 'pod', 'web-0', 'web-1', 'web-2', '--wait=false');
    const again = await waitFor('web-0..2 re-created and Ready', async () => {
      const live = await webPods(SNS);
      const fresh = ['web-0', 'web-1', 'web-2'].every((n) => live.get(n) && live.get(n)!.metadata?.uid !== first.get(n)!.metadata?.uid && runningAndReady(live.get(n)!));
      return fresh ? live : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500 });
    for (const name of again.keys()) expect(await inNs('exec', name, '--', 'cat', '/usr/share/nginx/html/index.html')).toBe(`${name}\n`);

    // Each claim is Bound to a volume pinned to the node its pod runs on.
    const volumes = new Map<string, string>(); // claim -> local path on the node
    for (const [name, pod] of again) {
      const claim = await e2e.typed('persistentVolumeClaim').get(SNS, `www-${name}`);
      const pv = await e2e.typed('persistentVolume').get('', claim.spec?.volumeName ?? '');
      expect(pv.status?.phase).toBe('Bound');
      const pinned = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms.flatMap((t) => t.matchExpressions.filter((e) => e.key === 'kubernetes.io/hostname').flatMap((e) => e.values));
      expect(pinned).toEqual([pod.spec?.nodeName]);
      volumes.set(`www-${name}`, pv.spec?.local?.path ?? '');
      expect(existsSync(pv.spec?.local?.path ?? '')).toBe(true);
    }

    // Scaling 3 -> 1 -> 3 keeps the claims: web-1 and web-2 come back to their data.
    await inNs('scale', 'sts', 'web', '--replicas=1');
    await waitWebReady(['web-0'], 120_000, SNS);
    await inNs('scale', 'sts', 'web', '--replicas=3');
    const rescaled = await waitWebReady(['web-0', 'web-1', 'web-2'], 180_000, SNS);
    for (const name of rescaled.keys()) expect(await inNs('exec', name, '--', 'cat', '/usr/share/nginx/html/index.html')).toBe(`${name}\n`);

    // Retain (the default): the claims outlive the StatefulSet.
    await inNs('delete', 'statefulset', 'web');
    await waitFor('the pods of web in storage to be gone', async () => (await webPods(SNS)).size === 0, { timeoutMs: 60_000, intervalMs: 250 });
    const kept = (await e2e.typed('persistentVolumeClaim').list({ namespace: SNS })).items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => c.metadata?.name);
    expect(kept.sort()).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);

    // Deleting the claims (local-path: reclaim policy Delete) removes their volumes and directories.
    await inNs('delete', 'pvc', 'www-web-0', 'www-web-1', 'www-web-2');
    await waitFor(
      'the claims, their volumes and their directories to be gone',
      async () => {
        const claimsLeft = (await e2e.typed('persistentVolumeClaim').list({ namespace: SNS })).items.length;
        const pvsLeft = (await e2e.typed('persistentVolume').list()).items.filter((pv) => pv.spec?.claimRef?.namespace === SNS).length;
        return claimsLeft === 0 && pvsLeft === 0 && [...volumes.values()].every((path) => !existsSync(path));
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }, 600_000);
});
