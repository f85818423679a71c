//! Dates and times read from French prose as the team writes them: « le mercredi 8 décembre de
//! 9h à 10h », « 14 mars 2025, de 12h15 à 13h00 », « Date : 16 mars 2026 » with « Horaires :
//! 11h – 12h », « a eu lieu le jeudi 17 février à 17h », « les 10 et 11 octobre », « 1er »,
//! « midi », « 9 h 30 », « 09:30 ».
//!
//! A missing year comes from the post's date and is checked against the weekday when one is
//! written; whatever is doubtful comes back as a warning, never as a silent guess.

use std::sync::LazyLock;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
};
use chrono_tz::Tz;
use regex::Regex;

use crate::domain::french;

/// The weekdays the publisher writes: `(lundi|mardi|…)`.
fn weekday_pattern() -> String {
    format!("({})", french::WEEKDAYS.join("|"))
}

/// The months the publisher writes, each also without its accent (« fevrier », « aout »):
/// `(janvier|f[ée]vrier|…)`.
fn month_pattern() -> String {
    let loose = |name: &str| -> String {
        name.chars()
            .map(|c| match c {
                'é' => "[ée]".to_string(),
                'û' => "[uû]".to_string(),
                c => c.to_string(),
            })
            .collect()
    };
    let names: Vec<String> = french::MONTHS.iter().map(|m| loose(m)).collect();
    format!("({})", names.join("|"))
}

/// « 8 décembre », « mercredi 8 décembre 2021 », « les 10 et 11 octobre », « 10-11 octobre ».
static DAYS_IN_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    let (weekday, month) = (weekday_pattern(), month_pattern());
    let day = r"(\d{1,2})(?:er)?";
    let more = format!(r"((?:\s*(?:,|et|au|-|&)\s*(?:le\s+)?(?:{weekday}\s+)?\d{{1,2}}(?:er)?)*)");
    Regex::new(&format!(
        r"\b(?:{weekday}\s+)?{day}{more}\s+{month}(?:\s*,?\s+(\d{{4}}))?\b"
    ))
    .expect("valid regex")
});

/// « du 30 septembre au 2 octobre 2024 ».
static ACROSS_MONTHS: LazyLock<Regex> = LazyLock::new(|| {
    let (weekday, month) = (weekday_pattern(), month_pattern());
    let day = r"(\d{1,2})(?:er)?";
    Regex::new(&format!(
        r"\b(?:{weekday}\s+)?{day}\s+{month}(?:\s+(\d{{4}}))?\s*(?:au|-)\s*(?:{weekday}\s+)?{day}\s+{month}(?:\s*,?\s+(\d{{4}}))?\b"
    ))
    .expect("valid regex")
});

/// « 16/03/2026 », « 16.03.2026 ».
static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b").expect("valid regex"));

/// « 9h », « 9 h 30 », « 09h00 », « 9 heures », « 09:30 », « midi », « minuit ».
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(midi|minuit)|(\d{1,2})\s*h(?:eures?)?(?:\s*(\d{2}))?|(\d{1,2}):(\d{2}))")
        .expect("valid regex")
});

/// What joins the two ends of a time range: « de 9h à 10h », « 11h – 12h », « 10h00 / 12h00 ».
static RANGE_JOIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:à|a|-|/|jusqu'à|jusqu'a|au)\s*$").expect("valid regex"));

/// A date (or span of days) with the times written beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub start: Option<NaiveTime>,
    pub end: Option<NaiveTime>,
    /// Doubts about this reading, in words for the organiser.
    pub warnings: Vec<String>,
}

/// A date found in a text, before any time is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFound {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Where the date starts in the normalised text: times may be written before it.
    start: usize,
    /// Where the date ends in the normalised text: times are looked for after it.
    end: usize,
    pub warnings: Vec<String>,
}

/// Lower case, one kind of space, one kind of dash and apostrophe, no Markdown emphasis.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\t' | '\n' | '\r' => out.push(' '),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2019}' | '\u{2018}' => out.push('\''),
            '*' | '_' => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A month's number from a name the patterns matched, written with or without its accent.
