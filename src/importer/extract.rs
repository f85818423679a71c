//! What a careful reader writes down from one of the team's posts: is it a session, a video or
//! neither; its title, dates, speakers, programme and links.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::NaiveDate;
use chrono_tz::Tz;
use regex::Regex;

use super::dates::{self, normalise};
use super::frontmatter::Post;
use crate::domain::event::{EventInput, Links, MoreLink, SeriesInput, SpeakerInput};
use crate::domain::EventKind;

/// What the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Session(EventKind),
    Skipped(String),
}

/// The reading of one file.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub outcome: Outcome,
    /// The session as the API would take it (`None` when skipped).
    pub input: Option<EventInput>,
    pub warnings: Vec<String>,
}

impl Extraction {
    fn skipped(reason: impl Into<String>, warnings: Vec<String>) -> Extraction {
        Extraction {
            outcome: Outcome::Skipped(reason.into()),
            input: None,
            warnings,
        }
    }
}

static COMMENT: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)<!--.*?-->"));
static VIDEO_SHORTCODE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\{%-?\s*(dailymotion|youtube|peertube)\s+["']([^"']+)["'][^%]*-?%\}"#));
static TRANSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?s)\{%-?\s*transcription(?:\s+["'][^"']*["'])?\s*-?%\}(.*?)\{%-?\s*endtranscription\s*-?%\}"#,
    )
});
static OTHER_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)\{%-?.*?-?%\}|\{\{.*?\}\}"));
static MD_LINK: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#));
static HTML_LINK: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a>"#));
static BARE_URL: LazyLock<Regex> = LazyLock::new(|| re(r#"https?://[^\s)<>"'\]]+"#));
static IFRAME: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?is)<iframe\s[^>]*?src\s*=\s*["']([^"']+)["']"#));
static TAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)<[^>]+>"));
static HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$"));
static BOLD_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*([:.]?)\s*$"));
static ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"^\s{0,3}(?:[*+-]|\d+[.)])\s+(.*)$"));
static EPISODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:épisode|episode|ép\.)\s*(?:n°|no|#)?\s*(\d{1,4})"));
static FILE_EPISODE: LazyLock<Regex> = LazyLock::new(|| re(r"(?:episode-?|e)(\d{1,4})(?:\b|[-_])"));
/// Words that make a post about a session, in its title, description or date line.
static SESSION_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:webinaires?|webinars?|formations?|ateliers?|conférences?|rencontres?|forums?|séminaires?|meetups?|salons?|tables? rondes?|masterclass|visioconférences?)\b",
    )
});
/// Weaker ones: enough only in the title or description.
static WEAK_SESSION_WORDS: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:événements?|evenements?|journées?|sessions?)\b"));
static ONLINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:en ligne|visio|distanciel|à distance|webinaire)\b"));
static DEADLINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"jusqu'au|jusqu'à|avant le|date limite|clôture des inscriptions"));
static RECORDED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"enregistrement\s*:\s*oui|sera enregistrée?|(?:replay|rediffusion|enregistrement) (?:sera )?disponible",
    )
});
static CAPACITY: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // A number as the team writes it: « 300 », « 1 500 » (spaces between thousands).
        r"places disponibles\s*\(\s*(\d{1,3}(?: \d{3})*)\s*\)",
        r"\b(\d{1,3}(?: \d{3})*)\s+(?:places|participants|participantes|personnes|inscrits)\s*(?:maximum|max\b|au plus)",
        r"(?:limitée?s?|limite)\s+(?:à|a)\s+(\d{1,3}(?: \d{3})*)\s+(?:places|participants|participantes|personnes|inscrits)\b",
        r"jauge\s*(?::|de)?\s*(\d{1,3}(?: \d{3})*)\b",
        r"(?:^|[^\d ])\s*\b(\d{1,3}(?: \d{3})*)\s+places\b",
    ]
    .into_iter()
    .map(re)
    .collect()
});

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

