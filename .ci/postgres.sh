# A throwaway PostgreSQL cluster for the tests, sourced by .ci/run (and usable by hand):
#
#     . .ci/postgres.sh && start_postgres 55432    # exports CITECHECK_TEST_PG
#     ...
#     stop_postgres
#
# The server runs as an unprivileged user (PostgreSQL refuses to run as root): the
# `postgres` user Debian's package creates, else `nobody`. Its data, socket and log
# live in one temporary folder; it listens on 127.0.0.1 only, with trust
# authentication for its one superuser (nothing but this machine can reach it).

start_postgres() {
    local port="${1:-55432}"
    local bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bindir" ] && command -v initdb >/dev/null; then
        bindir="$(dirname "$(command -v initdb)")"
    fi
    if [ -z "$bindir" ]; then
        echo "start_postgres: no PostgreSQL server installed (apt-get install postgresql)" >&2
        return 1
    fi
    PG_RUN_AS=postgres
    id -u "$PG_RUN_AS" >/dev/null 2>&1 || PG_RUN_AS=nobody
    PG_TMP="$(mktemp -d /tmp/citecheck-pg.XXXXXX)"
    chmod 755 "$PG_TMP"
    mkdir "$PG_TMP/data" "$PG_TMP/socket"
    if [ "$(id -u)" = 0 ]; then
        chown -R "$PG_RUN_AS" "$PG_TMP"
        PG_AS=(runuser -u "$PG_RUN_AS" --)
    else
        PG_AS=()
    fi
    PG_BIN="$bindir"
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_TMP/data" --username=citecheck --auth=trust \
        --encoding=UTF8 --locale=C >"$PG_TMP/initdb.log" 2>&1 \
        || { cat "$PG_TMP/initdb.log" >&2; return 1; }
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP/socket -c fsync=off" start \
        >/dev/null || { cat "$PG_TMP/server.log" >&2; return 1; }
    export CITECHECK_TEST_PG="postgresql://citecheck@127.0.0.1:$port/postgres"
    echo "PostgreSQL ($("$PG_BIN/postgres" --version)) on 127.0.0.1:$port as $PG_RUN_AS"
}

stop_postgres() {
    if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_TMP"
    fi
    PG_TMP=
}
