//! `eventail backup --out FILE`: a consistent copy of the SQLite database, taken while the
//! service runs (SQLite's `VACUUM INTO`: one read transaction, a compact file). PostgreSQL has
//! its own tools (`pg_dump`), which the README describes.

use std::path::Path;

use super::{Backend, Store, StoreError};

impl Store {
    /// Writes the database into `out`, a file that must not exist yet: first under a
    /// `.partial` name beside it, renamed once complete, so `out` is never half-written.
    /// Returns its size in bytes.
    pub async fn backup_to(&self, out: &Path) -> Result<u64, StoreError> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::Config(
                "eventail backup copies the embedded SQLite database; back up PostgreSQL \
                 with pg_dump (README, \u{ab} Backups \u{bb})"
                    .into(),
            ));
        }
        if out.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists: give a new file name",
                out.display()
            )));
        }
        let mut partial = out.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let Some(text) = partial.to_str() else {
            return Err(StoreError::Config(format!(
                "{} is not a UTF-8 path",
                partial.display()
            )));
        };
        let written = sqlx::query(&format!("VACUUM INTO '{}'", text.replace('\'', "''")))
            .execute(&self.pool)
            .await;
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
        std::fs::rename(&partial, out).map_err(|e| {
            StoreError::Config(format!("cannot move the backup to {}: {e}", out.display()))
        })?;
        Ok(std::fs::metadata(out).map(|m| m.len()).unwrap_or_default())
    }
}