/// Reads one post. `source` is its path inside the imported folder (`/` separators): its file
/// name gives the slug. `on_disk` is that path with the imported folder's own name before it
/// (for a file imported alone, its folder's): a `videos-…` folder there gives a video's series.
pub fn extract(
    source: &str,
    on_disk: &str,
    text: &str,
    default_published: NaiveDate,
    tz: Tz,
) -> Extraction {
    let post = match Post::parse(text) {
        Ok(post) => post,
        Err(reason) => return Extraction::skipped(format!("unreadable: {reason}"), Vec::new()),
    };
    let mut warnings = Vec::new();
    let file = SourcePath::new(source);
    let title = post.text("title");
    let description = post.text("description");
    let tags = post.list("tags");
    let layout = post.text("layout").unwrap_or_default().to_lowercase();
    let kind_hint = post.text("type").unwrap_or_default().to_lowercase();

    if let Some(reason) = not_a_session(&file, title.as_deref(), &tags, &layout, &kind_hint) {
        return Extraction::skipped(reason, warnings);
    }

    // Said only of files that turn out to be sessions.
    let mut date_warning = None;
    let published_on = match post.text("date") {
        Some(raw) => match NaiveDate::parse_from_str(raw.get(..10).unwrap_or(&raw), "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                date_warning = Some(format!(
                    "front matter date \u{ab} {raw} \u{bb} is not a date like 2021-11-25; years were read from today"
                ));
                None
            }
        },
        None => {
            date_warning = Some("no date in the front matter; years were read from today".into());
            None
        }
    };
    let reference = published_on.unwrap_or(default_published);

    // The body without comments and template tags; the video and transcript they carried kept.
    let mut video = post.text("embedVideoUrl").and_then(|u| video_url(&u));
    let mut body = COMMENT.replace_all(&post.body, "").into_owned();
    if let Some(c) = VIDEO_SHORTCODE.captures(&body) {
        let url = match &c[1] {
            "dailymotion" => format!("https://www.dailymotion.com/embed/video/{}", &c[2]),
            "youtube" => format!("https://www.youtube.com/watch?v={}", &c[2]),
            _ => c[2].to_string(),
        };
        video = video.or_else(|| video_url(&url));
    }
    body = VIDEO_SHORTCODE.replace_all(&body, "").into_owned();
    body = TRANSCRIPT
        .replace_all(&body, |c: &regex::Captures| {
            format!("\n## Transcription\n\n{}\n", c[1].trim())
        })
        .into_owned();
    for tag in OTHER_TAG.find_iter(&body) {
        warnings.push(format!(
            "template tag \u{ab} {} \u{bb} dropped",
            tag.as_str().chars().take(60).collect::<String>()
        ));
    }
    body = OTHER_TAG.replace_all(&body, "").into_owned();
    if video.is_none() {
        video = IFRAME.captures_iter(&body).find_map(|c| video_url(&c[1]));
    }
    // A link to a video page (dai.ly, a watch page) is the video of a video post; on a
    // session's post it is read like any link (a replay is its recording).
    let linked_video = BARE_URL
        .find_iter(&body)
        .find_map(|m| video_url(m.as_str()));

    let lines: Vec<&str> = body.lines().collect();
    let sections = sections(&lines);
    let mut dropped: BTreeSet<usize> = BTreeSet::new();

    // Live session: a date in dateLabel, in the body, or in the title.
    let when = find_when(&post, &lines, title.as_deref(), reference, &mut warnings);
    let text_all = collapse(&normalise(&format!(
        "{}\n{}\n{}\n{}",
        title.as_deref().unwrap_or_default(),
        description.as_deref().unwrap_or_default(),
        post.text("location").unwrap_or_default(),
        body
    )));
    let heading_text = normalise(&format!(
        "{} {}",
        title.as_deref().unwrap_or_default(),
        description.as_deref().unwrap_or_default()
    ));
    // The sentence that holds the date, not the whole paragraph.
    let date_line_text = when
        .as_ref()
        .and_then(|w| w.line)
        .map(|i| {
            let line = normalise(&plain(lines[i]));
            line.split(". ")
                .find(|sentence| matches!(dates::find_date(sentence, reference), Ok(Some(_))))
                .unwrap_or(&line)
                .to_string()
        })
        .unwrap_or_default();
    let is_session_text = post.has("dateLabel")
        || SESSION_WORDS.is_match(&heading_text)
        || WEAK_SESSION_WORDS.is_match(&heading_text)
        || SESSION_WORDS.is_match(&date_line_text);

    let is_video_page = kind_hint == "video"
        || layout.contains("video")
        || post.has("embedVideoUrl")
        || tags
            .iter()
            .any(|t| normalise(t) == "video" || normalise(t) == "vidéo");
    // A video page stays one, whatever dates its text mentions, unless it has a dateLabel.
    let kind = if is_video_page && !post.has("dateLabel") {
        EventKind::Video
    } else if when.is_some() && is_session_text {
        let online_place = post
            .text("location")
            .map(|l| ONLINE.is_match(&normalise(&l)))
            .unwrap_or(false);
        let in_person = (post.has("location") && !online_place)
            || text_all.contains("présentiel")
            || text_all.contains("presentiel")
            || (text_all.contains("lieu :") && !ONLINE.is_match(&text_all));
        if in_person {
            EventKind::Event
        } else {
            EventKind::Webinar
        }
    } else if video.is_some() || linked_video.is_some() {
        EventKind::Video
    } else if when.is_some() {
        return Extraction::skipped(
            "a news post: it mentions a date but no session (no webinar, training or event)",
            warnings,
        );
    } else {
        return Extraction::skipped("no session date and no video", warnings);
    };

    if kind == EventKind::Video {
        video = video.or(linked_video);
    }
    warnings.extend(date_warning);
    let mut input = EventInput {
        kind: Some(kind.as_str().into()),
        status: Some("scheduled".into()),
        title: title.clone().or_else(|| {
            warnings.push("no title in the front matter; the file name was used".into());
            file.file_stem().map(str::to_string)
        }),
        summary: description,
        timezone: Some(tz.name().into()),
        published_on: published_on.map(|d| d.to_string()),
        tags: Some(tags),
        image: post.text("image").or_else(|| post.text("image.path")),
        slug: file_slug(&file),
        ..Default::default()
    };

    if kind.is_live() {
        match &when {
            Some(found) => {
                let mut reading = found.reading.clone();
                warnings.append(&mut reading.warnings);
                if reading.start.is_none() {
                    warnings.push(format!(
                        "no time found for {}: stored as a whole-day session",
                        reading.first_day
                    ));
                }
                let (start, end) = dates::to_api_times(&reading, tz, &mut warnings);
                input.starts_at = Some(start);
                input.ends_at = end;
                if let Some(lines) = &found.lines {
                    dropped.extend(lines.clone());
                }
            }
            None => warnings.push("no date found".into()),
        }
    }

    // Location.
    let location = post
        .text("location")
        .or_else(|| {
            lines.iter().find_map(|l| {
                let plain = plain(l);
                let lower = normalise(&plain);
                ["lieu :", "lieu:", "adresse :", "adresse:"]
                    .iter()
                    .find(|p| lower.trim_start().starts_with(*p))
                    .and_then(|_| plain.split_once(':').map(|(_, v)| v.trim().to_string()))
            })
        })
        .map(|l| clean_location(&l))
        .filter(|l| !l.is_empty() && !ONLINE.is_match(&normalise(l)));
    if kind == EventKind::Event && location.is_none() {
        warnings.push("an in-person session, but no place is written".into());
    }
    input.location = location;

    // Series and episode.
    let series_title = post.text("series").or_else(|| {
        (kind == EventKind::Video)
            .then(|| series_from_folders(&SourcePath::new(on_disk), &text_all))
            .flatten()
    });
    input.series = series_title.map(|title| SeriesInput::Named {
        slug: None,
        title: Some(title),
    });
    input.episode = title
        .as_deref()
        .and_then(|t| {
            EPISODE
                .captures(&normalise(t))
                .and_then(|c| c[1].parse().ok())
        })
        .or_else(|| {
            (kind == EventKind::Video).then_some(())?;
            let stem = file.file_stem()?.to_lowercase();
            FILE_EPISODE.captures(&stem).and_then(|c| c[1].parse().ok())
        });

    // Speakers, programme and further reading, by section.
    let mut speakers: Vec<SpeakerInput> = Vec::new();
    let mut programme: Vec<String> = Vec::new();
    let mut more: Vec<MoreLink> = Vec::new();
    for section in &sections {
        let heading = normalise(&section.heading);
        let heading = heading.trim().trim_end_matches(':').trim();
        if is_speaker_heading(heading) {
            let mut found = Vec::new();
            let mut unread = Vec::new();
            for &i in &section.content {
                let line = ITEM
                    .captures(lines[i])
                    .map_or(lines[i], |c| c.get(1).map_or("", |m| m.as_str()));
                let people = parse_people(line);
                if people.is_empty() {
                    unread.push(plain(line));
                }
                found.extend(people);
            }
            if !found.is_empty() {
                speakers.extend(found);
                if unread.is_empty() {
                    dropped.extend(section.all());
                } else {
                    warnings.push(format!(
                        "under \u{ab} {} \u{bb}, not read as speakers (kept in the body): {}",
                        section.heading,
                        unread.join(" / ")
                    ));
                }
            }
        } else if is_programme_heading(heading) {
            let items: Vec<String> = section
                .content
                .iter()
                .filter_map(|&i| ITEM.captures(lines[i]).map(|c| plain(&c[1])))
                .filter(|t| !t.is_empty())
                .collect();
            if !items.is_empty() {
                programme.extend(items);
                if section.content.iter().all(|&i| ITEM.is_match(lines[i])) {
                    dropped.extend(section.all());
                }
            }
        } else if is_more_heading(heading) {
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
        }
    }
    if speakers.is_empty() && kind == EventKind::Video {
        // The bold caption under the video: « **Name, role at organisation** ».
        if let Some((i, found)) = lines.iter().enumerate().find_map(|(i, l)| {
            let c = BOLD_LINE.captures(l)?;
            if &c[2] == ":" || c[1].trim_end().ends_with(':') {
                return None;
            }
            let people = parse_people(&c[1]);
            (!people.is_empty()
                && people
                    .iter()
                    .all(|p| p.role.is_some() || p.organisation.is_some()))
            .then_some((i, people))
        }) {
            speakers = found;
            dropped.insert(i);
        }
    }

    // Links outside the further-reading sections: join, registration, recording.
    let mut links = Links {
        video: video.clone(),
        ..Default::default()
    };
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
        if lower.contains("inscri") && url.starts_with("http") {
            links.registration = Some(url);
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
            if video.as_deref() == video_url(&url).as_deref() && video.is_some() {
                continue;
            }
            let text = normalise(&text);
            let lower_url = url.to_lowercase();
            let free_context = context.replace("sans inscription", "");
            let says = |words: &[&str]| {
                words
                    .iter()
                    .any(|w| free_context.contains(w) || text.contains(w))
            };
            if lower_url.contains("/playback/")
                || (says(&["enregistrement", "revoir", "replay", "rediffusion"])
                    && !is_visio_host(&lower_url))
            {
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
            } else if registration_section.contains(&i) || says(&["inscri", "formulaire"]) {
                links.registration.get_or_insert(url);
            }
        }
    }
    if links.recording.is_some() && links.join.as_ref() == links.recording.as_ref() {
        links.join = None;
    }
    let mut seen = BTreeSet::new();
    more.retain(|m| seen.insert(m.url.clone()));
    links.more = more;

    // Access: registration, places, recording.
    let says_free = text_all.contains("sans inscription") || text_all.contains("accès libre");
    let text_required = text_all
        .replace("sans inscription préalable", "")
        .replace("sans inscription", "");
    let says_required = [
        "inscription obligatoire",
        "sur inscription",
        "inscription requise",
        "inscription nécessaire",
        "inscription préalable",
    ]
    .iter()
    .any(|w| text_required.contains(w));
    input.registration_required =
        Some(kind.is_live() && (says_required || (links.registration.is_some() && !says_free)));
    input.capacity = kind
        .is_live()
        .then(|| {
            CAPACITY.iter().find_map(|r| {
                r.captures(&text_all)
                    .and_then(|c| c[1].replace(' ', "").parse::<i64>().ok())
                    .filter(|n| (1..100_000).contains(n))
            })
        })
        .flatten();
    let says_recorded = RECORDED.is_match(&text_all);
    input.recording_planned = Some(links.recording.is_some() || says_recorded);

    // Block of practical information (date, join link, recording) now held by fields.
    if let Some(block) = practical_block(&lines, &dropped) {
        dropped.extend(block);
    }
    input.links = Some(links);
    input.speakers = Some(speakers);
    input.programme = Some(programme);
    input.body = Some(tidy(
        &lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
    ));
    Extraction {
        outcome: Outcome::Session(kind),
        input: Some(input),
        warnings,
    }
}

