//! A change played in full and then undone: the console's preview. The new or updated
//! session goes through exactly the code that saves it (validation, lifecycle, seats, the
//! notices the domain decides and the outbox rows planned for them) inside a transaction that
//! is rolled back, so what the preview shows is what saving would do, recipients included.
//!
//! On PostgreSQL the messages are planned into a temporary copy of the session's outbox rows
//! (`rehearsal_outbox`, dropped with the transaction) rather than into `outbox` itself: a move
//! of a session with 250 seated people rewrites about 1,300 rows, and in `outbox` each row
//! goes to the write-ahead log and seven indexes, and leaves a dead version behind for VACUUM
//! even though the transaction rolls back (the preview took 70 ms and more, then slowed as
//! previews piled up dead index entries). The copy holds every row of the session, so the
//! planning's `ON CONFLICT` sees what was already planned, sent or dropped, as it would in
//! `outbox`; the SQL is the same, only the table name differs (`outbox::table`). SQLite keeps
//! the rehearsal in `outbox`: its writes are cheap, leave nothing behind once rolled back, and
//! a temporary table there could not carry `outbox`'s definition without a second copy of it.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{from_micros, micros, Backend, Store, StoreError, WriteTx};
use crate::domain::{Change, Event, EventSpec, MailKind};

/// The messages of one kind a change would plan, and one of them to show.
#[derive(Debug, Clone)]
pub struct PlannedGroup {
    pub kind: MailKind,
    /// Registrants (seated, waiting or pending) rather than followers.
    pub to_registrants: bool,
    pub count: i64,
    /// When they would leave (the earliest).
    pub due_at: DateTime<Utc>,
    pub sample: super::Claimed,
    pub sample_subscription: Option<super::Subscription>,
    pub sample_registration: Option<super::Registration>,
}

/// What saving a change would do.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    /// The session as it would be stored.
    pub event: Event,
    /// The fields a change notice would be about.
    pub changed: Vec<Change>,
    /// The session's history with this change.
    pub history: Vec<crate::domain::HistoryEntry>,
    pub planned: Vec<PlannedGroup>,
}

impl Store {
    /// What `update_event` with `edit` would do, without doing it.
    pub async fn rehearse_update(
        &self,
        key: &str,
        edit: impl FnOnce(&Event) -> Result<Option<EventSpec>, StoreError>,
    ) -> Result<Rehearsal, StoreError> {
        let mut tx = self.write().await?;
        let since = self.now();
        let copy = self.backend == Backend::Postgres;
        let key = if copy {
            // The copy needs the session's id before the change is played.
            let current = super::events::load_one(&mut tx.tx, key, self.lock_rows()).await?;
            copy_outbox(&mut tx, Some(&current.id)).await?;
            current.id
        } else {
            key.to_string()
        };
        let play = async {
            let event = self.update_in(&mut tx, &key, edit).await?;
            planned_in(&mut tx, event, since).await
        };
        let rehearsal = if copy {
            super::outbox::rehearsing(play).await
        } else {
            play.await
        };
        drop(tx); // rolled back
        rehearsal
    }

    /// What `create_event` with `spec` would do, without doing it.
    pub async fn rehearse_create(&self, spec: EventSpec) -> Result<Rehearsal, StoreError> {
        let mut tx = self.write().await?;
        let since = self.now();
        let copy = self.backend == Backend::Postgres;
        if copy {
            copy_outbox(&mut tx, None).await?;
        }
        let play = async {
            let event = self.create_in(&mut tx, spec).await?;
            planned_in(&mut tx, event, since).await
        };
        let rehearsal = if copy {
            super::outbox::rehearsing(play).await
        } else {
            play.await
        };
        drop(tx);
        rehearsal
    }
}

