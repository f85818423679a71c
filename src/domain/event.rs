//! Sessions (webinars, in-person events) and video episodes: the stored model, the JSON
//! document other tools read, the organiser's input and the rules that turn one into the other.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::errors::FieldErrors;
use super::slug::check_slug;
use super::time::{parse_time, parse_timezone, schedule_from, Schedule, TimeInput};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 2_000;
pub const MAX_BODY_CHARS: usize = 200_000;
pub const MAX_LINE_CHARS: usize = 1_000;
pub const MAX_URL_CHARS: usize = 2_000;
pub const MAX_LIST_ITEMS: usize = 100;

/// What a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An online live session.
    Webinar,
    /// An in-person or hybrid live session, with a place.
    Event,
    /// A recorded episode.
    Video,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [EventKind::Webinar, EventKind::Event, EventKind::Video];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Webinar => "webinar",
            EventKind::Event => "event",
            EventKind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind \u{201c}{s}\u{201d}: use webinar, event or video"))
    }

    /// Live sessions happen at a time; videos may have a premiere time or none.
    pub fn is_live(self) -> bool {
        !matches!(self, EventKind::Video)
    }
}

/// Where a session stands. Only scheduled and cancelled sessions are public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    Draft,
    Scheduled,
    Cancelled,
}

impl EventStatus {
    pub const ALL: [EventStatus; 3] = [
        EventStatus::Draft,
        EventStatus::Scheduled,
        EventStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Draft => "draft",
            EventStatus::Scheduled => "scheduled",
            EventStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown status \u{201c}{s}\u{201d}: use draft, scheduled or cancelled")
            })
    }

    pub fn is_public(self) -> bool {
        !matches!(self, EventStatus::Draft)
    }
}

/// The links of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// Where to join the live session (visio platform).
    #[serde(default)]
    pub join: Option<String>,
    /// The registration form.
    #[serde(default)]
    pub registration: Option<String>,
    /// The recording, once available.
    #[serde(default)]
    pub recording: Option<String>,
    /// The video itself (for episodes: the host's page or embed URL).
    #[serde(default)]
    pub video: Option<String>,
    /// Further reading.
    #[serde(default)]
    pub more: Vec<MoreLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoreLink {
    pub title: String,
    pub url: String,
}

/// The series an episode belongs to, as shown with the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeriesSummary {
    pub slug: String,
    pub title: String,
}

