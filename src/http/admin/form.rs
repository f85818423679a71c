//! The session form of the console: what its fields hold (Paris wall time, one speaker per
//! row, links, reminders), read from a posted form or from a stored session, and turned into
//! the same JSON document the API takes, so one validator judges both.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::domain::{Event, EventStatus, FieldErrors};

/// The reminder advances offered as boxes to tick (others can be typed).
pub const REMINDER_CHOICES: [(&str, &str); 6] = [
    ("P7D", "une semaine avant"),
    ("P2D", "deux jours avant"),
    ("P1D", "la veille (24 h avant)"),
    ("PT2H", "deux heures avant"),
    ("PT1H", "une heure avant"),
    ("PT15M", "un quart d'heure avant"),
];

/// Empty speaker rows offered after the filled ones (no script needed to add one).
const SPARE_SPEAKER_ROWS: usize = 2;

/// A posted form, every value of every field in order (fields repeat: speakers, reminders).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// One speaker row.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SpeakerRow {
    pub name: String,
    pub role: String,
    pub organisation: String,
}

/// What the session form shows and sends back.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SessionForm {
    pub kind: String,
    pub status: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub timezone: String,
    pub start_date: String,
    pub start_time: String,
    pub end_date: String,
    pub end_time: String,
    pub location: String,
    /// An existing series' slug.
    pub series: String,
    /// Or the title of a new series.
    pub series_title: String,
    pub episode: String,
    pub speakers: Vec<SpeakerRow>,
    pub link_join: String,
    pub link_registration: String,
    pub link_recording: String,
    pub link_video: String,
    /// « Titre | adresse », one per line.
    pub more_links: String,
    /// One item per line.
    pub programme: String,
    /// Comma-separated.
    pub tags: String,
    pub image: String,
    pub capacity: String,
    pub registration_required: bool,
    pub recording_planned: bool,
    /// The configured reminders (`mail.reminders`) rather than a list of the session's own.
    pub default_reminders: bool,
    pub reminders: Vec<String>,
    /// Other advances, ISO 8601, comma-separated.
    pub custom_reminders: String,
    pub slug: String,
    pub published_on: String,
    /// The stored session's `updated_at` (microseconds) the form was read from: saving over a
    /// newer version is refused rather than losing someone else's change.
    pub version: String,
}

impl SessionForm {
    /// A new session's form.
    pub fn blank(timezone: &str) -> SessionForm {
        SessionForm {
            kind: "webinar".into(),
            status: "draft".into(),
            timezone: timezone.into(),
            default_reminders: true,
            speakers: vec![SpeakerRow::default(); SPARE_SPEAKER_ROWS + 1],
            ..SessionForm::default()
        }
    }

    /// The form as posted.
    pub fn from_data(data: &FormData) -> SessionForm {
        let names = data.all("speaker_name");
        let roles = data.all("speaker_role");
        let organisations = data.all("speaker_organisation");
        let mut speakers: Vec<SpeakerRow> = names
            .iter()
            .enumerate()
            .map(|(i, name)| SpeakerRow {
                name: name.clone(),
                role: roles.get(i).cloned().unwrap_or_default(),
                organisation: organisations.get(i).cloned().unwrap_or_default(),
            })
            .filter(|row| {
                !(row.name.is_empty() && row.role.is_empty() && row.organisation.is_empty())
            })
            .collect();
        speakers.extend(std::iter::repeat_n(
            SpeakerRow::default(),
            SPARE_SPEAKER_ROWS,
        ));
        SessionForm {
            kind: data.get("kind"),
            status: data.get("status"),
            title: data.get("title"),
            summary: data.get("summary"),
            body: data.get("body"),
            timezone: data.get("timezone"),
            start_date: data.get("start_date"),
            start_time: data.get("start_time"),
            end_date: data.get("end_date"),
            end_time: data.get("end_time"),
            location: data.get("location"),
            series: data.get("series"),
            series_title: data.get("series_title"),
            episode: data.get("episode"),
            speakers,
            link_join: data.get("link_join"),
            link_registration: data.get("link_registration"),
            link_recording: data.get("link_recording"),
            link_video: data.get("link_video"),
            more_links: data.get("more_links"),
            programme: data.get("programme"),
            tags: data.get("tags"),
            image: data.get("image"),
            capacity: data.get("capacity"),
            registration_required: data.has("registration_required"),
            recording_planned: data.has("recording_planned"),
            default_reminders: data.has("default_reminders"),
            reminders: data.all("reminder"),
            custom_reminders: data.get("custom_reminders"),
            slug: data.get("slug"),
            published_on: data.get("published_on"),
            version: data.get("version"),
        }
    }

