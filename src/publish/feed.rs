//! Rendering feeds from the store, one session at a time.
//!
//! Each session's VEVENT is written once and kept, keyed by the session's last change
//! (`updated_at`, which every visible change moves — including a speaker's or a series' rename).
//! Rendering a feed again after a write reads only the feed's ids and change times, writes the
//! VEVENTs of the sessions that changed, and joins the rest as they were.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::ical::{self, CalendarSettings};
use crate::store::{FeedQuery, Store, StoreError};

/// Kept VEVENTs beyond which the memo starts over (about 1.5 KB each).
const MAX_KEPT: usize = 50_000;

/// A rendered feed and what decides how long it holds.
#[derive(Debug)]
pub struct FeedText {
    pub text: String,
    /// Last-Modified: see `FeedData::last_change`.
    pub last_change: Option<DateTime<Utc>>,
    /// When a session leaves the feed by ageing, making this text out of date by itself.
    pub expires: Option<DateTime<Utc>>,
    /// How many VEVENTs had to be written (the others were kept from earlier renderings).
    pub written: usize,
}

/// A session's VEVENT and the `updated_at` it was written for.
type Kept = (DateTime<Utc>, Arc<str>);

/// VEVENTs by session id.
#[derive(Default)]
pub struct FeedRenderer {
    vevents: Mutex<HashMap<String, Kept>>,
}

impl FeedRenderer {
    pub async fn render(
        &self,
        store: &Store,
        settings: &CalendarSettings,
        name: &str,
        query: &FeedQuery,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<FeedText, StoreError> {
        let data = store.feed_events(query, now, window).await?;
        let mut parts: Vec<Option<Arc<str>>> = {
            let kept = self.vevents.lock().map_err(|_| poisoned())?;
            data.entries
                .iter()
                .map(|entry| match kept.get(&entry.id) {
                    Some((at, text)) if *at == entry.updated_at => Some(text.clone()),
                    _ => None,
                })
                .collect()
        };
        let missing: Vec<String> = data
            .entries
            .iter()
            .zip(&parts)
            .filter(|(_, part)| part.is_none())
            .map(|(entry, _)| entry.id.clone())
            .collect();
        let written = missing.len();
        if !missing.is_empty() {
            let mut fresh: HashMap<String, Kept> = HashMap::new();
            for event in store.events_by_ids(&missing).await? {
                if let Some(text) = ical::vevent_text(settings, &event) {
                    fresh.insert(event.id.clone(), (event.updated_at, Arc::from(text)));
                }
            }
            for (entry, part) in data.entries.iter().zip(parts.iter_mut()) {
                if part.is_none() {
                    // A session changed since the id list was read shows its newer state; the
                    // write that changed it has already made this rendering stale.
                    *part = fresh.get(&entry.id).map(|(_, text)| text.clone());
                }
            }
            let mut kept = self.vevents.lock().map_err(|_| poisoned())?;
            if kept.len() + fresh.len() > MAX_KEPT {
                kept.clear();
            }
            kept.extend(fresh);
        }
        let parts: Vec<Arc<str>> = parts.into_iter().flatten().collect();
        let text = ical::feed_from_parts(settings, name, &parts);
        Ok(FeedText {
            text,
            last_change: data.last_change,
            expires: data.entries.iter().map(|e| e.leaves_at).min(),
            written,
        })
    }
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("the feed renderer's memo lock is poisoned".into())
}