/// A speaker as credited on one session: the directory entry, with the role and organisation
/// that held for this session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpeakerCredit {
    /// The speaker's directory slug.
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub slug: String,
    /// The slug follows the title while the session is a draft, unless an organiser chose it.
    pub slug_derived: bool,
    pub kind: EventKind,
    pub status: EventStatus,
    pub title: String,
    pub summary: Option<String>,
    pub body: String,
    pub timezone: Tz,
    pub schedule: Option<Schedule>,
    pub published_on: Option<NaiveDate>,
    pub location: Option<String>,
    pub series: Option<SeriesSummary>,
    pub episode: Option<i64>,
    pub speakers: Vec<SpeakerCredit>,
    pub links: Links,
    pub programme: Vec<String>,
    pub tags: Vec<String>,
    pub image: Option<String>,
    pub registration_required: bool,
    pub capacity: Option<i64>,
    pub recording_planned: bool,
    /// Reminder times before the start (ISO 8601 durations); `None` uses the configured ones.
    pub reminders: Option<Vec<String>>,
    pub sequence: i64,
    /// First time the session left the draft state; from then on its slug is frozen.
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The event as JSON: the contract other tools read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventDocument {
    pub id: String,
    pub slug: String,
    /// `webinar`, `event` or `video`.
    pub kind: String,
    /// `draft`, `scheduled` or `cancelled`.
    pub status: String,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    pub body: String,
    /// IANA time zone the times are shown in.
    pub timezone: String,
    /// RFC 3339 with the offset of `timezone`, or a plain date for whole-day sessions.
    pub starts_at: Option<String>,
    /// RFC 3339, or the last day (inclusive) for whole-day sessions.
    pub ends_at: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub location: Option<String>,
    pub series: Option<SeriesSummary>,
    pub episode: Option<i64>,
    pub speakers: Vec<SpeakerCredit>,
    pub links: Links,
    pub programme: Vec<String>,
    pub tags: Vec<String>,
    pub image: Option<String>,
    pub registration_required: bool,
    pub capacity: Option<i64>,
    pub recording_planned: bool,
    /// Reminders mailed before a live session, as ISO 8601 durations before its start
    /// (`["PT24H", "PT1H"]`); null for the configured default, `[]` for none.
    pub reminders: Option<Vec<String>>,
    /// Rises on every change a calendar or a recipient must see.
    pub sequence: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The public page (absent from drafts, which have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The session's .ics file, when it has a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ics_url: Option<String>,
}

impl Event {
    pub fn document(&self) -> EventDocument {
        let (starts_at, ends_at) = match &self.schedule {
            Some(s) => {
                let (start, end) = s.render(self.timezone);
                (Some(start), end)
            }
            None => (None, None),
        };
        EventDocument {
            id: self.id.clone(),
            slug: self.slug.clone(),
            kind: self.kind.as_str().into(),
            status: self.status.as_str().into(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            timezone: self.timezone.name().into(),
            starts_at,
            ends_at,
            published_on: self.published_on,
            location: self.location.clone(),
            series: self.series.clone(),
            episode: self.episode,
            speakers: self.speakers.clone(),
            links: self.links.clone(),
            programme: self.programme.clone(),
            tags: self.tags.clone(),
            image: self.image.clone(),
            registration_required: self.registration_required,
            capacity: self.capacity,
            recording_planned: self.recording_planned,
            reminders: self.reminders.clone(),
            sequence: self.sequence,
            created_at: self.created_at,
            updated_at: self.updated_at,
            url: None,
            ics_url: None,
        }
    }

    /// The document with its public links under `base_url` (published sessions only).
    pub fn document_with_links(&self, base_url: &str) -> EventDocument {
        let mut document = self.document();
        if self.status != EventStatus::Draft {
            let base = base_url.trim_end_matches('/');
            document.url = Some(format!("{base}/events/{}", self.slug));
            if self.schedule.is_some() {
                document.ics_url = Some(format!("{base}/events/{}.ics", self.slug));
            }
        }
        document
    }

    /// The document as the base of a JSON merge patch: everything an organiser may write,
    /// without the read-only keys, and without `slug` so a patch that does not name one lets
    /// a draft's slug follow its title.
    pub fn patch_base(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self.document()).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            for key in READ_ONLY_KEYS.iter().chain(["slug"].iter()) {
                map.remove(*key);
            }
            // Speakers are written back by slug; per-session role and organisation stay.
            if let Some(speakers) = map.get_mut("speakers").and_then(|s| s.as_array_mut()) {
                for speaker in speakers {
                    if let Some(obj) = speaker.as_object_mut() {
                        obj.remove("name");
                    }
                }
            }
        }
        value
    }

    /// The instant used to order sessions: the start, else the publication day, else creation.
    pub fn sort_at(&self) -> i64 {
        sort_key(
            self.schedule.as_ref(),
            self.published_on,
            self.timezone,
            self.created_at,
        )
    }
}

pub fn sort_key(
    schedule: Option<&Schedule>,
    published_on: Option<NaiveDate>,
    tz: Tz,
    created_at: DateTime<Utc>,
) -> i64 {
    match (schedule, published_on) {
        (Some(s), _) => s.start_instant(tz).timestamp(),
        (None, Some(day)) => super::time::start_of_day(day, tz).timestamp(),
        (None, None) => created_at.timestamp(),
    }
}

/// Keys the server writes; clients may send them back (a GET body, edited) and they are ignored.
pub const READ_ONLY_KEYS: [&str; 6] = [
    "id",
    "sequence",
    "created_at",
    "updated_at",
    "url",
    "ics_url",
];

/// The series of a session as an organiser names it: an existing slug, or a title (and
/// optional slug) to create it on the fly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SeriesInput {
    Slug(String),
    Named {
        #[serde(default)]
        slug: Option<String>,
        #[serde(default)]
        title: Option<String>,
    },
}

