/**
 * `skiff set image deploy/web web=busybox:2 [sidecar=...]` ("*" for every container): kubectl's
 * set image for Deployments. Prints `deployment.apps/web image updated`; prints nothing when the
 * images are already those; an unknown container name is an error naming it.
 */
import { ConflictError, findKind } from '@skiff/api';
import { typed } from '@skiff/client';
import { CliError, type CliContext } from './cli-context';
import { parseImageArgs, withImages } from './deployment-rollout';
import { errorLine, isUnavailable } from './error-message';
import { parseResourceArgs } from './resource-args';
import { objectRef } from './resource-name';

const DEPLOYMENT = findKind('deployments')!;
const UPDATE_ATTEMPTS = 5;

/** Runs set image; `args` mixes the resource arguments and the name=image pairs, as kubectl's. */
export async function setImageCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  const resourceArgs = args.filter((a) => !a.includes('='));
  let images: Map<string, string>;
  const names: string[] = [];
  try {
    images = parseImageArgs(args.filter((a) => a.includes('=')));
    for (const { info, names: given } of parseResourceArgs(resourceArgs)) {
      if (given.length === 0) throw new Error('resource(s) were provided, but no name was specified');
      if (info !== DEPLOYMENT) throw new Error(`setting images is not supported for ${info.resource} here; use a deployment`);
      names.push(...given);
    }
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  const deployments = typed(ctx.client(), 'deployment');
  let failed = false;
  for (const name of names) {
    const ref = objectRef(DEPLOYMENT, name);
    try {
      for (let attempt = 1; ; attempt++) {
        const current = await deployments.get(ctx.namespace, name, { signal: ctx.io.signal });
        let next;
        try {
          next = withImages(current, images);
        } catch (err) {
          throw new CliError(`error: ${ref} ${(err as Error).message}`);
        }
        if (!next) break;
        try {
          await deployments.update(next, { signal: ctx.io.signal });
          ctx.io.out(`${ref} image updated\n`);
          break;
        } catch (err) {
          if (!(err instanceof ConflictError) || attempt >= UPDATE_ATTEMPTS) throw err;
        }
      }
    } catch (err) {
      if (isUnavailable(err)) throw new CliError(errorLine(err, { server: ctx.server }));
      failed = true;
      ctx.io.err(`${err instanceof CliError ? err.message : errorLine(err, { resource: 'deployments.apps', name })}\n`);
    }
  }
  return failed ? 1 : 0;
}
