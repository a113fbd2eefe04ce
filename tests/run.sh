#!/usr/bin/env bash
# The whole test suite: system packages, lint, types, build, unit and integration tests.
# Ends with one line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/system-packages.sh

npx biome check .
npx tsc -p tsconfig.json --noEmit
npm run build --silent
npm run build:extension --silent

mkdir -p tests/.tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=tests/.tmp/vitest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("tests/.tmp/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
# The whole suite also proves the resolver suites fail when Kalkan blocks nothing (~2 min).
if [ $# -eq 0 ]; then bash tests/mutation/blocklist-off.sh || status=1; fi
exit "$status"
