/**
 * A container's termination message (Kubernetes' getTerminationMessage and
 * readLastStringFromContainerLogs), read once the container has exited and shown in
 * `state.terminated.message` / `lastState.terminated.message`:
 *
 *   policy File (default) ───────────────> the last 4096 bytes of the file the container wrote at
 *                                          terminationMessagePath (its host side: `hostFile`);
 *                                          '' when there is none
 *   policy FallbackToLogsOnError ────────> the same; when that is empty (or missing) and the
 *                                          container failed (exit code != 0) after it ran (not a
 *                                          failed start, which has no logs): the last 80 lines of
 *                                          its output, at most 2048 bytes of them
 *   the file cannot be read (not missing) ─> "Error on reading termination log <path>: <why>"
 *
 * The runtime's own message (why a start failed) comes first: "<runtime message>: <message>".
 */
import { open } from 'node:fs/promises';

/** Kubernetes' MaxContainerTerminationMessageLength. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
/** Kubernetes' MaxContainerTerminationMessageLogLines and MaxContainerTerminationMessageLogLength. */
export const FALLBACK_LOG_LINES = 80;
export const FALLBACK_LOG_BYTES = 2048;

export interface TerminationMessageInput {
  /** The host file bind-mounted at terminationMessagePath; undefined: none was mounted. */
  hostFile?: string;
  /** terminationMessagePolicy: File (default) or FallbackToLogsOnError. */
  policy: string;
  exitCode: number;
  /** The runtime's reason for the exit (StartError: the container never ran). */
  reason?: string;
  /** The container's last output (lastLogText over its last FALLBACK_LOG_LINES lines). */
  logsTail: () => Promise<string>;
}

/** Whether the logs stand in for an empty message: FallbackToLogsOnError, and the container ran and failed. */
export function fallsBackToLogs(policy: string, exitCode: number, reason?: string): boolean {
  return policy === 'FallbackToLogsOnError' && exitCode !== 0 && reason !== 'StartError';
}

/**
 * The fallback text from a container's output (already its last FALLBACK_LOG_LINES lines, as
 * the runtime's tail gives them): the first FALLBACK_LOG_BYTES bytes of it, as Kubernetes'
 * log reader with LimitBytes.
 */
export function lastLogText(output: Buffer, maxBytes = FALLBACK_LOG_BYTES): string {
  return output.subarray(0, maxBytes).toString('utf8');
}

/** "<runtime message>: <termination message>", either alone when the other is empty. */
export function withTerminationMessage(runtimeMessage: string | undefined, message: string): string {
  if (!message) return runtimeMessage ?? '';
  return runtimeMessage ? `${runtimeMessage}: ${message}` : message;
}

/** The last `maxBytes` bytes of a file. Throws the file system's error (ENOENT when it is missing). */
export async function readFileTail(path: string, maxBytes = MAX_TERMINATION_MESSAGE_BYTES): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}

/** The termination message of an exited container (see the module comment). Never throws for a file it cannot read. */
export async function readTerminationMessage(input: TerminationMessageInput): Promise<string> {
  const fallback = fallsBackToLogs(input.policy, input.exitCode, input.reason);
  if (!input.hostFile) return fallback ? input.logsTail() : '';
  let data: string;
  try {
    data = await readFileTail(input.hostFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback ? input.logsTail() : '';
    return `Error on reading termination log ${input.hostFile}: ${(err as Error).message}`;
  }
  return data.length === 0 && fallback ? input.logsTail() : data;
}
