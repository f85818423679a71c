//! Rendering iCalendar feeds from the store, one session at a time, with a memo and snapshots.
//!
//! Its own module, between `store` and `publish`: it reads the store and saves snapshots there,
//! and writes with `publish::ical`, so it belongs to neither — `store` holds queries only and
//! `publish` renders values without knowing where they come from.
//!
//! Each session's VEVENT is written once and kept, keyed by the session's last change
//! (`updated_at`, which every visible change moves — including a speaker's or a series' rename).
//! Rendering a feed again after a write reads only the feed's ids and change times, writes the
//! VEVENTs of the sessions that changed, and joins the rest as they were.
//!
//! Across processes, two layers. Every content write keeps its sessions' VEVENTs beside them in
//! the database (`store::VeventWriter`, set at start by [`StoreWriter`]), so a render that
//! finds nothing in its memo joins those rather than writing them: VEVENTs written here anyway
//! (sessions stored before, or under other settings) are kept there for the next process.
//!
//! And a feed rendered from scratch, and every feed rendered at shutdown, is saved
//! to the database with the content version it was read at ([`FeedSnapshot`]). The first render
//! of that feed by a new process serves the snapshot if no content write happened since, and
//! warms the memo from it, so neither that render nor the next one after an edit has to write
//! every VEVENT again.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::publish::ical::{self, CalendarSettings};
use crate::store::{FeedQuery, FeedSnapshot, Store, StoreError};

/// Kept VEVENTs beyond which the memo starts over (about 1.5 KB each).
const MAX_KEPT: usize = 50_000;
/// A render that wrote at least this many VEVENTs saves its result as a snapshot.
const SAVE_AFTER_WRITING: usize = 200;
/// Feeds remembered as already looked up, beyond which the set starts over.
const MAX_LOOKED_UP: usize = 1024;
/// Snapshots not saved again for this long are dropped.
const SNAPSHOT_KEEP_DAYS: i64 = 30;

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
    /// How many VEVENTs were read from those kept beside the sessions in the database.
    pub stored: usize,
    /// Whether the text is a snapshot saved by an earlier process.
    pub from_snapshot: bool,
}

/// A session's VEVENT and the `updated_at` it was written for.
type Kept = (DateTime<Utc>, Arc<str>);

/// A feed's VEVENTs in order: session id, the `updated_at` written for, text.
type Part = (String, DateTime<Utc>, Arc<str>);

/// A feed as the renderer joined it: what a snapshot needs.
struct Joined {
    version: i64,
    text: FeedText,
    parts: Vec<Part>,
}

/// VEVENTs by session id, and which feeds this process has looked for a snapshot of.
#[derive(Default)]
pub struct FeedRenderer {
    vevents: Mutex<HashMap<String, Kept>>,
    looked_up: Mutex<HashSet<String>>,
}

/// What a feed's snapshot is stored under: everything its bytes depend on besides the content.
pub fn snapshot_key(
    settings: &CalendarSettings,
    name: &str,
    query: &FeedQuery,
    window: chrono::Duration,
) -> String {
    let described = format!(
        "{}\n{settings:?}\n{name}\n{query:?}\n{}",
        env!("CARGO_PKG_VERSION"),
        window.num_seconds()
    );
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(described.as_bytes()))
}

/// What a session's kept VEVENT is stored under: everything its bytes depend on besides the
/// session.
pub fn vevent_key(settings: &CalendarSettings) -> String {
    let described = format!("{}\n{settings:?}", env!("CARGO_PKG_VERSION"));
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(described.as_bytes()))
}

/// Writes the VEVENTs content transactions keep beside their sessions, as the feeds do.
pub struct StoreWriter {
    settings: CalendarSettings,
    key: String,
}

impl StoreWriter {
    pub fn new(settings: CalendarSettings) -> StoreWriter {
        StoreWriter {
            key: vevent_key(&settings),
            settings,
        }
    }
}

impl crate::store::VeventWriter for StoreWriter {
    fn key(&self) -> &str {
        &self.key
    }

