//! The public pages in Debian's headless Chromium, driven over the DevTools protocol
//! (chromiumoxide) against the real server: they render (screenshots under
//! `target/tmp/browser/`), load at most 3 requests and 40 KB before any interaction, the video
//! facade asks nothing of the video host before the click and loads the player after it,
//! axe-core finds no violation, focus is visible, and the pages work with JavaScript off.
//! And every page passes the Nu HTML Checker (`vnu`).
//!
//! Chromium is `/usr/bin/chromium` (or `CHROMIUM`); axe-core and vnu come from npm, where
//! `.ci/run` installs them (`EVENTAIL_AXE`, `EVENTAIL_VNU`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::dom::{
    FocusParams, GetDocumentParams, GetOuterHtmlParams, NodeId, QuerySelectorParams,
};
use chromiumoxide::cdp::browser_protocol::emulation::SetScriptExecutionDisabledParams;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, InsertTextParams,
};
use chromiumoxide::cdp::browser_protocol::network::{EventLoadingFinished, EventRequestWillBeSent};
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Db, TestApp};

pub(crate) fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub(crate) fn tool(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/browser-tools/node_modules")
            .join(default)
    });
    assert!(
        path.is_file(),
        "{} is missing: run .ci/run, or `npm install --prefix target/browser-tools axe-core@4.11 vnu-jar@26`",
        path.display()
    );
    path
}

pub(crate) fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).expect("artifact folder");
    dir
}

pub(crate) struct Chromium {
    pub(crate) browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub(crate) async fn start() -> Chromium {
        let path = chromium_path();
        assert!(
            path.is_file(),
            "{} is missing: apt-get install chromium (what .ci/run does)",
            path.display()
        );
        // Several browsers start at once on a 2-core machine that is also running the other
        // tests: a start can outlast chromiumoxide's 20 s, so it gets longer, and a second try.
        let mut attempt = 0;
        let (profile, browser, mut handler) = loop {
            attempt += 1;
            let profile = tempfile::tempdir().expect("profile folder");
            let config = BrowserConfig::builder()
                .chrome_executable(&path)
                .new_headless_mode()
                .no_sandbox()
                .user_data_dir(profile.path())
                .window_size(1280, 900)
                .request_timeout(Duration::from_secs(30))
                .launch_timeout(Duration::from_secs(60))
                .build()
                .expect("browser configuration");
            match Browser::launch(config).await {
                Ok((browser, handler)) => break (profile, browser, handler),
                Err(err) if attempt < 2 => eprintln!("Chromium did not start ({err}); once more"),
                Err(err) => panic!("Chromium does not start: {err}"),
            }
        };
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                // A message chromiumoxide cannot read is no reason to stop driving the browser.
                let _ = event;
            }
        });
        Chromium {
            browser,
            handler,
            _profile: profile,
        }
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// What a page asked of the network: every request's URL, and the bytes that came back.
#[derive(Default)]
struct Traffic {
    urls: Vec<String>,
    bytes: f64,
}

/// A blank tab that records its traffic from now on.
async fn recording_tab(chromium: &Chromium) -> (Page, Arc<Mutex<Traffic>>) {
    let page = chromium
        .browser
        .new_page("about:blank")
        .await
        .expect("new tab");
    let traffic = Arc::new(Mutex::new(Traffic::default()));
    let mut requests = page
        .event_listener::<EventRequestWillBeSent>()
        .await
        .expect("request events");
    let mut finished = page
        .event_listener::<EventLoadingFinished>()
        .await
        .expect("loading events");
    let t = traffic.clone();
    tokio::spawn(async move {
        while let Some(event) = requests.next().await {
            if let Ok(mut t) = t.lock() {
                t.urls.push(event.request.url.clone());
            }
        }
    });
    let t = traffic.clone();
    tokio::spawn(async move {
        while let Some(event) = finished.next().await {
            if let Ok(mut t) = t.lock() {
                t.bytes += event.encoded_data_length;
            }
        }
    });
    (page, traffic)
}

pub(crate) async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// The pages a visitor meets: agenda, a session, a video, the subscription form, and more.
struct Site {
    app: TestApp,
    session: String,
    video: String,
}

