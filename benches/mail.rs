//! Mailer benchmark: delivery throughput to a local SMTP sink, planning an announcement for a
//! large list, and how late reminders leave against their due time.
//!
//!     bench/mail.sh                     # starts smtp-sink, measures its ceiling, runs this
//!     BENCH_SMTP_URL=smtp://127.0.0.1:2525 cargo bench --bench mail
//!
//! Cases (BENCH_CASES, default "a,r,b,c"; BENCH_DB "sqlite" (default), "postgres" or "both"):
//!
//! - a, throughput: BENCH_MESSAGES (10,000) reminders of one upcoming session, one per active
//!   subscriber, all due at once, sent by `Dispatcher::run_once` with `mail.smtp_pool_size` from
//!   BENCH_POOLS ("4,8"). Subscribers come through `Store::add_subscription`; the reminder is
//!   planned by `Store::update_event` setting the session's reminders, so none are planned
//!   before the subscribers are in and no announcement goes with them.
//!   After each pool's run, the client alone: one of those reminders sent BENCH_MESSAGES times
//!   through eventail's `Transport` with the same pool, nothing else (no store, no claim, no
//!   composing), so the gap between the two is eventail's own work and the rest is the SMTP
//!   client's and the system's. BENCH_CLIENT_ALONE=0 leaves it out.
//!   Beside each run's own CPU, the CPU that the other processes of the pipeline spent meanwhile,
//!   per message, read from `/proc` (so only when they run on this machine): PostgreSQL's
//!   processes (its backends, the connections, apart from its background processes) and
//!   `smtp-sink`'s.
//! - r, throughput to registrants: case a with BENCH_MESSAGES seated registrants of one
//!   registration-required webinar (capacity BENCH_MESSAGES) instead of subscribers, so each
//!   message carries the registrant's own links and calendar part. Registrants are inserted
//!   directly, seated (`Store::add_registration` would queue a « seat confirmed » mail for each);
//!   the reminder is planned the same way, by `Store::update_event`, for the seated only.
//! - b, planning: BENCH_PLAN_SUBSCRIBERS (100,000) active subscribers (inserted directly, in
//!   large transactions), then `Store::create_event` of a session in two days: announcement only
//!   (`"reminders": []`), and announcement plus the two default reminders (P1D, PT1H). Each
//!   creation runs in a child process of its own so its peak RSS (VmHWM) is its own.
//! - c, lateness: the continuous dispatcher (`Dispatcher::run`) running while
//!   BENCH_LATE_SESSIONS (200) sessions' reminders fall due, spread over BENCH_LATE_SPREAD
//!   seconds (50), each to BENCH_LATE_SUBSCRIBERS (10) subscribers; lateness is sent_at − due_at
//!   read back with `Store::outbox_for_event`. Start times are whole seconds, so with the
//!   defaults 4 sessions (40 reminders) fall due together at each second.
//!
//! SQLite files go to target/bench/mail-*.db; PostgreSQL (BENCH_PG_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres) gets a fresh database eventail_bench_mail, dropped
//! after each case.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Europe::Paris;
use eventail::config::Settings;
use eventail::domain::EventInput;
use eventail::domain::{EmailAddress, MailKind, MailPolicy, Scope};
use eventail::store::{NewSubscription, Store, StoreError};
use futures_util::StreamExt;
use serde_json::json;
use sqlx::Connection;

const BASE_URL: &str = "https://agenda.example.org";
const PG_NAME: &str = "eventail_bench_mail";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// BENCH_CLIENT_ALONE=0 leaves out the client-alone runs of the throughput cases.
fn client_alone_wanted() -> bool {
    std::env::var("BENCH_CLIENT_ALONE").as_deref() != Ok("0")
}

fn smtp_url() -> String {
    std::env::var("BENCH_SMTP_URL").unwrap_or_else(|_| "smtp://127.0.0.1:2525".into())
}

