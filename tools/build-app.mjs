// Bundles one app (apps/<name>/src/main.ts) into dist/apps/<name>/main.js (see bundle.mjs).
import { bundle } from './bundle.mjs';

const name = process.argv[2];
if (!name) throw new Error('usage: node tools/build-app.mjs <app>');
await bundle(`apps/${name}/src/main.ts`, `dist/apps/${name}/main.js`, {
  'process.env.SKIFF_BUILD_COMMIT': JSON.stringify(process.env.SKIFF_BUILD_COMMIT ?? ''),
});
console.log(`built dist/apps/${name}/main.js`);