async fn site() -> Site {
    let app = spawn_app(Db::Sqlite).await;
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let session = app
        .create_event(json!({
            "kind": "webinar", "status": "scheduled",
            "title": "Écoconcevoir un service public : la méthode en une heure",
            "summary": "Une heure pour découvrir le référentiel, exemples à l'appui.",
            "body": "## Déroulé\n\nDes démonstrations, puis **vos questions**.\n\n![Bannière de l'atelier](https://images.tiers.example/banniere.png)\n\n<div class=\"fr-callout\"><p>Accès libre.</p><a class=\"fr-btn\" href=\"https://example.org/guide\" onclick=\"track()\">Le guide</a></div>",
            "starts_at": start.format("%Y-%m-%dT09:00").to_string(),
            "ends_at": start.format("%Y-%m-%dT10:00").to_string(),
            "series": {"title": "Les mercredis sobres"},
            "speakers": [{"name": "Camille Martin", "role": "cheffe de projet", "organisation": "Mission numérique"}],
            "links": {"join": "https://visio.example.org/salle", "registration": "https://formulaires.example.org/inscription",
                      "more": [{"title": "Le référentiel", "url": "https://example.org/referentiel"}]},
            "programme": ["Accueil", "Démonstration", "Questions"],
            "tags": ["écoconception"],
            "capacity": 300, "registration_required": true
        }))
        .await;
    let video = app
        .create_event(json!({
            "kind": "video", "status": "scheduled",
            "title": "Épisode #12 : auditer et mesurer",
            "summary": "Mesurer pour réduire l'empreinte d'un parc.",
            "published_on": "2026-11-02",
            "series": {"title": "Vers un numérique écoresponsable"}, "episode": 12,
            "speakers": [{"name": "Chris Dupont", "role": "directeur adjoint du numérique"}],
            "links": {"video": "https://www.dailymotion.com/video/x8abcde"},
            "body": "## Transcription\n\nBonjour à toutes et à tous."
        }))
        .await;
    app.create_event(json!({
        "kind": "event", "status": "scheduled", "title": "Atelier passé",
        "starts_at": "2025-03-12T14:00", "ends_at": "2025-03-12T16:00",
        "location": "20 avenue de Ségur, Paris"
    }))
    .await;
    Site {
        session: session["slug"].as_str().unwrap_or_default().to_string(),
        video: video["slug"].as_str().unwrap_or_default().to_string(),
        app,
    }
}

