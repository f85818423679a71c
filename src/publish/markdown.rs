//! Session bodies: Markdown (CommonMark with tables and strikethrough) to HTML, then sanitised.
//!
//! The team's posts carry raw HTML (DSFR callouts and buttons, iframes of video hosts). What is
//! safe stays — structure, classes, links, images, `title`/`aria-*` attributes — and what could
//! run or track goes: scripts and styles, event handlers such as `onclick`, `javascript:` and
//! other unexpected URL schemes, iframes (videos get their own click-to-load facade).
//!
//! Images load with the page, so an image from another host than the team's site would be a
//! third-party request before the visitor asks for anything (against the pages' promise and
//! the team's eco-design rules): those become a link to the image (« Image : » and its
//! description). Images on the team's site (`content.base_url`) and relative ones stay.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use pulldown_cmark::{html, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

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
    let clean = sanitiser(base).clean(&raw).to_string();
    off_site_images_as_links(&clean, base)
}

/// Whether a link written in Markdown may stay a link where another site renders it: a web
/// or mail address, a phone number, or a relative one. Read as browsers read it (the `url`
/// crate follows WHATWG: tabs and line breaks dropped, entities already decoded by the
/// Markdown parser), so `java\tscript:` and `&#106;avascript:` are what they are.
fn safe_destination(destination: &str) -> bool {
    match url::Url::parse(destination) {
        Ok(url) => matches!(url.scheme(), "http" | "https" | "mailto" | "tel"),
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// The Markdown `markdown`, as written but for what another site must not carry: raw HTML
/// (blocks and inline tags) goes through the pages' sanitiser (no script, no event handler,
/// no `javascript:` URL, no iframe), a link or image whose destination is not
/// [`safe_destination`] becomes its text, and such a reference definition goes. For the
/// Eleventy export, whose Markdown the team's site renders with raw HTML allowed.
pub fn sanitise_markdown(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(markdown, options);
    // (range replaced, its replacement), in order, none overlapping.
    let mut patches: Vec<(std::ops::Range<usize>, String)> = parser
        .reference_definitions()
        .iter()
        .filter(|(_, definition)| !safe_destination(&definition.dest))
        .map(|(_, definition)| (definition.span.clone(), String::new()))
        .collect();
    let events: Vec<(Event, std::ops::Range<usize>)> = parser.into_offset_iter().collect();
    let mut covered = 0;
    for (i, (event, range)) in events.iter().enumerate() {
        if range.start < covered {
            continue;
        }
        let replacement = match event {
            Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_) => {
                Some(sanitiser(None).clean(&markdown[range.clone()]).to_string())
            }
            Event::Start(Tag::Link {
                link_type: LinkType::Autolink | LinkType::Email,
                dest_url,
                ..
            }) if !safe_destination(dest_url) => {
                // An autolink's words are its address: nothing is left.
                Some(String::new())
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if !safe_destination(dest_url) =>
            {
                // The link's words, without the link.
                let words: String = events[i + 1..]
                    .iter()
                    .take_while(|(_, inner)| inner.start < range.end)
                    .filter_map(|(inner, _)| match inner {
                        Event::Text(text) | Event::Code(text) => Some(text.to_string()),
                        _ => None,
                    })
                    .collect();
                Some(words)
            }
            _ => None,
        };
        if let Some(replacement) = replacement {
            patches.push((range.clone(), replacement));
            covered = range.end;
        }
    }
    patches.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(markdown.len());
    let mut at = 0;
    for (range, replacement) in patches {
        if range.start < at {
            continue;
        }
        out.push_str(&markdown[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&markdown[at..]);
    out
}

/// Whether an image at `src` may load with the page: a relative address (the page's own
/// host), or one on the team's site.
fn loads_with_the_page(src: &str, base: Option<&url::Url>) -> bool {
    match url::Url::parse(src) {
        Err(url::ParseError::RelativeUrlWithoutBase) => !src.starts_with("//"),
        Err(_) => false,
        Ok(url) => base.is_some_and(|base| url.origin() == base.origin()),
    }
}

/// The value of attribute `name` in `tag` (an `<img …>` as the sanitiser writes it: every value
/// double-quoted, with `"` and `&` escaped inside), still escaped.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[at..].find('"')?;
    Some(&tag[at..at + end])
}

/// Rewrites sanitised HTML: each `<img>` that would load from another host becomes a link to
/// it. The sanitiser's output is regular enough to scan: text holds no raw `<`, comments are
/// gone, and attribute values are double-quoted (a `>` may appear inside one, so the end of a
/// tag is the first `>` outside quotes).
fn off_site_images_as_links(html: &str, base: Option<&url::Url>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<img ") {
        out.push_str(&rest[..start]);
        let tag_and_after = &rest[start..];
        let mut quoted = false;
        let end = tag_and_after
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(tag_and_after.len(), |(i, _)| i + 1);
        let tag = &tag_and_after[..end];
        match attribute(tag, "src") {
            Some(src) if !loads_with_the_page(&src.replace("&amp;", "&"), base) => {
                // The description moves from an attribute to text: `<` and `>` need escaping
                // there (`&` and `"` already are).
                let alt = attribute(tag, "alt")
                    .unwrap_or("")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                let label = if alt.trim().is_empty() {
                    "Voir l'image".to_string()
                } else {
                    format!("Image : {alt}")
                };
                out.push_str(&format!(
                    "<a href=\"{src}\" rel=\"noopener noreferrer\">{label}</a>"
                ));
            }
            _ => out.push_str(tag),
        }
        rest = &tag_and_after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{sanitise_markdown, to_html};

    #[test]
    fn sanitised_markdown_keeps_the_text_and_loses_what_runs() {
        let body = concat!(
            "## Déroulé\n\n",
            "Des **démonstrations**, un [guide](https://example.org/guide) et [nous écrire](mailto:agenda@example.org).\n\n",
            "<div class=\"fr-callout\" onmouseover=\"alert(1)\">\n<p>Accès libre.</p>\n<script>alert(2)</script>\n</div>\n\n",
            "Un <img src=x onerror=alert(3)> en ligne, [un piège](javascript:alert(4)), ",
            "[un autre](&#106;avascript:alert(5)), <JAVASCRIPT:alert(6)>, ![image](<java\tscript:alert(7)>) ",
            "et [une référence][r].\n\n",
            "[r]: javascript:alert(8)\n\n",
            "<iframe src=\"https://tiers.example/\"></iframe>\n\n",
            "Fin.\n",
        );
        let clean = sanitise_markdown(body);
        for kept in [
            "## Déroulé",
            "Des **démonstrations**, un [guide](https://example.org/guide)",
            "[nous écrire](mailto:agenda@example.org)",
            "<p>Accès libre.</p>",
            "un piège, un autre, , image et",
            "et une référence.",
            "Fin.",
        ] {
            assert!(clean.contains(kept), "lost {kept:?}:\n{clean}");
        }
        let lower = clean.to_lowercase();
        for gone in [
            "<script",
            "onmouseover",
            "onerror",
            "javascript",
            "<iframe",
            "alert(8)",
        ] {
            assert!(!lower.contains(gone), "{gone:?} survived:\n{clean}");
        }
        // And the page renderer, fed the sanitised text, finds nothing to take out either.
        assert_eq!(
            to_html(&clean, None),
            to_html(&sanitise_markdown(&clean), None)
        );
        // Markdown without any of it is left as written, byte for byte.
        let plain = "# Titre\n\n* un\n* deux\n\n[lien](/docs/guide.pdf) et <https://example.org>\n";
        assert_eq!(sanitise_markdown(plain), plain);
    }

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
    fn images_from_other_hosts_become_links() {
        let base = url::Url::parse("https://site.example.gouv.fr/").expect("url");
        let body = "![Visuel](/img/a.png) ![Logo](https://site.example.gouv.fr/img/b.webp)\n\n\
            ![Pisteur « x »](https://cdn.tiers.example/p.gif?u=1&v=2) ![](http://autre.example/c.jpg)\n\n\
            <img src=\"https://tiers.example/d.png\" alt='a \"b\" <script>alert(1)</script> c>d' class=\"fr-responsive-img\">\n\n\
            <img src=//protocole.example/e.png alt=e> <img src=\"relatif/f.png\" alt=\"f\">";
        let html = to_html(body, Some(&base));
        // The team's site and relative images stay images.
        assert!(
            html.contains("<img src=\"https://site.example.gouv.fr/img/a.png\" alt=\"Visuel\">"),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"https://site.example.gouv.fr/img/b.webp\""),
            "{html}"
        );
        assert!(html.contains("<img src=\"relatif/f.png\""), "{html}");
        // Others are links, with their description, and load nothing.
        for host in [
            "cdn.tiers.example",
            "autre.example",
            "tiers.example/d",
            "protocole.example",
        ] {
            let img = html
                .split("<img")
                .skip(1)
                .any(|tag| tag.split('>').next().unwrap_or("").contains(host));
            assert!(!img, "{host} still loads: {html}");
        }
        assert!(html.contains("<a href=\"https://cdn.tiers.example/p.gif?u=1&amp;v=2\" rel=\"noopener noreferrer\">Image : Pisteur « x »</a>"), "{html}");
        assert!(html.contains("<a href=\"http://autre.example/c.jpg\" rel=\"noopener noreferrer\">Voir l'image</a>"), "{html}");
        assert!(
            html.contains(
                ">Image : a &quot;b&quot; &lt;script&gt;alert(1)&lt;/script&gt; c&gt;d</a>"
            ),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        // Without the team's site, every absolute image is a link.
        let html = to_html(
            "![Logo](https://site.example.gouv.fr/img/b.webp) ![Local](/img/a.png)",
            None,
        );
        assert!(!html.contains("<img src=\"https://"), "{html}");
        assert!(html.contains("<img src=\"/img/a.png\""), "{html}");
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
