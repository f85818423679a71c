//! Organiser console benchmark (issue 19): the latency of the console's pages with N sessions
//! (default 10,000) in the store, through the real HTTP server and a logged-in account.
//!
//!     cargo bench --bench console                       # SQLite, plus PostgreSQL if reachable
//!     BENCH_EVENTS=2000 cargo bench --bench console     # a quicker run
//!
//! The store is filled through its own functions, as the API and the console fill it: 10
//! subscribers to everything first (so publishing plans announcements and reminders), then the
//! sessions (`Store::create_event`: drafts, past and upcoming, webinars, events and videos,
//! speakers, series, some requiring registration with a capacity), 1 in 25 cancelled
//! (`Store::cancel_event`), a few hundred registrants on five upcoming sessions and a few on
//! forty-five others (`Store::add_registration`, each planning its « seat confirmed » mail),
//! three edits of those five (history), then the mail due now claimed and marked sent, 1 in 50
//! failed, so the dashboard's chart and failures have content.
//!
//! An admin account is created (`Store::create_account`), sets its password through its link
//! and logs in with the login form (CSRF token, `eventail_login` then `eventail_console`
//! cookies). Each page then gets 20 warm-up requests and BENCH_REQUESTS (300) sequential ones;
//! p50 and p99 include reading the whole body.
//!
//! BENCH_BACKENDS=sqlite or =postgres runs one backend; BENCH_PG_WRITERS (default 8) sets how
//! many concurrent writers fill PostgreSQL. PostgreSQL is reached through DATABASE_URL or
//! BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is
//! created and dropped (kept with BENCH_KEEP=1). The SQLite file is kept in
//! target/bench/console-N.db.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, Utc};
use chrono_tz::Europe::Paris;
use eventail::config::Settings;
use eventail::domain::account::NewAccount;
use eventail::domain::{EmailAddress, EventInput, Registrant, Scope};
use eventail::startup::{open_store, Application};
use eventail::store::{NewRegistration, NewSubscription, Store};
use regex::Regex;
use reqwest::header::{COOKIE, SET_COOKIE};
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
const PASSWORD: &str = "cheval agrafe pile correcte";
/// Hours between two sessions' starts; 15% of them are upcoming.
const SPACING_HOURS: i64 = 4;
/// Sessions given a few hundred registrants (`BIG_REGISTRANTS` each, capacity 250).
const BIG_SESSIONS: usize = 5;
const BIG_REGISTRANTS: usize = 300;
/// Sessions given a few registrants (2 to 20).
const SMALL_SESSIONS: usize = 45;

fn settings(url: &str) -> Settings {
    Settings::from_figment(
        Settings::defaults()
            .merge(("database.url", url))
            .merge(("http.bind", "127.0.0.1:0")),
    )
    .expect("settings")
}

fn start_of(i: usize, n: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let upcoming = (n as i64 * 15 / 100).max(1);
    now + chrono::Duration::hours(SPACING_HOURS * (i as i64 - (n as i64 - upcoming)))
}

fn session(i: usize, n: usize, now: DateTime<Utc>) -> serde_json::Value {
    let start = start_of(i, n, now);
    let kind = KINDS[i % 3];
    // Registration here (one in seven live sessions, half of them with a capacity), or
    // through another site's form.
    let registration = kind != "video" && i % 7 == 0;
    let links = if registration {
        json!({"join": "https://visio.example.org/salle"})
    } else {
        json!({"join": "https://visio.example.org/salle", "registration": "https://forms.example.org/x"})
    };
    json!({
        "kind": kind,
        "status": if i % 10 == 0 { "draft" } else { "scheduled" },
        "title": format!("Webinaire n° {i} : numérique responsable et sobriété"),
        "summary": "Une heure pour découvrir les bonnes pratiques, avec des exemples concrets.",
        "body": "## Programme\n\nPrésentation, démonstration, questions.\n",
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339(),
        "series": if i % 4 == 0 { json!("les-mercredis") } else { serde_json::Value::Null },
        "speakers": [
            {"name": format!("Intervenant {}", i % 500), "role": "cheffe de projet"},
            {"name": format!("Intervenante {}", (i + 7) % 300), "organisation": "Mission numérique responsable"},
        ],
        "links": links,
        "programme": ["Accueil", "Présentation", "Questions"],
        "tags": [TAGS[i % 6], TAGS[(i / 6) % 6]],
        "registration_required": registration,
        "capacity": if registration && i % 2 == 0 { json!(250) } else { serde_json::Value::Null },
    })
}

