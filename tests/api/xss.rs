//! An XSS corpus (`tests/fixtures/xss/payloads.txt`: some 350 payloads in 16 categories) through
//! every text field an organiser (API) or a visitor (forms) can fill, then looked for in
//! Debian's headless Chromium on every public page, in the Atom feed, in the mails' HTML parts,
//! in the static export, and on the console page that lists what visitors typed.
//!
//! One session per payload, the payload in every text field: title, summary, Markdown body,
//! location, programme, tags, speakers (inline, and one of the directory), series title and
//! description, further reading title, the query of every link (join, registration,
//! recording, video, further reading), the cancellation reason; its shape (video, webinar
//! taking registrations, with a reminder form, cancelled, past) decides which pages, lists and
//! mails show it. A visitor registers with the payload as name and organisation, and types it
//! as an address into the subscribe form (which shows it back).
//!
//! On each document:
//! - no script runs: before any of the page's own, a recorder (CDP
//!   `Page.addScriptToEvaluateOnNewDocument`) replaces `alert`, `confirm`, `prompt` and
//!   `print` and defines `__xss`; payloads call them with their number, and after the load and
//!   a short settle nothing may have been recorded;
//! - nothing that could run is left: no `on…` attribute on any element, no `javascript:`,
//!   `vbscript:` or `data:` address (resolved as the browser resolves it) in any attribute that
//!   holds one, no `srcdoc`, no `http-equiv`, no script other than the video facade's, and no
//!   more `iframe`, `object`, `embed`, `base`, `meta`, `form`, `style`, `svg`, `math`… than the
//!   same kind of document holds without payloads (its twin, checked first);
//! - what was stored shows as typed: a title is the h1's text, template syntax (`{{ 7*7 }}`)
//!   is not evaluated, the subscribe form's field holds what was typed.
//!
//! The pages' Content-Security-Policy is bypassed (`Page.setBypassCSP`): the test checks the
//! escaping and the sanitising themselves, not the second line of defence behind them.
//!
//! Time: a document costs Chromium some 30 ms however small, too much for 2,500 of them on two
//! cores. So pages are fetched as the service serves them and written, 16 at a time, into one
//! page of the service's origin (each in its section, head elements included), where their
//! scripts run and their handlers fire as in a load. Loaded by navigation: the agenda, the
//! archives, the subscribe form, the twins' pages, and the first session page and the first
//! subscribe answer (posted by the browser) of each category. A payload that broke its page
//! could hide those written after it;
//! the test then fails on it first. The static export is written twice: with its forms set to
//! post to the service (`export.subscribe_url`), its pages must be the service's bytes (any
//! that differs is looked at); without forms, every page is looked at.
//! Known-bad documents (canaries) check first that the recorder and the inspector see what
//! they must, loaded and written.
//!
//! Payloads the API refuses (a title on several lines, a control character, a field too long)
//! must be refused with 422 naming the field and store nothing; the field then gets a plain
//! text and the payload still goes everywhere else. Calendars (the feed, each session's file,
//! the mails' parts) must keep one event per session and no line that is not a property.
//! `target/tmp/browser/xss-report.txt` lists the payloads by category, the refusals and the
//! documents looked at; `xss-failures.txt` every failure.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::network::{BlockPattern, SetBlockedUrLsParams};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, SetBypassCspParams,
};
use chromiumoxide::Page;
use serde_json::{json, Value};

use crate::browser::{artifacts, Chromium};
use crate::helpers::{spawn_app_with, Db, FreshDb, TestApp};

const FIXTURE: &str = "tests/fixtures/xss/payloads.txt";

/// One payload of the corpus: its number (rank in the file, from 1), category and text.
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    pub number: usize,
    pub category: String,
    pub text: String,
}

impl std::fmt::Display for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = self.text.chars().take(120).collect();
        let more = if self.text.chars().count() > 120 {
            "…"
        } else {
            ""
        };
        write!(
            f,
            "payload #{} ({}) {shown:?}{more}",
            self.number, self.category
        )
    }
}

/// The corpus, read from the fixture (see its header for the syntax).
pub(crate) fn corpus() -> Vec<Payload> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let text = std::fs::read_to_string(&path).expect("the XSS corpus");
    let mut category = None;
    let mut payloads = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("## ") {
            category = Some(name.trim().to_string());
            continue;
        }
        if line.trim().is_empty() || line == "#" || line.starts_with("# ") {
            continue;
        }
        assert!(
            !line.starts_with('#'),
            "{FIXTURE}:{}: a payload starting with # is written \\#",
            i + 1
        );
        let category = category
            .clone()
            .unwrap_or_else(|| panic!("{FIXTURE}:{}: a payload before any category", i + 1));
        let number = payloads.len() + 1;
        let text = unescape(line)
            .unwrap_or_else(|e| panic!("{FIXTURE}:{}: {e}", i + 1))
            .replace('§', &number.to_string());
        payloads.push(Payload {
            number,
            category,
            text,
        });
    }
    payloads
}

/// A fixture line as the payload it stands for: escapes, then repetitions.
fn unescape(line: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('\\') => out.push('\\'),
                Some('#') => out.push('#'),
                Some('u') => {
                    if chars.next() != Some('{') {
                        return Err("\\u takes {HEX}".into());
                    }
                    let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("\\u{{{hex}}} is no character"))?;
                    out.push(code);
                }
                other => return Err(format!("unknown escape \\{other:?}")),
            },
            '⟦' => {
                let inner: String = chars.by_ref().take_while(|&c| c != '⟧').collect();
                let (count, text) = inner
                    .split_once('×')
                    .ok_or_else(|| format!("⟦{inner}⟧ is not ⟦N×TEXT⟧"))?;
                let count: usize = count
                    .parse()
                    .map_err(|_| format!("⟦{inner}⟧: {count} is no number"))?;
                out.push_str(&text.repeat(count));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[test]
fn the_corpus_has_at_least_200_payloads_in_every_category() {
    let corpus = corpus();
    assert!(corpus.len() >= 200, "{} payloads", corpus.len());
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &corpus {
        *by_category.entry(&p.category).or_default() += 1;
    }
    for category in [
        "script",
        "event-handlers",
        "svg-animation",
        "mutation-xss",
        "breakouts",
        "attribute-breakouts",
        "entities",
        "javascript-urls",
        "data-urls",
        "markdown",
        "templates",
        "css",
        "base-meta-form",
        "line-injection",
        "unicode",
        "long",
    ] {
        assert!(
            by_category.get(category).copied().unwrap_or(0) >= 5,
            "{category}: {by_category:?}"
        );
    }
    let texts: BTreeSet<&str> = corpus.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts.len(), corpus.len(), "a payload is there twice");
    assert!(corpus
        .iter()
        .any(|p| p.text.chars().count() > 10_000 && p.category == "long"));
    assert!(corpus.iter().any(|p| p.text.contains("\r\nBEGIN:VEVENT")));
    assert!(corpus.iter().any(|p| p.text.contains('\0')));
    assert_eq!(
        unescape("a\\tb\\u{202E}⟦3×xy⟧\\\\").as_deref(),
        Ok("a\tb\u{202E}xyxyxy\\")
    );
    assert!(unescape("\\q").is_err());
}

/// Addresses a browser would run or open as a document, beyond the corpus: each must be refused
/// in every link field.
const HOSTILE_ADDRESSES: &[&str] = &[
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\u{1}javascript:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example\\x",
    "http://javascript:alert(1)",
    "file:///etc/passwd",
    "blob:https://example.org/x",
];

/// Every link field of a session (join, registration, recording, video, further reading) given
/// each payload and each hostile address: refused with 422 naming the field, or kept as an
/// http(s) address (a path on the site for further reading), which pages and mails then
/// write into attributes. Nothing else is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_fields_take_only_web_addresses() {
    let app = crate::helpers::spawn_app(Db::Sqlite).await;
    // Each value, and whether it must be refused (the hostile addresses and the corpus' URL
    // categories; the rest may come back as an odd but web address).
    let mut values: Vec<(String, String, bool)> = HOSTILE_ADDRESSES
        .iter()
        .map(|a| (format!("{a:?}"), a.to_string(), true))
        .collect();
    values.extend(corpus().into_iter().map(|p| {
        let hostile = matches!(p.category.as_str(), "javascript-urls" | "data-urls");
        (p.to_string(), p.text, hostile)
    }));
    let fields = [
        "links.join",
        "links.registration",
        "links.recording",
        "links.video",
        "links.more[0].url",
    ];
    for (name, value, hostile) in &values {
        let before = app.event_count().await;
        let (status, answer) = app
            .post(
                "/api/v1/events",
                &json!({"kind": "webinar", "status": "scheduled", "title": "Liens",
                    "starts_at": "2037-03-04T09:00",
                    "links": {"join": value, "registration": value, "recording": value,
                        "video": value, "more": [{"title": "Plus", "url": value}]}}),
            )
            .await;
        let web = |v: &str| {
            url::Url::parse(v)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        };
        match status {
            201 => {
                assert!(!hostile, "{name} taken: {}", answer["links"]);
                for field in fields {
                    let stored = answer.pointer(&pointer(field)).and_then(Value::as_str);
                    let site_path = field == "links.more[0].url"
                        && stored.is_some_and(|v| {
                            v.starts_with('/') && !v.starts_with("//") && !v.contains('\\')
                        });
                    assert!(
                        stored.is_some_and(web) || site_path,
                        "{name}: {field} stored as {stored:?}"
                    );
                }
            }
            422 => {
                let named = field_errors(&answer);
                for field in fields.iter().filter(|_| *hostile) {
                    assert!(
                        named.iter().any(|(f, _)| f == field),
                        "{name}: {field} not refused: {answer}"
                    );
                }
                assert!(
                    named.iter().all(|(f, _)| fields.contains(&f.as_str())),
                    "{name}: refused for something else: {answer}"
                );
                assert_eq!(app.event_count().await, before, "{name}: stored on a 422");
            }
            other => panic!("{name}: {other} {answer}"),
        }
    }
}

