import { FinalizerExpectations } from './finalizer-expectations';

describe('FinalizerExpectations', () => {
  it('tracks pending uids per Job until observed', () => {
    const e = new FinalizerExpectations();
    e.expect('ns/a', ['u1', 'u2']);
    expect(e.pending('ns/a')).toEqual(new Set(['u1', 'u2']));
    e.observed('u1');
    expect(e.pending('ns/a')).toEqual(new Set(['u2']));
    e.delete('ns/a');
    expect(e.pending('ns/a')).toEqual(new Set());
    expect(e.size).toBe(0);
  });

  it('clears a uid by itself: a pod released (no controller any more) while its removal is pending leaks nothing', () => {
    const e = new FinalizerExpectations();
    e.expect('ns/a', ['u1']);
    // The pod's update arrives without the Job's controller reference: only its uid is known.
    e.observed('u1');
    expect(e.pending('ns/a')).toEqual(new Set());
    expect(e.size).toBe(0);
  });

  it('a uid expected by another Job moves there', () => {
    const e = new FinalizerExpectations();
    e.expect('ns/a', ['u1']);
    e.expect('ns/b', ['u1']);
    expect(e.pending('ns/a')).toEqual(new Set());
    e.observed('u1');
    expect(e.size).toBe(0);
  });
});
