#!/usr/bin/env bash
# Three `eventail serve` instances on one PostgreSQL database behind nginx, under HTTP load,
# sending a campaign while instances are SIGKILLed and restarted.
#
#   bench/cluster.sh                          # 5,000 subscribers (10,000 messages), 20 kills
#   RELAY=faulty bench/cluster.sh             # the relay answers 421 for 60 s, then greylists
#   SUBSCRIBERS=1000 KILLS=5 bench/cluster.sh # smaller
#   MARK_WITHIN_MS=0 bench/cluster.sh         # each message marked sent as soon as it is
#                                             # accepted (mail.mark_within_ms; default 100)
#
# 1. `cargo build --release`; a fresh PostgreSQL database (eventail_cluster_PID, dropped at the
#    end); bench/smtp_sink.py on loopback, recording each delivery (recipient, Message-ID).
# 2. SUBSCRIBERS subscribers through the API, then one session whose announcement goes out at
#    once and whose reminder (PT1H before a start 60 min 40 s away) falls due 40 s later:
#    2 × SUBSCRIBERS messages, each instance sending at most RATE (60) a second.
# 3. Three instances (127.0.0.1:8481-8483, mail.lease_seconds=10) behind nginx
#    (127.0.0.1:8480, round robin, a failed connection retried on the next instance).
# 4. wrk on /calendar.ics and on the home page through nginx for the whole campaign, while an
#    instance taken at random is SIGKILLed and restarted KILLS times, 2-5 s apart.
# 5. After each restart, a write through nginx (the session's title), then each instance's feed
#    fetched directly until all three are the same and show it (LISTEN/NOTIFY), timed; the
#    run fails if they still differ 10 s after a write.
# 6. At the end, counted at the sink: every message delivered (each (recipient, Message-ID)
#    once at least), the duplicates, and in the outbox no message failed or left behind;
#    wrk's non-2xx/3xx answers and socket errors.
# Needs: psql and a PostgreSQL server (PG_ADMIN_URL), nginx, wrk, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
SUBSCRIBERS="${SUBSCRIBERS:-5000}"
KILLS="${KILLS:-20}"
RELAY="${RELAY:-ok}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"
for tool in psql nginx wrk python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install nginx wrk)" >&2; exit 1; }
done
cargo build --release --quiet
BIN="$REPO/target/release/eventail"
WORK="$(mktemp -d)"
DB="eventail_cluster_$$"
PIDS=()
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL/postgres" "$@"; }
cleanup() {
  for pid in "${PIDS[@]}" $(cat "$WORK"/pid.* 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql_admin -c "CREATE DATABASE $DB" >/dev/null
export EVENTAIL_DATABASE_URL="$PG_ADMIN_URL/$DB"

SINK_PORT=2525
case "$RELAY" in
  ok) sink_args=() ;;
  faulty) sink_args=(--fail-421-for 60 --fail-451-every 7) ;;
  *) echo "RELAY is ok or faulty" >&2; exit 1 ;;
esac
python3 bench/smtp_sink.py "$SINK_PORT" "$WORK/sink.log" "${sink_args[@]}" &
PIDS+=($!)

export EVENTAIL_MAIL_SMTP_URL="smtp://127.0.0.1:$SINK_PORT"
export EVENTAIL_MAIL_FROM="Agenda <agenda@agenda.example.org>"
export EVENTAIL_BASE_URL="http://127.0.0.1:8480"
export EVENTAIL_MAIL__LEASE_SECONDS=10
# Each instance sends at most RATE messages a second (mail.rate_per_second), so that the
# campaign lasts long enough for the kills to fall while messages are in flight.
export EVENTAIL_MAIL__RATE_PER_SECOND="${RATE:-60}"
export EVENTAIL_MAIL__RETRY_BASE_SECONDS=5
export EVENTAIL_MAIL__RETRY_MAX_SECONDS=20
export EVENTAIL_MAIL__MAX_ATTEMPTS=30
[ -n "${MARK_WITHIN_MS:-}" ] && export EVENTAIL_MAIL__MARK_WITHIN_MS="$MARK_WITHIN_MS"
export EVENTAIL_DATABASE__MAX_CONNECTIONS=8
export RUST_LOG=warn
"$BIN" migrate >/dev/null
TOKEN="$("$BIN" token create --name cluster | tail -1)"

start() {  # start I: instance I on 127.0.0.1:848(I+1)
  local i="$1"
  EVENTAIL_HTTP_BIND="127.0.0.1:$((8481 + i))" "$BIN" serve >> "$WORK/instance-$i.log" 2>&1 &
  echo $! > "$WORK/pid.$i"
}
wait_healthy() {
  local port="$1"
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "instance on $port did not start" >&2; return 1
}
for i in 0 1 2; do start "$i"; done
for i in 0 1 2; do wait_healthy $((8481 + i)); done

cat > "$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream eventail {
    server 127.0.0.1:8481 max_fails=1 fail_timeout=2s;
    server 127.0.0.1:8482 max_fails=1 fail_timeout=2s;
    server 127.0.0.1:8483 max_fails=1 fail_timeout=2s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:8480;
    location / {
      proxy_pass http://eventail;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 1s;
    }
  }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK"