fn month_number(name: &str) -> u32 {
    let unaccented = |m: &str| m.replace('é', "e").replace('û', "u");
    french::MONTHS
        .iter()
        .position(|m| *m == name || unaccented(m) == name)
        .map_or(12, |i| i as u32 + 1)
}

/// The first date written in `text`, its year taken from `reference` (the post's date) when
/// the text has none. `Err` when the text names a day the calendar does not have.
pub fn find_date(text: &str, reference: NaiveDate) -> Result<Option<DateFound>, String> {
    let text = normalise(text);
    let across = ACROSS_MONTHS.captures(&text);
    let within = DAYS_IN_MONTH.captures(&text);
    let numeric = NUMERIC.captures(&text);
    let start_of = |c: &Option<regex::Captures>| {
        c.as_ref()
            .and_then(|c| c.get(0))
            .map_or(usize::MAX, |m| m.start())
    };
    let first = [start_of(&across), start_of(&within), start_of(&numeric)]
        .into_iter()
        .min()
        .unwrap_or(usize::MAX);
    if first == usize::MAX {
        return Ok(None);
    }
    let mut warnings = Vec::new();
    if start_of(&across) == first {
        let c = across.expect("matched");
        let year = c.get(4).or(c.get(8)).map(|y| y.as_str());
        let mut first_day = resolve_day(
            &c[2],
            &c[3],
            year,
            c.get(1).map(|w| w.as_str()),
            reference,
            &mut warnings,
        )?;
        let mut last_day = resolve_day(
            &c[6],
            &c[7],
            c.get(8)
                .map(|y| y.as_str())
                .or(Some(&first_day.year().to_string())),
            c.get(5).map(|w| w.as_str()),
            first_day,
            &mut warnings,
        )?;
        // « du 30 décembre au 2 janvier 2025 »: the year written is the end's.
        if last_day < first_day && month_number(&c[3]) > month_number(&c[7]) {
            match (c.get(4), c.get(8)) {
                (None, Some(_)) => {
                    first_day = first_day
                        .with_year(first_day.year() - 1)
                        .unwrap_or(first_day)
                }
                (None, None) => {
                    last_day = last_day.with_year(last_day.year() + 1).unwrap_or(last_day)
                }
                _ => {}
            }
        }
        let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
        return Ok(Some(span(first_day, last_day, m, warnings)));
    }
    if start_of(&within) == first {
        let c = within.expect("matched");
        // Groups: 1 weekday, 2 day, 3 further days (4 the last one's weekday), 5 month, 6 year.
        let first_day = resolve_day(
            &c[2],
            &c[5],
            c.get(6).map(|y| y.as_str()),
            c.get(1).map(|w| w.as_str()),
            reference,
            &mut warnings,
        )?;
        let last_number = c
            .get(3)
            .and_then(|more| {
                more.as_str()
                    .split(|c: char| !c.is_ascii_digit())
                    .rfind(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| c[2].to_string());
        let last_weekday = c.get(4).map(|w| w.as_str());
        let last_day = resolve_day(
            &last_number,
            &c[5],
            Some(&first_day.year().to_string()),
            last_weekday,
            first_day,
            &mut warnings,
        )?;
        let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
        return Ok(Some(span(first_day, last_day, m, warnings)));
    }
    let c = numeric.expect("matched");
    let (d, m, y) = (&c[1], &c[2], &c[3]);
    let day = match (d.parse(), m.parse(), y.parse()) {
        (Ok(d), Ok(m), Ok(y)) => NaiveDate::from_ymd_opt(y, m, d),
        _ => None,
    }
    .ok_or_else(|| format!("\u{ab} {d}/{m}/{y} \u{bb} is not a day of the calendar"))?;
    far_from_post(day, reference, &mut warnings);
    let m = c.get(0).map_or((0, 0), |m| (m.start(), m.end()));
    Ok(Some(span(day, day, m, warnings)))
}

fn span(
    first_day: NaiveDate,
    last_day: NaiveDate,
    (start, end): (usize, usize),
    mut warnings: Vec<String>,
) -> DateFound {
    let last_day = if last_day < first_day {
        warnings.push(format!(
            "the last day ({last_day}) comes before the first ({first_day}); read as one day, check it"
        ));
        first_day
    } else {
        last_day
    };
    DateFound {
        first_day,
        last_day,
        start,
        end,
        warnings,
    }
}

fn resolve_day(
    day: &str,
    month: &str,
    year: Option<&str>,
    weekday: Option<&str>,
    reference: NaiveDate,
    warnings: &mut Vec<String>,
) -> Result<NaiveDate, String> {
    let day_number: u32 = day
        .parse()
        .map_err(|_| format!("\u{ab} {day} \u{bb} is not a day"))?;
    let month_number = month_number(month);
    let weekday = weekday.and_then(french::weekday_named);
    let written = |y: i32| {
        format!(
            "\u{ab} {}{day} {month} {y} \u{bb}",
            weekday.map_or(String::new(), |w| format!("{} ", french::weekday(w)))
        )
    };
    // « le 5 juin, 1500 personnes »: a number far from the post's year is no year.
    let year = year
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (y - reference.year()).abs() <= 10);
    if let Some(year) = year {
        let date = NaiveDate::from_ymd_opt(year, month_number, day_number)
            .ok_or_else(|| format!("{} is not a day of the calendar", written(year)))?;
        if let Some(w) = weekday {
            if date.weekday() != w {
                warnings.push(format!(
                    "{}: that day is a {}, not a {}; kept the date, check it",
                    written(year),
                    french::weekday(date.weekday()),
                    french::weekday(w)
                ));
            }
        }
        far_from_post(date, reference, warnings);
        return Ok(date);
    }
    // No year: the one that puts the day closest to the post's date.
    // Posts announce what comes or report what just happened: a day more than a month before
    // the post is read in the following year.
    let mut candidates: Vec<NaiveDate> = (reference.year() - 1..=reference.year() + 1)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month_number, day_number))
        .collect();
    candidates.sort_by_key(|d| {
        let days = (*d - reference).num_days();
        (days < -31, days.abs())
    });
    let Some(closest) = candidates.first().copied() else {
        return Err(format!(
            "\u{ab} {day} {month} \u{bb} is not a day of the calendar around {}",
            reference.year()
        ));
    };
    let Some(w) = weekday else {
        return Ok(closest);
    };
    if closest.weekday() == w {
        return Ok(closest);
    }
    // Another year only if its day has the weekday and is not before the post (posts announce
    // what comes, or report what just happened): a wrong weekday is likelier than a post about
    // a session a year gone.
    match candidates.iter().find(|d| {
        d.weekday() == w
            && (**d - reference).num_days() >= -31
            && (**d - reference).num_days() <= 366
    }) {
        Some(other) => {
            warnings.push(format!(
                "\u{ab} {} {day} {month} \u{bb} has no year: read as {} because the weekday matches that year, though the post is dated {reference}; check it",
                french::weekday(w),
                other.year()
            ));
            Ok(*other)
        }
        None => {
            warnings.push(format!(
                "\u{ab} {} {day} {month} \u{bb}: {day} {month} {} is a {}; kept {closest}, check it",
                french::weekday(w),
                closest.year(),
                french::weekday(closest.weekday())
            ));
            Ok(closest)
        }
    }
}