    /// A stored session's form, times as wall time in its own time zone.
    pub fn from_event(event: &Event) -> SessionForm {
        let doc = event.document();
        let (start_date, start_time) = split_moment(doc.starts_at.as_deref());
        let (end_date, end_time) = split_moment(doc.ends_at.as_deref());
        let known: Vec<&str> = REMINDER_CHOICES.iter().map(|(code, _)| *code).collect();
        let (reminders, custom): (Vec<String>, Vec<String>) = event
            .reminders
            .clone()
            .unwrap_or_default()
            .into_iter()
            .partition(|r| known.contains(&r.as_str()));
        let mut speakers: Vec<SpeakerRow> = event
            .speakers
            .iter()
            .map(|s| SpeakerRow {
                name: s.name.clone(),
                role: s.role.clone().unwrap_or_default(),
                organisation: s.organisation.clone().unwrap_or_default(),
            })
            .collect();
        speakers.extend(std::iter::repeat_n(
            SpeakerRow::default(),
            SPARE_SPEAKER_ROWS,
        ));
        SessionForm {
            kind: event.kind.as_str().into(),
            status: event.status.as_str().into(),
            title: event.title.clone(),
            summary: event.summary.clone().unwrap_or_default(),
            body: event.body.clone(),
            timezone: event.timezone.name().into(),
            start_date,
            start_time,
            end_date,
            end_time,
            location: event.location.clone().unwrap_or_default(),
            series: event
                .series
                .as_ref()
                .map(|s| s.slug.clone())
                .unwrap_or_default(),
            series_title: String::new(),
            episode: event.episode.map(|n| n.to_string()).unwrap_or_default(),
            speakers,
            link_join: event.links.join.clone().unwrap_or_default(),
            link_registration: event.links.registration.clone().unwrap_or_default(),
            link_recording: event.links.recording.clone().unwrap_or_default(),
            link_video: event.links.video.clone().unwrap_or_default(),
            more_links: event
                .links
                .more
                .iter()
                .map(|m| format!("{} | {}", m.title, m.url))
                .collect::<Vec<_>>()
                .join("\n"),
            programme: event.programme.join("\n"),
            tags: event.tags.join(", "),
            image: event.image.clone().unwrap_or_default(),
            capacity: event.capacity.map(|n| n.to_string()).unwrap_or_default(),
            registration_required: event.registration_required,
            recording_planned: event.recording_planned,
            default_reminders: event.reminders.is_none(),
            reminders,
            custom_reminders: custom.join(", "),
            slug: event.slug.clone(),
            published_on: doc.published_on.map(|d| d.to_string()).unwrap_or_default(),
            version: event.updated_at.timestamp_micros().to_string(),
        }
    }

    /// The same session on another day: a copy to schedule (a monthly series' next session).
    /// Speakers, programme, links (but the recording), capacity and reminders stay.
    pub fn duplicate(event: &Event) -> SessionForm {
        SessionForm {
            status: "draft".into(),
            start_date: String::new(),
            end_date: String::new(),
            link_recording: String::new(),
            slug: String::new(),
            published_on: String::new(),
            version: String::new(),
            episode: event
                .episode
                .map(|n| (n + 1).to_string())
                .unwrap_or_default(),
            ..SessionForm::from_event(event)
        }
    }