fn pg_admin_url() -> String {
    std::env::var("BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

// --- databases ---------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh, empty database for one case: its URL.
async fn fresh(db: Db, case: &str) -> String {
    match db {
        Db::Sqlite => {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("mail-{case}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite://{}", path.display())
        }
        Db::Postgres => {
            drop_pg().await;
            let admin = pg_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is unreachable: {e}"));
            sqlx::query(&format!("CREATE DATABASE {PG_NAME}"))
                .execute(&mut conn)
                .await
                .expect("create the bench database");
            let _ = conn.close().await;
            // The database named in place of the admin's, its parameters (`?sslmode=…`) kept.
            let (path, params) = admin.split_once('?').unwrap_or((&admin, ""));
            let base = path.rsplit_once('/').map(|(b, _)| b).unwrap_or(path);
            let params = if params.is_empty() {
                String::new()
            } else {
                format!("?{params}")
            };
            format!("{base}/{PG_NAME}{params}")
        }
    }
}

async fn drop_pg() {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

async fn open(url: &str, policy: Vec<chrono::Duration>) -> Store {
    let store = Store::connect(url, 8).await.expect("connect");
    store.migrate().await.expect("migrate");
    store.set_mail_policy(MailPolicy {
        default_reminders: policy,
    });
    store
}

fn settings(url: &str, pool: u32) -> Settings {
    let figment = Settings::defaults()
        .merge(("database.url", url))
        .merge(("mail.smtp_url", smtp_url()))
        .merge(("mail.from", "Mission numérique <agenda@agenda.example.org>"))
        .merge(("mail.rate_per_second", 100_000.0))
        .merge(("mail.smtp_pool_size", pool))
        .merge(("http.base_url", BASE_URL));
    Settings::from_figment(figment).expect("settings")
}

fn dispatcher(store: &Store, url: &str, pool: u32) -> eventail::mailer::Dispatcher {
    let templates = Arc::new(eventail::templates::Templates::load(None).expect("templates"));
    eventail::mailer::dispatcher(store.clone(), &settings(url, pool), templates, BASE_URL)
        .expect("dispatcher")
}

// --- sessions and subscribers -----------------------------------------------------------------

fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A webinar as the team writes them, starting at `start`; `reminders` None leaves the key out
/// (the configured defaults apply).
fn session(i: usize, start: DateTime<Utc>, reminders: Option<Vec<String>>) -> serde_json::Value {
    let mut value = json!({
        "kind": "webinar",
        "status": "scheduled",
        "title": format!("Webinaire n° {i} : « numérique responsable », mesurer pour réduire"),
        "summary": "Une heure pour découvrir les bonnes pratiques d'écoconception, avec des exemples concrets, des outils et vos questions.",
        "starts_at": rfc3339(start),
        "ends_at": rfc3339(start + chrono::Duration::hours(1)),
        "speakers": [
            {"name": format!("Intervenante {}", i % 300), "role": "cheffe de projet", "organisation": "Mission numérique responsable"},
            {"name": format!("Intervenant {}", (i + 7) % 300), "role": "expert accessibilité"}
        ],
        "links": {"join": "https://webinaire.numerique.gouv.fr/meeting/signin/1234/creator/5678/hash/abcdef0123456789",
                  "registration": "https://grist.numerique.gouv.fr/o/docs/forms/abc123"},
        "programme": ["Accueil et introduction", "Présentation du référentiel", "Démonstration", "Questions-réponses"],
        "tags": ["sobriété", "accessibilité"],
    });
    if let Some(list) = reminders {
        value["reminders"] = json!(list);
    }
    value
}

async fn create(store: &Store, value: serde_json::Value) -> eventail::domain::Event {
    let spec = EventInput::from_json(value)
        .unwrap()
        .validate(Paris)
        .unwrap();
    store.create_event(spec).await.expect("create_event")
}

async fn subscribe(store: &Store, i: usize) {
    store
        .add_subscription(
            &NewSubscription {
                email: EmailAddress::parse(&format!("abonne.{i}@example.org")).expect("an address"),
                scope: Scope::All,
                source: "bench".into(),
                wording_version: "v1".into(),
                request_ip: None,
            },
            Utc::now(),
        )
        .await
        .expect("add_subscription");
}

/// `n` seated registrations of `event`, inserted directly in transactions of 10,000 rows, as
/// `Store::add_registration` leaves them (confirmed, seated in order of arrival, revision 1)
/// but without the « seat confirmed » mail it plans for each.
async fn insert_registrants(store: &Store, event: &eventail::domain::Event, n: usize) {
    const ROWS: usize = 500;
    let now = Utc::now().timestamp_micros();
    let mut i = 0;
    while i < n {
        let mut tx = store.pool().begin().await.unwrap();
        let end = (i + 10_000).min(n);
        while i < end {
            let rows = ROWS.min(end - i);
            let mut sql = String::from(
                "INSERT INTO registrations (id, event_id, email, name, status, arrival, \
                 link_key, revision, source, wording_version, requested_at, confirmed_at, \
                 seated_at, updated_at) VALUES ",
            );
            for r in 0..rows {
                let p = r * 7;
                if r > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, 'seated', ${}, ${}, 1, 'bench', 'v1', ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7,
                    p + 7,
                    p + 7,
                    p + 7
                ));
            }
            let mut query = sqlx::query(&sql);
            for k in i..i + rows {
                let mut key = [0u8; 24];
                rand::Rng::fill(&mut rand::thread_rng(), &mut key);
                query = query
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(event.id.clone())
                    .bind(format!("inscrite.{k}@example.org"))
                    .bind(format!("Inscrite {k}"))
                    .bind(k as i64 + 1)
                    .bind(hex::encode(key))
                    .bind(now);
            }
            query.execute(&mut *tx).await.unwrap();
            i += rows;
        }
        tx.commit().await.unwrap();
    }
}

/// `n` active subscriptions to everything, inserted directly in transactions of 10,000 rows
/// (the store's API takes one transaction per address, which is not what is measured here).
async fn insert_subscribers(store: &Store, n: usize) {
    const ROWS: usize = 500;
    let now = Utc::now().timestamp_micros();
    let mut i = 0;
    while i < n {
        let mut tx = store.pool().begin().await.unwrap();
        let end = (i + 10_000).min(n);
        while i < end {
            let rows = ROWS.min(end - i);
            let mut sql = String::from(
                "INSERT INTO subscriptions (id, email, scope_kind, scope_key, status, \
                 unsubscribe_key, source, wording_version, requested_at, confirmed_at, \
                 updated_at) VALUES ",
            );
            for r in 0..rows {
                let p = r * 4;
                if r > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, 'all', 'all', 'active', ${}, 'bench', 'v1', ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 4,
                    p + 4
                ));
            }
            let mut query = sqlx::query(&sql);
            for k in i..i + rows {
                let mut key = [0u8; 16];
                rand::Rng::fill(&mut rand::thread_rng(), &mut key);
                query = query
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(format!("abonne.{k}@example.org"))
                    .bind(hex::encode(key))
                    .bind(now);
            }
            query.execute(&mut *tx).await.unwrap();
            i += rows;
        }
        tx.commit().await.unwrap();
    }
}

