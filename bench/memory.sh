#!/usr/bin/env bash
# Resident memory of `eventail serve` idle and under load, on the 100,000-session SQLite file
# written by `cargo bench --bench store`, with wrk throughput and latency for a filtered list.
#
#   cargo bench --bench store        # writes target/bench/store-100000.db (BENCH_EVENTS changes N)
#   bench/memory.sh                  # needs wrk (apt-get install wrk)
#
# The server runs on CPU 0 and wrk on CPU 1 (taskset), so they do not compete.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${BENCH_EVENTS:-100000}"
DURATION="${DURATION:-20s}"
SOURCE="target/bench/store-$N.db"
[ -f "$SOURCE" ] || { echo "missing $SOURCE: run 'cargo bench --bench store' first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet
BIN="$PWD/target/release/eventail"
WORK="$(mktemp -d)"
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/data"
cp "$SOURCE" "$WORK/data/eventail.db"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export EVENTAIL_DATABASE_URL="sqlite://$WORK/data/eventail.db" EVENTAIL_HTTP_BIND="127.0.0.1:$PORT" RUST_LOG=warn
unset DATABASE_URL
TOKEN=$(cd "$WORK" && "$BIN" token create --name "bench-$$" | tail -1)
(cd "$WORK" && exec taskset -c 0 "$BIN" serve) & PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
sleep 2
rss() { awk -v k="$1" '$1 == k":" {printf "%.1f MiB", $2/1024}' "/proc/$PID/status"; }
echo "sessions in store: $N"
echo "idle:   VmRSS $(rss VmRSS)"
URL="http://127.0.0.1:$PORT/api/v1/events?kind=webinar&status=scheduled&from=2022-01-01&limit=50"
taskset -c 1 wrk -t1 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL" \
  | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx' || true
echo "loaded: VmRSS $(rss VmRSS), peak VmHWM $(rss VmHWM)"
