//! Works through the outbox: claims due messages under a lease, checks they still make sense,
//! composes and sends them, and records the outcome.
//!
//! Inside `serve` it sleeps until the next message falls due or a write wakes it (a local
//! commit, or another instance's NOTIFY on PostgreSQL): no fixed polling. `eventail dispatch
//! --once` runs one pass for cron.
//!
//! Delivery is at least once: a dispatcher that dies after the relay accepted a message but
//! before recording it leaves a lease that another takes over, and the message goes again with
//! the same Message-ID (which receiving systems use to drop duplicates). Unthrottled, the next
//! batch is claimed while one is sent, so a dispatcher that dies may leave two batches leased:
//! they go when their leases end (`mail.lease_seconds`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;

use super::compose::{Addressee, ComposeCache, Composer};
use super::transport::{SendError, Transport};
use crate::config::MailSettings;
use crate::domain::changes::changed_at;
use crate::domain::notices::{self, Found};
use crate::domain::{Change, DropReason, Event, MailKind, MailPolicy};
use crate::store::{Claimed, Registration, Store, StoreError, Subscription};

/// Dispatcher tuning, from `[mail]`.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub rate_per_second: f64,
    pub max_attempts: i64,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub lease: chrono::Duration,
    pub erase_after: chrono::Duration,
    /// Messages sent at once (the SMTP pool's size).
    pub concurrency: usize,
    /// How long a confirmation link works.
    pub confirm_for: chrono::Duration,
    /// A message the relay accepted is marked sent at most this long after (or with the
    /// MARK_EVERY before it, whichever comes first): what a crash sends twice.
    pub mark_within: Duration,
}

