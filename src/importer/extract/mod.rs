//! What a careful reader writes down from one of the team's posts: is it a session, a video or
//! neither; its title, dates, speakers, programme and links.
//!
//! `extract` reads a post in the order its parts depend on each other; each part lives in its
//! own module: `body` (template tags, the remaining body), `kind` (session, video or neither),
//! `when` (the date and times), `sections` (speakers, programme and further reading under their
//! headings), `speakers`, `links`, `access` (place, registration, places, recording), `series`.

mod access;
mod body;
mod kind;
mod links;
mod record;
mod sections;
mod series;
mod speakers;
mod when;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::NaiveDate;
use chrono_tz::Tz;
use regex::Regex;

use super::dates::normalise;
use super::frontmatter::Post;
use crate::domain::event::EventInput;
use crate::domain::EventKind;
use links::MD_LINK;

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

static TAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)<[^>]+>"));

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

/// The front matter fields that say what a post is and what it is called.
struct FrontMatter {
    title: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
    /// Lower case.
    layout: String,
    /// The `type` field, lower case.
    kind_hint: String,
}

impl FrontMatter {
    fn read(post: &Post) -> FrontMatter {
        FrontMatter {
            title: post.text("title"),
            description: post.text("description"),
            tags: post.list("tags"),
            layout: post.text("layout").unwrap_or_default().to_lowercase(),
            kind_hint: post.text("type").unwrap_or_default().to_lowercase(),
        }
    }
}

/// Reads one post. `source` is its path inside the imported folder (`/` separators): its file
/// name gives the slug. `on_disk` is that path with the imported folder's own name before it
/// (for a file imported alone, its folder's): a `videos-…` folder there gives a video's series;
/// `neighbours` is the text of the posts beside it, where that series's words find accents.
pub fn extract(
    source: &str,
    (on_disk, neighbours): (&str, &str),
    text: &str,
    default_published: NaiveDate,
    tz: Tz,
) -> Extraction {
    let post = match Post::parse(text) {
        Ok(post) => post,
        Err(reason) => return Extraction::skipped(format!("unreadable: {reason}"), Vec::new()),
    };
    if post.has("eventail") {
        // Written by eventail's export: read as it holds the session, nothing guessed.
        let (published_on, _) = published_on(&post);
        return record::extract(&post, source, published_on);
    }
    let mut warnings = Vec::new();
    let file = SourcePath::new(source);
    let front = FrontMatter::read(&post);
    if let Some(reason) = kind::not_a_session(&file, &front) {
        return Extraction::skipped(reason, warnings);
    }

    // Said only of files that turn out to be sessions.
    let (published_on, date_warning) = published_on(&post);
    let reference = published_on.unwrap_or(default_published);

    let body::Cleaned {
        body,
        mut video,
        linked_video,
    } = body::clean(&post, &mut warnings);
    let lines: Vec<&str> = body.lines().collect();
    let sections = sections::find(&lines);
    let practical = when::practical(&lines);
    let mut dropped: BTreeSet<usize> = BTreeSet::new();

    // Live session: a date in dateLabel, in the body, or in the title.
    let when = when::find(
        &post,
        &lines,
        &practical,
        front.title.as_deref(),
        reference,
        &mut warnings,
    );
    let text_all = all_text(&front, &post, &body);
    let seen = kind::Seen {
        post: &post,
        front: &front,
        lines: &lines,
        practical: &practical,
        when: when.as_ref(),
        text_all: &text_all,
        reference,
        has_video: video.is_some(),
    };
    let kind = match kind::of(&seen) {
        Ok(kind) => kind,
        Err(reason) => return Extraction::skipped(reason, warnings),
    };

    if kind == EventKind::Video {
        video = video.or(linked_video);
    }
    warnings.extend(date_warning);
    let mut input = new_input(kind, &front, &post, &file, published_on, tz, &mut warnings);
    if kind.is_live() {
        when::schedule(&mut input, when.as_ref(), tz, &mut dropped, &mut warnings);
    }
    input.location = access::location(&post, &lines, &practical, kind, &mut warnings);
    input.series = series::series(&post, kind, on_disk, &text_all, neighbours);
    input.episode = series::episode(front.title.as_deref(), kind, &file);

    let by_section = sections::read(&sections, &lines, &mut dropped, &mut warnings);
    let mut speakers = by_section.speakers;
    if speakers.is_empty() && kind.is_live() {
        for (i, found) in speakers::from_practical(&lines, &practical) {
            speakers.extend(found);
            dropped.insert(i);
        }
    }
    if speakers.is_empty() && kind == EventKind::Video {
        if let Some((i, found)) = speakers::from_caption(&lines) {
            speakers = found;
            dropped.insert(i);
        }
    }
    if speakers.is_empty() && kind == EventKind::Video {
        let written = format!(
            "{}\n{body}",
            front.description.as_deref().unwrap_or_default()
        );
        // The card stays at the head of the transcript it introduces.
        speakers = speakers::from_transcript_card(&lines, &written).unwrap_or_default();
    }
    let links = links::read(
        &post,
        &lines,
        &sections,
        video,
        by_section.more,
        &mut warnings,
    );

    // Access: registration, places, recording.
    input.registration_required = Some(access::registration_required(kind, &text_all, &links));
    input.capacity = access::capacity(kind, &text_all);
    input.recording_planned = Some(access::recording_planned(&text_all, &links));

    // Block of practical information (date, join link, recording) now held by fields.
    if let Some(block) = body::practical_block(&lines, &dropped) {
        dropped.extend(block);
    }
    input.links = Some(links);
    input.speakers = Some(speakers);
    input.programme = Some(by_section.programme);
    input.body = Some(body::remaining(&lines, &dropped));
    Extraction {
        outcome: Outcome::Session(kind),
        input: Some(input),
        warnings,
    }
}

