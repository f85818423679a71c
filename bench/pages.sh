#!/usr/bin/env bash
# Public pages: requests/s and p99 for the agenda and a session page with 1,000 sessions in the
# store (wrk), and the time of a static export of 10,000 sessions.
#
#   cargo bench --bench calendar     # once: leaves target/bench/calendar-{1000,10000}.db
#   bench/pages.sh                   # needs wrk (apt-get install wrk)
#
# The server and wrk are pinned to separate cores (PIN=0 to run unpinned).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-18090}"
DURATION="${DURATION:-10s}"
PIN="${PIN:-1}"
for db in target/bench/calendar-1000.db target/bench/calendar-10000.db; do
  [ -f "$db" ] || { echo "$db is missing: run cargo bench --bench calendar first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 1); CLIENT_CPU=(taskset -c 0)
else
  SERVER_CPU=(); CLIENT_CPU=()
fi
cargo build --release --quiet
BIN="$PWD/target/release/eventail"
WORK="$(mktemp -d)"
trap 'if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT

# --- pages under load, 1,000 sessions ---------------------------------------------------------
cp target/bench/calendar-1000.db "$WORK/pages.db"
(cd "$WORK" && EVENTAIL_DATABASE_URL="sqlite://$WORK/pages.db" EVENTAIL_HTTP_BIND="127.0.0.1:$PORT" \
  EVENTAIL_MAIL__DISPATCH=false RUST_LOG=warn "${SERVER_CPU[@]}" "$BIN" serve) &
SERVER=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
SLUG=$(curl -fs "http://127.0.0.1:$PORT/" | sed 's/&#x2f;/\//g' | grep -o '/events/[a-z0-9-]*' | head -1)
echo "session page: $SLUG"
for path in / "$SLUG"; do
  for encoding in identity br; do
    curl -fs -o /dev/null -H "accept-encoding: $encoding" "http://127.0.0.1:$PORT$path"
    size=$(curl -fs -H "accept-encoding: $encoding" "http://127.0.0.1:$PORT$path" | wc -c)
    echo "== $path ($encoding, $size bytes)"
    "${CLIENT_CPU[@]}" wrk -t1 -c16 -d"$DURATION" --latency -H "accept-encoding: $encoding" \
      "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|99%|50%"
  done
done
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

# --- static export, 10,000 sessions -----------------------------------------------------------
cp target/bench/calendar-10000.db "$WORK/export.db"
for run in 1 2 3; do
  rm -rf "$WORK/site"
  /usr/bin/time -f "export run $run: %e s, peak RSS %M KiB" \
    env EVENTAIL_DATABASE_URL="sqlite://$WORK/export.db" EVENTAIL_BASE_URL=https://agenda.example.gouv.fr \
    RUST_LOG=warn "$BIN" publish --out "$WORK/site"
done
du -sh "$WORK/site" | sed 's/^/site size: /'
