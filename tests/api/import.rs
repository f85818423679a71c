//! The importer against a real store: the project's own posts (`tests/fixtures/import`) read
//! field by field, imports that update instead of duplicating, a post's life (announced,
//! updated, recorded) replayed at its dates with a real SMTP server; and, when `../shared` is
//! there, the team's own posts against its `expected.json`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use eventail::config::Settings;
use eventail::importer::{collect, import_file, FileReport, Options};
use eventail::store::Store;

use crate::helpers::{spawn_app, spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;
use crate::smtp::{parse, SmtpServer};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The team's posts: `../shared` beside the clone, or where `EVENTAIL_SHARED` says (.ci/run
/// sets it when the clone is elsewhere).
fn shared(path: &str) -> PathBuf {
    std::env::var_os("EVENTAIL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("fixtures/minumeco")
        .join(path)
}

async fn import(store: Option<&Store>, dir: &Path) -> Vec<FileReport> {
    let (files, problems) = collect(&[dir.to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    let today = store.map_or_else(Utc::now, |s| s.now()).date_naive();
    let options = Options {
        timezone: chrono_tz::Europe::Paris,
        today,
    };
    let mut reports = Vec::new();
    for file in &files {
        reports.push(import_file(store, file, &options, "http://agenda.test").await);
    }
    reports
}

fn report<'a>(reports: &'a [FileReport], source: &str) -> &'a FileReport {
    reports
        .iter()
        .find(|r| r.source == source)
        .unwrap_or_else(|| panic!("no report for {source}: {reports:#?}"))
}

fn event(report: &FileReport) -> &Value {
    report
        .event
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no event: {report:#?}", report.source))
}

/// Speakers as (name, role and organisation as one text).
fn speakers(event: &Value) -> Vec<(String, String)> {
    event["speakers"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|s| {
                    let affiliation: Vec<&str> = [s["role"].as_str(), s["organisation"].as_str()]
                        .into_iter()
                        .flatten()
                        .collect();
                    (
                        s["name"].as_str().unwrap_or_default().to_string(),
                        affiliation.join(", "),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn more(event: &Value) -> Vec<(String, String)> {
    event["links"]["more"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["title"].as_str().unwrap_or_default().to_string(),
                        m["url"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_project_s_own_posts_are_read_field_by_field() {
    let reports = import(None, &fixture("import")).await;
    let outcomes: Vec<(&str, &str)> = reports
        .iter()
        .map(|r| (r.source.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("README.md", "skipped"),
            ("blog/agenda/atelier-accessibilite.md", "event"),
            ("blog/agenda/congres-territoires.md", "event"),
            ("blog/cours/module-2-donnees.md", "skipped"),
            ("blog/posts/annonce-guide.md", "skipped"),
            ("blog/posts/campagne-videos.md", "skipped"),
            ("blog/posts/entretien-video-sobriete.md", "video"),
            ("blog/posts/fresque-logiciel.md", "event"),
            ("blog/posts/guide-competences-v2.md", "skipped"),
            ("blog/posts/journees-reemploi.md", "skipped"),
            ("blog/posts/lancement-parcours.md", "event"),
            ("blog/posts/retour-webinaire-mobilite.md", "webinar"),
            ("blog/posts/sensibilisations-automne.md", "event"),
            ("blog/posts/table-ronde-salon.md", "event"),
            ("blog/posts/webinaire-jour-faux.md", "webinar"),
            ("blog/posts/webinaire-sobriete-donnees.md", "webinar"),
            ("broken/front-matter.md", "skipped"),
            ("lettres/lettre-5.md", "skipped"),
            ("pages/a-propos.md", "skipped"),
            ("podcasts/episode-1.md", "skipped"),
            (
                "videos/videos-reseaux-et-energie/episode-3-mesurer-les-reseaux.md",
                "video"
            ),
            (
                "videos/videos-serie-temoins/episode-1-imprimer-moins.md",
                "video"
            ),
            (
                "videos/videos-serie-temoins/episode-2-reparer-les-postes.md",
                "video"
            ),
        ]
    );

    // A congress over two days (the label) and the team's round table in it (the body: that
    // day and time, no end); speakers under a plain « Avec les interventions de : » line; the
    // front matter link, labelled « Revoir … », is the recording.
    let r = report(&reports, "blog/agenda/congres-territoires.md");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let e = event(r);
    assert_eq!(e["starts_at"], "2024-10-15T10:30:00+02:00");
    assert_eq!(e["ends_at"], Value::Null);
    assert_eq!(e["location"], "Palais des congrès, Clermont-Ferrand");
    assert_eq!(
        speakers(e),
        [
            (
                "Odile Marchand".to_string(),
                "directrice du numérique, Métropole de Clermont".to_string()
            ),
            (
                "Bastien Leroy".to_string(),
                "Syndicat mixte des réseaux d'Auvergne".to_string()
            ),
            (
                "Inès Robert".to_string(),
                "mission numérique sobre".to_string()
            ),
        ]
    );
    assert_eq!(
        e["links"]["recording"],
        "https://videos.example.org/congres-territoires/table-ronde"
    );
    assert_eq!(e["recording_planned"], true);
    assert!(more(e).is_empty(), "{e}");
    let body = e["body"].as_str().unwrap_or_default();
    assert!(!body.contains("Avec les interventions"), "{body}");

    // A `videos-serie-…` folder names the series after « série », its accents from the posts
    // beside it (this one never writes « témoins »); the speaker is the card the transcript
    // opens with, the name spelt as the post writes it in running text.
    let e = event(report(
        &reports,
        "videos/videos-serie-temoins/episode-1-imprimer-moins.md",
    ));
    assert_eq!(e["series"]["title"], "Témoins");
    assert_eq!(e["episode"], 1);
    assert_eq!(
        speakers(e),
        [(
            "Camille Faure".to_string(),
            "Cheffe du bureau des moyens, Direction des achats".to_string()
        )]
    );
    let e = event(report(
        &reports,
        "videos/videos-serie-temoins/episode-2-reparer-les-postes.md",
    ));
    assert_eq!(e["series"]["title"], "Témoins");
    assert_eq!(
        speakers(e),
        [(
            "Yanis Morel".to_string(),
            "technicien de proximité, Préfecture de la Drôme".to_string()
        )]
    );
    let reason = |source| report(&reports, source).reason.clone().unwrap_or_default();
    assert_eq!(
        reason("pages/a-propos.md"),
        "an about page: no session, no video"
    );
    assert!(reason("lettres/lettre-5.md").contains("newsletter"));
    assert!(reason("podcasts/episode-1.md").contains("podcast"));
    assert!(reason("blog/posts/annonce-guide.md").contains("no session date"));
    // A course module followed alone is no session, and its presentation player no video.
    assert!(reason("blog/cours/module-2-donnees.md").contains("self-paced"));
    assert!(reason("broken/front-matter.md").contains("not valid YAML (line 2)"));

    // A webinar: the weekday and the post's year, « A, B et C, organisation », a dash, a
    // capacity, the join link apart from the further reading, a promised recording.
    let r = report(&reports, "blog/posts/webinaire-sobriete-donnees.md");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let e = event(r);
    assert_eq!(e["kind"], "webinar");
    assert_eq!(e["status"], "scheduled");
    assert_eq!(
        e["title"],
        "Sobriété des données : ce que change le tri, webinaire le 9 mars 2023"
    );
    assert_eq!(
        e["summary"],
        "Une heure et demie pour apprendre à trier et archiver les données d'un service."
    );
    assert_eq!(e["slug"], "webinaire-sobriete-donnees");
    assert_eq!(e["published_on"], "2023-02-20");
    assert_eq!(e["starts_at"], "2023-03-09T14:00:00+01:00");
    assert_eq!(e["ends_at"], "2023-03-09T15:30:00+01:00");
    assert_eq!(e["timezone"], "Europe/Paris");
    assert_eq!(e["image"], "/img/sobriete/vignette.png");
    assert_eq!(
        speakers(e),
        [
            ("Inès Robert".into(), "Agence des données publiques".into()),
            ("Hugo Blanc".into(), "Agence des données publiques".into()),
            ("Zoé Roux".into(), "Agence des données publiques".into()),
            (
                "Noé Garnier".into(),
                "Service Sobriété et Données, Bureau des usages, DGX".into()
            ),
            (
                "Jeanne de La Tour".into(),
                "cheffe de projet archivage".into()
            ),
        ]
    );
    assert_eq!(
        strings(&e["programme"]),
        [
            "Pourquoi trier : les ordres de grandeur",
            "Retour d'expérience d'une agence régionale",
            "Questions et réponses"
        ]
    );
    assert_eq!(
        e["links"]["join"],
        "https://visio.example.gouv.fr/salle/tri-donnees"
    );
    assert_eq!(e["links"]["registration"], Value::Null);
    assert_eq!(e["links"]["recording"], Value::Null);
    assert_eq!(
        more(e),
        [
            (
                "Lire le guide du tri des données".into(),
                "/publications/guide-tri-donnees/".into()
            ),
            (
                "Le guide du tri, version PDF".into(),
                "/docs/2023/guide-tri.pdf".into()
            ),
            (
                "Un article de fond sur l'archivage".into(),
                "https://archives.example.org/article".into()
            ),
        ]
    );
    assert_eq!(e["capacity"], 150);
    assert_eq!(e["registration_required"], false);
    assert_eq!(e["recording_planned"], true);
    let body = e["body"].as_str().unwrap_or_default();
    assert!(body.contains("Stocker coûte de l'énergie"), "{body}");
    for gone in [
        "Programme :",
        "Inès Robert",
        "fr-highlight",
        "14h",
        "En savoir plus",
    ] {
        assert!(!body.contains(gone), "{gone} is a field now: {body}");
    }

    // In person, over two days, hours under a bold label, a registration form.
    let r = report(&reports, "blog/agenda/atelier-accessibilite.md");
    let e = event(r);
    assert_eq!(e["kind"], "event");
    assert_eq!(e["starts_at"], "2024-10-02T09:30:00+02:00");
    assert_eq!(e["ends_at"], "2024-10-03T17:00:00+02:00");
    assert_eq!(e["location"], "12 rue des Exemples, 69001 Lyon");
    assert_eq!(
        e["links"]["registration"],
        "https://framaforms.example.org/atelier-accessibilite"
    );
    assert_eq!(e["registration_required"], true);
    assert_eq!(e["capacity"], 20);
    assert_eq!(
        speakers(e),
        [(
            "Paul Petit".into(),
            "Expert accessibilité, Mission des usages".into()
        )]
    );

    // A fresque whose title and description name no session: the « Informations pratiques »
    // list (date, hours, place) is enough, and its « Lieu : » street makes it in person.
    let r = report(&reports, "blog/posts/fresque-logiciel.md");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let e = event(r);
    assert_eq!(e["kind"], "event");
    assert_eq!(e["starts_at"], "2025-06-04T14:00:00+02:00");
    assert_eq!(e["ends_at"], "2025-06-04T17:00:00+02:00");
    assert_eq!(e["location"], "8 rue de l'Exemple, 75015 Paris (salle B)");
    assert_eq!(e["registration_required"], true);
    assert_eq!(
        e["links"]["registration"],
        "https://forms.example.org/fresque-logiciel"
    );
    // « Animatrice : » in the practical list is the speaker, and leaves the body.
    assert_eq!(
        speakers(e),
        [("Odile Ferrand".into(), "Bureau des usages".into())]
    );
    let body = e["body"].as_str().unwrap_or_default();
    assert!(!body.contains("Animatrice"), "{body}");

    // A « Dates » list and a practical list that gives the hours and a street address without
    // labels: in person, the first date taken, and the other said.
    let r = report(&reports, "blog/posts/sensibilisations-automne.md");
    let e = event(r);
    assert_eq!(e["kind"], "event");
    assert_eq!(e["starts_at"], "2024-10-15T09:30:00+02:00");
    assert_eq!(e["ends_at"], "2024-10-15T12:00:00+02:00");
    assert_eq!(e["location"], "5 avenue des Essais 69003 Lyon");
    assert_eq!(
        e["links"]["registration"],
        "https://forms.example.org/sensibilisations"
    );
    assert_eq!(
        speakers(e),
        [(
            "Yann Leroy".into(),
            "Expert sobriété, Bureau des usages".into()
        )]
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("several dates") && w.contains("2024-11-05")),
        "{:?}",
        r.warnings
    );

    // In person although the text says « en ligne »: an identity card to show at the desk.
    let r = report(&reports, "blog/posts/lancement-parcours.md");
    let e = event(r);
    assert_eq!(e["kind"], "event");
    assert_eq!(e["starts_at"], "2025-05-12T10:00:00+02:00");
    assert_eq!(e["ends_at"], "2025-05-12T11:30:00+02:00");
    assert_eq!(e["registration_required"], true);

    // A training's release date is no session, nor is a national day the post mentions.
    assert!(reason("blog/posts/guide-competences-v2.md").contains("news post"));
    assert!(reason("blog/posts/journees-reemploi.md").contains("news post"));
    // Links to videos on a news post do not make it a video page: only a player does.
    assert!(reason("blog/posts/campagne-videos.md").contains("news post"));
    // A Vimeo player makes a video page; the congress it was filmed at is no session.
    let e = event(report(&reports, "blog/posts/entretien-video-sobriete.md"));
    assert_eq!(e["kind"], "video");
    assert_eq!(e["starts_at"], Value::Null);
    assert_eq!(
        e["links"]["video"],
        "https://player.vimeo.com/video/123456789?autoplay=false"
    );

    // A table ronde held during a salon is in person, though no street is written.
    let r = report(&reports, "blog/posts/table-ronde-salon.md");
    let e = event(r);
    assert_eq!(e["kind"], "event");
    assert_eq!(e["starts_at"], "2024-06-06T11:00:00+02:00");
    assert_eq!(e["ends_at"], "2024-06-06T12:00:00+02:00");
    assert!(
        r.warnings.iter().any(|w| w.contains("no place is written")),
        "{:?}",
        r.warnings
    );
    // « Conférenciers » heads the speakers; a surname in capitals is still a name.
    assert_eq!(
        speakers(e),
        [
            ("Rémi CARON".into(), "Ville d'Exemple".into()),
            ("Alice Morel".into(), "Département d'Essai".into()),
        ]
    );

    // A replay: past tense, no end, the dai.ly link is the recording, not a video.
    let e = event(report(&reports, "blog/posts/retour-webinaire-mobilite.md"));
    assert_eq!(e["starts_at"], "2022-02-17T17:00:00+01:00");
    assert_eq!(e["ends_at"], Value::Null);
    assert_eq!(e["links"]["recording"], "https://dai.ly/x8replay");
    assert_eq!(e["links"]["video"], Value::Null);
    assert_eq!(e["recording_planned"], true);
    assert_eq!(
        speakers(e),
        [("Léa Martin".into(), "Ville de Nantes".into())]
    );

    // 9 March 2023 is a Thursday: kept, and said.
    let r = report(&reports, "blog/posts/webinaire-jour-faux.md");
    assert_eq!(event(r)["starts_at"], "2023-03-09T10:00:00+01:00");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("jeudi"), "{:?}", r.warnings);

    // A video: shortcode, caption, series from the folder with its accents, transcript kept.
    let r = report(
        &reports,
        "videos/videos-reseaux-et-energie/episode-3-mesurer-les-reseaux.md",
    );
    let e = event(r);
    assert_eq!(e["kind"], "video");
    assert_eq!(e["starts_at"], Value::Null);
    assert_eq!(e["episode"], 3);
    // The series comes from the folder on disk, even when only the file is named.
    let (files, _) = collect(&[fixture(
        "import/videos/videos-reseaux-et-energie/episode-3-mesurer-les-reseaux.md",
    )]);
    let options = Options {
        timezone: chrono_tz::Europe::Paris,
        today: Utc::now().date_naive(),
    };
    let alone = import_file(None, &files[0], &options, "http://agenda.test").await;
    assert_eq!(event(&alone)["series"]["title"], "Réseaux et énergie");
    assert_eq!(e["series"]["title"], "Réseaux et énergie");
    assert_eq!(
        e["links"]["video"],
        "https://www.dailymotion.com/embed/video/x8reseau3"
    );
    assert_eq!(strings(&e["tags"]), ["video"]);
    assert_eq!(
        speakers(e),
        [(
            "Sara Benali".into(),
            "responsable des réseaux à la Ville de Lyon".into()
        )]
    );
    let body = e["body"].as_str().unwrap_or_default();
    assert!(body.contains("## Transcription"), "{body}");
    assert!(body.contains("Nous avons commencé par compter"), "{body}");
    assert!(!body.contains("{%") && !body.contains("<!--"), "{body}");
}

on_both_backends!(
    importing_again_updates_instead_of_duplicating,
    a_post_s_life_sends_each_notice_once,
    a_speaker_s_affiliation_stays_with_the_post_that_gives_it,
);

/// Two posts years apart name the same person, one with her role then and one without: each
/// session shows what its own post says, the dry run and the stored session agree, and the
/// directory keeps the person, not one post's affiliation (not even one an organiser typed).
async fn a_speaker_s_affiliation_stays_with_the_post_that_gives_it(db: Db) {
    let app = spawn_app(db).await;
    let (status, _) = app
        .post(
            "/api/v1/speakers",
            &json!({"name": "Paul Lenoir", "role": "directeur", "organisation": "Agence du climat"}),
        )
        .await;
    assert_eq!(status, 201);
    let dir = tempfile::tempdir().expect("temporary directory");
    let post = |date: &str, day: &str, speakers: &str| {
        format!(
            "---\ntitle: Webinaire du {date}\ndate: {date}\n---\n\n**Webinaire le {day} de 10h à 11h**\n\n**Intervenants :**\n{speakers}\n"
        )
    };
    // Read in this order: the 2023 post first, so its affiliation would be the one to leak.
    std::fs::write(
        dir.path().join("a-2023.md"),
        post(
            "2023-03-01",
            "jeudi 9 mars",
            "* Jeanne Martin, cheffe de projet, Agence des données\n* Paul Lenoir",
        ),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("b-2021.md"),
        post(
            "2021-05-01",
            "mardi 11 mai",
            "* Jeanne Martin\n* Paul Lenoir, stagiaire",
        ),
    )
    .expect("write");
    let dry = import(None, dir.path()).await;
    let stored = import(Some(&app.store), dir.path()).await;
    let expected_2023 = [
        (
            "Jeanne Martin".to_string(),
            "cheffe de projet, Agence des données".to_string(),
        ),
        ("Paul Lenoir".to_string(), String::new()),
    ];
    let expected_2021 = [
        ("Jeanne Martin".to_string(), String::new()),
        ("Paul Lenoir".to_string(), "stagiaire".to_string()),
    ];
    for (source, expected) in [("a-2023.md", &expected_2023), ("b-2021.md", &expected_2021)] {
        assert_eq!(
            &speakers(event(report(&dry, source))),
            expected,
            "dry run of {source}"
        );
        assert_eq!(
            &speakers(event(report(&stored, source))),
            expected,
            "import of {source}"
        );
    }
    let (_, api) = app.get("/api/v1/events/b-2021").await;
    assert_eq!(speakers(&api), expected_2021, "{api}");
    // The directory: one entry per person; an imported post added no affiliation to it.
    let (_, jeanne) = app.get("/api/v1/speakers/jeanne-martin").await;
    assert_eq!(jeanne["role"], Value::Null, "{jeanne}");
    assert_eq!(jeanne["organisation"], Value::Null, "{jeanne}");
    let (_, paul) = app.get("/api/v1/speakers/paul-lenoir").await;
    assert_eq!(paul["role"], "directeur", "{paul}");
    // Sessions an organiser writes still take the directory's affiliation when they give none.
    let (status, created) = app
        .post(
            "/api/v1/events",
            &json!({"kind": "video", "title": "Entretien", "speakers": [{"slug": "paul-lenoir"}]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        speakers(&created),
        [(
            "Paul Lenoir".to_string(),
            "directeur, Agence du climat".to_string()
        )]
    );
}

async fn importing_again_updates_instead_of_duplicating(db: Db) {
    let app = spawn_app(db).await;
    let first = import(Some(&app.store), &fixture("import")).await;
    let created: Vec<&str> = first.iter().filter_map(|r| r.action.as_deref()).collect();
    assert_eq!(created, ["created"; 13]);
    assert_eq!(app.event_count().await, 13);
    let stored = event(report(&first, "blog/posts/webinaire-sobriete-donnees.md"));
    assert!(stored.get("id").is_none(), "the report's event has no id");
    assert_eq!(
        stored["url"],
        "http://agenda.test/events/webinaire-sobriete-donnees"
    );
    assert_eq!(stored["sequence"], 0);

    // The same files: nothing written.
    let again = import(Some(&app.store), &fixture("import")).await;
    assert!(again
        .iter()
        .filter_map(|r| r.action.as_deref())
        .all(|a| a == "unchanged"));
    assert_eq!(app.event_count().await, 13);

    // A copy with one file moved by an hour and one file that is not UTF-8.
    let copy = tempfile::tempdir().expect("temporary directory");
    copy_dir(&fixture("import"), copy.path());
    let edited = copy.path().join("blog/posts/webinaire-sobriete-donnees.md");
    let text = std::fs::read_to_string(&edited).expect("fixture");
    std::fs::write(&edited, text.replace("de 14h à 15h30", "de 15h à 16h30")).expect("write");
    std::fs::write(
        copy.path().join("blog/posts/latin1.md"),
        b"---\ntitle: caf\xe9\n---\n",
    )
    .expect("write");
    let third = import(Some(&app.store), copy.path()).await;
    let moved = report(&third, "blog/posts/webinaire-sobriete-donnees.md");
    assert_eq!(moved.action.as_deref(), Some("updated"));
    assert_eq!(event(moved)["starts_at"], "2023-03-09T15:00:00+01:00");
    assert_eq!(event(moved)["sequence"], 1);
    let odd = report(&third, "blog/posts/latin1.md");
    assert_eq!(odd.outcome, "skipped");
    assert!(odd.reason.as_deref().unwrap_or_default().contains("UTF-8"));
    assert_eq!(app.event_count().await, 13);
    let (status, api) = app.get("/api/v1/events/webinaire-sobriete-donnees").await;
    assert_eq!(status, 200);
    assert_eq!(api["starts_at"], "2023-03-09T15:00:00+01:00");
    let history = app
        .store
        .event_history(api["id"].as_str().unwrap_or_default())
        .await
        .expect("history");
    let actions: Vec<(i64, &str)> = history
        .iter()
        .map(|h| (h.sequence, h.action.as_str()))
        .collect();
    assert_eq!(actions, [(0, "created"), (1, "updated")]);

    // Another file with the same name elsewhere is another session, with a slug of its own.
    let other = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir_all(other.path().join("ailleurs")).expect("mkdir");
    std::fs::write(
        other.path().join("ailleurs/webinaire-sobriete-donnees.md"),
        "---\ntitle: Un autre webinaire sur les données\ndate: 2023-04-01\n---\n\n**Webinaire le mardi 11 avril de 10h à 11h**\n",
    )
    .expect("write");
    let fourth = import(Some(&app.store), other.path()).await;
    let r = report(&fourth, "ailleurs/webinaire-sobriete-donnees.md");
    assert_eq!(r.action.as_deref(), Some("created"));
    assert_eq!(event(r)["slug"], "un-autre-webinaire-sur-les-donnees");
    assert_eq!(app.event_count().await, 14);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Imports `dir` with the store's clock at `at`, then sends what is due; returns the subjects
/// the SMTP server received meanwhile.
async fn import_then_send(
    app: &TestApp,
    dispatcher: &eventail::mailer::Dispatcher,
    smtp: &SmtpServer,
    dir: Option<&Path>,
    at: &str,
) -> Vec<String> {
    let before = smtp.received().len();
    let at: DateTime<Utc> = at.parse().expect("RFC 3339");
    app.store.set_clock(at);
    if let Some(dir) = dir {
        let reports = import(Some(&app.store), dir).await;
        assert!(reports.iter().all(|r| r.reason.is_none()), "{reports:#?}");
    }
    dispatcher.run_once().await.expect("dispatch");
    smtp.received()[before..]
        .iter()
        .map(|m| parse(&m.data).subject)
        .collect()
}

/// The life of a post replayed at its dates: one announcement, one change notice (places
/// limited), both reminders, one recording notice; no change notice for the join link that
/// gives way to the recording after the session.
async fn a_post_s_life_sends_each_notice_once(db: Db) {
    lifecycle(
        db,
        &fixture("import-lifecycle"),
        "mesure-empreinte",
        LifecycleDates {
            posted: "2023-06-01T08:00:00Z",
            edited: "2023-06-05T08:00:00Z",
            day_before: "2023-06-13T09:00:30Z",
            hour_before: "2023-06-14T08:00:30Z",
            after: "2023-06-15T08:00:00Z",
        },
    )
    .await;
}

struct LifecycleDates {
    posted: &'static str,
    edited: &'static str,
    day_before: &'static str,
    hour_before: &'static str,
    after: &'static str,
}

async fn lifecycle(db: Db, root: &Path, slug: &str, dates: LifecycleDates) {
    let smtp = SmtpServer::start();
    let fresh = FreshDb::new(db).await;
    let database_url = fresh.url.clone();
    let smtp_url = smtp.url();
    let app = spawn_app_with(fresh, {
        let smtp_url = smtp_url.clone();
        move |f| {
            f.merge(("mail.smtp_url", smtp_url))
                .merge(("mail.dispatch", false))
        }
    })
    .await;
    let (status, _) = app
        .post(
            "/api/v1/subscribers",
            &json!({"email": "abonnee@example.org", "scope": "all",
                    "consent": {"source": "liste reprise", "at": "2021-01-04T09:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 201);
    let settings = Settings::from_figment(
        Settings::defaults()
            .merge(("database.url", database_url))
            .merge(("mail.smtp_url", smtp_url))
            .merge(("mail.from", "Mission numérique <agenda@agenda.example.org>"))
            .merge(("mail.rate_per_second", 1000.0)),
    )
    .expect("settings");
    let templates = Arc::new(eventail::templates::Templates::load(None).expect("templates"));
    let dispatcher = eventail::mailer::dispatcher(
        app.store.clone(),
        &settings,
        templates,
        "http://agenda.test",
    )
    .expect("dispatcher");

    let sent = import_then_send(
        &app,
        &dispatcher,
        &smtp,
        Some(&root.join("1-announced")),
        dates.posted,
    )
    .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Webinaire : "), "{sent:?}");
    let sent = import_then_send(
        &app,
        &dispatcher,
        &smtp,
        Some(&root.join("2-updated")),
        dates.edited,
    )
    .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Modifié : "), "{sent:?}");
    let notice = parse(&smtp.received().last().expect("the change notice").data);
    assert!(
        notice
            .text()
            .contains("Accès : libre, sans inscription, dans la limite de"),
        "the notice says what changed: {}",
        notice.text()
    );
    // Importing the same file again sends nothing.
    let sent = import_then_send(
        &app,
        &dispatcher,
        &smtp,
        Some(&root.join("2-updated")),
        dates.edited,
    )
    .await;
    assert!(sent.is_empty(), "{sent:?}");
    let sent = import_then_send(&app, &dispatcher, &smtp, None, dates.day_before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Rappel : "), "{sent:?}");
    let sent = import_then_send(&app, &dispatcher, &smtp, None, dates.hour_before).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Rappel : "), "{sent:?}");
    let sent = import_then_send(
        &app,
        &dispatcher,
        &smtp,
        Some(&root.join("3-recording")),
        dates.after,
    )
    .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("Enregistrement disponible : "),
        "{sent:?}"
    );
    // Nothing else is waiting.
    let sent = import_then_send(&app, &dispatcher, &smtp, None, dates.after).await;
    assert!(sent.is_empty(), "{sent:?}");
    let all = smtp.wait_for(5, Duration::from_secs(1)).await;
    assert!(all.iter().all(|m| m.to == ["abonnee@example.org"]));

    // One session, in the state of the last file, with a consistent history.
    assert_eq!(app.event_count().await, 1);
    let (status, e) = app.get(&format!("/api/v1/events/{slug}")).await;
    assert_eq!(status, 200);
    assert_eq!(e["links"]["join"], Value::Null);
    assert!(e["links"]["recording"].is_string(), "{e}");
    assert_eq!(e["sequence"], 2);
    let history = app
        .store
        .event_history(e["id"].as_str().unwrap_or_default())
        .await
        .expect("history");
    let steps: Vec<(i64, &str)> = history
        .iter()
        .map(|h| (h.sequence, h.action.as_str()))
        .collect();
    assert_eq!(steps, [(0, "created"), (1, "updated"), (2, "updated")]);
    assert!(
        history[1].fields.iter().any(|f| *f == "capacity"),
        "{history:?}"
    );
    assert!(
        history[2].fields.iter().any(|f| *f == "links"),
        "{history:?}"
    );
    let posted: DateTime<Utc> = dates.posted.parse().expect("time");
    let lag = history[0].at - posted;
    assert!(
        lag >= chrono::Duration::zero() && lag < chrono::Duration::seconds(60),
        "history is written at the store's time: {} for {posted}",
        history[0].at
    );
}

/// The team's posts against `expected.json`, one field at a time.
#[tokio::test]
#[ignore = "needs ../shared"]
async fn the_team_s_posts_match_what_a_careful_reader_writes_down() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(shared("expected.json")).expect("../shared/fixtures/minumeco"),
    )
    .expect("expected.json");
    let mut reports = import(None, &shared("site")).await;
    for step in ["1-announced", "2-updated", "3-recording"] {
        let mut step_reports = import(None, &shared(&format!("lifecycle/{step}"))).await;
        for r in &mut step_reports {
            r.source = format!("lifecycle/{step}/{}", r.source);
        }
        reports.extend(step_reports);
    }
    for r in &mut reports {
        if !r.source.starts_with("lifecycle/") {
            r.source = format!("site/{}", r.source);
        }
    }
    let mut checked = 0;
    let files = expected["files"].as_object().expect("files");
    for (path, want) in files {
        let r = report(&reports, path);
        assert_eq!(
            r.outcome,
            want["outcome"].as_str().unwrap_or_default(),
            "{path}"
        );
        if let Some(reason) = want.get("reason") {
            assert_eq!(r.reason.as_deref(), reason.as_str(), "{path}");
            checked += 1;
            continue;
        }
        let e = event(r);
        for field in [
            "title",
            "summary",
            "published_on",
            "timezone",
            "starts_at",
            "ends_at",
            "registration_required",
            "capacity",
            "recording_planned",
            "episode",
            "tags",
            "programme",
        ] {
            if let Some(value) = want.get(field) {
                assert_eq!(&e[field], value, "{path}: {field}");
                checked += 1;
            }
        }
        if let Some(series) = want.get("series") {
            assert_eq!(&e["series"]["title"], series, "{path}: series");
            checked += 1;
        }
        for link in ["join", "registration", "recording", "video", "more"] {
            assert_eq!(
                e["links"][link], want["links"][link],
                "{path}: links.{link}"
            );
            checked += 1;
        }
        let want_speakers: Vec<(String, String)> = want["speakers"]
            .as_array()
            .expect("speakers")
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or_default().to_string(),
                    s["affiliation"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(speakers(e), want_speakers, "{path}: speakers");
        checked += 1;
    }
    assert!(checked >= 80, "{checked} fields checked");
    // The onclick of the real post never reaches the page (nor the stored body).
    let last = event(report(
        &reports,
        "lifecycle/3-recording/posts/impact-bonnes-pratiques.md",
    ));
    assert!(!last["body"]
        .as_str()
        .unwrap_or_default()
        .contains("onclick"));
}

/// The newer formats under `later/`, as read by this project (expected.json does not cover
/// them).
#[tokio::test]
#[ignore = "needs ../shared"]
async fn the_team_s_newer_posts_are_read_too() {
    the_team_s_newer_posts_are_read_too_checked().await
}

/// The 176 posts of `../shared/fixtures/minumeco/corpus`, annotated in the project
/// (`bench/corpus-annotations.json`): `bench/import_accuracy.py` must find at least 97 % of the
/// annotated fields right.
#[test]
#[ignore = "needs ../shared"]
fn the_team_s_annotated_corpus_is_read_at_least_97_percent_right() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = std::process::Command::new("python3")
        .arg(root.join("bench/import_accuracy.py"))
        .arg(root.join("bench/corpus-annotations.json"))
        .arg("--root")
        .arg(shared("corpus"))
        .args(["--min", "97"])
        .env("EVENTAIL_BIN", env!("CARGO_BIN_EXE_eventail"))
        .output()
        .expect("python3 runs bench/import_accuracy.py");
    let out = String::from_utf8_lossy(&run.stdout);
    let summary = out.lines().last().unwrap_or_default();
    assert!(
        run.status.success(),
        "{summary}\n{}\n{out}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(summary.contains("over 176 files"), "{summary}");
}

mod the_team_s_corpus_imported_twice_writes_nothing_the_second_time {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs ../shared"]
    async fn sqlite() {
        super::corpus_twice(crate::helpers::Db::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs ../shared and PostgreSQL"]
    async fn postgres() {
        super::corpus_twice(crate::helpers::Db::Postgres).await
    }
}

/// Every post of the corpus into a real store, then again: the second run finds each file as
/// it was and writes nothing (no session, change, speaker or message more, nothing touched).
async fn corpus_twice(db: Db) {
    let app = spawn_app(db).await;
    let first = import(Some(&app.store), &shared("corpus")).await;
    let stored = first.iter().filter(|r| r.action.is_some()).count();
    assert!(stored >= 80, "{stored} sessions stored");
    for r in first.iter().filter(|r| r.outcome != "skipped") {
        assert_eq!(r.action.as_deref(), Some("created"), "{r:#?}");
    }
    let snapshot = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let events: Vec<(String, i64, i64)> =
                sqlx::query_as("SELECT id, sequence, updated_at FROM events ORDER BY id")
                    .fetch_all(store.pool())
                    .await
                    .expect("events");
            let mut counts = Vec::new();
            for table in [
                "speakers",
                "event_speakers",
                "event_changes",
                "outbox",
                "series",
            ] {
                let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(store.pool())
                    .await
                    .expect("count");
                counts.push((table, n));
            }
            (events, counts)
        }
    };
    let before = snapshot(&app).await;
    let second = import(Some(&app.store), &shared("corpus")).await;
    for r in second.iter().filter(|r| r.outcome != "skipped") {
        assert_eq!(r.action.as_deref(), Some("unchanged"), "{r:#?}");
    }
    let outcomes = |reports: &[FileReport]| -> Vec<(String, String)> {
        reports
            .iter()
            .map(|r| (r.source.clone(), r.outcome.clone()))
            .collect()
    };
    assert_eq!(outcomes(&first), outcomes(&second));
    assert_eq!(snapshot(&app).await, before);
}

async fn the_team_s_newer_posts_are_read_too_checked() {
    let reports = import(None, &shared("later")).await;
    let outcome = |s: &str| report(&reports, s).outcome.clone();
    assert_eq!(
        outcome("agenda/formationEcoconception14mai2024.md"),
        "event"
    );
    assert_eq!(outcome("agenda/green-tech-forum-2023.md"), "event");
    assert_eq!(
        outcome("content/actualites/posts/actus/formationeconumia-29042025.md"),
        "event"
    );
    assert_eq!(
        outcome("content/actualites/posts/lettres-information/lettre-2.md"),
        "skipped"
    );

    let e = event(report(
        &reports,
        "agenda/formationEcoconception14mai2024.md",
    ));
    assert_eq!(e["starts_at"], "2024-05-14T09:00:00+02:00");
    assert_eq!(e["ends_at"], "2024-05-14T12:30:00+02:00");
    assert_eq!(e["location"], "20 avenue de Ségur 75007");
    assert_eq!(
        e["links"]["registration"],
        "https://design.numerique.gouv.fr/formations/ecoconception/atelier-ecoconception/"
    );
    assert_eq!(
        speakers(e),
        [(
            "Mélanie Raphaël".into(),
            "Experte Numérique Ecoresponsable, DINUM".into()
        )]
    );

    let r = report(&reports, "agenda/green-tech-forum-2023.md");
    let e = event(r);
    assert_eq!(
        (e["starts_at"].as_str(), e["ends_at"].as_str()),
        (Some("2023-11-21"), Some("2023-11-22"))
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("no time")),
        "{:?}",
        r.warnings
    );
    assert_eq!(
        e["location"],
        "Beffroi de Montrouge, Avenue de la République, 92120 Montrouge"
    );
    assert_eq!(e["programme"].as_array().map(Vec::len), Some(22));
    assert_eq!(
        e["links"]["registration"],
        "https://www.greentech-forum.com/"
    );

    let e = event(report(
        &reports,
        "content/actualites/posts/actus/formationeconumia-29042025.md",
    ));
    assert_eq!(e["starts_at"], "2025-04-29T10:00:00+02:00");
    assert_eq!(e["ends_at"], "2025-04-29T12:00:00+02:00");
    assert_eq!(e["capacity"], 8);
    assert_eq!(e["registration_required"], true);
    assert_eq!(
        e["links"]["registration"],
        "https://grist.numerique.gouv.fr/o/docs/forms/1MmRRb9XJUL9CZgmQ9EMsS/55"
    );
    assert_eq!(
        e["links"]["video"],
        "https://www.dailymotion.com/embed/video/x9axoyc"
    );
    assert_eq!(strings(&e["tags"]), ["MiNumEco", "Formation", "Événement"]);

    let e = event(report(
        &reports,
        "content/actualites/posts/videos/paroles-d-experts/Experts-S2E2-Roziere/Experts-S2E2-Roziere.md",
    ));
    assert_eq!(e["kind"], "video");
    assert_eq!(e["series"]["title"], "Paroles d'experts saison 2");
    assert_eq!(e["episode"], 2);
    assert_eq!(
        e["links"]["video"],
        "https://www.dailymotion.com/embed/video/x9qb2l4"
    );
    assert_eq!(
        speakers(e),
        [(
            "Virginie Rozière".into(),
            "directrice du numérique au ministère de l'Europe et des Affaires étrangères".into()
        )]
    );
    assert!(e["body"]
        .as_str()
        .unwrap_or_default()
        .contains("## Transcription"));

    let e = event(report(
        &reports,
        "content/actualites/posts/videos/paroles-d-experts/parolesdexperts-episode10-mesureSI/parolesdexperts-episode10-mesureSI.md",
    ));
    assert_eq!(e["series"]["title"], "Paroles d'experts saison 1");
    assert_eq!(e["episode"], 10);
    assert_eq!(e["published_on"], "2025-01-10");
    assert_eq!(
        speakers(e),
        [(
            "Thierry Lochon".into(),
            "référent numérique écoresponsable du ministère de la Transition Écologique".into()
        )]
    );
}

/// The team's real post, at its real dates: what a subscriber received in December 2021.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs ../shared"]
async fn the_team_s_lifecycle_sends_each_notice_once() {
    lifecycle(
        Db::Sqlite,
        &shared("lifecycle"),
        "impact-bonnes-pratiques",
        LifecycleDates {
            posted: "2021-11-25T10:00:00Z",
            edited: "2021-11-30T10:00:00Z",
            day_before: "2021-12-07T08:00:30Z",
            hour_before: "2021-12-08T07:00:30Z",
            after: "2021-12-09T10:00:00Z",
        },
    )
    .await;
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.client.get(app.url(path)).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    // minijinja escapes / and ' in text and attributes; compare what a browser reads.
    response
        .text()
        .await
        .expect("page")
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
}

/// Imported posts on their pages: the French date, speakers, programme, and the paths they
/// link to made absolute against the team's site (`content.base_url`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_posts_render_on_their_pages() {
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, |f| {
        f.merge(("content.base_url", "https://site.example.gouv.fr"))
    })
    .await;
    import(Some(&app.store), &fixture("import")).await;
    let html = page(&app, "/events/webinaire-sobriete-donnees").await;
    for expected in [
        "jeudi 9\u{a0}mars 2023, de 14\u{a0}h à 15\u{a0}h\u{a0}30",
        "Inès Robert",
        "Agence des données publiques",
        "Retour d'expérience d'une agence régionale",
        "Pour aller plus loin",
        "href=\"https://site.example.gouv.fr/docs/2023/guide-tri.pdf\"",
        "href=\"https://site.example.gouv.fr/publications/guide-tri-donnees/\"",
    ] {
        assert!(html.contains(expected), "{expected} missing from {html}");
    }
    let html = page(&app, "/events/episode-3-mesurer-les-reseaux").await;
    assert!(html.contains("Réseaux et énergie"), "{html}");
    assert!(
        html.contains(
            "data-embed=\"https://www.dailymotion.com/embed/video/x8reseau3?autoplay=1\""
        ),
        "{html}"
    );
    assert!(
        !html.contains("<iframe"),
        "the player waits for a click: {html}"
    );
    assert!(html.contains("Transcription"), "{html}");
}

/// The team's real posts on their pages: French dates, speakers, links, no onclick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs ../shared"]
async fn the_team_s_posts_render_on_their_pages() {
    let app = spawn_app_with(FreshDb::new(Db::Sqlite).await, |f| {
        f.merge((
            "content.base_url",
            "https://ecoresponsable.numerique.gouv.fr",
        ))
    })
    .await;
    import(Some(&app.store), &shared("site")).await;
    import(Some(&app.store), &shared("lifecycle/3-recording")).await;
    let html = page(&app, "/events/impact-bonnes-pratiques").await;
    for expected in [
        "mercredi 8\u{a0}décembre 2021, de 9\u{a0}h à 10\u{a0}h",
        "Bela Loto",
        "Virginie Rozière",
        "Direction interministérielle du numérique",
        "Les activités de Point de MIR",
        "href=\"https://bbb-dinum-scalelite.visio.education.fr/playback/presentation/2.3/2db0885cf6f986087cc04b5aabec25bb5949cdef-1638949570786\"",
        "href=\"https://ecoresponsable.numerique.gouv.fr/docs/2021/Webinaire-Impact-bonnes-pratiques-organisations-08-12-2021.pdf\"",
    ] {
        assert!(html.contains(expected), "{expected} missing from {html}");
    }
    assert!(!html.contains("onclick"), "{html}");
    let html = page(&app, "/events/episode-12-auditer-et-mesurer").await;
    assert!(html.contains("Vers un numérique écoresponsable"), "{html}");
    assert!(html.contains("Christophe Boutonnet"), "{html}");
    assert!(
        html.contains("dailymotion.com/embed/video/k1nbh93c3FHQCiyjIC8"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://base-impacts.ademe.fr/\""),
        "{html}"
    );
}
