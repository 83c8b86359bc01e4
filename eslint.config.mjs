import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const depConstraints = [
  // Apps are wired from libs; nothing imports an app.
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  // The etcd storage belongs to the apiserver alone.
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:cli'] },
  { sourceTag: 'scope:apiserver', onlyDependOnLibsWithTags: ['scope:shared', 'scope:apiserver'] },
  // Node agents (kubelet, runtime) use the shared model and each other.
  { sourceTag: 'scope:node', onlyDependOnLibsWithTags: ['scope:shared', 'scope:node'] },
  // Control-plane components (scheduler, controllers) see the cluster only through the shared libs.
  { sourceTag: 'scope:control', onlyDependOnLibsWithTags: ['scope:shared', 'scope:control'] },
  // The testing lib starts real services, the apiserver included.
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:apiserver', 'scope:testing'] },
  // Benchmarks drive the system like a test does.
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'] },
];
// Specs and their helpers (*.spec-helper.ts, left out of lib builds) may also use the testing lib.
const specConstraints = depConstraints.map((c) =>
  c.sourceTag.startsWith('scope:') ? { ...c, onlyDependOnLibsWithTags: [...new Set([...c.onlyDependOnLibsWithTags, 'scope:testing'])] } : c,
);
const boundaries = (constraints) => ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints }];

export default [
  { ignores: ['**/dist', '**/node_modules', 'libs/api/src/gen/**', '**/*.cjs', 'tools/**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  { files: ['**/*.spec.ts', '**/*.spec-helper.ts'], rules: { '@nx/enforce-module-boundaries': boundaries(specConstraints) } },
  // Only the storage code talks to etcd, only the bus code to NATS, only runtime code to Docker.
  ...[
    ['etcd3', 'libs/storage/**', 'tools/bench/**'], // benchmarks measure raw etcd as their baseline
    ['nats', 'libs/bus/**'],
    ['dockerode', 'libs/runtime/**'],
  ].map(([pkg, owner, ...others]) => ({
    files: ['**/*.ts'],
    ignores: [owner, ...others, 'libs/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: pkg, message: `only ${owner} may import ${pkg}` }] }],
    },
  })),
];
