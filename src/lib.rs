//! eventail: schedules and publishes webinars and video episodes.
//!
//! `domain` holds the event model and its rules, `store` persists it (SQLite or PostgreSQL),
//! `http` serves the organiser API, `importer` reads the team's Eleventy posts; `startup` builds the application from `config`, and `cli`
//! is the command line.

pub mod cli;
pub mod config;
pub mod domain;
pub mod feeds;
pub mod http;
pub mod importer;
pub mod mailer;
pub mod metrics;
pub mod publish;
pub mod server;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
