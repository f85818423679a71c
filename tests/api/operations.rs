//! What operators run beside the service: `eventail backup` while it serves, `eventail
//! migrate-data` from SQLite to another database (keeping every calendar UID), `eventail
//! check-config`, and logs without colour codes when they go to a file.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;

fn eventail(dir: &Path, database_url: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("EVENTAIL_DATABASE_URL", database_url)
        .env("RUST_LOG", "info")
        .output()
        .expect("eventail runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One subscriber to everything, with consent given elsewhere (no confirmation mail).
async fn subscribe_to_everything(app: &TestApp) {
    let (status, body) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "abonnee@example.org", "scope": "all",
                    "consent": {"source": "liste reprise", "at": "2026-01-04T09:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// What a move between databases must keep: sessions with their registrations, speakers and
/// series, subscribers, the mail already planned, a cancellation.
async fn fill(app: &TestApp) -> Vec<String> {
    subscribe_to_everything(app).await;
    let mut slugs = Vec::new();
    for (i, title) in [
        "Atelier « sobriété »",
        "Webinaire données",
        "Conférence annulée",
    ]
    .iter()
    .enumerate()
    {
        let event = app
            .create_event(json!({
                "kind": "webinar", "status": "scheduled", "title": title,
                "starts_at": format!("2042-06-0{}T14:00", i + 2), "ends_at": format!("2042-06-0{}T15:00", i + 2),
                "series": {"title": "Les rendez-vous"},
                "speakers": [{"name": "Camille Martin", "role": "cheffe de projet"}],
                "registration_required": true, "capacity": 2,
                "links": {"join": "https://visio.example.org/salle"},
            }))
            .await;
        let slug = event["slug"].as_str().unwrap_or_default().to_string();
        for who in ["a", "b", "c"] {
            let (status, body) = app
                .post(
                    &format!("/api/v1/events/{slug}/registrations"),
                    &json!({"email": format!("{who}@example.org"), "name": format!("Personne {who}")}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        slugs.push(slug);
    }
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{}/cancel", slugs[2]),
            &json!({"reason": "La salle n'est plus libre."}),
        )
        .await;
    assert_eq!(status, 200);
    slugs
}

async fn feed(app: &TestApp) -> String {
    app.client
        .get(app.url("/calendar.ics"))
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("feed text")
}

fn uids(calendar: &str) -> BTreeSet<String> {
    calendar
        .lines()
        .filter_map(|l| l.strip_prefix("UID:"))
        .map(str::to_string)
        .collect()
}

/// Every table's row count, and the outbox by kind and status.
async fn counts(app: &TestApp) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in [
        "events",
        "speakers",
        "series",
        "event_speakers",
        "event_changes",
        "subscriptions",
        "registrations",
        "outbox",
        "outbox_state",
        "api_tokens",
        "consent_log",
    ] {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(app.store.pool())
            .await
            .expect("count");
        out.push((table.to_string(), n));
    }
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT o.kind, s.status, COUNT(*) FROM outbox o JOIN outbox_state s ON s.id = o.id \
         GROUP BY o.kind, s.status ORDER BY o.kind, s.status",
    )
    .fetch_all(app.store.pool())
    .await
    .expect("outbox");
    out.extend(
        rows.into_iter()
            .map(|(kind, status, n)| (format!("outbox {kind} {status}"), n)),
    );
    out
}

/// Waits until `app`'s dispatcher has nothing due or in hand (so its outbox holds still).
async fn settled(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now = chrono::Utc::now().timestamp_micros();
        let (busy,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox_state WHERE status = 'sending' \
             OR (status = 'queued' AND due_at <= $1)",
        )
        .bind(now)
        .fetch_one(app.store.pool())
        .await
        .expect("outbox");
        if busy == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{busy} messages still in hand"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

on_both_backends!(
    migrate_data_keeps_every_session_s_uid,
    metrics_move_after_a_send_and_a_feed_hit,
);

/// SQLite to `target` (the backend the test is named after) with `eventail migrate-data --to`:
/// the same calendar (UIDs, sequences, every line), the same sessions through the API, the
/// same rows; the new database takes writes (the outbox's ids go on after the copied ones); a
/// second copy into it is refused.
async fn migrate_data_keeps_every_session_s_uid(target: Db) {
    let source = spawn_app(Db::Sqlite).await;
    let slugs = fill(&source).await;
    let calendar = feed(&source).await;
    assert_eq!(uids(&calendar).len(), 3, "{calendar}");
    let (_, listed) = source.get("/api/v1/events?limit=100").await;
    let mut registrations = Vec::new();
    for slug in &slugs {
        let (status, list) = source
            .get(&format!("/api/v1/events/{slug}/registrations"))
            .await;
        assert_eq!(status, 200);
        registrations.push(list);
    }
    // The tests' token goes with the data: revoked, so the new app can take the name.
    source.store.revoke_token("tests").await.expect("revoke");
    settled(&source).await;
    let before = counts(&source).await;

    let fresh = FreshDb::new(target).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let run = eventail(
        dir.path(),
        &source._db.url,
        &["migrate-data", "--to", &fresh.url],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let said = text(&run.stdout);
    assert!(said.contains("3  events"), "{said}");
    assert!(said.contains("copied in"), "{said}");

    let moved = spawn_app_with(fresh, |f| f).await;
    let after = feed(&moved).await;
    assert_eq!(uids(&after), uids(&calendar));
    // The same calendar, property for property, but the stamp of when it was written and the
    // address each test server listens on.
    let properties = |c: &str, address: &str| -> Vec<String> {
        let mut unfolded: Vec<String> = Vec::new();
        for line in c.lines() {
            match (line.strip_prefix(' '), unfolded.last_mut()) {
                (Some(rest), Some(last)) => last.push_str(rest),
                _ => unfolded.push(line.to_string()),
            }
        }
        unfolded
            .into_iter()
            .filter(|l| !l.starts_with("DTSTAMP"))
            .map(|l| l.replace(address, "http://agenda"))
            .collect()
    };
    assert_eq!(
        properties(&after, &moved.address),
        properties(&calendar, &source.address)
    );
    let (_, relisted) = moved.get("/api/v1/events?limit=100").await;
    assert_eq!(
        relisted["items"]
            .to_string()
            .replace(&moved.address, "http://agenda"),
        listed["items"]
            .to_string()
            .replace(&source.address, "http://agenda")
    );
    // The tests' token of the new app is one row more.
    let mut expected = before.clone();
    for (table, n) in expected.iter_mut() {
        if table == "api_tokens" {
            *n += 1;
        }
    }
    assert_eq!(counts(&moved).await, expected);
    for (slug, was) in slugs.iter().zip(&registrations) {
        let (status, list) = moved
            .get(&format!("/api/v1/events/{slug}/registrations"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(&list, was);
    }

    // Writes go on: a new session plans its announcement after the copied messages.
    let created = moved
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Après le déménagement",
            "starts_at": "2042-07-01T10:00", "ends_at": "2042-07-01T11:00"}),
        )
        .await;
    assert_eq!(created["sequence"], 0);
    let outbox = |c: &[(String, i64)]| c.iter().find(|(t, _)| t == "outbox").map(|(_, n)| *n);
    assert!(
        outbox(&counts(&moved).await) > outbox(&before),
        "the announcement was planned"
    );

    // Into a database that holds data: refused, and nothing in it changes (rows counted by
    // table: the new app's dispatcher may be sending meanwhile).
    let tables = |c: Vec<(String, i64)>| -> Vec<(String, i64)> {
        c.into_iter()
            .filter(|(t, _)| !t.starts_with("outbox "))
            .collect()
    };
    let again_before = tables(counts(&moved).await);
    let run = eventail(
        dir.path(),
        &source._db.url,
        &["migrate-data", "--to", &moved._db.url],
    );
    assert_eq!(run.status.code(), Some(1));
    let err = text(&run.stderr);
    assert!(err.contains("already holds data"), "{err}");
    assert_eq!(tables(counts(&moved).await), again_before);
}

/// `eventail backup` while the service serves and writes: a complete, consistent SQLite file
/// that opens as a store; an existing file is never overwritten; PostgreSQL is sent to pg_dump.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_the_sqlite_database_while_it_serves() {
    let app = spawn_app(Db::Sqlite).await;
    fill(&app).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("sauvegarde.db");
    let out_text = out.display().to_string();
    // Writes during the backup.
    let writer = {
        let client = app.client.clone();
        let url = app.url("/api/v1/events");
        let token = app.token.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let _ = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"kind": "video", "title": format!("Vidéo {i}")}))
                    .send()
                    .await;
            }
        })
    };
    let run = eventail(dir.path(), &app._db.url, &["backup", "--out", &out_text]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("backup written to"));
    writer.await.expect("writer");
    assert!(!dir.path().join("sauvegarde.db.partial").exists());

    let copy = eventail::store::Store::connect(&format!("sqlite://{out_text}"), 1)
        .await
        .expect("the backup opens");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(copy.pool())
        .await
        .expect("integrity check");
    assert_eq!(check, "ok");
    assert_eq!(copy.schema_state().await.expect("schema"), (0, 0));
    let n = copy.count_events().await.expect("count");
    assert!((3..=23).contains(&n), "{n} sessions");
    copy.close().await;

    let again = eventail(dir.path(), &app._db.url, &["backup", "--out", &out_text]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"));

    let pg = eventail(
        dir.path(),
        "postgres://postgres@127.0.0.1:1/none",
        &["backup", "--out", &out_text],
    );
    assert_eq!(pg.status.code(), Some(1));
}

