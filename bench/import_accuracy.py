#!/usr/bin/env python3
"""How many annotated fields `eventail import` reads right.

Usage:
    bench/import_accuracy.py ANNOTATIONS.json [--root FOLDER] [--min PERCENT]
    EVENTAIL_BIN=path/to/eventail bench/import_accuracy.py ANNOTATIONS.json

ANNOTATIONS.json has the shape of the team's fixtures/minumeco/expected.json:

    {"files": {"RELATIVE/PATH.md": {"outcome": ..., "title": ..., ...}, ...}}

Each key is a Markdown file, relative to the folder that holds ANNOTATIONS.json, or to FOLDER
when given (the project's own annotations, bench/corpus-annotations.json, describe the team's
posts under ../shared/fixtures/minumeco/corpus, which stay there). Keys of an annotation that
start with "_" are notes, not compared. For each file the tool runs, from that folder,

    $EVENTAIL_BIN import --dry-run --format json RELATIVE/PATH.md

(EVENTAIL_BIN defaults to target/release/eventail in this repository; build it with
`cargo build --release`) and compares the annotated fields, and only those, with what the
importer reports. Each of these counts as one field:

    outcome, reason                      the file's report (`outcome`, `reason`)
    title, summary, published_on, timezone, starts_at, ends_at,
    registration_required, capacity, recording_planned, programme, episode
                                         the event's field of the same name
    links.join, links.registration, links.recording, links.video, links.more
                                         one field each
    speakers                             the list of (name, affiliation), in order, where
                                         affiliation is the event's role and organisation
                                         joined by ", " (whichever are set)
    series                               the event's series.title (or series, if a string)
    tags                                 compared as sets

Times are equal when they are the same instant (a time without offset is read in the event's
time zone). A boolean the importer leaves out counts as false, a list left out as empty.

Prints the wrong fields file by file (expected / got), then totals per field and
"N of M fields right (P%)". Exits 0 whatever the figure (it is a measurement), unless
--min PERCENT is given and fewer fields than that are right: then 1 (the test that reads
../shared checks the corpus this way); 2 when the annotations cannot be read or the binary
cannot be run. Python 3.9+, standard library only.
"""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover
    ZoneInfo = None

# The order fields are reported in.
FIELDS = [
    "outcome",
    "reason",
    "title",
    "summary",
    "published_on",
    "timezone",
    "starts_at",
    "ends_at",
    "links.join",
    "links.registration",
    "links.recording",
    "links.video",
    "links.more",
    "registration_required",
    "capacity",
    "recording_planned",
    "speakers",
    "programme",
    "episode",
    "series",
    "tags",
]
BOOLEANS = {"registration_required", "recording_planned"}
LISTS = {"links.more", "speakers", "programme", "tags"}
TIMES = {"starts_at", "ends_at"}

MISSING = object()


def fail(message):
    print(f"import_accuracy: {message}", file=sys.stderr)
    sys.exit(2)


def default_binary():
    repo = Path(__file__).resolve().parent.parent
    return str(repo / "target" / "release" / "eventail")


