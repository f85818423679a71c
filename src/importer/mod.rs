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
const READER_VERSION: &str = "eventail-import-1";

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
}

/// Markdown files under `paths`, recursively, in a stable order. Folders and files that
/// cannot be listed are reported as problems, not errors.
pub fn collect(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for root in paths {
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => walk(root, root, &mut files, &mut problems),
            Ok(_) => {
                let name = file_name(root);
                let parent = std::path::absolute(root)
                    .ok()
                    .and_then(|p| p.parent().map(file_name))
                    .unwrap_or_default();
                files.push(SourceFile {
                    path: root.clone(),
                    context: format!("{parent}/{name}"),
                    source: name,
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
            walk(root, &path, files, problems);
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
    let Some((spec, preview)) = read(&mut report, &file.source, &file.context, text, options)
    else {
        return report;
    };
    let Some(store) = store else {
        report.event = preview;
        return report;
    };
    let hash = {
        let mut digest = Sha256::new();
        digest.update(READER_VERSION.as_bytes());
        // Read again when the zone that times are read in changes.
        digest.update(options.timezone.name().as_bytes());
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
    if let Some((_, preview)) = read(&mut report, source, source, text, options) {
        report.event = preview;
    }
    report
}

/// Reads and checks one post into `report` (outcome, reason, warnings): the session to
/// store and its document, or nothing when it cannot be stored.
fn read(
    report: &mut FileReport,
    source: &str,
    context: &str,
    text: &str,
    options: &Options,
) -> Option<(crate::domain::EventSpec, Option<serde_json::Value>)> {
    let extraction = extract::extract(source, context, text, options.today, options.timezone);
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
    let spec = match input.validate(options.timezone) {
        Ok(spec) => spec,
        Err(errors) => {
            report.reason = Some(format!("cannot be stored as read: {errors}"));
            report.event = preview;
            return None;
        }
    };
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

/// The readable report: one block per file, then the totals.
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
