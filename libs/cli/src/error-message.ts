/**
 * Turns any error into the one line the CLI prints on stderr (`error: ...`), as kubectl words
 * them: invalid objects with the field path and detail, unreachable servers with the address.
 */
import { InvalidError, NotFoundError, UnavailableError } from '@skiff/api';

/** What the failing call was about, to name it in the message. */
export interface ErrorSubject {
  /** "pods" */
  resource?: string;
  /** "Pod" */
  kind?: string;
  name?: string;
  /** The manifest "file.yaml#2" the object came from. */
  source?: string;
  /** The server address, for connection errors. */
  server?: string;
}

/** True for "the server cannot be reached" errors: there is no point going on. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof UnavailableError) return true;
  const code = (err as { code?: unknown })?.code;
  return code === 14 || code === 'ECONNREFUSED';
}

/** The error line, without the trailing newline: "error: ...". */
export function errorLine(err: unknown, subject: ErrorSubject = {}): string {
  const message = err instanceof Error ? err.message : String(err);
  const from = subject.source && !message.includes(subject.source) ? `${subject.source}: ` : '';
  if (isUnavailable(err)) {
    const where = subject.server ? ` ${subject.server}` : '';
    return `error: the connection to the server${where} failed (${message.replace(/\.? *Resolution note:.*$/, '')}) - is the apiserver running (npm start), and is the address right?`;
  }
  if (err instanceof NotFoundError && subject.resource && subject.name) {
    return `error: ${from}${subject.resource} "${subject.name}" not found`;
  }
  if (err instanceof InvalidError && subject.kind && subject.name && !message.includes(' is invalid: ')) {
    return `error: ${from}${subject.kind} "${subject.name}" is invalid: ${message}`;
  }
  return `error: ${from}${message}`;
}
