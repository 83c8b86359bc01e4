/**
 * The one configuration scheme of every Skiff component: a component declares each key once
 * (type, default, help, extra check) under its camelCase name; the same key is
 *
 *   flag      --node-ip            (kebab-case of the name)
 *   env var   SKIFF_NODE_IP        (SKIFF_ + upper snake case of the flag)
 *   file key  nodeIp               (the name, in the YAML file given by --config or SKIFF_CONFIG)
 *
 * and the first of flag > env var > file > default that is set wins (see config-loader.ts).
 */
import type { ConfigType } from './config-types';
import { enumType } from './config-types';

export interface ConfigKey<V> {
  readonly type: ConfigType<unknown>;
  readonly help: string;
  /** The value when no source sets the key. */
  readonly default?: unknown;
  /** The default as --help shows it, when it is not a plain value ("<node-ip>:10250"). */
  readonly defaultText?: string;
  /** No default: a source must set it. */
  readonly required: boolean;
  /** The key may be unset (undefined); an empty flag, env var or file value unsets it. */
  readonly optional: boolean;
  /** More validation of a parsed value (a lib's parser); throws Error(problem). */
  readonly check?: (value: never) => unknown;
  /** Type-level only: the value's type. */
  readonly __value?: V;
}

interface KeyOptions<T> {
  help: string;
  check?: (value: NoInfer<T>) => unknown;
}

/** A key with a default: its value is always set. */
export function key<T>(type: ConfigType<T>, options: KeyOptions<T> & { default: NoInfer<T> }): ConfigKey<T>;
/** A key with no default that a source must set (e.g. the kubelet's --node-name). */
export function key<T>(type: ConfigType<T>, options: KeyOptions<T> & { required: true }): ConfigKey<T>;
/** A key that may be unset (undefined): an empty value unsets it, even when it has a default. */
export function key<T>(type: ConfigType<T>, options: KeyOptions<T> & { optional: true; default?: NoInfer<T>; defaultText?: string }): ConfigKey<T | undefined>;
export function key<T>(
  type: ConfigType<T>,
  options: KeyOptions<T> & { default?: T; required?: boolean; optional?: boolean; defaultText?: string },
): ConfigKey<T | undefined> {
  return {
    type: type as ConfigType<unknown>,
    help: options.help,
    default: options.default,
    defaultText: options.defaultText,
    required: options.required ?? false,
    optional: options.optional ?? false,
    check: options.check as ((value: never) => unknown) | undefined,
  };
}

export type ConfigKeys = Record<string, ConfigKey<unknown>>;

/** The parsed configuration of a set of keys. */
export type ConfigValues<K extends ConfigKeys> = { -readonly [P in keyof K]: K[P] extends ConfigKey<infer V> ? V : never };

/** Where a key's value came from. */
export type ConfigSource = { kind: 'flag' } | { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'default' };

/** The log levels of --log-level (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Keys every component has; added to each component's own. */
export const COMMON_KEYS = {
  logLevel: key(enumType(LOG_LEVELS), { default: 'info', help: 'log level' }),
};

export type CommonKeys = typeof COMMON_KEYS;

export interface ComponentSchema<K extends ConfigKeys> {
  /** "apiserver": messages start with "skiff-apiserver: ". */
  name: string;
  /** One line for --help. */
  description: string;
  keys: K;
  /**
   * Checks across keys, after each key is valid: returns what is wrong (naming the keys with
   * `describe`, e.g. `--listen "a:1" (flag)`) or undefined.
   */
  check?: (values: ConfigValues<K & CommonKeys>, describe: (key: keyof K & string) => string) => string | undefined;
}

/** Declares a component's configuration (typed; COMMON_KEYS are added by the loader). */
export function defineComponent<K extends ConfigKeys>(schema: ComponentSchema<K>): ComponentSchema<K> {
  for (const name of Object.keys(schema.keys)) {
    if (!/^[a-z][a-zA-Z0-9]*$/.test(name) || /[A-Z]{2}/.test(name)) throw new Error(`config key "${name}" must be camelCase without runs of capitals (nodeIp, not nodeIP)`);
    if (['config', 'help', 'version'].includes(name) || name in COMMON_KEYS) throw new Error(`config key "${name}" is reserved`);
  }
  return schema;
}

/** The flag of a key: nodeIp -> "--node-ip". */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The environment variable of a key: nodeIp -> "SKIFF_NODE_IP". */
export function envName(key: string): string {
  return `SKIFF_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The environment variable naming the config file when --config is not given. */
export const CONFIG_FILE_ENV = 'SKIFF_CONFIG';
