//! One mailbox, many spellings: the public endpoints read an address once into its canonical
//! form (case, quotes, quoted pairs, Unicode or punycode domain), count its `+tag` variants
//! together against the per-address limit, and refuse at once what mail could not be sent to.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use crate::helpers::{error_fields, read, spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;
use crate::smtp::SmtpServer;

on_both_backends!(
    spellings_of_one_mailbox_share_its_subscribe_limit,
    spellings_of_one_mailbox_share_its_registration_limit,
    addresses_mail_cannot_reach_are_refused_and_nothing_is_stored,
);

/// The per-address limit of these tests (the default's value, set so the test says it).
const PER_ADDRESS: usize = 3;

/// The mailbox the spellings reach, as it is stored and as the relay is asked for it.
const CANONICAL: &str = "jean.dupont@xn--bcher-kva.example";

/// Twenty ways to write one mailbox, all of which reach the same person.
const SPELLINGS: [&str; 20] = [
    "jean.dupont@bücher.example",
    "Jean.Dupont@bücher.example",
    "JEAN.DUPONT@BÜCHER.EXAMPLE",
    "jean.dupont@xn--bcher-kva.example",
    "Jean.Dupont@XN--BCHER-KVA.example",
    "\"jean.dupont\"@bücher.example",
    "\"Jean.Dupont\"@xn--bcher-kva.example",
    "\"\\j\\ean.dupont\"@bücher.example",
    "\"jean.\\D\\u\\p\\o\\n\\t\"@xn--bcher-kva.example",
    // A decomposed ü (u + combining diaeresis) and an ideographic full stop.
    "jean.dupont@bu\u{308}cher.example",
    "jean.dupont@bücher\u{3002}example",
    "  jean.dupont@bücher.example  ",
    "jean.dupont+a@bücher.example",
    "jean.dupont+b@xn--bcher-kva.example",
    "Jean.Dupont+Lettre@Bücher.example",
    "\"jean.dupont+c\"@bücher.example",
    "\"jean.dupont\\+d\"@xn--bcher-kva.example",
    "jean.dupont+@bücher.example",
    "jean.dupont+e+f@bücher.example",
    "JEAN.DUPONT+G@XN--BCHER-KVA.EXAMPLE",
];

async fn app(db: Db, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(FreshDb::new(db).await, move |f| {
        f.merge(("mail.smtp_url", url))
            .merge(("mail.subscribe_limit_per_address", PER_ADDRESS as u32))
            // Only the per-address limit is under test: one client sends every spelling.
            .merge(("mail.subscribe_limit_per_client", 1000))
    })
    .await
}

/// A POST without the organiser's token, as the public sends it.
async fn post_public(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("request");
    read(response).await
}

