/**
 * What a CLI command runs with: the resolved options, the client, output streams, a clock and
 * the Ctrl-C signal. Commands print through `out`/`err` only, so that tests and the binary share them.
 */
import type { SkiffClient } from '@skiff/client';

export interface CliIo {
  /** Writes text to stdout as is (add the newline yourself). */
  out(text: string): void;
  /** Writes text to stderr as is. */
  err(text: string): void;
  readStdin(): Promise<string>;
  now(): Date;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: watches end, waits stop. */
  signal: AbortSignal;
}

/** Opens a client to "host:port". */
export type Connect = (address: string) => SkiffClient;

export interface CliContext {
  io: CliIo;
  /** The namespace from -n, or "default". */
  namespace: string;
  /** True when -n was given explicitly. */
  namespaceExplicit: boolean;
  allNamespaces: boolean;
  server: string;
  /** Lazily connected client (commands that need no server never connect). */
  client(): SkiffClient;
}

/** Thrown by commands for a failure already worth one `error: ...` line; exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The line for "No resources found", as kubectl words it. */
export function noResourcesMessage(ctx: CliContext, namespaced: boolean): string {
  return ctx.allNamespaces || !namespaced ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`;
}
