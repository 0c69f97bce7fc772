#!/usr/bin/env bash
# Crawl benchmark: authwall against its peers (wget, spider_cli) on the same local server.
#
#   bash benches/crawl.sh                         # synthetic 10k, 3 runs per tool
#   CORPORA="10k 100k rustdocs" RUNS=5 bash benches/crawl.sh
#
# See benches/README.md for the environment variables and what each column means.
# All traffic goes to 127.0.0.1. Every server the script starts is stopped on exit (by PID).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
CORPORA=${CORPORA:-10k}
CONCURRENCY=${CONCURRENCY:-16}
SERVER_THREADS=${SERVER_THREADS:-1}
WRK_DURATION=${WRK_DURATION:-5s}
TOOLS=${TOOLS:-authwall wget spider}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}
OUT=${OUT:-$(mktemp -d /tmp/authwall-bench.XXXXXX)}
mkdir -p "$OUT"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'crawl.sh: error: %s\n' "$*" >&2; exit 1; }

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools
apt_install() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    [ -x "$1" ] && return 0
    [ "$(id -u)" -eq 0 ] || die "$1 is missing: install Debian's '$2' (sudo apt-get install $2)"
    command -v apt-get >/dev/null || die "$1 is missing and apt-get is not available: install '$2'"
    say "installing $2 (apt-get)"
    apt-get install -y -qq "$2" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$2" >/dev/null; } ||
        die "could not install $2"
}
apt_install /usr/bin/time time
command -v python3 >/dev/null || die "python3 is needed to count CSV rows"
case " $CORPORA " in *" rustdocs "*) apt_install nginx nginx ;; esac
apt_install wrk wrk
case " $TOOLS " in *" wget "*) apt_install wget wget ;; esac
HAVE_SPIDER=0
if [[ " $TOOLS " == *" spider "* ]]; then
    if command -v spider >/dev/null 2>&1; then
        HAVE_SPIDER=1
    else
        say "spider_cli not installed: cargo install spider_cli (skipped)"
    fi
fi

say "building release binaries (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release --quiet --bin authwall --example synth_site) ||
    die "cargo build failed"
# AUTHWALL=path/to/binary benchmarks another build (e.g. the one before a change).
AUTHWALL=${AUTHWALL:-$CARGO_TARGET_DIR/release/authwall}
SYNTH=$CARGO_TARGET_DIR/release/examples/synth_site
[ -x "$AUTHWALL" ] && [ -x "$SYNTH" ] || die "binaries not found under $CARGO_TARGET_DIR/release"

# ---------------------------------------------------------------- servers
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url
    local i
    for i in $(seq 1 100); do
        if wget -q -O /dev/null --tries=1 --timeout=1 "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    die "server at $1 did not answer"
}

SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}

start_synth() { # pages -> sets BASE, WRK_URL
    local pages=$1 log=$OUT/synth-$1.out i
    "$SYNTH" --pages "$pages" --threads "$SERVER_THREADS" >"$log" 2>"$OUT/synth-$1.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for i in $(seq 1 100); do
        if grep -q '^listening on ' "$log" 2>/dev/null; then break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "synth_site exited: $(cat "$OUT/synth-$1.err")"
        sleep 0.1
    done
    BASE=$(sed -n 's/^listening on //p' "$log" | head -1)
    [ -n "$BASE" ] || die "synth_site did not print its address"
    WRK_URL=$BASE/page/$((pages / 2 + 1))
}

start_nginx() { # -> sets BASE, WRK_URL
    local docs port conf dir
    docs=$(rustc --print sysroot)/share/doc/rust/html
    [ -f "$docs/index.html" ] || die "Rust docs not found at $docs (rustup component add rust-docs)"
    port=$(free_port)
    dir=$OUT/nginx
    mkdir -p "$dir"
    conf=$dir/nginx.conf
    {
        [ "$(id -u)" -eq 0 ] && echo "user root;"
        cat <<EOF
worker_processes $SERVER_THREADS;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$port;
        root $docs;
        index index.html;
    }
}
EOF
    } >"$conf"
    nginx -c "$conf" -p "$dir" 2>"$dir/stderr" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    BASE=http://127.0.0.1:$port
    WRK_URL=$BASE/std/index.html
    sleep 0.3
    kill -0 "$SERVER_PID" 2>/dev/null || die "nginx exited: $(cat "$dir/stderr" "$dir/error.log" 2>/dev/null)"
}

# ---------------------------------------------------------------- measured runs
# Each run appends: corpus tool run pages wall user sys rss_kb
RESULTS=$OUT/runs.tsv
: >"$RESULTS"

measure() { # corpus tool run pages-counter-fn -- command... (stdout, stderr -> $OUT/<tool>.out/.err)
    local corpus=$1 tool=$2 run=$3 counter=$4 tf=$OUT/time.$$ rc=0 pages
    shift 5
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$OUT/$tool.out" 2>"$OUT/$tool.err" || rc=$?
    pages=$($counter)
    read -r wall user sys rss < <(tail -n 1 "$tf") || die "$tool: no timing (exit $rc): $(cat "$tf")"
    [[ "$wall" =~ ^[0-9.]+$ ]] || die "$tool failed (exit $rc): $(cat "$tf"; tail -5 "$OUT/$tool.err")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$tool" "$run" "$pages" "$wall" "$user" "$sys" "$rss" >>"$RESULTS"
    say "  $tool run $run: $pages pages in ${wall}s (exit $rc)"
}

