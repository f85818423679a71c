//! iCalendar (RFC 5545, RFC 7986) for subscribed feeds and per-session files.
//!
//! Built with the `icalendar` crate, which sorts each component's properties and escapes TEXT
//! values. Where it falls short we step in here:
//! - values are cleaned of carriage returns and control characters first (it would write them
//!   raw);
//! - `NAME`, which it does not know to be TEXT, is escaped before it is handed over;
//! - its folding (0.17) lets the last continuation of a line reach 76 octets, so its output is
//!   unfolded and folded again by [`fold`], at 75 octets on character boundaries.
//!
//! # Times are written in UTC
//! Every DTSTART/DTEND of a timed session is a UTC instant (`…Z`); whole-day sessions are DATE
//! values with an exclusive DTEND. UTC needs no VTIMEZONE, so there is nothing for a client to
//! misread: Outlook shifts Paris sessions by an hour when a VTIMEZONE is missing or unusual,
//! Thunderbird treats an unknown TZID as floating, and old Exchange chokes on long VTIMEZONE
//! histories. Sessions here never recur, which is the one case where a TZID carries meaning UTC
//! cannot (a weekly 9:00 across a DST change). Clients show UTC instants in the subscriber's
//! own zone, which is what a subscriber expects; `X-WR-TIMEZONE` names the organisers' zone as a
//! hint only.

use chrono_tz::Tz;
use icalendar::{Calendar, Component, EventLike, Property};

use crate::domain::registration::{join_link_for, Reader};
use crate::domain::urls::PublicUrls;
use crate::domain::{Event, EventStatus, RegistrationStatus, Schedule};

/// What every calendar this service writes shares.
#[derive(Debug, Clone)]
pub struct CalendarSettings {
    /// Public base URL, no trailing slash.
    pub base_url: String,
    /// ISO 8601 duration for REFRESH-INTERVAL and X-PUBLISHED-TTL.
    pub refresh_interval: String,
    /// The organisers' zone: a display hint for clients (`X-WR-TIMEZONE`).
    pub timezone: Tz,
    pub organizer: Option<Organizer>,
    /// How long a live session without an end lasts in calendars (`calendar.default_duration_minutes`).
    pub default_duration: chrono::Duration,
}

