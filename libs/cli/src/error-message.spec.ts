import { InvalidError, NotFoundError, UnavailableError } from '@skiff/api';
import { errorLine } from './error-message';

describe('errorLine', () => {
  it('names the field path and detail of an invalid object, once', () => {
    const err = new InvalidError([{ field: 'spec.containers[0].image', detail: 'required' }]);
    expect(errorLine(err, { kind: 'Pod', name: 'web', source: 'pod.yaml#1' })).toBe('error: pod.yaml#1: Pod "web" is invalid: spec.containers[0].image: required');
    const fromServer = new InvalidError([{ field: 'x', detail: 'bad' }], 'Pod "web" is invalid');
    expect(errorLine(fromServer, { kind: 'Pod', name: 'web' })).toBe('error: Pod "web" is invalid: x: bad');
  });

  it('does not repeat a source the message already names', () => {
    const err = new InvalidError([{ field: 'spec.imagee', detail: 'unknown field' }], 'a.yaml#2');
    expect(errorLine(err, { source: 'a.yaml#2' })).toBe('error: a.yaml#2: spec.imagee: unknown field');
  });

  it('words not-found and unreachable errors like kubectl', () => {
    expect(errorLine(new NotFoundError('x'), { resource: 'pods', name: 'web' })).toBe('error: pods "web" not found');
    expect(errorLine(new UnavailableError('connect ECONNREFUSED. Resolution note: x'), { server: '127.0.0.1:1' })).toMatch(/^error: the connection to the server 127\.0\.0\.1:1 failed \(connect ECONNREFUSED\)/);
  });
});
