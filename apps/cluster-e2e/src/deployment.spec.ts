import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, testLabel, waitFor } from '@skiff/testing';
import { isLive, isReady, livePodsOfApp, podsOfApp, startE2eCluster, waitNodesClean, type E2eCluster } from './e2e-fixture';

/**
 * Issue 4's acceptance 1-3 end to end: the built apiserver, scheduler, controller-manager (the
 * deployment and replicaset controllers) and two kubelets on real Docker; pods run TEST_IMAGE's
 * busybox httpd pulled from the local registry; everything is driven through the built CLI as a
 * user types it, and observed through the API.
 *
 * What the rolling-update bounds count: pods of the Deployment that are not being deleted (what
 * the controller counts and `maxSurge` bounds; a pod being deleted is on its way out, its
 * containers stopping), and, of those, the Ready ones. Pods being deleted are recorded too, for
 * the figures, but not bounded.
 */
const run = testLabel().value;
const NODES = [`dep-${run}-1`, `dep-${run}-2`];
const NS = 'default';
const BAD_IMAGE = '127.0.0.1:5000/skiff/does-not-exist:1';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-deploy-e2e-'));
  e2e = await startE2eCluster({ nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })), controllerManagers: 1 });
  pods = e2e.typed('pod');
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function skiff(...args: string[]): Promise<string> {
  return e2e.cli(args, 90_000);
}

/** Runs the CLI expecting a failure; resolves with its stdout, stderr and exit code. */
async function skiffFails(...args: string[]): Promise<{ stdout: string; stderr: string; code: unknown }> {
  try {
    const stdout = await skiff(...args);
    throw new Error(`skiff ${args.join(' ')} succeeded: ${stdout}`);
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string; cause?: { code?: unknown } };
    if (e.stderr === undefined) throw err;
    return { stdout: e.stdout ?? '', stderr: e.stderr, code: e.cause?.code };
  }
}

