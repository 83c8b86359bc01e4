import { AlreadyExistsError, CompactedError, ConflictError, GRPC_CODE, InvalidError, NotFoundError } from '@skiff/api';
import { grpcCodeName, grpcStatusOf } from './grpc-status';

describe('grpcStatusOf', () => {
  it.each([
    [new NotFoundError('pods "a" not found'), GRPC_CODE.NOT_FOUND],
    [new AlreadyExistsError('exists'), GRPC_CODE.ALREADY_EXISTS],
    [new ConflictError('stale'), GRPC_CODE.ABORTED],
    [new CompactedError('gone'), GRPC_CODE.OUT_OF_RANGE],
  ])('keeps the code and message of %p', (err, code) => {
    expect(grpcStatusOf(err)).toEqual({ code, details: err.message, unexpected: false });
  });

  it('keeps the field list of an InvalidError', () => {
    const status = grpcStatusOf(new InvalidError([{ field: 'spec.containers[0].image', detail: 'required' }]));
    expect(status.code).toBe(GRPC_CODE.INVALID_ARGUMENT);
    expect(status.details).toBe('spec.containers[0].image: required');
  });

  it('maps an abort to CANCELLED', () => {
    const ac = new AbortController();
    ac.abort();
    let caught: unknown;
    try {
      ac.signal.throwIfAborted();
    } catch (err) {
      caught = err;
    }
    expect(grpcStatusOf(caught).code).toBe(GRPC_CODE.CANCELLED);
  });

  it('maps unknown errors to INTERNAL and flags them', () => {
    expect(grpcStatusOf(new TypeError('x is undefined'))).toEqual({ code: GRPC_CODE.INTERNAL, details: 'internal error: x is undefined', unexpected: true });
    expect(grpcStatusOf('boom').code).toBe(GRPC_CODE.INTERNAL);
  });

  it('names codes', () => {
    expect(grpcCodeName(0)).toBe('OK');
    expect(grpcCodeName(10)).toBe('ABORTED');
    expect(grpcCodeName(99)).toBe('99');
  });
});
