//! Session bodies: Markdown (CommonMark with tables and strikethrough) to HTML, then sanitised.
//!
//! The team's posts carry raw HTML (DSFR callouts and buttons, iframes of video hosts). What is
//! safe stays — structure, classes, links, images, `title`/`aria-*` attributes — and what could
//! run or track goes: scripts and styles, event handlers such as `onclick`, `javascript:` and
//! other unexpected URL schemes, iframes (videos get their own click-to-load facade).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

fn sanitiser(base: Option<&url::Url>) -> &'static ammonia::Builder<'static> {
    static PLAIN: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    // One per base (in practice the one of `content.base_url`), built once and kept.
    static WITH_BASE: OnceLock<Mutex<HashMap<String, &'static ammonia::Builder<'static>>>> =
        OnceLock::new();
    let Some(base) = base else {
        return PLAIN.get_or_init(|| builder(None));
    };
    let mut cache = WITH_BASE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry(base.as_str().to_string())
        .or_insert_with(|| Box::leak(Box::new(builder(Some(base.clone())))))
}

/// Resolves paths (`/docs/guide.pdf`) against the team's site; anything else stays.
struct SitePaths(url::Url);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for SitePaths {
    fn evaluate<'url>(&self, url: &'url str) -> Option<std::borrow::Cow<'url, str>> {
        Some(match on_site(url, &self.0) {
            Some(resolved) => std::borrow::Cow::Owned(resolved),
            None => std::borrow::Cow::Borrowed(url),
        })
    }
}

/// A path on the team's site (`/docs/guide.pdf`) as an address under `base`; `None` for
/// anything else (full addresses, anchors, other relative links).
pub fn on_site(url: &str, base: &url::Url) -> Option<String> {
    if url.starts_with('/') && !url.starts_with("//") && !url.contains('\\') {
        return base.join(url).ok().map(String::from);
    }
    None
}

fn builder(base: Option<url::Url>) -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        // No `id`, `role` or `aria-hidden`: a body must not duplicate the page's ids or
        // landmarks, nor hide focusable links. The page's own h1 is the only one.
        .add_generic_attributes([
            "class",
            "title",
            "lang",
            "aria-label",
            "aria-labelledby",
            "aria-describedby",
        ])
        .rm_tags(["h1"])
        .add_tags(["figure", "figcaption", "section", "details", "summary"])
        .add_tag_attributes("a", ["target"])
        .add_tag_attributes("img", ["loading"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .link_rel(Some("noopener noreferrer"));
    if let Some(base) = base {
        // Imported posts write links to the team's site as paths (/docs/guide.pdf): those go
        // to it; anchors (#section) and other relative links stay as written.
        builder.url_relative(ammonia::UrlRelative::Custom(Box::new(SitePaths(base))));
    }
    builder
}

/// The body as safe HTML.
/// Relative links resolve against `base` (the team's site) when one is given.
pub fn to_html(markdown: &str, base: Option<&url::Url>) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    // Markdown's level-1 headings become level 2: the page's title is its only h1.
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
            Event::End(TagEnd::Heading(HeadingLevel::H2))
        }
        other => other,
    });
    html::push_html(&mut raw, events);
    sanitiser(base).clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn safe_markup_stays_and_what_could_run_goes() {
        let body = "## Programme\n\n- Accueil « café »\n- **Démonstration**\n\n\
            <div class=\"fr-callout\"><p class=\"fr-callout__text\">Inscription gratuite</p>\
            <a class=\"fr-btn\" href=\"https://forms.example.org/s\" onclick=\"track()\">S'inscrire</a></div>\n\n\
            <script>alert(1)</script>\n\n[lien](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n\
            <iframe src=\"https://www.dailymotion.com/embed/video/x8\"></iframe>";
        let html = to_html(body, None);
        assert!(html.contains("<h2>Programme</h2>"), "{html}");
        assert!(html.contains("<li>Accueil « café »</li>"), "{html}");
        assert!(html.contains("<div class=\"fr-callout\">"), "{html}");
        assert!(html.contains("class=\"fr-btn\""), "{html}");
        assert!(
            html.contains("href=\"https://forms.example.org/s\""),
            "{html}"
        );
        for gone in [
            "onclick",
            "track()",
            "<script",
            "alert(1)",
            "javascript:",
            "onerror",
            "<iframe",
        ] {
            assert!(!html.contains(gone), "{gone} left in {html}");
        }
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }

    #[test]
    fn bodies_cannot_add_a_title_or_duplicate_ids_and_landmarks() {
        let html = to_html("# Titre\n\n<h1>Autre</h1>\n\n<p id=\"contenu\" role=\"main\">x</p>\n\n<nav aria-labelledby=\"t\"><a aria-hidden=\"true\" href=\"https://a.fr\">a</a></nav>", None);
        assert!(!html.contains("<h1"), "{html}");
        assert!(html.contains("<h2>Titre</h2>"), "{html}");
        for gone in ["id=\"contenu\"", "role=", "aria-hidden"] {
            assert!(!html.contains(gone), "{gone} in {html}");
        }
        assert!(html.contains("aria-labelledby=\"t\""), "{html}");
    }

    #[test]
    fn paths_resolve_against_the_team_s_site() {
        let base = url::Url::parse("https://site.example.gouv.fr/").expect("url");
        let html = to_html(
            "[Guide](/docs/guide.pdf) <a href=\"/publications/x/\">x</a> [Ailleurs](https://autre.example.org/a) ![Visuel](/img/a.png)",
            Some(&base),
        );
        assert!(
            html.contains("href=\"https://site.example.gouv.fr/docs/guide.pdf\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://site.example.gouv.fr/publications/x/\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://autre.example.org/a\""),
            "{html}"
        );
        assert!(
            html.contains("src=\"https://site.example.gouv.fr/img/a.png\""),
            "{html}"
        );
        // Anchors stay on the page.
        assert!(to_html("[Plus bas](#suite)", Some(&base)).contains("href=\"#suite\""));
        // Without a base, paths stay as written.
        assert!(to_html("[Guide](/docs/guide.pdf)", None).contains("href=\"/docs/guide.pdf\""));
    }
}
