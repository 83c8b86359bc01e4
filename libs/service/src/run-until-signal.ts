import type { Logger } from 'pino';

/**
 * Runs `main` with a signal that aborts on the first SIGTERM or SIGINT, for graceful shutdown;
 * a second signal exits at once with code 130. Sets process.exitCode to 0 when main resolves and
 * 1 when it rejects (logged). If something still holds the event loop 5 s after main returned,
 * the process exits anyway, so that a leaked handle cannot keep a stopped component alive.
 */
export async function runUntilSignal(main: (signal: AbortSignal) => Promise<void>, logger: Logger): Promise<void> {
  const ac = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (ac.signal.aborted) {
      logger.warn({ signal: name }, 'second signal: exiting now');
      process.exit(130);
    }
    logger.info({ signal: name }, 'shutting down');
    ac.abort(new DOMException(`received ${name}`, 'AbortError'));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await main(ac.signal);
    process.exitCode = 0;
    logger.info('stopped');
  } catch (err) {
    process.exitCode = 1;
    logger.error({ err }, 'failed');
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    setTimeout(() => process.exit(), 5_000).unref();
  }
}
