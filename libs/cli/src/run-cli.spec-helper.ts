/**
 * For the CLI's integration specs: runs the CLI in-process against a real apiserver at `server`,
 * as a user's shell would (no stdin, no config file), capturing what it prints.
 */
import { connect, type SkiffClient } from '@skiff/client';
import { runCli } from './program';

export interface CliHooks {
  /** Called when the CLI opens a watch (after its first read), with the resource watched. */
  onWatch?(resource: string): void;
}

/** The real client, telling `hooks` when a watch is opened (so a spec can wait for it). */
function observed(client: SkiffClient, hooks: CliHooks): SkiffClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'watch' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        hooks.onWatch?.(String(args[0]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export async function runCliAgainst(server: string, argv: readonly string[], hooks: CliHooks = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (t: string) => void (out += t),
    err: (t: string) => void (err += t),
    readStdin: async () => '',
    now: () => new Date(),
    env: { SKIFF_SERVER: server },
    home: '/nonexistent',
    signal: new AbortController().signal,
  };
  const code = await runCli(argv, io, (address) => observed(connect(address), hooks));
  return { code, out, err };
}
