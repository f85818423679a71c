//! The store on its own: the same suite on SQLite and PostgreSQL.

use chrono_tz::Europe::Paris;
use eventail::domain::{EventInput, EventStatus};
use eventail::startup::open_store;
use eventail::store::{EventFilter, EventPageRequest, Order, StoreError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

use crate::helpers::{settings_for, subscribe_to_all, Db, FreshDb};
use crate::on_both_backends;

on_both_backends!(
    valid_sessions_survive_store_json_store,
    migrations_run_twice_and_reopen_keeps_data,
    an_upgrade_from_the_previous_schema_keeps_what_it_held,
    tokens_are_stored_as_hashes,
    a_preview_plans_what_saving_plans,
    lookups_by_ids_find_those_that_exist,
    the_outbox_counts_each_status,
);

fn text() -> impl Strategy<Value = String> {
    // French text with the characters that trip encoders up.
    "[a-zA-Zéèàçôœ«»’;,\\\\ \n🎉0-9]{1,40}"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
}

/// The same on one line (a title).
fn line() -> impl Strategy<Value = String> {
    text().prop_map(|s| s.replace('\n', " "))
}

fn session() -> impl Strategy<Value = Value> {
    let when = (
        2020i32..2035,
        1u32..=12,
        1u32..=28,
        0u32..24,
        prop::sample::select(vec![0u32, 15, 30, 45]),
        15i64..600,
    );
    (
        prop::sample::select(vec!["webinar", "event", "video"]),
        prop::sample::select(vec!["draft", "scheduled"]),
        line(),
        prop::option::of(text()),
        when,
        prop::bool::ANY,
        prop::collection::vec(text(), 0..4),
        prop::collection::vec((text(), prop::option::of(text())), 0..3),
        prop::option::of(1i64..5000),
        prop::sample::select(vec!["Europe/Paris", "America/Cayenne", "Pacific/Noumea", "UTC"]),
    )
        .prop_map(|(kind, status, title, summary, (y, mo, d, h, mi, minutes), all_day, programme, speakers, capacity, tz)| {
            let start = format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z");
            let (starts_at, ends_at) = if all_day {
                (json!(format!("{y}-{mo:02}-{d:02}")), json!(format!("{y}-{mo:02}-{:02}", d + (minutes % 3) as u32)))
            } else {
                let end = chrono::DateTime::parse_from_rfc3339(&start).unwrap() + chrono::Duration::minutes(minutes);
                (json!(start), json!(end.to_rfc3339()))
            };
            json!({
                "kind": kind, "status": status, "title": title, "summary": summary, "body": "Corps\n\n- point",
                "timezone": tz, "starts_at": starts_at, "ends_at": ends_at,
                "speakers": speakers.iter().map(|(n, r)| json!({"name": n, "role": r})).collect::<Vec<_>>(),
                "programme": programme, "capacity": capacity,
                "links": {"join": "https://visio.example.org/a?b=c&d=é"},
                "tags": ["un", "deux"],
            })
        })
}

/// Stores generated sessions, reads them back as JSON, feeds that JSON back as an update,
/// and expects the same document: nothing is lost or altered on the way.
async fn valid_sessions_survive_store_json_store(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = open_store(&settings_for(&fresh.url)).await.unwrap();
    let mut runner = TestRunner::deterministic();
    for _ in 0..40 {
        let input = session().new_tree(&mut runner).unwrap().current();
        let spec = match EventInput::from_json(input.clone()).and_then(|i| i.validate(Paris)) {
            Ok(spec) => spec,
            // Generated speakers may collapse to an invalid slug-less name; skip those.
            Err(errors) => panic!("generator made an invalid session {input}: {errors}"),
        };
        let created = store
            .create_event(spec)
            .await
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        let document = created.document();
        let back = serde_json::to_value(&document).unwrap();
        let again = store
            .update_event(&created.id, |_| {
                let spec = EventInput::from_json(back.clone())
                    .and_then(|i| i.validate(Paris))
                    .map_err(StoreError::Invalid)?;
                Ok(Some(spec))
            })
            .await
            .unwrap();
        let mut a = serde_json::to_value(created.document()).unwrap();
        let mut b = serde_json::to_value(again.document()).unwrap();
        a["updated_at"] = Value::Null;
        b["updated_at"] = Value::Null;
        assert_eq!(a, b, "round trip changed {input}");
        assert_eq!(again.sequence, 0);
        assert_eq!(
            created.status == EventStatus::Scheduled,
            created.published_on.is_some()
        );
    }
    let page = store
        .list_events(
            &EventFilter::default(),
            &EventPageRequest {
                after: None,
                limit: 100,
                order: Order::Ascending,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 40);
}

async fn migrations_run_twice_and_reopen_keeps_data(db: Db) {
    let fresh = FreshDb::new(db).await;
    let settings = settings_for(&fresh.url);
    let store = open_store(&settings).await.unwrap();
    let spec = EventInput::from_json(json!({"kind": "video", "title": "Gardé"}))
        .unwrap()
        .validate(Paris)
        .unwrap();
    let event = store.create_event(spec).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let reopened = open_store(&settings).await.unwrap();
    assert_eq!(
        reopened.get_event(&event.slug).await.unwrap().title,
        "Gardé"
    );
    reopened.ping().await.unwrap();
}

/// A database the previous release left (every migration but the last), holding a session
/// whose speaker takes the directory's affiliation and messages in the outbox as it was (one
/// table, the state of each message in its row): upgraded by this version's migration, the
/// session reads as it did, each message keeps its state (now in `outbox_state`), and a newer
/// database is refused by an older migrator.
async fn an_upgrade_from_the_previous_schema_keeps_what_it_held(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = eventail::store::Store::connect(&fresh.url, 2)
        .await
        .unwrap();
    let folder = match store.backend() {
        eventail::store::Backend::Sqlite => "migrations/sqlite",
        eventail::store::Backend::Postgres => "migrations/postgres",
    };
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut previous = sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .unwrap();
    let all = previous.migrations.len();
    previous.migrations = std::borrow::Cow::Owned(previous.migrations[..all - 1].to_vec());
    // What the messages below are written for: the outbox before its state moved out.
    assert_eq!(
        previous.migrations.last().map(|m| m.version),
        Some(20261204000014)
    );
    previous.run(store.pool()).await.unwrap();
    assert_eq!(store.schema_state().await.unwrap(), (1, 0));
    // What the previous release wrote: a speaker in the directory, a session crediting her
    // without an affiliation of its own.
    let now = chrono::Utc::now().timestamp_micros();
    sqlx::query(
        "INSERT INTO speakers (id, slug, name, role, organisation, created_at, updated_at) \
         VALUES ('sp1', 'camille-martin', 'Camille Martin', 'cheffe de projet', 'DINUM', $1, $1)",
    )
    .bind(now)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO events (id, slug, kind, status, title, timezone, sort_at, created_at, \
         updated_at) VALUES ('ev1', 'avant', 'video', 'scheduled', 'Avant la mise à jour', \
         'Europe/Paris', $1, $1, $1)",
    )
    .bind(now)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO event_speakers (event_id, position, speaker_id, role, organisation) \
         VALUES ('ev1', 0, 'sp1', NULL, 'Mission numérique')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    // Messages about it in the outbox as it was, one table with each message's state (the last
    // migration moves the state into `outbox_state`): one sent and one still due, ...
    for (key, status) in [("annonce-1", "sent"), ("annonce-2", "queued")] {
        sqlx::query(
            "INSERT INTO outbox (dedup_key, kind, event_id, recipient, due_at, status, \
             created_at, updated_at) VALUES ($1, 'announcement', 'ev1', 'une@exemple.fr', $2, \
             $3, $2, $2)",
        )
        .bind(key)
        .bind(now)
        .bind(status)
        .execute(store.pool())
        .await
        .unwrap();
    }
    sqlx::query("UPDATE outbox SET sent_at = $1 WHERE dedup_key = 'annonce-1'")
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
    // ... and one being sent again after a failure, under a lease that has not run out, with
    // every column of its state set (each to a value of its own).
    let (minute, hour): (i64, i64) = (60_000_000, 3_600_000_000);
    sqlx::query(
        "INSERT INTO outbox (dedup_key, kind, event_id, recipient, detail, due_at, planned_at, \
         status, attempts, lease_owner, lease_until, last_error, created_at, updated_at) \
         VALUES ('annonce-3', 'announcement', 'ev1', 'trois@exemple.fr', 'gardé tel quel', $1, \
         $2, 'sending', 2, 'avant', $3, '421 réessayer plus tard', $4, $5)",
    )
    .bind(now - minute)
    .bind(now - hour)
    .bind(now + hour)
    .bind(now - 2 * hour)
    .bind(now - minute / 2)
    .execute(store.pool())
    .await
    .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.schema_state().await.unwrap(), (0, 0));
    // Each message kept what it is in `outbox` and its state, intact, in one row of
    // `outbox_state` under the same id.
    let messages: Vec<(String, String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT dedup_key, kind, event_id, recipient, created_at FROM outbox ORDER BY dedup_key",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let message = |key: &str, recipient: &str, created_at: i64| {
        (
            key.to_string(),
            "announcement".to_string(),
            Some("ev1".to_string()),
            recipient.to_string(),
            created_at,
        )
    };
    assert_eq!(
        messages,
        [
            message("annonce-1", "une@exemple.fr", now),
            message("annonce-2", "une@exemple.fr", now),
            message("annonce-3", "trois@exemple.fr", now - 2 * hour),
        ]
    );
    type State = (
        String,
        String,
        i64,
        Option<i64>,
        String,
        i64,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
        Option<i64>,
    );
    let states: Vec<State> = sqlx::query_as(
        "SELECT o.dedup_key, s.status, s.due_at, s.planned_at, s.detail, s.attempts, \
         s.lease_owner, s.lease_until, s.last_error, s.updated_at, s.sent_at \
         FROM outbox o JOIN outbox_state s ON s.id = o.id ORDER BY o.dedup_key",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let some = |text: &str| Some(text.to_string());
    let expected: Vec<State> = vec![
        (
            "annonce-1".into(),
            "sent".into(),
            now,
            None,
            String::new(),
            0,
            None,
            None,
            None,
            now,
            Some(now),
        ),
        (
            "annonce-2".into(),
            "queued".into(),
            now,
            None,
            String::new(),
            0,
            None,
            None,
            None,
            now,
            None,
        ),
        (
            "annonce-3".into(),
            "sending".into(),
            now - minute,
            Some(now - hour),
            "gardé tel quel".into(),
            2,
            some("avant"),
            Some(now + hour),
            some("421 réessayer plus tard"),
            now - minute / 2,
            None,
        ),
    ];
    assert_eq!(states, expected);
    let (state_rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox_state")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(state_rows, 3);
    let counts = store.outbox_by_status().await.unwrap();
    let count = |status: &str| counts.iter().find(|(s, _)| s == status).map(|(_, n)| *n);
    assert_eq!(count("sent"), Some(1), "{counts:?}");
    assert_eq!(count("queued"), Some(1), "{counts:?}");
    let claimed = store
        .claim_due("apres", 10, chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind.as_str(), "announcement");
    let event = store.get_event("avant").await.unwrap();
    assert_eq!(event.title, "Avant la mise à jour");
    let credit = &event.speakers[0];
    assert_eq!(credit.name, "Camille Martin");
    assert_eq!(credit.role.as_deref(), Some("cheffe de projet"));
    assert_eq!(credit.organisation.as_deref(), Some("Mission numérique"));
    // The previous release on this database: a migration it does not know, refused.
    assert!(previous.run(store.pool()).await.is_err());
    store.close().await;
}

async fn tokens_are_stored_as_hashes(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = open_store(&settings_for(&fresh.url)).await.unwrap();
    let issued = store.create_token("organisatrice").await.unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&issued.secret).to_string();
    assert!(secret.starts_with("evt_") && secret.len() == 68, "{secret}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], secret);
    assert!(!stored[0].contains(&secret[4..]));
    assert!(store.verify_token(&secret).await.unwrap().is_some());
    assert!(
        store
            .verify_token(&secret.replace('a', "b"))
            .await
            .unwrap()
            .is_none()
            || !secret.contains('a')
    );
    assert!(matches!(
        store.revoke_token("personne").await,
        Err(StoreError::NotFound)
    ));
    store.revoke_token(&issued.info.id).await.unwrap();
    assert!(store.verify_token(&secret).await.unwrap().is_none());
}

/// The dispatcher reads a batch's subscriptions and registrations by id (PostgreSQL as one
/// array parameter, SQLite 500 ids per statement): each existing id found once, whatever else
/// the list holds (unknown ids, characters that mean something in an array literal, more ids
/// than one SQLite statement takes).
async fn lookups_by_ids_find_those_that_exist(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = open_store(&settings_for(&fresh.url)).await.unwrap();
    let mut ids = Vec::new();
    for who in ["une", "deux", "trois"] {
        ids.push(
            subscribe_to_all(&store, &format!("{who}@exemple.fr"))
                .await
                .id,
        );
    }
    let mut asked: Vec<String> = (0..600).map(|n| format!("absent-{n}")).collect();
    asked.insert(0, ids[0].clone());
    asked.insert(300, r#"a"b\c,{d} e"#.to_string());
    asked.insert(550, ids[2].clone());
    asked.push("NULL".into());
    asked.push(String::new());
    let mut found: Vec<String> = store
        .subscriptions_by_ids(&asked)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    found.sort();
    let mut expected = vec![ids[0].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(found, expected);
    assert!(store.subscriptions_by_ids(&[]).await.unwrap().is_empty());
    assert!(store.registrations_by_ids(&asked).await.unwrap().is_empty());
}

/// A fresh SQLite store where one subscriber follows everything and a session titled `title`
/// has just queued its announcement to them, due now.
async fn sqlite_store_with_an_announcement(title: &str) -> (FreshDb, eventail::store::Store) {
    let fresh = FreshDb::new(Db::Sqlite).await;
    let store = open_store(&settings_for(&fresh.url)).await.unwrap();
    subscribe_to_all(&store, "une@exemple.fr").await;
    let spec = EventInput::from_json(json!({"kind": "webinar", "status": "scheduled",
        "title": title, "starts_at": "2042-06-02T14:00", "ends_at": "2042-06-02T15:00"}))
    .and_then(|input| input.validate(Paris))
    .unwrap();
    store.create_event(spec).await.unwrap();
    (fresh, store)
}

/// How many messages `outbox_by_status` counts as sent.
async fn messages_sent(store: &eventail::store::Store) -> Option<i64> {
    store
        .outbox_by_status()
        .await
        .unwrap()
        .into_iter()
        .find(|(status, _)| status == "sent")
        .map(|(_, n)| n)
}

/// On SQLite the dispatcher claims and marks on a connection of its own. While another
/// process writes the file (the CLI, say), a claim and a marking wait for it rather than fail
/// with SQLITE_BUSY, and the claim then takes what that write queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_claims_and_markings_wait_for_another_process_s_write() {
    use sqlx::Connection;
    let (fresh, store) = sqlite_store_with_an_announcement("Attendre son tour").await;
    let lease = chrono::Duration::minutes(5);

    // Another process takes the write lock and queues one more message, due now.
    let mut other = sqlx::SqliteConnection::connect(&fresh.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO outbox (dedup_key, kind, recipient, created_at) \
         VALUES ('autre-processus', 'announcement', 'deux@exemple.fr', 1)",
    )
    .execute(&mut other)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox_state (id, status, due_at, updated_at) \
         SELECT id, 'queued', 0, 1 FROM outbox WHERE dedup_key = 'autre-processus'",
    )
    .execute(&mut other)
    .await
    .unwrap();
    let claim = tokio::spawn({
        let store = store.clone();
        async move { store.claim_due("un", 10, lease).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!claim.is_finished(), "the claim did not wait for the write");
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let claimed = claim.await.unwrap().expect("the claim after the write");
    let recipients: Vec<&str> = claimed.iter().map(|c| c.recipient.as_str()).collect();
    assert!(recipients.contains(&"deux@exemple.fr"), "{recipients:?}");
    assert!(recipients.contains(&"une@exemple.fr"), "{recipients:?}");

    // The same for a marking.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    let marking = tokio::spawn({
        let (store, ids) = (store.clone(), ids.clone());
        async move { store.mark_sent_many(&ids, "un").await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !marking.is_finished(),
        "the marking did not wait for the write"
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let marked = marking.await.unwrap().expect("the marking after the write");
    assert_eq!(marked, ids.len() as u64);
    let sent = messages_sent(&store).await;
    assert_eq!(sent, Some(ids.len() as i64));
    other.close().await.unwrap();
    store.close().await;
}

/// Closing a SQLite store closes the dispatcher's own connection too, after the work in hand:
/// the file is left checkpointed, without its WAL, and the store answers no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_sqlite_store_closes_the_dispatcher_s_connection() {
    let (fresh, store) = sqlite_store_with_an_announcement("Fermer la porte").await;
    let lease = chrono::Duration::minutes(5);
    // The claim and the marking open the dispatcher's connection and write through it.
    let claimed = store.claim_due("un", 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    assert_eq!(store.mark_sent_many(&ids, "un").await.unwrap(), 1);
    let file = fresh.url.trim_start_matches("sqlite://").to_string();
    let wal = std::path::PathBuf::from(format!("{file}-wal"));
    assert!(
        wal.exists(),
        "the store writes in WAL mode: {}",
        wal.display()
    );

    store.close().await;
    // sqlx's SQLite connections finish closing on their worker threads, which may outlast
    // `close`: the last of them removes the WAL a moment later.
    for _ in 0..100 {
        if !wal.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !wal.exists(),
        "a connection stayed open: the WAL was not checkpointed and removed"
    );
    let after = store.claim_due("un", 10, lease).await;
    assert!(after.is_err(), "a closed store claimed: {after:?}");
    // What was written is in the file itself.
    let reopened = open_store(&settings_for(&fresh.url)).await.unwrap();
    let sent = messages_sent(&reopened).await;
    assert_eq!(sent, Some(1));
    reopened.close().await;
}

/// Every status counted (the metrics' gauges, the console's deliveries per day), zero
/// included, as messages are claimed, sent, failed, dropped and retried; a lease that ran
/// out is taken over before anything queued.
async fn the_outbox_counts_each_status(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = open_store(&settings_for(&fresh.url)).await.unwrap();
    // Queued, sending, sent, failed, dropped.
    let counts = |store: eventail::store::Store| async move {
        let counts = store.outbox_by_status().await.unwrap();
        assert_eq!(counts.len(), 5, "{counts:?}");
        ["queued", "sending", "sent", "failed", "dropped"].map(|status| {
            counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(-1, |(_, n)| *n)
        })
    };
    assert_eq!(counts(store.clone()).await, [0, 0, 0, 0, 0]);
    for who in ["une", "deux", "trois", "quatre"] {
        subscribe_to_all(&store, &format!("{who}@exemple.fr")).await;
    }
    // Planned: its announcement to the four, due now, and its reminders, due in 2042.
    let spec = EventInput::from_json(json!({"kind": "webinar", "status": "scheduled",
        "title": "Compter les envois", "starts_at": "2042-06-02T14:00",
        "ends_at": "2042-06-02T15:00"}))
    .and_then(|input| input.validate(Paris))
    .unwrap();
    store.create_event(spec).await.unwrap();
    let planned = counts(store.clone()).await[0];
    let reminders = planned - 4;
    assert!(reminders > 0 && reminders % 4 == 0, "{planned}");

    let lease = chrono::Duration::minutes(5);
    let first = store.claim_due("un", 3, lease).await.unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(counts(store.clone()).await, [planned - 3, 3, 0, 0, 0]);
    // Another dispatcher cannot mark what it does not hold.
    assert!(!store.mark_sent(first[0].id, "autre").await.unwrap());
    assert_eq!(
        store.mark_sent_many(&[first[1].id], "autre").await.unwrap(),
        0
    );
    assert!(store.mark_sent(first[0].id, "un").await.unwrap());
    assert!(store
        .mark_failed(first[1].id, "un", "550 refusé")
        .await
        .unwrap());
    assert!(store
        .mark_dropped(
            first[2].id,
            "un",
            eventail::domain::DropReason::SessionCancelled
        )
        .await
        .unwrap());
    // The fourth, claimed under a lease that has already run out, goes to the next claim
    // first, taken over.
    let second = store
        .claim_due("deux", 1, chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    let third = store.claim_due("trois", 5, lease).await.unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].id, second[0].id);
    assert!(third[0].taken_over);
    // The lease passed on: the first holder's marking no longer counts.
    assert_eq!(
        store.mark_sent_many(&[third[0].id], "deux").await.unwrap(),
        0
    );
    assert_eq!(
        store.mark_sent_many(&[third[0].id], "trois").await.unwrap(),
        1
    );
    assert_eq!(counts(store.clone()).await, [reminders, 0, 2, 1, 1]);
    // All today (or yesterday, for a run across midnight).
    let days = store.deliveries_by_day(Paris, 3).await.unwrap();
    assert_eq!(days.len(), 3);
    let sent: i64 = days.iter().map(|d| d.sent).sum();
    let failed: i64 = days.iter().map(|d| d.failed).sum();
    assert_eq!((sent, failed), (2, 1), "{days:?}");
    assert_eq!((days[0].sent, days[0].failed), (0, 0), "{days:?}");

    // A failed message retried is queued again, and counted so.
    store.retry_message(first[1].id).await.unwrap();
    assert_eq!(counts(store.clone()).await, [reminders + 1, 0, 2, 0, 1]);
    // What the markings rely on: a lease owner exactly while sending.
    let odd: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox_state \
         WHERE (status = 'sending') <> (lease_owner IS NOT NULL)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(odd, 0);

    // A subscription erased takes its messages along, and they their state (a trigger on
    // the outbox, not a foreign key): nothing is left for a claim to find without a message.
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    for id in &ids {
        store.delete_subscription(id).await.unwrap();
    }
    let left: (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM outbox_state)")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(left, (0, 0));
    assert!(store
        .claim_due("quatre", 10, lease)
        .await
        .unwrap()
        .is_empty());
}

/// The outbox rows planned since `since` for session `id`, grouped as the console's preview
/// groups them: (kind, to registrants, how many, earliest due).
async fn planned_since(
    store: &eventail::store::Store,
    id: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, bool, i64, i64)> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.kind, CASE WHEN o.registration_id IS NULL THEN 0 ELSE 1 END, COUNT(*), \
         MIN(s.due_at) FROM outbox o JOIN outbox_state s ON s.id = o.id \
         WHERE o.event_id = $1 AND s.status = 'queued' AND s.updated_at >= $2 \
         GROUP BY o.kind, CASE WHEN o.registration_id IS NULL THEN 0 ELSE 1 END ORDER BY 1, 2",
    )
    .bind(id)
    .bind(since.timestamp_micros())
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(kind, to, n, due)| (kind, to == 1, n, due))
        .collect()
}

fn rehearsed(rehearsal: &eventail::store::Rehearsal) -> Vec<(String, bool, i64, i64)> {
    let mut groups: Vec<_> = rehearsal
        .planned
        .iter()
        .map(|g| {
            (
                g.kind.as_str().to_string(),
                g.to_registrants,
                g.count,
                g.due_at.timestamp_micros(),
            )
        })
        .collect();
    groups.sort();
    groups
}

/// Every message: its key, status and last update (none if it has no state: a message must
/// not go unseen for want of one).
async fn outbox_rows(store: &eventail::store::Store) -> Vec<(String, Option<String>, Option<i64>)> {
    sqlx::query_as(
        "SELECT o.dedup_key, s.status, s.updated_at FROM outbox o \
         LEFT JOIN outbox_state s ON s.id = o.id ORDER BY o.dedup_key",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// A change merged into the session as the API's PATCH would.
fn edit(
    patch: Value,
) -> impl FnOnce(&eventail::domain::Event) -> Result<Option<eventail::domain::EventSpec>, StoreError>
{
    move |current| {
        let mut base = current.patch_base();
        json_patch::merge(&mut base, &patch);
        EventInput::from_json(base)
            .and_then(|input| input.validate(Paris))
            .map(Some)
            .map_err(StoreError::Invalid)
    }
}

/// The console's preview (`rehearse_create`, `rehearse_update`) plans exactly what saving
/// plans — kinds, audiences, counts, due times — through moves, a larger capacity that seats
/// people from the waiting list, a new join link, a title fix and a cancellation; and leaves
/// the outbox and the session as they were. On PostgreSQL the preview plans into a temporary
/// copy of the session's rows, so this is what keeps the copy honest.
async fn a_preview_plans_what_saving_plans(db: Db) {
    use eventail::domain::Registrant;
    use eventail::store::NewRegistration;
    let fresh = FreshDb::new(db).await;
    let store = open_store(&settings_for(&fresh.url)).await.unwrap();
    for who in ["suit.tout", "suit.aussi", "inscrite.3"] {
        subscribe_to_all(&store, &format!("{who}@exemple.fr")).await;
    }
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
    let session = |status: &str, title: &str| {
        json!({"kind": "webinar", "status": status, "title": title,
            "starts_at": at(start), "ends_at": at(start + chrono::Duration::hours(1)),
            "links": {"join": "https://visio.exemple.fr/salle-1"},
            "registration_required": true, "capacity": 3})
    };
    let spec = |value: Value| {
        EventInput::from_json(value)
            .unwrap()
            .validate(Paris)
            .unwrap()
    };

    // A new session: the preview plans its announcement as creating it does.
    let before = outbox_rows(&store).await;
    let since = store.now();
    let preview = store
        .rehearse_create(spec(session("scheduled", "Atelier répété")))
        .await
        .unwrap();
    assert_eq!(
        outbox_rows(&store).await,
        before,
        "a preview writes nothing"
    );
    assert!(store.get_event(&preview.event.slug).await.is_err());
    let made = store
        .create_event(spec(session("scheduled", "Atelier répété")))
        .await
        .unwrap();
    let groups = rehearsed(&preview);
    assert!(!groups.is_empty());
    let saved = planned_since(&store, &made.id, since).await;
    // Due "now": the preview's now came before the save's.
    let strip = |g: &[(String, bool, i64, i64)]| {
        g.iter()
            .map(|(k, t, n, _)| (k.clone(), *t, *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&groups), strip(&saved));

    // Five registrants: three seated, two waiting; one of them also follows everything.
    for i in 1..=5 {
        store
            .add_registration(
                &made.id,
                &NewRegistration {
                    registrant: Registrant::parse(
                        &format!("inscrite.{i}@exemple.fr"),
                        &format!("Personne {i}"),
                        None,
                    )
                    .unwrap(),
                    source: "test".into(),
                    wording_version: "v1".into(),
                    request_ip: None,
                },
            )
            .await
            .unwrap();
    }
    let later = start + chrono::Duration::days(1);
    let edits = [
        (
            "moved a day later",
            json!({"starts_at": at(later), "ends_at": at(later + chrono::Duration::hours(1))}),
        ),
        (
            "moved again before anyone was told",
            json!({"starts_at": at(later + chrono::Duration::hours(2)), "ends_at": at(later + chrono::Duration::hours(3))}),
        ),
        ("one more seat", json!({"capacity": 4})),
        (
            "a new join link",
            json!({"links": {"join": "https://visio.exemple.fr/salle-2"}}),
        ),
        (
            "a title fixed",
            json!({"title": "Atelier répété (corrigé)"}),
        ),
        ("no capacity", json!({"capacity": null})),
        ("cancelled", json!({"status": "cancelled"})),
        ("back", json!({"status": "scheduled"})),
    ];
    for (what, patch) in edits {
        let before = outbox_rows(&store).await;
        let session = store.get_event(&made.id).await.unwrap();
        let preview = store
            .rehearse_update(&made.id, edit(patch.clone()))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            outbox_rows(&store).await,
            before,
            "{what}: a preview writes nothing"
        );
        assert_eq!(store.get_event(&made.id).await.unwrap(), session, "{what}");
        let since = store.now();
        let saved = store.update_event(&made.id, edit(patch)).await.unwrap();
        assert_eq!(preview.event.sequence, saved.sequence, "{what}");
        assert_eq!(preview.event.status, saved.status, "{what}");
        let real = planned_since(&store, &made.id, since).await;
        let groups = rehearsed(&preview);
        assert_eq!(strip(&groups), strip(&real), "{what}");
        // Reminders and other timed messages are due at the same moments.
        let timed = |g: &[(String, bool, i64, i64)]| {
            g.iter()
                .filter(|(k, ..)| k == "reminder")
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(timed(&groups), timed(&real), "{what}");
        // Each group's sample is the very message saving planned for that person: same
        // text of what they were told before (a change notice compares with it), same time.
        for group in &preview.planned {
            let sample = &group.sample;
            let (detail, due_at): (String, i64) = sqlx::query_as(
                "SELECT s.detail, s.due_at FROM outbox o JOIN outbox_state s ON s.id = o.id \
                 WHERE o.event_id = $1 AND o.kind = $2 AND o.recipient = $3 \
                 AND s.status = 'queued' AND s.updated_at >= $4 \
                 ORDER BY s.due_at LIMIT 1",
            )
            .bind(&made.id)
            .bind(sample.kind.as_str())
            .bind(&sample.recipient)
            .bind(since.timestamp_micros())
            .fetch_one(store.pool())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "{what}: {} to {}: {e}",
                    sample.kind.as_str(),
                    sample.recipient
                )
            });
            assert_eq!(sample.detail, detail, "{what}: {}", sample.kind.as_str());
            if sample.kind.as_str() == "reminder" {
                assert_eq!(sample.due_at.timestamp_micros(), due_at, "{what}");
            }
        }
    }
}
