//! Registrations: seats at a session and its waiting list.
//!
//! A registration is confirmed once (double opt-in, unless the address has already proved
//! itself for this session's list), then placed: a seat while `domain::registration::placement`
//! finds one, else the waiting list, in order of arrival. Every step that takes or frees a seat
//! holds the session's row (PostgreSQL `FOR UPDATE`; SQLite's single writer does it), so
//! concurrent requests are placed one after the other and no seat is given twice or lost. A
//! freed or added seat goes to the head of the waiting list at once, in the same transaction,
//! and each person is told by mail (planned in that transaction too).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::outbox::{plan_for_registration, plan_notice, Only, QueuedOf};
use super::subscriptions::{hash, secret, ConfirmError};
use super::{from_micros, micros, new_id, Columns, Store, StoreError};
use crate::domain::notices::{self, registration_key};
use crate::domain::registration::{self, open_for_registration, Registrant};
use crate::domain::{DropReason, EmailAddress, Event, EventStatus, MailKind, RegistrationStatus};

/// A registration as organisers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Registration {
    pub id: String,
    /// The session's slug.
    pub event: String,
    pub event_title: String,
    #[serde(skip)]
    pub event_id: String,
    pub email: EmailAddress,
    pub name: String,
    pub organisation: Option<String>,
    pub status: RegistrationStatus,
    /// Place on the waiting list (1 is next), for those waiting.
    pub position: Option<i64>,
    /// Where the registration came from: `form`, `api`, or what an organiser said.
    pub source: String,
    pub requested_at: DateTime<Utc>,
    /// When the address was confirmed (or the organiser added it).
    pub confirmed_at: Option<DateTime<Utc>>,
    pub seated_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `registrant` or `organiser`.
    pub cancelled_by: Option<String>,
    /// The secret of the person's own links; never shown to organisers.
    #[serde(skip)]
    pub link_key: String,
    /// Bumped at each change of the registration itself (see the personal calendar).
    #[serde(skip)]
    pub revision: i64,
}

/// A request for a seat.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub registrant: Registrant,
    /// `form`, `api`, or an organiser's note.
    pub source: String,
    pub wording_version: String,
    pub request_ip: Option<String>,
}

/// What became of a public registration request. The form shows the same page for all of
/// them, so it tells nobody who is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// A confirmation link is on its way.
    ConfirmationPlanned,
    /// The address had already proved itself for this list: placed at once, told by mail.
    Placed(RegistrationStatus),
    /// Already seated or waiting: nothing changes, nothing is sent.
    AlreadyListed(RegistrationStatus),
}

/// Where an organiser moves a registrant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// From the waiting list to a free seat.
    ToSeat,
    /// To this place on the waiting list (1 is next; past the end goes last).
    ToWaitingList(i64),
}

/// Seats taken and people waiting at a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeatCount {
    pub capacity: Option<i64>,
    pub seated: i64,
    pub waiting: i64,
    /// `null` without a capacity.
    pub seats_left: Option<i64>,
}

const SELECT: &str = "SELECT g.id, g.event_id, e.slug AS event_slug, e.title AS event_title, \
    g.email, g.name, g.organisation, g.status, g.link_key, g.revision, g.source, \
    g.requested_at, g.confirmed_at, g.seated_at, g.cancelled_at, g.cancelled_by, \
    CASE WHEN g.status = 'waiting' THEN (SELECT COUNT(*) FROM registrations w \
    WHERE w.event_id = g.event_id AND w.status = 'waiting' AND w.arrival <= g.arrival) \
    END AS position \
    FROM registrations g JOIN events e ON e.id = g.event_id";

/// Seated by arrival, then waiting in line, then the rest by request.
const ORDER: &str = " ORDER BY CASE g.status WHEN 'seated' THEN 0 WHEN 'waiting' THEN 1 \
    WHEN 'pending' THEN 2 ELSE 3 END, g.arrival, g.requested_at, g.id";

