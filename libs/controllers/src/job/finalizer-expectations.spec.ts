import { FinalizerExpectations } from './finalizer-expectations';

describe('FinalizerExpectations', () => {
  it('tracks pending uids per Job until observed', () => {
    const e = new FinalizerExpectations();
    e.expect('ns/a', ['u1', 'u2']);
    expect(e.pending('ns/a')).toEqual(new Set(['u1', 'u2']));
    e.observed('ns/a', 'u1');
    e.observed('ns/b', 'u2');
    expect(e.pending('ns/a')).toEqual(new Set(['u2']));
    e.delete('ns/a');
    expect(e.pending('ns/a')).toEqual(new Set());
  });
});
