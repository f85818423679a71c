//! iCalendar feeds and files through the real server: what calendar clients receive, parsed
//! back with the `icalendar` crate (and, in `independent_parser_agrees`, with Python's).

use std::collections::BTreeMap;
use std::io::Read;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime, EventLike};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;

/// French text with everything that needs escaping or care when folding.
const TRICKY: &str = "« Sécurité » été 🎉, virgule; point-virgule \\ barre\nnouvelle ligne";

/// Sessions covering the feed's shapes: both Paris DST change days, whole days over several
/// days, a premiere, an unscheduled video, a draft, a long body.
async fn seed(app: &TestApp) -> BTreeMap<&'static str, Value> {
    let mut made = BTreeMap::new();
    let specs: Vec<(&str, Value)> = vec![
        (
            "spring",
            json!({"kind": "webinar", "status": "scheduled",
            "title": format!("Printemps {}", TRICKY.replace('\n', " ")), "summary": TRICKY,
            // 10:00 in Paris on the day clocks go forward: 08:00Z.
            "starts_at": "2038-03-28T10:00", "ends_at": "2038-03-28T11:00",
            "speakers": [{"name": "Camille Martin", "role": "cheffe de projet", "organisation": "Mission ; numérique"}],
            "programme": ["Accueil, présentations", "Démonstration \\ questions"],
            "links": {"join": "https://visio.example.org/salle?a=1&b=2", "registration": "https://forms.example.org/s"},
            "series": {"slug": "les-mercredis", "title": "Les mercredis, sobres"},
            "tags": ["sobriété", "webinaire"]}),
        ),
        (
            "autumn",
            json!({"kind": "webinar", "status": "scheduled", "title": "Automne",
            // 10:00 in Paris on the day clocks go back: 09:00Z.
            "starts_at": "2038-10-31T10:00", "ends_at": "2038-10-31T11:30",
            "series": "les-mercredis", "tags": ["accessibilité"]}),
        ),
        (
            "summer",
            json!({"kind": "event", "status": "scheduled", "title": "Rencontre d'été",
            "starts_at": "2038-07-02T14:00", "ends_at": "2038-07-02T17:00",
            "location": "Paris, 20 avenue de Ségur"}),
        ),
        (
            "winter",
            json!({"kind": "event", "status": "scheduled", "title": "Rencontre d'hiver",
            "starts_at": "2038-12-03T14:00", "ends_at": "2038-12-03T16:00",
            "links": {"join": "https://visio.example.org/hybride"}, "location": "Lyon"}),
        ),
        (
            "days",
            json!({"kind": "event", "status": "scheduled", "title": "Deux journées",
            "starts_at": "2038-10-14", "ends_at": "2038-10-15", "location": "Nantes"}),
        ),
        (
            "premiere",
            json!({"kind": "video", "status": "scheduled", "title": "Épisode #12 en avant-première",
            "starts_at": "2038-05-05T12:00Z", "series": "les-mercredis", "episode": 12}),
        ),
        (
            "long",
            json!({"kind": "webinar", "status": "scheduled", "title": "Un long programme",
            "body": "Très long texte, sans résumé ; avec « guillemets ». ".repeat(100),
            "starts_at": "2038-06-01T09:00", "ends_at": "2038-06-01T10:00"}),
        ),
        (
            "video",
            json!({"kind": "video", "status": "scheduled", "title": "Épisode sans date",
            "links": {"video": "https://www.dailymotion.com/video/x8abc"}}),
        ),
        (
            "draft",
            json!({"kind": "webinar", "title": "Brouillon",
            "starts_at": "2038-04-01T09:00", "ends_at": "2038-04-01T10:00"}),
        ),
    ];
    for (name, spec) in specs {
        made.insert(name, app.create_event(spec).await);
    }
    made
}

struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn fetch(app_address: &str, path: &str, headers: &[(&str, &str)]) -> Fetched {
    fetch_with(reqwest::Method::GET, app_address, path, headers).await
}