/// `eventail check-config`: every value, then the database and the mail folder; a bad value
/// is one PROBLEM line and exit status 1. Logs written to a pipe carry no colour codes.
#[test]
fn check_config_names_each_problem_and_logs_have_no_colour_codes_in_files() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/data/eventail.db", dir.path().display());
    let good = eventail(dir.path(), &url, &["check-config"]);
    let out = text(&good.stdout);
    assert!(good.status.success(), "{out}{}", text(&good.stderr));
    for line in [
        "ok       http.bind",
        "ok       database",
        "ok       mail relay",
    ] {
        assert!(out.contains(line), "{line} in\n{out}");
    }
    assert!(out.contains("migrations to run"), "{out}");

    // The service's log written to a pipe (a file, journald): plain text.
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("EVENTAIL_DATABASE_URL", &url)
        .env("EVENTAIL_HTTP_BIND", "127.0.0.1:0")
        .env(
            "EVENTAIL_METRICS__BIND",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut logs = String::new();
    if let Some(stderr) = serve.stderr.take() {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            logs.push_str(&line);
            logs.push('\n');
            if line.contains("eventail is serving") {
                break;
            }
        }
    }
    // `eventail healthcheck` asks it, as a container's health check does.
    let address = logs
        .split_whitespace()
        .find_map(|w| w.strip_prefix("address="))
        .unwrap_or_default()
        .to_string();
    let ready_url = format!("http://{address}/readyz");
    let ready = eventail(dir.path(), &url, &["healthcheck", "--url", &ready_url]);
    // /metrics: on metrics.bind without a token; not on the main address without one set.
    let private = format!("http://127.0.0.1:{metrics_port}/metrics");
    let metrics = eventail(dir.path(), &url, &["healthcheck", "--url", &private]);
    let public = format!("http://{address}/metrics");
    let hidden = eventail(dir.path(), &url, &["healthcheck", "--url", &public]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(ready.status.success(), "{logs}{}", text(&ready.stderr));
    assert!(metrics.status.success(), "{}", text(&metrics.stderr));
    assert!(
        text(&hidden.stderr).contains("answered 404"),
        "{}",
        text(&hidden.stderr)
    );
    let gone = eventail(dir.path(), &url, &["healthcheck", "--url", &ready_url]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).starts_with("error: "),
        "{}",
        text(&gone.stderr)
    );
    assert!(
        logs.contains("INFO") && logs.contains("eventail is serving"),
        "{logs}"
    );
    assert!(!logs.contains('\u{1b}'), "colour codes in a file: {logs:?}");
    // serve migrated: the schema is up to date.
    let good = eventail(dir.path(), &url, &["check-config"]);
    assert!(text(&good.stdout).contains("(schema up to date)"));

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .args(["check-config", "--offline"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("EVENTAIL_DATABASE_URL", &url)
        .env("EVENTAIL_HTTP_BIND", "partout")
        .env("EVENTAIL_MAIL_FROM", "pas une adresse")
        .output()
        .expect("runs");
    // A value the loader itself refuses stops at once, in one line.
    let err = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1));
    assert!(err.starts_with("error: "), "{err}");

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .args(["check-config"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env(
            "EVENTAIL_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/absente",
        )
        .env("EVENTAIL_MAIL_SMTP_URL", "smtp://127.0.0.1:1")
        .output()
        .expect("runs");
    let out = text(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{out}");
    assert!(out.contains("PROBLEM  database"), "{out}");
    assert!(out.contains("PROBLEM  mail relay"), "{out}");
    assert!(
        text(&bad.stderr).contains("2 problems"),
        "{}",
        text(&bad.stderr)
    );
}

/// The value of the sample of `name` whose labels include every one of `labels`; 0 if none.
fn sample(scraped: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    scraped
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split(['{', ' '])
                .next()
                .is_some_and(|metric| metric == name)
        })
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("metrics");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// `/metrics` with its token: an announcement sent and a feed fetched then revalidated move
/// the counters of messages, HTTP requests, feed answers and the render cache; the outbox and
/// the pool are there. Without the token (or with another) it answers 401.
async fn metrics_move_after_a_send_and_a_feed_hit(db: Db) {
    let token = "jeton-des-metriques";
    let app = spawn_app_with(FreshDb::new(db).await, |f| {
        f.merge(("metrics.token", token))
    })
    .await;
    assert_eq!(scrape(&app, None).await.0, 401);
    assert_eq!(scrape(&app, Some("autre")).await.0, 401);
    let (status, before) = scrape(&app, Some(token)).await;
    assert_eq!(status, 200);
    assert!(before.ends_with("# EOF\n"), "{before}");
    let sent = |s: &str| sample(s, "eventail_mail_messages_total", &[("outcome", "sent")]);
    let feed = |s: &str, status: &str| {
        sample(
            s,
            "eventail_feed_answers_total",
            &[
                ("feed", "calendar"),
                ("status", status),
                ("coding", "identity"),
            ],
        )
    };

    // An announcement to a subscriber, sent through the file transport.
    subscribe_to_everything(&app).await;
    app.create_event(
        json!({"kind": "webinar", "status": "scheduled", "title": "Webinaire compté",
        "starts_at": "2042-06-02T14:00", "ends_at": "2042-06-02T15:00"}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after_send = loop {
        let (_, now) = scrape(&app, Some(token)).await;
        // Counted when it leaves; marked in the outbox just after.
        let marked = sample(&now, "eventail_outbox_messages", &[("status", "sent")]) >= 1.0;
        if (sent(&now) > sent(&before) && marked) || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(sent(&after_send) >= 1.0, "{after_send}");
    assert!(
        sample(
            &after_send,
            "eventail_outbox_messages",
            &[("status", "sent")]
        ) >= 1.0,
        "{after_send}"
    );

    // The feed: a 200, then a 304 on its ETag.
    let first = app
        .client
        .get(app.url("/calendar.ics"))
        .send()
        .await
        .expect("feed");
    assert_eq!(first.status().as_u16(), 200);
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let again = app
        .client
        .get(app.url("/calendar.ics"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("feed");
    assert_eq!(again.status().as_u16(), 304);

    let (_, after) = scrape(&app, Some(token)).await;
    assert_eq!(
        feed(&after, "200") - feed(&after_send, "200"),
        1.0,
        "{after}"
    );
    assert_eq!(
        feed(&after, "304") - feed(&after_send, "304"),
        1.0,
        "{after}"
    );
    let requests = |s: &str, status: &str| {
        sample(
            s,
            "eventail_http_requests_total",
            &[
                ("route", "/calendar.ics"),
                ("method", "GET"),
                ("status", status),
            ],
        )
    };
    assert_eq!(requests(&after, "304"), 1.0, "{after}");
    assert!(
        sample(
            &after,
            "eventail_http_request_duration_seconds_count",
            &[("route", "/calendar.ics")]
        ) >= 2.0,
        "{after}"
    );
    assert!(
        sample(
            &after,
            "eventail_http_requests_total",
            &[("route", "/api/v1/events"), ("status", "201")]
        ) >= 1.0,
        "{after}"
    );
    let lookups = |s: &str| sample(s, "eventail_render_cache_lookups_total", &[]);
    assert!(lookups(&after) > lookups(&after_send), "{after}");
    for name in [
        "eventail_database_connections",
        "eventail_mail_dispatch_lag_seconds",
        "eventail_mail_lease_takeovers_total",
        "eventail_reminder_lateness_seconds_count",
    ] {
        assert!(after.contains(name), "{name} in\n{after}");
    }
}

/// `/readyz` on an instance that sends mail: 503 once a due message has waited longer than
/// `mail.ready_lag_seconds`, ready again once it has left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_mail_has_fallen_behind() {
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, |f| {
        f.merge(("mail.ready_lag_seconds", 60))
    })
    .await;
    let ready = |app: &TestApp| {
        let request = app.client.get(app.url("/readyz"));
        async move {
            let response = request.send().await.expect("readyz");
            (
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(ready(&app).await.0, 200);
    // A message due an hour ago that no dispatcher has taken (written behind its back: the
    // dispatcher, asleep on an empty outbox, is not woken). On a loaded machine its first pass
    // may still be running and take the message (it marks it failed: an unknown kind); then
    // the message goes and comes again once that pass is over.
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).timestamp_micros();
    let mut tries = 0;
    let (status, body) = loop {
        sqlx::query(
            "INSERT INTO outbox (dedup_key, kind, recipient, created_at) \
             VALUES ('en-retard', 'test', 'x@example.org', $1)",
        )
        .bind(hour_ago)
        .execute(app.store.pool())
        .await
        .expect("insert");
        sqlx::query(
            "INSERT INTO outbox_state (id, status, due_at, updated_at) \
             SELECT id, 'queued', $1, $1 FROM outbox WHERE dedup_key = 'en-retard'",
        )
        .bind(hour_ago)
        .execute(app.store.pool())
        .await
        .expect("insert its state");
        let answer = ready(&app).await;
        // Still queued after the answer, so queued when it was made.
        let status: String = sqlx::query_scalar(
            "SELECT s.status FROM outbox o JOIN outbox_state s ON s.id = o.id \
             WHERE o.dedup_key = 'en-retard'",
        )
        .fetch_one(app.store.pool())
        .await
        .expect("its status");
        tries += 1;
        if status == "queued" || tries == 5 {
            assert_eq!(status, "queued", "taken by the dispatcher {tries} times");
            break answer;
        }
        sqlx::query("DELETE FROM outbox WHERE dedup_key = 'en-retard'")
            .execute(app.store.pool())
            .await
            .expect("delete");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("behind"), "{body}");
    // Its state goes with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM outbox WHERE dedup_key = 'en-retard'")
        .execute(app.store.pool())
        .await
        .expect("delete");
    assert_eq!(ready(&app).await.0, 200);
}
