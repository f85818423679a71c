//! Persistence: sessions, speakers, series and tokens, on SQLite (embedded default) or
//! PostgreSQL (several instances sharing one database).
//!
//! Both backends go through one `sqlx::AnyPool` and the same SQL (`$N` placeholders, BIGINT
//! times, 0/1 flags, JSON text); what differs — migrations, connection set-up, write locking —
//! stays in this file.

mod accounts;
pub mod actor;
mod backup;
mod changes;
mod console;
mod copy;
mod events;
mod imports;
mod native;
mod outbox;
mod registrations;
mod rehearsal;
mod series;
mod snapshots;
mod speakers;
mod subscriptions;
mod tokens;
mod vevents;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::domain::{FieldErrors, MailPolicy};

pub use accounts::{
    random_secret, Account, AuditEntry, ConsoleSession, Credentials, OpenedSession,
};
pub use changes::Changes;
pub use console::{DeliveryDay, Failure, MailCounts};
pub use copy::CopyReport;
pub use events::{
    Cursor, EventFilter, EventPage, EventPageRequest, FeedData, FeedEntry, FeedQuery, Order,
};
pub use imports::ImportAction;
pub use outbox::{Claimed, OutboxMessage, OutboxReport};
pub use registrations::{Move, NewRegistration, RegisterOutcome, Registration, SeatCount};
pub use rehearsal::{PlannedGroup, Rehearsal};
pub use snapshots::FeedSnapshot;
pub use subscriptions::{
    ConfirmError, ConsentEvent, NewSubscription, ScopeCount, SubscribeOutcome, Subscription,
};
pub use subscriptions::{ScopeFilter, SubscriptionFilter, Unsubscribed};
pub use tokens::{IssuedToken, TokenInfo};
pub use vevents::VeventWriter;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The database behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL must start with sqlite: or postgres: (got \u{201c}{}\u{201d})",
                url.split(':').next().unwrap_or(url)
            )))
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The request clashes with what is stored (a slug in use, a state that forbids it).
    #[error("{0}")]
    Conflict(String),
    /// Fields that cannot be stored as given (an unknown series, a frozen slug).
    #[error("invalid fields: {0}")]
    Invalid(FieldErrors),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// From the SQLite reads and the dispatcher's writes that bypass sqlx (`native.rs`).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// A unique-constraint violation becomes a conflict with `message`; anything else stays.
    pub(crate) fn on_unique(err: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(message())
            }
            _ => StoreError::Database(err),
        }
    }
}

/// Connection pool and backend: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time; serialising writers here avoids lock upgrades that
    /// fail with SQLITE_BUSY. PostgreSQL needs no such lock.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Bumped after every content write; caches of rendered feeds and pages check it.
    changes: Arc<Changes>,
    /// Kept to open the change watch's own connection.
    url: Arc<str>,
    /// What changes plan by way of mail (default reminders).
    policy: Arc<std::sync::RwLock<MailPolicy>>,
    /// Microseconds added to the system clock (zero but in tests that replay a history).
    clock_offset: Arc<std::sync::atomic::AtomicI64>,
    /// Writes the VEVENTs content transactions keep beside their sessions (`vevents.rs`).
    vevents: Arc<std::sync::RwLock<Option<Arc<dyn VeventWriter>>>>,
    /// The backend's own driver, for reads where `Any` costs (`native.rs`).
    native: Arc<tokio::sync::OnceCell<native::Native>>,
    /// On PostgreSQL, the dispatcher's claims, markings and a batch's subscriptions on the native
    /// driver (`native::Store::bookkeeping`).
    bookkeeping: Arc<tokio::sync::OnceCell<sqlx::PgPool>>,
    /// On SQLite, the dispatcher's own connection through rusqlite
    /// (`native::Store::on_sqlite_bookkeeping`).
    sqlite_bookkeeping: Arc<tokio::sync::OnceCell<native::SqliteBookkeeping>>,
}

