//! Creating, reading, updating, cancelling and deleting sessions.

use serde_json::{json, Value};

use crate::helpers::{error_fields, full_webinar, read, spawn_app, Db};
use crate::on_both_backends;

on_both_backends!(
    every_field_round_trips,
    whole_day_sessions_use_plain_dates,
    instants_are_shown_in_the_session_zone,
    slugs_are_derived_unique_and_frozen_once_published,
    patch_merges_and_bumps_the_sequence_for_visible_changes,
    cancel_is_idempotent_and_drafts_cannot_be_cancelled,
    only_drafts_can_be_deleted,
    unknown_keys_answer_404,
    concurrent_edits_are_serialised,
    history_lists_every_change_in_order,
);

async fn every_field_round_trips(db: Db) {
    let app = spawn_app(db).await;
    let input = full_webinar();
    let created = app.create_event(input.clone()).await;
    let id = created["id"].as_str().unwrap().to_string();

    let expected_same = [
        "kind",
        "status",
        "title",
        "summary",
        "body",
        "timezone",
        "published_on",
        "location",
        "episode",
        "programme",
        "tags",
        "registration_required",
        "capacity",
        "recording_planned",
    ];
    for key in expected_same {
        assert_eq!(created[key], input[key], "{key}");
    }
    assert_eq!(
        created["slug"],
        "webinaire-ecoconcevoir-un-service-sobre-en-2026"
    );
    assert_eq!(created["starts_at"], "2037-12-09T09:00:00+01:00");
    assert_eq!(created["ends_at"], "2037-12-09T10:00:00+01:00");
    assert_eq!(
        created["series"],
        json!({"slug": "les-mercredis-sobres", "title": "Les mercredis sobres"})
    );
    assert_eq!(created["links"], input["links"]);
    assert_eq!(created["sequence"], 0);
    let speakers = created["speakers"].as_array().unwrap();
    assert_eq!(speakers.len(), 2);
    assert_eq!(speakers[0]["name"], "Camille Martin");
    assert_eq!(speakers[0]["role"], "cheffe de projet");
    assert_eq!(speakers[0]["organisation"], "Mission numérique");
    assert_eq!(speakers[1]["name"], "Léo Durand");
    assert_eq!(speakers[1]["role"], Value::Null);

    // The same document by id and by slug, and again after a no-op patch.
    let (status, by_id) = app.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(by_id, created);
    let (_, by_slug) = app
        .get(&format!(
            "/api/v1/events/{}",
            created["slug"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_slug, created);
    let (status, same) = app.patch(&format!("/api/v1/events/{id}"), &json!({})).await;
    assert_eq!(status, 200);
    for key in [
        "title",
        "starts_at",
        "ends_at",
        "speakers",
        "links",
        "series",
        "tags",
        "sequence",
    ] {
        assert_eq!(same[key], created[key], "{key}");
    }

    // The directory now holds both speakers and the series.
    let (_, speakers) = app.get("/api/v1/speakers").await;
    assert_eq!(speakers.as_array().unwrap().len(), 2);
    let (_, series) = app.get("/api/v1/series/les-mercredis-sobres").await;
    assert_eq!(series["title"], "Les mercredis sobres");
}

async fn whole_day_sessions_use_plain_dates(db: Db) {
    let app = spawn_app(db).await;
    let doc = app
        .create_event(json!({
            "kind": "event", "title": "Rencontres de l'écoconception", "starts_at": "2024-10-10",
            "ends_at": "2024-10-11", "location": "Lyon, Hôtel de Région"
        }))
        .await;
    assert_eq!(doc["starts_at"], "2024-10-10");
    assert_eq!(doc["ends_at"], "2024-10-11");
    let single = app
        .create_event(json!({"kind": "event", "title": "Journée", "starts_at": "2024-10-12"}))
        .await;
    assert_eq!(single["ends_at"], "2024-10-12");
    // Whole days sort by their first morning in the zone: between sessions that day and the day before.
    app.create_event(
        json!({"kind": "webinar", "title": "La veille", "starts_at": "2024-10-09T23:30"}),
    )
    .await;
    app.create_event(
        json!({"kind": "webinar", "title": "Le matin", "starts_at": "2024-10-10T00:30"}),
    )
    .await;
    let (_, page) = app.get("/api/v1/events").await;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "La veille",
            "Rencontres de l'écoconception",
            "Le matin",
            "Journée"
        ]
    );
}

