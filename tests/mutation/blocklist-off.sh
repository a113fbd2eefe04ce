#!/usr/bin/env bash
# Mutation check: do the resolver suites notice when Kalkan blocks nothing?
#
# Builds Kalkan, in a temporary copy of this tree, with the list matcher made to answer "not
# listed" for every name (the blocklist stage and the fast path then pass everything), runs the
# resolver suites against that build and expects them to FAIL. Prints how many tests caught the
# mutation and which still passed. The shipped code has no switch for this: the copy is patched.
#
# Exit 0 when the mutation is caught (at least one test fails), 1 when it survives.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kalkan-mutant-XXXXXX")"
trap 'rm -rf "$work"' EXIT

tar -C "$root" --exclude=./node_modules --exclude=./.git --exclude=./dist \
  --exclude=./tests/.tmp --exclude=./extension/.generated -cf - . | tar -C "$work" -xf -
ln -s "$root/node_modules" "$work/node_modules"
cd "$work"

# The mutation: Matcher.match returns NOT_LISTED before looking at anything.
node -e '
  const fs = require("fs");
  const file = "blocklists/matcher.ts";
  const anchor = "  match(hostname: string): Verdict {\n";
  const text = fs.readFileSync(file, "utf8");
  if (text.split(anchor).length !== 2) {
    console.error(`mutation: "${anchor.trim()}" not found exactly once in ${file}; update tests/mutation/blocklist-off.sh`);
    process.exit(2);
  }
  fs.writeFileSync(file, text.replace(anchor, `${anchor}    if (hostname.length >= 0) return NOT_LISTED; // MUTATION: nothing is ever listed\n`));
'
npx tsc -p tsconfig.build.json
npx rolldown -c rolldown.config.ts --logLevel warn >/dev/null
node build/resolver/bundle/kalkan.js demo build --out build/lists >/dev/null
grep -lq "MUTATION: nothing is ever listed" build/blocklists/matcher.js

mkdir -p tests/.tmp
npx vitest run --project integration --reporter=dot --reporter=json \
  --outputFile.json=tests/.tmp/mutant.json \
  tests/integration/resolver- tests/integration/udp-batch.test.ts >tests/.tmp/mutant.log 2>&1 || true
node -e '
  const r = JSON.parse(require("fs").readFileSync("tests/.tmp/mutant.json", "utf8"));
  const tests = r.testResults.flatMap((f) =>
    f.assertionResults.map((t) => ({ file: f.name.replace(/.*\/tests\//, "tests/"), name: t.fullName, status: t.status })),
  );
  const failed = tests.filter((t) => t.status === "failed");
  const passed = tests.filter((t) => t.status === "passed");
  console.log(`mutation "blocklist passes everything": ${failed.length} of ${tests.length} resolver tests failed (caught it), ${passed.length} passed`);
  console.log("caught by:");
  for (const t of failed) console.log(`  ${t.file} > ${t.name}`);
  console.log("not about blocking (passed under the mutation):");
  for (const t of passed) console.log(`  ${t.file} > ${t.name}`);
  if (tests.length === 0) { console.error(require("fs").readFileSync("tests/.tmp/mutant.log", "utf8")); process.exit(1); }
  process.exit(failed.length > 0 ? 0 : 1);
'