// --- measurements -------------------------------------------------------------------------------

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    cpu_of(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// User + system CPU time in a `/proc/<pid>/stat` line.
fn cpu_of(stat: &str) -> Duration {
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ")" and state.
    let total = ticks(11) + ticks(12);
    Duration::from_millis(total * 10) // USER_HZ is 100 on Linux
}

/// The CPU time so far of every process of this machine named `name` (`postgres`: the
/// server's backends and its background processes; `smtp-sink`), as far as `/proc` shows them:
/// by process id, with the process's title (`postgres: walwriter`); `None` if none is found.
fn cpu_of_processes(name: &str) -> Option<HashMap<u32, (String, Duration)>> {
    let mut found = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let comm = stat
            .split_once('(')
            .and_then(|(_, rest)| rest.rsplit_once(')'))
            .map(|(comm, _)| comm);
        if comm == Some(name) {
            let title = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
            found.insert(
                pid,
                (title.trim_end_matches('\0').to_string(), cpu_of(&stat)),
            );
        }
    }
    (!found.is_empty()).then_some(found)
}

/// The CPU that the processes named `name` spent since `before` (`cpu_of_processes`), in µs
/// per message of `n`, as a line's tail: empty when there are none. A process started since
/// counts in full; one that ended since takes its time with it (so the figure is a lower
/// bound). PostgreSQL's are told apart: its backends (the connections) and, by name, its
/// background processes that took any time.
fn others_cpu(name: &str, before: Option<HashMap<u32, (String, Duration)>>, n: usize) -> String {
    let (Some(before), Some(after)) = (before, cpu_of_processes(name)) else {
        return String::new();
    };
    let per_message = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    fn add(groups: &mut Vec<(String, Duration)>, group: &str, spent: Duration) {
        match groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, d)) => *d += spent,
            None => groups.push((group.to_string(), spent)),
        }
    }
    let mut groups: Vec<(String, Duration)> = Vec::new();
    let mut total = Duration::ZERO;
    for (pid, (title, cpu)) in &after {
        let spent = cpu.saturating_sub(before.get(pid).map_or(Duration::ZERO, |(_, c)| *c));
        total += spent;
        if name != "postgres" {
            continue;
        }
        // "postgres: walwriter", or with the cluster's name "postgres: 15/main: walwriter"
        // (Debian); a backend is "postgres: user database host(port) state" (or "[local]").
        let Some(rest) = title.strip_prefix("postgres: ") else {
            // The postmaster (its command line), or a process of another name.
            add(&mut groups, "postmaster", spent);
            continue;
        };
        let rest = match rest.split_once(": ") {
            Some((cluster, rest)) if !cluster.contains(' ') => rest,
            _ => rest,
        };
        let group = if rest.contains('(') || rest.contains("[local]") {
            "backends".to_string()
        } else {
            rest.trim().to_string()
        };
        add(&mut groups, &group, spent);
    }
    groups.retain(|(_, d)| !d.is_zero());
    groups.sort_by_key(|(_, spent)| std::cmp::Reverse(*spent));
    let detail: Vec<String> = groups
        .iter()
        .map(|(group, d)| format!("{group} {:.0}", per_message(*d)))
        .collect();
    format!(
        "; {name} CPU {:.0} µs/message{}",
        per_message(total),
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        }
    )
}

