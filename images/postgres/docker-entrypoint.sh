#!/bin/bash
# The contract of the official postgres image, for Debian's Postgres 15: POSTGRES_USER (default
# postgres), POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB
# (default: the user), PGDATA, /docker-entrypoint-initdb.d (*.sql and *.sh), port 5432, and the log
# line "database system is ready to accept connections" twice (the set-up server, then the real
# one), which testcontainers' postgres module waits for.
set -euo pipefail
# Like the official image: "postgres ARGS..." (testcontainers passes "postgres -c fsync=off") runs
# the server with ARGS.
if [[ ${1:-} == postgres ]]; then shift; fi
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${PGDATA:=/var/lib/postgresql/data}"
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
if [[ -z ${POSTGRES_PASSWORD:-} && $auth != trust ]]; then
	echo "error: POSTGRES_PASSWORD is empty; set it, or POSTGRES_HOST_AUTH_METHOD=trust" >&2
	exit 1
fi
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [[ ! -s $PGDATA/PG_VERSION ]]; then
	pw=$(mktemp)
	printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pw"
	chown postgres "$pw"
	as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pw" --auth-local=trust --auth-host="$auth" -E UTF8 --no-instructions >/dev/null
	rm -f "$pw"
	echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
	as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
	psql=(as_postgres psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -q)
	if [[ $POSTGRES_DB != postgres ]]; then
		"${psql[@]}" -c "CREATE DATABASE \"$POSTGRES_DB\""
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case $f in
		*.sql) "${psql[@]}" -d "$POSTGRES_DB" -f "$f" ;;
		*.sh) . "$f" ;;
		esac
	done
	as_postgres pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
