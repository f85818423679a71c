//! Each session's VEVENT kept beside the session, so a feed rendered from scratch (a first start,
//! or content changed while no process ran, e.g. an import) joins texts instead of writing
//! every VEVENT again.
//!
//! The store does not know how a VEVENT is written (`publish` does, and `store` holds queries
//! only): whoever opens it for serving hands it a [`VeventWriter`]. Every content transaction
//! then writes, before it commits, the VEVENTs of the feed sessions it moved (`updated_at` at or
//! after the transaction's start) whose stored text is out of date — a session's own edit, a
//! speaker's or a series' rename, an import. A stored text counts only for the `updated_at` and
//! the writer key it was written for, so a row left behind by a clock step, a concurrent
//! writer or a settings change is never served: the renderer writes that one VEVENT again.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{from_micros, micros, Store, StoreError};
use crate::domain::Event;

/// Writes a session's VEVENT as the calendar feeds show it.
pub trait VeventWriter: Send + Sync {
    /// Everything the text depends on besides the session (settings, eventail version): rows
    /// written under another key are not used.
    fn key(&self) -> &str;
    /// The VEVENT, or `None` for a session no feed shows.
    fn write(&self, event: &Event) -> Option<String>;
}

/// Sessions whose VEVENTs are written per statement when several are kept at once.
const ROWS_PER_INSERT: usize = 100;

/// The feed's sessions: published, with a start (as `feed_events` selects them).
const IN_FEEDS: &str = "e.status IN ('scheduled', 'cancelled') AND e.starts_at IS NOT NULL";

impl Store {
    /// From now on, content writes keep their sessions' VEVENTs written by `writer`.
    pub fn set_vevent_writer(&self, writer: Arc<dyn VeventWriter>) {
        if let Ok(mut current) = self.vevents.write() {
            *current = Some(writer);
        }
    }

    pub(crate) fn vevent_writer(&self) -> Option<Arc<dyn VeventWriter>> {
        self.vevents.read().ok().and_then(|w| w.clone())
    }

    /// The stored VEVENTs among `wanted` (session id, `updated_at`) written under `key` for
    /// exactly that `updated_at`, by session id.
    pub async fn stored_vevents(
        &self,
        key: &str,
        wanted: &[(&str, DateTime<Utc>)],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut found = HashMap::with_capacity(wanted.len());
        if wanted.is_empty() {
            return Ok(found);
        }
        let at: HashMap<&str, i64> = wanted.iter().map(|(id, t)| (*id, micros(*t))).collect();
        let mut conn = self.pool.acquire().await?;
        for chunk in wanted.chunks(500) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT event_id, updated_at, body FROM session_vevents \
                 WHERE key = $1 AND event_id IN ({})",
                placeholders.join(", ")
            );
            let mut select = sqlx::query(&sql).bind(key);
            for (id, _) in chunk {
                select = select.bind(*id);
            }
            for row in select.fetch_all(&mut *conn).await? {
                let id: String = row.try_get("event_id")?;
                let updated_at: i64 = row.try_get("updated_at")?;
                if at.get(id.as_str()) == Some(&updated_at) {
                    found.insert(id, row.try_get("body")?);
                }
            }
        }
        Ok(found)
    }

    /// Keeps VEVENTs a render had to write (sessions stored before this cache existed, or
    /// under other settings), each for the `updated_at` it was written for. A session that has
    /// changed or gone since is skipped; a newer stored text is not replaced.
    pub async fn keep_vevents(
        &self,
        key: &str,
        written: &[(String, DateTime<Utc>, Arc<str>)],
    ) -> Result<(), StoreError> {
        if written.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_quiet().await?;
        // Only for sessions still at the time written for (changed or gone since: skipped).
        upsert(&mut tx.tx, key, written, true).await?;
        tx.commit().await
    }
}

/// Writes the out-of-date VEVENTs of feed sessions changed at or after `since` (micros): what a
/// content transaction does just before it commits.
pub(crate) async fn refresh(
    conn: &mut AnyConnection,
    writer: &dyn VeventWriter,
    since: i64,
) -> Result<(), StoreError> {
    let stale: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT e.id FROM events e LEFT JOIN session_vevents v ON v.event_id = e.id \
         WHERE e.updated_at >= $1 AND {IN_FEEDS} \
         AND (v.event_id IS NULL OR v.updated_at <> e.updated_at OR v.key <> $2)"
    ))
    .bind(since)
    .bind(writer.key())
    // Planned for this `since` each time: a plan kept for any `since` (PostgreSQL keeps a
    // generic one after five runs) could not tell a recent moment from one that selects
    // every session, and would scan them all.
    .persistent(false)
    .fetch_all(&mut *conn)
    .await?;
    if stale.is_empty() {
        return Ok(());
    }
    let events = super::events::events_by_ids_on(conn, &stale).await?;
    let written: Vec<(String, DateTime<Utc>, Arc<str>)> = events
        .iter()
        .filter_map(|event| {
            let text = writer.write(event)?;
            Some((event.id.clone(), event.updated_at, Arc::from(text)))
        })
        .collect();
    upsert(conn, writer.key(), &written, false).await?;
    Ok(())
}

/// Writes `written` (session id, `updated_at`, text) under `key`, a statement per
/// `ROWS_PER_INSERT`; a newer stored text is not replaced. With `only_current`, rows of
/// sessions no longer at that `updated_at` (or gone) are skipped.
async fn upsert(
    conn: &mut AnyConnection,
    key: &str,
    written: &[(String, DateTime<Utc>, Arc<str>)],
    only_current: bool,
) -> Result<(), StoreError> {
    for chunk in written.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4))
            .collect();
        let rows = rows.join(", ");
        // `WHERE true` keeps SQLite from reading `ON CONFLICT` as the join's `ON`.
        let source = if only_current {
            format!(
                "SELECT v.column1, $1, v.column2, v.column3 FROM (VALUES {rows}) AS v \
                 JOIN events e ON e.id = v.column1 AND e.updated_at = v.column2 WHERE true"
            )
        } else {
            format!(
                "SELECT v.column1, $1, v.column2, v.column3 FROM (VALUES {rows}) AS v WHERE true"
            )
        };
        let sql = format!(
            "INSERT INTO session_vevents (event_id, key, updated_at, body) {source} \
             ON CONFLICT (event_id) DO UPDATE SET key = excluded.key, \
             updated_at = excluded.updated_at, body = excluded.body \
             WHERE session_vevents.updated_at <= excluded.updated_at"
        );
        let mut insert = sqlx::query(&sql).bind(key);
        for (id, at, body) in chunk {
            insert = insert.bind(id.as_str()).bind(micros(*at)).bind(&**body);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// The stored VEVENT of one session, whatever its key and time: key, `updated_at`, text
    /// (for tests and diagnostics).
    pub async fn stored_vevent(
        &self,
        id: &str,
    ) -> Result<Option<(String, DateTime<Utc>, String)>, StoreError> {
        let Some(row) =
            sqlx::query("SELECT key, updated_at, body FROM session_vevents WHERE event_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            row.try_get("key")?,
            from_micros(row.try_get("updated_at")?)?,
            row.try_get("body")?,
        )))
    }
}