fn from_row<R: Columns>(row: &R) -> Result<Registration, StoreError> {
    let status = row.text("status")?;
    let opt_time = |name: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
        row.int_or_null(name)?.map(from_micros).transpose()
    };
    Ok(Registration {
        id: row.text("id")?,
        event: row.text("event_slug")?,
        event_title: row.text("event_title")?,
        event_id: row.text("event_id")?,
        email: EmailAddress::from_stored(row.text("email")?),
        name: row.text("name")?,
        organisation: row.text_or_null("organisation")?,
        status: RegistrationStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("registration status {status}")))?,
        position: row.int_or_null("position")?,
        source: row.text("source")?,
        requested_at: from_micros(row.int("requested_at")?)?,
        confirmed_at: opt_time("confirmed_at")?,
        seated_at: opt_time("seated_at")?,
        cancelled_at: opt_time("cancelled_at")?,
        cancelled_by: row.text_or_null("cancelled_by")?,
        link_key: row.text("link_key")?,
        revision: row.int("revision")?,
    })
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Registration, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// A registration read inside the caller's transaction, if it exists.
pub(crate) async fn load_in(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Registration>, StoreError> {
    match load(conn, id).await {
        Ok(found) => Ok(Some(found)),
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Seats taken and people waiting.
async fn counts(conn: &mut AnyConnection, event_id: &str) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT SUM(CASE WHEN status = 'seated' THEN 1 ELSE 0 END) AS seated, \
         SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END) AS waiting \
         FROM registrations WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_one(&mut *conn)
    .await?;
    let seated: Option<i64> = row.try_get("seated")?;
    let waiting: Option<i64> = row.try_get("waiting")?;
    Ok((seated.unwrap_or(0), waiting.unwrap_or(0)))
}

/// The next place in the session's order of arrival.
async fn next_arrival(conn: &mut AnyConnection, event_id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(arrival), 0) + 1 AS next FROM registrations WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("next")?)
}

/// Whether `email` has already proved itself for `event`'s list: an active subscription that
/// covers the session, or a registration confirmed earlier for it or for a session of its
/// series. Such an address is placed without a new confirmation round.
async fn address_known(
    conn: &mut AnyConnection,
    email: &str,
    event: &Event,
) -> Result<bool, StoreError> {
    // The series is compared by id: read it from the session's row.
    let series: Option<String> = sqlx::query("SELECT series_id FROM events WHERE id = $1")
        .bind(&event.id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("series_id")?;
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM subscriptions u WHERE u.email = $1 AND u.status = 'active' \
         AND (u.scope_kind = 'all' OR (u.scope_kind = 'series' AND u.series_id = $3) \
         OR (u.scope_kind = 'event' AND u.event_id = $2))) \
         + (SELECT COUNT(*) FROM registrations g JOIN events e ON e.id = g.event_id \
         WHERE g.email = $1 AND g.confirmed_at IS NOT NULL \
         AND (g.event_id = $2 OR e.series_id = $3)) AS known",
    )
    .bind(email)
    .bind(&event.id)
    .bind(series.unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get::<i64, _>("known")? > 0)
}

