//! Publishing: what subscribers and visitors read, rendered from the store.
//!
//! - `ical`: iCalendar feeds and per-session files;
//! - `feed`: feeds rendered from the store, each session's VEVENT written once per change;
//! - `rendered`: a rendered document with its validators and compressed forms, as caches keep it.

pub mod feed;
pub mod ical;
pub mod rendered;

pub use rendered::Rendered;
