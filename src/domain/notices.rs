//! Which mail a change to a session sends, when its reminders go, and whether a queued message
//! is still worth sending: the rules, as pure functions. The store writes what `notices`
//! returns into the outbox in the change's own transaction; the dispatcher asks `still_due`
//! before each send.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::event::{Event, EventStatus};
use super::registration::{Audience, RegistrationStatus};
use super::subscription::SubscriptionStatus;

mod previously;
pub use previously::{Compared, Previously};

/// Kinds of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The double opt-in link of a subscription (the only message a pending one gets).
    Confirmation,
    /// A session published while it is news.
    Announcement,
    /// Before a live session, at each of its reminders.
    Reminder,
    /// Its time, place, join link or access changed.
    Change,
    Cancellation,
    /// Back after a cancellation: it takes place after all.
    Reinstatement,
    /// Its recording is available.
    Recording,
    /// The double opt-in link of a registration.
    RegistrationConfirmation,
    /// A registration holds a seat (with the join link and the personal calendar).
    Seated,
    /// A registration is on the waiting list.
    Waitlisted,
    /// A seat freed up for someone who was waiting.
    Promoted,
    /// A registration was cancelled (by the person or an organiser).
    Unregistered,
    /// Someone asked to subscribe an address already subscribed to the same thing: its owner
    /// is told (with the way out), and the request is answered as any other, so the form does
    /// not tell who is subscribed.
    AlreadySubscribed,
}

impl MailKind {
    pub const ALL: [MailKind; 13] = [
        MailKind::Confirmation,
        MailKind::Announcement,
        MailKind::Reminder,
        MailKind::Change,
        MailKind::Cancellation,
        MailKind::Reinstatement,
        MailKind::Recording,
        MailKind::RegistrationConfirmation,
        MailKind::Seated,
        MailKind::Waitlisted,
        MailKind::Promoted,
        MailKind::Unregistered,
        MailKind::AlreadySubscribed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Confirmation => "confirmation",
            MailKind::Announcement => "announcement",
            MailKind::Reminder => "reminder",
            MailKind::Change => "change",
            MailKind::Cancellation => "cancellation",
            MailKind::Reinstatement => "reinstatement",
            MailKind::Recording => "recording",
            MailKind::RegistrationConfirmation => "registration_confirmation",
            MailKind::Seated => "seated",
            MailKind::Waitlisted => "waitlisted",
            MailKind::Promoted => "promoted",
            MailKind::Unregistered => "unregistered",
            MailKind::AlreadySubscribed => "already_subscribed",
        }
    }

    /// Messages about one registration's own standing, sent to that person only.
    pub fn is_about_a_registration(self) -> bool {
        matches!(
            self,
            MailKind::RegistrationConfirmation
                | MailKind::Seated
                | MailKind::Waitlisted
                | MailKind::Promoted
                | MailKind::Unregistered
        )
    }

    /// Messages about a subscription itself rather than a session: they go without one.
    pub fn is_about_a_subscription(self) -> bool {
        matches!(self, MailKind::Confirmation | MailKind::AlreadySubscribed)
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl PartialEq<&str> for MailKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for MailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Queued,
    /// Claimed by a dispatcher, under a lease.
    Sending,
    Sent,
    /// Refused for good, or attempts exhausted; an organiser may retry it.
    Failed,
    /// No longer worth sending (the reason is recorded).
    Dropped,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 5] = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Failed,
        MessageStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Dropped => "dropped",
        }
    }

    pub fn parse(s: &str) -> Option<MessageStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl PartialEq<&str> for MessageStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reminders of a live session that names none, unless `mail.reminders` says otherwise.
pub const DEFAULT_REMINDERS: [&str; 2] = ["P1D", "PT1H"];

/// A video is news for this long after its publication day (older ones, imported or
/// back-dated, are not announced).
const VIDEO_NEWS_DAYS: i64 = 2;

/// What the notices of the sessions a change touches depend on beyond the sessions.
#[derive(Debug, Clone)]
pub struct MailPolicy {
    /// Reminders of sessions that name none (`reminders` null).
    pub default_reminders: Vec<Duration>,
}

impl Default for MailPolicy {
    fn default() -> Self {
        MailPolicy {
            default_reminders: DEFAULT_REMINDERS
                .iter()
                .filter_map(|raw| parse_reminder(raw).ok())
                .collect(),
        }
    }
}

