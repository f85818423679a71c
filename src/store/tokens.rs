//! Organiser API tokens: only a SHA-256 hash of each secret is kept.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{from_micros, micros, new_id, Store, StoreError};

/// Secrets start with this, so they are recognisable in a leaked file or a secret scanner.
pub const TOKEN_PREFIX: &str = "evt_";
/// `last_used_at` is refreshed at most this often, so reads do not all become writes.
const LAST_USED_GRANULARITY_MICROS: i64 = 5 * 60 * 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new token: its record and the secret, shown once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub info: TokenInfo,
    pub secret: secrecy::SecretString,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn token_from_row(row: &AnyRow) -> Result<TokenInfo, StoreError> {
    Ok(TokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        last_used_at: row
            .try_get::<Option<i64>, _>("last_used_at")?
            .map(from_micros)
            .transpose()?,
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_micros)
            .transpose()?,
    })
}

impl Store {
    /// Issues a token named `name` (unique among live tokens).
    pub async fn create_token(&self, name: &str) -> Result<IssuedToken, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(crate::domain::FieldErrors::single(
                "name",
                "must be between 1 and 100 characters",
            )));
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let now = Utc::now();
        let info = TokenInfo {
            id: new_id(),
            name: name.to_string(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = self.write_quiet().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&info.id)
        .bind(&info.name)
        .bind(hash(&secret))
        .bind(micros(now))
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            StoreError::on_unique(e, || {
                format!("a live token is already named \u{201c}{name}\u{201d}; revoke it or choose another name")
            })
        })?;
        tx.commit().await?;
        Ok(IssuedToken {
            info,
            secret: secret.into(),
        })
    }

    /// Every token, revoked ones included, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
             ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes the live token with this name or id.
    pub async fn revoke_token(&self, name_or_id: &str) -> Result<TokenInfo, StoreError> {
        let mut tx = self.write_quiet().await?;
        let row = sqlx::query(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE (name = $1 OR id = $1) AND revoked_at IS NULL",
        )
        .bind(name_or_id)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut info = token_from_row(&row)?;
        let now = Utc::now();
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(micros(now))
            .bind(&info.id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        info.revoked_at = Some(now);
        Ok(info)
    }

    /// The live token whose secret this is, if any.
    pub async fn verify_token(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash(secret))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let info = token_from_row(&row)?;
        let now = Utc::now();
        let stale = info
            .last_used_at
            .is_none_or(|t| micros(now) - micros(t) > LAST_USED_GRANULARITY_MICROS);
        if stale {
            let mut tx = self.write_quiet().await?;
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(micros(now))
                .bind(&info.id)
                .execute(&mut *tx.tx)
                .await?;
            tx.commit().await?;
        }
        Ok(Some(info))
    }
}