impl Site {
    fn pages(&self) -> Vec<(&'static str, String)> {
        vec![
            ("agenda", "/".to_string()),
            ("session", format!("/events/{}", self.session)),
            ("video", format!("/events/{}", self.video)),
            ("subscribe", "/abonnement".to_string()),
            ("archives", "/archives".to_string()),
            ("series", "/series/les-mercredis-sobres".to_string()),
            ("tag", "/tags/%C3%A9coconception".to_string()),
            ("missing", "/nulle-part".to_string()),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn pages_render_light_with_visible_focus() {
    let site = site().await;
    let chromium = Chromium::start().await;
    let host = url::Url::parse(&site.app.address)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_default();
    for (name, path) in site.pages() {
        let (page, traffic) = recording_tab(&chromium).await;
        page.goto(site.app.url(&path)).await.expect("page loads");
        settle().await;
        let h1: String = page
            .evaluate("document.querySelector('h1') ? document.querySelector('h1').innerText : ''")
            .await
            .expect("evaluate")
            .into_value()
            .expect("text");
        assert!(!h1.trim().is_empty(), "{name}: no visible h1");
        let facts: Value = page
            .evaluate(
                "({lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length, \
                  main: document.querySelectorAll('main').length, nav: document.querySelectorAll('nav').length, \
                  skip: (document.querySelector('.fr-skiplinks a') || {}).getAttribute ? document.querySelector('.fr-skiplinks a').getAttribute('href') : null})",
            )
            .await
            .expect("evaluate")
            .into_value()
            .expect("facts");
        assert_eq!(facts["lang"], "fr", "{name}");
        assert_eq!(facts["h1"], 1, "{name}");
        assert_eq!(facts["main"], 1, "{name}");
        assert!(facts["nav"].as_i64() >= Some(1), "{name}");
        assert_eq!(facts["skip"], "#contenu", "{name}");

        // Tab once: the skip link shows, with an outline.
        page.find_element("body")
            .await
            .expect("body")
            .press_key("Tab")
            .await
            .expect("tab");
        let focus: Value = page
            .evaluate(
                "(() => { const a = document.activeElement; const s = getComputedStyle(a); const r = a.getBoundingClientRect(); \
                  return {cls: a.className, outline: s.outlineStyle, width: parseFloat(s.outlineWidth), left: r.left}; })()",
            )
            .await
            .expect("evaluate")
            .into_value()
            .expect("focus");
        assert_eq!(focus["cls"], "fr-link", "{name}: {focus}");
        assert_ne!(focus["outline"], "none", "{name}: {focus}");
        assert!(focus["width"].as_f64() >= Some(2.0), "{name}: {focus}");
        assert!(
            focus["left"].as_f64() >= Some(0.0),
            "{name}: the skip link is on screen: {focus}"
        );

        if matches!(name, "agenda" | "session" | "video") {
            page.save_screenshot(
                ScreenshotParams::builder().full_page(true).build(),
                artifacts().join(format!("{name}.png")),
            )
            .await
            .expect("screenshot");
        }
        let (urls, bytes) = {
            let t = traffic.lock().expect("traffic");
            (t.urls.clone(), t.bytes)
        };
        // data: URIs (the DSFR's icons and Marianne block in the stylesheet) are no requests.
        let urls: Vec<String> = urls
            .into_iter()
            .filter(|u| !u.starts_with("data:"))
            .collect();
        assert!(
            !urls.is_empty(),
            "{name}: the page's own request was not seen"
        );
        assert!(
            urls.len() <= 3,
            "{name}: {} requests before any interaction: {urls:?}",
            urls.len()
        );
        assert!(
            bytes <= 40.0 * 1024.0,
            "{name}: {bytes} bytes before any interaction"
        );
        assert!(
            urls.iter().all(|u| u.contains(&host)),
            "{name}: a request to another host: {urls:?}"
        );
        let _ = page.close().await;
    }
    assert!(artifacts().join("agenda.png").is_file());
    chromium.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn the_video_host_is_asked_nothing_before_the_click() {
    let site = site().await;
    let chromium = Chromium::start().await;
    let (page, traffic) = recording_tab(&chromium).await;
    page.goto(site.app.url(&format!("/events/{}", site.video)))
        .await
        .expect("page loads");
    settle().await;
    let before = traffic.lock().expect("traffic").urls.clone();
    assert!(
        before.iter().all(|u| !u.contains("dailymotion")),
        "asked the host before the click: {before:?}"
    );
    assert!(
        page.find_element(".video iframe").await.is_err(),
        "no player before the click"
    );
    page.find_element(".video a")
        .await
        .expect("the facade")
        .click()
        .await
        .expect("click");
    settle().await;
    let src: String = page
        .evaluate("document.querySelector('.video iframe').src")
        .await
        .expect("the player is there")
        .into_value()
        .expect("src");
    assert!(
        src.starts_with("https://www.dailymotion.com/embed/video/x8abcde"),
        "{src}"
    );
    // The browser asked the host for the player (whether this machine can reach it or not).
    let after = traffic.lock().expect("traffic").urls.clone();
    assert!(
        after
            .iter()
            .any(|u| u.starts_with("https://www.dailymotion.com/embed/video/x8abcde")),
        "no request for the player after the click: {after:?}"
    );
    page.save_screenshot(
        ScreenshotParams::builder().build(),
        artifacts().join("video-after-click.png"),
    )
    .await
    .expect("screenshot");
    chromium.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn axe_finds_no_violation() {
    let axe =
        std::fs::read_to_string(tool("EVENTAIL_AXE", "axe-core/axe.min.js")).expect("axe-core");
    let site = site().await;
    let chromium = Chromium::start().await;
    let mut report = Vec::new();
    for (name, path) in site.pages() {
        let page = chromium
            .browser
            .new_page(site.app.url(&path))
            .await
            .expect("page");
        settle().await;
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

/// axe-core run on the page's document: its violations (`None` when there are none), after
/// checking that it did run its rules (colour contrast among them) on a rendered page.
pub(crate) async fn axe_violations(page: &Page, axe: &str, name: &str) -> Option<String> {
    page.evaluate(axe).await.expect("axe loads");
    let result: Value = page
        .evaluate_function(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']}); \
             return {passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, \
             impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))}; }",
        )
        .await
        .expect("axe runs")
        .into_value()
        .expect("axe's report");
    assert!(result["passes"].as_u64() > Some(10), "{name}: {result}");
    let violations = &result["violations"];
    assert!(violations.is_array(), "{name}: {result}");
    violations
        .as_array()
        .is_some_and(|v| !v.is_empty())
        .then(|| format!("{violations:#}"))
}

/// The node matching `selector` in the current document, through the DOM domain (no script).
pub(crate) async fn node(page: &Page, selector: &str) -> NodeId {
    let root = page
        .execute(GetDocumentParams::default())
        .await
        .expect("document")
        .result
        .root
        .node_id;
    page.execute(QuerySelectorParams::new(root, selector))
        .await
        .expect("query")
        .result
        .node_id
}

pub(crate) async fn outer_html(page: &Page, selector: &str) -> String {
    let id = node(page, selector).await;
    page.execute(GetOuterHtmlParams::builder().node_id(id).build())
        .await
        .expect("outer HTML")
        .result
        .outer_html
}

pub(crate) async fn press_enter(page: &Page) {
    for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
        let mut key = DispatchKeyEventParams::builder()
            .r#type(kind.clone())
            .key("Enter")
            .code("Enter")
            .windows_virtual_key_code(13);
        if kind == DispatchKeyEventType::KeyDown {
            key = key.text("\r");
        }
        page.execute(key.build().expect("key event"))
            .await
            .expect("key");
    }
}

/// With JavaScript off (driven through the DOM and input domains, which need no script): the
/// video facade is a plain link to the host's page, and a session's reminder form subscribes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium"]
async fn pages_work_without_javascript() {
    let site = site().await;
    let chromium = Chromium::start().await;
    let page = chromium.browser.new_page("about:blank").await.expect("tab");
    page.execute(SetScriptExecutionDisabledParams::new(true))
        .await
        .expect("JavaScript off");

    page.goto(site.app.url(&format!("/events/{}", site.video)))
        .await
        .expect("page");
    let facade = outer_html(&page, ".video a").await;
    assert!(
        facade.contains("href=\"https://www.dailymotion.com/video/x8abcde\""),
        "{facade}"
    );

    page.goto(site.app.url(&format!("/events/{}", site.session)))
        .await
        .expect("page");
    let form = outer_html(&page, "section.subscribe form").await;
    assert!(
        form.contains(&format!("value=\"event:{}\"", site.session)),
        "the reminder form is on the page: {form}"
    );
    let email = node(&page, "#abonnement-courriel").await;
    page.execute(FocusParams::builder().node_id(email).build())
        .await
        .expect("focus");
    page.execute(InsertTextParams::new("lectrice@example.org"))
        .await
        .expect("type");
    press_enter(&page).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let answer = outer_html(&page, "main").await;
    assert!(
        answer.contains("confirmer votre abonnement"),
        "the form answered with a page: {answer}"
    );
    assert!(!answer.contains("class=\"error\""), "{answer}");
    let (status, list) = site.app.get("/api/v1/subscribers").await;
    assert_eq!(status, 200);
    assert!(
        list.to_string().contains("lectrice@example.org"),
        "the subscription waits for its confirmation: {list}"
    );
    chromium.stop().await;
}

/// Every page through the Nu HTML Checker: no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Nu HTML Checker (java, vnu-jar)"]
async fn pages_are_valid_html() {
    let vnu = tool("EVENTAIL_VNU", "vnu-jar/build/dist/vnu.jar");
    let site = site().await;
    let dir = tempfile::tempdir().expect("folder");
    let mut files = Vec::new();
    for (name, path) in site.pages() {
        let response = site
            .app
            .client
            .get(site.app.url(&path))
            .send()
            .await
            .expect("page");
        let html = response.text().await.expect("html");
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).expect("write");
        files.push(file);
    }
    let errors = vnu_errors(&vnu, &files);
    assert!(errors.is_empty(), "vnu errors:\n{}", errors.join("\n"));
    assert_eq!(files.len(), 8);
}

/// The Nu HTML Checker's errors on `files`, one line each (file, line, message, extract).
pub(crate) fn vnu_errors(vnu: &Path, files: &[PathBuf]) -> Vec<String> {
    let output = std::process::Command::new("java")
        .arg("-jar")
        .arg(vnu)
        .args(["--errors-only", "--format", "json"])
        .args(files)
        .output()
        .expect("java runs vnu");
    let report: Value = serde_json::from_slice(&output.stderr)
        .or_else(|_| serde_json::from_slice(&output.stdout))
        .unwrap_or_else(|e| {
            panic!(
                "vnu's report is not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    report["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter(|m| m["type"] == "error")
                .map(|m| {
                    format!(
                        "{} line {}: {} ({})",
                        m["url"]
                            .as_str()
                            .unwrap_or_default()
                            .rsplit('/')
                            .next()
                            .unwrap_or_default(),
                        m["lastLine"],
                        m["message"].as_str().unwrap_or_default(),
                        m["extract"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
