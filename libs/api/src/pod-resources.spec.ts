import type { Container, Pod } from './gen';
import { isRestartableInitContainer, podLimits, podRequests, resourceAmount, resourceAmounts } from './pod-resources';

type Spec = { requests?: Record<string, string>; limits?: Record<string, string>; sidecar?: boolean };

const container = (name: string, s: Spec = {}): Container =>
  ({ name, image: 'busybox', resources: { requests: s.requests ?? {}, limits: s.limits ?? {} }, ...(s.sidecar ? { restartPolicy: 'Always' } : {}) }) as unknown as Container;

const pod = (containers: Spec[], initContainers: Spec[] = []): Pod =>
  ({
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: containers.map((s, i) => container(`c${i}`, s)), initContainers: initContainers.map((s, i) => container(`i${i}`, s)) },
  }) as unknown as Pod;

const cpu = (q: string, sidecar = false): Spec => ({ requests: { cpu: q }, sidecar });

describe('resourceAmount', () => {
  it('reads cpu in millicores and the rest in whole base units, rounded up', () => {
    expect(resourceAmount('cpu', '0.1')).toBe(100);
    expect(resourceAmount('memory', '128Mi')).toBe(134217728);
    expect(resourceAmount('memory', '100m')).toBe(1);
    expect(resourceAmounts({ cpu: '2', 'example.com/gpu': '1' })).toEqual({ cpu: 2000, 'example.com/gpu': 1 });
    expect(resourceAmounts(undefined)).toEqual({});
    expect(() => resourceAmount('cpu', 'half')).toThrow();
  });
});

describe('isRestartableInitContainer', () => {
  it('is true only for restartPolicy Always', () => {
    expect(isRestartableInitContainer(container('s', { sidecar: true }))).toBe(true);
    expect(isRestartableInitContainer(container('i'))).toBe(false);
  });
});

describe('podRequests', () => {
  it('sums the app containers when there are no init containers', () => {
    expect(podRequests(pod([{ requests: { cpu: '250m', memory: '64Mi' } }, cpu('1')]))).toEqual({ cpu: 1250, memory: 64 * 2 ** 20 });
  });

  it('leaves out resources nobody requests, and is empty when nothing is requested', () => {
    expect(podRequests(pod([{}, {}], [{}]))).toEqual({});
    expect(podRequests({ metadata: { name: 'p' } } as unknown as Pod)).toEqual({});
  });

  it('takes a regular init container larger than the app containers as the request', () => {
    // Kubernetes' docs: an init container of 2 cpu over app containers of 1 cpu: the pod requests 2.
    expect(podRequests(pod([cpu('500m'), cpu('500m')], [cpu('2'), cpu('1')]))).toEqual({ cpu: 2000 });
    // A smaller init container changes nothing.
    expect(podRequests(pod([cpu('1')], [cpu('500m')]))).toEqual({ cpu: 1000 });
  });

  it('takes the max per resource, each from whichever container needs most', () => {
    const p = pod([{ requests: { cpu: '1', memory: '1Gi' } }], [{ requests: { cpu: '3', memory: '100Mi' } }, { requests: { 'example.com/gpu': '1' } }]);
    expect(podRequests(p)).toEqual({ cpu: 3000, memory: 2 ** 30, 'example.com/gpu': 1 });
  });

  it('adds sidecars to the app containers', () => {
    expect(podRequests(pod([cpu('2')], [cpu('1', true)]))).toEqual({ cpu: 3000 });
    expect(podRequests(pod([cpu('1')], [cpu('1', true), cpu('2', true), cpu('3', true)]))).toEqual({ cpu: 7000 });
  });

  it('counts the sidecars declared before a regular init container as running beside it', () => {
    // sidecar 1 then init 5, app 1: max(1 + 1, 1 + 5) = 6.
    expect(podRequests(pod([cpu('1')], [cpu('1', true), cpu('5')]))).toEqual({ cpu: 6000 });
    // init 5, sidecar 1, sidecar 2, init 5, sidecar 3, app 1: max(1+1+2+3, 5, 1+2+5) = 8.
    expect(podRequests(pod([cpu('1')], [cpu('5'), cpu('1', true), cpu('2', true), cpu('5'), cpu('3', true)]))).toEqual({ cpu: 8000 });
  });

  it('does not count a sidecar declared after a regular init container beside it', () => {
    // init 5 then sidecar 3, app 1: the init runs alone: max(1 + 3, 5) = 5.
    expect(podRequests(pod([cpu('1')], [cpu('5'), cpu('3', true)]))).toEqual({ cpu: 5000 });
    // The same sidecar before the init: max(1 + 3, 3 + 5) = 8.
    expect(podRequests(pod([cpu('1')], [cpu('3', true), cpu('5')]))).toEqual({ cpu: 8000 });
  });

  it('uses the non-missing defaults for every container without the request, init containers included', () => {
    const defaults = { nonMissingContainerRequests: { cpu: 100, memory: 200 * 2 ** 20 } };
    expect(podRequests(pod([{}, cpu('1')]), defaults)).toEqual({ cpu: 1100, memory: 400 * 2 ** 20 });
    // A regular init container without requests counts as 100m / 200Mi (beside one sidecar of 100m / 200Mi).
    expect(podRequests(pod([cpu('50m')], [{ sidecar: true }, {}]), defaults)).toEqual({ cpu: 200, memory: 400 * 2 ** 20 });
  });
});

describe('podLimits', () => {
  it('follows the same rule over limits, and ignores requests', () => {
    const lim = (q: string, sidecar = false): Spec => ({ limits: { memory: q }, requests: { memory: '1' }, sidecar });
    expect(podLimits(pod([lim('1Gi')]))).toEqual({ memory: 2 ** 30 });
    expect(podLimits(pod([lim('1Gi')], [lim('2Gi')]))).toEqual({ memory: 2 * 2 ** 30 });
    expect(podLimits(pod([lim('1Gi')], [lim('512Mi', true), lim('2Gi')]))).toEqual({ memory: 2.5 * 2 ** 30 });
    expect(podLimits(pod([lim('1Gi')], [lim('2Gi'), lim('512Mi', true)]))).toEqual({ memory: 2 * 2 ** 30 });
    // A container without a limit adds nothing.
    expect(podLimits(pod([lim('1Gi'), {}]))).toEqual({ memory: 2 ** 30 });
  });
});
