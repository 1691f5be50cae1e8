#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages when it is missing, for the store tests.
#
# The tests start their own throwaway server (tests/conftest.py); this script only makes sure
# the server's programs are there. Without root (a developer's machine) it installs nothing
# and says so: the PostgreSQL tests are then skipped with the reason, except under CI=true,
# where a missing server fails the run.
set -uo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || command -v initdb > /dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: PostgreSQL is not installed and this is not root;" \
        "the PostgreSQL tests will be skipped (sudo apt-get install -y postgresql to run them)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql > /dev/null; }; then
    echo "postgres.sh: apt-get could not install PostgreSQL" >&2
    [ "${CI:-}" = "true" ] && exit 1
fi
# the Debian package creates and starts a cluster of its own: the tests use their own
if command -v pg_ctlcluster > /dev/null; then
    for cluster in /etc/postgresql/*/main; do
        [ -d "$cluster" ] || continue
        version=$(basename "$(dirname "$cluster")")
        pg_ctlcluster "$version" main stop > /dev/null 2>&1 || true
    done
fi
exit 0
