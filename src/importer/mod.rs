//! The team's existing Eleventy Markdown into the store: `eventail import PATH…`.
//!
//! Each file is read on its own (`extract`), checked like an organiser's input, then created
//! or updated in the store keyed by its path inside the imported folder, so importing again
//! updates instead of duplicating. One odd file is reported and the rest goes on.

pub mod dates;
pub mod extract;
pub mod frontmatter;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{ImportAction, Store};
use extract::Outcome;

/// Changes whenever the reading of files changes, so re-importing an unchanged file after an
/// upgrade reads it again.
const READER_VERSION: &str = "eventail-import-2";

/// A file found under the paths given.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its key: the path inside the folder given (or the file name for a file given).
    pub source: String,
    /// The folders that may tell its series: the folder given and those inside it (or, for a
    /// file given alone, its own folder), then its name.
    pub context: String,
    /// For a post in a `videos-…` folder, the words of the titles and descriptions of the
    /// posts beside it, each once, lower case (read once per folder): where the series named
    /// by the folder finds its accents when the post itself does not write the word.
    pub neighbours: std::sync::Arc<str>,
}

/// The titles and descriptions of the posts in `dir`, when it is a `videos-…` folder.
fn neighbours_of(
    dir: Option<&Path>,
    cache: &mut Vec<(PathBuf, std::sync::Arc<str>)>,
) -> std::sync::Arc<str> {
    let Some(dir) = dir else {
        return "".into();
    };
    if !file_name(dir).starts_with("video") {
        return "".into();
    }
    if let Some((_, words)) = cache.iter().find(|(d, _)| d == dir) {
        return words.clone();
    }
    let mut words = std::collections::BTreeSet::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Ok(post) = frontmatter::Post::parse(&text) {
            for key in ["title", "description"] {
                if let Some(value) = post.text(key) {
                    let value = dates::normalise(&value);
                    words.extend(
                        value
                            .split(|c: char| !c.is_alphabetic())
                            .filter(|w| !w.is_empty())
                            .map(str::to_string),
                    );
                }
            }
        }
    }
    // Each word once: a folder of many posts gives a short text to look in (and to hash).
    let words: std::sync::Arc<str> = words.into_iter().collect::<Vec<_>>().join(" ").into();
    cache.push((dir.to_path_buf(), words.clone()));
    words
}

/// Markdown files under `paths`, recursively, in a stable order. Folders and files that
/// cannot be listed are reported as problems, not errors.
pub fn collect(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut cache = Vec::new();
    for root in paths {
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => walk(root, root, &mut files, &mut problems, &mut cache),
            Ok(_) => {
                let name = file_name(root);
                let parent = std::path::absolute(root)
                    .ok()
                    .and_then(|p| p.parent().map(file_name))
                    .unwrap_or_default();
                let dir = std::path::absolute(root).ok();
                files.push(SourceFile {
                    path: root.clone(),
                    context: format!("{parent}/{name}"),
                    source: name,
                    neighbours: neighbours_of(dir.as_deref().and_then(Path::parent), &mut cache),
                })
            }
            Err(e) => problems.push((root.clone(), format!("cannot be read: {e}"))),
        }
    }
    (files, problems)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<SourceFile>,
    problems: &mut Vec<(PathBuf, String)>,
    cache: &mut Vec<(PathBuf, std::sync::Arc<str>)>,
) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            problems.push((dir.to_path_buf(), format!("cannot be listed: {e}")));
            return;
        }
    };
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name == "node_modules" || name == "_site" {
            continue;
        }
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if path.is_dir() {
            if is_link {
                // A link to a folder may loop back to its parent: not followed.
                problems.push((path, "a link to a folder: not followed".into()));
                continue;
            }
            walk(root, &path, files, problems, cache);
        } else if name.ends_with(".md") || name.ends_with(".markdown") {
            let source = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let root_name = std::path::absolute(root)
                .map(|p| file_name(&p))
                .unwrap_or_default();
            files.push(SourceFile {
                neighbours: neighbours_of(Some(dir), cache),
                path,
                context: format!("{root_name}/{source}"),
                source,
            });
        }
    }
}

/// What became of one file: the shape of `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// The key it is stored under.
    pub source: String,
    /// `webinar`, `event`, `video` or `skipped`.
    pub outcome: String,
    pub reason: Option<String>,
    pub warnings: Vec<String>,
    /// `created`, `updated`, `unchanged`; absent on a dry run and for skipped files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The session as the API shows it, without `id` (on a dry run: as it would be sent to it).
    pub event: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub timezone: Tz,
    /// The year of dates written without one when a post has no date of its own.
    pub today: NaiveDate,
}

