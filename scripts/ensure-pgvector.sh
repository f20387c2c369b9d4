#!/usr/bin/env bash
# Makes sure the local PostgreSQL can CREATE EXTENSION vector. pgvector is not packaged for Debian
# bookworm, so when the extension is missing we build it from Debian's own trixie *source* package.
set -euo pipefail

PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
q() { psql "$PG_ADMIN_URL" -tAc "$1"; }

if q "select 1 from pg_available_extensions where name = 'vector'" | grep -q 1; then
  echo "pgvector: available ($(q "select default_version from pg_available_extensions where name = 'vector'"))"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "pgvector is missing and building it needs root (apt-get, make install). Re-run as root, or install pgvector >= 0.7 yourself." >&2
  exit 1
fi

pg_major=$(q "show server_version_num" | cut -c1-2)
if [ ! -d "/usr/lib/postgresql/${pg_major}" ]; then
  echo "pgvector is missing and PostgreSQL ${pg_major} is not installed on this host (remote or containerised server?): install pgvector >= 0.7 where the server runs." >&2
  exit 1
fi
echo "pgvector: not installed; building it from Debian's source package for PostgreSQL ${pg_major}…"

src_list=/etc/apt/sources.list.d/doppel-trixie-src.sources
if [ ! -f "$src_list" ]; then
  cat > "$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "postgresql-server-dev-${pg_major}" dpkg-dev make gcc >/dev/null

build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT
(
  cd "$build_dir"
  apt-get source -qq pgvector >/dev/null 2>&1 || apt-get source pgvector
  cd pgvector-*/
  make -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" OPTFLAGS=""
  make -s install PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config"
)
echo "pgvector: installed ($(q "select default_version from pg_available_extensions where name = 'vector'"))"
