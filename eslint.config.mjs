import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist', '**/node_modules', 'libs/api/src/gen/**', '**/*.cjs', 'tools/**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Apps are wired from libs; nothing imports an app.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // The etcd storage belongs to the apiserver alone.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:cli'] },
            { sourceTag: 'scope:apiserver', onlyDependOnLibsWithTags: ['scope:shared', 'scope:apiserver'] },
            // Tests may start anything, including the apiserver.
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:apiserver', 'scope:testing'] },
          ],
        },
      ],
    },
  },
  // Only the storage code talks to etcd, only the bus code to NATS, only runtime code to Docker.
  ...[
    ['etcd3', 'libs/storage/**'],
    ['nats', 'libs/bus/**'],
    ['dockerode', 'libs/runtime/**'],
  ].map(([pkg, owner]) => ({
    files: ['**/*.ts'],
    ignores: [owner, 'libs/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: pkg, message: `only ${owner} may import ${pkg}` }] }],
    },
  })),
];