/// A speaker as an organiser names them: by directory slug, or by name (found by its slug or
/// added to the directory), with this session's role and organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeakerInput {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
}

/// The organiser's JSON for creating a session, or the result of merging a patch onto one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub published_on: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub series: Option<SeriesInput>,
    #[serde(default)]
    pub episode: Option<i64>,
    #[serde(default)]
    pub speakers: Option<Vec<SpeakerInput>>,
    #[serde(default)]
    pub links: Option<Links>,
    #[serde(default)]
    pub programme: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub registration_required: Option<bool>,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub recording_planned: Option<bool>,
    #[serde(default)]
    pub reminders: Option<Vec<String>>,
}

/// A series reference, checked but not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesRef {
    Existing(String),
    CreateIfMissing { slug: Option<String>, title: String },
}

/// A speaker reference, checked but not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerRef {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub organisation: Option<String>,
}

/// A valid session description: every field checked, references still to resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    pub slug: Option<String>,
    pub kind: EventKind,
    pub status: EventStatus,
    pub title: String,
    pub summary: Option<String>,
    pub body: String,
    pub timezone: Tz,
    pub schedule: Option<Schedule>,
    pub published_on: Option<NaiveDate>,
    pub location: Option<String>,
    pub series: Option<SeriesRef>,
    pub episode: Option<i64>,
    pub speakers: Vec<SpeakerRef>,
    pub links: Links,
    pub programme: Vec<String>,
    pub tags: Vec<String>,
    pub image: Option<String>,
    pub registration_required: bool,
    pub capacity: Option<i64>,
    pub recording_planned: bool,
    pub reminders: Option<Vec<String>>,
}

impl EventInput {
    /// Reads JSON, naming the field of any type error. Read-only keys are dropped first.
    pub fn from_json(mut value: serde_json::Value) -> Result<Self, FieldErrors> {
        if let Some(map) = value.as_object_mut() {
            for key in READ_ONLY_KEYS {
                map.remove(key);
            }
        }
        super::errors::read_fields(value)
    }

