/**
 * Expands `-f` arguments into manifest texts, as kubectl does: a file, `-` for stdin, or a
 * directory's *.yaml, *.yml and *.json files (not recursive), sorted by name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface ManifestSource {
  /** The file path as given (or joined with its directory), "STDIN" for `-`. */
  source: string;
  text: string;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads every manifest named by `paths`, in order. Throws an Error naming the path when it does
 * not exist or cannot be read.
 */
export async function readManifestSources(paths: readonly string[], readStdin: () => Promise<string>): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ source: 'STDIN', text: await readStdin() });
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new Error(`the path "${path}" does not exist`);
    }
    const files = isDirectory
      ? readdirSync(path)
          .filter((name) => MANIFEST_EXTENSIONS.has(extname(name).toLowerCase()))
          .sort()
          .map((name) => join(path, name))
      : [path];
    for (const file of files) sources.push({ source: file, text: readFileSync(file, 'utf8') });
  }
  return sources;
}