/** A Deployment manifest of busybox httpd; `version` goes into the pod template (a new template per version). */
function manifest(name: string, version: string, extra = ''): string {
  const path = join(dir, `${name}-${version}.yaml`);
  writeFileSync(
    path,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 3
  selector:
    matchLabels: {app: ${name}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
${extra}  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: ${TEST_IMAGE}
        imagePullPolicy: IfNotPresent
        command: [httpd, -f, -p, "8080"]
        env:
        - {name: VERSION, value: "${version}"}
`,
  );
  return path;
}

const versionOf = (p: Pod) => p.spec?.containers[0]?.env.find((e) => e.name === 'VERSION')?.value;

/** Samples the Deployment's pods every 100 ms until stop(); the extremes seen. */
function samplePods(app: string) {
  const seen = { maxLive: 0, minReady: Number.POSITIVE_INFINITY, maxWithTerminating: 0, samples: 0 };
  let sampling = true;
  const done = (async () => {
    while (sampling) {
      const all = await podsOfApp(pods, app);
      const live = all.filter(isLive);
      seen.maxLive = Math.max(seen.maxLive, live.length);
      seen.minReady = Math.min(seen.minReady, live.filter(isReady).length);
      seen.maxWithTerminating = Math.max(seen.maxWithTerminating, all.length);
      seen.samples++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    stop: async () => {
      sampling = false;
      await done;
      return seen;
    },
  };
}

/** Rows of one table of `skiff get` output (several kinds print one table each, blank-line separated). */
function tables(text: string): string[][][] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').map((line) => line.trim().split(/\s{2,}/)));
}

describe('Deployments end to end', () => {
  it('(1) a 3-replica Deployment becomes 3/3 available; a pod deleted by hand is replaced; get deploy,rs,pods shows it as kubectl', async () => {
    expect(await skiff('apply', '-f', manifest('web', '1'))).toBe('deployment.apps/web created\n');
    const status = await skiff('rollout', 'status', 'deploy/web', '--timeout', '90s');
    expect(status.trim().split('\n').pop()).toBe('deployment "web" successfully rolled out');

    const [deploy, rs, podTable] = tables(await skiff('get', 'deploy,rs,pods'));
    expect(deploy[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(deploy.slice(1).map((r) => r.slice(0, 4))).toEqual([['deployment.apps/web', '3/3', '3', '3']]);
    expect(rs[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(rs).toHaveLength(2);
    expect(rs[1][0]).toMatch(/^replicaset\.apps\/web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs[1].slice(1, 4)).toEqual(['3', '3', '3']);
    const rsName = rs[1][0].slice('replicaset.apps/'.length);
    expect(podTable[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(podTable.slice(1).map((r) => [r[0].startsWith(`pod/${rsName}-`), r[1], r[2]])).toEqual([
      [true, '1/1', 'Running'],
      [true, '1/1', 'Running'],
      [true, '1/1', 'Running'],
    ]);

    const victim = (await podsOfApp(pods, 'web'))[0].metadata!.name;
    expect(await skiff('delete', 'pod', victim)).toBe(`pod "${victim}" deleted\n`);
    const replaced = await waitFor(
      'a replacement pod',
      async () => {
        const live = await livePodsOfApp(pods, 'web');
        return live.length === 3 && live.every((p) => p.metadata?.name !== victim && isReady(p)) ? live : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(new Set(replaced.map((p) => p.spec?.nodeName)).size).toBeGreaterThanOrEqual(1);
    expect((await skiff('get', 'deploy', 'web')).split('\n')[1].split(/\s{2,}/).slice(0, 4)).toEqual(['web', '3/3', '3', '3']);
  }, 180_000);

  it('(2) rolling update with maxUnavailable=1, maxSurge=1: never below 2 ready nor above 4 pods; old ReplicaSet at 0; rollout undo the same way', async () => {
    const rollout = samplePods('web');
    expect(await skiff('apply', '-f', manifest('web', '2'))).toBe('deployment.apps/web configured\n');
    await skiff('rollout', 'status', 'deploy/web', '--timeout', '120s');
    const forward = await rollout.stop();
    expect(forward.maxLive).toBeLessThanOrEqual(4);
    expect(forward.minReady).toBeGreaterThanOrEqual(2);
    expect(forward.samples).toBeGreaterThan(10);
    const live = await livePodsOfApp(pods, 'web');
    expect(live.map(versionOf)).toEqual(['2', '2', '2']);

    const rsTable = tables(await skiff('get', 'rs', '-l', 'app=web'))[0];
    const sizes = Object.fromEntries(rsTable.slice(1).map((r) => [r[0], r[1]]));
    expect(Object.values(sizes).sort()).toEqual(['0', '3']);
    expect(await skiff('rollout', 'history', 'deploy/web')).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n');

    const back = samplePods('web');
    expect(await skiff('rollout', 'undo', 'deploy/web')).toBe('deployment.apps/web rolled back\n');
    await skiff('rollout', 'status', 'deploy/web', '--timeout', '120s');
    const undone = await back.stop();
    expect(undone.maxLive).toBeLessThanOrEqual(4);
    expect(undone.minReady).toBeGreaterThanOrEqual(2);
    const after = await livePodsOfApp(pods, 'web');
    expect(after.map(versionOf)).toEqual(['1', '1', '1']);
    expect(await skiff('rollout', 'history', 'deploy/web')).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
    const sizesAfter = tables(await skiff('get', 'rs', '-l', 'app=web'))[0].slice(1).map((r) => r[1]);
    expect(sizesAfter.sort()).toEqual(['0', '3']);
  }, 300_000);

  it('rollout pause, resume, restart and history --revision, as kubectl words them', async () => {
    expect(await skiff('rollout', 'pause', 'deploy/web')).toBe('deployment.apps/web paused\n');
    expect((await skiffFails('rollout', 'pause', 'deploy/web')).stderr).toBe('error: deployments.apps "web" is already paused\n');
    expect((await skiffFails('rollout', 'restart', 'deploy/web')).stderr).toBe(`error: deployments.apps "web" can't restart paused deployment (run rollout resume first)\n`);
    expect((await skiffFails('rollout', 'undo', 'deploy/web')).stderr).toContain('you cannot rollback a paused deployment');
    expect(await skiff('rollout', 'resume', 'deploy/web')).toBe('deployment.apps/web resumed\n');
    expect((await skiffFails('rollout', 'resume', 'deploy/web')).stderr).toBe('error: deployments.apps "web" is not paused\n');

    const before = new Set((await podsOfApp(pods, 'web')).map((p) => p.metadata?.name));
    expect(await skiff('rollout', 'restart', 'deploy/web')).toBe('deployment.apps/web restarted\n');
    await skiff('rollout', 'status', 'deploy/web', '--timeout', '120s');
    const after = await livePodsOfApp(pods, 'web');
    expect(after).toHaveLength(3);
    for (const p of after) {
      expect(before.has(p.metadata?.name)).toBe(false);
      expect(versionOf(p)).toBe('1');
    }
    const revision4 = await skiff('rollout', 'history', 'deploy/web', '--revision', '4');
    expect(revision4).toMatch(/^deployment\.apps\/web with revision #4\nPod Template:\n {2}Labels:\s+app=web\n\s+pod-template-hash=\w+\n {2}Containers:\n {4}web:\n/);
    expect(revision4.split('\n').some((l) => l.trim().startsWith('Image:') && l.trim().endsWith(TEST_IMAGE))).toBe(true);
  }, 180_000);

  it('(3) a bad image stalls at maxUnavailable with the pull error shown; Progressing turns False after progressDeadlineSeconds', async () => {
    await skiff('apply', '-f', manifest('stuck', '1', '  progressDeadlineSeconds: 15\n'));
    await skiff('rollout', 'status', 'deploy/stuck', '--timeout', '90s');
    expect(await skiff('set', 'image', 'deploy/stuck', `web=${BAD_IMAGE}`)).toBe('deployment.apps/stuck image updated\n');
    const failed = await skiffFails('rollout', 'status', 'deploy/stuck', '--timeout', '90s');
    expect(failed.stderr.trim()).toBe('error: deployment "stuck" exceeded its progress deadline');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/Waiting for deployment "stuck" rollout to finish: \d out of 3 new replicas have been updated\.\.\. \(Warning: (ErrImagePull|ImagePullBackOff) - /);

    // Stalled at maxUnavailable: 2 old pods ready, 2 new ones that cannot pull.
    const all = await livePodsOfApp(pods, 'stuck');
    const bad = all.filter((p) => p.spec?.containers[0]?.image === BAD_IMAGE);
    const good = all.filter((p) => p.spec?.containers[0]?.image === TEST_IMAGE);
    expect([good.length, good.filter(isReady).length, bad.length, bad.filter(isReady).length]).toEqual([2, 2, 2, 0]);
    const podRows = tables(await skiff('get', 'pods', '-l', 'app=stuck'))[0].slice(1);
    for (const p of bad) expect(podRows.find((r) => r[0] === p.metadata!.name)?.[2]).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);

    const described = await skiff('describe', 'deploy', 'stuck');
    expect(described).toMatch(/Progressing\s+False\s+ProgressDeadlineExceeded/);
    expect(described).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(described).toMatch(/Replicas:\s+3 desired \| 2 updated \| 4 total \| 2 available \| 2 unavailable/);

    // Rolling back recovers.
    expect(await skiff('rollout', 'undo', 'deploy/stuck')).toBe('deployment.apps/stuck rolled back\n');
    await skiff('rollout', 'status', 'deploy/stuck', '--timeout', '90s');
  }, 240_000);

  it('leaves no container behind', async () => {
    for (const name of ['web', 'stuck']) await skiff('delete', 'deployment', name, '--wait=false');
    for (const name of ['web', 'stuck']) for (const rs of (await e2e.typed('replicaSet').list({ namespace: NS, labelSelector: `app=${name}` })).items) await skiff('delete', 'rs', rs.metadata!.name, '--wait=false', '--ignore-not-found');
    await waitFor('the pods to be gone', async () => (await pods.list({ namespace: NS })).items.filter((p) => ['web', 'stuck'].includes(p.metadata?.labels.app ?? '')).length === 0 || undefined, { timeoutMs: 90_000, intervalMs: 200 });
    await waitNodesClean(NODES, { timeoutMs: 120_000 });
  }, 180_000);
});
