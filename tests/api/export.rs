//! `eventail publish --out DIR`: the static site is, file for file, what the server answers.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Db};
use crate::on_both_backends;

/// Runs the `eventail` binary in `dir` on `database_url` with `args` and extra `env`; its
/// standard output, once it has succeeded.
fn eventail(
    dir: &std::path::Path,
    database_url: &str,
    args: &[&std::ffi::OsStr],
    env: &[(&str, String)],
) -> String {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .args(args)
        .current_dir(dir)
        .env("EVENTAIL_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("eventail runs");
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

async fn body(app: &crate::helpers::TestApp, path: &str) -> Vec<u8> {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.bytes().await.unwrap().to_vec()
}

async fn the_static_site_is_what_the_server_serves(db: Db) {
    let app = spawn_app(db).await;
    let webinar = app
        .create_event(
            json!({"kind": "webinar", "status": "scheduled", "title": "Atelier été",
            "starts_at": "2042-06-04T14:00", "ends_at": "2042-06-04T15:00",
            "series": {"slug": "ateliers", "title": "Ateliers"},
            "tags": ["sobriété numérique", "RGAA 4.1"]}),
        )
        .await;
    let video = app
        .create_event(
            json!({"kind": "video", "status": "scheduled", "title": "Épisode 3",
            "published_on": "2026-11-02", "links": {"video": "https://dai.ly/x8abcde"}}),
        )
        .await;
    let draft = app
        .create_event(json!({"kind": "webinar", "status": "draft", "title": "Pas encore", "starts_at": "2042-07-01T10:00"}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    // What an earlier export left: gone once this one is in place.
    std::fs::create_dir_all(out.join("events/retiree")).unwrap();
    std::fs::write(out.join("events/retiree/index.html"), "old").unwrap();
    std::fs::write(out.join(".eventail-export"), "").unwrap();
    let said = eventail(
        dir.path(),
        &app._db.url,
        &["publish".as_ref(), "--out".as_ref(), out.as_os_str()],
        &[
            ("EVENTAIL_BASE_URL", app.address.clone()),
            // Forms go to the live service, here the same server: pages equal what it serves.
            (
                "EVENTAIL_EXPORT__SUBSCRIBE_URL",
                format!("{}/abonnement", app.address),
            ),
        ],
    );
    assert!(said.contains("files"), "{said}");

    let w = webinar["slug"].as_str().unwrap();
    let v = video["slug"].as_str().unwrap();
    for (path, file) in [
        ("/".to_string(), "index.html".to_string()),
        ("/archives".into(), "archives/index.html".into()),
        (format!("/events/{w}"), format!("events/{w}/index.html")),
        (format!("/events/{w}.ics"), format!("events/{w}.ics")),
        (format!("/events/{v}"), format!("events/{v}/index.html")),
        (
            "/series/ateliers".into(),
            "series/ateliers/index.html".into(),
        ),
        (
            "/series/ateliers/calendar.ics".into(),
            "series/ateliers/calendar.ics".into(),
        ),
        ("/calendar.ics".into(), "calendar.ics".into()),
        ("/actualites.atom".into(), "actualites.atom".into()),
        (
            "/tags/sobri%C3%A9t%C3%A9%20num%C3%A9rique".into(),
            "tags/sobriété numérique/index.html".into(),
        ),
    ] {
        let written = std::fs::read(out.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            written,
            body(&app, &path).await,
            "{file} differs from {path}"
        );
    }
    assert!(!out.join("events/retiree").exists(), "a stale page stayed");
    assert!(out.join("tags/RGAA 4.1/index.html").is_file());
    // The video has no date: no .ics. The draft has no page.
    assert!(!out.join(format!("events/{v}.ics")).exists());
    let d = draft["slug"].as_str().unwrap();
    assert!(!out.join(format!("events/{d}")).exists());

    // A folder no export wrote is refused, and keeps what it held.
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("a-garder.txt"), "mes notes").unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .args(["publish", "--out"])
        .arg(&notes)
        .current_dir(dir.path())
        .env("EVENTAIL_DATABASE_URL", &app._db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("no eventail export wrote"), "{said}");
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one readable line: {said}");
    assert!(errors[0].contains("no eventail export wrote"), "{said}");
    assert_eq!(
        std::fs::read_to_string(notes.join("a-garder.txt")).unwrap(),
        "mes notes"
    );
    assert_eq!(std::fs::read_dir(&notes).unwrap().count(), 1);

    // Without a live service to send them to, exported pages carry no subscription form: no
    // static host would take it.
    let plain = dir.path().join("plain");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_eventail"))
        .args(["publish", "--out"])
        .arg(&plain)
        .current_dir(dir.path())
        .env("EVENTAIL_DATABASE_URL", &app._db.url)
        .env("EVENTAIL_BASE_URL", "https://agenda.example.org")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in ["index.html".to_string(), format!("events/{w}/index.html")] {
        let html = std::fs::read_to_string(plain.join(&file)).unwrap();
        assert!(
            html.contains("Prochaines sessions") || html.contains("Atelier"),
            "{file}"
        );
        assert!(
            !html.contains("abonnement") && !html.contains("<form"),
            "{file}: {html}"
        );
    }
    let served = String::from_utf8(body(&app, "/").await).unwrap();
    assert!(
        served.contains("<form method=\"post\""),
        "the live agenda has the form"
    );
}

/// `--format eleventy`: one Markdown post per session and video, front matter as the team's
/// posts have it, values quoted so any text survives.
async fn eleventy_posts(db: Db) {
    let app = spawn_app(db).await;
    let webinar = app
        .create_event(json!({"kind": "webinar", "status": "scheduled",
            "title": "Atelier « été » : \"guillemets\"",
            "summary": "Deux points: et # dièse",
            "starts_at": "2042-06-04T14:00", "ends_at": "2042-06-04T15:30",
            "speakers": [{"name": "Camille Martin", "role": "cheffe de projet"}],
            "programme": ["Accueil"],
            "links": {"registration": "https://forms.example.org/s"},
            "tags": ["sobriété"]}))
        .await;
    let video = app
        .create_event(
            json!({"kind": "video", "status": "scheduled", "title": "Épisode 3",
            "published_on": "2026-11-02", "links": {"video": "https://dai.ly/x8abcde"},
            "body": "**Dominique Roux, experte**\n\nTexte."}),
        )
        .await;
    // A cancelled webinar whose body holds what must not reach the team's site.
    let cancelled = app
        .create_event(json!({"kind": "webinar", "status": "scheduled", "title": "Atelier annulé",
            "starts_at": "2042-06-11T14:00", "ends_at": "2042-06-11T15:00",
            "links": {"join": "https://visio.example.org/salle-annulee"},
            "body": "Texte gardé.\n\n<div class=\"fr-callout\" onclick=\"alert(1)\"><p>Encadré gardé.</p><script>alert(2)</script></div>\n\n[Un lien piégé](javascript:alert(3)) et <img src=x onerror=alert(4)>.\n"}))
        .await;
    let cancelled_slug = cancelled["slug"].as_str().unwrap_or_default().to_string();
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{cancelled_slug}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eleventy");
    let said = eventail(
        dir.path(),
        &app._db.url,
        &[
            "publish".as_ref(),
            "--format".as_ref(),
            "eleventy".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        &[],
    );
    assert!(said.starts_with("3 Markdown files"), "{said}");

    let post = std::fs::read_to_string(
        out.join(format!("posts/{}.md", webinar["slug"].as_str().unwrap())),
    )
    .unwrap();
    let (front, body) = post
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .expect("front matter");
    let lines: Vec<&str> = front.lines().collect();
    for expected in &[
        r#"title: "Atelier « été » : \"guillemets\"""#.to_string(),
        r#"description: "Deux points: et # dièse""#.to_string(),
        format!("date: {}", webinar["published_on"].as_str().unwrap()),
        "dateLabel: \"mercredi 4\u{a0}juin 2042, de 14\u{a0}h à 15\u{a0}h\u{a0}30 (heure de Paris)\"".to_string(),
        r#"tags: ["sobriété","agenda"]"#.to_string(),
        "layout: layouts/post.njk".to_string(),
        r#"link: "https://forms.example.org/s""#.to_string(),
        r#"linkTitle: "Inscription""#.to_string(),
    ] {
        assert!(lines.contains(&expected.as_str()), "{expected} not in\n{front}");
    }
    assert!(body.contains("**Programme :**\n\n* Accueil"), "{body}");
    assert!(
        body.contains("* Camille Martin, cheffe de projet"),
        "{body}"
    );

    let episode =
        std::fs::read_to_string(out.join(format!("videos/{}.md", video["slug"].as_str().unwrap())))
            .unwrap();
    assert!(episode.contains("layout: layouts/video.njk"));
    assert!(episode.contains(r#"embedVideoUrl: "https://www.dailymotion.com/embed/video/x8abcde""#));
    assert!(episode.ends_with("**Dominique Roux, experte**\n\nTexte.\n"));

    // The cancelled session: no button to join a session that will not take place, and a
    // body whose text stays while nothing in it can run on the site.
    let post = std::fs::read_to_string(out.join(format!("posts/{cancelled_slug}.md"))).unwrap();
    assert!(
        post.contains(r#"title: "Annulé : Atelier annulé""#),
        "{post}"
    );
    assert!(!post.contains("salle-annulee"), "{post}");
    assert!(!post.contains("\nlink:"), "{post}");
    for kept in ["Texte gardé.", "<p>Encadré gardé.</p>", "Un lien piégé et"] {
        assert!(post.contains(kept), "{kept} lost:\n{post}");
    }
    for gone in ["<script", "onclick", "onerror", "javascript:"] {
        assert!(!post.contains(gone), "{gone} survived:\n{post}");
    }

    // Round trip: `eventail import` of the export, into another database, gives back the
    // same sessions (the property test in `publish::eleventy` covers generated ones).
    let back_db = format!("sqlite://{}?mode=rwc", dir.path().join("back.db").display());
    let said = eventail(
        dir.path(),
        &back_db,
        &[
            "import".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            out.as_os_str(),
        ],
        &[],
    );
    let report: Value = serde_json::from_str(&said).expect("JSON report");
    let files = report["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 3, "{report:#}");
    for original in [&webinar, &video, &cancelled] {
        let slug = original["slug"].as_str().unwrap_or_default();
        let (_, now) = app.get(&format!("/api/v1/events/{slug}")).await;
        let back = files
            .iter()
            .find(|f| f["event"]["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} not imported back: {report:#}"));
        assert_eq!(back["action"], "created", "{back:#}");
        let back = &back["event"];
        for key in [
            "kind",
            "status",
            "title",
            "summary",
            "timezone",
            "starts_at",
            "ends_at",
            "location",
            "episode",
            "speakers",
            "programme",
            "tags",
            "registration_required",
            "capacity",
            "recording_planned",
        ] {
            assert_eq!(back[key], now[key], "{slug}: {key}");
        }
        let mut links = now["links"].clone();
        if now["status"] == "cancelled" {
            // Nobody joins a session that will not take place: the site never had the link.
            links["join"] = Value::Null;
        }
        assert_eq!(back["links"], links, "{slug}: links");
    }
}

on_both_backends!(the_static_site_is_what_the_server_serves, eleventy_posts);
