//! The mailer through the real server and a real SMTP server on loopback: subscriptions with
//! double opt-in, the notices a change causes, one-click unsubscribe, retries and refusals,
//! several dispatchers sharing one outbox.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;
use crate::smtp::{parse, Mail, SmtpServer};

async fn app_with_smtp(db: Db, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(FreshDb::new(db).await, move |f| {
        f.merge(("mail.smtp_url", url))
    })
    .await
}

/// The same with no dispatcher running: the test sends what is due itself.
async fn app_without_dispatcher(db: Db, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(FreshDb::new(db).await, move |f| {
        f.merge(("mail.smtp_url", url))
            .merge(("mail.dispatch", false))
    })
    .await
}

/// A session a few days ahead, with a join link.
fn webinar(title: &str) -> Value {
    let start = Utc::now() + chrono::Duration::days(3);
    let end = start + chrono::Duration::hours(1);
    json!({"kind": "webinar", "status": "scheduled", "title": title,
        "starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string(),
        "ends_at": end.format("%Y-%m-%dT%H:%M:00Z").to_string(),
        "speakers": [{"name": "Camille Martin", "role": "cheffe de projet"}],
        "links": {"join": "https://visio.example.org/salle"}})
}

async fn form_post(app: &TestApp, path: &str, body: &str) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn get_page(app: &TestApp, url: &str) -> (u16, String) {
    let response = app.client.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Waits until the session's outbox satisfies `done`.
async fn outbox_until(
    app: &TestApp,
    event: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (code, report) = app.get(&format!("/api/v1/events/{event}/outbox")).await;
        assert_eq!(code, 200, "{report}");
        if done(&report) {
            return report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "outbox never got there: {report:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn messages_of<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == kind)
        .collect()
}

fn calendar_field(ics: &str, name: &str) -> Option<String> {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")) || l.starts_with(&format!("{name};")))
        .map(|l| {
            l.split_once(':')
                .map(|x| x.1)
                .unwrap_or("")
                .trim()
                .to_string()
        })
}

fn assert_list_headers(mail: &Mail, base: &str) {
    let unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with(&format!("<{base}/desabonnement/"))
            && unsubscribe.contains(", <mailto:agenda@agenda.example.org?subject=unsubscribe"),
        "{unsubscribe}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(mail
        .header("List-Id")
        .unwrap()
        .ends_with("<agenda.agenda.example.org>"));
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    for single in ["Date", "From", "To", "Subject", "Message-ID"] {
        assert_eq!(mail.header_all(single).len(), 1, "{single}");
    }
    assert!(
        mail.message_id.ends_with("@agenda.example.org"),
        "{}",
        mail.message_id
    );
    // multipart/alternative: text first, then HTML, the same content; no remote image.
    assert_eq!(mail.parts[0].0, "text/plain");
    assert_eq!(mail.parts[1].0, "text/html");
    assert!(!mail.parts[1].2.contains("<img"));
    let visible = mail
        .link(&format!("{base}/desabonnement/"))
        .expect("visible link");
    assert!(unsubscribe.contains(&visible));
}

/// Subscribe on the form, confirm, then get a change notice and a cancellation with their
/// calendar parts; the GET of a link changes nothing, the one-click POST unsubscribes.
async fn double_opt_in_then_notices(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    let made = app
        .create_event(webinar("Sobriété « numérique » ; été 🎉"))
        .await;
    let slug = made["slug"].as_str().unwrap().to_string();

    let (code, page) = form_post(&app, "/abonnement", "email=Camille%40Exemple.FR&scope=all").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("Vérifiez votre boîte"));
    let got = smtp.wait_for(1, Duration::from_secs(10)).await;
    // The envelope: the configured sender, the recipient in canonical form.
    assert_eq!(got[0].from, "agenda@agenda.example.org");
    assert_eq!(got[0].to, ["camille@exemple.fr"]);
    let confirmation = parse(&got[0].data);
    assert!(
        confirmation
            .subject
            .starts_with("Confirmez votre abonnement : Agenda des webinaires et événements"),
        "{}",
        confirmation.subject
    );
    // Not list mail yet: no unsubscribe header; nothing else sent before the link is followed.
    assert!(confirmation.header("List-Unsubscribe").is_none());
    let link = confirmation
        .link(&format!("{}/abonnement/confirmer/", app.address))
        .expect("confirmation link");
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    assert_eq!(subscribers[0]["status"], "pending");
    assert_eq!(subscribers[0]["source"], "form");
    assert_eq!(subscribers[0]["request_ip"], "127.0.0.1");

    // A link scanner's GET confirms nothing.
    let (code, page) = get_page(&app, &link).await;
    assert_eq!(code, 200);
    assert!(page.contains("<form method=\"post\""));
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    assert_eq!(subscribers[0]["status"], "pending");
    let path = link.strip_prefix(&app.address).unwrap();
    let (code, page) = form_post(&app, path, "").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("Abonnement confirmé"));
    let (code, _) = form_post(&app, path, "").await;
    assert_eq!(code, 404, "a confirmation link works once");
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    assert_eq!(subscribers[0]["status"], "active");
    assert!(subscribers[0]["confirmed_at"].is_string());

    // A new time: a change notice with the calendar part (PUBLISH, same UID, higher SEQUENCE).
    let start = Utc::now() + chrono::Duration::days(4);
    let (code, doc) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string(),
                "ends_at": (start + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M:00Z").to_string()}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let change = parse(&got[1].data);
    assert!(
        change
            .subject
            .starts_with("Modifié : Sobriété « numérique » ; été 🎉"),
        "{}",
        change.subject
    );
    assert_list_headers(&change, &app.address);
    assert!(change
        .text()
        .contains("La session a changé (date ou horaire)"));
    assert!(change.text().contains("Camille Martin, cheffe de projet"));
    let (_, method, ics) = change.part("text/calendar").expect("calendar part").clone();
    assert_eq!(method.as_deref(), Some("PUBLISH"));
    assert_eq!(calendar_field(&ics, "METHOD").as_deref(), Some("PUBLISH"));
    let uid = calendar_field(&ics, "UID").unwrap();
    assert_eq!(uid, format!("{}@eventail", made["id"].as_str().unwrap()));
    assert_eq!(calendar_field(&ics, "SEQUENCE").as_deref(), Some("1"));
    assert_eq!(
        calendar_field(&ics, "ORGANIZER").as_deref(),
        Some("mailto:agenda@agenda.example.org")
    );
    assert!(!ics.contains("ATTENDEE"));
    assert_eq!(
        calendar_field(&ics, "DTSTART").unwrap(),
        start.format("%Y%m%dT%H%M00Z").to_string()
    );

    // Cancelled: CANCEL, same UID, SEQUENCE+1, STATUS:CANCELLED; queued reminders dropped.
    let (code, _) = app
        .post(&format!("/api/v1/events/{slug}/cancel"), &json!({}))
        .await;
    assert_eq!(code, 200);
    let got = smtp.wait_for(3, Duration::from_secs(10)).await;
    let cancel = parse(&got[2].data);
    assert!(
        cancel.subject.starts_with("Annulé : "),
        "{}",
        cancel.subject
    );
    let (_, method, ics) = cancel.part("text/calendar").unwrap().clone();
    assert_eq!(method.as_deref(), Some("CANCEL"));
    assert_eq!(calendar_field(&ics, "METHOD").as_deref(), Some("CANCEL"));
    assert_eq!(calendar_field(&ics, "UID").unwrap(), uid);
    assert_eq!(calendar_field(&ics, "SEQUENCE").as_deref(), Some("2"));
    assert_eq!(calendar_field(&ics, "STATUS").as_deref(), Some("CANCELLED"));
    let report = outbox_until(&app, &slug, Duration::from_secs(5), |r| r["queued"] == 0).await;
    // Two reminders for the first time (replaced when it moved), two for the new one
    // (dropped with the cancellation).
    let reminders = messages_of(&report, "reminder");
    assert_eq!(reminders.len(), 4, "{report:#}");
    assert!(reminders.iter().all(|r| r["status"] == "dropped"));
    let cancelled = reminders
        .iter()
        .filter(|r| r["last_error"] == "the session was cancelled")
        .count();
    assert_eq!(cancelled, 2, "{report:#}");
    assert_eq!(report["sent"], 2);

    // One click: GET shows a button, the RFC 8058 POST unsubscribes, without cookie or login.
    let unsubscribe = cancel
        .link(&format!("{}/desabonnement/", app.address))
        .unwrap();
    let (code, page) = get_page(&app, &unsubscribe).await;
    assert_eq!(code, 200);
    assert!(page.contains("Me désabonner"));
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    assert_eq!(subscribers[0]["status"], "active");
    let (code, page) = form_post(
        &app,
        unsubscribe.strip_prefix(&app.address).unwrap(),
        "List-Unsubscribe=One-Click",
    )
    .await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("ne recevra plus"));
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    assert_eq!(subscribers[0]["status"], "unsubscribed");
    assert!(subscribers[0]["withdrawn_at"].is_string());
    let id = subscribers[0]["id"].as_str().unwrap();
    let (_, detail) = app.get(&format!("/api/v1/subscribers/{id}")).await;
    let actions: Vec<&str> = detail["consent_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["requested", "confirmed", "withdrawn"]);
    assert_eq!(detail["consent_history"][2]["source"], "one-click");
    assert_eq!(detail["consent_history"][0]["client"], "127.0.0.1");
    assert_eq!(detail["consent_history"][0]["wording_version"], "2026-11");

    // Nothing more reaches a withdrawn address.
    app.create_event(webinar("Après le départ")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 3);
}

