/**
 * The API's error hierarchy. Code throws these; the server edge maps them to gRPC status codes
 * (GRPC_CODE below) and the client maps status codes back (errorFromStatus), so both sides speak
 * in these classes and only the edges know about gRPC.
 */

/** gRPC status codes, as numbers (the same values as @grpc/grpc-js's `status`). */
export const GRPC_CODE = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export abstract class ApiError extends Error {
  abstract readonly code: number;
}

export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';
  readonly code = GRPC_CODE.NOT_FOUND;
}

export class AlreadyExistsError extends ApiError {
  override readonly name = 'AlreadyExistsError';
  readonly code = GRPC_CODE.ALREADY_EXISTS;
}

/** A compare-and-swap lost: the object changed since the caller read it (resourceVersion, uid). */
export class ConflictError extends ApiError {
  override readonly name = 'ConflictError';
  readonly code = GRPC_CODE.ABORTED;
}

/** The requested revision has been compacted away; list again and watch from the new revision. */
export class CompactedError extends ApiError {
  override readonly name = 'CompactedError';
  readonly code = GRPC_CODE.OUT_OF_RANGE;
}

/** The request is valid but the state does not allow it (e.g. namespace is terminating). */
export class FailedPreconditionError extends ApiError {
  override readonly name = 'FailedPreconditionError';
  readonly code = GRPC_CODE.FAILED_PRECONDITION;
}

/** The request is refused as a matter of policy (Kubernetes' 403 Forbidden): a system namespace cannot be deleted, nothing new goes into a terminating namespace. */
export class ForbiddenError extends ApiError {
  override readonly name: string = 'ForbiddenError';
  readonly code = GRPC_CODE.PERMISSION_DENIED;
}

/** What a NamespaceTerminatingError's message says (the only part that crosses the wire). */
const NAMESPACE_TERMINATING = 'because it is being terminated';

/**
 * Nothing new goes into a namespace being deleted (Kubernetes' 403 with the
 * NamespaceTerminatingCause). A ForbiddenError; the client recognises it by its message.
 */
export class NamespaceTerminatingError extends ForbiddenError {
  override readonly name: string = 'NamespaceTerminatingError';
  constructor(namespace: string, options?: ErrorOptions) {
    super(`unable to create new content in namespace "${namespace}" ${NAMESPACE_TERMINATING}`, options);
  }
}

/**
 * The request is refused for now and may succeed later (Kubernetes' 429 TooManyRequests): an
 * eviction that a PodDisruptionBudget does not allow yet.
 */
export class TooManyRequestsError extends ApiError {
  override readonly name = 'TooManyRequestsError';
  readonly code = GRPC_CODE.RESOURCE_EXHAUSTED;
}

export class UnavailableError extends ApiError {
  override readonly name = 'UnavailableError';
  readonly code = GRPC_CODE.UNAVAILABLE;
}

export interface FieldError {
  /** "spec.containers[0].image" */
  field: string;
  /** "required", "must be no more than 63 characters", ... */
  detail: string;
}

/** Invalid input. The message lists every field error as "path: detail", joined by "; ". */
export class InvalidError extends ApiError {
  override readonly name = 'InvalidError';
  readonly code = GRPC_CODE.INVALID_ARGUMENT;
  constructor(
    readonly fields: readonly FieldError[],
    prefix?: string,
  ) {
    super((prefix ? `${prefix}: ` : '') + fields.map((f) => `${f.field}: ${f.detail}`).join('; '));
  }
}

/** Rebuilds the error class from a gRPC status code and message (client side). */
export function errorFromStatus(code: number, message: string): Error {
  switch (code) {
    case GRPC_CODE.NOT_FOUND:
      return new NotFoundError(message);
    case GRPC_CODE.ALREADY_EXISTS:
      return new AlreadyExistsError(message);
    case GRPC_CODE.ABORTED:
      return new ConflictError(message);
    case GRPC_CODE.OUT_OF_RANGE:
      return new CompactedError(message);
    case GRPC_CODE.FAILED_PRECONDITION:
      return new FailedPreconditionError(message);
    case GRPC_CODE.PERMISSION_DENIED: {
      const terminating = /namespace "([^"]*)" because it is being terminated/.exec(message);
      return terminating ? new NamespaceTerminatingError(terminating[1]) : new ForbiddenError(message);
    }
    case GRPC_CODE.UNAVAILABLE:
      return new UnavailableError(message);
    case GRPC_CODE.RESOURCE_EXHAUSTED:
      return new TooManyRequestsError(message);
    case GRPC_CODE.INVALID_ARGUMENT: {
      const fields = message.split('; ').map((part) => {
        const colon = part.indexOf(': ');
        return colon < 0 ? { field: '', detail: part } : { field: part.slice(0, colon), detail: part.slice(colon + 2) };
      });
      return new InvalidError(fields);
    }
    default:
      return Object.assign(new Error(message), { code });
  }
}
