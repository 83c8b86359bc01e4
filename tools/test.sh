#!/usr/bin/env bash
# `npm test`: everything CI checks, from a fresh clone with no other step: install what is
# missing, build, typecheck and lint every project, check that the generated code is current,
# then one jest run over every project, and the unit and integration suites once more on Node 24
# (tools/install-node.sh puts it in .tools/). Ends with the line "N passed, N failed" (jest's tests,
# plus each failed build/typecheck/lint/codegen step counted as one failure); exits non-zero on
# any failure. --forceExit: a client a failed spec left connected must not keep jest from
# ending (tools/jest/environment.cjs stops the processes such a spec left running).
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
npx jest --ci --forceExit --json --outputFile=tmp/jest-results.json
jest_rc=$?

# The unit and integration suites again on Node 24 (engines: 20, 22 and 24; the system's Node is
# 20), from a Node installed into the project (.tools/), not over the system's. The end-to-end
# suite (apps/cluster-e2e) runs once, on the system's Node.
echo "== jest on Node 24 (unit and integration)"
rm -f tmp/jest-node24-results.json
node24_rc=1
if node24="$(bash tools/install-node.sh 24)"; then
  "$node24" node_modules/jest/bin/jest.js --ci --forceExit --json --outputFile=tmp/jest-node24-results.json --testPathIgnorePatterns '/apps/cluster-e2e/'
  node24_rc=$?
fi

# Sum the jest results; a suite that failed to run (syntax error, hook failure) counts as failed.
count() {
  node -e '
    const fs = require("fs");
    let passed = 0, failed = 0;
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      passed = r.numPassedTests;
      failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
    } catch { failed = 1; }
    console.log(passed, failed);
  ' "$1"
}
read -r passed failed < <(count tmp/jest-results.json)
if [ "$jest_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
read -r passed24 failed24 < <(count tmp/jest-node24-results.json)
if [ "$node24_rc" -ne 0 ] && [ "$failed24" -eq 0 ]; then failed24=1; fi
echo "Node 24: $passed24 passed, $failed24 failed"
passed=$((passed + passed24))
failed=$((failed + failed24 + failed_steps))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
