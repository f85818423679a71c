//! Dispatchers as real `eventail serve` processes on one database: killed with SIGKILL in the
//! middle of a batch and restarted, or three of them sharing 2,000 messages.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use eventail::domain::EventInput;
use eventail::store::Store;
use serde_json::json;

use crate::helpers::{settings_for, subscribe_to_all, Db, FreshDb};
use crate::on_both_backends;
use crate::smtp::SmtpServer;

/// A `serve` process dispatching the outbox of `db` to `smtp`.
fn dispatcher_process(db: &FreshDb, smtp: &SmtpServer) -> Child {
    dispatcher_process_with(db, smtp, &[])
}

/// `dispatcher_process` with more settings, as (variable, value) pairs.
fn dispatcher_process_with(db: &FreshDb, smtp: &SmtpServer, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eventail"))
        .arg("serve")
        .current_dir(db.dir.path())
        .env("EVENTAIL_DATABASE_URL", &db.url)
        .env("EVENTAIL_HTTP_BIND", "127.0.0.1:0")
        .env("EVENTAIL_MAIL_SMTP_URL", smtp.url())
        .env("EVENTAIL_MAIL_FROM", "Agenda <agenda@agenda.example.org>")
        .env("EVENTAIL_MAIL__LEASE_SECONDS", "2")
        .env("EVENTAIL_MAIL__RATE_PER_SECOND", "100000")
        .env("EVENTAIL_MAIL__RETRY_BASE_SECONDS", "1")
        .env("EVENTAIL_MAIL__RETRY_MAX_SECONDS", "2")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start eventail serve")
}

