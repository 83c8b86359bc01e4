import { existsSync } from 'node:fs';
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
