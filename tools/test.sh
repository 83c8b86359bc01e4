#!/usr/bin/env bash
# `npm test`: everything CI checks, from a fresh clone with no other step: install what is
# missing, build, typecheck and lint every project, check that the generated code is current,
# then one jest run over every project. Ends with the line "N passed, N failed" (jest's tests,
# plus each failed build/typecheck/lint/codegen step counted as one failure); exits non-zero on
# any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

failed_steps=0
step() {
  local name="$1"
  shift
  echo "== $name"
  if ! "$@"; then
    echo "== $name FAILED" >&2
    failed_steps=$((failed_steps + 1))
  fi
}

if ! bash tools/install-deps.sh; then
  echo "install-deps failed: cannot test" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

step build npx nx run-many -t build --output-style=static
step typecheck npx nx run-many -t typecheck --output-style=static
step lint npx nx run-many -t lint --output-style=static
step generated-code bash tools/gen-proto.sh --check

echo "== jest"
mkdir -p tmp
rm -f tmp/jest-results.json
npx jest --ci --json --outputFile=tmp/jest-results.json
jest_rc=$?

# Sum the jest results; a suite that failed to run (syntax error, hook failure) counts as failed.
read -r passed failed < <(node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  try {
    const r = JSON.parse(fs.readFileSync("tmp/jest-results.json", "utf8"));
    passed = r.numPassedTests;
    failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  } catch { failed = 1; }
  console.log(passed, failed);
')
if [ "$jest_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
failed=$((failed + failed_steps))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
