import { parseBoolFlag, parseDuration } from './flag-values';

describe('flag values', () => {
  it('reads booleans as kubectl does, including the short form -w=false', () => {
    expect(parseBoolFlag(undefined, true)).toBe(true);
    expect(parseBoolFlag(true, false)).toBe(true);
    for (const v of ['false', 'False', '0', 'f', '=false']) expect(parseBoolFlag(v, true)).toBe(false);
    for (const v of ['true', 'TRUE', '1', 't', '=true']) expect(parseBoolFlag(v, false)).toBe(true);
    expect(() => parseBoolFlag('maybe', true)).toThrow('invalid boolean "maybe"');
  });

  it('reads durations', () => {
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(() => parseDuration('soon')).toThrow('invalid duration "soon"');
  });
});
