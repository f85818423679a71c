//! Publishing: what subscribers and visitors read, rendered from the store.
//!
//! - `eleventy`: Markdown files for the team's Eleventy site;
//! - `atom`: the news feed of sessions and videos;
//! - `ical`: iCalendar feeds and per-session files;
//! - `feed`: feeds rendered from the store, each session's VEVENT written once per change;
//! - `markdown`: session bodies to safe HTML;
//! - `rendered`: a rendered document with its validators and compressed forms, as caches keep it.

pub mod atom;
pub mod eleventy;
pub mod feed;
pub mod ical;
pub mod markdown;
pub mod pages;
pub mod rendered;

pub use rendered::Rendered;

// French wording lives in `domain::french`; kept under its old name for `eleventy`'s import.
pub(crate) use crate::domain::french;
