//! Where a session takes place and how to attend: the place, whether registering is required,
//! how many places, whether it is recorded.

use std::sync::LazyLock;

use regex::Regex;

use super::kind::{ONLINE, STREET_ADDRESS};
use super::sections::ITEM;
use super::{plain, re};
use crate::domain::event::Links;
use crate::domain::EventKind;
use crate::importer::dates::normalise;
use crate::importer::frontmatter::Post;

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

/// The place from the front matter or a « Lieu : » line; an online place is none. An in-person
/// session without one is said.
pub(super) fn location(
    post: &Post,
    lines: &[&str],
    practical: &[bool],
    kind: EventKind,
    warnings: &mut Vec<String>,
) -> Option<String> {
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
        .or_else(|| address_item(lines, practical))
        .map(|l| clean_location(&l))
        .filter(|l| !l.is_empty() && !ONLINE.is_match(&normalise(l)));
    if kind == EventKind::Event && location.is_none() {
        warnings.push("an in-person session, but no place is written".into());
    }
    location
}

/// A practical-information item that is a street address (« * au 20 avenue de Ségur 75007
/// Paris »), without its leading « au » or « à ».
fn address_item(lines: &[&str], practical: &[bool]) -> Option<String> {
    lines.iter().enumerate().find_map(|(i, l)| {
        let item = ITEM.captures(l).map(|c| plain(&c[1]))?;
        (practical[i] && STREET_ADDRESS.is_match(&normalise(&item))).then(|| {
            let trimmed = item.trim();
            ["au ", "à la ", "à l'", "à ", "aux "]
                .iter()
                .find_map(|p| {
                    trimmed
                        .get(..p.len())
                        .filter(|head| head.eq_ignore_ascii_case(p))
                        .map(|_| trimmed[p.len()..].to_string())
                })
                .unwrap_or_else(|| trimmed.to_string())
        })
    })
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

/// Required when the post says so, or gives a registration link without saying access is free.
pub(super) fn registration_required(kind: EventKind, text_all: &str, links: &Links) -> bool {
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
    kind.is_live() && (says_required || (links.registration.is_some() && !says_free))
}

/// The number of places a live session says it has.
pub(super) fn capacity(kind: EventKind, text_all: &str) -> Option<i64> {
    kind.is_live()
        .then(|| {
            CAPACITY.iter().find_map(|r| {
                r.captures(text_all)
                    .and_then(|c| c[1].replace(' ', "").parse::<i64>().ok())
                    .filter(|n| (1..100_000).contains(n))
            })
        })
        .flatten()
}

/// A recording link, or words that promise one.
pub(super) fn recording_planned(text_all: &str, links: &Links) -> bool {
    let says_recorded = RECORDED.is_match(text_all);
    links.recording.is_some() || says_recorded
}