    /// The session document the API would take.
    pub fn to_input(&self) -> Value {
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let moment = |date: &str, time: &str| match (text(date), text(time)) {
            (Some(date), Some(time)) => Some(format!("{date}T{time}")),
            (Some(date), None) => Some(date),
            (None, _) => None,
        };
        let mut doc = Map::new();
        let mut put = |key: &str, value: Value| {
            if !value.is_null() {
                doc.insert(key.to_string(), value);
            }
        };
        put("kind", json!(text(&self.kind)));
        put("status", json!(text(&self.status)));
        put("title", json!(text(&self.title)));
        put("summary", json!(text(&self.summary)));
        put("body", json!(text(&self.body)));
        put("timezone", json!(text(&self.timezone)));
        put(
            "starts_at",
            json!(moment(&self.start_date, &self.start_time)),
        );
        put("ends_at", json!(moment(&self.end_date, &self.end_time)));
        put("location", json!(text(&self.location)));
        match text(&self.series_title) {
            Some(title) => put("series", json!({ "title": title })),
            None => put("series", json!(text(&self.series))),
        }
        put("slug", json!(text(&self.slug)));
        put("published_on", json!(text(&self.published_on)));
        put("image", json!(text(&self.image)));
        // Numbers that are not numbers are sent as typed: the validator names the field.
        for (key, raw) in [("episode", &self.episode), ("capacity", &self.capacity)] {
            if let Some(raw) = text(raw) {
                put(
                    key,
                    raw.parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::String(raw)),
                );
            }
        }
        let speakers: Vec<Value> = self
            .speakers
            .iter()
            .filter(|s| !s.name.trim().is_empty() || !s.role.trim().is_empty())
            .map(|s| {
                json!({
                    "name": text(&s.name),
                    "role": text(&s.role),
                    "organisation": text(&s.organisation),
                })
            })
            .collect();
        put("speakers", Value::Array(speakers));
        let more: Vec<Value> = self
            .more_links
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| match line.rsplit_once('|') {
                Some((title, url)) => json!({"title": title.trim(), "url": url.trim()}),
                None => json!({"title": line.trim(), "url": line.trim()}),
            })
            .collect();
        put(
            "links",
            json!({
                "join": text(&self.link_join),
                "registration": text(&self.link_registration),
                "recording": text(&self.link_recording),
                "video": text(&self.link_video),
                "more": more,
            }),
        );
        put(
            "programme",
            Value::Array(
                self.programme
                    .lines()
                    .filter_map(|l| text(l).map(Value::String))
                    .collect(),
            ),
        );
        put(
            "tags",
            Value::Array(
                self.tags
                    .split(',')
                    .filter_map(|t| text(t).map(Value::String))
                    .collect(),
            ),
        );
        put("registration_required", json!(self.registration_required));
        put("recording_planned", json!(self.recording_planned));
        if !self.default_reminders {
            let mut list: Vec<String> = self.reminders.clone();
            list.extend(self.custom_reminders.split(',').filter_map(text));
            put("reminders", json!(list));
        }
        Value::Object(doc)
    }

    /// Whether the session this form edits was published (its status can no longer be draft).
    pub fn offers_draft(event: Option<&Event>) -> bool {
        event.is_none_or(|e| e.status == EventStatus::Draft && e.published_at.is_none())
    }
}

/// « 2026-12-08T09:00:00+01:00 » → (« 2026-12-08 », « 09:00 »); a bare date has no time.
fn split_moment(moment: Option<&str>) -> (String, String) {
    match moment {
        None => (String::new(), String::new()),
        Some(m) => match m.split_once('T') {
            Some((date, time)) => (date.to_string(), time.chars().take(5).collect()),
            None => (m.to_string(), String::new()),
        },
    }
}

/// « speakers[2].name » → 3 (the row as the form counts them).
fn speaker_row(field: &str) -> Option<usize> {
    let rest = field.strip_prefix("speakers[")?;
    let (index, _) = rest.split_once(']')?;
    index.parse::<usize>().ok().map(|i| i + 1)
}

