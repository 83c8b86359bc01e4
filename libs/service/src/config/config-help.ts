/** --help of a component: every key with its type, default, env var, file key and help. Pure. */
import { COMMON_KEYS, CONFIG_FILE_ENV, envName, flagName, type ComponentSchema, type ConfigKey, type ConfigKeys } from './config-schema';

function defaultText(k: ConfigKey<unknown>): string {
  if (k.required) return 'required';
  if (k.defaultText !== undefined) return `default ${k.defaultText}`;
  if (k.default === undefined) return 'default unset';
  const text = k.type.format(k.default);
  return text === '' ? 'default empty' : `default ${text}`;
}

/** The help text (ends with a newline). */
export function configHelp<K extends ConfigKeys>(schema: ComponentSchema<K>): string {
  const keys: ConfigKeys = { ...schema.keys, ...COMMON_KEYS };
  const lines = [
    `Usage: skiff-${schema.name} [--flag value]... [--config file.yaml]`,
    '',
    schema.description,
    '',
    'Each setting is a flag, an environment variable or a key of the YAML config file (--config, or',
    `${CONFIG_FILE_ENV}); a flag wins over the environment, the environment over the file, the file over`,
    'the default. Durations are seconds ("90", "0.5") or Go durations ("1m30s", "500ms"); lists are',
    'comma separated (YAML lists in the file); an empty value unsets a setting whose default is "unset".',
    '',
    'Settings:',
  ];
  for (const [name, k] of Object.entries(keys)) {
    const value = k.type.bare !== undefined ? `[${k.type.name}]` : `<${k.type.name}>`;
    lines.push(`  ${flagName(name)} ${value}`, `      ${k.help} (${defaultText(k)}; env ${envName(name)}; file ${name})`);
  }
  lines.push(
    '  --config <path>',
    `      the YAML config file; its keys are the settings' file names above (env ${CONFIG_FILE_ENV})`,
    '  -h, --help',
    '      print this help and exit',
    '  --version',
    '      print the version and exit',
  );
  return `${lines.join('\n')}\n`;
}