    /// Checks every field, reporting each problem. `default_timezone` applies when none is given.
    pub fn validate(self, default_timezone: Tz) -> Result<EventSpec, FieldErrors> {
        let mut errors = FieldErrors::new();

        let slug = clean_opt(self.slug);
        if let Some(s) = &slug {
            if let Err(m) = check_slug(s) {
                errors.push("slug", m);
            }
        }

        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push("kind", "is required: webinar, event or video");
                None
            }
            Some(k) => EventKind::parse(k).map_err(|m| errors.push("kind", m)).ok(),
        };
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => Some(EventStatus::Draft),
            Some(s) => EventStatus::parse(s)
                .map_err(|m| errors.push("status", m))
                .ok(),
        };

        let title = clean_opt(self.title).unwrap_or_default();
        if title.is_empty() {
            errors.push("title", "is required");
        } else if title.chars().count() > MAX_TITLE_CHARS {
            errors.push(
                "title",
                format!(
                    "is {} characters long; at most {MAX_TITLE_CHARS} are allowed (put the rest in summary or body)",
                    title.chars().count()
                ),
            );
        }
        check_text(&mut errors, "title", &title);
        let summary = clean_opt(self.summary);
        check_len(
            &mut errors,
            "summary",
            summary.as_deref(),
            MAX_SUMMARY_CHARS,
        );
        let body = self.body.unwrap_or_default();
        check_len(&mut errors, "body", Some(&body), MAX_BODY_CHARS);

        let timezone = match clean_opt(self.timezone) {
            None => default_timezone,
            Some(name) => parse_timezone(&name).unwrap_or_else(|m| {
                errors.push("timezone", m);
                default_timezone
            }),
        };
        let starts_at = parse_time_field(&mut errors, "starts_at", self.starts_at, timezone);
        let ends_at = parse_time_field(&mut errors, "ends_at", self.ends_at, timezone);
        let schedule = match (&starts_at, &ends_at) {
            (Err(()), _) | (_, Err(())) => None,
            (Ok(start), Ok(end)) => schedule_from(*start, *end)
                .map_err(|(field, m)| errors.push(field, m))
                .ok()
                .flatten(),
        };
        if kind.is_some_and(EventKind::is_live) && matches!(starts_at, Ok(None)) {
            errors.push(
                "starts_at",
                "is required for a webinar or an event (e.g. 2021-12-08T09:00, read in the session's time zone)",
            );
        }

        let published_on = clean_opt(self.published_on).and_then(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| {
                    errors.push(
                        "published_on",
                        format!("\u{201c}{s}\u{201d} is not a date like 2021-11-25"),
                    )
                })
                .ok()
        });
        let location = clean_opt(self.location);
        check_len(&mut errors, "location", location.as_deref(), MAX_LINE_CHARS);

        let series = self.series.and_then(|s| series_ref(&mut errors, s));
        let episode = self.episode;
        if episode.is_some_and(|n| n < 0) {
            errors.push("episode", "must be zero or a positive number");
        }

        let speakers = self.speakers.unwrap_or_default();
        if speakers.len() > MAX_LIST_ITEMS {
            errors.push("speakers", format!("at most {MAX_LIST_ITEMS} speakers"));
        }
        let speakers = speakers
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| speaker_ref(&mut errors, i, s))
            .collect();

        let links = self.links.unwrap_or_default();
        let links = check_links(&mut errors, links);

        let programme: Vec<String> = self
            .programme
            .unwrap_or_default()
            .into_iter()
            .map(|item| item.trim().to_string())
            .filter(|item| !item.is_empty())
            .collect();
        check_items(&mut errors, "programme", &programme, MAX_LINE_CHARS);
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags.unwrap_or_default() {
            let tag = tag.trim().to_string();
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        check_items(&mut errors, "tags", &tags, 100);

        let image = clean_opt(self.image);
        check_len(&mut errors, "image", image.as_deref(), MAX_URL_CHARS);
        let capacity = self.capacity;
        if capacity.is_some_and(|c| c <= 0) {
            errors.push(
                "capacity",
                "must be a positive number of places, or null for no limit",
            );
        }

        let reminders = self.reminders.map(|list| {
            let mut clean: Vec<String> = Vec::new();
            for raw in list {
                let value = raw.trim().to_ascii_uppercase();
                match parse_reminder(&value) {
                    Ok(_) if clean.contains(&value) => {}
                    Ok(_) => clean.push(value),
                    Err(m) => errors.push("reminders", format!("\u{201c}{raw}\u{201d}: {m}")),
                }
            }
            if clean.len() > MAX_REMINDERS {
                errors.push(
                    "reminders",
                    format!("at most {MAX_REMINDERS} reminders per session"),
                );
            }
            clean
        });

        let (Some(kind), Some(status)) = (kind, status) else {
            return Err(errors);
        };
        errors.into_result(EventSpec {
            slug,
            kind,
            status,
            title,
            summary,
            body,
            timezone,
            schedule,
            published_on,
            location,
            series,
            episode,
            speakers,
            links,
            programme,
            tags,
            image,
            registration_required: self.registration_required.unwrap_or(false),
            capacity,
            recording_planned: self.recording_planned.unwrap_or(false),
            reminders,
        })
    }
}

/// Reminders one session may have.
pub const MAX_REMINDERS: usize = 5;

/// A reminder's advance: a positive ISO 8601 duration of at most 60 days (`PT1H`, `P1D`).
/// Years and months are refused: their length depends on the date.
pub fn parse_reminder(value: &str) -> Result<chrono::Duration, String> {
    let parsed = iso8601::duration(value.trim())
        .map_err(|_| "is not an ISO 8601 duration such as PT1H or P1D".to_string())?;
    if let iso8601::Duration::YMDHMS { year, month, .. } = parsed {
        if year != 0 || month != 0 {
            return Err("use days, hours or minutes (P1D, PT24H), not years or months".into());
        }
    }
    let std = std::time::Duration::from(parsed);
    if std.is_zero() {
        return Err("must be longer than zero".into());
    }
    if std > std::time::Duration::from_secs(60 * 86_400) {
        return Err("must be at most 60 days".into());
    }
    chrono::Duration::from_std(std).map_err(|_| "is too long".to_string())
}