/// A path with `/` separators.
struct SourcePath<'a>(&'a str);

impl<'a> SourcePath<'a> {
    fn new(s: &'a str) -> Self {
        SourcePath(s)
    }

    fn file_name(&self) -> &'a str {
        self.0.rsplit('/').next().unwrap_or(self.0)
    }

    fn file_stem(&self) -> Option<&'a str> {
        let name = self.file_name();
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        (!stem.is_empty()).then_some(stem)
    }

    fn folders(&self) -> Vec<&'a str> {
        let mut parts: Vec<&str> = self.0.split('/').collect();
        parts.pop();
        parts
    }
}

fn not_a_session(
    file: &SourcePath,
    title: Option<&str>,
    tags: &[String],
    layout: &str,
    kind_hint: &str,
) -> Option<String> {
    let title = normalise(title.unwrap_or_default());
    let stem = file.file_stem().unwrap_or_default().to_lowercase();
    let folders: Vec<String> = file.folders().iter().map(|f| f.to_lowercase()).collect();
    let tags: Vec<String> = tags.iter().map(|t| normalise(t)).collect();
    if title.starts_with("à propos")
        || title.starts_with("a propos")
        || [
            "a-propos",
            "apropos",
            "about",
            "mentions-legales",
            "accessibilite",
        ]
        .contains(&stem.as_str())
    {
        return Some("an about page: no session, no video".into());
    }
    if title.starts_with("lettre #")
        || title.contains("lettre d'information")
        || tags
            .iter()
            .any(|t| t.contains("lettre d'information") || t == "newsletter")
        || folders
            .iter()
            .any(|f| f.contains("lettre") || f.contains("newsletter"))
    {
        return Some("a newsletter: no session of its own".into());
    }
    if title.contains("podcast")
        || tags.iter().any(|t| t.contains("podcast"))
        || layout.contains("podcast")
        || kind_hint == "podcast"
        || folders.iter().any(|f| f.contains("podcast"))
    {
        return Some("a podcast page: audio episodes are not imported".into());
    }
    None
}