/// How a payload's session is published, so that every page, list and mail gets payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    /// A video published today: the facade and its script, an announcement.
    Video,
    /// A webinar to come that takes registrations here: the form, a visitor's name and
    /// organisation, the registration mails, the console's list of registrants.
    Registration,
    /// A webinar to come whose registration is an outside form (a link): the reminder form,
    /// an announcement, then a change of place (the payload becomes its location) and its mail.
    Reminder,
    /// A webinar to come, announced, then cancelled with the payload as the reason.
    Cancelled,
    /// A webinar that took place: the archives, a recording link.
    Past,
}

impl Shape {
    const ALL: [Shape; 5] = [
        Shape::Video,
        Shape::Registration,
        Shape::Reminder,
        Shape::Cancelled,
        Shape::Past,
    ];

    fn of(number: usize) -> Shape {
        Shape::ALL[number % Shape::ALL.len()]
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Video => "video",
            Shape::Registration => "registration",
            Shape::Reminder => "reminder",
            Shape::Cancelled => "cancelled",
            Shape::Past => "past",
        }
    }
}

/// The tag every session of the test carries: one tag page lists them.
const CORPUS_TAG: &str = "corpus-xss";

/// A session with `text` in every text field an organiser fills, shaped as `shape`; `n` keeps
/// its dates and links apart from the others'. (No date holds a 49: template payloads check
/// that `{{ 7*7 }}` is not evaluated.)
fn session_json(text: &str, n: usize, shape: Shape) -> Value {
    let day = chrono::NaiveDate::from_ymd_opt(2037, 3, 2).expect("date")
        + chrono::Duration::days((n % 300) as i64);
    let mut doc = json!({
        "kind": "webinar", "status": "scheduled",
        "title": text, "summary": text, "body": text, "location": text,
        "starts_at": format!("{day}T09:00"), "ends_at": format!("{day}T10:00"),
        "programme": [text, "Questions"],
        "tags": [text, CORPUS_TAG],
        "speakers": [
            {"name": text, "role": text, "organisation": text},
            {"slug": directory_slug(n)},
        ],
        "series": {"title": text},
        "links": {"more": [{"title": text, "url": with_query("https://example.org/plus", n, text)}]},
    });
    match shape {
        Shape::Video => {
            doc["kind"] = json!("video");
            doc["published_on"] = json!(chrono::Utc::now().date_naive().to_string());
            doc["links"]["video"] = json!(with_query(
                "https://www.dailymotion.com/video/x8xss",
                n,
                text
            ));
            for key in ["starts_at", "ends_at", "location"] {
                doc[key] = Value::Null;
            }
        }
        Shape::Registration => {
            doc["registration_required"] = json!(true);
            doc["capacity"] = json!(30);
        }
        Shape::Reminder => {
            doc["location"] = json!(format!("Salle n°{n}"));
            doc["links"]["join"] = json!(with_query("https://visio.example.org/salle", n, text));
            doc["links"]["registration"] = json!(with_query(
                "https://formulaires.example.org/inscription",
                n,
                text
            ));
        }
        Shape::Cancelled => {
            doc["links"]["join"] = json!(with_query("https://visio.example.org/salle", n, text));
        }
        Shape::Past => {
            let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).expect("date")
                + chrono::Duration::days((n % 300) as i64);
            doc["starts_at"] = json!(format!("{day}T14:00"));
            doc["ends_at"] = json!(format!("{day}T15:00"));
            doc["links"]["recording"] = json!(with_query("https://example.org/replay", n, text));
        }
    }
    doc
}

/// An address with `text` in its query: the API keeps it as typed or percent-encoded, and
/// pages and mails write it into attributes.
fn with_query(base: &str, n: usize, text: &str) -> String {
    format!("{base}/{n}?q={text}")
}

/// The slug of the speaker of the directory that payload `n`'s session also credits.
fn directory_slug(n: usize) -> String {
    format!("intervenant-{n}")
}

/// A refusal the API answered for a payload, in one field.
#[derive(Debug, Clone)]
struct Refused {
    payload: usize,
    field: String,
    status: u16,
    message: String,
}