/// VmHWM and VmRSS of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn stats(mut runs: Vec<f64>, unit: &str) -> String {
    runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    format!(
        "median {:.3} {unit}  min {:.3} {unit}  max {:.3} {unit}",
        runs[runs.len() / 2],
        runs[0],
        runs[runs.len() - 1]
    )
}

/// Lateness (sent_at − due_at, seconds) of the sent reminders of these sessions.
async fn lateness(store: &Store, slugs: &[String]) -> (Vec<f64>, usize) {
    let mut late = Vec::new();
    let mut not_sent = 0;
    for slug in slugs {
        let report = store.outbox_for_event(slug).await.unwrap();
        for m in report.messages.iter().filter(|m| m.kind == "reminder") {
            match m.sent_at {
                Some(at) if m.status == "sent" => {
                    late.push((at - m.due_at).num_microseconds().unwrap_or(0) as f64 / 1e6)
                }
                _ => not_sent += 1,
            }
        }
    }
    late.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (late, not_sent)
}

fn lateness_line(late: &[f64]) -> String {
    format!(
        "lateness p50 {:.3} s  p99 {:.3} s  max {:.3} s  (min {:.3} s, {} reminders)",
        percentile(late, 50.0),
        percentile(late, 99.0),
        late.last().copied().unwrap_or(f64::NAN),
        late.first().copied().unwrap_or(f64::NAN),
        late.len()
    )
}

async fn sleep_until(at: DateTime<Utc>) {
    if let Ok(wait) = (at - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

// --- cases a and r: throughput ------------------------------------------------------------------

/// Who the reminders of the throughput case go to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Recipients {
    /// Case a: subscribers of the list (followers of an open session).
    Followers,
    /// Case r: seated registrants of a registration-required session.
    Registrants,
}

impl Recipients {
    fn case(self) -> &'static str {
        match self {
            Recipients::Followers => "a",
            Recipients::Registrants => "r",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Recipients::Followers => "followers",
            Recipients::Registrants => "registrants",
        }
    }
}

