import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './controller-expectations';

describe('ControllerExpectations', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1_000));

  it('a key with no record is satisfied; creations hold it until each is observed', () => {
    const e = new ControllerExpectations(clock);
    expect(e.satisfied('ns/web')).toBe(true);
    e.expectCreations('ns/web', 3);
    expect(e.satisfied('ns/web')).toBe(false);
    e.creationObserved('ns/web');
    e.creationObserved('ns/web');
    expect(e.pending('ns/web')).toEqual({ add: 1, del: 0 });
    expect(e.satisfied('ns/web')).toBe(false);
    e.creationObserved('ns/web');
    expect(e.satisfied('ns/web')).toBe(true);
    expect(e.satisfied('ns/other')).toBe(true);
  });

  it('deletions count once per expected pod: repeats (update with deletionTimestamp, then delete) and other pods do not', () => {
    const e = new ControllerExpectations(clock);
    e.expectDeletions('ns/web', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/web', 'ns/a');
    e.deletionObserved('ns/web', 'ns/a');
    e.deletionObserved('ns/web', 'ns/zzz');
    expect(e.pending('ns/web')).toEqual({ add: 0, del: 1 });
    expect(e.satisfied('ns/web')).toBe(false);
    e.deletionObserved('ns/web', 'ns/b');
    expect(e.satisfied('ns/web')).toBe(true);
  });

  it('observations for keys without a record do nothing; new expectations replace old ones', () => {
    const e = new ControllerExpectations(clock);
    e.creationObserved('ns/web');
    e.deletionObserved('ns/web', 'ns/a');
    expect(e.pending('ns/web')).toBeUndefined();
    e.expectCreations('ns/web', 2);
    e.expectDeletions('ns/web', ['ns/a']);
    expect(e.pending('ns/web')).toEqual({ add: 0, del: 1 });
  });

  it('expires after 5 minutes, so a lost event only delays the controller', () => {
    const e = new ControllerExpectations(clock);
    e.expectCreations('ns/web', 1);
    expect(e.msUntilExpiry('ns/web')).toBe(EXPECTATIONS_TIMEOUT_MS + 1);
    now += EXPECTATIONS_TIMEOUT_MS;
    expect(e.satisfied('ns/web')).toBe(false);
    now += 1;
    expect(e.satisfied('ns/web')).toBe(true);
    expect(e.msUntilExpiry('ns/web')).toBe(0);
  });

  it('delete forgets the key', () => {
    const e = new ControllerExpectations(clock);
    e.expectCreations('ns/web', 1);
    e.delete('ns/web');
    expect(e.satisfied('ns/web')).toBe(true);
    expect(e.pending('ns/web')).toBeUndefined();
  });

  it('expect records creations and deletions of one sync together (a DaemonSet does both)', () => {
    const e = new ControllerExpectations(clock);
    e.expect('ns/ds', 2, ['ns/a', 'ns/b', 'ns/a']);
    expect(e.pending('ns/ds')).toEqual({ add: 2, del: 2 });
    e.creationObserved('ns/ds');
    e.deletionObserved('ns/ds', 'ns/a');
    e.creationObserved('ns/ds');
    expect(e.satisfied('ns/ds')).toBe(false);
    e.deletionObserved('ns/ds', 'ns/b');
    expect(e.satisfied('ns/ds')).toBe(true);
  });
});
