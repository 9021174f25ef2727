# Sourced by .ci/run before `dotnet test`: installs PostgreSQL from Debian packages, starts it, creates the test role
# and database, and exports ETT_TEST_POSTGRES for the operations store tests. Idempotent; runs as root.
# Sourced, so it must `return` (never `exit`) and must leave the caller's shell options alone.

ett_ci_postgres() {
  local role=ett_test database=ett_test password=ett_test_password version port

  if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed'; then
    echo "installing postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || return 1
  fi

  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  [ -n "$version" ] || { echo "no PostgreSQL server version under /usr/lib/postgresql"; return 1; }
  # Containers often block the package's auto-created cluster (policy-rc.d); create it if it is missing.
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    pg_createcluster "$version" main >/dev/null || return 1
  fi
  if ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    pg_ctlcluster "$version" main start || return 1
  fi
  port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')

  local tries=0
  until pg_isready -q -h 127.0.0.1 -p "$port"; do
    tries=$((tries + 1))
    [ "$tries" -le 30 ] || { echo "PostgreSQL did not become ready on port $port"; return 1; }
    sleep 1
  done

  (cd / && runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "$port" -d postgres) <<SQL || return 1
SELECT format('CREATE ROLE %I LOGIN', '$role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role')\gexec
ALTER ROLE $role WITH LOGIN PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$role') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$database')\gexec
SQL

  export ETT_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=$role;Password=$password;Database=$database"
  echo "PostgreSQL $version ready on 127.0.0.1:$port (database $database)"
}

ett_ci_postgres
ett_ci_postgres_rc=$?
unset -f ett_ci_postgres
return "$ett_ci_postgres_rc" 2>/dev/null || exit "$ett_ci_postgres_rc"
