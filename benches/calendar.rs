//! Calendar feed benchmark.
//!
//! First, it leaves a SQLite file with BENCH_SERVE_EVENTS sessions (default 1,000) in
//! target/bench/ for `bench/calendar.sh`, which compares the served feed with nginx. Then it
//! times renders of the full feed over BENCH_EVENTS sessions (default 10,000): from scratch, cold
//! (a new process finding the feed's snapshot), and after an edit, on SQLite and PostgreSQL.
//!
//!     cargo bench --bench calendar
//!     BENCH_EVENTS=2000 cargo bench --bench calendar     # a quicker run
//!
//! BENCH_BACKENDS=sqlite or =postgres times one backend. PostgreSQL is reached through
//! DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is
//! created and dropped (BENCH_KEEP=1 keeps it, and prints its name, for `EXPLAIN` or `psql`).

use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Europe::Paris;
use eventail::config::Settings;
use eventail::domain::EventInput;
use eventail::feeds::FeedRenderer;
use eventail::http::calendar::feed_name;
use eventail::publish::ical::CalendarSettings;
use eventail::store::{FeedQuery, Store};
use serde_json::json;

const TAGS: [&str; 5] = [
    "sobriété",
    "accessibilité",
    "écoconception",
    "données",
    "achats",
];

/// A session as the team writes them: summary, programme, two speakers, links, tags.
fn session(i: usize) -> serde_json::Value {
    // From a month ago, one every 3 hours: all within the feed's window.
    let start = Utc::now() - chrono::Duration::days(30) + chrono::Duration::hours(3 * i as i64);
    let start = start.format("%Y-%m-%dT%H:00:00Z").to_string();
    let end = chrono::DateTime::parse_from_rfc3339(&start).unwrap() + chrono::Duration::hours(1);
    json!({
        "kind": if i % 5 == 0 { "event" } else { "webinar" },
        "status": "scheduled",
        "title": format!("Webinaire n° {i} : « numérique responsable », mesurer pour réduire"),
        "summary": "Une heure pour découvrir les bonnes pratiques d'écoconception, avec des exemples concrets, des outils et vos questions.",
        "starts_at": start,
        "ends_at": end.to_rfc3339(),
        "location": if i % 5 == 0 { json!("Paris, 20 avenue de Ségur") } else { json!(null) },
        "speakers": [
            {"name": format!("Intervenante {}", i % 300), "role": "cheffe de projet", "organisation": "Mission numérique responsable"},
            {"name": format!("Intervenant {}", (i + 7) % 300), "role": "expert accessibilité"}
        ],
        "links": {"join": "https://webinaire.numerique.gouv.fr/meeting/signin/1234/creator/5678/hash/abcdef0123456789",
                  "registration": "https://grist.numerique.gouv.fr/o/docs/forms/abc123"},
        "programme": ["Accueil et introduction", "Présentation du référentiel", "Démonstration", "Questions-réponses"],
        "tags": [TAGS[i % 5], TAGS[(i / 5) % 5]],
    })
}

/// The calendar settings a server with the default configuration renders with (those the
/// store keeps VEVENTs under).
fn calendar_settings(url: &str) -> (Settings, CalendarSettings) {
    let settings = Settings::from_figment(Settings::defaults().merge(("database.url", url)))
        .expect("settings");
    let calendar = CalendarSettings::from_settings(&settings, &settings.base_url()).unwrap();
    (settings, calendar)
}

async fn fill(url: &str, n: usize) -> Store {
    let (settings, _) = calendar_settings(url);
    let store = eventail::startup::open_store(&settings)
        .await
        .expect("store");
    for i in 0..n {
        let spec = EventInput::from_json(session(i))
            .unwrap()
            .validate(Paris)
            .unwrap();
        let created = store.create_event(spec).await.unwrap();
        if i % 50 == 0 {
            // Cancelled through the lifecycle, as an organiser would.
            store.cancel_event(&created.id, Paris, None).await.unwrap();
        }
    }
    sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    store
}

/// Changes one session's title, as an organiser would.
async fn edit(store: &Store, id: &str, round: usize) {
    store
        .update_event(id, |current| {
            let mut base = current.patch_base();
            base["title"] = json!(format!("{} (salle {round})", current.title));
            let spec = EventInput::from_json(base)
                .and_then(|input| input.validate(Paris))
                .map_err(eventail::store::StoreError::Invalid)?;
            Ok(Some(spec))
        })
        .await
        .unwrap();
}