fn far_from_post(day: NaiveDate, reference: NaiveDate, warnings: &mut Vec<String>) {
    if (day - reference).num_days().abs() > 366 {
        warnings.push(format!(
            "the date {day} is more than a year from the post's date ({reference}); check it"
        ));
    }
}

/// The first time, or range of times, in `text` (already past any date): « de 9h à 10h »,
/// « à 17h », « 11h – 12h », « 10h00 / 12h00 ». Impossible times (« 25h ») are skipped.
pub fn find_times(text: &str) -> Option<(NaiveTime, Option<NaiveTime>)> {
    let text = normalise(text);
    let tokens: Vec<(usize, usize, NaiveTime)> = TIME
        .captures_iter(&text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let time = match (c.get(1), c.get(2), c.get(4)) {
                (Some(word), _, _) if word.as_str() == "midi" => NaiveTime::from_hms_opt(12, 0, 0),
                (Some(_), _, _) => NaiveTime::from_hms_opt(0, 0, 0),
                (None, Some(h), _) => NaiveTime::from_hms_opt(
                    h.as_str().parse().ok()?,
                    c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?,
                    0,
                ),
                (None, None, Some(h)) => {
                    NaiveTime::from_hms_opt(h.as_str().parse().ok()?, c[5].parse().ok()?, 0)
                }
                _ => None,
            }?;
            // « après-midi », « Midi-Pyrénées », « 15 habitants », « durée 2h »: no time.
            let before = &text[..whole.start()];
            let after = &text[whole.end()..];
            if c.get(1).is_some() && (before.ends_with('-') || after.starts_with('-')) {
                return None;
            }
            if c.get(2).is_some()
                && c.get(3).is_none()
                && after.chars().next().is_some_and(char::is_alphabetic)
            {
                return None;
            }
            let lead = before.trim_end().trim_end_matches(':').trim_end();
            if ["durée", "durée de", "pendant", "en"]
                .iter()
                .any(|w| lead.ends_with(w))
            {
                return None;
            }
            Some((whole.start(), whole.end(), time))
        })
        .collect();
    let (first, rest) = tokens.split_first()?;
    if let Some(second) = rest.first() {
        if RANGE_JOIN.is_match(&text[first.1..second.0]) {
            return Some((first.2, Some(second.2)));
        }
    }
    Some((first.2, None))
}

