//! `/actualites.atom`: published sessions and videos as an Atom feed (RFC 4287), newest first.

use atom_syndication::{Category, Content, Entry, Feed, Link, Person, Text};
use chrono::{DateTime, Utc};

use crate::domain::french;
use crate::domain::urls::PublicUrls;
use crate::domain::{Event, EventStatus};

/// Entries in the feed.
pub const ENTRIES: u32 = 50;

/// The feed of `events` (newest first), under `base_url`.
/// `content_base` resolves the paths bodies link to (`content.base_url`).
pub fn feed(
    title: &str,
    author: &str,
    base_url: &str,
    content_base: Option<&url::Url>,
    events: &[Event],
) -> String {
    let urls = PublicUrls::new(base_url);
    let updated = events
        .iter()
        .map(|e| e.updated_at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut feed = Feed::default();
    feed.set_title(Text::plain(format!("{title} — actualités")));
    feed.set_id(urls.atom_feed());
    feed.set_updated(updated.fixed_offset());
    feed.set_lang(Some("fr".to_string()));
    feed.set_authors(vec![person(author)]);
    feed.set_links(vec![
        link(&urls.atom_feed(), "self", "application/atom+xml"),
        link(&urls.home(), "alternate", "text/html"),
    ]);
    feed.set_entries(
        events
            .iter()
            .map(|e| entry(e, urls, content_base))
            .collect::<Vec<_>>(),
    );
    let mut out = feed.to_string();
    if !out.starts_with("<?xml") {
        out.insert_str(0, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    }
    out
}

fn person(name: &str) -> Person {
    let mut person = Person::default();
    person.set_name(name.to_string());
    person
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    let mut link = Link::default();
    link.set_href(href.to_string());
    link.set_rel(rel.to_string());
    link.set_mime_type(Some(mime.to_string()));
    link
}

fn entry(event: &Event, urls: PublicUrls, content_base: Option<&url::Url>) -> Entry {
    let page = urls.event_page(&event.slug);
    let mut entry = Entry::default();
    let prefix = if event.status == EventStatus::Cancelled {
        "Annulé : "
    } else {
        ""
    };
    entry.set_title(Text::plain(format!("{prefix}{}", event.title)));
    // The session's id never changes, whatever happens to its slug or title.
    entry.set_id(format!("urn:uuid:{}", event.id));
    entry.set_updated(event.updated_at.fixed_offset());
    if let Some(published) = event.published_at {
        entry.set_published(Some(published.fixed_offset()));
    }
    entry.set_links(vec![link(&page, "alternate", "text/html")]);
    let when = french::when(event.schedule.as_ref(), event.timezone);
    let summary = [when, event.summary.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" — ");
    if !summary.is_empty() {
        entry.set_summary(Some(Text::plain(summary)));
    }
    let mut content = Content::default();
    content.set_content_type(Some("html".to_string()));
    content.set_value(Some(super::markdown::to_html(&event.body, content_base)));
    if !event.body.trim().is_empty() {
        entry.set_content(Some(content));
    }
    entry.set_categories(
        event
            .tags
            .iter()
            .map(|tag| {
                let mut category = Category::default();
                category.set_term(tag.clone());
                category
            })
            .collect::<Vec<_>>(),
    );
    entry
}