async fn instants_are_shown_in_the_session_zone(db: Db) {
    let app = spawn_app(db).await;
    let cases = [
        (
            "2025-07-04T12:00:00Z",
            "Europe/Paris",
            "2025-07-04T14:00:00+02:00",
        ),
        (
            "2025-12-04T13:00:00Z",
            "Europe/Paris",
            "2025-12-04T14:00:00+01:00",
        ),
        (
            "2025-03-30T10:00",
            "Europe/Paris",
            "2025-03-30T10:00:00+02:00",
        ),
        (
            "2025-10-26T10:00",
            "Europe/Paris",
            "2025-10-26T10:00:00+01:00",
        ),
        (
            "2025-10-26T02:30+02:00",
            "Europe/Paris",
            "2025-10-26T02:30:00+02:00",
        ),
        (
            "2025-10-26T09:00",
            "America/Cayenne",
            "2025-10-26T09:00:00-03:00",
        ),
    ];
    for (i, (input, tz, shown)) in cases.iter().enumerate() {
        let doc = app
            .create_event(json!({"kind": "webinar", "title": format!("Session {i}"), "starts_at": input, "timezone": tz}))
            .await;
        assert_eq!(doc["starts_at"], *shown, "{input} in {tz}");
    }
}

async fn slugs_are_derived_unique_and_frozen_once_published(db: Db) {
    let app = spawn_app(db).await;
    let body = json!({"kind": "video", "title": "Épisode #12 : Numérique, auditer et mesurer pour mieux réduire son impact"});
    let first = app.create_event(body.clone()).await;
    assert_eq!(
        first["slug"],
        "episode-12-numerique-auditer-et-mesurer-pour-mieux-reduire-son-impact"
    );
    let second = app.create_event(body).await;
    assert_eq!(
        second["slug"],
        "episode-12-numerique-auditer-et-mesurer-pour-mieux-reduire-son-impact-2"
    );

    // An explicit slug already in use is a conflict, and nothing is stored.
    let before = app.event_count().await;
    let (status, problem) = app
        .post(
            "/api/v1/events",
            &json!({"kind": "video", "title": "Autre", "slug": first["slug"]}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(app.event_count().await, before);

    // A draft's derived slug follows its title…
    let id = second["id"].as_str().unwrap();
    let (_, renamed) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Épisode 13 — la suite"}),
        )
        .await;
    assert_eq!(renamed["slug"], "episode-13-la-suite");
    // …until it is published.
    let (_, published) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"status": "scheduled"}),
        )
        .await;
    assert_eq!(published["status"], "scheduled");
    let (_, retitled) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Épisode 13, titre définitif"}),
        )
        .await;
    assert_eq!(retitled["slug"], "episode-13-la-suite");
    let (status, problem) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"slug": "autre-chose"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_fields(&problem), ["slug"]);
    // An explicit slug on a draft is kept when the title changes.
    let draft = app
        .create_event(json!({"kind": "video", "title": "Brouillon", "slug": "mon-brouillon"}))
        .await;
    let (_, kept) = app
        .patch(
            &format!("/api/v1/events/{}", draft["id"].as_str().unwrap()),
            &json!({"title": "Brouillon renommé"}),
        )
        .await;
    assert_eq!(kept["slug"], "mon-brouillon");
}

