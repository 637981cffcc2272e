#!/usr/bin/env bash
# Benchmarks `ecoscout export` of 100,000 stored suppliers to CSV: crawls a
# simulated world of 300 suppliers once, copies its records to 100,000
# suppliers, then times the export and reports the database size.
#   bench/export.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"
WORK="$(mktemp -d)"
trap 'kill "$SIM" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cargo build --release -p ecoscout --quiet
cargo build --release -p store --example fill --quiet
BIN=target/release/ecoscout
"$BIN" sim --suppliers 300 --seed 5 --out "$WORK/world" --port 0 > "$WORK/sim.out" 2>&1 &
SIM=$!
for _ in $(seq 1 100); do grep -q '^serving' "$WORK/sim.out" 2>/dev/null && break; sleep 0.2; done
"$BIN" crawl --seeds "$WORK/world/seeds.csv" --trust "$WORK/world/trust.toml" --db "$WORK/source.db" \
    --resolve '*.test=127.0.0.1' --delay 0 --timeout 5s 2> "$WORK/crawl.err" || { cat "$WORK/crawl.err"; exit 1; }
target/release/examples/fill "$WORK/source.db" "$WORK/big.db" "$COUNT"
SIZE=$(du -sb "$WORK/big.db" | cut -f1)
START=$(date +%s.%N)
"$BIN" export --db "$WORK/big.db" -o "$WORK/out.csv"
END=$(date +%s.%N)
ROWS=$(($(wc -l < "$WORK/out.csv") - 1))
ELAPSED=$(echo "$END - $START" | bc)
echo "export of $ROWS suppliers to CSV: ${ELAPSED} s; database $SIZE bytes ($((SIZE / COUNT)) bytes per supplier)"
START=$(date +%s.%N)
"$BIN" export --db "$WORK/big.db" --tier A -o "$WORK/a.csv"
END=$(date +%s.%N)
echo "export of tier A only (index): $(echo "$END - $START" | bc) s, $(($(wc -l < "$WORK/a.csv") - 1)) rows"