    fn write(&self, event: &crate::domain::Event) -> Option<String> {
        ical::vevent_text(&self.settings, event)
    }
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
        let key = snapshot_key(settings, name, query, window);
        let first_look = {
            let mut looked_up = self.looked_up.lock().map_err(|_| poisoned())?;
            // Filters come from URLs anyone can write: the set starts over rather than grow.
            if looked_up.len() >= MAX_LOOKED_UP {
                looked_up.clear();
            }
            looked_up.insert(key.clone())
        };
        if first_look {
            if let Some(text) = self.load_snapshot(store, &key, now).await? {
                return Ok(text);
            }
        }
        let joined = self.join(store, settings, name, query, now, window).await?;
        if joined.text.written >= SAVE_AFTER_WRITING {
            // A render that cost this much is worth keeping for the next start.
            let store = store.clone();
            let snapshot = snapshot(key, &joined);
            tokio::spawn(async move { save(&store, &snapshot).await });
        }
        Ok(joined.text)
    }

    /// Renders the feed and saves it as a snapshot now (at shutdown: the memo is warm, so this
    /// costs about as much as a render after an edit).
    pub async fn save_snapshot(
        &self,
        store: &Store,
        settings: &CalendarSettings,
        name: &str,
        query: &FeedQuery,
        window: chrono::Duration,
    ) -> Result<(), StoreError> {
        let joined = self
            .join(store, settings, name, query, Utc::now(), window)
            .await?;
        let key = snapshot_key(settings, name, query, window);
        store
            .save_feed_snapshot(
                &snapshot(key, &joined),
                chrono::Duration::days(SNAPSHOT_KEEP_DAYS),
            )
            .await
    }

    /// The saved rendering of this feed, if nothing changed since it was made; its VEVENTs
    /// are kept for later renders.
    async fn load_snapshot(
        &self,
        store: &Store,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedText>, StoreError> {
        // The version first: a write landing after it makes the snapshot look older, never newer.
        let version = store.content_version().await?;
        let snapshot = match store.feed_snapshot(key, version).await {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return Ok(None),
            Err(err) => {
                tracing::warn!(error = %err, "cannot read a feed snapshot; rendering instead");
                return Ok(None);
            }
        };
        // Read at `version` only; one that expired by itself is rendered anew.
        if snapshot.expires.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        let Some(parts) = split_parts(&snapshot) else {
            tracing::warn!(
                key,
                "a feed snapshot does not match its own index; rendering instead"
            );
            return Ok(None);
        };
        let written = {
            let mut kept = self.vevents.lock().map_err(|_| poisoned())?;
            if kept.len() + parts.len() > MAX_KEPT {
                kept.clear();
            }
            for (id, at, text) in parts {
                match kept.get(&id) {
                    Some((current, _)) if *current >= at => {}
                    _ => {
                        kept.insert(id, (at, text));
                    }
                }
            }
            0
        };
        Ok(Some(FeedText {
            text: snapshot.body,
            last_change: snapshot.last_change,
            expires: snapshot.expires,
            written,
            stored: 0,
            from_snapshot: true,
        }))
    }

    async fn join(
        &self,
        store: &Store,
        settings: &CalendarSettings,
        name: &str,
        query: &FeedQuery,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<Joined, StoreError> {
        // Read before the data, like the in-memory generation: see `load_snapshot`.
        let version = store.content_version().await?;
        let key = vevent_key(settings);
        let empty = self.vevents.lock().map_err(|_| poisoned())?.is_empty();
        // With nothing in memory (a new process), the kept VEVENTs come with the list, in one
        // read; otherwise only those of the sessions that changed are read, below.
        let (data, joined) = if empty {
            store
                .feed_events_with_vevents(query, now, window, &key)
                .await?
        } else {
            (store.feed_events(query, now, window).await?, Vec::new())
        };
        let mut stored = 0;
        let mut parts: Vec<Option<Kept>> = {
            let kept = self.vevents.lock().map_err(|_| poisoned())?;
            let mut joined = joined.into_iter();
            data.entries
                .iter()
                .map(|entry| {
                    if let Some(text) = joined.next().flatten() {
                        stored += 1;
                        return Some((entry.updated_at, text));
                    }
                    match kept.get(&entry.id) {
                        Some((at, text)) if *at == entry.updated_at => Some((*at, text.clone())),
                        _ => None,
                    }
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
        let mut written = 0;
        if !missing.is_empty() {
            let mut fresh: HashMap<String, Kept> = HashMap::new();
            // First the VEVENTs kept beside the sessions, if written under these settings.
            let wanted: Vec<(&str, DateTime<Utc>)> = data
                .entries
                .iter()
                .zip(&parts)
                .filter(|(_, part)| part.is_none())
                .map(|(entry, _)| (entry.id.as_str(), entry.updated_at))
                .collect();
            let by_id: HashMap<&str, DateTime<Utc>> = wanted.iter().copied().collect();
            for (id, text) in store.stored_vevents(&key, &wanted).await? {
                if let Some(at) = by_id.get(id.as_str()) {
                    fresh.insert(id, (*at, Arc::from(text)));
                }
            }
            stored += fresh.len();
            let unwritten: Vec<String> = missing
                .into_iter()
                .filter(|id| !fresh.contains_key(id))
                .collect();
            let mut keep = Vec::new();
            for event in store.events_by_ids(&unwritten).await? {
                if let Some(text) = ical::vevent_text(settings, &event) {
                    let text: Arc<str> = Arc::from(text);
                    keep.push((event.id.clone(), event.updated_at, text.clone()));
                    fresh.insert(event.id.clone(), (event.updated_at, text));
                }
            }
            written = keep.len();
            if !keep.is_empty() {
                // Kept for the next process too (sessions stored before the writer was set,
                // or under other settings).
                let store = store.clone();
                tokio::spawn(async move {
                    if let Err(err) = store.keep_vevents(&key, &keep).await {
                        tracing::warn!(error = %err, "cannot keep written VEVENTs");
                    }
                });
            }
            for (entry, part) in data.entries.iter().zip(parts.iter_mut()) {
                if part.is_none() {
                    // A session changed since the id list was read shows its newer state; the
                    // write that changed it has already made this rendering stale.
                    *part = fresh.get(&entry.id).cloned();
                }
            }
            let mut kept = self.vevents.lock().map_err(|_| poisoned())?;
            if kept.len() + fresh.len() > MAX_KEPT {
                kept.clear();
            }
            kept.extend(fresh);
        }
        let parts: Vec<Part> = data
            .entries
            .iter()
            .zip(parts)
            .filter_map(|(entry, part)| part.map(|(at, text)| (entry.id.clone(), at, text)))
            .collect();
        if stored > 0 {
            // The VEVENTs read from the database stay in memory for the next render.
            let mut kept = self.vevents.lock().map_err(|_| poisoned())?;
            if kept.len() + parts.len() > MAX_KEPT {
                kept.clear();
            }
            for (id, at, text) in &parts {
                match kept.get(id) {
                    Some((current, _)) if current >= at => {}
                    _ => {
                        kept.insert(id.clone(), (*at, text.clone()));
                    }
                }
            }
        }
        let texts: Vec<&str> = parts.iter().map(|(_, _, text)| &**text).collect();
        let text = ical::feed_from_parts(settings, name, &texts);
        Ok(Joined {
            version,
            text: FeedText {
                text,
                last_change: data.last_change,
                expires: data.entries.iter().map(|e| e.leaves_at).min(),
                written,
                stored,
                from_snapshot: false,
            },
            parts,
        })
    }
}

fn snapshot(key: String, joined: &Joined) -> FeedSnapshot {
    let mut index = String::with_capacity(joined.parts.len() * 64);
    for (id, at, text) in &joined.parts {
        // Ids are UUIDs: no tab or newline in them.
        let _ = writeln!(index, "{id}\t{}\t{}", at.timestamp_micros(), text.len());
    }
    FeedSnapshot {
        key,
        version: joined.version,
        last_change: joined.text.last_change,
        expires: joined.text.expires,
        body: joined.text.text.clone(),
        parts: index,
    }
}

async fn save(store: &Store, snapshot: &FeedSnapshot) {
    let keep_for = chrono::Duration::days(SNAPSHOT_KEEP_DAYS);
    if let Err(err) = store.save_feed_snapshot(snapshot, keep_for).await {
        tracing::warn!(error = %err, "cannot save a feed snapshot");
    }
}

/// The VEVENTs of a snapshot's body, by its index; `None` if the two disagree.
fn split_parts(snapshot: &FeedSnapshot) -> Option<Vec<Part>> {
    let mut index = Vec::new();
    let mut total = 0usize;
    for line in snapshot.parts.lines() {
        let mut fields = line.split('\t');
        let id = fields.next()?;
        let at = DateTime::from_timestamp_micros(fields.next()?.parse().ok()?)?;
        let len: usize = fields.next()?.parse().ok()?;
        total = total.checked_add(len)?;
        index.push((id, at, len));
    }
    let body = snapshot.body.strip_suffix(ical::END_CALENDAR)?;
    let mut at = body.len().checked_sub(total)?;
    let mut out = Vec::with_capacity(index.len());
    for (id, updated_at, len) in index {
        let text = body.get(at..at + len)?;
        if !text.starts_with("BEGIN:VEVENT\r\n") || !text.ends_with("END:VEVENT\r\n") {
            return None;
        }
        out.push((id.to_string(), updated_at, Arc::from(text)));
        at += len;
    }
    Some(out)
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("the feed renderer's memo lock is poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_splits_back_into_its_vevents() {
        let a = "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n";
        let b = "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:é\r\nEND:VEVENT\r\n";
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let snapshot = FeedSnapshot {
            key: "k".into(),
            version: 3,
            last_change: None,
            expires: None,
            body: format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{a}{b}END:VCALENDAR\r\n"),
            parts: format!(
                "a\t{0}\t{1}\nb\t{0}\t{2}\n",
                at.timestamp_micros(),
                a.len(),
                b.len()
            ),
        };
        let parts = split_parts(&snapshot).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[1].0.as_str(), parts[1].1, &*parts[1].2),
            ("b", at, b)
        );

        // An index that does not fit the body is refused, not trusted.
        let mut bad = snapshot.clone();
        bad.parts = format!("a\t0\t{}\nb\t0\t{}\n", a.len() + 1, b.len() - 1);
        assert!(split_parts(&bad).is_none());
        bad.parts = format!("a\t0\t{}\n", a.len() + b.len() + 40);
        assert!(split_parts(&bad).is_none());
    }
}