/// Why the API may refuse a payload: what the fields' rules say, nothing else.
fn expected_refusal(message: &str) -> bool {
    [
        "one line",
        "control character",
        "characters long; at most",
        "at most 200 characters",
        "must be at most",
        "is longer than",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// Whose field an API path writes, to name refusals: a session's (no prefix), a series', a
/// speaker's of the directory, a cancellation's.
fn field_owner(path: &str) -> &'static str {
    if path.ends_with("/cancel") {
        "cancel."
    } else if path.starts_with("/api/v1/series") {
        "series."
    } else if path.starts_with("/api/v1/speakers") {
        "directory."
    } else {
        ""
    }
}

/// `links.more[0].title` as a JSON pointer: `/links/more/0/title`.
fn pointer(field: &str) -> String {
    let mut out = String::new();
    for part in field.split('.') {
        match part.split_once('[') {
            Some((name, index)) => {
                out.push('/');
                out.push_str(name);
                out.push('/');
                out.push_str(index.trim_end_matches(']'));
            }
            None => {
                out.push('/');
                out.push_str(part);
            }
        }
    }
    out
}

/// What a 422 says, field by field.
fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_string(),
                        e["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One session of the corpus, as the API stored it.
#[derive(Debug, Clone)]
struct Seeded {
    payload: usize,
    shape: Shape,
    doc: Value,
}

impl Seeded {
    fn slug(&self) -> &str {
        self.doc["slug"].as_str().unwrap_or_default()
    }

    /// The texts its page must show as stored (the location as the final patch left it).
    fn shown_texts(&self) -> Vec<String> {
        let d = &self.doc;
        let mut texts = vec![];
        for key in ["summary", "location", "cancel_reason"] {
            if let Some(t) = d[key].as_str() {
                texts.push(t.to_string());
            }
        }
        for list in ["programme", "tags"] {
            for item in d[list].as_array().into_iter().flatten() {
                texts.extend(item.as_str().map(String::from));
            }
        }
        for s in d["speakers"].as_array().into_iter().flatten() {
            for key in ["name", "role", "organisation"] {
                texts.extend(s[key].as_str().map(String::from));
            }
        }
        for link in d["links"]["more"].as_array().into_iter().flatten() {
            texts.extend(link["title"].as_str().map(String::from));
        }
        texts.extend(d["series"]["title"].as_str().map(String::from));
        texts
    }

    fn h1(&self) -> String {
        let title = self.doc["title"].as_str().unwrap_or_default();
        if self.doc["status"] == "cancelled" {
            format!("Annulé : {title}")
        } else {
            title.to_string()
        }
    }
}

/// The application, the corpus in it, and what the API refused.
struct Corpus {
    app: TestApp,
    payloads: Vec<Payload>,
    sessions: Vec<Seeded>,
    twins: BTreeMap<Shape, Seeded>,
    refused: Vec<Refused>,
}

impl Corpus {
    fn payload(&self, number: usize) -> &Payload {
        &self.payloads[number - 1]
    }
}

/// Sends `body` to `path` (POST or PATCH); each field refused with 422 gets `plain` instead and
/// the request goes again, until it is taken. Every refusal is recorded, must be one the
/// fields' rules explain, and must leave the store as it was.
async fn send_until_taken(
    app: &TestApp,
    method: &str,
    path: &str,
    mut body: Value,
    payload: usize,
    plain: &str,
    refused: &mut Vec<Refused>,
) -> (u16, Value) {
    for _ in 0..6 {
        let before = app.event_count().await;
        let (status, answer) = match method {
            "PATCH" => app.patch(path, &body).await,
            _ => app.post(path, &body).await,
        };
        match status {
            422 => {
                let errors = field_errors(&answer);
                assert!(
                    !errors.is_empty(),
                    "#{payload}: 422 without fields: {answer}"
                );
                for (field, message) in errors {
                    assert!(
                        expected_refusal(&message),
                        "#{payload}: {method} {path}: {field} refused for an unexpected reason: {message}"
                    );
                    let at = pointer(&field);
                    let slot = body.pointer_mut(&at).unwrap_or_else(|| {
                        panic!("#{payload}: {field} ({at}) is not in what was sent")
                    });
                    // An address gets a plain address, anything else plain text.
                    *slot = if field.starts_with("links.") && !field.ends_with(".title") {
                        json!(format!("https://example.org/ordinaire/{payload}"))
                    } else {
                        json!(plain)
                    };
                    refused.push(Refused {
                        payload,
                        field: format!("{}{field}", field_owner(path)),
                        status,
                        message,
                    });
                }
            }
            413 if path == "/api/v1/events" => {
                // Too large as a whole (the payload in a dozen fields): only the body keeps it.
                refused.push(Refused {
                    payload,
                    field: "(whole request)".into(),
                    status,
                    message: answer.to_string(),
                });
                let text = body["body"].clone();
                body = session_json(plain, payload, Shape::of(payload));
                body["body"] = text;
            }
            _ => return (status, answer),
        }
        assert_eq!(
            app.event_count().await,
            before,
            "#{payload}: a refused request stored something"
        );
    }
    panic!("#{payload}: {method} {path} never taken")
}

/// The application with a confirmed subscriber to everything and, for each shape, a session
/// without payloads (its twin): the documents the others are compared with.
async fn start() -> Corpus {
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, |f| {
        f.merge(("mail.subscribe_limit_per_client", 1_000_000))
            .merge(("mail.subscribe_limit_per_address", 1_000_000))
            .merge(("content.base_url", "https://site.example.gouv.fr"))
    })
    .await;
    let (status, doc) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "abonnee@example.org", "scope": "all",
                "consent": {"source": "import", "at": "2026-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 201, "{doc}");
    let mut refused = Vec::new();
    let mut twins = BTreeMap::new();
    for (i, shape) in Shape::ALL.into_iter().enumerate() {
        let text = format!("Témoin {} sans charge", shape.name());
        twins.insert(
            shape,
            publish(&app, &text, 10_000 + i, shape, &mut refused).await,
        );
    }
    assert!(refused.is_empty(), "plain text refused: {refused:?}");
    Corpus {
        app,
        payloads: corpus(),
        sessions: Vec::new(),
        twins,
        refused,
    }
}

/// One session per payload, the payload in every field.
async fn add_payloads(corpus: &mut Corpus) {
    for p in &corpus.payloads {
        let seeded = publish(
            &corpus.app,
            &p.text,
            p.number,
            Shape::of(p.number),
            &mut corpus.refused,
        )
        .await;
        corpus.sessions.push(seeded);
    }
}

/// Creates the session of payload `n` (or a twin), then what its shape does next: the
/// series' description, a change of place, a cancellation, a visitor's registration.
async fn publish(
    app: &TestApp,
    text: &str,
    n: usize,
    shape: Shape,
    refused: &mut Vec<Refused>,
) -> Seeded {
    let plain = format!("Texte ordinaire n°{n}");
    // A speaker of the directory, with the payload as name, role and organisation.
    let (status, answer) = send_until_taken(
        app,
        "POST",
        "/api/v1/speakers",
        json!({"slug": directory_slug(n), "name": text, "role": text, "organisation": text}),
        n,
        &plain,
        refused,
    )
    .await;
    assert_eq!(status, 201, "#{n}: {answer}");
    let (status, mut doc) = send_until_taken(
        app,
        "POST",
        "/api/v1/events",
        session_json(text, n, shape),
        n,
        &plain,
        refused,
    )
    .await;
    assert_eq!(status, 201, "#{n}: {doc}");
    let slug = doc["slug"].as_str().unwrap_or_default().to_string();
    if let Some(series) = doc["series"]["slug"].as_str() {
        let (status, answer) = send_until_taken(
            app,
            "PATCH",
            &format!("/api/v1/series/{series}"),
            json!({ "description": text }),
            n,
            &plain,
            refused,
        )
        .await;
        assert_eq!(status, 200, "#{n}: {answer}");
    }
    match shape {
        Shape::Reminder => {
            let (status, answer) = send_until_taken(
                app,
                "PATCH",
                &format!("/api/v1/events/{slug}"),
                json!({ "location": text }),
                n,
                &plain,
                refused,
            )
            .await;
            assert_eq!(status, 200, "#{n}: {answer}");
            doc = answer;
        }
        Shape::Cancelled => {
            let (status, answer) = send_until_taken(
                app,
                "POST",
                &format!("/api/v1/events/{slug}/cancel"),
                json!({ "reason": text }),
                n,
                &plain,
                refused,
            )
            .await;
            assert_eq!(status, 200, "#{n}: {answer}");
            doc = answer;
        }
        Shape::Registration => register(app, &slug, text, n, &plain, refused).await,
        Shape::Video | Shape::Past => {}
    }
    Seeded {
        payload: n,
        shape,
        doc,
    }
}

/// A visitor registers through the session page's form with `text` as their name and
/// organisation; a name the form refuses (422, the session's page to correct it) is recorded
/// and a plain one is sent.
async fn register(
    app: &TestApp,
    slug: &str,
    text: &str,
    n: usize,
    plain: &str,
    refused: &mut Vec<Refused>,
) {
    let email = format!("visiteur{n}@example.org");
    let mut fields = [("name", text), ("organisation", text)];
    for _ in 0..3 {
        let response = app
            .client
            .post(app.url(&format!("/events/{slug}/inscription")))
            .form(&[
                ("email", email.as_str()),
                ("name", fields[0].1),
                ("organisation", fields[1].1),
            ])
            .send()
            .await
            .expect("registration form");
        let status = response.status().as_u16();
        let page = response.text().await.unwrap_or_default();
        match status {
            200 => return,
            422 => {
                // The page says which fields in French; the domain's rule says why.
                let check = eventail::domain::registration::Registrant::parse(
                    &email,
                    fields[0].1,
                    Some(fields[1].1),
                );
                let errors = check.err().unwrap_or_else(|| {
                    panic!("#{n}: the form refused what the domain takes: {page}")
                });
                for error in &errors.0 {
                    let slot = match error.field.as_str() {
                        "name" => &mut fields[0].1,
                        "organisation" => &mut fields[1].1,
                        other => panic!("#{n}: registration refused on {other}: {errors}"),
                    };
                    *slot = plain;
                    refused.push(Refused {
                        payload: n,
                        field: format!("registration.{}", error.field),
                        status,
                        message: error.message.clone(),
                    });
                }
            }
            other => panic!("#{n}: the registration form answered {other}: {page}"),
        }
    }
    panic!("#{n}: the registration form never took a plain name");
}

/// Installed in every frame before its own scripts: what a payload would call, recorded.
const RECORDER: &str = r#"(() => {
  const hits = [];
  Object.defineProperty(window, '__xssHits', { value: hits });
  const record = (name) => function () {
    hits.push(name + '(' + Array.from(arguments).map(String).join(', ') + ')');
  };
  for (const name of ['alert', 'confirm', 'prompt', 'print']) window[name] = record(name);
  window.__xss = record('__xss');
})();"#;

/// What a document (or one document's part of a page, `root`) holds that could run, and what
/// it shows. Called with `root`, its document, the window, the video facade's script (the one
/// script pages may hold) and the origins forms may post to.
const INSPECT: &str = r#"(root, doc, win, facade, formOrigins) => {
  const problems = [];
  const show = (el) => el.outerHTML.replace(/\s+/g, ' ').slice(0, 240);
  const urlAttributes = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data',
    'codebase', 'poster', 'background', 'cite', 'longdesc', 'ping', 'dynsrc', 'lowsrc',
    'manifest', 'icon', 'usemap', 'archive', 'classid', 'code', 'profile', 'xml:base', 'from',
    'to', 'values', 'by', 'begin']);
  const schemes = ['http:', 'https:', 'mailto:', 'tel:', 'webcal:'];
  if (doc.location && doc.location.protocol === 'file:') schemes.push('file:');
  const goesSomewhereSafe = (value) => {
    let url;
    try { url = new URL(value, doc.baseURI); } catch (e) { return true; }
    return schemes.includes(url.protocol) || url.href === 'data:,';
  };
  const watched = ['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base',
    'meta', 'form', 'style', 'link', 'svg', 'math', 'animate', 'set', 'animatetransform',
    'animatemotion', 'discard', 'use', 'foreignobject', 'template', 'noscript', 'noembed',
    'textarea', 'input', 'button', 'select', 'portal', 'xmp', 'plaintext', 'isindex', 'keygen',
    'marquee', 'video', 'audio', 'source', 'track', 'title', 'param', 'body', 'head', 'html'];
  const counts = {};
  for (const tag of watched) counts[tag] = 0;
  for (const el of root.querySelectorAll('*')) {
    const tag = el.localName.toLowerCase();
    if (tag in counts) counts[tag] += 1;
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) problems.push('event handler ' + name + ': ' + show(el));
      if (name === 'srcdoc') problems.push('srcdoc: ' + show(el));
      if (name === 'http-equiv') problems.push('http-equiv: ' + show(el));
      if (name === 'style' && /javascript|vbscript|expression|binding|behavior|url\s*\(|@import/i.test(attr.value))
        problems.push('style that loads or runs: ' + show(el));
      if ((urlAttributes.has(name) || name.endsWith(':href')) && !goesSomewhereSafe(attr.value))
        problems.push(name + ' leads to ' + attr.value.slice(0, 80) + ': ' + show(el));
    }
    if (tag === 'script' && el.textContent !== facade) problems.push('a script: ' + show(el));
    if (tag === 'form') {
      const action = new URL(el.getAttribute('action') || '', doc.baseURI);
      if (!formOrigins.includes(action.origin)) problems.push('a form posting elsewhere: ' + show(el));
    }
  }
  const main = root.querySelector('main') || (root === doc ? doc.body : root) || doc.documentElement;
  const h1 = root.querySelector('h1');
  const title = root.querySelector('title');
  const email = root.querySelector('input[name="email"]');
  return {
    problems,
    hits: root === doc ? (win.__xssHits ? Array.from(win.__xssHits) : ['(the recorder is missing)']) : [],
    counts,
    h1: h1 ? h1.textContent : null,
    title: title ? title.textContent : null,
    email: email ? email.getAttribute('value') : null,
    text: main ? main.textContent : '',
    items: Array.from(root.querySelectorAll('ul.list a')).map(a => [a.getAttribute('href'), a.textContent]),
  };
}"#;

/// Writes a page holding several documents (each in its `section`) into the tab, as a load
/// would (their scripts run, their handlers fire, with the recorder: the window stays), lets
/// it settle, and inspects each part. What ran comes back for the whole page.
const LOAD_TOGETHER: &str = r#"async (html, count, settle, inspect, facade, formOrigins) => {
  window.__xssHits.length = 0;
  document.open();
  // After `open`, which drops the window's listeners.
  const loaded = new Promise((resolve) => window.addEventListener('load', resolve, { once: true }));
  document.write(html);
  document.close();
  await Promise.race([loaded, new Promise((resolve) => setTimeout(resolve, 10000))]);
  await new Promise((resolve) => setTimeout(resolve, settle));
  const reports = [];
  for (let i = 0; i < count; i++) {
    const root = document.querySelector('section[data-xss-document="' + i + '"]');
    reports.push(root ? inspect(root, document, window, facade, formOrigins)
      : { error: 'its part of the page is gone (a document before it broke the page?)' });
  }
  return { reports, page: Array.from(window.__xssHits) };
}"#;

