//! Session times: an instant plus the IANA zone it is shown in, or whole days.
//!
//! Input accepts RFC 3339 instants (with an offset or `Z`), local wall times read in the
//! session's zone, and plain dates for all-day sessions. Wall times that fall in a daylight
//! saving gap, or that happen twice, are refused with a message that says so.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone,
    Utc,
};
use chrono_tz::Tz;

use super::event::EventKind;

/// When a session happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// A session with a start time, and usually an end.
    Timed {
        starts_at: DateTime<Utc>,
        ends_at: Option<DateTime<Utc>>,
    },
    /// Whole days, `last_day` inclusive.
    AllDay {
        first_day: NaiveDate,
        last_day: NaiveDate,
    },
}

impl Schedule {
    /// The instant the session starts: for whole days, the start of the first day in `tz`.
    pub fn start_instant(&self, tz: Tz) -> DateTime<Utc> {
        match *self {
            Schedule::Timed { starts_at, .. } => starts_at,
            Schedule::AllDay { first_day, .. } => start_of_day(first_day, tz),
        }
    }

    /// The instant the session ends, when known: for whole days, the start of the day after
    /// the last one.
    pub fn end_instant(&self, tz: Tz) -> Option<DateTime<Utc>> {
        match *self {
            Schedule::Timed { ends_at, .. } => ends_at,
            Schedule::AllDay { last_day, .. } => {
                last_day.succ_opt().map(|next| start_of_day(next, tz))
            }
        }
    }

    /// The instant the session ends: its own end, or, for a timed session that names none,
    /// `default` after its start (`calendar.default_duration_minutes`). Pages (« upcoming », the
    /// join button) and calendars ([`Schedule::calendar_end`]) take the same length, so a page
    /// and a subscriber's calendar agree on when a session is over.
    pub fn end_or_default(&self, tz: Tz, default: Duration) -> DateTime<Utc> {
        self.end_instant(tz)
            .unwrap_or_else(|| self.start_instant(tz) + default)
    }

    /// The end a calendar writes (DTEND) for a timed session of `kind`: its own, else for a
    /// live session `default` after its start, as [`Schedule::end_or_default`]. A video's
    /// premiere without an end keeps none: it marks when the video comes out, a moment.
    /// `None` for whole days too, which calendars write as dates.
    pub fn calendar_end(&self, kind: EventKind, default: Duration) -> Option<DateTime<Utc>> {
        match *self {
            Schedule::Timed {
                ends_at: Some(end), ..
            } => Some(end),
            Schedule::Timed {
                starts_at,
                ends_at: None,
            } if kind.is_live() => Some(starts_at + default),
            _ => None,
        }
    }

    pub fn is_all_day(&self) -> bool {
        matches!(self, Schedule::AllDay { .. })
    }

    /// `starts_at` and `ends_at` as the API writes them.
    pub fn render(&self, tz: Tz) -> (String, Option<String>) {
        match *self {
            Schedule::Timed { starts_at, ends_at } => (
                format_instant(starts_at, tz),
                ends_at.map(|end| format_instant(end, tz)),
            ),
            Schedule::AllDay {
                first_day,
                last_day,
            } => (first_day.to_string(), Some(last_day.to_string())),
        }
    }
}

/// The first instant of `day` in `tz` (midnight, or the first valid time when a zone skips
/// midnight at a DST change).
pub fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut wall = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        match tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => wall += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

/// RFC 3339 with the offset that holds in `tz` at that instant, to the second.
pub fn format_instant(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Parses an IANA time zone name.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!("unknown time zone \u{201c}{name}\u{201d}: use an IANA name such as Europe/Paris")
    })
}

/// One time value as an organiser wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInput {
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}

