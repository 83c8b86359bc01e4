import { autoscalerFor, parseAutoscaleOptions, resourceTarget } from './autoscale-command';

const utilization = (name: string, percent: number) => ({ type: 'Resource', resource: { name, target: { type: 'Utilization', value: '', averageValue: '', averageUtilization: percent } } });
const average = (name: string, value: string) => ({ type: 'Resource', resource: { name, target: { type: 'AverageValue', value: '', averageValue: value, averageUtilization: undefined } } });

describe('parseAutoscaleOptions', () => {
  it('takes --min, --max and --cpu-percent', () => {
    expect(parseAutoscaleOptions({ min: '1', max: '5', cpuPercent: '50' })).toEqual({ min: 1, max: 5, metrics: [utilization('cpu', 50)], name: undefined });
  });

  it('leaves defaults to the server: no --min, no target, --min 0 or a non-positive --cpu-percent', () => {
    expect(parseAutoscaleOptions({ max: '3' })).toEqual({ min: undefined, max: 3, metrics: [], name: undefined });
    expect(parseAutoscaleOptions({ max: '3', min: '0', cpuPercent: '-1' })).toEqual({ min: undefined, max: 3, metrics: [], name: undefined });
  });

  it('refuses what kubectl refuses, with its words', () => {
    expect(() => parseAutoscaleOptions({})).toThrow('required flag(s) "max" not set');
    expect(() => parseAutoscaleOptions({ max: '0' })).toThrow('--max=MAXPODS is required and must be at least 1, max: 0');
    expect(() => parseAutoscaleOptions({ max: '2', min: '3' })).toThrow('--max=MAXPODS must be larger or equal to --min=MINPODS, max: 2, min: 3');
    expect(() => parseAutoscaleOptions({ max: 'five' })).toThrow('invalid argument "five" for "--max" flag: must be an integer');
    expect(() => parseAutoscaleOptions({ max: '5', cpuPercent: '50', cpu: '60%' })).toThrow('--cpu-percent and --cpu are mutually exclusive');
  });

  it('--cpu and --memory take a percentage or a quantity; --name names the autoscaler', () => {
    expect(parseAutoscaleOptions({ max: '5', cpu: '500m', memory: '60%', name: 'web-hpa' })).toEqual({ min: undefined, max: 5, metrics: [average('cpu', '500m'), utilization('memory', 60)], name: 'web-hpa' });
  });
});

describe('resourceTarget', () => {
  it('reads bare numbers as millicores and mebibytes, as kubectl', () => {
    expect(resourceTarget('cpu', '500')).toEqual(average('cpu', '500m'));
    expect(resourceTarget('memory', '200')).toEqual(average('memory', '200Mi'));
    expect(resourceTarget('memory', '1Gi')).toEqual(average('memory', '1Gi'));
  });

  it('refuses bad percentages and quantities', () => {
    expect(() => resourceTarget('cpu', 'x%')).toThrow('invalid percentage value: x');
    expect(() => resourceTarget('cpu', 'lots')).toThrow('invalid resource cpu value: lots');
    expect(() => resourceTarget('memory', ' ')).toThrow('empty input');
  });
});

describe('autoscalerFor', () => {
  it('builds an autoscaling/v2 HPA named after the target (or --name) with its scaleTargetRef', () => {
    const request = parseAutoscaleOptions({ min: '1', max: '5', cpuPercent: '50' });
    const hpa = autoscalerFor(request, { kind: 'Deployment', apiVersion: 'apps/v1' }, 'web', 'prod');
    expect(hpa.metadata).toMatchObject({ name: 'web', namespace: 'prod' });
    expect(hpa.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 5, metrics: [utilization('cpu', 50)] });
    expect(autoscalerFor({ ...request, name: 'other' }, { kind: 'ReplicaSet', apiVersion: 'apps/v1' }, 'web', 'prod').metadata?.name).toBe('other');
  });
});