/// Posts `value` as the subscribe form's address, as a visitor would, bypassing the field's
/// own checks (a textarea keeps line breaks).
const POST_SUBSCRIBE: &str = r#"(action, value) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  const email = document.createElement('textarea');
  email.name = 'email';
  email.value = value;
  const scope = document.createElement('input');
  scope.name = 'scope';
  scope.value = 'all';
  form.append(email, scope);
  document.body.append(form);
  form.submit();
  return true;
}"#;

/// How long a document is left to run what it would run (timers, autofocus, media errors,
/// SVG animations) after its load.
const SETTLE: Duration = Duration::from_millis(150);

/// Documents looked at together in one page.
const TOGETHER: usize = 16;

/// One document to look at.
#[derive(Debug, Clone)]
struct Target {
    /// What it is, for messages: « page », « mail », « export », …
    label: String,
    /// Where it is loaded from (or, with `html`, where it comes from).
    url: String,
    /// Documents of one kind share the counts of a document of that kind without payloads.
    kind: String,
    /// The payloads it holds (by number), named when it fails.
    payloads: Vec<usize>,
    /// The h1's text, exactly.
    h1: Option<String>,
    /// What `<title>` starts with (whitespace collapsed, as browsers read it).
    title: Option<String>,
    /// The value the page's address field (`input[name=email]`) holds, exactly.
    email: Option<String>,
    /// Texts the main element must show as they are.
    texts: Vec<String>,
    /// List items' links and texts (`ul.list a`): each link's text, by its path's end.
    items: BTreeMap<String, String>,
    /// A subscribe form's address to post from this page before looking.
    post_email: Option<(String, String)>,
    /// A baseline: a document of `kind` without payloads, whose counts are the allowance.
    baseline: bool,
    /// The document's bytes (a mail's HTML part, a page fetched by a visitor, an entry of the
    /// feed), looked at together with others rather than loaded from `url`.
    html: Option<String>,
}

impl Target {
    fn new(label: impl Into<String>, url: impl Into<String>, kind: impl Into<String>) -> Target {
        Target {
            label: label.into(),
            url: url.into(),
            kind: kind.into(),
            payloads: vec![],
            h1: None,
            title: None,
            email: None,
            texts: vec![],
            items: BTreeMap::new(),
            post_email: None,
            baseline: false,
            html: None,
        }
    }

    fn baseline(mut self) -> Target {
        self.baseline = true;
        self
    }

    fn holding(mut self, payloads: impl IntoIterator<Item = usize>) -> Target {
        self.payloads.extend(payloads);
        self
    }

    fn with_html(mut self, html: impl Into<String>) -> Target {
        self.html = Some(html.into());
        self
    }
}

/// A tab that records what payloads call, with the CSP bypassed.
async fn xss_tab(chromium: &Chromium) -> Page {
    let page = chromium
        .browser
        .new_page("about:blank")
        .await
        .expect("new tab");
    page.execute(SetBypassCspParams::new(true))
        .await
        .expect("bypass CSP");
    page.execute(AddScriptToEvaluateOnNewDocumentParams::new(RECORDER))
        .await
        .expect("recorder");
    // The stylesheet and fonts change nothing to what runs, and would be much of the time.
    page.execute(
        SetBlockedUrLsParams::builder()
            .url_pattern(BlockPattern::new("*://*:*/assets/*", true))
            .build(),
    )
    .await
    .expect("no stylesheet");
    page
}

/// What the browser is asked to do: load one page, or look at documents together.
enum Work {
    Load(Box<Target>),
    Together(Vec<Target>),
}

/// What the inspector gets besides the document.
struct Inspection {
    facade: String,
    origins: Vec<String>,
    /// A page of the service, to write documents looked at together into (their links
    /// resolve against it).
    host: String,
}

/// Loads `target` in `page` and reads what it holds.
async fn load(page: &Page, target: &Target, inspection: &Inspection) -> Result<Value, String> {
    let work = async {
        page.goto(target.url.as_str())
            .await
            .map_err(|e| format!("load: {e}"))?;
        if let Some((action, value)) = &target.post_email {
            post_from(page, action, value).await?;
        }
        tokio::time::sleep(SETTLE).await;
        let call = format!(
            "({INSPECT})(document, document, window, {}, {})",
            json!(inspection.facade),
            json!(inspection.origins)
        );
        page.evaluate(call)
            .await
            .map_err(|e| format!("inspect: {e}"))?
            .into_value::<Value>()
            .map_err(|e| format!("inspect: {e}"))
    };
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .unwrap_or_else(|_| Err("no answer within 30 s".into()))
}

/// Posts the subscribe form from the page `page` shows, and waits for the answer's document.
async fn post_from(page: &Page, action: &str, value: &str) -> Result<(), String> {
    page.evaluate("window.__before = true")
        .await
        .map_err(|e| format!("mark: {e}"))?;
    page.evaluate(format!(
        "({POST_SUBSCRIBE})({}, {})",
        json!(action),
        json!(value)
    ))
    .await
    .map_err(|e| format!("post: {e}"))?;
    // The answer is a new document: without the mark, and loaded.
    for _ in 0..400 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let arrived = page
            .evaluate("window.__before === undefined && document.readyState === 'complete'")
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok());
        if arrived == Some(true) {
            return Ok(());
        }
    }
    Err("the subscribe form's answer never loaded".into())
}

/// What a page holds, to stand among others in one: its head's elements (`<title>`, `<meta>`,
/// `<link>` keep their place and their parsing in a body) then its body's, without the tags of
/// `html`, `head` and `body` themselves.
fn page_inner(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let inner = |tag: &str| -> Option<&str> {
        let open = lower.find(&format!("<{tag}"))?;
        let start = open + lower[open..].find('>')? + 1;
        let end = lower.rfind(&format!("</{tag}>")).filter(|&e| e >= start)?;
        Some(&html[start..end])
    };
    match (inner("head"), inner("body")) {
        (Some(head), Some(body)) => format!("{head}{body}"),
        (None, Some(body)) => body.to_string(),
        _ => html.to_string(),
    }
}

/// One page holding the documents of `batch`, each in its section.
fn page_of(batch: &[Target]) -> String {
    let mut page = String::from(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"></head><body>",
    );
    for (i, target) in batch.iter().enumerate() {
        page.push_str(&format!("<section data-xss-document=\"{i}\">"));
        page.push_str(&page_inner(target.html.as_deref().unwrap_or_default()));
        page.push_str("</section>");
    }
    page.push_str("</body></html>");
    page
}

/// Looks at `batch` together in `page`; a script that ran is put on the document whose payload
/// it names (the first one otherwise).
async fn together(
    page: &Page,
    batch: &[Target],
    inspection: &Inspection,
) -> Vec<Result<Value, String>> {
    let work = async {
        let here = page.url().await.ok().flatten().unwrap_or_default();
        if here != inspection.host {
            page.goto(inspection.host.as_str())
                .await
                .map_err(|e| format!("load: {e}"))?;
        }
        let call = format!(
            "({LOAD_TOGETHER})({}, {}, {}, {INSPECT}, {}, {})",
            json!(page_of(batch)),
            batch.len(),
            SETTLE.as_millis(),
            json!(inspection.facade),
            json!(inspection.origins)
        );
        page.evaluate(call)
            .await
            .map_err(|e| format!("together: {e}"))?
            .into_value::<Value>()
            .map_err(|e| format!("together: {e}"))
    };
    let answer = tokio::time::timeout(Duration::from_secs(60), work)
        .await
        .unwrap_or_else(|_| Err("no answer within 60 s".into()));
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return batch.iter().map(|_| Err(e.clone())).collect(),
    };
    let mut reports: Vec<Result<Value, String>> = answer["reports"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|r| match r["error"].as_str() {
            Some(e) => Err(e.to_string()),
            None => Ok(r),
        })
        .collect();
    reports.resize_with(batch.len(), || Err("no report".into()));
    for hit in answer["page"].as_array().into_iter().flatten() {
        let hit = hit.as_str().unwrap_or_default();
        let numbers: Vec<usize> = hit
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|d| d.parse().ok())
            .collect();
        let at = batch
            .iter()
            .position(|t| t.payloads.iter().any(|n| numbers.contains(n)))
            .unwrap_or(0);
        match &mut reports[at] {
            Ok(report) => {
                if let Some(hits) = report["hits"].as_array_mut() {
                    hits.push(json!(hit));
                }
            }
            Err(e) => e.push_str(&format!("; and {hit} ran")),
        }
    }
    reports
}

/// Looks at every target, in `tabs` tabs at once; returns each target with its report.
async fn look_at_all(
    chromium: &Chromium,
    targets: Vec<Target>,
    tabs: usize,
    inspection: &Arc<Inspection>,
) -> Vec<(Target, Result<Value, String>)> {
    let (loaded, written): (Vec<Target>, Vec<Target>) =
        targets.into_iter().partition(|t| t.html.is_none());
    let mut work: VecDeque<Work> = loaded
        .into_iter()
        .map(|t| Work::Load(Box::new(t)))
        .collect();
    // Documents of one kind go together: a page of them resembles each of them.
    let mut by_kind: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for target in written {
        by_kind.entry(target.kind.clone()).or_default().push(target);
    }
    for targets in by_kind.into_values() {
        for batch in targets.chunks(TOGETHER) {
            work.push_back(Work::Together(batch.to_vec()));
        }
    }
    let queue = Arc::new(Mutex::new(work));
    let done = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for _ in 0..tabs {
        let page = xss_tab(chromium).await;
        let queue = queue.clone();
        let done = done.clone();
        let inspection = inspection.clone();
        workers.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().expect("queue").pop_front();
                match next {
                    None => break,
                    Some(Work::Load(target)) => {
                        let report = load(&page, &target, &inspection).await;
                        done.lock().expect("reports").push((*target, report));
                    }
                    Some(Work::Together(batch)) => {
                        let reports = together(&page, &batch, &inspection).await;
                        done.lock()
                            .expect("reports")
                            .extend(batch.into_iter().zip(reports));
                    }
                }
            }
            let _ = page.close().await;
        }));
    }
    for worker in workers {
        worker.await.expect("a tab's worker");
    }
    let mut done = done.lock().expect("reports");
    std::mem::take(&mut *done)
}

