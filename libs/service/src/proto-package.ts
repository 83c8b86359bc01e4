import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/**
 * Loads .proto files (relative to `includeDir`) into a package definition with their file
 * descriptors, as server reflection needs. Throws when a file is missing or does not parse.
 */
export function loadProtoPackage(includeDir: string, files: readonly string[]): PackageDefinition {
  return loadSync([...files], { includeDirs: [includeDir], keepCase: true, longs: String, enums: String, defaults: false, oneofs: true });
}

/**
 * Finds the folder holding `relativeFile` (e.g. "proto/skiff/api/v1/api.proto") by walking up
 * from each start directory; returns the folder that contains the file's first path segment's
 * parent, or undefined when no start directory has it above it.
 */
export function findUpwards(relativeFile: string, startDirs: readonly string[]): string | undefined {
  for (const start of startDirs) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, relativeFile))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

/**
 * The version in the nearest package.json above `startDir` (the workspace's, for bundled apps
 * in dist/apps/<name>/ and for sources alike); "0.0.0" when there is none.
 */
export function packageVersion(startDir: string): string {
  const dir = findUpwards('package.json', [startDir]);
  if (!dir) return '0.0.0';
  try {
    return String((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0');
  } catch {
    return '0.0.0';
  }
}