async fn case_throughput(db: Db, to: Recipients) {
    let n: usize = env_or("BENCH_MESSAGES", 10_000);
    let pools: Vec<u32> = std::env::var("BENCH_POOLS")
        .unwrap_or_else(|_| "4,8".into())
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    let url = fresh(db, to.case()).await;
    let store = open(&url, Vec::new()).await;
    println!(
        "[{}] {}. throughput: {n} reminders to {} through {}",
        db.name(),
        to.case(),
        to.name(),
        smtp_url()
    );

    // One upcoming session per pool size, with no reminders yet: nothing planned so far.
    let start = (Utc::now() + chrono::Duration::minutes(30)).trunc_subsecs(0);
    let mut sessions = Vec::new();
    for (k, _) in pools.iter().enumerate() {
        let mut value = session(k, start, Some(Vec::new()));
        if to == Recipients::Registrants {
            value["registration_required"] = json!(true);
            value["capacity"] = json!(n);
        }
        let event = create(&store, value).await;
        sessions.push(event);
    }

    match to {
        Recipients::Followers => {
            let t = Instant::now();
            for i in 0..n {
                subscribe(&store, i).await;
            }
            let took = t.elapsed();
            println!(
                "  {n} subscribers through add_subscription: {:.1} s ({:.0}/s, one transaction each)",
                took.as_secs_f64(),
                n as f64 / took.as_secs_f64()
            );
        }
        Recipients::Registrants => {
            let t = Instant::now();
            for event in &sessions {
                insert_registrants(&store, event, n).await;
                let seats = store.seat_count(event).await.unwrap();
                assert_eq!(seats.seated as usize, n, "{seats:?}");
            }
            println!(
                "  {n} seated registrants of each of {} sessions, inserted directly: {:.1} s",
                sessions.len(),
                t.elapsed().as_secs_f64()
            );
        }
    }

    // One reminder as it leaves: its size, and what the client alone sends.
    let sample = match sessions.first() {
        Some(event) => sample_message(&store, &url, &event.slug, to).await,
        None => None,
    };
    let mut size_shown = false;
    for (pool, event) in pools.iter().zip(&sessions) {
        // The reminder, due 3 s from now, planned for every recipient in one update.
        let due = (Utc::now() + chrono::Duration::seconds(4)).trunc_subsecs(0);
        let advance = format!("PT{}S", (start - due).num_seconds());
        let t = Instant::now();
        store
            .update_event(&event.id, |current| {
                let mut base = current.patch_base();
                base["reminders"] = json!([advance]);
                EventInput::from_json(base)
                    .and_then(|input| input.validate(Paris))
                    .map(Some)
                    .map_err(StoreError::Invalid)
            })
            .await
            .expect("update_event");
        let planned = t.elapsed();
        let queued = store.outbox_for_event(&event.slug).await.unwrap().queued;
        assert_eq!(queued as usize, n, "reminders planned");
        if !size_shown {
            size_shown = true;
            println!(
                "  planning the {n} reminders (update_event setting reminders): {:.3} s",
                planned.as_secs_f64()
            );
        }
        let d = dispatcher(&store, &url, *pool);
        sleep_until(due).await;
        let cpu = cpu_time();
        let (server_cpu, sink_cpu) = (
            cpu_of_processes("postgres").filter(|_| db == Db::Postgres),
            cpu_of_processes("smtp-sink"),
        );
        let t = Instant::now();
        // In a task of its own, as `serve` runs the dispatcher (block_on's thread would wait
        // on a worker thread for every I/O readiness).
        let report = tokio::spawn(async move { d.run_once().await })
            .await
            .expect("dispatcher task")
            .expect("run_once");
        let wall = t.elapsed();
        let cpu = cpu_time() - cpu;
        let elsewhere = format!(
            "{}{}",
            others_cpu("postgres", server_cpu, n),
            others_cpu("smtp-sink", sink_cpu, n)
        );
        assert_eq!(report.sent, n, "{report:?}");
        let rate = n as f64 / wall.as_secs_f64();
        let (late, not_sent) = lateness(&store, std::slice::from_ref(&event.slug)).await;
        assert_eq!(not_sent, 0);
        println!(
            "  pool {pool}: sent {} in {:.2} s = {rate:.0} messages/s  (process CPU {:.2} s = {:.0} µs/message; {report:?})",
            report.sent,
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / n as f64
        );
        println!("    elsewhere on this machine meanwhile{elsewhere}");
        println!("    burst of {n} due at once: {}", lateness_line(&late));
        println!(
            "RESULT throughput db={} to={} pool={pool} messages_per_s={rate:.0} cpu_us_per_message={:.0}",
            db.name(),
            to.name(),
            cpu.as_secs_f64() * 1e6 / n as f64
        );
        if let Some(message) = sample.as_ref().filter(|_| client_alone_wanted()) {
            client_alone((db, to), &url, *pool, message, n).await;
        }
    }

    // For the size of the sink's test messages.
    if let Some(size) = sample.as_ref().map(|m| m.bytes.len()) {
        println!(
            "  size of one reminder as sent (headers, text, HTML, calendar part): {size} bytes"
        );
        println!("RESULT message_bytes={size} to={}", to.name());
    }
    store.close().await;
    if db == Db::Postgres {
        drop_pg().await;
    }
}

