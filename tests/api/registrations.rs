//! Registrations through the real server and a real SMTP server on loopback: seats and the
//! waiting list under concurrent requests, cancellations that promote the next in line, the
//! capacity rules, double opt-in on the public form, and the privacy of the join link.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;
use crate::smtp::{parse, Mail, SmtpServer};

/// The join link of the sessions here: it must never be found where it does not belong.
const SECRET_ROOM: &str = "https://visio.example.org/salle-privee-7f3a9c";

/// Whether `text` holds the join link as written anywhere: raw, in HTML (minijinja writes `/`
/// as `&#x2f;`), or in a folded iCalendar line.
fn holds_link(text: &str) -> bool {
    let plain = text.replace("&#x2f;", "/").replace("\r\n ", "");
    plain.contains("salle-privee-7f3a9c")
}

async fn app(db: Db, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(FreshDb::new(db).await, move |f| {
        f.merge(("mail.smtp_url", url))
            .merge(("mail.rate_per_second", 2000.0))
            .merge(("mail.subscribe_limit_per_client", 1000))
    })
    .await
}

/// A webinar a few days ahead that requires registration.
fn webinar(title: &str, capacity: Option<i64>) -> Value {
    let start = Utc::now() + chrono::Duration::days(3);
    let end = start + chrono::Duration::hours(1);
    json!({"kind": "webinar", "status": "scheduled", "title": title,
        "starts_at": start.format("%Y-%m-%dT%H:%M:00Z").to_string(),
        "ends_at": end.format("%Y-%m-%dT%H:%M:00Z").to_string(),
        "series": {"slug": "les-mercredis", "title": "Les mercredis"},
        "tags": ["sobriété"],
        "registration_required": true, "capacity": capacity,
        "links": {"join": SECRET_ROOM}})
}

fn mails(smtp: &SmtpServer) -> Vec<(String, Mail)> {
    smtp.received()
        .iter()
        .map(|m| (m.to.join(","), parse(&m.data)))
        .collect()
}

/// Messages to `to` whose subject starts with `prefix`.
fn count(all: &[(String, Mail)], to: &str, prefix: &str) -> usize {
    all.iter()
        .filter(|(rcpt, m)| rcpt == to && m.subject.starts_with(prefix))
        .count()
}

/// Waits until `done` holds for the mail received so far.
async fn mail_until(
    smtp: &SmtpServer,
    within: Duration,
    done: impl Fn(&[(String, Mail)]) -> bool,
) -> Vec<(String, Mail)> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let all = mails(smtp);
        if done(&all) {
            return all;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mail never got there: {:?}",
            all.iter().map(|(_, m)| &m.subject).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn registrations(app: &TestApp, slug: &str) -> Value {
    let (code, list) = app
        .get(&format!("/api/v1/events/{slug}/registrations"))
        .await;
    assert_eq!(code, 200, "{list}");
    list
}

fn with_status<'a>(list: &'a Value, status: &str) -> Vec<&'a Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == status)
        .collect()
}

fn emails(items: &[&Value]) -> Vec<String> {
    items
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_string())
        .collect()
}

/// A registrant's own link, from a mail to them.
fn own_link(mail: &Mail, base: &str) -> String {
    mail.link(&format!("{base}/inscription/"))
        .map(|l| l.trim_end_matches("/agenda.ics").to_string())
        .expect("a registrant's link")
}