/// Text as the HTML parser leaves it: line breaks as `\n`.
fn as_parsed(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "\u{FFFD}")
}

/// ASCII whitespace collapsed, as `document.title` reads.
fn collapsed(text: &str) -> String {
    text.split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Template expressions of the corpus and what they would show if they were evaluated.
const EVALUATED: &[(&str, &str)] = &[("7*7", "49"), ("1234*5", "6170"), ("7*'7'", "7777777")];

/// What is wrong with what `target`'s document holds; `allowance`: the counts of a document
/// of its kind without payloads.
fn judge(
    target: &Target,
    report: &Value,
    allowance: &BTreeMap<String, u64>,
    corpus: &[Payload],
) -> Vec<String> {
    let mut wrong = Vec::new();
    for hit in report["hits"].as_array().into_iter().flatten() {
        wrong.push(format!(
            "a script ran: {}",
            hit.as_str().unwrap_or_default()
        ));
    }
    for problem in report["problems"].as_array().into_iter().flatten() {
        wrong.push(problem.as_str().unwrap_or_default().to_string());
    }
    if let Some(counts) = report["counts"].as_object() {
        for (tag, n) in counts {
            let n = n.as_u64().unwrap_or(0);
            let allowed = allowance.get(tag).copied().unwrap_or(0);
            if n > allowed {
                wrong.push(format!(
                    "{n} <{tag}> where a {} without payloads has {allowed}",
                    target.kind
                ));
            }
        }
    }
    let text = as_parsed(report["text"].as_str().unwrap_or_default());
    if let Some(h1) = &target.h1 {
        let shown = report["h1"].as_str().unwrap_or_default();
        if as_parsed(h1) != shown {
            wrong.push(format!("the h1 shows {shown:?}, not the stored {h1:?}"));
        }
    }
    if let Some(expected) = &target.title {
        let title = collapsed(report["title"].as_str().unwrap_or_default());
        if !title.starts_with(&collapsed(expected)) {
            wrong.push(format!(
                "the <title> is {title:?}, not the stored {expected:?}"
            ));
        }
    }
    let email = report["email"].as_str().map(as_parsed);
    if let Some(expected) = &target.email {
        if email.as_deref() != Some(as_parsed(expected).as_str()) {
            wrong.push(format!(
                "the address field holds {email:?}, not what was typed"
            ));
        }
    }
    for expected in &target.texts {
        if !text.contains(&as_parsed(expected)) {
            wrong.push(format!("{expected:?} is not shown as stored"));
        }
    }
    for pair in report["items"].as_array().into_iter().flatten() {
        let href = pair[0].as_str().unwrap_or_default();
        let slug = href.rsplit('/').next().unwrap_or_default();
        if let Some(title) = target.items.get(slug) {
            let shown = pair[1].as_str().unwrap_or_default();
            if as_parsed(title) != shown {
                wrong.push(format!(
                    "the list shows {shown:?} for {slug}, not {title:?}"
                ));
            }
        }
    }
    // Template syntax shows as written: where a document holds one template payload, its
    // result may not appear unless the expression does too.
    if let [n] = target.payloads[..] {
        let shown = format!("{text}\n{}", email.unwrap_or_default());
        let p = corpus.get(n.wrapping_sub(1));
        for (expression, result) in EVALUATED {
            if p.is_some_and(|p| p.category == "templates" && p.text.contains(expression))
                && shown.contains(result)
                && !shown.contains(expression)
            {
                wrong.push(format!("{expression} shows evaluated as {result}"));
            }
        }
    }
    wrong
}

/// The payloads a failure is about: those the target holds, or those named in the message.
fn named(target: &Target, problem: &str, corpus: &[Payload]) -> String {
    let mut numbers: BTreeSet<usize> = problem
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|d| d.parse().ok())
        .filter(|n| target.payloads.contains(n))
        .collect();
    if numbers.is_empty() && target.payloads.len() <= 3 {
        numbers.extend(&target.payloads);
    }
    numbers
        .into_iter()
        .filter_map(|n| corpus.get(n.wrapping_sub(1)))
        .map(|p| format!("\n    {p}"))
        .collect()
}

/// Waits until the outbox has sent all it has to send now (reminders wait for their day).
async fn drain_outbox(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let next = app.store.next_due().await.expect("outbox");
        if next.is_none_or(|due| due > chrono::Utc::now() + chrono::Duration::hours(1)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox still has {next:?} due"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The mails the file transport wrote since the last call (`seen` keeps their names).
fn new_mails(outbox: &Path, seen: &mut BTreeSet<PathBuf>) -> Vec<(PathBuf, crate::smtp::Mail)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "eml"))
        .filter(|f| seen.insert(f.clone()))
        .map(|f| {
            let mail = crate::smtp::parse(&std::fs::read(&f).expect("a mail"));
            (f, mail)
        })
        .collect()
}

/// Headers a mail may carry: those of the mails without payloads.
fn header_names(mail: &crate::smtp::Mail) -> BTreeSet<String> {
    mail.headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect()
}

/// What is wrong with a mail's headers: a line break in the subject, a header no mail
/// without payloads has (an injected `Bcc:`), one of the single headers twice.
fn header_problems(mail: &crate::smtp::Mail, allowed: &BTreeSet<String>) -> Vec<String> {
    let mut wrong = Vec::new();
    if mail.subject.contains(['\r', '\n']) {
        wrong.push(format!("a line break in the subject {:?}", mail.subject));
    }
    for name in header_names(mail).difference(allowed) {
        wrong.push(format!("a header {name:?} no other mail has"));
    }
    for single in [
        "date",
        "from",
        "to",
        "subject",
        "message-id",
        "content-type",
    ] {
        let n = mail
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(single))
            .count();
        if n != 1 {
            wrong.push(format!("{n} {single} headers"));
        }
    }
    wrong
}

/// What is wrong with an iCalendar text: a line that is no property (an injected line, a
/// `Bcc:`), more than one calendar, an event without exactly one UID (an injected event).
fn calendar_problems(ics: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    let lines: Vec<&str> = unfolded
        .strip_suffix("\r\n")
        .unwrap_or(&unfolded)
        .split("\r\n")
        .collect();
    let mut calendars = 0;
    let mut uids: Option<usize> = None;
    for line in &lines {
        let name = line.split([':', ';']).next().unwrap_or_default();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            || line.contains(['\r', '\n'])
        {
            wrong.push(format!("a line that is no property: {line:?}"));
        }
        match *line {
            "BEGIN:VCALENDAR" => calendars += 1,
            "BEGIN:VEVENT" => uids = Some(0),
            "END:VEVENT" => {
                if uids != Some(1) {
                    wrong.push(format!("an event with {uids:?} UID"));
                }
                uids = None;
            }
            _ if line.starts_with("UID:") => uids = uids.map(|n| n + 1),
            _ => {}
        }
    }
    if calendars != 1 || lines.first() != Some(&"BEGIN:VCALENDAR") {
        wrong.push(format!(
            "{calendars} calendars, starting with {:?}",
            lines.first()
        ));
    }
    wrong
}

/// Writes `html` as a file under `dir` and returns its file:// address.
fn as_file(dir: &Path, name: &str, html: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, html).expect("a document to look at");
    url::Url::from_file_path(&path)
        .map(String::from)
        .unwrap_or_else(|_| panic!("{} as a URL", path.display()))
}

/// The counts of each kind of document without payloads: the most any of them has.
fn allowances(
    reports: &[(Target, Result<Value, String>)],
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (target, report) in reports.iter().filter(|(t, _)| t.baseline) {
        let report = report
            .as_ref()
            .unwrap_or_else(|e| panic!("{} {}: {e}", target.label, target.url));
        let counts = out.entry(target.kind.clone()).or_default();
        for (tag, n) in report["counts"].as_object().into_iter().flatten() {
            let n = n.as_u64().unwrap_or(0);
            let max = counts.entry(tag.clone()).or_default();
            *max = (*max).max(n);
        }
    }
    out
}

/// Every failure, one paragraph each, naming the document and the payloads.
fn failures(
    reports: &[(Target, Result<Value, String>)],
    allowances: &BTreeMap<String, BTreeMap<String, u64>>,
    corpus: &[Payload],
) -> Vec<String> {
    let mut out = Vec::new();
    for (target, report) in reports {
        let allowance = allowances
            .get(&target.kind)
            .unwrap_or_else(|| panic!("no document of kind {} without payloads", target.kind));
        let problems = match report {
            Ok(report) => judge(target, report, allowance, corpus),
            Err(e) => vec![e.clone()],
        };
        for problem in problems {
            out.push(format!(
                "{} {}: {problem}{}",
                target.label,
                target.url,
                named(target, &problem, corpus)
            ));
        }
    }
    out
}

/// Tabs looking at documents at once: much of a document's time is its settle, spent waiting.
const TABS: usize = 4;

