#!/bin/sh
# Restore a backup made by backup.sh into the database named by NAESVIEW_DATABASE_URL, then
# bring its tables up to this version with `naesview-sync migrate`.
#   PostgreSQL: restores into an EMPTY database (createdb it first); the service may run elsewhere.
#   SQLite: stop the service first; the file at the URL is replaced.
# Usage: NAESVIEW_DATABASE_URL=... deploy/restore.sh /backup/naesview-2026-01-31.dump
set -eu
. "$(dirname "$0")/pg_url.sh"
file=${1:?usage: restore.sh FILE (the database comes from NAESVIEW_DATABASE_URL)}
url=${NAESVIEW_DATABASE_URL:?set NAESVIEW_DATABASE_URL to the database to restore into}
[ -f "$file" ] || { echo "restore.sh: no backup at $file; give the file backup.sh wrote" >&2; exit 1; }
case $url in
postgresql*://* | postgres://*)
    pg_url "$url"
    pg_restore --no-owner --exit-on-error --dbname="$PG_URL" "$file"
    ;;
sqlite:///*)
    path=${url#sqlite:///}
    mkdir -p "$(dirname "$path")"
    sqlite3 "$path" ".restore '$file'"
    ;;
*)
    echo "restore.sh: NAESVIEW_DATABASE_URL must start with postgresql:// or sqlite:///" >&2
    exit 1
    ;;
esac
${NAESVIEW_SYNC:-naesview-sync} migrate
echo "restored $file"
