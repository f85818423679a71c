//! The post cut at its headings (`## Programme`, `**Intervenants :**`), and what the sections
//! hold: speakers, the programme, further reading.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{links, plain, re, speakers};
use crate::domain::event::{MoreLink, SpeakerInput};
use crate::importer::dates::normalise;

static HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$"));
pub(super) static BOLD_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*([:.]?)\s*$"));
pub(super) static ITEM: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s{0,3}(?:[*+-]|\d+[.)])\s+(.*)$"));

pub(super) struct Section {
    pub(super) heading: String,
    heading_line: usize,
    pub(super) content: Vec<usize>,
}

impl Section {
    pub(super) fn all(&self) -> Vec<usize> {
        std::iter::once(self.heading_line)
            .chain(self.content.iter().copied())
            .collect()
    }
}

/// Headings (`## Programme`) and bold lines ending in a colon (`**Intervenants :**`) with the
/// non-blank lines under them: up to the next heading, or the first blank line after content
/// for a bold one.
pub(super) fn find(lines: &[&str]) -> Vec<Section> {
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
            })
            .or_else(|| {
                // « Avec les interventions de : » on a plain line, a list under it: read like
                // a bold one, for speakers only (a plain line ending in a colon says little).
                let text = line.trim().strip_suffix(':')?;
                let label = normalise(&plain(text));
                (!ITEM.is_match(line) && is_speaker_heading(label.trim()))
                    .then(|| (plain(text), true))
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

/// What the sections hold, in the order of the post.
#[derive(Default)]
pub(super) struct BySection {
    pub(super) speakers: Vec<SpeakerInput>,
    pub(super) programme: Vec<String>,
    pub(super) more: Vec<MoreLink>,
}

/// Speakers, programme and further reading, by section. A section read whole into a field is
/// dropped from the body.
pub(super) fn read(
    sections: &[Section],
    lines: &[&str],
    dropped: &mut BTreeSet<usize>,
    warnings: &mut Vec<String>,
) -> BySection {
    let mut by_section = BySection::default();
    for section in sections {
        let heading = normalise(&section.heading);
        let heading = heading.trim().trim_end_matches(':').trim();
        if is_speaker_heading(heading) {
            let found = speakers::from_section(section, lines, dropped, warnings);
            by_section.speakers.extend(found);
        } else if is_programme_heading(heading) {
            let items = programme(section, lines, dropped);
            by_section.programme.extend(items);
        } else if is_more_heading(heading) {
            let found = links::more_from_section(section, lines, dropped);
            by_section.more.extend(found);
        }
    }
    by_section
}

/// The section's list items; the section is dropped when it is nothing but the list.
fn programme(section: &Section, lines: &[&str], dropped: &mut BTreeSet<usize>) -> Vec<String> {
    let items: Vec<String> = section
        .content
        .iter()
        .filter_map(|&i| ITEM.captures(lines[i]).map(|c| plain(&c[1])))
        .filter(|t| !t.is_empty())
        .collect();
    if !items.is_empty() && section.content.iter().all(|&i| ITEM.is_match(lines[i])) {
        dropped.extend(section.all());
    }
    items
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
        "conférencier",
        "conférencière",
        "conférenciers",
        "conférencières",
        "avec les interventions de",
        "avec l'intervention de",
        "avec la participation de",
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

pub(super) fn is_more_heading(h: &str) -> bool {
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
