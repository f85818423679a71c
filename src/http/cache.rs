//! Rendered responses kept in memory: the feeds, per-session files, pages and the Atom feed
//! share one cache, each entry valid for one store generation.
//!
//! An entry is kept until the store's change counter moves (any write here, or another
//! instance's write on PostgreSQL) or until its content changes by itself (a session ages out,
//! a page's "upcoming" moves). When the store cannot vouch for its counter, nothing is kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::AppState;
use crate::publish::Rendered;
use crate::store::FeedQuery;

/// Most renderings kept; past it the cache starts over (filters come from URLs anyone can make).
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum CacheKey {
    Feed(FeedQuery),
    Event(String),
    /// A public page, by path.
    Page(String),
}

struct Entry {
    generation: u64,
    /// When the content changes by itself (a session ages out), if ever.
    expires: Option<DateTime<Utc>>,
    rendered: Arc<Rendered>,
}

/// Rendered feeds, files and pages, valid for one store generation.
#[derive(Default)]
pub struct RenderedCache {
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

impl RenderedCache {
    fn get(&self, key: &CacheKey, generation: u64, now: DateTime<Utc>) -> Option<Cached> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        let fresh = entry.generation == generation && entry.expires.is_none_or(|at| now < at);
        fresh.then(|| Cached {
            rendered: entry.rendered.clone(),
            expires: entry.expires,
        })
    }

    fn put(&self, key: CacheKey, entry: Entry) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, entry);
        }
    }
}

/// A valid rendering from the cache, and when it changes by itself.
pub(super) struct Cached {
    pub rendered: Arc<Rendered>,
    pub expires: Option<DateTime<Utc>>,
}

/// The rendering kept under `key`, if still valid at `generation` and `now`.
pub(super) fn cached(
    state: &AppState,
    key: &CacheKey,
    generation: u64,
    now: DateTime<Utc>,
) -> Option<Arc<Rendered>> {
    cached_until(state, key, generation, now).map(|c| c.rendered)
}

/// `cached`, with the rendering's expiry.
pub(super) fn cached_until(
    state: &AppState,
    key: &CacheKey,
    generation: u64,
    now: DateTime<Utc>,
) -> Option<Cached> {
    if !state.store.changes().is_trusted() {
        state.metrics.render_cache(false);
        return None;
    }
    let found = state.rendered.get(key, generation, now);
    state.metrics.render_cache(found.is_some());
    found
}

/// Keeps `rendered` under `key` for `generation` (and until `expires`, if set).
pub(super) fn remember(
    state: &AppState,
    key: CacheKey,
    generation: u64,
    expires: Option<DateTime<Utc>>,
    rendered: &Arc<Rendered>,
) {
    if state.store.changes().is_trusted() {
        state.rendered.put(
            key,
            Entry {
                generation,
                expires,
                rendered: rendered.clone(),
            },
        );
    }
}