def run_import(binary, folder, relative):
    """The importer's report for one file, or (None, error text)."""
    try:
        done = subprocess.run(
            [binary, "import", "--dry-run", "--format", "json", relative],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as e:
        fail(f"cannot run {binary}: {e}")
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {done.stderr.strip()[:300]}"
    try:
        files = json.loads(done.stdout)["files"]
    except (ValueError, KeyError, TypeError) as e:
        return None, f"output is not the import JSON report: {e}"
    for report in files:
        if report.get("path") == relative:
            return report, None
    if len(files) == 1:
        return files[0], None
    return None, f"{len(files)} reports, none for {relative}"


def affiliation(speaker):
    if "affiliation" in speaker:
        return speaker.get("affiliation") or None
    parts = [speaker.get("role"), speaker.get("organisation")]
    joined = ", ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return joined or None


def speakers_of(value):
    if value is MISSING or value is None:
        return []
    return [(s.get("name"), affiliation(s)) for s in value]


def series_of(value):
    if value is MISSING or value is None:
        return None
    if isinstance(value, dict):
        return value.get("title")
    return value


def got_value(report, field):
    if field in ("outcome", "reason"):
        return report.get(field)
    event = report.get("event")
    if not isinstance(event, dict):
        return MISSING
    if field.startswith("links."):
        links = event.get("links")
        if not isinstance(links, dict):
            return MISSING
        return links.get(field.split(".", 1)[1], MISSING)
    return event.get(field, MISSING)


def expected_value(annotation, field):
    if field.startswith("links."):
        links = annotation.get("links")
        if not isinstance(links, dict):
            return MISSING
        return links.get(field.split(".", 1)[1], MISSING)
    return annotation.get(field, MISSING)


def instant(text, tz_name):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    if moment.tzinfo is None:
        if ZoneInfo is None or not tz_name:
            return None
        try:
            moment = moment.replace(tzinfo=ZoneInfo(tz_name))
        except Exception:  # unknown zone
            return None
    return moment


def normalise(field, value, report, annotation):
    """The comparable form of an expected or reported value."""
    if field == "speakers":
        return speakers_of(value)
    if field == "series":
        return series_of(value)
    if value is MISSING or value is None:
        if field in BOOLEANS:
            return False
        if field in LISTS:
            return []
        return None
    if field == "tags":
        return sorted(value)
    if field == "links.more":
        return [(m.get("title"), m.get("url")) for m in value]
    if field in TIMES and isinstance(value, str):
        event = report.get("event") if isinstance(report, dict) else None
        tz_name = (event or {}).get("timezone") or annotation.get("timezone")
        moment = instant(value, tz_name)
        return moment if moment is not None else value
    return value


def shown(value):
    if value is MISSING:
        return "(absent)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def shown_got(field, report):
    """What the importer gave, in the annotation's terms."""
    value = got_value(report, field)
    if field == "speakers" and value is not MISSING and value is not None:
        return shown([{"name": n, "affiliation": a} for n, a in speakers_of(value)])
    if field == "series" and isinstance(value, dict):
        return shown(value.get("title"))
    return shown(value)


def main(argv):
    args = argv[1:]
    root = None
    minimum = None
    rest = args[1:]
    args = args[:1]
    while len(rest) >= 2 and rest[0] in ("--root", "--min"):
        if rest[0] == "--root":
            root = Path(rest[1])
        else:
            try:
                minimum = float(rest[1])
            except ValueError:
                fail(f"--min takes a percentage, not {rest[1]!r}")
        rest = rest[2:]
    args += rest
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    annotations_path = Path(args[0])
    try:
        annotations = json.loads(annotations_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as e:
        fail(f"cannot read annotations {annotations_path}: {e}")
    folder = (root or annotations_path.parent).resolve()
    if not folder.is_dir():
        fail(f"no folder {folder}")
    binary = os.environ.get("EVENTAIL_BIN") or default_binary()
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        fail(f"no executable at {binary} (cargo build --release, or set EVENTAIL_BIN)")
    binary = os.path.abspath(binary)

    right = {f: 0 for f in FIELDS}
    total = {f: 0 for f in FIELDS}
    extra = {}  # annotated keys this tool does not know
    for relative in sorted(annotations):
        annotation = annotations[relative]
        report, error = run_import(binary, folder, relative)
        wrong = []
        for field in FIELDS:
            expected = expected_value(annotation, field)
            if expected is MISSING:
                continue
            total[field] += 1
            if report is None:
                wrong.append((field, shown(expected), f"(no report: {error})"))
                continue
            exp = normalise(field, expected, report, annotation)
            got = normalise(field, got_value(report, field), report, annotation)
            if exp == got:
                right[field] += 1
            else:
                wrong.append((field, shown(expected), shown_got(field, report)))
        for key in annotation:
            if key not in FIELDS and key != "links" and not key.startswith("_"):
                extra[key] = extra.get(key, 0) + 1
        fields_here = sum(1 for f in FIELDS if expected_value(annotation, f) is not MISSING)
        print(f"{relative}: {fields_here - len(wrong)} of {fields_here} right")
        for field, exp, got in wrong:
            print(f"  {field:<22} expected {exp}")
            print(f"  {'':<22} got      {got}")
        if report is not None and report.get("warnings"):
            for warning in report["warnings"]:
                print(f"  (warning) {warning}")
    print()
    print(f"{'field':<22} {'right':>5} / {'of':<5}")
    for field in FIELDS:
        if total[field]:
            mark = "" if right[field] == total[field] else "  <"
            print(f"{field:<22} {right[field]:>5} / {total[field]:<5}{mark}")
    if extra:
        print("not compared (unknown to this tool): " + ", ".join(sorted(extra)))
    n = sum(right.values())
    m = sum(total.values())
    percent = 100.0 * n / m if m else 0.0
    print()
    print(f"{n} of {m} fields right ({percent:.1f}%) over {len(annotations)} files")
    if minimum is not None and percent < minimum:
        print(f"below the minimum of {minimum}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