/// What the fill leaves for the measures.
struct Filled {
    /// Every session's id, in the order of `session(i)`.
    ids: Vec<String>,
    /// The sessions with a few hundred registrants.
    big: Vec<String>,
}

async fn fill(store: &Store, n: usize, writers: usize) -> Filled {
    let now = Utc::now()
        .duration_trunc(chrono::Duration::hours(1))
        .expect("an hour");
    let series = EventInput::from_json(json!({"kind": "video", "title": "seed", "series": {"slug": "les-mercredis", "title": "Les mercredis"}}))
        .unwrap()
        .validate(Paris)
        .unwrap();
    store.create_event(series).await.unwrap();
    for k in 0..10 {
        store
            .add_subscription(
                &NewSubscription {
                    email: EmailAddress::parse(&format!("abonne.{k}@example.org")).unwrap(),
                    scope: Scope::All,
                    source: "bench".into(),
                    wording_version: "v1".into(),
                    request_ip: None,
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }

    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in (w..n).step_by(writers) {
                    let spec = EventInput::from_json(session(i, n, now))
                        .unwrap()
                        .validate(Paris)
                        .unwrap();
                    let event = store.create_event(spec).await.unwrap();
                    if i % 25 == 7 {
                        store
                            .cancel_event(&event.id, Paris, Some("Intervenante absente".into()))
                            .await
                            .unwrap();
                    }
                    ids.push((i, event.id));
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(n);
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    ids.sort();
    let ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    println!(
        "  {n} sessions through create_event (1 in 25 then cancelled): {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Registrants: upcoming scheduled sessions with registration here and a capacity.
    let started = Instant::now();
    let open: Vec<usize> = (0..n)
        .filter(|&i| {
            let registration = KINDS[i % 3] != "video" && i % 7 == 0 && i % 2 == 0;
            registration && i % 10 != 0 && i % 25 != 7 && start_of(i, n, now) > now
        })
        .take(BIG_SESSIONS + SMALL_SESSIONS)
        .collect();
    assert!(open.len() > BIG_SESSIONS, "too few sessions open: {n}");
    let mut registrations = 0;
    for (k, &i) in open.iter().enumerate() {
        let count = if k < BIG_SESSIONS {
            BIG_REGISTRANTS
        } else {
            2 + (k * 7) % 19
        };
        for r in 0..count {
            let registrant = Registrant::parse(
                &format!("personne.{r}.{i}@example.org"),
                &format!("Personne {r}"),
                (r % 3 == 0).then_some("Ministère de la Transition écologique"),
            )
            .unwrap();
            store
                .add_registration(
                    &ids[i],
                    &NewRegistration {
                        registrant,
                        source: "bench".into(),
                        wording_version: "v1".into(),
                        request_ip: None,
                    },
                )
                .await
                .unwrap();
            registrations += 1;
        }
    }
    let big: Vec<String> = open[..BIG_SESSIONS]
        .iter()
        .map(|&i| ids[i].clone())
        .collect();
    // A history to show: three edits of each of the big sessions.
    for id in &big {
        for edit in 1..=3 {
            store
                .update_event(id, |current| {
                    let mut base = current.patch_base();
                    base["title"] = format!("{} (mise à jour {edit})", current.title).into();
                    base["programme"] = json!([
                        "Accueil",
                        "Présentation",
                        format!("Atelier {edit}"),
                        "Questions"
                    ]);
                    let spec = EventInput::from_json(base)
                        .and_then(|input| input.validate(Paris))
                        .map_err(eventail::store::StoreError::Invalid)?;
                    Ok(Some(spec))
                })
                .await
                .unwrap();
        }
    }
    println!(
        "  {registrations} registrations on {} sessions, 3 edits of {BIG_SESSIONS}: {:.1} s",
        open.len(),
        started.elapsed().as_secs_f64()
    );

    // The mail due now (announcements, seat confirmations, cancellations): sent, 1 in 50 failed.
    let started = Instant::now();
    let (mut sent, mut failed) = (0, 0);
    loop {
        let claimed = store
            .claim_due("bench", 1_000, chrono::Duration::minutes(10))
            .await
            .unwrap();
        if claimed.is_empty() {
            break;
        }
        let mut ok = Vec::with_capacity(claimed.len());
        for message in &claimed {
            if message.id % 50 == 0 {
                store
                    .mark_failed(message.id, "bench", "550 5.1.1 mailbox unavailable")
                    .await
                    .unwrap();
                failed += 1;
            } else {
                ok.push(message.id);
            }
        }
        sent += store.mark_sent_many(&ok, "bench").await.unwrap();
    }
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_state WHERE status = 'queued'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    println!(
        "  outbox: {sent} sent, {failed} failed, {queued} queued (reminders): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Fresh statistics and, on PostgreSQL, the dead rows of the claims and sends cleared, as
    // autovacuum would (it is off on the development machine): without it the outbox holds
    // three row versions per message and the dashboard reads them all.
    let tidy = match store.backend() {
        eventail::store::Backend::Postgres => "VACUUM ANALYZE",
        eventail::store::Backend::Sqlite => "ANALYZE",
    };
    sqlx::query(tidy).execute(store.pool()).await.unwrap();
    Filled { ids, big }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// A browser as far as the console cares: its cookies and the last synchroniser token seen.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn take(&mut self, response: reqwest::Response) -> (u16, String) {
        let status = response.status().as_u16();
        for line in response.headers().get_all(SET_COOKIE) {
            let line = line.to_str().unwrap_or("");
            if let Some((name, value)) = line.split(';').next().unwrap_or("").split_once('=') {
                if value.is_empty() || line.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.into(), value.into());
                }
            }
        }
        (status, response.text().await.unwrap())
    }

    /// Keeps the page's synchroniser token (outside the timed part).
    fn read(&mut self, html: &str) {
        let marker = "name=\"_csrf\" value=\"";
        if let Some(start) = html.find(marker).map(|s| s + marker.len()) {
            if let Some(end) = html[start..].find('"') {
                self.csrf = html[start..start + end].to_string();
            }
        }
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.take(response).await
    }

    /// Posts `fields`, the synchroniser token replaced by the current one.
    async fn post(&mut self, path: &str, fields: &[(String, String)]) -> (u16, String) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().filter(|(k, _)| k != "_csrf"))
            .append_pair("_csrf", &self.csrf)
            .finish();
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.take(response).await
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// The fields a browser would post from the form in `html`: inputs (checked boxes only),
/// textareas and selects' selected options, in the page's order.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let tag = Regex::new(r#"(?s)<(input|textarea|select)\b([^>]*)>"#).unwrap();
    let attributes = Regex::new(r#"\b([a-z]+)="([^"]*)""#).unwrap();
    let attr = |attrs: &str, name: &str| {
        attributes
            .captures_iter(attrs)
            .find(|c| &c[1] == name)
            .map(|c| unescape(&c[2]))
    };
    let checked = Regex::new(r"\bchecked\b").unwrap();
    let selected = Regex::new(r#"<option value="([^"]*)"[^>]*\bselected\b"#).unwrap();
    let mut fields = Vec::new();
    for found in tag.captures_iter(html) {
        let attrs = &found[2];
        let Some(name) = attr(attrs, "name") else {
            continue;
        };
        let rest = &html[found.get(0).unwrap().end()..];
        let value = match &found[1] {
            "input" => {
                let kind = attr(attrs, "type").unwrap_or_default();
                if kind == "checkbox" || kind == "radio" {
                    if !checked.is_match(attrs) {
                        continue;
                    }
                    attr(attrs, "value").unwrap_or_else(|| "on".into())
                } else if kind == "submit" {
                    continue;
                } else {
                    attr(attrs, "value").unwrap_or_default()
                }
            }
            "textarea" => unescape(&rest[..rest.find("</textarea>").unwrap_or(0)]),
            _ => {
                let options = &rest[..rest.find("</select>").unwrap_or(0)];
                selected
                    .captures(options)
                    .map(|c| unescape(&c[1]))
                    .unwrap_or_default()
            }
        };
        fields.push((name, value));
    }
    fields
}

/// An admin account, its password set through its link, logged in through the form.
async fn log_in(store: &Store, url: &str, base: &str) -> Browser {
    let policy = settings(url).console.policy();
    let email = "camille.martin@example.org";
    let new = NewAccount::parse(email, "Camille Martin", "admin").unwrap();
    let (_, secret) = store.create_account(&new, &policy).await.unwrap();
    let mut browser = Browser {
        base: base.into(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        cookies: BTreeMap::new(),
        csrf: String::new(),
    };
    let link = format!("/admin/mot-de-passe/{secret}");
    let (status, html) = browser.get(&link).await;
    assert_eq!(status, 200);
    browser.read(&html);
    let password = [
        ("password".to_string(), PASSWORD.to_string()),
        ("confirmation".to_string(), PASSWORD.to_string()),
    ];
    assert_eq!(browser.post(&link, &password).await.0, 303);
    let (status, html) = browser.get("/admin/connexion").await;
    assert_eq!(status, 200);
    browser.read(&html);
    let login = [
        ("email".to_string(), email.to_string()),
        ("password".to_string(), PASSWORD.to_string()),
    ];
    let (status, html) = browser.post("/admin/connexion", &login).await;
    assert_eq!(status, 303, "{html}");
    assert!(browser.cookies.contains_key("eventail_console"));
    let (status, html) = browser.get("/admin").await;
    assert_eq!(status, 200);
    browser.read(&html);
    browser
}

/// A page measured: its label, and the request for the i-th time.
enum Request {
    Get(String),
    Post(String, Vec<(String, String)>),
}

async fn measure(
    browser: &mut Browser,
    label: &str,
    requests: usize,
    page: impl Fn(usize) -> Request,
) {
    let mut bytes = 0;
    let mut times = Vec::with_capacity(requests);
    for i in 0..20 + requests {
        let request = page(i);
        let started = Instant::now();
        let (status, html) = match &request {
            Request::Get(path) => browser.get(path).await,
            Request::Post(path, fields) => browser.post(path, fields).await,
        };
        let took = started.elapsed();
        let start: String = html.chars().take(2_000).collect();
        assert_eq!(status, 200, "{label}: {start}");
        if i >= 20 {
            times.push(took);
            bytes += html.len();
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  | {label:<52} | {:>7.1} KB | {:>6.1} ms | {:>6.1} ms | {:>6.1} ms |",
        bytes as f64 / requests as f64 / 1000.0,
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.99)),
        ms(times[times.len() - 1]),
    );
}

async fn measure_pages(store: Store, url: &str, filled: &Filled, requests: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = Application::with_listener(settings(url), store.clone(), listener).unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    let server = tokio::spawn(app.run_until(std::future::pending()));
    let mut browser = log_in(&store, url, &base).await;

    // The preview posts each big session's edit form with the session moved one hour later:
    // change notices to its registrants and subscribers, the page and the calendar redone.
    let mut moves = Vec::new();
    for id in &filled.big {
        let (status, html) = browser.get(&format!("/admin/sessions/{id}/modifier")).await;
        assert_eq!(status, 200);
        let start = html
            .match_indices("<form")
            .map(|(at, _)| at)
            .find(|&at| {
                html[at..]
                    .split('>')
                    .next()
                    .unwrap_or("")
                    .contains("apercu")
            })
            .expect("the edit form");
        let form = &html[start..];
        let mut fields = form_fields(&form[..form.find("</form>").expect("its end")]);
        let time = |fields: &[(String, String)], name: &str| {
            let (_, value) = fields.iter().find(|(k, _)| k == name).expect(name);
            chrono::NaiveTime::parse_from_str(value, "%H:%M").expect("a time")
        };
        // An hour later, or earlier late in the evening, so the day stays the same.
        let shift = if chrono::Timelike::hour(&time(&fields, "start_time")) >= 22 {
            chrono::Duration::hours(-1)
        } else {
            chrono::Duration::hours(1)
        };
        for name in ["start_time", "end_time"] {
            let moved = (time(&fields, name) + shift).format("%H:%M").to_string();
            for (key, value) in fields.iter_mut() {
                if key == name {
                    *value = moved.clone();
                }
            }
        }
        moves.push((format!("/admin/sessions/{id}/apercu"), fields));
    }

    let ids = &filled.ids;
    let big = &filled.big;
    let any = |i: usize| &ids[(i * 7919) % ids.len()];
    println!(
        "  | {:<52} | {:>10} | {:>9} | {:>9} | {:>9} |",
        "page", "body", "p50", "p99", "max"
    );
    println!(
        "  |{:-<54}|{:-<12}|{:-<11}|{:-<11}|{:-<11}|",
        "", "", "", "", ""
    );
    measure(&mut browser, "/admin (dashboard)", requests, |_| {
        Request::Get("/admin".into())
    })
    .await;
    measure(&mut browser, "/admin/sessions", requests, |_| {
        Request::Get("/admin/sessions".into())
    })
    .await;
    measure(
        &mut browser,
        "/admin/sessions?statut=publiee",
        requests,
        |_| Request::Get("/admin/sessions?statut=publiee".into()),
    )
    .await;
    measure(
        &mut browser,
        "/admin/sessions/{id} (any session)",
        requests,
        |i| Request::Get(format!("/admin/sessions/{}", any(i))),
    )
    .await;
    measure(
        &mut browser,
        "/admin/sessions/{id}/modifier (any session)",
        requests,
        |i| Request::Get(format!("/admin/sessions/{}/modifier", any(i))),
    )
    .await;
    let label = format!("/admin/sessions/{{id}}/inscrits ({BIG_REGISTRANTS} registrants)");
    measure(&mut browser, &label, requests, |i| {
        Request::Get(format!("/admin/sessions/{}/inscrits", big[i % big.len()]))
    })
    .await;
    measure(
        &mut browser,
        "/admin/sessions/{id}/courriels (same sessions)",
        requests,
        |i| Request::Get(format!("/admin/sessions/{}/courriels", big[i % big.len()])),
    )
    .await;
    measure(
        &mut browser,
        "/admin/sessions/{id}/historique (same sessions)",
        requests,
        |i| Request::Get(format!("/admin/sessions/{}/historique", big[i % big.len()])),
    )
    .await;
    measure(
        &mut browser,
        "POST /admin/sessions/{id}/apercu (a move, same)",
        requests,
        |i| {
            let (path, fields) = &moves[i % moves.len()];
            Request::Post(path.clone(), fields.clone())
        },
    )
    .await;
    server.abort();
}

async fn run(label: &str, url: &str, n: usize, writers: usize, requests: usize) {
    println!("{label}: {n} sessions");
    let store = open_store(&settings(url)).await.expect("open store");
    let filled = fill(&store, n, writers).await;
    measure_pages(store.clone(), url, &filled, requests).await;
    store.close().await;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("console-{n}.db"));
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
        let url = format!("sqlite://{}", file.display());
        run("SQLite", &url, n, 1, requests).await;
    }
    if !backends.contains("postgres") {
        return;
    }

    let admin = std::env::var("DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("BENCH_POSTGRES").ok())
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await else {
        println!("PostgreSQL: unreachable at {admin}, skipped");
        return;
    };
    let name = format!("eventail_bench_console_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    run(
        "PostgreSQL",
        &format!("{base}/{name}"),
        n,
        writers,
        requests,
    )
    .await;
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("  kept database {name} (BENCH_KEEP), for EXPLAIN");
        return;
    }
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
