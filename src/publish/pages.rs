//! What the public pages show of a session: plain data for the templates, French wording.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ical::SubscribeLinks;
use super::markdown;
use crate::domain::french;
use crate::domain::urls::PublicUrls;
use crate::domain::{Event, EventKind, EventStatus};

/// A session as a page or a list item shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub slug: String,
    pub title: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub is_video: bool,
    pub when: Option<String>,
    /// `2021-12-08T09:00:00+01:00`, for `<time datetime>`.
    pub when_machine: Option<String>,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub series: Option<SeriesLink>,
    pub episode: Option<i64>,
    pub speakers: Vec<SpeakerView>,
    pub programme: Vec<String>,
    pub tags: Vec<TagLink>,
    pub page_url: String,
    pub ics_url: Option<String>,
    pub join_url: Option<String>,
    pub registration_url: Option<String>,
    pub recording_url: Option<String>,
    pub video: Option<VideoView>,
    /// Further reading: title and address.
    pub more: Vec<MoreView>,
    pub registration_required: bool,
    pub capacity: Option<i64>,
    pub cancelled: bool,
    /// Why it was cancelled, as the organisers said it.
    pub cancel_reason: Option<String>,
    /// Not over yet (a session without an end lasts `calendar.default_duration_minutes`, as
    /// in calendars: `Schedule::end_or_default`).
    pub upcoming: bool,
    /// Not started yet: registration is still open.
    pub before_start: bool,
    /// From `JOIN_OPENS` before the start to the end: the join button shows.
    pub joinable: bool,
}

/// How long before the start the join button appears.
pub const JOIN_OPENS_MINUTES: i64 = 30;

#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesLink {
    pub slug: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpeakerView {
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
}

/// A further-reading link.
#[derive(Debug, Clone, Serialize)]
pub struct MoreView {
    pub title: String,
    pub url: String,
}

/// « Ajouter à mon agenda »: a session's file and a feed to subscribe to, as plain links, so no
/// script is needed and no other host (Google, Microsoft) hears of the visitor before they
/// follow one.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarChoices {
    /// The session's own .ics file, to open or import (session pages, while it is to come).
    pub file: Option<String>,
    /// A feed to subscribe to: the whole agenda, or a series.
    pub feed: Option<FeedChoices>,
}

/// A feed, what it holds in words, and the ways to subscribe to it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedChoices {
    /// « tout l'agenda », « la série « Les mercredis » ».
    pub label: String,
    #[serde(flatten)]
    pub links: SubscribeLinks,
}

impl CalendarChoices {
    /// The agenda's: every published session. `feed_name` is the feed's name in calendars.
    pub fn agenda(urls: PublicUrls, feed_name: &str) -> CalendarChoices {
        CalendarChoices {
            file: None,
            feed: Some(FeedChoices {
                label: "tout l'agenda".into(),
                links: SubscribeLinks::for_feed(&urls.calendar(), feed_name),
            }),
        }
    }

    /// A series page's: the series' feed.
    pub fn series(urls: PublicUrls, slug: &str, title: &str, feed_name: &str) -> CalendarChoices {
        CalendarChoices {
            file: None,
            feed: Some(series_feed(urls, slug, title, feed_name)),
        }
    }

    /// A session page's: its own file while it is to come (not when cancelled or over), and
    /// its series' feed if it belongs to one (`series_feed_name` is that feed's name). `None`
    /// when there is neither.
    pub fn session(
        view: &EventView,
        urls: PublicUrls,
        series_feed_name: Option<&str>,
    ) -> Option<CalendarChoices> {
        let file = view
            .ics_url
            .clone()
            .filter(|_| view.upcoming && !view.cancelled);
        let feed = view
            .series
            .as_ref()
            .zip(series_feed_name)
            .map(|(series, name)| series_feed(urls, &series.slug, &series.title, name));
        (file.is_some() || feed.is_some()).then_some(CalendarChoices { file, feed })
    }
}

fn series_feed(urls: PublicUrls, slug: &str, title: &str, feed_name: &str) -> FeedChoices {
    FeedChoices {
        label: format!("la série \u{ab}\u{a0}{title}\u{a0}\u{bb}"),
        links: SubscribeLinks::for_feed(&urls.series_calendar(slug), feed_name),
    }
}

