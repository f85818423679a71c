//! The French date and time reader (`importer::dates`): « le mercredi 8 décembre de 9h à 10h ».
//!
//! Input: the text of a post, optionally preceded by a line `YYYY-MM-DD` giving the post's
//! date (the year of dates written without one); otherwise the post is dated 2024-06-01.
//! Properties: nothing panics; a reading's last day is not before its first; an end time comes
//! only with a start; and once written as the API's times, an end is after its start (« de 22h
//! à 1h » ends the next day, so the property holds of instants, not of wall-clock times).
#![no_main]

use chrono::{DateTime, NaiveDate};
use eventail::importer::dates;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (reference, text) = match text.split_once('\n') {
        Some((first, rest)) => match first.trim().parse::<NaiveDate>() {
            Ok(day) => (day, rest),
            Err(_) => (default_reference(), text),
        },
        None => (default_reference(), text),
    };
    let _ = dates::find_times(text);
    let Ok(Some(reading)) = dates::read(text, reference) else {
        return;
    };
    assert!(reading.first_day <= reading.last_day, "{reading:?}");
    assert!(
        reading.end.is_none() || reading.start.is_some(),
        "{reading:?}"
    );

    let mut warnings = Vec::new();
    let (start, end) = dates::to_api_times(&reading, chrono_tz::Europe::Paris, &mut warnings);
    let Some(end) = end else { return };
    match (
        DateTime::parse_from_rfc3339(&start),
        DateTime::parse_from_rfc3339(&end),
    ) {
        (Ok(start), Ok(end)) => assert!(start < end, "{start} .. {end} from {reading:?}"),
        (Err(_), Err(_)) => {
            // A whole-day span: plain dates, the last one included.
            if let (Ok(start), Ok(end)) = (start.parse::<NaiveDate>(), end.parse::<NaiveDate>()) {
                assert!(start < end, "{start} .. {end} from {reading:?}");
            }
        }
        // Only past the year 9999 (« +10000-01-01T01:00:00+01:00 », from a post dated
        // 9999-12-31), which RFC 3339 cannot write.
        _ => assert!(
            start.starts_with('+') || end.starts_with('+'),
            "{start} .. {end}"
        ),
    }
});

fn default_reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).expect("a day")
}