struct When {
    reading: dates::Reading,
    /// Body lines that only carried the date (dropped from the body).
    lines: Option<Vec<usize>>,
    /// The body line the date was read from.
    line: Option<usize>,
}

fn find_when(
    post: &Post,
    lines: &[&str],
    title: Option<&str>,
    reference: NaiveDate,
    warnings: &mut Vec<String>,
) -> Option<When> {
    let mut read = |text: &str| match dates::read(text, reference) {
        Ok(r) => r,
        Err(problem) => {
            warnings.push(problem);
            None
        }
    };
    let hours_line = |lines: &[&str]| {
        lines.iter().find_map(|l| {
            let n = normalise(&plain(l));
            (n.contains("horaire") || n.contains("heure :") || n.contains("heures :"))
                .then(|| dates::find_times(&n))
                .flatten()
        })
    };
    if let Some(label) = post.text("dateLabel") {
        if let Some(mut reading) = read(&label) {
            if reading.start.is_none() {
                if let Some((start, end)) = hours_line(lines) {
                    reading.start = Some(start);
                    reading.end = end;
                }
            }
            return Some(When {
                reading,
                lines: None,
                line: None,
            });
        }
    }
    let mut found: Vec<(usize, dates::Reading)> = Vec::new();
    let mut several = None;
    for (i, line) in lines.iter().enumerate() {
        let lower = normalise(line);
        if ITEM.is_match(line) && !lower.contains("date") {
            // Programme items and lists of other news carry dates of other things.
            continue;
        }
        if DEADLINE.is_match(&lower) {
            // « Inscriptions jusqu'au 1er décembre à 18h » is not the session.
            continue;
        }
        if let Some(reading) = read(&plain(line)) {
            found.push((i, reading));
        }
    }
    let mut days: Vec<NaiveDate> = found.iter().map(|(_, r)| r.first_day).collect();
    days.sort();
    days.dedup();
    if days.len() > 1 {
        several = Some(format!(
            "several dates in the post ({}); the session's was taken as the first with a time, check it",
            days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(i) = found.iter().position(|(_, r)| r.start.is_some()) {
        let (line, mut reading) = found.swap_remove(i);
        reading.warnings.extend(several);
        // The line goes from the body if it said little more than the date.
        let short = plain(lines[line]).split_whitespace().count() <= 14;
        return Some(When {
            reading,
            lines: short.then(|| vec![line]),
            line: Some(line),
        });
    }
    if let Some((line, mut reading)) = found.into_iter().next() {
        reading.warnings.extend(several);
        if let Some((start, end)) = hours_line(lines) {
            reading.start = Some(start);
            reading.end = end;
        }
        return Some(When {
            reading,
            lines: None,
            line: Some(line),
        });
    }
    title.and_then(&mut read).map(|reading| When {
        reading,
        lines: None,
        line: None,
    })
}

/// The `<div class="fr-highlight">` (or callout) block holding the date line once that line
/// is read into fields: the page shows the date, the join and the recording from them.
fn practical_block(lines: &[&str], dropped: &BTreeSet<usize>) -> Option<Vec<usize>> {
    for (start, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if !(lower.contains("<div")
            && (lower.contains("fr-highlight") || lower.contains("fr-callout")))
        {
            continue;
        }
        let end =
            (start + 1..lines.len()).find(|&i| lines[i].trim_start().starts_with("</div>"))?;
        if (start..=end).any(|i| dropped.contains(&i)) {
            return Some((start..=end).collect());
        }
    }
    None
}

struct Section {
    heading: String,
    heading_line: usize,
    content: Vec<usize>,
}

impl Section {
    fn all(&self) -> Vec<usize> {
        std::iter::once(self.heading_line)
            .chain(self.content.iter().copied())
            .collect()
    }
}

/// Headings (`## Programme`) and bold lines ending in a colon (`**Intervenants :**`) with the
/// non-blank lines under them: up to the next heading, or the first blank line after content
/// for a bold one.
fn sections(lines: &[&str]) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut current: Option<(Section, bool)> = None;
    for (i, line) in lines.iter().enumerate() {
        let heading = HEADING
            .captures(line)
            .map(|c| (plain(&c[2]), false))
            .or_else(|| {
                BOLD_LINE.captures(line).and_then(|c| {
                    let inner = c[1].trim();
                    (&c[2] == ":" || inner.ends_with(':')).then(|| (plain(inner), true))
                })
            });
        if let Some((text, bold)) = heading {
            if let Some((s, _)) = current.take() {
                out.push(s);
            }
            current = Some((
                Section {
                    heading: text,
                    heading_line: i,
                    content: Vec::new(),
                },
                bold,
            ));
            continue;
        }
        if let Some((section, bold)) = current.as_mut() {
            if line.trim().is_empty() {
                if *bold && !section.content.is_empty() {
                    if let Some((s, _)) = current.take() {
                        out.push(s);
                    }
                }
                continue;
            }
            if line.trim_start().starts_with('<') && !line.to_lowercase().contains("<a ") {
                // Opening or closing markup (a callout) ends a bold pseudo-heading's list.
                if *bold {
                    if let Some((s, _)) = current.take() {
                        out.push(s);
                    }
                }
                continue;
            }
            section.content.push(i);
        }
    }
    if let Some((s, _)) = current {
        out.push(s);
    }
    out
}

fn is_speaker_heading(h: &str) -> bool {
    [
        "intervenant",
        "intervenante",
        "intervenants",
        "intervenantes",
        "intervenant·es",
        "intervenant·e·s",
        "intervenants et intervenantes",
        "personnes intervenantes",
        "personne intervenante",
        "formateur",
        "formatrice",
        "formateurs",
        "formatrices",
        "animé par",
        "animée par",
        "animation",
        "avec",
        "speakers",
    ]
    .contains(&h)
}

fn is_programme_heading(h: &str) -> bool {
    h.starts_with("programme")
        || h.starts_with("au programme")
        || h.starts_with("ordre du jour")
        || h.starts_with("déroulé")
        || h.starts_with("contenu")
}

fn is_more_heading(h: &str) -> bool {
    [
        "en savoir plus",
        "pour aller plus loin",
        "pour en savoir plus",
        "ressources",
        "télécharger",
        "documents",
        "liens utiles",
        "à lire aussi",
        "supports",
        "support",
    ]
    .iter()
    .any(|p| h.starts_with(p))
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

/// Text without Markdown emphasis, links (their text kept) or tags, spaces collapsed.
pub(crate) fn plain(text: &str) -> String {
    let text = MD_LINK.replace_all(text, "$1");
    let text = TAG.replace_all(&text, "");
    let text = text.replace("**", "").replace("__", "").replace('`', "");
    let text = text
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&quot;", "\"");
    collapse(&text)
}

const PARTICLES: [&str; 14] = [
    "de", "du", "des", "d'", "le", "la", "van", "von", "der", "di", "da", "dos", "ben", "el",
];

const NOT_NAMES: [&str; 42] = [
    "service",
    "direction",
    "ministère",
    "ministere",
    "mission",
    "agence",
    "université",
    "institut",
    "association",
    "conseil",
    "département",
    "bureau",
    "pôle",
    "secrétariat",
    "délégation",
    "centre",
    "commissariat",
    "laboratoire",
    "entreprise",
    "société",
    "groupe",
    "cabinet",
    "réseau",
    "collectif",
    "fondation",
    "observatoire",
    "haut",
    "caisse",
    "préfecture",
    "région",
    "ville",
    "mairie",
    "académie",
    "école",
    "office",
    "autorité",
    "comité",
    "équipe",
    "maison",
    "découvrez",
    "webinaire",
    "programme",
];

/// Words no name has (« Questions Et Réponses »).
const COMMON_WORDS: [&str; 8] = [
    "et",
    "ou",
    "avec",
    "pour",
    "sur",
    "réponses",
    "questions",
    "association",
];

const ROLE_WORDS: [&str; 40] = [
    "directeur",
    "directrice",
    "cheffe",
    "chef",
    "responsable",
    "référent",
    "référente",
    "experte",
    "expert",
    "chargé",
    "chargée",
    "consultant",
    "consultante",
    "ingénieur",
    "ingénieure",
    "co-pilote",
    "copilote",
    "formateur",
    "formatrice",
    "président",
    "présidente",
    "délégué",
    "déléguée",
    "conseiller",
    "conseillère",
    "adjoint",
    "adjointe",
    "coordinateur",
    "coordinatrice",
    "sous-directeur",
    "sous-directrice",
    "fondateur",
    "fondatrice",
    "professeur",
    "professeure",
    "chercheur",
    "chercheuse",
    "architecte",
    "développeur",
    "développeuse",
];

/// Two to five words, capitalised (particles aside), no acronym or organisation word first.
fn is_name(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words
        .iter()
        .skip(1)
        .any(|w| COMMON_WORDS.contains(&w.to_lowercase().as_str()))
    {
        return false;
    }
    if !(2..=5).contains(&words.len()) {
        return false;
    }
    let first = words[0].to_lowercase();
    if NOT_NAMES.contains(&first.as_str()) || ROLE_WORDS.contains(&first.as_str()) {
        return false;
    }
    words.iter().enumerate().all(|(i, w)| {
        if i > 0 && PARTICLES.contains(&w.to_lowercase().as_str()) {
            return true;
        }
        let mut chars = w.chars();
        let Some(initial) = chars.next() else {
            return false;
        };
        let acronym = w.chars().count() > 2 && w.chars().all(|c| c.is_uppercase());
        initial.is_uppercase()
            && !acronym
            && w.chars().all(|c| c.is_alphabetic() || "-'’.".contains(c))
    })
}

/// « Bela Loto, MIR Conseil et Formation », « Richard Hanna et Olivier Joviado, Direction… »,
/// « Virginie Rozière, Richard Hanna et Olivier Joviado, Direction… », « Name - role »,
/// « Name (organisation) »: the people and their affiliation, trailing punctuation dropped.
fn parse_people(raw: &str) -> Vec<SpeakerInput> {
    let text = plain(raw);
    let text = text.trim().trim_end_matches(['.', ',', ';', ':']).trim();
    // « Dr Jean Dupont »: the directory keeps the name.
    let text = ["Dr ", "Dr. ", "Pr ", "Pr. ", "M. ", "Mme ", "Mlle ", "Me "]
        .iter()
        .find_map(|h| text.strip_prefix(h))
        .unwrap_or(text)
        .to_string();
    if text.is_empty() {
        return Vec::new();
    }
    // « Name - role » / « Name – role ».
    for dash in [" - ", " – ", " — "] {
        if let Some((name, rest)) = text.split_once(dash) {
            if let Some(names) = names_in(name.trim()) {
                return credit(names, rest.trim());
            }
        }
    }
    // « Name (organisation) ».
    if let Some((name, rest)) = text.split_once(" (") {
        if let Some(names) = names_in(name.trim()) {
            if rest.ends_with(')') {
                return credit(names, rest.trim_end_matches(')').trim());
            }
        }
    }
    let segments: Vec<&str> = text.split(',').map(str::trim).collect();
    // « A, B et C, organisation »: names up to the segment joined by « et ».
    let mut names: Vec<String> = Vec::new();
    for (k, segment) in segments.iter().enumerate() {
        if let Some(pair) = names_in(segment).filter(|n| n.len() > 1) {
            names.extend(pair);
            return credit(names, &segments[k + 1..].join(", "));
        }
        if is_name(segment) {
            names.push(segment.to_string());
            continue;
        }
        break;
    }
    match names_in(segments[0]) {
        Some(first) => credit(first, &segments[1..].join(", ")),
        None => Vec::new(),
    }
}

/// One name, or two joined by « et » / « & ».
fn names_in(text: &str) -> Option<Vec<String>> {
    for joiner in [" et ", " & "] {
        if let Some((a, b)) = text.split_once(joiner) {
            return (is_name(a.trim()) && is_name(b.trim()))
                .then(|| vec![a.trim().to_string(), b.trim().to_string()]);
        }
    }
    is_name(text).then(|| vec![text.to_string()])
}

/// The affiliation as a role (it starts with a title or in lower case) or an organisation.
fn credit(names: Vec<String>, affiliation: &str) -> Vec<SpeakerInput> {
    let affiliation = affiliation.trim().trim_end_matches(['.', ',', ';']).trim();
    let first = affiliation
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_end_matches([',', ';', ':'])
        .to_lowercase();
    let is_role = affiliation.chars().next().is_some_and(char::is_lowercase)
        || ROLE_WORDS.contains(&first.as_str());
    names
        .into_iter()
        .map(|name| SpeakerInput {
            slug: None,
            name: Some(name),
            role: (is_role && !affiliation.is_empty()).then(|| affiliation.to_string()),
            organisation: (!is_role && !affiliation.is_empty()).then(|| affiliation.to_string()),
        })
        .collect()
}

/// A video host's URL as the pages embed it: Dailymotion as its embed URL (from an embed, a
/// watch page or a dai.ly link), YouTube and PeerTube as written.
fn video_url(url: &str) -> Option<String> {
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

fn clean_location(raw: &str) -> String {
    let text = plain(raw);
    let lower = text.to_lowercase();
    for prefix in [
        "en présentiel au ",
        "en présentiel à ",
        "en présentiel, ",
        "en présentiel : ",
        "présentiel : ",
    ] {
        if lower.starts_with(prefix) {
            return text[prefix.len()..].trim().to_string();
        }
    }
    if lower == "en présentiel" || lower == "présentiel" {
        return String::new();
    }
    text.trim().to_string()
}

/// The series from a `videos-…` folder: « videos-vers-un-numerique-ecoresponsable » becomes
/// « Vers un numérique écoresponsable », accents taken from words of the post itself.
fn series_from_folders(file: &SourcePath, text: &str) -> Option<String> {
    let folder = file
        .folders()
        .into_iter()
        .rev()
        .find(|f| f.starts_with("videos-") || f.starts_with("video-"))?;
    let words: Vec<String> = folder
        .split_once('-')
        .map(|(_, rest)| rest)?
        .split('-')
        .filter(|w| !w.is_empty())
        .map(|w| with_accents(w, text))
        .collect();
    let mut title = words.join(" ");
    if let Some(first) = title.chars().next() {
        title = first.to_uppercase().chain(title.chars().skip(1)).collect();
    }
    (!title.is_empty()).then_some(title)
}

/// `word` as the post writes it when it has the same letters but for accents.
fn with_accents(word: &str, text: &str) -> String {
    let bare = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'à' | 'â' | 'ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'î' | 'ï' => 'i',
                'ô' | 'ö' => 'o',
                'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                c => c,
            })
            .collect()
    };
    let target = word.to_lowercase();
    text.split(|c: char| !c.is_alphabetic())
        .find(|w| !w.is_empty() && bare(w) == target && *w != target)
        .map(str::to_string)
        .unwrap_or(target)
}

