#!/usr/bin/env bash
# The mailer against a local SMTP sink, beside the sink's own ceiling.
#
#   apt-get install postfix          # for smtp-sink and smtp-source (/usr/sbin); the postfix
#                                    # daemon itself is not needed and must not hold the port
#   bench/mail.sh                    # ~10 min after the build; BENCH_* variables pass through to
#                                    # `cargo bench --bench mail` (see benches/mail.rs)
#
# 1. smtp-sink (accepts every message and throws it away) listens on 127.0.0.1:$PORT, pinned to
#    CPU 1.
# 2. Its ceiling: smtp-source, pinned to CPU 0, sends $CEILING_MESSAGES messages of
#    $MESSAGE_BYTES bytes of body (about the size of a reminder as eventail sends it), with 1, 4
#    and 8 parallel sessions, each once reusing its connection (-d, as eventail's SMTP pool does)
#    and once with a new connection per message. The best median of these is the ceiling.
# 3. `cargo bench --bench mail` (pinned to CPU 0, like smtp-source) sends to the same sink: its
#    throughput cases (a, r) once per round, right after that round's ceiling, so the two
#    alternate ($ROUNDS rounds) and a drift of the machine's speed moves both alike; after each
#    pool's run, the same reminder goes as many times through the SMTP client alone. Its other
#    cases (b, c) run once, after the rounds. The summary gives medians over the rounds.
# 4. The sink's own count of messages is checked against what each run reported sent.
# The script fails when a count differs (there, or in a ceiling round against what smtp-source
# sent): another client on the port, or lost messages, would make the figures wrong.
# PIN=0 runs everything unpinned.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-2525}"
CEILING_MESSAGES="${CEILING_MESSAGES:-10000}"
MESSAGE_BYTES="${MESSAGE_BYTES:-7200}"
ROUNDS="${ROUNDS:-3}"
PIN="${PIN:-1}"
PATH="$PATH:/usr/sbin:/usr/local/sbin"
for tool in smtp-sink smtp-source ss; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (apt-get install postfix iproute2)" >&2; exit 1; }
done
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  SINK_CPU=(taskset -c 1); CLIENT_CPU=(taskset -c 0)
else
  SINK_CPU=(); CLIENT_CPU=()
fi
# smtp-sink binds with SO_REUSEPORT: a stale listener would silently share the port.
if ss -Htln "sport = :$PORT" | grep -q .; then
  echo "port $PORT is already in use (a postfix daemon or an old smtp-sink?); stop it or set PORT" >&2
  exit 1
fi
if postfix status >/dev/null 2>&1; then
  echo "note: the postfix daemon is running; it does not use port $PORT but shares the CPUs" >&2
fi

# Build first, so the compilation does not overlap any measurement.
cargo bench --bench mail --no-run --quiet

