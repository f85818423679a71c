//! The README's "What a change to a session sends", row by row, without a database or SMTP.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;
use crate::domain::event::testing::{next_from, stored};
use crate::domain::EventKind;
use serde_json::json;

/// The stored webinar starts on 8 December 2021 at 9:00 in Paris (8:00 UTC), without an end.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .expect("a time")
}

const WEEK_BEFORE: &str = "2021-12-01T10:00:00Z";
const TWO_HOURS_BEFORE: &str = "2021-12-08T06:00:00Z";
const DURING: &str = "2021-12-08T08:30:00Z";
const DAY_AFTER: &str = "2021-12-09T10:00:00Z";

/// The session after an edit, as the store would keep it: the patch applied and the sequence
/// raised when the lifecycle says so.
fn edited(before: &Event, patch: serde_json::Value) -> Event {
    let spec = next_from(before, patch);
    let plan = crate::domain::event::plan_update(before, &spec, Utc::now()).expect("allowed");
    Event {
        status: spec.status,
        title: spec.title,
        summary: spec.summary,
        programme: spec.programme,
        tags: spec.tags,
        schedule: spec.schedule,
        location: spec.location,
        links: spec.links,
        registration_required: spec.registration_required,
        capacity: spec.capacity,
        reminders: spec.reminders,
        cancel_reason: plan.cancel_reason,
        sequence: plan.sequence,
        ..before.clone()
    }
}

fn scheduled() -> Event {
    stored(EventStatus::Scheduled)
}

fn draft() -> Event {
    stored(EventStatus::Draft)
}

fn video(published_on: &str) -> Event {
    let mut event = scheduled();
    event.kind = EventKind::Video;
    event.schedule = None;
    event.published_on = NaiveDate::parse_from_str(published_on, "%Y-%m-%d").ok();
    event
}

/// A video published on `published_on`, with a premiere at `starts_at` (Paris).
fn premiere(published_on: &str, starts_at: &str) -> Event {
    let with_time = next_from(&video(published_on), json!({"starts_at": starts_at}));
    Event {
        schedule: with_time.schedule,
        ..video(published_on)
    }
}

/// A notice in a few words: the kind (and the reminder's advance, or what a change notice
/// compares) of what is sent, or what is dropped.
fn describe(notice: &Notice) -> String {
    match notice {
        Notice::Send(planned) if planned.detail.is_empty() => planned.kind.to_string(),
        Notice::Send(planned)
            if matches!(planned.kind, MailKind::Change | MailKind::Reinstatement) =>
        {
            let was = Previously::decode(&planned.detail);
            let fields: Vec<&str> = [("when", &was.when), ("place", &was.place)]
                .into_iter()
                .filter_map(|(name, value)| value.as_ref().map(|_| name))
                .collect();
            format!("{} (was: {})", planned.kind, fields.join(", "))
        }
        Notice::Send(planned) => format!("{} {}", planned.kind, planned.detail),
        Notice::DropQueued(reason) => format!("drop queued: {reason}"),
        Notice::DropStaleReminders { keep } => format!("keep {} reminders", keep.len()),
    }
}

/// A row: what happens, the session before (none when created) and after, when, what is sent.
type Row = (
    &'static str,
    Option<Event>,
    Event,
    &'static str,
    Vec<&'static str>,
);

