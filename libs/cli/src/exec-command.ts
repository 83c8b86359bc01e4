/**
 * `skiff exec POD [-c CONTAINER] -- COMMAND [ARGS...]`: runs a command in a container through
 * the apiserver and the pod's kubelet, relaying its stdout and stderr; exits with the command's
 * exit code, as kubectl does.
 */
import { CliError, type CliContext } from './cli-context';

export async function execCommand(ctx: CliContext, pod: string, command: readonly string[], options: { container?: string }): Promise<number> {
  if (command.length === 0) throw new CliError('error: you must specify at least one command for the container');
  const out = new TextDecoder();
  const err = new TextDecoder();
  let exitCode: number | undefined;
  const outputs = ctx.client().podExec(
    { namespace: ctx.namespace, name: pod.replace(/^(pods?|po)\//, ''), container: options.container ?? '', command: [...command] },
    ctx.io.signal,
  );
  for await (const { output } of outputs) {
    if (output?.$case === 'stdout') ctx.io.out(out.decode(output.value, { stream: true }));
    else if (output?.$case === 'stderr') ctx.io.err(err.decode(output.value, { stream: true }));
    else if (output?.$case === 'exitCode') exitCode = output.value;
  }
  ctx.io.out(out.decode());
  ctx.io.err(err.decode());
  if (exitCode === undefined) throw new CliError('error: the command ended without an exit code (connection lost?)');
  return exitCode;
}
