//! The durable outbox: every message to send, planned in the transaction of the change that
//! causes it, then claimed, sent and marked by the dispatcher (`mailer::dispatcher`).
//!
//! Each row has a `dedup_key` naming the notice and its recipient (session, kind, sequence or
//! reminder, address): planning the same notice again is a no-op, so nobody gets it twice, even
//! with several subscriptions covering one session. Claims are leases: a claimed row is
//! `sending` until `lease_until`, after which any dispatcher may take it over (its instance is
//! presumed dead). On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so instances share work.
//!
//! A message is two rows: what it is in `outbox` (its notice, recipient, session, subscription
//! or registration), written when it is planned, and what its life changes in `outbox_state`
//! (status, due time, lease, attempts, detail, times), one per message. The dispatcher's claims
//! and markings write only the narrow state row and its two index entries (migration
//! `20261205000015_outbox_state` says why).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{from_micros, micros, Backend, Columns, Store, StoreError};
use crate::domain::notices::{self, confirmation_key, Notice, Planned, Previously};
use crate::domain::{DropReason, Event, MailKind, MailPolicy, MessageStatus};

/// A claimed message, to render and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub kind: MailKind,
    pub event_id: Option<String>,
    pub subscription_id: Option<String>,
    pub registration_id: Option<String>,
    pub recipient: String,
    pub sequence: i64,
    pub detail: String,
    pub due_at: DateTime<Utc>,
    /// Including this one.
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    /// The moment it was planned for: `due_at` until a temporary failure moved that to a retry.
    pub planned_at: DateTime<Utc>,
    /// Claimed after another dispatcher's lease on it ran out.
    pub taken_over: bool,
}

impl Claimed {
    /// What the send-time rules (`notices::still_due`) look at.
    pub fn due(&self) -> notices::Due {
        notices::Due {
            kind: self.kind,
            sequence: self.sequence,
            due_at: self.planned_at,
            created_at: self.created_at,
            has_secret: !self.detail.is_empty(),
        }
    }
}

/// A message as organisers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: MailKind,
    pub recipient: String,
    pub sequence: i64,
    pub status: MessageStatus,
    pub attempts: i64,
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The last delivery error, or why the message was dropped.
    pub last_error: Option<String>,
}

/// Counts per status, and the messages, of one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutboxReport {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub dropped: i64,
    pub messages: Vec<OutboxMessage>,
}

tokio::task_local! {
    static REHEARSING: ();
}

/// The tables planning writes to and reads from: `outbox` and `outbox_state`, or, while a
/// preview plays a change on PostgreSQL (`Store::rehearse_update`), the temporary copies of
/// the session's rows that the rehearsal made (`rehearsal_outbox`, `rehearsal_outbox_state`;
/// `store::rehearsal` says why).
fn tables() -> (&'static str, &'static str) {
    if REHEARSING.try_with(|_| ()).is_ok() {
        (REHEARSAL_TABLE, REHEARSAL_STATE_TABLE)
    } else {
        ("outbox", "outbox_state")
    }
}

pub(crate) const REHEARSAL_TABLE: &str = "rehearsal_outbox";
pub(crate) const REHEARSAL_STATE_TABLE: &str = "rehearsal_outbox_state";

/// Runs `work` with planning going to `rehearsal_outbox` (which the caller made).
pub(crate) async fn rehearsing<F: std::future::Future>(work: F) -> F::Output {
    REHEARSING.scope((), work).await
}

/// `sql` with `{outbox}` and `{outbox_state}` naming the tables planning goes to (`tables`).
pub(crate) fn on_table(sql: &str) -> String {
    let (outbox, state) = tables();
    sql.replace("{outbox_state}", state)
        .replace("{outbox}", outbox)
}

/// Which backend a connection talks to.
fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// On SQLite, a list of message ids bound as the one parameter `$1` (the `Any` driver binds no
/// arrays), read as a table `ids (id)`: a JSON array (`json_ids`) through `json_each`, once.
/// PostgreSQL needs none: its planning and its claim keep the ids in the server, in a `WITH`.
/// (Bound there as text and cast to an array, `id = ANY(CAST($1 AS bigint[]))`, a list was
/// parsed again for every row of a sequential scan: 320 ms to read a claim's 400 messages among
/// 20,000. PostgreSQL does not fold that cast into a constant.)
const JSON_IDS: &str = "(SELECT value AS id FROM json_each($1)) AS ids";

fn json_ids(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", list.join(","))
}

/// A message's row in `outbox`; its state follows (`plan_and_queue`), from the ids the insert returns.
const INSERT: &str = "INSERT INTO {outbox} (dedup_key, kind, event_id, subscription_id, \
    recipient, sequence, created_at)";

/// How the messages whose ids `ids` holds start once planned or revived (`plan_and_queue`):
/// queued, due at parameter `$first`, with the detail `$first + 1`, written at `$first + 2`; no
/// attempts, no error, no lease. The `WHERE` keeps SQLite's parser from reading `ON CONFLICT`
/// as a join constraint.
fn queued_sql(ids: &str, first: usize) -> String {
    on_table(&format!(
        "INSERT INTO {{outbox_state}} (id, status, due_at, detail, attempts, updated_at) \
         SELECT id, 'queued', ${first}, ${}, 0, ${} FROM {ids} WHERE 1 = 1 \
         ON CONFLICT (id) DO UPDATE SET status = 'queued', due_at = excluded.due_at, \
         planned_at = NULL, detail = excluded.detail, attempts = 0, last_error = NULL, \
         lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at",
        first + 1,
        first + 2
    ))
}

