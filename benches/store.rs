//! Store benchmark: time to insert N sessions (default 100,000) through the same path as the
//! API (validation, slug allocation, speakers, tags, history), then the latency of filtered
//! list pages over them, through the real HTTP server.
//!
//!     cargo bench --bench store                         # SQLite, plus PostgreSQL if reachable
//!     BENCH_EVENTS=10000 cargo bench --bench store      # a quicker run
//!
//! BENCH_BACKENDS=sqlite or =postgres runs one backend; BENCH_PG_WRITERS (default 8) sets how
//! many concurrent writers fill PostgreSQL (SQLite always gets one).
//! PostgreSQL is reached through DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
//! a fresh database is created and dropped. The SQLite file is kept in target/bench/ for
//! bench/http.sh to serve.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono_tz::Europe::Paris;
use eventail::config::Settings;
use eventail::domain::EventInput;
use eventail::startup::{open_store, Application};
use eventail::store::Store;
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::Connection;

const KINDS: [&str; 3] = ["webinar", "event", "video"];
const TAGS: [&str; 6] = [
    "sobriété",
    "accessibilité",
    "écoconception",
    "données",
    "achats",
    "formation",
];

fn settings(url: &str) -> Settings {
    Settings::from_figment(
        Settings::defaults()
            .merge(("database.url", url))
            .merge(("http.bind", "127.0.0.1:0")),
    )
    .expect("settings")
}

fn session(i: usize) -> serde_json::Value {
    // Sessions spread over ten years, one every ~50 minutes, with a mix of kinds and tags.
    let start = chrono::DateTime::from_timestamp(1_600_000_000 + (i as i64) * 3_000, 0).unwrap();
    json!({
        "kind": KINDS[i % 3],
        "status": if i % 10 == 0 { "draft" } else { "scheduled" },
        "title": format!("Webinaire n° {i} : numérique responsable et sobriété"),
        "summary": "Une heure pour découvrir les bonnes pratiques, avec des exemples concrets.",
        "body": "## Programme\n\nPrésentation, démonstration, questions.\n",
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339(),
        "series": if i % 4 == 0 { json!("les-mercredis") } else { serde_json::Value::Null },
        "speakers": [{"name": format!("Intervenant {}", i % 500), "role": "cheffe de projet"}],
        "links": {"join": "https://visio.example.org/salle", "registration": "https://forms.example.org/x"},
        "programme": ["Accueil", "Présentation", "Questions"],
        "tags": [TAGS[i % 6], TAGS[(i / 6) % 6]],
        "capacity": 300,
    })
}