/// A date and the times written after it in the same text.
pub fn read(text: &str, reference: NaiveDate) -> Result<Option<Reading>, String> {
    let Some(found) = find_date(text, reference)? else {
        return Ok(None);
    };
    let rest = normalise(text);
    // « de 9h à 10h le 8 décembre »: the times may come first.
    let times = rest
        .get(found.end..)
        .and_then(find_times)
        .or_else(|| rest.get(..found.start).and_then(find_times));
    Ok(Some(Reading {
        first_day: found.first_day,
        last_day: found.last_day,
        start: times.map(|t| t.0),
        end: times.and_then(|t| t.1),
        warnings: found.warnings,
    }))
}

/// The reading as the API's `starts_at` / `ends_at`: RFC 3339 with the zone's offset, or plain
/// days for a session without a time. Times the zone skips (the spring DST change) or repeats
/// (autumn) are resolved the way the clock reads after the change, with a warning.
pub fn to_api_times(
    reading: &Reading,
    tz: Tz,
    warnings: &mut Vec<String>,
) -> (String, Option<String>) {
    let Some(start) = reading.start else {
        let end = (reading.last_day > reading.first_day).then(|| reading.last_day.to_string());
        return (reading.first_day.to_string(), end);
    };
    let start_at = local(reading.first_day.and_time(start), tz, warnings);
    let end_at = reading.end.map(|end| {
        let mut day = reading.last_day;
        if day == reading.first_day && end <= start {
            // « de 22h à 1h »: the end is on the next day.
            day += Duration::days(1);
        }
        local(day.and_time(end), tz, warnings)
    });
    let end_at = match end_at {
        Some(end) if end <= start_at => {
            warnings.push(format!(
                "the end ({}) is not after the start ({}); no end kept",
                end.to_rfc3339(),
                start_at.to_rfc3339()
            ));
            None
        }
        other => other,
    };
    (start_at.to_rfc3339(), end_at.map(|e| e.to_rfc3339()))
}

