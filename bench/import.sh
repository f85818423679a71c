#!/usr/bin/env bash
# Speed of `eventail import` on a generated Eleventy folder.
#
#   bench/import.sh                  # N=2000 posts (~1 min after the build)
#   N=10000 bench/import.sh
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432 bench/import.sh   # the default
#   CORPUS=../shared/fixtures/minumeco/corpus bench/import.sh   # the team's 176 posts as they are
#
# 1. `cargo build --release` (once, before any measurement).
# 2. N posts in a temporary folder, copied from the project's own posts under
#    tests/fixtures/import/ (its README.md left out), round-robin so the mix of kinds stays that
#    of the fixtures (since 2026-12-03: 3 webinars, 6 in-person events, 4 videos and 9 skipped
#    files in 22; the first figures in BENCHMARKS.md were measured on the earlier mix of 3, 1, 1
#    and 5 in 10), each in the
#    same sub-folder as its original (the importer reads meaning from folder names) under a new
#    name (`stem-K.md`), its title suffixed " (copie K)" and every year in it shifted by a
#    multiple of 28 years (0, -28, +28, -56, +56, -84: 1937-2080 for these posts), which keeps
#    each date's weekday, so the copies give the same outcomes and warnings as the originals.
#    With CORPUS=FOLDER, that folder's posts instead, copied as they are (N is their number).
# 3. Each command timed with /usr/bin/time -v (wall time, peak RSS of the eventail process):
#    a. `eventail import --dry-run --format json DIR > /dev/null`
#    b. `eventail import --format json DIR` into a fresh SQLite file
#    c. the same again (every file unchanged)
#    d. `eventail import --format json DIR` into a fresh PostgreSQL database
#       (created with psql as eventail_bench_import_PID, dropped at the end)
#    e. the same again on PostgreSQL (every file unchanged)
#    The JSON reports of b-e are kept (not sent to /dev/null) and checked: every session
#    created, then every one unchanged.
#
# eventail runs under `env -i` with only PATH, HOME, LANG and EVENTAIL_DATABASE_URL, from an
# empty temporary directory, so no DATABASE_URL, EVENTAIL_* or RUST_LOG of the caller and no
# ./data of the checkout reaches it. PostgreSQL's peak RSS is the server's, not counted here.
# PG=0 skips d and e.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
N="${N:-2000}"
PG="${PG:-1}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"
BIN="$REPO/target/release/eventail"
SRC="$REPO/tests/fixtures/import"

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (/usr/bin/time)" >&2
  apt-get install -y time >/dev/null
fi
command -v python3 >/dev/null || { echo "python3 is needed to generate and check" >&2; exit 1; }
if [ "$PG" = 1 ]; then
  command -v psql >/dev/null || { echo "psql is not installed (or run with PG=0)" >&2; exit 1; }
fi

# Build first, so the compilation does not overlap any measurement.
cargo build --release --quiet