/// Reads one file and stores its session; without a store (a dry run) it only reads.
pub async fn import_file(
    store: Option<&Store>,
    file: &SourceFile,
    options: &Options,
    base_url: &str,
) -> FileReport {
    let mut report = FileReport {
        path: file.path.display().to_string(),
        source: file.source.clone(),
        outcome: "skipped".into(),
        reason: None,
        warnings: Vec::new(),
        action: None,
        event: None,
    };
    let bytes = match tokio::fs::read(&file.path).await {
        Ok(bytes) => bytes,
        Err(e) => {
            report.reason = Some(format!("unreadable: {e}"));
            return report;
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        report.reason = Some("unreadable: not UTF-8 text".into());
        return report;
    };
    let Some((spec, preview)) = read(
        &mut report,
        &file.source,
        (&file.context, &file.neighbours),
        text,
        options,
    ) else {
        return report;
    };
    let Some(store) = store else {
        report.event = preview;
        return report;
    };
    let hash = {
        let mut digest = Sha256::new();
        digest.update(READER_VERSION.as_bytes());
        // Read again when the zone that times are read in changes, or the posts beside it.
        digest.update(options.timezone.name().as_bytes());
        digest.update(file.neighbours.as_bytes());
        digest.update(&bytes);
        hex::encode(digest.finalize())
    };
    match store.import_event(&file.source, &hash, spec).await {
        Ok((event, action)) => {
            report.action = Some(action.as_str().into());
            let mut document =
                serde_json::to_value(event.document_with_links(base_url)).unwrap_or_default();
            if let Some(map) = document.as_object_mut() {
                map.remove("id");
            }
            report.event = Some(document);
            if action == ImportAction::Unchanged {
                report.warnings.clear();
            }
        }
        Err(e) => {
            report.outcome = "skipped".into();
            report.reason = Some(format!("not stored: {e}"));
            report.event = preview;
        }
    }
    report
}

/// What a dry run reports of one text: the session read from it, checked, not stored.
/// `source` names it as a file's path under the imported folder would.
pub fn dry_run_text(source: &str, text: &str, options: &Options) -> FileReport {
    let mut report = FileReport {
        path: source.to_string(),
        source: source.to_string(),
        outcome: "skipped".into(),
        reason: None,
        warnings: Vec::new(),
        action: None,
        event: None,
    };
    if let Some((_, preview)) = read(&mut report, source, (source, ""), text, options) {
        report.event = preview;
    }
    report
}

/// Reads and checks one post into `report` (outcome, reason, warnings): the session to
/// store and its document, or nothing when it cannot be stored.
fn read(
    report: &mut FileReport,
    source: &str,
    (context, neighbours): (&str, &str),
    text: &str,
    options: &Options,
) -> Option<(crate::domain::EventSpec, Option<serde_json::Value>)> {
    let extraction = extract::extract(
        source,
        (context, neighbours),
        text,
        options.today,
        options.timezone,
    );
    report.warnings = extraction.warnings;
    let kind = match extraction.outcome {
        Outcome::Skipped(reason) => {
            report.reason = Some(reason);
            return None;
        }
        Outcome::Session(kind) => kind,
    };
    let Some(input) = extraction.input else {
        report.reason = Some("nothing could be read from it".into());
        return None;
    };
    let preview = serde_json::to_value(&input).ok();
    let mut spec = match input.validate(options.timezone) {
        Ok(spec) => spec,
        Err(errors) => {
            report.reason = Some(format!("cannot be stored as read: {errors}"));
            report.event = preview;
            return None;
        }
    };
    // Who spoke as what is the post's to say: the directory fills no gap (so the stored
    // session shows what the dry run reports).
    for speaker in &mut spec.speakers {
        speaker.as_written = true;
    }
    report.outcome = kind.as_str().into();
    Some((spec, preview))
}

/// Counts for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub webinars: usize,
    pub events: usize,
    pub videos: usize,
    pub skipped: usize,
    pub warnings: usize,
}

impl Totals {
    pub fn of(reports: &[FileReport]) -> Totals {
        let mut t = Totals::default();
        for r in reports {
            match r.outcome.as_str() {
                "webinar" => t.webinars += 1,
                "event" => t.events += 1,
                "video" => t.videos += 1,
                _ => t.skipped += 1,
            }
            t.warnings += r.warnings.len();
        }
        t
    }
}

