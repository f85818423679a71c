//! Sessions: create, read, list with filters and keyset pagination, update under the lifecycle
//! rules, cancel, delete drafts.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::speakers::{resolve_credits, Credit};
use super::{
    from_micros, from_secs, micros, new_id, series::resolve_series, Backend, Store, StoreError,
    WriteTx,
};
use crate::domain::event::{plan_update, sort_key, RuleViolation, SlugChange};
use crate::domain::notices::notices;
use crate::domain::slug::{candidates, slugify};
use crate::domain::{Change, FieldValues, HistoryAction, HistoryEntry};
use crate::domain::{
    Event, EventKind, EventSpec, EventStatus, Links, Schedule, SeriesSummary, SpeakerCredit,
};

const SELECT_EVENT: &str = "SELECT e.id, e.slug, e.slug_derived, e.kind, e.status, e.title, \
    e.summary, e.body, e.timezone, e.all_day, e.starts_at, e.ends_at, e.first_day, e.last_day, \
    e.sort_at, e.published_on, e.location, s.slug AS series_slug, s.title AS series_title, \
    e.episode, e.join_url, e.registration_url, e.recording_url, e.video_url, e.more_links, \
    e.programme, e.tags, e.image, e.registration_required, e.capacity, e.recording_planned, \
    e.reminders, e.cancel_reason, e.sequence, e.published_at, e.created_at, e.updated_at \
    FROM events e LEFT JOIN series s ON s.id = e.series_id";

/// For a tag filter: the tag's index gives the order, so pages are read, not sorted.
const SELECT_EVENT_BY_TAG: &str =
    "SELECT e.id, e.slug, e.slug_derived, e.kind, e.status, e.title, \
    e.summary, e.body, e.timezone, e.all_day, e.starts_at, e.ends_at, e.first_day, e.last_day, \
    e.sort_at, e.published_on, e.location, s.slug AS series_slug, s.title AS series_title, \
    e.episode, e.join_url, e.registration_url, e.recording_url, e.video_url, e.more_links, \
    e.programme, e.tags, e.image, e.registration_required, e.capacity, e.recording_planned, \
    e.reminders, e.cancel_reason, e.sequence, e.published_at, e.created_at, e.updated_at \
    FROM event_tags t JOIN events e ON e.id = t.event_id LEFT JOIN series s ON s.id = e.series_id";

/// Which sessions a list returns. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kind: Option<EventKind>,
    /// Any of these statuses; empty means all.
    pub statuses: Vec<EventStatus>,
    pub series: Option<String>,
    pub tag: Option<String>,
    /// Sessions whose start (or publication day, for undated videos) is at or after this.
    pub from: Option<DateTime<Utc>>,
    /// …and before this.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    Ascending,
    Descending,
}

/// Where a page starts: just after the last session of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort_at: i64,
    pub id: String,
}

impl Cursor {
    /// An opaque token for clients.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}|{}", self.sort_at, self.id))
    }

    pub fn decode(token: &str) -> Option<Cursor> {
        let raw = String::from_utf8(hex::decode(token).ok()?).ok()?;
        let (sort_at, id) = raw.split_once('|')?;
        Some(Cursor {
            sort_at: sort_at.parse().ok()?,
            id: id.to_string(),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct EventPageRequest {
    pub after: Option<Cursor>,
    pub limit: u32,
    pub order: Order,
}

#[derive(Debug, Clone)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub next: Option<Cursor>,
}

/// Which sessions a calendar feed shows. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FeedQuery {
    pub kind: Option<EventKind>,
    pub series: Option<String>,
    pub tag: Option<String>,
}

/// One session of a feed: enough to tell whether a rendering of it is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub id: String,
    /// The session's last change: anything shown about it changes only with this.
    pub updated_at: DateTime<Utc>,
    /// When it leaves the feed by ageing: a cancelled session when it ends, others `window`
    /// after they end.
    pub leaves_at: DateTime<Utc>,
}

/// What a feed is made of.
#[derive(Debug, Clone)]
pub struct FeedData {
    /// Published sessions with a start, ordered by start then id: scheduled ones ending after
    /// `now - window`, cancelled ones until they end.
    pub entries: Vec<FeedEntry>,
    /// When any feed last changed: the latest change to a published session, or the latest
    /// moment a session dropped out by ageing. Never earlier than any `updated_at` in `entries`.
    pub last_change: Option<DateTime<Utc>>,
}

/// The three moments a feed can have changed at (`$1` now, `$2` the window's start, in
/// seconds); all feeds share them, which can only make a filtered feed look newer than it is,
/// never older. Read before the list: a write landing in between then makes the body newer
/// than its Last-Modified (a needless 200 later), never older (a wrong 304).
const CHANGED: &str = "SELECT \
     (SELECT MAX(m) FROM (SELECT MAX(updated_at) AS m FROM events WHERE status = 'scheduled' \
       UNION ALL SELECT MAX(updated_at) FROM events WHERE status = 'cancelled') AS last) AS edited, \
     (SELECT MAX(COALESCE(ends_at, starts_at)) FROM events \
       WHERE status = 'cancelled' AND COALESCE(ends_at, starts_at) <= $1) AS cancelled_gone, \
     (SELECT MAX(COALESCE(ends_at, starts_at)) FROM events \
       WHERE status = 'scheduled' AND COALESCE(ends_at, starts_at) < $2) AS aged_gone";