async fn fetch_with(
    method: reqwest::Method,
    app_address: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Fetched {
    let client = reqwest::Client::new();
    let mut request = client.request(method, format!("{app_address}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.expect("request");
    Fetched {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

/// The status `/calendar.ics` answers with these request headers.
async fn feed_status(app_address: &str, headers: &[(&str, &str)]) -> u16 {
    fetch(app_address, "/calendar.ics", headers).await.status
}

/// What a calendar client would keep of each event, by UID.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seen {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: Option<DateTime<Utc>>,
    pub(crate) all_day: Option<(NaiveDate, NaiveDate)>,
    pub(crate) summary: String,
    pub(crate) description: String,
    pub(crate) status: String,
    pub(crate) sequence: u32,
    pub(crate) stamp: String,
}

fn instant(value: Option<DatePerhapsTime>) -> Option<DateTime<Utc>> {
    match value? {
        DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t)) => Some(t),
        DatePerhapsTime::DateTime(other) => panic!("not a UTC time: {other:?}"),
        DatePerhapsTime::Date(_) => None,
    }
}

fn date(value: Option<DatePerhapsTime>) -> Option<NaiveDate> {
    match value? {
        DatePerhapsTime::Date(d) => Some(d),
        DatePerhapsTime::DateTime(_) => None,
    }
}

/// Parses with the `icalendar` crate, checking the bytes on the way.
pub(crate) fn parse(text: &str) -> (Calendar, BTreeMap<String, Seen>) {
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "line of {} octets: {line:?}", line.len());
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    assert!(!text.contains("TZID"), "times are UTC or dates");
    let calendar = Calendar::from_str(text).expect("the icalendar crate parses the feed");
    let mut seen = BTreeMap::new();
    for component in &calendar.components {
        let CalendarComponent::Event(e) = component else {
            continue;
        };
        let uid = e.get_uid().expect("UID").to_string();
        let start = e.get_start();
        let end = e.get_end();
        let all_day = date(start.clone()).zip(date(end.clone()));
        let start_instant = instant(start).unwrap_or_else(|| {
            let d = all_day.expect("a date or a time").0;
            d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
        });
        let previous = seen.insert(
            uid.clone(),
            Seen {
                start: start_instant,
                end: instant(end),
                all_day,
                summary: e.get_summary().expect("SUMMARY").to_string(),
                description: e.get_description().unwrap_or_default().to_string(),
                status: e.property_value("STATUS").unwrap_or_default().to_string(),
                sequence: e.get_sequence().expect("SEQUENCE"),
                stamp: e.property_value("DTSTAMP").expect("DTSTAMP").to_string(),
            },
        );
        assert!(previous.is_none(), "UID {uid} twice");
        assert!(
            e.property_value("CREATED").is_some() && e.property_value("LAST-MODIFIED").is_some()
        );
        assert!(e.get_url().is_some_and(|u| u.contains("/events/")));
    }
    (calendar, seen)
}

fn uid(event: &Value) -> String {
    format!("{}@eventail", event["id"].as_str().expect("id"))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

async fn feed_shapes_and_instants(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let response = fetch(&app.address, "/calendar.ics", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let text = response.text();
    let (calendar, seen) = parse(&text);
    assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
    assert_eq!(calendar.property_value("CALSCALE"), Some("GREGORIAN"));
    assert!(calendar.property_value("PRODID").is_some());
    assert!(!text.contains("METHOD:"), "no METHOD in a subscribed feed");
    assert!(text.contains("\r\nNAME:Agenda des webinaires et événements\r\n"));
    assert!(text.contains("\r\nX-WR-CALNAME:Agenda des webinaires et événements\r\n"));
    assert!(text.contains("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
    assert!(text.contains("\r\nX-PUBLISHED-TTL:PT1H\r\n"));

    // Drafts and undated videos stay out; everything else is in, in time order.
    let expected = [
        "spring", "premiere", "long", "summer", "days", "autumn", "winter",
    ];
    assert_eq!(seen.len(), expected.len(), "{:?}", seen.keys());
    let mut starts: Vec<(DateTime<Utc>, &str)> = Vec::new();
    for name in expected {
        let s = seen
            .get(&uid(&made[name]))
            .unwrap_or_else(|| panic!("{name} missing"));
        starts.push((s.start, name));
        assert_eq!(s.status, "CONFIRMED");
        assert_eq!(s.sequence, 0);
    }
    let order: Vec<usize> = expected
        .iter()
        .map(|name| {
            text.find(&format!("UID:{}", uid(&made[name])))
                .expect("UID")
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "sorted by start");

    // The same instants on both DST days as Paris wall clocks say.
    let spring = &seen[&uid(&made["spring"])];
    assert_eq!(spring.start, at("2038-03-28T08:00:00Z"));
    assert_eq!(spring.end, Some(at("2038-03-28T09:00:00Z")));
    let autumn = &seen[&uid(&made["autumn"])];
    assert_eq!(autumn.start, at("2038-10-31T09:00:00Z"));
    assert_eq!(autumn.end, Some(at("2038-10-31T10:30:00Z")));
    assert_eq!(
        seen[&uid(&made["summer"])].start,
        at("2038-07-02T12:00:00Z")
    );
    assert_eq!(
        seen[&uid(&made["winter"])].start,
        at("2038-12-03T13:00:00Z")
    );
    // Whole days: DATE values, DTEND the day after the last one.
    let days = &seen[&uid(&made["days"])];
    assert_eq!(
        days.all_day,
        Some((
            NaiveDate::from_ymd_opt(2038, 10, 14).unwrap(),
            NaiveDate::from_ymd_opt(2038, 10, 16).unwrap()
        ))
    );

    // Text comes back exactly: a title with « », emoji and `,;\` (one line: titles hold no
    // line break), a description with a newline too.
    assert_eq!(
        spring.summary,
        format!("Printemps {}", TRICKY.replace('\n', " "))
    );
    assert!(
        spring.description.starts_with(TRICKY),
        "{:?}",
        spring.description
    );
    for part in [
        "Programme :\n- Accueil, présentations\n- Démonstration \\ questions",
        "- Camille Martin, cheffe de projet (Mission ; numérique)",
        "Rejoindre : https://visio.example.org/salle?a=1&b=2",
        "Inscription : https://forms.example.org/s",
    ] {
        assert!(
            spring.description.contains(part),
            "missing {part:?} in {:?}",
            spring.description
        );
    }
    // The long body (no summary) is carried whole.
    let long = &seen[&uid(&made["long"])];
    assert!(long.description.starts_with(
        &"Très long texte, sans résumé ; avec « guillemets ». "
            .repeat(100)
            .trim_end()
            .to_string()
    ));

    // LOCATION: the place, else the join link; CONFERENCE carries the join link.
    let vevents: BTreeMap<String, icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((e.get_uid()?.to_string(), e.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        vevents[&uid(&made["spring"])].get_location(),
        Some("https://visio.example.org/salle?a=1&b=2")
    );
    assert_eq!(
        vevents[&uid(&made["summer"])].get_location(),
        Some("Paris, 20 avenue de Ségur")
    );
    assert_eq!(vevents[&uid(&made["winter"])].get_location(), Some("Lyon"));
    let unfolded = text.replace("\r\n ", "");
    assert!(unfolded.contains("\r\nCONFERENCE;FEATURE=VIDEO;LABEL=Rejoindre la session;VALUE=URI:https://visio.example.org/hybride\r\n"));
    assert_eq!(
        vevents[&uid(&made["spring"])].get_categories(),
        Some(vec!["sobriété".to_string(), "webinaire".to_string()])
    );
}

async fn filtered_and_per_series_feeds(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let uids = |text: &str| -> Vec<String> { parse(text).1.into_keys().collect() };
    let sorted = |names: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|n| uid(&made[n])).collect();
        v.sort();
        v
    };

    let webinars = fetch(&app.address, "/calendar.ics?kind=webinar", &[])
        .await
        .text();
    assert_eq!(uids(&webinars), sorted(&["spring", "autumn", "long"]));
    assert!(webinars.contains("NAME:Agenda des webinaires et événements — webinaires\r\n"));

    let tagged = fetch(&app.address, "/calendar.ics?tag=sobri%C3%A9t%C3%A9", &[])
        .await
        .text();
    assert_eq!(uids(&tagged), sorted(&["spring"]));

    let by_query = fetch(&app.address, "/calendar.ics?series=les-mercredis", &[]).await;
    let by_path = fetch(&app.address, "/series/les-mercredis/calendar.ics", &[]).await;
    assert_eq!(by_query.status, 200);
    assert!(by_query.body == by_path.body, "one feed, two addresses");
    let series = by_path.text();
    assert_eq!(uids(&series), sorted(&["spring", "autumn", "premiere"]));
    // The series title has a comma: escaped in NAME, as in X-WR-CALNAME.
    assert!(
        series.contains("NAME:Agenda des webinaires et événements — Les mercredis\\, sobres\r\n"),
        "{series}"
    );

    let both = fetch(
        &app.address,
        "/calendar.ics?kind=video&series=les-mercredis&utm_source=x",
        &[],
    )
    .await;
    assert_eq!(uids(&both.text()), sorted(&["premiere"]));

    let missing = fetch(&app.address, "/series/inconnue/calendar.ics", &[]).await;
    assert_eq!(missing.status, 404);
    let series_id = app.get("/api/v1/series/les-mercredis").await.1["id"]
        .as_str()
        .expect("series id")
        .to_string();
    let by_id = fetch(
        &app.address,
        &format!("/series/{series_id}/calendar.ics"),
        &[],
    )
    .await;
    assert_eq!(by_id.status, 404, "feeds name series by slug");
    let bad = fetch(&app.address, "/calendar.ics?kind=concert", &[]).await;
    assert_eq!(bad.status, 400);
    let problem: Value = serde_json::from_slice(&bad.body).expect("problem+json");
    assert_eq!(problem["errors"][0]["field"], "kind");
    assert_eq!(bad.header("content-type"), Some("application/problem+json"));

    let links = app.get("/api/v1/calendars").await;
    assert_eq!(links.0, 200);
    let items = links.1["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["https"], format!("{}/calendar.ics", app.address));
    assert!(items[0]["webcal"]
        .as_str()
        .unwrap()
        .starts_with("webcal://127.0.0.1:"));
    assert!(items[1]["google"]
        .as_str()
        .unwrap()
        .starts_with("https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2F"));
    assert_eq!(items[1]["series"], "les-mercredis");
    // Outlook on the web takes the https address, and the feed's name.
    let series_feed = url::form_urlencoded::byte_serialize(
        format!("{}/series/les-mercredis/calendar.ics", app.address).as_bytes(),
    )
    .collect::<String>();
    for (key, host) in [
        ("outlook", "outlook.live.com"),
        ("office365", "outlook.office.com"),
    ] {
        assert_eq!(
            items[1][key],
            format!(
                "https://{host}/calendar/0/addfromweb?url={series_feed}&name=Agenda%20des%20webinaires%20et%20%C3%A9v%C3%A9nements%20%E2%80%94%20Les%20mercredis%2C%20sobres"
            )
        );
    }
}

async fn per_event_files(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let slug = made["summer"]["slug"].as_str().unwrap();
    let file = fetch(&app.address, &format!("/events/{slug}.ics"), &[]).await;
    assert_eq!(file.status, 200);
    assert_eq!(
        file.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let text = file.text();
    let (_, seen) = parse(&text);
    assert_eq!(
        seen.keys().cloned().collect::<Vec<_>>(),
        vec![uid(&made["summer"])]
    );
    assert!(!text.contains("NAME:") && !text.contains("METHOD:"));
    // The same VEVENT as in the feed: one UID, one story, wherever a client got it.
    let feed = fetch(&app.address, "/calendar.ics", &[]).await.text();
    let vevent = |t: &str| -> String {
        let start = t.find("BEGIN:VEVENT").unwrap();
        let u = t.find(&format!("UID:{}", uid(&made["summer"]))).unwrap();
        let begin = t[..u].rfind("BEGIN:VEVENT").unwrap_or(start);
        let end = t[u..].find("END:VEVENT").unwrap() + u;
        t[begin..end].to_string()
    };
    assert_eq!(vevent(&text), vevent(&feed));

    for (path, why) in [
        (
            format!("/events/{}.ics", made["draft"]["slug"].as_str().unwrap()),
            "draft",
        ),
        (
            format!("/events/{}.ics", made["video"]["slug"].as_str().unwrap()),
            "no date",
        ),
        ("/events/nope.ics".to_string(), "unknown"),
        (
            format!("/events/{}.ics", made["summer"]["id"].as_str().unwrap()),
            "id, not slug",
        ),
    ] {
        assert_eq!(fetch(&app.address, &path, &[]).await.status, 404, "{why}");
    }
    // Without .ics, the same path is the session's page.
    let page = fetch(&app.address, &format!("/events/{slug}"), &[]).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
}

async fn reschedule_and_cancel(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let id = made["autumn"]["id"].as_str().unwrap();
    let before = parse(&fetch(&app.address, "/calendar.ics", &[]).await.text()).1
        [&uid(&made["autumn"])]
        .clone();

    // Let the change land on another second, so DTSTAMP visibly moves.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, doc) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"starts_at": "2038-11-03T10:00", "ends_at": "2038-11-03T11:00"}),
        )
        .await;
    assert_eq!(status, 200, "{doc}");
    let moved = parse(&fetch(&app.address, "/calendar.ics", &[]).await.text()).1
        [&uid(&made["autumn"])]
        .clone();
    assert_eq!(moved.start, at("2038-11-03T09:00:00Z"));
    assert!(
        moved.sequence > before.sequence,
        "{} then {}",
        before.sequence,
        moved.sequence
    );
    assert_ne!(moved.stamp, before.stamp);

    let (status, doc) = app
        .post(&format!("/api/v1/events/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200, "{doc}");
    let text = fetch(&app.address, "/calendar.ics", &[]).await.text();
    let cancelled = parse(&text).1[&uid(&made["autumn"])].clone();
    assert_eq!(cancelled.status, "CANCELLED");
    assert_eq!(cancelled.summary, "Annulé : Automne");
    assert!(cancelled.sequence > moved.sequence);
    assert_eq!(cancelled.start, moved.start);
    assert!(!cancelled.description.contains("Rejoindre"));
    let slug = made["autumn"]["slug"].as_str().unwrap();
    let file = fetch(&app.address, &format!("/events/{slug}.ics"), &[])
        .await
        .text();
    assert!(file.contains("STATUS:CANCELLED\r\n"));
}

async fn ended_sessions_leave_after_the_window(db: Db) {
    let app = spawn_app_with(FreshDb::new(db).await, |f| {
        f.merge(("calendar.window_days", 30))
    })
    .await;
    let now = Utc::now();
    let day = |offset: i64| {
        (now + Duration::days(offset))
            .format("%Y-%m-%dT09:00Z")
            .to_string()
    };
    let mut made = BTreeMap::new();
    for (name, offset, cancel) in [
        ("recent", -10, false),
        ("old", -40, false),
        ("cancelled_past", -2, true),
        ("cancelled_future", 5, true),
        ("future", 20, false),
    ] {
        let event = app
            .create_event(
                json!({"kind": "webinar", "status": "scheduled", "title": name,
                "starts_at": day(offset), "ends_at": day(offset).replace("09:00", "10:00")}),
            )
            .await;
        if cancel {
            let id = event["id"].as_str().unwrap();
            let (status, _) = app
                .post(&format!("/api/v1/events/{id}/cancel"), &json!({}))
                .await;
            assert_eq!(status, 200);
        }
        made.insert(name, event);
    }
    let (_, seen) = parse(&fetch(&app.address, "/calendar.ics", &[]).await.text());
    let mut present: Vec<String> = seen.into_keys().collect();
    present.sort();
    let mut expected: Vec<String> = ["recent", "cancelled_future", "future"]
        .iter()
        .map(|n| uid(&made[n]))
        .collect();
    expected.sort();
    assert_eq!(present, expected);
    // The per-session file of an aged-out session is still there.
    let slug = made["old"]["slug"].as_str().unwrap();
    assert_eq!(
        fetch(&app.address, &format!("/events/{slug}.ics"), &[])
            .await
            .status,
        200
    );
}

/// A live session given a start and no end: its .ics and the feed end it
/// `calendar.default_duration_minutes` later (120 unless configured), and its page counts it
/// running, join button included, until that same moment; a premiere without an end has none.
async fn sessions_without_an_end_last_the_default_length(db: Db) {
    async fn create(app: &TestApp, kind: &str, title: &str, starts_at: String) -> Value {
        app.create_event(json!({"kind": kind, "status": "scheduled", "title": title,
            "starts_at": starts_at, "links": {"join": "https://visio.example.org/ouverte"}}))
            .await
    }
    let ends_of = |text: &str, event: &Value| -> Option<DateTime<Utc>> {
        let (_, seen) = parse(text);
        seen[&uid(event)].end
    };
    // Defaults: two hours, in the session's own file and in the feed.
    let app = spawn_app(db).await;
    let open = create(&app, "webinar", "Sans fin", "2038-06-02T09:00".into()).await;
    let premiere = create(&app, "video", "Avant-première", "2038-06-03T12:00Z".into()).await;
    let slug = open["slug"].as_str().unwrap();
    let file = fetch(&app.address, &format!("/events/{slug}.ics"), &[]).await;
    assert_eq!(file.status, 200);
    let text = file.text();
    assert!(text.contains("DTSTART:20380602T070000Z\r\n"), "{text}");
    assert!(text.contains("DTEND:20380602T090000Z\r\n"), "{text}");
    assert_eq!(ends_of(&text, &open), Some(at("2038-06-02T09:00:00Z")));
    let feed = fetch(&app.address, "/calendar.ics", &[]).await.text();
    assert_eq!(ends_of(&feed, &open), Some(at("2038-06-02T09:00:00Z")));
    assert_eq!(ends_of(&feed, &premiere), None, "a premiere stays a moment");
    // Started an hour ago: still running on its page under the two-hour default.
    let an_hour_ago = (Utc::now() - Duration::minutes(60))
        .format("%Y-%m-%dT%H:%M:00Z")
        .to_string();
    let running = create(&app, "webinar", "En cours", an_hour_ago.clone()).await;
    let page_path = format!("/events/{}", running["slug"].as_str().unwrap());
    let page = fetch(&app.address, &page_path, &[]).await.text();
    assert!(page.contains("Rejoindre la session</a>"), "{page}");
    let agenda = fetch(&app.address, "/", &[]).await.text();
    assert!(agenda.contains("En cours"), "still upcoming");

    // Configured to 45 minutes: the file, the feed and the page all take it.
    let short = spawn_app_with(FreshDb::new(db).await, |f| {
        f.merge(("calendar.default_duration_minutes", 45))
    })
    .await;
    let open = create(&short, "webinar", "Sans fin", "2038-06-02T09:00".into()).await;
    let slug = open["slug"].as_str().unwrap();
    let text = fetch(&short.address, &format!("/events/{slug}.ics"), &[])
        .await
        .text();
    assert!(text.contains("DTEND:20380602T074500Z\r\n"), "{text}");
    let feed = fetch(&short.address, "/calendar.ics", &[]).await.text();
    assert_eq!(ends_of(&feed, &open), Some(at("2038-06-02T07:45:00Z")));
    let running = create(&short, "webinar", "En cours", an_hour_ago).await;
    let page_path = format!("/events/{}", running["slug"].as_str().unwrap());
    let page = fetch(&short.address, &page_path, &[]).await.text();
    assert!(
        !page.contains("Rejoindre la session</a>"),
        "over after 45 minutes"
    );
    let agenda = fetch(&short.address, "/", &[]).await.text();
    assert!(
        agenda.contains("Sans fin") && !agenda.contains("En cours"),
        "over: not upcoming"
    );
}

async fn http_validators_and_codings(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let first = fetch(&app.address, "/calendar.ics", &[]).await;
    let etag = first.header("etag").expect("ETag").to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    assert!(httpdate::parse_http_date(&last_modified).is_ok());
    assert!(first
        .header("cache-control")
        .is_some_and(|c| c.contains("max-age")));
    assert_eq!(first.header("vary"), Some("Accept-Encoding"));
    assert!(first.header("set-cookie").is_none());

    // Byte-stable: again, and from a fresh instance with an empty cache.
    let again = fetch(&app.address, "/calendar.ics", &[]).await;
    assert!(again.body == first.body, "same bytes twice");
    let peer = app.spawn_peer().await;
    let elsewhere = fetch(&peer.address, "/calendar.ics", &[]).await;
    assert!(
        elsewhere.body == first.body,
        "same bytes from a fresh instance"
    );
    assert_eq!(elsewhere.header("etag"), Some(etag.as_str()));
    assert_eq!(
        elsewhere.header("last-modified"),
        Some(last_modified.as_str())
    );

    assert_eq!(
        feed_status(&app.address, &[("if-none-match", &etag)]).await,
        304
    );
    assert_eq!(
        feed_status(
            &app.address,
            &[("if-none-match", &format!("W/{etag}, \"x\""))]
        )
        .await,
        304
    );
    assert_eq!(
        feed_status(&app.address, &[("if-none-match", "\"other\"")]).await,
        200
    );
    assert_eq!(
        feed_status(&app.address, &[("if-modified-since", &last_modified)]).await,
        304
    );
    let earlier = httpdate::fmt_http_date(
        (DateTime::<Utc>::from(httpdate::parse_http_date(&last_modified).unwrap())
            - Duration::seconds(1))
        .into(),
    );
    assert_eq!(
        feed_status(&app.address, &[("if-modified-since", &earlier)]).await,
        200
    );
    assert_eq!(
        feed_status(&app.address, &[("if-modified-since", "not a date")]).await,
        200
    );
    let future = httpdate::fmt_http_date((Utc::now() + Duration::days(30)).into());
    assert_eq!(
        feed_status(&app.address, &[("if-modified-since", &future)]).await,
        200
    );
    // If-None-Match wins: a stale tag gets the feed even with a recent date.
    assert_eq!(
        feed_status(
            &app.address,
            &[
                ("if-none-match", "\"stale\""),
                ("if-modified-since", &last_modified)
            ]
        )
        .await,
        200
    );
    let not_modified = fetch(&app.address, "/calendar.ics", &[("if-none-match", &etag)]).await;
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));

    // HEAD: the same headers, no body.
    let head = fetch_with(reqwest::Method::HEAD, &app.address, "/calendar.ics", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(
        head.header("content-length"),
        Some(first.body.len().to_string().as_str())
    );

    // Compressed forms decode to the same bytes and have their own strong tags.
    let gz = fetch(
        &app.address,
        "/calendar.ics",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert!(plain == first.body, "decodes to the feed");
    let gz_tag = gz.header("etag").unwrap().to_string();
    assert_ne!(gz_tag, etag);
    let br = fetch(
        &app.address,
        "/calendar.ics",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut plain).unwrap();
    assert!(plain == first.body, "decodes to the feed");
    assert_eq!(
        feed_status(
            &app.address,
            &[("accept-encoding", "gzip"), ("if-none-match", &gz_tag)]
        )
        .await,
        304
    );

    // Any write changes the tag; an unrelated filtered feed may keep its bytes.
    let id = made["winter"]["id"].as_str().unwrap();
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Rencontre d'hiver (salle 2)"}),
        )
        .await;
    assert_eq!(code, 200);
    let after = fetch(&app.address, "/calendar.ics", &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, 200);
    assert!(after.text().contains("Rencontre d'hiver (salle 2)"));
    assert_ne!(after.header("etag"), Some(etag.as_str()));
}

/// A revalidation of an address served before is answered before the router
/// (`src/http/revalidate.rs`): the same status, headers and bytes as the full path gives (but
/// no request id made up), 304 and 200, for every coding, HEAD too, per-session files too;
/// never once a write has changed the content.
async fn revalidations_take_the_short_path_alike(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let slug = made["winter"]["slug"].as_str().expect("slug");
    let event_file = format!("/events/{slug}.ics");
    for path in ["/calendar.ics", event_file.as_str()] {
        for coding in ["identity", "gzip", "br"] {
            let plain = fetch(&app.address, path, &[("accept-encoding", coding)]).await;
            assert_eq!(plain.status, 200, "{path}");
            let etag = plain.header("etag").expect("ETag").to_string();
            // A new address (the query is ignored by the feed): its first revalidation takes
            // the full path, which makes up a request id; the next takes the short one.
            let address = format!("{path}?via={coding}");
            let asked = [
                ("accept-encoding", coding),
                ("if-none-match", etag.as_str()),
            ];
            let full = fetch(&app.address, &address, &asked).await;
            let short = fetch(&app.address, &address, &asked).await;
            assert_eq!((full.status, short.status), (304, 304), "{address}");
            assert!(full.header("x-request-id").is_some(), "{address}");
            assert!(short.header("x-request-id").is_none(), "{address}");
            let comparable = |f: &Fetched| {
                let mut h: Vec<(String, String)> = f
                    .headers
                    .iter()
                    .filter(|(k, _)| *k != "date" && *k != "x-request-id")
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                h.sort();
                h
            };
            assert_eq!(comparable(&full), comparable(&short), "{address}");
            assert_eq!(short.header("etag"), Some(etag.as_str()), "{address}");
            assert!(short.body.is_empty());
            // A request id sent is echoed; HEAD is answered alike.
            let with_id = [
                ("accept-encoding", coding),
                ("if-none-match", etag.as_str()),
                ("x-request-id", "abc-123"),
            ];
            let echoed = fetch(&app.address, &address, &with_id).await;
            assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
            let head = fetch_with(reqwest::Method::HEAD, &app.address, &address, &asked).await;
            assert_eq!(head.status, 304);
            assert_eq!(comparable(&head), comparable(&full), "{address}");
            // A tag that does not match, or none, gets the document: the same bytes and
            // headers from the short path as from the full one.
            let other = [("accept-encoding", coding), ("if-none-match", "\"other\"")];
            assert_eq!(fetch(&app.address, &address, &other).await.status, 200);
            let whole = format!("{path}?whole={coding}");
            let full = fetch(&app.address, &whole, &[("accept-encoding", coding)]).await;
            let short = fetch(&app.address, &whole, &[("accept-encoding", coding)]).await;
            assert_eq!((full.status, short.status), (200, 200), "{whole}");
            assert!(full.header("x-request-id").is_some(), "{whole}");
            assert!(short.header("x-request-id").is_none(), "{whole}");
            assert_eq!(comparable(&full), comparable(&short), "{whole}");
            assert!(
                full.body == short.body && full.body == plain.body,
                "{whole}"
            );
            // The next ones copy the headers the first short answer left: still alike, GET
            // and HEAD.
            let again = fetch(&app.address, &whole, &[("accept-encoding", coding)]).await;
            assert_eq!(again.status, 200, "{whole}");
            assert_eq!(comparable(&again), comparable(&full), "{whole}");
            assert!(again.body == full.body, "{whole}");
            let head = fetch_with(
                reqwest::Method::HEAD,
                &app.address,
                &whole,
                &[("accept-encoding", coding)],
            )
            .await;
            assert_eq!(head.status, 200, "{whole}");
            assert_eq!(comparable(&head), comparable(&full), "{whole}");
            // A weak tag, or ours among others, is a match there too.
            let weak = format!("W/{etag}");
            let listed = format!("\"other\", {etag}");
            for tags in [weak.as_str(), listed.as_str()] {
                let asked = [("accept-encoding", coding), ("if-none-match", tags)];
                let answer = fetch(&app.address, &whole, &asked).await;
                assert_eq!(answer.status, 304, "{whole} {tags}");
                assert_eq!(answer.header("etag"), Some(etag.as_str()), "{whole}");
            }
        }
    }
    // After a write, the tags the short path knew get the new content.
    let feed_tag = fetch(&app.address, "/calendar.ics", &[])
        .await
        .header("etag")
        .expect("ETag")
        .to_string();
    let file_tag = fetch(&app.address, &event_file, &[])
        .await
        .header("etag")
        .expect("ETag")
        .to_string();
    assert_eq!(
        fetch(
            &app.address,
            "/calendar.ics",
            &[("if-none-match", &feed_tag)]
        )
        .await
        .status,
        304
    );
    let id = made["winter"]["id"].as_str().expect("id");
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Rencontre d'hiver (reportée)"}),
        )
        .await;
    assert_eq!(code, 200);
    let feed = fetch(
        &app.address,
        "/calendar.ics",
        &[("if-none-match", &feed_tag)],
    )
    .await;
    assert_eq!(feed.status, 200);
    assert!(feed.text().contains("Rencontre d'hiver (reportée)"));
    let file = fetch(&app.address, &event_file, &[("if-none-match", &file_tag)]).await;
    assert_eq!(file.status, 200);
    assert!(file.text().contains("Rencontre d'hiver (reportée)"));
}

async fn another_instance_sees_writes_at_once(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let peer = app.spawn_peer().await;
    // The peer renders and caches its feed first.
    let cached = fetch(&peer.address, "/calendar.ics", &[]).await;
    assert_eq!(cached.status, 200);
    let etag = cached.header("etag").unwrap().to_string();
    let id = made["summer"]["id"].as_str().unwrap();
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Rencontre déplacée"}),
        )
        .await;
    assert_eq!(code, 200);
    // PostgreSQL notifies the peer as the write commits; SQLite's watch checks every second.
    let deadline = std::time::Instant::now()
        + match db {
            Db::Postgres => std::time::Duration::from_millis(500),
            Db::Sqlite => std::time::Duration::from_millis(2500),
        };
    loop {
        let now = fetch(&peer.address, "/calendar.ics", &[("if-none-match", &etag)]).await;
        if now.status == 200 && now.text().contains("Rencontre déplacée") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the peer still serves the old feed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Feeds keep each session's VEVENT between renderings; a change that reaches a session only
/// through the directory (a speaker renamed) must still show.
async fn directory_changes_reach_the_feed(db: Db) {
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let before = fetch(&app.address, "/calendar.ics", &[]).await.text();
    let spring = parse(&before).1[&uid(&made["spring"])].clone();
    assert!(spring
        .description
        .contains("- Camille Martin, cheffe de projet"));
    let slug = made["spring"]["speakers"][0]["slug"]
        .as_str()
        .expect("speaker slug");
    let (code, doc) = app
        .patch(
            &format!("/api/v1/speakers/{slug}"),
            &json!({"name": "Camille Martin-Durand"}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    let after = fetch(&app.address, "/calendar.ics", &[]).await.text();
    let (_, seen) = parse(&after);
    assert!(seen[&uid(&made["spring"])]
        .description
        .contains("- Camille Martin-Durand, cheffe de projet"));
    // The other sessions are unchanged, byte for byte.
    let autumn = |t: &str| parse(t).1[&uid(&made["autumn"])].clone();
    assert_eq!(autumn(&before), autumn(&after));
}

/// A new process serves the feed saved by the last one while nothing changed, starts from its
/// VEVENTs, and renders again once content moved; token bookkeeping does not count as content.
async fn a_restart_reuses_the_saved_feed_until_content_changes(db: Db) {
    use eventail::feeds::FeedRenderer;
    use eventail::publish::ical::CalendarSettings;
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let settings = CalendarSettings {
        base_url: "https://agenda.example.org".into(),
        refresh_interval: "PT1H".into(),
        timezone: chrono_tz::Europe::Paris,
        organizer: None,
        default_duration: Duration::minutes(120),
    };
    let query = eventail::store::FeedQuery::default();
    let window = Duration::days(365);
    async fn render(
        renderer: &FeedRenderer,
        app: &TestApp,
        settings: &CalendarSettings,
    ) -> eventail::feeds::FeedText {
        let query = eventail::store::FeedQuery::default();
        let window = Duration::days(365);
        renderer
            .render(&app.store, settings, "Agenda", &query, Utc::now(), window)
            .await
            .unwrap()
    }

    let before = FeedRenderer::default();
    let first = render(&before, &app, &settings).await;
    assert!(!first.from_snapshot);
    assert!(first.written >= 5, "{}", first.written);
    before
        .save_snapshot(&app.store, &settings, "Agenda", &query, window)
        .await
        .unwrap();
    app.store.create_token("another").await.unwrap();

    let after = FeedRenderer::default();
    let restarted = render(&after, &app, &settings).await;
    assert!(restarted.from_snapshot);
    assert_eq!(restarted.text, first.text);
    assert_eq!(restarted.last_change, first.last_change);
    // Another feed (other name, other key) has no snapshot.
    let other = after
        .render(&app.store, &settings, "Autre", &query, Utc::now(), window)
        .await
        .unwrap();
    assert!(!other.from_snapshot);

    let id = made["summer"]["id"].as_str().unwrap();
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Rencontre avancée"}),
        )
        .await;
    assert_eq!(code, 200);
    let edited = render(&after, &app, &settings).await;
    assert!(!edited.from_snapshot);
    assert_eq!(edited.written, 1, "the memo was warmed from the snapshot");
    assert!(edited.text.contains("Rencontre avancée"));

    // The saved feed is older than the content now: a third process renders.
    let third = render(&FeedRenderer::default(), &app, &settings).await;
    assert!(!third.from_snapshot);
    assert_eq!(third.text, edited.text);
}

/// Every content write keeps its sessions' VEVENTs beside them, as the served feed writes
/// them: a session's edit, a speaker's or series' rename, a cancellation. A renderer with an empty memo joins those instead of writing, to the same bytes, and
/// VEVENTs it had to write are kept for the next one.
async fn sessions_keep_their_vevents_beside_them(db: Db) {
    use eventail::feeds::FeedRenderer;
    use eventail::publish::ical::CalendarSettings;
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    let spring = made["spring"]["id"].as_str().unwrap().to_string();
    // The stored text of a session, checked against the session and the served feed.
    async fn kept(app: &TestApp, id: &str) -> String {
        let stored = app.store.stored_vevent(id).await.unwrap();
        let (key, at, body) = stored.expect("a stored VEVENT");
        let event = app.store.get_event(id).await.unwrap();
        assert_eq!(at, event.updated_at, "written for the session as it is");
        assert_eq!(key.len(), 32);
        let feed = fetch(&app.address, "/calendar.ics", &[]).await.text();
        assert!(
            feed.contains(&body),
            "the feed shows the stored bytes:\n{body}"
        );
        // Unfolded, for reading.
        body.replace("\r\n ", "")
    }
    assert!(kept(&app, &spring).await.contains("Camille Martin"));
    let draft = made["draft"]["id"].as_str().unwrap();
    assert!(app.store.stored_vevent(draft).await.unwrap().is_none());

    let (code, doc) = app
        .patch(
            &format!("/api/v1/events/{spring}"),
            &json!({"title": "Printemps renommé"}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    assert!(kept(&app, &spring)
        .await
        .contains("SUMMARY:Printemps renommé"));
    let speaker = made["spring"]["speakers"][0]["slug"].as_str().unwrap();
    let (code, doc) = app
        .patch(
            &format!("/api/v1/speakers/{speaker}"),
            &json!({"name": "Camille Martin-Durand"}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    assert!(kept(&app, &spring).await.contains("Camille Martin-Durand"));
    let autumn_before = app
        .store
        .get_event(made["autumn"]["id"].as_str().unwrap())
        .await;
    let (code, doc) = app
        .patch(
            "/api/v1/series/les-mercredis",
            &json!({"title": "Les mercredis, plus sobres"}),
        )
        .await;
    assert_eq!(code, 200, "{doc}");
    // A series' title is not in its sessions' VEVENTs, but the rename moves their change time:
    // the stored texts follow (`kept` checks the time).
    let autumn = made["autumn"]["id"].as_str().unwrap();
    kept(&app, autumn).await;
    assert!(
        app.store.get_event(autumn).await.unwrap().updated_at > autumn_before.unwrap().updated_at
    );
    let (code, doc) = app
        .post(&format!("/api/v1/events/{autumn}/cancel"), &json!({}))
        .await;
    assert_eq!(code, 200, "{doc}");
    assert!(kept(&app, autumn).await.contains("STATUS:CANCELLED"));

    // A renderer with an empty memo, under the server's settings: nothing to write.
    let base = app.address.clone();
    let settings =
        CalendarSettings::from_settings(&crate::helpers::settings_for("sqlite::memory:"), &base)
            .unwrap();
    let query = eventail::store::FeedQuery::default();
    let window = Duration::days(365);
    let render = |renderer: FeedRenderer| {
        let app = &app;
        let settings = settings.clone();
        let query = query.clone();
        async move {
            renderer
                .render(&app.store, &settings, "Agenda", &query, Utc::now(), window)
                .await
                .unwrap()
        }
    };
    let joined = render(FeedRenderer::default()).await;
    assert_eq!(joined.written, 0);
    assert!(joined.stored >= 5, "{}", joined.stored);

    // Without the stored texts (sessions from before them), the same bytes, all written; they
    // are kept then, and the next renderer joins them again.
    sqlx::query("DELETE FROM session_vevents")
        .execute(app.store.pool())
        .await
        .unwrap();
    let written = render(FeedRenderer::default()).await;
    assert_eq!(written.text, joined.text);
    assert_eq!((written.written, written.stored), (joined.stored, 0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.store.stored_vevent(&spring).await.unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "not kept");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let again = render(FeedRenderer::default()).await;
    assert_eq!(again.text, joined.text);
    assert_eq!((again.written, again.stored), (0, joined.stored));
}

/// A feed's list read with its kept texts (what a new process renders from) is the same list as
/// without them, under every filter, and each text is the one kept for the session's change:
/// each backend builds that query its own way (PostgreSQL joins the texts unordered and the
/// process sorts the rows, SQLite binds `$N` by name), and the filters join or test other tables.
async fn filtered_lists_come_with_their_kept_texts(db: Db) {
    use eventail::domain::EventKind;
    use eventail::store::FeedQuery;
    let app = spawn_app(db).await;
    let made = seed(&app).await;
    // Twelve webinars at one time: their order is their ids'. On PostgreSQL the rows are read
    // unordered, then put in order by the process.
    let mut same_time = Vec::new();
    for i in 0..12 {
        let made = app
            .create_event(json!({"kind": "webinar", "status": "scheduled",
                "title": format!("Atelier parallèle {i}"), "tags": ["sobriété"],
                "starts_at": "2038-09-09T09:00", "ends_at": "2038-09-09T10:00"}))
            .await;
        same_time.push(made["id"].as_str().unwrap().to_string());
    }
    let spring = made["spring"]["id"].as_str().unwrap();
    let (key, _, _) = app.store.stored_vevent(spring).await.unwrap().unwrap();
    let window = Duration::days(3650);
    let now = Utc::now();
    let queries = [
        FeedQuery::default(),
        FeedQuery {
            kind: Some(EventKind::Webinar),
            ..FeedQuery::default()
        },
        FeedQuery {
            tag: Some("sobriété".into()),
            ..FeedQuery::default()
        },
        FeedQuery {
            series: Some("les-mercredis".into()),
            ..FeedQuery::default()
        },
        FeedQuery {
            kind: Some(EventKind::Webinar),
            series: Some("les-mercredis".into()),
            tag: Some("sobriété".into()),
        },
    ];
    for query in queries {
        let plain = app.store.feed_events(&query, now, window).await.unwrap();
        let (with, texts) = app
            .store
            .feed_events_with_vevents(&query, now, window, &key)
            .await
            .unwrap();
        assert!(!plain.entries.is_empty(), "{query:?} lists nothing");
        assert_eq!(with.entries, plain.entries, "{query:?}");
        if query.series.is_none() {
            let ids: Vec<&str> = with.entries.iter().map(|e| e.id.as_str()).collect();
            let mut sorted = same_time.clone();
            sorted.sort();
            let at = ids.iter().position(|id| *id == sorted[0]).unwrap();
            assert_eq!(ids[at..at + sorted.len()], sorted, "{query:?}");
        }
        assert_eq!(with.last_change, plain.last_change, "{query:?}");
        assert_eq!(texts.len(), with.entries.len());
        for (entry, text) in with.entries.iter().zip(&texts) {
            let (_, at, body) = app.store.stored_vevent(&entry.id).await.unwrap().unwrap();
            assert_eq!(at, entry.updated_at);
            assert_eq!(
                text.as_deref(),
                Some(body.as_str()),
                "{query:?} {}",
                entry.id
            );
        }
    }
    // Under another key (other settings), no text is taken for the session's.
    let (_, texts) = app
        .store
        .feed_events_with_vevents(&FeedQuery::default(), now, window, "another key")
        .await
        .unwrap();
    assert!(!texts.is_empty() && texts.iter().all(Option::is_none));
}

on_both_backends!(
    a_restart_reuses_the_saved_feed_until_content_changes,
    filtered_lists_come_with_their_kept_texts,
    sessions_keep_their_vevents_beside_them,
    directory_changes_reach_the_feed,
    feed_shapes_and_instants,
    filtered_and_per_series_feeds,
    per_event_files,
    reschedule_and_cancel,
    ended_sessions_leave_after_the_window,
    http_validators_and_codings,
    another_instance_sees_writes_at_once,
    sessions_without_an_end_last_the_default_length,
    revalidations_take_the_short_path_alike,
);

/// Python's `icalendar` (an independent implementation) reads every feed shape to the same UTC
/// instants, texts, statuses and sequences as the Rust crate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Python icalendar (pip install 'icalendar>=6'; .ci/run installs it)"]
async fn independent_parser_agrees() {
    let app = spawn_app(Db::Sqlite).await;
    let made = seed(&app).await;
    let id = made["autumn"]["id"].as_str().unwrap();
    let (code, _) = app
        .post(&format!("/api/v1/events/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(code, 200);
    let open = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Sans fin",
            "starts_at": "2038-06-02T09:00"}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for path in [
        "/calendar.ics".to_string(),
        "/calendar.ics?kind=event".into(),
        "/series/les-mercredis/calendar.ics".into(),
        format!("/events/{}.ics", made["days"]["slug"].as_str().unwrap()),
        format!("/events/{}.ics", made["long"]["slug"].as_str().unwrap()),
        format!("/events/{}.ics", open["slug"].as_str().unwrap()),
    ] {
        let text = fetch(&app.address, &path, &[]).await.text();
        let file = dir.path().join(format!("feed{}.ics", paths.len()));
        std::fs::write(&file, &text).unwrap();
        paths.push((file, text));
    }
    let script = r#"
import json, sys, datetime
from icalendar import Calendar
out = []
for path in sys.argv[1:]:
    cal = Calendar.from_ical(open(path, 'rb').read())
    assert not cal.get_missing_tzids() if hasattr(cal, 'get_missing_tzids') else True
    events = {}
    for ev in cal.walk('VEVENT'):
        def when(key):
            if key not in ev: return None
            v = ev.decoded(key)
            if isinstance(v, datetime.datetime):
                assert v.tzinfo is not None, 'floating time'
                return ['t', v.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')]
            return ['d', v.isoformat()]
        events[str(ev['UID'])] = {
            'start': when('DTSTART'), 'end': when('DTEND'),
            'summary': str(ev['SUMMARY']), 'description': str(ev.get('DESCRIPTION', '')),
            'status': str(ev.get('STATUS', '')), 'sequence': int(ev.get('SEQUENCE', 0)),
        }
    out.append({'name': str(cal.get('X-WR-CALNAME', '')), 'events': events})
print(json.dumps(out))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(paths.iter().map(|(p, _)| p))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "Python icalendar failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let python: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON from Python");
    assert_eq!(python.len(), paths.len());
    let mut compared = 0;
    for ((_, text), theirs) in paths.iter().zip(&python) {
        let (calendar, ours) = parse(text);
        // Python's icalendar returns X- properties still escaped (RFC 5545 §3.8.8.2 makes them
        // TEXT); the name matches once unescaped.
        assert_eq!(
            theirs["name"]
                .as_str()
                .unwrap_or_default()
                .replace("\\,", ","),
            calendar.property_value("X-WR-CALNAME").unwrap_or_default()
        );
        let theirs = theirs["events"].as_object().expect("events");
        assert_eq!(theirs.len(), ours.len());
        for (uid, mine) in &ours {
            let other = &theirs[uid];
            match mine.all_day {
                Some((first, end)) => {
                    assert_eq!(other["start"], json!(["d", first.to_string()]));
                    assert_eq!(other["end"], json!(["d", end.to_string()]));
                }
                None => {
                    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                    assert_eq!(other["start"], json!(["t", fmt(mine.start)]), "{uid}");
                    match mine.end {
                        Some(end) => assert_eq!(other["end"], json!(["t", fmt(end)])),
                        None => assert!(other["end"].is_null()),
                    }
                }
            }
            assert_eq!(other["summary"], mine.summary.as_str());
            assert_eq!(other["description"], mine.description.as_str());
            assert_eq!(other["status"], mine.status.as_str());
            assert_eq!(other["sequence"], mine.sequence);
            compared += 1;
        }
    }
    assert!(compared >= 10, "compared {compared} events");
    // The spring session's instant, checked by Python too.
    let spring = &python[0]["events"][&uid(&made["spring"])];
    assert_eq!(spring["start"], json!(["t", "2038-03-28T08:00:00Z"]));
    assert_eq!(
        spring["summary"],
        format!("Printemps {}", TRICKY.replace('\n', " "))
    );
    let autumn = &python[0]["events"][&uid(&made["autumn"])];
    assert_eq!(autumn["status"], "CANCELLED");
    // A live session without an end lasts the default two hours for Python too.
    let open = &python[5]["events"][&uid(&open)];
    assert_eq!(open["start"], json!(["t", "2038-06-02T07:00:00Z"]));
    assert_eq!(open["end"], json!(["t", "2038-06-02T09:00:00Z"]));
}