/// A write transaction; dropped without `commit`, it rolls back.
pub struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    _guard: Option<OwnedMutexGuard<()>>,
    /// Set for writes to published content: committing tells every reader, here and in other
    /// instances. Token bookkeeping leaves it unset.
    changes: Option<(Arc<Changes>, Backend)>,
    /// Set for writes that may plan mail: committing wakes the dispatchers.
    mail: Option<(Arc<Changes>, Backend)>,
    /// For content writes once a writer is set: it and the transaction's start (micros), from
    /// which on the sessions it moved get their VEVENTs written again before the commit.
    vevents: Option<(Arc<dyn VeventWriter>, i64)>,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if let Some((writer, since)) = &self.vevents {
            vevents::refresh(&mut self.tx, writer.as_ref(), *since).await?;
        }
        if self.changes.is_some() {
            // Last, so the row lock (PostgreSQL) is held only for the commit itself.
            sqlx::query("UPDATE content_version SET version = version + 1 WHERE id = 1")
                .execute(&mut *self.tx)
                .await?;
        }
        if let Some((_, Backend::Postgres)) = &self.changes {
            // Transactional: delivered to listeners when (and only if) the commit succeeds.
            sqlx::query(&format!("NOTIFY {}", changes::CHANNEL))
                .execute(&mut *self.tx)
                .await?;
        }
        // A content write's notice wakes other instances' dispatchers as well.
        if let (None, Some((_, Backend::Postgres))) = (&self.changes, &self.mail) {
            sqlx::query(&format!("NOTIFY {}", changes::MAIL_CHANNEL))
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        if let Some((changes, _)) = &self.changes {
            changes.bump();
        }
        if let Some((changes, _)) = &self.mail {
            changes.wake_mail();
        }
        Ok(())
    }
}

impl Store {
    /// Connects (creating the SQLite file and its folder if needed). Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            create_sqlite_parent(url)?;
        }
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            changes: Arc::new(Changes::default()),
            url: Arc::from(url.as_str()),
            policy: Arc::default(),
            clock_offset: Arc::default(),
            vevents: Arc::default(),
            native: Arc::default(),
            bookkeeping: Arc::default(),
            sqlite_bookkeeping: Arc::default(),
        })
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// This version's migrations the database has not run yet, and those it has run that this
    /// version does not know (a newer eventail wrote it: migrations only go forward).
    pub async fn schema_state(&self) -> Result<(usize, usize), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let exists: i64 = match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
                     AND name = '_sqlx_migrations'",
                )
                .fetch_one(&self.pool)
                .await?
            }
            Backend::Postgres => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                )
                .fetch_one(&self.pool)
                .await?
            }
        };
        let applied: Vec<i64> = if exists > 0 {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?
        } else {
            Vec::new()
        };
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        let pending = known.iter().filter(|v| !applied.contains(v)).count();
        let unknown = applied.iter().filter(|v| !known.contains(v)).count();
        Ok((pending, unknown))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection of the store, for all its clones: its pools, and the
    /// dispatcher's own (`native.rs`), once the work in hand on them is done. On SQLite the
    /// file is then left whole, checkpointed, without its WAL. A use after this fails.
    pub async fn close(&self) {
        self.close_native().await;
        self.pool.close().await;
    }

    /// The change counter of this store (see [`Changes`]).
    pub fn changes(&self) -> &Arc<Changes> {
        &self.changes
    }

    /// Starts watching for writes made by other instances or processes; a serving instance
    /// calls it once. The watch ends when the last clone of this store is dropped.
    pub async fn watch_changes(&self) {
        changes::start_watch(self.backend, &self.url, &self.changes).await;
    }

    /// Starts a write transaction on published content (which may plan mail as well).
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        self.begin_write(true, true).await
    }

    /// Starts a write transaction that changes nothing readers see (token bookkeeping).
    pub(crate) async fn write_quiet(&self) -> Result<WriteTx, StoreError> {
        self.begin_write(false, false).await
    }

    /// Starts a write transaction for the dispatcher's bookkeeping (claims, leases, markings):
    /// changes nothing readers see and, on PostgreSQL, commits without waiting for the WAL to
    /// reach the disk (`synchronous_commit` off for that transaction). A server crash can then
    /// undo the last fraction of a second of claims and markings: their messages are sent again
    /// (as after a dispatcher's crash), never lost, since what plans a message still commits
    /// durably, and a later durable commit writes out every earlier one.
    ///
    /// Its statements also go without bitmap scans (`enable_bitmapscan` off for the
    /// transaction): a claim walks the queued messages' index in due order and stops after a
    /// batch, but with statistics older than the queue (a new database, or a burst of planned
    /// messages since autovacuum last analysed the outbox) the planner took the queue for a few
    /// dozen rows and chose a bitmap scan of all of it and a sort, for every claim: 40,000
    /// queued messages read and sorted to take 400, 18 ms of a 24 ms claim (BENCHMARKS.md,
    /// "Mailer"). The markings and renewals find their rows by primary key either way.
    pub(crate) async fn write_outbox(&self) -> Result<WriteTx, StoreError> {
        if self.backend == Backend::Postgres {
            let tx = self
                .pool
                .begin_with(
                    "BEGIN; SET LOCAL synchronous_commit TO off; SET LOCAL enable_bitmapscan TO off",
                )
                .await?;
            return Ok(WriteTx {
                tx,
                _guard: None,
                changes: None,
                mail: None,
                vevents: None,
            });
        }
        self.write_quiet().await
    }

    /// Starts a write transaction that plans mail without changing published content
    /// (subscriptions).
    pub(crate) async fn write_mail(&self) -> Result<WriteTx, StoreError> {
        self.begin_write(false, true).await
    }

    /// The time writes and the outbox go by: the system clock, unless `set_clock` moved it.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = self.clock_offset.load(std::sync::atomic::Ordering::Relaxed);
        Utc::now() + chrono::Duration::microseconds(offset)
    }

    /// Moves this store's clock (every clone of it) so that `now()` reads `at` and runs on from
    /// there. For tests and rehearsals that replay a session's life at its real dates — posted,
    /// edited, reminded, recorded — against a real store and a real mail server.
    pub fn set_clock(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_microseconds().unwrap_or(0);
        self.clock_offset
            .store(offset, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets what changes plan by way of mail; `serve` and the CLI set it from configuration.
    pub fn set_mail_policy(&self, policy: MailPolicy) {
        if let Ok(mut current) = self.policy.write() {
            *current = policy;
        }
    }

    pub fn mail_policy(&self) -> MailPolicy {
        self.policy.read().map(|p| p.clone()).unwrap_or_default()
    }

    async fn begin_write(&self, content: bool, mail: bool) -> Result<WriteTx, StoreError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = match self.backend {
            // Takes SQLite's write lock now, waiting (busy_timeout) for another process's
            // writer: a deferred transaction that reads first would fail with SQLITE_BUSY when it
            // upgrades to write while the CLI or another process writes the same file.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _guard: guard,
            changes: content.then(|| (self.changes.clone(), self.backend)),
            mail: mail.then(|| (self.changes.clone(), self.backend)),
            // Read once the transaction holds the writer lock (SQLite), before anything it
            // writes, so every time it stamps is at or after this one.
            vevents: content
                .then(|| self.vevent_writer())
                .flatten()
                .map(|writer| (writer, micros(self.now()))),
        })
    }

    /// `FOR UPDATE` where the backend has row locks (SQLite's writer lock covers it).
    fn lock_rows(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE OF e",
            Backend::Sqlite => "",
        }
    }
}

