//! Links in a post and what each one is: the video, the join link, the registration form, the
//! recording, or further reading.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::sections::{is_more_heading, Section};
use super::{plain, re};
use crate::domain::event::{Links, MoreLink};
use crate::importer::dates::normalise;
use crate::importer::frontmatter::Post;

pub(super) static MD_LINK: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#));
static HTML_LINK: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a>"#));
pub(super) static BARE_URL: LazyLock<Regex> = LazyLock::new(|| re(r#"https?://[^\s)<>"'\]]+"#));

/// The links under a further-reading heading. The section is dropped from the body when each
/// of its lines holds a link.
pub(super) fn more_from_section(
    section: &Section,
    lines: &[&str],
    dropped: &mut BTreeSet<usize>,
) -> Vec<MoreLink> {
    let mut more = Vec::new();
    let mut all_links = true;
    for &i in &section.content {
        let links = links_in(lines[i]);
        if links.is_empty() {
            all_links = false;
        }
        for (url, text) in links {
            more.push(MoreLink {
                title: if text.is_empty() { url.clone() } else { text },
                url,
            });
        }
    }
    if all_links && !section.content.is_empty() {
        dropped.extend(section.all());
    }
    more
}

/// The session's links: `video`, the front matter's link, then join, registration and
/// recording links outside the further-reading sections; `more` (further reading) after the
/// front matter's link, each address once.
pub(super) fn read(
    post: &Post,
    lines: &[&str],
    sections: &[Section],
    video: Option<String>,
    mut more: Vec<MoreLink>,
    warnings: &mut Vec<String>,
) -> Links {
    let mut links = Links {
        video: video.clone(),
        ..Default::default()
    };
    front_matter_link(post, &mut links, &mut more, warnings);
    from_body(lines, sections, video.as_deref(), &mut links);
    if links.recording.is_some() && links.join.as_ref() == links.recording.as_ref() {
        links.join = None;
    }
    let mut seen = BTreeSet::new();
    more.retain(|m| seen.insert(m.url.clone()));
    links.more = more;
    links
}

/// Words around a link that make it a session's recording.
const RECORDING_WORDS: [&str; 4] = ["enregistrement", "revoir", "replay", "rediffusion"];

/// `link` and `linkTitle`: the registration form or the recording when its label says so,
/// else further reading (first).
fn front_matter_link(
    post: &Post,
    links: &mut Links,
    more: &mut Vec<MoreLink>,
    warnings: &mut Vec<String>,
) {
    if let Some(url) = post.text("link").filter(|u| {
        let usable = crate::domain::event::check_url_or_path(u).is_ok();
        if !usable {
            warnings.push(format!(
                "front matter link \u{ab} {u} \u{bb} is neither a web address nor a path on the site; left out"
            ));
        }
        usable
    }) {
        let label = post.text("linkTitle");
        let lower = normalise(label.as_deref().unwrap_or_default());
        let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if lower.contains("inscri") && url.starts_with("http") {
            links.registration = Some(url);
        } else if url.starts_with("http")
            && (url.contains("/playback/")
                || (says(&RECORDING_WORDS) && !is_visio_host(&url.to_lowercase())))
        {
            // « Voir ou revoir le webinaire »: the session's recording.
            links.recording = Some(url);
        } else {
            more.insert(
                0,
                MoreLink {
                    title: label.unwrap_or_else(|| url.clone()),
                    url,
                },
            );
        }
    }
}

/// Join, registration and recording links outside the further-reading sections.
fn from_body(lines: &[&str], sections: &[Section], video: Option<&str>, links: &mut Links) {
    let more_lines: BTreeSet<usize> = sections
        .iter()
        .filter(|s| is_more_heading(normalise(&s.heading).trim().trim_end_matches(':').trim()))
        .flat_map(|s| s.all())
        .collect();
    let registration_section: BTreeSet<usize> = sections
        .iter()
        .filter(|s| normalise(&s.heading).contains("inscription"))
        .flat_map(|s| s.all())
        .collect();
    for (i, line) in lines.iter().enumerate() {
        if more_lines.contains(&i) {
            continue;
        }
        let context = normalise(&plain(line));
        // Join, registration and recording links are web addresses; a path on the site stays
        // in the body.
        for (url, text) in links_in(line)
            .into_iter()
            .filter(|(u, _)| u.starts_with("http"))
        {
            if video == video_url(&url).as_deref() && video.is_some() {
                continue;
            }
            let in_registration_section = registration_section.contains(&i);
            file_link(links, url, &text, &context, in_registration_section);
        }
    }
}

/// One web address from the body, by its host and the words around it; the first of each
/// kind is kept.
fn file_link(
    links: &mut Links,
    url: String,
    text: &str,
    context: &str,
    in_registration_section: bool,
) {
    let text = normalise(text);
    let lower_url = url.to_lowercase();
    let free_context = context.replace("sans inscription", "");
    let says = |words: &[&str]| {
        words
            .iter()
            .any(|w| free_context.contains(w) || text.contains(w))
    };
    if lower_url.contains("/playback/") || (says(&RECORDING_WORDS) && !is_visio_host(&lower_url)) {
        links.recording.get_or_insert(url);
    } else if is_visio_host(&lower_url) {
        links.join.get_or_insert(url);
    } else if is_form_host(&lower_url) {
        links.registration.get_or_insert(url);
    } else if says(&[
        "lien de connexion",
        "se connecter",
        "rejoindre",
        "accéder au webinaire",
    ]) {
        links.join.get_or_insert(url);
    } else if in_registration_section || says(&["inscri", "formulaire"]) {
        links.registration.get_or_insert(url);
    }
}

/// Markdown and HTML links in a line, as (url, text).
fn links_in(line: &str) -> Vec<(String, String)> {
    let mut found: Vec<(usize, String, String)> = Vec::new();
    for c in MD_LINK.captures_iter(line) {
        let start = c.get(0).map_or(0, |m| m.start());
        found.push((start, c[2].to_string(), plain(&c[1])));
    }
    for c in HTML_LINK.captures_iter(line) {
        let start = c.get(0).map_or(0, |m| m.start());
        found.push((start, c[1].to_string(), plain(&c[2])));
    }
    if found.is_empty() {
        for m in BARE_URL.find_iter(line) {
            let url = m.as_str().trim_end_matches(['.', ',', ';']);
            found.push((m.start(), url.to_string(), String::new()));
        }
    }
    found.sort_by_key(|f| f.0);
    found
        .into_iter()
        .filter(|(_, url, _)| {
            url.starts_with("http://")
                || url.starts_with("https://")
                || (url.starts_with('/') && !url.starts_with("//"))
        })
        .map(|(_, url, text)| (url, text))
        .collect()
}

/// A video host's URL as the pages embed it: Dailymotion as its embed URL (from an embed, a
/// watch page or a dai.ly link), YouTube, Vimeo and PeerTube as written.
pub(super) fn video_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    let host = parsed.host_str()?.trim_start_matches("www.").to_lowercase();
    let path = parsed.path().trim_end_matches('/');
    match host.as_str() {
        "dailymotion.com" => {
            let id = path
                .strip_prefix("/embed/video/")
                .or_else(|| path.strip_prefix("/video/"))?;
            let id = id.split('_').next()?;
            Some(format!("https://www.dailymotion.com/embed/video/{id}"))
        }
        "dai.ly" => Some(format!(
            "https://www.dailymotion.com/embed/video/{}",
            path.trim_start_matches('/')
        )),
        "youtube.com" | "youtube-nocookie.com"
            if (path == "/watch" && parsed.query_pairs().any(|(k, _)| k == "v"))
                || path.starts_with("/embed/")
                || path.starts_with("/shorts/") =>
        {
            Some(url.trim().to_string())
        }
        "youtu.be" if path.len() > 1 => Some(url.trim().to_string()),
        "player.vimeo.com" if path.starts_with("/video/") => Some(url.trim().to_string()),
        "vimeo.com" if path.len() > 1 && path[1..].bytes().all(|b| b.is_ascii_digit()) => {
            Some(url.trim().to_string())
        }
        _ if path.contains("/videos/watch/")
            || path.contains("/videos/embed/")
            || path.starts_with("/w/") =>
        {
            Some(url.trim().to_string())
        }
        _ => None,
    }
}

fn is_visio_host(url: &str) -> bool {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_lowercase))
        .unwrap_or_default();
    (host.starts_with("webinaire.")
        || host.contains("visio")
        || host.contains("webconf")
        || host.ends_with("zoom.us")
        || host == "teams.microsoft.com"
        || host == "meet.jit.si"
        || host.contains("bbb")
        || url.contains("/meeting/"))
        && !url.contains("/playback/")
}

fn is_form_host(url: &str) -> bool {
    url.contains("/forms/")
        || url.contains("framaforms")
        || url.contains("forms.gle")
        || url.contains("evento.renater.fr")
        || url.contains("eventbrite")
        || url.contains("tally.so")
        || url.contains("/formulaire")
        || url.contains("demarches-simplifiees")
}
