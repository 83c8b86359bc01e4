/**
 * `skiff logs POD [-c CONTAINER] [-f] [--previous] [--tail N] [--timestamps]`: a container's
 * output, streamed from its node's kubelet through the apiserver; `-f` follows until the
 * container ends or Ctrl-C.
 */
import { CliError, type CliContext } from './cli-context';

export interface LogsOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  timestamps?: boolean;
}

export async function logsCommand(ctx: CliContext, pod: string, options: LogsOptions): Promise<number> {
  const tail = options.tail === undefined ? undefined : Number(options.tail);
  if (tail !== undefined && !Number.isInteger(tail)) throw new CliError(`error: invalid --tail "${options.tail}": must be a whole number (-1: all)`);
  const decoder = new TextDecoder();
  const chunks = ctx.client().podLogs(
    {
      namespace: ctx.namespace,
      name: pod.replace(/^(pods?|po)\//, ''),
      container: options.container ?? '',
      follow: Boolean(options.follow),
      previous: Boolean(options.previous),
      tailLines: tail === undefined || tail < 0 ? undefined : tail,
      timestamps: Boolean(options.timestamps),
    },
    ctx.io.signal,
  );
  for await (const chunk of chunks) ctx.io.out(decoder.decode(chunk.data, { stream: true }));
  ctx.io.out(decoder.decode());
  return 0;
}