/// The reminders still to come of `event`, for one seated registration.
async fn plan_reminders(
    conn: &mut AnyConnection,
    event: &Event,
    registration_id: &str,
    policy: &crate::domain::MailPolicy,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for planned in notices::reminders(event, policy, now) {
        plan_notice(
            conn,
            event,
            &planned,
            now,
            Only::Registration(registration_id),
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// The session `key` names, its row held until the end of the transaction (PostgreSQL).
    async fn held_event(&self, conn: &mut AnyConnection, key: &str) -> Result<Event, StoreError> {
        super::events::load_one(conn, key, self.lock_rows()).await
    }

    /// Places a confirmed registration: a seat while seats remain, else the end of the waiting
    /// list; plans the mail that says which, and a seat's reminders. The caller holds the
    /// session's row.
    async fn place(
        &self,
        conn: &mut AnyConnection,
        event: &Event,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<RegistrationStatus, StoreError> {
        let (seated, waiting) = counts(conn, &event.id).await?;
        let status = registration::placement(event.capacity, seated);
        let arrival = next_arrival(conn, &event.id).await?;
        sqlx::query(
            "UPDATE registrations SET status = $1, arrival = $2, confirm_hash = NULL, \
             confirm_expires = NULL, confirmed_at = COALESCE(confirmed_at, $3), \
             seated_at = CASE WHEN $1 = 'seated' THEN $3 ELSE NULL END, cancelled_at = NULL, \
             cancelled_by = NULL, revision = revision + 1, updated_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(arrival)
        .bind(micros(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let revision = revision_of(conn, id).await?;
        match status {
            RegistrationStatus::Seated => {
                let key = registration_key(MailKind::Seated, id, revision);
                plan_for_registration(conn, id, MailKind::Seated, &key, "", now).await?;
                plan_reminders(conn, event, id, &self.mail_policy(), now).await?;
            }
            _ => {
                let key = registration_key(MailKind::Waitlisted, id, revision);
                let position = (waiting + 1).to_string();
                plan_for_registration(conn, id, MailKind::Waitlisted, &key, &position, now).await?;
            }
        }
        Ok(status)
    }

    /// Gives free seats to the head of the waiting list, in order, each told by mail. Only
    /// while the session is scheduled and has not started. The caller holds the session's row.
    async fn promote(
        &self,
        conn: &mut AnyConnection,
        event: &Event,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if event.status != EventStatus::Scheduled || notices::has_started(event, now) {
            return Ok(0);
        }
        let (seated, waiting) = counts(conn, &event.id).await?;
        let n = registration::promotions(event.capacity, seated, waiting);
        if n <= 0 {
            return Ok(0);
        }
        let rows = sqlx::query(
            "SELECT id FROM registrations WHERE event_id = $1 AND status = 'waiting' \
             ORDER BY arrival LIMIT $2",
        )
        .bind(&event.id)
        .bind(n)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let id: String = row.try_get("id")?;
            self.give_seat(conn, event, &id, now).await?;
        }
        Ok(rows.len() as u64)
    }

    /// Gives a waiting registration a seat, tells the person (with the join link) and plans
    /// their reminders. The caller holds the session's row and has found the seat free.
    async fn give_seat(
        &self,
        conn: &mut AnyConnection,
        event: &Event,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE registrations SET status = 'seated', seated_at = $1, \
             revision = revision + 1, updated_at = $1 WHERE id = $2",
        )
        .bind(micros(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let revision = revision_of(conn, id).await?;
        let key = registration_key(MailKind::Promoted, id, revision);
        plan_for_registration(conn, id, MailKind::Promoted, &key, "", now).await?;
        plan_reminders(conn, event, id, &self.mail_policy(), now).await
    }

    /// Cancels a registration (the person's own link, or an organiser), drops what was queued
    /// for it, tells the person if they were on the list, and gives a freed seat to the next
    /// in line. Cancelling again changes nothing.
    async fn cancel_in(
        &self,
        conn: &mut AnyConnection,
        id: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Registration, StoreError> {
        let current = load(conn, id).await?;
        let event = self.held_event(conn, &current.event_id).await?;
        // Read again under the session's lock: a concurrent cancel or move may have won.
        let current = load(conn, id).await?;
        if current.status == RegistrationStatus::Cancelled {
            return Ok(current);
        }
        sqlx::query(
            "UPDATE registrations SET status = 'cancelled', cancelled_at = $1, cancelled_by = $2, \
             confirm_hash = NULL, confirm_expires = NULL, revision = revision + 1, updated_at = $1 \
             WHERE id = $3",
        )
        .bind(micros(now))
        .bind(by)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        super::outbox::drop_queued(
            conn,
            QueuedOf::Registration(id),
            DropReason::RegistrationCancelled,
            now,
        )
        .await?;
        if current.status.is_listed() {
            let key = registration_key(MailKind::Unregistered, id, current.revision + 1);
            plan_for_registration(conn, id, MailKind::Unregistered, &key, by, now).await?;
        }
        if current.status == RegistrationStatus::Seated {
            self.promote(conn, &event, now).await?;
        }
        load(conn, id).await
    }

    /// A public registration request (double opt-in): a confirmation link is planned, valid
    /// for `confirm_for`, unless the address has already proved itself for this list, in which
    /// case it is placed at once. A registration already seated or waiting stays as it is.
    pub async fn request_registration(
        &self,
        event_key: &str,
        new: &NewRegistration,
        confirm_for: chrono::Duration,
    ) -> Result<RegisterOutcome, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let event = self.held_event(&mut tx.tx, event_key).await?;
        open_for_registration(&event, now).map_err(|c| StoreError::Conflict(c.message().into()))?;
        let email = new.registrant.email.as_str();
        let existing =
            sqlx::query("SELECT id, status FROM registrations WHERE event_id = $1 AND email = $2")
                .bind(&event.id)
                .bind(email)
                .fetch_optional(&mut *tx.tx)
                .await?;
        let id = match existing {
            Some(row) => {
                let status: String = row.try_get("status")?;
                let status = RegistrationStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("registration status {status}")))?;
                if status.is_listed() {
                    return Ok(RegisterOutcome::AlreadyListed(status));
                }
                let id: String = row.try_get("id")?;
                sqlx::query(
                    "UPDATE registrations SET name = $1, organisation = $2, status = 'pending', \
                     source = $3, wording_version = $4, requested_at = $5, request_ip = $6, \
                     cancelled_at = NULL, cancelled_by = NULL, updated_at = $5 WHERE id = $7",
                )
                .bind(&new.registrant.name)
                .bind(&new.registrant.organisation)
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
                    "INSERT INTO registrations (id, event_id, email, name, organisation, status, \
                     link_key, source, wording_version, requested_at, request_ip, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $9)",
                )
                .bind(&id)
                .bind(&event.id)
                .bind(email)
                .bind(&new.registrant.name)
                .bind(&new.registrant.organisation)
                .bind(secret())
                .bind(&new.source)
                .bind(&new.wording_version)
                .bind(micros(now))
                .bind(&new.request_ip)
                .execute(&mut *tx.tx)
                .await?;
                id
            }
        };
        let outcome = if address_known(&mut tx.tx, email, &event).await? {
            RegisterOutcome::Placed(self.place(&mut tx.tx, &event, &id, now).await?)
        } else {
            let secret = secret();
            sqlx::query(
                "UPDATE registrations SET confirm_hash = $1, confirm_expires = $2 WHERE id = $3",
            )
            .bind(hash(&secret))
            .bind(micros(now + confirm_for))
            .bind(&id)
            .execute(&mut *tx.tx)
            .await?;
            // An earlier link still waiting to go no longer works.
            super::outbox::drop_queued(
                &mut tx.tx,
                QueuedOf::Registration(&id),
                DropReason::ConfirmationSuperseded,
                now,
            )
            .await?;
            let key = notices::confirmation_key(&id, now).replacen(
                MailKind::Confirmation.as_str(),
                MailKind::RegistrationConfirmation.as_str(),
                1,
            );
            plan_for_registration(
                &mut tx.tx,
                &id,
                MailKind::RegistrationConfirmation,
                &key,
                &secret,
                now,
            )
            .await?;
            RegisterOutcome::ConfirmationPlanned
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Follows a registration's confirmation link: the registration is placed (a seat or the
    /// waiting list).
    pub async fn confirm_registration(
        &self,
        secret: &str,
    ) -> Result<Result<Registration, ConfirmError>, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let row = sqlx::query(
            "SELECT id, event_id, confirm_expires FROM registrations \
             WHERE confirm_hash = $1 AND status = 'pending'",
        )
        .bind(hash(secret.trim()))
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(row) = row else {
            return Ok(Err(ConfirmError::Unknown));
        };
        let id: String = row.try_get("id")?;
        let event_id: String = row.try_get("event_id")?;
        let expires: Option<i64> = row.try_get("confirm_expires")?;
        if expires.is_none_or(|at| at < micros(now)) {
            return Ok(Err(ConfirmError::Expired));
        }
        let event = self.held_event(&mut tx.tx, &event_id).await?;
        if open_for_registration(&event, now).is_err() {
            return Ok(Err(ConfirmError::Closed));
        }
        // Read again under the session's lock: the same link followed twice at once places once.
        let status: String = sqlx::query("SELECT status FROM registrations WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *tx.tx)
            .await?
            .try_get("status")?;
        if status != RegistrationStatus::Pending.as_str() {
            return Ok(Err(ConfirmError::Unknown));
        }
        self.place(&mut tx.tx, &event, &id, now).await?;
        let registration = load(&mut tx.tx, &id).await?;
        tx.commit().await?;
        Ok(Ok(registration))
    }

    /// An organiser registers someone (consent collected elsewhere): placed at once, told by
    /// mail. A person already seated or waiting is a conflict.
    pub async fn add_registration(
        &self,
        event_key: &str,
        new: &NewRegistration,
    ) -> Result<Registration, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let event = self.held_event(&mut tx.tx, event_key).await?;
        open_for_registration(&event, now).map_err(|c| StoreError::Conflict(c.message().into()))?;
        let email = new.registrant.email.as_str();
        let existing =
            sqlx::query("SELECT id, status FROM registrations WHERE event_id = $1 AND email = $2")
                .bind(&event.id)
                .bind(email)
                .fetch_optional(&mut *tx.tx)
                .await?;
        let id = match existing {
            Some(row) => {
                let status: String = row.try_get("status")?;
                if RegistrationStatus::parse(&status).is_some_and(RegistrationStatus::is_listed) {
                    return Err(StoreError::Conflict(format!(
                        "{email} is already registered for this session ({status})"
                    )));
                }
                let id: String = row.try_get("id")?;
                sqlx::query(
                    "UPDATE registrations SET name = $1, organisation = $2, source = $3, \
                     wording_version = $4, requested_at = $5, confirmed_at = $5, \
                     updated_at = $5 WHERE id = $6",
                )
                .bind(&new.registrant.name)
                .bind(&new.registrant.organisation)
                .bind(&new.source)
                .bind(&new.wording_version)
                .bind(micros(now))
                .bind(&id)
                .execute(&mut *tx.tx)
                .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO registrations (id, event_id, email, name, organisation, status, \
                     link_key, source, wording_version, requested_at, confirmed_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $9, $9)",
                )
                .bind(&id)
                .bind(&event.id)
                .bind(email)
                .bind(&new.registrant.name)
                .bind(&new.registrant.organisation)
                .bind(secret())
                .bind(&new.source)
                .bind(&new.wording_version)
                .bind(micros(now))
                .execute(&mut *tx.tx)
                .await?;
                id
            }
        };
        self.place(&mut tx.tx, &event, &id, now).await?;
        let registration = load(&mut tx.tx, &id).await?;
        tx.commit().await?;
        Ok(registration)
    }

    /// The person's own link: cancels their registration.
    pub async fn cancel_registration_by_key(
        &self,
        link_key: &str,
    ) -> Result<Registration, StoreError> {
        let mut tx = self.write_mail().await?;
        let row = sqlx::query("SELECT id FROM registrations WHERE link_key = $1")
            .bind(link_key)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let id: String = row.try_get("id")?;
        let now = self.now();
        let registration = self.cancel_in(&mut tx.tx, &id, "registrant", now).await?;
        tx.commit().await?;
        Ok(registration)
    }

    /// An organiser removes a registrant of the session `event_key` (cancelled and told).
    pub async fn remove_registration(
        &self,
        event_key: &str,
        id: &str,
    ) -> Result<Registration, StoreError> {
        let mut tx = self.write_mail().await?;
        let event = super::events::load_one(&mut tx.tx, event_key, "").await?;
        let current = load(&mut tx.tx, id).await?;
        if current.event_id != event.id {
            return Err(StoreError::NotFound);
        }
        let now = self.now();
        let registration = self.cancel_in(&mut tx.tx, id, "organiser", now).await?;
        tx.commit().await?;
        Ok(registration)
    }

    /// An organiser moves a registrant: from the waiting list to a free seat, or to a place
    /// on the waiting list (a seated person's seat then goes to the head of the list).
    pub async fn move_registration(
        &self,
        event_key: &str,
        id: &str,
        to: Move,
    ) -> Result<Registration, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let event = self.held_event(&mut tx.tx, event_key).await?;
        let current = load(&mut tx.tx, id).await?;
        if current.event_id != event.id {
            return Err(StoreError::NotFound);
        }
        if !current.status.is_listed() {
            return Err(StoreError::Conflict(format!(
                "only seated or waiting registrants can be moved; this one is {}",
                current.status
            )));
        }
        match to {
            Move::ToSeat => {
                if current.status == RegistrationStatus::Seated {
                    return Ok(current);
                }
                let (seated, _) = counts(&mut tx.tx, &event.id).await?;
                if registration::seats_left(event.capacity, seated) == Some(0) {
                    return Err(StoreError::Conflict(
                        "no seat is free: raise the capacity or cancel a registration first".into(),
                    ));
                }
                self.give_seat(&mut tx.tx, &event, id, now).await?;
            }
            Move::ToWaitingList(position) => {
                let rows = sqlx::query(
                    "SELECT id FROM registrations WHERE event_id = $1 AND status = 'waiting' \
                     AND id <> $2 ORDER BY arrival",
                )
                .bind(&event.id)
                .bind(id)
                .fetch_all(&mut *tx.tx)
                .await?;
                let mut order: Vec<String> = rows
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<Result<_, _>>()?;
                let at = usize::try_from(position.max(1) - 1)
                    .unwrap_or(0)
                    .min(order.len());
                order.insert(at, id.to_string());
                // The line is numbered after everyone who arrived so far, in its new order.
                let base = next_arrival(&mut tx.tx, &event.id).await?;
                for (i, waiting_id) in order.iter().enumerate() {
                    sqlx::query("UPDATE registrations SET arrival = $1 WHERE id = $2")
                        .bind(base + i as i64)
                        .bind(waiting_id)
                        .execute(&mut *tx.tx)
                        .await?;
                }
                if current.status == RegistrationStatus::Seated {
                    sqlx::query(
                        "UPDATE registrations SET status = 'waiting', seated_at = NULL, \
                         revision = revision + 1, updated_at = $1 WHERE id = $2",
                    )
                    .bind(micros(now))
                    .bind(id)
                    .execute(&mut *tx.tx)
                    .await?;
                    super::outbox::drop_queued(
                        &mut tx.tx,
                        QueuedOf::Registration(id),
                        DropReason::Registration(RegistrationStatus::Waiting),
                        now,
                    )
                    .await?;
                    let key = registration_key(MailKind::Waitlisted, id, current.revision + 1);
                    let place = (at + 1).to_string();
                    plan_for_registration(&mut tx.tx, id, MailKind::Waitlisted, &key, &place, now)
                        .await?;
                    self.promote(&mut tx.tx, &event, now).await?;
                }
            }
        }
        let registration = load(&mut tx.tx, id).await?;
        tx.commit().await?;
        Ok(registration)
    }

    /// The registrations of a session (by id or slug), seated first, then the waiting list in
    /// order, then pending and cancelled ones; optionally of one status.
    pub async fn list_registrations(
        &self,
        event_key: &str,
        status: Option<RegistrationStatus>,
    ) -> Result<(Event, Vec<Registration>), StoreError> {
        let event = self.get_event(event_key).await?;
        let mut sql = format!("{SELECT} WHERE g.event_id = $1");
        if status.is_some() {
            sql.push_str(" AND g.status = $2");
        }
        sql.push_str(ORDER);
        let mut query = sqlx::query(&sql).bind(&event.id);
        if let Some(status) = status {
            query = query.bind(status.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let list = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok((event, list))
    }

    /// One registration of a session.
    pub async fn get_registration(
        &self,
        event_key: &str,
        id: &str,
    ) -> Result<Registration, StoreError> {
        let event = self.get_event(event_key).await?;
        let mut conn = self.pool.acquire().await?;
        let registration = load(&mut conn, id).await?;
        if registration.event_id != event.id {
            return Err(StoreError::NotFound);
        }
        Ok(registration)
    }

    /// The pending registration a confirmation link names (nothing changes).
    pub async fn registration_by_confirm_secret(
        &self,
        secret: &str,
    ) -> Result<Registration, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT} WHERE g.confirm_hash = $1 AND g.status = 'pending'"
        ))
        .bind(hash(secret.trim()))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// The registration a person's link names.
    pub async fn registration_by_key(&self, link_key: &str) -> Result<Registration, StoreError> {
        let row = sqlx::query(&format!("{SELECT} WHERE g.link_key = $1"))
            .bind(link_key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Several registrations by id (those that exist).
    pub async fn registrations_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<Registration>, StoreError> {
        // On the dispatcher's own connections, as `subscriptions_by_ids`: a reminder to a
        // session's registrants reads them in batches of up to 1,000.
        self.batch_rows(SELECT, "g.id", ids, from_row, |row| from_row(row))
            .await
    }

    /// Seats taken and people waiting at a session (by id).
    pub async fn seat_count(&self, event: &Event) -> Result<SeatCount, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (seated, waiting) = counts(&mut conn, &event.id).await?;
        Ok(SeatCount {
            capacity: event.capacity,
            seated,
            waiting,
            seats_left: registration::seats_left(event.capacity, seated),
        })
    }

    /// `seat_count` of each of `events`, in their order, in one query per 500 sessions (the
    /// console's lists) rather than one per session.
    pub async fn seat_counts(&self, events: &[Event]) -> Result<Vec<SeatCount>, StoreError> {
        let mut counted: HashMap<String, (i64, i64)> = HashMap::new();
        for chunk in events.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT event_id, SUM(CASE WHEN status = 'seated' THEN 1 ELSE 0 END) AS seated, \
                 SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END) AS waiting \
                 FROM registrations WHERE event_id IN ({}) GROUP BY event_id",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for event in chunk {
                query = query.bind(&event.id);
            }
            for row in query.fetch_all(&self.pool).await? {
                let seated: Option<i64> = row.try_get("seated")?;
                let waiting: Option<i64> = row.try_get("waiting")?;
                counted.insert(
                    row.try_get("event_id")?,
                    (seated.unwrap_or(0), waiting.unwrap_or(0)),
                );
            }
        }
        Ok(events
            .iter()
            .map(|event| {
                let (seated, waiting) = counted.get(&event.id).copied().unwrap_or((0, 0));
                SeatCount {
                    capacity: event.capacity,
                    seated,
                    waiting,
                    seats_left: registration::seats_left(event.capacity, seated),
                }
            })
            .collect())
    }
}

async fn revision_of(conn: &mut AnyConnection, id: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("SELECT revision FROM registrations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("revision")?,
    )
}

/// Before a session's capacity changes (its row held): refused when it would leave seated
/// people without their seat.
pub(crate) async fn check_capacity(
    conn: &mut AnyConnection,
    event_id: &str,
    capacity: Option<i64>,
) -> Result<(), StoreError> {
    let (seated, _) = counts(conn, event_id).await?;
    registration::check_capacity(capacity, seated).map_err(StoreError::Conflict)
}

impl Store {
    /// After a session changed (its row held): seats it now has go to the waiting list.
    pub(crate) async fn seats_after_update(
        &self,
        conn: &mut AnyConnection,
        before: &Event,
        after: &Event,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let more = match (before.capacity, after.capacity) {
            (Some(was), Some(is)) => is > was,
            (Some(_), None) => true,
            _ => false,
        };
        if more || (before.status != after.status) {
            self.promote(conn, after, now).await?;
        }
        Ok(())
    }
}
