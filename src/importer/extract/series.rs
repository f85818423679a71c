//! The series a session belongs to and its episode number: from the front matter, the title,
//! or for a video its `videos-…` folder and file name.

use std::sync::LazyLock;

use regex::Regex;

use super::{re, SourcePath};
use crate::domain::event::SeriesInput;
use crate::domain::EventKind;
use crate::importer::dates::normalise;
use crate::importer::frontmatter::Post;

static EPISODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:épisode|episode|ép\.)\s*(?:n°|no|#)?\s*(\d{1,4})"));
static FILE_EPISODE: LazyLock<Regex> = LazyLock::new(|| re(r"(?:episode-?|e)(\d{1,4})(?:\b|[-_])"));

/// The front matter's series, or for a video the one its folder names.
pub(super) fn series(
    post: &Post,
    kind: EventKind,
    on_disk: &str,
    text_all: &str,
    neighbours: &str,
) -> Option<SeriesInput> {
    let series_title = post.text("series").or_else(|| {
        (kind == EventKind::Video)
            .then(|| {
                // The post's own words first, then its neighbours'.
                let text = format!("{text_all}\n{}", normalise(neighbours));
                series_from_folders(&SourcePath::new(on_disk), &text)
            })
            .flatten()
    });
    series_title.map(|title| SeriesInput::Named {
        slug: None,
        title: Some(title),
    })
}

/// « Épisode 3 » in the title, or for a video `episode-3` / `e3` in the file name.
pub(super) fn episode(title: Option<&str>, kind: EventKind, file: &SourcePath) -> Option<i64> {
    title
        .and_then(|t| {
            EPISODE
                .captures(&normalise(t))
                .and_then(|c| c[1].parse().ok())
        })
        .or_else(|| {
            (kind == EventKind::Video).then_some(())?;
            let stem = file.file_stem()?.to_lowercase();
            FILE_EPISODE.captures(&stem).and_then(|c| c[1].parse().ok())
        })
}

/// The series from a `videos-…` folder: « videos-vers-un-numerique-ecoresponsable » becomes
/// « Vers un numérique écoresponsable », accents taken from words of the post itself.
pub(super) fn series_from_folders(file: &SourcePath, text: &str) -> Option<String> {
    let folder = file
        .folders()
        .into_iter()
        .rev()
        .find(|f| f.starts_with("videos-") || f.starts_with("video-"))?;
    let mut words: Vec<&str> = folder
        .split_once('-')
        .map(|(_, rest)| rest)?
        .split('-')
        .filter(|w| !w.is_empty())
        .collect();
    // « videos-serie-referents »: the folder says it is a series; its name is what follows.
    if words.len() > 1 && matches!(words[0], "serie" | "series") {
        words.remove(0);
    }
    let words: Vec<String> = words.iter().map(|w| with_accents(w, text)).collect();
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