/// Reads `2021-12-08T09:00:00+01:00`, `2021-12-08T08:00:00Z`, `2021-12-08T09:00` (a wall time
/// in `tz`) or `2021-12-08` (a whole day).
pub fn parse_time(input: &str, tz: Tz) -> Result<TimeInput, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(
            "is empty: write a date (2021-12-08) or a date and time (2021-12-08T09:00)".into(),
        );
    }
    if s.len() == 10 {
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(TimeInput::Date(day));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(TimeInput::Instant(t.with_timezone(&Utc)));
    }
    // An offset but no seconds: 2021-12-08T09:00+01:00.
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Ok(TimeInput::Instant(t.with_timezone(&Utc)));
        }
    }
    if let Some(rest) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        if let Some(naive) = parse_wall_time(rest) {
            return Ok(TimeInput::Instant(Utc.from_utc_datetime(&naive)));
        }
    }
    let Some(naive) = parse_wall_time(s) else {
        return Err(format!(
            "\u{201c}{s}\u{201d} is not a date or time: write 2021-12-08T09:00 (read in the \
             session's time zone), 2021-12-08T09:00:00+01:00, or 2021-12-08 for a whole day"
        ));
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(TimeInput::Instant(t.with_timezone(&Utc))),
        LocalResult::None => Err(format!(
            "{} does not exist in {}: the clocks skip that hour when daylight saving time \
             starts; choose a time outside the gap or give an explicit offset",
            naive.format("%Y-%m-%d %H:%M"),
            tz.name()
        )),
        LocalResult::Ambiguous(a, b) => Err(format!(
            "{} happens twice in {} because the clocks go back that night: add the offset \
             to say which one ({} or {})",
            naive.format("%Y-%m-%d %H:%M"),
            tz.name(),
            a.format("%:z"),
            b.format("%:z")
        )),
    }
}

fn parse_wall_time(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())
}

/// Builds a schedule from the `starts_at` and `ends_at` inputs, reporting problems per field.
pub fn schedule_from(
    starts_at: Option<TimeInput>,
    ends_at: Option<TimeInput>,
) -> Result<Option<Schedule>, (&'static str, String)> {
    match (starts_at, ends_at) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(("starts_at", "is required when ends_at is given".into())),
        (Some(TimeInput::Instant(start)), None) => Ok(Some(Schedule::Timed {
            starts_at: trim_subsec(start),
            ends_at: None,
        })),
        (Some(TimeInput::Instant(start)), Some(TimeInput::Instant(end))) => {
            let (start, end) = (trim_subsec(start), trim_subsec(end));
            if end <= start {
                return Err(("ends_at", "must be after starts_at".into()));
            }
            Ok(Some(Schedule::Timed {
                starts_at: start,
                ends_at: Some(end),
            }))
        }
        (Some(TimeInput::Date(first)), None) => Ok(Some(Schedule::AllDay {
            first_day: first,
            last_day: first,
        })),
        (Some(TimeInput::Date(first)), Some(TimeInput::Date(last))) => {
            if last < first {
                return Err((
                    "ends_at",
                    "must not be before starts_at (for whole days, ends_at is the last day, included)"
                        .into(),
                ));
            }
            Ok(Some(Schedule::AllDay {
                first_day: first,
                last_day: last,
            }))
        }
        (Some(TimeInput::Date(_)), Some(TimeInput::Instant(_))) => Err((
            "ends_at",
            "must be a date like starts_at (a whole-day session ends on a day, not at a time)"
                .into(),
        )),
        (Some(TimeInput::Instant(_)), Some(TimeInput::Date(_))) => Err((
            "ends_at",
            "must be a date and time like starts_at, e.g. 2021-12-08T10:00".into(),
        )),
    }
}

