//! Small pools on the backend's own driver, for the reads where `sqlx::Any` costs, and on
//! PostgreSQL for the dispatcher's claims and markings.
//!
//! `Any` turns every value of every row into its own enum, then into the asked type: reading a
//! feed's 10,000 rows (ids, change times, kept VEVENTs) through it took three to four times as
//! long as through the backend's driver. Those reads go through the native pool; the
//! dispatcher's claims, markings and a batch's subscriptions through its own connections
//! (`bookkeeping` on PostgreSQL, `on_sqlite_bookkeeping` on SQLite); every other read and
//! write stays on the main pool.
//!
//! On SQLite, these reads go one step further, through `read_sqlite`: sqlx's SQLite driver
//! copies every value of every row on its worker thread and hands each row over as a message,
//! which was half of the feed read's time; `read_sqlite` steps the statement itself on the
//! pooled connection's handle, through rusqlite, and reads each value in place.
//!
//! The dispatcher's claims, markings and a batch's subscriptions go the same way on SQLite, on
//! a connection of its own that rusqlite opens (`on_sqlite_bookkeeping`), on a blocking
//! thread: the dispatcher's task goes on with the sends meanwhile, as it did while sqlx's
//! worker thread ran the statements.

use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::{Backend, Store, StoreError};

/// Connections of the native pool: feeds are rendered one at a time per feed, rarely more.
const NATIVE_CONNECTIONS: u32 = 2;

/// Connections of the dispatcher's pool on PostgreSQL: one marking at a time, beside the claim
/// of the next batch and the read of its subscriptions.
const BOOKKEEPING_CONNECTIONS: u32 = 2;

pub(crate) enum Native {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// The native pool, opened at first use (connections are made when needed).
    pub(crate) async fn native(&self) -> Result<&Native, StoreError> {
        self.native
            .get_or_try_init(|| async {
                let url: &str = &self.url;
                let idle = Some(Duration::from_secs(60));
                Ok(match self.backend {
                    Backend::Sqlite => Native::Sqlite(
                        SqlitePoolOptions::new()
                            .max_connections(NATIVE_CONNECTIONS)
                            .min_connections(0)
                            .idle_timeout(idle)
                            .acquire_timeout(Duration::from_secs(10))
                            // Its connections are read through `read_sqlite` only,
                            // so sqlx's row channel (`row_buffer_size`) plays no part.
                            .connect_lazy_with(
                                SqliteConnectOptions::from_str(url)?
                                    .busy_timeout(Duration::from_secs(5)),
                            ),
                    ),
                    Backend::Postgres => Native::Postgres(
                        PgPoolOptions::new()
                            .max_connections(NATIVE_CONNECTIONS)
                            .min_connections(0)
                            .idle_timeout(idle)
                            .acquire_timeout(Duration::from_secs(10))
                            // A feed's list with its texts costs just under the JIT's
                            // threshold at 10,000 sessions; compiling it would cost more
                            // than it saves.
                            .connect_lazy_with(
                                PgConnectOptions::from_str(url)?.options([("jit", "off")]),
                            ),
                    ),
                })
            })
            .await
    }

    /// On PostgreSQL, the dispatcher's own pool on the native driver, for its claims, its
    /// markings of sent messages and a batch's subscriptions (opened at first use); `None` on
    /// SQLite, where `on_sqlite_bookkeeping` does the same.
    ///
    /// Its sessions are set once as `write_outbox` sets each of its transactions on the main
    /// pool: commits that do not wait for the WAL to reach the disk (`synchronous_commit` off;
    /// what a server crash undoes is sent again, never lost) and no bitmap scans (a claim walks
    /// the queue in due order, whatever the statistics). A marking is then one statement that
    /// commits on its own: one round trip where `BEGIN` and its settings, the `UPDATE` and
    /// `COMMIT` took three, for every marking (MARK_EVERY / 2 messages at full speed). The ids
    /// go as an array of integers and the claimed rows come back without `Any`'s conversion of
    /// every value.
    pub(crate) async fn bookkeeping(&self) -> Result<Option<&PgPool>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let pool = self
            .bookkeeping
            .get_or_try_init(|| async {
                Ok::<_, StoreError>(
                    PgPoolOptions::new()
                        .max_connections(BOOKKEEPING_CONNECTIONS)
                        .min_connections(0)
                        .idle_timeout(Some(Duration::from_secs(60)))
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_lazy_with(PgConnectOptions::from_str(&self.url)?.options([
                            ("synchronous_commit", "off"),
                            ("enable_bitmapscan", "off"),
                            ("jit", "off"),
                        ])),
                )
            })
            .await?;
        Ok(Some(pool))
    }

    /// Closes the native pools and the dispatcher's own connections too (see `close`).
    pub(crate) async fn close_native(&self) {
        match self.native.get() {
            Some(Native::Sqlite(pool)) => pool.close().await,
            Some(Native::Postgres(pool)) => pool.close().await,
            None => {}
        }
        if let Some(pool) = self.bookkeeping.get() {
            pool.close().await;
        }
        // The dispatcher's SQLite connection, once the work in hand on it is done (the lock),
        // so that the last connection to close checkpoints the file and removes its WAL.
        if let Some(connection) = self.sqlite_bookkeeping.get().cloned() {
            let closed = tokio::task::spawn_blocking(move || {
                let db = connection
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                db.map(rusqlite::Connection::close)
            })
            .await;
            if let Ok(Some(Err((_, err)))) = closed {
                tracing::warn!(error = %err, "closing the dispatcher's SQLite connection");
            }
        }
    }
}

