import { StatusVersionExpectations } from './status-version-expectations';

describe('StatusVersionExpectations', () => {
  it('a cached Job older than the last status write is not to be synced from; caught up, it is', () => {
    const e = new StatusVersionExpectations();
    expect(e.satisfied('ns/pi', '10')).toBe(true);
    e.wrote('ns/pi', '12');
    e.wrote('ns/pi', '11'); // an older answer never lowers the expectation
    expect(e.satisfied('ns/pi', '10')).toBe(false);
    expect(e.satisfied('ns/pi', '11')).toBe(false);
    expect(e.satisfied('ns/pi', '12')).toBe(true);
    // Forgotten once met: a later cache event needs no wait.
    expect(e.satisfied('ns/pi', '5')).toBe(true);
  });

  it('forgets a deleted Job', () => {
    const e = new StatusVersionExpectations();
    e.wrote('ns/pi', '12');
    e.delete('ns/pi');
    expect(e.satisfied('ns/pi', '1')).toBe(true);
  });
});
