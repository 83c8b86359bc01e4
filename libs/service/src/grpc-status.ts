import { ApiError, GRPC_CODE } from '@skiff/api';

/** A gRPC status as sent on the wire for a failed call. */
export interface GrpcStatus {
  code: number;
  details: string;
  /** True when the error was not one of the API's typed errors (a bug or an infrastructure failure). */
  unexpected: boolean;
}

/**
 * Maps a thrown error to the gRPC status a server sends. This is the only place in Skiff that
 * makes that mapping: ApiError subclasses keep their code and message; an aborted call (client
 * cancelled, server stopping) is CANCELLED; anything else is INTERNAL with its message and is
 * flagged `unexpected` so the caller logs it.
 */
export function grpcStatusOf(err: unknown): GrpcStatus {
  if (err instanceof ApiError) return { code: err.code, details: err.message, unexpected: false };
  // DOMException is not always an Error subclass across realms: test the name.
  if (typeof err === 'object' && err !== null && (err as Error).name === 'AbortError') {
    return { code: GRPC_CODE.CANCELLED, details: (err as Error).message || 'cancelled', unexpected: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: GRPC_CODE.INTERNAL, details: `internal error: ${message}`, unexpected: true };
}

const NAMES = Object.fromEntries(Object.entries(GRPC_CODE).map(([name, code]) => [code, name])) as Record<number, string>;

/** "OK", "NOT_FOUND", ... for a numeric gRPC code (for metric labels and logs). */
export function grpcCodeName(code: number): string {
  return NAMES[code] ?? String(code);
}
