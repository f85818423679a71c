//! `eventail publish --format eleventy --out DIR`: Markdown files with front matter in the shape
//! of the team's Eleventy posts, to drop into the site: sessions under `posts/`, videos under
//! `videos/` (with `embedVideoUrl` and the video layout).
//!
//! Front matter values are written as JSON strings and arrays, which YAML reads as
//! double-quoted scalars and flow sequences: quoting is exact whatever the text holds.

use std::path::Path;

use anyhow::Context;

use super::folder::StagedFolder;
use super::pages::video_embed;
use crate::domain::french;
use crate::domain::{Event, EventKind, EventStatus};

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// The file for one session: its path under the export folder and its text.
pub fn post(event: &Event) -> (String, String) {
    let video = event.kind == EventKind::Video;
    let mut front = Vec::new();
    let cancelled = event.status == EventStatus::Cancelled;
    let title = if cancelled {
        format!("Annulé : {}", event.title)
    } else {
        event.title.clone()
    };
    front.push(format!("title: {}", quoted(&title)));
    if let Some(summary) = &event.summary {
        front.push(format!("description: {}", quoted(summary)));
    }
    let date = event
        .published_on
        .or_else(|| {
            event.schedule.map(|s| {
                s.start_instant(event.timezone)
                    .with_timezone(&event.timezone)
                    .date_naive()
            })
        })
        .map(|d| d.to_string());
    if let Some(date) = date {
        front.push(format!("date: {date}"));
    }
    if let Some(when) = french::when(event.schedule.as_ref(), event.timezone) {
        front.push(format!("dateLabel: {}", quoted(&when)));
    }
    let mut tags: Vec<String> = event.tags.clone();
    let kind_tag = if video { "video" } else { "agenda" };
    if !tags.iter().any(|t| t == kind_tag) {
        tags.push(kind_tag.into());
    }
    front.push(format!(
        "tags: {}",
        serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into())
    ));
    front.push(format!(
        "layout: {}",
        if video {
            "layouts/video.njk"
        } else {
            "layouts/post.njk"
        }
    ));
    front.push(format!("type: {}", if video { "video" } else { "news" }));
    if let Some(image) = &event.image {
        front.push(format!("image: {}", quoted(image)));
    }
    if let Some(url) = &event.links.video {
        let view = video_embed(url);
        front.push(format!(
            "embedVideoUrl: {}",
            // The site's player starts on its own click: no autoplay.
            quoted(
                view.embed
                    .as_deref()
                    .map(|e| e.trim_end_matches("?autoplay=1"))
                    .unwrap_or(url)
            )
        ));
    }
    if let Some(location) = &event.location {
        front.push(format!("location: {}", quoted(location)));
    }
    if let Some(series) = &event.series {
        front.push(format!("series: {}", quoted(&series.title)));
    }
    if let Some(episode) = event.episode {
        front.push(format!("episode: {episode}"));
    }
    // The join link of a session that requires registration is for its registrants, never on
    // the site (which has no base URL here to link to this service's form).
    // A cancelled session offers neither: nobody registers for or joins what will not happen.
    let join = crate::domain::registration::join_link_for(
        event,
        crate::domain::registration::Reader::Public,
    )
    .filter(|_| !cancelled)
    .map(str::to_string);
    let registration = event.links.registration.as_ref().filter(|_| !cancelled);
    let (link, link_title) = match (&event.links.recording, registration, &join) {
        (Some(url), _, _) => (Some(url), "Voir l'enregistrement"),
        (None, Some(url), _) => (Some(url), "Inscription"),
        (None, None, Some(url)) => (Some(url), "Rejoindre la session"),
        _ => (None, ""),
    };
    if let Some(link) = link {
        front.push(format!("link: {}", quoted(link)));
        front.push(format!("linkTitle: {}", quoted(link_title)));
    }

    front.extend(record(event, join.as_deref()));

    // The body as written (what could run on the site goes, the rest stays: the site renders
    // raw HTML in Markdown), then the session's details as the team writes them, between
    // markers the importer recognises (the front matter's record holds them exactly).
    let mut parts = Vec::new();
    if !event.body.trim().is_empty() {
        parts.push(
            super::markdown::sanitise_markdown(&event.body)
                .trim_end()
                .to_string(),
        );
    }
    let details = details(event, join.as_deref());
    if !details.is_empty() {
        parts.push(format!("{DETAILS_START}\n\n{details}{DETAILS_END}"));
    }
    let body = if parts.is_empty() {
        String::new()
    } else {
        parts.join("\n\n") + "\n"
    };
    let folder = if video { "videos" } else { "posts" };
    (
        format!("{folder}/{}.md", event.slug),
        format!("---\n{}\n---\n\n{body}", front.join("\n")),
    )
}