pub(crate) fn clean_opt(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Invisible control characters (other than tab and line breaks) have no place in text and break
/// what is written from it (XML feeds, front matter): refused with the position of the first.
pub(crate) fn check_text(errors: &mut FieldErrors, field: &str, value: &str) {
    if let Some((i, c)) = value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        errors.push(
            field,
            format!(
                "contains an invisible control character (U+{:04X}) at position {}; remove it",
                c as u32,
                i + 1
            ),
        );
    }
}

pub(crate) fn check_len(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value {
        check_text(errors, field, v);
        let n = v.chars().count();
        if n > max {
            errors.push(
                field,
                format!("is {n} characters long; at most {max} are allowed"),
            );
        }
    }
}

fn check_items(errors: &mut FieldErrors, field: &str, items: &[String], max_chars: usize) {
    if items.len() > MAX_LIST_ITEMS {
        errors.push(field, format!("at most {MAX_LIST_ITEMS} items"));
    }
    for (i, item) in items.iter().enumerate() {
        check_len(errors, &format!("{field}[{i}]"), Some(item), max_chars);
    }
}

fn parse_time_field(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
    tz: Tz,
) -> Result<Option<TimeInput>, ()> {
    match clean_opt(value) {
        None => Ok(None),
        Some(s) => parse_time(&s, tz)
            .map(Some)
            .map_err(|m| errors.push(field, m)),
    }
}

/// Checks an absolute http(s) URL.
pub fn check_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    // The URL parser drops tabs and line breaks silently; stored as given, they would reach
    // calendars and mails raw.
    if value.chars().any(char::is_control) {
        return Err("must not contain line breaks or other control characters".into());
    }
    if value.chars().count() > MAX_URL_CHARS {
        return Err(format!("is longer than {MAX_URL_CHARS} characters"));
    }
    match url::Url::parse(value) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => {
            Ok(value.to_string())
        }
        Ok(_) => Err(format!(
            "\u{201c}{value}\u{201d} must be an http or https address"
        )),
        Err(_) => Err(format!(
            "\u{201c}{value}\u{201d} is not a web address (https://…)"
        )),
    }
}

/// A web address, or a path on the team's site (`/docs/…pdf`, as imported posts write them),
/// resolved against `content.base_url` where the link is shown.
pub fn check_url_or_path(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.starts_with('/') && !trimmed.starts_with("//") {
        // A backslash is a slash to browsers: « /\host/x » would lead to another host.
        if trimmed
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        {
            return Err("must not contain spaces, backslashes or control characters".into());
        }
        if trimmed.chars().count() > MAX_URL_CHARS {
            return Err(format!("is longer than {MAX_URL_CHARS} characters"));
        }
        return Ok(trimmed.to_string());
    }
    check_url(value).map_err(|m| format!("{m}, or a path on the site such as /docs/guide.pdf"))
}

fn check_link(errors: &mut FieldErrors, field: &str, value: Option<String>) -> Option<String> {
    clean_opt(value).and_then(|v| check_url(&v).map_err(|m| errors.push(field, m)).ok())
}

fn check_links(errors: &mut FieldErrors, links: Links) -> Links {
    if links.more.len() > MAX_LIST_ITEMS {
        errors.push("links.more", format!("at most {MAX_LIST_ITEMS} links"));
    }
    let more = links
        .more
        .into_iter()
        .enumerate()
        .filter_map(|(i, link)| {
            let title = link.title.trim().to_string();
            if title.is_empty() {
                errors.push(format!("links.more[{i}].title"), "is required");
            }
            check_len(
                errors,
                &format!("links.more[{i}].title"),
                Some(&title),
                MAX_LINE_CHARS,
            );
            let url = check_url_or_path(&link.url)
                .map_err(|m| errors.push(format!("links.more[{i}].url"), m))
                .ok()?;
            Some(MoreLink { title, url })
        })
        .collect();
    Links {
        join: check_link(errors, "links.join", links.join),
        registration: check_link(errors, "links.registration", links.registration),
        recording: check_link(errors, "links.recording", links.recording),
        video: check_link(errors, "links.video", links.video),
        more,
    }
}

