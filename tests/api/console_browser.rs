//! The console in Debian's headless Chromium with JavaScript off, driven with the keyboard
//! (text typed into the focused field, Tab to the next, Enter to submit): an organiser logs
//! in, drafts a webinar, previews it, publishes it, moves it and cancels it with a reason;
//! the public page, the calendar feed and the loopback SMTP server show each step. Then every
//! console page goes through axe-core and the Nu HTML Checker.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::dom::{
    FocusParams, GetDocumentParams, GetOuterHtmlParams, QuerySelectorParams,
};
use chromiumoxide::cdp::browser_protocol::emulation::SetScriptExecutionDisabledParams;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, InsertTextParams,
};
use chromiumoxide::cdp::browser_protocol::network::CookieParam;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use eventail::domain::account::NewAccount;
use eventail::domain::EventStatus;
use serde_json::json;

use crate::browser::{artifacts, axe_violations, node, press_enter, tool, vnu_errors, Chromium};
use crate::console::{logged_in, Browser, PASSWORD};
use crate::helpers::{settings_for, spawn_app_with, Db, FreshDb, TestApp};
use crate::smtp::{parse, SmtpServer};

async fn focus(page: &Page, selector: &str) {
    let id = node(page, selector).await;
    page.execute(FocusParams::builder().node_id(id).build())
        .await
        .unwrap_or_else(|e| panic!("focus {selector}: {e}"));
}

async fn type_text(page: &Page, text: &str) {
    page.execute(InsertTextParams::new(text))
        .await
        .expect("type");
}

/// One key, pressed and released; `text` for keys that type something.
async fn key(page: &Page, name: &str, code: &str, vk: i64, text: Option<&str>) {
    for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
        let mut event = DispatchKeyEventParams::builder()
            .r#type(kind.clone())
            .key(name)
            .code(code)
            .windows_virtual_key_code(vk);
        if let (DispatchKeyEventType::KeyDown, Some(text)) = (&kind, text) {
            event = event.text(text);
        }
        page.execute(event.build().expect("key event"))
            .await
            .expect("key");
    }
}

async fn tab(page: &Page) {
    key(page, "Tab", "Tab", 9, None).await;
}

/// From a date or time field to the next field: Chromium's picker button is a stop between.
async fn past_picker(page: &Page) {
    tab(page).await;
    tab(page).await;
}

/// Digits typed one key at a time (date and time fields take keys, not inserted text).
async fn digits(page: &Page, text: &str) {
    for c in text.chars() {
        let s = c.to_string();
        if c.is_ascii_digit() {
            let vk = 48 + c.to_digit(10).map(i64::from).unwrap_or(0);
            key(page, &s, &format!("Digit{c}"), vk, Some(&s)).await;
        } else {
            let upper = c.to_ascii_uppercase();
            key(page, &s, &format!("Key{upper}"), upper as i64, Some(&s)).await;
        }
    }
}

/// The main element's HTML, or nothing while a page is loading.
async fn main_html(page: &Page) -> Option<String> {
    let root = page
        .execute(GetDocumentParams::default())
        .await
        .ok()?
        .result
        .root
        .node_id;
    let id = page
        .execute(QuerySelectorParams::new(root, "main"))
        .await
        .ok()?
        .result
        .node_id;
    Some(
        page.execute(GetOuterHtmlParams::builder().node_id(id).build())
            .await
            .ok()?
            .result
            .outer_html,
    )
}

/// Waits for the page to show `text` in its main element.
async fn main_shows(page: &Page, text: &str) -> String {
    let mut html = String::new();
    for _ in 0..80 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Some(now) = main_html(page).await {
            html = now;
            if html.contains(text) {
                return html;
            }
        }
    }
    panic!("the page never showed {text:?}: {html}");
}

/// A full-page screenshot under `target/tmp/browser/`, and in `EVENTAIL_SCREENSHOTS` when set
/// (`docs/screenshots`, the README's pictures: `EVENTAIL_SCREENSHOTS=docs/screenshots cargo
/// test --test api console_browser -- --ignored`).
async fn screenshot(page: &Page, name: &str) {
    let params = || ScreenshotParams::builder().full_page(true).build();
    page.save_screenshot(params(), artifacts().join(format!("{name}.png")))
        .await
        .expect("screenshot");
    if let Some(dir) = std::env::var_os("EVENTAIL_SCREENSHOTS") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        page.save_screenshot(params(), dir.join(format!("{name}.png")))
            .await
            .expect("screenshot");
    }
}

/// Focuses a button and activates it with Enter.
async fn press_button(page: &Page, selector: &str) {
    focus(page, selector).await;
    press_enter(page).await;
}