/// The relay answers 421 twice, then accepts: the message arrives once, after three attempts.
async fn temporary_refusals_are_retried_then_delivered_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "dominique@exemple.fr", "scope": "all",
                "consent": {"source": "fiche papier, salon 2026", "at": "2026-10-01T10:00:00+02:00"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
    assert!(
        smtp.received().is_empty(),
        "no confirmation for consent given elsewhere"
    );
    smtp.refuse_next(2);
    let made = app.create_event(webinar("Trois essais")).await;
    let slug = made["slug"].as_str().unwrap();
    let report = outbox_until(&app, slug, Duration::from_secs(20), |r| {
        messages_of(r, "announcement")
            .first()
            .is_some_and(|m| m["status"] == "sent")
    })
    .await;
    let announcement = messages_of(&report, "announcement")[0];
    assert_eq!(announcement["attempts"], 3, "{report:#}");
    assert!(announcement["last_error"].as_str().unwrap().contains("421"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = smtp.received();
    assert_eq!(got.len(), 1, "delivered exactly once");
    let mail = parse(&got[0].data);
    assert!(
        mail.subject.starts_with("Webinaire : Trois essais"),
        "{}",
        mail.subject
    );
    assert_list_headers(&mail, &app.address);
}

/// 550 for a recipient: failed at once with the relay's answer; a retry queues it again.
async fn permanent_refusals_stop_and_can_be_retried(db: Db) {
    let smtp = SmtpServer::start();
    smtp.refuse_recipient("inconnu@exemple.fr");
    let app = app_with_smtp(db, &smtp).await;
    for email in ["inconnu@exemple.fr", "connu@exemple.fr"] {
        let (code, doc) = app
            .post(
                "/api/v1/subscribers",
                &json!({"email": email, "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
            )
            .await;
        assert_eq!(code, 201, "{doc}");
    }
    let made = app.create_event(webinar("Refus")).await;
    let slug = made["slug"].as_str().unwrap();
    let report = outbox_until(&app, slug, Duration::from_secs(10), |r| {
        r["failed"] == 1 && r["sent"] == 1
    })
    .await;
    let failed = messages_of(&report, "announcement")
        .into_iter()
        .find(|m| m["status"] == "failed")
        .unwrap()
        .clone();
    assert_eq!(failed["recipient"], "inconnu@exemple.fr");
    assert_eq!(failed["attempts"], 1);
    assert!(
        failed["last_error"].as_str().unwrap().contains("550"),
        "{failed}"
    );

    let id = failed["id"].as_i64().unwrap();
    let (code, again) = app
        .post(&format!("/api/v1/outbox/{id}/retry"), &json!({}))
        .await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["status"], "queued");
    // Tried again, refused again: failed once more, with a later due time.
    let before = failed["due_at"].clone();
    let report = outbox_until(&app, slug, Duration::from_secs(10), |r| {
        r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == id && m["status"] == "failed" && m["due_at"] != before)
    })
    .await;
    assert_eq!(report["sent"], 1);
    let (code, problem) = app
        .post(
            &format!(
                "/api/v1/outbox/{}/retry",
                messages_of(&report, "announcement")
                    .into_iter()
                    .find(|m| m["status"] == "sent")
                    .unwrap()["id"]
            ),
            &json!({}),
        )
        .await;
    assert_eq!(code, 409, "{problem}");
}

/// No server at first (connection refused), then one appears on that port: delivered.
async fn refused_connections_are_retried(db: Db) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(FreshDb::new(db).await, move |f| {
        f.merge(("mail.smtp_url", format!("smtp://127.0.0.1:{port}")))
    })
    .await;
    app.post(
        "/api/v1/subscribers",
        &json!({"email": "claude@exemple.fr", "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    let made = app.create_event(webinar("Serveur absent")).await;
    let slug = made["slug"].as_str().unwrap();
    let report = outbox_until(&app, slug, Duration::from_secs(10), |r| {
        messages_of(r, "announcement")
            .first()
            .is_some_and(|m| m["last_error"].is_string())
    })
    .await;
    assert_ne!(messages_of(&report, "announcement")[0]["status"], "sent");
    let smtp = SmtpServer::start_on(port);
    let got = smtp.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got[0].to, ["claude@exemple.fr"]);
}

/// A reminder leaves within a second of its moment: the dispatcher sleeps until then instead of
/// polling.
async fn reminders_leave_on_time(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    app.post(
        "/api/v1/subscribers",
        &json!({"email": "alix@exemple.fr", "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    // Starts in 5 s (whole seconds), reminded 2 s before.
    let start = Utc::now() + chrono::Duration::seconds(5);
    let made = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Bientôt",
            "starts_at": start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "reminders": ["PT2S"]}),
        )
        .await;
    assert_eq!(made["reminders"], json!(["PT2S"]));
    let slug = made["slug"].as_str().unwrap();
    let report = outbox_until(&app, slug, Duration::from_secs(10), |r| {
        messages_of(r, "reminder")
            .first()
            .is_some_and(|m| m["status"] == "sent")
    })
    .await;
    let reminder = messages_of(&report, "reminder")[0];
    let due: DateTime<Utc> = reminder["due_at"].as_str().unwrap().parse().unwrap();
    let sent: DateTime<Utc> = reminder["sent_at"].as_str().unwrap().parse().unwrap();
    assert!(sent >= due, "{reminder}");
    assert!(
        sent - due < chrono::Duration::milliseconds(1000),
        "left {} ms after its moment",
        (sent - due).num_milliseconds()
    );
    let mail = smtp
        .received()
        .iter()
        .map(|m| parse(&m.data))
        .find(|m| m.subject.starts_with("Rappel : Bientôt"))
        .expect("reminder received");
    assert!(
        mail.text()
            .contains("Rappel : la session commence dans 2 secondes"),
        "{}",
        mail.text()
    );
}

/// A reminder the relay refuses for a while (421, then a greylisting 451) is retried and
/// delivered once, not dropped: its retry moves its due time, not the moment it reminds of.
/// (Before the fix, a retried reminder no longer matched its session's reminder times and
/// was dropped as « the session's time or reminders changed »; the cluster run found it.)
async fn a_refused_reminder_is_retried_not_dropped(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    subscribe_directly(&app, "alix@exemple.fr").await;
    let start = Utc::now() + chrono::Duration::seconds(8);
    let made = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Rappel têtu",
            "starts_at": start.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "reminders": ["PT6S"]}),
        )
        .await;
    let slug = made["slug"].as_str().unwrap();
    // The announcement leaves first; the reminder then meets two refusals.
    outbox_until(&app, slug, Duration::from_secs(10), |r| {
        messages_of(r, "announcement")
            .first()
            .is_some_and(|m| m["status"] == "sent")
    })
    .await;
    smtp.refuse_next(2);
    // A title fix meanwhile keeps the reminder's moment (its session did not move).
    let (status, _) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"title": "Rappel têtu (corrigé)"}),
        )
        .await;
    assert_eq!(status, 200);
    let report = outbox_until(&app, slug, Duration::from_secs(20), |r| {
        messages_of(r, "reminder")
            .first()
            .is_some_and(|m| m["status"] != "queued" && m["status"] != "sending")
    })
    .await;
    let reminder = messages_of(&report, "reminder")[0];
    assert_eq!(reminder["status"], "sent", "{report:#}");
    assert_eq!(reminder["attempts"], 3, "{report:#}");
    let reminders = smtp
        .received()
        .iter()
        .map(|m| parse(&m.data))
        .filter(|m| m.subject.starts_with("Rappel : Rappel têtu"))
        .count();
    assert_eq!(reminders, 1);
}

/// While no dispatcher ran: a reminder whose session has not started still goes; one whose
/// session started is dropped with the reason recorded.
async fn reminders_missed_while_down(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    app.post(
        "/api/v1/subscribers",
        &json!({"email": "sacha@exemple.fr", "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    let now = Utc::now();
    let at = |s: i64| {
        (now + chrono::Duration::seconds(s))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let soon = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Déjà commencé",
            "starts_at": at(3), "reminders": ["PT1S"]}),
        )
        .await;
    let later = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Pas encore",
            "starts_at": at(30), "reminders": ["PT28S"]}),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(smtp.received().is_empty(), "no dispatcher is running");

    // `eventail dispatch --once`, as cron would run it.
    let dispatcher = manual_dispatcher(&app, &smtp);
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!(report.sent, 3, "{report:?}"); // two announcements and the later reminder
    assert_eq!(report.dropped, 1, "{report:?}");
    let (_, outbox) = app
        .get(&format!(
            "/api/v1/events/{}/outbox",
            soon["slug"].as_str().unwrap()
        ))
        .await;
    let dropped = messages_of(&outbox, "reminder")[0];
    assert_eq!(dropped["status"], "dropped");
    assert_eq!(
        dropped["last_error"],
        "the session had started when the reminder could be sent"
    );
    let (_, outbox) = app
        .get(&format!(
            "/api/v1/events/{}/outbox",
            later["slug"].as_str().unwrap()
        ))
        .await;
    assert_eq!(messages_of(&outbox, "reminder")[0]["status"], "sent");
}