/// On SQLite, the dispatcher's connection (`Store::on_sqlite_bookkeeping`); `None` once the
/// store is closed (`close_native`).
pub(crate) type SqliteBookkeeping = Arc<Mutex<Option<rusqlite::Connection>>>;

impl Store {
    /// Runs `work` on the dispatcher's own SQLite connection, on a blocking thread; with
    /// `write`, in one transaction under the store's write lock, begun `IMMEDIATE` as every
    /// write transaction of the store is. The connection is opened at first use with the main
    /// pool's settings (`busy_timeout`, foreign keys, `synchronous = NORMAL`; the file is
    /// already in WAL mode) and keeps its prepared statements (`prepare_cached`).
    ///
    /// Through sqlx, a claim of 400 came back as 800 rows copied value by value on sqlx's
    /// worker thread and handed over one message each, then turned into `Any`'s values; here
    /// the rows are read in place. The task awaiting it is not blocked meanwhile (unlike
    /// `read_sqlite`, which runs on the caller's thread): the sends beside a claim go on.
    /// Dropping the future does not stop `work`, which ends (and commits) on its own.
    pub(crate) async fn on_sqlite_bookkeeping<T: Send + 'static>(
        &self,
        write: bool,
        work: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = self
            .sqlite_bookkeeping
            .get_or_try_init(|| async {
                let options = SqliteConnectOptions::from_str(&self.url)?;
                let path = options.get_filename();
                if path.as_os_str() == ":memory:" || self.url.contains("mode=memory") {
                    return Err(StoreError::Config(
                        "the dispatcher needs a SQLite file, not an in-memory database".into(),
                    ));
                }
                let db = rusqlite::Connection::open(path)?;
                db.busy_timeout(Duration::from_secs(5))?;
                db.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
                Ok(Arc::new(Mutex::new(Some(db))))
            })
            .await?
            .clone();
        let guard = match (&self.write_lock, write) {
            (Some(lock), true) => Some(lock.clone().lock_owned().await),
            _ => None,
        };
        tokio::task::spawn_blocking(move || {
            let mut slot = connection.lock().unwrap_or_else(PoisonError::into_inner);
            // Closed with the store, as its pools are: the same error as theirs.
            let db = slot
                .as_mut()
                .ok_or(StoreError::Database(sqlx::Error::PoolClosed))?;
            let result = if write {
                let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let done = work(&tx)?;
                tx.commit()?;
                Ok(done)
            } else {
                work(db)
            };
            drop(guard);
            result
        })
        .await
        .map_err(|err| {
            StoreError::Corrupt(format!("the SQLite bookkeeping thread failed: {err}"))
        })?
    }

    /// Rows of `select` (a query without its condition) whose `column` is one of `ids`, on the
    /// dispatcher's own connections: a batch's subscriptions or registrations, read once per
    /// batch. PostgreSQL gets the ids as one array (`= ANY($1)`: one prepared statement
    /// whatever their count, and a plan that reads the primary key), SQLite as one JSON array
    /// read in place. `from_pg` and `from_sqlite` read a row of either driver (the same
    /// `Columns` mapping); ids that match nothing are left out.
    pub(crate) async fn batch_rows<T: Send + 'static>(
        &self,
        select: &str,
        column: &str,
        ids: &[String],
        from_pg: impl Fn(&PgRow) -> Result<T, StoreError>,
        from_sqlite: impl Fn(&rusqlite::Row<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<Vec<T>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(pool) = self.bookkeeping().await? {
            return sqlx::query(&format!("{select} WHERE {column} = ANY($1)"))
                .bind(ids)
                .fetch_all(pool)
                .await?
                .iter()
                .map(from_pg)
                .collect();
        }
        let sql = format!("{select} WHERE {column} IN (SELECT value FROM json_each(?1))");
        let list = serde_json::to_string(ids)
            .map_err(|err| StoreError::Corrupt(format!("ids of a batch: {err}")))?;
        let count = ids.len();
        self.on_sqlite_bookkeeping(false, move |db| {
            let mut statement = db.prepare_cached(&sql)?;
            let mut rows = statement.query([&list])?;
            let mut found = Vec::with_capacity(count);
            while let Some(row) = rows.next()? {
                found.push(from_sqlite(row)?);
            }
            Ok(found)
        })
        .await
    }
}

/// Runs `read` on a connection of the native SQLite pool, through rusqlite on the connection's
/// own handle: the values of each row are read where SQLite keeps them, without sqlx's copy of
/// every value and its message per row.
///
/// `read` blocks the thread for as long as it runs (a feed's 10,000 rows: tens of
/// milliseconds); on a multi-threaded runtime the thread's other tasks move elsewhere meanwhile.
pub(crate) async fn read_sqlite<T>(
    pool: &SqlitePool,
    read: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut conn = pool.acquire().await?;
    let mut locked = conn.lock_handle().await?;
    let raw = locked.as_raw_handle();
    let run = || {
        // SAFETY: `raw` is the open handle of the connection sqlx keeps for `conn`. While
        // `locked` lives, sqlx's worker thread makes no call on that handle or its statements
        // (the guarantee of `LockedSqliteHandle`), and `locked` outlives this closure. The
        // rusqlite connection only borrows the handle: `from_handle` never closes it, and the
        // connection is dropped, finalising the statements `read` prepared, before this
        // closure returns. Both crates link the same `libsqlite3-sys` (Cargo.lock), so the
        // handle's type and the library behind it are one.
        let borrowed = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        read(&borrowed)
    };
    let result = match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
        _ => run(),
    };
    drop(locked);
    result
}