async fn form_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Every outbox row of `kind`: recipient and status, once none is waiting or being sent.
async fn settled_outbox(app: &TestApp, kind: &str) -> Vec<(String, String)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT o.recipient, s.status FROM outbox o JOIN outbox_state s ON s.id = o.id \
             WHERE o.kind = $1 ORDER BY o.id",
        )
        .bind(kind)
        .fetch_all(app.store.pool())
        .await
        .expect("outbox rows");
        if rows.iter().all(|(_, s)| s != "queued" && s != "sending") {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still sending: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the relay was asked to deliver to: every RCPT of every message.
fn recipients(smtp: &SmtpServer) -> Vec<String> {
    smtp.received().into_iter().flat_map(|m| m.to).collect()
}

/// Twenty spellings of one mailbox at the public subscribe endpoint: the limit lets three
/// through, and those three are planned, composed and delivered to the canonical address (an
/// ASCII envelope, which a relay without SMTPUTF8 takes). The stored addresses keep their
/// `+tag`; the limit does not.
async fn spellings_of_one_mailbox_share_its_subscribe_limit(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let mut answers = Vec::new();
    for spelling in SPELLINGS {
        let (code, _) = post_public(
            &app,
            "/api/v1/subscribe",
            &json!({"email": spelling, "scope": "all"}),
        )
        .await;
        answers.push((spelling, code));
    }
    let accepted = answers.iter().filter(|(_, code)| *code == 202).count();
    let limited = answers.iter().filter(|(_, code)| *code == 429).count();
    assert_eq!(
        (accepted, limited),
        (PER_ADDRESS, SPELLINGS.len() - PER_ADDRESS),
        "{answers:?}"
    );
    let planned = settled_outbox(&app, "confirmation").await;
    assert!(
        !planned.is_empty() && planned.len() <= PER_ADDRESS,
        "{planned:?}"
    );
    assert!(
        planned
            .iter()
            .all(|(to, status)| to == CANONICAL && (status == "sent" || status == "dropped")),
        "every confirmation goes to the canonical address and none fails: {planned:?}"
    );
    let delivered = recipients(&smtp);
    assert!(
        !delivered.is_empty() && delivered.len() <= PER_ADDRESS,
        "{delivered:?}"
    );
    assert!(delivered.iter().all(|to| to == CANONICAL), "{delivered:?}");
    let stored: Vec<(String,)> = sqlx::query_as("SELECT email FROM subscriptions")
        .fetch_all(app.store.pool())
        .await
        .expect("subscriptions");
    assert_eq!(
        stored,
        [(CANONICAL.to_string(),)],
        "one subscription, canonical"
    );

    // A tag is a different address to store, but the same mailbox to the limit.
    let (code, body) = post_public(
        &app,
        "/api/v1/subscribe",
        &json!({"email": "jean.dupont+autre@bücher.example", "scope": "all"}),
    )
    .await;
    assert_eq!(code, 429, "{body}");
    let (code, body) = post_public(
        &app,
        "/api/v1/subscribe",
        &json!({"email": "marie+lettre@bücher.example", "scope": "all"}),
    )
    .await;
    assert_eq!(code, 202, "another mailbox has its own limit: {body}");
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT email FROM subscriptions WHERE email LIKE 'marie%'")
            .fetch_all(app.store.pool())
            .await
            .expect("subscriptions");
    assert_eq!(
        stored,
        [("marie+lettre@xn--bcher-kva.example".to_string(),)],
        "the stored address keeps its tag"
    );
}

/// The registration endpoint counts the same way: the spellings of one mailbox share one limit.
async fn spellings_of_one_mailbox_share_its_registration_limit(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let start = Utc::now() + chrono::Duration::days(3);
    let event = app
        .create_event(json!({"kind": "webinar", "status": "scheduled",
            "title": "Atelier adresses",
            "starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string(),
            "registration_required": true,
            "links": {"join": "https://visio.example.org/salle"}}))
        .await;
    let slug = event["slug"].as_str().unwrap();
    let path = format!("/api/v1/events/{slug}/register");
    let mut answers = Vec::new();
    for spelling in SPELLINGS {
        let (code, _) = post_public(
            &app,
            &path,
            &json!({"email": spelling, "name": "Jean Dupont"}),
        )
        .await;
        answers.push((spelling, code));
    }
    let accepted = answers.iter().filter(|(_, code)| *code == 202).count();
    let limited = answers.iter().filter(|(_, code)| *code == 429).count();
    assert_eq!(
        (accepted, limited),
        (PER_ADDRESS, SPELLINGS.len() - PER_ADDRESS),
        "{answers:?}"
    );
    let planned = settled_outbox(&app, "registration_confirmation").await;
    assert!(
        !planned.is_empty() && planned.len() <= PER_ADDRESS,
        "{planned:?}"
    );
    assert!(
        planned
            .iter()
            .all(|(to, status)| to == CANONICAL && status != "failed"),
        "{planned:?}"
    );
}

/// Addresses accepted today but that no message could be composed for or sent to: refused
/// with a problem naming the field (API) or a French sentence (form), and nothing is stored.
async fn addresses_mail_cannot_reach_are_refused_and_nothing_is_stored(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let start = Utc::now() + chrono::Duration::days(3);
    let event = app
        .create_event(json!({"kind": "webinar", "status": "scheduled",
            "title": "Atelier refus",
            "starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string(),
            "registration_required": true,
            "links": {"join": "https://visio.example.org/salle"}}))
        .await;
    let slug = event["slug"].as_str().unwrap().to_string();
    let refused = [
        "x@[127.0.0.1]",
        "x@[IPv6:2001:db8::1]",
        "\"x@example.org\"@example.org",
        "\"a b\"@example.org",
        "x@127.0.0.1",
    ];
    for email in refused {
        let (code, problem) = post_public(
            &app,
            "/api/v1/subscribe",
            &json!({"email": email, "scope": "all"}),
        )
        .await;
        assert_eq!(code, 422, "{email:?}: {problem}");
        assert_eq!(error_fields(&problem), ["email"], "{email:?}: {problem}");
        let (code, problem) = post_public(
            &app,
            &format!("/api/v1/events/{slug}/register"),
            &json!({"email": email, "name": "X"}),
        )
        .await;
        assert_eq!(code, 422, "{email:?}: {problem}");
        assert_eq!(error_fields(&problem), ["email"], "{email:?}: {problem}");
        let (code, page) =
            form_post(&app, "/abonnement", &[("email", email), ("scope", "all")]).await;
        assert_eq!(code, 422, "{email:?}");
        assert!(
            page.contains("Cette adresse électronique n&#x27;est pas valide")
                || page.contains("Cette adresse électronique n'est pas valide"),
            "{email:?}: {page}"
        );
        let (code, page) = form_post(
            &app,
            &format!("/events/{slug}/inscription"),
            &[("email", email), ("name", "X")],
        )
        .await;
        assert_eq!(code, 422, "{email:?}");
        assert!(
            page.contains("adresse électronique n&#x27;est pas valide")
                || page.contains("adresse électronique n'est pas valide"),
            "{email:?}: {page}"
        );
    }
    for table in [
        "subscriptions",
        "registrations",
        "outbox",
        "subscribe_attempts",
    ] {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(app.store.pool())
            .await
            .expect("count");
        assert_eq!(n, 0, "{table}");
    }
}
