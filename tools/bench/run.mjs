// Runs a benchmark: bundles tools/bench/<name>.ts (see ../bundle.mjs) and runs it with node.
// Usage: node tools/bench/run.mjs <name> [args...]   (npm run bench -- <name> [args...])
import { spawnSync } from 'node:child_process';
import { bundle } from '../bundle.mjs';

const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: node tools/bench/run.mjs <name> [args...]');
  process.exit(2);
}
const outfile = `tmp/bench/${name}.js`;
await bundle(`tools/bench/${name}.ts`, outfile);
const result = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