/// A link as written (`/docs/guide.pdf`) made absolute against the team's site.
pub fn resolve_path(url: &str, content_base: Option<&url::Url>) -> String {
    content_base
        .and_then(|base| markdown::on_site(url, base))
        .unwrap_or_else(|| url.to_string())
}

/// A video behind a facade: nothing loads from the host until the visitor asks.
#[derive(Debug, Clone, Serialize)]
pub struct VideoView {
    /// The host's own page for the video (the facade's link: works without JavaScript).
    pub page: String,
    /// The player to load on click, when the host is known.
    pub embed: Option<String>,
    pub host: String,
}

/// The player address and host name of a video link, for the hosts the team uses.
pub fn video_embed(url: &str) -> VideoView {
    let parsed = url::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
        })
        .unwrap_or_default();
    let path = parsed
        .as_ref()
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let query = |name: &str| {
        parsed.as_ref().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_string())
        })
    };
    let valid = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let embed = match host.as_str() {
        "dailymotion.com" | "dai.ly" | "geo.dailymotion.com" => {
            // /video/x8abc(_title), /embed/video/x8abc, dai.ly/x8abc, player.html?video=x8abc
            let id = query("video")
                .unwrap_or_else(|| last.split('_').next().unwrap_or(last).to_string());
            valid(&id).then(|| format!("https://www.dailymotion.com/embed/video/{id}?autoplay=1"))
        }
        "youtube.com" | "youtu.be" | "youtube-nocookie.com" => {
            let id = parsed
                .as_ref()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "v")
                        .map(|(_, v)| v.to_string())
                })
                .unwrap_or_else(|| last.to_string());
            (!id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then(|| format!("https://www.youtube-nocookie.com/embed/{id}?autoplay=1"))
        }
        "peertube.fr" | "tube.numerique.gouv.fr"
            if path.contains("/w/") || path.contains("/videos/watch/") =>
        {
            let origin = parsed
                .as_ref()
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            Some(format!("{origin}/videos/embed/{last}?autoplay=1"))
        }
        _ => None,
    };
    VideoView {
        page: url.to_string(),
        embed,
        host,
    }
}

impl EventView {
    /// `default_duration`: how long a session without an end is taken to last.
    pub fn new(
        event: &Event,
        base_url: &str,
        default_duration: chrono::Duration,
        now: DateTime<Utc>,
    ) -> EventView {
        let urls = PublicUrls::new(base_url);
        let start = event.schedule.map(|s| s.start_instant(event.timezone));
        let end = event
            .schedule
            .map(|s| s.end_or_default(event.timezone, default_duration));
        EventView {
            slug: event.slug.clone(),
            title: event.title.clone(),
            kind: event.kind.as_str(),
            kind_label: french::kind_label(event.kind),
            is_video: event.kind == EventKind::Video,
            when: french::when(event.schedule.as_ref(), event.timezone).or_else(|| {
                event
                    .published_on
                    .map(|d| format!("publiée le {}", french::date(d)))
            }),
            when_machine: start
                .map(|s| s.with_timezone(&event.timezone).to_rfc3339())
                .or_else(|| event.published_on.map(|d| d.to_string())),
            summary: event.summary.clone(),
            location: event.location.clone(),
            series: event.series.as_ref().map(|s| SeriesLink {
                slug: s.slug.clone(),
                title: s.title.clone(),
                url: urls.series_page(&s.slug),
            }),
            episode: event.episode,
            speakers: event
                .speakers
                .iter()
                .map(|s| SpeakerView {
                    name: s.name.clone(),
                    role: s.role.clone(),
                    organisation: s.organisation.clone(),
                })
                .collect(),
            programme: event.programme.clone(),
            tags: event
                .tags
                .iter()
                .map(|tag| TagLink {
                    name: tag.clone(),
                    url: urls.tag_page(tag),
                })
                .collect(),
            page_url: urls.event_page(&event.slug),
            ics_url: event
                .schedule
                .is_some()
                .then(|| urls.event_ics(&event.slug)),
            // The join link of a session that requires registration is for its seated
            // registrants only (their mail and personal calendar), never on a public page.
            join_url: crate::domain::registration::join_link_for(
                event,
                crate::domain::registration::Reader::Public,
            )
            .map(str::to_string),
            registration_url: event.links.registration.clone(),
            recording_url: event.links.recording.clone(),
            video: event.links.video.as_deref().map(video_embed),
            more: event
                .links
                .more
                .iter()
                .map(|m| MoreView {
                    title: m.title.clone(),
                    url: m.url.clone(),
                })
                .collect(),
            registration_required: event.registration_required,
            capacity: event.capacity,
            cancelled: event.status == EventStatus::Cancelled,
            cancel_reason: event
                .cancel_reason
                .clone()
                .filter(|_| event.status == EventStatus::Cancelled),
            upcoming: end.is_some_and(|e| e > now),
            before_start: start.is_some_and(|s| s > now),
            joinable: matches!((start, end), (Some(s), Some(e))
                if s - chrono::Duration::minutes(JOIN_OPENS_MINUTES) <= now && now < e),
        }
    }
}

