#!/usr/bin/env bash
# Instructions (callgrind) and peak RSS of one crawl of the synthetic site: the figures a
# change that must not slow the engine is held to. Callgrind counts instructions, so the
# figure repeats whatever else the machine is doing; RSS comes from a normal run.
#
#   bash benches/instructions.sh [AUTHWALL_BINARY]      # PAGES=10000 by default
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PAGES=${PAGES:-10000}
RUNS=${RUNS:-3}
(cd "$ROOT" && cargo build --release --quiet --example synth_site)
AUTHWALL=${1:-}
if [ -z "$AUTHWALL" ]; then
    (cd "$ROOT" && cargo build --release --quiet --bin authwall)
    AUTHWALL=$CARGO_TARGET_DIR/release/authwall
fi
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/authwall-instr.XXXXXX)
"$CARGO_TARGET_DIR/release/examples/synth_site" --pages "$PAGES" >"$WORK/synth.out" 2>&1 &
SYNTH=$!
trap 'kill $SYNTH 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$WORK/synth.out" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$WORK/synth.out" | head -1)
args=(audit "$BASE/" --no-config --delay 0 --concurrency 16 --max-pages 100000000 -q -o "$WORK/a.csv")
valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$AUTHWALL" "${args[@]}" >/dev/null 2>"$WORK/cg.err" || true
ir=$(sed -n 's/^summary: //p' "$WORK/cg.out")
for run in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%M %e %U %S' -o "$WORK/time" "$AUTHWALL" "${args[@]}" >/dev/null 2>&1 || true
    read -r rss wall user sys < <(tail -n 1 "$WORK/time")
    echo "run $run: peak RSS $((rss / 1024)) MB, wall ${wall}s, CPU $(python3 -c "print(round($user+$sys,2))")s"
done
echo "instructions (callgrind, $PAGES pages): $ir"
