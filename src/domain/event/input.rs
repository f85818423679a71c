//! The organiser's input (JSON, or a patch merged onto a stored session) and the checks that
//! turn it into an `EventSpec`: every problem reported at once, field by field.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{EventKind, EventStatus, Links, MoreLink, READ_ONLY_KEYS};
use crate::domain::errors::{self, FieldErrors};
use crate::domain::notices::parse_reminder;
use crate::domain::slug::check_slug;
use crate::domain::time::{parse_time, parse_timezone, schedule_from, Schedule, TimeInput};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 2_000;
pub const MAX_BODY_CHARS: usize = 200_000;
pub const MAX_LINE_CHARS: usize = 1_000;
pub const MAX_URL_CHARS: usize = 2_000;
pub const MAX_LIST_ITEMS: usize = 100;
/// A cancellation's reason is a sentence or two for visitors and recipients, not a notice.
pub const MAX_CANCEL_REASON_CHARS: usize = 500;

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
    #[schema(value_type = Option<KindName>)]
    pub kind: Option<String>,
    /// `draft` when left out on creation.
    #[serde(default)]
    #[schema(value_type = Option<StatusName>)]
    pub status: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"\S")]
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
    #[schema(minimum = 0)]
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
    /// Seats; null for no limit.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub recording_planned: Option<bool>,
    #[serde(default)]
    pub reminders: Option<Vec<String>>,
}

/// `EventInput::kind` as documented (the field is read by hand, for a precise error).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum KindName {
    Webinar,
    Event,
    Video,
}

/// `EventInput::status` as documented.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StatusName {
    Draft,
    Scheduled,
    Cancelled,
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
    /// The role and organisation are this session's whole affiliation, `None` meaning none:
    /// the directory's never shows through. An imported post says who spoke as what *then*;
    /// another post's affiliation must not fill its gaps.
    pub as_written: bool,
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
    /// A reason given with this change: only a cancellation (`CancelInput`) gives one, never
    /// the organiser's JSON. What the session keeps is `lifecycle::cancel_reason_after`'s.
    pub cancel_reason: Option<String>,
}

/// The optional body of `POST /api/v1/events/{key}/cancel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Why the session is cancelled, in French, for visitors and subscribers (at most 500
    /// characters; trimmed). Shown on its page, in the cancellation notice and in calendars.
    /// Cancelling again with a reason replaces it; without one keeps it. No control character
    /// but tabs and line breaks (`check_text`).
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$",
        example = "L'intervenante est souffrante ; la session sera reprogrammée."
    )]
    pub reason: Option<String>,
}

impl CancelInput {
    /// Reads the JSON body, naming the field of any type error.
    pub fn from_json(value: serde_json::Value) -> Result<Self, FieldErrors> {
        errors::read_fields(value)
    }

    /// The reason, trimmed; none when empty. Too long, or holding control characters other
    /// than line breaks and tabs: refused.
    pub fn validate(self) -> Result<Option<String>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = clean_opt(self.reason);
        check_len(
            &mut errors,
            "reason",
            reason.as_deref(),
            MAX_CANCEL_REASON_CHARS,
        );
        errors.into_result(reason)
    }
}

impl EventInput {
    /// Reads JSON, naming the field of any type error. Read-only keys are dropped first.
    pub fn from_json(mut value: serde_json::Value) -> Result<Self, FieldErrors> {
        if let Some(map) = value.as_object_mut() {
            for key in READ_ONLY_KEYS {
                map.remove(key);
            }
        }
        errors::read_fields(value)
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
        check_one_line(&mut errors, "title", &title);
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
            cancel_reason: None,
        })
    }
}

/// Reminders one session may have.
pub const MAX_REMINDERS: usize = 5;

pub(crate) fn clean_opt(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Text shown on one line (a title: a calendar's SUMMARY, a mail's subject, a page's heading)
/// holds no line break.
pub(crate) fn check_one_line(errors: &mut FieldErrors, field: &str, value: &str) {
    if value.contains(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}']) {
        errors.push(
            field,
            "must be one line: remove the line breaks (longer text goes in summary or body)",
        );
    }
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
            // Characters a URL may not hold raw (spaces, quotes, angle brackets…) are stored
            // percent-encoded, as the parser writes them: they would break the attribute, the
            // iCalendar line or the Markdown link they go into. Other addresses stay as typed.
            if value.contains([' ', '"', '<', '>', '`', '{', '}', '|', '\\', '^']) {
                Ok(u.to_string())
            } else {
                Ok(value.to_string())
            }
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
        as_written: false,
    })
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
        for title in [
            "Ligne\r\nBcc: x@example.org",
            "deux\nlignes",
            "sep\u{2028}aré",
        ] {
            let errors = spec(json!({"kind": "video", "title": title})).unwrap_err();
            assert_eq!(fields(&errors), ["title"], "{title:?}");
            assert!(
                errors.0[0].message.contains("one line"),
                "{title:?}: {errors}"
            );
        }
        assert!(errors.to_string().contains("U+0008"), "{errors}");
    }

    #[test]
    fn addresses_with_characters_a_url_cannot_hold_are_stored_encoded() {
        assert_eq!(
            check_url("https://example.org/mon guide \"v2\" <final>.pdf").unwrap(),
            "https://example.org/mon%20guide%20%22v2%22%20%3Cfinal%3E.pdf"
        );
        assert_eq!(
            check_url(" https://dai.ly/x8abcde ").unwrap(),
            "https://dai.ly/x8abcde"
        );
        assert_eq!(
            check_url("https://Example.org").unwrap(),
            "https://Example.org",
            "as typed"
        );
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
    fn cancel_reasons_are_trimmed_and_bounded() {
        let reason = |value: serde_json::Value| CancelInput::from_json(value)?.validate();
        assert_eq!(reason(json!({})), Ok(None));
        assert_eq!(reason(json!({"reason": null})), Ok(None));
        assert_eq!(reason(json!({"reason": "  \n "})), Ok(None));
        assert_eq!(
            reason(json!({"reason": "  Intervenante souffrante.\nReportée. "})),
            Ok(Some("Intervenante souffrante.\nReportée.".into()))
        );
        let longest = "é".repeat(MAX_CANCEL_REASON_CHARS);
        assert_eq!(
            reason(json!({ "reason": longest.clone() })),
            Ok(Some(longest))
        );
        for bad in [
            json!({"reason": "é".repeat(MAX_CANCEL_REASON_CHARS + 1)}),
            json!({"reason": 42}),
            json!({"reason": ["a"]}),
            json!({"reason": "bip\u{7}"}),
        ] {
            let errors = reason(bad.clone()).unwrap_err();
            assert_eq!(fields(&errors), ["reason"], "{bad}");
        }
        let errors = reason(json!({"motif": "x"})).unwrap_err();
        assert!(errors.to_string().contains("motif"), "{errors}");
        assert!(reason(json!("x")).is_err());
        // Not from the session's JSON: the document's key is read-only.
        let s = spec(json!({"kind": "video", "title": "t", "cancel_reason": "x"})).unwrap();
        assert_eq!(s.cancel_reason, None);
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
}