/// A reminder's advance: a positive ISO 8601 duration of at most 60 days (`PT1H`, `P1D`).
/// Years and months are refused: their length depends on the date.
pub fn parse_reminder(value: &str) -> Result<Duration, String> {
    let parsed = iso8601::duration(value.trim())
        .map_err(|_| "is not an ISO 8601 duration such as PT1H or P1D".to_string())?;
    if let iso8601::Duration::YMDHMS { year, month, .. } = parsed {
        if year != 0 || month != 0 {
            return Err("use days, hours or minutes (P1D, PT24H), not years or months".into());
        }
    }
    let std = std::time::Duration::from(parsed);
    if std.is_zero() {
        return Err("must be longer than zero".into());
    }
    if std > std::time::Duration::from_secs(60 * 86_400) {
        return Err("must be at most 60 days".into());
    }
    Duration::from_std(std).map_err(|_| "is too long".to_string())
}

/// `PT1H`, `P1D`, `PT1H30M`: an advance as ISO 8601.
pub fn duration_label(d: Duration) -> String {
    let total = d.num_seconds().max(0);
    let (days, rest) = (total / 86_400, total % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// When each reminder of `event` is due, with its advance as written (`PT1H`): none for videos
/// and for sessions that are not scheduled.
pub fn reminder_times(event: &Event, policy: &MailPolicy) -> Vec<(String, DateTime<Utc>)> {
    if !event.kind.is_live() || event.status != EventStatus::Scheduled {
        return Vec::new();
    }
    let Some(start) = event.schedule.map(|s| s.start_instant(event.timezone)) else {
        return Vec::new();
    };
    let advances: Vec<(String, Duration)> = match &event.reminders {
        Some(list) => list
            .iter()
            .filter_map(|raw| parse_reminder(raw).ok().map(|d| (raw.clone(), d)))
            .collect(),
        None => policy
            .default_reminders
            .iter()
            .map(|d| (duration_label(*d), *d))
            .collect(),
    };
    advances
        .into_iter()
        .map(|(label, advance)| (label, start - advance))
        .collect()
}

/// Whether `event` is news worth announcing at `now`: a live session yet to start, or a video
/// just published or premiering.
pub fn is_news(event: &Event, now: DateTime<Utc>) -> bool {
    let start = event.schedule.map(|s| s.start_instant(event.timezone));
    if event.kind.is_live() {
        return start.is_some_and(|s| s > now);
    }
    if start.is_some_and(|s| s > now - Duration::days(1)) {
        return true;
    }
    let today = now.with_timezone(&event.timezone).date_naive();
    event
        .published_on
        .is_some_and(|d| d >= today - Duration::days(VIDEO_NEWS_DAYS))
}

/// Whether the session is over at `now` (one without an end is over once it starts).
pub fn has_ended(event: &Event, now: DateTime<Utc>) -> bool {
    event.schedule.is_some_and(|s| {
        s.end_instant(event.timezone)
            .unwrap_or_else(|| s.start_instant(event.timezone))
            <= now
    })
}

/// Whether the session has started at `now`.
pub fn has_started(event: &Event, now: DateTime<Utc>) -> bool {
    event
        .schedule
        .is_some_and(|s| s.start_instant(event.timezone) <= now)
}

/// Fewer places, or a registration now required: someone who meant to just connect on the day
/// must hear of it. More places or freer access change nothing they would do.
pub fn access_tightened(before: &Event, after: &Event) -> bool {
    let fewer_places = match (before.capacity, after.capacity) {
        (None, Some(_)) => true,
        (Some(was), Some(now)) => now < was,
        _ => false,
    };
    fewer_places || (after.registration_required && !before.registration_required)
}

/// What a change notice is for: the session's time or place, its join link, or tighter access.
/// A new title or programme is shown on the next mail and in calendars, not mailed about.
pub fn calls_for_change_notice(before: &Event, after: &Event) -> bool {
    before.schedule != after.schedule
        || before.location != after.location
        || before.links.join != after.links.join
        || access_tightened(before, after)
}

/// A message to plan for everyone in its audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub kind: MailKind,
    /// Registrants (seated, waiting) and followers of the session.
    pub audience: Audience,
    /// Names the notice; the recipient's address is appended, so nobody gets it twice.
    pub key: String,
    /// For reminders, the advance as written (`PT1H`); for change and reinstatement notices,
    /// the time and place recipients knew before (`Previously`, encoded).
    pub detail: String,
    pub due_at: DateTime<Utc>,
}

/// One step of what a change to a session calls for, in the order to carry them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Plan this message to its audience.
    Send(Planned),
    /// Drop every message about the session still queued.
    DropQueued(DropReason),
    /// Drop the queued reminders of the session due at none of these moments (its reminders
    /// now): a moved session gets reminders for its new time.
    DropStaleReminders { keep: Vec<DateTime<Utc>> },
}

