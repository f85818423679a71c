//! The `eventail` binary as an organiser uses it: a fresh folder, the embedded SQLite default,
//! a token from the CLI, the server answering, readable errors.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn eventail(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventail"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("EVENTAIL_DATABASE_URL")
        .env_remove("EVENTAIL_HTTP_BIND")
        .env_remove("EVENTAIL_BASE_URL")
        .env_remove("EVENTAIL_MAIL_SMTP_URL")
        .env_remove("EVENTAIL_MAIL_FROM")
        .env("RUST_LOG", "warn");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    eventail(dir, args).output().expect("run eventail")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test]
async fn a_fresh_folder_serves_and_accepts_a_session_with_a_cli_token() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(dir.path(), &["token", "create", "--name", "organisatrice"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let out = stdout(&created);
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(
        token.starts_with("evt_") && token.len() == 68,
        "last line: {token:?}"
    );
    assert!(
        dir.path().join("data/eventail.db").is_file(),
        "the embedded default lives under data/"
    );

    let port = free_port();
    let mut server = eventail(dir.path(), &["serve"])
        .env("EVENTAIL_HTTP_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "kind": "webinar", "status": "scheduled",
            "title": "Webinaire le mercredi 8 décembre", "starts_at": "2021-12-08T09:00", "ends_at": "2021-12-08T10:00",
            "speakers": [{"name": "Christophe Boutonnet", "role": "chef de projet"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // The CLI reads the same database while the server runs.
    let list = run(dir.path(), &["event", "list"]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(
        stdout(&list).contains("2021-12-08T09:00:00+01:00"),
        "{}",
        stdout(&list)
    );
    assert!(stdout(&list).contains("Webinaire le mercredi 8 décembre"));
    let show = run(
        dir.path(),
        &["event", "show", "webinaire-le-mercredi-8-decembre"],
    );
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(
        stdout(&show).contains("Christophe Boutonnet (chef de projet)"),
        "{}",
        stdout(&show)
    );

    // Revoking from the CLI locks the API at once.
    let revoked = run(dir.path(), &["token", "revoke", "organisatrice"]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let tokens = run(dir.path(), &["token", "list"]);
    assert!(stdout(&tokens).contains("revoked"), "{}", stdout(&tokens));
    let response = client
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // SIGTERM: a graceful exit.
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn errors_are_one_readable_line() {
    let dir = tempfile::tempdir().unwrap();
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 6] = [
        (
            &["--config", "absent.toml", "migrate"],
            None,
            "configuration file absent.toml does not exist",
        ),
        (
            &["migrate"],
            Some(("EVENTAIL_DATABASE_URL", "mysql://localhost/x")),
            "must start with sqlite: or postgres:",
        ),
        (
            &["serve"],
            Some(("EVENTAIL_HTTP_BIND", "partout")),
            "http.bind",
        ),
        (
            &["migrate"],
            Some(("EVENTAIL_EVENTS__DEFAULT_TIMEZONE", "Lune/Mer")),
            "Lune/Mer",
        ),
        (&["token", "revoke", "personne"], None, "no live token"),
        (
            &["event", "show", "inconnue"],
            None,
            "no session with slug or id",
        ),
    ];
    for (args, env, words) in cases {
        let mut command = eventail(dir.path(), args);
        if let Some((k, v)) = env {
            command.env(k, v);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(
            err.starts_with("error: ") && err.contains(words),
            "{args:?}: {err}"
        );
    }
    let twice = run(dir.path(), &["token", "create", "--name", "a"]);
    assert!(twice.status.success());
    let again = run(dir.path(), &["token", "create", "--name", "a"]);
    assert!(
        stderr(&again).contains("already named"),
        "{}",
        stderr(&again)
    );
}

#[path = "api/smtp.rs"]
#[allow(dead_code)]
mod smtp;

/// `eventail mail test`: through the file transport by default, through SMTP when configured;
/// a bad address is refused in one readable line.
#[tokio::test]
async fn mail_test_sends_one_message_through_the_configured_transport() {
    let dir = tempfile::tempdir().unwrap();
    let sent = run(dir.path(), &["mail", "test", "--to", "essai@exemple.fr"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stdout(&sent).contains("files under data/outbox"),
        "{}",
        stdout(&sent)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("data/outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let mail = smtp::parse(&std::fs::read(&files[0]).unwrap());
    assert!(
        mail.subject
            .starts_with("Message d'essai d'eventail : « été »"),
        "{}",
        mail.subject
    );

    let server = smtp::SmtpServer::start();
    let sent = eventail(dir.path(), &["mail", "test", "--to", "essai@exemple.fr"])
        .env("EVENTAIL_MAIL_SMTP_URL", server.url())
        .env("EVENTAIL_MAIL_FROM", "Mission <agenda@exemple.gouv.fr>")
        .output()
        .unwrap();
    assert!(sent.status.success(), "{}", stderr(&sent));
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["essai@exemple.fr"]);
    let mail = smtp::parse(&got[0].data);
    assert!(
        mail.message_id.ends_with("@exemple.gouv.fr"),
        "{}",
        mail.message_id
    );

    // Any spelling goes to the canonical address: ASCII, which this relay (no SMTPUTF8) takes.
    let sent = eventail(
        dir.path(),
        &["mail", "test", "--to", "\"Essai\"@Bücher.example"],
    )
    .env("EVENTAIL_MAIL_SMTP_URL", server.url())
    .output()
    .unwrap();
    assert!(sent.status.success(), "{}", stderr(&sent));
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].to, ["essai@xn--bcher-kva.example"]);

    for bad in [
        "pas une adresse",
        "x@[127.0.0.1]",
        "\"x@exemple.fr\"@exemple.fr",
    ] {
        let refused = run(dir.path(), &["mail", "test", "--to", bad]);
        assert!(!refused.status.success());
        let err = stderr(&refused);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("is not an email address"), "{err}");
    }

    // Nothing listening: the failure says so, in one line.
    let down = eventail(dir.path(), &["mail", "test", "--to", "essai@exemple.fr"])
        .env(
            "EVENTAIL_MAIL_SMTP_URL",
            format!("smtp://127.0.0.1:{}", free_port()),
        )
        .output()
        .unwrap();
    assert!(!down.status.success());
    assert!(stderr(&down).contains("did not leave"), "{}", stderr(&down));
}

/// `eventail dispatch --once` for cron: one pass, a summary line.
#[test]
fn dispatch_once_reports_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["dispatch", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "sent 0, to retry 0, failed 0, dropped 0"
    );
    let out = run(dir.path(), &["dispatch"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--once"), "{}", stderr(&out));
}

/// How many `.md` files `dir` holds, in every sub-folder.
fn markdown_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("fixture folder")
        .map(|entry| entry.expect("fixture entry").path())
        .map(|path| {
            if path.is_dir() {
                markdown_files(&path)
            } else {
                usize::from(path.extension().is_some_and(|e| e == "md"))
            }
        })
        .sum()
}

#[test]
fn import_reports_per_file_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let fixtures = fixtures.to_str().unwrap();

    let dry = run(
        dir.path(),
        &["import", "--dry-run", "--format", "json", fixtures],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        !dir.path().join("data").exists(),
        "a dry run does not even create the database"
    );
    let report: serde_json::Value = serde_json::from_slice(&dry.stdout).expect("JSON report");
    let files = report["files"].as_array().expect("files");
    // One report per Markdown file under the folder, each read on its own.
    assert_eq!(files.len(), markdown_files(Path::new(fixtures)));
    let sobriete = files
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with("webinaire-sobriete-donnees.md")
        })
        .expect("the webinar");
    assert_eq!(sobriete["outcome"], "webinar");
    assert_eq!(sobriete["reason"], serde_json::Value::Null);
    assert_eq!(sobriete["warnings"], serde_json::json!([]));
    assert_eq!(sobriete["event"]["starts_at"], "2023-03-09T14:00:00+01:00");
    assert!(sobriete["event"].get("id").is_none());
    let broken = files
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with("front-matter.md")
        })
        .expect("the broken file");
    assert_eq!(broken["outcome"], "skipped");
    assert!(broken["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("YAML"));

    let real = run(dir.path(), &["import", fixtures]);
    assert!(real.status.success(), "{}", stderr(&real));
    let table = stdout(&real);
    assert!(table.contains("(created)"), "{table}");
    assert!(
        table.contains("23 files: 3 webinars, 6 events, 4 videos, 10 skipped; 4 warnings."),
        "{table}"
    );
    // The warnings by kind, before the totals.
    assert!(
        table.contains("Warnings by kind:\n     2  an in-person session without a place\n"),
        "{table}"
    );
    let again = run(dir.path(), &["import", fixtures]);
    let table = stdout(&again);
    assert!(
        table.contains("(unchanged)") && !table.contains("(created)"),
        "{table}"
    );
    let listed = run(dir.path(), &["event", "list"]);
    assert_eq!(stdout(&listed).lines().count(), 13, "{}", stdout(&listed));
}

#[test]
fn user_accounts_are_created_listed_and_disabled_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "Camille@Example.org",
            "--name",
            "Camille Martin",
            "--role",
            "admin",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let out = stdout(&created);
    let link = out.lines().last().unwrap_or_default().trim().to_string();
    assert!(
        link.starts_with("http://127.0.0.1:8080/admin/mot-de-passe/") && link.len() > 60,
        "the last line is the password link: {out}"
    );

    let again = run(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "camille@example.org",
            "--name",
            "Autre",
            "--role",
            "organiser",
        ],
    );
    assert!(!again.status.success(), "one account per address");
    assert_eq!(
        stderr(&again).trim().lines().count(),
        1,
        "{}",
        stderr(&again)
    );

    let bad = run(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "pas-une-adresse",
            "--name",
            "",
            "--role",
            "chef",
        ],
    );
    assert!(!bad.status.success());
    let message = stderr(&bad);
    assert!(
        message.contains("email") && message.contains("name") && message.contains("role"),
        "{message}"
    );

    let second = run(
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "dominique@example.org",
            "--name",
            "Dominique",
        ],
    );
    assert!(second.status.success(), "{}", stderr(&second));
    let list = stdout(&run(dir.path(), &["user", "list"]));
    assert!(
        list.contains("camille@example.org") && list.contains("admin"),
        "{list}"
    );
    assert!(
        list.contains("dominique@example.org") && list.contains("organiser"),
        "{list}"
    );

    // Any spelling of the address names the account.
    let disabled = run(
        dir.path(),
        &["user", "disable", "--email", "\"Dominique\"@EXAMPLE.org"],
    );
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let list = stdout(&run(dir.path(), &["user", "list"]));
    let line = list
        .lines()
        .find(|l| l.contains("dominique@example.org"))
        .unwrap_or_default();
    assert!(line.contains("disabled"), "{list}");

    let unknown = run(
        dir.path(),
        &["user", "password-link", "--email", "personne@example.org"],
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no account has the address"),
        "{}",
        stderr(&unknown)
    );
    let relink = run(
        dir.path(),
        &["user", "password-link", "--email", "camille@example.org"],
    );
    assert!(relink.status.success(), "{}", stderr(&relink));
    let new_link = stdout(&relink)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(
        new_link.contains("/admin/mot-de-passe/") && new_link != link,
        "a fresh link"
    );
}
