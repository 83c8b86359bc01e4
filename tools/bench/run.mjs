// Runs a benchmark: bundles tools/bench/<name>.ts with esbuild (workspace libs from source) and
// runs it with node. Usage: node tools/bench/run.mjs <name> [args...]   (npm run bench -- <name>)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: node tools/bench/run.mjs <name> [args...]');
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).flatMap((dep) => [dep, `${dep}/*`]);
const outfile = `tmp/bench/${name}.js`;
await build({
  entryPoints: [`tools/bench/${name}.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: 'tsconfig.base.json',
  external,
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