impl Planned {
    /// A notice due at once, keyed by its kind and the session (and the sequence, for those
    /// that each change may send again).
    fn now(kind: MailKind, event: &Event, audience: Audience, now: DateTime<Utc>) -> Planned {
        let key = match kind {
            MailKind::Change | MailKind::Cancellation | MailKind::Reinstatement => {
                format!("{kind}:{}:{}:", event.id, event.sequence)
            }
            _ => format!("{kind}:{}:", event.id),
        };
        Planned {
            kind,
            audience,
            key,
            detail: String::new(),
            due_at: now,
        }
    }

    /// A notice of the change from `before` to `after`, due at once, with the time and place
    /// recipients knew before it.
    fn of_change(
        kind: MailKind,
        before: &Event,
        after: &Event,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Planned {
        Planned {
            detail: Previously::between(before, after).encode(),
            ..Planned::now(kind, after, audience, now)
        }
    }
}

/// Who a notice of `kind` about `event` goes to. A session open to all sends everything to
/// its followers, as a mailing list does. One that requires registration keeps the join link
/// for seated registrants: they get the reminders and every change notice, followers get the
/// announcement (with « S'inscrire »), and, with people waiting for a seat, the changes that
/// concern anyone planning to come (`concerns_everyone`: time, place, tighter access, back
/// from a cancellation), the cancellation and the recording.
pub fn audience(kind: MailKind, event: &Event, concerns_everyone: bool) -> Audience {
    let open = !super::registration::registers_here(event);
    match kind {
        MailKind::Announcement => Audience {
            seated: false,
            waiting: false,
            followers: true,
        },
        MailKind::Reminder => Audience {
            seated: true,
            waiting: false,
            followers: open,
        },
        MailKind::Change | MailKind::Reinstatement => Audience {
            seated: true,
            waiting: concerns_everyone,
            followers: open || concerns_everyone,
        },
        MailKind::Cancellation | MailKind::Recording => Audience::EVERYONE,
        _ => Audience::default(),
    }
}

/// Whether a change is one that anyone planning to come must hear of, seated or not: its time
/// or place, or tighter access. A new join link only concerns those who hold it.
pub fn concerns_everyone(before: &Event, after: &Event) -> bool {
    before.schedule != after.schedule
        || before.location != after.location
        || access_tightened(before, after)
}

/// The outbox key of a subscription's confirmation message (each request gets its own).
pub fn confirmation_key(subscription_id: &str, now: DateTime<Utc>) -> String {
    format!(
        "{}:{subscription_id}:{}",
        MailKind::Confirmation,
        now.timestamp_micros()
    )
}

/// The outbox key of the notice telling an active subscription's owner of a new request for it
/// (each request gets its own, as confirmations do).
pub fn already_subscribed_key(subscription_id: &str, now: DateTime<Utc>) -> String {
    format!(
        "{}:{subscription_id}:{}",
        MailKind::AlreadySubscribed,
        now.timestamp_micros()
    )
}

/// The outbox key of a message about one registration's own standing: each revision of the
/// registration (seated, moved to the waiting list, promoted, cancelled) is told once. A
/// registration's confirmation link is keyed by its request time instead, like a
/// subscription's.
pub fn registration_key(kind: MailKind, registration_id: &str, revision: i64) -> String {
    format!("{kind}:{registration_id}:{revision}:")
}

/// What a change of a session from `before` (none when it is created) to `after` sends:
/// - published while news: an **announcement**, and its reminders;
/// - back from a cancellation before it ends: a **reinstatement** notice (it takes place after
///   all; calendars removed it, and an announcement or a plain change notice would not say so),
///   with the time and place it had when cancelled if they changed, and its reminders;
/// - its time, place or join link changed, or its access tightened, with a new sequence,
///   before it ends: a **change notice**, with the time and place it had before;
/// - its time or reminders changed: its **reminders** replanned;
/// - a recording link set once it has ended: a **recording notice**;
/// - cancelled once public: its queued messages dropped, and before it ends a **cancellation**.
pub fn notices(
    before: Option<&Event>,
    after: &Event,
    policy: &MailPolicy,
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let was_public = before.is_some_and(|b| b.status == EventStatus::Scheduled);
    let mut out = Vec::new();
    match after.status {
        EventStatus::Scheduled if !was_public => {
            let cancelled = before.filter(|b| b.status == EventStatus::Cancelled);
            if let Some(before) = cancelled.filter(|_| !has_ended(after, now)) {
                let to = audience(MailKind::Reinstatement, after, true);
                out.push(Notice::Send(Planned::of_change(
                    MailKind::Reinstatement,
                    before,
                    after,
                    to,
                    now,
                )));
            } else if is_news(after, now) {
                let to = audience(MailKind::Announcement, after, true);
                out.push(Notice::Send(Planned::now(
                    MailKind::Announcement,
                    after,
                    to,
                    now,
                )));
            }
            out.extend(replan_reminders(after, policy, now));
        }
        EventStatus::Scheduled => {
            let Some(before) = before else { return out };
            if after.sequence > before.sequence
                && !has_ended(after, now)
                && calls_for_change_notice(before, after)
            {
                let to = audience(MailKind::Change, after, concerns_everyone(before, after));
                out.push(Notice::Send(Planned::of_change(
                    MailKind::Change,
                    before,
                    after,
                    to,
                    now,
                )));
            }
            if before.schedule != after.schedule || before.reminders != after.reminders {
                out.extend(replan_reminders(after, policy, now));
            }
            let recording_new = after.links.recording.is_some() && before.links.recording.is_none();
            if recording_new && has_ended(after, now) {
                let to = audience(MailKind::Recording, after, true);
                out.push(Notice::Send(Planned::now(
                    MailKind::Recording,
                    after,
                    to,
                    now,
                )));
            }
        }
        EventStatus::Cancelled if was_public => {
            out.push(Notice::DropQueued(DropReason::SessionCancelled));
            if !has_ended(after, now) {
                let to = audience(MailKind::Cancellation, after, true);
                out.push(Notice::Send(Planned::now(
                    MailKind::Cancellation,
                    after,
                    to,
                    now,
                )));
            }
        }
        _ => {}
    }
    out
}

/// The reminders of `event` at its current time, and the queued ones whose moment no longer
/// matches dropped. A reminder is keyed by its due time, so a session that moves gets reminders
/// for the new time, and one whose time did not change keeps those already sent or queued.
fn replan_reminders(event: &Event, policy: &MailPolicy, now: DateTime<Utc>) -> Vec<Notice> {
    let keep = reminder_times(event, policy)
        .into_iter()
        .map(|(_, at)| at)
        .collect();
    std::iter::once(Notice::DropStaleReminders { keep })
        .chain(reminders(event, policy, now).into_iter().map(Notice::Send))
        .collect()
}

/// The reminders of `event` still to come at `now` (also what a new subscriber gets). Moments
/// already past are not planned: the announcement or the change notice has just told
/// subscribers.
pub fn reminders(event: &Event, policy: &MailPolicy, now: DateTime<Utc>) -> Vec<Planned> {
    reminder_times(event, policy)
        .into_iter()
        .filter(|(_, due)| *due > now)
        .map(|(label, due)| Planned {
            kind: MailKind::Reminder,
            audience: audience(MailKind::Reminder, event, false),
            key: format!(
                "{}:{}:{label}:{}:",
                MailKind::Reminder,
                event.id,
                due.timestamp_micros()
            ),
            detail: label,
            due_at: due,
        })
        .collect()
}

/// Why a message is not sent after all. The text is what the outbox records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    NoSubscription,
    SubscriptionErased,
    /// The subscription is not in the state the message needs (active, or pending for a
    /// confirmation).
    Subscription(SubscriptionStatus),
    /// The registration is not in the state the message needs (seated for a reminder,
    /// waiting for a waiting-list notice…).
    Registration(RegistrationStatus),
    /// The person or an organiser cancelled the registration.
    RegistrationCancelled,
    /// A follower's reminder of a session that has since come to require registration: its
    /// reminders are for seated registrants.
    ForRegistrantsOnly,
    ConfirmationSecretGone,
    ConfirmationExpired,
    ConfirmationSuperseded,
    /// An « already subscribed » notice that could not go while its request was fresh.
    RequestExpired,
    NoSession,
    SessionDeleted,
    SessionCancelled,
    NoLongerCancelled,
    NoLongerScheduled,
    StartedBeforeReminder,
    RemindersChanged,
    NewerChangeNotice,
    Unsubscribed,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NoSubscription => "no subscription",
            DropReason::SubscriptionErased => "the subscription was erased",
            DropReason::Subscription(SubscriptionStatus::Pending) => "the subscription is pending",
            DropReason::Subscription(SubscriptionStatus::Active) => "the subscription is active",
            DropReason::Subscription(SubscriptionStatus::Unsubscribed) => {
                "the subscription is unsubscribed"
            }
            DropReason::Registration(RegistrationStatus::Pending) => {
                "the registration is not confirmed"
            }
            DropReason::Registration(RegistrationStatus::Seated) => "the registration is seated",
            DropReason::Registration(RegistrationStatus::Waiting) => {
                "the registration is on the waiting list"
            }
            DropReason::Registration(RegistrationStatus::Cancelled) => {
                "the registration is cancelled"
            }
            DropReason::RegistrationCancelled => "the registration was cancelled",
            DropReason::ForRegistrantsOnly => {
                "the session requires registration: its reminders go to registrants"
            }
            DropReason::ConfirmationSecretGone => "the confirmation secret is gone",
            DropReason::ConfirmationExpired => {
                "the confirmation link expired before it could be sent"
            }
            DropReason::ConfirmationSuperseded => "superseded by a newer confirmation message",
            DropReason::RequestExpired => "the request it answers is too old",
            DropReason::NoSession => "no session",
            DropReason::SessionDeleted => "the session was deleted",
            DropReason::SessionCancelled => "the session was cancelled",
            DropReason::NoLongerCancelled => "the session is no longer cancelled",
            DropReason::NoLongerScheduled => "the session is no longer scheduled",
            DropReason::StartedBeforeReminder => {
                "the session had started when the reminder could be sent"
            }
            DropReason::RemindersChanged => {
                "the session's time or reminders changed; replaced by a new reminder"
            }
            DropReason::NewerChangeNotice => "a newer change notice replaces this one",
            DropReason::Unsubscribed => "unsubscribed",
        }
    }
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a dispatcher found of something a claimed message refers to.
#[derive(Debug, Clone, Copy)]
pub enum Found<T> {
    /// The message names none.
    NotNamed,
    /// It names one that no longer exists.
    Gone,
    Here(T),
}