impl CalendarSettings {
    /// From `[calendar]` and `[events]`, with links under `base_url`.
    pub fn from_settings(
        settings: &crate::config::Settings,
        base_url: &str,
    ) -> Result<CalendarSettings, crate::config::ConfigError> {
        let c = &settings.calendar;
        let organizer = (!c.organizer_email.trim().is_empty()).then(|| Organizer {
            name: c.organizer_name.trim().to_string(),
            email: c.organizer_email.trim().to_string(),
        });
        Ok(CalendarSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            refresh_interval: c.refresh_interval.clone(),
            timezone: settings.default_timezone()?,
            organizer,
            default_duration: c.default_duration(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Organizer {
    pub name: String,
    pub email: String,
}

/// The product identifier, fixed so output stays byte-stable across restarts.
pub const PRODID: &str = "-//eventail//eventail//FR";

/// A session's UID: its store id (a UUID, unique by itself) under a fixed suffix, so it never
/// changes, not even when the service moves to another address, and says nothing about anyone.
pub fn uid(event: &Event) -> String {
    format!("{}@eventail", event.id)
}

/// Ways to subscribe to a feed: one for each kind of client.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SubscribeLinks {
    /// For Apple Calendar, Thunderbird and classic Outlook, which open `webcal:` links.
    pub webcal: String,
    /// The plain address, to paste into the new Outlook (which drops `webcal:`) or elsewhere.
    pub https: String,
    /// Google Calendar's "add by URL" page; Google only accepts the `webcal:` form there.
    pub google: String,
    /// Outlook on the web's "add from the web" page, for personal accounts (Outlook.com).
    pub outlook: String,
    /// The same page for work and school accounts (Microsoft 365), on their own host.
    pub office365: String,
}

impl SubscribeLinks {
    /// The links for the feed at `feed_url`; `name` is what Outlook offers to call it.
    pub fn for_feed(feed_url: &str, name: &str) -> SubscribeLinks {
        let webcal = match feed_url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => format!("webcal://{feed_url}"),
        };
        // A query value with spaces as %20: `+` reads as a space only to form decoders.
        let encode = |text: &str| {
            url::form_urlencoded::byte_serialize(text.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        };
        let google = format!(
            "https://calendar.google.com/calendar/render?cid={}",
            encode(&webcal)
        );
        // Outlook fetches the https address itself; it does not take webcal: here.
        let add_from_web = |host: &str| {
            format!(
                "https://{host}/calendar/0/addfromweb?url={}&name={}",
                encode(feed_url),
                encode(name)
            )
        };
        SubscribeLinks {
            outlook: add_from_web("outlook.live.com"),
            office365: add_from_web("outlook.office.com"),
            webcal,
            https: feed_url.to_string(),
            google,
        }
    }
}

/// A subscribable feed named `name` from VEVENTs written by [`vevent_text`] (as the feed
/// renderer keeps them): the crate writes the calendar's own properties, and the components go
/// before its end.
pub fn feed_from_parts<P: AsRef<str>>(
    settings: &CalendarSettings,
    name: &str,
    parts: &[P],
) -> String {
    let mut calendar = base_calendar();
    let name = clean(name);
    calendar.append_property(Property::new("NAME", escape_text(&name)));
    calendar.append_property(Property::new("X-WR-CALNAME", name.as_str()));
    calendar.append_property(Property::new("X-WR-TIMEZONE", settings.timezone.name()));
    calendar.append_property(
        Property::new("REFRESH-INTERVAL", settings.refresh_interval.as_str())
            .add_parameter("VALUE", "DURATION")
            .done(),
    );
    calendar.append_property(Property::new(
        "X-PUBLISHED-TTL",
        settings.refresh_interval.as_str(),
    ));
    let shell = fold(&calendar.to_string());
    let head = shell.strip_suffix(END_CALENDAR).unwrap_or(&shell);
    let size: usize = parts.iter().map(|p| p.as_ref().len()).sum();
    let mut out = String::with_capacity(head.len() + size + END_CALENDAR.len());
    out.push_str(head);
    for part in parts {
        out.push_str(part.as_ref());
    }
    out.push_str(END_CALENDAR);
    out
}

pub(crate) const END_CALENDAR: &str = "END:VCALENDAR\r\n";

/// One session's VEVENT, written by the crate and folded; `None` without a schedule.
pub fn vevent_text(settings: &CalendarSettings, event: &Event) -> Option<String> {
    Some(fold(&vevent(settings, event)?.to_string()))
}

/// One session as a file to open or import. No METHOD and no calendar name: it may be
/// subscribed to like a feed, and clients would otherwise create a calendar per file.
/// `None` when the session has no time to put in a calendar.
pub fn single(settings: &CalendarSettings, event: &Event) -> Option<String> {
    let vevent = vevent(settings, event)?;
    let mut calendar = base_calendar();
    calendar.push(vevent);
    Some(fold(&calendar.to_string()))
}

/// A registrant's own copy of a session: their personal calendar (`/inscription/{key}/agenda.ics`)
/// and the calendar part of their mail. It has its own UID, so it never collides with the
/// public feed's entry, carries the join link while they hold a seat, and its SEQUENCE is the
/// session's plus the registration's own revision, so a client takes every change of either
/// (a seat given, a registration cancelled).
#[derive(Debug, Clone, Copy)]
pub struct Personal<'a> {
    pub registration_id: &'a str,
    pub revision: i64,
    pub status: RegistrationStatus,
}

/// One session for one registrant, as a file to subscribe to or import.
pub fn personal(
    settings: &CalendarSettings,
    event: &Event,
    registrant: Personal<'_>,
) -> Option<String> {
    let vevent = vevent_as(settings, event, Some(registrant))?;
    let mut calendar = base_calendar();
    calendar.push(vevent);
    Some(fold(&calendar.to_string()))
}

/// The iTIP method of a calendar sent by mail (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Announcements, reminders and changes: the recipient's calendar may add or update it.
    Publish,
    /// Cancellations: same UID, higher SEQUENCE, STATUS:CANCELLED.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One session as the calendar part of a message, with METHOD (and so an ORGANIZER, which
/// `settings` must name: iTIP requires one). `None` without a schedule.
pub fn itip(
    settings: &CalendarSettings,
    event: &Event,
    method: Method,
    registrant: Option<Personal<'_>>,
) -> Option<String> {
    let vevent = vevent_as(settings, event, registrant)?;
    let mut calendar = base_calendar();
    calendar.append_property(Property::new("METHOD", method.as_str()));
    calendar.push(vevent);
    Some(fold(&calendar.to_string()))
}

fn base_calendar() -> Calendar {
    let mut calendar = Calendar::empty();
    calendar.append_property(Property::new("VERSION", "2.0"));
    calendar.append_property(Property::new("PRODID", PRODID));
    calendar.append_property(Property::new("CALSCALE", "GREGORIAN"));
    calendar
}

/// The VEVENT of a session as anyone may read it (feeds, per-session files, exports): the join
/// link of a session that requires registration is left out. `None` without a schedule.
pub fn vevent(settings: &CalendarSettings, event: &Event) -> Option<icalendar::Event> {
    vevent_as(settings, event, None)
}

/// The VEVENT of a session, for everyone or for one registrant.
fn vevent_as(
    settings: &CalendarSettings,
    event: &Event,
    registrant: Option<Personal<'_>>,
) -> Option<icalendar::Event> {
    let schedule = event.schedule?;
    let page = PublicUrls::new(&settings.base_url).event_page(&event.slug);
    let reader = registrant.map_or(Reader::Public, |r| Reader::Registrant(r.status));
    let join = join_link_for(event, reader).map(str::to_string);
    let (uid, sequence, cancelled, title) = match registrant {
        None => (uid(event), event.sequence, false, summary(event)),
        Some(r) => {
            let own = r.status == RegistrationStatus::Cancelled;
            let title = match (own, r.status) {
                (true, _) if event.status != EventStatus::Cancelled => {
                    format!("Inscription annulée : {}", event.title)
                }
                (_, RegistrationStatus::Waiting) if event.status != EventStatus::Cancelled => {
                    format!("Liste d'attente : {}", event.title)
                }
                _ => summary(event),
            };
            (
                format!("{}.{}@eventail", event.id, r.registration_id),
                event.sequence + r.revision,
                own,
                title,
            )
        }
    };
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&uid)
        // The last change, not the time of writing: unchanged data gives identical bytes.
        .timestamp(event.updated_at)
        .created(event.created_at)
        .last_modified(event.updated_at)
        .sequence(u32::try_from(sequence).unwrap_or(u32::MAX))
        .summary(&clean(&title))
        .description(&clean(&description(event, &page, join.as_deref())))
        .url(&page)
        .status(match event.status {
            EventStatus::Cancelled => icalendar::EventStatus::Cancelled,
            _ if cancelled => icalendar::EventStatus::Cancelled,
            _ => icalendar::EventStatus::Confirmed,
        });
    match schedule {
        Schedule::Timed { starts_at, .. } => {
            vevent.starts(starts_at);
            // Without DTEND a timed event is a moment (RFC 5545 §3.6.1): a live session without
            // an end gets the default length its page assumes too.
            if let Some(ends_at) = schedule.calendar_end(event.kind, settings.default_duration) {
                vevent.ends(ends_at);
            }
        }
        Schedule::AllDay {
            first_day,
            last_day,
        } => {
            vevent.starts(first_day);
            // DTEND of a DATE event is exclusive: the day after the last one.
            vevent.ends(last_day.succ_opt().unwrap_or(last_day));
        }
    }
    let place = event.location.as_deref().map(clean);
    match (&place, &join) {
        (Some(place), _) => {
            vevent.location(place);
        }
        // Outlook, Apple and Thunderbird ignore CONFERENCE: the join link goes where they look.
        (None, Some(join)) => {
            vevent.location(join);
        }
        (None, None) => {}
    }
    if let Some(join) = &join {
        vevent.append_property(
            Property::new("CONFERENCE", join.as_str())
                .add_parameter("VALUE", "URI")
                .add_parameter("FEATURE", "VIDEO")
                .add_parameter("LABEL", "Rejoindre la session")
                .done(),
        );
    }
    let tags: Vec<String> = event
        .tags
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty())
        .collect();
    if !tags.is_empty() {
        vevent.categories(tags);
    }
    if let Some(organizer) = &settings.organizer {
        let mut property = Property::new("ORGANIZER", format!("mailto:{}", organizer.email));
        if !organizer.name.trim().is_empty() {
            // Parameter values cannot hold DQUOTE; the crate quotes `:;,` itself.
            property.add_parameter("CN", &clean(&organizer.name).replace('"', "'"));
        }
        vevent.append_property(property.done());
    }
    Some(vevent.done())
}