/// A session's page, with what it must show as stored.
fn session_page(app: &TestApp, s: &Seeded) -> Target {
    let mut target = Target::new(
        "page",
        app.url(&format!("/events/{}", s.slug())),
        format!("event-{}", s.shape.name()),
    )
    .holding([s.payload]);
    target.h1 = Some(s.h1());
    target.title = s.doc["title"].as_str().map(String::from);
    target.texts = s.shown_texts();
    target
}

/// A page of the service as a visitor's browser gets it, to look at side by side.
async fn fetched(app: &TestApp, label: &str, path: &str, kind: &str) -> Target {
    let url = app.url(path);
    let html = html_of(app, &url).await;
    Target::new(label, url, kind).with_html(html)
}

async fn html_of(app: &TestApp, url: &str) -> String {
    app.client
        .get(url)
        .send()
        .await
        .expect("a page")
        .text()
        .await
        .expect("its HTML")
}

/// The subscribe form posted with `email` as the address: its answer (the form again, with
/// what was typed), to look at side by side.
async fn subscribe_answer(app: &TestApp, email: &str) -> Target {
    let url = app.url("/abonnement");
    let html = app
        .client
        .post(&url)
        .form(&[("email", email), ("scope", "all")])
        .send()
        .await
        .expect("the subscribe form")
        .text()
        .await
        .expect("its answer");
    Target::new("subscribe form's answer", url, "subscribe-answer").with_html(html)
}

/// The subscribe form posted by the browser with `email` as the address, its answer loaded
/// there.
fn posted(app: &TestApp, email: &str) -> Target {
    let mut target = Target::new(
        "subscribe form posted by the browser",
        app.url("/abonnement"),
        "subscribe-answer-posted",
    );
    target.post_email = Some((app.url("/abonnement"), email.to_string()));
    target.email = Some(email.to_string());
    target
}

/// The tag's page, with its heading.
async fn tag_page(app: &TestApp, tag: &str, kind: &str) -> Target {
    let path = eventail::domain::urls::PublicUrls::paths().tag_page(tag);
    let mut target = fetched(app, "tag page", &path, kind).await;
    target.h1 = Some(format!("Thème \u{ab}\u{a0}{tag}\u{a0}\u{bb}"));
    target
}

/// The series' page, with its heading and presentation.
async fn series_page(app: &TestApp, series: &Value, kind: &str) -> Target {
    let slug = series["slug"].as_str().unwrap_or_default();
    let mut target = fetched(app, "series page", &format!("/series/{slug}"), kind).await;
    target.h1 = series["title"].as_str().map(String::from);
    target.title = target.h1.clone();
    target
        .texts
        .extend(series["description"].as_str().map(String::from));
    target
}

/// A subscribe form offering a reminder of the session: its title in the choice.
async fn session_subscribe_page(app: &TestApp, s: &Seeded, kind: &str) -> Target {
    let path = format!("/abonnement?session={}", s.slug());
    let mut target = fetched(app, "subscribe form", &path, kind)
        .await
        .holding([s.payload]);
    let title = s.doc["title"].as_str().unwrap_or_default();
    target.texts = vec![format!("un rappel pour \u{ab}\u{a0}{title}\u{a0}\u{bb}")];
    target
}

/// The console's list of a session's registrants: the names visitors typed.
async fn registrants_page(
    app: &TestApp,
    me: &mut crate::console::Browser,
    s: &Seeded,
    kind: &str,
) -> Target {
    let id = s.doc["id"].as_str().unwrap_or_default();
    let path = format!("/admin/sessions/{id}/inscrits");
    let page = me.get(&path).await;
    assert_eq!(page.status, 200, "{path}");
    let (_, registrations) = app
        .store
        .list_registrations(id, None)
        .await
        .expect("registrations");
    assert!(
        !registrations.is_empty(),
        "#{}: nobody registered",
        s.payload
    );
    let mut target = Target::new("console", app.url(&path), kind)
        .holding([s.payload])
        .with_html(page.html);
    for r in registrations {
        target.texts.push(r.name);
        target.texts.extend(r.organisation);
    }
    target
}

/// A mail's HTML part, and what its text part and headers must not carry.
struct MailCheck {
    target: Target,
    header_problems: Vec<String>,
}

/// The session a mail is about, by the link to its page.
fn about<'a>(html: &str, sessions: &'a [Seeded]) -> Option<&'a Seeded> {
    let at = html.find("/events/")? + "/events/".len();
    let slug: String = html[at..]
        .chars()
        .take_while(|c| !matches!(c, '"' | '.' | '#' | '?' | '<' | '/'))
        .collect();
    sessions.iter().find(|s| s.slug() == slug)
}

fn mail_check(
    path: &Path,
    mail: &crate::smtp::Mail,
    sessions: &[Seeded],
    allowed_headers: &BTreeSet<String>,
) -> MailCheck {
    let html = mail
        .part("text/html")
        .map(|p| p.2.clone())
        .unwrap_or_else(|| panic!("{}: no HTML part", path.display()));
    let mut target = Target::new(
        format!("mail « {} »", mail.subject),
        path.display().to_string(),
        "mail",
    );
    if let Some(s) = about(&html, sessions) {
        target.payloads.push(s.payload);
        target
            .texts
            .extend(s.doc["title"].as_str().map(String::from));
    }
    MailCheck {
        header_problems: header_problems(mail, allowed_headers),
        target: target.with_html(html),
    }
}

/// An Atom entry's content as a document of its own.
fn entry_document(content: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Entrée</title></head><body><main>{content}</main></body></html>"
    )
}

/// What is wrong with a feed's entries (titles and themes as stored), and each entry's HTML.
fn read_feed(
    xml: &str,
    events: &[eventail::domain::Event],
) -> (Vec<String>, BTreeMap<String, String>) {
    let feed = atom_syndication::Feed::read_from(xml.as_bytes())
        .unwrap_or_else(|e| panic!("the Atom feed does not parse: {e}"));
    let mut wrong = Vec::new();
    let mut contents = BTreeMap::new();
    for entry in feed.entries() {
        let id = entry.id().trim_start_matches("urn:uuid:");
        let Some(event) = events.iter().find(|e| e.id == id) else {
            wrong.push(format!("entry {id}: no such session"));
            continue;
        };
        let prefix = if event.status == eventail::domain::EventStatus::Cancelled {
            "Annulé : "
        } else {
            ""
        };
        let expected = format!("{prefix}{}", event.title);
        if entry.title().value != expected {
            wrong.push(format!(
                "entry {}: title {:?}, not {expected:?}",
                event.slug,
                entry.title().value
            ));
        }
        let terms: Vec<&str> = entry.categories().iter().map(|c| c.term()).collect();
        // A term is an XML attribute: readers turn its line breaks and tabs into spaces
        // (XML 1.0, 3.3.3); the writer does not escape them as character references.
        let tags: Vec<String> = event
            .tags
            .iter()
            .map(|t| t.replace("\r\n", " ").replace(['\r', '\n', '\t'], " "))
            .collect();
        if terms != tags.iter().map(String::as_str).collect::<Vec<_>>() {
            wrong.push(format!(
                "entry {}: themes {terms:?}, not {:?}",
                event.slug, event.tags
            ));
        }
        if let Some(html) = entry.content().and_then(|c| c.value()) {
            contents.insert(event.slug.clone(), html.to_string());
        }
    }
    (wrong, contents)
}

/// `eventail publish --out DIR` as the command does it: with `subscribe_url` (what
/// `export.subscribe_url` sets), forms post to this service; without, pages have no form.
async fn export(app: &TestApp, out: &Path, subscribe_url: Option<&str>) {
    let mut figment = eventail::config::Settings::defaults()
        .merge(("database.url", app._db.url.as_str()))
        .merge(("http.base_url", app.address.as_str()))
        .merge(("content.base_url", "https://site.example.gouv.fr"));
    if let Some(url) = subscribe_url {
        figment = figment.merge(("export.subscribe_url", url));
    }
    let settings = eventail::config::Settings::from_figment(figment).expect("settings");
    let templates = Arc::new(eventail::templates::Templates::load(None).expect("templates"));
    let mut state = eventail::http::AppState::new(app.store.clone(), settings.clone(), templates)
        .expect("the export's state");
    state.subscribe_url = settings
        .export
        .subscribe_url()
        .expect("export.subscribe_url");
    eventail::http::export::static_site(state, out)
        .await
        .expect("the export");
}

/// The path the service serves an exported file at (`tags/x y/index.html` is `/tags/x%20y`).
fn served_path(out: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(out).expect("under the export");
    let path = format!("/{}", relative.display())
        .trim_end_matches("index.html")
        .trim_end_matches('/')
        .to_string();
    match path.strip_prefix("/tags/") {
        Some(tag) => eventail::domain::urls::PublicUrls::paths().tag_page(tag),
        None if path.is_empty() => "/".to_string(),
        None => path,
    }
}

/// Every file under `dir` whose name ends with `extension`.
fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a folder of the export") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Known-bad documents: the inspector must see each of them, loaded and together with others.
fn canaries() -> (Vec<Target>, &'static [&'static str]) {
    let bad = "<!DOCTYPE html><html><head><title>Canari</title></head><body><main><h1>Canari</h1>\
        <script>alert(1)</script><img src=x onerror=__xss(2)>\
        <a href=\"java\tscript:alert(3)\">x</a><svg><a><animate attributeName=href values=javascript:alert(4) /></a></svg>\
        <details open ontoggle=confirm(5)><summary>s</summary></details>\
        <iframe srcdoc=\"x\"></iframe><script>parent.prompt(6)</script></main></body></html>";
    let seen: &'static [&'static str] = &[
        "alert(1)",
        "__xss(2)",
        "confirm(5)",
        "prompt(6)",
        "event handler onerror",
        "href leads to java",
        "values leads to javascript",
        "1 <animate>",
        "srcdoc",
        "a script",
    ];
    let clean = "<!DOCTYPE html><html><head><title>Canari</title></head><body><main><h1>Canari</h1><p>Rien.</p></main></body></html>";
    let targets = vec![
        Target::new("canary", "clean", "canary")
            .with_html(clean)
            .baseline(),
        Target::new("canary", "together", "canary")
            .holding(1..=6)
            .with_html(bad),
        Target::new("canary", "together, after another", "canary")
            .holding(1..=6)
            .with_html(bad),
    ];
    (targets, seen)
}

