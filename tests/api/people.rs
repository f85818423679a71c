//! The speaker directory and series.

use serde_json::{json, Value};

use crate::helpers::{error_fields, spawn_app, Db};
use crate::on_both_backends;

on_both_backends!(speakers_are_a_shared_directory, series_group_episodes);

async fn speakers_are_a_shared_directory(db: Db) {
    let app = spawn_app(db).await;
    let (status, speaker) = app
        .post("/api/v1/speakers", &json!({"name": "Christophe Boutonnet", "role": "chef de projet", "organisation": "DINUM"}))
        .await;
    assert_eq!(status, 201, "{speaker}");
    assert_eq!(speaker["slug"], "christophe-boutonnet");
    let (status, _) = app
        .post(
            "/api/v1/speakers",
            &json!({"name": "Autre", "slug": "christophe-boutonnet"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, problem) = app
        .post("/api/v1/speakers", &json!({"role": "sans nom"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_fields(&problem), ["name"]);

    // Two sessions credit the same person: by slug, and by name (found, not duplicated).
    let a = app
        .create_event(json!({"kind": "video", "title": "Épisode 1", "speakers": [{"slug": "christophe-boutonnet"}]}))
        .await;
    let b = app
        .create_event(json!({"kind": "video", "title": "Épisode 2", "speakers": [{"name": "Christophe Boutonnet", "role": "invité"}]}))
        .await;
    assert_eq!(a["speakers"][0]["role"], "chef de projet");
    assert_eq!(
        b["speakers"][0]["role"], "invité",
        "the per-session role wins"
    );
    let (_, all) = app.get("/api/v1/speakers").await;
    assert_eq!(all.as_array().unwrap().len(), 1);

    // Renaming in the directory shows on every session and marks them changed.
    let (status, renamed) = app
        .patch(
            "/api/v1/speakers/christophe-boutonnet",
            &json!({"name": "Christophe B.", "organisation": null}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["organisation"], Value::Null);
    assert_eq!(renamed["role"], "chef de projet");
    let (_, a2) = app
        .get(&format!("/api/v1/events/{}", a["id"].as_str().unwrap()))
        .await;
    assert_eq!(a2["speakers"][0]["name"], "Christophe B.");
    assert!(a2["updated_at"].as_str() > a["updated_at"].as_str());
    let (_, b2) = app
        .get(&format!("/api/v1/events/{}", b["id"].as_str().unwrap()))
        .await;
    assert_eq!(b2["speakers"][0]["role"], "invité");
    let (status, one) = app
        .get(&format!(
            "/api/v1/speakers/{}",
            speaker["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!((status, one["name"].as_str()), (200, Some("Christophe B.")));
}

async fn series_group_episodes(db: Db) {
    let app = spawn_app(db).await;
    let (status, series) = app
        .post(
            "/api/v1/series",
            &json!({"title": "Numérique responsable", "description": "Des épisodes courts."}),
        )
        .await;
    assert_eq!(status, 201, "{series}");
    assert_eq!(series["slug"], "numerique-responsable");
    let (status, _) = app
        .post("/api/v1/series", &json!({"title": "Numérique responsable"}))
        .await;
    assert_eq!(status, 409);

    let ep = app
        .create_event(json!({"kind": "video", "title": "Épisode #12", "series": "numerique-responsable", "episode": 12}))
        .await;
    assert_eq!(ep["series"]["title"], "Numérique responsable");
    assert_eq!(ep["episode"], 12);

    let (status, updated) = app
        .patch(
            "/api/v1/series/numerique-responsable",
            &json!({"title": "Numérique responsable, la série"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let (_, ep2) = app
        .get(&format!("/api/v1/events/{}", ep["id"].as_str().unwrap()))
        .await;
    assert_eq!(ep2["series"]["title"], "Numérique responsable, la série");
    let (status, problem) = app
        .patch(
            "/api/v1/series/numerique-responsable",
            &json!({"slug": "autre"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_fields(&problem), ["slug"]);
    let (_, list) = app.get("/api/v1/series").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}
