#!/usr/bin/env bash
# The test command (npm test): runs every test file (or the ones named) with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
# A fresh machine lacks Chromium and PostgreSQL's server binaries: fetch them once (as root).
[ -n "${TEST_DATABASE_URL:-}" ] || scripts/install-test-packages.sh
# PostgreSQL tests need a server: unless TEST_DATABASE_URL names one, run again under a throwaway
# server started from the machine's PostgreSQL binaries, stopped and removed when the tests end.
if [ -z "${TEST_DATABASE_URL:-}" ] && scripts/throwaway-postgres.sh --available; then
  exec scripts/throwaway-postgres.sh bash test/run.sh "$@"
fi
if [ $# -eq 0 ]; then set -- test/*.test.ts; fi
exec node --import tsx --test --test-concurrency=1 "$@"