async fn fill(store: &Store, n: usize, writers: usize) -> Duration {
    let series = EventInput::from_json(json!({"kind": "video", "title": "seed", "series": {"slug": "les-mercredis", "title": "Les mercredis"}}))
        .unwrap()
        .validate(Paris)
        .unwrap();
    store.create_event(series).await.unwrap();
    let started = Instant::now();
    // When each tenth of the sessions was in: the rate per tenth shows whether inserting slows
    // as the table grows.
    let done = Arc::new(AtomicUsize::new(0));
    let tenths = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tenth = (n / 10).max(1);
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            let done = done.clone();
            let tenths = tenths.clone();
            tokio::spawn(async move {
                for i in (w..n).step_by(writers) {
                    let spec = EventInput::from_json(session(i))
                        .unwrap()
                        .validate(Paris)
                        .unwrap();
                    store.create_event(spec).await.unwrap();
                    let count = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if count % tenth == 0 {
                        tenths.lock().unwrap().push((count, started.elapsed()));
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let took = started.elapsed();
    let mut tenths = tenths.lock().unwrap().clone();
    tenths.sort();
    let mut previous = (0, Duration::ZERO);
    let mut rates = Vec::new();
    for (count, at) in tenths {
        let rate = (count - previous.0) as f64 / (at - previous.1).as_secs_f64();
        println!(
            "  sessions {:>7} to {:>7}: {rate:>6.0} sessions/s",
            previous.0, count
        );
        rates.push(rate);
        previous = (count, at);
    }
    if let (Some(first), Some(last)) = (rates.first(), rates.last()) {
        println!(
            "  RESULT insert_rate first_tenth={first:.0} last_tenth={last:.0} last/first={:.2}",
            last / first
        );
    }
    // Fresh statistics, as autovacuum (PostgreSQL) or an operator would give them; without
    // them PostgreSQL's planner misjudges the filtered lists.
    sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    took
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

async fn measure_lists(store: Store, url: &str, n: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = Application::with_listener(settings(url), store.clone(), listener).unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    let server = tokio::spawn(app.run_until(std::future::pending()));
    let token = store
        .create_token(&format!("bench-{}", uuid::Uuid::new_v4()))
        .await
        .unwrap();
    let token = token.secret.expose_secret().to_string();
    let client = reqwest::Client::new();
    type QueryFn<'a> = Box<dyn Fn(usize) -> String + 'a>;
    let queries: Vec<(&str, QueryFn)> = vec![
        (
            "kind=webinar&status=scheduled&from=DATE&limit=50",
            Box::new(|i| format!("kind=webinar&status=scheduled&from={}&limit=50", day(i, n))),
        ),
        (
            "tag=sobriété&from=DATE&limit=50",
            Box::new(|i| format!("tag=sobri%C3%A9t%C3%A9&from={}&limit=50", day(i, n))),
        ),
        (
            "series=les-mercredis&from=DATE&limit=50",
            Box::new(|i| format!("series=les-mercredis&from={}&limit=50", day(i, n))),
        ),
        (
            "status=scheduled&order=desc&limit=50 (then the next page)",
            Box::new(|_| "status=scheduled&order=desc&limit=50".into()),
        ),
    ];
    for (label, query) in &queries {
        // Warm up, then 500 sequential requests.
        for i in 0..20 {
            client
                .get(format!("{base}/api/v1/events?{}", query(i)))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
        }
        let mut times = Vec::with_capacity(500);
        for i in 0..500 {
            let url = format!("{base}/api/v1/events?{}", query(i * 7919));
            let started = Instant::now();
            let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let body: serde_json::Value = response.json().await.unwrap();
            times.push(started.elapsed());
            assert!(!body["items"].as_array().unwrap().is_empty(), "{url}");
        }
        times.sort();
        println!(
            "  list {label:<58} p50 {:>7.2} ms  p99 {:>7.2} ms",
            percentile(&times, 0.50).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0
        );
    }
    server.abort();
}

/// A date inside the first 90% of the seeded range, so every page is full.
fn day(i: usize, n: usize) -> String {
    let span = (n as i64) * 3_000 * 9 / 10;
    let t = 1_600_000_000 + ((i as i64 * 86_400) % span.max(1));
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

async fn run(label: &str, url: &str, n: usize, writers: usize) {
    println!("{label}: {n} sessions");
    let store = open_store(&settings(url)).await.expect("open store");
    let took = fill(&store, n, writers).await;
    println!(
        "  insert {n} sessions: {:.1} s ({:.0} sessions/s, one transaction each, {writers} writer(s))",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    measure_lists(store.clone(), url, n).await;
    store.close().await;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("store-{n}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let writers: usize = std::env::var("BENCH_PG_WRITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    if backends.contains("sqlite") {
        // SQLite has one writer at a time; more tasks would only queue.
        run("SQLite", &format!("sqlite://{}", file.display()), n, 1).await;
    }
    if !backends.contains("postgres") {
        return;
    }

    let admin = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await else {
        println!("PostgreSQL: unreachable at {admin}, skipped");
        return;
    };
    let name = format!("eventail_bench_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    run("PostgreSQL", &format!("{base}/{name}"), n, writers).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