fn trim_subsec(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn instant(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_every_accepted_shape() {
        let cases = [
            ("2021-12-08T09:00:00+01:00", "2021-12-08T08:00:00Z"),
            ("2021-12-08T08:00:00Z", "2021-12-08T08:00:00Z"),
            ("2021-12-08T09:00+01:00", "2021-12-08T08:00:00Z"),
            ("2021-12-08T09:00", "2021-12-08T08:00:00Z"),
            ("2021-12-08 09:00", "2021-12-08T08:00:00Z"),
            ("2021-07-08T09:00:00", "2021-07-08T07:00:00Z"),
            ("2021-07-08T09:00Z", "2021-07-08T09:00:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_time(input, Paris),
                Ok(TimeInput::Instant(instant(expected))),
                "{input}"
            );
        }
        assert_eq!(
            parse_time("2024-10-10", Paris),
            Ok(TimeInput::Date(
                NaiveDate::from_ymd_opt(2024, 10, 10).unwrap()
            ))
        );
    }

    #[test]
    fn refuses_the_spring_forward_gap_and_the_repeated_hour() {
        let gap = parse_time("2026-03-29T02:30", Paris).unwrap_err();
        assert!(gap.contains("does not exist"), "{gap}");
        let twice = parse_time("2026-10-25T02:30", Paris).unwrap_err();
        assert!(twice.contains("happens twice"), "{twice}");
        assert!(
            twice.contains("+02:00") && twice.contains("+01:00"),
            "{twice}"
        );
        // With an offset, the same wall time is fine.
        assert!(parse_time("2026-10-25T02:30+01:00", Paris).is_ok());
    }

    #[test]
    fn refuses_garbage() {
        for bad in ["", "demain", "2021-13-01", "2021-12-08T25:00", "08/12/2021"] {
            assert!(parse_time(bad, Paris).is_err(), "{bad}");
        }
    }

    #[test]
    fn renders_with_the_offset_of_the_day() {
        let winter = Schedule::Timed {
            starts_at: instant("2025-12-04T13:00:00Z"),
            ends_at: None,
        };
        assert_eq!(winter.render(Paris).0, "2025-12-04T14:00:00+01:00");
        let summer = Schedule::Timed {
            starts_at: instant("2025-07-04T12:00:00Z"),
            ends_at: Some(instant("2025-07-04T13:00:00Z")),
        };
        assert_eq!(
            summer.render(Paris),
            (
                "2025-07-04T14:00:00+02:00".to_string(),
                Some("2025-07-04T15:00:00+02:00".to_string())
            )
        );
    }

    #[test]
    fn whole_days_cover_their_last_day() {
        let days = schedule_from(
            Some(parse_time("2024-10-10", Paris).unwrap()),
            Some(parse_time("2024-10-11", Paris).unwrap()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(days.start_instant(Paris), instant("2024-10-09T22:00:00Z"));
        assert_eq!(
            days.end_instant(Paris),
            Some(instant("2024-10-11T22:00:00Z"))
        );
        assert_eq!(
            days.render(Paris),
            ("2024-10-10".to_string(), Some("2024-10-11".to_string()))
        );
    }

    #[test]
    fn sessions_without_an_end_last_the_default_length() {
        let two_hours = Duration::minutes(120);
        let start = instant("2026-12-09T08:00:00Z");
        let open = Schedule::Timed {
            starts_at: start,
            ends_at: None,
        };
        let closed = Schedule::Timed {
            starts_at: start,
            ends_at: Some(instant("2026-12-09T08:45:00Z")),
        };
        let days = Schedule::AllDay {
            first_day: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
        };
        assert_eq!(
            open.end_or_default(Paris, two_hours),
            instant("2026-12-09T10:00:00Z")
        );
        assert_eq!(
            open.end_or_default(Paris, Duration::minutes(45)),
            instant("2026-12-09T08:45:00Z")
        );
        assert_eq!(
            closed.end_or_default(Paris, two_hours),
            instant("2026-12-09T08:45:00Z")
        );
        assert_eq!(
            days.end_or_default(Paris, two_hours),
            instant("2026-12-09T23:00:00Z")
        );
        // (schedule, kind, DTEND)
        let cases = [
            (open, EventKind::Webinar, Some("2026-12-09T10:00:00Z")),
            (open, EventKind::Event, Some("2026-12-09T10:00:00Z")),
            (open, EventKind::Video, None),
            (closed, EventKind::Webinar, Some("2026-12-09T08:45:00Z")),
            (closed, EventKind::Video, Some("2026-12-09T08:45:00Z")),
            (days, EventKind::Event, None),
        ];
        for (schedule, kind, expected) in cases {
            assert_eq!(
                schedule.calendar_end(kind, two_hours),
                expected.map(instant),
                "{schedule:?} {kind:?}"
            );
        }
    }

    #[test]
    fn end_must_follow_start() {
        let start = parse_time("2021-12-08T10:00", Paris).unwrap();
        let end = parse_time("2021-12-08T09:00", Paris).unwrap();
        assert_eq!(
            schedule_from(Some(start), Some(end)).unwrap_err().0,
            "ends_at"
        );
        assert_eq!(
            schedule_from(Some(start), Some(start)).unwrap_err().0,
            "ends_at"
        );
        assert_eq!(schedule_from(None, Some(end)).unwrap_err().0, "starts_at");
    }

    #[test]
    fn unknown_zone_is_named_in_the_message() {
        let err = parse_timezone("Europe/Pari").unwrap_err();
        assert!(err.contains("Europe/Pari"), "{err}");
        assert_eq!(parse_timezone("Europe/Paris"), Ok(Paris));
    }

    proptest::proptest! {
        #[test]
        fn rendered_instants_read_back_identically(secs in 0i64..4_000_000_000) {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let text = format_instant(at, Paris);
            proptest::prop_assert_eq!(parse_time(&text, Paris), Ok(TimeInput::Instant(at)));
        }
    }
}
