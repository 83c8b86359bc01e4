import { execFileSync } from 'node:child_process';
import { JOB_COMPLETION_INDEX, JOB_NAME_LABEL, NotFoundError, type Job, type Pod } from '@skiff/api';
import type { TypedClient } from '@skiff/client';
import { TEST_IMAGE, ensurePerlImage, testLabel, waitFor } from '@skiff/testing';
import { startE2eCluster, type E2eCluster } from './e2e-fixture';

/**
 * Jobs end to end (issue 13, acceptance 1 and the docs' `pi` Job of acceptance 6): the built
 * apiserver, scheduler, controller-manager (job and ttl-after-finished controllers) and two Docker
 * kubelets as processes against real etcd, NATS and dockerd. Users' side through the built CLI
 * (apply, get, wait, logs); the test watches pods through @skiff/client to see every state.
 */
const run = testLabel().value;
const NODES = [`job-${run}-1`, `job-${run}-2`];
const NS = 'default';
let e2e: E2eCluster;
let pods: TypedClient<'pod'>;
let jobs: TypedClient<'job'>;

beforeAll(async () => {
  expect(await ensurePerlImage()).toBe('perl:5.34.0');
  e2e = await startE2eCluster({
    nodes: NODES.map((name) => ({ name, cpu: '2', memory: '4Gi' })),
    kubeletArgs: ['--lease-interval', '1', '--resync-interval', '5'],
    controllerManagers: 1,
  });
  pods = e2e.typed('pod');
  jobs = e2e.typed('job');
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
}, 60_000);

const skiff = (args: string[], timeoutMs?: number) => e2e.cli(args, timeoutMs);

function condition(job: Readonly<Job>, type: string): { status: string; reason: string } | undefined {
  return job.status?.conditions.find((c) => c.type === type && c.status === 'True');
}

/** Waits for the Job's terminal condition (Complete or Failed) and resolves with the Job. */
function waitFinished(name: string, timeoutMs: number): Promise<Job> {
  return waitFor(`job ${name} to finish`, async () => {
    const job = await jobs.get(NS, name);
    return condition(job, 'Complete') || condition(job, 'Failed') ? job : undefined;
  }, { timeoutMs, intervalMs: 200 });
}

const jobPods = async (name: string): Promise<Pod[]> => (await pods.list({ namespace: NS, labelSelector: `${JOB_NAME_LABEL}=${name}` })).items;
const isActive = (p: Readonly<Pod>) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/**
 * Watches the pods of Job `name` from now until `signal` aborts; resolves with the largest number
 * of them that were active (neither finished nor being deleted) at one revision.
 */
