// Bundles one app (apps/<name>/src/main.ts) with esbuild into dist/apps/<name>/main.js.
// Workspace libs are bundled from source; npm packages stay external (installed beside it).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const name = process.argv[2];
if (!name) throw new Error('usage: node tools/build-app.mjs <app>');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).flatMap((dep) => [dep, `${dep}/*`]);

await build({
  entryPoints: [`apps/${name}/src/main.ts`],
  outfile: `dist/apps/${name}/main.js`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  external,
  logLevel: 'warning',
  define: { 'process.env.SKIFF_BUILD_COMMIT': JSON.stringify(process.env.SKIFF_BUILD_COMMIT ?? '') },
});
console.log(`built dist/apps/${name}/main.js`);