impl<T> Found<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Found<U> {
        match self {
            Found::NotNamed => Found::NotNamed,
            Found::Gone => Found::Gone,
            Found::Here(value) => Found::Here(f(value)),
        }
    }
}

/// A claimed message, as far as the send-time rules are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Due {
    pub kind: MailKind,
    pub sequence: i64,
    /// The moment it was planned for (a retry after a temporary failure does not move it): a
    /// reminder is current while this is one of its session's reminder times.
    pub due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Whether a confirmation still holds its secret (it is forgotten once sent or dropped).
    pub has_secret: bool,
}

/// Who a claimed message is for, as they stand now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Subscription(SubscriptionStatus),
    Registration(RegistrationStatus),
}

/// The state the recipient must be in for a message of `kind` to go: `Err` names the state it
/// is in otherwise.
fn recipient_fits(kind: MailKind, recipient: Recipient) -> Result<(), DropReason> {
    use RegistrationStatus as R;
    let fits = match (kind, recipient) {
        (MailKind::Confirmation, Recipient::Subscription(s)) => s == SubscriptionStatus::Pending,
        (MailKind::AlreadySubscribed, Recipient::Subscription(s)) => {
            s == SubscriptionStatus::Active
        }
        (_, Recipient::Subscription(s)) => {
            s == SubscriptionStatus::Active && !kind.is_about_a_registration()
        }
        (MailKind::RegistrationConfirmation, Recipient::Registration(r)) => r == R::Pending,
        (
            MailKind::Seated | MailKind::Promoted | MailKind::Reminder,
            Recipient::Registration(r),
        ) => r == R::Seated,
        (MailKind::Waitlisted, Recipient::Registration(r)) => r == R::Waiting,
        (MailKind::Unregistered, Recipient::Registration(r)) => r == R::Cancelled,
        (
            MailKind::Change
            | MailKind::Reinstatement
            | MailKind::Cancellation
            | MailKind::Recording,
            Recipient::Registration(r),
        ) => r.is_listed(),
        (
            MailKind::Announcement | MailKind::Confirmation | MailKind::AlreadySubscribed,
            Recipient::Registration(_),
        ) => false,
    };
    if fits {
        return Ok(());
    }
    Err(match recipient {
        Recipient::Subscription(s) => DropReason::Subscription(s),
        Recipient::Registration(r) => DropReason::Registration(r),
    })
}

