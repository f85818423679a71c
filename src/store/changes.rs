//! Telling readers that stored content changed, within this process and across processes.
//!
//! Everything rendered from the store (feeds, pages) is cached against a *generation*: a counter
//! bumped after every committed content write. Writes made elsewhere reach it too:
//! - PostgreSQL: every content write sends `NOTIFY eventail_changes` inside its transaction (so
//!   the notice leaves exactly when the data is visible); each serving instance LISTENs on a
//!   connection of its own and bumps its counter on every notice. While that connection is down,
//!   the instance does not trust its caches (`is_trusted` is false) until it listens again.
//! - SQLite: the server is the usual writer, but CLI commands (`eventail import`, …) may write to
//!   the same file. A dedicated connection reads `PRAGMA data_version`, which moves when another
//!   connection commits, once a second.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::{Connection, Row};

/// The PostgreSQL channel content writes notify.
pub(crate) const CHANNEL: &str = "eventail_changes";
/// The channel of writes that plan mail without changing content (subscriptions, retries).
pub(crate) const MAIL_CHANNEL: &str = "eventail_mail";

/// A change counter shared by a store and everything that caches what it reads.
#[derive(Debug)]
pub struct Changes {
    generation: AtomicU64,
    trusted: AtomicBool,
    /// Wakes the mail dispatcher: new messages may be planned.
    mail: tokio::sync::Notify,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            generation: AtomicU64::new(1),
            trusted: AtomicBool::new(true),
            mail: tokio::sync::Notify::new(),
        }
    }
}

impl Changes {
    /// The current generation; anything rendered under an older one is out of date.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether cached renderings may be served: false while a cross-instance watch is down, so
    /// writes made elsewhere could go unnoticed.
    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        // Content writes may plan mail.
        self.wake_mail();
    }

    /// Tells the dispatcher that messages may have been planned (a wake-up is kept if nobody
    /// waits at the moment).
    pub(crate) fn wake_mail(&self) {
        self.mail.notify_one();
    }

    /// Completes at the next wake-up (or at once if one is pending).
    pub async fn mail_planned(&self) {
        self.mail.notified().await
    }

    fn set_trusted(&self, trusted: bool) {
        self.trusted.store(trusted, Ordering::Release);
        self.bump();
    }
}

async fn listen(url: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen_all([CHANNEL, MAIL_CHANNEL]).await?;
    Ok(listener)
}

/// Listens for other instances' writes on PostgreSQL until the store's `Changes` is dropped.
/// `first` is the listener set up before serving began, if that worked.
async fn watch_postgres(
    url: String,
    changes: Weak<Changes>,
    mut first: Option<sqlx::postgres::PgListener>,
) {
    let mut delay = Duration::from_millis(200);
    loop {
        let mut listener = match first.take() {
            Some(listener) => listener,
            None => match listen(&url).await {
                Ok(listener) => {
                    delay = Duration::from_millis(200);
                    // Listening again: whatever was missed meanwhile is read by the next render.
                    match changes.upgrade() {
                        Some(changes) => changes.set_trusted(true),
                        None => return,
                    }
                    listener
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for changes; feed caches are bypassed");
                    if changes.strong_count() == 0 {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                    continue;
                }
            },
        };
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                // Wakes now and then to notice that the store is gone, and to prove the
                // connection alive: a connection dropped silently (NAT, failover) would
                // otherwise leave the caches trusted while notices are lost.
                _ = tokio::time::sleep(Duration::from_secs(30)) => {
                    if changes.strong_count() == 0 { return; }
                    let probe = tokio::time::timeout(
                        Duration::from_secs(5),
                        sqlx::query("SELECT 1").execute(&mut listener),
                    )
                    .await;
                    if matches!(probe, Ok(Ok(_))) {
                        continue;
                    }
                    Err(sqlx::Error::PoolTimedOut)
                }
            };
            let Some(changes) = changes.upgrade() else {
                return;
            };
            match received {
                Ok(Some(notice)) if notice.channel() == MAIL_CHANNEL => changes.wake_mail(),
                Ok(Some(_)) => changes.bump(),
                Ok(None) | Err(_) => {
                    tracing::warn!("lost the change listener; reconnecting");
                    changes.set_trusted(false);
                    break;
                }
            }
        }
    }
}

/// Notices commits by other processes on the same SQLite file, from a first reading taken
/// before serving began.
async fn watch_sqlite(mut conn: sqlx::SqliteConnection, mut last: i64, changes: Weak<Changes>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Some(changes) = changes.upgrade() else {
            break;
        };
        match data_version(&mut conn).await {
            Ok(v) => {
                if v != last {
                    changes.bump();
                }
                last = v;
                if !changes.is_trusted() {
                    changes.set_trusted(true);
                }
            }
            Err(err) => {
                // Outside writes could go unnoticed: stop serving from the caches until the
                // watch reads again.
                if changes.is_trusted() {
                    tracing::warn!(error = %err, "cannot read the SQLite data version; feed caches are bypassed");
                    changes.set_trusted(false);
                }
            }
        }
    }
    let _ = conn.close().await;
}

async fn data_version(conn: &mut sqlx::SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get::<i64, _>(0))
}

/// Starts the watch that suits the backend, once its first connection is up, so no write made
/// after this returns can go unnoticed. The watch ends when the last clone of the store goes.
pub(crate) async fn start_watch(backend: super::Backend, url: &str, changes: &Arc<Changes>) {
    let weak = Arc::downgrade(changes);
    let url = url.to_string();
    match backend {
        super::Backend::Postgres => {
            let first = match listen(&url).await {
                Ok(listener) => Some(listener),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for changes; feed caches are bypassed");
                    changes.set_trusted(false);
                    None
                }
            };
            tokio::spawn(watch_postgres(url, weak, first));
        }
        super::Backend::Sqlite => {
            let opened = async {
                let mut conn = sqlx::SqliteConnection::connect(&url).await?;
                let version = data_version(&mut conn).await?;
                Ok::<_, sqlx::Error>((conn, version))
            }
            .await;
            match opened {
                Ok((conn, version)) => {
                    tokio::spawn(watch_sqlite(conn, version, weak));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot watch the SQLite file for outside writes; feed caches are bypassed");
                    changes.set_trusted(false);
                }
            }
        }
    }
}
