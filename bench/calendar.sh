#!/usr/bin/env bash
# /calendar.ics served by eventail versus the same bytes served by nginx as static files.
#
#   cargo bench --bench calendar     # writes target/bench/calendar-1000.db (and times cold renders)
#   bench/calendar.sh                # needs wrk and nginx (apt-get install wrk nginx)
#   EVENTAIL_BIN=path/to/eventail bench/calendar.sh   # another build (before/after), not rebuilt
#
# Each server runs alone on CPU 0, one after the other; wrk runs on CPU 1. nginx gets one worker,
# no access log, sendfile, and gzip_static with a .gz file made by `gzip -6` beforehand, so
# neither server compresses per request. eventail logs at warn (no per-request log lines).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${BENCH_SERVE_EVENTS:-1000}"
DURATION="${DURATION:-10s}"
REPEAT="${REPEAT:-3}"
CONNECTIONS="${CONNECTIONS:-16}"
SOURCE="target/bench/calendar-$N.db"
[ -f "$SOURCE" ] || { echo "missing $SOURCE: run 'cargo bench --bench calendar' first" >&2; exit 1; }
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install wrk nginx curl)" >&2; exit 1; }
done

if [ -n "${EVENTAIL_BIN:-}" ]; then
  BIN="$(realpath "$EVENTAIL_BIN")"
else
  cargo build --release --quiet
  BIN="$PWD/target/release/eventail"
fi
WORK="$(mktemp -d)"
chmod 755 "$WORK"
cleanup() {
  # eventail saves the feed as it stops: wait for it before its folder goes.
  if [ -n "${EVENTAIL_PID:-}" ] && kill "$EVENTAIL_PID" 2>/dev/null; then
    wait "$EVENTAIL_PID" 2>/dev/null || true
  fi
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

# --- eventail --------------------------------------------------------------------------------
mkdir -p "$WORK/data" "$WORK/static"
cp "$SOURCE" "$WORK/data/eventail.db"
EPORT=$(free_port)
export EVENTAIL_DATABASE_URL="sqlite://$WORK/data/eventail.db" EVENTAIL_HTTP_BIND="127.0.0.1:$EPORT" RUST_LOG=warn
unset DATABASE_URL
(cd "$WORK" && exec taskset -c 0 "$BIN" serve) & EVENTAIL_PID=$!
wait_for "http://127.0.0.1:$EPORT/healthz"
EURL="http://127.0.0.1:$EPORT/calendar.ics"

# The same bytes for nginx, and their gzip form for gzip_static.
curl -sf -o "$WORK/static/calendar.ics" "$EURL"
gzip -6 -k -n "$WORK/static/calendar.ics"
touch -r "$WORK/static/calendar.ics" "$WORK/static/calendar.ics.gz"

# --- nginx -----------------------------------------------------------------------------------
NPORT=$(free_port)
cat > "$WORK/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { text/calendar ics; }
  charset utf-8;
  charset_types text/calendar;
  gzip_static on;
  gzip_vary on;
  etag on;
  server {
    listen 127.0.0.1:$NPORT;
    root $WORK/static;
    location / { add_header Cache-Control "public, max-age=300"; }
  }
}
CONF
taskset -c 0 nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"
NURL="http://127.0.0.1:$NPORT/calendar.ics"
wait_for "$NURL"

etag() { curl -sf -o /dev/null -D - "$@" | awk 'tolower($1)=="etag:" {sub(/\r$/,""); print $2}'; }
SIZE=$(stat -c %s "$WORK/static/calendar.ics")
GZSIZE=$(stat -c %s "$WORK/static/calendar.ics.gz")
echo "feed: $N sessions, $SIZE bytes ($GZSIZE gzip)"
cmp <(curl -sf "$EURL") <(curl -sf "$NURL") && echo "both servers send the same bytes"

run() { # server-name url extra-headers...
  local name=$1 url=$2; shift 2
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  local out
  out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${args[@]}" "$url")
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-9s %-12s %10s req/s  p99 %8s  non-2xx/3xx %s\n' "$name" "$CASE" "$rps" "$p99" "${non2xx:-0}" | tee -a "$WORK/results"
}

# Rounds alternate the servers, so drifts of the machine touch both alike.
for round in $(seq 1 "$REPEAT"); do
  echo "round $round"
  for server in eventail nginx; do
    if [ "$server" = eventail ]; then URL=$EURL; else URL=$NURL; fi
    PLAIN_TAG=$(etag "$URL")
    GZIP_TAG=$(etag -H 'Accept-Encoding: gzip' "$URL")
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $PLAIN_TAG" "$URL")" = 304 ] || { echo "$server: no 304" >&2; exit 1; }
    CASE="200-plain"; run "$server" "$URL"
    CASE="200-gzip";  run "$server" "$URL" "Accept-Encoding: gzip"
    CASE="304-plain"; run "$server" "$URL" "If-None-Match: $PLAIN_TAG"
    CASE="304-gzip";  run "$server" "$URL" "Accept-Encoding: gzip" "If-None-Match: $GZIP_TAG"
  done
done
echo
echo "medians over $REPEAT rounds (requests/s), and eventail/nginx:"
for c in 200-plain 200-gzip 304-plain 304-gzip; do
  e=$(awk -v c="$c" '$1=="eventail" && $2==c {print $3}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  n=$(awk -v c="$c" '$1=="nginx" && $2==c {print $3}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v c="$c" -v e="$e" -v n="$n" 'BEGIN {printf "%-10s eventail %10.0f  nginx %10.0f  ratio %.2f\n", c, e, n, e/n}'
done
echo "eventail RSS after the runs: $(awk '$1=="VmRSS:" {printf "%.1f MiB", $2/1024}' /proc/$EVENTAIL_PID/status)"