async fn patch_merges_and_bumps_the_sequence_for_visible_changes(db: Db) {
    let app = spawn_app(db).await;
    let created = app.create_event(full_webinar()).await;
    let path = format!("/api/v1/events/{}", created["id"].as_str().unwrap());

    // Tags and body are not seen by calendars: no bump.
    let (status, doc) = app
        .patch(
            &path,
            &json!({"tags": ["sobriété"], "body": "Nouveau texte"}),
        )
        .await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["sequence"], 0);
    assert_eq!(doc["tags"], json!(["sobriété"]));
    assert_eq!(doc["title"], created["title"], "untouched fields stay");

    // Moving it is.
    let (_, doc) = app
        .patch(
            &path,
            &json!({"starts_at": "2037-12-10T14:00", "ends_at": "2037-12-10T15:30"}),
        )
        .await;
    assert_eq!(doc["sequence"], 1);
    assert_eq!(doc["starts_at"], "2037-12-10T14:00:00+01:00");
    // null clears a link (RFC 7396), and that is visible too.
    let (_, doc) = app.patch(&path, &json!({"links": {"join": null}})).await;
    assert_eq!(doc["sequence"], 2);
    assert_eq!(doc["links"]["join"], Value::Null);
    assert_eq!(
        doc["links"]["registration"],
        created["links"]["registration"]
    );
    // A speaker's per-session role survives a patch of something else.
    assert_eq!(doc["speakers"], created["speakers"]);
    assert!(doc["updated_at"].as_str() > created["updated_at"].as_str());

    // A patch that breaks a rule stores nothing.
    let (status, problem) = app
        .patch(&path, &json!({"ends_at": "2037-12-10T13:00"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_fields(&problem), ["ends_at"]);
    let (status, problem) = app.patch(&path, &json!({"status": "draft"})).await;
    assert_eq!(status, 409, "{problem}");
    let (status, _) = app.patch(&path, &json!(["not", "an", "object"])).await;
    assert_eq!(status, 400);
    let (_, now) = app.get(&path).await;
    assert_eq!(now["sequence"], 2);
    assert_eq!(now["starts_at"], "2037-12-10T14:00:00+01:00");

    let history = app
        .store
        .event_history(created["id"].as_str().unwrap())
        .await
        .unwrap();
    let actions: Vec<(i64, &str)> = history
        .iter()
        .map(|h| (h.sequence, h.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            (0, "created"),
            (0, "updated"),
            (1, "updated"),
            (2, "updated")
        ]
    );
    assert_eq!(history[2].fields, ["ends_at", "starts_at"]);
}

async fn cancel_is_idempotent_and_drafts_cannot_be_cancelled(db: Db) {
    let app = spawn_app(db).await;
    let created = app.create_event(full_webinar()).await;
    let path = format!(
        "/api/v1/events/{}/cancel",
        created["slug"].as_str().unwrap()
    );
    let (status, doc) = app.post(&path, &json!({})).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["status"], "cancelled");
    assert_eq!(doc["sequence"], 1);
    let (status, again) = app.post(&path, &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(again["sequence"], 1);
    assert_eq!(again["updated_at"], doc["updated_at"]);

    let draft = app
        .create_event(json!({"kind": "video", "title": "Brouillon"}))
        .await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/events/{}/cancel", draft["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        problem["detail"].as_str().unwrap().contains("delete"),
        "{problem}"
    );
}

async fn only_drafts_can_be_deleted(db: Db) {
    let app = spawn_app(db).await;
    let draft = app
        .create_event(json!({"kind": "video", "title": "À jeter"}))
        .await;
    let path = format!("/api/v1/events/{}", draft["id"].as_str().unwrap());
    let (status, body) = app.delete(&path).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, _) = app.get(&path).await;
    assert_eq!(status, 404);

    let published = app.create_event(full_webinar()).await;
    let path = format!("/api/v1/events/{}", published["id"].as_str().unwrap());
    let (status, _) = app.delete(&path).await;
    assert_eq!(status, 409);
    let (status, _) = app.get(&path).await;
    assert_eq!(status, 200);
}