/// What a warning is about, for the summary: each warning the reader writes starts with or
/// holds words that say it (`kinds_name_every_warning_the_fixtures_give` keeps them named).
pub fn warning_kind(warning: &str) -> &'static str {
    const KINDS: [(&str, &str); 17] = [
        ("several dates", "several dates: the first was taken"),
        ("has no year", "a date without its year"),
        ("that day is a", "a weekday that does not match its date"),
        ("; kept", "a weekday that does not match its date"),
        ("more than a year from", "a date far from the post's"),
        ("comes before the first", "days in the wrong order"),
        ("not a day", "a date that is not a day of the calendar"),
        ("no time found", "no time: stored as a whole day"),
        ("no date found", "no date found"),
        ("is not after the start", "an end before its start"),
        ("(the clocks go", "a time the clock change makes ambiguous"),
        (
            "front matter date",
            "no front matter date: years read from today",
        ),
        (
            "no date in the front matter",
            "no front matter date: years read from today",
        ),
        ("no title", "no title"),
        (
            "no place is written",
            "an in-person session without a place",
        ),
        ("template tag", "template tags dropped"),
        ("not read as speakers", "people not read as speakers"),
    ];
    if warning.contains("link") && warning.contains("left out") {
        return "a link left out";
    }
    KINDS
        .iter()
        .find(|(needle, _)| warning.contains(needle))
        .map_or("other", |(_, kind)| kind)
}

/// How many warnings of each kind, the most frequent first.
pub fn warnings_by_kind(reports: &[FileReport]) -> Vec<(&'static str, usize)> {
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for warning in reports.iter().flat_map(|r| &r.warnings) {
        *counts.entry(warning_kind(warning)).or_default() += 1;
    }
    let mut kinds: Vec<(&'static str, usize)> = counts.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kinds
}

/// The readable report: one block per file, the warnings by kind, then the totals.
pub fn table(reports: &[FileReport], dry_run: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let detail = match (&r.reason, &r.event) {
            (Some(reason), _) => reason.clone(),
            (None, Some(event)) => {
                let title = event["title"].as_str().unwrap_or_default();
                let when = event["starts_at"]
                    .as_str()
                    .or(event["published_on"].as_str())
                    .unwrap_or_default();
                let action = r
                    .action
                    .as_deref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                format!("{when}  {title}{action}")
            }
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "{:<8} {}\n         {}\n",
            r.outcome, r.path, detail
        ));
        for w in &r.warnings {
            out.push_str(&format!("         ! {w}\n"));
        }
    }
    let t = Totals::of(reports);
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let kinds = warnings_by_kind(reports);
    if !kinds.is_empty() {
        out.push_str("\nWarnings by kind:\n");
        for (kind, n) in kinds {
            out.push_str(&format!("{n:>6}  {kind}\n"));
        }
    }
    out.push_str(&format!(
        "\n{}: {}, {}, {}, {}; {}.{}\n",
        count(reports.len(), "file", "files"),
        count(t.webinars, "webinar", "webinars"),
        count(t.events, "event", "events"),
        count(t.videos, "video", "videos"),
        count(t.skipped, "skipped", "skipped"),
        count(t.warnings, "warning", "warnings"),
        if dry_run {
            " Dry run: nothing was written."
        } else {
            ""
        }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every warning the project's own posts give has a kind in the summary.
    #[test]
    fn kinds_name_every_warning_the_fixtures_give() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let (files, _) = collect(&[root.join("import"), root.join("import-lifecycle")]);
        let options = Options {
            timezone: chrono_tz::Europe::Paris,
            today: NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date"),
        };
        let reports: Vec<FileReport> = files
            .iter()
            .filter_map(|f| {
                let text = std::fs::read_to_string(&f.path).ok()?;
                Some(dry_run_text(&f.source, &text, &options))
            })
            .collect();
        let warnings: Vec<&String> = reports.iter().flat_map(|r| &r.warnings).collect();
        assert!(warnings.len() >= 3, "{warnings:?}");
        for w in &warnings {
            assert_ne!(warning_kind(w), "other", "{w}");
        }
        let summary = table(&reports, true);
        assert!(summary.contains("Warnings by kind:"), "{summary}");
        let counted: usize = warnings_by_kind(&reports).iter().map(|(_, n)| n).sum();
        assert_eq!(counted, warnings.len());
        // Made-up ones of each shape the reader writes.
        for (warning, kind) in [
            ("several dates in the post (3 mai, 4 mai); the session's was taken as the first, check it", "several dates: the first was taken"),
            ("« mardi 3 mai » has no year: read as 2022 because the weekday matches that year, though the post is dated 2021-01-01; check it", "a date without its year"),
            ("mardi 3 mai 2022: that day is a lundi, not a mardi; kept the date, check it", "a weekday that does not match its date"),
            ("front matter link « ftp://x » is neither a web address nor a path on the site; left out", "a link left out"),
            ("no date in the front matter; years were read from today", "no front matter date: years read from today"),
            ("2024-10-27 02:30 happens twice in Europe/Paris (the clocks go back): read as the first, x", "a time the clock change makes ambiguous"),
        ] {
            assert_eq!(warning_kind(warning), kind, "{warning}");
        }
    }
}