WORK="$(mktemp -d)"
chmod 755 "$WORK"
SINK_PID=
cleanup() {
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_sink() {
  local user=()
  [ "$(id -u)" = 0 ] && user=(-u nobody)
  : > "$WORK/sink.log"
  (cd "$WORK" && exec "${SINK_CPU[@]}" smtp-sink -c "${user[@]}" "127.0.0.1:$PORT" 1000 > "$WORK/sink.log" 2>&1) &
  SINK_PID=$!
  for _ in $(seq 1 50); do
    ss -Htln "sport = :$PORT" | grep -q . && return 0
    sleep 0.1
  done
  echo "smtp-sink did not start: $(cat "$WORK/sink.log")" >&2
  exit 1
}
stop_sink() {
  kill "$SINK_PID" 2>/dev/null || true
  wait "$SINK_PID" 2>/dev/null || true
  SINK_PID=
}
# The sink's counter line after the last message (it rewrites one line with \r).
sink_messages() { tr '\r' '\n' < "$WORK/sink.log" | awk -F'mesg=' 'NF > 1 {n = $2} END {print n + 0}'; }
# The sink's count once it reaches $1 (or two seconds pass); printed.
sink_settled() {
  local n
  for _ in $(seq 1 20); do
    n=$(sink_messages)
    [ "$n" -ge "$1" ] && break
    sleep 0.1
  done
  echo "$n"
}
# A count other than what was sent means another client shares the sink (a benchmark left
# running, say) or messages were lost: the figures would be wrong, so the run fails.
check_count() { # what, counted, sent
  if [ "$2" -ne "$3" ]; then
    echo "$1: the sink counted $2 messages, $3 were sent; another client is using port $PORT or messages were lost, so this run's figures are not valid" >&2
    exit 1
  fi
}

echo "source: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src migrations Cargo.toml 2>/dev/null || echo " + uncommitted changes (diff sha1 $(git diff HEAD -- src migrations Cargo.toml | sha1sum | cut -c1-10))"), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), pinning: $([ ${#SINK_CPU[@]} -gt 0 ] && echo 'sink CPU 1, clients CPU 0' || echo none)"
echo "smtp-sink on 127.0.0.1:$PORT; ceiling with smtp-source, $CEILING_MESSAGES messages of $MESSAGE_BYTES bytes, $ROUNDS rounds"

# Throughput cases (a, r) alternate with the ceiling, round by round, so a machine whose speed
# drifts (other tenants of the host) moves both alike; the other cases run once, after.
CASES="${BENCH_CASES:-a,r,b,c}"
ROUND_CASES=$(tr ',' '\n' <<< "$CASES" | grep -xE 'a|r' | paste -sd, - || true)
OTHER_CASES=$(tr ',' '\n' <<< "$CASES" | grep -vxE 'a|r' | grep . | paste -sd, - || true)
export BENCH_SMTP_URL="smtp://127.0.0.1:$PORT"

# One run of `cargo bench --bench mail` for the cases $1; its log is added to bench.log, and the
# sink's count of what arrived meanwhile is checked against what it reported sent.
run_bench() {
  local before sent counted
  before=$(sink_messages)
  BENCH_CASES="$1" "${CLIENT_CPU[@]}" cargo bench --bench mail --quiet 2>&1 | tee "$WORK/run.log"
  cat "$WORK/run.log" >> "$WORK/bench.log"
  sleep 0.5
  # Reminders of cases a and r ("  pool N: sent M ..."), the client alone beside them
  # ("  client alone, pool N: sent M ...") and case c ("RESULT lateness ... sent=M").
  sent=$(awk '/^  pool [0-9]+: sent/ {s += $4} /^  client alone, pool [0-9]+: sent/ {s += $6}
    /^RESULT lateness/ {for (i = 1; i <= NF; i++) if ($i ~ /^sent=/) {split($i, b, "="); s += b[2]}}
    END {print s + 0}' "$WORK/run.log")
  counted=$(( $(sink_settled $(( before + sent ))) - before ))
  echo "the sink counted $counted messages; the benchmark reported $sent sent"
  check_count "eventail's run ($1)" "$counted" "$sent"
}

start_sink
: > "$WORK/ceiling"
: > "$WORK/bench.log"
for round in $(seq 1 "$ROUNDS"); do
  echo "--- round $round of $ROUNDS: the sink's ceiling"
  for sessions in 1 4 8; do
    for reuse in -d ""; do
      before=$(sink_messages)
      t0=$(date +%s.%N)
      "${CLIENT_CPU[@]}" smtp-source $reuse -s "$sessions" -l "$MESSAGE_BYTES" -m "$CEILING_MESSAGES" \
        -f agenda@agenda.example.org -t abonne@example.org "127.0.0.1:$PORT"
      t1=$(date +%s.%N)
      sleep 0.2
      got=$(( $(sink_settled $(( before + CEILING_MESSAGES ))) - before ))
      mode=$([ -n "$reuse" ] && echo "reuse" || echo "new-conn")
      awk -v r="$round" -v s="$sessions" -v m="$mode" -v n="$CEILING_MESSAGES" -v got="$got" -v a="$t0" -v b="$t1" \
        'BEGIN {printf "round %d  sessions %d  %-8s %6.3f s  %8.0f messages/s  (sink counted %d)\n", r, s, m, b - a, n / (b - a), got}' \
        | tee -a "$WORK/ceiling"
      check_count "ceiling round $round" "$got" "$CEILING_MESSAGES"
    done
  done
  if [ -n "$ROUND_CASES" ]; then
    echo "--- round $round of $ROUNDS: eventail, cases $ROUND_CASES"
    run_bench "$ROUND_CASES"
  fi
done
echo "ceiling, medians over $ROUNDS rounds:"
for sessions in 1 4 8; do
  for mode in reuse new-conn; do
    awk -v s="$sessions" -v m="$mode" '$4 == s && $5 == m {print $8}' "$WORK/ceiling" | sort -n \
      | awk -v s="$sessions" -v m="$mode" '{a[NR] = $1} END {printf "  sessions %d  %-8s  median %8.0f  min %8.0f  max %8.0f messages/s\n", s, m, a[int((NR + 1) / 2)], a[1], a[NR]}'
  done
done | tee "$WORK/ceiling-medians"
CEILING=$(awk '{print $5, $2, $3}' "$WORK/ceiling-medians" | sort -n | tail -1)
echo "ceiling (best median): ${CEILING%% *} messages/s (sessions ${CEILING#* })"
if [ -n "$OTHER_CASES" ]; then
  echo "--- eventail, cases $OTHER_CASES (once)"
  run_bench "$OTHER_CASES"
fi
stop_sink

echo
echo "summary:"
echo "  sink ceiling (smtp-source, best median of $ROUNDS rounds): ${CEILING%% *} messages/s"
# Per backend, recipients and pool: the median over the rounds of eventail's rate, and of the
# client alone's (the same message through the same transport, nothing else).
awk -v c="${CEILING%% *}" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return a[int((n + 1) / 2)]
  }
  /^RESULT (throughput|client_alone)/ {
    delete v
    for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    key = v["db"] " to " v["to"] " pool " v["pool"]
    if (!(key in seen)) { seen[key] = 1; keys[++k] = key }
    rates[$2, key] = rates[$2, key] " " v["messages_per_s"]
  }
  END {
    for (i = 1; i <= k; i++) {
      key = keys[i]; e = median(rates["throughput", key]); a = median(rates["client_alone", key])
      printf "  eventail %s: median %s messages/s (rounds:%s) = %.3f x the ceiling (target >= 0.8)\n", key, e, rates["throughput", key], e / c
      if (a != "") printf "    client alone, same pool: median %s messages/s (rounds:%s) = %.3f x the ceiling; eventail = %.3f x the client alone\n", a, rates["client_alone", key], a / c, e / a
    }
  }' "$WORK/bench.log"
# Cases b and c print these; a run of only some cases (BENCH_CASES=a) has none, which is not a
# failure.
sed -n 's/^RESULT \(planning\|lateness\)/  \1/p' "$WORK/bench.log"
