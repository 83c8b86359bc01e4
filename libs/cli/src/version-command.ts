/** `skiff version`: the client's version and, unless --client, the server's. */
import type { CliContext } from './cli-context';
import { CLIENT_COMMIT, CLIENT_VERSION } from './client-version';
import { errorLine } from './error-message';

/** Prints "Client Version: v0.1.0" and "Server Version: ..."; exit 1 when the server does not answer. */
export async function versionCommand(ctx: CliContext, options: { client?: boolean }): Promise<number> {
  ctx.io.out(`Client Version: ${CLIENT_VERSION}${CLIENT_COMMIT ? ` (${CLIENT_COMMIT.slice(0, 12)})` : ''}\n`);
  if (options.client) return 0;
  try {
    const server = await ctx.client().version({ signal: ctx.io.signal, timeoutMs: 5_000 });
    ctx.io.out(`Server Version: ${server.version}${server.gitCommit ? ` (${server.gitCommit.slice(0, 12)})` : ''}\n`);
    return 0;
  } catch (err) {
    ctx.io.err(`${errorLine(err, { server: ctx.server })}\n`);
    return 1;
  }
}
