//! Sessions imported from files, keyed by source path: a file imported again updates its
//! session (an ordinary update: sequence, history and notices as for an edit through the API).

use sqlx::Row;

use super::{micros, Store, StoreError};
use crate::domain::{Event, EventSpec};

/// What an import did to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAction {
    Created,
    Updated,
    /// The file is as last imported: nothing was written.
    Unchanged,
}

impl ImportAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportAction::Created => "created",
            ImportAction::Updated => "updated",
            ImportAction::Unchanged => "unchanged",
        }
    }
}

impl Store {
    /// Creates or updates the session imported from `source`, in one transaction with its
    /// source row. `content_hash` identifies the file's content: the same hash changes nothing.
    /// A new session takes `spec.slug` when it is free, else one derived from its title; an
    /// imported session keeps its slug afterwards.
    pub async fn import_event(
        &self,
        source: &str,
        content_hash: &str,
        spec: EventSpec,
    ) -> Result<(Event, ImportAction), StoreError> {
        match self.import_once(source, content_hash, spec.clone()).await {
            Err(StoreError::Conflict(_)) if spec.slug.is_some() => {
                // The file's name is another session's slug (or was taken meanwhile).
                let spec = EventSpec { slug: None, ..spec };
                self.import_once(source, content_hash, spec).await
            }
            other => other,
        }
    }

    async fn import_once(
        &self,
        source: &str,
        content_hash: &str,
        mut spec: EventSpec,
    ) -> Result<(Event, ImportAction), StoreError> {
        let mut tx = self.write().await?;
        let known =
            sqlx::query("SELECT event_id, content_hash FROM import_sources WHERE source = $1")
                .bind(source)
                .fetch_optional(&mut *tx.tx)
                .await?;
        let now = self.now();
        let (event, action) = match known {
            Some(row) => {
                let event_id: String = row.try_get("event_id")?;
                let hash: String = row.try_get("content_hash")?;
                if hash == content_hash {
                    let event = super::events::load_one(&mut tx.tx, &event_id, "").await?;
                    return Ok((event, ImportAction::Unchanged));
                }
                spec.slug = None;
                let event = self
                    .update_in(&mut tx, &event_id, |current| {
                        // A cancellation made in eventail stands: a changed file does not
                        // bring the session back (nor send a notice that it is back).
                        if current.status == crate::domain::EventStatus::Cancelled {
                            spec.status = current.status;
                        }
                        Ok(Some(spec))
                    })
                    .await?;
                sqlx::query(
                    "UPDATE import_sources SET content_hash = $1, imported_at = $2 WHERE source = $3",
                )
                .bind(content_hash)
                .bind(micros(now))
                .bind(source)
                .execute(&mut *tx.tx)
                .await?;
                (event, ImportAction::Updated)
            }
            None => {
                let event = self.create_in(&mut tx, spec).await?;
                sqlx::query(
                    "INSERT INTO import_sources (source, event_id, content_hash, imported_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(source)
                .bind(&event.id)
                .bind(content_hash)
                .bind(micros(now))
                .execute(&mut *tx.tx)
                .await
                .map_err(|e| {
                    StoreError::on_unique(e, || {
                        format!("{source} is being imported by another run")
                    })
                })?;
                (event, ImportAction::Created)
            }
        };
        tx.commit().await?;
        Ok((event, action))
    }

    /// The session imported from `source`, if any.
    pub async fn event_by_source(&self, source: &str) -> Result<Option<Event>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let id: Option<String> =
            sqlx::query_scalar("SELECT event_id FROM import_sources WHERE source = $1")
                .bind(source)
                .fetch_optional(&mut *conn)
                .await?;
        match id {
            Some(id) => Ok(Some(super::events::load_one(&mut conn, &id, "").await?)),
            None => Ok(None),
        }
    }
}
