#!/usr/bin/env bash
# authwall batch over SITES local synthetic sites (examples/synth_site.rs, PAGES pages each, one
# process per site on its own loopback address 127.0.0.2, .3 …, since batch audits the sites of
# one IP address one at a time; SAME_IP=1 puts them all on 127.0.0.1): wall time and peak
# memory of the one authwall process.
#
#   SITES=50 PAGES=500 PARALLEL=4 benches/batch.sh
#
# Each site is audited with --delay 0: what is measured is authwall, not the politeness.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SITES=${SITES:-50}
PAGES=${PAGES:-500}
PARALLEL=${PARALLEL:-4}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}
OUT=$(mktemp -d /tmp/authwall-batch.XXXXXX)
(cd "$ROOT" && cargo build --release --quiet --bin authwall --example synth_site)
AUTHWALL=${AUTHWALL:-$CARGO_TARGET_DIR/release/authwall}
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
for i in $(seq 1 "$SITES"); do
    host=127.0.0.$((i + 1))
    [ "${SAME_IP:-0}" = 1 ] && host=127.0.0.1
    "$CARGO_TARGET_DIR/release/examples/synth_site" --pages "$PAGES" --host "$host" \
        >"$OUT/site-$i.out" 2>&1 &
    PIDS+=($!)
done
for i in $(seq 1 "$SITES"); do
    for _ in $(seq 1 50); do
        grep -q listening "$OUT/site-$i.out" 2>/dev/null && break
        sleep 0.1
    done
    awk '/listening/ {print $3 "/"}' "$OUT/site-$i.out" >>"$OUT/sites.txt"
done
echo "$(wc -l <"$OUT/sites.txt") sites of $PAGES pages, --sites-parallel $PARALLEL" >&2
set +e
/usr/bin/time -f "wall %e s, cpu %U+%S s, peak RSS %M KB" "$AUTHWALL" batch "$OUT/sites.txt" \
    --out-dir "$OUT/audits" --sites-parallel "$PARALLEL" --no-config -q -- --delay 0 \
    --concurrency 4 >"$OUT/overview.txt"
echo "exit $?" >&2
set -e
head -3 "$OUT/overview.txt" >&2
echo "rows: $(cat "$OUT"/audits/*/latest/audit.csv | wc -l)" >&2
rm -rf "$OUT"
