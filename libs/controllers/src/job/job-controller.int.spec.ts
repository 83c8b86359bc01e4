/**
 * The Job and TTL-after-finished controllers in-process (with the garbage collector) against real
 * etcd, NATS and the built apiserver. There is no scheduler or kubelet: the test plays the kubelet
 * by writing pod status (Running, Succeeded, Failed with exit codes) itself. Each test uses its
 * own Job; the Job's pods carry its generated batch.kubernetes.io/job-name label.
 */
import { ConflictError, InvalidError, Job, JOB_TRACKING_FINALIZER, NotFoundError, ObjectMeta, Pod, type Event, type JobSpec } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { waitFor } from '@skiff/testing';
import { startControllersTestEnv, type ControllersTestEnv } from '../controllers-test-env.spec-helper';

const NS = 'default';

describe('Job and TTL-after-finished controllers against the real apiserver', () => {
  let env: ControllersTestEnv;
  let pods: TypedClient<'pod'>;
  let jobs: TypedClient<'job'>;

  beforeAll(async () => {
    env = await startControllersTestEnv({ controllers: ['job', 'ttl-after-finished', 'garbagecollector'], tuning: { workers: 5, jobPodFailureBackoffMs: 200 } });
    pods = env.typed('pod');
    jobs = env.typed('job');
  }, 90_000);

  afterAll(() => env?.stop(), 30_000);

  function jobOf(name: string, spec: Partial<JobSpec> = {}): Job {
    return Job.fromPartial({
      metadata: { name, namespace: NS },
      spec: {
        backoffLimit: 6,
        ...spec,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 0'] }] } },
      },
    });
  }

  async function podsOf(name: string): Promise<Pod[]> {
    const { items } = await pods.list({ namespace: NS, labelSelector: `batch.kubernetes.io/job-name=${name}` });
    return items.sort((a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0));
  }
  const isActive = (p: Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
  const activeOf = async (name: string) => (await podsOf(name)).filter(isActive);

  /** Plays the kubelet: the pod's container ended with `exitCode` (Succeeded for 0, else Failed). */
  async function finish(pod: Pod, exitCode: number, conditions: { type: string; status: string }[] = []): Promise<void> {
    const fresh = await pods.get(NS, pod.metadata?.name ?? '');
    const terminated = { exitCode, signal: 0, reason: exitCode === 0 ? 'Completed' : 'Error', message: '', finishedAt: new Date(), containerID: '' };
    await pods.updateStatus({
      ...fresh,
      status: {
        ...fresh.status!,
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: conditions.map((c) => ({ ...c, reason: '', message: '', lastTransitionTime: new Date() })),
        containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'busybox', imageID: '', containerID: '', state: { terminated } }],
      },
    });
  }

  async function waitCondition(name: string, type: string, status = 'True', timeoutMs = 20_000): Promise<Job> {
    return waitFor(`${name} to have ${type}=${status}`, async () => {
      const job = await jobs.get(NS, name);
      return job.status?.conditions.some((c) => c.type === type && c.status === status) ? job : undefined;
    }, { timeoutMs });
  }

  async function eventsOf(name: string): Promise<Event[]> {
    const { items } = await env.typed('event').list({ namespace: NS });
    return items.filter((e) => e.involvedObject?.kind === 'Job' && e.involvedObject.name === name);
  }
  const eventReasons = async (name: string, reason: string) => waitFor(`a ${reason} event on ${name}`, async () => ((await eventsOf(name)).some((e) => e.reason === reason) ? eventsOf(name) : undefined));

  /** Read, change, update the Job's spec (again on a conflict with the controller's status writes). */
  async function updateSpec(name: string, change: (spec: JobSpec) => void): Promise<Job> {
    for (;;) {
      const job = await jobs.get(NS, name);
      change(job.spec!);
      try {
        return await jobs.update(job);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }

  it('Indexed 5 completions, parallelism 2: never more than 2 active, each index once, then Complete', async () => {
    const created = await jobs.create(jobOf('indexed', { completionMode: 'Indexed', completions: 5, parallelism: 2 }));
    const succeededIndexes: string[] = [];
    let maxActive = 0;
    await waitFor(
      'every index to succeed',
      async () => {
        const active = await activeOf('indexed');
        maxActive = Math.max(maxActive, active.length);
        for (const pod of active) {
          await finish(pod, 0);
          succeededIndexes.push(pod.metadata?.annotations['batch.kubernetes.io/job-completion-index'] ?? '?');
        }
        return succeededIndexes.length >= 5;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const job = await waitCondition('indexed', 'Complete');
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(succeededIndexes.sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(job.status).toMatchObject({ succeeded: 5, failed: 0, active: 0, completedIndexes: '0-4', uncountedTerminatedPods: { succeeded: [], failed: [] } });
    expect(job.status?.completionTime).toBeDefined();
    expect(job.status?.conditions.find((c) => c.type === 'Complete')).toMatchObject({ reason: 'CompletionsReached' });
    expect(job.status?.conditions.find((c) => c.type === 'SuccessCriteriaMet')?.status).toBe('True');

    const all = await podsOf('indexed');
    expect(all).toHaveLength(5);
    const pod3 = all.find((p) => p.metadata?.annotations['batch.kubernetes.io/job-completion-index'] === '3')!;
    expect(pod3.metadata?.name).toMatch(/^indexed-3-[a-z0-9]{5}$/);
    expect(pod3.metadata?.labels['batch.kubernetes.io/job-completion-index']).toBe('3');
    expect(pod3.spec?.hostname).toBe('indexed-3');
    expect(pod3.spec?.containers[0].env).toContainEqual(expect.objectContaining({ name: 'JOB_COMPLETION_INDEX', valueFrom: expect.objectContaining({ fieldRef: expect.objectContaining({ fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" }) }) }));
    expect(pod3.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'indexed', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    await waitFor('finalizers of indexed pods to be removed', async () => (await podsOf('indexed')).every((p) => !p.metadata?.finalizers.includes(JOB_TRACKING_FINALIZER)));
    const events = await eventReasons('indexed', 'Completed');
    expect(events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(5);
  }, 60_000);

  it('exit-1 failures beyond backoffLimit: Failed with BackoffLimitExceeded after the backoff', async () => {
    await jobs.create(jobOf('flaky', { backoffLimit: 1 }));
    const [first] = await waitFor('the first pod', () => activeOf('flaky').then((l) => (l.length === 1 ? l : undefined)));
    await finish(first, 1);
    const [second] = await waitFor('a replacement', () => activeOf('flaky').then((l) => (l.length === 1 && l[0].metadata?.uid !== first.metadata?.uid ? l : undefined)));
    await finish(second, 1);
    const job = await waitCondition('flaky', 'Failed');
    expect(job.status?.conditions.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(job.status?.conditions.find((c) => c.type === 'FailureTarget')?.status).toBe('True');
    expect(job.status).toMatchObject({ failed: 2, succeeded: 0, active: 0 });
    expect(job.status?.completionTime).toBeUndefined();
    const events = await eventReasons('flaky', 'BackoffLimitExceeded');
    expect(events.find((e) => e.reason === 'BackoffLimitExceeded')).toMatchObject({ type: 'Warning', message: 'Job has reached the specified backoff limit' });
  }, 30_000);

  it('activeDeadlineSeconds: kills the active pods and fails with DeadlineExceeded', async () => {
    await jobs.create(jobOf('slow', { parallelism: 2, completions: 4, activeDeadlineSeconds: 2 }));
    await waitFor('2 active pods', () => activeOf('slow').then((l) => l.length === 2));
    const job = await waitCondition('slow', 'Failed', 'True', 15_000);
    expect(job.status?.conditions.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(job.status).toMatchObject({ active: 0, failed: 2 });
    expect(job.status!.conditions.find((c) => c.type === 'Failed')!.lastTransitionTime!.getTime() - job.status!.startTime!.getTime()).toBeGreaterThanOrEqual(2_000);
    await waitFor('the killed pods to be gone', () => podsOf('slow').then((l) => l.length === 0));
    await eventReasons('slow', 'DeadlineExceeded');
  }, 30_000);

  it('suspend and resume: pods deleted without counting them, Suspended condition, startTime reset', async () => {
    await jobs.create(jobOf('napper', { suspend: true }));
    let job = await waitCondition('napper', 'Suspended');
    expect(job.status?.conditions.find((c) => c.type === 'Suspended')).toMatchObject({ reason: 'JobSuspended', message: 'Job suspended' });
    expect(job.status?.startTime).toBeUndefined();
    expect(await podsOf('napper')).toEqual([]);

    await updateSpec('napper', (s) => (s.suspend = false));
    job = await waitCondition('napper', 'Suspended', 'False');
    expect(job.status?.conditions.find((c) => c.type === 'Suspended')).toMatchObject({ reason: 'JobResumed', message: 'Job resumed' });
    expect(job.status?.startTime).toBeDefined();
    await waitFor('a pod', () => activeOf('napper').then((l) => l.length === 1));

    await updateSpec('napper', (s) => (s.suspend = true));
    job = await waitCondition('napper', 'Suspended');
    await waitFor('the pod to be deleted', () => podsOf('napper').then((l) => l.length === 0));
    job = await waitFor('status after suspension', async () => {
      const j = await jobs.get(NS, 'napper');
      return j.status?.active === 0 && j.status.startTime === undefined ? j : undefined;
    });
    expect(job.status?.failed).toBe(0);

    await updateSpec('napper', (s) => (s.suspend = false));
    const [pod] = await waitFor('a new pod', () => activeOf('napper').then((l) => (l.length === 1 ? l : undefined)));
    await finish(pod, 0);
    job = await waitCondition('napper', 'Complete');
    expect(job.status).toMatchObject({ succeeded: 1, failed: 0 });
    const events = await eventReasons('napper', 'Resumed');
    expect(events.some((e) => e.reason === 'Suspended')).toBe(true);
  }, 40_000);

  it('podFailurePolicy FailJob: a matching exit code fails the Job at once with reason PodFailurePolicy', async () => {
    await jobs.create(jobOf('strict', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] }, onPodConditions: [] }] } }));
    const [pod] = await waitFor('a pod', () => activeOf('strict').then((l) => (l.length === 1 ? l : undefined)));
    await finish(pod, 42);
    const job = await waitCondition('strict', 'Failed');
    expect(job.status?.conditions.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
      message: `Container main for pod ${NS}/${pod.metadata?.name} failed with exit code 42 matching FailJob rule at index 0`,
    });
    expect(job.status?.failed).toBe(1);
  }, 30_000);

  it('podFailurePolicy Ignore: an ignored failure is replaced and does not count toward backoffLimit 0', async () => {
    await jobs.create(
      jobOf('tolerant', {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }, { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] }, onPodConditions: [] }] },
      }),
    );
    const [first] = await waitFor('a pod', () => activeOf('tolerant').then((l) => (l.length === 1 ? l : undefined)));
    await finish(first, 3);
    const [second] = await waitFor('a replacement', () => activeOf('tolerant').then((l) => (l.length === 1 && l[0].metadata?.uid !== first.metadata?.uid ? l : undefined)));
    await finish(second, 137, [{ type: 'DisruptionTarget', status: 'True' }]);
    const [third] = await waitFor('another replacement', () => activeOf('tolerant').then((l) => (l.length === 1 && l[0].metadata?.uid !== second.metadata?.uid ? l : undefined)));
    await finish(third, 0);
    const job = await waitCondition('tolerant', 'Complete');
    expect(job.status).toMatchObject({ succeeded: 1, failed: 0 });
  }, 30_000);

  it('a pod deleted by someone else is counted as failed, loses its finalizer and is replaced', async () => {
    await jobs.create(jobOf('victim', { backoffLimit: 3 }));
    const [pod] = await waitFor('a pod', () => activeOf('victim').then((l) => (l.length === 1 ? l : undefined)));
    await pods.delete(NS, pod.metadata?.name ?? '');
    const [replacement] = await waitFor('a replacement', () => activeOf('victim').then((l) => (l.length === 1 && l[0].metadata?.uid !== pod.metadata?.uid ? l : undefined)));
    await waitFor('the deleted pod to be gone', async () => !(await podsOf('victim')).some((p) => p.metadata?.uid === pod.metadata?.uid));
    await finish(replacement, 0);
    const job = await waitCondition('victim', 'Complete');
    expect(job.status).toMatchObject({ succeeded: 1, failed: 1 });
  }, 30_000);

  it('a restarted controller-manager counts the pods that finished while it was down', async () => {
    await jobs.create(jobOf('resilient', { completions: 2, parallelism: 2 }));
    const two = await waitFor('2 pods', () => activeOf('resilient').then((l) => (l.length === 2 ? l : undefined)));
    await env.stopControllers();
    await Promise.all(two.map((p) => finish(p, 0)));
    env.startControllers();
    const job = await waitCondition('resilient', 'Complete');
    expect(job.status).toMatchObject({ succeeded: 2, failed: 0, active: 0 });
    expect(await podsOf('resilient')).toHaveLength(2);
  }, 30_000);

  it('ttlSecondsAfterFinished: the finished Job and its pods are deleted after the ttl', async () => {
    const created = await jobs.create(jobOf('ephemeral', { ttlSecondsAfterFinished: 1 }));
    const [pod] = await waitFor('a pod', () => activeOf('ephemeral').then((l) => (l.length === 1 ? l : undefined)));
    await finish(pod, 0);
    const done = await waitCondition('ephemeral', 'Complete');
    await waitFor('the Job to be deleted', async () => !(await jobs.list({ namespace: NS })).items.some((j) => j.metadata?.uid === created.metadata?.uid), { timeoutMs: 15_000 });
    const finishedAt = done.status!.conditions.find((c) => c.type === 'Complete')!.lastTransitionTime!.getTime();
    expect(Date.now() - finishedAt).toBeGreaterThanOrEqual(1_000);
    await waitFor('its pod to be deleted', async () => (await podsOf('ephemeral')).length === 0, { timeoutMs: 15_000 });
  }, 30_000);

  const hasFinalizer = (p: Pod | undefined) => Boolean(p?.metadata?.finalizers.includes(JOB_TRACKING_FINALIZER));
  const podOrUndefined = (name: string) => pods.get(NS, name).catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));

  it('a Job deleted while its pod runs: the pod loses the finalizer and goes with the Job', async () => {
    await jobs.create(jobOf('deleted-running'));
    const [pod] = await waitFor('a pod', () => activeOf('deleted-running').then((l) => (l.length === 1 ? l : undefined)));
    expect(hasFinalizer(pod)).toBe(true);
    await jobs.delete(NS, 'deleted-running', { propagationPolicy: 'Background' });
    await waitFor('the pod to be gone (finalizer removed, collected)', async () => !(await podOrUndefined(pod.metadata?.name ?? '')), { timeoutMs: 20_000 });
  }, 30_000);

  it('a Job deleted with propagationPolicy Orphan: its pod stays, without owner and without the finalizer', async () => {
    await jobs.create(jobOf('orphaner'));
    const [pod] = await waitFor('a pod', () => activeOf('orphaner').then((l) => (l.length === 1 ? l : undefined)));
    await jobs.delete(NS, 'orphaner', { propagationPolicy: 'Orphan' });
    const left = await waitFor('the pod orphaned and released', async () => {
      const p = await podOrUndefined(pod.metadata?.name ?? '');
      return p && p.metadata?.ownerReferences.length === 0 && !hasFinalizer(p) ? p : undefined;
    }, { timeoutMs: 20_000 });
    expect(left.metadata?.deletionTimestamp).toBeUndefined();
    await pods.delete(NS, left.metadata?.name ?? '');
    await waitFor('the orphan to be deletable', async () => !(await podOrUndefined(left.metadata?.name ?? '')));
  }, 30_000);

  it('a pod relabelled away is released: no owner reference, no finalizer; the Job replaces it', async () => {
    const created = await jobs.create(jobOf('releaser'));
    const [pod] = await waitFor('a pod', () => activeOf('releaser').then((l) => (l.length === 1 ? l : undefined)));
    for (;;) {
      const fresh = await pods.get(NS, pod.metadata?.name ?? '');
      fresh.metadata!.labels['batch.kubernetes.io/controller-uid'] = 'someone-else';
      try {
        await pods.update(fresh);
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    const released = await waitFor('the pod to be released', async () => {
      const p = await podOrUndefined(pod.metadata?.name ?? '');
      return p && !p.metadata?.ownerReferences.some((r) => r.uid === created.metadata?.uid) && !hasFinalizer(p) ? p : undefined;
    });
    expect(released.metadata?.deletionTimestamp).toBeUndefined();
    const [replacement] = await waitFor('a replacement', () => activeOf('releaser').then((l) => l.filter((p) => p.metadata?.uid !== pod.metadata?.uid && p.metadata?.labels['batch.kubernetes.io/controller-uid'] === created.metadata?.uid)).then((l) => (l.length === 1 ? l : undefined)));
    await finish(replacement, 0);
    expect((await waitCondition('releaser', 'Complete')).status).toMatchObject({ succeeded: 1, failed: 0 });
    await pods.delete(NS, released.metadata?.name ?? '');
  }, 30_000);

  it('an orphan pod matching a manual selector is adopted with the finalizer and counted', async () => {
    const orphan = await pods.create(Pod.fromPartial({ metadata: { name: 'stray', namespace: NS, labels: { app: 'adoptee' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } }));
    expect(hasFinalizer(orphan)).toBe(false);
    const job = jobOf('adopter', { manualSelector: true, selector: { matchLabels: { app: 'adoptee' }, matchExpressions: [] } });
    job.spec!.template!.metadata = ObjectMeta.fromPartial({ labels: { app: 'adoptee' } });
    const created = await jobs.create(job);
    const adopted = await waitFor('the pod to be adopted with the finalizer', async () => {
      const p = await pods.get(NS, 'stray');
      return p.metadata?.ownerReferences.some((r) => r.uid === created.metadata?.uid && r.controller) && hasFinalizer(p) ? p : undefined;
    });
    await finish(adopted, 0);
    const done = await waitCondition('adopter', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0, active: 0 });
    const { items } = await pods.list({ namespace: NS, labelSelector: 'app=adoptee' });
    expect(items.map((p) => p.metadata?.name)).toEqual(['stray']);
    await waitFor('its finalizer to be removed once counted', async () => !hasFinalizer(await pods.get(NS, 'stray')));
  }, 30_000);

  it('a pod deleted before it was bound counts as failed under a podFailurePolicy and loses its finalizer', async () => {
    await jobs.create(jobOf('unbound', { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] } }));
    const [pod] = await waitFor('a pod', () => activeOf('unbound').then((l) => (l.length === 1 ? l : undefined)));
    expect(pod.spec?.nodeName).toBe('');
    await pods.delete(NS, pod.metadata?.name ?? '');
    const job = await waitCondition('unbound', 'Failed');
    expect(job.status).toMatchObject({ failed: 1, succeeded: 0 });
    await waitFor('the deleted pod to be gone', async () => !(await podOrUndefined(pod.metadata?.name ?? '')));
  }, 30_000);

  it('a pod evicted through the Eviction API is DisruptionTarget and ignored by an Ignore rule: replaced, not counted', async () => {
    await jobs.create(jobOf('drained', { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] } }));
    const [pod] = await waitFor('a pod', () => activeOf('drained').then((l) => (l.length === 1 ? l : undefined)));
    await env.client.evict({ namespace: NS, name: pod.metadata?.name ?? '', dryRun: false, gracePeriodSeconds: undefined, preconditions: undefined } as never);
    const [replacement] = await waitFor('a replacement', () => activeOf('drained').then((l) => (l.length === 1 && l[0].metadata?.uid !== pod.metadata?.uid ? l : undefined)));
    await finish(replacement, 0);
    const job = await waitCondition('drained', 'Complete');
    expect(job.status).toMatchObject({ succeeded: 1, failed: 0 });
  }, 30_000);

  it('the apiserver refuses a template label that contradicts the generated selector', async () => {
    const job = jobOf('contradiction');
    job.spec!.template!.metadata = ObjectMeta.fromPartial({ labels: { 'batch.kubernetes.io/controller-uid': 'X' } });
    await expect(jobs.create(job)).rejects.toThrow(InvalidError);
    await expect(jobs.create(job)).rejects.toThrow(/spec\.template\.metadata\.labels\[batch\.kubernetes\.io\/controller-uid\]: Invalid value: "X": must be '/);
  });

  it('no pod keeps the tracking finalizer once its Job finished', async () => {
    await waitFor('every finalizer to be removed', async () => {
      const { items } = await pods.list({ namespace: NS });
      return items.every((p) => !p.metadata?.finalizers.includes(JOB_TRACKING_FINALIZER));
    });
    const { items } = await jobs.list({ namespace: NS });
    for (const job of items) expect(job.status?.conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')).toBe(true);
  }, 30_000);
});
