import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlreadyExistsError, Namespace, type Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, ensureFluentdImage, testLabel, waitFor } from '@skiff/testing';
import { isLive, isReady, isRunning, podsOfApp, startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * DaemonSets end to end (issue acceptance 3): the built apiserver, scheduler, controller-manager
 * (the daemonset controller among all the others) and Docker kubelets; everything is driven
 * through the built CLI as a user types it, and observed through the API.
 *
 * Nodes 1 and 2 run the DaemonSet; node 3 carries a NoSchedule taint (set through the API) that
 * the DaemonSet does not tolerate; node 4 joins later. A node "has a ready pod" when a pod of the
 * DaemonSet that is not being deleted is bound to it and Ready.
 */
const run = testLabel().value;
const NODES = [`ds-${run}-1`, `ds-${run}-2`, `ds-${run}-3`];
const TAINTED = NODES[2];
const LATE = `ds-${run}-4`;
const NS = 'default';
/** A new node's pod must be Ready within this of the node becoming Ready. */
const JOIN_BUDGET_MS = 5_000;
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-ds-e2e-'));
  await ensureFluentdImage();
  e2e = await startE2eCluster({ nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })), controllerManagers: 1 });
  pods = e2e.typed('pod');
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

function skiff(...args: string[]): Promise<string> {
  return e2e.cli(args, 120_000);
}

/** A DaemonSet of sleeping TEST_IMAGE pods; `version` goes into the template as env VERSION (a new template per version). */
function manifest(version: string): string {
  const path = join(dir, `agent-${version}.yaml`);
  writeFileSync(
    path,
    `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    metadata:
      labels:
        app: agent
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: agent
        image: ${TEST_IMAGE}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "exec sleep 3600"]
        env:
        - name: VERSION
          value: "${version}"
        resources:
          requests:
            cpu: 50m
`,
  );
  return path;
}

const versionOf = (p: Pod) => p.spec?.containers[0].env.find((e) => e.name === 'VERSION')?.value;

