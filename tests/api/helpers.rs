//! Starts the real application on 127.0.0.1:0 against a fresh database: a new SQLite file, or
//! a new PostgreSQL database on the machine's server (`DATABASE_URL`, default
//! postgres://postgres@127.0.0.1:5432/postgres).

use eventail::config::Settings;
use eventail::startup::{open_store, Application};
use eventail::store::Store;
use secrecy::ExposeSecret;
use serde_json::Value;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs one async test body against each backend: SQLite always, PostgreSQL when not ignored.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL"]
            async fn postgres() {
                super::$name($crate::helpers::Db::Postgres).await
            }
        }
    )*};
}

pub fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database: its URL, and what to drop afterwards.
pub struct FreshDb {
    pub url: String,
    /// Holds the SQLite file, and on both backends the mail folder of the file transport.
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl FreshDb {
    /// Where the file transport writes messages.
    pub fn outbox(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
    }
}

impl FreshDb {
    pub async fn new(db: Db) -> FreshDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("data/eventail.db").display());
                FreshDb {
                    url,
                    dir,
                    pg_name: None,
                }
            }
            Db::Postgres => {
                let admin = admin_url();
                let name = format!("eventail_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is unreachable: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                FreshDb {
                    url: format!("{base}/{name}"),
                    dir: tempfile::tempdir().expect("temporary directory"),
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async code; a small thread with its own runtime does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Subscribes `email` to everything, consenting now, straight through the store (no
/// confirmation mail): the subscriber that mail tests start from.
pub async fn subscribe_to_all(store: &Store, email: &str) -> eventail::store::Subscription {
    store
        .add_subscription(
            &eventail::store::NewSubscription {
                email: eventail::domain::EmailAddress::parse(email).expect("an address"),
                scope: eventail::domain::Scope::All,
                source: "test".into(),
                wording_version: "v1".into(),
                request_ip: None,
            },
            chrono::Utc::now(),
        )
        .await
        .expect("subscriber")
}

pub fn settings_for(url: &str) -> Settings {
    let figment = Settings::defaults()
        .merge(("database.url", url))
        .merge(("database.max_connections", 4))
        .merge(("http.bind", "127.0.0.1:0"));
    Settings::from_figment(figment).expect("test settings")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub token: String,
    pub store: Store,
    pub _db: FreshDb,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    let fresh = FreshDb::new(db).await;
    spawn_app_on(fresh).await
}

pub async fn spawn_app_on(fresh: FreshDb) -> TestApp {
    spawn_app_with(fresh, |figment| figment).await
}

/// A server on `fresh` with settings adjusted by `adjust` (given the test defaults).
pub async fn spawn_app_with(
    fresh: FreshDb,
    adjust: impl FnOnce(figment::Figment) -> figment::Figment,
) -> TestApp {
    let (address, store, server) = serve(&fresh.url, &fresh.outbox(), adjust).await;
    let token = store.create_token("tests").await.expect("token");
    TestApp {
        address,
        client: reqwest::Client::new(),
        token: token.secret.expose_secret().to_string(),
        store,
        _db: fresh,
        server,
    }
}

async fn serve(
    url: &str,
    outbox: &std::path::Path,
    adjust: impl FnOnce(figment::Figment) -> figment::Figment,
) -> (String, Store, tokio::task::JoinHandle<()>) {
    let figment = adjust(
        Settings::defaults()
            .merge(("database.url", url))
            .merge(("database.max_connections", 4))
            .merge(("http.bind", "127.0.0.1:0"))
            .merge(("mail.outbox_dir", outbox.display().to_string()))
            .merge(("mail.from", "Mission numérique <agenda@agenda.example.org>"))
            .merge(("mail.rate_per_second", 1000.0))
            .merge(("mail.retry_base_seconds", 1))
            .merge(("mail.retry_max_seconds", 2)),
    );
    let settings = Settings::from_figment(figment).expect("test settings");
    let store = open_store(&settings).await.expect("store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app = Application::with_listener(settings, store.clone(), listener).expect("app");
    let address = format!("http://{}", app.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        let _ = app.run_until(std::future::pending()).await;
    });
    (address, store, server)
}

/// A second server on the same database, as another instance would be.
pub struct Peer {
    pub address: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn spawn_peer(&self) -> Peer {
        self.spawn_peer_with(|f| f).await
    }

    /// Another instance, with settings adjusted by `adjust`.
    pub async fn spawn_peer_with(
        &self,
        adjust: impl FnOnce(figment::Figment) -> figment::Figment,
    ) -> Peer {
        // Instances behind one public address share its base URL.
        let base = self.address.clone();
        let (address, _store, server) = serve(&self._db.url, &self._db.outbox(), |f| {
            adjust(f.merge(("http.base_url", base)))
        })
        .await;
        Peer { address, server }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .patch(self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// Creates a session and returns its document.
    pub async fn create_event(&self, body: Value) -> Value {
        let (status, doc) = self.post("/api/v1/events", &body).await;
        assert_eq!(status, 201, "create failed: {doc}");
        doc
    }

    pub async fn event_count(&self) -> i64 {
        self.store.count_events().await.expect("count")
    }
}

/// Status and JSON body (Null when empty); problem documents are checked for their shape.
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    if status >= 400 {
        assert_eq!(content_type, "application/problem+json", "{status}: {body}");
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    (status, body)
}

/// The `field` names of a problem's errors.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A webinar with every field set.
pub fn full_webinar() -> Value {
    serde_json::json!({
        "kind": "webinar",
        "status": "scheduled",
        "title": "Webinaire : écoconcevoir un service « sobre » en 2026",
        "summary": "Une heure pour découvrir le référentiel, avec des exemples.",
        "body": "## Programme\n\nDes démonstrations, puis vos questions.",
        "timezone": "Europe/Paris",
        "starts_at": "2037-12-09T09:00",
        "ends_at": "2037-12-09T10:00",
        "published_on": "2026-11-20",
        "location": null,
        "series": {"slug": "les-mercredis-sobres", "title": "Les mercredis sobres"},
        "episode": 4,
        "speakers": [
            {"name": "Camille Martin", "role": "cheffe de projet", "organisation": "Mission numérique"},
            {"name": "Léo Durand", "role": null, "organisation": "Ministère de l'exemple"}
        ],
        "links": {
            "join": "https://visio.example.org/salle/sobre",
            "registration": "https://formulaires.example.org/inscription",
            "recording": null,
            "video": null,
            "more": [{"title": "Le référentiel", "url": "https://example.org/referentiel"}]
        },
        "programme": ["Accueil", "Démonstration", "Questions"],
        "tags": ["écoconception", "webinaire"],
        "registration_required": true,
        "capacity": 300,
        "recording_planned": true
    })
}
