//! Publishing: what subscribers and visitors read, rendered from domain values. Nothing here
//! reads the store or knows about HTTP; callers hand in the sessions.
//!
//! - `eleventy`: Markdown files for the team's Eleventy site;
//! - `atom`: the news feed of sessions and videos;
//! - `charts`: bar charts as accessible SVG for the console;
//! - `folder`: an export folder replaced whole, through a staging folder beside it;
//! - `ical`: iCalendar feeds and per-session files;
//! - `markdown`: session bodies to safe HTML;
//! - `pages`: sessions as the page templates read them;
//! - `rendered`: a rendered document with its validators and compressed forms, as caches keep it;
//! - `site`: the page frame's words and links (DSFR header, footer, RGPD notice of forms).

pub mod atom;
pub mod charts;
pub mod eleventy;
pub mod folder;
pub mod ical;
pub mod markdown;
pub mod pages;
pub mod rendered;
pub mod site;

pub use rendered::Rendered;