/// The title as calendars show it; cancelled sessions say so first, for clients (Outlook) that
/// show STATUS:CANCELLED events like any other.
pub fn summary(event: &Event) -> String {
    match event.status {
        EventStatus::Cancelled => format!("Annulé : {}", event.title),
        _ => event.title.clone(),
    }
}

/// Plain text for DESCRIPTION: what a subscriber needs without opening the page. `join` is the
/// join link as this reader may see it.
pub fn description(event: &Event, page_url: &str, join: Option<&str>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if event.status == EventStatus::Cancelled {
        parts.push(match &event.cancel_reason {
            Some(reason) => format!("Cette session est annulée. Motif : {reason}"),
            None => "Cette session est annulée.".into(),
        });
    }
    match &event.summary {
        Some(summary) => parts.push(summary.clone()),
        None if !event.body.trim().is_empty() => parts.push(event.body.trim().to_string()),
        None => {}
    }
    if !event.programme.is_empty() {
        let items: Vec<String> = event.programme.iter().map(|i| format!("- {i}")).collect();
        parts.push(format!("Programme :\n{}", items.join("\n")));
    }
    if !event.speakers.is_empty() {
        let people: Vec<String> = event
            .speakers
            .iter()
            .map(|s| {
                let mut line = format!("- {}", s.name);
                match (&s.role, &s.organisation) {
                    (Some(role), Some(org)) => line.push_str(&format!(", {role} ({org})")),
                    (Some(role), None) => line.push_str(&format!(", {role}")),
                    (None, Some(org)) => line.push_str(&format!(" ({org})")),
                    (None, None) => {}
                }
                line
            })
            .collect();
        parts.push(format!("Personnes intervenantes :\n{}", people.join("\n")));
    }
    let mut links: Vec<String> = Vec::new();
    if let Some(place) = &event.location {
        links.push(format!("Lieu : {place}"));
    }
    if event.status != EventStatus::Cancelled {
        if let Some(join) = join {
            links.push(format!("Rejoindre : {join}"));
        }
        if let Some(registration) = &event.links.registration {
            links.push(format!("Inscription : {registration}"));
        } else if event.registration_required && join.is_none() {
            links.push(format!("Inscription : {page_url}#inscription"));
        }
    }
    if let Some(recording) = &event.links.recording {
        links.push(format!("Enregistrement : {recording}"));
    }
    if let Some(video) = &event.links.video {
        links.push(format!("Vidéo : {video}"));
    }
    links.push(format!("Page de la session : {page_url}"));
    parts.push(links.join("\n"));
    parts.join("\n\n")
}

