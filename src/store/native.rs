//! A second, small pool on the backend's own driver, for the reads where `sqlx::Any` costs.
//!
//! `Any` turns every value of every row into its own enum, then into the asked type: reading a
//! feed's 10,000 rows (ids, change times, kept VEVENTs) through it took three to four times as
//! long as through the backend's driver. Those reads go through this pool; everything else,
//! and every write, stays on the main pool.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

use super::{Backend, Store, StoreError};

/// Connections of the native pool: feeds are rendered one at a time per feed, rarely more.
const NATIVE_CONNECTIONS: u32 = 2;

/// Rows the SQLite worker may read ahead of the reader (about 6 MiB of feed rows at most).
const ROW_BUFFER: usize = 4096;

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
                            .connect_lazy_with(
                                SqliteConnectOptions::from_str(url)?
                                    .busy_timeout(Duration::from_secs(5))
                                    // sqlx's worker thread hands rows over a channel of 50
                                    // by default, so a feed's 10,000 rows made it wait for
                                    // the reader 200 times.
                                    .row_buffer_size(ROW_BUFFER),
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

    /// Closes the native pool too (see `close`).
    pub(crate) async fn close_native(&self) {
        match self.native.get() {
            Some(Native::Sqlite(pool)) => pool.close().await,
            Some(Native::Postgres(pool)) => pool.close().await,
            None => {}
        }
    }
}
