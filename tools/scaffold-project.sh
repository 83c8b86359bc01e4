#!/usr/bin/env bash
# Creates the Nx project files for a lib or app: tools/scaffold-project.sh lib|app NAME "tag,tag"
set -euo pipefail
kind=$1; name=$2; tags=$3
dir="${kind}s/$name"; mkdir -p "$dir/src"
up=$(echo "$dir" | sed 's|[^/]*|..|g')
tagjson=$(echo "\"type:$kind\",$tags" | sed 's/,\([a-z]\)/,"\1/g; s/\([a-z*-]\),/\1",/g; s/\([a-z-]\)$/\1"/')
if [ "$kind" = lib ]; then
  build='"build": { "executor": "nx:run-commands", "options": { "command": "tsc --noEmit -p '"$dir"'/tsconfig.lib.json" }, "metadata": { "description": "Libraries are bundled into apps from source; building one proves it compiles on its own." } },'
  [ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
else
  build='"build": { "executor": "nx:run-commands", "options": { "command": "node tools/build-app.mjs '"$name"'" }, "outputs": ["{workspaceRoot}/dist/apps/'"$name"'"] },'
  [ -f "$dir/src/main.ts" ] || echo "export {};" > "$dir/src/main.ts"
fi
cat > "$dir/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "$up/node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "$( [ "$kind" = lib ] && echo library || echo application )",
  "tags": [$tagjson],
  "targets": {
    $build
    "typecheck": { "executor": "nx:run-commands", "options": { "command": "tsc --noEmit -p $dir/tsconfig.json" } },
    "lint": { "executor": "@nx/eslint:lint" },
    "test": { "executor": "@nx/jest:jest", "outputs": ["{workspaceRoot}/coverage/{projectRoot}"], "options": { "jestConfig": "$dir/jest.config.cjs", "passWithNoTests": false } }
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "$up/tsconfig.base.json",
  "include": ["src/**/*.ts"]
}
JSON
cat > "$dir/tsconfig.lib.json" <<JSON
{
  "extends": "./tsconfig.json",
  "exclude": ["src/**/*.spec.ts", "src/**/*.int.spec.ts", "src/**/*.spec-helper.ts"]
}
JSON
cat > "$dir/jest.config.cjs" <<JS
module.exports = require('$up/jest.preset.cjs')('$name', __dirname);
JS
