//! Rendered feeds kept in the database, so a restart does not mean rendering them again.
//!
//! A snapshot is only a cache: it records the content version it was rendered from
//! (`content_version`, moved by every committed content write in the same transaction) and is
//! used only while that version is current. Losing or corrupting one costs a render, nothing more.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{from_micros, micros, Store, StoreError};

/// A feed as rendered at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSnapshot {
    pub key: String,
    pub version: i64,
    pub last_change: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub body: String,
    /// "id<TAB>updated_at micros<TAB>bytes" per VEVENT of `body`, in order.
    pub parts: String,
}

impl Store {
    /// The version of published content: it moves with every committed content write.
    pub async fn content_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM content_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("version")?)
    }

    /// The snapshot stored under `key` at content `version`. One of an older version is not
    /// read: after an import its 14 MiB would be read only to be thrown away.
    pub async fn feed_snapshot(
        &self,
        key: &str,
        version: i64,
    ) -> Result<Option<FeedSnapshot>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT key, version, last_change, expires, body, parts FROM feed_snapshots \
             WHERE key = $1 AND version = $2",
        )
        .bind(key)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(FeedSnapshot {
            key: row.try_get("key")?,
            version: row.try_get("version")?,
            last_change: row
                .try_get::<Option<i64>, _>("last_change")?
                .map(from_micros)
                .transpose()?,
            expires: row
                .try_get::<Option<i64>, _>("expires")?
                .map(from_micros)
                .transpose()?,
            body: row.try_get("body")?,
            parts: row.try_get("parts")?,
        }))
    }

    /// Stores `snapshot`, replacing the one under its key unless that one is newer. Snapshots
    /// not saved for `keep_for` are dropped on the way (feeds nobody asks for any more, or
    /// rendered under settings since changed).
    pub async fn save_feed_snapshot(
        &self,
        snapshot: &FeedSnapshot,
        keep_for: chrono::Duration,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let mut tx = self.write_quiet().await?;
        sqlx::query(
            "INSERT INTO feed_snapshots (key, version, last_change, expires, body, parts, saved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (key) DO UPDATE SET version = excluded.version, \
             last_change = excluded.last_change, expires = excluded.expires, \
             body = excluded.body, parts = excluded.parts, saved_at = excluded.saved_at \
             WHERE feed_snapshots.version <= excluded.version",
        )
        .bind(&snapshot.key)
        .bind(snapshot.version)
        .bind(snapshot.last_change.map(micros))
        .bind(snapshot.expires.map(micros))
        .bind(&snapshot.body)
        .bind(&snapshot.parts)
        .bind(micros(now))
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query("DELETE FROM feed_snapshots WHERE saved_at < $1")
            .bind(micros(now - keep_for))
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }
}
