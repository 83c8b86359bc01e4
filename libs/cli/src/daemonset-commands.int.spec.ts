/**
 * The CLI's DaemonSet commands (runCli in-process) against the real apiserver on real etcd and
 * NATS: get ds (-o wide), describe ds, rollout status, history and undo daemonset/x, and the
 * Deployment rollout commands' wording for kinds they do not handle. No controllers run: the
 * spec writes what the daemonset controller would (status, ControllerRevisions) itself.
 */
import { ControllerRevision, DaemonSet, DaemonSetStatus, Deployment, Pod, ReplicaSet, type PodTemplateSpec } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, waitFor, type ApiserverEnv } from '@skiff/testing';
import { runCliAgainst } from './run-cli.spec-helper';

jest.setTimeout(60_000);

const template = (image: string): PodTemplateSpec =>
  ({ metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'agent', image }] } }) as unknown as PodTemplateSpec;

describe('skiff daemonset commands against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;
  const skiff = (...argv: string[]) => runCliAgainst(services.apiserver.address, argv);
  const daemonSets = () => typed(client, 'daemonSet');

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
    const ds = await daemonSets().create(DaemonSet.fromPartial({ metadata: { name: 'agent', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template('busybox:2') } }));
    // The revisions hold the stored (defaulted) template, as the controller writes them.
    const withImage = (image: string) => {
      const t = structuredClone(ds.spec!.template!);
      t.spec!.containers[0].image = image;
      return t;
    };
    for (const [n, image] of [[1, 'busybox:1'], [2, 'busybox:2']] as const) {
      await typed(client, 'controllerRevision').create(
        ControllerRevision.fromPartial({
          metadata: { name: `agent-rev${n}`, namespace: 'default', labels: { app: 'agent' }, annotations: n === 2 ? { 'kubernetes.io/change-cause': 'image 2' } : {}, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata?.uid, controller: true }] },
          data: { spec: { template: withImage(image) } },
          revision: n,
        }),
      );
    }
    await typed(client, 'pod').create(Pod.fromPartial({ metadata: { name: 'agent-x1', namespace: 'default', labels: { app: 'agent' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata?.uid, controller: true }] }, spec: { containers: [{ name: 'agent', image: 'busybox:2' }] } }));
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  /** What the daemonset controller would write. */
  async function setStatus(status: Partial<DaemonSetStatus>): Promise<void> {
    const ds = await daemonSets().get('default', 'agent');
    await daemonSets().updateStatus({ ...ds, status: DaemonSetStatus.fromPartial({ ...ds.status, observedGeneration: ds.metadata?.generation ?? 0, ...status }) });
  }

  it('get ds prints kubectl columns, and -o wide the containers, images and selector', async () => {
    await setStatus({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 });
    const plain = await skiff('get', 'ds');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^NAME {4}DESIRED {3}CURRENT {3}READY {3}UP-TO-DATE {3}AVAILABLE {3}NODE SELECTOR {12}AGE\nagent {3}2 {9}2 {9}1 {7}1 {12}1 {11}kubernetes\.io\/os=linux {3}\d+s\n$/);
    const wide = await skiff('get', 'daemonsets', 'agent', '-o', 'wide');
    expect(wide.out.split('\n')[0]).toMatch(/AGE {3}CONTAINERS {3}IMAGES {6}SELECTOR$/);
    expect(wide.out.split('\n')[1]).toMatch(/agent {8}busybox:2 {3}app=agent$/);
  });

  it('describe ds prints the node counts and the pods it controls', async () => {
    const { code, out } = await skiff('describe', 'ds', 'agent');
    expect(code).toBe(0);
    expect(out).toContain('Name:           agent\nSelector:       app=agent\nNode-Selector:  kubernetes.io/os=linux\n');
    expect(out).toContain('Desired Number of Nodes Scheduled: 2\nCurrent Number of Nodes Scheduled: 2\nNumber of Nodes Scheduled with Up-to-date Pods: 1\nNumber of Nodes Scheduled with Available Pods: 1\nNumber of Nodes Misscheduled: 0\n');
    expect(out).toContain('Pods Status:  0 Running / 1 Waiting / 0 Succeeded / 0 Failed\n');
    expect(out).toContain('busybox:2');
  });

  it('rollout status prints progress and returns once the daemon set is rolled out', async () => {
    expect(await skiff('rollout', 'status', 'daemonset/agent', '--watch=false')).toEqual({ code: 0, out: 'Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...\n', err: '' });
    const watching = skiff('rollout', 'status', 'ds/agent', '--timeout', '30s');
    await setStatus({ updatedNumberScheduled: 2, numberAvailable: 1 });
    await waitFor('the status to be written', async () => ((await daemonSets().get('default', 'agent')).status?.updatedNumberScheduled === 2 ? true : undefined));
    await setStatus({ updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 });
    const result = await watching;
    expect(result.code).toBe(0);
    expect(result.out.trimEnd().split('\n').at(-1)).toBe('daemon set "agent" successfully rolled out');
    expect(await skiff('rollout', 'status', 'ds/nope')).toEqual({ code: 1, out: '', err: 'error: daemonsets.apps "nope" not found\n' });
  });

  it('rollout history lists the ControllerRevisions; --revision shows one template', async () => {
    expect(await skiff('rollout', 'history', 'daemonset/agent')).toEqual({ code: 0, out: 'daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image 2\n\n', err: '' });
    const one = await skiff('rollout', 'history', 'ds/agent', '--revision', '1');
    expect(one.out).toMatch(/^daemonset\.apps\/agent with revision #1\nPod Template:\n/);
    expect(one.out).toContain('busybox:1');
  });

  it('rollout undo writes the previous template back; --to-revision to the current one is skipped', async () => {
    expect(await skiff('rollout', 'undo', 'daemonset/agent')).toEqual({ code: 0, out: 'daemonset.apps/agent rolled back\n', err: '' });
    expect((await daemonSets().get('default', 'agent')).spec?.template?.spec?.containers[0].image).toBe('busybox:1');
    expect(await skiff('rollout', 'undo', 'ds/agent', '--to-revision', '1')).toEqual({ code: 0, out: 'daemonset.apps/agent skipped rollback (current template already matches revision 1)\n', err: '' });
    expect(await skiff('rollout', 'undo', 'ds/agent', '--to-revision', '5')).toEqual({ code: 1, out: '', err: 'error: unable to find specified revision 5 in history\n' });
    expect(await skiff('rollout', 'pause', 'ds/agent')).toMatchObject({ code: 1, err: 'error: daemonsets "agent" pausing is not supported\n' });
  });

  it('the same rollout commands still handle Deployments (history and undo from ReplicaSets)', async () => {
    const d = await typed(client, 'deployment').create(Deployment.fromPartial({ metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:2' }] } } } }));
    for (const [n, image] of [[1, 'busybox:1'], [2, 'busybox:2']] as const) {
      const t = structuredClone(d.spec!.template!);
      t.spec!.containers[0].image = image;
      t.metadata!.labels = { ...t.metadata!.labels, 'pod-template-hash': `h${n}` };
      await typed(client, 'replicaSet').create(
        ReplicaSet.fromPartial({
          metadata: { name: `web-h${n}`, namespace: 'default', annotations: { 'deployment.kubernetes.io/revision': String(n) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata?.uid, controller: true }] },
          spec: { replicas: 0, selector: { matchLabels: { app: 'web', 'pod-template-hash': `h${n}` } }, template: t },
        }),
      );
    }
    expect(await skiff('rollout', 'history', 'deploy/web')).toEqual({ code: 0, out: 'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n', err: '' });
    expect(await skiff('rollout', 'status', 'deploy/web', '--watch=false')).toMatchObject({ code: 0, out: expect.stringMatching(/^Waiting for deployment /) });
    expect(await skiff('rollout', 'undo', 'deploy/web')).toEqual({ code: 0, out: 'deployment.apps/web rolled back\n', err: '' });
    expect((await typed(client, 'deployment').get('default', 'web')).spec?.template?.spec?.containers[0].image).toBe('busybox:1');
    expect(await skiff('rollout', 'status', 'job/x')).toEqual({ code: 1, out: '', err: 'error: no status viewer has been implemented for Job\n' });
  });

  it('rollout restart puts restartedAt on the template of a DaemonSet (and a Deployment); pause stays Deployment-only', async () => {
    const before = await daemonSets().get('default', 'agent');
    expect(await skiff('rollout', 'restart', 'ds/agent', 'deploy/web')).toEqual({ code: 0, out: 'daemonset.apps/agent restarted\ndeployment.apps/web restarted\n', err: '' });
    const after = await daemonSets().get('default', 'agent');
    expect(after.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    expect((await typed(client, 'deployment').get('default', 'web')).spec?.template?.metadata?.annotations).toHaveProperty(['kubectl.kubernetes.io/restartedAt']);
    expect(await skiff('rollout', 'restart', 'ds/missing')).toEqual({ code: 1, out: '', err: 'error: daemonsets.apps "missing" not found\n' });
    expect(await skiff('rollout', 'restart', 'job/x')).toEqual({ code: 1, out: '', err: 'error: jobs "x" restarting is not supported\n' });
    expect(await skiff('rollout', 'pause', 'ds/agent')).toEqual({ code: 1, out: '', err: 'error: daemonsets "agent" pausing is not supported\n' });
  });
});