/// The pages and their bytes by path, as the service serves them: what the export must equal.
type Served = BTreeMap<String, (Target, String)>;

/// Documents to look at, and what was found wrong without a browser.
#[derive(Default)]
struct Found {
    targets: Vec<Target>,
    wrong: Vec<String>,
}

/// The recorder and the inspector see what they must in known-bad documents, loaded and
/// written together, and nothing in a clean one.
async fn check_the_inspector(
    chromium: &Chromium,
    inspection: &Arc<Inspection>,
    dir: &Path,
    payloads: &[Payload],
) {
    let (mut canaries, seen) = canaries();
    let bad = canaries[1].html.clone().unwrap_or_default();
    canaries
        .push(Target::new("canary", as_file(dir, "canari.html", &bad), "canary").holding(1..=6));
    let reports = look_at_all(chromium, canaries, 2, inspection).await;
    let allowance = allowances(&reports);
    for (target, report) in &reports {
        let report = report.as_ref().unwrap_or_else(|e| panic!("canary: {e}"));
        let said = judge(target, report, &allowance["canary"], payloads).join("\n");
        if target.baseline {
            assert!(said.is_empty(), "clean canary: {said}");
            continue;
        }
        for expected in seen {
            assert!(
                said.contains(expected),
                "canary {}: {expected:?} not seen in:\n{said}",
                target.url
            );
        }
    }
}

/// Documents of every kind without payloads (the twins' pages, lists, mails, feed entries…):
/// what each kind holds by itself.
async fn without_payloads(
    app: &TestApp,
    corpus: &Corpus,
    me: &mut crate::console::Browser,
    mails: &[(PathBuf, crate::smtp::Mail)],
    allowed_headers: &BTreeSet<String>,
) -> Vec<Target> {
    let twins: Vec<Seeded> = corpus.twins.values().cloned().collect();
    let mut out: Vec<Target> = twins.iter().map(|t| session_page(app, t)).collect();
    for (path, kind) in [
        ("/", "agenda"),
        ("/archives", "archives"),
        ("/abonnement", "subscribe"),
    ] {
        out.push(Target::new("page", app.url(path), kind));
    }
    for (path, kind) in [("/", "agenda"), ("/archives", "archives")] {
        out.push(fetched(app, "page", path, kind).await);
    }
    for twin in &twins {
        let path = format!("/events/{}", twin.slug());
        out.push(fetched(app, "page", &path, &format!("event-{}", twin.shape.name())).await);
        for tag in twin.doc["tags"].as_array().into_iter().flatten() {
            out.push(tag_page(app, tag.as_str().unwrap_or_default(), "tag").await);
        }
        out.push(series_page(app, &twin.doc["series"], "series").await);
    }
    let mut typed = subscribe_answer(app, "pas-une-adresse").await;
    typed.email = Some("pas-une-adresse".into());
    out.push(typed);
    out.push(posted(app, "pas-une-adresse"));
    let reminder = &corpus.twins[&Shape::Reminder];
    out.push(session_subscribe_page(app, reminder, "subscribe-session").await);
    let registration = &corpus.twins[&Shape::Registration];
    out.push(registrants_page(app, me, registration, "console-registrants").await);
    for (path, mail) in mails {
        out.push(mail_check(path, mail, &twins, allowed_headers).target);
        if let Some(link) = mail.link(&app.url("/inscription/confirmer/")) {
            let path = link.trim_start_matches(&app.address).to_string();
            let kind = "registration-confirm";
            out.push(fetched(app, "registration confirmation", &path, kind).await);
        }
    }
    let events = app.store.published_events().await.expect("sessions");
    let feed = eventail::publish::atom::feed("Agenda", "Mission", &app.address, None, &events);
    let (wrong, contents) = read_feed(&feed, &events);
    assert!(wrong.is_empty(), "{wrong:?}");
    for html in contents.values() {
        out.push(Target::new("feed entry", "atom", "atom").with_html(entry_document(html)));
    }
    out.into_iter().map(Target::baseline).collect()
}

/// Every payload typed as an address into the subscribe form, which shows it back; the first
/// of each category typed in the browser, its answer loaded there.
async fn typed_addresses(app: &TestApp, payloads: &[Payload]) -> Vec<Target> {
    let mut out = Vec::new();
    let mut categories = BTreeSet::new();
    for p in payloads {
        let mut typed = subscribe_answer(app, &p.text).await.holding([p.number]);
        typed.email = Some(p.text.clone());
        out.push(typed);
        if categories.insert(p.category.clone()) {
            out.push(posted(app, &p.text).holding([p.number]));
        }
    }
    out
}

/// The public pages (sessions, lists, series, tags, subscribe choices) and the console's lists
/// of registrants, with what each must show. Each session's page as the service serves it; the
/// first of each category also loaded by navigation.
async fn pages(
    app: &TestApp,
    corpus: &Corpus,
    me: &mut crate::console::Browser,
) -> (Vec<Target>, Served) {
    let sessions = &corpus.sessions;
    let all: Vec<usize> = sessions.iter().map(|s| s.payload).collect();
    let titles: BTreeMap<String, String> = sessions
        .iter()
        .map(|s| (s.slug().to_string(), s.h1()))
        .collect();
    let mut targets = Vec::new();
    let mut served = Served::new();
    let mut navigated = BTreeSet::new();
    for s in sessions.iter().chain(corpus.twins.values()) {
        let page = session_page(app, s);
        let html = html_of(app, &page.url).await;
        let path = page.url.trim_start_matches(&app.address).to_string();
        let page = page.with_html(html.clone());
        served.insert(path, (page.clone(), html));
        if s.payload > corpus.payloads.len() {
            continue; // A twin: looked at already, kept for the export.
        }
        if navigated.insert(corpus.payload(s.payload).category.clone()) {
            let mut loaded = page.clone();
            loaded.html = None;
            targets.push(loaded);
        }
        targets.push(page);
    }
    for (path, kind) in [
        ("/", "agenda"),
        ("/archives", "archives"),
        ("/abonnement", "subscribe"),
    ] {
        let mut page = Target::new("page", app.url(path), kind).holding(all.clone());
        page.items = titles.clone();
        if path != "/abonnement" {
            let html = html_of(app, &page.url).await;
            let written = page.clone().with_html(html.clone());
            served.insert(path.to_string(), (written, html));
        }
        targets.push(page);
    }
    let mut listed = Vec::new();
    let mut tagged = fetched(app, "tag page", &format!("/tags/{CORPUS_TAG}"), "tag").await;
    tagged.items = titles;
    listed.push(tagged.holding(all));
    let mut tags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut series: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for s in sessions.iter().chain(corpus.twins.values()) {
        for tag in s.doc["tags"].as_array().into_iter().flatten() {
            let tag = tag.as_str().unwrap_or_default();
            if tag != CORPUS_TAG {
                tags.entry(tag.to_string()).or_default().push(s.payload);
            }
        }
        if let Some(slug) = s.doc["series"]["slug"].as_str() {
            series.entry(slug.to_string()).or_default().push(s.payload);
        }
    }
    for (tag, holding) in &tags {
        listed.push(tag_page(app, tag, "tag").await.holding(holding.clone()));
    }
    for (slug, holding) in &series {
        let (status, doc) = app.get(&format!("/api/v1/series/{slug}")).await;
        assert_eq!(status, 200, "{doc}");
        let page = series_page(app, &doc, "series").await;
        listed.push(page.holding(holding.clone()));
    }
    for page in listed {
        let path = page.url.trim_start_matches(&app.address).to_string();
        served.insert(path, (page.clone(), page.html.clone().unwrap_or_default()));
        targets.push(page);
    }
    for s in sessions {
        match s.shape {
            Shape::Reminder => {
                targets.push(session_subscribe_page(app, s, "subscribe-session").await)
            }
            Shape::Registration => {
                targets.push(registrants_page(app, me, s, "console-registrants").await)
            }
            _ => {}
        }
    }
    (targets, served)
}

/// The mails: headers and calendar parts checked here, HTML parts and the registration
/// confirmation pages they lead to to look at. Also how many of each kind there were.
async fn mails(
    app: &TestApp,
    corpus: &Corpus,
    mails: &[(PathBuf, crate::smtp::Mail)],
    allowed_headers: &BTreeSet<String>,
) -> (Found, BTreeMap<String, usize>) {
    let mut found = Found::default();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (path, mail) in mails {
        let check = mail_check(path, mail, &corpus.sessions, allowed_headers);
        let calendar = mail.part("text/calendar").map(|p| calendar_problems(&p.2));
        for problem in check.header_problems.iter().cloned().chain(
            calendar
                .into_iter()
                .flatten()
                .map(|p| format!("its calendar: {p}")),
        ) {
            found.wrong.push(format!(
                "{} {}: {problem}{}",
                check.target.label,
                check.target.url,
                named(&check.target, &problem, &corpus.payloads)
            ));
        }
        let kind = mail.subject.split(':').next().unwrap_or_default().trim();
        *kinds.entry(kind.to_string()).or_default() += 1;
        if let Some(link) = mail.link(&app.url("/inscription/confirmer/")) {
            let path = link.trim_start_matches(&app.address).to_string();
            let kind = "registration-confirm";
            let mut page = fetched(app, "registration confirmation", &path, kind).await;
            page.payloads = check.target.payloads.clone();
            page.texts = check.target.texts.clone();
            found.targets.push(page);
        }
        found.targets.push(check.target);
    }
    (found, kinds)
}

