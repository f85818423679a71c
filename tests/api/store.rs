//! The store on its own: the same suite on SQLite and PostgreSQL.

use chrono_tz::Europe::Paris;
use eventail::domain::{EventInput, EventStatus};
use eventail::startup::open_store;
use eventail::store::{EventFilter, EventPageRequest, Order, StoreError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

use crate::helpers::{settings_for, Db, FreshDb};
use crate::on_both_backends;

on_both_backends!(
    valid_sessions_survive_store_json_store,
    migrations_run_twice_and_reopen_keeps_data,
    tokens_are_stored_as_hashes,
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