/// What a feed's read gives: the three moments a feed can have changed at (see `CHANGED`), the
/// sessions, and their kept texts when asked for.
type FeedRead = (
    (Option<i64>, Option<i64>, Option<i64>),
    Vec<FeedEntry>,
    Vec<Option<Arc<str>>>,
);

/// `feed_rows`' two reads on SQLite, stepped on the connection's own handle (`read_sqlite`):
/// each value is read where SQLite keeps it, and each text copied once, into the `Arc` the
/// feed keeps. `changed_binds` are `$1` and `$2` of `CHANGED`.
fn read_feed_sqlite(
    db: &rusqlite::Connection,
    sql: &str,
    binds: &[Bind],
    changed_binds: [i64; 2],
    vevents: Option<&str>,
) -> Result<FeedRead, StoreError> {
    let mut stmt = db.prepare(CHANGED)?;
    bind_sqlite(&mut stmt, &changed_binds.map(Bind::Int))?;
    let changed = {
        let mut rows = stmt.raw_query();
        let row = rows
            .next()?
            .ok_or_else(|| StoreError::Corrupt("no row of aggregates".into()))?;
        (row.get(0)?, row.get(1)?, row.get(2)?)
    };
    let mut stmt = db.prepare(sql)?;
    bind_sqlite(&mut stmt, binds)?;
    let mut rows = stmt.raw_query();
    let mut entries = Vec::new();
    let mut texts = Vec::new();
    while let Some(row) = rows.next()? {
        entries.push(feed_entry(row.get(0)?, row.get(1)?, row.get(2)?)?);
        if vevents.is_some() {
            let text = row
                .get_ref(3)?
                .as_str_or_null()
                .map_err(|e| StoreError::Corrupt(format!("kept VEVENT: {e}")))?;
            texts.push(text.map(Arc::<str>::from));
        }
    }
    Ok((changed, entries, texts))
}

/// `feed_rows`' two reads on PostgreSQL's own driver. The rows are taken as they arrive, each
/// text copied into the `Arc` the feed keeps and the row dropped: collecting them first
/// (`fetch_all`) held every row's 1.4 KB of message beside its copy, 14 MiB more at 10,000
/// sessions, and the list with its texts took 62–66 ms against 54 ms (`cargo bench --bench
/// calendar`). With `vevents`, the rows come unordered, with the start time as a fourth column
/// before the text, and are put in feed order here.
async fn read_feed_postgres(
    pool: &sqlx::PgPool,
    sql: &str,
    binds: &[Bind],
    [now_s, horizon]: [i64; 2],
    vevents: Option<&str>,
) -> Result<FeedRead, StoreError> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query(CHANGED)
        .bind(now_s)
        .bind(horizon)
        .fetch_one(&mut *conn)
        .await?;
    let changed = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let mut select = sqlx::query(sql);
    for bind in binds {
        select = match bind {
            Bind::Text(s) => select.bind(s.as_str()),
            Bind::Int(i) => select.bind(*i),
        };
    }
    let mut rows = select.fetch(&mut *conn);
    if vevents.is_none() {
        // In order already, and without texts: the list every re-render reads.
        let mut entries = Vec::new();
        while let Some(row) = rows.try_next().await? {
            entries.push(feed_entry(
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
            )?);
        }
        return Ok((changed, entries, Vec::new()));
    }
    let mut unordered = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let entry = feed_entry(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)?;
        let starts: i64 = row.try_get(3)?;
        let text = row.try_get::<Option<&str>, _>(4)?.map(Arc::<str>::from);
        unordered.push((starts, entry, text));
    }
    drop(rows);
    // `ORDER BY e.starts_at, e.id` as the database orders them: ids are UUIDs written one way
    // (`new_id`), lower-case hexadecimal digits with hyphens in the same places, which the
    // database's collation, whatever it is, orders as their bytes.
    unordered.sort_unstable_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    let mut entries = Vec::with_capacity(unordered.len());
    let mut texts = Vec::with_capacity(unordered.len());
    for (_, entry, text) in unordered {
        entries.push(entry);
        texts.push(text);
    }
    Ok((changed, entries, texts))
}

/// A row of the list: id, change time in microseconds, leaving time in seconds.
fn feed_entry(id: String, updated_us: i64, leaves_s: i64) -> Result<FeedEntry, StoreError> {
    Ok(FeedEntry {
        id,
        updated_at: from_micros(updated_us)?,
        leaves_at: from_secs(leaves_s)?,
    })
}

/// Binds `binds` to the statement's `$1`, `$2`, …: SQLite numbers `$N` parameters in the
/// order they first appear in the text, so each is looked up by name.
fn bind_sqlite(stmt: &mut rusqlite::Statement<'_>, binds: &[Bind]) -> Result<(), StoreError> {
    for (i, bind) in binds.iter().enumerate() {
        let Some(index) = stmt.parameter_index(&format!("${}", i + 1))? else {
            continue;
        };
        match bind {
            Bind::Text(s) => stmt.raw_bind_parameter(index, s.as_str())?,
            Bind::Int(v) => stmt.raw_bind_parameter(index, v)?,
        }
    }
    Ok(())
}

