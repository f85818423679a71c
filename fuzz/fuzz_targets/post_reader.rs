//! The Eleventy post reader: front matter (`importer::frontmatter::Post::parse`) and the whole
//! dry run of one post (`importer::dry_run_text`: front matter, Markdown, French prose).
//!
//! Properties: nothing panics on any text; the body the front matter reader keeps is the end of
//! the text as written; a dry run either reads a session (webinar, event or video, with no
//! reason and the session's document, whose end follows its start) or skips the post and says
//! why, and a post whose front matter cannot be read is always skipped.
#![no_main]

use chrono::{DateTime, NaiveDate};
use eventail::importer::{dry_run_text, frontmatter::Post, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = Post::parse(text);
    if let Ok(post) = &parsed {
        assert!(text.ends_with(post.body.as_str()), "{:?}", post.body);
    }

    let options = Options {
        timezone: chrono_tz::Europe::Paris,
        today: NaiveDate::from_ymd_opt(2024, 6, 1).expect("a day"),
    };
    let report = dry_run_text("posts/fuzz.md", text, &options);
    match report.outcome.as_str() {
        "skipped" => assert!(report.reason.is_some(), "skipped without a reason"),
        "webinar" | "event" | "video" => {
            assert!(
                parsed.is_ok(),
                "read a session from unreadable front matter"
            );
            assert!(report.reason.is_none(), "{:?}", report.reason);
            let event = report.event.as_ref().expect("the session read");
            let instant = |key: &str| {
                event[key]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            };
            if let (Some(start), Some(end)) = (instant("starts_at"), instant("ends_at")) {
                assert!(start < end, "{start} .. {end}");
            }
        }
        other => panic!("unknown outcome {other:?}"),
    }
});
