//! Mailing-list subscriptions and their proof of consent.
//!
//! An address subscribes to a scope: everything, one series, or one session. The public form
//! uses double opt-in: the subscription stays `pending` and only its confirmation message is
//! planned until the single-use link in that message is followed. Organisers may add addresses
//! whose consent was collected elsewhere; they are active at once and recorded with that source.
//! Unsubscribing is immediate and drops the queued messages; withdrawn rows are erased later
//! (see `erase_withdrawn`).

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::{from_micros, micros, new_id, Backend, Columns, Store, StoreError};
use crate::domain::{
    DropReason, EmailAddress, EventStatus, FieldErrors, Scope, SubscriptionStatus,
};

/// A subscription as organisers see it, with its proof of consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: String,
    pub email: EmailAddress,
    /// What it covers: written as `scope` (`all`, `series` or `event`) and `target` (the
    /// series' or session's slug, for those scopes).
    #[serde(flatten)]
    pub scope: Scope,
    /// The series' or session's title, for those scopes.
    pub target_title: Option<String>,
    pub status: SubscriptionStatus,
    /// Where consent was given: `form`, or what an organiser said when adding the address.
    pub source: String,
    /// Version of the wording the person agreed to.
    pub wording_version: String,
    pub requested_at: DateTime<Utc>,
    pub request_ip: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub unsubscribe_key: String,
}

/// One step of a subscription's consent: `requested`, `confirmed`, `added` (by an organiser,
/// consent collected elsewhere) or `withdrawn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConsentEvent {
    pub at: DateTime<Utc>,
    pub action: String,
    pub source: String,
    pub wording_version: String,
    pub client: Option<String>,
}

/// What an unsubscribe link's POST did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribed {
    /// The subscription the link names, as it now stands.
    pub subscription: Subscription,
    /// How many subscriptions this request withdrew (0 when they already were).
    pub withdrawn: u64,
    /// The address's other subscriptions still active, for the page to name them and offer to
    /// leave them too.
    pub remaining: Vec<Subscription>,
}

/// Which subscriptions an organiser's listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionFilter {
    pub status: Option<SubscriptionStatus>,
    pub scope: Option<ScopeFilter>,
    /// Addresses containing this text (case-insensitive).
    pub address: Option<String>,
}

/// Which scopes a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeFilter {
    /// Subscriptions to everything.
    Everything,
    /// Subscriptions to any series.
    AnySeries,
    /// Subscriptions to any session ("remind me", registrations).
    AnyEvent,
    /// Subscriptions to one series, by id or slug.
    Series(String),
    /// Subscriptions to one session, by id or slug: who registered.
    Event(String),
}

/// A request to subscribe.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub email: EmailAddress,
    pub scope: Scope,
    pub source: String,
    pub wording_version: String,
    pub request_ip: Option<String>,
}

/// What became of a public subscribe request. The caller shows the same page for all of them,
/// so the form tells nobody whether an address is subscribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// A confirmation message is planned.
    ConfirmationPlanned,
    /// Already active: nothing sent.
    AlreadyActive,
}

/// Why a confirmation link did not confirm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    #[error("this confirmation link is unknown or was already used")]
    Unknown,
    #[error("this confirmation link has expired; subscribe again to get a new one")]
    Expired,
    /// A registration's session no longer takes registrations (started, cancelled).
    #[error("the session no longer takes registrations")]
    Closed,
}

/// How many active, pending and withdrawn subscriptions a scope has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScopeCount {
    pub scope: String,
    pub target: Option<String>,
    pub active: i64,
    pub pending: i64,
    pub unsubscribed: i64,
}

const SELECT: &str = "SELECT u.id, u.email, u.scope_kind, u.status, u.source, \
    u.wording_version, u.requested_at, u.request_ip, u.confirmed_at, u.withdrawn_at, \
    u.unsubscribe_key, s.slug AS series_slug, s.title AS series_title, \
    e.slug AS event_slug, e.title AS event_title \
    FROM subscriptions u LEFT JOIN series s ON s.id = u.series_id \
    LEFT JOIN events e ON e.id = u.event_id";