/// A message of a kind this version does not know (planned by a newer instance sharing the
/// database) fails on its own, with its reason; the messages queued behind it still go.
async fn an_unknown_kind_of_message_fails_alone(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    app.post(
        "/api/v1/subscribers",
        &json!({"email": "sacha@exemple.fr", "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    let due = (Utc::now() - chrono::Duration::minutes(1)).timestamp_micros();
    sqlx::query(
        "INSERT INTO outbox (dedup_key, kind, event_id, subscription_id, recipient, sequence, \
         created_at) VALUES ('seat:x', 'seat-offered', NULL, NULL, 'sacha@exemple.fr', 0, $1)",
    )
    .bind(due)
    .execute(app.store.pool())
    .await
    .expect("a row of a future kind");
    sqlx::query(
        "INSERT INTO outbox_state (id, status, due_at, detail, attempts, updated_at) \
         SELECT id, 'queued', $1, '', 0, $1 FROM outbox WHERE dedup_key = 'seat:x'",
    )
    .bind(due)
    .execute(app.store.pool())
    .await
    .expect("its state");
    let event = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Après",
            "starts_at": "2037-12-08T09:00", "reminders": []}),
        )
        .await;

    let report = manual_dispatcher(&app, &smtp).run_once().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(smtp.received().len(), 1);
    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT s.status, s.last_error FROM outbox o JOIN outbox_state s ON s.id = o.id \
         WHERE o.dedup_key = 'seat:x'",
    )
    .fetch_one(app.store.pool())
    .await
    .expect("the row");
    assert_eq!(status, "failed");
    assert_eq!(
        error.as_deref(),
        Some("cannot compose: unknown kind of message seat-offered")
    );
    let (_, outbox) = app
        .get(&format!(
            "/api/v1/events/{}/outbox",
            event["slug"].as_str().unwrap()
        ))
        .await;
    assert_eq!(messages_of(&outbox, "announcement")[0]["status"], "sent");
}

/// Refuses (or allows again) marking outbox messages sent, in the database itself: a store
/// error in the middle of a pass, with nothing faked in the process.
async fn refuse_marking(app: &TestApp, refuse: bool) {
    let postgres = app._db.url.starts_with("postgres");
    let statements: &[&str] = match (postgres, refuse) {
        (false, true) => &["CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox_state \
             WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'marking refused'); END"],
        (false, false) => &["DROP TRIGGER refuse_sent"],
        (true, true) => &[
            "CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'marking refused'; END $$",
            "CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox_state FOR EACH ROW \
             WHEN (NEW.status = 'sent') EXECUTE FUNCTION refuse_sent()",
        ],
        (true, false) => &["DROP TRIGGER refuse_sent ON outbox_state"],
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(app.store.pool())
            .await
            .expect(statement);
    }
}

/// Unthrottled, the next batch is claimed while one is sent. A pass that then fails on the
/// store puts that batch back: the next pass sends it at once, not when its lease ends
/// (two minutes by default), and nobody gets it twice.
async fn a_failed_pass_puts_back_the_batch_claimed_ahead(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    // Two batches and a half.
    let batch = eventail::mailer::dispatcher::BATCH as usize;
    let everyone = 2 * batch + batch / 2;
    for i in 0..everyone {
        crate::helpers::subscribe_to_all(&app.store, &format!("personne{i}@exemple.fr")).await;
    }
    app.create_event(webinar("Pour deux lots et demi")).await;
    let mut settings = crate::helpers::settings_for(&app._db.url);
    settings.mail.smtp_url = smtp.url().into();
    settings.mail.rate_per_second = 100_000.0;
    let templates = std::sync::Arc::new(eventail::templates::Templates::load(None).unwrap());
    let dispatcher =
        eventail::mailer::dispatcher(app.store.clone(), &settings, templates, &app.address)
            .unwrap();

    refuse_marking(&app, true).await;
    let failed = dispatcher.run_once().await;
    assert!(failed.is_err(), "{failed:?}");
    // The first batch went (its marking failed after); the one claimed ahead did not.
    assert_eq!(smtp.received().len(), batch);
    let (leased,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox_state WHERE status = 'sending'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(
        leased as usize,
        2 * batch,
        "the first batch and the one claimed ahead"
    );

    refuse_marking(&app, false).await;
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!(report.sent, batch + batch / 2, "{report:?}");
    let mut recipients: Vec<String> = smtp.received().iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(recipients.len(), everyone);
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), everyone, "each once");
}

