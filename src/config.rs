//! Layered configuration: built-in `config/default.toml` < `--config FILE` < environment.

use std::net::SocketAddr;
use std::path::Path;

use chrono_tz::Tz;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub events: EventSettings,
    pub calendar: CalendarSettings,
    pub mail: MailSettings,
    pub templates: TemplateSettings,
    pub content: ContentSettings,
    pub site: SiteSettings,
    pub export: ExportSettings,
    pub console: ConsoleSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// May carry a password: kept secret, never logged.
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub bind: String,
    pub base_url: String,
    pub max_body_bytes: usize,
    /// Seconds a client has to send a whole request head, from its connection's acceptance
    /// (or the first byte of a later request); past it the connection is closed.
    pub header_read_timeout_secs: u64,
    /// Seconds a kept-alive connection may wait for its next request before being closed.
    pub keep_alive_timeout_secs: u64,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: u32,
}

impl HttpSettings {
    pub fn connection_limits(&self) -> crate::server::ConnectionLimits {
        crate::server::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_secs),
            keep_alive_timeout: std::time::Duration::from_secs(self.keep_alive_timeout_secs),
            max_connections: self.max_connections,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    pub default_timezone: String,
    pub page_size: u32,
    pub max_page_size: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CalendarSettings {
    pub title: String,
    /// ISO 8601 duration, e.g. `PT1H`.
    pub refresh_interval: String,
    pub window_days: u32,
    pub organizer_name: String,
    pub organizer_email: String,
    pub max_age: u32,
    /// How long a timed session without an end is taken to last, in minutes: its DTEND in
    /// calendars (live sessions) and when pages take it to be over.
    pub default_duration_minutes: u32,
}

impl CalendarSettings {
    /// `default_duration_minutes` as a duration.
    pub fn default_duration(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.default_duration_minutes))
    }

    /// How long ended sessions stay in feeds.
    pub fn window(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.window_days))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    /// Whether `serve` runs the mail dispatcher.
    pub dispatch: bool,
    /// `Name <address>` or an address.
    pub from: String,
    /// May carry a password: kept secret, never logged. Empty: the file transport.
    pub smtp_url: SecretString,
    pub smtp_pool_size: u32,
    pub smtp_timeout_seconds: u64,
    pub outbox_dir: String,
    pub list_name: String,
    pub list_id: String,
    pub unsubscribe_mailto: String,
    pub message_id_domain: String,
    pub rate_per_second: f64,
    pub max_attempts: u32,
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
    pub lease_seconds: u64,
    /// A message the relay accepted is recorded as sent within this many milliseconds (or with
    /// the 49 after it; at most 100 wait at once): a process killed in between sends it again.
    pub mark_within_ms: u64,
    pub confirm_hours: u32,
    pub erase_after_days: u32,
    /// Absent from `config/default.toml`: the default is the domain's `DEFAULT_REMINDERS`.
    #[serde(default = "default_reminders")]
    pub reminders: Vec<String>,
    pub consent_wording_version: String,
    pub subscribe_limit_per_client: u32,
    pub subscribe_limit_per_address: u32,
    pub subscribe_limit_window_minutes: u32,
    /// `/readyz` answers 503 when a due message has waited longer than this (the dispatcher
    /// has fallen behind or stopped); 0 leaves the outbox out of readiness.
    pub ready_lag_seconds: u64,
}

fn default_reminders() -> Vec<String> {
    crate::domain::notices::DEFAULT_REMINDERS
        .iter()
        .map(|r| r.to_string())
        .collect()
}

impl MailSettings {
    /// The sender's mailbox.
    pub fn from_mailbox(&self) -> Result<lettre::message::Mailbox, ConfigError> {
        self.from.parse().map_err(|e| {
            ConfigError(format!(
                "mail.from \u{201c}{}\u{201d} is not a mailbox such as \"Agenda <agenda@example.org>\": {e}",
                self.from
            ))
        })
    }

    /// The domain of Message-IDs: `message_id_domain`, else the sender's.
    pub fn domain(&self) -> String {
        if !self.message_id_domain.trim().is_empty() {
            return self.message_id_domain.trim().to_string();
        }
        self.from_mailbox()
            .map(|m| m.email.domain().to_string())
            .unwrap_or_else(|_| "localhost".into())
    }

    pub fn default_reminders(&self) -> Result<Vec<chrono::Duration>, ConfigError> {
        self.reminders
            .iter()
            .map(|raw| {
                crate::domain::notices::parse_reminder(raw)
                    .map_err(|m| ConfigError(format!("mail.reminders \u{201c}{raw}\u{201d}: {m}")))
            })
            .collect()
    }