fn local(wall: NaiveDateTime, tz: Tz, warnings: &mut Vec<String>) -> DateTime<Tz> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(first, _) => {
            warnings.push(format!(
                "{wall} happens twice in {} (the clocks go back): read as the first, {}",
                tz.name(),
                first.to_rfc3339()
            ));
            first
        }
        LocalResult::None => {
            // The clocks jumped (an hour in Europe): 2:10 reads 3:10 after the change.
            let mut later = wall + Duration::hours(1);
            let resolved = loop {
                if let Some(t) = tz.from_local_datetime(&later).earliest() {
                    break t;
                }
                later += Duration::minutes(1);
            };
            warnings.push(format!(
                "{wall} does not exist in {} (the clocks go forward): read as {}",
                tz.name(),
                resolved.to_rfc3339()
            ));
            resolved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    fn reading(text: &str, reference: NaiveDate) -> Reading {
        read(text, reference)
            .expect("readable")
            .unwrap_or_else(|| panic!("no date in {text}"))
    }

    fn api(text: &str, reference: NaiveDate) -> (String, Option<String>, Vec<String>) {
        let r = reading(text, reference);
        let mut warnings = r.warnings.clone();
        let (start, end) = to_api_times(&r, Paris, &mut warnings);
        (start, end, warnings)
    }

    #[test]
    fn weekday_day_month_and_range_with_the_year_of_the_post() {
        let (start, end, warnings) = api(
            "**Webinaire le mercredi 8 décembre de 9h à 10h**",
            day(2021, 11, 25),
        );
        assert_eq!(start, "2021-12-08T09:00:00+01:00");
        assert_eq!(end.as_deref(), Some("2021-12-08T10:00:00+01:00"));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_written_year_and_minutes() {
        let (start, end, _) = api("14 mars 2025, de 12h15 à 13h00", day(2025, 2, 1));
        assert_eq!(start, "2025-03-14T12:15:00+01:00");
        assert_eq!(end.as_deref(), Some("2025-03-14T13:00:00+01:00"));
        let (start, end, _) = api("jeudi 13 juillet 2023 de 14h à 15h30", day(2023, 6, 1));
        assert_eq!(start, "2023-07-13T14:00:00+02:00");
        assert_eq!(end.as_deref(), Some("2023-07-13T15:30:00+02:00"));
        let (start, end, _) = api("mardi 14 mai 2024 de 09h00 à 12h30", day(2024, 5, 14));
        assert_eq!(start, "2024-05-14T09:00:00+02:00");
        assert_eq!(end.as_deref(), Some("2024-05-14T12:30:00+02:00"));
    }

    #[test]
    fn date_and_hours_on_separate_lines() {
        let found = find_date("Date : 16 mars 2026", day(2026, 2, 20))
            .expect("readable")
            .expect("a date");
        assert_eq!(found.first_day, day(2026, 3, 16));
        assert_eq!(
            find_times("Horaires : 11h – 12h"),
            Some((hm(11, 0), Some(hm(12, 0))))
        );
        assert_eq!(
            find_times("Horaires : 10h00 / 12h00, se présenter à 09h45 à l'accueil"),
            Some((hm(10, 0), Some(hm(12, 0))))
        );
    }

    #[test]
    fn every_way_of_writing_a_time() {
        for (text, start, end) in [
            ("de 9h30 à 10h", hm(9, 30), Some(hm(10, 0))),
            ("de 9 h 30 à 10 h 45", hm(9, 30), Some(hm(10, 45))),
            ("09:30 - 11:00", hm(9, 30), Some(hm(11, 0))),
            ("de midi à 14h", hm(12, 0), Some(hm(14, 0))),
            ("de 11h à midi", hm(11, 0), Some(hm(12, 0))),
            ("11h–12h", hm(11, 0), Some(hm(12, 0))),
            ("11h - 12h", hm(11, 0), Some(hm(12, 0))),
            ("à 17h", hm(17, 0), None),
            ("à 9 heures", hm(9, 0), None),
        ] {
            assert_eq!(find_times(text), Some((start, end)), "{text}");
        }
        assert_eq!(find_times("toute la journée"), None);
        // 25h is no time: the next one is read.
        assert_eq!(find_times("25h puis 10h"), Some((hm(10, 0), None)));
    }

    #[test]
    fn past_tense_without_an_end() {
        let (start, end, warnings) = api(
            "Le webinaire a eu lieu le jeudi 17 février à 17h.",
            day(2022, 2, 20),
        );
        assert_eq!(start, "2022-02-17T17:00:00+01:00");
        assert_eq!(end, None);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn several_days() {
        let r = reading("les 10 et 11 octobre", day(2023, 9, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2023, 10, 10), day(2023, 10, 11))
        );
        let r = reading("21 et 22 novembre 2023", day(2023, 11, 21));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2023, 11, 21), day(2023, 11, 22))
        );
        let (start, end, _) = api("21 et 22 novembre 2023", day(2023, 11, 21));
        assert_eq!(
            (start.as_str(), end.as_deref()),
            ("2023-11-21", Some("2023-11-22"))
        );
        let r = reading("du 30 septembre au 2 octobre 2024", day(2024, 9, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2024, 9, 30), day(2024, 10, 2))
        );
        let r = reading("du lundi 2 au mercredi 4 juin 2025", day(2025, 5, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2025, 6, 2), day(2025, 6, 4))
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn first_of_the_month_and_numeric_dates() {
        let r = reading("le jeudi 1er juin 2023 à 11h", day(2023, 5, 10));
        assert_eq!((r.first_day, r.start), (day(2023, 6, 1), Some(hm(11, 0))));
        assert!(r.warnings.is_empty());
        let r = reading("le 1er décembre", day(2022, 11, 20));
        assert_eq!(r.first_day, day(2022, 12, 1));
        let r = reading("Date : 16/03/2026 de 11h à 12h", day(2026, 3, 1));
        assert_eq!((r.first_day, r.end), (day(2026, 3, 16), Some(hm(12, 0))));
    }

    #[test]
    fn the_year_comes_from_the_post_even_across_new_year() {
        // A December post about January.
        let r = reading("le mardi 11 janvier de 10h à 11h", day(2021, 12, 15));
        assert_eq!(r.first_day, day(2022, 1, 11));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // A January post about the previous December (« a eu lieu »).
        let r = reading("a eu lieu le 14 décembre", day(2022, 1, 5));
        assert_eq!(r.first_day, day(2021, 12, 14));
    }

    #[test]
    fn leap_years() {
        let r = reading("le jeudi 29 février", day(2024, 2, 1));
        assert_eq!(r.first_day, day(2024, 2, 29));
        assert!(r.warnings.is_empty());
        let error = read("le 29 février 2023", day(2023, 1, 1)).expect_err("not a day");
        assert!(error.contains("29 février 2023"), "{error}");
        // No year, and none near the post has a 29 February: an error, not a guess.
        assert!(read("le 29 février", day(2022, 6, 1)).is_err());
        assert_eq!(
            reading("29 février 2028", day(2028, 1, 1)).first_day,
            day(2028, 2, 29)
        );
    }

    #[test]
    fn a_weekday_that_does_not_match_is_a_warning() {
        // 8 December 2022 is a Thursday; 2021's was a Wednesday, but a year before the post.
        let r = reading("le mercredi 8 décembre de 9h à 10h", day(2022, 11, 25));
        assert_eq!(r.first_day, day(2022, 12, 8));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        // « mercredi 3 janvier » in a June post: the coming one, a Wednesday, no doubt.
        let r = reading("le mercredi 3 janvier", day(2023, 6, 1));
        assert_eq!(r.first_day, day(2024, 1, 3));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // « jeudi 3 janvier » in a December post: the coming 3 January is a Friday (2025);
        // the weekday fits none near: kept, with a warning.
        let r = reading("le jeudi 3 janvier", day(2024, 12, 10));
        assert_eq!(r.first_day, day(2025, 1, 3));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("check it"), "{:?}", r.warnings);
        let r = reading("mercredi 9 décembre 2021", day(2021, 11, 25));
        assert_eq!(r.first_day, day(2021, 12, 9));
        assert!(r.warnings[0].contains("jeudi"), "{:?}", r.warnings);
    }

    #[test]
    fn a_date_far_from_the_post_is_a_warning() {
        let r = reading("le 8 décembre 2019", day(2021, 11, 25));
        assert!(r.warnings.iter().any(|w| w.contains("more than a year")));
    }

    #[test]
    fn daylight_saving_days() {
        // Clocks go forward at 2:00 on 30 March 2025: 2:30 does not exist.
        let (start, end, warnings) = api("dimanche 30 mars 2025 de 2h30 à 4h", day(2025, 3, 1));
        assert_eq!(start, "2025-03-30T03:30:00+02:00");
        assert_eq!(end.as_deref(), Some("2025-03-30T04:00:00+02:00"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // Back at 3:00 on 26 October 2025: 2:30 happens twice.
        let (start, _, warnings) = api("dimanche 26 octobre 2025 à 2h30", day(2025, 10, 1));
        assert_eq!(start, "2025-10-26T02:30:00+02:00");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // Same day, an ordinary hour: the winter offset.
        let (start, _, warnings) = api("dimanche 26 octobre 2025 à 10h", day(2025, 10, 1));
        assert_eq!(start, "2025-10-26T10:00:00+01:00");
        assert!(warnings.is_empty());
    }

    #[test]
    fn bad_input() {
        for text in [
            "",
            "demain matin",
            "le 8",
            "décembre",
            "le 32 décembre 2021 à 10h",
        ] {
            let result = read(text, day(2021, 11, 25));
            assert!(matches!(result, Ok(None) | Err(_)), "{text}: {result:?}");
        }
        assert!(read("le 31 avril 2024", day(2024, 4, 1)).is_err());
        assert!(read("le 31/04/2024", day(2024, 4, 1)).is_err());
    }

    #[test]
    fn phrasings_that_fooled_an_earlier_reader() {
        // Across the new year, the year written once at the end.
        let r = reading("du 30 décembre au 2 janvier 2025", day(2024, 9, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2024, 12, 30), day(2025, 1, 2))
        );
        let r = reading("du 30 décembre au 2 janvier", day(2024, 9, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2024, 12, 30), day(2025, 1, 2))
        );
        // « et le ».
        let r = reading("le 1er et le 2 juin 2025", day(2025, 5, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2025, 6, 1), day(2025, 6, 2))
        );
        // Not times.
        assert_eq!(
            find_times("l'après-midi, de 14h à 16h"),
            Some((hm(14, 0), Some(hm(16, 0))))
        );
        assert_eq!(
            find_times("pour 15 habitants, à 10h"),
            Some((hm(10, 0), None))
        );
        assert_eq!(find_times("durée 2h, à 10h"), Some((hm(10, 0), None)));
        // A count is no year.
        let r = reading("le 5 juin, 1500 personnes attendues", day(2025, 3, 1));
        assert_eq!(r.first_day, day(2025, 6, 5));
        // A post of May about « le 31 décembre »: the coming one.
        assert_eq!(
            reading("le 31 décembre", day(2025, 5, 1)).first_day,
            day(2025, 12, 31)
        );
        // Times before the date.
        let r = reading("de 9h à 10h le 8 décembre", day(2021, 11, 25));
        assert_eq!((r.start, r.end), (Some(hm(9, 0)), Some(hm(10, 0))));
        // A time the clocks skip: read as the clock reads after the change; the end kept.
        let (start, end, warnings) = api("dimanche 30 mars 2025 de 2h10 à 3h30", day(2025, 3, 1));
        assert_eq!(start, "2025-03-30T03:10:00+02:00");
        assert_eq!(end.as_deref(), Some("2025-03-30T03:30:00+02:00"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn names_read_are_the_names_written() {
        assert_eq!(
            weekday_pattern(),
            "(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
        );
        assert_eq!(
            month_pattern(),
            "(janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)"
        );
        for (number, names) in [
            (1, &["janvier"][..]),
            (2, &["février", "fevrier"]),
            (8, &["août", "aout"]),
            (12, &["décembre", "decembre"]),
        ] {
            for name in names {
                assert_eq!(month_number(name), number, "{name}");
            }
        }
    }

    #[test]
    fn en_dash_and_hyphen_ranges_of_days() {
        let r = reading("10–11 octobre 2023", day(2023, 9, 1));
        assert_eq!(
            (r.first_day, r.last_day),
            (day(2023, 10, 10), day(2023, 10, 11))
        );
        let r = reading("10-11 octobre 2023", day(2023, 9, 1));
        assert_eq!(r.last_day, day(2023, 10, 11));
    }
}
