#!/bin/sh
# Back up the naesView sync database named by NAESVIEW_DATABASE_URL into FILE, while it runs.
#   PostgreSQL: pg_dump custom format (package postgresql-client).
#   SQLite: SQLite's online backup (package sqlite3), never a plain copy of a live file.
# Usage: NAESVIEW_DATABASE_URL=... deploy/backup.sh /backup/naesview-$(date +%F).dump
set -eu
. "$(dirname "$0")/pg_url.sh"
file=${1:?usage: backup.sh FILE (the database comes from NAESVIEW_DATABASE_URL)}
url=${NAESVIEW_DATABASE_URL:?set NAESVIEW_DATABASE_URL to the database to back up}
case $url in
postgresql*://* | postgres://*)
    pg_url "$url"
    # libpq does not know SQLAlchemy's driver suffix (postgresql+asyncpg://); the password
    # goes in PGPASSWORD, not on the command line (pg_url.sh).
    pg_dump --format=custom --no-owner --dbname="$PG_URL" --file="$file"
    ;;
sqlite:///*)
    path=${url#sqlite:///}
    [ -f "$path" ] || { echo "backup.sh: no SQLite database at $path; check NAESVIEW_DATABASE_URL" >&2; exit 1; }
    sqlite3 "$path" ".backup '$file'"
    ;;
*)
    echo "backup.sh: NAESVIEW_DATABASE_URL must start with postgresql:// or sqlite:///" >&2
    exit 1
    ;;
esac
echo "backed up to $file"