/// While a marking runs, the sends go on, but never further than MARK_EVERY sent and not yet
/// marked (what a crash would send twice), however slow the marking: here each sent message's
/// row takes the database 10 ms to mark, a marking of MARK_EVERY / 2 about half a second, while
/// the relay takes 5 ms a message on each of 4 connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn a_slow_marking_holds_the_sends_within_mark_every() {
    let smtp = SmtpServer::start();
    smtp.slow_down(std::time::Duration::from_millis(5));
    let app = app_without_dispatcher(Db::Postgres, &smtp).await;
    const EVERYONE: usize = 300;
    for i in 0..EVERYONE {
        crate::helpers::subscribe_to_all(&app.store, &format!("personne{i}@exemple.fr")).await;
    }
    app.create_event(webinar("Pour trois cents")).await;
    for statement in [
        "CREATE FUNCTION slow_sent() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep(0.01); RETURN NEW; END $$",
        "CREATE TRIGGER slow_sent BEFORE UPDATE ON outbox_state FOR EACH ROW \
         WHEN (NEW.status = 'sent') EXECUTE FUNCTION slow_sent()",
    ] {
        sqlx::query(statement)
            .execute(app.store.pool())
            .await
            .expect(statement);
    }
    let mut settings = crate::helpers::settings_for(&app._db.url);
    settings.mail.smtp_url = smtp.url().into();
    settings.mail.smtp_pool_size = 4;
    settings.mail.rate_per_second = 100_000.0;
    let templates = std::sync::Arc::new(eventail::templates::Templates::load(None).unwrap());
    let dispatcher =
        eventail::mailer::dispatcher(app.store.clone(), &settings, templates, &app.address)
            .unwrap();
    let pass = tokio::spawn(async move { dispatcher.run_once().await });

    // Marked first, received after: the difference counts at most the sends of the moment
    // between the two reads on top of what was really unmarked.
    let bound = eventail::mailer::dispatcher::MARK_EVERY + 4 + 4;
    let mut widest = 0;
    let mut looks = 0;
    while !pass.is_finished() {
        let (marked,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM outbox_state WHERE status = 'sent'")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        let received = smtp.received().len();
        let unmarked = received.saturating_sub(marked as usize);
        widest = widest.max(unmarked);
        looks += 1;
        assert!(
            unmarked <= bound,
            "{unmarked} sent and not marked ({received} received, {marked} marked)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let report = pass.await.unwrap().unwrap();
    assert_eq!(report.sent, EVERYONE, "{report:?}");
    assert_eq!(smtp.received().len(), EVERYONE);
    // The sends went on while a marking ran: more than one marking's worth (MARK_EVERY / 2)
    // and the sends in flight were unmarked at once (else this test would check nothing).
    assert!(
        widest > eventail::mailer::dispatcher::MARK_EVERY / 2 + 4,
        "at most {widest} unmarked in {looks} looks"
    );
}

/// Two instances on one database with one relay: every message delivered exactly once; a lease
/// left by a dead dispatcher is taken over.
async fn instances_share_the_outbox(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    let url = smtp.url();
    let _peer = app
        .spawn_peer_with(move |f| f.merge(("mail.smtp_url", url)))
        .await;
    for i in 0..30 {
        let (code, doc) = app
            .post(
                "/api/v1/subscribers",
                &json!({"email": format!("personne{i}@exemple.fr"),
                    "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
            )
            .await;
        assert_eq!(code, 201, "{doc}");
    }
    app.create_event(webinar("Pour trente")).await;
    let got = smtp.wait_for(30, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_after = smtp.received();
    assert_eq!(got_after.len(), 30, "no message twice");
    let mut recipients: Vec<String> = got.iter().map(|m| m.to[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30);
    // The thirty share one prepared announcement, yet each carries its own unsubscribe key,
    // the same in the header, the text and the HTML.
    for received in &got {
        let mail = parse(&received.data);
        let link = mail
            .link(&format!("{}/desabonnement/", app.address))
            .expect("a visible unsubscribe link");
        let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
        assert!(
            header.starts_with(&format!("<{link}>,")),
            "{header} / {link}"
        );
        let key = link.rsplit('/').next().unwrap();
        let html = &mail.part("text/html").expect("an HTML part").2;
        assert!(
            html.contains(&format!("desabonnement&#x2f;{key}\"")),
            "{html}"
        );
        let owner = app
            .store
            .subscription_by_unsubscribe_key(key)
            .await
            .unwrap();
        assert_eq!(owner.email.as_str(), received.to[0]);
    }
}

/// A dispatcher claimed a message and died: once its lease runs out, another instance sends
/// it (waking up for the lease's end, not polling).
async fn a_dead_dispatchers_lease_is_taken_over(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    app.post(
        "/api/v1/subscribers",
        &json!({"email": "reprise@exemple.fr", "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    let made = app.create_event(webinar("Reprise")).await;
    let slug = made["slug"].as_str().unwrap();
    let claimed = app
        .store
        .claim_due("dead-instance", 100, chrono::Duration::seconds(2))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, "announcement");
    let url = smtp.url();
    let _peer = app
        .spawn_peer_with(move |f| f.merge(("mail.smtp_url", url)))
        .await;
    let report = outbox_until(&app, slug, Duration::from_secs(15), |r| r["sent"] == 1).await;
    assert_eq!(messages_of(&report, "announcement")[0]["attempts"], 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1);
    // The dead owner's late report changes nothing.
    assert!(!app
        .store
        .mark_sent(claimed[0].id, "dead-instance")
        .await
        .unwrap());
}

/// The public endpoints are rate-limited per client and per target address.
/// The public subscribe endpoint is no oracle: a draft's slug answers as an unknown one, and
/// an address already subscribed takes the same path as a new one (a message planned and a
/// commit: its owner is told someone asked), with the same answer.
async fn subscribe_answers_tell_nothing(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    app.create_event(
        json!({"kind": "webinar", "status": "draft", "title": "Brouillon discret",
        "slug": "brouillon-discret", "starts_at": "2042-07-01T10:00"}),
    )
    .await;
    let subscribe = |email: &'static str, scope: Value| {
        let client = app.client.clone();
        let url = app.url("/api/v1/subscribe");
        async move {
            let response = client
                .post(url)
                .json(&json!({"email": email, "scope": scope}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (draft_code, draft) =
        subscribe("a@exemple.fr", json!({"event": "brouillon-discret"})).await;
    let (unknown_code, unknown) =
        subscribe("a2@exemple.fr", json!({"event": "nulle-part-ici"})).await;
    assert_eq!(draft_code, 422, "{draft}");
    assert_eq!(
        (draft_code, draft.replace("brouillon-discret", "SLUG")),
        (unknown_code, unknown.replace("nulle-part-ici", "SLUG"))
    );
    let (code, draft_page) = form_post(
        &app,
        "/abonnement",
        "email=b%40exemple.fr&scope=event%3Abrouillon-discret",
    )
    .await;
    let (same, unknown_page) = form_post(
        &app,
        "/abonnement",
        "email=c%40exemple.fr&scope=event%3Anulle-part-ici",
    )
    .await;
    assert_eq!((code, same), (422, 422));
    let error = |page: &str| {
        page.split("fr-alert")
            .nth(1)
            .map(|s| s.chars().take(300).collect::<String>())
    };
    assert_eq!(error(&draft_page), error(&unknown_page));
    assert!(!draft_page.contains("Brouillon discret"));

    // An address the organisers added (active), and one nobody knows yet.
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "deja@exemple.fr", "scope": "all",
                "consent": {"source": "fiche papier", "at": "2026-10-01T10:00:00+02:00"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
    let rows = |email: &'static str| {
        let pool = app.store.pool().clone();
        async move {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT kind FROM outbox WHERE recipient = $1")
                    .bind(email)
                    .fetch_all(&pool)
                    .await
                    .expect("outbox rows");
            rows.into_iter().map(|(k,)| k).collect::<Vec<String>>()
        }
    };
    assert!(rows("deja@exemple.fr").await.is_empty());
    let known = subscribe("deja@exemple.fr", json!("all")).await;
    let new = subscribe("nouveau@exemple.fr", json!("all")).await;
    assert_eq!(known, new);
    assert_eq!(known.0, 202);
    // Both requests planned one message in their own transaction, before answering.
    assert_eq!(rows("deja@exemple.fr").await, ["already_subscribed"]);
    assert_eq!(rows("nouveau@exemple.fr").await, ["confirmation"]);
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let told = got
        .iter()
        .find(|m| m.to == ["deja@exemple.fr"])
        .map(|m| parse(&m.data))
        .expect("the owner is told");
    assert!(
        told.subject.starts_with("Vous êtes déjà abonné"),
        "{}",
        told.subject
    );
    assert!(told.text().contains("déjà abonnée"), "{}", told.text());
    assert!(told.header("List-Unsubscribe").is_some());
    assert!(told
        .link(&format!("{}/desabonnement/", app.address))
        .is_some());
    // The subscription is untouched: still active, no new consent asked.
    let (_, subscribers) = app.get("/api/v1/subscribers?address=deja").await;
    assert_eq!(subscribers[0]["status"], "active", "{subscribers}");
}

async fn subscribing_is_rate_limited(db: Db) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = spawn_app_with(FreshDb::new(db).await, move |f| {
        f.merge(("mail.smtp_url", url))
            .merge(("mail.subscribe_limit_per_address", 2))
            .merge(("mail.subscribe_limit_per_client", 4))
    })
    .await;
    let subscribe = |email: &'static str| {
        let client = app.client.clone();
        let url = app.url("/api/v1/subscribe");
        async move {
            let response = client
                .post(url)
                .json(&json!({"email": email, "scope": "all"}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    assert_eq!(subscribe("cible@exemple.fr").await.0, 202);
    assert_eq!(subscribe("cible@exemple.fr").await.0, 202);
    let (code, problem) = subscribe("cible@exemple.fr").await;
    assert_eq!(code, 429, "{problem}");
    assert_eq!(problem["type"], "urn:eventail:problem:too-many-requests");
    assert_eq!(subscribe("autre@exemple.fr").await.0, 202);
    // Four attempts from this client already (refused ones count): the form says so too.
    let (code, page) = form_post(&app, "/abonnement", "email=encore%40exemple.fr&scope=all").await;
    assert_eq!(code, 429);
    assert!(page.contains("Trop de demandes"));
    // Two confirmations planned for the target address, not three; one for the other. (The
    // second request's confirmation replaces the first if that one had not gone yet, so the
    // target receives one or two.)
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let planned = |email: &'static str| {
        let pool = app.store.pool().clone();
        async move {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT s.status FROM outbox o JOIN outbox_state s ON s.id = o.id \
                 WHERE o.recipient = $1 ORDER BY o.id",
            )
            .bind(email)
            .fetch_all(&pool)
            .await
            .expect("outbox rows");
            rows.into_iter().map(|(s,)| s).collect::<Vec<String>>()
        }
    };
    loop {
        let all: Vec<String> = [
            planned("cible@exemple.fr").await,
            planned("autre@exemple.fr").await,
        ]
        .concat();
        if all.iter().all(|s| s == "sent" || s == "dropped") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still sending: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let target = planned("cible@exemple.fr").await;
    assert_eq!(target.len(), 2, "{target:?}");
    assert_eq!(
        target[1], "sent",
        "the newest confirmation goes: {target:?}"
    );
    assert_eq!(planned("autre@exemple.fr").await, ["sent"]);
    let sent = target.iter().filter(|s| *s == "sent").count();
    assert_eq!(smtp.received().len(), sent + 1);
}

/// The organiser API: refusals name their fields, duplicates conflict, export and erasure.
async fn organiser_api_for_subscribers(db: Db) {
    let app = spawn_app_with(FreshDb::new(db).await, |f| f).await;
    let (code, problem) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "pas une adresse", "scope": {"series": "inconnue"},
                "consent": {"source": "", "at": "hier"}}),
        )
        .await;
    assert_eq!(code, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "consent.source", "consent.at"]);
    let (code, problem) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "a@exemple.fr", "scope": {"series": "inconnue"},
                "consent": {"source": "salon", "at": "2026-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(code, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "scope");

    let body = json!({"email": "Léa.Dupont@Exemple.fr", "scope": "all",
        "consent": {"source": "salon, « Numérique responsable »", "at": "2026-01-01T00:00:00Z", "wording_version": "v1"}});
    let (code, created) = app.post("/api/v1/subscribers", &body).await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["email"], "léa.dupont@exemple.fr");
    assert_eq!(created["status"], "active");
    assert_eq!(created["wording_version"], "v1");
    assert!(
        created.get("unsubscribe_key").is_none(),
        "the secret stays inside"
    );
    let (code, problem) = app.post("/api/v1/subscribers", &body).await;
    assert_eq!(code, 409, "{problem}");

    let csv = app
        .client
        .get(app.url("/api/v1/subscribers/export.csv"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "léa.dupont@exemple.fr");
    assert_eq!(&rows[0][4], "salon, « Numérique responsable »");

    let id = created["id"].as_str().unwrap();
    let (code, _) = app.delete(&format!("/api/v1/subscribers/{id}")).await;
    assert_eq!(code, 204);
    let (code, _) = app.get(&format!("/api/v1/subscribers/{id}")).await;
    assert_eq!(code, 404);
    let (code, _) = app.delete(&format!("/api/v1/subscribers/{id}")).await;
    assert_eq!(code, 404);
    // The organiser API wants a token; the public endpoint does not.
    let anonymous = app
        .client
        .get(app.url("/api/v1/subscribers"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// Without an SMTP server, messages are written as .eml files: the embedded default.
async fn file_transport_by_default(db: Db) {
    let fresh = FreshDb::new(db).await;
    let outbox = fresh.outbox();
    let app = spawn_app_with(fresh, |f| f).await;
    let (code, _) = form_post(&app, "/abonnement", "email=eml%40exemple.fr&scope=all").await;
    assert_eq!(code, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let file = loop {
        let found = std::fs::read_dir(&outbox)
            .ok()
            .and_then(|mut d| d.find_map(|e| e.ok()))
            .map(|e| e.path());
        if let Some(path) = found {
            break path;
        }
        assert!(std::time::Instant::now() < deadline, "no .eml written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("eml"));
    let mail = parse(&std::fs::read(&file).unwrap());
    assert!(mail.subject.starts_with("Confirmez votre abonnement"));
}

/// An announcement's subject names the kind once: prefixed to a title that does not say it,
/// left out when the title already starts with it (« Webinaire – … », « Épisode #3 … »).
async fn announcements_name_the_kind_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "kinds@exemple.fr", "scope": "all",
                "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
    app.create_event(webinar("Webinaire – Écoconception")).await;
    app.create_event(webinar("Sobriété en pratique")).await;
    let today = Utc::now().format("%Y-%m-%d").to_string();
    app.create_event(json!({"kind": "video", "status": "scheduled",
        "title": "Épisode #3 : mesurer", "published_on": today,
        "links": {"video": "https://www.dailymotion.com/video/x8abcde"}}))
        .await;
    smtp.wait_for(3, Duration::from_secs(10)).await;
    let mut subjects: Vec<String> = smtp
        .received()
        .iter()
        .map(|m| parse(&m.data).subject)
        .collect();
    subjects.sort();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(
        subjects[0].starts_with("Webinaire : Sobriété en pratique, "),
        "{subjects:?}"
    );
    assert!(
        subjects[1].starts_with("Webinaire – Écoconception, "),
        "{subjects:?}"
    );
    assert!(
        subjects[2].starts_with("Épisode #3 : mesurer, "),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .all(|s| !s.contains("Webinaire : Webinaire") && !s.starts_with("Vidéo : ")),
        "{subjects:?}"
    );
}

/// A session's life as a subscriber sees it: announced, moved, reminded, recorded — one
/// message each; edits nobody needs to hear about (the programme) send nothing.
async fn a_lifecycle_sends_each_notice_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    app.post(
        "/api/v1/subscribers",
        &json!({"email": "cycle@exemple.fr", "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    let now = Utc::now();
    let at = |s: i64| {
        (now + chrono::Duration::seconds(s))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let made = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Cycle complet",
            "starts_at": at(5), "ends_at": at(6), "reminders": ["PT2S"],
            "links": {"join": "https://visio.example.org/a"}}),
        )
        .await;
    let slug = made["slug"].as_str().unwrap().to_string();
    let patch = |body: Value| {
        let path = format!("/api/v1/events/{slug}");
        let app = &app;
        async move {
            let (code, doc) = app.patch(&path, &body).await;
            assert_eq!(code, 200, "{doc}");
            doc
        }
    };
    let moved = patch(json!({"links": {"join": "https://visio.example.org/b"}})).await;
    assert_eq!(moved["sequence"], 1);
    patch(json!({"programme": ["Accueil", "Questions"]})).await;
    // Ended: the recording arrives.
    tokio::time::sleep(Duration::from_millis(6500)).await;
    patch(json!({"links": {"join": null, "recording": "https://video.example.org/replay"}})).await;
    let got = smtp.wait_for(4, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subjects: Vec<String> = smtp
        .received()
        .iter()
        .map(|m| parse(&m.data).subject)
        .collect();
    assert_eq!(subjects.len(), 4, "{subjects:?}");
    let starts = |prefix: &str| subjects.iter().filter(|s| s.starts_with(prefix)).count();
    assert_eq!(starts("Webinaire : Cycle complet"), 1, "{subjects:?}");
    assert_eq!(starts("Modifié : Cycle complet"), 1, "{subjects:?}");
    assert_eq!(starts("Rappel : Cycle complet"), 1, "{subjects:?}");
    assert_eq!(
        starts("Enregistrement disponible : Cycle complet"),
        1,
        "{subjects:?}"
    );
    let recording = got
        .iter()
        .map(|m| parse(&m.data))
        .chain(smtp.received().iter().map(|m| parse(&m.data)))
        .find(|m| m.subject.starts_with("Enregistrement"))
        .unwrap();
    assert!(recording
        .text()
        .contains("https://video.example.org/replay"));
    assert!(recording.part("text/calendar").is_none());
    // One reminder, two seconds before the start.
    let (_, report) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    let reminders = messages_of(&report, "reminder");
    assert_eq!(reminders.len(), 1, "{report:#}");
    let due: DateTime<Utc> = reminders[0]["due_at"].as_str().unwrap().parse().unwrap();
    let start: DateTime<Utc> = made["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(start - due, chrono::Duration::seconds(2));
}

/// The dispatcher of `eventail dispatch --once`, on the app's database and `smtp`.
fn manual_dispatcher(app: &TestApp, smtp: &SmtpServer) -> eventail::mailer::Dispatcher {
    let mut settings = crate::helpers::settings_for(&app._db.url);
    settings.mail.smtp_url = smtp.url().into();
    settings.mail.retry_base_seconds = 1;
    let templates = std::sync::Arc::new(eventail::templates::Templates::load(None).unwrap());
    eventail::mailer::dispatcher(app.store.clone(), &settings, templates, &app.address).unwrap()
}

/// A move's notice survives a later edit; one address on two lists gets each notice once, leaves
/// the list it came from in one click (its reminders stay planned for the other list) and the
/// other with the page's second button; coming back brings its reminders back; organisers can
/// withdraw an address that wrote to the mailto: link.
async fn notices_survive_edits_and_people_come_back(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    let mut spec = webinar("Série d'hiver");
    spec["series"] = json!({"slug": "hiver", "title": "Hiver"});
    let made = app.create_event(spec).await;
    let slug = made["slug"].as_str().unwrap().to_string();
    for scope in [json!("all"), json!({"series": "hiver"})] {
        let (code, doc) = app
            .post(
                "/api/v1/subscribers",
                &json!({"email": "deux@exemple.fr", "scope": scope,
                    "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
            )
            .await;
        assert_eq!(code, 201, "{doc}");
    }
    // Moved, then its title fixed before any dispatcher ran.
    let start = Utc::now() + chrono::Duration::days(5);
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string(),
                "ends_at": (start + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:00Z").to_string()}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, fixed) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"title": "Série d'hiver, 2e"}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(fixed["sequence"], 2);
    let report = manual_dispatcher(&app, &smtp).run_once().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let got = smtp.received();
    assert_eq!(got.len(), 1, "one address, one notice");
    let change = parse(&got[0].data);
    assert!(
        change.subject.starts_with("Modifié : Série d'hiver, 2e"),
        "{}",
        change.subject
    );

    // One click leaves the list the notice came from: the series, the most specific of the two.
    // The session's reminders stay planned, now for "everything".
    let link = change
        .link(&format!("{}/desabonnement/", app.address))
        .unwrap();
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let (code, page) = form_post(&app, &path, "").await;
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("ne recevra plus les messages pour la série \u{ab}\u{a0}Hiver\u{a0}\u{bb}"),
        "{page}"
    );
    assert_eq!(
        lists_of(&app, "deux@exemple.fr").await,
        ["all active", "series:hiver unsubscribed"]
    );
    let (_, outbox) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    let queued = messages_of(&outbox, "reminder")
        .into_iter()
        .filter(|r| r["status"] == "queued")
        .count();
    assert_eq!(queued, 2, "{outbox:#}");

    // The page's second button leaves the other list too.
    let (code, page) = form_post(&app, &path, "portee=tout").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("ne recevra plus aucun message"), "{page}");
    assert_eq!(
        lists_of(&app, "deux@exemple.fr").await,
        ["all unsubscribed", "series:hiver unsubscribed"]
    );
    let (_, outbox) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    let left = messages_of(&outbox, "reminder")
        .into_iter()
        .filter(|r| r["status"] == "dropped" && r["last_error"] == "unsubscribed")
        .count();
    assert_eq!(left, 2, "{outbox:#}");
    assert_eq!(outbox["queued"], 0);

    // Back on one list: the session's reminders are planned again.
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    let (code, _) = app
        .delete(&format!(
            "/api/v1/subscribers/{}",
            subscribers[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(code, 204);
    let (_, subscribers) = app.get("/api/v1/subscribers").await;
    let remaining = subscribers[0]["scope"].as_str().unwrap().to_string();
    let scope = if remaining == "all" {
        json!({"series": "hiver"})
    } else {
        json!("all")
    };
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "deux@exemple.fr", "scope": scope,
                "consent": {"source": "revenu", "at": "2026-11-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
    let (_, outbox) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    let queued = messages_of(&outbox, "reminder")
        .into_iter()
        .filter(|r| r["status"] == "queued")
        .count();
    assert_eq!(queued, 2, "{outbox:#}");

    // A request that reached the mailto: address.
    let (code, done) = app
        .post(
            "/api/v1/subscribers/unsubscribe",
            &json!({"email": "DEUX@exemple.fr", "source": "courriel du 23/11"}),
        )
        .await;
    assert_eq!(code, 200, "{done}");
    assert_eq!(done["withdrawn"], 1);
    let (_, outbox) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    assert_eq!(outbox["queued"], 0);
}

/// Subscribes `email` to `scope` through the organiser API (consent collected elsewhere).
async fn add_subscriber(app: &TestApp, email: &str, scope: Value) {
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": email, "scope": scope,
                "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
}

/// `email`'s subscriptions as the organiser API lists them.
async fn subscriptions_of(app: &TestApp, email: &str) -> Vec<Value> {
    let (code, subscribers) = app.get("/api/v1/subscribers").await;
    assert_eq!(code, 200, "{subscribers}");
    subscribers
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["email"] == email)
        .cloned()
        .collect()
}

/// `email`'s lists (`all`, `series:slug`, `event:slug`), each followed by its status, sorted.
async fn lists_of(app: &TestApp, email: &str) -> Vec<String> {
    let mut lists: Vec<String> = subscriptions_of(app, email)
        .await
        .iter()
        .map(|s| {
            let list = match s["target"].as_str() {
                Some(target) => format!("{}:{target}", s["scope"].as_str().unwrap()),
                None => s["scope"].as_str().unwrap().to_string(),
            };
            format!("{list} {}", s["status"].as_str().unwrap())
        })
        .collect();
    lists.sort();
    lists
}

/// The sources of the withdrawals in the consent history of `email`'s subscription to `list`.
async fn withdrawal_sources(app: &TestApp, email: &str, target: Option<&str>) -> Vec<String> {
    let subscription = subscriptions_of(app, email)
        .await
        .into_iter()
        .find(|s| s["target"].as_str() == target)
        .expect("the subscription");
    let (_, detail) = app
        .get(&format!(
            "/api/v1/subscribers/{}",
            subscription["id"].as_str().unwrap()
        ))
        .await;
    detail["consent_history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "withdrawn")
        .map(|e| e["source"].as_str().unwrap().to_string())
        .collect()
}

/// A mail client's RFC 8058 one-click: `List-Unsubscribe=One-Click` posted to the link, with no
/// cookie and no login.
async fn one_click(app: &TestApp, link: &str) -> (u16, String) {
    let path = link.strip_prefix(&app.address).unwrap();
    form_post(app, path, "List-Unsubscribe=One-Click").await
}

/// The unsubscribe link of the message `smtp` received for `email`.
fn unsubscribe_link(app: &TestApp, smtp: &SmtpServer, email: &str) -> String {
    let received = smtp
        .received()
        .into_iter()
        .find(|m| m.to == [email])
        .expect("a message for the address");
    parse(&received.data)
        .link(&format!("{}/desabonnement/", app.address))
        .expect("an unsubscribe link")
}

/// A webinar of the series `series`.
fn episode(title: &str, series: &str) -> Value {
    let mut spec = webinar(title);
    spec["series"] = json!(series);
    spec
}

async fn create_series(app: &TestApp, title: &str) {
    let (code, doc) = app.post("/api/v1/series", &json!({"title": title})).await;
    assert_eq!(code, 201, "{doc}");
}

const HIVER: &str = "la série \u{ab}\u{a0}Hiver\u{a0}\u{bb}";

/// The one-click button of a series' message leaves that series only: the address still gets
/// the messages of its other list, and none of the series' any more.
async fn one_click_leaves_only_the_list_the_message_came_from(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    create_series(&app, "Hiver").await;
    create_series(&app, "Printemps").await;
    add_subscriber(&app, "alix@exemple.fr", json!({"series": "hiver"})).await;
    add_subscriber(&app, "alix@exemple.fr", json!({"series": "printemps"})).await;
    let first = app.create_event(episode("Hiver, épisode 1", "hiver")).await;
    smtp.wait_for(1, Duration::from_secs(10)).await;
    let link = unsubscribe_link(&app, &smtp, "alix@exemple.fr");

    let (code, page) = one_click(&app, &link).await;
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains(&format!("ne recevra plus les messages pour {HIVER}")),
        "{page}"
    );
    // The page names the list the address stays on and offers to leave it too.
    assert!(page.contains("reste abonnée"), "{page}");
    assert!(
        page.contains("<li>la série \u{ab}\u{a0}Printemps\u{a0}\u{bb}</li>"),
        "{page}"
    );
    assert!(page.contains("name=\"portee\" value=\"tout\""), "{page}");
    assert!(!page.contains("value=\"liste\""), "{page}");
    assert_eq!(
        lists_of(&app, "alix@exemple.fr").await,
        ["series:hiver unsubscribed", "series:printemps active"]
    );
    assert_eq!(
        withdrawal_sources(&app, "alix@exemple.fr", Some("hiver")).await,
        ["one-click"]
    );
    // The first session's reminders are dropped.
    let (_, outbox) = app
        .get(&format!(
            "/api/v1/events/{}/outbox",
            first["slug"].as_str().unwrap()
        ))
        .await;
    let reminders = messages_of(&outbox, "reminder");
    assert!(!reminders.is_empty(), "{outbox:#}");
    assert!(
        reminders
            .iter()
            .all(|r| r["status"] == "dropped" && r["last_error"] == "unsubscribed"),
        "{outbox:#}"
    );

    // The series' next session reaches nobody; the other series' reaches the address.
    app.create_event(episode("Hiver, épisode 2", "hiver")).await;
    app.create_event(episode("Printemps, épisode 1", "printemps"))
        .await;
    smtp.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subjects: Vec<String> = smtp
        .received()
        .iter()
        .map(|m| parse(&m.data).subject)
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects[1].starts_with("Webinaire : Printemps, épisode 1"),
        "{subjects:?}"
    );
}

/// The page's « Me désabonner de tout » leaves every list of the address and drops their queued
/// messages; other addresses keep theirs.
async fn the_everything_button_leaves_every_list(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    create_series(&app, "Hiver").await;
    add_subscriber(&app, "alix@exemple.fr", json!("all")).await;
    add_subscriber(&app, "alix@exemple.fr", json!({"series": "hiver"})).await;
    add_subscriber(&app, "sacha@exemple.fr", json!("all")).await;
    let made = app.create_event(episode("Hiver au complet", "hiver")).await;
    let slug = made["slug"].as_str().unwrap().to_string();
    smtp.wait_for(2, Duration::from_secs(10)).await;
    let link = unsubscribe_link(&app, &smtp, "alix@exemple.fr");

    // The page: the list the message came from (the series, the most specific), the other one,
    // and both buttons.
    let (code, page) = get_page(&app, &link).await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains(&format!("abonné·e à {HIVER}")), "{page}");
    assert!(page.contains("est aussi abonnée"), "{page}");
    assert!(
        page.contains("<li>tous les webinaires, événements et vidéos</li>"),
        "{page}"
    );
    assert!(
        page.contains(">Me désabonner de cette liste</button>"),
        "{page}"
    );
    assert!(page.contains(">Me désabonner de tout</button>"), "{page}");

    let path = link.strip_prefix(&app.address).unwrap();
    let (code, page) = form_post(&app, path, "portee=tout").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("ne recevra plus aucun message"), "{page}");
    assert!(!page.contains("<button"), "nothing left to leave: {page}");
    assert_eq!(
        lists_of(&app, "alix@exemple.fr").await,
        ["all unsubscribed", "series:hiver unsubscribed"]
    );
    assert_eq!(lists_of(&app, "sacha@exemple.fr").await, ["all active"]);
    for target in [None, Some("hiver")] {
        assert_eq!(
            withdrawal_sources(&app, "alix@exemple.fr", target).await,
            ["page-everything"],
            "{target:?}"
        );
    }
    let (_, outbox) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    let reminders = messages_of(&outbox, "reminder");
    assert!(!reminders.is_empty(), "{outbox:#}");
    for reminder in reminders {
        let expected = if reminder["recipient"] == "alix@exemple.fr" {
            "dropped"
        } else {
            "queued"
        };
        assert_eq!(reminder["status"], expected, "{outbox:#}");
    }

    // Again: nothing more to do, same answer.
    let (code, _) = form_post(&app, path, "portee=tout").await;
    assert_eq!(code, 200);
    assert_eq!(
        withdrawal_sources(&app, "alix@exemple.fr", None).await,
        ["page-everything"]
    );
    // The next session reaches the other address only.
    app.create_event(webinar("Sans Alix")).await;
    smtp.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = smtp.received();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].to, ["sacha@exemple.fr"]);
}

/// A GET of the link (a scanner's) changes nothing, however often; neither does a choice no page
/// offers; an unknown key gets a French 404 page; a one-click sent as multipart/form-data (RFC
/// 8058 allows it) leaves the one list.
async fn unsubscribe_links_change_nothing_on_get_and_refuse_unknown_keys(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    create_series(&app, "Hiver").await;
    add_subscriber(&app, "alix@exemple.fr", json!("all")).await;
    add_subscriber(&app, "alix@exemple.fr", json!({"series": "hiver"})).await;
    let made = app.create_event(episode("Hiver tranquille", "hiver")).await;
    let slug = made["slug"].as_str().unwrap().to_string();
    smtp.wait_for(1, Duration::from_secs(10)).await;
    let link = unsubscribe_link(&app, &smtp, "alix@exemple.fr");
    let (_, before) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    assert!(before["queued"].as_i64().unwrap() > 0, "{before:#}");
    let untouched = ["all active", "series:hiver active"];

    for _ in 0..3 {
        let (code, page) = get_page(&app, &link).await;
        assert_eq!(code, 200, "{page}");
        assert!(page.contains("Me désabonner de cette liste"), "{page}");
    }
    let path = link.strip_prefix(&app.address).unwrap();
    let (code, page) = form_post(&app, path, "portee=partout").await;
    assert_eq!(code, 400, "{page}");
    assert!(page.contains("Choix inconnu"), "{page}");
    assert_eq!(lists_of(&app, "alix@exemple.fr").await, untouched);
    assert!(withdrawal_sources(&app, "alix@exemple.fr", None)
        .await
        .is_empty());
    let (_, after) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    assert_eq!(after, before);

    for unknown in ["GET", "POST"] {
        let url = app.url("/desabonnement/cle-inconnue");
        let request = if unknown == "GET" {
            app.client.get(url)
        } else {
            app.client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("List-Unsubscribe=One-Click")
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 404, "{unknown}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = response.text().await.unwrap();
        assert!(page.contains("<html lang=\"fr\">"), "{page}");
        assert!(
            page.contains("Ce lien de désabonnement est inconnu"),
            "{unknown}: {page}"
        );
    }

    let response = app
        .client
        .post(&link)
        .header("content-type", "multipart/form-data; boundary=limite")
        .body(
            "--limite\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n\
             One-Click\r\n--limite--\r\n",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        lists_of(&app, "alix@exemple.fr").await,
        ["all active", "series:hiver unsubscribed"]
    );
    // The link again: this list is left already; the other can still be left.
    let (code, page) = get_page(&app, &link).await;
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains(&format!("déjà désabonnée de {HIVER}")),
        "{page}"
    );
    assert!(!page.contains("value=\"liste\""), "{page}");
    assert!(page.contains(">Me désabonner de tout</button>"), "{page}");
}

on_both_backends!(
    a_failed_pass_puts_back_the_batch_claimed_ahead,
    a_refused_reminder_is_retried_not_dropped,
    one_click_leaves_only_the_list_the_message_came_from,
    the_everything_button_leaves_every_list,
    unsubscribe_links_change_nothing_on_get_and_refuse_unknown_keys,
);

/// Someone on the list: active at once (consent collected elsewhere).
async fn subscribe_directly(app: &TestApp, email: &str) {
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": email, "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
}

/// A session moved to another day and place: its change notice says what recipients knew and
/// what holds now, for the date and times and for the place, in the text and the HTML.
async fn a_moved_session_says_when_and_where_it_was(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    subscribe_directly(&app, "lea@exemple.fr").await;
    let made = app
        .create_event(
            json!({"kind": "event", "status": "scheduled", "title": "Atelier d'hiver",
            "starts_at": "2027-12-08T09:00", "ends_at": "2027-12-08T10:00",
            "location": "Salle 1, Paris"}),
        )
        .await;
    let slug = made["slug"].as_str().unwrap().to_string();
    smtp.wait_for(1, Duration::from_secs(10)).await;
    let (code, doc) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"starts_at": "2027-12-09T14:00", "ends_at": "2027-12-09T15:30",
                "location": "Salle 2, Lyon"}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let change = parse(&got[1].data);
    assert!(
        change
            .subject
            .starts_with("Modifié : Atelier d'hiver, jeudi 9"),
        "{}",
        change.subject
    );
    let text = change.text().replace("\r\n", "\n");
    let nb = '\u{a0}';
    for expected in [
        "La session a changé (date ou horaire, lieu).".to_string(),
        format!(
            "Date et horaire :\n  Avant : mercredi 8{nb}décembre 2027, de 9{nb}h à 10{nb}h (heure de Paris)\n  Désormais : jeudi 9{nb}décembre 2027, de 14{nb}h à 15{nb}h{nb}30 (heure de Paris)\n"
        ),
        "Lieu :\n  Avant : Salle 1, Paris\n  Désormais : Salle 2, Lyon\n".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected:?} in:\n{text}");
    }
    let html = &change.part("text/html").unwrap().2;
    assert!(
        html.contains("<strong>Lieu</strong><br>Avant : Salle 1, Paris<br>Désormais : <strong>Salle 2, Lyon</strong>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("Avant : mercredi 8{nb}décembre 2027")),
        "{html}"
    );
}

/// Moved, then its time fixed before any dispatcher ran: the one notice that goes compares
/// with what recipients were told (the first time), not with the mistaken one in between.
async fn a_move_fixed_before_anyone_was_told_compares_with_what_they_knew(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    subscribe_directly(&app, "noe@exemple.fr").await;
    let made = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Données ouvertes",
            "starts_at": "2027-12-08T09:00", "ends_at": "2027-12-08T10:00", "reminders": []}),
        )
        .await;
    let slug = made["slug"].as_str().unwrap().to_string();
    let dispatcher = manual_dispatcher(&app, &smtp);
    assert_eq!(dispatcher.run_once().await.unwrap().sent, 1);
    let path = format!("/api/v1/events/{slug}");
    for patch in [
        json!({"starts_at": "2027-12-18T09:00", "ends_at": "2027-12-18T10:00"}),
        json!({"starts_at": "2027-12-10T09:00", "ends_at": "2027-12-10T10:00",
            "location": "Salle 3"}),
    ] {
        let (code, doc) = app.patch(&path, &patch).await;
        assert_eq!(code, 200, "{doc}");
    }
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let got = smtp.received();
    assert_eq!(got.len(), 2);
    let text = parse(&got[1].data).text().replace("\r\n", "\n");
    let nb = '\u{a0}';
    assert!(
        text.contains(&format!(
            "  Avant : mercredi 8{nb}décembre 2027, de 9{nb}h à 10{nb}h (heure de Paris)\n  Désormais : vendredi 10{nb}décembre 2027"
        )),
        "{text}"
    );
    assert!(!text.contains("18\u{a0}décembre"), "{text}");
    assert!(
        text.contains("Lieu :\n  Avant : en ligne\n  Désormais : Salle 3\n"),
        "{text}"
    );
    assert!(text.contains("(date ou horaire, lieu)"), "{text}");
    let (_, outbox) = app.get(&format!("{path}/outbox")).await;
    let changes = messages_of(&outbox, "change");
    assert_eq!(changes.len(), 2, "{outbox:#}");
    assert_eq!(changes[1]["status"], "dropped");
    assert_eq!(
        changes[1]["last_error"],
        "a newer change notice replaces this one"
    );
}

/// The organisers' reason for a cancellation reaches the mail, the page and the .ics; a bad
/// reason is refused and changes nothing; a new reason replaces it without a new notice; a
/// bare POST still cancels (and keeps the reason).
async fn a_cancellation_gives_its_reason_everywhere(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    subscribe_directly(&app, "ines@exemple.fr").await;
    let made = app.create_event(webinar("Accessibilité numérique")).await;
    let slug = made["slug"].as_str().unwrap().to_string();
    smtp.wait_for(1, Duration::from_secs(10)).await;
    let cancel = format!("/api/v1/events/{slug}/cancel");

    for (body, field) in [
        (json!({"reason": "x".repeat(501)}), "reason"),
        (json!({"reason": 42}), "reason"),
        (json!({"reason": ["souffrante"]}), "reason"),
        (json!({"motif": "souffrante"}), ""),
    ] {
        let (code, problem) = app.post(&cancel, &body).await;
        assert_eq!(code, 422, "{body}: {problem}");
        assert_eq!(problem["type"], "urn:eventail:problem:invalid-fields");
        if !field.is_empty() {
            assert_eq!(crate::helpers::error_fields(&problem), [field], "{problem}");
        }
    }
    let response = app
        .client
        .post(app.url(&cancel))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"reason\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(crate::helpers::read(response).await.0, 400);
    let response = app
        .client
        .post(app.url(&cancel))
        .bearer_auth(&app.token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("reason=souffrante")
        .send()
        .await
        .unwrap();
    assert_eq!(crate::helpers::read(response).await.0, 415);
    let (_, unchanged) = app.get(&format!("/api/v1/events/{slug}")).await;
    assert_eq!(unchanged["status"], "scheduled");
    assert_eq!(unchanged["sequence"], 0);
    assert_eq!(unchanged["updated_at"], made["updated_at"]);

    let reason = "L'intervenante est souffrante ; la session sera reprogrammée.";
    let (code, doc) = app
        .post(&cancel, &json!({"reason": format!("  {reason}\n")}))
        .await;
    assert_eq!(code, 200, "{doc}");
    assert_eq!(doc["status"], "cancelled");
    assert_eq!(doc["cancel_reason"], reason);
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let mail = parse(&got[1].data);
    assert!(
        mail.subject.starts_with("Annulé : Accessibilité numérique"),
        "{}",
        mail.subject
    );
    let text = mail.text().replace("\r\n", "\n");
    assert!(
        text.contains(&format!(
            "La session suivante est annulée :\n\nMotif : {reason}\n"
        )),
        "{text}"
    );
    let html = &mail.part("text/html").unwrap().2;
    assert!(
        html.contains(
            "<br>Motif : L&#x27;intervenante est souffrante ; la session sera reprogrammée.</p>"
        ),
        "{html}"
    );
    let (code, page) = get_page(&app, &app.url(&format!("/events/{slug}"))).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("Cette session est annulée.<br>Motif : L&#x27;intervenante est souffrante"),
        "{page}"
    );
    let (code, ics) = get_page(&app, &app.url(&format!("/events/{slug}.ics"))).await;
    assert_eq!(code, 200);
    let description = calendar_field(&ics, "DESCRIPTION").unwrap();
    assert!(
        description.starts_with(
            "Cette session est annulée. Motif : L'intervenante est souffrante \\; la session sera reprogrammée.\\n\\n"
        ),
        "{description}"
    );

    // A new reason replaces the old one: the page and calendars show it, nobody is mailed.
    let (code, again) = app
        .post(&cancel, &json!({"reason": "Grève des transports."}))
        .await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["cancel_reason"], "Grève des transports.");
    assert_eq!(again["sequence"], doc["sequence"]);
    let (_, page) = get_page(&app, &app.url(&format!("/events/{slug}"))).await;
    assert!(page.contains("Motif : Grève des transports."), "{page}");
    // Without a body, or without a reason, cancelling again keeps it.
    let response = app
        .client
        .post(app.url(&cancel))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    let (code, bare) = crate::helpers::read(response).await;
    assert_eq!(code, 200, "{bare}");
    assert_eq!(bare["cancel_reason"], "Grève des transports.");
    assert_eq!(bare["updated_at"], again["updated_at"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        smtp.received().len(),
        2,
        "the announcement and one cancellation"
    );
}

/// A cancelled session scheduled again sends « Rétablie » once, not a change notice, with the
/// calendar part that puts it back; its cancellation reason is gone.
async fn a_reinstated_session_says_so_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(db, &smtp).await;
    subscribe_directly(&app, "ines@exemple.fr").await;
    let made = app.create_event(webinar("Accessibilité numérique")).await;
    let slug = made["slug"].as_str().unwrap().to_string();
    smtp.wait_for(1, Duration::from_secs(10)).await;
    let (code, doc) = app
        .post(
            &format!("/api/v1/events/{slug}/cancel"),
            &json!({"reason": "Grève des transports."}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    smtp.wait_for(2, Duration::from_secs(10)).await;

    let (code, back) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"status": "scheduled"}),
        )
        .await;
    assert_eq!(code, 200, "{back}");
    assert_eq!(back["cancel_reason"], Value::Null);
    let got = smtp.wait_for(3, Duration::from_secs(10)).await;
    let reinstated = parse(&got[2].data);
    assert!(
        reinstated
            .subject
            .starts_with("Rétablie : Accessibilité numérique, "),
        "{}",
        reinstated.subject
    );
    assert!(
        reinstated.text().contains(
            "La session suivante, annoncée comme annulée, est rétablie : elle aura bien lieu."
        ),
        "{}",
        reinstated.text()
    );
    assert!(!reinstated.text().contains("Avant :"));
    assert!(reinstated
        .text()
        .contains("Rejoindre : https://visio.example.org/salle"));
    let (_, method, ics) = reinstated.part("text/calendar").unwrap().clone();
    assert_eq!(method.as_deref(), Some("PUBLISH"));
    assert_eq!(calendar_field(&ics, "STATUS").as_deref(), Some("CONFIRMED"));
    assert_eq!(calendar_field(&ics, "SEQUENCE").as_deref(), Some("2"));
    let (_, page) = get_page(&app, &app.url(&format!("/events/{slug}"))).await;
    assert!(!page.contains("Motif"), "{page}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subjects: Vec<String> = smtp
        .received()
        .iter()
        .map(|m| parse(&m.data).subject)
        .collect();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(
        !subjects.iter().any(|s| s.starts_with("Modifié")),
        "{subjects:?}"
    );
}

/// Cancelled and reinstated twice, on a new day, before any dispatcher ran: one « Rétablie »
/// that says the day moved, and neither cancellation (the session is not cancelled).
async fn reinstated_twice_before_anyone_was_told_says_so_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_without_dispatcher(db, &smtp).await;
    subscribe_directly(&app, "rose@exemple.fr").await;
    let made = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Cartographie",
            "starts_at": "2027-12-08T09:00", "ends_at": "2027-12-08T10:00", "reminders": []}),
        )
        .await;
    let slug = made["slug"].as_str().unwrap().to_string();
    let dispatcher = manual_dispatcher(&app, &smtp);
    assert_eq!(dispatcher.run_once().await.unwrap().sent, 1);
    let path = format!("/api/v1/events/{slug}");
    for back in [
        json!({"status": "scheduled"}),
        json!({"status": "scheduled", "starts_at": "2027-12-15T09:00", "ends_at": "2027-12-15T10:00"}),
    ] {
        let (code, doc) = app.post(&format!("{path}/cancel"), &json!({})).await;
        assert_eq!(code, 200, "{doc}");
        let (code, doc) = app.patch(&path, &back).await;
        assert_eq!(code, 200, "{doc}");
    }
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let got = smtp.received();
    assert_eq!(got.len(), 2);
    let mail = parse(&got[1].data);
    assert!(
        mail.subject
            .starts_with("Rétablie : Cartographie, mercredi 15"),
        "{}",
        mail.subject
    );
    let text = mail.text().replace("\r\n", "\n");
    assert!(
        text.contains("elle aura bien lieu, avec ces changements."),
        "{text}"
    );
    assert!(
        text.contains(
            "  Avant : mercredi 8\u{a0}décembre 2027, de 9\u{a0}h à 10\u{a0}h (heure de Paris)\n"
        ),
        "{text}"
    );
    let (_, outbox) = app.get(&format!("{path}/outbox")).await;
    let reinstatements = messages_of(&outbox, "reinstatement");
    assert_eq!(reinstatements.len(), 2, "{outbox:#}");
    assert_eq!(reinstatements[1]["status"], "dropped");
    let cancellations = messages_of(&outbox, "cancellation");
    assert_eq!(cancellations.len(), 2, "{outbox:#}");
    assert!(
        cancellations.iter().all(|m| m["status"] == "dropped"),
        "{outbox:#}"
    );
}

on_both_backends!(
    a_moved_session_says_when_and_where_it_was,
    a_move_fixed_before_anyone_was_told_compares_with_what_they_knew,
    a_cancellation_gives_its_reason_everywhere,
    a_reinstated_session_says_so_once,
    reinstated_twice_before_anyone_was_told_says_so_once,
    notices_survive_edits_and_people_come_back,
    a_lifecycle_sends_each_notice_once,
    double_opt_in_then_notices,
    temporary_refusals_are_retried_then_delivered_once,
    permanent_refusals_stop_and_can_be_retried,
    refused_connections_are_retried,
    reminders_leave_on_time,
    reminders_missed_while_down,
    an_unknown_kind_of_message_fails_alone,
    instances_share_the_outbox,
    a_dead_dispatchers_lease_is_taken_over,
    subscribing_is_rate_limited,
    subscribe_answers_tell_nothing,
    organiser_api_for_subscribers,
    file_transport_by_default,
    announcements_name_the_kind_once,
);

/// Postfix's smtp-sink on a free loopback port, dumping each message it accepts into `dump`;
/// `extra` adds its options (`-Q RCPT`: answer RCPT with 421 and hang up).
struct SmtpSink {
    child: std::process::Child,
    port: u16,
}

impl SmtpSink {
    fn start(port: u16, dump: &std::path::Path, extra: &[&str]) -> SmtpSink {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dump, std::fs::Permissions::from_mode(0o777)).unwrap();
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        let mut command = std::process::Command::new("/usr/sbin/smtp-sink");
        if root {
            command.args(["-u", "nobody"]);
        }
        let child = command
            .args(extra)
            .arg("-d")
            .arg(format!("{}/%M.", dump.display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("100")
            .spawn()
            .expect("smtp-sink (apt-get install postfix; .ci/run installs it)");
        let mut sink = SmtpSink { child, port };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!("smtp-sink exited ({status}): port {port} taken, or {dump:?} not writable");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "smtp-sink did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sink
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pool of two SMTP connections sends a burst through those two: a connection given back
/// is there for the next message (lettre recycled it in a task of its own, after the next
/// message had opened a connection of its own; about one message in ten did so at full speed).
#[tokio::test]
async fn a_burst_goes_through_the_pool_s_connections() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, move |f| {
        f.merge(("mail.smtp_url", url))
            .merge(("mail.smtp_pool_size", 2))
            .merge(("mail.rate_per_second", 100_000.0))
    })
    .await;
    let n = 80;
    for i in 0..n {
        let (code, doc) = app
            .post(
                "/api/v1/subscribers",
                &json!({"email": format!("lecteur.{i}@exemple.fr"), "scope": "all",
                    "consent": {"source": "liste de l'atelier", "at": "2026-10-01T10:00:00+02:00"}}),
            )
            .await;
        assert_eq!(code, 201, "{doc}");
    }
    let before = smtp.connections();
    app.create_event(webinar("En rafale")).await;
    let received = smtp.wait_for(n, Duration::from_secs(30)).await;
    assert_eq!(received.len(), n);
    let opened = smtp.connections() - before;
    assert!(opened <= 2, "{opened} connections opened for {n} messages");
}

/// Postfix's smtp-sink offers PIPELINING (the other tests' server does not), so MAIL, RCPT and
/// DATA go in one write: a relay that answers RCPT with 421 and hangs up gets the message again
/// later, none half-sent; once it accepts, the message arrives once and whole.
#[tokio::test]
#[ignore = "needs smtp-sink (postfix)"]
async fn a_pipelining_relay_gets_each_message_once() {
    let dump = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let refusing = SmtpSink::start(port, dump.path(), &["-Q", "RCPT"]);
    let url = refusing.url();
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, move |f| {
        f.merge(("mail.smtp_url", url))
    })
    .await;
    let (code, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "alix@exemple.fr", "scope": "all",
                "consent": {"source": "liste de l'atelier", "at": "2026-10-01T10:00:00+02:00"}}),
        )
        .await;
    assert_eq!(code, 201, "{doc}");
    let made = app.create_event(webinar("En une fois")).await;
    let slug = made["slug"].as_str().unwrap().to_string();
    let refused = outbox_until(&app, &slug, Duration::from_secs(20), |r| {
        messages_of(r, "announcement")
            .first()
            .is_some_and(|m| m["last_error"].as_str().is_some_and(|e| e.contains("421")))
    })
    .await;
    // Queued for a retry, or already claimed again for it.
    let status = &messages_of(&refused, "announcement")[0]["status"];
    assert!(status == "queued" || status == "sending", "{refused:#}");
    drop(refusing);
    assert_eq!(
        std::fs::read_dir(dump.path()).unwrap().count(),
        0,
        "nothing delivered"
    );

    let _accepting = SmtpSink::start(port, dump.path(), &[]);
    outbox_until(&app, &slug, Duration::from_secs(30), |r| {
        messages_of(r, "announcement")
            .first()
            .is_some_and(|m| m["status"] == "sent")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let files: Vec<_> = std::fs::read_dir(dump.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "delivered once: {files:?}");
    let mail = parse(&std::fs::read(&files[0]).unwrap());
    assert!(
        mail.subject.starts_with("Webinaire : En une fois"),
        "{}",
        mail.subject
    );
    let kinds: Vec<&str> = mail.parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(kinds, ["text/plain", "text/html", "text/calendar"]);
    assert_eq!(
        mail.header("X-Rcpt-Args").as_deref(),
        Some("<alix@exemple.fr>")
    );
    assert_list_headers(&mail, &app.address);
}