fn file_slug(file: &SourcePath) -> Option<String> {
    let stem = file.file_stem()?;
    let stem = if stem.eq_ignore_ascii_case("index") {
        file.folders().last().copied()?
    } else {
        stem
    };
    let slug = crate::domain::slug::slugify(stem, "");
    crate::domain::slug::check_slug(&slug).ok().map(|_| slug)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// No runs of blank lines, no blank start or end.
fn tidy(body: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in body.lines() {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line.trim_end());
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(people: &[SpeakerInput]) -> Vec<String> {
        people.iter().filter_map(|p| p.name.clone()).collect()
    }

    fn affiliation(p: &SpeakerInput) -> String {
        [p.role.as_deref(), p.organisation.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn people_written_every_way() {
        let p = parse_people("Camille Durand, Atelier Sobre et Cie,");
        assert_eq!(names(&p), ["Camille Durand"]);
        assert_eq!(affiliation(&p[0]), "Atelier Sobre et Cie");
        let p = parse_people("Léa Martin et Paul Petit, Agence du numérique");
        assert_eq!(names(&p), ["Léa Martin", "Paul Petit"]);
        assert_eq!(p[1].organisation.as_deref(), Some("Agence du numérique"));
        let p = parse_people("Inès Robert, Hugo Blanc et Zoé Roux, Direction des achats");
        assert_eq!(names(&p), ["Inès Robert", "Hugo Blanc", "Zoé Roux"]);
        let p = parse_people("Noé Garnier, Service Sobriété et Données, Bureau des usages, DGX.");
        assert_eq!(names(&p), ["Noé Garnier"]);
        assert_eq!(
            affiliation(&p[0]),
            "Service Sobriété et Données, Bureau des usages, DGX"
        );
        let p = parse_people("**Jeanne de La Tour**, Experte accessibilité, DINUM");
        assert_eq!(names(&p), ["Jeanne de La Tour"]);
        assert_eq!(p[0].role.as_deref(), Some("Experte accessibilité, DINUM"));
        let p = parse_people("Marc Lefèvre - responsable du pôle données");
        assert_eq!(p[0].role.as_deref(), Some("responsable du pôle données"));
        let p = parse_people("Sara Benali (Ville de Lyon)");
        assert_eq!(p[0].organisation.as_deref(), Some("Ville de Lyon"));
        assert!(parse_people("MIR Conseil et Formation").is_empty());
        assert!(parse_people("Questions").is_empty());
        assert!(parse_people("Découvrez Econumia").is_empty());
    }

    fn read(body: &str) -> Extraction {
        let text = format!("---\ntitle: Un billet\ndate: 2024-02-01\n---\n\n{body}\n");
        extract(
            "posts/billet.md",
            "site/posts/billet.md",
            &text,
            NaiveDate::from_ymd_opt(2024, 2, 1).expect("day"),
            chrono_tz::Europe::Paris,
        )
    }

    fn field(e: &Extraction) -> &EventInput {
        e.input.as_ref().expect("a session")
    }

    #[test]
    fn what_an_earlier_reader_got_wrong() {
        // A news post that mentions a date and a training in passing is no session.
        let e =
            read("Le guide a été publié le 5 mars 2024. Il accompagne la formation des agents.");
        assert!(matches!(e.outcome, Outcome::Skipped(_)), "{:?}", e.outcome);
        // Thousands written with a space; a duration is no capacity.
        let e = read("**Webinaire le jeudi 7 mars de 10h à 11h**\n\nOuvert à 1 500 places. La présentation est limitée à 10 minutes.");
        assert_eq!(field(&e).capacity, Some(1500));
        let e = read("**Webinaire le jeudi 7 mars de 10h à 11h**\n\nChaque intervention est limitée à 10 minutes.");
        assert_eq!(field(&e).capacity, None);
        // A registration deadline is not the session.
        let e = read("Le webinaire aura lieu le jeudi 7 mars de 10h à 11h.\n\nInscriptions jusqu'au 1er mars à 18h.");
        assert_eq!(
            field(&e).starts_at.as_deref(),
            Some("2024-03-07T10:00:00+01:00")
        );
        // « sans inscription préalable » is free access; « Lieu : en ligne » is online.
        let e = read("**Webinaire le jeudi 7 mars de 10h à 11h**\n\nLieu : en ligne, sans inscription préalable.");
        assert_eq!(field(&e).registration_required, Some(false));
        assert_eq!(field(&e).kind.as_deref(), Some("webinar"));
        assert_eq!(field(&e).location, None);
        // A long sentence holding the date stays in the body.
        let e = read("Le webinaire aura lieu le jeudi 7 mars de 10h à 11h et portera sur la mesure de l'empreinte des sites publics avec deux ministères.");
        assert!(field(&e)
            .body
            .as_deref()
            .unwrap_or_default()
            .contains("portera sur"));
        // A line under « Intervenants » that is no speaker stays, and is said.
        let e = read("**Webinaire le jeudi 7 mars de 10h à 11h**\n\n**Intervenants :**\n* Léa Martin, Ville de Nantes\n* Modération : équipe de la mission\n");
        assert_eq!(field(&e).speakers.as_ref().map(Vec::len), Some(1));
        assert!(field(&e)
            .body
            .as_deref()
            .unwrap_or_default()
            .contains("Modération"));
        assert!(
            e.warnings.iter().any(|w| w.contains("Modération")),
            "{:?}",
            e.warnings
        );
        // A registration link written as a path is no registration link: the post still goes in.
        let e = read(
            "**Webinaire le jeudi 7 mars de 10h à 11h**\n\n[S'inscrire](/inscription/webinaire)",
        );
        assert!(matches!(e.outcome, Outcome::Session(EventKind::Webinar)));
        assert_eq!(
            field(&e)
                .links
                .as_ref()
                .and_then(|l| l.registration.clone()),
            None
        );
        // « Dr » is no part of a name.
        assert_eq!(
            parse_people("Dr Jean Dupont, Directeur, ADEME")[0]
                .role
                .as_deref(),
            Some("Directeur, ADEME")
        );
        assert_eq!(
            parse_people("Dr Jean Dupont, ADEME")[0].name.as_deref(),
            Some("Jean Dupont")
        );
        assert!(parse_people("Questions Et Réponses").is_empty());
    }

    #[test]
    fn video_hosts() {
        assert_eq!(
            video_url("https://dai.ly/x7abc").as_deref(),
            Some("https://www.dailymotion.com/embed/video/x7abc")
        );
        assert_eq!(
            video_url("https://www.dailymotion.com/video/x7abc_un-titre").as_deref(),
            Some("https://www.dailymotion.com/embed/video/x7abc")
        );
        assert!(video_url("https://example.org/page").is_none());
        assert!(video_url("https://www.youtube.com/@dinum").is_none());
        assert!(video_url("https://www.youtube.com/watch?v=abc").is_some());
        assert!(video_url("https://tube.example.org/w/abc123").is_some());
    }

    #[test]
    fn series_titles_take_accents_from_the_post() {
        let file = SourcePath::new("publications/videos-les-donnees-ecologiques/ep.md");
        assert_eq!(
            series_from_folders(&file, "des données écologiques").as_deref(),
            Some("Les données écologiques")
        );
        assert_eq!(
            series_from_folders(&SourcePath::new("posts/ep.md"), ""),
            None
        );
    }
}
