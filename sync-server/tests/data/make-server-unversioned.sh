#!/usr/bin/env bash
# Writes server-unversioned.sqlite: a server database as the last release without schema
# versions left it (regions, officers, used and unused enrolment codes, two signed devices with
# their sessions, a month of one region's demo data pushed and pulled). Run with that release's
# binaries:  BIN=path/to/target/debug ./make-server-unversioned.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${BIN:?set BIN to the directory holding alluvium and alluvium-sync}"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="$work/server.db"
admin() { "$bin/alluvium-sync" admin --db "$db" "$@"; }
admin region add SL-KONO --name Kono --country SL
admin region add GH-AKWATIA --name Akwatia --country GH
for u in admin:admin:SL-KONO,GH-AKWATIA coord_a:coordinator:SL-KONO field_a:field_officer:SL-KONO; do
  IFS=: read -r user role regions <<<"$u"
  echo "correct horse" | admin officer add "$user" --role "$role" --regions "$regions" --password-stdin
done
admin enrol-code --region GH-AKWATIA >/dev/null   # an unused code
"$bin/alluvium-sync" serve --db "$db" --listen 127.0.0.1:0 >"$work/serve.out" &
server=$!
for _ in $(seq 50); do grep -q listening "$work/serve.out" && break; sleep 0.2; done
url="$(sed -n 's/^listening on //p' "$work/serve.out")"
# The office device: a week of demo data for one region, pushed by the administrator.
dev() { "$bin/alluvium" --db "$1" "${@:2}"; }
dev "$work/office.db" enrol --server "$url" --code "$(admin enrol-code --region SL-KONO)"
echo "correct horse" | dev "$work/office.db" login --user admin --password-stdin
dev "$work/office.db" demo-data --seed 21 --regions SL-KONO --diggers 40 --days 30
dev "$work/office.db" sync
# A coordinator's device pulls it.
dev "$work/coord.db" enrol --server "$url" --code "$(admin enrol-code --region SL-KONO)"
echo "correct horse" | dev "$work/coord.db" login --user coord_a --password-stdin
dev "$work/coord.db" sync
kill "$server"; wait "$server" 2>/dev/null || true
# One self-contained file: the WAL folded in.
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null 2>&1 \
  || python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.execute('VACUUM'); c.close()" "$db"
cp "$db" "$here/server-unversioned.sqlite"
admin stats