fn series_ref(errors: &mut FieldErrors, input: SeriesInput) -> Option<SeriesRef> {
    let (slug, title) = match input {
        SeriesInput::Slug(s) => (clean_opt(Some(s)), None),
        SeriesInput::Named { slug, title } => (clean_opt(slug), clean_opt(title)),
    };
    if let Some(s) = &slug {
        if let Err(m) = check_slug(s) {
            errors.push("series.slug", m);
            return None;
        }
    }
    if let Some(t) = &title {
        check_len(errors, "series.title", Some(t), MAX_TITLE_CHARS);
    }
    match (slug, title) {
        (slug, Some(title)) => Some(SeriesRef::CreateIfMissing { slug, title }),
        (Some(slug), None) => Some(SeriesRef::Existing(slug)),
        (None, None) => {
            errors.push(
                "series",
                "needs a slug (an existing series) or a title (a new one)",
            );
            None
        }
    }
}

fn speaker_ref(errors: &mut FieldErrors, i: usize, input: SpeakerInput) -> Option<SpeakerRef> {
    let field = format!("speakers[{i}]");
    let slug = clean_opt(input.slug);
    let name = clean_opt(input.name);
    if let Some(s) = &slug {
        if let Err(m) = check_slug(s) {
            errors.push(format!("{field}.slug"), m);
        }
    }
    check_len(
        errors,
        &format!("{field}.name"),
        name.as_deref(),
        MAX_TITLE_CHARS,
    );
    let role = clean_opt(input.role);
    check_len(
        errors,
        &format!("{field}.role"),
        role.as_deref(),
        MAX_LINE_CHARS,
    );
    let organisation = clean_opt(input.organisation);
    check_len(
        errors,
        &format!("{field}.organisation"),
        organisation.as_deref(),
        MAX_LINE_CHARS,
    );
    if slug.is_none() && name.is_none() {
        errors.push(
            field,
            "needs a name (or the slug of a speaker in the directory)",
        );
        return None;
    }
    Some(SpeakerRef {
        slug,
        name,
        role,
        organisation,
    })
}

/// Why a change to a stored session is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleViolation {
    /// The request is well-formed but conflicts with the session's state (HTTP 409).
    Conflict(String),
    /// A field may not take that value now (HTTP 422).
    Field(FieldErrors),
}

/// What an update changes beyond the fields themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePlan {
    /// The slug to store: unchanged, chosen by the organiser, or re-derived from a new title.
    pub slug: SlugChange,
    pub sequence: i64,
    /// Names of the fields a calendar or recipient sees that changed.
    pub visible_changes: Vec<&'static str>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugChange {
    Keep,
    Explicit(String),
    FromTitle,
}

/// Applies the lifecycle rules to an update of `current` into `next`.
pub fn plan_update(
    current: &Event,
    next: &EventSpec,
    now: DateTime<Utc>,
) -> Result<UpdatePlan, RuleViolation> {
    use EventStatus::*;
    match (current.status, next.status) {
        (Scheduled | Cancelled, Draft) => {
            return Err(RuleViolation::Conflict(
                "a published session cannot go back to draft: subscribers already have it; cancel it instead".into(),
            ))
        }
        (Draft, Cancelled) => {
            return Err(RuleViolation::Conflict(
                "a draft cannot be cancelled, nobody has seen it: delete it instead".into(),
            ))
        }
        _ => {}
    }
    let published = current.published_at.is_some();
    let slug = match &next.slug {
        Some(s) if *s == current.slug => SlugChange::Keep,
        Some(_) if published => {
            return Err(RuleViolation::Field(FieldErrors::single(
                "slug",
                format!(
                    "cannot change once the session is published (it is \u{201c}{}\u{201d}; links and calendars use it)",
                    current.slug
                ),
            )))
        }
        Some(s) => SlugChange::Explicit(s.clone()),
        None if !published && current.slug_derived && next.title != current.title => {
            SlugChange::FromTitle
        }
        None => SlugChange::Keep,
    };

    let visible_changes = visible_changes(current, next);
    let sequence = if published && !visible_changes.is_empty() {
        current.sequence + 1
    } else {
        current.sequence
    };
    let becomes_public = next.status.is_public();
    let published_at = current
        .published_at
        .or_else(|| becomes_public.then_some(now));
    let published_on = next
        .published_on
        .or_else(|| becomes_public.then(|| now.with_timezone(&next.timezone).date_naive()));
    Ok(UpdatePlan {
        slug,
        sequence,
        visible_changes,
        published_at,
        published_on,
    })
}