impl Store {
    /// The sessions of a calendar feed at `now` (ids and change times only: renderings are
    /// cached per session, see `events_by_ids`); `window` is how long ended sessions stay.
    pub async fn feed_events(
        &self,
        query: &FeedQuery,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<FeedData, StoreError> {
        Ok(self.feed_rows(query, now, window, None).await?.0)
    }

    /// `feed_events`, with each session's VEVENT kept under `key` for its current change time
    /// (`None` where there is none): what a render with nothing in memory joins.
    pub async fn feed_events_with_vevents(
        &self,
        query: &FeedQuery,
        now: DateTime<Utc>,
        window: chrono::Duration,
        key: &str,
    ) -> Result<(FeedData, Vec<Option<Arc<str>>>), StoreError> {
        self.feed_rows(query, now, window, Some(key)).await
    }

    async fn feed_rows(
        &self,
        query: &FeedQuery,
        now: DateTime<Utc>,
        window: chrono::Duration,
        vevents: Option<&str>,
    ) -> Result<(FeedData, Vec<Option<Arc<str>>>), StoreError> {
        let now_s = now.timestamp();
        let horizon = (now - window).timestamp();
        // Three narrow columns, and the series joined only when filtering on it: this list is
        // read on every re-render, for every session in the feed.
        let mut sql = String::from(
            "SELECT e.id, e.updated_at, \
             CASE WHEN e.status = 'cancelled' THEN COALESCE(e.ends_at, e.starts_at) \
             ELSE COALESCE(e.ends_at, e.starts_at) + $3 END AS leaves_at",
        );
        let window_s = window.num_seconds();
        let mut binds = vec![Bind::Int(horizon), Bind::Int(now_s), Bind::Int(window_s)];
        // SQLite reads the list in the order of its covering index (`events_feed`) and looks
        // each text up as it goes. PostgreSQL joins the texts unordered, and the rows are put
        // in feed order here (`read_feed_postgres`): it then hashes the list and scans the
        // texts once (`EXPLAIN ANALYZE`, 10,000 sessions: 16 ms in the server, against 33 ms
        // looking each text up in the list's order). Asked for the order, it sorted the 13.5
        // MiB of texts (spilling to disk) or looked each one up in turn.
        let sort_here = vevents.is_some() && self.backend == Backend::Postgres;
        let mut key = 0;
        if let Some(text) = vevents {
            binds.push(Bind::Text(text.into()));
            key = binds.len();
            if sort_here {
                sql.push_str(", e.starts_at, v.body");
            } else {
                sql.push_str(&format!(
                    ", (SELECT v.body FROM session_vevents v WHERE v.event_id = e.id \
                     AND v.key = ${key} AND v.updated_at = e.updated_at) AS body"
                ));
            }
        }
        sql.push_str(" FROM events e");
        if query.series.is_some() {
            sql.push_str(" JOIN series s ON s.id = e.series_id");
        }
        if sort_here {
            sql.push_str(&format!(
                " LEFT JOIN session_vevents v ON v.event_id = e.id AND v.key = ${key} \
                 AND v.updated_at = e.updated_at"
            ));
        }
        sql.push_str(
            " WHERE e.starts_at IS NOT NULL AND \
             ((e.status = 'scheduled' AND COALESCE(e.ends_at, e.starts_at) >= $1) OR \
              (e.status = 'cancelled' AND COALESCE(e.ends_at, e.starts_at) > $2))",
        );
        if let Some(kind) = query.kind {
            binds.push(Bind::Text(kind.as_str().into()));
            sql.push_str(&format!(" AND e.kind = ${}", binds.len()));
        }
        if let Some(series) = &query.series {
            binds.push(Bind::Text(series.clone()));
            sql.push_str(&format!(" AND s.slug = ${}", binds.len()));
        }
        if let Some(tag) = &query.tag {
            binds.push(Bind::Text(tag.clone()));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM event_tags t WHERE t.event_id = e.id AND t.tag = ${})",
                binds.len()
            ));
        }
        if !sort_here {
            sql.push_str(" ORDER BY e.starts_at, e.id");
        }
        // Through the backend's own driver: 10,000 rows cost a third as much as through `Any`.
        // (SQLite's goes further, see `read_feed_sqlite`.)
        let ((edited, cancelled_gone, aged_gone), entries, texts) = match self.native().await? {
            super::native::Native::Sqlite(pool) => {
                super::native::read_sqlite(pool, |db| {
                    read_feed_sqlite(db, &sql, &binds, [now_s, horizon], vevents)
                })
                .await?
            }
            super::native::Native::Postgres(pool) => {
                read_feed_postgres(pool, &sql, &binds, [now_s, horizon], vevents).await?
            }
        };
        let mut last_change = edited.map(from_micros).transpose()?;
        for gone in [cancelled_gone, aged_gone.map(|t| t + window_s)]
            .into_iter()
            .flatten()
        {
            let gone = from_secs(gone)?;
            last_change = Some(last_change.map_or(gone, |c| c.max(gone)));
        }
        Ok((
            FeedData {
                entries,
                last_change,
            },
            texts,
        ))
    }

    /// The sessions with these ids, in no particular order; unknown ids are skipped.
    pub async fn events_by_ids(&self, ids: &[String]) -> Result<Vec<Event>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        events_by_ids_on(&mut conn, ids).await
    }
}

