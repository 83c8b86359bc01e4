/**
 * The CLI's node maintenance commands (runCli in-process) against the real apiserver on real etcd
 * and NATS: cordon, uncordon, drain (with the real Eviction API), taint, label, annotate, get and
 * describe pdb. No controllers or kubelets run: the spec creates Node objects and pods bound to
 * them, writes PodDisruptionBudget status as the disruption controller would, and where a test
 * needs it plays the kubelet by finishing graceful deletions.
 */
import { DaemonSet, intOrString, Node, Pod, PodDisruptionBudget, PodDisruptionBudgetStatus, type OwnerReference } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';
import { runCliAgainst } from './run-cli.spec-helper';

jest.setTimeout(60_000);

const NS = 'default';

describe('skiff cordon, drain, taint, label and annotate against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  const skiff = (...argv: string[]) => runCliAgainst(services.apiserver.address, argv);
  const nodes = () => typed(client, 'node');
  const pods = () => typed(client, 'pod');

  async function node(name: string): Promise<Node> {
    return nodes().create(
      Node.fromPartial({
        metadata: { name, labels: { 'kubernetes.io/hostname': name } },
        status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: '' }] },
      }),
    );
  }

  const rsRef = (name: string): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: `${name}-uid`, controller: true, blockOwnerDeletion: true });

  /** A Running, Ready pod bound to `nodeName`. */
  async function podOn(name: string, nodeName: string, opts: { labels?: Record<string, string>; owner?: OwnerReference; emptyDir?: boolean } = {}): Promise<Pod> {
    const created = await pods().create(
      Pod.fromPartial({
        metadata: { name, namespace: NS, labels: opts.labels ?? {}, ownerReferences: opts.owner ? [opts.owner] : [] },
        spec: { nodeName, containers: [{ name: 'main', image: 'busybox' }], volumes: opts.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : [] },
      }),
    );
    return pods().updateStatus({ ...created, status: { ...created.status!, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '' }] } });
  }

  /** A PDB over app=<app> whose status (as the disruption controller would write it) allows `allowed` disruptions. */
  async function budget(name: string, app: string, minAvailable: number, allowed: number): Promise<PodDisruptionBudget> {
    const created = await typed(client, 'podDisruptionBudget').create(PodDisruptionBudget.fromPartial({ metadata: { name, namespace: NS }, spec: { minAvailable: intOrString(minAvailable), selector: { matchLabels: { app } } } }));
    return setAllowed(created, allowed);
  }
  async function setAllowed(pdb: PodDisruptionBudget, allowed: number): Promise<PodDisruptionBudget> {
    const fresh = await typed(client, 'podDisruptionBudget').get(NS, pdb.metadata?.name ?? '');
    return typed(client, 'podDisruptionBudget').updateStatus({
      ...fresh,
      status: PodDisruptionBudgetStatus.fromPartial({ observedGeneration: fresh.metadata?.generation, disruptionsAllowed: allowed, currentHealthy: 3, desiredHealthy: 3 - allowed, expectedPods: 3 }),
    });
  }

  const livePodNames = async (nodeName: string) => (await pods().list({ namespace: NS, fieldSelector: `spec.nodeName=${nodeName}` })).items.map((p) => p.metadata?.name ?? '').sort();

  /** Plays the kubelet of `nodeName` until stopped: a pod marked for deletion is confirmed (deleted with grace 0). */
  function fakeKubelet(nodeName: string): () => void {
    const stop = new AbortController();
    void (async () => {
      try {
        for await (const event of client.watch('pods', { namespace: NS, fieldSelector: `spec.nodeName=${nodeName}` }, stop.signal)) {
          const pod = event.object?.kind?.value as Pod | undefined;
          if (event.type === 'MODIFIED' && pod?.metadata?.deletionTimestamp) await pods().delete(NS, pod.metadata.name, { gracePeriodSeconds: 0 }).catch(() => undefined);
        }
      } catch {
        // stopped
      }
    })();
    return () => stop.abort();
  }

  it('cordon / uncordon set spec.unschedulable with kubectl output; get nodes shows SchedulingDisabled', async () => {
    await node('cordon-1');
    expect(await skiff('cordon', 'cordon-1')).toEqual({ code: 0, out: 'node/cordon-1 cordoned\n', err: '' });
    expect((await nodes().get('', 'cordon-1')).spec?.unschedulable).toBe(true);
    expect(await skiff('cordon', 'cordon-1')).toEqual({ code: 0, out: 'node/cordon-1 already cordoned\n', err: '' });
    expect((await skiff('get', 'nodes', 'cordon-1')).out).toMatch(/\ncordon-1\s+Ready,SchedulingDisabled\s/);
    expect(await skiff('uncordon', 'cordon-1')).toEqual({ code: 0, out: 'node/cordon-1 uncordoned\n', err: '' });
    expect(await skiff('uncordon', 'cordon-1')).toEqual({ code: 0, out: 'node/cordon-1 already uncordoned\n', err: '' });
    expect((await skiff('get', 'nodes', 'cordon-1')).out).toMatch(/\ncordon-1\s+Ready\s/);
    expect(await skiff('cordon', 'nope')).toEqual({ code: 1, out: '', err: 'error: nodes "nope" not found\n' });
  });

  it('drain refuses bare, DaemonSet and emptyDir pods (listing them) after cordoning; evicts nothing', async () => {
    await node('drain-refuse');
    await podOn('r-web', 'drain-refuse', { owner: rsRef('r-web-rs') });
    await podOn('r-bare', 'drain-refuse');
    await podOn('r-scratch', 'drain-refuse', { owner: rsRef('r-scratch-rs'), emptyDir: true });
    const result = await skiff('drain', 'drain-refuse');
    expect(result.code).toBe(1);
    expect(result.out).toBe('node/drain-refuse cordoned\n');
    const reasons = [
      'cannot delete Pods that declare no controller (use --force to override): default/r-bare',
      'cannot delete Pods with local storage (use --delete-emptydir-data to override): default/r-scratch',
    ];
    expect(result.err).toBe(
      `error: unable to drain node "drain-refuse" due to error: [${reasons.join(', ')}], continuing command...\n` + 'There are pending nodes to be drained:\n drain-refuse\n' + reasons.map((r) => `${r}\n`).join(''),
    );
    expect(await livePodNames('drain-refuse')).toEqual(['r-bare', 'r-scratch', 'r-web']);
    expect((await nodes().get('', 'drain-refuse')).spec?.unschedulable).toBe(true);
  });

  it('drain --force --delete-emptydir-data --ignore-daemonsets evicts the rest, skips DaemonSet and mirror pods, waits for the deletions', async () => {
    await node('drain-ok');
    const ds = await typed(client, 'daemonSet').create(
      DaemonSet.fromPartial({ metadata: { name: 'proxy', namespace: NS }, spec: { selector: { matchLabels: { app: 'proxy' } }, template: { metadata: { labels: { app: 'proxy' } }, spec: { containers: [{ name: 'p', image: 'busybox' }] } } } }),
    );
    await podOn('ok-web', 'drain-ok', { owner: rsRef('ok-web-rs') });
    await podOn('ok-bare', 'drain-ok');
    await podOn('ok-scratch', 'drain-ok', { owner: rsRef('ok-scratch-rs'), emptyDir: true });
    await podOn('ok-proxy', 'drain-ok', { owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'proxy', uid: ds.metadata?.uid ?? '', controller: true } });
    const mirror = await podOn('ok-static', 'drain-ok');
    await pods().update({ ...mirror, metadata: { ...mirror.metadata!, annotations: { 'kubernetes.io/config.mirror': 'hash' } } });
    const stopKubelet = fakeKubelet('drain-ok');
    try {
      const result = await skiff('drain', 'drain-ok', '--force', '--delete-emptydir-data', '--ignore-daemonsets');
      expect(result.err).toBe('Warning: deleting Pods that declare no controller: default/ok-bare; ignoring DaemonSet-managed Pods: default/ok-proxy\n');
      expect(result.code).toBe(0);
      const lines = result.out.trimEnd().split('\n');
      expect(lines[0]).toBe('node/drain-ok cordoned');
      expect(lines.at(-1)).toBe('node/drain-ok drained');
      expect(lines.filter((l) => l.startsWith('evicting pod ')).sort()).toEqual(['evicting pod default/ok-bare', 'evicting pod default/ok-scratch', 'evicting pod default/ok-web']);
      expect(lines.filter((l) => l.endsWith(' evicted')).sort()).toEqual(['pod/ok-bare evicted', 'pod/ok-scratch evicted', 'pod/ok-web evicted']);
      expect(await livePodNames('drain-ok')).toEqual(['ok-proxy', 'ok-static']);
    } finally {
      stopKubelet();
    }
  });

  it('drain retries evictions a PodDisruptionBudget refuses every 5 s, and finishes once the budget allows them', async () => {
    await node('drain-pdb');
    for (const name of ['pdb-a', 'pdb-b']) await podOn(name, 'drain-pdb', { labels: { app: 'guarded' }, owner: rsRef('guarded-rs') });
    const pdb = await budget('guarded', 'guarded', 2, 1);
    const running = skiff('drain', 'drain-pdb', '--grace-period', '0');
    // One eviction took the only disruption; as the disruption controller would once the
    // replacement is Ready elsewhere, allow another.
    await waitFor('one pod evicted', async () => ((await livePodNames('drain-pdb')).length === 1 ? true : undefined), { timeoutMs: 15_000 });
    await setAllowed(pdb, 1);
    const result = await running;
    expect(result.code).toBe(0);
    const refused = result.err.trimEnd().split('\n');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const line of refused) expect(line).toMatch(/^error when evicting pods\/"pdb-[ab]" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\.$/);
    expect(result.out).toMatch(/pod\/pdb-a evicted\n/);
    expect(result.out).toMatch(/pod\/pdb-b evicted\n/);
    expect(result.out.endsWith('node/drain-pdb drained\n')).toBe(true);
    expect(await livePodNames('drain-pdb')).toEqual([]);
  }, 60_000);

  it('drain --timeout gives up while the budget refuses: lists the pending pods, exit 1', async () => {
    await node('drain-stuck');
    await podOn('stuck-a', 'drain-stuck', { labels: { app: 'stuck' }, owner: rsRef('stuck-rs') });
    await budget('stuck', 'stuck', 3, 0);
    const result = await skiff('drain', 'drain-stuck', '--timeout', '2s');
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^node\/drain-stuck cordoned\nevicting pod default\/stuck-a\n/);
    const timeout = 'error when evicting pods/"stuck-a" -n "default": global timeout reached: 2s';
    expect(result.err).toContain(`error when evicting pods/"stuck-a" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\n`);
    expect(result.err).toContain(`There are pending pods in node "drain-stuck" when an error occurred: ${timeout}\npod/stuck-a\n`);
    expect(result.err.endsWith(`error: unable to drain node "drain-stuck" due to error: ${timeout}, continuing command...\nThere are pending nodes to be drained:\n drain-stuck\n${timeout}\n`)).toBe(true);
    expect(await livePodNames('drain-stuck')).toEqual(['stuck-a']);
  });

  it('drain --disable-eviction deletes (bypassing budgets) and --pod-selector picks the pods', async () => {
    await node('drain-del');
    await podOn('del-a', 'drain-del', { labels: { app: 'del' }, owner: rsRef('del-rs') });
    await podOn('keep-b', 'drain-del', { labels: { app: 'keep' } });
    await budget('del', 'del', 3, 0);
    const result = await skiff('drain', 'drain-del', '--disable-eviction', '--grace-period', '0', '--pod-selector', 'app=del');
    expect(result).toEqual({ code: 0, out: 'node/drain-del cordoned\npod/del-a deleted\nnode/drain-del drained\n', err: '' });
    expect(await livePodNames('drain-del')).toEqual(['keep-b']);
    expect((await skiff('drain', 'drain-del', '--grace-period', 'x')).err).toBe('error: invalid argument "x" for "--grace-period": must be an integer >= -1\n');
  });

  it('drain --dry-run=client changes nothing; --dry-run=server has the apiserver check the cordon and evictions (a budget refusal included) without doing them', async () => {
    await node('drain-dry');
    await podOn('dry-a', 'drain-dry', { labels: { app: 'dry' }, owner: rsRef('dry-rs') });
    await podOn('dry-b', 'drain-dry', { labels: { app: 'dry-free' }, owner: rsRef('dry-free-rs') });
    expect(await skiff('drain', 'drain-dry', '--dry-run')).toEqual({ code: 0, out: 'node/drain-dry cordoned (dry run)\npod/dry-a evicted (dry run)\npod/dry-b evicted (dry run)\nnode/drain-dry drained (dry run)\n', err: '' });
    expect(await skiff('drain', 'drain-dry', '--dry-run=server')).toEqual({
      code: 0,
      out: expect.stringMatching(/^node\/drain-dry cordoned \(server dry run\)\n(evicting pod default\/dry-[ab]\n|pod\/dry-[ab] evicted \(server dry run\)\n){4}node\/drain-dry drained \(server dry run\)\n$/),
      err: '',
    });
    expect((await nodes().get('', 'drain-dry')).spec?.unschedulable).toBeFalsy();
    expect(await livePodNames('drain-dry')).toEqual(['dry-a', 'dry-b']);
    // A budget that allows nothing refuses the server dry run's eviction as it would the real one.
    await budget('dry', 'dry', 3, 0);
    const refused = await skiff('drain', 'drain-dry', '--dry-run=server', '--timeout', '1s');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`error when evicting pods/"dry-a" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
    expect(await livePodNames('drain-dry')).toEqual(['dry-a', 'dry-b']);
    expect((await nodes().get('', 'drain-dry')).spec?.unschedulable).toBeFalsy();
    expect(await skiff('drain', 'drain-dry', '--dry-run=maybe')).toEqual({ code: 1, out: '', err: 'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n' });
  });

  it('taint adds and removes node taints with kubectl output and errors', async () => {
    await node('taint-1');
    expect(await skiff('taint', 'nodes', 'taint-1', 'dedicated=gpu:NoSchedule')).toEqual({ code: 0, out: 'node/taint-1 tainted\n', err: '' });
    expect((await nodes().get('', 'taint-1')).spec?.taints).toEqual([expect.objectContaining({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' })]);
    expect(await skiff('taint', 'nodes', 'taint-1', 'dedicated=cpu:NoSchedule')).toEqual({ code: 1, out: '', err: 'error: node taint-1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n' });
    expect(await skiff('taint', 'node/taint-1', 'dedicated=cpu:NoSchedule', '--overwrite')).toEqual({ code: 0, out: 'node/taint-1 modified\n', err: '' });
    expect(await skiff('taint', 'nodes', 'taint-1', 'spot:NoExecute')).toEqual({ code: 0, out: 'node/taint-1 tainted\n', err: '' });
    expect((await skiff('describe', 'node', 'taint-1')).out).toMatch(/Taints:\s+spot:NoExecute, dedicated=cpu:NoSchedule\n/); // kubectl puts added taints first
    expect(await skiff('taint', 'nodes', 'taint-1', 'dedicated:NoSchedule-')).toEqual({ code: 0, out: 'node/taint-1 untainted\n', err: '' });
    expect(await skiff('taint', 'nodes', 'taint-1', 'spot-')).toEqual({ code: 0, out: 'node/taint-1 untainted\n', err: '' });
    expect((await nodes().get('', 'taint-1')).spec?.taints).toEqual([]);
    expect(await skiff('taint', 'nodes', 'taint-1', 'spot-')).toEqual({ code: 1, out: '', err: 'error: taint "spot" not found\n' });
    expect(await skiff('taint', 'nodes', 'taint-1', 'k=v:Sometimes')).toEqual({ code: 1, out: '', err: 'error: invalid taint effect: Sometimes, unsupported taint effect\n' });
    expect(await skiff('taint', 'nodes', 'taint-1', 'k=a:NoSchedule', 'k=b:NoSchedule')).toEqual({ code: 1, out: '', err: 'error: duplicated taints with the same key and effect: {k b NoSchedule <nil>}\n' });
    expect(await skiff('taint', 'pods', 'x', 'k=v:NoSchedule')).toEqual({ code: 1, out: '', err: 'error: invalid resource type pods, only node types are supported\n' });
  });

  it('label and annotate any kind: set, refuse changing without --overwrite, remove; -l and --all', async () => {
    await podOn('lab-1', 'nowhere', { labels: { app: 'lab' } });
    await podOn('lab-2', 'nowhere', { labels: { app: 'lab' } });
    expect(await skiff('label', 'pods', 'lab-1', 'tier=web')).toEqual({ code: 0, out: 'pod/lab-1 labeled\n', err: '' });
    expect(await skiff('label', 'pods', 'lab-1', 'tier=db')).toEqual({ code: 1, out: '', err: "error: 'tier' already has a value (web), and --overwrite is false\n" });
    expect(await skiff('label', 'pod/lab-1', 'tier=db', '--overwrite')).toEqual({ code: 0, out: 'pod/lab-1 labeled\n', err: '' });
    expect(await skiff('label', 'pods', 'lab-1', 'tier=db')).toEqual({ code: 0, out: 'pod/lab-1 not labeled\n', err: '' });
    expect(await skiff('label', 'pods', 'lab-1', 'tier-', 'gone-')).toEqual({ code: 0, out: 'label "gone" not found.\npod/lab-1 labeled\n', err: '' });
    expect((await pods().get(NS, 'lab-1')).metadata?.labels).toEqual({ app: 'lab' });
    expect(await skiff('label', 'pods', '-l', 'app=lab', 'zone=a')).toEqual({ code: 0, out: 'pod/lab-1 labeled\npod/lab-2 labeled\n', err: '' });
    // as kubectl, a word after the names is one more name: no change asked for
    expect(await skiff('label', 'pods', 'lab-1', 'bad')).toEqual({ code: 1, out: '', err: 'error: at least one label update is required\n' });
    expect((await skiff('label', 'pods', 'lab-1', 'Bad Key=x')).code).toBe(1);
    await node('lab-node');
    expect(await skiff('label', 'nodes', 'lab-node', 'disk=ssd')).toEqual({ code: 0, out: 'node/lab-node labeled\n', err: '' });
    expect((await skiff('get', 'nodes', '-l', 'disk=ssd', '-o', 'name')).out).toBe('node/lab-node\n');

    expect(await skiff('annotate', 'pods', 'lab-1', 'note=hello world', 'owner=me')).toEqual({ code: 0, out: 'pod/lab-1 annotated\n', err: '' });
    expect(await skiff('annotate', 'pods', 'lab-1', 'note=changed')).toEqual({ code: 1, out: '', err: "error: 'note' already has a value (hello world), and --overwrite is false\n" });
    expect(await skiff('annotate', 'pods', 'lab-1', 'note=changed', '--overwrite')).toEqual({ code: 0, out: 'pod/lab-1 annotated\n', err: '' });
    expect(await skiff('annotate', 'pods', 'lab-1', 'owner-')).toEqual({ code: 0, out: 'pod/lab-1 annotated\n', err: '' });
    expect((await pods().get(NS, 'lab-1')).metadata?.annotations).toEqual({ note: 'changed' });
    expect(await skiff('annotate', 'pods', '--all', 'team=x')).toMatchObject({ code: 0, err: '' });
    expect((await pods().get(NS, 'lab-2')).metadata?.annotations).toEqual({ team: 'x' });
    expect(await skiff('annotate', 'deployments', 'nope', 'a=b')).toEqual({ code: 1, out: '', err: 'error: deployments.apps "nope" not found\n' });
  });

  it('get pdb and describe pdb as kubectl', async () => {
    await budget('shown', 'shown', 2, 1);
    const table = (await skiff('get', 'pdb', 'shown')).out.split('\n');
    expect(table[0]).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    expect(table[1]).toMatch(/^shown\s+2\s+N\/A\s+1\s+\d+s$/);
    const text = (await skiff('describe', 'pdb', 'shown')).out;
    expect(text).toContain('Name:           shown\nNamespace:      default\nMin available:  2\nSelector:       app=shown\nStatus:\n    Allowed disruptions:  1\n    Current:              3\n    Desired:              2\n    Total:                3\n');
  });
});
