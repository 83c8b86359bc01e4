// The one esbuild setup for Skiff's Node programs (apps, benchmarks): workspace libs bundled
// from source through tsconfig paths, npm packages left external (installed beside the bundle).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).flatMap((dep) => [dep, `${dep}/*`]);

/** Bundles `entry` (a .ts file) into `outfile` (CommonJS for Node 20, with a source map). */
export async function bundle(entry, outfile, define = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    tsconfig: 'tsconfig.base.json',
    external,
    logLevel: 'warning',
    define,
  });
}