fn from_row<R: Columns>(row: &R) -> Result<Subscription, StoreError> {
    let kind = row.text("scope_kind")?;
    let (target, target_title) = match kind.as_str() {
        "series" => (
            row.text_or_null("series_slug")?,
            row.text_or_null("series_title")?,
        ),
        "event" => (
            row.text_or_null("event_slug")?,
            row.text_or_null("event_title")?,
        ),
        _ => (None, None),
    };
    let scope = Scope::from_parts(&kind, target)
        .ok_or_else(|| StoreError::Corrupt(format!("subscription scope {kind} without target")))?;
    let status = row.text("status")?;
    let opt_time = |name: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
        row.int_or_null(name)?.map(from_micros).transpose()
    };
    Ok(Subscription {
        id: row.text("id")?,
        email: EmailAddress::from_stored(row.text("email")?),
        scope,
        target_title,
        status: SubscriptionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("subscription status {status}")))?,
        source: row.text("source")?,
        wording_version: row.text("wording_version")?,
        requested_at: from_micros(row.int("requested_at")?)?,
        request_ip: row.text_or_null("request_ip")?,
        confirmed_at: opt_time("confirmed_at")?,
        withdrawn_at: opt_time("withdrawn_at")?,
        unsubscribe_key: row.text("unsubscribe_key")?,
    })
}

