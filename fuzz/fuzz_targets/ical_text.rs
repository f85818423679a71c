//! The iCalendar writer's escaping and folding (`publish::ical`), on text organisers type.
//!
//! Input: up to four texts separated by NUL (a control character the writer drops anyway):
//! the title, the summary, the place and one tag; the title also names the feed.
//! Properties, on the single-session file and on a feed: every physical line is at most 75
//! octets and ends with CRLF, with no CR or LF anywhere else; parsed back by the `icalendar`
//! crate, SUMMARY, DESCRIPTION, LOCATION, CATEGORIES and the feed's names give back the text
//! put in (unfolded and unescaped), less the carriage returns and control characters the
//! writer removes on purpose (RFC 5545 §3.3.11 excludes them).
#![no_main]

use std::str::FromStr;

use chrono::{Duration, TimeZone, Utc};
use eventail::domain::{Event, EventKind, EventStatus, Links, Schedule};
use eventail::publish::ical::{feed_from_parts, single, vevent_text, CalendarSettings};
use icalendar::{Calendar, CalendarComponent, Component, EventLike};
use libfuzzer_sys::fuzz_target;

const BASE_URL: &str = "https://agenda.example.org";

fuzz_target!(|text: &str| {
    let mut fields = text.split('\0');
    let title = fields.next().unwrap_or_default();
    let summary = fields.next().unwrap_or_default();
    let location = fields.next();
    let tag = fields.next();

    let settings = CalendarSettings {
        base_url: BASE_URL.into(),
        refresh_interval: "PT1H".into(),
        timezone: chrono_tz::Europe::Paris,
        organizer: None,
        default_duration: Duration::minutes(120),
    };
    let event = event(title, summary, location, tag);
    let page = format!("{BASE_URL}/events/{}", event.slug);

    let file = single(&settings, &event).expect("a timed session has a calendar");
    check_lines(&file);
    let parsed = only_event(&file);
    assert_eq!(parsed.get_summary(), Some(clean(title).as_str()));
    let links = match location {
        Some(place) => format!("Lieu : {place}\nPage de la session : {page}"),
        None => format!("Page de la session : {page}"),
    };
    assert_eq!(
        parsed.get_description(),
        Some(clean(&format!("{summary}\n\n{links}")).as_str())
    );
    assert_eq!(parsed.get_location(), location.map(clean).as_deref());
    let tags: Vec<String> = tag
        .map(clean)
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(parsed.get_categories(), (!tags.is_empty()).then_some(tags));

    let part = vevent_text(&settings, &event).expect("a timed session has a VEVENT");
    let feed = feed_from_parts(&settings, title, &[part]);
    check_lines(&feed);
    let calendar = Calendar::from_str(&feed).expect("the feed parses");
    // X-WR-CALNAME is TEXT to the parser; NAME (RFC 7986) it leaves as written.
    assert_eq!(
        calendar.property_value("X-WR-CALNAME"),
        Some(clean(title).as_str())
    );
    let name = calendar.property_value("NAME").expect("NAME");
    assert_eq!(unescape(name), clean(title));
    assert_eq!(only_event(&feed).get_summary(), parsed.get_summary());
});

fn event(title: &str, summary: &str, location: Option<&str>, tag: Option<&str>) -> Event {
    let at = Utc.with_ymd_and_hms(2027, 3, 28, 8, 0, 0).unwrap();
    Event {
        id: "0190c5a2-7d3e-7000-8000-000000000001".into(),
        slug: "webinaire".into(),
        slug_derived: true,
        kind: EventKind::Webinar,
        status: EventStatus::Scheduled,
        title: title.into(),
        summary: Some(summary.into()),
        body: String::new(),
        timezone: chrono_tz::Europe::Paris,
        schedule: Some(Schedule::Timed {
            starts_at: at,
            ends_at: Some(at + Duration::hours(1)),
        }),
        published_on: None,
        location: location.map(str::to_string),
        series: None,
        episode: None,
        speakers: vec![],
        links: Links::default(),
        programme: vec![],
        tags: tag.map(str::to_string).into_iter().collect(),
        image: None,
        registration_required: false,
        capacity: None,
        recording_planned: false,
        reminders: None,
        cancel_reason: None,
        sequence: 0,
        published_at: Some(at),
        created_at: at - Duration::days(30),
        updated_at: at - Duration::days(2),
    }
}

/// At most 75 octets a line (RFC 5545 §3.1), each ended by CRLF and holding no other CR or LF.
fn check_lines(text: &str) {
    let body = text.strip_suffix("\r\n").expect("ends with CRLF");
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(
            !line.contains(['\r', '\n']),
            "a bare line break in {line:?}"
        );
    }
}

fn only_event(text: &str) -> icalendar::Event {
    Calendar::from_str(text)
        .expect("the calendar parses")
        .components
        .into_iter()
        .find_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .expect("one VEVENT")
}

/// What the writer keeps of a text: LF line ends, no other control character but the tab.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// TEXT unescaping (RFC 5545 §3.3.11).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
