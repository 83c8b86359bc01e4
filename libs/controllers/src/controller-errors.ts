/**
 * How controllers read the errors of their API calls: the message of anything thrown (for Events
 * and logs), and whether a create was refused because its namespace is being deleted (Kubernetes'
 * NamespaceTerminatingCause: the controller gives up on that create instead of retrying).
 */
import { NamespaceTerminatingError } from '@skiff/api';

/** The message of an Error, or the thrown value as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The apiserver refused a create because the namespace is being terminated. */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof NamespaceTerminatingError;
}