/// A random URL-safe secret.
/// A subscription read inside the caller's transaction, if it exists.
pub(crate) async fn load_in(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    sqlx::query(&format!("{SELECT} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub(crate) fn secret() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The scope's key and referenced ids, looked up by slug; published sessions only.
async fn resolve_scope(
    conn: &mut AnyConnection,
    scope: &Scope,
) -> Result<(&'static str, String, Option<String>, Option<String>), StoreError> {
    Ok(match scope {
        Scope::All => ("all", "all".into(), None, None),
        Scope::Series(slug) => {
            let row = sqlx::query("SELECT id FROM series WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| {
                    StoreError::Invalid(FieldErrors::single(
                        "scope",
                        format!("there is no series \u{201c}{slug}\u{201d}"),
                    ))
                })?;
            let id: String = row.try_get("id")?;
            ("series", format!("series:{id}"), Some(id), None)
        }
        Scope::Event(slug) => {
            let row = sqlx::query("SELECT id, status FROM events WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *conn)
                .await?;
            // An unknown slug, a draft's and a past or cancelled session's get one answer: a
            // draft's slug must not be told apart from one that does not exist.
            let open = match &row {
                Some(row) => row.try_get::<String, _>("status")? == EventStatus::Scheduled.as_str(),
                None => false,
            };
            let Some(row) = row.filter(|_| open) else {
                return Err(StoreError::Invalid(FieldErrors::single(
                    "scope",
                    format!("there is no session \u{201c}{slug}\u{201d} open to subscriptions"),
                )));
            };
            let id: String = row.try_get("id")?;
            ("event", format!("event:{id}"), None, Some(id))
        }
    })
}

/// Serialises requests about one key (an address, a client) on PostgreSQL until the end of the
/// transaction; SQLite's writer lock already does.
async fn lock_key(conn: &mut AnyConnection, backend: Backend, key: &str) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records one consent event.
async fn log_consent(
    conn: &mut AnyConnection,
    subscription_id: &str,
    at: DateTime<Utc>,
    action: &str,
    source: &str,
    wording_version: &str,
    client: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO consent_log (subscription_id, at, action, source, wording_version, client) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(subscription_id)
    .bind(micros(at))
    .bind(action)
    .bind(source)
    .bind(wording_version)
    .bind(client)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// A public subscribe request (double opt-in): plans the confirmation message, valid for
    /// `confirm_for`. An active subscription is left as it is.
    pub async fn request_subscription(
        &self,
        new: &NewSubscription,
        confirm_for: chrono::Duration,
    ) -> Result<SubscribeOutcome, StoreError> {
        let email = new.email.to_string();
        let mut tx = self.write_mail().await?;
        lock_key(&mut tx.tx, self.backend, &format!("subscribe:{email}")).await?;
        let now = self.now();
        let (kind, key, series_id, event_id) = resolve_scope(&mut tx.tx, &new.scope).await?;
        let existing =
            sqlx::query("SELECT id, status FROM subscriptions WHERE email = $1 AND scope_key = $2")
                .bind(&email)
                .bind(&key)
                .fetch_optional(&mut *tx.tx)
                .await?;
        let secret = secret();
        let expires = micros(now + confirm_for);
        let id = match existing {
            Some(row) => {
                let status: String = row.try_get("status")?;
                if status == SubscriptionStatus::Active.as_str() {
                    let id: String = row.try_get("id")?;
                    super::outbox::plan_already_subscribed(&mut tx.tx, &id, &email, now).await?;
                    tx.commit().await?;
                    return Ok(SubscribeOutcome::AlreadyActive);
                }
                let id: String = row.try_get("id")?;
                // A new request starts a new consent; the earlier ones stay in consent_log.
                sqlx::query(
                    "UPDATE subscriptions SET status = 'pending', confirm_hash = $1, \
                     confirm_expires = $2, source = $3, wording_version = $4, requested_at = $5, \
                     request_ip = $6, confirmed_at = NULL, withdrawn_at = NULL, updated_at = $5 \
                     WHERE id = $7",
                )
                .bind(hash(&secret))
                .bind(expires)
                .bind(&new.source)
                .bind(&new.wording_version)
                .bind(micros(now))
                .bind(&new.request_ip)
                .bind(&id)
                .execute(&mut *tx.tx)
                .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO subscriptions (id, email, scope_kind, series_id, event_id, \
                     scope_key, status, confirm_hash, confirm_expires, unsubscribe_key, source, \
                     wording_version, requested_at, request_ip, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $12, $13, $12)",
                )
                .bind(&id)
                .bind(&email)
                .bind(kind)
                .bind(&series_id)
                .bind(&event_id)
                .bind(&key)
                .bind(hash(&secret))
                .bind(expires)
                .bind(self::secret())
                .bind(&new.source)
                .bind(&new.wording_version)
                .bind(micros(now))
                .bind(&new.request_ip)
                .execute(&mut *tx.tx)
                .await?;
                id
            }
        };
        log_consent(
            &mut tx.tx,
            &id,
            now,
            "requested",
            &new.source,
            &new.wording_version,
            new.request_ip.as_deref(),
        )
        .await?;
        super::outbox::plan_confirmation(&mut tx.tx, &id, &email, &secret, now).await?;
        tx.commit().await?;
        Ok(SubscribeOutcome::ConfirmationPlanned)
    }

    /// Follows a confirmation link: the subscription becomes active.
    pub async fn confirm_subscription(
        &self,
        secret: &str,
    ) -> Result<Result<Subscription, ConfirmError>, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let row = sqlx::query(
            "SELECT id, confirm_expires, source, wording_version FROM subscriptions \
             WHERE confirm_hash = $1 AND status = 'pending'",
        )
        .bind(hash(secret.trim()))
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(row) = row else {
            return Ok(Err(ConfirmError::Unknown));
        };
        let id: String = row.try_get("id")?;
        let expires: Option<i64> = row.try_get("confirm_expires")?;
        if expires.is_none_or(|at| at < micros(now)) {
            return Ok(Err(ConfirmError::Expired));
        }
        let source: String = row.try_get("source")?;
        let wording: String = row.try_get("wording_version")?;
        log_consent(&mut tx.tx, &id, now, "confirmed", &source, &wording, None).await?;
        sqlx::query(
            "UPDATE subscriptions SET status = 'active', confirm_hash = NULL, \
             confirm_expires = NULL, confirmed_at = $1, updated_at = $1 WHERE id = $2",
        )
        .bind(micros(now))
        .bind(&id)
        .execute(&mut *tx.tx)
        .await?;
        // Reminders of sessions already announced reach a new "remind me" subscriber too.
        super::outbox::plan_for_new_subscriber(
            &mut tx.tx,
            self.backend,
            &id,
            &self.mail_policy(),
            now,
        )
        .await?;
        let subscription = load(&mut tx.tx, &id).await?;
        tx.commit().await?;
        Ok(Ok(subscription))
    }

    /// An address whose consent was collected elsewhere: active at once, nothing sent now.
    pub async fn add_subscription(
        &self,
        new: &NewSubscription,
        consent_at: DateTime<Utc>,
    ) -> Result<Subscription, StoreError> {
        let email = new.email.to_string();
        let mut tx = self.write_mail().await?;
        lock_key(&mut tx.tx, self.backend, &format!("subscribe:{email}")).await?;
        let now = self.now();
        let (kind, key, series_id, event_id) = resolve_scope(&mut tx.tx, &new.scope).await?;
        let taken = sqlx::query("SELECT id FROM subscriptions WHERE email = $1 AND scope_key = $2")
            .bind(&email)
            .bind(&key)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "{email} already has a subscription to this scope"
            )));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO subscriptions (id, email, scope_kind, series_id, event_id, scope_key, \
             status, unsubscribe_key, source, wording_version, requested_at, confirmed_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10, $11)",
        )
        .bind(&id)
        .bind(&email)
        .bind(kind)
        .bind(&series_id)
        .bind(&event_id)
        .bind(&key)
        .bind(secret())
        .bind(&new.source)
        .bind(&new.wording_version)
        .bind(micros(consent_at))
        .bind(micros(now))
        .execute(&mut *tx.tx)
        .await?;
        log_consent(
            &mut tx.tx,
            &id,
            consent_at,
            "added",
            &new.source,
            &new.wording_version,
            None,
        )
        .await?;
        super::outbox::plan_for_new_subscriber(
            &mut tx.tx,
            self.backend,
            &id,
            &self.mail_policy(),
            now,
        )
        .await?;
        let subscription = load(&mut tx.tx, &id).await?;
        tx.commit().await?;
        Ok(subscription)
    }

    /// The subscription an unsubscribe link names.
    pub async fn subscription_by_unsubscribe_key(
        &self,
        key: &str,
    ) -> Result<Subscription, StoreError> {
        let row = sqlx::query(&format!("{SELECT} WHERE u.unsubscribe_key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// The address's other subscriptions that still bring it messages (active), oldest first:
    /// what an unsubscribe page names besides the list the link is about.
    pub async fn other_active_subscriptions(
        &self,
        subscription: &Subscription,
    ) -> Result<Vec<Subscription>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        active_of_address(&mut conn, subscription.email.as_str(), &subscription.id).await
    }

    /// An unsubscribe link's POST, now. The link names one subscription, the list the message
    /// came from: `choice` leaves that one (RFC 8058's one-click, the page's first button) or
    /// every list of the address (the page's second button), dropping the queued messages of
    /// what it leaves. Unsubscribing again changes nothing.
    pub async fn unsubscribe(
        &self,
        key: &str,
        choice: crate::domain::subscription::UnsubscribeChoice,
    ) -> Result<Unsubscribed, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let row = sqlx::query("SELECT id, email FROM subscriptions WHERE unsubscribe_key = $1")
            .bind(key)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let id: String = row.try_get("id")?;
        let email: String = row.try_get("email")?;
        let withdrawn = if choice.leaves_everything() {
            withdraw_address(&mut tx.tx, self.backend, &email, choice.as_str(), now).await?
        } else {
            withdraw_list(
                &mut tx.tx,
                self.backend,
                &id,
                &email,
                choice.as_str(),
                &self.mail_policy(),
                now,
            )
            .await?
        };
        let subscription = load(&mut tx.tx, &id).await?;
        let remaining = active_of_address(&mut tx.tx, &email, &id).await?;
        tx.commit().await?;
        Ok(Unsubscribed {
            subscription,
            withdrawn,
            remaining,
        })
    }

    /// An organiser withdraws an address from every list (a request by mail to the
    /// `mailto:` unsubscribe address, a phone call). Returns how many subscriptions it left.
    pub async fn unsubscribe_address(
        &self,
        email: &EmailAddress,
        source: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_mail().await?;
        let left =
            withdraw_address(&mut tx.tx, self.backend, email.as_str(), source, self.now()).await?;
        tx.commit().await?;
        Ok(left)
    }

    /// The subscriptions `filter` selects, newest first (at most `limit`). A filter naming a
    /// series or session that does not exist is refused (field `series` or `event`) rather than
    /// answered with an empty list, which would read as "nobody registered".
    pub async fn list_subscriptions(
        &self,
        filter: &SubscriptionFilter,
        limit: i64,
    ) -> Result<Vec<Subscription>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut conditions = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(status) = filter.status {
            binds.push(status.as_str().to_string());
            conditions.push(format!("u.status = ${}", binds.len()));
        }
        match &filter.scope {
            None => {}
            Some(ScopeFilter::Everything) => conditions.push("u.scope_kind = 'all'".into()),
            Some(ScopeFilter::AnySeries) => conditions.push("u.scope_kind = 'series'".into()),
            Some(ScopeFilter::AnyEvent) => conditions.push("u.scope_kind = 'event'".into()),
            Some(ScopeFilter::Series(key)) => {
                let sql = format!(
                    "SELECT id FROM series WHERE {}",
                    super::by_id_or_slug("series", "")
                );
                let id = filter_target(&mut conn, &sql, key)
                    .await?
                    .ok_or_else(|| unknown_target("series", "series", key))?;
                binds.push(id);
                conditions.push(format!(
                    "u.scope_kind = 'series' AND u.series_id = ${}",
                    binds.len()
                ));
            }
            Some(ScopeFilter::Event(key)) => {
                let sql = format!(
                    "SELECT id FROM events WHERE {}",
                    super::by_id_or_slug("events", "")
                );
                let id = filter_target(&mut conn, &sql, key)
                    .await?
                    .ok_or_else(|| unknown_target("event", "session", key))?;
                binds.push(id);
                conditions.push(format!(
                    "u.scope_kind = 'event' AND u.event_id = ${}",
                    binds.len()
                ));
            }
        }
        if let Some(part) = filter
            .address
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let escaped = part
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            binds.push(format!("%{escaped}%"));
            conditions.push(format!("LOWER(u.email) LIKE ${} ESCAPE '\\'", binds.len()));
        }
        let mut sql = String::from(SELECT);
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(
            " ORDER BY u.requested_at DESC, u.id LIMIT ${}",
            binds.len() + 1
        ));
        let mut query = sqlx::query(&sql);
        for value in binds {
            query = query.bind(value);
        }
        query
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The consent events of a subscription, oldest first.
    pub async fn consent_history(&self, id: &str) -> Result<Vec<ConsentEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, action, source, wording_version, client FROM consent_log \
             WHERE subscription_id = $1 ORDER BY at",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ConsentEvent {
                    at: from_micros(row.try_get("at")?)?,
                    action: row.try_get("action")?,
                    source: row.try_get("source")?,
                    wording_version: row.try_get("wording_version")?,
                    client: row.try_get("client")?,
                })
            })
            .collect()
    }

    pub async fn get_subscription(&self, id: &str) -> Result<Subscription, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id).await
    }

    /// Several subscriptions by id (those that exist).
    pub async fn subscriptions_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<Subscription>, StoreError> {
        // On the dispatcher's own connections (`bookkeeping`, `on_sqlite_bookkeeping`), for
        // its batches (up to 1,000): on SQLite read in place rather than each row copied and
        // handed over by sqlx's worker thread, on PostgreSQL without `Any`'s conversion of
        // every value. With the claims and markings on the native driver, 4–17 µs less of the
        // process's CPU per message (BENCHMARKS.md, "Mailer").
        self.batch_rows(SELECT, "u.id", ids, from_row, |row| from_row(row))
            .await
    }

    /// Erases a subscription and its messages (a request to be forgotten).
    pub async fn delete_subscription(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_mail().await?;
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }

    /// Counts per scope.
    pub async fn subscription_counts(&self) -> Result<Vec<ScopeCount>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.scope_kind, s.slug AS series_slug, e.slug AS event_slug, \
             SUM(CASE WHEN u.status = 'active' THEN 1 ELSE 0 END) AS active, \
             SUM(CASE WHEN u.status = 'pending' THEN 1 ELSE 0 END) AS pending, \
             SUM(CASE WHEN u.status = 'unsubscribed' THEN 1 ELSE 0 END) AS unsubscribed \
             FROM subscriptions u LEFT JOIN series s ON s.id = u.series_id \
             LEFT JOIN events e ON e.id = u.event_id \
             GROUP BY u.scope_kind, s.slug, e.slug ORDER BY u.scope_kind, s.slug, e.slug",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let scope: String = row.try_get("scope_kind")?;
                let target = match scope.as_str() {
                    "series" => row.try_get("series_slug")?,
                    "event" => row.try_get("event_slug")?,
                    _ => None,
                };
                Ok(ScopeCount {
                    scope,
                    target,
                    active: row.try_get("active")?,
                    pending: row.try_get("pending")?,
                    unsubscribed: row.try_get("unsubscribed")?,
                })
            })
            .collect()
    }

    /// Erases subscriptions withdrawn before `withdrawn_before`, and requests never confirmed
    /// whose link expired before `expired_before`. Returns how many rows went.
    pub async fn erase_withdrawn(
        &self,
        withdrawn_before: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_quiet().await?;
        let gone = sqlx::query(
            "DELETE FROM subscriptions WHERE (status = 'unsubscribed' AND withdrawn_at < $1) \
             OR (status = 'pending' AND confirm_expires < $2)",
        )
        .bind(micros(withdrawn_before))
        .bind(micros(expired_before))
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        // Registrations the same way: cancelled ones, and requests never confirmed.
        let gone = gone
            + sqlx::query(
                "DELETE FROM registrations WHERE (status = 'cancelled' AND cancelled_at < $1) \
                 OR (status = 'pending' AND confirm_expires < $2)",
            )
            .bind(micros(withdrawn_before))
            .bind(micros(expired_before))
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
        // The form's attempt log only serves the rate limits: a day is more than any window.
        sqlx::query("DELETE FROM subscribe_attempts WHERE at < $1")
            .bind(micros(self.now() - chrono::Duration::days(1)))
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// Records an attempt at the public form and tells whether it is within the limits: at
    /// most `per_client` attempts per client address and `per_email` per target mailbox within
    /// `window`. Refused attempts count too. The mailbox is the address's `mailbox_key`, so
    /// its `+tag` variants count as one.
    pub async fn allow_subscribe_attempt(
        &self,
        client: &str,
        email: &EmailAddress,
        per_client: i64,
        per_email: i64,
        window: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let mailbox = email.mailbox_key();
        let email = mailbox.as_str();
        let mut tx = self.write_quiet().await?;
        // Parallel requests count one after the other (PostgreSQL; SQLite's writer lock does it).
        lock_key(
            &mut tx.tx,
            self.backend,
            &format!("attempt-client:{client}"),
        )
        .await?;
        lock_key(&mut tx.tx, self.backend, &format!("attempt-email:{email}")).await?;
        let now = self.now();
        let since = micros(now - window);
        sqlx::query("DELETE FROM subscribe_attempts WHERE at < $1")
            .bind(since)
            .execute(&mut *tx.tx)
            .await?;
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM subscribe_attempts WHERE client = $1) AS by_client, \
             (SELECT COUNT(*) FROM subscribe_attempts WHERE email = $2) AS by_email",
        )
        .bind(client)
        .bind(email)
        .fetch_one(&mut *tx.tx)
        .await?;
        let by_client: i64 = row.try_get("by_client")?;
        let by_email: i64 = row.try_get("by_email")?;
        sqlx::query("INSERT INTO subscribe_attempts (at, client, email) VALUES ($1, $2, $3)")
            .bind(micros(now))
            .bind(client)
            .bind(email)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(by_client < per_client && by_email < per_email)
    }
}