/// Date and time fields type in the browser's locale order (en-US: month, day, year; hours,
/// minutes, AM/PM).
async fn type_date(page: &Page, iso: &str) {
    let parts: Vec<&str> = iso.split('-').collect();
    digits(page, &format!("{}{}{}", parts[1], parts[2], parts[0])).await;
}

async fn type_time(page: &Page, hh_mm: &str) {
    let (h, m) = hh_mm.split_once(':').expect("time");
    let hour: u32 = h.parse().expect("hour");
    let (h12, half) = match hour {
        0 => (12, "A"),
        1..=11 => (hour, "A"),
        12 => (12, "P"),
        _ => (hour - 12, "P"),
    };
    digits(page, &format!("{h12:02}{m}{half}")).await;
}

async fn app_with_smtp(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(FreshDb::new(Db::Sqlite).await, move |f| {
        f.merge(("mail.smtp_url", url))
    })
    .await
}

fn current_session_id(url: &str) -> String {
    url.split("/admin/sessions/")
        .nth(1)
        .and_then(|rest| rest.split(['?', '/']).next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn an_organiser_schedules_moves_and_cancels_with_the_keyboard_and_no_javascript() {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(&smtp).await;
    let (status, _) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "abonnee@example.org", "scope": "all",
                    "consent": {"source": "formulaire papier", "at": "2026-01-04T09:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 201);
    let policy = settings_for(&app._db.url).console.policy();
    let new =
        NewAccount::parse("camille@example.org", "Camille Martin", "organiser").expect("account");
    let (_, secret) = app
        .store
        .create_account(&new, &policy)
        .await
        .expect("account");

    let chromium = Chromium::start().await;
    let page = chromium.browser.new_page("about:blank").await.expect("tab");
    page.execute(SetScriptExecutionDisabledParams::new(true))
        .await
        .expect("JavaScript off");

    // The password, through the one-time link.
    page.goto(app.url(&format!("/admin/mot-de-passe/{secret}")))
        .await
        .expect("link");
    focus(&page, "#password").await;
    type_text(&page, PASSWORD).await;
    tab(&page).await;
    type_text(&page, PASSWORD).await;
    press_enter(&page).await;
    main_shows(&page, "mot de passe est enregistré").await;

    // Logging in.
    focus(&page, "#email").await;
    type_text(&page, "camille@example.org").await;
    tab(&page).await;
    type_text(&page, PASSWORD).await;
    press_enter(&page).await;
    main_shows(&page, "Tableau de bord").await;

    // A draft, typed field after field.
    page.goto(app.url("/admin/sessions/nouvelle"))
        .await
        .expect("form");
    focus(&page, "#title").await;
    type_text(&page, "Mesurer l'empreinte d'un service numérique").await;
    tab(&page).await; // kind: webinar
    tab(&page).await; // status: draft
    tab(&page).await;
    type_text(&page, "Une heure pour apprendre à mesurer.").await;
    tab(&page).await;
    type_text(&page, "Avec des exemples réels.").await;
    tab(&page).await;
    type_text(&page, "Accueil\nMesurer\nQuestions").await;
    tab(&page).await;
    type_date(&page, "2027-01-13").await;
    past_picker(&page).await;
    type_time(&page, "09:00").await;
    past_picker(&page).await;
    type_date(&page, "2027-01-13").await;
    past_picker(&page).await;
    type_time(&page, "10:00").await;
    past_picker(&page).await; // time zone: Paris
    tab(&page).await; // location
    tab(&page).await;
    type_text(&page, "Dominique Lefèvre").await;
    tab(&page).await;
    type_text(&page, "Experte RGESN").await;
    // Enter in a one-line field submits the form (to its preview).
    focus(&page, "#title").await;
    press_enter(&page).await;
    let preview = main_shows(&page, "Aperçu avant d").await;
    assert!(preview.contains("Aucun courriel ne partira"), "{preview}");
    press_button(&page, "main form button[type=submit]").await;
    main_shows(&page, "La session est enregistrée").await;
    let url = page.url().await.expect("url").unwrap_or_default();
    let id = current_session_id(&url);
    let event = app.store.get_event(&id).await.expect("the draft is stored");
    assert_eq!(event.status, EventStatus::Draft);
    assert_eq!(event.title, "Mesurer l'empreinte d'un service numérique");
    assert_eq!(event.programme, ["Accueil", "Mesurer", "Questions"]);
    assert_eq!(event.speakers.len(), 1, "{:#?}", event.document());
    let start = event.document().starts_at.unwrap_or_default();
    assert!(
        start.starts_with("2027-01-13T09:00"),
        "typed in Paris time: {start}"
    );

    // Publishing: the preview counts the subscriber the announcement goes to.
    page.goto(app.url(&format!("/admin/sessions/{id}/modifier")))
        .await
        .expect("edit");
    main_shows(&page, "Modifier").await;
    screenshot(&page, "console-session-form").await;
    focus(&page, "#status").await;
    digits(&page, "p").await; // « Publiée »
    focus(&page, "#title").await;
    press_enter(&page).await;
    let preview = main_shows(&page, "Aperçu avant d").await;
    assert!(preview.contains("Annonce"), "{preview}");
    assert!(preview.contains("1 abonnés"), "{preview}");
    assert!(
        smtp.received().is_empty(),
        "nothing is sent before confirming"
    );
    press_button(&page, "main form button[type=submit]").await;
    main_shows(&page, "modifications sont enregistrées").await;
    let event = app.store.get_event(&id).await.expect("event");
    assert_eq!(event.status, EventStatus::Scheduled);
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    let announcement = parse(&mails[0].data);
    page.goto(app.url("/admin")).await.expect("dashboard");
    main_shows(&page, "Sessions à venir").await;
    screenshot(&page, "console-dashboard").await;
    assert!(
        announcement.subject.contains("Mesurer l'empreinte"),
        "{}",
        announcement.subject
    );

    // Moving it a week later.
    page.goto(app.url(&format!("/admin/sessions/{id}/modifier")))
        .await
        .expect("edit");
    focus(&page, "#start_date").await;
    type_date(&page, "2027-01-20").await;
    focus(&page, "#end_date").await;
    type_date(&page, "2027-01-20").await;
    focus(&page, "#title").await;
    press_enter(&page).await;
    let preview = main_shows(&page, "Aperçu avant d").await;
    assert!(preview.contains("Avis de changement"), "{preview}");
    press_button(&page, "main form button[type=submit]").await;
    main_shows(&page, "modifications sont enregistrées").await;
    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    let change = parse(&mails[1].data);
    assert!(change.subject.starts_with("Modifié"), "{}", change.subject);
    assert!(change.text().contains("20"), "{}", change.text());

    // Cancelling with a reason.
    page.goto(app.url(&format!("/admin/sessions/{id}/annuler")))
        .await
        .expect("cancel");
    focus(&page, "#reason").await;
    type_text(
        &page,
        "L'intervenante est souffrante ; une nouvelle date sera annoncée.",
    )
    .await;
    press_button(&page, "main form button[type=submit]").await;
    let preview = main_shows(&page, "Aperçu avant d").await;
    assert!(preview.contains("Avis d"), "{preview}");
    press_button(&page, "main form button[type=submit]").await;
    main_shows(&page, "La session est annulée").await;
    let mails = smtp.wait_for(3, Duration::from_secs(20)).await;
    let cancellation = parse(&mails[2].data);
    assert!(
        cancellation.subject.starts_with("Annulé"),
        "{}",
        cancellation.subject
    );
    assert!(
        cancellation.text().contains("souffrante"),
        "{}",
        cancellation.text()
    );

    // What the public and the calendars see.
    let event = app.store.get_event(&id).await.expect("event");
    let public = app
        .client
        .get(app.url(&format!("/events/{}", event.slug)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("page body");
    assert!(public.contains("souffrante"), "the page shows the reason");
    let feed = app
        .client
        .get(app.url("/calendar.ics"))
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("feed body");
    assert!(feed.contains("STATUS:CANCELLED"), "{feed}");
    assert!(feed.contains("DTSTART:20270120T080000Z"), "{feed}");
    chromium.stop().await;
}

/// A session with registrants, a failed message and history, and the URLs of every console page.
async fn console_with_content() -> (TestApp, Browser, Vec<(String, String)>) {
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, |f| f).await;
    let mut me = logged_in(&app, "alex@example.org", "admin").await;
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let created = app
        .create_event(json!({
            "kind": "webinar", "status": "scheduled",
            "title": "Écoconcevoir un service public",
            "starts_at": start.format("%Y-%m-%dT09:00").to_string(),
            "ends_at": start.format("%Y-%m-%dT10:00").to_string(),
            "speakers": [{"name": "Camille Martin", "role": "cheffe de projet"}],
            "series": {"title": "Les mercredis sobres"},
            "links": {"join": "https://visio.example.org/salle"},
            "capacity": 1, "registration_required": true
        }))
        .await;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    for (email, name) in [("a@example.org", "Ariane"), ("b@example.org", "Bastien")] {
        let (status, _) = app
            .post(
                &format!("/api/v1/events/{id}/registrations"),
                &json!({"email": email, "name": name}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, _) = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Écoconcevoir un service public, la méthode"}),
        )
        .await;
    assert_eq!(status, 200);
    let preview = me
        .post(
            &format!("/admin/sessions/{id}/annuler/apercu"),
            &[("reason", "Salle indisponible.")],
        )
        .await;
    assert_eq!(preview.status, 200);
    let (status, _) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "abonnee@example.org", "scope": "all",
                    "consent": {"source": "formulaire papier", "at": "2026-01-04T09:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 201);
    let subscriber = app
        .store
        .list_subscriptions(&Default::default(), 1)
        .await
        .expect("subscribers")
        .remove(0)
        .id;
    let speaker = app
        .store
        .get_speaker("camille-martin")
        .await
        .expect("speaker")
        .id;
    let series = app
        .store
        .get_series("les-mercredis-sobres")
        .await
        .expect("series")
        .id;
    let pages = vec![
        ("login", "/admin/connexion".to_string()),
        ("dashboard", "/admin".to_string()),
        ("sessions", "/admin/sessions".to_string()),
        ("new", "/admin/sessions/nouvelle".to_string()),
        ("session", format!("/admin/sessions/{id}")),
        ("edit", format!("/admin/sessions/{id}/modifier")),
        ("duplicate", format!("/admin/sessions/{id}/dupliquer")),
        ("cancel", format!("/admin/sessions/{id}/annuler")),
        ("history", format!("/admin/sessions/{id}/historique")),
        ("registrants", format!("/admin/sessions/{id}/inscrits")),
        ("outbox", format!("/admin/sessions/{id}/courriels")),
        ("accounts", "/admin/comptes".to_string()),
        ("tokens", "/admin/jetons".to_string()),
        ("speakers", "/admin/intervenants".to_string()),
        ("speaker", format!("/admin/intervenants/{speaker}")),
        ("series-list", "/admin/series".to_string()),
        ("series", format!("/admin/series/{series}")),
        ("subscribers", "/admin/abonnes".to_string()),
        ("subscriber", format!("/admin/abonnes/{subscriber}")),
        ("import", "/admin/import".to_string()),
    ];
    let mut out: Vec<(String, String)> =
        pages.into_iter().map(|(n, p)| (n.to_string(), p)).collect();
    out.push((
        "preview".into(),
        format!("/admin/sessions/{id}/annuler/apercu"),
    ));
    (app, me, out)
}

/// The HTML of every console page (the preview is a POST).
async fn console_pages(me: &mut Browser, pages: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, path) in pages {
        let answer = if path == "/admin/import/apercu" {
            let post = "---\ntitle: \"Webinaire : mesurer\"\ndate: 2027-02-01\n---\n\nWebinaire le mercredi 3 février 2027 de 9h à 10h30, avec Dominique Lefèvre.\n";
            me.post(path, &[("path", "agenda/mesurer.md"), ("text", post)])
                .await
        } else if path.ends_with("/apercu") {
            me.post(path, &[("reason", "Salle indisponible.")]).await
        } else {
            me.get(path).await
        };
        assert_eq!(answer.status, 200, "{name} {path}: {}", answer.html);
        out.push((name.clone(), answer.html));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Nu HTML Checker (java, vnu-jar)"]
async fn console_pages_are_valid_html() {
    let vnu = tool("EVENTAIL_VNU", "vnu-jar/build/dist/vnu.jar");
    let (_app, mut me, pages) = console_with_content().await;
    let dir = tempfile::tempdir().expect("folder");
    let mut files = Vec::new();
    for (name, html) in console_pages(&mut me, &pages).await {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).expect("write");
        files.push(file);
    }
    let errors = vnu_errors(&vnu, &files);
    assert!(errors.is_empty(), "vnu errors:\n{}", errors.join("\n"));
    assert_eq!(files.len(), pages.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn axe_finds_no_violation_in_the_console() {
    let axe =
        std::fs::read_to_string(tool("EVENTAIL_AXE", "axe-core/axe.min.js")).expect("axe-core");
    let (app, mut me, pages) = console_with_content().await;
    let html = console_pages(&mut me, &pages).await;
    let chromium = Chromium::start().await;
    let mut report = Vec::new();
    for ((name, path), (_, body)) in pages.iter().zip(html.iter()) {
        let page = chromium.browser.new_page("about:blank").await.expect("tab");
        if path.ends_with("/apercu") {
            // A POST's answer: its HTML, as the browser got it.
            page.set_content(body.as_str()).await.expect("content");
        } else {
            let cookies: Vec<CookieParam> = me
                .cookies()
                .iter()
                .map(|(name, value)| {
                    CookieParam::builder()
                        .name(name.clone())
                        .value(value.clone())
                        .url(app.address.clone())
                        .build()
                        .expect("cookie")
                })
                .collect();
            page.goto(app.url("/admin/connexion"))
                .await
                .expect("a page of the service");
            page.set_cookies(cookies).await.expect("cookies");
            page.goto(app.url(path)).await.expect("page");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Some(violations) = axe_violations(&page, &axe, name).await {
            report.push(format!("{name} ({path}): {violations}"));
        }
        let _ = page.close().await;
    }
    chromium.stop().await;
    assert!(
        report.is_empty(),
        "axe-core violations:\n{}",
        report.join("\n")
    );
}