# 2. The audience and the campaign.
python3 - "$SUBSCRIBERS" "$TOKEN" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
n, token = int(sys.argv[1]), sys.argv[2]
def add(i):
    body = json.dumps({"email": f"abonne{i}@exemple.fr", "scope": "all",
                       "consent": {"source": "bench", "at": "2026-01-04T09:00:00Z"}}).encode()
    req = urllib.request.Request("http://127.0.0.1:8480/api/v1/subscribers", data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 201, r.status
with ThreadPoolExecutor(8) as pool:
    list(pool.map(add, range(n)))
PY
echo "$SUBSCRIBERS subscribers"
EXPECTED=$((2 * SUBSCRIBERS))
# The reminder (an hour before) falls due 40 s after the announcement.
START_AT="$(date -u -d '+3640 seconds' +%Y-%m-%dT%H:%M:%SZ)"
# wrk in 10-second rounds until the campaign is over (a wrk stopped by a signal reports nothing).
load() {  # load NAME URL
  while [ ! -f "$WORK/stop" ]; do
    wrk -t1 -c8 -d10s --timeout 5s "$2" >> "$WORK/wrk-$1.txt" 2>&1 || true
  done
}
load feed http://127.0.0.1:8480/calendar.ics &
WRK1=$!
load page http://127.0.0.1:8480/ &
WRK2=$!
PIDS+=("$WRK1" "$WRK2")
T0=$(date +%s.%N)
curl -fs -o "$WORK/session.json" http://127.0.0.1:8480/api/v1/events \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"kind\": \"webinar\", \"status\": \"scheduled\", \"title\": \"Campagne de test\",
       \"starts_at\": \"$START_AT\", \"reminders\": [\"PT1H\"]}"
SLUG="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["slug"])' "$WORK/session.json")"

delivered() { cut -f1,2 "$WORK/sink.log" 2>/dev/null | sort -u | wc -l; }
# 5. A write through nginx, then the three instances' feeds until they agree and show it.
write_then_compare() {  # write_then_compare N
  local title="Campagne de test (modification $1)"
  curl -fs -o /dev/null -X PATCH "http://127.0.0.1:8480/api/v1/events/$SLUG" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/merge-patch+json' \
    -d "{\"title\": \"$title\"}"
  local w0 same
  w0=$(date +%s.%N)
  for _ in $(seq 200); do
    same=1
    for port in 8481 8482 8483; do
      curl -fs "http://127.0.0.1:$port/calendar.ics" | grep -v '^DTSTAMP' > "$WORK/feed-$port.ics" || same=0
    done
    if [ "$same" = 1 ] && grep -q "modification $1\b" "$WORK/feed-8481.ics" \
       && cmp -s "$WORK/feed-8481.ics" "$WORK/feed-8482.ics" \
       && cmp -s "$WORK/feed-8481.ics" "$WORK/feed-8483.ics"; then
      python3 -c "print(f'{$(date +%s.%N) - $w0:.3f}')" >> "$WORK/agree.txt"
      return 0
    fi
    sleep 0.05
  done
  echo "FAIL: the instances' feeds still differ 10 s after write $1" >&2
  return 1
}
# 4. The kills, each followed by a write once the instance is back.
for k in $(seq "$KILLS"); do
  sleep "$((2 + RANDOM % 4))"
  i=$((RANDOM % 3))
  kill -9 "$(cat "$WORK/pid.$i")" 2>/dev/null || true
  echo "kill $k: instance $i at $(delivered) delivered"
  start "$i"
  wait_healthy $((8481 + i))
  write_then_compare "$k"
done
echo "feeds identical on the three instances after each of $KILLS writes: $(sort -n "$WORK/agree.txt" | python3 -c "
import statistics, sys
t = [float(x) for x in sys.stdin]
print(f'median {statistics.median(t):.2f} s, at most {max(t):.2f} s')")"

# 6. Until everything is delivered (the reminder falls due two minutes in).
for _ in $(seq 600); do
  [ "$(delivered)" -ge "$EXPECTED" ] && break
  sleep 1
done
T1=$(date +%s.%N)
sleep 3
touch "$WORK/stop"
wait "$WRK1" "$WRK2" 2>/dev/null || true
UNIQUE=$(delivered)
TOTAL=$(wc -l < "$WORK/sink.log")
OUTBOX=$(psql -X -A -t "$EVENTAIL_DATABASE_URL" -c "SELECT status || '=' || COUNT(*) FROM outbox_state GROUP BY status ORDER BY status" | tr '\n' ' ')
echo "relay: $RELAY; kills: $KILLS"
echo "delivered: $UNIQUE of $EXPECTED messages in $(python3 -c "print(f'{$T1 - $T0:.0f}')") s; duplicates: $((TOTAL - UNIQUE)) ($(python3 -c "print(f'{($TOTAL - $UNIQUE) / max($KILLS, 1):.1f}')") per kill)"
echo "outbox: $OUTBOX"
for f in feed page; do
  python3 - "$WORK/wrk-$f.txt" "$f" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
requests = sum(int(n) for n in re.findall(r"(\d+) requests in", text))
seconds = sum(float(n) for n in re.findall(r"requests in ([\d.]+)s", text))
bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
socket = [tuple(map(int, m)) for m in re.findall(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)]
errors = [sum(x) for x in zip(*socket)] if socket else [0, 0, 0, 0]
print(f"wrk {sys.argv[2]}: {requests} requests in {seconds:.0f} s ({requests / max(seconds, 1):.0f}/s); "
      f"non-2xx/3xx: {bad}; socket errors connect/read/write/timeout: {'/'.join(map(str, errors))}")
PY
done
STATUS=0
[ "$UNIQUE" -ge "$EXPECTED" ] || { echo "FAIL: $((EXPECTED - UNIQUE)) messages not delivered" >&2; STATUS=1; }
if echo "$OUTBOX" | grep -q 'failed='; then echo "FAIL: messages failed" >&2; STATUS=1; fi
exit $STATUS
