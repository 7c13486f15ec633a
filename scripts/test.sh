#!/usr/bin/env bash
# The whole test suite: build, type-check, then every test file under test/
# with node's test runner (its closing summary is what CI reads).
# TUG_TEST_FILTER=<regex> runs only matching test files.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build
# A filtered run (one module, while others are mid-edit) skips the whole-project type-check.
[ -n "${TUG_TEST_FILTER:-}" ] || npm run -s typecheck
mapfile -t files < <(find dist/test -name '*.test.js' | sort | grep -E "${TUG_TEST_FILTER:-.}")
exec node --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