/// Opens and closes the details eventail writes under the body (Markdown shows neither).
pub const DETAILS_START: &str = "<!-- eventail:details -->";
pub const DETAILS_END: &str = "<!-- /eventail:details -->";

/// The front matter's `eventail:` record: what the site's keys do not say exactly, for
/// `eventail import` to read back the same session (the site's templates may use it too).
/// Each value is JSON, which YAML reads as it is. The join link is the one the site may show.
fn record(event: &Event, join: Option<&str>) -> Vec<String> {
    let json =
        |value: serde_json::Value| serde_json::to_string(&value).unwrap_or_else(|_| "null".into());
    let mut lines = vec![
        "eventail:".to_string(),
        format!("  kind: {}", quoted(event.kind.as_str())),
        format!("  status: {}", quoted(event.status.as_str())),
        format!("  timezone: {}", quoted(event.timezone.name())),
    ];
    if let Some(schedule) = &event.schedule {
        let (start, end) = schedule.render(event.timezone);
        lines.push(format!("  starts_at: {}", quoted(&start)));
        if let Some(end) = end {
            lines.push(format!("  ends_at: {}", quoted(&end)));
        }
    }
    let speakers: Vec<serde_json::Value> = event
        .speakers
        .iter()
        .map(|s| {
            let mut person = serde_json::Map::new();
            person.insert("name".into(), s.name.clone().into());
            if let Some(role) = &s.role {
                person.insert("role".into(), role.clone().into());
            }
            if let Some(organisation) = &s.organisation {
                person.insert("organisation".into(), organisation.clone().into());
            }
            serde_json::Value::Object(person)
        })
        .collect();
    lines.push(format!("  speakers: {}", json(speakers.into())));
    lines.push(format!(
        "  programme: {}",
        json(event.programme.clone().into())
    ));
    lines.push(format!("  tags: {}", json(event.tags.clone().into())));
    let mut links = serde_json::Map::new();
    for (key, value) in [
        ("join", join),
        ("registration", event.links.registration.as_deref()),
        ("recording", event.links.recording.as_deref()),
        ("video", event.links.video.as_deref()),
    ] {
        if let Some(url) = value {
            links.insert(key.into(), url.into());
        }
    }
    if !event.links.more.is_empty() {
        links.insert(
            "more".into(),
            serde_json::to_value(&event.links.more).unwrap_or_default(),
        );
    }
    lines.push(format!("  links: {}", json(links.into())));
    lines.push(format!(
        "  registration_required: {}",
        event.registration_required
    ));
    if let Some(capacity) = event.capacity {
        lines.push(format!("  capacity: {capacity}"));
    }
    lines.push(format!("  recording_planned: {}", event.recording_planned));
    lines
}

