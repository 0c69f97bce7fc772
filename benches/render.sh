#!/usr/bin/env bash
# Rendering benchmark: what `--render` costs, on a synthetic single-page app (every page an app
# shell whose script draws its text and links from a JSON API: synth_site --spa).
#
#   bash benches/render.sh                 # 300 pages, 2 tabs
#   PAGES=1000 TABS=4 bash benches/render.sh
#
# Reports, for the plain audit and for --render all: pages, wall time, CPU (authwall and the
# browser it waits for), pages rendered per second, authwall's peak RSS, and the browser's
# peak memory (the sum of its processes' PSS, sampled every 0.2 s). All traffic is 127.0.0.1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAGES=${PAGES:-300}
TABS=${TABS:-2}
BROWSER=${BROWSER:-/usr/bin/chromium}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release --quiet --bin authwall --example synth_site)
AUTHWALL=$CARGO_TARGET_DIR/release/authwall
[ -x "$BROWSER" ] || { echo "render.sh: $BROWSER not found (apt-get install chromium)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/authwall-render.XXXXXX)
"$CARGO_TARGET_DIR/release/examples/synth_site" --spa --pages "$PAGES" >"$WORK/synth.out" 2>&1 &
SYNTH=$!
trap 'kill $SYNTH 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$WORK/synth.out" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$WORK/synth.out" | head -1)

# The browser's memory: PSS of every process under authwall's tree, the peak of the samples.
sample_pss() { # pid -> prints peak MB when the process exits
    python3 - "$1" <<'PY'
import os, sys, time
root = int(sys.argv[1]); peak = 0
def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []
def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
while os.path.exists(f"/proc/{root}"):
    todo, total = children(root), 0
    while todo:
        pid = todo.pop(); total += pss(pid); todo += children(pid)
    peak = max(peak, total); time.sleep(0.2)
print(round(peak / 1024))
PY
}

run() { # label args...
    local label=$1; shift
    rm -f "$WORK/a.csv"
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$AUTHWALL" audit "$BASE/" --no-config \
        --delay 0 --concurrency 4 -q -o "$WORK/a.csv" "$@" >/dev/null 2>&1 &
    local pid=$!
    local browser_mb
    browser_mb=$(sample_pss "$pid")
    wait "$pid" || true
    read -r wall user sys rss < <(tail -n 1 "$WORK/time")
    python3 - "$label" "$WORK/a.run.json" "$wall" "$user" "$sys" "$rss" "$browser_mb" <<'PY'
import json, sys
label, record, wall, user, sys_, rss, browser = sys.argv[1:]
run = json.load(open(record)); rendered = run.get("rendered") or {}
pages = rendered.get("pages", 0); wall = float(wall)
print(f"| {label} | {run['rows']} | {pages} | {wall:.1f} | {float(user) + float(sys_):.1f} | "
      f"{pages / wall if wall else 0:.1f} | {int(rss) // 1024} | {browser} | {rendered.get('requests', 0)} |")
PY
}

echo "Synthetic single-page app, $PAGES pages, $TABS tabs, $(nproc) cores, $(date -u '+%Y-%m-%d')"
echo
echo "| run | rows | pages rendered | wall s | CPU s | renders/s | authwall RSS MB | browser PSS MB | browser requests |"
echo "|---|---|---|---|---|---|---|---|---|"
run "plain" 
run "--render all" --render all --render-tabs "$TABS" --browser "$BROWSER" --browser-no-sandbox