WORK="$(mktemp -d)"
DB_NAME="eventail_bench_import_$$"
DB_CREATED=0
psql_admin() {
  env -u PGDATABASE -u PGOPTIONS -u PGSERVICE psql -X -q -v ON_ERROR_STOP=1 \
    "$PG_ADMIN_URL/postgres" "$@"
}
cleanup() {
  if [ "$DB_CREATED" = 1 ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/posts" "$WORK/run" "$WORK/sqlite"

# 2. The posts.
if [ -n "${CORPUS:-}" ]; then
  [ -d "$CORPUS" ] || { echo "no folder $CORPUS" >&2; exit 1; }
  cp -r "$CORPUS/." "$WORK/posts/"
  N=$(find "$WORK/posts" -name '*.md' | wc -l)
else
python3 - "$SRC" "$WORK/posts" "$N" <<'PY'
import re, sys
from pathlib import Path

src, dest, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
originals = sorted(p for p in src.rglob("*.md") if p.name != "README.md")
shifts = [0, -28, 28, -56, 56, -84]  # 28 years: same weekdays (1901-2099)
year = re.compile(r"\b(19|20)(\d\d)\b")
title = re.compile(r'^title: (?:"(.*)"|\'(.*)\'|(.*))$', re.M)

def retitle(k):
    def sub(m):
        if m.group(1) is not None:
            return f'title: "{m.group(1)} (copie {k})"'
        if m.group(2) is not None:
            return f"title: '{m.group(2)} (copie {k})'"
        return f"title: {m.group(3)} (copie {k})"  # also the unclosed quote of broken/
    return sub

texts = {p: p.read_text(encoding="utf-8") for p in originals}
for i in range(n):
    original = originals[i % len(originals)]
    k = i // len(originals)
    shift = shifts[k % len(shifts)]
    text = year.sub(lambda m: str(int(m.group(0)) + shift), texts[original])
    text = title.sub(retitle(k), text, count=1)
    target = dest / original.relative_to(src).parent / f"{original.stem}-{k}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
PY
fi
BYTES=$(du -sb "$WORK/posts" | cut -f1)

eventail() {  # eventail DATABASE_URL ARGS…: a clean environment, an empty working directory
  local url="$1"; shift
  (cd "$WORK/run" && exec env -i PATH="/usr/bin:/bin" HOME="$WORK/run" LANG=C.UTF-8 \
    EVENTAIL_DATABASE_URL="$url" "$BIN" "$@")
}

# The mix the importer sees (not timed).
eventail "sqlite://$WORK/unused.db" import --dry-run --format json "$WORK/posts" > "$WORK/dry.json"
python3 - "$WORK/dry.json" "$N" "$BYTES" <<'PY'
import collections, json, sys
files = json.load(open(sys.argv[1]))["files"]
kinds = collections.Counter(f["outcome"] for f in files)
warnings = sum(len(f["warnings"]) for f in files)
print(f"{len(files)} files ({int(sys.argv[3]) / 1048576:.1f} MiB): "
      + ", ".join(f"{kinds[k]} {k}" for k in ("webinar", "event", "video", "skipped"))
      + f"; {warnings} warnings")
if len(files) != int(sys.argv[2]):
    sys.exit(f"expected {sys.argv[2]} files")
PY

ROWS=()
measure() {  # measure LABEL OUTPUT DATABASE_URL ARGS…
  local label="$1" out="$2" url="$3"; shift 3
  local log="$WORK/time.log"
  # time runs env, which becomes eventail: the figures are eventail's own.
  (cd "$WORK/run" && /usr/bin/time -v -o "$log" env -i PATH="/usr/bin:/bin" HOME="$WORK/run" \
    LANG=C.UTF-8 EVENTAIL_DATABASE_URL="$url" "$BIN" "$@" > "$out")
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
           n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")
  local rate
  rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "-" }')
  ROWS+=("$(printf '| %s | %s s | %s files/s | %s MiB |' "$label" "$wall" "$rate" "$rss")")
  echo "${ROWS[-1]}"
}
check_actions() {  # check_actions REPORT EXPECTED_ACTION
  python3 - "$1" "$2" "$WORK/dry.json" <<'PY'
import collections, json, sys
files = json.load(open(sys.argv[1]))["files"]
dry = json.load(open(sys.argv[3]))["files"]
sessions = sum(1 for f in dry if f["outcome"] != "skipped")
actions = collections.Counter(f.get("action") for f in files if f["outcome"] != "skipped")
if actions != {sys.argv[2]: sessions}:
    sys.exit(f"{sys.argv[1]}: expected {sessions} {sys.argv[2]}, got {dict(actions)}")
PY
}

echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
echo "| Command (N=$N) | Wall time | Files/s | Peak RSS |"
echo "|---|---|---|---|"
measure "a. dry run, JSON to /dev/null" /dev/null "sqlite://$WORK/unused.db" \
  import --dry-run --format json "$WORK/posts"
SQLITE="sqlite://$WORK/sqlite/eventail.db"
measure "b. import into a fresh SQLite file" "$WORK/b.json" "$SQLITE" \
  import --format json "$WORK/posts"
check_actions "$WORK/b.json" created
measure "c. SQLite again, all unchanged" "$WORK/c.json" "$SQLITE" \
  import --format json "$WORK/posts"
check_actions "$WORK/c.json" unchanged
if [ "$PG" = 1 ]; then
  psql_admin -c "CREATE DATABASE $DB_NAME" >/dev/null
  DB_CREATED=1
  PGURL="$PG_ADMIN_URL/$DB_NAME"
  measure "d. import into a fresh PostgreSQL database" "$WORK/d.json" "$PGURL" \
    import --format json "$WORK/posts"
  check_actions "$WORK/d.json" created
  measure "e. PostgreSQL again, all unchanged" "$WORK/e.json" "$PGURL" \
    import --format json "$WORK/posts"
  check_actions "$WORK/e.json" unchanged
fi
echo "SQLite file after b and c: $(du -sb "$WORK/sqlite" | cut -f1) bytes"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"
