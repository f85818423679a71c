//! Console accounts, their one-time password links, server-side console sessions, failed
//! logins, and the audit log of writes. Secrets (links, session cookies) are kept only as
//! SHA-256 hashes; passwords as Argon2id PHC strings, hashed by the caller.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{from_micros, micros, new_id, Store, StoreError};
use crate::domain::account::{ConsolePolicy, NewAccount, Role};
use crate::domain::EmailAddress;

/// An account as the console and the CLI show it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Whether a password has been set (through a link).
    pub has_password: bool,
}

/// An account and its password hash, for checking a login.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    pub password_hash: Option<String>,
}

/// A live console session: its account and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub account: Account,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A new console session: the cookie's secret (shown once) and the session.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub secret: String,
    pub csrf_token: String,
}

/// `last_seen_at` is written at most this often, so browsing does not turn every read into a
/// write; the idle expiry is therefore exact to within this.
const TOUCH_GRANULARITY_MICROS: i64 = 60 * 1_000_000;

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh random secret, hex-encoded (256 bits).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

const ACCOUNT_COLUMNS: &str =
    "a.id, a.email, a.name, a.role, a.created_at, a.disabled_at, a.password_hash";

fn account_from_row(row: &AnyRow) -> Result<Account, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        created_at: from_micros(row.try_get("created_at")?)?,
        disabled_at: row
            .try_get::<Option<i64>, _>("disabled_at")?
            .map(from_micros)
            .transpose()?,
        has_password: row.try_get::<Option<String>, _>("password_hash")?.is_some(),
    })
}

