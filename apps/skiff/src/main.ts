// The skiff CLI: wires the process (argv, stdio, env, Ctrl-C) to @skiff/cli and exits with its code.
import { homedir } from 'node:os';
import { connect } from '@skiff/client';
import { runCli } from '@skiff/cli';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

runCli(
  process.argv.slice(2),
  {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readStdin,
    now: () => new Date(),
    env: process.env,
    home: homedir(),
    signal: controller.signal,
  },
  (address) => connect(address),
).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