/// A parameter of a planning statement.
enum Param<'a> {
    Text(&'a str),
    Int(i64),
}

/// Runs `insert`, a planning statement of `params` ending in `RETURNING id`, and writes the
/// state of the messages it inserted or revived: queued, due at `due_at`, with `detail`.
/// Returns how many. On PostgreSQL one statement (the insert in a `WITH`): an announcement's
/// ids stay in the server. On SQLite, which has no `INSERT` in a `WITH`, the ids come back as
/// a stream of integers and go again as one JSON array.
async fn plan_and_queue(
    conn: &mut AnyConnection,
    insert: &str,
    params: &[Param<'_>],
    due_at: i64,
    detail: &str,
    now: i64,
) -> Result<u64, StoreError> {
    fn bound<'q>(
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        params: &[Param<'q>],
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for param in params {
            query = match param {
                Param::Text(text) => query.bind(*text),
                Param::Int(n) => query.bind(*n),
            };
        }
        query
    }
    // The state's parameters, after those of the ids' source.
    let state = [Param::Int(due_at), Param::Text(detail), Param::Int(now)];
    match backend_of(conn) {
        Backend::Postgres => {
            let sql = format!(
                "WITH m AS ({}) {}",
                on_table(insert),
                queued_sql("m", params.len() + 1)
            );
            let query = bound(bound(sqlx::query(&sql), params), &state);
            Ok(query.execute(&mut *conn).await?.rows_affected())
        }
        Backend::Sqlite => {
            let sql = on_table(insert);
            let mut ids = Vec::new();
            {
                let mut rows = bound(sqlx::query(&sql), params).fetch(&mut *conn);
                while let Some(row) = rows.try_next().await? {
                    ids.push(row.try_get::<i64, _>("id")?);
                }
            }
            if ids.is_empty() {
                return Ok(0);
            }
            let sql = queued_sql(JSON_IDS, 2);
            let query = bound(sqlx::query(&sql).bind(json_ids(&ids)), &state);
            Ok(query.execute(&mut *conn).await?.rows_affected())
        }
    }
}

/// The recipients of a notice about session `$3`: one row per address, attributed to its most
/// specific subscription (a session's, then a series', then everything), optionally only the
/// subscription `$6`. The `WHERE` after the subquery keeps SQLite's parser from reading
/// `ON CONFLICT` as a join constraint.
const RECIPIENTS: &str =
    "FROM (SELECT u.email AS email, MIN(CASE u.scope_kind WHEN 'event' THEN '0' \
    WHEN 'series' THEN '1' ELSE '2' END || u.id) AS pick FROM subscriptions u \
    WHERE u.status = 'active' AND ($6 = '' OR u.id = $6) AND (u.scope_kind = 'all' \
    OR (u.scope_kind = 'series' AND u.series_id = (SELECT series_id FROM events WHERE id = $3)) \
    OR (u.scope_kind = 'event' AND u.event_id = $3)) GROUP BY u.email) AS r WHERE 1 = 1";

/// A notice already planned stays as it is (queued, sent or failed: nobody gets it twice); one
/// dropped earlier (its recipient had left, its session was cancelled) is planned again (its
/// state by `plan_and_queue`, from the ids returned).
const REVIVE_DROPPED: &str = " ON CONFLICT (dedup_key) DO UPDATE SET \
    subscription_id = excluded.subscription_id, sequence = excluded.sequence \
    WHERE EXISTS (SELECT 1 FROM {outbox_state} s WHERE s.id = {outbox}.id \
    AND s.status = 'dropped') RETURNING id";

/// Plans the subscription confirmation message (the only one a pending subscription gets).
pub(crate) async fn plan_confirmation(
    conn: &mut AnyConnection,
    subscription_id: &str,
    email: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // An earlier confirmation still waiting carries a link that no longer works.
    sqlx::query(&on_table(
        "UPDATE {outbox_state} SET status = 'dropped', detail = '', updated_at = $1, \
         last_error = $2 WHERE status = 'queued' AND id IN (SELECT id FROM {outbox} \
         WHERE subscription_id = $3 AND kind = $4)",
    ))
    .bind(micros(now))
    .bind(DropReason::ConfirmationSuperseded.as_str())
    .bind(subscription_id)
    .bind(MailKind::Confirmation.as_str())
    .execute(&mut *conn)
    .await?;
    let key = confirmation_key(subscription_id, now);
    plan_to_subscriber(
        conn,
        &key,
        MailKind::Confirmation,
        subscription_id,
        email,
        secret,
        now,
    )
    .await
}

/// Plans one message of `kind` to the owner of a subscription, due now.
async fn plan_to_subscriber(
    conn: &mut AnyConnection,
    key: &str,
    kind: MailKind,
    subscription_id: &str,
    email: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    plan_and_queue(
        conn,
        &format!("{INSERT} VALUES ($1, $2, NULL, $3, $4, 0, $5) RETURNING id"),
        &[
            Param::Text(key),
            Param::Text(kind.as_str()),
            Param::Text(subscription_id),
            Param::Text(email),
            Param::Int(micros(now)),
        ],
        micros(now),
        detail,
        micros(now),
    )
    .await?;
    Ok(())
}

/// Plans the notice telling an active subscription's owner that someone asked for it again.
/// The request took the same path as a new one (a row written, a message planned, a commit),
/// so neither the answer nor its time tells whether the address was subscribed.
pub(crate) async fn plan_already_subscribed(
    conn: &mut AnyConnection,
    subscription_id: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let key = notices::already_subscribed_key(subscription_id, now);
    plan_to_subscriber(
        conn,
        &key,
        MailKind::AlreadySubscribed,
        subscription_id,
        email,
        "",
        now,
    )
    .await
}

/// Writes what `domain::notices::notices` decided for a change of `event`, in the change's own
/// transaction.
pub(crate) async fn write_notices(
    conn: &mut AnyConnection,
    event: &Event,
    notices: &[Notice],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for notice in notices {
        match notice {
            Notice::Send(planned) => {
                plan_notice(conn, event, planned, now, Only::Everyone).await?;
                if planned.kind == MailKind::Change {
                    compare_with_what_was_told(conn, event, planned).await?;
                }
            }
            Notice::DropQueued(reason) => {
                drop_queued(conn, QueuedOf::Event(&event.id), *reason, now).await?;
            }
            Notice::DropStaleReminders { keep } => {
                drop_stale_reminders(conn, &event.id, keep, now).await?;
            }
        }
    }
    Ok(())
}

/// Whom of a notice's audience to plan it for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Only<'a> {
    Everyone,
    Subscription(&'a str),
    Registration(&'a str),
}

/// A registrant's row takes over a follower's still queued for the same address (the
/// registrant's version carries their links) and revives one dropped earlier (their state by
/// `plan_and_queue`, from the ids returned).
const TAKE_OVER: &str = " ON CONFLICT (dedup_key) DO UPDATE SET \
    subscription_id = NULL, registration_id = excluded.registration_id, \
    sequence = excluded.sequence \
    WHERE EXISTS (SELECT 1 FROM {outbox_state} s WHERE s.id = {outbox}.id \
    AND (s.status = 'dropped' OR (s.status = 'queued' AND {outbox}.registration_id IS NULL))) \
    RETURNING id";

/// Plans `planned` about `event` to its audience: seated then waiting registrants, then every
/// follower whose subscription covers the session (or only the one subscription or
/// registration `only` names). Each address gets it once (`dedup_key`).
pub(crate) async fn plan_notice(
    conn: &mut AnyConnection,
    event: &Event,
    planned: &Planned,
    now: DateTime<Utc>,
    only: Only<'_>,
) -> Result<u64, StoreError> {
    let mut done = 0;
    let to = planned.audience;
    let registration = match only {
        Only::Everyone => Some(""),
        Only::Registration(id) => Some(id),
        Only::Subscription(_) => None,
    };
    for (wanted, status) in [(to.seated, "seated"), (to.waiting, "waiting")] {
        let Some(registration) = registration.filter(|_| wanted) else {
            continue;
        };
        done += plan_and_queue(
            conn,
            &format!(
                "INSERT INTO {{outbox}} (dedup_key, kind, event_id, registration_id, recipient, \
                 sequence, created_at) \
                 SELECT $1 || g.email, $2, $3, g.id, g.email, $4, $5 \
                 FROM registrations g WHERE g.event_id = $3 AND g.status = $6 \
                 AND ($7 = '' OR g.id = $7){TAKE_OVER}"
            ),
            &[
                Param::Text(&planned.key),
                Param::Text(planned.kind.as_str()),
                Param::Text(&event.id),
                Param::Int(event.sequence),
                Param::Int(micros(now)),
                Param::Text(status),
                Param::Text(registration),
            ],
            micros(planned.due_at),
            &planned.detail,
            micros(now),
        )
        .await?;
    }
    let subscription = match only {
        Only::Everyone => Some(""),
        Only::Subscription(id) => Some(id),
        Only::Registration(_) => None,
    };
    if let Some(subscription) = subscription.filter(|_| to.followers) {
        done += plan_and_queue(
            conn,
            &format!(
                "{INSERT} SELECT $1 || r.email, $2, $3, substr(r.pick, 2), r.email, $4, $5 \
                 {RECIPIENTS}{REVIVE_DROPPED}"
            ),
            &[
                Param::Text(&planned.key),
                Param::Text(planned.kind.as_str()),
                Param::Text(&event.id),
                Param::Int(event.sequence),
                Param::Int(micros(now)),
                Param::Text(subscription),
            ],
            micros(planned.due_at),
            &planned.detail,
            micros(now),
        )
        .await?;
    }
    Ok(done)
}

/// Plans a message about one registration's own standing (its confirmation link, its seat,
/// its place on the waiting list, its cancellation), keyed by `key` and the address.
pub(crate) async fn plan_for_registration(
    conn: &mut AnyConnection,
    registration_id: &str,
    kind: MailKind,
    key: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    plan_and_queue(
        conn,
        "INSERT INTO {outbox} (dedup_key, kind, event_id, registration_id, recipient, sequence, \
         created_at) SELECT $1 || g.email, $2, g.event_id, g.id, g.email, e.sequence, $3 \
         FROM registrations g JOIN events e ON e.id = g.event_id WHERE g.id = $4 \
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        &[
            Param::Text(key),
            Param::Text(kind.as_str()),
            Param::Int(micros(now)),
            Param::Text(registration_id),
        ],
        micros(now),
        detail,
        micros(now),
    )
    .await?;
    Ok(())
}

/// A change notice compares the session with what its recipients knew. Those who were not
/// told of an earlier change yet (its notice still queued: the dispatcher drops it for this
/// one) knew what that notice compares with, not the session just before this change: their
/// copy of the notice just planned gets both, the earlier one's first (`Previously::followed_by`).
/// Earlier notices are taken oldest first, so a recipient with several queued ends with the
/// newest one's, which already carries what came before it.
async fn compare_with_what_was_told(
    conn: &mut AnyConnection,
    event: &Event,
    planned: &Planned,
) -> Result<(), StoreError> {
    let change = MailKind::Change.as_str();
    let earlier = sqlx::query(&on_table(
        "SELECT DISTINCT o.sequence, s.detail FROM {outbox} o JOIN {outbox_state} s \
         ON s.id = o.id WHERE o.event_id = $1 AND o.kind = $2 AND s.status = 'queued' \
         AND o.sequence < $3 AND s.detail <> '' ORDER BY o.sequence",
    ))
    .bind(&event.id)
    .bind(change)
    .bind(event.sequence)
    .fetch_all(&mut *conn)
    .await?;
    for row in earlier {
        let sequence: i64 = row.try_get("sequence")?;
        let detail: String = row.try_get("detail")?;
        sqlx::query(&on_table(
            "UPDATE {outbox_state} SET detail = $1 WHERE status = 'queued' AND id IN \
             (SELECT o.id FROM {outbox} o WHERE o.event_id = $2 AND o.kind = $3 \
             AND o.sequence = $4 AND o.recipient IN (SELECT e.recipient FROM {outbox} e \
             JOIN {outbox_state} s ON s.id = e.id WHERE e.event_id = $2 AND e.kind = $3 \
             AND e.sequence = $5 AND s.status = 'queued' AND s.detail = $6))",
        ))
        .bind(
            Previously::decode(&detail)
                .followed_by(Previously::decode(&planned.detail))
                .encode(),
        )
        .bind(&event.id)
        .bind(change)
        .bind(event.sequence)
        .bind(sequence)
        .bind(&detail)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Drops the queued reminders of a session due at none of the moments in `keep`, in one
/// statement: a move makes every reminder of every registrant and follower stale (500 rows for
/// 250 seated people and two reminders), and one UPDATE per row doubled the time of a move's
/// preview on PostgreSQL (console benchmark).
async fn drop_stale_reminders(
    conn: &mut AnyConnection,
    event_id: &str,
    keep: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut sql = on_table(
        "UPDATE {outbox_state} SET status = 'dropped', last_error = $1, updated_at = $2 \
         WHERE status = 'queued' AND id IN (SELECT id FROM {outbox} \
         WHERE event_id = $3 AND kind = $4)",
    );
    if !keep.is_empty() {
        let kept: Vec<String> = (0..keep.len()).map(|i| format!("${}", i + 5)).collect();
        // The moment each was planned for, whatever retries did to its due time.
        sql.push_str(&format!(
            " AND COALESCE(planned_at, due_at) NOT IN ({})",
            kept.join(", ")
        ));
    }
    let mut query = sqlx::query(&sql)
        .bind(DropReason::RemindersChanged.as_str())
        .bind(micros(now))
        .bind(event_id)
        .bind(MailKind::Reminder.as_str());
    for at in keep {
        query = query.bind(micros(*at));
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// A subscription just became active: the reminders of the upcoming sessions it covers.
pub(crate) async fn plan_for_new_subscriber(
    conn: &mut AnyConnection,
    backend: super::Backend,
    subscription_id: &str,
    policy: &MailPolicy,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Waits for a session being edited (PostgreSQL), so its reminders are planned at the time
    // the edit leaves, not the one before.
    let lock = match backend {
        super::Backend::Postgres => " FOR SHARE OF e",
        super::Backend::Sqlite => "",
    };
    let rows = sqlx::query(&format!(
        "SELECT e.id FROM events e, subscriptions u WHERE u.id = $1 AND e.status = 'scheduled' \
         AND e.starts_at > $2 AND e.kind IN ('webinar', 'event') AND (u.scope_kind = 'all' \
         OR (u.scope_kind = 'series' AND e.series_id = u.series_id) \
         OR (u.scope_kind = 'event' AND e.id = u.event_id)){lock}"
    ))
    .bind(subscription_id)
    .bind(now.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        let event = super::events::load_one(conn, &id, "").await?;
        for planned in notices::reminders(&event, policy, now) {
            plan_notice(
                conn,
                &event,
                &planned,
                now,
                Only::Subscription(subscription_id),
            )
            .await?;
        }
    }
    Ok(())
}

/// Whose queued messages to drop.
pub(crate) enum QueuedOf<'a> {
    Event(&'a str),
    Subscription(&'a str),
    Registration(&'a str),
}

/// Drops the queued messages of a session or a subscription, recording `reason`.
pub(crate) async fn drop_queued(
    conn: &mut AnyConnection,
    of: QueuedOf<'_>,
    reason: DropReason,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (column, id) = match of {
        QueuedOf::Event(id) => ("event_id", id),
        QueuedOf::Subscription(id) => ("subscription_id", id),
        QueuedOf::Registration(id) => ("registration_id", id),
    };
    sqlx::query(&on_table(&format!(
        "UPDATE {{outbox_state}} SET status = 'dropped', last_error = $1, detail = '', \
         updated_at = $2 WHERE status = 'queued' AND id IN (SELECT id FROM {{outbox}} \
         WHERE {column} = $3)"
    )))
    .bind(reason.as_str())
    .bind(micros(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn mail_kind<R: Columns>(row: &R) -> Result<MailKind, StoreError> {
    let kind = row.text("kind")?;
    MailKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("kind of message {kind}")))
}

fn message_status(row: &AnyRow) -> Result<MessageStatus, StoreError> {
    let status: String = row.try_get("status")?;
    MessageStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("status of message {status}")))
}

/// What a claim changed and reads of a message's state, apart from its row in `outbox`.
struct ClaimedState {
    id: i64,
    detail: String,
    due_at: i64,
    planned_at: Option<i64>,
    attempts: i64,
    /// Taken over from a lease that ran out.
    taken_over: bool,
}

impl ClaimedState {
    fn from_row<R: Columns>(row: &R, taken_over: bool) -> Result<ClaimedState, StoreError> {
        Ok(ClaimedState {
            id: row.int("id")?,
            detail: row.text("detail")?,
            due_at: row.int("due_at")?,
            planned_at: row.int_or_null("planned_at")?,
            attempts: row.int("attempts")?,
            taken_over,
        })
    }
}

/// A claimed message from its row in `outbox` (or the claim's row joining it) and its state.
fn claimed_from_rows<R: Columns>(message: &R, state: ClaimedState) -> Result<Claimed, StoreError> {
    Ok(Claimed {
        id: state.id,
        kind: mail_kind(message)?,
        event_id: message.text_or_null("event_id")?,
        subscription_id: message.text_or_null("subscription_id")?,
        registration_id: message.text_or_null("registration_id")?,
        recipient: message.text("recipient")?,
        sequence: message.int("sequence")?,
        detail: state.detail,
        due_at: from_micros(state.due_at)?,
        attempts: state.attempts,
        created_at: from_micros(message.int("created_at")?)?,
        planned_at: from_micros(state.planned_at.unwrap_or(state.due_at))?,
        taken_over: state.taken_over,
    })
}

/// One message of a claim, or the id and kind of one this version cannot compose.
enum ClaimedRow {
    Known(Claimed),
    Unknown(i64, String),
}

impl ClaimedRow {
    fn of<R: Columns>(message: &R, state: ClaimedState) -> Result<ClaimedRow, StoreError> {
        let kind = message.text("kind")?;
        if MailKind::parse(&kind).is_none() {
            return Ok(ClaimedRow::Unknown(state.id, kind));
        }
        claimed_from_rows(message, state).map(ClaimedRow::Known)
    }
}

/// One outbox row as the dispatcher would claim it (for the console's preview).
pub(crate) async fn claimed_by_key(
    conn: &mut AnyConnection,
    dedup_key: &str,
) -> Result<Claimed, StoreError> {
    let row = sqlx::query(&on_table(
        "SELECT o.id, o.kind, o.event_id, o.subscription_id, o.registration_id, o.recipient, \
         o.sequence, s.detail, s.due_at, s.planned_at, s.attempts, o.created_at FROM {outbox} o \
         JOIN {outbox_state} s ON s.id = o.id WHERE o.dedup_key = $1",
    ))
    .bind(dedup_key)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    claimed_from_rows(&row, ClaimedState::from_row(&row, false)?)
}

/// The columns `message_from_row` reads, from `outbox o` joined with `outbox_state s`.
pub(super) const MESSAGE: &str = "o.id, o.kind, o.recipient, o.sequence, s.status, \
    s.attempts, s.due_at, s.sent_at, s.last_error";

pub(super) fn message_from_row(row: &AnyRow) -> Result<OutboxMessage, StoreError> {
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        kind: mail_kind(row)?,
        recipient: row.try_get("recipient")?,
        sequence: row.try_get("sequence")?,
        status: message_status(row)?,
        attempts: row.try_get("attempts")?,
        due_at: from_micros(row.try_get("due_at")?)?,
        sent_at: row
            .try_get::<Option<i64>, _>("sent_at")?
            .map(from_micros)
            .transpose()?,
        last_error: row.try_get("last_error")?,
    })
}

/// Which rows a claim takes, in which order: leases that ran out (their messages have waited
/// longest), then the queue in due order.
/// Two statements, so each walks its own partial index in order (`outbox_sending`,
/// `outbox_queued`) and reads only the rows it takes (one statement with OR sorted every due
/// row for each claim). `$3` is the time of the claim.
const TAKE_OVER_WALK: &str = "status = 'sending' AND lease_until < $3 ORDER BY lease_until, id";
const QUEUE_WALK: &str = "status = 'queued' AND due_at <= $3 ORDER BY due_at, id";

/// The claim of up to `$4` messages along `walk` for owner `$1`, leased until `$2`: their
/// state, and on PostgreSQL the messages joined to it (SQLite's `RETURNING` reads only the table
/// updated: `claim_due` reads the messages beside it).
fn claim_sql(backend: Backend, walk: &str) -> String {
    // On PostgreSQL, the ids are taken as an array: with `id IN (SELECT …)`, the prepared
    // statement's generic plan hashed the subquery's ids and read the whole outbox to
    // find them (sent messages included: 10,000 rows, 10 ms per claim of 100), where
    // `= ANY(ARRAY(…))` looks each one up by its key.
    let (taken, close) = match backend {
        Backend::Postgres => ("= ANY(ARRAY(", " FOR UPDATE SKIP LOCKED))"),
        Backend::Sqlite => ("IN (", ")"),
    };
    let claim = format!(
        "UPDATE outbox_state SET status = 'sending', lease_owner = $1, lease_until = $2, \
         attempts = attempts + 1, updated_at = $3 WHERE id {taken}SELECT id FROM outbox_state \
         WHERE {walk} LIMIT $4{close} \
         RETURNING id, detail, due_at, planned_at, attempts"
    );
    match backend {
        Backend::Postgres => format!(
            "WITH c AS ({claim}) SELECT c.id, c.detail, c.due_at, c.planned_at, c.attempts, \
             {CLAIMED_MESSAGE} FROM c JOIN outbox o ON o.id = c.id"
        ),
        Backend::Sqlite => claim,
    }
}

/// A marking of sent messages, `$1` the time, `$2` the owner, followed by the condition on the
/// ids.
const MARK_SENT: &str = "UPDATE outbox_state SET status = 'sent', lease_owner = NULL, \
    lease_until = NULL, sent_at = $1, detail = '', updated_at = $1 WHERE lease_owner = $2 AND id";

/// What a claim reads of a message in `outbox o`.
const CLAIMED_MESSAGE: &str = "o.kind, o.event_id, o.subscription_id, o.registration_id, \
    o.recipient, o.sequence, o.created_at";

/// The messages of the ids in `$1` (`json_ids`), for a claim on SQLite.
fn claimed_messages_sql() -> String {
    format!(
        "SELECT o.id, {CLAIMED_MESSAGE} FROM outbox o WHERE o.id IN (SELECT id FROM {JSON_IDS})"
    )
}

/// `sql` with sqlx's placeholders (`$1`) as SQLite's numbered ones (`?1`), for rusqlite,
/// which would take `$1` for a name and number the parameters in order of appearance.
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Store {
    /// Claims up to `limit` due messages (and messages whose lease ran out) for `owner`, until
    /// `now + lease`: in one transaction on the dispatcher's own connections (`bookkeeping`,
    /// `on_sqlite_bookkeeping`), the leases that ran out first.
    pub async fn claim_due(
        &self,
        owner: &str,
        limit: i64,
        lease: chrono::Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let now = self.now();
        let (until, at) = (micros(now + lease), micros(now));
        let rows = if let Some(pool) = self.bookkeeping().await? {
            let mut tx = pool.begin().await?;
            let mut rows = Vec::new();
            for walk in [TAKE_OVER_WALK, QUEUE_WALK] {
                let room = limit - rows.len() as i64;
                if room <= 0 {
                    break;
                }
                let found = sqlx::query(&claim_sql(self.backend, walk))
                    .bind(owner)
                    .bind(until)
                    .bind(at)
                    .bind(room)
                    .fetch_all(&mut *tx)
                    .await?;
                for row in &found {
                    let state = ClaimedState::from_row(row, walk == TAKE_OVER_WALK)?;
                    rows.push(ClaimedRow::of(row, state)?);
                }
            }
            tx.commit().await?;
            rows
        } else {
            let owner = owner.to_string();
            self.on_sqlite_bookkeeping(true, move |db| {
                let mut states = Vec::new();
                for walk in [TAKE_OVER_WALK, QUEUE_WALK] {
                    let room = limit - states.len() as i64;
                    if room <= 0 {
                        break;
                    }
                    let mut claim =
                        db.prepare_cached(&numbered(&claim_sql(Backend::Sqlite, walk)))?;
                    let mut found = claim.query(rusqlite::params![owner, until, at, room])?;
                    while let Some(row) = found.next()? {
                        states.push(ClaimedState::from_row(row, walk == TAKE_OVER_WALK)?);
                    }
                }
                // SQLite's `RETURNING` reads only the state: each joined with its message.
                let ids: Vec<i64> = states.iter().map(|state| state.id).collect();
                let mut states: HashMap<i64, ClaimedState> =
                    states.into_iter().map(|state| (state.id, state)).collect();
                let mut rows = Vec::with_capacity(states.len());
                if !ids.is_empty() {
                    let mut read = db.prepare_cached(&numbered(&claimed_messages_sql()))?;
                    let mut found = read.query([json_ids(&ids)])?;
                    while let Some(row) = found.next()? {
                        let id = row.int("id")?;
                        let state = states.remove(&id).ok_or_else(|| {
                            StoreError::Corrupt(format!("message {id} read twice"))
                        })?;
                        rows.push(ClaimedRow::of(row, state)?);
                    }
                }
                if let Some(id) = states.keys().next() {
                    return Err(StoreError::Corrupt(format!(
                        "message {id} has no outbox row"
                    )));
                }
                Ok(rows)
            })
            .await?
        };
        self.claimed(owner, rows).await
    }

    /// The messages of a claim, sorted by due time. A kind this version does not know is
    /// marked failed and left out.
    async fn claimed(
        &self,
        owner: &str,
        rows: Vec<ClaimedRow>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            match row {
                ClaimedRow::Known(message) => claimed.push(message),
                ClaimedRow::Unknown(id, kind) => {
                    // A kind this version cannot send (a newer instance's, sharing the
                    // database) fails on its own instead of stopping every batch behind it;
                    // an organiser may retry it once an instance that knows it runs.
                    let reason = format!("cannot compose: unknown kind of message {kind}");
                    self.mark_failed(id, owner, &reason).await?;
                }
            }
        }
        claimed.sort_by_key(|c| (c.due_at, c.id));
        Ok(claimed)
    }

    /// Whether `recipient` has a notice of `kind` about `event_id` planned for a later sequence.
    pub async fn newer_notice_exists(
        &self,
        event_id: &str,
        kind: MailKind,
        recipient: &str,
        sequence: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox o JOIN outbox_state s ON s.id = o.id \
             WHERE o.event_id = $1 AND o.kind = $2 AND o.recipient = $3 AND o.sequence > $4 \
             AND s.status <> 'dropped'",
        )
        .bind(event_id)
        .bind(kind.as_str())
        .bind(recipient)
        .bind(sequence)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Extends the lease of a claimed message; false if it is no longer this owner's.
    ///
    /// Here and in the markings below a message is found by its id and its lease owner,
    /// without `status = 'sending'`: a message has a lease owner exactly while it is
    /// `sending` (claiming sets one; every change out of `sending`, and every revival of a
    /// dropped message, clears it). Naming the status would let PostgreSQL's planner read
    /// `outbox_sending`, the partial index of messages being sent, instead of the primary
    /// key: that index still holds an entry for every message sent since the last VACUUM,
    /// and with the ids as a condition on its second column it is read once per id (a
    /// marking of 50 took 11–19 ms in the mail benchmark).
    pub async fn renew_lease(
        &self,
        id: i64,
        owner: &str,
        lease: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_outbox().await?;
        let done = sqlx::query(
            "UPDATE outbox_state SET lease_until = $1 WHERE id = $2 AND lease_owner = $3",
        )
        .bind(micros(self.now() + lease))
        .bind(id)
        .bind(owner)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Messages by status, those with none included (at zero). One pass over the state: one
    /// count per status over the partial indexes made SQLite read the index holding the status
    /// five times.
    pub async fn outbox_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox_state GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut counts: Vec<(String, i64)> = MessageStatus::ALL
            .iter()
            .map(|status| (status.as_str().to_string(), 0))
            .collect();
        for row in &rows {
            let status: String = row.try_get("status")?;
            let n: i64 = row.try_get("n")?;
            match counts.iter_mut().find(|(s, _)| *s == status) {
                Some(count) => count.1 = n,
                None => counts.push((status, n)),
            }
        }
        Ok(counts)
    }

    /// How long the message waiting longest has waited past its due time (or past the end of
    /// a lease that ran out): zero when nothing is due.
    pub async fn dispatch_lag(&self) -> Result<chrono::Duration, StoreError> {
        let now = self.now();
        Ok(self
            .next_due()
            .await?
            .map_or(chrono::Duration::zero(), |at| {
                (now - at).max(chrono::Duration::zero())
            }))
    }

    /// When the next message falls due (or a lease runs out), if any is waiting.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT MIN(due_at) FROM outbox_state WHERE status = 'queued') AS due, \
             (SELECT MIN(lease_until) FROM outbox_state WHERE status = 'sending') AS lease",
        )
        .fetch_one(&self.pool)
        .await?;
        let due: Option<i64> = row.try_get("due")?;
        let lease: Option<i64> = row.try_get("lease")?;
        let next = match (due, lease) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        next.map(from_micros).transpose()
    }

    /// Marks a claimed message sent (its secret, if any, is forgotten). False if the lease was
    /// lost meanwhile (another dispatcher took it over).
    pub async fn mark_sent(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.finish(id, owner, MessageStatus::Sent, None, None)
            .await
    }

    /// Several claimed messages sent, in one statement on the dispatcher's own connections: on
    /// PostgreSQL one that commits on its own (`bookkeeping`), on SQLite in a transaction of
    /// its own (`on_sqlite_bookkeeping`), the ids as one JSON array. Returns how many
    /// were still this dispatcher's (the others' leases passed to another, which will send them
    /// again).
    pub async fn mark_sent_many(&self, ids: &[i64], owner: &str) -> Result<u64, StoreError> {
        let now = micros(self.now());
        if let Some(pool) = self.bookkeeping().await? {
            return Ok(sqlx::query(&format!("{MARK_SENT} = ANY($3)"))
                .bind(now)
                .bind(owner)
                .bind(ids)
                .execute(pool)
                .await?
                .rows_affected());
        }
        let (owner, ids) = (owner.to_string(), json_ids(ids));
        self.on_sqlite_bookkeeping(true, move |db| {
            let sql = numbered(&format!("{MARK_SENT} IN (SELECT value FROM json_each($3))"));
            let done = db
                .prepare_cached(&sql)?
                .execute(rusqlite::params![now, owner, ids])?;
            Ok(done as u64)
        })
        .await
    }

    /// Puts a claimed message back in the queue for `due`, recording the error.
    pub async fn mark_retry(
        &self,
        id: i64,
        owner: &str,
        due: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        self.finish(id, owner, MessageStatus::Queued, Some(error), Some(due))
            .await
    }

    /// A permanent refusal, or attempts exhausted.
    pub async fn mark_failed(&self, id: i64, owner: &str, error: &str) -> Result<bool, StoreError> {
        self.finish(id, owner, MessageStatus::Failed, Some(error), None)
            .await
    }

    /// No longer worth sending, for `reason`.
    pub async fn mark_dropped(
        &self,
        id: i64,
        owner: &str,
        reason: DropReason,
    ) -> Result<bool, StoreError> {
        self.finish(
            id,
            owner,
            MessageStatus::Dropped,
            Some(reason.as_str()),
            None,
        )
        .await
    }

    async fn finish(
        &self,
        id: i64,
        owner: &str,
        status: MessageStatus,
        error: Option<&str>,
        due: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_outbox().await?;
        let now = self.now();
        // A confirmation's secret goes once it is sent or dropped; a failed one may be retried.
        let keep_detail = matches!(status, MessageStatus::Queued | MessageStatus::Failed);
        let done = sqlx::query(
            "UPDATE outbox_state SET status = $1, last_error = COALESCE($2, last_error), \
             planned_at = CASE WHEN $3 IS NULL THEN planned_at \
             ELSE COALESCE(planned_at, due_at) END, \
             due_at = COALESCE($3, due_at), lease_owner = NULL, lease_until = NULL, \
             sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END, \
             detail = CASE WHEN $5 = 1 THEN detail ELSE '' END, updated_at = $4 \
             WHERE id = $6 AND lease_owner = $7",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(due.map(micros))
        .bind(micros(now))
        .bind(keep_detail as i64)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// The messages about one session (by id or slug), newest first.
    pub async fn outbox_for_event(&self, key: &str) -> Result<OutboxReport, StoreError> {
        let event = self.get_event(key).await?;
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE} FROM outbox o JOIN outbox_state s ON s.id = o.id \
             WHERE o.event_id = $1 ORDER BY s.due_at DESC, o.id DESC"
        ))
        .bind(&event.id)
        .fetch_all(&self.pool)
        .await?;
        let messages = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let count = |status| messages.iter().filter(|m| m.status == status).count() as i64;
        Ok(OutboxReport {
            queued: count(MessageStatus::Queued),
            sending: count(MessageStatus::Sending),
            sent: count(MessageStatus::Sent),
            failed: count(MessageStatus::Failed),
            dropped: count(MessageStatus::Dropped),
            messages,
        })
    }

    /// One message.
    pub async fn outbox_message(&self, id: i64) -> Result<OutboxMessage, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE} FROM outbox o JOIN outbox_state s ON s.id = o.id WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        message_from_row(&row)
    }

    /// Queues a failed message again, due now, with a fresh count of attempts.
    pub async fn retry_message(&self, id: i64) -> Result<OutboxMessage, StoreError> {
        let mut tx = self.write_mail().await?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE outbox_state SET status = 'queued', attempts = 0, due_at = $1, \
             updated_at = $1 WHERE id = $2 AND status = 'failed'",
        )
        .bind(micros(now))
        .bind(id)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if done == 0 {
            let current = self.outbox_message(id).await?;
            return Err(StoreError::Conflict(format!(
                "only failed messages can be retried; this one is {}",
                current.status
            )));
        }
        // Read inside the transaction: the dispatcher, woken by the commit, may have sent it
        // (or failed it again) by the time a later read runs.
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE} FROM outbox o JOIN outbox_state s ON s.id = o.id WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx.tx)
        .await?;
        let message = message_from_row(&row)?;
        tx.commit().await?;
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// With statistics taken while the outbox was empty (a new database, or a burst of planned
    /// messages since autovacuum last analysed it), a claim still walks the queued messages'
    /// index in due order and stops after its batch, instead of reading the whole queue and
    /// sorting it (`Store::write_outbox`).
    #[tokio::test]
    #[ignore = "needs PostgreSQL"]
    async fn a_claim_walks_the_queue_in_due_order_whatever_the_statistics() {
        let admin = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("eventail_claim_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is unreachable: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        let result = async {
            let store = Store::connect(&url, 2).await?;
            store.migrate().await?;
            // Analysed empty, then 5,000 messages queued, due in the reverse order of their ids.
            for statement in [
                "ALTER TABLE outbox SET (autovacuum_enabled = false)",
                "ALTER TABLE outbox_state SET (autovacuum_enabled = false)",
                "ANALYZE outbox",
                "ANALYZE outbox_state",
                "INSERT INTO outbox (dedup_key, kind, recipient, created_at) \
                 SELECT 'k' || g, 'announcement', 'personne' || g || '@exemple.fr', 1 \
                 FROM generate_series(1, 5000) g",
                "INSERT INTO outbox_state (id, status, due_at, updated_at) \
                 SELECT id, 'queued', 5000 - CAST(substr(dedup_key, 2) AS bigint), 1 FROM outbox",
            ] {
                sqlx::query(statement).execute(&store.pool).await?;
            }
            // On the dispatcher's own pool, whose sessions are set as its claims need.
            let pool = store
                .bookkeeping()
                .await?
                .ok_or_else(|| StoreError::Corrupt("no bookkeeping pool".into()))?;
            let plan = sqlx::query(&format!(
                "EXPLAIN {}",
                claim_sql(Backend::Postgres, QUEUE_WALK)
            ))
            .bind("someone")
            .bind(10_000_i64)
            .bind(10_000_i64)
            .bind(400_i64)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
            let claimed = store
                .claim_due("someone", 400, chrono::Duration::minutes(5))
                .await?;
            store.close().await;
            Ok::<_, StoreError>((plan.join("\n"), claimed))
        }
        .await;
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let (plan, claimed) = result.expect("the claim");
        assert!(plan.contains("Index Scan using outbox_queued"), "{plan}");
        assert!(
            !plan.contains("Sort") && !plan.contains("Bitmap"),
            "the whole queue read and sorted:\n{plan}"
        );
        let due: Vec<i64> = claimed.iter().map(|c| micros(c.due_at)).collect();
        assert_eq!(due, (0..400).collect::<Vec<i64>>(), "the 400 due first");
    }
}