impl Store {
    /// Creates an account without a password, and a link secret to set it (valid for
    /// `policy.password_link`).
    pub async fn create_account(
        &self,
        new: &NewAccount,
        policy: &ConsolePolicy,
    ) -> Result<(Account, String), StoreError> {
        let now = self.now();
        let account = Account {
            id: new_id(),
            email: new.email.as_str().to_string(),
            name: new.name.clone(),
            role: new.role,
            created_at: now,
            disabled_at: None,
            has_password: false,
        };
        let mut tx = self.write_quiet().await?;
        sqlx::query(
            "INSERT INTO accounts (id, email, name, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&account.id)
        .bind(&account.email)
        .bind(&account.name)
        .bind(account.role.as_str())
        .bind(micros(now))
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            StoreError::on_unique(e, || {
                format!("an account already has the address {}", account.email)
            })
        })?;
        let secret = insert_link(&mut tx, &account.id, now, policy).await?;
        tx.commit().await?;
        Ok((account, secret))
    }

    /// A new password link for the live account with this address (older links stay valid
    /// until they expire or one of them is used).
    pub async fn password_link(
        &self,
        email: &str,
        policy: &ConsolePolicy,
    ) -> Result<(Account, String), StoreError> {
        let account = self.account_by_email(email).await?;
        if account.disabled_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "the account {} is disabled",
                account.email
            )));
        }
        let mut tx = self.write_quiet().await?;
        let secret = insert_link(&mut tx, &account.id, self.now(), policy).await?;
        tx.commit().await?;
        Ok((account, secret))
    }

    /// The live account a password link is for, if the link is unused and unexpired.
    pub async fn account_for_link(&self, secret: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM password_links l JOIN accounts a ON a.id = l.account_id \
             WHERE l.secret_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 \
             AND a.disabled_at IS NULL"
        ))
        .bind(hash(secret))
        .bind(micros(self.now()))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// Sets the password (already hashed) of the link's account, uses up every link of that
    /// account and ends its sessions. `NotFound` when the link is unknown, used or expired.
    pub async fn set_password(
        &self,
        secret: &str,
        password_hash: &str,
    ) -> Result<Account, StoreError> {
        let now = self.now();
        let mut tx = self.write_quiet().await?;
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM password_links l JOIN accounts a ON a.id = l.account_id \
             WHERE l.secret_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 \
             AND a.disabled_at IS NULL"
        ))
        .bind(hash(secret))
        .bind(micros(now))
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut account = account_from_row(&row)?;
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(&account.id)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query(
            "UPDATE password_links SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL",
        )
        .bind(micros(now))
        .bind(&account.id)
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
            .bind(&account.id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        account.has_password = true;
        Ok(account)
    }

    /// Every account, by address.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.email"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_from_row).collect()
    }

    /// How many live accounts are admins (the console refuses to disable the last one).
    pub async fn count_live_admins(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM accounts WHERE role = 'admin' AND disabled_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// The account with this address (any case), disabled or not.
    pub async fn account_by_email(&self, email: &str) -> Result<Account, StoreError> {
        Ok(self
            .credentials(email)
            .await?
            .ok_or(StoreError::NotFound)?
            .account)
    }

    /// The account with this address and its password hash, for a login. The address is
    /// looked up in its canonical form (`EmailAddress::lookup_form`, as the login throttle
    /// counts it), and also as typed, lower-cased: an account created before addresses were
    /// canonical keeps the spelling it was stored with (a Unicode domain), and the canonical
    /// row wins if both exist.
    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = $1 OR a.email = $2 \
             ORDER BY CASE WHEN a.email = $1 THEN 0 ELSE 1 END LIMIT 1"
        ))
        .bind(EmailAddress::lookup_form(email))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Credentials {
                account: account_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// Disables an account: its sessions end at once and it can no longer log in.
    pub async fn disable_account(&self, email: &str) -> Result<Account, StoreError> {
        let mut account = self.account_by_email(email).await?;
        if account.disabled_at.is_some() {
            return Ok(account);
        }
        let now = self.now();
        let mut tx = self.write_quiet().await?;
        sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
            .bind(micros(now))
            .bind(&account.id)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
            .bind(&account.id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        account.disabled_at = Some(now);
        Ok(account)
    }

    /// Opens a console session for a live account.
    pub async fn open_console_session(
        &self,
        account_id: &str,
    ) -> Result<OpenedSession, StoreError> {
        let opened = OpenedSession {
            secret: random_secret(),
            csrf_token: random_secret(),
        };
        let now = micros(self.now());
        let mut tx = self.write_quiet().await?;
        sqlx::query(
            "INSERT INTO console_sessions (secret_hash, account_id, csrf_token, created_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(hash(&opened.secret))
        .bind(account_id)
        .bind(&opened.csrf_token)
        .bind(now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(opened)
    }

    /// The live session this cookie secret opens, its use recorded; `None` when unknown,
    /// expired (then deleted) or its account disabled.
    pub async fn console_session(
        &self,
        secret: &str,
        policy: &ConsolePolicy,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let key = hash(secret);
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, s.csrf_token, s.created_at AS session_created, \
             s.last_seen_at FROM console_sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.secret_hash = $1"
        ))
        .bind(&key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = ConsoleSession {
            account: account_from_row(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: from_micros(row.try_get("session_created")?)?,
            last_seen_at: from_micros(row.try_get("last_seen_at")?)?,
        };
        let now = self.now();
        let alive = session.account.disabled_at.is_none()
            && policy.session_alive(session.created_at, session.last_seen_at, now);
        if !alive {
            self.close_console_session(secret).await?;
            return Ok(None);
        }
        if micros(now) - micros(session.last_seen_at) > TOUCH_GRANULARITY_MICROS {
            let mut tx = self.write_quiet().await?;
            sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE secret_hash = $2")
                .bind(micros(now))
                .bind(&key)
                .execute(&mut *tx.tx)
                .await?;
            tx.commit().await?;
        }
        Ok(Some(session))
    }

    /// Ends a console session (logout); unknown secrets are ignored.
    pub async fn close_console_session(&self, secret: &str) -> Result<(), StoreError> {
        let mut tx = self.write_quiet().await?;
        sqlx::query("DELETE FROM console_sessions WHERE secret_hash = $1")
            .bind(hash(secret))
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Failed logins recorded under `key` since `since`.
    pub async fn login_failures(&self, key: &str, since: DateTime<Utc>) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM login_failures WHERE throttle_key = $1 AND failed_at > $2",
        )
        .bind(key)
        .bind(micros(since))
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Records a failed login under each key, and forgets failures older than `forget_before`.
    pub async fn record_login_failure(
        &self,
        keys: &[&str],
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = micros(self.now());
        let mut tx = self.write_quiet().await?;
        sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1")
            .bind(micros(forget_before))
            .execute(&mut *tx.tx)
            .await?;
        for key in keys {
            sqlx::query("INSERT INTO login_failures (throttle_key, failed_at) VALUES ($1, $2)")
                .bind(*key)
                .bind(now)
                .execute(&mut *tx.tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the failures of an address once its owner has logged in.
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        let mut tx = self.write_quiet().await?;
        sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
            .bind(key)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an accepted write in the audit log.
    pub async fn record_audit(
        &self,
        actor: &str,
        method: &str,
        path: &str,
        status: u16,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_quiet().await?;
        sqlx::query(
            "INSERT INTO audit_log (at, actor, method, path, status) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(micros(self.now()))
        .bind(actor)
        .bind(method)
        .bind(path)
        .bind(i64::from(status))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest writes of the audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, method, path, status FROM audit_log ORDER BY at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: from_micros(row.try_get("at")?)?,
                    actor: row.try_get("actor")?,
                    method: row.try_get("method")?,
                    path: row.try_get("path")?,
                    status: row.try_get("status")?,
                })
            })
            .collect()
    }
}

/// One accepted write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub method: String,
    pub path: String,
    pub status: i64,
}

async fn insert_link(
    tx: &mut super::WriteTx,
    account_id: &str,
    now: DateTime<Utc>,
    policy: &ConsolePolicy,
) -> Result<String, StoreError> {
    let secret = random_secret();
    sqlx::query(
        "INSERT INTO password_links (secret_hash, account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash(&secret))
    .bind(account_id)
    .bind(micros(now))
    .bind(micros(now + policy.password_link))
    .execute(&mut *tx.tx)
    .await?;
    Ok(secret)
}
