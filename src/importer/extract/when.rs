//! When a live session takes place: the date in dateLabel, in the body or in the title, with
//! the times written beside it or on an « Horaires » line.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::NaiveDate;
use chrono_tz::Tz;
use regex::Regex;

use super::sections::ITEM;
use super::{plain, re};
use crate::domain::event::EventInput;
use crate::importer::dates::{self, normalise};
use crate::importer::frontmatter::Post;

static DEADLINE: LazyLock<Regex> =
    LazyLock::new(|| re(r"jusqu'au|jusqu'à|avant le|date limite|clôture des inscriptions"));

/// A heading over the practical details of a session: « Informations pratiques »,
/// « Modalités pratiques », « Dates ». The items under it carry the session's own date, time
/// and place, not those of other news.
static PRACTICAL_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^#{1,6}\s*(?:informations?|infos?|modalités|détails?)\s+pratiques?\b|^#{1,6}\s*dates?\s*(?::|$)",
    )
});

/// For each body line, whether it sits under a practical-information heading (up to the next
/// heading).
pub(super) fn practical(lines: &[&str]) -> Vec<bool> {
    let mut inside = false;
    lines
        .iter()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#') {
                inside = PRACTICAL_HEADING.is_match(&normalise(trimmed));
                false
            } else {
                inside
            }
        })
        .collect()
}

pub(super) struct When {
    pub(super) reading: dates::Reading,
    /// Body lines that only carried the date (dropped from the body).
    pub(super) lines: Option<Vec<usize>>,
    /// The body line the date was read from.
    pub(super) line: Option<usize>,
}

/// The session's date: from dateLabel, else the body's first date with a time (or its first
/// date), else the title.
pub(super) fn find(
    post: &Post,
    lines: &[&str],
    practical: &[bool],
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
    // An « Horaires » line, or a practical-information item that gives only the times.
    let hours_line = |lines: &[&str]| {
        lines.iter().enumerate().find_map(|(i, l)| {
            let n = normalise(&plain(l));
            (n.contains("horaire")
                || n.contains("heure :")
                || n.contains("heures :")
                || (practical[i] && ITEM.is_match(l)))
            .then(|| dates::find_times(&n))
            .flatten()
        })
    };
    // Lines that may give the session's own date: not programme items or lists of other
    // news (outside practical information), not deadlines.
    let may_date = |i: usize, line: &str| {
        let lower = normalise(line);
        let other_news = ITEM.is_match(line) && !lower.contains("date") && !practical[i];
        !other_news && !DEADLINE.is_match(&lower)
    };
    if let Some(label) = post.text("dateLabel") {
        if let Some(mut reading) = read(&label) {
            if reading.start.is_none() {
                if let Some((start, end)) = hours_line(lines) {
                    reading.start = Some(start);
                    reading.end = end;
                }
            }
            if reading.start.is_none() {
                // The label gives the days of a forum or congress; the post, the time of the
                // team's own part in it: « la table ronde le mercredi 21 juin à 14h15 », or on
                // a one-day label « la table ronde à 11h15 ».
                let one_day = reading.first_day == reading.last_day;
                let part = lines.iter().enumerate().find_map(|(i, line)| {
                    if !may_date(i, line) {
                        return None;
                    }
                    let text = plain(line);
                    match dates::read(&text, reading.first_day) {
                        Ok(Some(found)) => (found.start.is_some()
                            && found.first_day >= reading.first_day
                            && found.first_day <= reading.last_day)
                            .then_some((found.first_day, found.start, found.end)),
                        Ok(None) if one_day => dates::find_times(&normalise(&text))
                            .map(|(start, end)| (reading.first_day, Some(start), end)),
                        _ => None,
                    }
                });
                if let Some((day, start, end)) = part {
                    reading.first_day = day;
                    reading.last_day = day;
                    reading.start = start;
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
        // Programme items and lists of other news carry dates of other things; « Inscriptions
        // jusqu'au 1er décembre à 18h » is not the session.
        if !may_date(i, line) {
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
        let which = if found.iter().any(|(_, r)| r.start.is_some()) {
            "the first with a time"
        } else {
            "the first (none has a time)"
        };
        several = Some(format!(
            "several dates in the post ({}); the session's was taken as {which}, check it",
            days.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
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

/// The session's start and end into `input`, the date's line dropped from the body if it said
/// little more.
pub(super) fn schedule(
    input: &mut EventInput,
    when: Option<&When>,
    tz: Tz,
    dropped: &mut BTreeSet<usize>,
    warnings: &mut Vec<String>,
) {
    match when {
        Some(found) => {
            let mut reading = found.reading.clone();
            warnings.append(&mut reading.warnings);
            if reading.start.is_none() {
                warnings.push(format!(
                    "no time found for {}: stored as a whole-day session",
                    reading.first_day
                ));
            }
            let (start, end) = dates::to_api_times(&reading, tz, warnings);
            input.starts_at = Some(start);
            input.ends_at = end;
            if let Some(lines) = &found.lines {
                dropped.extend(lines.clone());
            }
        }
        None => warnings.push("no date found".into()),
    }
}