/// Withdraws every pending or active subscription of `email`, dropping their queued messages.
async fn withdraw_address(
    conn: &mut AnyConnection,
    backend: Backend,
    email: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    lock_key(conn, backend, &format!("subscribe:{email}")).await?;
    let rows = sqlx::query(
        "SELECT id, wording_version FROM subscriptions WHERE email = $1 AND status <> 'unsubscribed'",
    )
    .bind(email)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        let wording: String = row.try_get("wording_version")?;
        withdraw_one(conn, &id, &wording, source, now).await?;
    }
    Ok(rows.len() as u64)
}

/// Withdraws the subscription `id` of `email` only (0 if it already was). A queued message is
/// attributed to one subscription of its recipient, the most specific: the reminders this one
/// carried are planned again for the address's other active subscriptions that cover their
/// session, so leaving a series does not silence "everything".
async fn withdraw_list(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
    email: &str,
    source: &str,
    policy: &crate::domain::MailPolicy,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    lock_key(conn, backend, &format!("subscribe:{email}")).await?;
    let row = sqlx::query(
        "SELECT wording_version FROM subscriptions WHERE id = $1 AND status <> 'unsubscribed'",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(0);
    };
    let wording: String = row.try_get("wording_version")?;
    withdraw_one(conn, id, &wording, source, now).await?;
    for other in active_of_address(conn, email, id).await? {
        super::outbox::plan_for_new_subscriber(conn, backend, &other.id, policy, now).await?;
    }
    Ok(1)
}

