//! Copying a store's content into another database (`eventail migrate-data --to URL`): from the
//! embedded SQLite file to PostgreSQL when one instance is no longer enough, or back. Every row
//! keeps its ids, slugs, sequences and times, so a session's calendar UID (its id) is the same
//! after the move and calendar subscribers see no duplicate; the outbox keeps its history and
//! what is still to send.
//!
//! The source is read in one transaction (a consistent snapshot) and the target written in
//! one: a copy that fails leaves the target as it was. The target must be empty.

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Store, StoreError};

/// The tables copied, in an order their references allow. Feed snapshots are a cache, rebuilt
/// on the first request; `_sqlx_migrations` belongs to each database.
const TABLES: [&str; 20] = [
    "series",
    "speakers",
    "events",
    "event_tags",
    "event_speakers",
    "event_changes",
    "api_tokens",
    "content_version",
    "subscriptions",
    "consent_log",
    "registrations",
    "outbox",
    "outbox_state",
    "subscribe_attempts",
    "import_sources",
    "accounts",
    "password_links",
    "console_sessions",
    "login_failures",
    "audit_log",
];

/// Tables not copied: caches (rebuilt by the first renders), and each database's own record of
/// its migrations.
const NOT_COPIED: [&str; 3] = ["feed_snapshots", "session_vevents", "_sqlx_migrations"];

/// Rows per INSERT: well under both backends' limits on parameters (SQLite 32,766, PostgreSQL
/// 65,535) for the widest table.
const ROWS_PER_INSERT: usize = 200;

/// How many rows of each table were copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

/// A column and whether it holds integers (else text).
struct Column {
    name: String,
    integer: bool,
}

impl Store {
    /// Copies everything this store holds into `target`, whose schema must be up to date and
    /// which must hold nothing yet.
    pub async fn copy_into(&self, target: &Store) -> Result<CopyReport, StoreError> {
        let mut source = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *source)
                .await?;
        }
        let mut into = target.pool.begin().await?;
        let tables_sql = match target.backend {
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
        };
        let all: Vec<String> = sqlx::query_scalar(tables_sql).fetch_all(&mut *into).await?;
        if let Some(unknown) = all
            .iter()
            .find(|t| !TABLES.contains(&t.as_str()) && !NOT_COPIED.contains(&t.as_str()))
        {
            return Err(StoreError::Conflict(format!(
                "this version does not know how to copy the table {unknown}"
            )));
        }
        for table in TABLES.iter().filter(|t| **t != "content_version") {
            let count = count(&mut into, table).await?;
            if count > 0 {
                return Err(StoreError::Conflict(format!(
                    "the target database already holds data ({count} rows in {table}): \
                     migrate-data copies into an empty database"
                )));
            }
        }
        let mut report = CopyReport { tables: Vec::new() };
        for table in TABLES {
            let ours = columns(&mut into, target.backend, table).await?;
            let theirs = columns(&mut source, self.backend, table).await?;
            let names = |c: &[Column]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            if names(&ours) != names(&theirs) {
                return Err(StoreError::Conflict(format!(
                    "the two databases' {table} tables differ: run `eventail migrate` with \
                     this version on both"
                )));
            }
            let list = ours
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let select = format!("SELECT {list} FROM {table} ORDER BY 1");
            if table == "content_version" {
                // One row, made by the migration: the source's version replaces it.
                let rows = sqlx::query(&select).fetch_all(&mut *source).await?;
                for row in &rows {
                    sqlx::query("UPDATE content_version SET version = $1 WHERE id = $2")
                        .bind(row.try_get::<i64, _>("version")?)
                        .bind(row.try_get::<i64, _>("id")?)
                        .execute(&mut *into)
                        .await?;
                }
                report.tables.push((table, rows.len() as u64));
                continue;
            }
            // The outbox's ids are an identity on PostgreSQL: kept as they were.
            let overriding = if target.backend == Backend::Postgres && table == "outbox" {
                " OVERRIDING SYSTEM VALUE"
            } else {
                ""
            };
            // Read as a stream and written ROWS_PER_INSERT at a time: a large outbox or audit
            // log is never held in memory whole.
            let mut read = 0_usize;
            let mut rows = sqlx::query(&select).fetch(&mut *source);
            let mut chunk = Vec::with_capacity(ROWS_PER_INSERT);
            while let Some(row) = rows.try_next().await? {
                chunk.push(row);
                if chunk.len() == ROWS_PER_INSERT {
                    insert(&mut into, table, &ours, &list, overriding, &chunk).await?;
                    read += chunk.len();
                    chunk.clear();
                }
            }
            if !chunk.is_empty() {
                insert(&mut into, table, &ours, &list, overriding, &chunk).await?;
                read += chunk.len();
            }
            drop(rows);
            let copied = count(&mut into, table).await?;
            if copied != read as i64 {
                return Err(StoreError::Conflict(format!(
                    "{table}: {read} rows read, {copied} written"
                )));
            }
            report.tables.push((table, read as u64));
        }
        if target.backend == Backend::Postgres {
            // The next message planned takes the id after the last one copied.
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('outbox', 'id'), \
                 COALESCE((SELECT MAX(id) FROM outbox), 0) + 1, false)",
            )
            .execute(&mut *into)
            .await?;
        }
        into.commit().await?;
        source.rollback().await?;
        Ok(report)
    }
}

async fn count(conn: &mut AnyConnection, table: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await?)
}

/// The table's columns in their order, as the database describes them.
async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<Column>, StoreError> {
    let sql = match backend {
        Backend::Postgres => {
            "SELECT column_name::text AS name, data_type::text AS type \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(conn).await?;
    let mut columns: Vec<Column> = rows
        .iter()
        .map(|row| {
            let kind: String = row.try_get("type")?;
            Ok(Column {
                name: row.try_get("name")?,
                integer: kind.to_lowercase().contains("int"),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    // The same order on both sides, whatever order later migrations added columns in.
    columns.sort_by(|a, b| a.name.cmp(&b.name));
    if columns.is_empty() {
        return Err(StoreError::Conflict(format!("no table {table}")));
    }
    Ok(columns)
}

async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[Column],
    list: &str,
    overriding: &str,
    rows: &[AnyRow],
) -> Result<(), StoreError> {
    let mut values = Vec::with_capacity(rows.len());
    let mut n = 0;
    for _ in rows {
        let placeholders: Vec<String> = columns
            .iter()
            .map(|_| {
                n += 1;
                format!("${n}")
            })
            .collect();
        values.push(format!("({})", placeholders.join(", ")));
    }
    let sql = format!(
        "INSERT INTO {table} ({list}){overriding} VALUES {}",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        for column in columns {
            let name = column.name.as_str();
            query = if column.integer {
                query.bind(row.try_get::<Option<i64>, _>(name)?)
            } else {
                query.bind(row.try_get::<Option<String>, _>(name)?)
            };
        }
    }
    query.execute(conn).await?;
    Ok(())
}
