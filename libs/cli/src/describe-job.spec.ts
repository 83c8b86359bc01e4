import { findKind, objectFromManifest, unwrap, JOB_EXAMPLE, CRONJOB_EXAMPLE, type KubeObject } from '@skiff/api';
import { describeObject } from './describe';
import { annotationRows, capIndexes } from './describe-job';

const now = new Date('2024-05-01T12:00:00Z');

function fromManifest(manifest: unknown): KubeObject {
  return unwrap(objectFromManifest(manifest)).object;
}

describe('describe job', () => {
  const jobKind = findKind('job')!;
  const manifest = structuredClone(JOB_EXAMPLE) as Record<string, Record<string, unknown>>;
  manifest.metadata = { ...manifest.metadata, uid: 'u1', annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'c1', controller: true }] };
  manifest.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } };
  manifest.status = { ...manifest.status, completionTime: '2024-05-01T10:01:05Z' };

  it('prints kubectl describeJob header, aligned as one block, then the pod template and events', () => {
    const text = describeObject(jobKind, fromManifest(manifest), [], now);
    expect(text.split('Pod Template:')[0]).toBe(
      [
        'Name:                        pi',
        'Namespace:                   default',
        'Selector:                    batch.kubernetes.io/controller-uid=u1',
        'Labels:                      app=pi',
        'Annotations:                 cronjob.kubernetes.io/instantiate: manual',
        'Controlled By:               CronJob/hello',
        'Parallelism:                 2',
        'Completions:                 5',
        'Completion Mode:             Indexed',
        'Suspend:                     false',
        'Backoff Limit:               4',
        'TTL Seconds After Finished:  100',
        'Start Time:                  Wed, 01 May 2024 10:00:00 +0000',
        'Completed At:                Wed, 01 May 2024 10:01:05 +0000',
        'Duration:                    65s',
        'Active Deadline Seconds:     600s',
        'Pods Statuses:               2 Active (2 Ready) / 3 Succeeded / 1 Failed',
        'Completed Indexes:           0-2',
        '',
      ].join('\n'),
    );
    expect(text).toMatch(/\nPod Template:\n {2}Labels: +app=pi\n {2}Containers:\n {4}pi:\n {6}Image: +perl:5\.34\.0\n/);
    expect(text).toMatch(/ {6}Command:\n {8}perl\n {8}-Mbignum=bpi\n/);
    expect(text).not.toContain('CreationTimestamp');
    expect(text).toMatch(/\nEvents: +<none>\n$/);
  });

  it('leaves out what is unset as kubectl: no ready count, no times, "<unset>" completions', () => {
    const job = jobKind.codec.fromJSON({
      metadata: { name: 'queue', namespace: 'default' },
      spec: { parallelism: 3, selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'w', image: 'busybox' }] } } },
      status: { active: 3 },
    }) as KubeObject;
    const text = describeObject(jobKind, job, [], now);
    expect(text).toContain('Completions:    <unset>\n');
    expect(text).toContain('Pods Statuses:  3 Active / 0 Succeeded / 0 Failed\n');
    expect(text).not.toMatch(/Start Time|Completed At|Duration|Completed Indexes|Backoff Limit/);
  });

  it('caps long completed index lists and splits long annotations as kubectl', () => {
    expect(capIndexes('')).toBe('<none>');
    expect(capIndexes('1,3-5,7')).toBe('1,3-5,7');
    const many = Array.from({ length: 30 }, (_, i) => String(i * 2)).join(',');
    expect(capIndexes(many)).toBe(`${many.slice(0, many.indexOf(',', 50) + 1)}...`);
    expect(annotationRows('Annotations', { a: 'x', b: 'line1\nline2' })).toEqual([
      ['Annotations:', 'a: x'],
      ['', 'b:'],
      ['', '  line1'],
      ['', '  line2'],
    ]);
    expect(annotationRows('Annotations', { long: 'v'.repeat(200) })[1]).toEqual(['', `  ${'v'.repeat(138)}...`]);
  });
});

describe('describe cronjob', () => {
  it('prints kubectl describeCronJob: schedule, policy, limits, job template, last schedule and active jobs', () => {
    const manifest = structuredClone(CRONJOB_EXAMPLE) as Record<string, Record<string, unknown>>;
    manifest.status = { lastScheduleTime: '2024-05-01T11:59:00Z', active: [{ kind: 'Job', name: 'hello-28571279', namespace: 'default' }, { kind: 'Job', name: 'hello-28571280', namespace: 'default' }] };
    const text = describeObject(findKind('cj')!, fromManifest(manifest), [], now);
    expect(text.split('Pod Template:')[0]).toBe(
      [
        'Name:                          hello',
        'Namespace:                     default',
        'Labels:                        <none>',
        'Annotations:                   <none>',
        'Schedule:                      * * * * *',
        'Concurrency Policy:            Forbid',
        'Suspend:                       False',
        'Successful Job History Limit:  3',
        'Failed Job History Limit:      1',
        'Starting Deadline Seconds:     200s',
        'Selector:                      <unset>',
        'Parallelism:                   <unset>',
        'Completions:                   <unset>',
        '',
      ].join('\n'),
    );
    expect(text).toMatch(/\nPod Template:\n {2}Labels: +<none>\n {2}Containers:\n {4}hello:\n {6}Image: +busybox:1\.28\n/);
    expect(text).toMatch(/\nLast Schedule Time: +Wed, 01 May 2024 11:59:00 \+0000\nActive Jobs: +hello-28571279, hello-28571280\nEvents: +<none>\n$/);
  });
});