    pub fn smtp_url(&self) -> Option<&str> {
        let url = self.smtp_url.expose_secret().trim();
        (!url.is_empty()).then_some(url)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateSettings {
    /// A folder whose files replace the built-in templates of the same name. Empty: none.
    pub dir: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContentSettings {
    /// Base of links written as paths in session bodies and further-reading links.
    pub base_url: String,
}

impl ContentSettings {
    /// The base as a URL; `None` when empty.
    pub fn base(&self) -> Result<Option<url::Url>, ConfigError> {
        let raw = self.base_url.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match url::Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(u)),
            _ => Err(ConfigError(format!(
                "content.base_url \u{201c}{raw}\u{201d} is not an http(s) address such as https://ecoresponsable.numerique.gouv.fr"
            ))),
        }
    }
}

/// `[site]`: the DSFR header and footer's words and links, and the RGPD notice of forms; every
/// key is described in `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct SiteSettings {
    pub team_name: String,
    pub entity_lines: Vec<String>,
    pub marianne_font: bool,
    pub accessibility_status: crate::publish::site::AccessibilityStatus,
    pub accessibility_url: String,
    pub legal_notice_url: String,
    pub personal_data_url: String,
    /// Empty: `team_name`.
    pub privacy_controller: String,
    pub privacy_purpose: String,
    /// Empty: said from `mail.erase_after_days`.
    pub privacy_retention: String,
    pub privacy_rights: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExportSettings {
    /// The live service's subscription page, for the forms and links of a static export.
    pub subscribe_url: String,
}

impl ExportSettings {
    /// `None` when empty: exported pages then carry no subscription form or link.
    pub fn subscribe_url(&self) -> Result<Option<std::sync::Arc<str>>, ConfigError> {
        let raw = self.subscribe_url.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match url::Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(raw.into())),
            _ => Err(ConfigError(format!(
                "export.subscribe_url \u{201c}{raw}\u{201d} is not an http(s) address such as https://agenda.example.gouv.fr/abonnement"
            ))),
        }
    }
}

/// The organiser console (`/admin`): sessions and login throttling.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    pub session_idle_minutes: u32,
    pub session_max_hours: u32,
    pub login_window_minutes: u32,
    pub login_failures_per_account: u32,
    pub login_failures_per_client: u32,
    pub password_link_hours: u32,
}

impl ConsoleSettings {
    pub fn policy(&self) -> crate::domain::account::ConsolePolicy {
        use chrono::Duration;
        crate::domain::account::ConsolePolicy {
            idle: Duration::minutes(i64::from(self.session_idle_minutes)),
            lifetime: Duration::hours(i64::from(self.session_max_hours)),
            window: Duration::minutes(i64::from(self.login_window_minutes)),
            per_account: self.login_failures_per_account,
            per_client: self.login_failures_per_client,
            password_link: Duration::hours(i64::from(self.password_link_hours)),
        }
    }
}

/// Where `/metrics` is served: on the main address to requests bearing `token`, and/or on a
/// separate address `bind` (for a scraper on a private network) without one. Neither set:
/// not served.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    pub token: SecretString,
    pub bind: String,
}

impl MetricsSettings {
    pub fn token(&self) -> Option<&str> {
        let token = self.token.expose_secret().trim();
        (!token.is_empty()).then_some(token)
    }

