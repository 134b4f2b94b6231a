#!/usr/bin/env bash
# The test command (npm test): runs every test file (or the ones named) with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- test/*.test.ts; fi
exec node --import tsx --test --test-concurrency=1 "$@"