/// One composed reminder of `slug`, as the relay receives it.
async fn sample_message(
    store: &Store,
    url: &str,
    slug: &str,
    to: Recipients,
) -> Option<eventail::mailer::Outgoing> {
    let event = store.get_event(slug).await.unwrap();
    let subscription = match to {
        Recipients::Followers => store
            .list_subscriptions(&Default::default(), 1)
            .await
            .ok()
            .and_then(|page| page.into_iter().next()),
        Recipients::Registrants => None,
    };
    let registration = match to {
        Recipients::Followers => None,
        Recipients::Registrants => {
            let id: Option<String> =
                sqlx::query_scalar("SELECT id FROM registrations WHERE event_id = $1 LIMIT 1")
                    .bind(&event.id)
                    .fetch_optional(store.pool())
                    .await
                    .unwrap();
            match id {
                Some(id) => store
                    .registrations_by_ids(&[id])
                    .await
                    .unwrap()
                    .into_iter()
                    .next(),
                None => None,
            }
        }
    };
    let (addressee, recipient) = match (&subscription, &registration) {
        (Some(s), _) => (
            eventail::mailer::Addressee::Follower(s),
            s.email.to_string(),
        ),
        (_, Some(r)) => (
            eventail::mailer::Addressee::Registrant(r),
            r.email.to_string(),
        ),
        _ => return None,
    };
    let templates = Arc::new(eventail::templates::Templates::load(None).unwrap());
    let composer = eventail::mailer::composer(&settings(url, 1), templates, BASE_URL).unwrap();
    let claimed = eventail::store::Claimed {
        id: 1,
        kind: MailKind::Reminder,
        event_id: Some(event.id.clone()),
        subscription_id: subscription.as_ref().map(|s| s.id.clone()),
        registration_id: registration.as_ref().map(|r| r.id.clone()),
        recipient,
        sequence: event.sequence,
        detail: "PT1H".into(),
        due_at: Utc::now(),
        attempts: 1,
        created_at: Utc::now(),
        planned_at: Utc::now(),
        taken_over: false,
    };
    composer
        .compose(
            &claimed,
            Some(&event),
            addressee,
            &[],
            &eventail::mailer::ComposeCache::default(),
        )
        .ok()
}

/// The SMTP client alone: `message` sent `n` times through eventail's `Transport` (lettre's
/// pool of `pool` connections, as the dispatcher has it), `pool` at once, with no store, no
/// claim and no composing. What eventail reaches beside it is what its own work costs.
async fn client_alone(
    (db, to): (Db, Recipients),
    url: &str,
    pool: u32,
    message: &eventail::mailer::Outgoing,
    n: usize,
) {
    let transport =
        eventail::mailer::Transport::from_settings(&settings(url, pool).mail).expect("transport");
    let envelope = message.envelope.clone();
    let bytes = message.bytes.clone();
    let cpu = cpu_time();
    let t = Instant::now();
    // In a task of its own, as the dispatcher runs.
    let sent = tokio::spawn(async move {
        let sends = (0..n).map(|_| {
            let transport = &transport;
            // A copy per send, as each message the dispatcher sends is bytes of its own.
            let message = eventail::mailer::Outgoing {
                envelope: envelope.clone(),
                bytes: bytes.clone(),
            };
            async move { transport.send(message).await.is_ok() }
        });
        futures_util::stream::iter(sends)
            .buffer_unordered(pool.max(1) as usize)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await
    })
    .await
    .expect("client task");
    let wall = t.elapsed();
    let cpu = cpu_time() - cpu;
    assert_eq!(sent, n, "the client alone sent {sent} of {n}");
    let rate = n as f64 / wall.as_secs_f64();
    println!(
        "  client alone, pool {pool}: sent {sent} in {:.2} s = {rate:.0} messages/s  (process CPU {:.0} µs/message)",
        wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "RESULT client_alone db={} to={} pool={pool} messages_per_s={rate:.0} cpu_us_per_message={:.0}",
        db.name(),
        to.name(),
        cpu.as_secs_f64() * 1e6 / n as f64
    );
}

// --- case b: planning ----------------------------------------------------------------------------

/// In a child process: create one session on `url`, print the time and memory.
async fn plan_child(url: &str, with_reminders: bool) {
    // This process's own connections (not the parent's) are the ones opened from now on.
    let began = Utc::now() - chrono::Duration::milliseconds(10);
    let store = open(
        url,
        vec![chrono::Duration::days(1), chrono::Duration::hours(1)],
    )
    .await;
    // Warm the pool and the statement caches the way a serving process would be.
    store.ping().await.unwrap();
    let (hwm_before, rss_before) = memory_kib();
    let start = (Utc::now() + chrono::Duration::days(2)).trunc_subsecs(0);
    let reminders = if with_reminders {
        None
    } else {
        Some(Vec::new())
    };
    let t = Instant::now();
    let event = create(&store, session(1, start, reminders)).await;
    let took = t.elapsed();
    let (hwm_after, rss_after) = memory_kib();
    let report = store.outbox_for_event(&event.slug).await.unwrap();
    // On PostgreSQL the rows are made by the server: the peak of the backends this process
    // opened (VmHWM counts the shared buffers a backend touched; RssAnon is its private memory).
    let (mut server_hwm, mut server_anon) = (0u64, 0u64);
    if url.starts_with("postgres") {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_start >= to_timestamp($1)",
        )
        .bind(began.timestamp_micros() as f64 / 1e6)
        .fetch_all(store.pool())
        .await
        .unwrap_or_default();
        for pid in pids {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let field = |name: &str| -> u64 {
                status
                    .lines()
                    .find(|l| l.starts_with(name))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            server_hwm = server_hwm.max(field("VmHWM:"));
            server_anon = server_anon.max(field("RssAnon:"));
        }
    }
    println!(
        "CHILD seconds={:.3} planned={} hwm_before_kib={hwm_before} rss_before_kib={rss_before} \
         hwm_after_kib={hwm_after} rss_after_kib={rss_after} server_hwm_kib={server_hwm} \
         server_anon_kib={server_anon}",
        took.as_secs_f64(),
        report.queued
    );
}

