import { parseCascade } from './delete-command';

describe('parseCascade (kubectl --cascade)', () => {
  it('defaults to background, also for a bare --cascade', () => {
    expect(parseCascade(undefined)).toEqual({ policy: 'Background' });
    expect(parseCascade(true)).toEqual({ policy: 'Background' });
  });

  it('takes background, foreground and orphan', () => {
    expect(parseCascade('background')).toEqual({ policy: 'Background' });
    expect(parseCascade('foreground')).toEqual({ policy: 'Foreground' });
    expect(parseCascade('orphan')).toEqual({ policy: 'Orphan' });
  });

  it('still takes the old booleans, with kubectl deprecation warnings', () => {
    expect(parseCascade('false')).toEqual({ policy: 'Orphan', warning: 'warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.' });
    expect(parseCascade('true')).toEqual({ policy: 'Background', warning: 'warning: --cascade=true is deprecated (boolean value) and can be replaced with --cascade=background.' });
  });

  it('refuses anything else with kubectl message', () => {
    expect(() => parseCascade('Foreground')).toThrow('invalid cascade value (Foreground). Must be "background", "foreground", or "orphan".');
  });
});
