/**
 * The CLI's Job and CronJob commands (runCli in-process) against the real apiserver on real etcd
 * and NATS: get, describe, create job (--from, --image), wait and logs job/x. No controllers run:
 * the spec writes Job status itself (updateStatus) to stand for the Job controller, and serves
 * the node's kubelet API with known answers for logs.
 */
import { CronJob, KubeletService, LogChunk, StatsSummary, objectFromManifest, type Job } from '@skiff/api';
import { connect, typed, type SkiffClient } from '@skiff/client';
import { bindService, createLogger, startGrpcServer } from '@skiff/service';
import { startApiserverEnv, type ApiserverEnv } from '@skiff/testing';
import { runCliAgainst } from './run-cli.spec-helper';

jest.setTimeout(60_000);

describe('skiff job and cronjob commands against the real apiserver', () => {
  let services: ApiserverEnv;
  let client: SkiffClient;

  beforeAll(async () => {
    services = await startApiserverEnv();
    client = connect(services.apiserver.address, { timeoutMs: 10_000 });
    await typed(client, 'cronJob').create(
      CronJob.fromPartial({
        metadata: { name: 'hello', namespace: 'default' },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: {
            metadata: { labels: { app: 'hello' }, annotations: { team: 'batch' } },
            spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox', command: ['echo', 'hi'] }] } } },
          },
        },
      }),
    );
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await services?.stop();
  }, 30_000);

  const skiff = (...argv: string[]) => runCliAgainst(services.apiserver.address, argv);

  /**
   * Starts `skiff wait ...` and resolves once it has read the object, found the condition unmet
   * and opened its watch: `answered` is then still false, and `result` is its outcome.
   */
  async function waitingSkiff(...argv: string[]): Promise<{ answered: () => boolean; result: Promise<{ code: number; out: string; err: string }> }> {
    let answered = false;
    let watching!: () => void;
    const watchOpened = new Promise<void>((resolve) => (watching = resolve));
    const result = runCliAgainst(services.apiserver.address, argv, { onWatch: () => watching() }).finally(() => (answered = true));
    await Promise.race([watchOpened, result]);
    return { answered: () => answered, result };
  }
  const jobs = () => typed(client, 'job');

  /** What the Job controller would write when the Job's pods succeeded. */
  async function complete(name: string, seconds: number): Promise<Job> {
    const job = await jobs().get('default', name);
    const start = new Date(Date.now() - seconds * 1000 - 5000);
    const end = new Date(start.getTime() + seconds * 1000);
    const status = { startTime: start, completionTime: end, succeeded: 1, active: 0, failed: 0, ready: 0, completedIndexes: '', conditions: [
      { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: end },
      { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: end },
    ] };
    return jobs().updateStatus({ ...job, status: { ...job.status!, ...status } });
  }

  it('create job --from=cronjob/X: the jobTemplate, annotation instantiate=manual, controlled by the CronJob', async () => {
    expect(await skiff('create', 'job', 'manual', '--from=cronjob/hello')).toEqual({ code: 0, out: 'job.batch/manual created\n', err: '' });
    const job = await jobs().get('default', 'manual');
    const cron = await typed(client, 'cronJob').get('default', 'hello');
    expect(job.metadata?.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual', team: 'batch' });
    expect(job.metadata?.labels).toEqual({ app: 'hello' });
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cron.metadata?.uid, controller: true }]);
    expect(job.spec?.backoffLimit).toBe(2);
    expect(job.spec?.template?.spec?.containers[0]).toMatchObject({ name: 'hello', image: 'busybox', command: ['echo', 'hi'] });
    expect(job.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': job.metadata?.uid });

    expect(await skiff('create', 'job', 'manual', '--from=cj/hello')).toEqual({ code: 1, out: '', err: 'error: jobs.batch "manual" already exists\n' });
    expect(await skiff('create', 'job', 'other', '--from=cronjob/nope')).toEqual({ code: 1, out: '', err: 'error: cronjobs.batch "nope" not found\n' });
    expect(await skiff('create', 'job', 'other')).toEqual({ code: 1, out: '', err: 'error: either --image or --from must be specified\n' });
  });

  it('create job NAME --image=IMAGE -- COMMAND: one container, restartPolicy Never', async () => {
    expect(await skiff('create', 'job', 'pi', '--image=perl:5.34.0', '--', 'perl', '-Mbignum=bpi', '-wle', 'print bpi(20)')).toEqual({ code: 0, out: 'job.batch/pi created\n', err: '' });
    const job = await jobs().get('default', 'pi');
    expect(job.spec?.template?.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.template?.spec?.containers.map((c) => [c.name, c.image, c.command])).toEqual([['pi', 'perl:5.34.0', ['perl', '-Mbignum=bpi', '-wle', 'print bpi(20)']]]);
    expect(job.spec?.completions).toBe(1);
  });

  it('get jobs and cronjobs print kubectl columns; a completed Job shows Complete and its duration', async () => {
    const before = await skiff('get', 'jobs');
    expect(before.out).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nmanual\s+Running\s+0\/1\s+\d+s\npi\s+Running\s+0\/1\s+\d+s\n$/);
    await complete('pi', 65);
    const after = await skiff('get', 'job', 'pi', '-o', 'wide');
    expect(after.out).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\npi\s+Complete\s+1\/1\s+65s\s+\d+s\s+pi\s+perl:5\.34\.0\s+batch\.kubernetes\.io\/controller-uid=[0-9a-f-]+\n$/);
    const cron = await skiff('get', 'cj');
    expect(cron).toMatchObject({ code: 0, err: '' });
    expect(cron.out).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\nhello\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n$/);
  });

  it('describe job and cronjob in kubectl layout', async () => {
    const job = await skiff('describe', 'job', 'pi');
    expect(job).toMatchObject({ code: 0, err: '' });
    expect(job.out).toMatch(/^Name:\s+pi\nNamespace:\s+default\nSelector:\s+batch\.kubernetes\.io\/controller-uid=\S+\nLabels:\s+batch\.kubernetes\.io\/controller-uid=\S+\n/);
    expect(job.out).toMatch(/\nCompletions:\s+1\nCompletion Mode:\s+NonIndexed\nSuspend:\s+false\nBackoff Limit:\s+6\nStart Time:\s+\w{3}, .* \+0000\nCompleted At:\s+.*\nDuration:\s+65s\nPods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed\nPod Template:\n/);
    const cron = await skiff('describe', 'cronjob', 'hello');
    expect(cron.out).toMatch(/^Name:\s+hello\nNamespace:\s+default\nLabels:\s+<none>\nAnnotations:\s+<none>\nSchedule:\s+\*\/5 \* \* \* \*\nConcurrency Policy:\s+Allow\nSuspend:\s+False\n/);
    expect(cron.out).toMatch(/\nLast Schedule Time:\s+<unset>\nActive Jobs:\s+<none>\nEvents:\s+<none>\n$/);
    expect(await skiff('describe', 'job', 'nope')).toMatchObject({ code: 1, err: 'error: jobs.batch "nope" not found\n' });
  });

  it('wait --for=condition=complete watches until the Job completes; times out with kubectl words', async () => {
    expect(await skiff('wait', '--for=condition=complete', 'job/pi', '--timeout=5s')).toEqual({ code: 0, out: 'job.batch/pi condition met\n', err: '' });
    const waiting = await waitingSkiff('wait', '--for=condition=Complete', 'jobs', 'manual', '--timeout=30s');
    expect(waiting.answered()).toBe(false);
    await complete('manual', 3);
    expect(await waiting.result).toEqual({ code: 0, out: 'job.batch/manual condition met\n', err: '' });
    // --timeout=0 checks once: met now, so it says so (kubectl), instead of a timeout.
    expect(await skiff('wait', '--for=condition=complete', 'job/manual', '--timeout=0')).toEqual({ code: 0, out: 'job.batch/manual condition met\n', err: '' });
    expect(await skiff('wait', '--for=condition=complete', 'job/nope', '--timeout=0')).toEqual({ code: 1, out: '', err: 'error: jobs.batch "nope" not found\n' });

    const started = Date.now();
    expect(await skiff('wait', '--for=condition=failed', 'job/pi', '--timeout=1s')).toEqual({ code: 1, out: '', err: 'error: timed out waiting for the condition on jobs/pi\n' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await skiff('wait', '--for=condition=complete=false', 'job/pi', '--timeout=0')).toMatchObject({ code: 1, err: 'error: timed out waiting for the condition on jobs/pi\n' });
    expect(await skiff('wait', '--for=condition=complete', 'job/nope', '--timeout=1s')).toEqual({ code: 1, out: '', err: 'error: jobs.batch "nope" not found\n' });
    expect(await skiff('wait', '--for=jsonpath={.status.succeeded}=1', 'job', '-l', 'app=hello')).toEqual({ code: 0, out: 'job.batch/manual condition met\n', err: '' });
    expect(await skiff('wait', '--for=complete', 'job/pi')).toMatchObject({ code: 1, err: 'error: unrecognized condition: "complete"\n' });
    expect(await skiff('wait', '--for=condition=complete', 'jobs')).toMatchObject({ code: 1, err: 'error: resource(s) were provided, but no name was specified\n' });
  });

  it('wait --for=delete returns once the object is gone', async () => {
    await jobs().create(objectFromManifest({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'doomed', namespace: 'default' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } }).kind!.value as Job);
    const waiting = await waitingSkiff('wait', '--for=delete', 'job/doomed', '--timeout=30s');
    expect(waiting.answered()).toBe(false);
    await jobs().delete('default', 'doomed');
    expect(await waiting.result).toEqual({ code: 0, out: 'job.batch/doomed condition met\n', err: '' });
    expect(await skiff('wait', '--for=delete', 'job/doomed', '--timeout=1s')).toEqual({ code: 0, out: '', err: '' });
  });

  it('logs job/X reads one of its pods, saying which when there are several', async () => {
    const kubelet = await startGrpcServer({
      address: '127.0.0.1:0',
      logger: createLogger('kubelet', 'silent'),
      services: [bindService('skiff.node.v1.Kubelet', KubeletService, {
        logs: async function* (req) {
          yield LogChunk.fromPartial({ data: Buffer.from(`log of ${req.name}/${req.container || 'only'}\n`) });
        },
        exec: async function* () {},
        summary: async () => StatsSummary.fromPartial({}),
      })],
    });
    try {
      await client.create(objectFromManifest({
        apiVersion: 'v1', kind: 'Node', metadata: { name: 'jobs-node' },
        status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { port: kubelet.port } } },
      }));
      const job = await jobs().get('default', 'pi');
      const uid = job.metadata?.uid ?? '';
      const pods = typed(client, 'pod');
      for (const name of ['pi-aaaaa', 'pi-bbbbb']) {
        await client.create(objectFromManifest({
          apiVersion: 'v1', kind: 'Pod',
          metadata: { name, namespace: 'default', labels: { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34.0' }] },
        }));
        await client.bind({ namespace: 'default', name, nodeName: 'jobs-node', uid: '', resourceVersion: '' });
      }
      // The running pod comes first (kubectl's ByLogging), whatever the names say.
      const b = await pods.get('default', 'pi-bbbbb');
      await pods.updateStatus({ ...b, status: { ...b.status!, phase: 'Running' } });

      expect(await skiff('logs', 'job/pi')).toEqual({ code: 0, out: 'log of pi-bbbbb/only\n', err: 'Found 2 pods, using pod/pi-bbbbb\n' });
      expect(await skiff('logs', 'pod/pi-aaaaa', '-c', 'pi')).toEqual({ code: 0, out: 'log of pi-aaaaa/pi\n', err: '' });
      expect(await skiff('logs', 'job/nope')).toEqual({ code: 1, out: '', err: 'error: jobs.batch "nope" not found\n' });
      expect(await skiff('logs', 'job/manual', '--pod-running-timeout=1s')).toEqual({ code: 1, out: '', err: 'error: timed out waiting for the condition\n' });
      expect(await skiff('logs', 'cm/x')).toMatchObject({ code: 1, err: 'error: configmaps "x" not found\n' });
    } finally {
      await kubelet.close();
    }
  });
});