async fn form_post(app: &TestApp, url: &str, body: &str) -> (u16, String) {
    let response = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn get_text(app: &TestApp, url: &str) -> (u16, String) {
    let response = app.client.get(url).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// 200 people register at once for 20 seats: exactly 20 seated, 180 waiting in one unbroken
/// line; 5 cancel at once and exactly the first 5 in line are promoted, each told once; more
/// seats promote the next; fewer seats than taken is refused and changes nothing.
async fn seats_and_the_waiting_list_under_load(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let event = app
        .create_event(webinar("Atelier très demandé", Some(20)))
        .await;
    let slug = event["slug"].as_str().unwrap().to_string();
    let requests = (0..200).map(|i| {
        let app = &app;
        let slug = &slug;
        async move {
            app.post(
                &format!("/api/v1/events/{slug}/registrations"),
                &json!({"email": format!("p{i:03}@example.org"), "name": format!("Personne {i}")}),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    for (code, body) in &answers {
        assert_eq!(*code, 201, "{body}");
    }
    let list = registrations(&app, &slug).await;
    assert_eq!(
        list["seats"],
        json!({"capacity": 20, "seated": 20, "waiting": 180, "seats_left": 0})
    );
    let seated = with_status(&list, "seated");
    let waiting = with_status(&list, "waiting");
    assert_eq!((seated.len(), waiting.len()), (20, 180));
    // The console's lists count seats of several sessions at once: the same figures, in the
    // order asked, a session without registrations at zero.
    let quiet = app
        .create_event(webinar("Atelier confidentiel", None))
        .await;
    let sessions = [
        app.store
            .get_event(quiet["id"].as_str().unwrap())
            .await
            .unwrap(),
        app.store.get_event(&slug).await.unwrap(),
    ];
    let one_by_one = [
        app.store.seat_count(&sessions[0]).await.unwrap(),
        app.store.seat_count(&sessions[1]).await.unwrap(),
    ];
    assert_eq!(app.store.seat_counts(&sessions).await.unwrap(), one_by_one);
    assert_eq!((one_by_one[0].seated, one_by_one[1].waiting), (0, 180));
    let positions: Vec<i64> = waiting
        .iter()
        .map(|r| r["position"].as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=180).collect::<Vec<_>>(),
        "one unbroken line, in order"
    );
    // Every answer said what the list says.
    let said: BTreeMap<String, String> = answers
        .iter()
        .map(|(_, b)| {
            (
                b["email"].as_str().unwrap().to_string(),
                b["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for r in seated.iter().chain(&waiting) {
        assert_eq!(
            said[r["email"].as_str().unwrap()],
            r["status"].as_str().unwrap()
        );
    }
    // Each told once: 20 seats, 180 places in line.
    let all = mail_until(&smtp, Duration::from_secs(60), |all| all.len() >= 200).await;
    for email in emails(&seated) {
        assert_eq!(count(&all, &email, "Inscription confirmée"), 1, "{email}");
    }
    for email in emails(&waiting) {
        assert_eq!(count(&all, &email, "Liste d'attente"), 1, "{email}");
    }
    // Reminders are planned for the seated only.
    let (_, outbox) = app.get(&format!("/api/v1/events/{slug}/outbox")).await;
    let reminded: BTreeSet<String> = outbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "reminder")
        .map(|m| m["recipient"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reminded, emails(&seated).into_iter().collect());

    // Five seated people cancel at once, from their own links.
    let leaving: Vec<String> = emails(&seated)[..5].to_vec();
    let links: Vec<String> = leaving
        .iter()
        .map(|email| {
            let mail = all
                .iter()
                .find(|(to, m)| to == email && m.subject.starts_with("Inscription confirmée"))
                .map(|(_, m)| m)
                .unwrap();
            own_link(mail, &app.address)
        })
        .collect();
    let next_five = emails(&waiting)[..5].to_vec();
    let cancels = links
        .iter()
        .map(|link| form_post(&app, link, "List-Unsubscribe=One-Click"));
    for (code, page) in futures_util::future::join_all(cancels).await {
        assert_eq!(code, 200, "{page}");
        assert!(page.contains("Inscription annulée"), "{page}");
    }
    let list = registrations(&app, &slug).await;
    assert_eq!(list["seats"]["seated"], 20);
    assert_eq!(list["seats"]["waiting"], 175);
    let seated_now: BTreeSet<String> = emails(&with_status(&list, "seated")).into_iter().collect();
    for email in &next_five {
        assert!(seated_now.contains(email), "{email} was next in line");
    }
    for email in &leaving {
        assert!(!seated_now.contains(email));
    }
    let all = mail_until(&smtp, Duration::from_secs(30), |all| all.len() >= 210).await;
    for email in &next_five {
        assert_eq!(count(&all, email, "Une place s'est libérée"), 1, "{email}");
    }
    for email in &leaving {
        assert_eq!(count(&all, email, "Inscription annulée"), 1, "{email}");
    }
    assert_eq!(
        all.iter()
            .filter(|(_, m)| m.subject.starts_with("Une place"))
            .count(),
        5
    );
    // Cancelling again changes nothing.
    let (code, _) = form_post(&app, &links[0], "").await;
    assert_eq!(code, 200);
    assert_eq!(registrations(&app, &slug).await["seats"]["seated"], 20);

    // Ten more seats: the next ten in line.
    let expected: Vec<String> = emails(&with_status(&list, "waiting"))[..10].to_vec();
    let (code, body) = app
        .patch(&format!("/api/v1/events/{slug}"), &json!({"capacity": 30}))
        .await;
    assert_eq!(code, 200, "{body}");
    let list = registrations(&app, &slug).await;
    assert_eq!(list["seats"]["seated"], 30);
    let seated_now: BTreeSet<String> = emails(&with_status(&list, "seated")).into_iter().collect();
    for email in &expected {
        assert!(seated_now.contains(email), "{email}");
    }
    let waiting: Vec<i64> = with_status(&list, "waiting")
        .iter()
        .map(|r| r["position"].as_i64().unwrap())
        .collect();
    assert_eq!(waiting, (1..=165).collect::<Vec<_>>());
    mail_until(&smtp, Duration::from_secs(30), |all| {
        all.iter()
            .filter(|(_, m)| m.subject.starts_with("Une place"))
            .count()
            == 15
    })
    .await;

    // Fewer seats than taken: refused, nothing changes.
    let (code, problem) = app
        .patch(&format!("/api/v1/events/{slug}"), &json!({"capacity": 10}))
        .await;
    assert_eq!(code, 409, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("30 seats"),
        "{problem}"
    );
    let (_, stored) = app.get(&format!("/api/v1/events/{slug}")).await;
    assert_eq!(stored["capacity"], 30);
    assert_eq!(registrations(&app, &slug).await["seats"]["seated"], 30);
}

/// Organisers list, add, move, remove and export registrants.
async fn organisers_manage_registrants(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let event = app
        .create_event(webinar("Atelier de deux places", Some(2)))
        .await;
    let slug = event["slug"].as_str().unwrap().to_string();
    let path = format!("/api/v1/events/{slug}/registrations");
    let mut ids = Vec::new();
    for (i, name) in ["Ada", "Bea", "Cyd", "=HYPERLINK(\"x\")"]
        .iter()
        .enumerate()
    {
        let (code, r) = app
            .post(&path, &json!({"email": format!("r{i}@example.org"), "name": name, "organisation": "Mission"}))
            .await;
        assert_eq!(code, 201, "{r}");
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    // Twice is a conflict; bad input names its fields.
    let (code, _) = app
        .post(&path, &json!({"email": "r0@example.org", "name": "Ada"}))
        .await;
    assert_eq!(code, 409);
    let (code, problem) = app.post(&path, &json!({"email": "nope", "name": ""})).await;
    assert_eq!(code, 422);
    assert_eq!(crate::helpers::error_fields(&problem), ["email", "name"]);
    // Move the last in line to the head of the waiting list, then a seated person to the line:
    // their seat goes to the head of the line.
    let (code, moved) = app
        .post(
            &format!("{path}/{}/move", ids[3]),
            &json!({"to": "waiting", "position": 1}),
        )
        .await;
    assert_eq!(code, 200, "{moved}");
    assert_eq!(moved["position"], 1);
    let (code, full) = app
        .post(&format!("{path}/{}/move", ids[2]), &json!({"to": "seat"}))
        .await;
    assert_eq!(code, 409, "{full}");
    let (code, moved) = app
        .post(
            &format!("{path}/{}/move", ids[0]),
            &json!({"to": "waiting"}),
        )
        .await;
    assert_eq!(code, 200, "{moved}");
    let list = registrations(&app, &slug).await;
    assert_eq!(
        emails(&with_status(&list, "seated")),
        ["r1@example.org", "r3@example.org"]
    );
    assert_eq!(
        emails(&with_status(&list, "waiting")),
        ["r2@example.org", "r0@example.org"]
    );
    // Remove a seated person: the next in line takes the seat.
    let (code, removed) = app.delete(&format!("{path}/{}", ids[1])).await;
    assert_eq!(code, 200, "{removed}");
    assert_eq!(removed["status"], "cancelled");
    assert_eq!(removed["cancelled_by"], "organiser");
    let list = registrations(&app, &slug).await;
    assert_eq!(
        emails(&with_status(&list, "seated")),
        ["r3@example.org", "r2@example.org"]
    );
    let (code, only) = app.get(&format!("{path}?status=waiting")).await;
    assert_eq!(code, 200);
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    // A filter value that does not exist is a bad query, as on the other lists.
    let (code, _) = app.get(&format!("{path}?status=everyone")).await;
    assert_eq!(code, 400);
    let (code, _) = app.get(&format!("{path}?colour=blue")).await;
    assert_eq!(code, 400);
    // The export: one line per registrant, formulas defused, no secrets.
    let response = app
        .client
        .get(app.url(&format!("{path}.csv")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("name,email,organisation,status,position"));
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
    // The person removed was told; the one promoted too.
    let all = mail_until(&smtp, Duration::from_secs(30), |all| {
        count(all, "r1@example.org", "Inscription annulée") == 1
            && count(all, "r2@example.org", "Une place s'est libérée") == 1
    })
    .await;
    let removed_mail = all
        .iter()
        .find(|(to, m)| to == "r1@example.org" && m.subject.starts_with("Inscription annulée"))
        .unwrap();
    assert!(removed_mail
        .1
        .text()
        .contains("L'équipe organisatrice a annulé"));
    // Without a token, nothing.
    let response = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

/// The public form: double opt-in, then a seat with the private join link in the mail and the
/// personal calendar; the next person waits. The join link of this session is found nowhere a
/// non-registrant can read: pages, feeds, the Atom feed, the static and Eleventy exports, the
/// API without a token, and every mail to a follower or to someone without a seat.
async fn the_join_link_reaches_only_seated_registrants(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let base = app.address.clone();
    // A follower of everything, before the session is published: they get its announcement.
    let (code, body) = app
        .post("/api/v1/subscribers", &json!({"email": "suiveuse@example.org", "scope": "all", "consent": {"source": "salon", "at": "2026-10-01T10:00:00Z"}}))
        .await;
    assert_eq!(code, 201, "{body}");
    let event = app.create_event(webinar("Atelier privé", Some(1))).await;
    let slug = event["slug"].as_str().unwrap().to_string();
    let page = get_text(&app, &format!("{base}/events/{slug}")).await.1;
    assert!(
        page.contains("id=\"inscription\""),
        "the form is on the page"
    );
    assert!(page.contains("1 place restante"), "{page}");
    assert!(!page.contains("Recevoir un rappel"));

    // Alice registers on the page, confirms, gets her seat; the follower registers too and
    // waits (she proved her address by following: no confirmation round).
    let register = format!("{base}/events/{slug}/inscription");
    let (code, sent) = form_post(
        &app,
        &register,
        "name=Alice+L%C3%A9ger&email=alice%40example.org&organisation=",
    )
    .await;
    assert_eq!(code, 200, "{sent}");
    assert!(sent.contains("Vérifiez votre boîte"));
    let all = mail_until(&smtp, Duration::from_secs(20), |all| {
        count(all, "alice@example.org", "Confirmez votre inscription") == 1
    })
    .await;
    let confirm = all
        .iter()
        .find(|(to, _)| to == "alice@example.org")
        .and_then(|(_, m)| m.link(&format!("{base}/inscription/confirmer/")))
        .expect("a confirmation link");
    // The link's page names the session and changes nothing; its button confirms.
    let (code, page) = get_text(&app, &confirm).await;
    assert_eq!(code, 200);
    assert!(page.contains("Atelier privé"), "{page}");
    assert_eq!(registrations(&app, &slug).await["seats"]["seated"], 0);
    let (code, done) = form_post(&app, &confirm, "").await;
    assert_eq!(code, 200, "{done}");
    assert!(done.contains("vous avez une place"), "{done}");
    assert_eq!(
        form_post(&app, &confirm, "").await.0,
        404,
        "a link serves once"
    );
    let (code, _) = form_post(&app, &register, "name=Suzanne&email=suiveuse%40example.org").await;
    assert_eq!(code, 200);
    let (code, bad) = form_post(&app, &register, "name=&email=pas-une-adresse").await;
    assert_eq!(code, 422);
    assert!(
        bad.contains("adresse électronique n&#x27;est pas valide"),
        "{bad}"
    );
    let all = mail_until(&smtp, Duration::from_secs(20), |all| {
        count(all, "alice@example.org", "Inscription confirmée") == 1
            && count(all, "suiveuse@example.org", "Liste d'attente") == 1
            && count(all, "suiveuse@example.org", "Webinaire") == 1
    })
    .await;
    assert_eq!(
        count(&all, "suiveuse@example.org", "Confirmez"),
        0,
        "known address"
    );

    // Alice's seat mail carries the link, her own calendar and her cancel link.
    let seat = &all
        .iter()
        .find(|(to, m)| to == "alice@example.org" && m.subject.starts_with("Inscription confirmée"))
        .unwrap()
        .1;
    assert!(seat.text().contains(SECRET_ROOM));
    assert!(holds_link(&seat.part("text/html").unwrap().2));
    let own = own_link(seat, &base);
    let unsubscribe = seat.header("List-Unsubscribe").unwrap();
    assert!(
        unsubscribe.starts_with(&format!("<{own}>")),
        "{unsubscribe}"
    );
    let calendar = format!("{own}/agenda.ics");
    let (code, ics) = get_text(&app, &calendar).await;
    assert_eq!(code, 200, "{ics}");
    let (_, seen) = crate::calendar::parse(&ics);
    let mine = seen.values().next().expect("one event");
    assert!(
        mine.description.contains(SECRET_ROOM),
        "{}",
        mine.description
    );
    assert_eq!(mine.status, "CONFIRMED");
    let first_sequence = mine.sequence;
    assert!(ics.contains("CONFERENCE;") && ics.replace("\r\n ", "").contains(SECRET_ROOM));

    // Everything a non-registrant can read, without the link.
    let mut public = Vec::new();
    for path in [
        "/".to_string(),
        "/archives".into(),
        format!("/events/{slug}"),
        format!("/events/{slug}.ics"),
        "/calendar.ics".into(),
        "/series/les-mercredis".into(),
        "/series/les-mercredis/calendar.ics".into(),
        "/tags/sobri%C3%A9t%C3%A9".into(),
        "/actualites.atom".into(),
        format!("/api/v1/events/{slug}"),
        "/api/v1/events".into(),
    ] {
        let (code, text) = get_text(&app, &format!("{base}{path}")).await;
        assert!(code == 200 || path.starts_with("/api"), "{path}: {code}");
        public.push((path, text));
    }
    let folder = tempfile::tempdir().unwrap();
    let site = folder.path().join("site");
    let state = eventail::http::AppState::new(
        app.store.clone(),
        crate::helpers::settings_for("sqlite::memory:"),
        std::sync::Arc::new(eventail::templates::Templates::load(None).unwrap()),
    )
    .unwrap();
    eventail::http::export::static_site(state, &site)
        .await
        .expect("static export");
    let events = app.store.published_events().await.unwrap();
    let eleventy = folder.path().join("eleventy");
    eventail::publish::eleventy::export(&events, &eleventy).expect("Eleventy export");
    for dir in [&site, &eleventy] {
        for entry in walk(dir) {
            let bytes = std::fs::read(&entry).unwrap();
            public.push((
                entry.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    assert!(public.len() > 20, "crawled {}", public.len());
    for (what, text) in &public {
        assert!(!holds_link(text), "the join link is in {what}");
    }
    // The public .ics points to the form instead.
    let session_ics = &public.iter().find(|(p, _)| p.ends_with(".ics")).unwrap().1;
    assert!(session_ics.replace("\r\n ", "").contains("#inscription"));

    // Mail: followers and the waiting list never get it; Alice's every mail does.
    for (to, mail) in &all {
        let whole = format!(
            "{}{}",
            mail.text(),
            mail.parts.iter().map(|p| p.2.as_str()).collect::<String>()
        );
        if to == "alice@example.org" && !mail.subject.starts_with("Confirmez") {
            assert!(holds_link(&whole), "{to}: {}", mail.subject);
        } else {
            assert!(!holds_link(&whole), "{to}: {}", mail.subject);
        }
    }
    let announcement = &all
        .iter()
        .find(|(to, m)| to == "suiveuse@example.org" && m.subject.starts_with("Webinaire"))
        .unwrap()
        .1;
    assert!(announcement
        .text()
        .contains(&format!("S'inscrire : {base}/events/{slug}#inscription")));

    // A new join link: only Alice is told (the follower and the waiting list have no use for
    // it); then a move of the date: everyone is, and only Alice's notice carries the link.
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"links": {"join": format!("{SECRET_ROOM}-2")}}),
        )
        .await;
    assert_eq!(code, 200);
    let later = Utc::now() + chrono::Duration::days(4);
    let (code, _) = app
        .patch(
            &format!("/api/v1/events/{slug}"),
            &json!({"starts_at": later.format("%Y-%m-%dT%H:%M:00Z").to_string(), "ends_at": null}),
        )
        .await;
    assert_eq!(code, 200);
    // (The first notice may be replaced by the second if it had not gone yet.)
    let all = mail_until(&smtp, Duration::from_secs(20), |all| {
        count(all, "suiveuse@example.org", "Modifié") == 1
            && all.iter().any(|(to, m)| {
                to == "alice@example.org"
                    && m.subject.starts_with("Modifié")
                    && m.text().contains("Date et horaire")
            })
    })
    .await;
    for (to, mail) in all.iter().filter(|(_, m)| m.subject.starts_with("Modifié")) {
        assert_eq!(to == "alice@example.org", holds_link(&mail.text()), "{to}");
        assert_eq!(
            to == "alice@example.org",
            holds_link(&mail.part("text/html").unwrap().2),
            "{to}"
        );
    }
    // Her calendar follows, with a higher SEQUENCE.
    let (_, ics) = get_text(&app, &calendar).await;
    let (_, seen) = crate::calendar::parse(&ics);
    assert!(seen.values().next().unwrap().sequence > first_sequence);

    // She cancels from her page (a GET changes nothing): her calendar says so, and her seat
    // goes to the follower, who now gets the link.
    let (code, page) = get_text(&app, &own).await;
    assert_eq!(code, 200);
    assert!(page.contains("Annuler mon inscription"), "{page}");
    assert_eq!(registrations(&app, &slug).await["seats"]["seated"], 1);
    let (code, _) = form_post(&app, &own, "").await;
    assert_eq!(code, 200);
    let (_, ics) = get_text(&app, &calendar).await;
    let (_, seen) = crate::calendar::parse(&ics);
    let mine = seen.values().next().unwrap();
    assert_eq!(mine.status, "CANCELLED");
    assert!(!mine.description.contains(SECRET_ROOM));
    let all = mail_until(&smtp, Duration::from_secs(20), |all| {
        count(all, "suiveuse@example.org", "Une place s'est libérée") == 1
    })
    .await;
    let promoted = &all
        .iter()
        .find(|(to, m)| to == "suiveuse@example.org" && m.subject.starts_with("Une place"))
        .unwrap()
        .1;
    assert!(promoted.text().contains(&format!("{SECRET_ROOM}-2")));
    // Unknown links: a French 404.
    let (code, page) = get_text(&app, &format!("{base}/inscription/0000")).await;
    assert_eq!(code, 404);
    assert!(page.contains("Lien inconnu"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Sessions open to all keep the team's behaviour: the link is public and followers get it.
async fn open_sessions_keep_a_public_link(db: Db) {
    let smtp = SmtpServer::start();
    let app = app(db, &smtp).await;
    let mut open = webinar("Atelier ouvert", None);
    open["registration_required"] = json!(false);
    let (code, _) = app
        .post("/api/v1/subscribers", &json!({"email": "suiveur@example.org", "scope": "all", "consent": {"source": "salon", "at": "2026-10-01T10:00:00Z"}}))
        .await;
    assert_eq!(code, 201);
    let event = app.create_event(open).await;
    let slug = event["slug"].as_str().unwrap();
    let (_, ics) = get_text(&app, &format!("{}/events/{slug}.ics", app.address)).await;
    assert!(ics.replace("\r\n ", "").contains(SECRET_ROOM));
    let all = mail_until(&smtp, Duration::from_secs(20), |all| all.len() == 1).await;
    assert!(all[0].1.text().contains(SECRET_ROOM));
    // It takes no registration.
    let (code, problem) = app
        .post(
            &format!("/api/v1/events/{slug}/registrations"),
            &json!({"email": "a@example.org", "name": "A"}),
        )
        .await;
    assert_eq!(code, 409, "{problem}");
}

on_both_backends!(
    seats_and_the_waiting_list_under_load,
    organisers_manage_registrants,
    the_join_link_reaches_only_seated_registrants,
    open_sessions_keep_a_public_link,
);

/// The organiser API's document describes the registration endpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_registrations() {
    let app = crate::helpers::spawn_app(Db::Sqlite).await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/events/{key}/register", "post"),
        ("/api/v1/events/{key}/registrations", "get"),
        ("/api/v1/events/{key}/registrations", "post"),
        ("/api/v1/events/{key}/registrations/{id}", "get"),
        ("/api/v1/events/{key}/registrations/{id}", "delete"),
        ("/api/v1/events/{key}/registrations/{id}/move", "post"),
        ("/api/v1/events/{key}/registrations.csv", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    let schema = &doc["components"]["schemas"];
    assert!(schema["Registration"]["properties"]["position"].is_object());
    assert!(schema["RegistrationList"]["properties"]["seats"].is_object());
    assert!(schema["Registration"]["properties"]
        .get("link_key")
        .is_none());
}

/// Python's icalendar, the tests' independent parser, reads a registrant's personal calendar:
/// its own UID, the join link while seated, a higher SEQUENCE and STATUS:CANCELLED once they
/// cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Python icalendar (pip install 'icalendar>=6'; .ci/run installs it)"]
async fn the_independent_parser_reads_a_personal_calendar() {
    let smtp = SmtpServer::start();
    let app = app(Db::Sqlite, &smtp).await;
    let event = app.create_event(webinar("Atelier à part", Some(5))).await;
    let slug = event["slug"].as_str().unwrap();
    let (code, _) = app
        .post(
            &format!("/api/v1/events/{slug}/registrations"),
            &json!({"email": "ines@example.org", "name": "Inès"}),
        )
        .await;
    assert_eq!(code, 201);
    let all = mail_until(&smtp, Duration::from_secs(20), |all| all.len() == 1).await;
    let own = own_link(&all[0].1, &app.address);
    let read = |ics: String| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("inscription.ics");
        std::fs::write(&file, ics).unwrap();
        let script = r#"
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(open(sys.argv[1], 'rb').read())
ev = next(iter(cal.walk('VEVENT')))
print(json.dumps({'uid': str(ev['UID']), 'status': str(ev.get('STATUS', '')),
  'sequence': int(ev.get('SEQUENCE', 0)), 'description': str(ev.get('DESCRIPTION', '')),
  'conference': str(ev.get('CONFERENCE', ''))}))
"#;
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&file)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).expect("JSON from Python")
    };
    let seated = read(get_text(&app, &format!("{own}/agenda.ics")).await.1);
    assert_eq!(seated["status"], "CONFIRMED");
    assert!(seated["uid"]
        .as_str()
        .unwrap()
        .starts_with(event["id"].as_str().unwrap()));
    assert_ne!(
        seated["uid"],
        format!("{}@eventail", event["id"].as_str().unwrap())
    );
    assert_eq!(seated["conference"], SECRET_ROOM);
    assert!(seated["description"]
        .as_str()
        .unwrap()
        .contains(SECRET_ROOM));
    assert_eq!(form_post(&app, &own, "").await.0, 200);
    let cancelled = read(get_text(&app, &format!("{own}/agenda.ics")).await.1);
    assert_eq!(cancelled["uid"], seated["uid"]);
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(cancelled["sequence"].as_i64() > seated["sequence"].as_i64());
    assert_eq!(cancelled["conference"], "");
}