async fn unknown_keys_answer_404(db: Db) {
    let app = spawn_app(db).await;
    let path = "/api/v1/events/pas-de-session-ici";
    let (status, problem) = app.get(path).await;
    assert_eq!(status, 404);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("pas-de-session-ici"));
    assert_eq!(app.patch(path, &json!({"title": "x"})).await.0, 404);
    assert_eq!(app.delete(path).await.0, 404);
    assert_eq!(app.post(&format!("{path}/cancel"), &json!({})).await.0, 404);
    assert_eq!(app.get("/api/v1/speakers/personne").await.0, 404);
    assert_eq!(app.get("/api/v1/series/aucune").await.0, 404);
    assert_eq!(app.get("/api/v1/nothing-here").await.0, 404);
}

async fn concurrent_edits_are_serialised(db: Db) {
    let app = spawn_app(db).await;
    let created = app.create_event(full_webinar()).await;
    let path = format!("/api/v1/events/{}", created["id"].as_str().unwrap());
    let edits = (0..16).map(|i| {
        let app = &app;
        let path = path.clone();
        async move {
            app.patch(&path, &json!({"title": format!("Titre numéro {i}")}))
                .await
        }
    });
    let results = futures::future::join_all(edits).await;
    for (status, doc) in &results {
        assert_eq!(*status, 200, "{doc}");
    }
    // Every edit changed the title, so every one rose the sequence exactly once.
    let (_, doc) = app.get(&path).await;
    assert_eq!(doc["sequence"], 16);
    let mut sequences: Vec<i64> = results
        .iter()
        .map(|(_, d)| d["sequence"].as_i64().unwrap())
        .collect();
    sequences.sort_unstable();
    assert_eq!(sequences, (1..=16).collect::<Vec<_>>());
}

/// `GET /api/v1/events/{key}/history`, by id or slug: creation, a move (the sequence rises), an
/// edit nobody needs to hear about (it does not), the cancellation, oldest first.
async fn history_lists_every_change_in_order(db: Db) {
    let app = spawn_app(db).await;
    let created = app.create_event(full_webinar()).await;
    let id = created["id"].as_str().unwrap();
    let slug = created["slug"].as_str().unwrap();
    let event = format!("/api/v1/events/{id}");
    let (status, doc) = app
        .patch(
            &event,
            &json!({"starts_at": "2037-12-10T09:00", "ends_at": "2037-12-10T10:00"}),
        )
        .await;
    assert_eq!(status, 200, "{doc}");
    let (status, doc) = app.patch(&event, &json!({"summary": "Autre résumé"})).await;
    assert_eq!(status, 200, "{doc}");
    let (status, doc) = app.post(&format!("{event}/cancel"), &json!({})).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["sequence"], 2);

    let (status, history) = app.get(&format!("/api/v1/events/{slug}/history")).await;
    assert_eq!(status, 200, "{history}");
    let items = history["items"].as_array().expect("items");
    let read_back: Vec<(i64, &str, Vec<&str>)> = items
        .iter()
        .map(|item| {
            let fields = item["fields"].as_array().expect("fields");
            (
                item["sequence"].as_i64().expect("sequence"),
                item["action"].as_str().expect("action"),
                fields.iter().map(|f| f.as_str().expect("field")).collect(),
            )
        })
        .collect();
    assert_eq!(
        read_back,
        [
            (0, "created", vec![]),
            (1, "updated", vec!["ends_at", "starts_at"]),
            (1, "updated", vec!["summary"]),
            (2, "cancelled", vec!["status"]),
        ]
    );
    let times: Vec<chrono::DateTime<chrono::Utc>> = items
        .iter()
        .map(|item| {
            item["at"]
                .as_str()
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                .expect("an RFC 3339 time")
                .to_utc()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(
        items[0]["at"], created["created_at"],
        "created when the session was"
    );
    // By id, the same history.
    let (status, by_id) = app.get(&format!("{event}/history")).await;
    assert_eq!(status, 200);
    assert_eq!(by_id, history);

    let (status, problem) = app.get("/api/v1/events/pas-de-session/history").await;
    assert_eq!(status, 404);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("pas-de-session"));
    let anonymous = app
        .client
        .get(app.url(&format!("{event}/history")))
        .send()
        .await
        .expect("request");
    assert_eq!(read(anonymous).await.0, 401);
}