/// Text typed by an organiser, shown as typed in Markdown: its punctuation cannot open
/// emphasis, a link, a tag or an entity.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The session's details as the team writes them in its posts: when, the programme, who
/// speaks, and the practical information.
fn details(event: &Event, join: Option<&str>) -> String {
    let mut out = String::new();
    if event.status == EventStatus::Cancelled {
        match &event.cancel_reason {
            Some(reason) => out.push_str(&format!("**Annulé :** {}\n\n", text(reason))),
            None => out.push_str("**Cette session est annulée.**\n\n"),
        }
    }
    if let Some(when) = french::when(event.schedule.as_ref(), event.timezone) {
        out.push_str(&format!("**{}**\n\n", text(&when)));
    }
    if !event.programme.is_empty() {
        out.push_str("**Programme :**\n\n");
        for item in &event.programme {
            out.push_str(&format!("* {}\n", text(item)));
        }
        out.push('\n');
    }
    if !event.speakers.is_empty() {
        out.push_str("**Intervenants :**\n\n");
        for s in &event.speakers {
            let mut line = text(&s.name);
            for extra in [s.role.as_deref(), s.organisation.as_deref()]
                .into_iter()
                .flatten()
            {
                line.push_str(", ");
                line.push_str(&text(extra));
            }
            out.push_str(&format!("* {line}\n"));
        }
        out.push('\n');
    }
    if event.kind.is_live() {
        let mut practical = Vec::new();
        if let Some(place) = &event.location {
            practical.push(format!("Lieu : {}", text(place)));
        } else if event.kind == EventKind::Webinar {
            practical.push("Lieu : en ligne".to_string());
        }
        if event.registration_required {
            practical.push("Inscription obligatoire".to_string());
        }
        if let Some(capacity) = event.capacity {
            let places = if capacity == 1 { "place" } else { "places" };
            practical.push(format!("{capacity} {places}"));
        }
        if event.recording_planned {
            practical.push("Enregistrement : oui, mis en ligne après la séance".to_string());
        }
        if let Some(url) = join {
            practical.push(format!("Lien de connexion : <{url}>"));
        }
        if !practical.is_empty() {
            out.push_str("**Informations pratiques :**\n\n");
            for line in practical {
                out.push_str(&format!("* {line}\n"));
            }
            out.push('\n');
        }
    }
    out
}

/// Writes the posts of `events` (the published sessions and videos) under `out`, replacing an
/// earlier export as the static site does; returns how many files.
pub fn export(events: &[Event], out: &Path) -> anyhow::Result<usize> {
    let staged = StagedFolder::beside(out)?;
    write_posts(events, staged.path())?;
    staged.put_in_place()?;
    Ok(events.len())
}

