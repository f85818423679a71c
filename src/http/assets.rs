//! `/assets/{file}`: the pages' one stylesheet (the purged DSFR of `assets/dsfr/`, then
//! `assets/site.css`), the console's (its own purge of the DSFR, `site.css`, then
//! `assets/console.css`: its tables and form controls stay off the public pages) and, when
//! `site.marianne_font` is on, the Marianne font. Each file is
//! compiled in and named by a hash of its content, so browsers keep it for a year and a new
//! build's pages name new files.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};

use super::conditional;
use super::AppState;
use crate::domain::urls::PublicUrls;
use crate::publish::Rendered;

const DSFR: &str = include_str!("../../assets/dsfr/dsfr.purged.css");
const SITE: &str = include_str!("../../assets/site.css");
const CONSOLE_DSFR: &str = include_str!("../../assets/dsfr/dsfr.console.purged.css");
const CONSOLE: &str = include_str!("../../assets/console.css");
const MARIANNE: &str = include_str!("../../assets/marianne.css");
const MARIANNE_REGULAR: &[u8] = include_bytes!("../../assets/dsfr/fonts/Marianne-Regular.woff2");
const MARIANNE_BOLD: &[u8] = include_bytes!("../../assets/dsfr/fonts/Marianne-Bold.woff2");

const CSS: &str = "text/css; charset=utf-8";
const WOFF2: &str = "font/woff2";
/// Names change with content: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(asset))
}

/// A font file as served.
struct Font {
    name: String,
    bytes: &'static [u8],
    etag: HeaderValue,
}

impl Font {
    fn new(stem: &str, bytes: &'static [u8]) -> Font {
        let hash = short_hash(bytes);
        Font {
            name: format!("{stem}-{hash}.woff2"),
            bytes,
            etag: HeaderValue::from_str(&format!("\"{hash}\""))
                .unwrap_or(HeaderValue::from_static("\"\"")),
        }
    }
}

/// A stylesheet as served, named by its content.
struct Stylesheet {
    name: String,
    css: String,
    rendered: Arc<Rendered>,
}

impl Stylesheet {
    fn new(stem: &str, css: String) -> Stylesheet {
        Stylesheet {
            name: format!("{stem}-{}.css", short_hash(css.as_bytes())),
            // What is at a hashed name never changes: modified at no particular time.
            rendered: Arc::new(Rendered::new(css.clone(), DateTime::<Utc>::UNIX_EPOCH)),
            css,
        }
    }
}

/// The files under `/assets/`, made once when the service starts.
pub struct SiteAssets {
    site: Stylesheet,
    console: Stylesheet,
    fonts: Vec<Font>,
}

impl SiteAssets {
    /// The stylesheets: the DSFR's kept rules, this site's own (and the console's), then the
    /// Marianne font's declarations when it is on (last, so that its font variable wins).
    pub fn new(marianne_font: bool) -> SiteAssets {
        let mut site = format!("{DSFR}{SITE}");
        let mut console = format!("{CONSOLE_DSFR}{SITE}{CONSOLE}");
        let mut fonts = Vec::new();
        if marianne_font {
            let regular = Font::new("Marianne-Regular", MARIANNE_REGULAR);
            let bold = Font::new("Marianne-Bold", MARIANNE_BOLD);
            // Relative to the stylesheet, which is under /assets/ too.
            let faces = MARIANNE
                .replace("{{regular}}", &regular.name)
                .replace("{{bold}}", &bold.name);
            site.push_str(&faces);
            console.push_str(&faces);
            fonts = vec![regular, bold];
        }
        SiteAssets {
            site: Stylesheet::new("site", site),
            console: Stylesheet::new("console", console),
            fonts,
        }
    }

    /// Where pages find the stylesheet, under `urls`.
    pub fn stylesheet_url(&self, urls: PublicUrls<'_>) -> String {
        urls.asset(&self.site.name)
    }

    /// Where the console's pages find theirs, under `urls`.
    pub fn console_stylesheet_url(&self, urls: PublicUrls<'_>) -> String {
        urls.asset(&self.console.name)
    }

    /// Every file the public pages use, for the static export (which has no console).
    pub fn paths(&self) -> Vec<String> {
        let at = PublicUrls::paths();
        std::iter::once(at.asset(&self.site.name))
            .chain(self.fonts.iter().map(|f| at.asset(&f.name)))
            .collect()
    }

