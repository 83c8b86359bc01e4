import { jobFromImage, validateCreateJob } from './create-job-command';

describe('create job (kubectl create job)', () => {
  it('checks the flags as kubectl', () => {
    expect(() => validateCreateJob(undefined, [], { image: 'busybox' })).toThrow('exactly one NAME is required, got 0');
    expect(() => validateCreateJob('a', [], {})).toThrow('either --image or --from must be specified');
    expect(() => validateCreateJob('a', [], { image: 'busybox', from: 'cronjob/x' })).toThrow('either --image or --from must be specified');
    expect(() => validateCreateJob('a', ['sh'], { from: 'cronjob/x' })).toThrow('cannot specify --from and command');
    expect(() => validateCreateJob('a', [], { from: 'deploy/web' })).toThrow('unknown object type Deployment: --from takes cronjob/NAME');
    expect(() => validateCreateJob('a', [], { from: 'hello' })).toThrow('from must be of the form <resource>/<name>');
    expect(() => validateCreateJob('a', [], { from: 'nope/x' })).toThrow('the server doesn\'t have a resource type "nope"');
    expect(validateCreateJob('a', [], { from: 'cronjob/hello' })).toBe('hello');
    expect(validateCreateJob('a', [], { from: 'cj/hello' })).toBe('hello');
    expect(validateCreateJob('a', ['sh'], { image: 'busybox' })).toBeUndefined();
  });

  it('builds one container named after the Job, the words after -- as its command, restartPolicy Never', () => {
    const job = jobFromImage('pi', 'default', 'perl:5.34.0', ['perl', '-Mbignum=bpi', '-wle', 'print bpi(20)']);
    expect(job.metadata).toMatchObject({ name: 'pi', namespace: 'default' });
    expect(job.spec?.template?.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.template?.spec?.containers).toEqual([expect.objectContaining({ name: 'pi', image: 'perl:5.34.0', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(20)'], args: [] })]);
    expect(job.spec?.completions).toBeUndefined();
  });
});
