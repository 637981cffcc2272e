#!/usr/bin/env bash
# Benchmarks ecoscout against Scrapy and against this machine's limits, and
# writes bench/results/<date>[-quick].json and .md (see BENCHMARKS.md).
#   bench/run.sh [--quick] [--only documents|tradetrust|fleet]
# (`--only fleet` runs bench/fleet.py: 10,000 suppliers under latency, on
# sled and on a throwaway PostgreSQL with one and two workers, and Scrapy.)
# Installs what it needs: wrk, GNU time, openssl and dnsmasq (which answers
# the simulated world's names) from the system's packages when missing,
# Scrapy in a virtual environment (bench/scrapy/.venv).
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
    case "$arg" in
        --quick | --only | documents | tradetrust | fleet) ;;
        *) echo "usage: bench/run.sh [--quick] [--only documents|tradetrust|fleet]" >&2; exit 2 ;;
    esac
done

missing=()
command -v wrk > /dev/null || missing+=(wrk)
[ -x /usr/bin/time ] || missing+=(time)
command -v openssl > /dev/null || missing+=(openssl)
command -v dnsmasq > /dev/null || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" > /dev/null
fi

venv=bench/scrapy/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade -r bench/scrapy/requirements.txt

cargo build --release --locked -p ecoscout
cargo build --release --locked -p store --example fill

if [ "${1:-}" = --only ] && [ "${2:-}" = fleet ]; then
    # PostgreSQL for the fleet runs (initdb, pg_ctl, psql), as scripts/test.
    if ! command -v initdb > /dev/null && ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq postgresql > /dev/null
    fi
    exec "$venv/bin/python" bench/fleet.py "${@:3}"
fi
exec "$venv/bin/python" bench/bench.py "$@"
