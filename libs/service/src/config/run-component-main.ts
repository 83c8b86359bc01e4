/**
 * The one start-up path of every component's main (k3s' shape: declare the keys, then run):
 *
 *   argv + env + config file ──loadConfig──> --help / --version: print, exit 0
 *                                       └──> a problem: ONE line "skiff-<name>: <problem>" on stderr, exit 1
 *                                       └──> values ──> logger at --log-level ──> runUntilSignal(run)
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { createLogger } from '../logger';
import { packageVersion } from '../proto-package';
import { runUntilSignal } from '../run-until-signal';
import { ConfigError, loadConfig, type ConfigInput } from './config-loader';
import type { CommonKeys, ComponentSchema, ConfigKeys, ConfigValues } from './config-schema';

export interface ComponentRunContext {
  logger: Logger;
  signal: AbortSignal;
  /** The package version (what --version prints). */
  version: string;
}

/**
 * Loads the component's configuration from this process (argv, env, --config / SKIFF_CONFIG)
 * and runs `run` until SIGTERM/SIGINT (see runUntilSignal: exit code 0 when it resolves, 1 when
 * it rejects). A configuration problem ends the process before anything starts: one line on
 * stderr, exit code 1, no stack trace. `input` is for tests; it defaults to this process's.
 */
export function runComponentMain<K extends ConfigKeys>(
  schema: ComponentSchema<K>,
  run: (config: ConfigValues<K & CommonKeys>, ctx: ComponentRunContext) => Promise<void>,
  input: ConfigInput = { argv: process.argv.slice(2), env: process.env, readFile: (path) => readFileSync(path, 'utf8') },
): void {
  const version = packageVersion(__dirname);
  let loaded;
  try {
    loaded = loadConfig(schema, input);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`skiff-${schema.name}: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (loaded.kind === 'help') {
    process.stdout.write(loaded.text);
    return;
  }
  if (loaded.kind === 'version') {
    process.stdout.write(`skiff-${schema.name} ${version}\n`);
    return;
  }
  const config = loaded.values;
  const logger = createLogger(schema.name, (config as ConfigValues<CommonKeys>).logLevel);
  if (loaded.configFile) logger.info({ configFile: loaded.configFile }, 'configuration file read');
  void runUntilSignal((signal) => run(config, { logger, signal, version }), logger);
}