/// `Store::events_by_ids` on a given connection (a transaction's).
pub(crate) async fn events_by_ids_on(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{SELECT_EVENT} WHERE e.id IN ({})", placeholders.join(", "));
        let mut select = sqlx::query(&sql);
        for id in chunk {
            select = select.bind(id);
        }
        let rows = select.fetch_all(&mut *conn).await?;
        events.extend(events_from_rows(conn, &rows).await?);
    }
    Ok(events)
}

impl Store {
    /// Stores a new session. References to series and speakers are resolved (and new ones
    /// added) in the same transaction, so a refusal leaves nothing behind.
    pub async fn create_event(&self, spec: EventSpec) -> Result<Event, StoreError> {
        let mut tx = self.write().await?;
        let event = self.create_in(&mut tx, spec).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// `create_event` inside the caller's transaction (the caller commits).
    pub(crate) async fn create_in(
        &self,
        tx: &mut WriteTx,
        spec: EventSpec,
    ) -> Result<Event, StoreError> {
        // Read once the writer lock is held, so SQLite's serialised writes get rising times.
        let now = self.now();
        let (slug, slug_derived) = match &spec.slug {
            Some(explicit) => {
                if slug_taken(&mut tx.tx, explicit, None).await? {
                    return Err(slug_conflict(explicit));
                }
                (explicit.clone(), false)
            }
            None => (
                free_slug(&mut tx.tx, &slugify(&spec.title, "session"), None).await?,
                true,
            ),
        };
        let public = spec.status.is_public();
        let row = RowValues::build(&mut tx.tx, &spec, now).await?;
        let id = new_id();
        let published_on = spec
            .published_on
            .or_else(|| public.then(|| now.with_timezone(&spec.timezone).date_naive()));
        let sort_at = sort_key(spec.schedule.as_ref(), published_on, spec.timezone, now);
        let columns = ColumnValues {
            spec: &spec,
            row: &row,
            sort_at,
            published_on,
        };
        columns
            .bind(sqlx::query(&insert_sql()))
            .bind(&id)
            .bind(&slug)
            .bind(slug_derived as i64)
            .bind(0_i64)
            .bind(public.then(|| now.timestamp()))
            .bind(micros(now))
            .bind(micros(now))
            .execute(&mut *tx.tx)
            .await
            .map_err(|e| StoreError::on_unique(e, || slug_conflict(&slug).to_string()))?;
        write_relations(&mut tx.tx, &id, sort_at, &spec.tags, &row.credits).await?;
        record_change(&mut tx.tx, &id, now, 0, HistoryAction::Created, &[], &[]).await?;
        let event = load_one(&mut tx.tx, &id, "").await?;
        let notices = notices(None, &event, &self.mail_policy(), now);
        super::outbox::write_notices(&mut tx.tx, &event, &notices, now).await?;
        Ok(event)
    }

    /// Every published session and video (scheduled or cancelled), in time order: what the
    /// exports write.
    pub async fn published_events(&self) -> Result<Vec<Event>, StoreError> {
        let filter = EventFilter {
            statuses: vec![EventStatus::Scheduled, EventStatus::Cancelled],
            ..Default::default()
        };
        let mut events = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .list_events(
                    &filter,
                    &EventPageRequest {
                        after,
                        limit: 1000,
                        order: Order::Ascending,
                    },
                )
                .await?;
            events.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(events),
            }
        }
    }

    /// A session by id or slug.
    pub async fn get_event(&self, key: &str) -> Result<Event, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_one(&mut conn, key, "").await
    }

    /// One page of sessions, ordered by time then id.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        page: &EventPageRequest,
    ) -> Result<EventPage, StoreError> {
        let limit = page.limit.clamp(1, 1000) as i64;
        let (mut sql, sort_col, id_col) = match filter.tag {
            Some(_) => (String::from(SELECT_EVENT_BY_TAG), "t.sort_at", "t.event_id"),
            None => (String::from(SELECT_EVENT), "e.sort_at", "e.id"),
        };
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let next = |value: Bind, binds: &mut Vec<Bind>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if let Some(kind) = filter.kind {
            let p = next(Bind::Text(kind.as_str().into()), &mut binds);
            clauses.push(format!("e.kind = {p}"));
        }
        if !filter.statuses.is_empty() {
            let ps: Vec<String> = filter
                .statuses
                .iter()
                .map(|s| next(Bind::Text(s.as_str().into()), &mut binds))
                .collect();
            clauses.push(format!("e.status IN ({})", ps.join(", ")));
        }
        if let Some(series) = &filter.series {
            let p = next(Bind::Text(series.clone()), &mut binds);
            clauses.push(format!("s.slug = {p}"));
        }
        if let Some(tag) = &filter.tag {
            let p = next(Bind::Text(tag.clone()), &mut binds);
            clauses.push(format!("t.tag = {p}"));
        }
        if let Some(from) = filter.from {
            let p = next(Bind::Int(from.timestamp()), &mut binds);
            clauses.push(format!("{sort_col} >= {p}"));
        }
        if let Some(to) = filter.to {
            let p = next(Bind::Int(to.timestamp()), &mut binds);
            clauses.push(format!("{sort_col} < {p}"));
        }
        let (cmp, dir) = match page.order {
            Order::Ascending => (">", "ASC"),
            Order::Descending => ("<", "DESC"),
        };
        if let Some(after) = &page.after {
            let a = next(Bind::Int(after.sort_at), &mut binds);
            let b = next(Bind::Text(after.id.clone()), &mut binds);
            clauses.push(format!("({sort_col}, {id_col}) {cmp} ({a}, {b})"));
        }
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        let p = next(Bind::Int(limit + 1), &mut binds);
        sql.push_str(&format!(
            " ORDER BY {sort_col} {dir}, {id_col} {dir} LIMIT {p}"
        ));

        let query = bind_all(sqlx::query(&sql), binds);
        let mut conn = self.pool.acquire().await?;
        let mut rows = query.fetch_all(&mut *conn).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let items = events_from_rows(&mut conn, &rows).await?;
        let next = if more {
            items.last().map(|e| Cursor {
                sort_at: e.sort_at(),
                id: e.id.clone(),
            })
        } else {
            None
        };
        Ok(EventPage { items, next })
    }

    /// Applies `edit` to the stored session under the lifecycle rules, in one transaction
    /// holding the session's row. `edit` returns `None` when there is nothing to do.
    pub async fn update_event(
        &self,
        key: &str,
        edit: impl FnOnce(&Event) -> Result<Option<EventSpec>, StoreError>,
    ) -> Result<Event, StoreError> {
        let mut tx = self.write().await?;
        let event = self.update_in(&mut tx, key, edit).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// `update_event` inside the caller's transaction (the caller commits).
    pub(crate) async fn update_in(
        &self,
        tx: &mut WriteTx,
        key: &str,
        edit: impl FnOnce(&Event) -> Result<Option<EventSpec>, StoreError>,
    ) -> Result<Event, StoreError> {
        let current = load_one(&mut tx.tx, key, self.lock_rows()).await?;
        // Read once the row is held, and never before the last change: DTSTAMP, LAST-MODIFIED
        // and the feeds' Last-Modified must not go back, whatever the clocks of other writers.
        let now = self
            .now()
            .max(current.updated_at + chrono::Duration::microseconds(1));
        let Some(spec) = edit(&current)? else {
            return Ok(current);
        };
        let plan = plan_update(&current, &spec, now).map_err(|v| match v {
            RuleViolation::Conflict(m) => StoreError::Conflict(m),
            RuleViolation::Field(errors) => StoreError::Invalid(errors),
        })?;
        if spec.capacity != current.capacity {
            super::registrations::check_capacity(&mut tx.tx, &current.id, spec.capacity).await?;
        }
        let (slug, slug_derived) = match &plan.slug {
            SlugChange::Keep => (current.slug.clone(), current.slug_derived),
            SlugChange::Explicit(s) => {
                if slug_taken(&mut tx.tx, s, Some(&current.id)).await? {
                    return Err(slug_conflict(s));
                }
                (s.clone(), false)
            }
            SlugChange::FromTitle => {
                let base = slugify(&spec.title, "session");
                (free_slug(&mut tx.tx, &base, Some(&current.id)).await?, true)
            }
        };
        let row = RowValues::build(&mut tx.tx, &spec, now).await?;
        let sort_at = sort_key(
            spec.schedule.as_ref(),
            plan.published_on,
            spec.timezone,
            current.created_at,
        );
        let columns = ColumnValues {
            spec: &spec,
            row: &row,
            sort_at,
            published_on: plan.published_on,
        };
        columns
            .bind(sqlx::query(&update_sql()))
            .bind(&slug)
            .bind(slug_derived as i64)
            .bind(plan.sequence)
            .bind(plan.published_at.map(|t| t.timestamp()))
            .bind(plan.cancel_reason.clone())
            .bind(micros(now))
            .bind(&current.id)
            .execute(&mut *tx.tx)
            .await
            .map_err(|e| StoreError::on_unique(e, || slug_conflict(&slug).to_string()))?;
        sqlx::query("DELETE FROM event_tags WHERE event_id = $1")
            .bind(&current.id)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("DELETE FROM event_speakers WHERE event_id = $1")
            .bind(&current.id)
            .execute(&mut *tx.tx)
            .await?;
        write_relations(&mut tx.tx, &current.id, sort_at, &spec.tags, &row.credits).await?;
        let updated = load_one(&mut tx.tx, &current.id, "").await?;
        let (before, after) = (current.document(), updated.document());
        let changed = Change::between(&before, &after);
        record_change(
            &mut tx.tx,
            &current.id,
            now,
            plan.sequence,
            HistoryAction::of_update(&current, &updated),
            &changed,
            &FieldValues::between(&before, &after, &changed),
        )
        .await?;
        let notices = notices(Some(&current), &updated, &self.mail_policy(), now);
        super::outbox::write_notices(&mut tx.tx, &updated, &notices, now).await?;
        self.seats_after_update(&mut tx.tx, &current, &updated, now)
            .await?;
        Ok(updated)
    }

    /// Cancels a published session, with the organisers' `reason` if they gave one (already
    /// checked: `CancelInput::validate`). Cancelling it again changes nothing, unless it brings
    /// a new reason, which replaces the old one (no new notice: nothing else changed).
    pub async fn cancel_event(
        &self,
        key: &str,
        timezone: Tz,
        reason: Option<String>,
    ) -> Result<Event, StoreError> {
        self.update_event(key, |current| match current.status {
            EventStatus::Cancelled if reason.is_none() || reason == current.cancel_reason => {
                Ok(None)
            }
            EventStatus::Draft => Err(StoreError::Conflict(
                "a draft cannot be cancelled, nobody has seen it: delete it instead".into(),
            )),
            EventStatus::Scheduled | EventStatus::Cancelled => {
                let mut base = current.patch_base();
                base["status"] = "cancelled".into();
                let spec = crate::domain::EventInput::from_json(base)
                    .and_then(|input| input.validate(timezone))
                    .map_err(StoreError::Invalid)?;
                Ok(Some(EventSpec {
                    cancel_reason: reason,
                    ..spec
                }))
            }
        })
        .await
    }

    /// Deletes a draft. Published sessions are cancelled, never deleted: calendars hold them.
    pub async fn delete_event(&self, key: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let current = load_one(&mut tx.tx, key, self.lock_rows()).await?;
        if current.status != EventStatus::Draft || current.published_at.is_some() {
            return Err(StoreError::Conflict(
                "only drafts can be deleted; cancel a published session instead".into(),
            ));
        }
        sqlx::query("DELETE FROM events WHERE id = $1")
            .bind(&current.id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The history of a session, oldest first.
    pub async fn event_history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        history_in(&mut conn, id).await
    }

    /// How many sessions are stored.
    pub async fn count_events(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM events")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}

/// Columns written alike by insert and update, bound as `$1…$27` in this order.
const WRITTEN_COLUMNS: [&str; 28] = [
    "kind",
    "status",
    "title",
    "summary",
    "body",
    "timezone",
    "all_day",
    "starts_at",
    "ends_at",
    "first_day",
    "last_day",
    "sort_at",
    "published_on",
    "location",
    "series_id",
    "episode",
    "join_url",
    "registration_url",
    "recording_url",
    "video_url",
    "more_links",
    "programme",
    "tags",
    "image",
    "registration_required",
    "capacity",
    "recording_planned",
    "reminders",
];

/// Then, for an insert: id, slug, slug_derived, sequence, published_at, created_at, updated_at.
fn insert_sql() -> String {
    let mut columns: Vec<&str> = WRITTEN_COLUMNS.to_vec();
    columns.extend([
        "id",
        "slug",
        "slug_derived",
        "sequence",
        "published_at",
        "created_at",
        "updated_at",
    ]);
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO events ({}) VALUES ({})",
        columns.join(", "),
        placeholders.join(", ")
    )
}

/// Then, for an update: slug, slug_derived, sequence, published_at, cancel_reason, updated_at,
/// and the id. (A new session has no cancellation reason: only cancelling gives one.)
fn update_sql() -> String {
    let mut columns: Vec<&str> = WRITTEN_COLUMNS.to_vec();
    columns.extend([
        "slug",
        "slug_derived",
        "sequence",
        "published_at",
        "cancel_reason",
        "updated_at",
    ]);
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE events SET {} WHERE id = ${}",
        sets.join(", "),
        columns.len() + 1
    )
}

struct ColumnValues<'a> {
    spec: &'a EventSpec,
    row: &'a RowValues,
    sort_at: i64,
    published_on: Option<NaiveDate>,
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl ColumnValues<'_> {
    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let (spec, row) = (self.spec, self.row);
        query
            .bind(spec.kind.as_str())
            .bind(spec.status.as_str())
            .bind(spec.title.clone())
            .bind(spec.summary.clone())
            .bind(spec.body.clone())
            .bind(spec.timezone.name())
            .bind(row.all_day)
            .bind(row.starts_at)
            .bind(row.ends_at)
            .bind(row.first_day.clone())
            .bind(row.last_day.clone())
            .bind(self.sort_at)
            .bind(self.published_on.map(|d| d.to_string()))
            .bind(spec.location.clone())
            .bind(row.series_id.clone())
            .bind(spec.episode)
            .bind(spec.links.join.clone())
            .bind(spec.links.registration.clone())
            .bind(spec.links.recording.clone())
            .bind(spec.links.video.clone())
            .bind(row.more_links.clone())
            .bind(row.programme.clone())
            .bind(row.tags.clone())
            .bind(spec.image.clone())
            .bind(spec.registration_required as i64)
            .bind(spec.capacity)
            .bind(spec.recording_planned as i64)
            .bind(row.reminders.clone())
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s),
            Bind::Int(i) => query.bind(i),
        };
    }
    query
}

