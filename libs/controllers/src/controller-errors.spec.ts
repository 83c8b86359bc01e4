import { errorFromStatus, ForbiddenError, GRPC_CODE, NamespaceTerminatingError } from '@skiff/api';
import { errorMessage, isNamespaceTerminating } from './controller-errors';

describe('controller errors', () => {
  it('recognises a namespace-terminating refusal by its class, also after the wire', () => {
    const sent = new NamespaceTerminatingError('busy');
    const received = errorFromStatus(sent.code, sent.message);
    expect(received).toBeInstanceOf(NamespaceTerminatingError);
    expect(received).toBeInstanceOf(ForbiddenError);
    expect(isNamespaceTerminating(received)).toBe(true);
    expect(isNamespaceTerminating(errorFromStatus(GRPC_CODE.PERMISSION_DENIED, 'namespaces "kube-system" is forbidden: this namespace may not be deleted'))).toBe(false);
    expect(isNamespaceTerminating(new Error('unable to create new content in namespace "x" because it is being terminated'))).toBe(false);
  });

  it('errorMessage reads Errors and anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(42)).toBe('42');
  });
});