/// Makes `rehearsal_outbox` and `rehearsal_outbox_state` for this transaction (PostgreSQL):
/// the columns, defaults and checks of `outbox` and `outbox_state`, their unique `dedup_key`
/// and `id`, and the rows of session `event_id` (a new session has none). The messages the
/// rehearsal plans take ids after every message there is, so that none meets a copied one's
/// state. Dropped at the end of the transaction, whichever way it ends.
async fn copy_outbox(tx: &mut WriteTx, event_id: Option<&str>) -> Result<(), StoreError> {
    let table = super::outbox::REHEARSAL_TABLE;
    let state = super::outbox::REHEARSAL_STATE_TABLE;
    let conn: &mut AnyConnection = &mut tx.tx;
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM outbox")
        .fetch_one(&mut *conn)
        .await?
        .try_get("next")?;
    for statement in [
        format!(
            "CREATE TEMPORARY TABLE {table} (LIKE outbox INCLUDING DEFAULTS INCLUDING IDENTITY \
             INCLUDING CONSTRAINTS) ON COMMIT DROP"
        ),
        format!("ALTER TABLE {table} ALTER COLUMN id RESTART WITH {next}"),
        format!("CREATE UNIQUE INDEX ON {table} (dedup_key)"),
        format!(
            "CREATE TEMPORARY TABLE {state} (LIKE outbox_state INCLUDING DEFAULTS \
             INCLUDING CONSTRAINTS) ON COMMIT DROP"
        ),
        format!("CREATE UNIQUE INDEX ON {state} (id)"),
    ] {
        sqlx::query(&statement).execute(&mut *conn).await?;
    }
    if let Some(id) = event_id {
        sqlx::query(&format!(
            "INSERT INTO {table} OVERRIDING SYSTEM VALUE SELECT * FROM outbox WHERE event_id = $1"
        ))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO {state} SELECT s.* FROM outbox_state s JOIN outbox o ON o.id = s.id \
             WHERE o.event_id = $1"
        ))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn planned_in(
    tx: &mut WriteTx,
    event: Event,
    since: DateTime<Utc>,
) -> Result<Rehearsal, StoreError> {
    let conn: &mut AnyConnection = &mut tx.tx;
    // Rows this transaction planned or revived: queued, touched from its start on.
    let rows = sqlx::query(&super::outbox::on_table(
        "SELECT o.kind, o.registration_id IS NOT NULL AS to_registrants, COUNT(*) AS n, \
         MIN(s.due_at) AS due_at, MIN(o.dedup_key) AS sample FROM {outbox} o \
         JOIN {outbox_state} s ON s.id = o.id \
         WHERE o.event_id = $1 AND s.status = 'queued' AND s.updated_at >= $2 \
         GROUP BY o.kind, o.registration_id IS NOT NULL ORDER BY MIN(s.due_at), o.kind",
    ))
    .bind(&event.id)
    .bind(micros(since))
    .fetch_all(&mut *conn)
    .await?;
    let mut planned = Vec::with_capacity(rows.len());
    for row in rows {
        let sample_key: String = row.try_get("sample")?;
        let sample = super::outbox::claimed_by_key(conn, &sample_key).await?;
        let sample_subscription = match &sample.subscription_id {
            Some(id) => super::subscriptions::load_in(conn, id).await?,
            None => None,
        };
        let sample_registration = match &sample.registration_id {
            Some(id) => super::registrations::load_in(conn, id).await?,
            None => None,
        };
        let to_registrants: i64 = match row.try_get::<bool, _>("to_registrants") {
            Ok(flag) => i64::from(flag),
            Err(_) => row.try_get("to_registrants")?,
        };
        planned.push(PlannedGroup {
            kind: sample.kind,
            to_registrants: to_registrants != 0,
            count: row.try_get("n")?,
            due_at: from_micros(row.try_get("due_at")?)?,
            sample,
            sample_subscription,
            sample_registration,
        });
    }
    let history = super::events::history_in(conn, &event.id).await?;
    let changed = crate::domain::changes::changed_at(&history, event.sequence);
    Ok(Rehearsal {
        event,
        changed,
        history,
        planned,
    })
}
