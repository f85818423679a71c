//! Sessions (webinars, in-person events) and video episodes: the stored model and the JSON
//! document other tools read (here), the organiser's input and its validation (`input`), and
//! the lifecycle rules that turn an edit into an update plan (`lifecycle`).

mod input;
mod lifecycle;
#[cfg(test)]
pub(crate) mod testing;

pub use input::*;
pub(crate) use input::{check_len, clean_opt};
pub use lifecycle::*;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::time::Schedule;
use super::urls::PublicUrls;

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
    /// Why the organisers cancelled it, in their words, for visitors, recipients and
    /// calendars. Only a cancelled session has one (`lifecycle::cancel_reason_after`).
    pub cancel_reason: Option<String>,
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
    /// Why it was cancelled, as the organisers gave it with `POST /api/v1/events/{key}/cancel`;
    /// null when they gave none and whenever the session is not cancelled. Read-only here.
    #[serde(default)]
    pub cancel_reason: Option<String>,
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
            cancel_reason: self.cancel_reason.clone(),
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
            let urls = PublicUrls::new(base_url);
            document.url = Some(urls.event_page(&self.slug));
            if self.schedule.is_some() {
                document.ics_url = Some(urls.event_ics(&self.slug));
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
/// `cancel_reason` is given with a cancellation, not edited.
pub const READ_ONLY_KEYS: [&str; 7] = [
    "id",
    "cancel_reason",
    "sequence",
    "created_at",
    "updated_at",
    "url",
    "ics_url",
];