/// Field errors keyed for the template: the API's paths, and their French wording, with the
/// form's own names where they differ (`starts_at` shows next to the start date).
pub fn errors_for_form(errors: &FieldErrors) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for error in &errors.0 {
        let key = match error.field.as_str() {
            "" => "form".to_string(),
            "links.more" => "more_links".into(),
            f if f.starts_with("links.more[") => "more_links".into(),
            f if f.starts_with("links.") => format!("link_{}", &f[6..]),
            f if f.starts_with("programme") => "programme".into(),
            f if f.starts_with("tags") => "tags".into(),
            f if f.starts_with("reminders") => "reminders".into(),
            "series.slug" | "series.title" => "series".into(),
            f if f.starts_with("speakers") => "speakers".into(),
            f => f.to_string(),
        };
        let mut french = crate::domain::errors::in_french(&error.message);
        if let Some(row) = speaker_row(&error.field) {
            french = format!("Intervenant·e n° {row} : {french}");
        }
        map.entry(key)
            .and_modify(|m: &mut String| {
                m.push(' ');
                m.push_str(&french);
            })
            .or_insert(french);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn posted(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_posted_form_becomes_the_api_document_and_validates() {
        let data = posted(&[
            ("kind", "webinar"),
            ("status", "scheduled"),
            ("title", "Mesurer l'empreinte d'un service"),
            ("timezone", "Europe/Paris"),
            ("start_date", "2026-12-08"),
            ("start_time", "09:00"),
            ("end_date", "2026-12-08"),
            ("end_time", "10:00"),
            ("speaker_name", "Camille Martin"),
            ("speaker_role", "Animatrice"),
            ("speaker_organisation", ""),
            ("speaker_name", ""),
            ("speaker_role", ""),
            ("speaker_organisation", ""),
            ("link_join", "https://visio.example.org/salle"),
            ("more_links", "Le guide | https://example.org/guide\n"),
            ("programme", "Accueil\n\nMesures\n"),
            ("tags", "RGESN, mesure"),
            ("capacity", "80"),
            ("registration_required", "on"),
            ("reminder", "P1D"),
            ("custom_reminders", "PT30M"),
        ]);
        let form = SessionForm::from_data(&data);
        assert_eq!(form.speakers.len(), 1 + SPARE_SPEAKER_ROWS);
        let input = form.to_input();
        assert_eq!(input["starts_at"], "2026-12-08T09:00");
        assert_eq!(input["speakers"].as_array().unwrap().len(), 1);
        assert_eq!(input["programme"], json!(["Accueil", "Mesures"]));
        assert_eq!(input["reminders"], json!(["P1D", "PT30M"]));
        assert_eq!(
            input["links"]["more"][0]["url"],
            "https://example.org/guide"
        );
        let spec = crate::domain::EventInput::from_json(input)
            .and_then(|i| i.validate(Paris))
            .unwrap();
        assert_eq!(spec.capacity, Some(80));
        assert!(spec.registration_required);
    }

    #[test]
    fn a_number_typed_wrong_is_named_by_the_validator() {
        let form = SessionForm {
            capacity: "quatre-vingts".into(),
            ..SessionForm::blank("Europe/Paris")
        };
        let input = form.to_input();
        assert_eq!(input["capacity"], "quatre-vingts");
        let errors = crate::domain::EventInput::from_json(input).unwrap_err();
        assert_eq!(errors.0[0].field, "capacity");
    }

    #[test]
    fn errors_land_next_to_their_field_in_french() {
        let mut errors = FieldErrors::new();
        errors.push("title", "is required");
        errors.push("links.join", "must be an http(s) URL");
        errors.push(
            "reminders",
            "\u{201c}X\u{201d}: is not an ISO 8601 duration such as PT1H or P1D",
        );
        let map = errors_for_form(&errors);
        assert_eq!(map["title"], "Ce champ est obligatoire.");
        assert!(map.contains_key("link_join"));
        assert!(map.contains_key("reminders"));
    }

    #[test]
    fn moments_split_into_date_and_wall_time() {
        assert_eq!(
            split_moment(Some("2026-12-08T09:00:00+01:00")),
            ("2026-12-08".into(), "09:00".into())
        );
        assert_eq!(
            split_moment(Some("2026-12-08")),
            ("2026-12-08".into(), String::new())
        );
        assert_eq!(split_moment(None), (String::new(), String::new()));
    }
}