/// The fields whose change a calendar or a recipient must see.
pub fn visible_changes(current: &Event, next: &EventSpec) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if current.schedule != next.schedule {
        changed.push("schedule");
    }
    if current.status != next.status {
        changed.push("status");
    }
    if current.title != next.title {
        changed.push("title");
    }
    if current.location != next.location {
        changed.push("location");
    }
    if current.links != next.links {
        changed.push("links");
    }
    // Places and registration: recipients are told when access tightens (the outbox decides).
    if current.capacity != next.capacity
        || current.registration_required != next.registration_required
    {
        changed.push("access");
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> Result<EventSpec, FieldErrors> {
        EventInput::from_json(value)?.validate(Paris)
    }

    fn fields(errors: &FieldErrors) -> Vec<&str> {
        errors.0.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn control_characters_are_refused_with_their_place() {
        let errors = spec(
            json!({"kind": "video", "title": "Bonjour\u{8}", "summary": "ok\u{7}",
            "body": "ligne\r\nsuivante\ttab", "programme": ["a", "b\u{1b}"]}),
        )
        .unwrap_err();
        assert_eq!(fields(&errors), ["title", "summary", "programme[1]"]);
        assert!(errors.to_string().contains("U+0008"), "{errors}");
    }

    #[test]
    fn urls_with_line_breaks_are_refused_not_silently_cleaned() {
        // url::Url::parse would accept these by dropping the control characters.
        for url in [
            "https://visio.example.org/\nsalle",
            "https://visio.example.org/sa\rlle",
            "https://a.example/\tb",
        ] {
            let err = spec(
                json!({"kind": "webinar", "title": "W", "starts_at": "2027-01-06T09:00",
                "links": {"join": url}}),
            )
            .unwrap_err();
            assert_eq!(fields(&err), vec!["links.join"], "{url:?}");
        }
        assert!(check_url("https://visio.example.org/salle?a=1").is_ok());
    }

    #[test]
    fn minimal_webinar_defaults_to_a_draft_in_paris() {
        let s =
            spec(json!({"kind": "webinar", "title": "Webinaire", "starts_at": "2021-12-08T09:00"}))
                .unwrap();
        assert_eq!(s.status, EventStatus::Draft);
        assert_eq!(s.timezone, Paris);
        assert!(matches!(
            s.schedule,
            Some(Schedule::Timed { ends_at: None, .. })
        ));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = spec(json!({
            "kind": "conference", "title": "x".repeat(10_000), "timezone": "Mars/Olympus",
            "starts_at": "2021-12-08T10:00", "links": {"join": "javascript:alert(1)"},
            "capacity": 0, "speakers": [{"role": "orphan"}]
        }))
        .unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "kind",
                "title",
                "timezone",
                "speakers[0]",
                "links.join",
                "capacity"
            ]
        );
    }

    #[test]
    fn live_sessions_need_a_start_but_videos_do_not() {
        let errors = spec(json!({"kind": "event", "title": "Rencontre"})).unwrap_err();
        assert_eq!(fields(&errors), ["starts_at"]);
        assert!(spec(json!({"kind": "video", "title": "Épisode #12"})).is_ok());
    }

    #[test]
    fn type_errors_name_the_field() {
        let errors = spec(json!({"kind": "video", "title": "t", "capacity": "many"})).unwrap_err();
        assert_eq!(fields(&errors), ["capacity"]);
        let errors = spec(json!({"kind": "video", "title": "t", "colour": "red"})).unwrap_err();
        assert!(errors.0[0].message.contains("colour"), "{errors}");
        let errors =
            spec(json!({"kind": "video", "title": "t", "links": {"join": 3}})).unwrap_err();
        assert_eq!(fields(&errors), ["links.join"]);
    }

    #[test]
    fn read_only_keys_are_ignored() {
        assert!(
            spec(json!({"id": "x", "sequence": 9, "kind": "video", "title": "t", "url": "u"}))
                .is_ok()
        );
    }

    #[test]
    fn series_by_slug_or_title() {
        let s = spec(json!({"kind": "video", "title": "t", "series": "numerique-responsable"}))
            .unwrap();
        assert_eq!(
            s.series,
            Some(SeriesRef::Existing("numerique-responsable".into()))
        );
        let s = spec(
            json!({"kind": "video", "title": "t", "series": {"title": "Numérique responsable"}}),
        )
        .unwrap();
        assert!(matches!(
            s.series,
            Some(SeriesRef::CreateIfMissing { slug: None, .. })
        ));
        let errors = spec(json!({"kind": "video", "title": "t", "series": {}})).unwrap_err();
        assert_eq!(fields(&errors), ["series"]);
    }

    fn stored(status: EventStatus) -> Event {
        let s =
            spec(json!({"kind": "webinar", "title": "Webinaire", "starts_at": "2021-12-08T09:00"}))
                .unwrap();
        let now = Utc::now();
        Event {
            id: "1".into(),
            slug: "webinaire".into(),
            slug_derived: true,
            kind: s.kind,
            status,
            title: s.title,
            summary: None,
            body: String::new(),
            timezone: Paris,
            schedule: s.schedule,
            published_on: None,
            location: None,
            series: None,
            episode: None,
            speakers: vec![],
            links: Links::default(),
            programme: vec![],
            tags: vec![],
            image: None,
            registration_required: false,
            capacity: None,
            recording_planned: false,
            reminders: None,
            sequence: 0,
            published_at: status.is_public().then_some(now),
            created_at: now,
            updated_at: now,
        }
    }

    fn next_from(event: &Event, patch: serde_json::Value) -> EventSpec {
        let mut base = event.patch_base();
        json_patch::merge(&mut base, &patch);
        EventInput::from_json(base)
            .unwrap()
            .validate(Paris)
            .unwrap()
    }

    #[test]
    fn visible_changes_bump_the_sequence_once_published() {
        let event = stored(EventStatus::Scheduled);
        let moved = next_from(&event, json!({"starts_at": "2021-12-09T09:00"}));
        let plan = plan_update(&event, &moved, Utc::now()).unwrap();
        assert_eq!(plan.sequence, 1);
        assert_eq!(plan.visible_changes, ["schedule"]);
        let retagged = next_from(&event, json!({"tags": ["sobriété"]}));
        assert_eq!(
            plan_update(&event, &retagged, Utc::now()).unwrap().sequence,
            0
        );
        let draft = stored(EventStatus::Draft);
        let moved = next_from(&draft, json!({"starts_at": "2021-12-09T09:00"}));
        assert_eq!(plan_update(&draft, &moved, Utc::now()).unwrap().sequence, 0);
    }

    #[test]
    fn lifecycle_rules() {
        let event = stored(EventStatus::Scheduled);
        let back = next_from(&event, json!({"status": "draft"}));
        assert!(matches!(
            plan_update(&event, &back, Utc::now()),
            Err(RuleViolation::Conflict(_))
        ));
        let renamed = next_from(&event, json!({"slug": "autre"}));
        assert!(matches!(
            plan_update(&event, &renamed, Utc::now()),
            Err(RuleViolation::Field(_))
        ));
        let retitled = next_from(&event, json!({"title": "Nouveau titre"}));
        assert_eq!(
            plan_update(&event, &retitled, Utc::now()).unwrap().slug,
            SlugChange::Keep
        );

        let draft = stored(EventStatus::Draft);
        let retitled = next_from(&draft, json!({"title": "Nouveau titre"}));
        assert_eq!(
            plan_update(&draft, &retitled, Utc::now()).unwrap().slug,
            SlugChange::FromTitle
        );
        let cancelled = next_from(&draft, json!({"status": "cancelled"}));
        assert!(matches!(
            plan_update(&draft, &cancelled, Utc::now()),
            Err(RuleViolation::Conflict(_))
        ));
        let scheduled = next_from(&draft, json!({"status": "scheduled"}));
        let plan = plan_update(&draft, &scheduled, Utc::now()).unwrap();
        assert!(plan.published_at.is_some() && plan.published_on.is_some());
    }
}