/// The front matter date, or the warning that years are read from today.
fn published_on(post: &Post) -> (Option<NaiveDate>, Option<String>) {
    match post.text("date") {
        Some(raw) => match NaiveDate::parse_from_str(raw.get(..10).unwrap_or(&raw), "%Y-%m-%d") {
            Ok(day) => (Some(day), None),
            Err(_) => (
                None,
                Some(format!(
                    "front matter date \u{ab} {raw} \u{bb} is not a date like 2021-11-25; years were read from today"
                )),
            ),
        },
        None => (
            None,
            Some("no date in the front matter; years were read from today".into()),
        ),
    }
}

/// Title, description, place and body in one normalised line: what words are looked for in.
fn all_text(front: &FrontMatter, post: &Post, body: &str) -> String {
    collapse(&normalise(&format!(
        "{}\n{}\n{}\n{}",
        front.title.as_deref().unwrap_or_default(),
        front.description.as_deref().unwrap_or_default(),
        post.text("location").unwrap_or_default(),
        body
    )))
}

/// The fields every session has, from the front matter and the file's name.
fn new_input(
    kind: EventKind,
    front: &FrontMatter,
    post: &Post,
    file: &SourcePath,
    published_on: Option<NaiveDate>,
    tz: Tz,
    warnings: &mut Vec<String>,
) -> EventInput {
    EventInput {
        kind: Some(kind.as_str().into()),
        status: Some("scheduled".into()),
        title: front.title.clone().or_else(|| {
            warnings.push("no title in the front matter; the file name was used".into());
            file.file_stem().map(str::to_string)
        }),
        summary: front.description.clone(),
        timezone: Some(tz.name().into()),
        published_on: published_on.map(|d| d.to_string()),
        tags: Some(front.tags.clone()),
        image: post.text("image").or_else(|| post.text("image.path")),
        slug: file_slug(file),
        ..Default::default()
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

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::links::video_url;
    use super::series::series_from_folders;
    use super::speakers::parse_people;
    use super::*;
    use crate::domain::event::SpeakerInput;

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
        // Two people, each with an affiliation of their own, joined by « , et ».
        let p = parse_people(
            "Lina Roche, cheffe du pôle design, et Tom Vidal, adjoint au bureau des achats",
        );
        assert_eq!(names(&p), ["Lina Roche", "Tom Vidal"]);
        assert_eq!(affiliation(&p[0]), "cheffe du pôle design");
        assert_eq!(affiliation(&p[1]), "adjoint au bureau des achats");
    }

    fn read(body: &str) -> Extraction {
        let text = format!("---\ntitle: Un billet\ndate: 2024-02-01\n---\n\n{body}\n");
        extract(
            "posts/billet.md",
            ("site/posts/billet.md", ""),
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