fn write_posts(events: &[Event], out: &Path) -> anyhow::Result<()> {
    for event in events {
        let (path, text) = post(event);
        let file = out.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use chrono_tz::Europe::Paris;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::event::{EventInput, EventSpec, SeriesRef};
    use crate::domain::{Links, SeriesSummary, SpeakerCredit};
    use crate::importer::{dry_run_text, Options};

    /// The session the store would keep from `spec` (nothing stored: the export reads only this).
    fn stored(spec: EventSpec) -> Event {
        let now = Utc::now();
        Event {
            id: "1".into(),
            slug: "session".into(),
            slug_derived: false,
            kind: spec.kind,
            status: spec.status,
            title: spec.title,
            summary: spec.summary,
            body: spec.body,
            timezone: spec.timezone,
            schedule: spec.schedule,
            published_on: spec.published_on,
            location: spec.location,
            series: spec.series.map(|s| match s {
                SeriesRef::Existing(slug) => SeriesSummary {
                    title: slug.clone(),
                    slug,
                },
                SeriesRef::CreateIfMissing { title, .. } => SeriesSummary {
                    slug: crate::domain::slug::slugify(&title, "serie"),
                    title,
                },
            }),
            episode: spec.episode,
            speakers: spec
                .speakers
                .into_iter()
                .map(|s| SpeakerCredit {
                    slug: String::new(),
                    name: s.name.unwrap_or_default(),
                    role: s.role,
                    organisation: s.organisation,
                })
                .collect(),
            links: spec.links,
            programme: spec.programme,
            tags: spec.tags,
            image: spec.image,
            registration_required: spec.registration_required,
            capacity: spec.capacity,
            recording_planned: spec.recording_planned,
            reminders: spec.reminders,
            cancel_reason: spec.cancel_reason,
            sequence: 0,
            published_at: Some(now),
            created_at: now,
            updated_at: now,
        }
    }

    /// Exports `event` and reads the file back as `eventail import --dry-run` does.
    fn round_trip(event: &Event) -> (String, EventSpec) {
        let (path, text) = post(event);
        let options = Options {
            timezone: Paris,
            today: NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date"),
        };
        let report = dry_run_text(&path, &text, &options);
        assert!(report.outcome == event.kind.as_str(), "{report:#?}\n{text}");
        let input = EventInput::from_json(report.event.clone().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let spec = input
            .validate(Paris)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        (text, spec)
    }

    // Typed text: accents, quotes, commas, Markdown and HTML punctuation, YAML indicators.
    const LINE: &str = "[A-Za-zÀ-ÿœ0-9][A-Za-zÀ-ÿœ0-9 ,:;'’«»!?#*_<>&\"()\\[\\]{}|%@-]{0,40}";
    const URL: &str =
        "https://[a-z]{1,10}\\.example\\.org/[a-z0-9-]{0,12}(\\?a=[a-z0-9]{1,5}&b=[a-z]{1,4})?";

    fn speaker() -> impl Strategy<Value = Value> {
        (LINE, proptest::option::of(LINE), proptest::option::of(LINE))
            .prop_map(|(name, role, organisation)| json!({"name": name, "role": role, "organisation": organisation}))
    }

    fn session() -> impl Strategy<Value = Value> {
        let kind = prop_oneof!["webinar", "event", "video"];
        let when = (
            2020i32..2032,
            1u32..13,
            1u32..29,
            0u32..24,
            0u32..4,
            1u32..600,
            any::<bool>(),
        );
        let links = (
            proptest::option::of(URL),
            proptest::option::of(URL),
            proptest::option::of(URL),
            proptest::option::of(URL),
            proptest::collection::vec((LINE, URL), 0..3),
        );
        let access = (
            any::<bool>(),
            proptest::option::of(1i64..500),
            any::<bool>(),
        );
        let texts = (
            LINE,
            proptest::option::of(LINE),
            proptest::option::of(LINE),
            proptest::collection::vec(LINE, 0..4),
            proptest::option::of(LINE),
            proptest::option::of((LINE, proptest::option::of(0i64..200))),
            proptest::collection::vec("[a-z]{2,10}", 0..3),
            proptest::option::of("[A-Za-zé .,]{1,80}"),
        );
        (kind, any::<bool>(), when, links, access, texts, proptest::collection::vec(speaker(), 0..4))
            .prop_map(|(kind, cancelled, when, links, access, texts, speakers)| {
                let (year, month, day, hour, quarter, minutes, all_day) = when;
                let (join, registration, recording, video, more) = links;
                let (registration_required, capacity, recording_planned) = access;
                let (title, summary, location, programme, published, series, tags, body) = texts;
                let start = NaiveDate::from_ymd_opt(year, month, day).expect("a day");
                let (starts_at, ends_at) = if all_day {
                    let last = start + chrono::Days::new(u64::from(minutes % 4));
                    (start.to_string(), last.to_string())
                } else {
                    let at = start.and_hms_opt(hour, quarter * 15, 0).expect("a time");
                    let end = at + chrono::Duration::minutes(i64::from(minutes));
                    (
                        at.format("%Y-%m-%dT%H:%M").to_string(),
                        end.format("%Y-%m-%dT%H:%M").to_string(),
                    )
                };
                let video_kind = kind == "video";
                json!({
                    "kind": kind,
                    "status": if cancelled { "cancelled" } else { "scheduled" },
                    "title": title,
                    "summary": summary,
                    "body": body,
                    "starts_at": (!video_kind || all_day).then_some(starts_at),
                    "ends_at": (!video_kind || all_day).then_some(ends_at),
                    "published_on": published.map(|_| "2024-02-29"),
                    "location": location,
                    "series": series.as_ref().map(|(title, _)| json!({"title": title})),
                    "episode": series.and_then(|(_, episode)| episode),
                    "speakers": speakers,
                    "links": {
                        "join": join, "registration": registration, "recording": recording,
                        "video": if video_kind { video.or(Some("https://www.dailymotion.com/video/x8abcde".into())) } else { video },
                        "more": more.into_iter().map(|(title, url)| json!({"title": title, "url": url})).collect::<Vec<_>>(),
                    },
                    "programme": programme,
                    "tags": tags,
                    "registration_required": registration_required,
                    "capacity": capacity,
                    "recording_planned": recording_planned,
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// `publish --format eleventy` then `import` gives back the same session.
        #[test]
        fn an_exported_post_imports_as_the_same_session(value in session()) {
            let spec = EventInput::from_json(value.clone()).ok().and_then(|i| i.validate(Paris).ok());
            prop_assume!(spec.is_some(), "not a valid session: {}", value);
            let event = stored(spec.expect("checked"));
            let (text, back) = round_trip(&event);
            let cancelled = event.status == EventStatus::Cancelled;
            prop_assert_eq!(back.kind, event.kind, "{}", text);
            prop_assert_eq!(back.status, event.status, "{}", text);
            prop_assert_eq!(&back.title, &event.title, "{}", text);
            prop_assert_eq!(&back.summary, &event.summary, "{}", text);
            prop_assert_eq!(back.timezone, event.timezone, "{}", text);
            prop_assert_eq!(back.schedule, event.schedule, "{}", text);
            prop_assert_eq!(&back.location, &event.location, "{}", text);
            prop_assert_eq!(
                back.series.map(|s| match s { SeriesRef::CreateIfMissing { title, .. } | SeriesRef::Existing(title) => title }),
                event.series.as_ref().map(|s| s.title.clone()),
                "{}", text
            );
            prop_assert_eq!(back.episode, event.episode, "{}", text);
            let people: Vec<_> = back.speakers.iter().map(|s| (s.name.clone().unwrap_or_default(), s.role.clone(), s.organisation.clone())).collect();
            let expected: Vec<_> = event.speakers.iter().map(|s| (s.name.clone(), s.role.clone(), s.organisation.clone())).collect();
            prop_assert_eq!(people, expected, "{}", text);
            prop_assert_eq!(&back.programme, &event.programme, "{}", text);
            prop_assert_eq!(&back.tags, &event.tags, "{}", text);
            // The join link of a session that takes registrations goes to its registrants only,
            // and a cancelled session offers none: neither is on the site.
            let join = event.links.join.clone().filter(|_| !cancelled && !event.registration_required);
            prop_assert_eq!(&back.links, &Links { join, ..event.links.clone() }, "{}", text);
            prop_assert_eq!(back.registration_required, event.registration_required, "{}", text);
            prop_assert_eq!(back.capacity, event.capacity, "{}", text);
            prop_assert_eq!(back.recording_planned, event.recording_planned, "{}", text);
            let body = crate::publish::markdown::sanitise_markdown(&event.body);
            prop_assert_eq!(back.body.trim(), body.trim(), "{}", text);
            let day = event.schedule.map(|s| s.start_instant(event.timezone).with_timezone(&event.timezone).date_naive());
            prop_assert_eq!(back.published_on, event.published_on.or(day), "{}", text);
            // And the details under the body show what the record holds, escaped.
            for item in &event.programme {
                prop_assert!(text.contains(&format!("* {}\n", super::text(item))), "{}", text);
            }
        }
    }
}
