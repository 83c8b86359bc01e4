/**
 * Where the CLI finds the apiserver: `--server`, else SKIFF_SERVER, else the config file
 * (`--config`, else SKIFF_CONFIG, else ~/.skiff/config: YAML `server: host:port`), else
 * 127.0.0.1:6443. Pure apart from the injected file reader.
 */
import { join } from 'node:path';
import { parse } from 'yaml';

export const DEFAULT_SERVER = '127.0.0.1:6443';

export interface ConfigInputs {
  /** --server */
  server?: string;
  /** --config */
  config?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (for ~/.skiff/config). */
  home: string;
  /** Reads a file's text; returns undefined when it does not exist (other errors throw). */
  readFile(path: string): string | undefined;
}

export interface ResolvedServer {
  /** "host:port" */
  server: string;
  /** Where it came from, for `skiff version` and error messages: "--server", "SKIFF_SERVER", a file, "default". */
  source: string;
}

/** Strips a scheme some users will type ("http://", "grpc://") and a trailing slash. */
export function normalizeAddress(address: string): string {
  return address.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

/**
 * Resolves the server address. Throws an Error naming the file when an explicitly given config
 * file (--config or SKIFF_CONFIG) is missing or is not YAML with a string `server`.
 */
export function resolveServer(inputs: ConfigInputs): ResolvedServer {
  if (inputs.server) return { server: normalizeAddress(inputs.server), source: '--server' };
  if (inputs.env.SKIFF_SERVER) return { server: normalizeAddress(inputs.env.SKIFF_SERVER), source: 'SKIFF_SERVER' };
  const explicit = inputs.config || inputs.env.SKIFF_CONFIG;
  const path = explicit || join(inputs.home, '.skiff', 'config');
  const text = inputs.readFile(path);
  if (text === undefined) {
    if (explicit) throw new Error(`config file ${path} does not exist`);
    return { server: DEFAULT_SERVER, source: 'default' };
  }
  let config: unknown;
  try {
    config = parse(text);
  } catch (err) {
    throw new Error(`config file ${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (config === null || config === undefined) return { server: DEFAULT_SERVER, source: 'default' };
  const server = (config as { server?: unknown }).server;
  if (typeof config !== 'object' || (server !== undefined && typeof server !== 'string')) {
    throw new Error(`config file ${path}: expected "server: host:port"`);
  }
  return server ? { server: normalizeAddress(server), source: path } : { server: DEFAULT_SERVER, source: 'default' };
}