/// `count` subscribers and one session: `count` announcements queued, nobody sending yet.
async fn plan(db: &FreshDb, count: usize) -> Store {
    let mut settings = settings_for(&db.url);
    settings.mail.reminders = Vec::new();
    let store = eventail::startup::open_store(&settings)
        .await
        .expect("store");
    for i in 0..count {
        subscribe_to_all(&store, &format!("abonne{i}@exemple.fr")).await;
    }
    let start = chrono::Utc::now() + chrono::Duration::days(2);
    let spec = EventInput::from_json(json!({"kind": "webinar", "status": "scheduled",
        "title": "Pour tout le monde", "reminders": [],
        "starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string()}))
    .and_then(|input| input.validate(chrono_tz::Europe::Paris))
    .expect("valid session");
    store.create_event(spec).await.expect("session");
    store
}

/// How many times each recipient got a message.
fn deliveries(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for message in smtp.received() {
        for to in message.to {
            *seen.entry(to).or_insert(0) += 1;
        }
    }
    seen
}

async fn wait_until(
    smtp: &SmtpServer,
    within: Duration,
    done: impl Fn(&HashMap<String, usize>) -> bool,
) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let seen = deliveries(smtp);
        if done(&seen) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} recipients reached",
            seen.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Killed in the middle of a batch, restarted: everyone gets the message; duplicates at most
/// the batch that was in flight.
async fn a_killed_dispatcher_loses_nothing(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = plan(&fresh, 200).await;
    let smtp = SmtpServer::start();
    smtp.slow_down(Duration::from_millis(15));
    let mut first = dispatcher_process(&fresh, &smtp);
    // Sent but not yet marked when the process dies: at most one marking round plus the sends
    // in flight, one per pooled SMTP connection (4 by default). The kill comes after more than
    // that were sent, so a dispatcher that marked nothing would fail the bound.
    let bound = eventail::mailer::dispatcher::MARK_EVERY + 4;
    wait_until(&smtp, Duration::from_secs(60), |seen| {
        seen.len() > bound + 10
    })
    .await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let before = deliveries(&smtp).len();
    assert!(
        before < 200,
        "the kill came too late to test anything ({before} sent)"
    );
    assert!(before > bound, "{before} sent before the kill");

    let mut second = dispatcher_process(&fresh, &smtp);
    wait_until(&smtp, Duration::from_secs(60), |seen| seen.len() == 200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    second.kill().ok();
    second.wait().ok();
    let seen = deliveries(&smtp);
    assert_eq!(seen.len(), 200, "every subscriber reached");
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        duplicates <= bound,
        "{duplicates} duplicates, more than the {bound} in flight"
    );
    store.close().await;
}

/// Three dispatcher processes, 2,000 messages: each delivered exactly once.
async fn three_dispatchers_deliver_each_message_once(db: Db) {
    let fresh = FreshDb::new(db).await;
    let store = plan(&fresh, 2000).await;
    let smtp = SmtpServer::start();
    let mut children: Vec<Child> = (0..3).map(|_| dispatcher_process(&fresh, &smtp)).collect();
    wait_until(&smtp, Duration::from_secs(180), |seen| {
        seen.values().sum::<usize>() >= 2000
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for child in &mut children {
        child.kill().ok();
        child.wait().ok();
    }
    let seen = deliveries(&smtp);
    assert_eq!(seen.len(), 2000);
    assert!(seen.values().all(|n| *n == 1), "a message went twice");
    assert_eq!(smtp.received().len(), 2000);
    store.close().await;
}

on_both_backends!(
    a_killed_dispatcher_loses_nothing,
    three_dispatchers_deliver_each_message_once,
);

/// Three instances on one PostgreSQL database sharing 1,500 messages, one of them SIGKILLed
/// and restarted five times while they send: every subscriber reached, and no more duplicates
/// than were in flight at the kills (each kill can repeat at most one marking round plus the
/// sends in flight of the instance killed). The cluster run of BENCHMARKS.md is the large one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn three_instances_killed_in_turn_lose_nothing() {
    // At this speed (about 800 messages a second each) MARK_EVERY marks before the time bound.
    let bound = eventail::mailer::dispatcher::MARK_EVERY + POOL + 1;
    three_instances_killed_in_turn(&[], bound).await;
}

/// The same with every message marked as soon as the relay accepts it (`mail.mark_within_ms =
/// 0`): a kill repeats at most the sends in flight and the one being marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn marked_at_once_a_kill_repeats_only_the_sends_in_flight() {
    three_instances_killed_in_turn(&[("EVENTAIL_MAIL__MARK_WITHIN_MS", "0")], POOL + 1).await;
}

/// `mail.smtp_pool_size` of `dispatcher_process`: the sends in flight at once.
const POOL: usize = 4;

/// Three instances started with `env`, five kills: everyone reached once at least, and at most
/// `bound` duplicates per kill.
async fn three_instances_killed_in_turn(env: &[(&str, &str)], bound: usize) {
    const MESSAGES: usize = 1500;
    const KILLS: usize = 5;
    let fresh = FreshDb::new(Db::Postgres).await;
    let store = plan(&fresh, MESSAGES).await;
    let smtp = SmtpServer::start();
    smtp.slow_down(Duration::from_millis(5));
    let pool = POOL.to_string();
    let mut env = env.to_vec();
    env.push(("EVENTAIL_MAIL__SMTP_POOL_SIZE", &pool));
    let mut children: Vec<Child> = (0..3)
        .map(|_| dispatcher_process_with(&fresh, &smtp, &env))
        .collect();
    for kill in 0..KILLS {
        // Spread the kills over the run.
        let target = (kill + 1) * MESSAGES / (KILLS + 2);
        wait_until(&smtp, Duration::from_secs(120), |seen| {
            seen.values().sum::<usize>() >= target
        })
        .await;
        let victim = kill % children.len();
        children[victim].kill().expect("SIGKILL");
        children[victim].wait().expect("reaped");
        children[victim] = dispatcher_process_with(&fresh, &smtp, &env);
    }
    let before_end = deliveries(&smtp).len();
    assert!(
        before_end < MESSAGES,
        "the kills came too late to test anything ({before_end} reached)"
    );
    wait_until(&smtp, Duration::from_secs(180), |seen| {
        seen.len() == MESSAGES
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for child in &mut children {
        child.kill().ok();
        child.wait().ok();
    }
    let seen = deliveries(&smtp);
    assert_eq!(seen.len(), MESSAGES, "every subscriber reached");
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    eprintln!(
        "{KILLS} kills: {duplicates} duplicates (bound {})",
        KILLS * bound
    );
    assert!(
        duplicates <= KILLS * bound,
        "{duplicates} duplicates, more than the {} that can be in flight at {KILLS} kills",
        KILLS * bound
    );
    store.close().await;
}
