#!/usr/bin/env bash
# Start a throw-away PostgreSQL for the test suite, without systemd.
#
# Installs Debian's `postgresql` if missing, creates/starts a cluster, makes
# role `tracker` (password `tracker`) and database `tracker_test` owned by it,
# and prints the connection URL as the LAST line on stdout. Everything else
# goes to stderr, so `url=$(bash scripts/ci-postgres.sh | tail -1)` works.
# Safe to run repeatedly.
set -euo pipefail

DB_USER=tracker
DB_PASS=tracker
DB_NAME="${CI_PG_DATABASE:-tracker_test}"  # another name lets two CI runs share one server

log() { echo "ci-postgres: $*" >&2; }
die() { log "$*"; exit 1; }

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
  as_postgres() { runuser -u postgres -- "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
  as_postgres() { sudo -u postgres -- "$@"; }
else
  die "must run as root or with sudo available"
fi

# 1. Install the server if it is not there.
if [[ "$(dpkg-query -W -f='${Status}' postgresql 2>/dev/null || true)" != "install ok installed" ]]; then
  log "installing postgresql"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends postgresql >&2
fi

# 2. Pick a cluster: an existing one, or create one for the newest installed
#    major version.
cluster_line() { pg_lsclusters -h 2>/dev/null | awk 'NF >= 4 { print; exit }'; }

line="$(cluster_line)"
if [[ -z "$line" ]]; then
  version="$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
  [[ -n "$version" ]] || die "no PostgreSQL server found under /usr/lib/postgresql"
  log "creating cluster $version/main"
  "${SUDO[@]}" pg_createcluster --locale C.UTF-8 --encoding UTF8 "$version" main >&2
  line="$(cluster_line)"
  [[ -n "$line" ]] || die "pg_createcluster did not produce a cluster"
fi
read -r version cluster port status _ <<<"$line"
log "using cluster $version/$cluster on port $port (status: $status)"

# 3. Start it (pg_ctlcluster runs the server directly when there is no systemd).
if [[ "$status" != online* ]]; then
  log "starting cluster $version/$cluster"
  "${SUDO[@]}" pg_ctlcluster "$version" "$cluster" start >&2 \
    || die "pg_ctlcluster $version $cluster start failed; see /var/log/postgresql/postgresql-$version-$cluster.log"
fi

# 4. Wait until it accepts connections.
for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p "$port"; then
    break
  fi
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$port" || die "server on port $port not ready after 60s"

# 5. Role and database (idempotent).
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }

if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" == 1 ]]; then
  psql_admin -c "ALTER ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASS'" >&2
else
  log "creating role $DB_USER"
  psql_admin -c "CREATE ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASS'" >&2
fi

if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
  log "creating database $DB_NAME"
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0" >&2
fi

url="postgresql://$DB_USER:$DB_PASS@127.0.0.1:$port/$DB_NAME"

# 6. Check that the URL really works (password auth over TCP).
psql -X -q "$url" -tAc 'SELECT 1' >/dev/null || die "cannot connect with $url"

echo "$url"
