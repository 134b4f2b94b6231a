#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real, when they are missing: chromium (the
# dashboard test), postgresql (the server binaries for a throwaway test database) and sqlite3
# (the README's backup command, in the production install test). Only as
# root on a machine with apt-get; otherwise it says what is missing and leaves it to you.
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-test-packages: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) or their tests will not run" >&2
  exit 0
fi
echo "install-test-packages: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