/// The calendars: the whole agenda, and each session's file.
async fn calendars(app: &TestApp, corpus: &Corpus) -> Vec<String> {
    let mut files = vec![("/calendar.ics".to_string(), vec![])];
    for s in &corpus.sessions {
        if let Some(url) = s.doc["ics_url"].as_str() {
            let path = url.trim_start_matches(&app.address).to_string();
            files.push((path, vec![s.payload]));
        }
    }
    let mut wrong = Vec::new();
    for (path, holding) in &files {
        let ics = html_of(app, &app.url(path)).await;
        let target = Target::new("calendar", app.url(path), "ics").holding(holding.clone());
        for problem in calendar_problems(&ics) {
            let named = named(&target, &problem, &corpus.payloads);
            wrong.push(format!("calendar {path}: {problem}{named}"));
        }
    }
    wrong
}

/// The Atom feed as served (the latest entries) and as written for every session: titles and
/// themes checked here, each entry's HTML to look at. Also the served feed.
async fn feeds(app: &TestApp, corpus: &Corpus) -> (Found, String) {
    let mut found = Found::default();
    let served = html_of(app, &app.url("/actualites.atom")).await;
    let events = app.store.published_events().await.expect("sessions");
    let (wrong, served_contents) = read_feed(&served, &events);
    found.wrong.extend(wrong);
    let content_base = url::Url::parse("https://site.example.gouv.fr").ok();
    let feed = eventail::publish::atom::feed(
        "Agenda",
        "Mission",
        &app.address,
        content_base.as_ref(),
        &events,
    );
    let (wrong, contents) = read_feed(&feed, &events);
    found.wrong.extend(wrong);
    assert!(
        served_contents.len() >= 40,
        "{} entries served",
        served_contents.len()
    );
    for (slug, html) in &served_contents {
        if contents.get(slug) != Some(html) {
            let problem = format!("the served feed's entry {slug} differs from the written one");
            found.wrong.push(problem);
        }
    }
    for (slug, html) in &contents {
        let holding = corpus
            .sessions
            .iter()
            .filter(|s| s.slug() == slug)
            .map(|s| s.payload);
        found.targets.push(
            Target::new("feed entry", format!("atom: {slug}"), "atom")
                .holding(holding)
                .with_html(entry_document(html)),
        );
    }
    (found, served)
}

/// The static export, written twice. With its forms posting to the service, each page must be
/// the service's bytes, looked at as such (one that differs is looked at on its own); without
/// forms (no `export.subscribe_url`), every page is looked at. Also how many pages there were.
async fn exports(app: &TestApp, dir: &Path, served: &Served, feed: &str) -> (Found, usize) {
    let mut found = Found::default();
    let mut exported = 0;
    for (folder, subscribe_url) in [
        ("site", Some(app.url("/abonnement"))),
        ("site-sans-formulaires", None),
    ] {
        let out = dir.join(folder);
        export(app, &out, subscribe_url.as_deref()).await;
        for file in files(&out, "html") {
            exported += 1;
            let path = served_path(&out, &file);
            let bytes = std::fs::read_to_string(&file).expect("an exported page");
            let Some((target, html)) = served.get(&path) else {
                let file = file.display();
                let problem =
                    format!("export {file}: a page the service was not asked for ({path})");
                found.wrong.push(problem);
                continue;
            };
            if subscribe_url.is_some() && *html == bytes {
                continue;
            }
            let mut target = target.clone().with_html(bytes);
            target.baseline = false;
            target.label = match subscribe_url {
                Some(_) => "export (differs from the service)".into(),
                None => "export".into(),
            };
            target.url = file.display().to_string();
            found.targets.push(target);
        }
        let atom = std::fs::read_to_string(out.join("actualites.atom")).expect("the exported feed");
        if atom != feed {
            let problem = format!("{folder}: the exported Atom feed differs from the served one");
            found.wrong.push(problem);
        }
    }
    (found, exported)
}

/// Looks at `targets` (those loaded, then those written together) and says what is wrong.
async fn look(
    chromium: &Chromium,
    targets: Vec<Target>,
    inspection: &Arc<Inspection>,
    allowances: &BTreeMap<String, BTreeMap<String, u64>>,
    payloads: &[Payload],
) -> Vec<String> {
    let mut wrong = Vec::new();
    let (loaded, together): (Vec<Target>, Vec<Target>) =
        targets.into_iter().partition(|t| t.html.is_none());
    for targets in [loaded, together] {
        let looked = Instant::now();
        let count = targets.len();
        let reports = look_at_all(chromium, targets, TABS, inspection).await;
        eprintln!("{count} documents in {:.1?}", looked.elapsed());
        wrong.extend(failures(&reports, allowances, payloads));
    }
    wrong
}

/// What the run did, in `target/tmp/browser/xss-report.txt`, and every failure (what ran
/// first) in `xss-failures.txt`, whose path comes back.
fn write_report(corpus: &Corpus, summary: &str, wrong: &mut [String]) -> PathBuf {
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &corpus.payloads {
        *by_category.entry(&p.category).or_default() += 1;
    }
    let mut by_field: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &corpus.refused {
        assert!(matches!(r.status, 413 | 422), "{r:?}");
        *by_field.entry(r.field.as_str()).or_default() += 1;
    }
    let report = format!(
        "{} payloads {by_category:?}\nrefused ({} in all, by field): {by_field:?}\n{summary}\n",
        corpus.payloads.len(),
        corpus.refused.len(),
    );
    eprint!("{report}");
    let refusals: String = corpus
        .refused
        .iter()
        .map(|r| format!("#{} {} {}: {}\n", r.payload, r.field, r.status, r.message))
        .collect();
    let path = artifacts().join("xss-report.txt");
    std::fs::write(&path, format!("{report}\nRefused:\n{refusals}")).expect("the report");
    wrong.sort_by_key(|w| !w.contains(": a script ran: "));
    let listed = artifacts().join("xss-failures.txt");
    std::fs::write(&listed, wrong.join("\n")).expect("the failures");
    listed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn no_payload_runs_or_survives_on_pages_feeds_mails_or_the_export() {
    let started = Instant::now();
    let mut corpus = start().await;
    let chromium = Chromium::start().await;
    let work = tempfile::tempdir().expect("a folder");
    let app = &corpus.app;
    let inspection = Arc::new(Inspection {
        facade: eventail::http::security::VIDEO_FACADE.to_string(),
        origins: vec![url::Url::parse(&app.address)
            .expect("address")
            .origin()
            .ascii_serialization()],
        host: app.url("/xss-documents-ensemble"),
    });
    let mut me = crate::console::logged_in(app, "organisatrice@example.org", "organiser").await;
    check_the_inspector(&chromium, &inspection, work.path(), &corpus.payloads).await;

    // Without payloads first (their counts are the allowances), with the subscribe form's
    // answers to every payload typed as an address while the form lists few series.
    drain_outbox(app).await;
    let mut seen_mails = BTreeSet::new();
    let twin_mails = new_mails(&app._db.outbox(), &mut seen_mails);
    assert!(twin_mails.len() >= 5, "{} mails", twin_mails.len());
    let allowed_headers: BTreeSet<String> = twin_mails
        .iter()
        .flat_map(|(_, m)| header_names(m))
        .collect();
    let mut targets = without_payloads(app, &corpus, &mut me, &twin_mails, &allowed_headers).await;
    targets.extend(typed_addresses(app, &corpus.payloads).await);
    let mut looked_at = targets.len();
    let reports = look_at_all(&chromium, targets, TABS, &inspection).await;
    let allowances = allowances(&reports);
    let (clean, typed): (Vec<_>, Vec<_>) = reports.into_iter().partition(|(t, _)| t.baseline);
    let wrong_clean = failures(&clean, &allowances, &corpus.payloads);
    assert!(
        wrong_clean.is_empty(),
        "documents without payloads:\n{}",
        wrong_clean.join("\n")
    );
    let mut wrong = failures(&typed, &allowances, &corpus.payloads);
    eprintln!(
        "{looked_at} documents without stored payloads after {:.1?}",
        started.elapsed()
    );

    // The corpus, then every document that shows it.
    add_payloads(&mut corpus).await;
    let app = &corpus.app;
    drain_outbox(app).await;
    eprintln!(
        "{} sessions after {:.1?}",
        corpus.sessions.len(),
        started.elapsed()
    );
    let (mut targets, served) = pages(app, &corpus, &mut me).await;
    let new = new_mails(&app._db.outbox(), &mut seen_mails);
    let (mail_found, kinds) = mails(app, &corpus, &new, &allowed_headers).await;
    wrong.extend(calendars(app, &corpus).await);
    let (feed_found, feed) = feeds(app, &corpus).await;
    let (export_found, exported) = exports(app, work.path(), &served, &feed).await;
    for found in [mail_found, feed_found, export_found] {
        targets.extend(found.targets);
        wrong.extend(found.wrong);
    }
    eprintln!("read and exported after {:.1?}", started.elapsed());
    looked_at += targets.len();
    wrong.extend(
        look(
            &chromium,
            targets,
            &inspection,
            &allowances,
            &corpus.payloads,
        )
        .await,
    );
    chromium.stop().await;

    let summary = format!(
        "{looked_at} documents looked at, {exported} exported pages, mails {kinds:?}\n{:.1?} in all",
        started.elapsed()
    );
    let listed = write_report(&corpus, &summary, &mut wrong);
    assert!(
        wrong.is_empty(),
        "{} failures (all of them in {}), the first ones:\n{}",
        wrong.len(),
        listed.display(),
        wrong
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
