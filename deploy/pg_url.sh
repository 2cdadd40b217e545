# Sourced by backup.sh and restore.sh: turn NAESVIEW_DATABASE_URL (SQLAlchemy form) into what
# libpq tools take WITHOUT the password on their command line, where any local user could read
# it in `ps`: `pg_url URL` sets PG_URL to the URL without its password and exports PGPASSWORD
# (decoded). Call it directly, not in $(...): a subshell would keep the export to itself.
pg_url() {
    rest=${1#*://}            # user:password@host:port/db?query (driver suffix dropped)
    case $rest in
    *@*/* | *@*)
        userinfo=${rest%%@*}
        where=${rest#*@}
        ;;
    *)
        userinfo=
        where=$rest
        ;;
    esac
    case $userinfo in
    *:*)
        PGPASSWORD=$(printf '%s' "${userinfo#*:}" | ${NAESVIEW_PYTHON:-python3} -c \
            'import sys, urllib.parse; sys.stdout.write(urllib.parse.unquote(sys.stdin.read()))')
        export PGPASSWORD
        userinfo=${userinfo%%:*}
        ;;
    esac
    PG_URL="postgresql://${userinfo:+$userinfo@}$where"
}