/// Text as iCalendar can carry it: LF line ends, no other control characters (RFC 5545 §3.3.11
/// excludes them; a raw CR would end the content line early).
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// Folds every content line of `text` (CRLF-terminated, possibly folded already) so that no
/// physical line exceeds 75 octets, breaking only between characters (RFC 5545 §3.1).
pub fn fold(text: &str) -> String {
    const LIMIT: usize = 75;
    // Escaped values hold no raw line breaks, so CRLF + space only ever comes from folding.
    let unfolded = text.replace("\r\n ", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 24);
    for line in unfolded.split_terminator("\r\n") {
        let mut rest = line;
        // The first physical line has 75 octets; each continuation, one space and 74.
        let mut room = LIMIT;
        while rest.len() > room {
            let mut cut = room;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            room = LIMIT - 1;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

/// TEXT escaping (§3.3.11) for the few TEXT properties the crate does not recognise.
fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Duration, TimeZone, Utc};
    use icalendar::{Calendar, CalendarComponent, Component};

    use super::*;
    use crate::domain::{EventKind, Links, SpeakerCredit};

    fn settings() -> CalendarSettings {
        CalendarSettings {
            base_url: "https://agenda.example.org".into(),
            refresh_interval: "PT1H".into(),
            timezone: chrono_tz::Europe::Paris,
            organizer: Some(Organizer {
                name: "Mission, numérique".into(),
                email: "agenda@example.org".into(),
            }),
            default_duration: Duration::minutes(120),
        }
    }

    fn event(title: &str, summary: &str) -> Event {
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
            location: None,
            series: None,
            episode: None,
            speakers: vec![SpeakerCredit {
                slug: "camille".into(),
                name: "Camille Martin".into(),
                role: Some("cheffe de projet".into()),
                organisation: None,
            }],
            links: Links {
                join: Some("https://visio.example.org/salle?x=1;y=2".into()),
                ..Links::default()
            },
            programme: vec![],
            tags: vec!["sobriété".into(), "a,b".into()],
            image: None,
            registration_required: false,
            capacity: None,
            recording_planned: false,
            reminders: None,
            cancel_reason: None,
            sequence: 3,
            published_at: Some(at),
            created_at: at - Duration::days(30),
            updated_at: at - Duration::days(2),
        }
    }

    fn only_event(text: &str) -> icalendar::Event {
        let calendar = Calendar::from_str(text).expect("parses");
        calendar
            .components
            .into_iter()
            .find_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .expect("one VEVENT")
    }

    fn feed(settings: &CalendarSettings, name: &str, events: &[Event]) -> String {
        let parts: Vec<String> = events
            .iter()
            .filter_map(|e| vevent_text(settings, e))
            .collect();
        feed_from_parts(settings, name, &parts)
    }

    fn check_bytes(text: &str) {
        assert!(text.ends_with("\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
    }

    #[test]
    fn a_session_becomes_a_complete_vevent() {
        let text = single(&settings(), &event("Titre", "Résumé")).unwrap();
        check_bytes(&text);
        for expected in [
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//eventail//eventail//FR\r\nCALSCALE:GREGORIAN\r\n",
            "DTSTART:20270328T080000Z\r\n",
            "DTEND:20270328T090000Z\r\n",
            "DTSTAMP:20270326T080000Z\r\n",
            "LAST-MODIFIED:20270326T080000Z\r\n",
            "CREATED:20270226T080000Z\r\n",
            "SEQUENCE:3\r\n",
            "STATUS:CONFIRMED\r\n",
            "UID:0190c5a2-7d3e-7000-8000-000000000001@eventail\r\n",
            "URL:https://agenda.example.org/events/webinaire\r\n",
            "CONFERENCE;FEATURE=VIDEO;LABEL=Rejoindre la session;VALUE=URI:https://visi",
            "ORGANIZER;CN=\"Mission, numérique\":mailto:agenda@example.org\r\n",
            "CATEGORIES:sobriété,a\\,b\r\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        // A file to open, not a feed: no METHOD, no calendar name.
        assert!(!text.contains("METHOD") && !text.contains("NAME:"));
        let parsed = only_event(&text);
        // Without a place, the join link is the location.
        assert_eq!(
            parsed.get_location(),
            Some("https://visio.example.org/salle?x=1;y=2")
        );
        assert_eq!(
            parsed.get_categories(),
            Some(vec!["sobriété".to_string(), "a,b".to_string()])
        );
    }

    #[test]
    fn cancelled_sessions_say_so_and_all_day_ones_use_dates() {
        let mut e = event("Atelier", "r");
        e.status = EventStatus::Cancelled;
        e.schedule = Some(Schedule::AllDay {
            first_day: chrono::NaiveDate::from_ymd_opt(2027, 10, 10).unwrap(),
            last_day: chrono::NaiveDate::from_ymd_opt(2027, 10, 11).unwrap(),
        });
        let text = single(&settings(), &e).unwrap();
        assert!(text.contains("STATUS:CANCELLED\r\n"));
        assert!(text.contains("SUMMARY:Annulé : Atelier\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20271010\r\n"), "{text}");
        assert!(text.contains("DTEND;VALUE=DATE:20271012\r\n"), "{text}");
        // No join link for a cancelled session in the description.
        let description = only_event(&text).get_description().unwrap().to_string();
        assert!(!description.contains("Rejoindre"));
        assert!(
            description.starts_with("Cette session est annulée.\n\nr"),
            "{description}"
        );
        // The organisers' reason, when they gave one, first: a calendar shows the start.
        e.cancel_reason = Some("Grève des transports ; reportée\r\nau printemps.".into());
        let description = only_event(&single(&settings(), &e).unwrap())
            .get_description()
            .unwrap()
            .to_string();
        assert!(
            description.starts_with(
                "Cette session est annulée. Motif : Grève des transports ; reportée\nau printemps.\n\nr"
            ),
            "{description}"
        );
        e.schedule = None;
        assert!(single(&settings(), &e).is_none());
    }

    #[test]
    fn live_sessions_without_an_end_last_the_default_length() {
        let mut e = event("Sans fin", "r");
        let start = Utc.with_ymd_and_hms(2027, 3, 28, 8, 0, 0).unwrap();
        e.schedule = Some(Schedule::Timed {
            starts_at: start,
            ends_at: None,
        });
        let text = single(&settings(), &e).unwrap();
        assert!(text.contains("DTSTART:20270328T080000Z\r\n"), "{text}");
        assert!(text.contains("DTEND:20270328T100000Z\r\n"), "{text}");
        let shorter = CalendarSettings {
            default_duration: Duration::minutes(45),
            ..settings()
        };
        let text = single(&shorter, &e).unwrap();
        assert!(text.contains("DTEND:20270328T084500Z\r\n"), "{text}");
        // A video's premiere without an end stays a moment; with one, it keeps it.
        e.kind = EventKind::Video;
        let text = single(&settings(), &e).unwrap();
        assert!(!text.contains("DTEND"), "{text}");
        e.schedule = Some(Schedule::Timed {
            starts_at: start,
            ends_at: Some(start + Duration::minutes(30)),
        });
        let text = single(&settings(), &e).unwrap();
        assert!(text.contains("DTEND:20270328T083000Z\r\n"), "{text}");
    }

    #[test]
    fn feed_names_are_escaped_and_carry_refresh_hints() {
        let text = feed(&settings(), "Agenda, sobriété; \\ «\u{a0}test\u{a0}»", &[]);
        assert!(text.contains("NAME:Agenda\\, sobriété\\; \\\\ «\u{a0}test\u{a0}»\r\n"));
        assert!(text.contains("X-WR-CALNAME:Agenda\\, sobriété\\; \\\\ «\u{a0}test\u{a0}»\r\n"));
        assert!(text.contains("REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
        assert!(text.contains("X-PUBLISHED-TTL:PT1H\r\n"));
        assert!(text.contains("X-WR-TIMEZONE:Europe/Paris\r\n"));
    }

    /// icalendar's own folding looped forever on a line where multi-byte characters come
    /// before a run of whitespace (found by fuzzing: 34 emoji, 208 tabs, 2 emoji as a feed's
    /// name); the vendored copy mends it (vendor/icalendar/PATCHED.md). Written on a thread,
    /// so that a return of the loop fails here instead of hanging the suite.
    #[test]
    fn long_runs_of_wide_characters_and_whitespace_are_folded() {
        let emoji = format!("{}{}{}", "🎉".repeat(34), "\t".repeat(208), "🎉".repeat(2));
        let accents = format!("{}{}", "é".repeat(40), " ".repeat(90));
        let (done, written) = std::sync::mpsc::channel();
        let (name, place) = (emoji.clone(), accents.clone());
        std::thread::spawn(move || {
            let mut session = event("Atelier", "Résumé");
            session.location = Some(place);
            let _ = done.send(feed(&settings(), &name, &[session]));
        });
        let text = written
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the feed is written (icalendar's folding did not return)");
        check_bytes(&text);
        let calendar = Calendar::from_str(&text).expect("parses");
        assert_eq!(
            calendar.property_value("X-WR-CALNAME"),
            Some(emoji.as_str())
        );
        assert_eq!(only_event(&text).get_location(), Some(accents.as_str()));
    }

    #[test]
    fn subscribe_links_follow_each_client() {
        let links = SubscribeLinks::for_feed(
            "https://agenda.example.org/calendar.ics?kind=webinar",
            "Agenda — webinaires",
        );
        assert_eq!(
            links.webcal,
            "webcal://agenda.example.org/calendar.ics?kind=webinar"
        );
        assert_eq!(
            links.google,
            "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Fagenda.example.org%2Fcalendar.ics%3Fkind%3Dwebinar"
        );
        assert_eq!(
            links.outlook,
            "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fagenda.example.org%2Fcalendar.ics%3Fkind%3Dwebinar&name=Agenda%20%E2%80%94%20webinaires"
        );
        assert_eq!(
            links.office365,
            "https://outlook.office.com/calendar/0/addfromweb?url=https%3A%2F%2Fagenda.example.org%2Fcalendar.ics%3Fkind%3Dwebinar&name=Agenda%20%E2%80%94%20webinaires"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Any title and summary come back unchanged through folding and escaping, with every
        /// physical line at most 75 octets and never cut inside a character.
        #[test]
        fn text_survives_folding_and_escaping(
            title in "[a-zA-Zé«» ,;:\\\\🎉\u{a0}-]{1,200}",
            summary in "(\\PC|[\n,;\\\\]){0,400}",
        ) {
            let text = single(&settings(), &event(&title, &summary)).unwrap();
            for line in text.as_bytes().split(|&b| b == b'\n') {
                proptest::prop_assert!(line.len() <= 76, "{} octets", line.len()); // 75 + the CR
                proptest::prop_assert!(std::str::from_utf8(line).is_ok());
            }
            let parsed = only_event(&text);
            proptest::prop_assert_eq!(parsed.get_summary(), Some(title.as_str()));
            let description = parsed.get_description().unwrap_or_default().to_string();
            let expected = clean(&summary);
            proptest::prop_assert!(description.starts_with(&expected), "{:?} vs {:?}", description, expected);
        }
    }
}
