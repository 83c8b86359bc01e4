import { crashBackOffMessage, formatPod, goDuration, pulledMessage, pullFailedMessage } from './kubelet-events';

describe('kubelet event messages', () => {
  it('prints durations as Go does after truncating to milliseconds', () => {
    expect([0, 7.9, 523, 1_000, 1_200, 1_234, 59_999, 60_000, 63_050, 3_600_000, 7_201_500].map(goDuration)).toEqual([
      '0ms', '7ms', '523ms', '1s', '1.2s', '1.234s', '59.999s', '1m0s', '1m3.05s', '1h0m0s', '2h0m1.5s',
    ]);
    expect(pulledMessage('busybox:1', 1_200)).toBe('Successfully pulled image "busybox:1" in 1.2s');
  });

  it('says "Failed to pull image" once, whether or not the runtime message already does', () => {
    expect(pullFailedMessage('a:1', 'failed to pull image "a:1": not found')).toBe('Failed to pull image "a:1": not found');
    expect(pullFailedMessage('a:1', 'image "a:1" is missing after a successful pull')).toBe('Failed to pull image "a:1": image "a:1" is missing after a successful pull');
  });

  it('names the pod of a crash-loop back-off as Kubernetes formats it', () => {
    expect(crashBackOffMessage('main', { name: 'web', namespace: 'default', uid: 'u-1' })).toBe('Back-off restarting failed container main in pod web_default(u-1)');
  });

  it('formats a pod as name_namespace(uid), a missing part empty', () => {
    expect(formatPod({ metadata: { name: 'web', namespace: 'default', uid: 'u-1' } })).toBe('web_default(u-1)');
    expect(formatPod({ metadata: { name: 'web' } })).toBe('web_()');
    expect(formatPod({})).toBe('_()');
  });
});
