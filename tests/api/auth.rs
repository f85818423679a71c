//! Tokens, health checks and the OpenAPI document.

use crate::helpers::{full_webinar, read, spawn_app, Db};
use crate::on_both_backends;

on_both_backends!(the_api_needs_a_live_token, health_and_openapi_are_public);

async fn the_api_needs_a_live_token(db: Db) {
    let app = spawn_app(db).await;
    let url = app.url("/api/v1/events");
    let response = app
        .client
        .post(&url)
        .json(&full_webinar())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer realm=\"eventail\"")
    );
    let (status, problem) = read(response).await;
    assert_eq!(status, 401);
    assert!(
        problem["detail"].as_str().unwrap().contains("token create"),
        "{problem}"
    );
    for bad in ["evt_0000", "nonsense", ""] {
        let response = app.client.get(&url).bearer_auth(bad).send().await.unwrap();
        assert_eq!(read(response).await.0, 401, "{bad:?}");
    }
    let response = app
        .client
        .get(&url)
        .header("authorization", format!("Basic {}", app.token))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.0, 401);

    // A second token works until it is revoked.
    let other = app.store.create_token("ci").await.unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&other.secret).to_string();
    let response = app
        .client
        .post(&url)
        .bearer_auth(&secret)
        .json(&full_webinar())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // The scheme's case does not matter (RFC 9110).
    let response = app
        .client
        .get(app.url("/api/v1/events"))
        .header("authorization", format!("BEARER {secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens = app.store.list_tokens().await.unwrap();
    assert!(tokens
        .iter()
        .any(|t| t.name == "ci" && t.last_used_at.is_some()));
    // Names are unique among live tokens.
    assert!(app.store.create_token("ci").await.is_err());
    app.store.revoke_token("ci").await.unwrap();
    let response = app
        .client
        .post(&url)
        .bearer_auth(&secret)
        .json(&full_webinar())
        .send()
        .await
        .unwrap();
    let (status, problem) = read(response).await;
    assert_eq!(status, 401);
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    assert_eq!(
        app.event_count().await,
        1,
        "the refused request stored nothing"
    );
    // The name is free again once revoked.
    assert!(app.store.create_token("ci").await.is_ok());
}

async fn health_and_openapi_are_public(db: Db) {
    let app = spawn_app(db).await;
    let healthz = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200);
    assert!(healthz.headers().contains_key("x-request-id"));
    let readyz = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);

    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/events",
        "/api/v1/events/{key}",
        "/api/v1/events/{key}/cancel",
        "/api/v1/events/{key}/history",
        "/api/v1/speakers",
        "/api/v1/speakers/{key}",
        "/api/v1/series",
        "/api/v1/series/{key}",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["EventDocument"]["properties"]["starts_at"].is_object());
    // The cancel body is optional, with the reason's limit.
    let cancel = &paths["/api/v1/events/{key}/cancel"]["post"]["requestBody"];
    assert_ne!(cancel["required"], true, "{cancel}");
    assert!(
        cancel["content"]["application/json"].is_object(),
        "{cancel}"
    );
    let reason = &doc["components"]["schemas"]["CancelInput"]["properties"]["reason"];
    assert_eq!(reason["maxLength"], 500, "{reason}");
    assert!(
        doc["components"]["schemas"]["EventDocument"]["properties"]["cancel_reason"].is_object()
    );
    assert!(doc["components"]["schemas"]["HistoryItem"]["properties"]["fields"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    // Every error the edge answers is documented where it can come from, as problem+json
    // (issue 20, item 9): a token, a key in the path, query parameters, a JSON body.
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let responses = operation["responses"].as_object().unwrap();
            let mut wanted = Vec::new();
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                wanted.push("401");
            }
            if path.contains('{') {
                wanted.push("404");
            }
            let query = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            if query {
                wanted.push("400");
            }
            if operation.get("requestBody").is_some() {
                wanted.extend(["400", "413", "415", "422"]);
            }
            for status in wanted {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"].as_object().unwrap();
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                    assert!(!response["description"].as_str().unwrap().is_empty());
                }
            }
        }
    }
    assert!(operations >= 30, "{operations} operations");

    // Readiness reflects the database.
    app.store.close().await;
    let readyz = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(read(readyz).await.0, 503);
}