/// Column values computed from a spec, with its references resolved.
struct RowValues {
    all_day: i64,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    first_day: Option<String>,
    last_day: Option<String>,
    series_id: Option<String>,
    more_links: String,
    programme: String,
    tags: String,
    reminders: Option<String>,
    credits: Vec<Credit>,
}

impl RowValues {
    async fn build(
        conn: &mut AnyConnection,
        spec: &EventSpec,
        _now: DateTime<Utc>,
    ) -> Result<RowValues, StoreError> {
        let (all_day, starts_at, ends_at, first_day, last_day) = match spec.schedule {
            None => (0, None, None, None, None),
            Some(s @ Schedule::Timed { .. }) => (
                0,
                Some(s.start_instant(spec.timezone).timestamp()),
                s.end_instant(spec.timezone).map(|t| t.timestamp()),
                None,
                None,
            ),
            Some(
                s @ Schedule::AllDay {
                    first_day,
                    last_day,
                },
            ) => (
                1,
                Some(s.start_instant(spec.timezone).timestamp()),
                s.end_instant(spec.timezone).map(|t| t.timestamp()),
                Some(first_day.to_string()),
                Some(last_day.to_string()),
            ),
        };
        let series_id = match &spec.series {
            Some(reference) => Some(resolve_series(conn, reference).await?),
            None => None,
        };
        let credits = resolve_credits(conn, &spec.speakers).await?;
        Ok(RowValues {
            all_day,
            starts_at,
            ends_at,
            first_day,
            last_day,
            series_id,
            more_links: to_json(&spec.links.more)?,
            programme: to_json(&spec.programme)?,
            tags: to_json(&spec.tags)?,
            reminders: spec.reminders.as_ref().map(to_json).transpose()?,
            credits,
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("JSON column: {e}")))
}

fn slug_conflict(slug: &str) -> StoreError {
    StoreError::Conflict(format!(
        "the slug \u{201c}{slug}\u{201d} is already used by another session"
    ))
}

async fn slug_taken(
    conn: &mut AnyConnection,
    slug: &str,
    except_id: Option<&str>,
) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT id FROM events WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        None => false,
        Some(row) => {
            let id: String = row.try_get("id")?;
            Some(id.as_str()) != except_id
        }
    })
}

