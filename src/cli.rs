//! The `eventail` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::domain::{Event, EventKind, EventStatus};
use crate::startup::{open_store, shutdown_signal, Application};
use crate::store::{EventFilter, EventPageRequest, Order, StoreError};

#[derive(Debug, Parser)]
#[command(
    name = "eventail",
    version,
    about = "Schedules and publishes webinars and video episodes"
)]
pub struct Cli {
    /// Configuration file layered over the built-in defaults (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (migrates the database first).
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Check the configuration (file, environment) value by value, then that the database
    /// and the mail relay answer; exits 1 when something is wrong.
    CheckConfig {
        /// Check the values only: connect to nothing.
        #[arg(long)]
        offline: bool,
    },
    /// Ask a running service whether it is ready (`GET /readyz` on `http.bind`): exit 0 when
    /// it answers 200, 1 otherwise. For container health checks and scripts.
    Healthcheck {
        /// Another address than `http.bind`, e.g. http://127.0.0.1:8080/healthz.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Write a consistent copy of the SQLite database to a new file, while the service runs.
    Backup {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Copy everything this database holds (ids, slugs, calendar UIDs, mail history) into
    /// another, empty one: `--to postgres://…` to move from SQLite to PostgreSQL.
    MigrateData {
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Manage organiser API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the organiser console's accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Look at stored sessions.
    #[command(subcommand)]
    Event(EventCommand),
    /// Send the messages that are due (for cron, or with `mail.dispatch` off).
    Dispatch {
        /// One pass, then exit (the only mode for now; `serve` runs the continuous dispatcher).
        #[arg(long)]
        once: bool,
    },
    /// Mail delivery checks.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Write every public page, feed and .ics file under a folder, for any web server. Links
    /// are absolute under `http.base_url` (EVENTAIL_BASE_URL): set it to where the files will
    /// be served.
    Publish {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// `html`: the site as served; `eleventy`: Markdown posts with front matter for the
        /// team's Eleventy site.
        #[arg(long, value_enum, default_value_t = PublishFormat::Html)]
        format: PublishFormat,
    },
    /// Read the team's Eleventy Markdown posts (files, or folders read recursively) into the
    /// store. A file is keyed by its path inside the folder given: importing the same folder
    /// again updates its sessions instead of adding others.
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Read and report, write nothing (the database is not even opened).
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A readable report per file.
    Table,
    /// `{"files": [{"path", "outcome", "reason", "warnings", "event"}]}`.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PublishFormat {
    Html,
    Eleventy,
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one test message through the configured transport, now.
    Test {
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token; it is printed once, alone on the last line.
    Create {
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by name or id.
    Revoke { name_or_id: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints a one-time link where its owner sets the password.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// `admin` (manages accounts and API tokens, and everything else) or `organiser`.
        #[arg(long, default_value = "organiser")]
        role: String,
    },
    /// A new one-time link to set the password of an account (a forgotten password).
    PasswordLink {
        #[arg(long)]
        email: String,
    },
    /// List accounts.
    List,
    /// Disable an account: its sessions end at once and it can no longer log in.
    Disable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Sessions, in time order.
    List {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One session in full, by slug or id.
    Show { slug: String },
}

/// Runs the command; errors are printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    crate::telemetry::init(&settings.log.format);
    match cli.command {
        Command::Serve => {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(
                address = %app.local_addr()?,
                base_url = %settings.base_url(),
                backend = ?app.store().backend(),
                "eventail is serving"
            );
            app.run_until(shutdown_signal()).await
        }
        Command::Migrate => {
            open_store(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::CheckConfig { offline } => check_config(&settings, offline).await,
        Command::Healthcheck { url } => {
            let url = match url {
                Some(url) => url,
                None => {
                    let mut bind = settings.bind_addr()?;
                    if bind.ip().is_unspecified() {
                        // Bound to every address: ask on loopback.
                        bind.set_ip(match bind {
                            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                        });
                    }
                    format!("http://{bind}/readyz")
                }
            };
            let status = probe(&url).await?;
            if status != 200 {
                anyhow::bail!("{url} answered {status}");
            }
            println!("{url} answered 200");
            Ok(())
        }
        Command::Backup { out } => {
            let store = open_store(&settings).await?;
            let started = std::time::Instant::now();
            let bytes = store.backup_to(&out).await.map_err(readable)?;
            store.close().await;
            println!(
                "backup written to {} ({:.1} MiB) in {:.1?}",
                out.display(),
                bytes as f64 / 1_048_576.0,
                started.elapsed()
            );
            Ok(())
        }
        Command::MigrateData { to } => {
            if to == settings.database_url() {
                anyhow::bail!("--to names the database this configuration already uses");
            }
            let source = open_store(&settings).await?;
            let target = crate::store::Store::connect(&to, 2)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the target database: {e}"))?;
            target.migrate().await.map_err(readable)?;
            let started = std::time::Instant::now();
            let report = source.copy_into(&target).await.map_err(readable)?;
            source.close().await;
            target.close().await;
            for (table, rows) in &report.tables {
                println!("{rows:>9}  {table}");
            }
            println!(
                "copied in {:.1?}; point database.url (EVENTAIL_DATABASE_URL) at the new database",
                started.elapsed()
            );
            Ok(())
        }
        Command::Token(command) => token(&settings, command).await,
        Command::User(command) => user(&settings, command).await,
        Command::Event(command) => event(&settings, command).await,
        Command::Dispatch { once } => {
            if !once {
                anyhow::bail!(
                    "use `eventail dispatch --once` (from cron); `eventail serve` runs the continuous dispatcher"
                );
            }
            let store = open_store(&settings).await?;
            let templates = std::sync::Arc::new(load_templates(&settings)?);
            let dispatcher = crate::mailer::dispatcher(
                store.clone(),
                &settings,
                templates,
                &settings.base_url(),
            )?;
            let report = dispatcher.run_once().await.map_err(readable)?;
            println!(
                "sent {}, to retry {}, failed {}, dropped {}",
                report.sent, report.retried, report.failed, report.dropped
            );
            store.close().await;
            Ok(())
        }
        Command::Publish {
            out,
            format: PublishFormat::Eleventy,
        } => {
            let store = open_store(&settings).await?;
            let events = store.published_events().await?;
            let files = crate::publish::eleventy::export(&events, &out)?;
            println!("{files} Markdown files written under {}", out.display());
            store.close().await;
            Ok(())
        }
        Command::Publish {
            out,
            format: PublishFormat::Html,
        } => {
            if settings.http.base_url.trim().is_empty() {
                eprintln!(
                    "note: http.base_url is not set; links point to {} (set EVENTAIL_BASE_URL to the site's address)",
                    settings.base_url()
                );
            }
            let store = open_store(&settings).await?;
            let templates = std::sync::Arc::new(load_templates(&settings)?);
            let mut state = crate::http::AppState::new(store.clone(), settings.clone(), templates)?;
            state.subscribe_url = settings.export.subscribe_url()?;
            let started = std::time::Instant::now();
            let report = crate::http::export::static_site(state, &out).await?;
            println!(
                "{} files, {:.1} MiB, written under {} in {:.1?}",
                report.files,
                report.bytes as f64 / 1_048_576.0,
                out.display(),
                started.elapsed()
            );
            store.close().await;
            Ok(())
        }
        Command::Import {
            paths,
            dry_run,
            format,
        } => import(&settings, &paths, dry_run, format).await,
        Command::Mail(MailCommand::Test { to }) => {
            let templates = std::sync::Arc::new(load_templates(&settings)?);
            let composer = crate::mailer::composer(&settings, templates, &settings.base_url())?;
            let address = crate::domain::EmailAddress::parse(&to)
                .map_err(|m| anyhow::anyhow!("--to \u{201c}{to}\u{201d} {m}"))?;
            let message = composer.test_message(address.as_str())?;
            let transport = crate::mailer::Transport::from_settings(&settings.mail)?;
            transport
                .send(message.into())
                .await
                .map_err(|e| anyhow::anyhow!("the test message did not leave: {e}"))?;
            println!(
                "test message sent to {address} through {}",
                transport.describe()
            );
            Ok(())
        }
    }
}

async fn import(
    settings: &Settings,
    paths: &[PathBuf],
    dry_run: bool,
    format: ReportFormat,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    let (files, problems) = crate::importer::collect(paths);
    let store = match dry_run {
        true => None,
        false => Some(open_store(settings).await?),
    };
    let options = crate::importer::Options {
        timezone: settings.default_timezone()?,
        today: chrono::Utc::now().date_naive(),
    };
    let progress = if std::io::stderr().is_terminal() && files.len() > 1 {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut reports: Vec<crate::importer::FileReport> = problems
        .into_iter()
        .map(|(path, reason)| crate::importer::FileReport {
            path: path.display().to_string(),
            source: String::new(),
            outcome: "skipped".into(),
            reason: Some(reason),
            warnings: Vec::new(),
            action: None,
            event: None,
        })
        .collect();
    let base_url = settings.base_url();
    for file in &files {
        progress.set_message(file.source.clone());
        reports.push(crate::importer::import_file(store.as_ref(), file, &options, &base_url).await);
        progress.inc(1);
    }
    progress.finish_and_clear();
    if let Some(store) = store {
        store.close().await;
    }
    match format {
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "files": reports }))?
        ),
        ReportFormat::Table => print!("{}", crate::importer::table(&reports, dry_run)),
    }
    Ok(())
}

fn load_templates(settings: &Settings) -> anyhow::Result<crate::templates::Templates> {
    let dir = settings.templates.dir.trim();
    Ok(crate::templates::Templates::load(
        (!dir.is_empty()).then(|| std::path::Path::new(dir)),
    )?)
}

async fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match command {
        TokenCommand::Create { name } => {
            let issued = store.create_token(&name).await.map_err(readable)?;
            println!(
                "Token \u{201c}{}\u{201d} created. Keep it secret: it is shown only this once.",
                issued.info.name
            );
            println!("Use it as: Authorization: Bearer <token>");
            println!("{}", issued.secret.expose_secret());
        }
        TokenCommand::List => {
            let tokens = store.list_tokens().await?;
            if tokens.is_empty() {
                println!("no tokens; create one with `eventail token create --name NAME`");
            }
            for t in tokens {
                let state = match (t.revoked_at, t.last_used_at) {
                    (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
                    (None, Some(at)) => format!("last used {}", at.format("%Y-%m-%d %H:%M UTC")),
                    (None, None) => "never used".into(),
                };
                println!(
                    "{:<24} {}  created {}  {state}",
                    t.name,
                    t.id,
                    t.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        TokenCommand::Revoke { name_or_id } => {
            let info = store.revoke_token(&name_or_id).await.map_err(|e| match e {
                StoreError::NotFound => {
                    anyhow::anyhow!("no live token named or numbered \u{201c}{name_or_id}\u{201d}")
                }
                other => readable(other),
            })?;
            println!("token \u{201c}{}\u{201d} revoked", info.name);
        }
    }
    store.close().await;
    Ok(())
}

async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<()> {
    use crate::domain::account::NewAccount;
    let store = open_store(settings).await?;
    let policy = settings.console.policy();
    let link = |secret: &str| crate::http::admin::password_link(&settings.base_url(), secret);
    let hours = settings.console.password_link_hours;
    fn missing(email: &str) -> impl Fn(StoreError) -> anyhow::Error + '_ {
        move |e| match e {
            StoreError::NotFound => anyhow::anyhow!("no account has the address {email}"),
            other => readable(other),
        }
    }
    match command {
        UserCommand::Create { email, name, role } => {
            let new = NewAccount::parse(&email, &name, &role)
                .map_err(|errors| anyhow::anyhow!("{}", errors.join("; ")))?;
            let (account, secret) = store
                .create_account(&new, &policy)
                .await
                .map_err(readable)?;
            println!(
                "Account {} ({}) created. Send its owner this link to set a password; it works once, within {hours} hours:",
                account.email,
                account.role.as_str()
            );
            println!("{}", link(&secret));
        }
        UserCommand::PasswordLink { email } => {
            let (account, secret) = store
                .password_link(&email, &policy)
                .await
                .map_err(missing(&email))?;
            println!(
                "Link to set the password of {}; it works once, within {hours} hours:",
                account.email
            );
            println!("{}", link(&secret));
        }
        UserCommand::List => {
            let accounts = store.list_accounts().await?;
            if accounts.is_empty() {
                println!(
                    "no accounts; create one with `eventail user create --email … --name … --role admin`"
                );
            }
            for a in accounts {
                let state = match (a.disabled_at, a.has_password) {
                    (Some(at), _) => format!("disabled {}", at.format("%Y-%m-%d %H:%M UTC")),
                    (None, false) => "password not set yet".into(),
                    (None, true) => "active".into(),
                };
                println!(
                    "{:<32} {:<9} {:<24} {state}",
                    a.email,
                    a.role.as_str(),
                    a.name
                );
            }
        }
        UserCommand::Disable { email } => {
            let account = store
                .disable_account(&email)
                .await
                .map_err(missing(&email))?;
            println!(
                "account {} disabled; its sessions have ended",
                account.email
            );
        }
    }
    store.close().await;
    Ok(())
}

async fn event(settings: &Settings, command: EventCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match command {
        EventCommand::List {
            kind,
            status,
            limit,
        } => {
            let filter = EventFilter {
                kind: kind
                    .as_deref()
                    .map(EventKind::parse)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                statuses: status
                    .as_deref()
                    .map(EventStatus::parse)
                    .transpose()
                    .map_err(anyhow::Error::msg)?
                    .into_iter()
                    .collect(),
                ..Default::default()
            };
            let page = store
                .list_events(
                    &filter,
                    &EventPageRequest {
                        after: None,
                        limit: limit.clamp(1, 1000),
                        order: Order::Ascending,
                    },
                )
                .await?;
            if page.items.is_empty() {
                println!("no sessions");
            }
            for e in &page.items {
                println!(
                    "{:<25} {:<7} {:<9} {}  ({})",
                    when(e),
                    e.kind.as_str(),
                    e.status.as_str(),
                    e.title,
                    e.slug
                );
            }
            if page.next.is_some() {
                println!("… more sessions; raise --limit to see them");
            }
        }
        EventCommand::Show { slug } => {
            let e = store.get_event(&slug).await.map_err(|err| match err {
                StoreError::NotFound => {
                    anyhow::anyhow!("no session with slug or id \u{201c}{slug}\u{201d}")
                }
                other => other.into(),
            })?;
            print!("{}", describe(&e));
        }
    }
    store.close().await;
    Ok(())
}

fn when(e: &Event) -> String {
    match &e.schedule {
        Some(s) => s.render(e.timezone).0,
        None => e
            .published_on
            .map(|d| format!("(published {d})"))
            .unwrap_or_else(|| "(no date)".into()),
    }
}

fn describe(e: &Event) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        if !value.is_empty() {
            out.push_str(&format!("{label:<14}{value}\n"));
        }
    };
    line("Title", &e.title);
    line("Slug", &e.slug);
    line("Id", &e.id);
    line("Kind", e.kind.as_str());
    line("Status", e.status.as_str());
    line("Cancel reason", e.cancel_reason.as_deref().unwrap_or(""));
    if let Some(s) = &e.schedule {
        let (start, end) = s.render(e.timezone);
        line("Starts", &start);
        line("Ends", end.as_deref().unwrap_or(""));
    }
    line("Time zone", e.timezone.name());
    line("Location", e.location.as_deref().unwrap_or(""));
    if let Some(series) = &e.series {
        line("Series", &series.title);
    }
    line(
        "Episode",
        &e.episode.map(|n| n.to_string()).unwrap_or_default(),
    );
    for s in &e.speakers {
        let extra: Vec<&str> = [s.role.as_deref(), s.organisation.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let who = if extra.is_empty() {
            s.name.clone()
        } else {
            format!("{} ({})", s.name, extra.join(", "))
        };
        line("Speaker", &who);
    }
    line("Join", e.links.join.as_deref().unwrap_or(""));
    line(
        "Registration",
        e.links.registration.as_deref().unwrap_or(""),
    );
    line("Recording", e.links.recording.as_deref().unwrap_or(""));
    line("Video", e.links.video.as_deref().unwrap_or(""));
    for item in &e.programme {
        line("Programme", item);
    }
    line("Tags", &e.tags.join(", "));
    line("Sequence", &e.sequence.to_string());
    line("Updated", &e.updated_at.to_rfc3339());
    if let Some(summary) = &e.summary {
        out.push_str(&format!("\n{summary}\n"));
    }
    out
}

/// Store errors as a sentence for the terminal.
/// `eventail check-config`: every value that can be wrong, one line each, then the database
/// and the mail relay (unless `offline`).
async fn check_config(settings: &Settings, offline: bool) -> anyhow::Result<()> {
    let mut problems = 0;
    let mut line = |name: &str, result: Result<String, String>| match result {
        Ok(detail) => println!("ok       {name:<24} {detail}"),
        Err(detail) => {
            problems += 1;
            println!("PROBLEM  {name:<24} {detail}");
        }
    };
    let text = |e: &dyn std::fmt::Display| e.to_string();
    line(
        "http.bind",
        settings
            .bind_addr()
            .map(|a| a.to_string())
            .map_err(|e| text(&e)),
    );
    line("http.base_url", Ok(settings.base_url()));
    line(
        "events.default_timezone",
        settings
            .default_timezone()
            .map(|tz| tz.name().to_string())
            .map_err(|e| text(&e)),
    );
    line(
        "mail.from",
        settings
            .mail
            .from_mailbox()
            .map(|m| m.to_string())
            .map_err(|e| text(&e)),
    );
    line(
        "mail.reminders",
        settings
            .mail
            .default_reminders()
            .map(|r| format!("{} before each session", r.len()))
            .map_err(|e| text(&e)),
    );
    line(
        "content.base_url",
        settings
            .content
            .base()
            .map(|u| u.map_or_else(|| "(none)".into(), |u| u.to_string()))
            .map_err(|e| text(&e)),
    );
    line(
        "export.subscribe_url",
        settings
            .export
            .subscribe_url()
            .map(|u| u.map_or_else(|| "(none)".into(), |u| u.to_string()))
            .map_err(|e| text(&e)),
    );
    line(
        "templates",
        load_templates(settings)
            .map(|_| {
                let dir = settings.templates.dir.trim();
                if dir.is_empty() {
                    "built in".into()
                } else {
                    format!("{dir} over the built-in ones")
                }
            })
            .map_err(|e| text(&e)),
    );
    let transport = crate::mailer::Transport::from_settings(&settings.mail);
    line(
        "mail transport",
        transport
            .as_ref()
            .map(|t| t.describe())
            .map_err(|e| text(e)),
    );
    let database = redacted(settings.database_url());
    match crate::store::Backend::from_url(settings.database_url()) {
        Err(e) => line("database.url", Err(text(&e))),
        Ok(_) if offline => line("database.url", Ok(database)),
        Ok(_) => {
            let state = match crate::store::Store::connect(settings.database_url(), 1).await {
                Ok(store) => {
                    let state = store.schema_state().await;
                    store.close().await;
                    state.map_err(|e| text(&e))
                }
                Err(e) => Err(format!("cannot connect: {e}")),
            };
            line(
                "database",
                state.and_then(|(pending, unknown)| match (pending, unknown) {
                    (_, n) if n > 0 => Err(format!(
                        "{database}: {n} migrations this version does not know (a newer eventail \
                         wrote it; migrations only go forward)"
                    )),
                    (0, _) => Ok(format!("{database} (schema up to date)")),
                    (n, _) => Ok(format!(
                        "{database} ({n} migrations to run: serve or migrate runs them)"
                    )),
                }),
            );
        }
    }
    if let (Ok(transport), false) = (&transport, offline) {
        line(
            "mail relay",
            transport
                .check()
                .await
                .map(|_| "answers".to_string())
                .map_err(|e| format!("{}: {e}", transport.describe())),
        );
    }
    if problems > 0 {
        anyhow::bail!(
            "{problems} problem{} in the configuration",
            if problems == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// The status code of `GET url` (plain http only: the probe runs beside the service), within
/// five seconds.
async fn probe(url: &str) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    if parsed.scheme() != "http" {
        anyhow::bail!("{url}: the health check speaks plain http to the service itself");
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("{url}: no host"))?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let ask = async {
        let mut stream =
            tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: eventail-healthcheck\r\nConnection: close\r\n\r\n",
            &parsed[url::Position::BeforePath..]
        );
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&head[..n]).into_owned())
    };
    let head = tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .map_err(|_| anyhow::anyhow!("{url}: no answer within 5 s"))?
        .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("{url}: not an HTTP answer"))
}

/// A database URL without its password.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

fn readable(err: StoreError) -> anyhow::Error {
    match err {
        StoreError::Invalid(errors) => anyhow::anyhow!("{errors}"),
        StoreError::Conflict(m) => anyhow::anyhow!(m),
        other => anyhow::Error::new(other).context("database error"),
    }
}

pub fn parse() -> Cli {
    Cli::parse()
}

/// For `main`: print the whole cause chain, one line.
pub fn report(err: &anyhow::Error) -> String {
    format!("error: {err:#}")
}
