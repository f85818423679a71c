//! Is a post a session (a webinar or an in-person event), a video, or neither: what its path,
//! front matter and words say.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::when::When;
use super::{plain, re, FrontMatter, SourcePath};
use crate::domain::EventKind;
use crate::importer::dates::{self, normalise};
use crate::importer::frontmatter::Post;

/// Words that make a post about a session, in its title, description or date line.
static SESSION_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:webinaires?|webinars?|formations?|ateliers?|conférences?|rencontres?|forums?|séminaires?|meetups?|salons?|tables? rondes?|masterclass|visioconférences?|fresques?)\b",
    )
});
/// Weaker ones: enough only in the title or description.
static WEAK_SESSION_WORDS: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:événements?|evenements?|journées?|sessions?)\b"));
/// A street address: « 20 avenue de Ségur », « 3, rue … ».
pub(super) static STREET_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s(?:avenue|rue|boulevard|bd|place|quai|allée|impasse|cours|chemin|square)\s",
    )
});
/// Words only an in-person session's practical details use.
static ON_SITE_WORDS: LazyLock<Regex> =
    LazyLock::new(|| re(r"présentiel|presentiel|pièce d'identité|piece d'identite"));
/// A date that is a release, not a session: « le module est sorti le 17 décembre ».
static RELEASE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:sortie?s?|sortira|publiée?s?|parue?s?|parution|mise?s? en ligne)\s+(?:le|du|au)\b")
});
/// National or world days: a cause celebrated everywhere, not a session someone holds.
static AWARENESS_DAY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bjournées?\s+(?:nationales?|internationales?|mondiales?)\b"));
/// A session held within a gathering that people travel to.
static VENUE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\blors d(?:u|e la|e l'|es) (?:forum|salon|colloque|congrès|assises|festival)\b")
});
/// A course followed alone, at one's own pace: no session, whatever its player.
static SELF_PACED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\bà suivre en autonomie\b|\ba suivre en autonomie\b|\bà votre rythme\b|\bà son rythme\b")
});
pub(super) static ONLINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:en ligne|visio|distanciel|à distance|webinaire)\b"));

/// Pages that are not sessions whatever they say: about pages, newsletters, podcasts.
pub(super) fn not_a_session(file: &SourcePath, front: &FrontMatter) -> Option<String> {
    let (title, tags) = (front.title.as_deref(), &front.tags);
    let (layout, kind_hint) = (front.layout.as_str(), front.kind_hint.as_str());
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

/// What has been read of a post when its kind is decided.
pub(super) struct Seen<'a> {
    pub(super) post: &'a Post,
    pub(super) front: &'a FrontMatter,
    pub(super) lines: &'a [&'a str],
    /// Which lines sit under a practical-information heading (`when::practical`).
    pub(super) practical: &'a [bool],
    pub(super) when: Option<&'a When>,
    pub(super) text_all: &'a str,
    pub(super) reference: NaiveDate,
    /// A video in the front matter, a player, or a link to a video page.
    pub(super) has_video: bool,
}

/// The session's kind, or why the post is skipped.
pub(super) fn of(seen: &Seen) -> Result<EventKind, &'static str> {
    let post = seen.post;
    if is_self_paced(seen) {
        return Err("a self-paced course module: no session to attend");
    }
    // A video page stays one, whatever dates its text mentions, unless it has a dateLabel.
    if is_video_page(post, seen.front) && !post.has("dateLabel") {
        Ok(EventKind::Video)
    } else if seen.when.is_some() && is_session_text(seen) {
        if is_in_person(post, seen.lines, seen.text_all) || is_gathering(seen) {
            Ok(EventKind::Event)
        } else {
            Ok(EventKind::Webinar)
        }
    } else if seen.has_video {
        Ok(EventKind::Video)
    } else if seen.when.is_some() {
        Err("a news post: it mentions a date but no session (no webinar, training or event)")
    } else {
        Err("no session date and no video")
    }
}

/// Session words in the title, description or date line, or a dateLabel.
fn is_session_text(seen: &Seen) -> bool {
    let (post, front) = (seen.post, seen.front);
    let heading_text = normalise(&format!(
        "{} {}",
        front.title.as_deref().unwrap_or_default(),
        front.description.as_deref().unwrap_or_default()
    ));
    let date_line = date_line_text(seen);
    // The weak words (« journées ») name a national day as well as a session.
    let weak = WEAK_SESSION_WORDS.is_match(&heading_text) && !AWARENESS_DAY.is_match(&date_line);
    post.has("dateLabel")
        || in_practical_details(seen)
        || SESSION_WORDS.is_match(&heading_text)
        || weak
        || (SESSION_WORDS.is_match(&date_line) && !RELEASE.is_match(&date_line))
}

/// The date was read from a practical-information list (« Informations pratiques : Date,
/// Horaires, Lieu… »): only a session has one.
fn in_practical_details(seen: &Seen) -> bool {
    seen.when
        .and_then(|w| w.line)
        .is_some_and(|i| seen.practical.get(i).copied().unwrap_or(false))
}

/// A course module (« Module 1 … ») or a course followed alone: nothing to attend.
fn is_self_paced(seen: &Seen) -> bool {
    let title = normalise(seen.front.title.as_deref().unwrap_or_default());
    title.trim_start().starts_with("module ") || SELF_PACED.is_match(seen.text_all)
}

/// The sentence that holds the date, not the whole paragraph.
fn date_line_text(seen: &Seen) -> String {
    seen.when
        .and_then(|w| w.line)
        .map(|i| {
            let line = normalise(&plain(seen.lines[i]));
            line.split(". ")
                .find(|sentence| matches!(dates::find_date(sentence, seen.reference), Ok(Some(_))))
                .unwrap_or(&line)
                .to_string()
        })
        .unwrap_or_default()
}

fn is_video_page(post: &Post, front: &FrontMatter) -> bool {
    front.kind_hint == "video"
        || front.layout.contains("video")
        || post.has("embedVideoUrl")
        || front
            .tags
            .iter()
            .any(|t| normalise(t) == "video" || normalise(t) == "vidéo")
}

/// A session within a forum or a congress, or one that runs over three days or more (a week of
/// events, a festival): a webinar is one sitting. Neither holds when the post says it is online.
fn is_gathering(seen: &Seen) -> bool {
    let long = seen
        .when
        .is_some_and(|w| (w.reading.last_day - w.reading.first_day).num_days() >= 2);
    (long || VENUE.is_match(seen.text_all)) && !ONLINE.is_match(seen.text_all)
}

/// A place that is not online, or words that say so: a « Lieu : » line that names no online
/// place, a street address, the identity papers to bring.
fn is_in_person(post: &Post, lines: &[&str], text_all: &str) -> bool {
    let place_line = lines.iter().any(|line| {
        let line = normalise(&plain(line));
        match line
            .split_once("lieu :")
            .or_else(|| line.split_once("lieu:"))
        {
            Some((_, place)) => !place.trim().is_empty() && !ONLINE.is_match(place),
            None => false,
        }
    });
    let address = lines
        .iter()
        .any(|line| STREET_ADDRESS.is_match(&normalise(&plain(line))));
    let online_place = post
        .text("location")
        .map(|l| ONLINE.is_match(&normalise(&l)))
        .unwrap_or(false);
    (post.has("location") && !online_place)
        || place_line
        || address
        || ON_SITE_WORDS.is_match(text_all)
        || (text_all.contains("lieu :") && !ONLINE.is_match(text_all))
}
