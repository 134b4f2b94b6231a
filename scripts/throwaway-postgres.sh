#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: initdb in a temporary directory, a free port
# on 127.0.0.1, trust authentication on loopback only. The command gets TEST_DATABASE_URL; the
# server and its directory are removed afterwards, and the command's exit code is kept.
#
#   scripts/throwaway-postgres.sh npm test
#   scripts/throwaway-postgres.sh --available   # exit 0 when PostgreSQL server binaries exist
set -euo pipefail

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then echo "$PG_BINDIR"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  done
  if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
  return 1
}

if [ "${1:-}" = "--available" ]; then
  find_bindir >/dev/null
  exit
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 <command> [args...]  |  $0 --available" >&2
  exit 2
fi

bindir=$(find_bindir) || { echo "throwaway-postgres: no PostgreSQL server binaries (initdb, pg_ctl) found; install Debian's postgresql package" >&2; exit 1; }

# PostgreSQL refuses to run as root; CI runs as root, so the server runs as the postgres user.
as_server_user=()
if [ "$(id -u)" -eq 0 ]; then as_server_user=(runuser -u postgres --); fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/call-tracker-pg.XXXXXX")
chmod 755 "$dir"
[ ${#as_server_user[@]} -eq 0 ] || chown postgres: "$dir"

stop_server() {
  "${as_server_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_server_user[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }

free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# A port found free can be taken before the server binds it: try a few.
started=false
for _ in 1 2 3 4 5; do
  port=$(free_port)
  # Test data need no crash safety: fsync off keeps CREATE DATABASE and commits fast.
  if "${as_server_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
    started=true
    break
  fi
done
if [ "$started" != true ]; then
  echo "throwaway-postgres: the server did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "throwaway-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
status=0
"$@" || status=$?
exit "$status"