/// Whether a claimed message should still go at `now`, given its recipient (a subscription or
/// a registration) and session as they are now. A confirmation goes within `confirm_for` of
/// its request; a reminder only to a seated registrant or an active follower, if the session
/// is still scheduled at that time and has not started (one whose moment passed while no
/// dispatcher ran still goes before the start); announcements, change and reinstatement
/// notices and a registration's seat or waiting-list notices only while the session is scheduled; a
/// cancellation only while it is cancelled. A change notice may also be superseded by a newer
/// one (`may_be_superseded`, which needs the outbox).
pub fn still_due(
    message: &Due,
    recipient: Found<Recipient>,
    event: Found<&Event>,
    policy: &MailPolicy,
    confirm_for: Duration,
    now: DateTime<Utc>,
) -> Result<(), DropReason> {
    let recipient = match recipient {
        Found::NotNamed => return Err(DropReason::NoSubscription),
        Found::Gone => return Err(DropReason::SubscriptionErased),
        Found::Here(recipient) => recipient,
    };
    recipient_fits(message.kind, recipient)?;
    if message.kind == MailKind::AlreadySubscribed {
        // It answers a request: stale once a confirmation sent then would have expired.
        return if now > message.created_at + confirm_for {
            Err(DropReason::RequestExpired)
        } else {
            Ok(())
        };
    }
    if matches!(
        message.kind,
        MailKind::Confirmation | MailKind::RegistrationConfirmation
    ) {
        if !message.has_secret {
            return Err(DropReason::ConfirmationSecretGone);
        }
        if now > message.created_at + confirm_for {
            return Err(DropReason::ConfirmationExpired);
        }
        if message.kind == MailKind::Confirmation {
            return Ok(());
        }
    }
    let event = match event {
        Found::NotNamed => return Err(DropReason::NoSession),
        Found::Gone => return Err(DropReason::SessionDeleted),
        Found::Here(event) => event,
    };
    match message.kind {
        MailKind::Cancellation if event.status != EventStatus::Cancelled => {
            Err(DropReason::NoLongerCancelled)
        }
        MailKind::Reminder => {
            if event.status != EventStatus::Scheduled {
                return Err(DropReason::NoLongerScheduled);
            }
            if has_started(event, now) {
                return Err(DropReason::StartedBeforeReminder);
            }
            if super::registration::registers_here(event)
                && matches!(recipient, Recipient::Subscription(_))
            {
                return Err(DropReason::ForRegistrantsOnly);
            }
            let current = reminder_times(event, policy)
                .iter()
                .any(|(_, at)| *at == message.due_at);
            if current {
                Ok(())
            } else {
                Err(DropReason::RemindersChanged)
            }
        }
        MailKind::Announcement
        | MailKind::Change
        | MailKind::Reinstatement
        | MailKind::RegistrationConfirmation
        | MailKind::Seated
        | MailKind::Waitlisted
        | MailKind::Promoted
            if event.status != EventStatus::Scheduled =>
        {
            Err(DropReason::NoLongerScheduled)
        }
        _ => Ok(()),
    }
}

/// Whether a change notice may have been replaced by a newer one for the same person: the
/// session changed again since. A later change without a notice (a title fixed after a move)
/// does not cancel the notice of the move; only a newer notice does
/// (`DropReason::NewerChangeNotice`). Likewise a reinstatement, by a newer reinstatement (the
/// session cancelled and reinstated again before the first went): « rétablie » once.
pub fn may_be_superseded(message: &Due, event: &Event) -> bool {
    matches!(message.kind, MailKind::Change | MailKind::Reinstatement)
        && event.sequence != message.sequence
}

#[cfg(test)]
mod tests;
