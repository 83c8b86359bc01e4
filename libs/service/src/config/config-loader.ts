/**
 * Resolves a component's configuration from its sources (see config-schema.ts):
 *
 *   argv ──commander (strict: unknown flags and stray arguments are errors)──> flags
 *   --config <path> or SKIFF_CONFIG ──readFile──> YAML mapping (unknown keys are errors)
 *   for each key: flag > SKIFF_<KEY> env var > file key > default; parsed by the key's type
 *   then the component's cross-key check
 *
 * The first problem throws a ConfigError whose message is ONE line naming the key, where its
 * value came from and what is wrong. Pure apart from the injected readFile.
 */
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { configHelp } from './config-help';
import {
  COMMON_KEYS,
  CONFIG_FILE_ENV,
  envName,
  flagName,
  type CommonKeys,
  type ComponentSchema,
  type ConfigKey,
  type ConfigKeys,
  type ConfigSource,
  type ConfigValues,
} from './config-schema';

/** A configuration problem; `message` is one line ("config: --etcd \"x\": not an http(s) URL"). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigInput {
  /** The arguments after the program (process.argv.slice(2)). */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Reads the config file; throws (with a reason) when it cannot. */
  readFile: (path: string) => string;
}

export type LoadedConfig<K extends ConfigKeys> =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'config'; values: ConfigValues<K & CommonKeys>; sources: Record<keyof K | keyof CommonKeys, ConfigSource>; configFile?: string };

/** A value for messages: strings quoted, YAML values as JSON. */
function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Collapses a multi-line message into one line. */
function oneLine(text: string): string {
  return text.split('\n').map((s) => s.trim()).filter(Boolean).join(' ');
}

/** Parses argv with commander; returns the given flags' raw values (text, or true for a bare bool flag). */
function parseArgv(keys: ConfigKeys, argv: readonly string[]): { flags: Record<string, string | true>; config?: string; help: boolean; version: boolean } {
  const cmd = new Command()
    .helpOption(false)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  const attributes = new Map<string, string>();
  for (const [name, k] of Object.entries(keys)) {
    const option = new Option(k.type.bare !== undefined ? `${flagName(name)} [value]` : `${flagName(name)} <value>`);
    attributes.set(option.attributeName(), name);
    cmd.addOption(option);
  }
  cmd.option('--config <path>').option('-h, --help').option('--version');
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    throw new ConfigError(commanderProblem(err));
  }
  const opts = cmd.opts<Record<string, string | true | undefined>>();
  const flags: Record<string, string | true> = {};
  for (const [attribute, name] of attributes) {
    const value = opts[attribute];
    if (value !== undefined) flags[name] = value;
  }
  return { flags, config: opts['config'] as string | undefined, help: opts['help'] === true, version: opts['version'] === true };
}

/** commander's error as our one line. */
function commanderProblem(err: CommanderError): string {
  const message = err.message.replace(/^error: /, '');
  switch (err.code) {
    case 'commander.unknownOption': {
      const flag = /'([^']*)'/.exec(message)?.[1] ?? message;
      const suggestion = /Did you mean ([^?]+)\?/.exec(message)?.[1];
      return `config: unknown flag ${flag}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
    }
    case 'commander.optionMissingArgument':
      return `config: ${/'(--?[\w-]+)/.exec(message)?.[1] ?? message} needs a value`;
    case 'commander.excessArguments':
      return `config: unexpected argument (settings are flags: --name value)`;
    default:
      return `config: ${oneLine(message)}`;
  }
}

