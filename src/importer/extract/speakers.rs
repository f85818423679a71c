//! Who speaks: people and their affiliation as the team writes them, under a speakers' heading
//! or, on a video page, in the bold caption under the video or the card its transcript opens
//! with.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::sections::{Section, BOLD_LINE, ITEM};
use super::{plain, re};
use crate::domain::event::SpeakerInput;

/// The people under a speakers' heading. The section is dropped from the body when every line
/// was read as people; otherwise the lines not read stay and are said.
pub(super) fn from_section(
    section: &Section,
    lines: &[&str],
    dropped: &mut BTreeSet<usize>,
    warnings: &mut Vec<String>,
) -> Vec<SpeakerInput> {
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
    if found.is_empty() {
        return found;
    }
    if unread.is_empty() {
        dropped.extend(section.all());
    } else {
        warnings.push(format!(
            "under \u{ab} {} \u{bb}, not read as speakers (kept in the body): {}",
            section.heading,
            unread.join(" / ")
        ));
    }
    found
}

/// The bold caption under the video: « **Name, role at organisation** », with its line.
pub(super) fn from_caption(lines: &[&str]) -> Option<(usize, Vec<SpeakerInput>)> {
    lines.iter().enumerate().find_map(|(i, l)| {
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
    })
}

static BR: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)<br\s*/?>"));

/// The card a video's transcript opens with, « <p>Name<br>Role<br>Organisation</p> »: the
/// person speaking, with the role and organisation the card gives. A name the card writes in
/// capitals takes the spelling the post uses elsewhere, when it writes it otherwise.
pub(super) fn from_transcript_card(lines: &[&str], text: &str) -> Option<Vec<SpeakerInput>> {
    let heading = lines.iter().position(|l| l.trim() == "## Transcription")?;
    let open = (heading + 1..lines.len()).find(|&i| !lines[i].trim().is_empty())?;
    if !lines[open].trim_start().starts_with("<p>") {
        return None;
    }
    let close = (open..lines.len().min(open + 8)).find(|&i| lines[i].contains("</p>"))?;
    let card = lines[open..=close].join(" ");
    let inner = card.trim().strip_prefix("<p>")?;
    let inner = &inner[..inner.find("</p>")?];
    let parts: Vec<String> = BR
        .split(inner)
        .map(plain)
        .filter(|p| !p.is_empty())
        .collect();
    if !(2..=4).contains(&parts.len()) || !is_name(&parts[0]) {
        return None;
    }
    let name = spelling_in(&parts[0], text).unwrap_or_else(|| parts[0].clone());
    let organisation = parts[2..].join(", ");
    Some(vec![SpeakerInput {
        slug: None,
        name: Some(name),
        role: Some(parts[1].clone()),
        organisation: (!organisation.is_empty()).then_some(organisation),
    }])
}

/// `name` as `text` writes it elsewhere when `name` has a word in capitals and `text` does
/// not (« Stéphanie SCHAER », then « je suis Stéphanie Schaer »).
fn spelling_in(name: &str, text: &str) -> Option<String> {
    let has_caps = name
        .split_whitespace()
        .any(|w| w.chars().count() > 2 && w.chars().all(char::is_uppercase));
    if !has_caps {
        return None;
    }
    let wanted = name.to_lowercase();
    let words: Vec<&str> = text.split_whitespace().collect();
    let size = name.split_whitespace().count();
    words.windows(size).find_map(|window| {
        let found = window
            .iter()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect::<Vec<_>>()
            .join(" ");
        (found.to_lowercase() == wanted && found != name && is_name(&found)).then_some(found)
    })
}

/// Labels of a practical-information item that names who leads the session.
const LEADER_LABELS: [&str; 10] = [
    "animateur",
    "animatrice",
    "animateurs",
    "animatrices",
    "formateur",
    "formatrice",
    "formateurs",
    "formatrices",
    "intervenant",
    "intervenante",
];

/// « * Animatrice : Name, organisation » or « * Formatrice : [**Name**, role](link) » in a
/// practical-information list, with their lines.
pub(super) fn from_practical(
    lines: &[&str],
    practical: &[bool],
) -> Vec<(usize, Vec<SpeakerInput>)> {
    lines
        .iter()
        .enumerate()
        .filter(|(i, _)| practical[*i])
        .filter_map(|(i, l)| {
            let item = ITEM.captures(l)?.get(1)?.as_str();
            let (label, value) = item.split_once(':')?;
            let label = crate::importer::dates::normalise(&plain(label));
            LEADER_LABELS.contains(&label.trim()).then_some(())?;
            let people = parse_people(&plain(value));
            (!people.is_empty()).then_some((i, people))
        })
        .collect()
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

/// Two to five words, capitalised (particles aside), no acronym or organisation word first; a
/// surname may be in capitals after a first name that is not.
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
    // « Vincent DURAND »: a surname in capitals after a first name written as one.
    let is_caps = |w: &str| w.chars().count() > 2 && w.chars().all(|c| c.is_uppercase());
    let first_is_caps = is_caps(words[0]);
    words.iter().enumerate().all(|(i, w)| {
        if i > 0 && PARTICLES.contains(&w.to_lowercase().as_str()) {
            return true;
        }
        let mut chars = w.chars();
        let Some(initial) = chars.next() else {
            return false;
        };
        let acronym = is_caps(w) && (i == 0 || first_is_caps);
        initial.is_uppercase()
            && !acronym
            && w.chars().all(|c| c.is_alphabetic() || "-'’.".contains(c))
    })
}

/// « Bela Loto, MIR Conseil et Formation », « Richard Hanna et Olivier Joviado, Direction… »,
/// « Virginie Rozière, Richard Hanna et Olivier Joviado, Direction… », « Name - role »,
/// « Name (organisation) »: the people and their affiliation, trailing punctuation dropped.
pub(super) fn parse_people(raw: &str) -> Vec<SpeakerInput> {
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
    // « Name, role, et Name, role »: two people, each with an affiliation of their own.
    if let Some((first, second)) = text.split_once(", et ") {
        let second_is_person = second.split(',').next().is_some_and(|n| is_name(n.trim()));
        if second_is_person && first.contains(',') {
            let (mut a, b) = (parse_people(first), parse_people(second));
            if !a.is_empty() && !b.is_empty() {
                a.extend(b);
                return a;
            }
        }
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