impl DispatchSettings {
    pub fn from_mail(mail: &MailSettings) -> DispatchSettings {
        DispatchSettings {
            rate_per_second: mail.rate_per_second,
            max_attempts: i64::from(mail.max_attempts),
            retry_base: Duration::from_secs(mail.retry_base_seconds),
            retry_max: Duration::from_secs(mail.retry_max_seconds),
            lease: chrono::Duration::seconds(mail.lease_seconds as i64),
            erase_after: chrono::Duration::days(i64::from(mail.erase_after_days)),
            concurrency: mail.smtp_pool_size.max(1) as usize,
            confirm_for: chrono::Duration::hours(i64::from(mail.confirm_hours)),
            mark_within: Duration::from_millis(mail.mark_within_ms),
        }
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub dropped: usize,
}

enum Outcome {
    /// Sent; marked so with the rest of its batch.
    Sent(i64),
    Retried,
    Failed,
    Dropped,
    /// Another dispatcher took the message over; it reports on it.
    LeaseLost,
}

/// What a claimed batch needs, read once for all of it: its sessions, subscriptions and
/// registrations. Its messages' sends borrow it.
struct Batch {
    sessions: HashMap<String, Event>,
    subscriptions: HashMap<String, Subscription>,
    registrations: HashMap<String, Registration>,
    /// What the recipients of one notice share, composed once for the batch.
    composed: ComposeCache,
    /// The reminders sessions have by default, read once for the batch.
    policy: MailPolicy,
}

/// A claimed batch and what it needs.
struct Loaded {
    claimed: Vec<Claimed>,
    claimed_at: tokio::time::Instant,
    batch: Batch,
}

/// Messages claimed per round trip (unthrottled; at a set rate, two seconds' worth if fewer).
/// On PostgreSQL a claim of 100 took 5–9 ms, about as long as sending 100 at the sink's pace,
/// and one of 400 9–19 ms. Between two batches the sends drain and the batch's last marking
/// is waited for: with 1,000 rather than 400 (and MARK_EVERY 100 rather than 50), 20,000
/// reminders went about 11 % faster at pool 4 on PostgreSQL (BENCHMARKS.md, "Mailer"). At a set
/// rate a batch is still at most two seconds' worth. A dispatcher that dies leaves up to two
/// batches to their leases' end.
pub const BATCH: i64 = 1000;

/// At most this many messages are sent and not yet marked: what a dispatcher killed mid-batch
/// may send twice, plus the sends in flight (at most `mail.smtp_pool_size`). Sent messages are
/// marked MARK_AT_ONCE at a time, or once the first of them has waited `mail.mark_within_ms`
/// (and each at once past half the lease), one marking at a time while the next sends go.
/// Each marking is a write transaction: at full speed, 50 rather than 20 in one took about 15 %
/// off the process CPU each message costs, and before markings ran beside the sends, they
/// stopped the sends for a quarter of each batch's time on PostgreSQL; with 25 at once, the
/// sends still waited for markings (BENCHMARKS.md, "Mailer"). At a limited rate the time bound
/// marks first.
pub const MARK_EVERY: usize = 100;
/// A marking starts with this many (at full speed): one marking runs while the sends go on, and
/// they wait for it once as many more are there, so at most MARK_EVERY are sent and unmarked.
const MARK_AT_ONCE: usize = MARK_EVERY / 2;
/// The longest sleep without a wake-up: housekeeping (erasing withdrawn subscriptions) runs at
/// least this often, and a missed wake-up costs no more than this.
const MAX_SLEEP: Duration = Duration::from_secs(300);

pub struct Dispatcher {
    store: Store,
    composer: Arc<Composer>,
    transport: Transport,
    settings: DispatchSettings,
    owner: String,
    /// When the next message may leave, for the rate limit.
    next_slot: tokio::sync::Mutex<tokio::time::Instant>,
    last_housekeeping: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    stopping: Arc<AtomicBool>,
    metrics: Arc<crate::metrics::Metrics>,
    /// Claimed messages a failed pass did not send, with their claim time.
    put_back: std::sync::Mutex<Option<(Vec<Claimed>, tokio::time::Instant)>>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        composer: Arc<Composer>,
        transport: Transport,
        settings: DispatchSettings,
    ) -> Dispatcher {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "eventail".into());
        let owner = format!(
            "{host}-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Dispatcher {
            store,
            composer,
            transport,
            settings,
            owner,
            next_slot: tokio::sync::Mutex::new(tokio::time::Instant::now()),
            last_housekeeping: tokio::sync::Mutex::new(None),
            stopping: Arc::new(AtomicBool::new(false)),
            metrics: Arc::default(),
            put_back: std::sync::Mutex::new(None),
        }
    }

    /// Counts what it does into `metrics` (those `/metrics` shows).
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Dispatcher {
        self.metrics = metrics;
        self
    }

    /// Sends everything due now, then returns (erasing withdrawn subscriptions first, so cron
    /// runs do it too).
    ///
    /// Unthrottled, the next batch is claimed and read while one is sent, so the sends do not
    /// stop for the claim (on PostgreSQL a claim and its reads are several round trips):
    /// its sessions and subscriptions are then read about one batch (tens of milliseconds)
    /// before it goes. Throttled, each batch is claimed when the previous one is done.
    pub async fn run_once(&self) -> Result<RunReport, StoreError> {
        self.housekeeping().await;
        let mut report = RunReport::default();
        let mut next = if self.stopping.load(Ordering::Acquire) {
            None
        } else {
            self.load_batch().await?
        };
        while let Some(loaded) = next.take() {
            let ahead = async {
                if self.stopping.load(Ordering::Acquire) || self.batch_size() < BATCH {
                    return Ok(None);
                }
                self.load_batch().await
            };
            let (sent, fetched) = tokio::join!(self.send_batch(loaded, &mut report), ahead);
            let fetched = match (sent, fetched) {
                (Ok(()), Ok(fetched)) => fetched,
                (Err(err), fetched) => {
                    // Claimed ahead but not sent: the next pass sends it, not a lease's end.
                    if let Ok(Some(ahead)) = fetched {
                        self.put_back(ahead.claimed, ahead.claimed_at);
                    }
                    return Err(err);
                }
                (Ok(()), Err(err)) => return Err(err),
            };
            // A batch claimed ahead goes even when stopping: it is already leased to this
            // dispatcher. Nothing more is claimed once stopping.
            next = match fetched {
                Some(ahead) => Some(ahead),
                None if self.stopping.load(Ordering::Acquire) => None,
                None => self.load_batch().await?,
            };
        }
        Ok(report)
    }

    /// The next batch: messages put back by a failed pass first, else those due now, with
    /// what their rules and composing need, read once. `None` when nothing is due.
    async fn load_batch(&self) -> Result<Option<Loaded>, StoreError> {
        // Put back longer ago than half the lease, they are left to the claims: once their
        // lease ends, a claim (this dispatcher's or another's) takes them over, and sending
        // them from here as well could send them twice.
        let put_back = self
            .put_back
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .filter(|(_, claimed_at)| claimed_at.elapsed() < self.half_lease());
        let (claimed, claimed_at) = match put_back {
            Some(put_back) => put_back,
            None => {
                let claimed = self
                    .store
                    .claim_due(&self.owner, self.batch_size(), self.settings.lease)
                    .await?;
                self.metrics
                    .lease_takeovers(claimed.iter().filter(|m| m.taken_over).count() as u64);
                (claimed, tokio::time::Instant::now())
            }
        };
        if claimed.is_empty() {
            return Ok(None);
        }
        // The sessions of the batch, read once (a reminder to 10,000 people is one session).
        let mut event_ids: Vec<String> =
            claimed.iter().filter_map(|m| m.event_id.clone()).collect();
        event_ids.sort();
        event_ids.dedup();
        let read = async {
            let sessions: HashMap<String, Event> = self
                .store
                .events_by_ids(&event_ids)
                .await?
                .into_iter()
                .map(|e| (e.id.clone(), e))
                .collect();
            let subscription_ids: Vec<String> = claimed
                .iter()
                .filter_map(|m| m.subscription_id.clone())
                .collect();
            let subscriptions: HashMap<String, Subscription> = self
                .store
                .subscriptions_by_ids(&subscription_ids)
                .await?
                .into_iter()
                .map(|s| (s.id.clone(), s))
                .collect();
            let registration_ids: Vec<String> = claimed
                .iter()
                .filter_map(|m| m.registration_id.clone())
                .collect();
            let registrations: HashMap<String, Registration> = self
                .store
                .registrations_by_ids(&registration_ids)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            Ok::<_, StoreError>((sessions, subscriptions, registrations))
        };
        match read.await {
            Ok((sessions, subscriptions, registrations)) => Ok(Some(Loaded {
                claimed,
                claimed_at,
                batch: Batch {
                    sessions,
                    subscriptions,
                    registrations,
                    composed: ComposeCache::at(self.store.now()),
                    policy: self.store.mail_policy(),
                },
            })),
            Err(err) => {
                self.put_back(claimed, claimed_at);
                Err(err)
            }
        }
    }

    /// Sends a loaded batch, several messages at once, and marks what went.
    async fn send_batch(&self, loaded: Loaded, report: &mut RunReport) -> Result<(), StoreError> {
        let Loaded {
            claimed,
            claimed_at,
            batch,
        } = loaded;
        let batch = &batch;
        // Several messages at once, one per pooled SMTP connection. A store error on one
        // does not abandon the others mid-send: they finish, then the error is reported.
        let sends: Vec<_> = claimed
            .into_iter()
            .map(|message| self.deliver_owned(message, claimed_at, batch))
            .collect();
        let mut outcomes =
            futures_util::stream::iter(sends).buffer_unordered(self.settings.concurrency.max(1));
        let mut first_error = None;
        // Marked sent MARK_AT_ONCE at a time or within `mark_within`, in one statement, while
        // the next sends go: one marking at a time, and while it runs the sends go on until
        // MARK_AT_ONCE more wait (then they wait for it). A crash sends again at most those
        // not yet marked (MARK_EVERY, plus the sends in flight), never loses one.
        let mut sent = Vec::new();
        // When the oldest message of `sent` was accepted by the relay.
        let mut oldest: Option<tokio::time::Instant> = None;
        let mut markings = futures_util::stream::FuturesUnordered::new();
        let mut sends_left = true;
        // After a marking failed, the next is tried once the sends are over, and only once.
        let mut marking_failed = false;
        loop {
            let idle = markings.is_empty();
            // The first of `sent` has waited `mark_within`.
            let overdue = oldest.is_some_and(|since| since.elapsed() >= self.settings.mark_within);
            let due = !sent.is_empty()
                && if marking_failed {
                    !sends_left && idle
                } else {
                    sent.len() >= MARK_AT_ONCE
                        || overdue
                        || claimed_at.elapsed() > self.half_lease()
                        || !sends_left
                };
            if idle && due {
                let ids = std::mem::take(&mut sent);
                markings.push(async move { (self.mark_sent(&ids).await, ids) });
                oldest = None;
                continue;
            }
            if !sends_left && idle {
                break;
            }
            // Sends wait only while a marking runs and as many more are waiting, or the first
            // of them has waited `mark_within` (with 0, each is marked before the next is
            // taken, as `mail.mark_within_ms` promises).
            let take_sends =
                sends_left && (idle || marking_failed || (sent.len() < MARK_AT_ONCE && !overdue));
            let deadline = oldest
                .filter(|_| idle && !marking_failed)
                .map(|since| since + self.settings.mark_within);
            tokio::select! {
                outcome = outcomes.next(), if take_sends => {
                    let Some(outcome) = outcome else {
                        sends_left = false;
                        continue;
                    };
                    match outcome {
                        Ok(Outcome::Sent(id)) => {
                            report.sent += 1;
                            self.metrics.message("sent", 1);
                            sent.push(id);
                            oldest.get_or_insert_with(tokio::time::Instant::now);
                        }
                        Ok(Outcome::Retried) => {
                            report.retried += 1;
                            self.metrics.message("retried", 1);
                        }
                        Ok(Outcome::Failed) => {
                            report.failed += 1;
                            self.metrics.message("failed", 1);
                        }
                        Ok(Outcome::Dropped) => {
                            report.dropped += 1;
                            self.metrics.message("dropped", 1);
                        }
                        Ok(Outcome::LeaseLost) => {}
                        Err(err) => {
                            first_error.get_or_insert(err);
                        }
                    }
                }
                Some((marked, ids)) = markings.next(), if !markings.is_empty() => {
                    // A store error here does not abandon the sends in flight: they finish,
                    // then what waits is marked once more, then the error is reported. What
                    // that marking leaves goes again when its lease ends.
                    if let Err(err) = marked {
                        first_error.get_or_insert(err);
                        if !marking_failed || sends_left {
                            sent.extend(ids);
                        }
                        marking_failed = true;
                    }
                }
                // Nothing came back in time: the next turn marks what waits.
                () = sleep_until_some(deadline), if deadline.is_some() => {}
            }
        }
        drop(outcomes);
        if let Some(err) = first_error {
            return Err(err);
        }
        Ok(())
    }

    /// Messages claimed but not sent by a pass that failed: the next pass takes them first,
    /// instead of leaving them until their lease ends.
    fn put_back(&self, claimed: Vec<Claimed>, claimed_at: tokio::time::Instant) {
        let mut slot = self
            .put_back
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot.as_mut() {
            // The earlier claim time: its lease is the older one.
            Some((kept, _)) => kept.extend(claimed),
            None => *slot = Some((claimed, claimed_at)),
        }
    }

    /// BATCH, or about two seconds' worth at the configured rate: a batch's sessions and
    /// subscriptions are read when it is claimed, so an unsubscription or a cancellation
    /// reaches the messages of the next batch.
    fn batch_size(&self) -> i64 {
        let two_seconds = (self.settings.rate_per_second * 2.0).ceil();
        if two_seconds.is_finite() {
            (two_seconds as i64).clamp(1, BATCH)
        } else {
            BATCH
        }
    }

    async fn mark_sent(&self, sent: &[i64]) -> Result<(), StoreError> {
        if sent.is_empty() {
            return Ok(());
        }
        let marked = self.store.mark_sent_many(sent, &self.owner).await?;
        if marked < sent.len() as u64 {
            tracing::warn!(
                sent = sent.len(),
                marked,
                "sent, but some leases had passed to another dispatcher"
            );
        }
        Ok(())
    }

    /// A handle that makes the dispatcher stop after the batch in flight.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.stopping.clone()
    }

    /// Runs until `shutdown` completes: a pass, then sleep until the next due message or a
    /// wake-up. Store errors are logged and retried after a pause. Once `shutdown` completes,
    /// the batch in flight finishes and nothing more is claimed.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        tracing::info!(transport = %self.transport.describe(), "mail dispatcher started");
        let stopping = self.stopping.clone();
        let changes = self.store.changes().clone();
        let stop_wake = Arc::new(tokio::sync::Notify::new());
        let waker = stop_wake.clone();
        let watcher = tokio::spawn(async move {
            shutdown.await;
            stopping.store(true, Ordering::Release);
            waker.notify_one();
        });
        while !self.stopping.load(Ordering::Acquire) {
            let pause = match self.run_once().await {
                Ok(report) => {
                    if report != RunReport::default() {
                        tracing::info!(?report, "mail dispatch pass");
                    }
                    self.until_next_due().await
                }
                Err(err) => {
                    tracing::warn!(error = %err, "mail dispatch failed; trying again shortly");
                    Duration::from_secs(5)
                }
            };
            if self.stopping.load(Ordering::Acquire) {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = changes.mail_planned() => {}
                _ = stop_wake.notified() => {}
            }
        }
        watcher.abort();
        tracing::info!("mail dispatcher stopped");
    }

    async fn until_next_due(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(at)) => (at - self.store.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP),
            Ok(None) => MAX_SLEEP,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the next due message");
                Duration::from_secs(5)
            }
        }
    }

    /// Erases subscriptions withdrawn long enough ago, and requests never confirmed; at most
    /// every few minutes.
    async fn housekeeping(&self) {
        {
            let mut last = self.last_housekeeping.lock().await;
            if last.is_some_and(|at| at.elapsed() < MAX_SLEEP) {
                return;
            }
            *last = Some(tokio::time::Instant::now());
        }
        let now = self.store.now();
        let cutoff = now - self.settings.erase_after;
        match self.store.erase_withdrawn(cutoff, cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(erased = n, "erased withdrawn subscriptions"),
            Err(err) => tracing::warn!(error = %err, "cannot erase withdrawn subscriptions"),
        }
    }

    /// Why a claimed message should no longer go (the rules are `notices::still_due`), or
    /// what composing it needs.
    async fn still_relevant<'b>(
        &self,
        message: &Claimed,
        batch: &'b Batch,
    ) -> Result<Result<Context<'b>, DropReason>, StoreError> {
        let reader = match (&message.registration_id, &message.subscription_id) {
            (Some(id), _) => found(Some(batch.registrations.get(id))).map(Addressee::Registrant),
            (None, id) => {
                found(id.as_ref().map(|id| batch.subscriptions.get(id))).map(Addressee::Follower)
            }
        };
        let event = found(message.event_id.as_ref().map(|id| batch.sessions.get(id)));
        let due = message.due();
        let verdict = notices::still_due(
            &due,
            reader.map(Addressee::recipient),
            event,
            &batch.policy,
            self.settings.confirm_for,
            self.store.now(),
        );
        if let Err(reason) = verdict {
            return Ok(Err(reason));
        }
        // `still_due` found the recipient, and the session unless this is a confirmation.
        let Found::Here(reader) = reader else {
            return Ok(Err(DropReason::NoSubscription));
        };
        let event = match event {
            Found::Here(event) if !message.kind.is_about_a_subscription() => event,
            _ => {
                return Ok(Ok(Context {
                    event: None,
                    reader,
                    changed: Vec::new(),
                }))
            }
        };
        if notices::may_be_superseded(&due, event)
            && self
                .store
                .newer_notice_exists(
                    &event.id,
                    message.kind,
                    &message.recipient,
                    message.sequence,
                )
                .await?
        {
            return Ok(Err(DropReason::NewerChangeNotice));
        }
        let changed = if message.kind == MailKind::Change {
            changed_at(
                &self.store.event_history(&event.id).await?,
                message.sequence,
            )
        } else {
            Vec::new()
        };
        Ok(Ok(Context {
            event: Some(event),
            reader,
            changed,
        }))
    }

    async fn deliver_owned(
        &self,
        message: Claimed,
        claimed_at: tokio::time::Instant,
        batch: &Batch,
    ) -> Result<Outcome, StoreError> {
        self.deliver(&message, claimed_at, batch).await
    }

    async fn deliver(
        &self,
        message: &Claimed,
        claimed_at: tokio::time::Instant,
        batch: &Batch,
    ) -> Result<Outcome, StoreError> {
        let context = match self.still_relevant(message, batch).await? {
            Ok(context) => context,
            Err(reason) => {
                tracing::info!(id = message.id, kind = %message.kind, %reason, "message dropped");
                self.store
                    .mark_dropped(message.id, &self.owner, reason)
                    .await?;
                return Ok(Outcome::Dropped);
            }
        };
        let composed = self.composer.compose(
            message,
            context.event,
            context.reader,
            &context.changed,
            &batch.composed,
        );
        let email = match composed {
            Ok(email) => email,
            Err(err) => {
                tracing::error!(id = message.id, error = %err, "cannot compose a message");
                self.store
                    .mark_failed(message.id, &self.owner, &format!("cannot compose: {err}"))
                    .await?;
                return Ok(Outcome::Failed);
            }
        };
        self.wait_for_slot().await;
        // A slow relay or a low rate can outlast half the lease: renew it before sending, and
        // leave the message alone if another dispatcher has taken it over meanwhile.
        if claimed_at.elapsed() > self.half_lease()
            && !self
                .store
                .renew_lease(message.id, &self.owner, self.settings.lease)
                .await?
        {
            return Ok(Outcome::LeaseLost);
        }
        let sent = self.transport.send(email).await;
        match &sent {
            Ok(()) if message.kind == MailKind::Reminder => {
                self.metrics
                    .reminder_sent_late(self.store.now() - message.planned_at);
            }
            Ok(()) => {}
            Err(SendError::Permanent(_)) => self.metrics.transport_error("permanent"),
            Err(SendError::Temporary(_)) => self.metrics.transport_error("temporary"),
        }
        match sent {
            Ok(()) => Ok(Outcome::Sent(message.id)),
            Err(SendError::Permanent(err)) => {
                tracing::warn!(id = message.id, error = %err, "message refused for good");
                self.store
                    .mark_failed(message.id, &self.owner, &err)
                    .await?;
                Ok(Outcome::Failed)
            }
            Err(SendError::Temporary(err)) if message.attempts >= self.settings.max_attempts => {
                tracing::warn!(id = message.id, error = %err, "message given up after its last attempt");
                self.store
                    .mark_failed(
                        message.id,
                        &self.owner,
                        &format!("gave up after {} attempts: {err}", message.attempts),
                    )
                    .await?;
                Ok(Outcome::Failed)
            }
            Err(SendError::Temporary(err)) => {
                let delay = backoff(&self.settings, message.attempts);
                tracing::info!(id = message.id, error = %err, retry_in = ?delay, "message will be retried");
                let due = self.store.now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
                self.store
                    .mark_retry(message.id, &self.owner, due, &err)
                    .await?;
                Ok(Outcome::Retried)
            }
        }
    }

    /// Past this time since a claim, a lease is renewed before each send, and every message
    /// sent is marked at once (one sent just before then has only the other half to be marked
    /// in before another dispatcher may take it over).
    fn half_lease(&self) -> Duration {
        self.settings
            .lease
            .to_std()
            .unwrap_or(Duration::from_secs(60))
            / 2
    }

    async fn wait_for_slot(&self) {
        let spacing = Duration::from_secs_f64(1.0 / self.settings.rate_per_second);
        let wake = {
            let mut next = self.next_slot.lock().await;
            take_slot(&mut next, tokio::time::Instant::now(), spacing)
        };
        if let Some(wake) = wake {
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// How early a message may leave before its slot: tokio's timers fire on a millisecond grid.
const TIMER_GRAIN: Duration = Duration::from_millis(1);

/// Sleeps until `at`; never wakes without one.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Takes the next of the slots spaced `spacing` apart (none before `now`) and says when to
/// wake for it: `None` to go at once. A message goes up to `TIMER_GRAIN` ahead of its slot,
/// so over any span the rate is kept, give or take one millisecond's worth of messages. A
/// message waiting for a slot a few microseconds away used to sleep a whole millisecond, with
/// every other message queued behind it: at 100,000 a second, two messages went per
/// millisecond.
fn take_slot(
    next: &mut tokio::time::Instant,
    now: tokio::time::Instant,
    spacing: Duration,
) -> Option<tokio::time::Instant> {
    let slot = (*next).max(now);
    *next = slot + spacing;
    (slot > now + TIMER_GRAIN).then(|| slot - TIMER_GRAIN)
}

/// Borrowed from the batch: a session's body is not copied for each of its recipients.
struct Context<'b> {
    event: Option<&'b Event>,
    reader: Addressee<'b>,
    changed: Vec<Change>,
}

/// A lookup of the batch as the send-time rules see it: `None` when the message names
/// nothing, `Some(None)` when what it names is gone.
fn found<T>(lookup: Option<Option<T>>) -> Found<T> {
    match lookup {
        None => Found::NotNamed,
        Some(None) => Found::Gone,
        Some(Some(value)) => Found::Here(value),
    }
}

/// Exponential backoff with jitter: base × 2^(attempts−1), capped, then between half and all
/// of it, so many messages failing together do not come back together.
pub fn backoff(settings: &DispatchSettings, attempts: i64) -> Duration {
    let exponent = (attempts.max(1) - 1).min(30) as u32;
    let full = settings
        .retry_base
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(settings.retry_max);
    let factor = rand::thread_rng().gen_range(0.5..=1.0);
    full.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slots keep the rate, whether it is below or above the timers' grain, and a message
    /// waits only for a slot more than the grain away.
    #[test]
    fn sends_are_paced_at_the_rate_even_above_a_thousand_a_second() {
        let start = tokio::time::Instant::now();
        // When each of `n` messages, all ready at `start`, leaves.
        let leave = |rate: f64, n: usize| {
            let spacing = Duration::from_secs_f64(1.0 / rate);
            let mut next = start;
            (0..n)
                .map(|_| take_slot(&mut next, start, spacing).unwrap_or(start) - start)
                .collect::<Vec<_>>()
        };
        // 10 a second: one message at once, then one every 100 ms (a millisecond early).
        let slow = leave(10.0, 5);
        let expected: Vec<Duration> = [0, 99, 199, 299, 399]
            .into_iter()
            .map(Duration::from_millis)
            .collect();
        assert_eq!(slow, expected);
        // 100,000 a second: 1,000 messages within 10 ms, the first millisecond's worth at
        // once, and never more than the rate allows plus that millisecond's worth.
        let fast = leave(100_000.0, 1_000);
        assert!(fast.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(fast.iter().filter(|d| d.is_zero()).count(), 101);
        let last = fast.last().copied().unwrap_or_default();
        assert!(last <= Duration::from_millis(9), "{last:?}");
        for (i, at) in fast.iter().enumerate() {
            let allowed = (at.as_secs_f64() + 0.001) * 100_000.0 + 1.0;
            assert!((i as f64) < allowed, "message {i} at {at:?}");
        }
        // A message that comes after the slots ran dry goes at once, and starts them again.
        let spacing = Duration::from_millis(100);
        let mut next = start;
        let later = start + Duration::from_secs(5);
        assert_eq!(take_slot(&mut next, later, spacing), None);
        assert_eq!(next, later + spacing);
    }

    #[test]
    fn backoff_grows_then_stops_growing_and_is_jittered() {
        let settings = DispatchSettings {
            rate_per_second: 1.0,
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            lease: chrono::Duration::seconds(60),
            erase_after: chrono::Duration::days(30),
            concurrency: 4,
            confirm_for: chrono::Duration::hours(48),
            mark_within: Duration::from_millis(100),
        };
        for _ in 0..50 {
            let first = backoff(&settings, 1);
            assert!(first >= Duration::from_secs(15) && first <= Duration::from_secs(30));
            let third = backoff(&settings, 3);
            assert!(third >= Duration::from_secs(60) && third <= Duration::from_secs(120));
            let late = backoff(&settings, 20);
            assert!(late >= Duration::from_secs(1800) && late <= Duration::from_secs(3600));
        }
        let spread: std::collections::HashSet<_> =
            (0..20).map(|_| backoff(&settings, 2).as_millis()).collect();
        assert!(spread.len() > 1, "no jitter");
    }
}
