//! The speaker directory and series.

use serde_json::{json, Value};

use crate::helpers::{error_fields, spawn_app, Db};
use crate::on_both_backends;

on_both_backends!(
    speakers_are_a_shared_directory,
    series_group_episodes,
    two_entries_of_one_person_merge_and_sessions_keep_what_they_showed
);

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

async fn two_entries_of_one_person_merge_and_sessions_keep_what_they_showed(db: Db) {
    let app = spawn_app(db).await;
    let (_, kept) = app
        .post(
            "/api/v1/speakers",
            &json!({"name": "Camille Martin", "role": "cheffe de projet"}),
        )
        .await;
    let (_, twin) = app
        .post(
            "/api/v1/speakers",
            &json!({"name": "C. Martin", "role": "experte", "organisation": "DINUM"}),
        )
        .await;
    let only_twin = app
        .create_event(
            json!({"kind": "video", "title": "Épisode 1", "speakers": [{"slug": "c-martin"}]}),
        )
        .await;
    let both = app
        .create_event(json!({"kind": "video", "title": "Épisode 2",
            "speakers": [{"slug": "camille-martin"}, {"slug": "c-martin"}, {"name": "Dominique Lefèvre"}]}))
        .await;
    let before = app
        .store
        .get_event(only_twin["id"].as_str().unwrap())
        .await
        .unwrap()
        .updated_at;

    let merged = app
        .store
        .merge_speakers(kept["id"].as_str().unwrap(), twin["slug"].as_str().unwrap())
        .await
        .expect("merge");
    assert_eq!(merged.name, "Camille Martin");
    let (status, _) = app.get("/api/v1/speakers/c-martin").await;
    assert_eq!(status, 404, "the absorbed entry is gone");

    let (_, one) = app
        .get(&format!(
            "/api/v1/events/{}",
            only_twin["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one["speakers"][0]["slug"], "camille-martin");
    assert_eq!(
        one["speakers"][0]["role"], "experte",
        "the session still shows what it showed"
    );
    assert_eq!(one["speakers"][0]["organisation"], "DINUM");
    let after = app
        .store
        .get_event(only_twin["id"].as_str().unwrap())
        .await
        .unwrap()
        .updated_at;
    assert!(after > before, "pages and feeds showing it are rebuilt");

    let (_, two) = app
        .get(&format!("/api/v1/events/{}", both["id"].as_str().unwrap()))
        .await;
    let names: Vec<&str> = two["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Camille Martin", "Dominique Lefèvre"],
        "one credit per person, order kept"
    );

    let refused = app
        .store
        .merge_speakers("camille-martin", "camille-martin")
        .await;
    assert!(matches!(
        refused,
        Err(eventail::store::StoreError::Conflict(_))
    ));
}
