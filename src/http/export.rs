//! `eventail publish --out DIR`: every public page, feed and .ics file as static files, servable
//! by any web server. Each file is what the running service answers for its path — rendered
//! through the same routes, in process — so the export and the service cannot drift apart.
//!
//! Paths become files the way web servers look them up: `/` is `index.html`,
//! `/events/{slug}` is `events/{slug}/index.html`, `/events/{slug}.ics` and
//! `/assets/site-{hash}.css` stay as they are. Links
//! are absolute, under `http.base_url`: set it to the address the files will be served from.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::{router, AppState};
use crate::domain::urls::PublicUrls;
use crate::publish::folder::StagedFolder;

/// What an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub files: usize,
    pub bytes: u64,
}

/// Every public path: pages, feeds, per-session files.
async fn paths(state: &AppState) -> anyhow::Result<Vec<String>> {
    let at = PublicUrls::paths();
    let mut paths = vec![at.home(), at.archives(), at.calendar(), at.atom_feed()];
    // The stylesheet (and fonts) the pages name.
    paths.extend(state.assets.paths());
    let mut tags = BTreeSet::new();
    for event in state.store.published_events().await? {
        paths.push(at.event_page(&event.slug));
        if event.schedule.is_some() {
            paths.push(at.event_ics(&event.slug));
        }
        tags.extend(event.tags);
    }
    for series in state.store.list_series().await? {
        paths.push(at.series_page(&series.slug));
        paths.push(at.series_calendar(&series.slug));
    }
    for tag in tags {
        // A tag that cannot be a file name (a slash, a dot folder) has no static page.
        if !tag.contains('/') && !tag.starts_with('.') {
            paths.push(at.tag_page(&tag));
        }
    }
    Ok(paths)
}

/// Where the file for `path` goes under `out`.
fn file_for(out: &Path, path: &str) -> PathBuf {
    let decoded = percent_decode(path.trim_start_matches('/'));
    let last = decoded.rsplit('/').next().unwrap_or("");
    if decoded.is_empty() {
        out.join("index.html")
    } else if last.contains('.') && !decoded.starts_with("tags/") {
        out.join(&decoded)
    } else {
        out.join(&decoded).join("index.html")
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Writes the whole site under `out`, replacing what an earlier export left there: the site is
/// written beside it first, then put in its place, so a server never serves half an export and
/// a session withdrawn since the last export does not stay online.
pub async fn static_site(state: AppState, out: &Path) -> anyhow::Result<ExportReport> {
    let staged = StagedFolder::beside(out)?;
    let report = write_site(state, staged.path()).await?;
    staged.put_in_place()?;
    Ok(report)
}

async fn write_site(state: AppState, out: &Path) -> anyhow::Result<ExportReport> {
    let paths = paths(&state).await?;
    let app = router(state);
    let mut report = ExportReport::default();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for path in paths {
        let response = app
            .clone()
            .oneshot(
                Request::get(path.as_str())
                    .body(Body::empty())
                    .context("request")?,
            )
            .await
            .context("rendering")?;
        if response.status() != StatusCode::OK {
            // A session without a date has no .ics: nothing to write.
            if response.status() != StatusCode::NOT_FOUND {
                anyhow::bail!("{path} answered {}", response.status());
            }
            continue;
        }
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .with_context(|| format!("reading {path}"))?;
        let file = file_for(out, &path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&file, &body).with_context(|| format!("cannot write {}", file.display()))?;
        report.files += 1;
        report.bytes += body.len() as u64;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_files_as_web_servers_look_them_up() {
        let out = Path::new("/site");
        assert_eq!(file_for(out, "/"), Path::new("/site/index.html"));
        assert_eq!(
            file_for(out, "/events/atelier"),
            Path::new("/site/events/atelier/index.html")
        );
        assert_eq!(
            file_for(out, "/events/atelier.ics"),
            Path::new("/site/events/atelier.ics")
        );
        assert_eq!(
            file_for(out, "/series/s/calendar.ics"),
            Path::new("/site/series/s/calendar.ics")
        );
        assert_eq!(
            file_for(out, &PublicUrls::paths().tag_page("sobriété numérique")),
            Path::new("/site/tags/sobriété numérique/index.html")
        );
        assert_eq!(
            PublicUrls::paths().tag_page("sobriété numérique"),
            "/tags/sobri%C3%A9t%C3%A9%20num%C3%A9rique"
        );
    }
}
