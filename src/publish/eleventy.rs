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

    let mut body = String::new();
    if event.body.trim().is_empty() {
        // Nothing written by hand: the session's details, as the team writes them.
        if let Some(when) = french::when(event.schedule.as_ref(), event.timezone) {
            body.push_str(&format!("**{when}**\n\n"));
        }
        if !event.programme.is_empty() {
            body.push_str("**Programme :**\n");
            for item in &event.programme {
                body.push_str(&format!("* {item}\n"));
            }
            body.push('\n');
        }
        if !event.speakers.is_empty() {
            body.push_str("**Intervenants :**\n");
            for s in &event.speakers {
                let extra: Vec<&str> = [s.role.as_deref(), s.organisation.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                if extra.is_empty() {
                    body.push_str(&format!("* {}\n", s.name));
                } else {
                    body.push_str(&format!("* {}, {}\n", s.name, extra.join(", ")));
                }
            }
            body.push('\n');
        }
    } else {
        // The site renders raw HTML in Markdown: what could run there goes, the rest stays as
        // written (`sanitise_markdown`).
        body.push_str(super::markdown::sanitise_markdown(&event.body).trim_end());
        body.push('\n');
    }
    let folder = if video { "videos" } else { "posts" };
    (
        format!("{folder}/{}.md", event.slug),
        format!("---\n{}\n---\n\n{body}", front.join("\n")),
    )
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