#[test]
fn what_a_change_to_a_session_sends() {
    let policy = MailPolicy::default();
    let s = scheduled();
    let cancelled = edited(&s, json!({"status": "cancelled"}));
    let with_recording = |e: &Event| {
        edited(
            e,
            json!({"links": {"recording": "https://v.example.org/r"}}),
        )
    };
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // Announcement: when published, if it is news.
        ("created scheduled, yet to start", None, s.clone(), WEEK_BEFORE,
            vec!["announcement", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("published from a draft", Some(draft()), s.clone(), WEEK_BEFORE,
            vec!["announcement", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("published once started: no news, no reminder", Some(draft()), s.clone(), DURING,
            vec!["keep 2 reminders"]),
        ("created as a draft", None, draft(), WEEK_BEFORE, vec![]),
        ("a draft edited", Some(draft()), edited(&draft(), json!({"title": "Autre"})), WEEK_BEFORE, vec![]),
        ("a video published today", None, video("2021-12-01"), WEEK_BEFORE,
            vec!["announcement", "keep 0 reminders"]),
        ("a video two days old", None, video("2021-11-29"), WEEK_BEFORE,
            vec!["announcement", "keep 0 reminders"]),
        ("a video of last year", None, video("2020-11-29"), WEEK_BEFORE, vec!["keep 0 reminders"]),
        ("an old video premiering tomorrow", None, premiere("2020-11-29", "2021-12-02T18:00"), WEEK_BEFORE,
            vec!["announcement", "keep 0 reminders"]),
        ("an old video that premiered last week", None, premiere("2020-11-29", "2021-11-24T18:00"), WEEK_BEFORE,
            vec!["keep 0 reminders"]),
        // Reminders: per offset, only those still to come, replanned when the time moves.
        ("own reminders", Some(draft()), edited(&s, json!({"reminders": ["PT30M"]})), WEEK_BEFORE,
            vec!["announcement", "keep 1 reminders", "reminder PT30M"]),
        ("no reminders", Some(draft()), edited(&s, json!({"reminders": []})), WEEK_BEFORE,
            vec!["announcement", "keep 0 reminders"]),
        ("published between its reminders", Some(draft()), s.clone(), TWO_HOURS_BEFORE,
            vec!["announcement", "keep 2 reminders", "reminder PT1H"]),
        ("reminders edited", Some(s.clone()), edited(&s, json!({"reminders": ["PT2H"]})), WEEK_BEFORE,
            vec!["keep 1 reminders", "reminder PT2H"]),
        // Change notice: time, place, join link, tighter access; before it ends.
        // It carries the time and place as they were, for what changed of them.
        ("moved", Some(s.clone()), edited(&s, json!({"starts_at": "2021-12-09T09:00"})), WEEK_BEFORE,
            vec!["change (was: when)", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("an end given", Some(s.clone()), edited(&s, json!({"ends_at": "2021-12-08T10:00"})), WEEK_BEFORE,
            vec!["change (was: when)", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("new place", Some(s.clone()), edited(&s, json!({"location": "Salle 2"})), WEEK_BEFORE,
            vec!["change (was: place)"]),
        ("moved elsewhere", Some(s.clone()), edited(&s, json!({"starts_at": "2021-12-09T09:00", "location": "Salle 2"})), WEEK_BEFORE,
            vec!["change (was: when, place)", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("new join link", Some(s.clone()), edited(&s, json!({"links": {"join": "https://visio.example.org/b"}})), WEEK_BEFORE,
            vec!["change"]),
        ("new registration link", Some(s.clone()), edited(&s, json!({"links": {"registration": "https://f.example.org"}})), WEEK_BEFORE,
            vec![]),
        ("a capacity set", Some(s.clone()), edited(&s, json!({"capacity": 30})), WEEK_BEFORE,
            vec!["change"]),
        ("fewer places", Some(edited(&s, json!({"capacity": 30}))), edited(&edited(&s, json!({"capacity": 30})), json!({"capacity": 20})), WEEK_BEFORE,
            vec!["change"]),
        ("more places", Some(edited(&s, json!({"capacity": 30}))), edited(&edited(&s, json!({"capacity": 30})), json!({"capacity": 40})), WEEK_BEFORE,
            vec![]),
        ("registration now required", Some(s.clone()), edited(&s, json!({"registration_required": true})), WEEK_BEFORE,
            vec!["change"]),
        ("registration no longer required", Some(edited(&s, json!({"registration_required": true}))),
            edited(&edited(&s, json!({"registration_required": true})), json!({"registration_required": false})), WEEK_BEFORE,
            vec![]),
        ("new title", Some(s.clone()), edited(&s, json!({"title": "Nouveau titre"})), WEEK_BEFORE, vec![]),
        ("new tags", Some(s.clone()), edited(&s, json!({"tags": ["sobriété"]})), WEEK_BEFORE, vec![]),
        ("moved without a new sequence", Some(s.clone()),
            Event { sequence: 0, ..edited(&s, json!({"starts_at": "2021-12-09T09:00"})) }, WEEK_BEFORE,
            vec!["keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("place fixed after it ended", Some(s.clone()), edited(&s, json!({"location": "Salle 2"})), DAY_AFTER, vec![]),
        // Cancellation: queued messages dropped; a notice before it ends.
        ("cancelled", Some(s.clone()), cancelled.clone(), WEEK_BEFORE,
            vec!["drop queued: the session was cancelled", "cancellation"]),
        ("cancelled after it ended", Some(s.clone()), cancelled.clone(), DAY_AFTER,
            vec!["drop queued: the session was cancelled"]),
        ("cancelled again", Some(cancelled.clone()), cancelled.clone(), WEEK_BEFORE, vec![]),
        ("cancelled again with a new reason", Some(cancelled.clone()),
            Event { cancel_reason: Some("Grève".into()), ..cancelled.clone() }, WEEK_BEFORE, vec![]),
        // Reinstatement: back after a cancellation, it takes place after all; before it ends.
        ("back after a cancellation", Some(cancelled.clone()), edited(&cancelled, json!({"status": "scheduled"})), WEEK_BEFORE,
            vec!["reinstatement", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("back after a cancellation, a day later", Some(cancelled.clone()),
            edited(&cancelled, json!({"status": "scheduled", "starts_at": "2021-12-09T09:00"})), WEEK_BEFORE,
            vec!["reinstatement (was: when)", "keep 2 reminders", "reminder P1D", "reminder PT1H"]),
        ("back after a cancellation, once over", Some(cancelled.clone()), edited(&cancelled, json!({"status": "scheduled"})), DAY_AFTER,
            vec!["keep 2 reminders"]),
        // Recording notice: a recording link set once the session has ended.
        ("recording after the session", Some(s.clone()), with_recording(&s), DAY_AFTER, vec!["recording"]),
        ("recording before the session", Some(s.clone()), with_recording(&s), WEEK_BEFORE, vec![]),
        ("recording replaced", Some(with_recording(&s)),
            edited(&with_recording(&s), json!({"links": {"recording": "https://v.example.org/r2"}})), DAY_AFTER, vec![]),
    ];
    for (name, before, after, now, expected) in rows {
        let got: Vec<String> = notices(before.as_ref(), &after, &policy, at(now))
            .iter()
            .map(describe)
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn notices_are_keyed_so_nobody_gets_one_twice() {
    let policy = MailPolicy::default();
    let s = scheduled();
    let now = at(WEEK_BEFORE);
    let keys: Vec<(String, DateTime<Utc>)> = notices(None, &s, &policy, now)
        .into_iter()
        .filter_map(|n| match n {
            Notice::Send(p) => Some((p.key, p.due_at)),
            _ => None,
        })
        .collect();
    let start = at("2021-12-08T08:00:00Z");
    assert_eq!(
        keys,
        [
            ("announcement:1:".to_string(), now),
            (
                format!(
                    "reminder:1:P1D:{}:",
                    (start - Duration::days(1)).timestamp_micros()
                ),
                start - Duration::days(1)
            ),
            (
                format!(
                    "reminder:1:PT1H:{}:",
                    (start - Duration::hours(1)).timestamp_micros()
                ),
                start - Duration::hours(1)
            ),
        ]
    );
    // Each change and cancellation has its own notice, keyed by the sequence it brings.
    let moved = edited(&s, json!({"starts_at": "2021-12-09T09:00"}));
    let cancelled = edited(&moved, json!({"status": "cancelled"}));
    let key = |notices: Vec<Notice>, kind: MailKind| {
        notices.into_iter().find_map(|n| match n {
            Notice::Send(p) if p.kind == kind => Some(p.key),
            _ => None,
        })
    };
    assert_eq!(
        key(notices(Some(&s), &moved, &policy, now), MailKind::Change).as_deref(),
        Some("change:1:1:")
    );
    assert_eq!(
        key(
            notices(Some(&moved), &cancelled, &policy, now),
            MailKind::Cancellation
        )
        .as_deref(),
        Some("cancellation:1:2:")
    );
    let back = edited(&cancelled, json!({"status": "scheduled"}));
    assert_eq!(
        key(
            notices(Some(&cancelled), &back, &policy, now),
            MailKind::Reinstatement
        )
        .as_deref(),
        Some("reinstatement:1:3:")
    );
    assert_eq!(
        confirmation_key("abc", now),
        format!("confirmation:abc:{}", now.timestamp_micros())
    );
}

#[test]
fn a_moved_session_keeps_only_its_new_reminder_times() {
    let policy = MailPolicy::default();
    let s = scheduled();
    let moved = edited(&s, json!({"starts_at": "2021-12-09T09:00"}));
    let plan = notices(Some(&s), &moved, &policy, at(WEEK_BEFORE));
    let new_start = at("2021-12-09T08:00:00Z");
    assert!(plan.contains(&Notice::DropStaleReminders {
        keep: vec![
            new_start - Duration::days(1),
            new_start - Duration::hours(1)
        ]
    }));
}

fn due(kind: MailKind, due_at: DateTime<Utc>) -> Due {
    Due {
        kind,
        sequence: 0,
        due_at,
        created_at: due_at,
        has_secret: true,
    }
}

#[test]
fn late_reminders_go_until_the_start_then_are_dropped_with_their_reason() {
    let policy = MailPolicy::default();
    let confirm = Duration::hours(48);
    let s = scheduled();
    let hour_before = at("2021-12-08T07:00:00Z");
    let reminder = due(MailKind::Reminder, hour_before);
    let active = Found::Here(Recipient::Subscription(SubscriptionStatus::Active));
    let check = |event: &Event, now: &str| {
        still_due(
            &reminder,
            active,
            Found::Here(event),
            &policy,
            confirm,
            at(now),
        )
    };
    // Due at 8:00 Paris, sent at 8:40 because no dispatcher ran: still before the start.
    assert_eq!(check(&s, "2021-12-08T07:40:00Z"), Ok(()));
    assert_eq!(check(&s, DURING), Err(DropReason::StartedBeforeReminder));
    let moved = edited(&s, json!({"starts_at": "2021-12-09T09:00"}));
    assert_eq!(
        check(&moved, TWO_HOURS_BEFORE),
        Err(DropReason::RemindersChanged)
    );
    let cancelled = edited(&s, json!({"status": "cancelled"}));
    assert_eq!(
        check(&cancelled, TWO_HOURS_BEFORE),
        Err(DropReason::NoLongerScheduled)
    );
    assert_eq!(
        DropReason::StartedBeforeReminder.to_string(),
        "the session had started when the reminder could be sent"
    );
}

type Verdict = Result<(), DropReason>;

#[test]
fn send_time_rules_for_every_kind() {
    let policy = MailPolicy::default();
    let confirm = Duration::hours(48);
    let now = at(WEEK_BEFORE);
    let s = scheduled();
    let cancelled = edited(&s, json!({"status": "cancelled"}));
    let active = Found::Here(Recipient::Subscription(SubscriptionStatus::Active));
    let pending = Found::Here(Recipient::Subscription(SubscriptionStatus::Pending));
    let gone = Found::Here(Recipient::Subscription(SubscriptionStatus::Unsubscribed));
    let check = |message: Due, subscription, event| {
        still_due(&message, subscription, event, &policy, confirm, now)
    };
    let confirmation = due(MailKind::Confirmation, now);
    #[rustfmt::skip]
    let rows: Vec<(&str, Verdict, Verdict)> = vec![
        ("confirmation", check(confirmation, pending, Found::NotNamed), Ok(())),
        ("confirmation, already active", check(confirmation, active, Found::NotNamed),
            Err(DropReason::Subscription(SubscriptionStatus::Active))),
        ("confirmation without its secret", check(Due { has_secret: false, ..confirmation }, pending, Found::NotNamed),
            Err(DropReason::ConfirmationSecretGone)),
        ("confirmation too late", check(Due { created_at: now - Duration::hours(49), ..confirmation }, pending, Found::NotNamed),
            Err(DropReason::ConfirmationExpired)),
        ("announcement", check(due(MailKind::Announcement, now), active, Found::Here(&s)), Ok(())),
        ("announcement, unsubscribed", check(due(MailKind::Announcement, now), gone, Found::Here(&s)),
            Err(DropReason::Subscription(SubscriptionStatus::Unsubscribed))),
        ("announcement, subscription erased", check(due(MailKind::Announcement, now), Found::Gone, Found::Here(&s)),
            Err(DropReason::SubscriptionErased)),
        ("announcement, no subscription", check(due(MailKind::Announcement, now), Found::NotNamed, Found::Here(&s)),
            Err(DropReason::NoSubscription)),
        ("announcement, session deleted", check(due(MailKind::Announcement, now), active, Found::Gone),
            Err(DropReason::SessionDeleted)),
        ("announcement, no session", check(due(MailKind::Announcement, now), active, Found::NotNamed),
            Err(DropReason::NoSession)),
        ("announcement, since cancelled", check(due(MailKind::Announcement, now), active, Found::Here(&cancelled)),
            Err(DropReason::NoLongerScheduled)),
        ("change, since cancelled", check(due(MailKind::Change, now), active, Found::Here(&cancelled)),
            Err(DropReason::NoLongerScheduled)),
        ("cancellation", check(due(MailKind::Cancellation, now), active, Found::Here(&cancelled)), Ok(())),
        ("cancellation, since back", check(due(MailKind::Cancellation, now), active, Found::Here(&s)),
            Err(DropReason::NoLongerCancelled)),
        ("reinstatement", check(due(MailKind::Reinstatement, now), active, Found::Here(&s)), Ok(())),
        ("reinstatement, since cancelled again", check(due(MailKind::Reinstatement, now), active, Found::Here(&cancelled)),
            Err(DropReason::NoLongerScheduled)),
        ("recording", check(due(MailKind::Recording, now), active, Found::Here(&s)), Ok(())),
        // The subscription is looked at first, then the session, then the kind's own rule.
        ("subscription and session both gone", check(due(MailKind::Announcement, now), Found::Gone, Found::Gone),
            Err(DropReason::SubscriptionErased)),
        ("confirmation naming a session", check(confirmation, pending, Found::Here(&cancelled)), Ok(())),
        ("reminder of a session cancelled and started", still_due(&due(MailKind::Reminder, now), active,
            Found::Here(&cancelled), &policy, confirm, at(DURING)),
            Err(DropReason::NoLongerScheduled)),
    ];
    for (name, got, expected) in rows {
        assert_eq!(got, expected, "{name}");
    }
    // A change notice of an older sequence may have been replaced by a newer one.
    let moved = edited(&s, json!({"starts_at": "2021-12-09T09:00"}));
    assert!(may_be_superseded(&due(MailKind::Change, now), &moved));
    assert!(!may_be_superseded(
        &Due {
            sequence: 1,
            ..due(MailKind::Change, now)
        },
        &moved
    ));
    assert!(!may_be_superseded(&due(MailKind::Reminder, now), &moved));
    // So may a reinstatement, by a newer one: cancelled and reinstated twice, « rétablie » once.
    assert!(may_be_superseded(
        &due(MailKind::Reinstatement, now),
        &moved
    ));
    assert!(!may_be_superseded(
        &due(MailKind::Cancellation, now),
        &moved
    ));
}

#[test]
fn reminders_parse_and_are_written_as_iso_8601() {
    let h = Duration::hours;
    assert_eq!(duration_label(h(1)), "PT1H");
    assert_eq!(duration_label(h(24)), "P1D");
    assert_eq!(duration_label(h(25)), "P1DT1H");
    assert_eq!(duration_label(Duration::minutes(90)), "PT1H30M");
    assert_eq!(duration_label(Duration::seconds(0)), "PT0S");
    assert_eq!(parse_reminder("PT90M"), Ok(Duration::minutes(90)));
    assert!(parse_reminder("P1M").is_err());
    assert!(parse_reminder("PT0S").is_err());
    assert!(parse_reminder("P61D").is_err());
    assert_eq!(
        MailPolicy::default().default_reminders,
        [Duration::days(1), Duration::hours(1)]
    );
}

#[test]
fn kinds_and_statuses_round_trip() {
    for kind in MailKind::ALL {
        assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
    }
    for status in MessageStatus::ALL {
        assert_eq!(MessageStatus::parse(status.as_str()), Some(status));
    }
}

/// The same webinar requiring registration, with a join link.
fn with_registration(event: &Event) -> Event {
    edited(
        event,
        json!({"registration_required": true, "capacity": 20,
            "links": {"join": "https://visio.example.org/salle"}}),
    )
}

/// Each notice a change sends, with its audience.
type Sent = Vec<(MailKind, Audience)>;

/// Who each notice of a change goes to.
fn audiences(before: Option<&Event>, after: &Event, now: &str) -> Sent {
    notices(before, after, &MailPolicy::default(), at(now))
        .into_iter()
        .filter_map(|n| match n {
            Notice::Send(p) => Some((p.kind, p.audience)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_registration_session_keeps_reminders_and_the_link_for_the_seated() {
    let seated = Audience {
        seated: true,
        waiting: false,
        followers: false,
    };
    let followers = Audience {
        seated: false,
        waiting: false,
        followers: true,
    };
    let everyone = Audience::EVERYONE;
    let d = with_registration(&draft());
    let published = edited(&d, json!({"status": "scheduled"}));
    let s = with_registration(&scheduled());
    let open = edited(&s, json!({"registration_required": false}));
    #[rustfmt::skip]
    let rows: Vec<(&str, Sent, Sent)> = vec![
        ("published: followers hear of it, the seated get the reminders",
            audiences(Some(&d), &published, WEEK_BEFORE),
            vec![(MailKind::Announcement, followers), (MailKind::Reminder, seated), (MailKind::Reminder, seated)]),
        ("a new join link: only those who hold it",
            audiences(Some(&s), &edited(&s, json!({"links": {"join": "https://visio.example.org/autre"}})), WEEK_BEFORE),
            vec![(MailKind::Change, seated)]),
        ("a new date: everyone planning to come",
            audiences(Some(&s), &edited(&s, json!({"starts_at": "2021-12-09T09:00"})), WEEK_BEFORE),
            vec![(MailKind::Change, everyone), (MailKind::Reminder, seated), (MailKind::Reminder, seated)]),
        ("a new place: everyone",
            audiences(Some(&s), &edited(&s, json!({"location": "Salle 2"})), WEEK_BEFORE),
            vec![(MailKind::Change, everyone)]),
        ("cancelled: everyone",
            audiences(Some(&s), &edited(&s, json!({"status": "cancelled"})), WEEK_BEFORE),
            vec![(MailKind::Cancellation, everyone)]),
        ("the recording: everyone",
            audiences(Some(&s), &edited(&s, json!({"links": {"recording": "https://video.example.org/r"}})), DAY_AFTER),
            vec![(MailKind::Recording, everyone)]),
        ("open to all again: followers get the reminders and link changes",
            audiences(Some(&open), &edited(&open, json!({"links": {"join": "https://visio.example.org/autre"}})), WEEK_BEFORE),
            vec![(MailKind::Change, Audience { seated: true, waiting: false, followers: true })]),
    ];
    for (what, got, expected) in rows {
        assert_eq!(got, expected, "{what}");
    }
    let reminders = reminders(&open, &MailPolicy::default(), at(WEEK_BEFORE));
    assert!(reminders
        .iter()
        .all(|r| r.audience.followers && r.audience.seated));
    // Registration on an outside form: nobody registers here, so followers keep the reminders
    // (the join link stays private all the same).
    let external = edited(
        &s,
        json!({"links": {"registration": "https://forms.example.org/s"}}),
    );
    assert!(external.links.join.is_some());
    let reminders = super::reminders(&external, &MailPolicy::default(), at(WEEK_BEFORE));
    assert!(!reminders.is_empty());
    assert!(reminders.iter().all(|r| r.audience.followers));
}

#[test]
fn send_time_rules_for_registrants() {
    use crate::domain::RegistrationStatus as R;
    let policy = MailPolicy::default();
    let confirm = Duration::hours(48);
    let now = at(WEEK_BEFORE);
    let s = with_registration(&scheduled());
    let cancelled = edited(&s, json!({"status": "cancelled"}));
    let reg = |status| Found::Here(Recipient::Registration(status));
    let follower = Found::Here(Recipient::Subscription(SubscriptionStatus::Active));
    let check = |message: Due, recipient, event: &Event| {
        still_due(
            &message,
            recipient,
            Found::Here(event),
            &policy,
            confirm,
            now,
        )
    };
    let hour_before = due(MailKind::Reminder, at("2021-12-08T07:00:00Z"));
    #[rustfmt::skip]
    let rows: Vec<(&str, Verdict, Verdict)> = vec![
        ("reminder, seated", check(hour_before, reg(R::Seated), &s), Ok(())),
        ("reminder, waiting", check(hour_before, reg(R::Waiting), &s), Err(DropReason::Registration(R::Waiting))),
        ("reminder, cancelled", check(hour_before, reg(R::Cancelled), &s), Err(DropReason::Registration(R::Cancelled))),
        ("reminder, a follower of a registration session", check(hour_before, follower, &s), Err(DropReason::ForRegistrantsOnly)),
        ("seat, seated", check(due(MailKind::Seated, now), reg(R::Seated), &s), Ok(())),
        ("seat, to a follower", check(due(MailKind::Seated, now), follower, &s), Err(DropReason::Subscription(SubscriptionStatus::Active))),
        ("seat, session cancelled since", check(due(MailKind::Seated, now), reg(R::Seated), &cancelled), Err(DropReason::NoLongerScheduled)),
        ("promoted, cancelled meanwhile", check(due(MailKind::Promoted, now), reg(R::Cancelled), &s), Err(DropReason::Registration(R::Cancelled))),
        ("waiting list, waiting", check(due(MailKind::Waitlisted, now), reg(R::Waiting), &s), Ok(())),
        ("waiting list, seated since", check(due(MailKind::Waitlisted, now), reg(R::Seated), &s), Err(DropReason::Registration(R::Seated))),
        ("cancelled registration, told", check(due(MailKind::Unregistered, now), reg(R::Cancelled), &cancelled), Ok(())),
        ("announcement, never to a registration", check(due(MailKind::Announcement, now), reg(R::Seated), &s), Err(DropReason::Registration(R::Seated))),
        ("change, waiting", check(due(MailKind::Change, now), reg(R::Waiting), &s), Ok(())),
        ("change, pending", check(due(MailKind::Change, now), reg(R::Pending), &s), Err(DropReason::Registration(R::Pending))),
        ("cancellation, seated", check(due(MailKind::Cancellation, now), reg(R::Seated), &cancelled), Ok(())),
        ("confirmation link, pending", check(due(MailKind::RegistrationConfirmation, now), reg(R::Pending), &s), Ok(())),
        ("confirmation link, too late", check(Due { created_at: now - Duration::hours(49), ..due(MailKind::RegistrationConfirmation, now) }, reg(R::Pending), &s),
            Err(DropReason::ConfirmationExpired)),
        ("confirmation link, already placed", check(due(MailKind::RegistrationConfirmation, now), reg(R::Seated), &s), Err(DropReason::Registration(R::Seated))),
    ];
    for (what, got, expected) in rows {
        assert_eq!(got, expected, "{what}");
    }
}

/// The API's JSON (and the OpenAPI document) name a kind of message as the outbox stores it.
#[test]
fn kinds_read_the_same_in_json_and_in_the_outbox() {
    for kind in MailKind::ALL {
        assert_eq!(
            serde_json::to_value(kind).expect("a kind"),
            json!(kind.as_str())
        );
        assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
    }
}
