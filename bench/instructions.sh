#!/usr/bin/env bash
# Instructions per request on the calendar short path, counted by callgrind: a measure that does
# not move with the machine's load, for before/after comparisons of the serving code (the
# requests per second of `bench/calendar.sh` vary by a tenth or more between runs of one build).
#
#   cargo bench --bench calendar                       # writes target/bench/calendar-1000.db
#   bench/instructions.sh                              # this tree's release build
#   bench/instructions.sh old/eventail new/eventail    # several builds, one after the other
#
# Each build serves a copy of the 1,000-session database under valgrind's callgrind, counting only
# inside the connection task (`serve_connection`: hyper's parsing and writing, the short path,
# the watchdog; not tokio's scheduler or the kernel). A Python client warms the feed (both
# forms, 400 requests), then sends $REQUESTS requests over 16 kept-alive connections for each
# case: a 304 of the gzip form (If-None-Match with the gzip ETag) and a 200 of the gzip form.
# Printed: instructions per request. The same build gives the same figure to within about 1 %.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${REQUESTS:-16000}"
SOURCE="target/bench/calendar-1000.db"
[ -f "$SOURCE" ] || { echo "missing $SOURCE: run 'cargo bench --bench calendar' first" >&2; exit 1; }
for tool in valgrind callgrind_control callgrind_annotate python3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
if [ "$#" -eq 0 ]; then
  cargo build --release --quiet
  set -- target/release/eventail
fi

CLIENT=$(cat <<'PY'
import socket, sys, threading
port, n, headers = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
request = ("GET /calendar.ics HTTP/1.1\r\nHost: bench\r\n"
           + "".join(h + "\r\n" for h in headers) + "\r\n").encode()
statuses, lock = {}, threading.Lock()
def connection(count):
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    for _ in range(count):
        s.sendall(request)
        status = f.readline().split()[1].decode()
        length = 0
        while (line := f.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        f.read(length)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
threads = [threading.Thread(target=connection, args=(n // 16,)) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(" ".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
PY
)

measure() { # binary
  local bin work port pid url gz
  bin=$(realpath "$1")
  work=$(mktemp -d)
  mkdir -p "$work/data"
  cp "$SOURCE" "$work/data/eventail.db"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$work" && EVENTAIL_DATABASE_URL="sqlite://$work/data/eventail.db" \
    EVENTAIL_HTTP_BIND="127.0.0.1:$port" RUST_LOG=warn DATABASE_URL= \
    exec valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" \
      --instr-atstart=no '--toggle-collect=*serve_connection*' "$bin" serve 2>"$work/valgrind.log") &
  pid=$!
  url="http://127.0.0.1:$port/calendar.ics"
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$url" && break; sleep 0.2; done
  gz=$(curl -sf -o /dev/null -D - -H 'Accept-Encoding: gzip' "$url" | awk 'tolower($1)=="etag:" {sub(/\r$/,""); print $2}')
  python3 -c "$CLIENT" "$port" 400 "Accept-Encoding: gzip" >/dev/null
  python3 -c "$CLIENT" "$port" 400 >/dev/null
  for case in 304-gzip 200-gzip; do
    local headers=("Accept-Encoding: gzip")
    [ "$case" = 304-gzip ] && headers+=("If-None-Match: $gz")
    callgrind_control --zero "$pid" >/dev/null 2>&1
    callgrind_control -i on "$pid" >/dev/null 2>&1
    local statuses
    statuses=$(python3 -c "$CLIENT" "$port" "$REQUESTS" "${headers[@]}")
    callgrind_control -i off "$pid" >/dev/null 2>&1
    callgrind_control --dump="$case" "$pid" >/dev/null 2>&1
    local file total
    file=$(ls -t "$work"/callgrind.* | head -1)
    total=$({ callgrind_annotate "$file" 2>/dev/null || true; } | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    awk -v b="$1" -v c="$case" -v t="$total" -v n="$REQUESTS" -v s="$statuses" \
      'BEGIN {printf "%-40s %-9s %8.0f instructions/request  (%s)\n", b, c, t / n, s}'
  done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}

for bin in "$@"; do
  measure "$bin"
done