fn create_sqlite_parent(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Config(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
    }
    Ok(())
}

/// A row's columns as the dispatcher's reads take them, through `Any`, PostgreSQL's own driver
/// or SQLite's handle (`native`): one conversion from a row to what it holds, whichever read.
pub(crate) trait Columns {
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn int_or_null(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn text_or_null(&self, column: &str) -> Result<Option<String>, StoreError>;
}

macro_rules! columns_of {
    ($row:ty, $get:path) => {
        impl Columns for $row {
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                Ok($get(self, column)?)
            }
            fn int_or_null(&self, column: &str) -> Result<Option<i64>, StoreError> {
                Ok($get(self, column)?)
            }
            fn text(&self, column: &str) -> Result<String, StoreError> {
                Ok($get(self, column)?)
            }
            fn text_or_null(&self, column: &str) -> Result<Option<String>, StoreError> {
                Ok($get(self, column)?)
            }
        }
    };
}
columns_of!(sqlx::any::AnyRow, sqlx::Row::try_get);
columns_of!(sqlx::postgres::PgRow, sqlx::Row::try_get);
columns_of!(rusqlite::Row<'_>, rusqlite::Row::get);

/// The condition that finds the row of `table` (named `alias`, e.g. `"e."`, or `""`) whose id
/// or slug is `$1`. Not `id = $1 OR slug = $1`: PostgreSQL plans that as a scan when the
/// statement is prepared on a table of a few rows, and a connection keeps the plan until the
/// table is analysed; every lookup then read the whole table, and inserts through the API fell
/// from 540/s to 80/s as sessions grew to 100,000 (BENCHMARKS.md, « Event store »). Each
/// subquery here reads one unique index, whatever the plan was made on.
pub(crate) fn by_id_or_slug(table: &str, alias: &str) -> String {
    format!(
        "{alias}id = COALESCE((SELECT id FROM {table} WHERE id = $1), \
         (SELECT id FROM {table} WHERE slug = $1))"
    )
}

/// Microseconds since the epoch, as stored for created/updated times.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt(format!("time {us}")))
}

pub(crate) fn from_secs(s: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(s, 0).ok_or_else(|| StoreError::Corrupt(format!("time {s}")))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