count_authwall() { # rows of kind page that have a status
    python3 - "$OUT/authwall.csv" <<'EOF'
import csv, sys
n = 0
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        if row.get("status") and row.get("kind", "page") == "page":
            n += 1
print(n)
EOF
}
count_wget() { # --no-verbose --spider: one "URL:..." line per successful request, one
    # "Authentication Failed" line per 401 and an "ERROR nnn" line per other error; robots.txt excluded
    grep -E ' URL: ?http| ERROR [0-9]+|Authentication Failed' "$OUT/wget.log" | grep -vc '/robots\.txt' || true
}
count_spider() { grep -c '^http' "$OUT/spider_cli.out" || true; }

run_authwall() { # exit 1 = findings (the admin leak, the 401s): expected
    rm -f "$OUT/authwall.csv"
    measure "$@" -- "$AUTHWALL" audit "$BASE/" --no-config --delay 0 --concurrency "$CONCURRENCY" \
        --max-pages 100000000 -q -o "$OUT/authwall.csv"
}
run_wget() { # exit 8 = some URL answered an error (the 401s): expected
    rm -rf "$OUT/wget-dir"
    measure "$@" -- wget --spider --recursive --level=inf --no-parent -e robots=on --no-verbose \
        -P "$OUT/wget-dir" -o "$OUT/wget.log" "$BASE/"
}
run_spider() {
    measure "$@" -- spider --url "$BASE/" --respect-robots-txt crawl --sync --output-links
}

WRK_RPS=()
bench_corpus() { # corpus
    local corpus=$1 run tool rps
    case "$corpus" in
        rustdocs) start_nginx ;;
        *[0-9]k) start_synth $(( ${corpus%k} * 1000 )) ;;
        *[0-9]M|*[0-9]m) start_synth $(( ${corpus%[mM]} * 1000000 )) ;;
        *[0-9]) start_synth "$corpus" ;;
        *) die "unknown corpus '$corpus' (use 10k, 100k, 1M, a page count or rustdocs)" ;;
    esac
    wait_http "$BASE/"
    say "corpus $corpus at $BASE"
    rps=$(wrk -t2 -c"$CONCURRENCY" -d"$WRK_DURATION" "$WRK_URL" | awk '/^Requests\/sec:/ {print $2}')
    say "  wrk ceiling on $WRK_URL: ${rps:-?} req/s"
    WRK_RPS+=("$corpus=${rps:-0}")
    for run in $(seq 1 "$RUNS"); do # tools alternate within each round
        for tool in $TOOLS; do
            case "$tool" in
                authwall) run_authwall "$corpus" authwall "$run" count_authwall ;;
                wget) run_wget "$corpus" wget "$run" count_wget ;;
                spider) [ "$HAVE_SPIDER" = 0 ] || run_spider "$corpus" spider_cli "$run" count_spider ;;
                *) die "unknown tool '$tool'" ;;
            esac
        done
    done
    stop_server
}

for corpus in $CORPORA; do bench_corpus "$corpus"; done

# ---------------------------------------------------------------- report
say "raw runs: $RESULTS"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Concurrency $CONCURRENCY, no delay, server threads $SERVER_THREADS, median of $RUNS runs (wall/CPU), max RSS."
echo
python3 - "$RESULTS" "${WRK_RPS[@]}" <<'EOF'
import sys, statistics as st
from collections import OrderedDict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
wrk = dict(a.split("=", 1) for a in sys.argv[2:])
groups = OrderedDict()
for corpus, tool, run, pages, wall, user, sys_, rss in rows:
    groups.setdefault((corpus, tool), []).append(
        (int(pages), float(wall), float(user) + float(sys_), int(rss)))
print("| corpus | tool | runs | pages | wall s | pages/s | CPU s | CPU s / 1k pages | peak RSS MB | % of server ceiling |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (corpus, tool), rs in groups.items():
    pages = st.median(r[0] for r in rs)
    wall = st.median(r[1] for r in rs)
    cpu = st.median(r[2] for r in rs)
    pps = st.median(r[0] / r[1] if r[1] > 0 else 0 for r in rs)
    rss = max(r[3] for r in rs) / 1024
    lo, hi = min(r[0] for r in rs), max(r[0] for r in rs)
    pages_s = f"{pages:,.0f}" if lo == hi else f"{pages:,.0f} ({lo:,}–{hi:,})"
    ceil = float(wrk.get(corpus, 0) or 0)
    frac = f"{100 * pps / ceil:.1f} %" if ceil else "—"
    print(f"| {corpus} | {tool} | {len(rs)} | {pages_s} | {wall:.2f} | {pps:,.0f} | {cpu:.2f} | "
          f"{1000 * cpu / pages if pages else 0:.3f} | {rss:.1f} | {frac} |")
print()
for corpus, rps in wrk.items():
    print(f"Server ceiling ({corpus}, wrk -t2 -c16): {float(rps):,.0f} req/s")
EOF