/// Marks one subscription withdrawn, records it in the consent log and drops its queued
/// messages.
async fn withdraw_one(
    conn: &mut AnyConnection,
    id: &str,
    wording_version: &str,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE subscriptions SET status = 'unsubscribed', withdrawn_at = $1, \
         confirm_hash = NULL, confirm_expires = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(micros(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    log_consent(conn, id, now, "withdrawn", source, wording_version, None).await?;
    super::outbox::drop_queued(
        conn,
        super::outbox::QueuedOf::Subscription(id),
        DropReason::Unsubscribed,
        now,
    )
    .await
}

/// The active subscriptions of `email` other than `except`, oldest first.
async fn active_of_address(
    conn: &mut AnyConnection,
    email: &str,
    except: &str,
) -> Result<Vec<Subscription>, StoreError> {
    sqlx::query(&format!(
        "{SELECT} WHERE u.email = $1 AND u.id <> $2 AND u.status = 'active' \
         ORDER BY u.requested_at, u.id"
    ))
    .bind(email)
    .bind(except)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The id a listing filter names by id or slug (`sql` looks it up); `None` when nothing
/// answers to it.
async fn filter_target(
    conn: &mut AnyConnection,
    sql: &str,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|row| row.try_get("id")).transpose()?)
}

/// A listing filter that names nothing: the query's fault, reported on its field.
fn unknown_target(field: &str, what: &str, key: &str) -> StoreError {
    StoreError::Invalid(FieldErrors::single(
        field,
        format!("there is no {what} \u{201c}{key}\u{201d}"),
    ))
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Subscription, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}