    pub fn bind_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        let bind = self.bind.trim();
        if bind.is_empty() {
            return Ok(None);
        }
        bind.parse().map(Some).map_err(|_| {
            ConfigError(format!(
                "metrics.bind \u{201c}{bind}\u{201d} is not an address and port such as 127.0.0.1:9464"
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
}

/// Short environment names for the keys people set most.
const ALIASES: [(&str, &str); 5] = [
    ("EVENTAIL_DATABASE_URL", "database.url"),
    ("EVENTAIL_HTTP_BIND", "http.bind"),
    ("EVENTAIL_BASE_URL", "http.base_url"),
    ("EVENTAIL_MAIL_SMTP_URL", "mail.smtp_url"),
    ("EVENTAIL_MAIL_FROM", "mail.from"),
];

impl Settings {
    /// Reads the layers. `file`, when given, must exist.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::from_figment(Self::figment(file)?)
    }

    /// The built-in defaults alone: what tests start from.
    pub fn defaults() -> Figment {
        Figment::from(Toml::string(DEFAULTS))
    }

    pub fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut figment = Self::defaults();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        if std::env::var_os("EVENTAIL_DATABASE_URL").is_none() {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                figment = figment.merge(("database.url", url));
            }
        }
        figment = figment.merge(Env::prefixed("EVENTAIL_").split("__").filter(|key| {
            // Aliases are handled below; a single `_` is part of a key name.
            !ALIASES.iter().any(|(var, _)| {
                var.trim_start_matches("EVENTAIL_")
                    .eq_ignore_ascii_case(key.as_str())
            })
        }));
        for (var, key) in ALIASES {
            if let Ok(value) = std::env::var(var) {
                figment = figment.merge((key, value));
            }
        }
        Ok(figment)
    }

    pub fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError(format!("invalid configuration: {e}")))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        self.default_timezone()?;
        self.content.base()?;
        self.export.subscribe_url()?;
        if !self.http.base_url.is_empty() {
            let url = url::Url::parse(&self.http.base_url).map_err(|e| {
                ConfigError(format!(
                    "http.base_url \u{201c}{}\u{201d}: {e}",
                    self.http.base_url
                ))
            })?;
            if url.scheme() != "http" && url.scheme() != "https" {
                return Err(ConfigError(
                    "http.base_url must be an http or https URL".into(),
                ));
            }
        }
        for (key, value) in [
            (
                "http.header_read_timeout_secs",
                self.http.header_read_timeout_secs,
            ),
            (
                "http.keep_alive_timeout_secs",
                self.http.keep_alive_timeout_secs,
            ),
            ("http.max_connections", u64::from(self.http.max_connections)),
        ] {
            if value == 0 {
                return Err(ConfigError(format!(
                    "{key} must be above zero: 0 would close or refuse every connection"
                )));
            }
        }
        if self.events.page_size == 0 || self.events.page_size > self.events.max_page_size {
            return Err(ConfigError(
                "events.page_size must be between 1 and events.max_page_size".into(),
            ));
        }
        let refresh = iso8601::duration(&self.calendar.refresh_interval)
            .ok()
            .map(std::time::Duration::from)
            .filter(|d| !d.is_zero());
        if refresh.is_none() {
            return Err(ConfigError(format!(
                "calendar.refresh_interval \u{201c}{}\u{201d} is not a positive ISO 8601 duration such as PT1H",
                self.calendar.refresh_interval
            )));
        }
        let email = self.calendar.organizer_email.trim();
        if !email.is_empty() && (email.contains(char::is_whitespace) || !email.contains('@')) {
            return Err(ConfigError(format!(
                "calendar.organizer_email \u{201c}{email}\u{201d} is not an email address"
            )));
        }
        if self.calendar.default_duration_minutes == 0 {
            return Err(ConfigError(
                "calendar.default_duration_minutes must be above zero (120 is two hours)".into(),
            ));
        }
        if self.calendar.title.trim().is_empty() {
            return Err(ConfigError("calendar.title must not be empty".into()));
        }
        if self.site.team_name.trim().is_empty() {
            return Err(ConfigError("site.team_name must not be empty".into()));
        }
        for (key, value) in [
            ("site.accessibility_url", &self.site.accessibility_url),
            ("site.legal_notice_url", &self.site.legal_notice_url),
            ("site.personal_data_url", &self.site.personal_data_url),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!(
                    "{key} must not be empty: a French public site links to it from every page"
                )));
            }
        }
        self.mail.from_mailbox()?;
        self.mail.default_reminders()?;
        if let Some(url) = self.mail.smtp_url() {
            let scheme = url.split("://").next().unwrap_or_default();
            if !matches!(scheme, "smtp" | "smtps") || !url.contains("://") {
                return Err(ConfigError(
                    "mail.smtp_url must look like smtp://host:port (STARTTLS with ?tls=required) or smtps://host:port".into(),
                ));
            }
        }
        if !(self.mail.rate_per_second > 0.0 && self.mail.rate_per_second.is_finite()) {
            return Err(ConfigError(
                "mail.rate_per_second must be above zero".into(),
            ));
        }
        if self.mail.max_attempts == 0
            || self.mail.lease_seconds == 0
            || self.mail.confirm_hours == 0
        {
            return Err(ConfigError(
                "mail.max_attempts, mail.lease_seconds and mail.confirm_hours must be above zero"
                    .into(),
            ));
        }
        if self.mail.retry_base_seconds == 0
            || self.mail.retry_max_seconds < self.mail.retry_base_seconds
        {
            return Err(ConfigError(
                "mail.retry_base_seconds must be above zero and at most mail.retry_max_seconds"
                    .into(),
            ));
        }
        let c = &self.console;
        if [
            c.session_idle_minutes,
            c.session_max_hours,
            c.login_window_minutes,
            c.login_failures_per_account,
            c.login_failures_per_client,
            c.password_link_hours,
        ]
        .contains(&0)
        {
            return Err(ConfigError(
                "every console.* setting must be above zero".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "pretty" | "json") {
            return Err(ConfigError(
                "log.format must be \"pretty\" or \"json\"".into(),
            ));
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.http.bind.parse().map_err(|_| {
            ConfigError(format!(
                "http.bind \u{201c}{}\u{201d} is not an address and port such as 127.0.0.1:8080",
                self.http.bind
            ))
        })
    }

    pub fn default_timezone(&self) -> Result<Tz, ConfigError> {
        crate::domain::time::parse_timezone(&self.events.default_timezone)
            .map_err(|m| ConfigError(format!("events.default_timezone: {m}")))
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        if self.http.base_url.is_empty() {
            format!("http://{}", self.http.bind)
        } else {
            self.http.base_url.trim_end_matches('/').to_string()
        }
    }

    pub fn database_url(&self) -> &str {
        self.database.url.expose_secret()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_are_valid() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULTS))).unwrap();
        assert_eq!(settings.http.bind, "127.0.0.1:8080");
        assert_eq!(settings.base_url(), "http://127.0.0.1:8080");
        assert_eq!(settings.database_url(), "sqlite://data/eventail.db");
        assert_eq!(
            settings.default_timezone().unwrap(),
            chrono_tz::Europe::Paris
        );
    }

    #[test]
    fn default_reminders_are_the_domain_s_and_can_be_replaced() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULTS))).unwrap();
        assert_eq!(
            settings.mail.default_reminders().unwrap(),
            crate::domain::MailPolicy::default().default_reminders
        );
        let figment = Figment::from(Toml::string(DEFAULTS)).merge(("mail.reminders", ["PT2H"]));
        let settings = Settings::from_figment(figment).unwrap();
        assert_eq!(
            settings.mail.default_reminders().unwrap(),
            [chrono::Duration::hours(2)]
        );
    }

    #[test]
    fn bad_values_are_named() {
        let figment = Figment::from(Toml::string(DEFAULTS))
            .merge(("http.bind", "localhost"))
            .merge(("events.default_timezone", "Paris"));
        let err = Settings::from_figment(figment).unwrap_err().to_string();
        assert!(err.contains("http.bind"), "{err}");
    }

    #[test]
    fn sessions_without_an_end_last_two_hours_unless_configured() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULTS))).unwrap();
        assert_eq!(
            settings.calendar.default_duration(),
            chrono::Duration::hours(2)
        );
        let figment =
            Figment::from(Toml::string(DEFAULTS)).merge(("calendar.default_duration_minutes", 90));
        let settings = Settings::from_figment(figment).unwrap();
        assert_eq!(
            settings.calendar.default_duration(),
            chrono::Duration::minutes(90)
        );
        let figment =
            Figment::from(Toml::string(DEFAULTS)).merge(("calendar.default_duration_minutes", 0));
        let err = Settings::from_figment(figment).unwrap_err().to_string();
        assert!(err.contains("calendar.default_duration_minutes"), "{err}");
    }

    #[test]
    fn the_accessibility_status_is_one_of_the_three_the_law_names() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULTS))).unwrap();
        assert_eq!(settings.site.accessibility_status.as_str(), "non conforme");
        let figment = Figment::from(Toml::string(DEFAULTS))
            .merge(("site.accessibility_status", "partiellement conforme"));
        let settings = Settings::from_figment(figment).unwrap();
        assert_eq!(
            settings.site.accessibility_status.as_str(),
            "partiellement conforme"
        );
        let figment = Figment::from(Toml::string(DEFAULTS))
            .merge(("site.accessibility_status", "conforme à 80 %"));
        let err = Settings::from_figment(figment).unwrap_err().to_string();
        assert!(err.contains("accessibility_status"), "{err}");
    }

    #[test]
    fn connection_limits_are_read_and_zero_is_refused() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULTS))).unwrap();
        let limits = settings.http.connection_limits();
        assert_eq!(
            limits.header_read_timeout,
            std::time::Duration::from_secs(10)
        );
        assert_eq!(
            limits.keep_alive_timeout,
            std::time::Duration::from_secs(75)
        );
        assert_eq!(limits.max_connections, 512);
        for key in [
            "http.header_read_timeout_secs",
            "http.keep_alive_timeout_secs",
            "http.max_connections",
        ] {
            let figment = Figment::from(Toml::string(DEFAULTS)).merge((key, 0));
            let err = Settings::from_figment(figment).unwrap_err().to_string();
            assert!(err.contains(key) && err.contains("above zero"), "{err}");
        }
    }

    #[test]
    fn later_layers_win() {
        let figment = Figment::from(Toml::string(DEFAULTS))
            .merge(("http.base_url", "https://agenda.example.fr/"));
        let settings = Settings::from_figment(figment).unwrap();
        assert_eq!(settings.base_url(), "https://agenda.example.fr");
    }
}
