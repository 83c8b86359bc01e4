/**
 * The CLI's StatefulSet commands (runCli in-process) against the real apiserver on real etcd and
 * NATS: get sts (-o wide), describe sts, scale sts, rollout status, history and undo
 * statefulset/x. No controllers run: the spec writes what the statefulset controller would
 * (status, ControllerRevisions) itself.
 */
import { ControllerRevision, Pod, StatefulSet, StatefulSetStatus, type PodTemplateSpec } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, type ApiserverEnv } from '@skiff/testing';
import { runCliAgainst } from './run-cli.spec-helper';

jest.setTimeout(60_000);

const template = (image: string): PodTemplateSpec => ({ metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image }] } }) as unknown as PodTemplateSpec;

describe('skiff statefulset commands against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;
  const skiff = (...argv: string[]) => runCliAgainst(services.apiserver.address, argv);
  const sets = () => typed(client, 'statefulSet');

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
    const sts = await sets().create(
      StatefulSet.fromPartial({
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: 3,
          serviceName: 'nginx',
          selector: { matchLabels: { app: 'nginx' } },
          template: template('nginx-slim:0.24'),
          volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      }),
    );
    // The revisions hold the stored (defaulted) template, as the controller writes them.
    const withImage = (image: string) => {
      const t = structuredClone(sts.spec!.template!);
      t.spec!.containers[0].image = image;
      return t;
    };
    for (const [n, image] of [[1, 'nginx-slim:0.23'], [2, 'nginx-slim:0.24']] as const) {
      await typed(client, 'controllerRevision').create(
        ControllerRevision.fromPartial({
          metadata: { name: `web-rev${n}`, namespace: 'default', labels: { app: 'nginx' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: sts.metadata?.uid, controller: true }] },
          data: { spec: { template: withImage(image) } },
          revision: n,
        }),
      );
    }
    const owner = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: sts.metadata?.uid, controller: true }];
    await typed(client, 'pod').create(Pod.fromPartial({ metadata: { name: 'web-0', namespace: 'default', labels: { app: 'nginx' }, ownerReferences: owner }, spec: { containers: [{ name: 'nginx', image: 'nginx-slim:0.24' }] } }));
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  /** What the statefulset controller would write. */
  async function setStatus(status: Partial<StatefulSetStatus>): Promise<void> {
    const sts = await sets().get('default', 'web');
    await sets().updateStatus({ ...sts, status: StatefulSetStatus.fromPartial({ ...sts.status, observedGeneration: sts.metadata?.generation ?? 0, ...status }) });
  }

  it('get sts prints NAME READY AGE, and -o wide the containers and images', async () => {
    await setStatus({ replicas: 3, readyReplicas: 2, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'web-rev2', updateRevision: 'web-rev2' });
    const plain = await skiff('get', 'sts');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^NAME {3}READY {3}AGE\nweb {4}2\/3 {5}\d+s\n$/);
    const wide = await skiff('get', 'statefulsets', 'web', '-o', 'wide');
    expect(wide.out.split('\n')[0]).toMatch(/^NAME {3}READY {3}AGE {3}CONTAINERS {3}IMAGES$/);
    expect(wide.out.split('\n')[1]).toMatch(/ nginx {8}nginx-slim:0\.24$/);
  });

  it('describe sts prints replicas, strategy, pods status and the claim templates', async () => {
    const { code, out } = await skiff('describe', 'sts', 'web');
    expect(code).toBe(0);
    expect(out).toMatch(/^Name:\s+web\nNamespace:\s+default\n/);
    expect(out).toMatch(/\nReplicas:\s+3 desired \| 3 total\nUpdate Strategy:\s+RollingUpdate\n  Partition:\s+0\nPods Status:\s+0 Running \/ 1 Waiting \/ 0 Succeeded \/ 0 Failed\n/);
    expect(out).toContain('Volume Claims:\n  Name:          www\n');
    expect(out).toContain('  Capacity:      1Gi\n  Access Modes:  [ReadWriteOnce]\n');
  });

  it('rollout status waits for the pods, then reports the partitioned roll out complete', async () => {
    expect(await skiff('rollout', 'status', 'statefulset/web', '--watch=false')).toEqual({ code: 0, out: 'Waiting for 1 pods to be ready...\n', err: '' });
    const watching = skiff('rollout', 'status', 'sts/web', '--timeout', '30s');
    await setStatus({ readyReplicas: 3 });
    const result = await watching;
    expect(result.code).toBe(0);
    expect(result.out.trimEnd().split('\n').at(-1)).toBe('partitioned roll out complete: 3 new pods have been updated...');
    expect(await skiff('rollout', 'status', 'sts/nope')).toEqual({ code: 1, out: '', err: 'error: statefulsets.apps "nope" not found\n' });
  });

  it('rollout history lists the ControllerRevisions; undo writes the previous template back', async () => {
    expect(await skiff('rollout', 'history', 'statefulset/web')).toEqual({ code: 0, out: 'statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n', err: '' });
    expect((await skiff('rollout', 'history', 'sts/web', '--revision', '1')).out).toMatch(/^statefulset\.apps\/web with revision #1\nPod Template:\n[\s\S]*nginx-slim:0\.23/);
    expect(await skiff('rollout', 'undo', 'statefulset/web')).toEqual({ code: 0, out: 'statefulset.apps/web rolled back\n', err: '' });
    expect((await sets().get('default', 'web')).spec?.template?.spec?.containers[0].image).toBe('nginx-slim:0.23');
    expect(await skiff('rollout', 'undo', 'sts/web', '--to-revision', '1')).toEqual({ code: 0, out: 'statefulset.apps/web skipped rollback (current template already matches revision 1)\n', err: '' });
    expect(await skiff('rollout', 'pause', 'sts/web')).toMatchObject({ code: 1, err: 'error: statefulsets "web" pausing is not supported\n' });
  });

  it('scale sts sets spec.replicas', async () => {
    expect(await skiff('scale', 'sts', 'web', '--replicas', '5')).toEqual({ code: 0, out: 'statefulset.apps/web scaled\n', err: '' });
    expect((await sets().get('default', 'web')).spec?.replicas).toBe(5);
    expect(await skiff('scale', 'statefulset/web', '--replicas', '1', '--current-replicas', '4')).toMatchObject({ code: 1, err: expect.stringContaining('Expected replicas to be 4, was 5') });
  });
});
