/**
 * For the CLI's integration specs: runs the CLI in-process against a real apiserver at `server`,
 * as a user's shell would (no stdin, no config file), capturing what it prints.
 */
import { connect } from '@skiff/client';
import { runCli } from './program';

export async function runCliAgainst(server: string, argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
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
  const code = await runCli(argv, io, (address) => connect(address));
  return { code, out, err };
}