fn stats(mut runs: Vec<Duration>) -> String {
    runs.sort();
    let median = runs[runs.len() / 2];
    format!(
        "median {:>7.2} ms  min {:>7.2} ms  max {:>7.2} ms",
        median.as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3,
        runs[runs.len() - 1].as_secs_f64() * 1e3
    )
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let serve_n: usize = std::env::var("BENCH_SERVE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();

    for (count, keep) in [(serve_n, true), (n, false)] {
        if !keep && !backends.contains("sqlite") {
            continue;
        }
        let file = dir.join(format!("calendar-{count}.db"));
        let url = format!("sqlite://{}", file.display());
        // BENCH_REUSE=1 keeps files from an earlier run (for profiling the render alone).
        let store = if std::env::var_os("BENCH_REUSE").is_some() && file.exists() {
            fill(&url, 0).await
        } else {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            let filling = Instant::now();
            let store = fill(&url, count).await;
            println!("{count} sessions stored in {:.1?}", filling.elapsed());
            store
        };
        if !keep {
            time_renders("SQLite", &store, &calendar_settings(&url).1, count).await;
        }
        store.close().await;
    }
    if !backends.contains("postgres") {
        return;
    }
    let admin = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("eventail_bench_calendar_{}", std::process::id());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("PostgreSQL (DATABASE_URL, or BENCH_BACKENDS=sqlite)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    // The bench database named in place of the admin's, its parameters (`?sslmode=…`) kept.
    let (path, params) = admin.split_once('?').unwrap_or((&admin, ""));
    let (base, _) = path.rsplit_once('/').unwrap();
    let params = if params.is_empty() {
        String::new()
    } else {
        format!("?{params}")
    };
    let url = format!("{base}/{name}{params}");
    let filling = Instant::now();
    let store = fill(&url, n).await;
    println!(
        "{n} sessions stored in {:.1?} (PostgreSQL)",
        filling.elapsed()
    );
    // What autovacuum does within a minute of such a fill, on a server where it is on (its
    // default; this machine's server has it off): without the visibility map, the feed's list
    // cannot be read from its covering index alone, and PostgreSQL scans and sorts the table.
    sqlx::raw_sql("VACUUM (ANALYZE)")
        .execute(store.pool())
        .await
        .unwrap();
    time_renders("PostgreSQL", &store, &calendar_settings(&url).1, n).await;
    store.close().await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("kept: {url}");
        return;
    }
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// Times renders of the full feed of `count` sessions from `store`.
async fn time_renders(backend: &str, store: &Store, settings: &CalendarSettings, count: usize) {
    let store = store.clone();
    let settings = settings.clone();
    let query = FeedQuery::default();
    let window = chrono::Duration::days(365);
    let name = feed_name("Agenda des webinaires et événements", &query, None);

    // From scratch: a renderer that has written nothing yet and no snapshot to start from
    // (a new process after content changed, or a first start). Each run names the feed
    // differently, so no run finds the snapshot an earlier one saved.
    let mut scratch = Vec::new();
    let mut size = 0;
    for run in 0..5 {
        let renderer = FeedRenderer::default();
        let name = format!("{name} ({run})");
        let t = Instant::now();
        let feed = renderer
            .render(&store, &settings, &name, &query, Utc::now(), window)
            .await
            .unwrap();
        scratch.push(t.elapsed());
        size = feed.text.len();
        // Every VEVENT joined from those the writes kept, none written.
        assert!(feed.stored > count * 98 / 100, "{}", feed.stored);
        assert_eq!(feed.written, 0);
        assert!(!feed.from_snapshot);
    }
    // Of which: the one read of the list with the kept texts, and what is read before it.
    let key = eventail::feeds::vevent_key(&settings);
    let mut reading = Vec::new();
    let mut before = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let version = store.content_version().await.unwrap();
        store.feed_snapshot("no such feed", version).await.unwrap();
        before.push(t.elapsed());
        let t = Instant::now();
        let (data, texts) = store
            .feed_events_with_vevents(&query, Utc::now(), window, &key)
            .await
            .unwrap();
        reading.push(t.elapsed());
        assert_eq!(data.entries.len(), texts.len());
    }
    // Cold: the first render of a new process, nothing changed since the last one saved
    // the feed (at shutdown, or after a render from scratch).
    FeedRenderer::default()
        .save_snapshot(&store, &settings, &name, &query, window)
        .await
        .unwrap();
    let mut cold = Vec::new();
    let mut cold_then_edit = Vec::new();
    let ids: Vec<String> = store
        .feed_events(&query, Utc::now(), window)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect();
    for (run, id) in ids.iter().enumerate().take(5) {
        let renderer = FeedRenderer::default();
        let t = Instant::now();
        let feed = renderer
            .render(&store, &settings, &name, &query, Utc::now(), window)
            .await
            .unwrap();
        cold.push(t.elapsed());
        assert!(feed.from_snapshot && feed.written == 0);
        // Then an edit: the memo was warmed from the snapshot, so one VEVENT is written.
        edit(&store, id, run).await;
        let t = Instant::now();
        let feed = renderer
            .render(&store, &settings, &name, &query, Utc::now(), window)
            .await
            .unwrap();
        cold_then_edit.push(t.elapsed());
        assert_eq!(
            (feed.written, feed.stored),
            (0, 1),
            "the edit kept its VEVENT"
        );
        renderer
            .save_snapshot(&store, &settings, &name, &query, window)
            .await
            .unwrap();
    }
    // After a write: one session's title edited, then the feed rendered again.
    let renderer = FeedRenderer::default();
    renderer
        .render(&store, &settings, &name, &query, Utc::now(), window)
        .await
        .unwrap();
    let mut after_write = Vec::new();
    for (round, id) in ids.iter().rev().take(15).enumerate() {
        edit(&store, id, round).await;
        let t = Instant::now();
        let feed = renderer
            .render(&store, &settings, &name, &query, Utc::now(), window)
            .await
            .unwrap();
        after_write.push(t.elapsed());
        assert_eq!(
            (feed.written, feed.stored),
            (0, 1),
            "the edit kept its VEVENT"
        );
    }
    // What the HTTP layer adds: hashing the bytes for the ETag.
    let text = renderer
        .render(&store, &settings, &name, &query, Utc::now(), window)
        .await
        .unwrap()
        .text;
    let mut hashing = Vec::new();
    for _ in 0..15 {
        let copy = text.clone();
        let t = Instant::now();
        let rendered = eventail::publish::Rendered::new(copy, Utc::now());
        hashing.push(t.elapsed());
        drop(rendered);
    }
    let mut listing = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        store.feed_events(&query, Utc::now(), window).await.unwrap();
        listing.push(t.elapsed());
    }
    // Last, since it keeps its VEVENTs in the background (a write that would overlap the runs
    // above): the first render after upgrading to a version that keeps VEVENTs, or after
    // changing the calendar settings. Nothing stored, every VEVENT written.
    sqlx::query("DELETE FROM session_vevents")
        .execute(store.pool())
        .await
        .unwrap();
    let t = Instant::now();
    let feed = FeedRenderer::default()
        .render(&store, &settings, "upgrade", &query, Utc::now(), window)
        .await
        .unwrap();
    let unstored = t.elapsed();
    assert!(feed.written > count * 98 / 100, "{}", feed.written);
    let scratch_median = {
        let mut runs = scratch.clone();
        runs.sort();
        runs[runs.len() / 2]
    };
    println!(
        "feed of {count} sessions ({:.1} MiB) on {backend}, rendered from the store:",
        size as f64 / 1048576.0
    );
    println!(
        "  from scratch (empty memo, no snapshot), 5 {}",
        stats(scratch)
    );
    println!(
        "    of which the list with its texts, 5    {}",
        stats(reading)
    );
    println!(
        "    of which the version and snapshot, 5   {}",
        stats(before)
    );
    println!(
        "    the same, no VEVENT kept yet (upgrade) {:>7.2} ms",
        unstored.as_secs_f64() * 1e3
    );
    println!(
        "  cold (new process, snapshot current), 5   {}",
        stats(cold)
    );
    println!(
        "    then after one session changed, 5       {}",
        stats(cold_then_edit)
    );
    println!(
        "  after one session changed, 15 runs        {}",
        stats(after_write)
    );
    println!(
        "    of which reading ids and change times   {}",
        stats(listing)
    );
    println!(
        "  ETag hash of the text (HTTP layer)        {}",
        stats(hashing)
    );
    println!(
        "RESULT cold_render backend={backend} sessions={count} from_scratch_median_ms={:.1}",
        scratch_median.as_secs_f64() * 1e3
    );
}
