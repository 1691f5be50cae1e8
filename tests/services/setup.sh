#!/usr/bin/env bash
# Installs what the tests need from Debian's packages when it is missing: PostgreSQL for the
# store and scale-out tests (the tests start their own throwaway server, tests/conftest.py),
# libfaketime for a daemon whose host clock runs ahead of the database's (tests/e2e),
# and Chromium for the browser tests of the staff pages (Playwright drives the system's browser).
#
# Each line of NEEDED is "a file that shows the program is there" and "the Debian package that
# brings it"; everything missing is installed in one apt-get run. Without root (a developer's
# machine) it installs nothing and says so: the tests that need it are then skipped with the
# reason, except under CI=true, where a missing program fails the run.
set -uo pipefail

NEEDED=(
    "/usr/lib/postgresql/*/bin/initdb postgresql"
    "/usr/lib/*/faketime/libfaketime.so.1 libfaketime"
    "/usr/bin/chromium chromium"
)

missing=()
for line in "${NEEDED[@]}"; do
    read -r probe package <<< "$line"
    compgen -G "$probe" > /dev/null || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: ${missing[*]} not installed and this is not root; the tests that need" \
        "them will be skipped (sudo apt-get install -y ${missing[*]} to run them)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null; }; then
    echo "setup.sh: apt-get could not install ${missing[*]}" >&2
    [ "${CI:-}" = "true" ] && exit 1
fi
# the Debian package of PostgreSQL creates and starts a cluster of its own: the tests use theirs
if command -v pg_ctlcluster > /dev/null; then
    for cluster in /etc/postgresql/*/main; do
        [ -d "$cluster" ] || continue
        version=$(basename "$(dirname "$cluster")")
        pg_ctlcluster "$version" main stop > /dev/null 2>&1 || true
    done
fi
exit 0