impl EventView {
    /// Further-reading paths made absolute against the team's site.
    pub fn resolve_paths(&mut self, content_base: Option<&url::Url>) {
        for link in &mut self.more {
            link.url = resolve_path(&link.url, content_base);
        }
    }
}

/// The session's body as safe HTML.
pub fn body_html(event: &Event, content_base: Option<&url::Url>) -> String {
    markdown::to_html(&event.body, content_base)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::event::testing::stored;
    use crate::domain::SeriesSummary;

    #[test]
    fn a_session_offers_its_file_while_to_come_and_its_series_feed() {
        const BASE: &str = "https://agenda.example.org";
        let urls = PublicUrls::new(BASE);
        // Starts 2021-12-08 at 9:00 in Paris (08:00Z), with no end: two hours by default.
        let mut event = stored(EventStatus::Scheduled);
        let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2021, 12, 8, h, m, 0).unwrap();
        let view = |event: &Event, now| EventView::new(event, BASE, Duration::minutes(120), now);
        let choices =
            |event: &Event, now, name| CalendarChoices::session(&view(event, now), urls, name);

        let to_come = choices(&event, at(7, 0), None).expect("the file");
        assert_eq!(
            to_come.file.as_deref(),
            Some("https://agenda.example.org/events/webinaire.ics")
        );
        assert!(to_come.feed.is_none());
        assert!(choices(&event, at(9, 59), None).is_some(), "still running");
        assert!(
            choices(&event, at(10, 0), None).is_none(),
            "over, no series"
        );

        event.series = Some(SeriesSummary {
            slug: "mercredis".into(),
            title: "Les mercredis".into(),
        });
        let over = choices(&event, at(10, 0), Some("Agenda — Les mercredis")).expect("the feed");
        assert_eq!(over.file, None);
        let feed = over.feed.expect("the series' feed");
        assert_eq!(feed.label, "la série \u{ab}\u{a0}Les mercredis\u{a0}\u{bb}");
        assert_eq!(
            feed.links.webcal,
            "webcal://agenda.example.org/series/mercredis/calendar.ics"
        );
        assert!(feed
            .links
            .outlook
            .ends_with("&name=Agenda%20%E2%80%94%20Les%20mercredis"));

        event.status = EventStatus::Cancelled;
        let cancelled =
            choices(&event, at(7, 0), Some("Agenda — Les mercredis")).expect("the feed");
        assert_eq!(
            cancelled.file, None,
            "a cancelled session's file is not offered"
        );
        assert!(cancelled.feed.is_some());
    }

    #[test]
    fn video_links_become_players_only_for_known_hosts() {
        for url in [
            "https://www.dailymotion.com/video/x8abcde",
            "https://dai.ly/x8abcde",
            "https://www.dailymotion.com/embed/video/x8abcde",
            "https://geo.dailymotion.com/player.html?video=x8abcde",
        ] {
            assert_eq!(
                video_embed(url).embed.as_deref(),
                Some("https://www.dailymotion.com/embed/video/x8abcde?autoplay=1"),
                "{url}"
            );
        }
        assert_eq!(
            video_embed("https://www.youtube.com/watch?v=abc_DEF-1")
                .embed
                .as_deref(),
            Some("https://www.youtube-nocookie.com/embed/abc_DEF-1?autoplay=1")
        );
        let unknown = video_embed("https://video.example.org/v/1");
        assert_eq!(unknown.embed, None);
        assert_eq!(unknown.host, "video.example.org");
        assert_eq!(video_embed("javascript:alert(1)").embed, None);
    }
}