fn child_field(line: &str, name: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

async fn case_planning(db: Db) {
    let n: usize = env_or("BENCH_PLAN_SUBSCRIBERS", 100_000);
    let runs: usize = env_or("BENCH_PLAN_RUNS", 3);
    let url = fresh(db, "b").await;
    let store = open(
        &url,
        vec![chrono::Duration::days(1), chrono::Duration::hours(1)],
    )
    .await;
    println!("[{}] b. planning for {n} subscribers", db.name());
    let t = Instant::now();
    insert_subscribers(&store, n).await;
    if db == Db::Postgres {
        sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    }
    println!(
        "  {n} subscriptions inserted directly: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    for with_reminders in [false, true] {
        let mut seconds = Vec::new();
        let mut hwm = Vec::new();
        let mut growth = Vec::new();
        let mut baseline = Vec::new();
        let mut planned = 0.0;
        let mut server_hwm = Vec::new();
        let mut server_anon = Vec::new();
        for _ in 0..runs {
            // Each run starts from an empty outbox (TRUNCATE leaves no dead rows behind on
            // PostgreSQL, whose autovacuum may be off). The states go first: SQLite's DELETE
            // would otherwise remove each one through the cascade, and PostgreSQL truncates
            // a table that others reference only together with them.
            let empty: &[&str] = match db {
                Db::Sqlite => &["DELETE FROM outbox_state", "DELETE FROM outbox"],
                Db::Postgres => &["TRUNCATE outbox_state, outbox"],
            };
            for statement in empty {
                sqlx::query(statement).execute(store.pool()).await.unwrap();
            }
            if db == Db::Sqlite {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(store.pool())
                    .await
                    .unwrap();
            }
            let output = Command::new(std::env::current_exe().unwrap())
                .env("BENCH_CHILD_PLAN", &url)
                .env(
                    "BENCH_CHILD_REMINDERS",
                    if with_reminders { "1" } else { "0" },
                )
                .output()
                .expect("child process");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let Some(line) = stdout.lines().find(|l| l.starts_with("CHILD ")) else {
                panic!(
                    "child failed: {}\n{}",
                    stdout,
                    String::from_utf8_lossy(&output.stderr)
                );
            };
            seconds.push(child_field(line, "seconds"));
            planned = child_field(line, "planned");
            let after = child_field(line, "hwm_after_kib") / 1024.0;
            let before = child_field(line, "hwm_before_kib") / 1024.0;
            hwm.push(after);
            baseline.push(before);
            growth.push(after - before);
            server_hwm.push(child_field(line, "server_hwm_kib") / 1024.0);
            server_anon.push(child_field(line, "server_anon_kib") / 1024.0);
        }
        let what = if with_reminders {
            "announcement + 2 reminders"
        } else {
            "announcement only"
        };
        println!("  create_event, {what}: {planned} messages planned, {runs} runs");
        println!("    time             {}", stats(seconds.clone(), "s"));
        println!("    peak RSS (VmHWM) {}", stats(hwm.clone(), "MiB"));
        println!(
            "    of which before create_event (connected store): {}",
            stats(baseline, "MiB")
        );
        println!("    growth during create_event {}", stats(growth, "MiB"));
        if db == Db::Postgres {
            println!(
                "    PostgreSQL backends of the database, largest peak (VmHWM, shared buffers included) {}",
                stats(server_hwm, "MiB")
            );
            println!(
                "    PostgreSQL backends, largest private memory after (RssAnon) {}",
                stats(server_anon, "MiB")
            );
        }
        seconds.sort_by(|a, b| a.partial_cmp(b).unwrap());
        hwm.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "RESULT planning db={} reminders={with_reminders} seconds_median={:.3} hwm_max_mib={:.1}",
            db.name(),
            seconds[seconds.len() / 2],
            hwm[hwm.len() - 1]
        );
    }
    store.close().await;
    if db == Db::Postgres {
        drop_pg().await;
    }
}

