//! A post `eventail publish --format eleventy` wrote: its front matter's `eventail:` record
//! holds the session exactly (times, speakers with their roles, programme, links, access), so
//! it is read as written, not guessed from the text; the details eventail wrote under the
//! body, between its markers, are dropped (the next export writes them again).

use chrono::NaiveDate;

use super::{file_slug, Extraction, Outcome, SourcePath};
use crate::domain::event::{EventInput, SeriesInput};
use crate::domain::EventKind;
use crate::importer::frontmatter::Post;
use crate::publish::eleventy::{DETAILS_END, DETAILS_START};

/// The keys of the record: those of the API's session that the site's own keys do not hold.
const KEYS: [&str; 12] = [
    "kind",
    "status",
    "timezone",
    "starts_at",
    "ends_at",
    "speakers",
    "programme",
    "tags",
    "links",
    "registration_required",
    "capacity",
    "recording_planned",
];

/// Reads the post from its record, or says why the record cannot be read.
pub(super) fn extract(post: &Post, source: &str, published_on: Option<NaiveDate>) -> Extraction {
    let skipped = |why: String| Extraction::skipped(why, Vec::new());
    let Some(serde_json::Value::Object(record)) = post.json("eventail") else {
        return skipped(
            "unreadable: the front matter's eventail record is not a list of keys".into(),
        );
    };
    if let Some(unknown) = record.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return skipped(format!(
            "unreadable: the front matter's eventail record has an unknown key \u{ab} {unknown} \u{bb}"
        ));
    }
    let mut input: EventInput = match serde_json::from_value(serde_json::Value::Object(record)) {
        Ok(input) => input,
        Err(e) => {
            return skipped(format!(
                "unreadable: the front matter's eventail record: {e}"
            ))
        }
    };
    let kind = match input.kind.as_deref().map(EventKind::parse) {
        Some(Ok(kind)) => kind,
        Some(Err(e)) => {
            return skipped(format!(
                "unreadable: the front matter's eventail record: {e}"
            ))
        }
        None => {
            return skipped("unreadable: the front matter's eventail record names no kind".into())
        }
    };
    let cancelled = input.status.as_deref() == Some("cancelled");
    input.title = post.text("title").map(|title| {
        match title.strip_prefix("Annulé : ").filter(|_| cancelled) {
            Some(rest) => rest.to_string(),
            None => title,
        }
    });
    input.summary = post.text("description");
    input.published_on = published_on.map(|d| d.to_string());
    input.location = post.text("location");
    input.series = post.text("series").map(|title| SeriesInput::Named {
        slug: None,
        title: Some(title),
    });
    input.episode = post.text("episode").and_then(|n| n.parse().ok());
    input.image = post.text("image").or_else(|| post.text("image.path"));
    input.slug = file_slug(&SourcePath::new(source));
    input.body = Some(without_details(&post.body));
    Extraction {
        outcome: Outcome::Session(kind),
        input: Some(input),
        warnings: Vec::new(),
    }
}

/// The body without the details eventail wrote under it.
fn without_details(body: &str) -> String {
    let kept = match body.rfind(DETAILS_START) {
        Some(start) if body[start..].contains(DETAILS_END) => &body[..start],
        _ => body,
    };
    kept.trim().to_string()
}