async function maxActive(name: string, signal: AbortSignal): Promise<number> {
  const state = new Map<string, boolean>();
  let max = 0;
  try {
    for await (const ev of pods.watch({ namespace: NS, labelSelector: `${JOB_NAME_LABEL}=${name}` }, signal)) {
      const key = ev.object.metadata?.name ?? '';
      if (ev.type === 'DELETED') state.delete(key);
      else state.set(key, isActive(ev.object));
      max = Math.max(max, [...state.values()].filter(Boolean).length);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return max;
}

it('runs an Indexed Job of 5 completions 2 at a time: each index succeeds once, with JOB_COMPLETION_INDEX, and the Job is Complete', async () => {
  const watching = new AbortController();
  const sampled = maxActive('indexed', watching.signal);
  await e2e.apply(
    'indexed.yaml',
    `apiVersion: batch/v1
kind: Job
metadata:
  name: indexed
spec:
  completions: 5
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
        - name: worker
          image: ${TEST_IMAGE}
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "echo index=$JOB_COMPLETION_INDEX; sleep 1"]
`,
  );
  expect(await skiff(['wait', '--for=condition=complete', 'job/indexed', '--timeout=120s'], 130_000)).toBe('job.batch/indexed condition met\n');
  watching.abort();
  expect(await sampled).toBeLessThanOrEqual(2);

  const job = await jobs.get(NS, 'indexed');
  expect(job.status).toMatchObject({ succeeded: 5, failed: 0, active: 0, completedIndexes: '0-4' });
  expect(job.status?.completionTime).toBeDefined();
  const succeeded = (await jobPods('indexed')).filter((p) => p.status?.phase === 'Succeeded');
  const indexes = succeeded.map((p) => p.metadata?.annotations[JOB_COMPLETION_INDEX]).sort();
  expect(indexes).toEqual(['0', '1', '2', '3', '4']);
  for (const pod of succeeded) {
    const index = pod.metadata?.annotations[JOB_COMPLETION_INDEX];
    expect(pod.metadata?.finalizers).toEqual([]); // counted: the tracking finalizer is gone
    expect(await skiff(['logs', pod.metadata?.name ?? ''])).toBe(`index=${index}\n`);
  }
  const table = await skiff(['get', 'jobs', 'indexed']);
  expect(table).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nindexed\s+Complete\s+5\/5\s+\S+\s+\S+\n$/);
}, 180_000);

it('fails a Job whose pods exit 1 after backoffLimit retries, with BackoffLimitExceeded', async () => {
  await e2e.apply(
    'failing.yaml',
    `apiVersion: batch/v1
kind: Job
metadata:
  name: failing
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
        - name: fail
          image: ${TEST_IMAGE}
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "exit 1"]
`,
  );
  const job = await waitFinished('failing', 90_000);
  expect(condition(job, 'Failed')?.reason).toBe('BackoffLimitExceeded');
  expect(job.status).toMatchObject({ failed: 2, succeeded: 0, active: 0 });
  const failed = (await jobPods('failing')).filter((p) => p.status?.phase === 'Failed');
  expect(failed).toHaveLength(2); // backoffLimit 1: the first try and one retry, no more
}, 120_000);

it('kills a Job running past activeDeadlineSeconds, with DeadlineExceeded', async () => {
  await e2e.apply(
    'slow.yaml',
    `apiVersion: batch/v1
kind: Job
metadata:
  name: slow
spec:
  activeDeadlineSeconds: 3
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
        - name: sleep
          image: ${TEST_IMAGE}
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "exec sleep 3600"]
`,
  );
  const job = await waitFinished('slow', 60_000);
  expect(condition(job, 'Failed')?.reason).toBe('DeadlineExceeded');
  expect(job.status?.active).toBe(0);
  await waitFor('the slow pod to stop', async () => (await jobPods('slow')).every((p) => !isActive(p)), { timeoutMs: 30_000, intervalMs: 200 });
}, 90_000);

it('deletes a finished Job and its pods ttlSecondsAfterFinished after it finished', async () => {
  await e2e.apply(
    'short-lived.yaml',
    `apiVersion: batch/v1
kind: Job
metadata:
  name: short-lived
spec:
  ttlSecondsAfterFinished: 2
  template:
    spec:
      restartPolicy: OnFailure
      terminationGracePeriodSeconds: 1
      containers:
        - name: done
          image: ${TEST_IMAGE}
          imagePullPolicy: IfNotPresent
          command: ["true"]
`,
  );
  const finished = await waitFinished('short-lived', 60_000);
  expect(condition(finished, 'Complete')).toBeDefined();
  await waitFor(
    'short-lived and its pods to be deleted',
    async () => {
      const gone = await jobs.get(NS, 'short-lived').then(
        () => false,
        (err) => err instanceof NotFoundError,
      );
      return gone && (await jobPods('short-lived')).length === 0;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}, 120_000);

it("runs the Kubernetes docs' pi Job unmodified: it completes and its log is pi to 2000 places", async () => {
  // https://kubernetes.io/docs/concepts/workloads/controllers/job/ (controllers/job.yaml)
  await e2e.apply(
    'job.yaml',
    `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
`,
  );
  expect(await skiff(['wait', '--for=condition=complete', 'job/pi', '--timeout=120s'], 130_000)).toBe('job.batch/pi condition met\n');
  const log = (await skiff(['logs', 'job/pi'])).trim();
  expect(log).toHaveLength(2001);
  expect(log.startsWith('3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651')).toBe(true);
  expect(log.endsWith('58133904780275901')).toBe(true);
  expect(await skiff(['get', 'jobs', 'pi'])).toMatch(/\npi\s+Complete\s+1\/1\s/);
  const described = await skiff(['describe', 'jobs', 'pi']);
  expect(described).toMatch(/Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
  expect(described).toMatch(/SuccessfulCreate/);
}, 180_000);

it("runs the Kubernetes docs' hello CronJob unmodified: a Job at a real minute boundary says hello, and create job --from runs it at once", async () => {
  // The page's image, busybox:1.28, is TEST_IMAGE (busybox) under that name in the local dockerd;
  // the CronJob's imagePullPolicy IfNotPresent uses it as is.
  execFileSync('docker', ['tag', TEST_IMAGE, 'busybox:1.28'], { stdio: 'ignore' });
  // https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ (application/job/cronjob.yaml)
  await e2e.apply(
    'cronjob.yaml',
    `apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
`,
  );
  const applied = Date.now();
  expect(await skiff(['get', 'cronjobs', 'hello'])).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\nhello\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+\n$/);

  // By hand first (kubectl create job --from), then the scheduled run at the next minute.
  expect(await skiff(['create', 'job', 'hello-now', '--from=cronjob/hello'])).toBe('job.batch/hello-now created\n');
  expect(await skiff(['wait', '--for=condition=complete', 'job/hello-now', '--timeout=60s'], 70_000)).toBe('job.batch/hello-now condition met\n');
  expect(await skiff(['logs', 'job/hello-now'])).toMatch(/\nHello from the Kubernetes cluster\n$/);

  const scheduled = await waitFor(
    'the CronJob to create a scheduled Job',
    async () => (await jobs.list({ namespace: NS })).items.find((j) => j.metadata?.ownerReferences.some((r) => r.kind === 'CronJob' && r.name === 'hello') && j.metadata.name !== 'hello-now'),
    { timeoutMs: 75_000, intervalMs: 500 },
  );
  const name = scheduled.metadata?.name ?? '';
  // Named after its schedule time in minutes since the epoch: the first minute boundary after the
  // CronJob was created at the earliest (Kubernetes counts from creationTimestamp), and not in the future.
  const minutes = Number(name.slice('hello-'.length));
  expect(Number.isInteger(minutes)).toBe(true);
  const createdAt = (await e2e.typed('cronJob').get(NS, 'hello')).metadata?.creationTimestamp?.getTime() ?? applied;
  expect(minutes * 60_000).toBeGreaterThanOrEqual((Math.floor(createdAt / 60_000) + 1) * 60_000);
  expect(minutes * 60_000).toBeLessThanOrEqual(Date.now());
  await waitFinished(name, 60_000);
  expect(await skiff(['logs', `job/${name}`])).toMatch(/\nHello from the Kubernetes cluster\n$/);
  await waitFor('the CronJob status to record the run', async () => {
    const table = await skiff(['get', 'cronjobs', 'hello']);
    return /\nhello\s+\* \* \* \* \*\s+<none>\s+False\s+\d+\s+\d+s\s+\S+\n$/.test(table) ? table : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  await skiff(['delete', 'cronjob', 'hello']);
}, 240_000);