// --- case c: lateness ----------------------------------------------------------------------------

async fn case_lateness(db: Db) {
    let sessions: usize = env_or("BENCH_LATE_SESSIONS", 200);
    let spread: i64 = env_or("BENCH_LATE_SPREAD", 50);
    let subscribers: usize = env_or("BENCH_LATE_SUBSCRIBERS", 10);
    let pool: u32 = env_or("BENCH_LATE_POOL", 4);
    let url = fresh(db, "c").await;
    let store = open(&url, Vec::new()).await;
    println!(
        "[{}] c. lateness: {sessions} sessions × {subscribers} subscribers, reminders due over {spread} s, pool {pool}",
        db.name()
    );
    // Sessions first (no subscriber yet: nothing planned), so no announcement goes out; each
    // subscriber added then gets every upcoming reminder. Reminder i is due at first + i·spread/n.
    let advance = chrono::Duration::minutes(10);
    let first_due = (Utc::now() + chrono::Duration::seconds(20)).trunc_subsecs(0);
    let mut slugs = Vec::new();
    for i in 0..sessions {
        let offset = chrono::Duration::milliseconds(spread * 1000 * i as i64 / sessions as i64);
        let start = (first_due + offset + advance).trunc_subsecs(0);
        let event = create(&store, session(i, start, Some(vec!["PT10M".into()]))).await;
        slugs.push(event.slug);
    }
    for i in 0..subscribers {
        subscribe(&store, i).await;
    }
    let planned: i64 = {
        let mut total = 0;
        for slug in &slugs {
            total += store.outbox_for_event(slug).await.unwrap().queued;
        }
        total
    };
    let now = Utc::now();
    assert!(
        now < first_due,
        "setup took too long: raise the 20 s margin"
    );
    println!(
        "  {planned} reminders planned; the first falls due in {:.1} s",
        (first_due - now).num_milliseconds() as f64 / 1e3
    );

    let d = dispatcher(&store, &url, pool);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(d.run(async {
        stopped.await.ok();
    }));
    let last_due = first_due + chrono::Duration::seconds(spread);
    sleep_until(last_due + chrono::Duration::seconds(2)).await;
    // Then until every reminder has left (or 30 s more).
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let (late, _) = lateness(&store, &slugs).await;
        if late.len() as i64 >= planned || Instant::now() > give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = stop.send(());
    let _ = running.await;
    let (late, not_sent) = lateness(&store, &slugs).await;
    println!("  {}", lateness_line(&late));
    if not_sent > 0 {
        println!("  NOT SENT: {not_sent} reminders");
    }
    println!(
        "RESULT lateness db={} p50_s={:.3} p99_s={:.3} max_s={:.3} sent={} not_sent={not_sent}",
        db.name(),
        percentile(&late, 50.0),
        percentile(&late, 99.0),
        late.last().copied().unwrap_or(f64::NAN),
        late.len()
    );
    store.close().await;
    if db == Db::Postgres {
        drop_pg().await;
    }
}

#[tokio::main]
async fn main() {
    if let Ok(url) = std::env::var("BENCH_CHILD_PLAN") {
        let with = std::env::var("BENCH_CHILD_REMINDERS").as_deref() == Ok("1");
        plan_child(&url, with).await;
        return;
    }
    let cases = std::env::var("BENCH_CASES").unwrap_or_else(|_| "a,r,b,c".into());
    let dbs = match std::env::var("BENCH_DB").as_deref() {
        Ok("postgres") => vec![Db::Postgres],
        Ok("both") => vec![Db::Sqlite, Db::Postgres],
        _ => vec![Db::Sqlite],
    };
    println!(
        "mail benchmark: cases {cases}, {} CPU(s) available to this process",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    for db in dbs {
        if cases.contains('a') {
            case_throughput(db, Recipients::Followers).await;
        }
        if cases.contains('r') {
            case_throughput(db, Recipients::Registrants).await;
        }
        if cases.contains('b') {
            case_planning(db).await;
        }
        if cases.contains('c') {
            case_lateness(db).await;
        }
    }
}
