/**
 * The apps tests run as processes: dist/apps/<name>/main.js, built on demand from the sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root (the folder holding tools/build-app.mjs), found upwards from this file, bundled or not. */
export function repoRoot(): string {
  for (let dir = resolve(__dirname); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tools/build-app.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the repository root (tools/build-app.mjs)');
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'gen') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const builtApps = new Map<string, string>();

/**
 * Builds dist/apps/<name>/main.js when it is missing or older than any source it bundles
 * (apps/<name> and libs), once per process; a lock directory keeps parallel jest workers from
 * building the same app at the same time. Returns the path of main.js.
 */
export function ensureAppBuilt(name: string): string {
  const done = builtApps.get(name);
  if (done) return done;
  const root = repoRoot();
  const main = join(root, `dist/apps/${name}/main.js`);
  const stale = () =>
    !existsSync(main) ||
    statSync(main).mtimeMs < Math.max(newestSource(join(root, 'libs')), newestSource(join(root, `apps/${name}`)), statSync(join(root, 'package.json')).mtimeMs);
  if (stale()) {
    mkdirSync(join(root, 'dist'), { recursive: true });
    const lock = join(root, `dist/.${name}-build.lock`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        if (Date.now() > deadline) rmdirSync(lock); // a crashed builder left it behind
        execFileSync('sleep', ['0.1']);
      }
    }
    try {
      if (stale()) execFileSync(process.execPath, ['tools/build-app.mjs', name], { cwd: root, stdio: 'pipe' });
    } finally {
      rmdirSync(lock);
    }
  }
  builtApps.set(name, main);
  return main;
}