async fn free_slug(
    conn: &mut AnyConnection,
    base: &str,
    except_id: Option<&str>,
) -> Result<String, StoreError> {
    for candidate in candidates(base).take(10_000) {
        if !slug_taken(conn, &candidate, except_id).await? {
            return Ok(candidate);
        }
    }
    Err(slug_conflict(base))
}

async fn write_relations(
    conn: &mut AnyConnection,
    event_id: &str,
    sort_at: i64,
    tags: &[String],
    credits: &[Credit],
) -> Result<(), StoreError> {
    for tag in tags {
        sqlx::query("INSERT INTO event_tags (event_id, tag, sort_at) VALUES ($1, $2, $3)")
            .bind(event_id)
            .bind(tag)
            .bind(sort_at)
            .execute(&mut *conn)
            .await?;
    }
    for (position, credit) in credits.iter().enumerate() {
        sqlx::query(
            "INSERT INTO event_speakers \
             (event_id, position, speaker_id, role, organisation, own_affiliation) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(event_id)
        .bind(position as i64)
        .bind(&credit.speaker_id)
        .bind(&credit.role)
        .bind(&credit.organisation)
        .bind(i64::from(credit.own_affiliation))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn record_change(
    conn: &mut AnyConnection,
    event_id: &str,
    at: DateTime<Utc>,
    sequence: i64,
    action: HistoryAction,
    fields: &[Change],
    values: &[FieldValues],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO event_changes (event_id, changed_at, sequence, action, fields, actor, \
         field_values) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event_id)
    .bind(micros(at))
    .bind(sequence)
    .bind(action.as_str())
    .bind(to_json(&fields)?)
    .bind(super::actor::current())
    .bind(to_json(&values)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the sessions crediting a speaker as changed (their pages and feeds show the name).
pub(crate) async fn touch_events_of_speaker(
    conn: &mut AnyConnection,
    speaker_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE events SET updated_at = $1 WHERE id IN \
         (SELECT event_id FROM event_speakers WHERE speaker_id = $2)",
    )
    .bind(micros(now))
    .bind(speaker_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn touch_events_of_series(
    conn: &mut AnyConnection,
    series_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE events SET updated_at = $1 WHERE series_id = $2")
        .bind(micros(now))
        .bind(series_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn load_one(
    conn: &mut AnyConnection,
    key: &str,
    lock: &str,
) -> Result<Event, StoreError> {
    let row = sqlx::query(&format!(
        "{SELECT_EVENT} WHERE {}{lock}",
        super::by_id_or_slug("events", "e.")
    ))
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut events = events_from_rows(conn, std::slice::from_ref(&row)).await?;
    events.pop().ok_or(StoreError::NotFound)
}

/// Builds sessions from rows, loading all their speakers in one query.
async fn events_from_rows(
    conn: &mut AnyConnection,
    rows: &[AnyRow],
) -> Result<Vec<Event>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?;
    let mut credits: HashMap<String, Vec<SpeakerCredit>> = HashMap::new();
    // In chunks: both backends cap the number of parameters in one statement.
    let mut rows_of_credits = Vec::new();
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT es.event_id, sp.slug, sp.name, \
             CASE WHEN es.own_affiliation = 1 THEN es.role \
             ELSE COALESCE(es.role, sp.role) END AS role, \
             CASE WHEN es.own_affiliation = 1 THEN es.organisation \
             ELSE COALESCE(es.organisation, sp.organisation) END AS organisation \
             FROM event_speakers es JOIN speakers sp ON sp.id = es.speaker_id \
             WHERE es.event_id IN ({}) ORDER BY es.event_id, es.position",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        rows_of_credits.extend(query.fetch_all(&mut *conn).await?);
    }
    for row in rows_of_credits {
        credits
            .entry(row.try_get("event_id")?)
            .or_default()
            .push(SpeakerCredit {
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
                role: row.try_get("role")?,
                organisation: row.try_get("organisation")?,
            });
    }
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let speakers = credits.remove(&id).unwrap_or_default();
            event_from_row(row, speakers)
        })
        .collect()
}

fn event_from_row(row: &AnyRow, speakers: Vec<SpeakerCredit>) -> Result<Event, StoreError> {
    let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("{what} {value:?}"));
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let tz_name: String = row.try_get("timezone")?;
    let timezone: Tz = tz_name
        .parse()
        .map_err(|_| corrupt("time zone", &tz_name))?;
    let date = |column: &str| -> Result<Option<NaiveDate>, StoreError> {
        let value: Option<String> = row.try_get(column)?;
        value
            .map(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| corrupt(column, &v)))
            .transpose()
    };
    let starts_at: Option<i64> = row.try_get("starts_at")?;
    let ends_at: Option<i64> = row.try_get("ends_at")?;
    let all_day: i64 = row.try_get("all_day")?;
    let schedule = match (all_day != 0, starts_at) {
        (_, None) => None,
        (true, Some(_)) => match (date("first_day")?, date("last_day")?) {
            (Some(first_day), Some(last_day)) => Some(Schedule::AllDay {
                first_day,
                last_day,
            }),
            _ => return Err(corrupt("all-day session without days", &kind)),
        },
        (false, Some(start)) => Some(Schedule::Timed {
            starts_at: from_secs(start)?,
            ends_at: ends_at.map(from_secs).transpose()?,
        }),
    };
    let series = match (
        row.try_get::<Option<String>, _>("series_slug")?,
        row.try_get::<Option<String>, _>("series_title")?,
    ) {
        (Some(slug), Some(title)) => Some(SeriesSummary { slug, title }),
        _ => None,
    };
    let more_links: String = row.try_get("more_links")?;
    let programme: String = row.try_get("programme")?;
    let tags: String = row.try_get("tags")?;
    Ok(Event {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        slug_derived: row.try_get::<i64, _>("slug_derived")? != 0,
        kind: EventKind::parse(&kind).map_err(|_| corrupt("kind", &kind))?,
        status: EventStatus::parse(&status).map_err(|_| corrupt("status", &status))?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        body: row.try_get("body")?,
        timezone,
        schedule,
        published_on: date("published_on")?,
        location: row.try_get("location")?,
        series,
        episode: row.try_get("episode")?,
        speakers,
        links: Links {
            join: row.try_get("join_url")?,
            registration: row.try_get("registration_url")?,
            recording: row.try_get("recording_url")?,
            video: row.try_get("video_url")?,
            more: parse_json(&more_links)?,
        },
        programme: parse_json(&programme)?,
        tags: parse_json(&tags)?,
        image: row.try_get("image")?,
        registration_required: row.try_get::<i64, _>("registration_required")? != 0,
        capacity: row.try_get("capacity")?,
        recording_planned: row.try_get::<i64, _>("recording_planned")? != 0,
        reminders: row
            .try_get::<Option<String>, _>("reminders")?
            .map(|text| parse_json(&text))
            .transpose()?,
        cancel_reason: row.try_get("cancel_reason")?,
        sequence: row.try_get("sequence")?,
        published_at: row
            .try_get::<Option<i64>, _>("published_at")?
            .map(from_secs)
            .transpose()?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    })
}

/// A session's history, oldest first, read on the caller's connection.
pub(crate) async fn history_in(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT changed_at, sequence, action, fields, actor, field_values FROM event_changes \
         WHERE event_id = $1 \
         ORDER BY changed_at, sequence",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let fields: String = row.try_get("fields")?;
            let action: String = row.try_get("action")?;
            let fields: Vec<String> = parse_json(&fields)?;
            Ok(HistoryEntry {
                at: from_micros(row.try_get("changed_at")?)?,
                sequence: row.try_get("sequence")?,
                action: HistoryAction::parse(&action)
                    .ok_or_else(|| StoreError::Corrupt(format!("history action {action}")))?,
                // A name this version does not know (written by a newer one sharing the
                // database) is left out rather than failing the page or the notice.
                fields: fields.iter().filter_map(|key| Change::parse(key)).collect(),
                actor: row.try_get("actor")?,
                values: match row.try_get::<Option<String>, _>("field_values")? {
                    Some(text) => parse_json(&text)?,
                    None => Vec::new(),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let cursor = Cursor {
            sort_at: -12,
            id: "0190-ab".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("zz"), None);
        assert_eq!(Cursor::decode(&hex::encode("nobar")), None);
    }
}
