//! `/assets/{file}`: the pages' one stylesheet (the purged DSFR of `assets/dsfr/`, then
//! `assets/site.css`) and, when `site.marianne_font` is on, the Marianne font. Each file is
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

/// The files under `/assets/`, made once when the service starts.
pub struct SiteAssets {
    stylesheet_name: String,
    css: String,
    stylesheet: Arc<Rendered>,
    fonts: Vec<Font>,
}

impl SiteAssets {
    /// The stylesheet: the DSFR's kept rules, this site's own, then the Marianne font's
    /// declarations when it is on (last, so that its font variable wins).
    pub fn new(marianne_font: bool) -> SiteAssets {
        let mut css = format!("{DSFR}{SITE}");
        let mut fonts = Vec::new();
        if marianne_font {
            let regular = Font::new("Marianne-Regular", MARIANNE_REGULAR);
            let bold = Font::new("Marianne-Bold", MARIANNE_BOLD);
            // Relative to the stylesheet, which is under /assets/ too.
            css.push_str(
                &MARIANNE
                    .replace("{{regular}}", &regular.name)
                    .replace("{{bold}}", &bold.name),
            );
            fonts = vec![regular, bold];
        }
        SiteAssets {
            stylesheet_name: format!("site-{}.css", short_hash(css.as_bytes())),
            // What is at a hashed name never changes: modified at no particular time.
            stylesheet: Arc::new(Rendered::new(css.clone(), DateTime::<Utc>::UNIX_EPOCH)),
            css,
            fonts,
        }
    }

    /// Where pages find the stylesheet, under `urls`.
    pub fn stylesheet_url(&self, urls: PublicUrls<'_>) -> String {
        urls.asset(&self.stylesheet_name)
    }

    /// Every file's path, for the static export.
    pub fn paths(&self) -> Vec<String> {
        let at = PublicUrls::paths();
        std::iter::once(at.asset(&self.stylesheet_name))
            .chain(self.fonts.iter().map(|f| at.asset(&f.name)))
            .collect()
    }

    /// The stylesheet's text.
    pub fn stylesheet(&self) -> &str {
        &self.css
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
    if file == assets.stylesheet_name {
        return conditional::respond(
            &headers,
            assets.stylesheet.clone(),
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
        assert!(
            plain.stylesheet_name.starts_with("site-") && plain.stylesheet_name.ends_with(".css")
        );
        assert_eq!(
            SiteAssets::new(false).stylesheet_name,
            plain.stylesheet_name
        );
        assert!(!plain.stylesheet().contains("@font-face"));
        assert_eq!(plain.paths().len(), 1);

        let marianne = SiteAssets::new(true);
        assert_ne!(marianne.stylesheet_name, plain.stylesheet_name);
        assert_eq!(marianne.paths().len(), 3);
        for font in &marianne.fonts {
            assert!(marianne
                .stylesheet()
                .contains(&format!("url({})", font.name)));
        }
        assert!(marianne.stylesheet().ends_with("}\n"));
    }

    /// The stylesheet loads nothing more: every `url()` is a data URI (icons, the Marianne
    /// block), but the font files of the Marianne option.
    #[test]
    fn the_stylesheet_asks_for_no_other_file() {
        let css = SiteAssets::new(false).stylesheet().to_string();
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

    /// Every DSFR class a template names has its rules in the stylesheet: a template changed
    /// without `assets/dsfr/build.mjs` run again fails here.
    #[test]
    fn every_dsfr_class_of_the_templates_is_in_the_stylesheet() {
        let css = SiteAssets::new(false).stylesheet().to_string();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in walk(&dir) {
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
