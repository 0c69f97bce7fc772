#!/usr/bin/env bash
# Output identity check for refactors that must change no behaviour: audit the demo, the
# synthetic 10k site and the Rust docs (served by nginx), and write every output in a form
# that can be compared byte for byte between two builds (ports, times and response times
# masked; rows sorted).
#
#   bash benches/identity.sh OUTDIR [AUTHWALL_BINARY]
#   diff -r before/ after/
#
# CORPORA (default "demo 10k rustdocs") picks the corpora. All traffic goes to 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:?usage: identity.sh OUTDIR [AUTHWALL_BINARY]}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
AUTHWALL=${2:-}
CORPORA=${CORPORA:-demo 10k rustdocs}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/authwall-identity.XXXXXX)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'identity.sh: error: %s\n' "$*" >&2; exit 1; }

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$ROOT" && cargo build --release --quiet --example synth_site) || die "cargo build failed"
if [ -z "$AUTHWALL" ]; then
    (cd "$ROOT" && cargo build --release --quiet --bin authwall) || die "cargo build failed"
    AUTHWALL=$CARGO_TARGET_DIR/release/authwall
fi
SYNTH=$CARGO_TARGET_DIR/release/examples/synth_site

# Ports and times differ from run to run; everything else must not.
mask() { sed -E -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
    -e 's/(time +)[0-9.]+ s, ([0-9]+ requests), [0-9.]+ pages\/s/\1T s, \2, R pages\/s/' \
    -e 's/\| [0-9.]+ s \|$/| T s |/' \
    -e 's/[0-9.]+ s, ([0-9]+ requests), [0-9.]+ pages\/s/T s, \1, R pages\/s/' \
    -e 's/"(started_at|ended_at)": "[^"]*"/"\1": "T"/' \
    -e 's/"elapsed_s": [0-9.e-]+/"elapsed_s": T/'; }

csv_rows() { # file -> header, then rows without response_ms, sorted
    python3 - "$1" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
drop = head.index("response_ms")
size = head.index("bytes")
# A gzip body's size depends on the port number inside it.
keep = lambda r: [("B" if i == size and r[0].endswith(".gz") else c)
                  for i, c in enumerate(r) if i != drop]
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(keep(head))
for r in sorted(keep(r) for r in body):
    w.writerow(r)
EOF
}
jsonl_rows() {
    python3 - "$1" <<'EOF'
import json, sys
lines = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    o.pop("response_ms", None)
    if o["url"].endswith(".gz"):
        o["bytes"] = "B"
    lines.append(json.dumps(o, sort_keys=True, ensure_ascii=False))
print("\n".join(sorted(lines)))
EOF
}

# audit NAME URL ARGS... : CSV + text summary, then JSONL + Markdown summary.
audit() {
    local name=$1 url=$2 rc
    shift 2
    cd "$WORK"
    rc=0
    "$AUTHWALL" audit "$url" --no-config "$@" -o "$name.csv" >"$name.txt" 2>"$name.err" || rc=$?
    echo "$rc" >"$OUT/$name.exit"
    csv_rows "$name.csv" | mask >"$OUT/$name.csv"
    mask <"$name.txt" >"$OUT/$name.summary.txt"
    mask <"$name.run.json" >"$OUT/$name.run.json"
    rc=0
    "$AUTHWALL" audit "$url" --no-config "$@" --format jsonl --summary markdown \
        -o "$name.jsonl" >"$name.md" 2>"$name.err" || rc=$?
    echo "$rc" >"$OUT/$name.jsonl.exit"
    jsonl_rows "$name.jsonl" | mask >"$OUT/$name.jsonl"
    mask <"$name.md" >"$OUT/$name.summary.md"
    mask <"$name.run.json" >"$OUT/$name.jsonl.run.json"
    say "$name: exit $(cat "$OUT/$name.exit"), $(wc -l <"$OUT/$name.csv") CSV lines"
}

for corpus in $CORPORA; do
    case "$corpus" in
    demo)
        cd "$WORK"
        rc=0
        "$AUTHWALL" demo -o demo.csv --report demo.html >demo.txt 2>demo.err || rc=$?
        echo "$rc" >"$OUT/demo.exit"
        csv_rows demo.csv | mask >"$OUT/demo.csv"
        mask <demo.txt >"$OUT/demo.summary.txt"
        mask <demo.run.json >"$OUT/demo.run.json"
        say "demo: exit $rc"
        ;;
    10k)
        "$SYNTH" --pages 10000 >"$WORK/synth.out" 2>"$WORK/synth.err" &
        PIDS+=($!)
        for _ in $(seq 1 100); do grep -q '^listening on ' "$WORK/synth.out" && break; sleep 0.1; done
        base=$(sed -n 's/^listening on //p' "$WORK/synth.out" | head -1)
        [ -n "$base" ] || die "synth_site did not start"
        audit synth10k "$base/" --delay 0 --concurrency 16 --max-pages 100000000
        ;;
    rustdocs)
        command -v nginx >/dev/null || die "nginx is needed (apt-get install nginx)"
        docs=$(rustc --print sysroot)/share/doc/rust/html
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        mkdir -p "$WORK/nginx"
        cat >"$WORK/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server { listen 127.0.0.1:$port; root $docs; index index.html; }
}
EOF
        nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>"$WORK/nginx/stderr" &
        PIDS+=($!)
        sleep 0.3
        audit rustdocs "http://127.0.0.1:$port/" --delay 0 --concurrency 16 --max-pages 100000000
        ;;
    *) die "unknown corpus $corpus" ;;
    esac
done
say "outputs in $OUT"
