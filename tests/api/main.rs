//! Organiser API and store, against the real server on a random port, on SQLite and (when
//! not ignored) PostgreSQL.

mod helpers;
mod smtp;

mod addresses;
mod auth;
mod bad_input;
mod browser;
mod calendar;
mod connections;
mod console;
mod console_browser;
mod events;
mod export;
mod import;
mod listing;
mod mail;
mod operations;
mod pages;
mod people;
mod processes;
mod registrations;
mod relay;
mod store;
mod subscribers;
mod xss;