    /// The stylesheet's text.
    pub fn stylesheet(&self) -> &str {
        &self.site.css
    }

    /// The console's stylesheet's text.
    pub fn console_stylesheet(&self) -> &str {
        &self.console.css
    }
}

/// 16 hex digits of XXH3: enough to tell two builds' files apart (no one gains by forging).
fn short_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let assets = state.assets.clone();
    if let Some(sheet) = [&assets.site, &assets.console]
        .into_iter()
        .find(|s| s.name == file)
    {
        return conditional::respond(
            &headers,
            sheet.rendered.clone(),
            CSS,
            &HeaderValue::from_static(IMMUTABLE),
        )
        .await;
    }
    match assets.fonts.iter().find(|f| f.name == file) {
        Some(font) => font_response(font, &headers),
        None => super::pages::not_found(State(state)).await,
    }
}

/// woff2 is compressed already: sent as it is, with its ETag.
fn font_response(font: &Font, headers: &HeaderMap) -> Response {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/").as_bytes() == font.etag.as_bytes()
        });
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE))
        .header(header::ETAG, font.etag.clone());
    let response = if matches {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, HeaderValue::from_static(WOFF2))
            .body(Body::from(font.bytes))
    };
    response.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_is_named_by_its_content_and_marianne_only_when_asked() {
        let plain = SiteAssets::new(false);
        assert!(plain.site.name.starts_with("site-") && plain.site.name.ends_with(".css"));
        assert!(plain.console.name.starts_with("console-"));
        assert_eq!(SiteAssets::new(false).site.name, plain.site.name);
        assert!(!plain.stylesheet().contains("@font-face"));
        assert_eq!(plain.paths().len(), 1);

        let marianne = SiteAssets::new(true);
        assert_ne!(marianne.site.name, plain.site.name);
        assert_eq!(marianne.paths().len(), 3);
        for font in &marianne.fonts {
            for css in [marianne.stylesheet(), marianne.console_stylesheet()] {
                assert!(css.contains(&format!("url({})", font.name)));
            }
        }
        assert!(marianne.stylesheet().ends_with("}\n"));
        assert!(marianne.console_stylesheet().ends_with("}\n"));
    }

    /// The stylesheet loads nothing more: every `url()` is a data URI (icons, the Marianne
    /// block), but the font files of the Marianne option.
    #[test]
    fn the_stylesheet_asks_for_no_other_file() {
        let assets = SiteAssets::new(false);
        for css in [assets.stylesheet(), assets.console_stylesheet()] {
            asks_for_no_other_file(css);
        }
    }

    fn asks_for_no_other_file(css: &str) {
        for (i, _) in css.match_indices("url(") {
            let rest = css[i + 4..].trim_start_matches(['"', '\'']);
            assert!(
                rest.starts_with("data:"),
                "{}",
                &css[i..(i + 60).min(css.len())]
            );
        }
        assert!(!css.contains("@import"));
        assert!(
            !css.contains("@font-face"),
            "no font to download by default"
        );
    }

    /// Every DSFR class a template names has its rules in the stylesheet its pages link (the
    /// console's for `templates/admin/`): a template changed without `assets/dsfr/build.mjs`
    /// run again fails here.
    #[test]
    fn every_dsfr_class_of_the_templates_is_in_the_stylesheet() {
        let assets = SiteAssets::new(false);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in walk(&dir) {
            let css = if entry.starts_with(dir.join("admin")) {
                assets.console_stylesheet()
            } else {
                assets.stylesheet()
            };
            let text = std::fs::read_to_string(&entry).unwrap();
            for (i, _) in text.match_indices("class=\"") {
                let rest = &text[i + 7..];
                let classes = &rest[..rest.find('"').unwrap_or(0)];
                for class in classes.split_whitespace().filter(|c| c.starts_with("fr-")) {
                    let class = class.split("{%").next().unwrap_or(class);
                    if !class.is_empty() && !css.contains(&format!(".{class}")) {
                        missing.push(format!("{} in {}", class, entry.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "run assets/dsfr/build.mjs: {missing:?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else if path.extension().is_some_and(|e| e == "html") {
                files.push(path);
            }
        }
        files
    }
}
