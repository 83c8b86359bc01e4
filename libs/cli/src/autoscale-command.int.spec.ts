/**
 * `skiff autoscale` (runCli in-process) against the real apiserver on real etcd and NATS; no
 * controllers run, so the HPAs are exactly what the command created (the autoscaling itself is
 * apps/cluster-e2e/src/autoscaling.spec.ts).
 */
import { Deployment } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { startApiserverEnv, type ApiserverEnv } from '@skiff/testing';
import { runCliAgainst } from './run-cli.spec-helper';

describe('skiff autoscale against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } };
    await typed(client, 'deployment').create(Deployment.fromPartial({ metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template } }));
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  const skiff = (...argv: string[]) => runCliAgainst(services.apiserver.address, argv);

  it('creates an autoscaling/v2 HPA named after the deployment; get hpa lists it', async () => {
    expect(await skiff('autoscale', 'deploy/web', '--min', '1', '--max', '5', '--cpu-percent', '50')).toEqual({ code: 0, out: 'horizontalpodautoscaler.autoscaling/web autoscaled\n', err: '' });
    const hpa = await typed(client, 'horizontalPodAutoscaler').get('default', 'web');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    });
    const get = await skiff('get', 'hpa');
    expect(get.out).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+5\s+0\s+\S+\n$/);
  });

  it('an autoscaler that exists already is an error (exit 1) and stays as it was', async () => {
    expect(await skiff('autoscale', 'deployment', 'web', '--max', '9')).toEqual({ code: 1, out: '', err: 'error: horizontalpodautoscalers.autoscaling "web" already exists\n' });
    expect((await typed(client, 'horizontalPodAutoscaler').get('default', 'web')).spec?.maxReplicas).toBe(5);
  });

  it('--name names it; without a target the server defaults to CPU at 80%', async () => {
    expect(await skiff('autoscale', 'deploy', 'web', '--max', '3', '--name', 'web-default')).toEqual({ code: 0, out: 'horizontalpodautoscaler.autoscaling/web-default autoscaled\n', err: '' });
    expect((await typed(client, 'horizontalPodAutoscaler').get('default', 'web-default')).spec).toMatchObject({
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    });
  });

  it('a missing target, a kind that cannot scale and bad flags fail with kubectl\'s words', async () => {
    expect(await skiff('autoscale', 'deploy/nope', '--max', '3')).toEqual({ code: 1, out: '', err: 'error: deployments.apps "nope" not found\n' });
    expect(await skiff('autoscale', 'service/web', '--max', '3')).toMatchObject({ code: 1, err: 'error: cannot autoscale a Service: only deployments and replicasets have a scale\n' });
    expect(await skiff('autoscale', 'deploy/web', '--min', '4', '--max', '3')).toMatchObject({ code: 1, err: 'error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 3, min: 4\n' });
    expect(await skiff('autoscale', 'deploy/web')).toMatchObject({ code: 1, err: 'error: required flag(s) "max" not set\n' });
    expect((await typed(client, 'horizontalPodAutoscaler').list({ namespace: 'default' })).items.map((h) => h.metadata?.name).sort()).toEqual(['web', 'web-default']);
  });
});