/** Reads and parses the YAML file into its top-level mapping; throws ConfigError. */
function readConfigFile(path: string, readFile: ConfigInput['readFile']): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError(`config file ${path}: cannot read: ${oneLine((err as Error).message)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (err) {
    throw new ConfigError(`config file ${path}: invalid YAML: ${oneLine((err as Error).message)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path}: want a mapping of keys (nodeIp: 10.0.0.5), not ${Array.isArray(doc) ? 'a list' : shown(doc)}`);
  return doc as Record<string, unknown>;
}

/** "unknown key" with a hint when the key is another spelling of a known one (node-ip, NodeIP). */
function unknownKeyProblem(path: string, name: string, known: readonly string[]): string {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const near = known.find((k) => squash(k) === squash(name));
  return `config file ${path}: unknown key ${shown(name)}${near ? ` (did you mean ${near}?)` : ''}`;
}

/** How messages name a key set by `source`, with its value: `--etcd "x"`, `SKIFF_ETCD "x"`, `etcd "x"`. */
function keyWithValue(name: string, source: ConfigSource, raw: unknown): string {
  switch (source.kind) {
    case 'flag':
      return `${flagName(name)} ${shown(raw)}`;
    case 'env':
      return `${source.name} ${shown(raw)}`;
    case 'file':
      return `${name} ${shown(raw)}`;
    case 'default':
      return `${flagName(name)} (default ${shown(raw)})`;
  }
}

/** The message prefix of a problem with a value from `source`. */
function prefix(source: ConfigSource): string {
  return source.kind === 'file' ? `config file ${source.path}:` : 'config:';
}

function describeSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'flag':
      return 'flag';
    case 'env':
      return `env ${source.name}`;
    case 'file':
      return `config file ${source.path}`;
    case 'default':
      return 'default';
  }
}

/** Parses one key's raw value from its source; throws ConfigError naming the key and source. */
function parseValue(name: string, k: ConfigKey<unknown>, source: ConfigSource, raw: unknown): unknown {
  const fail = (err: unknown): never => {
    throw new ConfigError(`${prefix(source)} ${keyWithValue(name, source, raw)}: ${oneLine((err as Error).message)}`);
  };
  const empty = raw === '' || raw === null;
  if (k.optional && empty) return undefined;
  let value: unknown;
  try {
    value = source.kind === 'file' ? k.type.fromYaml(raw) : k.type.fromText(raw === true ? (k.type.bare ?? 'true') : String(raw));
  } catch (err) {
    return fail(err);
  }
  try {
    k.check?.(value as never);
  } catch (err) {
    return fail(err);
  }
  return value;
}

/**
 * Loads the component's configuration from `input` (see the header). Returns { kind: 'help' }
 * for -h/--help and { kind: 'version' } for --version (before anything else is checked, apart
 * from unknown flags); otherwise every key's value and source. Throws ConfigError on the first
 * problem.
 */
export function loadConfig<K extends ConfigKeys>(schema: ComponentSchema<K>, input: ConfigInput): LoadedConfig<K> {
  const keys: ConfigKeys = { ...schema.keys, ...COMMON_KEYS };
  const argv = parseArgv(keys, input.argv);
  if (argv.help) return { kind: 'help', text: configHelp(schema) };
  if (argv.version) return { kind: 'version' };

  const configFile = argv.config ?? (input.env[CONFIG_FILE_ENV] || undefined);
  const file = configFile !== undefined ? readConfigFile(configFile, input.readFile) : {};
  for (const name of Object.keys(file)) {
    if (!Object.hasOwn(keys, name)) throw new ConfigError(unknownKeyProblem(configFile ?? '', name, Object.keys(keys)));
  }

  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  const raws: Record<string, unknown> = {};
  for (const [name, k] of Object.entries(keys)) {
    const env = envName(name);
    let source: ConfigSource;
    let raw: unknown;
    if (name in argv.flags) [source, raw] = [{ kind: 'flag' }, argv.flags[name]];
    else if (input.env[env] !== undefined) [source, raw] = [{ kind: 'env', name: env }, input.env[env]];
    else if (Object.hasOwn(file, name)) [source, raw] = [{ kind: 'file', path: configFile ?? '' }, file[name]];
    else {
      if (k.required) throw new ConfigError(`config: ${flagName(name)} is required (flag ${flagName(name)}, env ${env} or config file key ${name})`);
      [sources[name], values[name], raws[name]] = [{ kind: 'default' }, k.default, k.default === undefined ? undefined : k.type.format(k.default)];
      continue;
    }
    values[name] = parseValue(name, k, source, raw);
    [sources[name], raws[name]] = [source, raw === true ? 'true' : raw];
  }

  const typed = values as ConfigValues<K & CommonKeys>;
  const describe = (name: string) => `${flagName(name)} ${shown(raws[name] ?? '')} (${describeSource(sources[name])})`;
  const problem = schema.check?.(typed, describe);
  if (problem) throw new ConfigError(`config: ${oneLine(problem)}`);
  return { kind: 'config', values: typed, sources: sources as Record<keyof K | keyof CommonKeys, ConfigSource>, configFile };
}