/** Live pods of app=<app> by node, once each of `nodes` has exactly one running pod and no other node has any. */
function waitOnePerNode(app: string, nodes: readonly string[], namespace = NS, timeoutMs = 90_000): Promise<Map<string, Pod>> {
  return waitFor(
    `one running pod of ${app} on each of ${nodes.join(', ')}`,
    async () => {
      const live = (await podsOfApp(pods, app, namespace)).filter(isLive);
      const byNode = new Map(live.map((p) => [p.spec?.nodeName ?? '', p]));
      return live.length === nodes.length && nodes.every((n) => byNode.has(n) && isRunning(byNode.get(n)!)) ? byNode : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/**
 * Follows the pods of app=<app> with a watch and records the most nodes (of `nodes`) ever left
 * without a ready live pod at once.
 */
function watchReadiness(app: string, nodes: readonly string[]) {
  const stop = new AbortController();
  const seen = { worstNodesWithoutReadyPod: 0, events: 0 };
  const state = new Map<string, Pod>();
  const measure = () => {
    const covered = new Set([...state.values()].filter((p) => isLive(p) && isReady(p)).map((p) => p.spec?.nodeName));
    seen.worstNodesWithoutReadyPod = Math.max(seen.worstNodesWithoutReadyPod, nodes.filter((n) => !covered.has(n)).length);
  };
  const done = (async () => {
    for (const p of await podsOfApp(pods, app)) state.set(p.metadata!.name!, p);
    measure();
    try {
      for await (const { type, object } of pods.watch({ namespace: NS, labelSelector: `app=${app}` }, stop.signal)) {
        if (type === 'DELETED') state.delete(object.metadata!.name!);
        else state.set(object.metadata!.name!, object);
        seen.events++;
        measure();
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    }
  })();
  return {
    async stop() {
      stop.abort();
      await done;
      return seen;
    },
  };
}

describe('DaemonSets end to end', () => {
  it('(1) runs exactly one pod on each of two nodes and none on a node tainted NoSchedule it does not tolerate', async () => {
    const nodes = e2e.typed('node');
    const tainted = await nodes.get('', TAINTED);
    await nodes.update({ ...tainted, spec: { ...tainted.spec!, taints: [...(tainted.spec?.taints ?? []), { key: 'dedicated', value: 'db', effect: 'NoSchedule', timeAdded: undefined }] } });

    expect(await skiff('apply', '-f', manifest('1'))).toBe('daemonset.apps/agent created\n');
    const status = await skiff('rollout', 'status', 'daemonset/agent', '--timeout', '90s');
    expect(status.trim().split('\n').pop()).toBe('daemon set "agent" successfully rolled out');
    const byNode = await waitOnePerNode('agent', NODES.slice(0, 2));
    expect(byNode.has(TAINTED)).toBe(false);
    for (const pod of byNode.values()) expect(pod.metadata?.labels?.['controller-revision-hash']).toMatch(/^[a-z0-9]+$/);

    const table = (await skiff('get', 'ds', 'agent')).trim().split('\n').map((l) => l.split(/\s{2,}/));
    expect(table[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    expect(table[1].slice(0, 7)).toEqual(['agent', '2', '2', '2', '2', '2', '<none>']);
  }, 180_000);

  it(`(2) a node joining gets its pod within ${JOIN_BUDGET_MS / 1000} s of becoming Ready`, async () => {
    await e2e.cluster.addNode({ name: LATE, cpu: '2', memory: '4Gi' });
    const node = await e2e.typed('node').get('', LATE);
    const nodeReadyAt = node.status?.conditions.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime?.getTime();
    expect(nodeReadyAt).toBeDefined();
    const byNode = await waitOnePerNode('agent', [NODES[0], NODES[1], LATE]);
    const pod = byNode.get(LATE)!;
    const created = pod.metadata!.creationTimestamp!.getTime();
    const podReadyAt = pod.status?.conditions.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime?.getTime();
    expect(podReadyAt).toBeDefined();
    const readyAfter = podReadyAt! - nodeReadyAt!;
    console.log(`DaemonSet e2e: node ${LATE} Ready -> its pod created ${created - nodeReadyAt!} ms, Ready ${readyAfter} ms`);
    expect(readyAfter).toBeLessThanOrEqual(JOIN_BUDGET_MS);
  }, 120_000);

  it('(3) an update rolls node by node with maxUnavailable 1; rollout status returns once done; rollout undo goes back', async () => {
    const eligible = [NODES[0], NODES[1], LATE];
    const forward = watchReadiness('agent', eligible);
    expect(await skiff('apply', '-f', manifest('2'))).toBe('daemonset.apps/agent configured\n');
    const status = await skiff('rollout', 'status', 'ds/agent', '--timeout', '120s');
    expect(status).toMatch(/Waiting for daemon set "agent" rollout to finish: \d out of 3 new pods have been updated\.\.\./);
    expect(status.trim().split('\n').pop()).toBe('daemon set "agent" successfully rolled out');
    const seen = await forward.stop();
    expect(seen.events).toBeGreaterThan(5);
    expect(seen.worstNodesWithoutReadyPod).toBe(1);
    expect([...(await waitOnePerNode('agent', eligible)).values()].map(versionOf)).toEqual(['2', '2', '2']);
    expect(await skiff('rollout', 'history', 'daemonset/agent')).toBe('daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n');

    const back = watchReadiness('agent', eligible);
    expect(await skiff('rollout', 'undo', 'daemonset/agent')).toBe('daemonset.apps/agent rolled back\n');
    expect((await skiff('rollout', 'status', 'daemonset/agent', '--timeout', '120s')).trim().split('\n').pop()).toBe('daemon set "agent" successfully rolled out');
    expect((await back.stop()).worstNodesWithoutReadyPod).toBe(1);
    expect([...(await waitOnePerNode('agent', eligible)).values()].map(versionOf)).toEqual(['1', '1', '1']);
    expect(await skiff('rollout', 'history', 'daemonset/agent')).toBe('daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
    expect(await skiff('delete', 'ds', 'agent')).toBe('daemonset.apps "agent" deleted\n');
    await waitFor('the pods of agent to be gone', async () => ((await podsOfApp(pods, 'agent')).length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
  }, 300_000);

  it("(4) the docs' fluentd-elasticsearch DaemonSet runs unmodified in kube-system", async () => {
    try {
      await e2e.typed('namespace').create(Namespace.fromPartial({ metadata: { name: 'kube-system' } }));
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    // The Kubernetes docs' YAML as published (concepts/workloads/controllers/daemonset), comments included.
    await e2e.apply(
      'fluentd-elasticsearch.yaml',
      `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      # these tolerations are to have the daemonset runnable on control plane nodes
      # remove them if your control plane nodes should not run pods
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      # it may be desirable to set a high priority class to ensure that a DaemonSet Pod
      # preempts running Pods
      # priorityClassName: important
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
`,
    );
    const eligible = [NODES[0], NODES[1], LATE];
    const running = await waitFor(
      'fluentd-elasticsearch to run on every untainted node',
      async () => {
        const list = (await pods.list({ namespace: 'kube-system', labelSelector: 'name=fluentd-elasticsearch' })).items.filter(isLive);
        const nodes = list.map((p) => p.spec?.nodeName).sort();
        return list.every(isRunning) && JSON.stringify(nodes) === JSON.stringify([...eligible].sort()) ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    for (const pod of running) {
      expect(pod.spec?.containers[0].image).toBe('quay.io/fluentd_elasticsearch/fluentd:v2.5.2');
      expect(pod.spec?.containers[0].imagePullPolicy).toBe('IfNotPresent');
    }
    const status = await skiff('rollout', 'status', 'daemonset/fluentd-elasticsearch', '-n', 'kube-system', '--timeout', '60s');
    expect(status.trim().split('\n').pop()).toBe('daemon set "fluentd-elasticsearch" successfully rolled out');
    const described = await skiff('describe', 'ds', 'fluentd-elasticsearch', '-n', 'kube-system');
    expect(described).toContain('Desired Number of Nodes Scheduled: 3\n');
    expect(described).toContain('Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n');
  }, 180_000);
});
