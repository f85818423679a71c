//! Organiser accounts of the console: roles, what a password must be, when a console session
//! has expired, when logins are throttled, and who a write is attributed to. Pure rules; the
//! store keeps accounts and sessions, `http::admin` hashes passwords and sets cookies.

use chrono::{DateTime, Duration, Utc};

use super::subscription::EmailAddress;

/// What an account may do. Admins manage accounts and API tokens; organisers everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Organiser,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Organiser => "organiser",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "organiser" | "organizer" => Some(Role::Organiser),
            _ => None,
        }
    }

    /// In French, for the console.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "administrateur·rice",
            Role::Organiser => "organisateur·rice",
        }
    }

    pub fn manages_accounts(self) -> bool {
        self == Role::Admin
    }
}

/// A new account as given to `eventail user create`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
}

impl NewAccount {
    /// Checks the three fields; the error is one readable sentence per field.
    pub fn parse(email: &str, name: &str, role: &str) -> Result<NewAccount, Vec<String>> {
        let mut errors = Vec::new();
        let email = EmailAddress::parse(email)
            .map_err(|e| errors.push(format!("email {e}")))
            .ok();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push("name must be between 1 and 100 characters".into());
        }
        let role = Role::parse(role);
        if role.is_none() {
            errors.push("role must be admin or organiser".into());
        }
        match (email, role) {
            (Some(email), Some(role)) if errors.is_empty() => Ok(NewAccount {
                email,
                name: name.to_string(),
                role,
            }),
            _ => Err(errors),
        }
    }
}

/// Shortest password accepted (ANSSI and NIST both favour length over composition rules).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest: Argon2 takes any length, but a megabyte password is an attack, not a password.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Whether `password` may be set for the account `email`; the error is French, for the form.
pub fn check_password(password: &str, confirmation: &str, email: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères (il en a {chars})."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "Le mot de passe ne peut dépasser {MAX_PASSWORD_CHARS} caractères."
        ));
    }
    let lowered = password.to_lowercase();
    let local = email.split('@').next().unwrap_or(email).to_lowercase();
    if lowered == email.to_lowercase() || (local.len() >= 4 && lowered.contains(&local)) {
        return Err("Le mot de passe ne doit pas reprendre l'adresse électronique.".into());
    }
    if password
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len()
        < 5
    {
        return Err("Le mot de passe répète trop peu de caractères différents.".into());
    }
    if password != confirmation {
        return Err("Les deux mots de passe saisis diffèrent.".into());
    }
    Ok(())
}

/// How long console sessions last and how hard logins are throttled (`[console]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsolePolicy {
    /// A session unused this long has ended.
    pub idle: Duration,
    /// A session this old has ended, used or not.
    pub lifetime: Duration,
    /// Failed logins counted over this window.
    pub window: Duration,
    /// Failures for one address within the window before logins to it are refused.
    pub per_account: u32,
    /// Failures from one client within the window before its logins are refused.
    pub per_client: u32,
    /// How long a password link stays valid.
    pub password_link: Duration,
}

impl Default for ConsolePolicy {
    fn default() -> Self {
        ConsolePolicy {
            idle: Duration::minutes(60),
            lifetime: Duration::hours(12),
            window: Duration::minutes(15),
            per_account: 5,
            per_client: 20,
            password_link: Duration::hours(72),
        }
    }
}

impl ConsolePolicy {
    /// Whether a session opened at `created` and last used at `last_seen` is still alive.
    pub fn session_alive(
        &self,
        created: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now - last_seen < self.idle && now - created < self.lifetime
    }

    /// Whether a login is refused before its password is even checked, given the failures
    /// counted within the window for its address and for its client. The answer is the same
    /// whether or not an account has that address: failures are counted per address typed.
    pub fn throttled(&self, account_failures: u32, client_failures: u32) -> bool {
        account_failures >= self.per_account || client_failures >= self.per_client
    }

    /// Failures counted from this instant on.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }
}

/// The throttling keys of a login attempt: the address typed, whether or not an account has
/// it, in the form the account is looked up by (`EmailAddress::lookup_form`, as
/// `Store::credentials` does), so every spelling that reaches one account counts against it;
/// and the client. Not the `+tag`-free mailbox: an account is one exact address, and
/// `jean+x@…` never logs in as `jean@…`.
pub fn throttle_keys(email: &str, client: &str) -> (String, String) {
    (
        format!("account:{}", EmailAddress::lookup_form(email)),
        format!("client:{client}"),
    )
}

/// Who made a write, as the history and the audit log name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Someone logged in to the console.
    Account { email: String, name: String },
    /// An API token, by its name.
    Token { name: String },
}

impl Actor {
    /// The stored form: `compte:adresse` or `jeton:nom`.
    pub fn label(&self) -> String {
        match self {
            Actor::Account { email, .. } => format!("compte:{email}"),
            Actor::Token { name } => format!("jeton:{name}"),
        }
    }

    /// How the console shows a stored label: the account's address, or « jeton nom ».
    pub fn describe(label: &str) -> String {
        match label.split_once(':') {
            Some(("compte", email)) => email.to_string(),
            Some(("jeton", name)) => format!("jeton API « {name} »"),
            _ if label.is_empty() => "système".into(),
            _ => label.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn new_accounts_are_checked_field_by_field() {
        let ok = NewAccount::parse(" Alice@Example.org ", "Alice", "organizer").unwrap();
        assert_eq!(ok.email.as_str(), "alice@example.org");
        assert_eq!(ok.role, Role::Organiser);
        let errors = NewAccount::parse("nope", "", "boss").unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[test]
    fn passwords_need_length_variety_and_not_the_address() {
        let email = "marie.dupont@example.org";
        assert!(check_password("court", "court", email).is_err());
        assert!(check_password("aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", email).is_err());
        assert!(check_password("marie.dupont2026!", "marie.dupont2026!", email).is_err());
        assert!(
            check_password("cheval agrafe pile", "cheval agrafe pilE", email)
                .unwrap_err()
                .contains("diffèrent")
        );
        assert!(check_password("cheval agrafe pile", "cheval agrafe pile", email).is_ok());
        assert!(check_password(&"é".repeat(300), &"é".repeat(300), email).is_err());
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let policy = ConsolePolicy::default();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 8, 8, 0, 0).unwrap();
        assert!(policy.session_alive(t0, t0, t0 + Duration::minutes(59)));
        assert!(!policy.session_alive(t0, t0, t0 + Duration::minutes(60)));
        let busy = t0 + Duration::hours(12);
        assert!(!policy.session_alive(t0, busy - Duration::minutes(1), busy));
    }

    #[test]
    fn throttling_counts_per_address_and_per_client() {
        let policy = ConsolePolicy::default();
        assert!(!policy.throttled(4, 19));
        assert!(policy.throttled(5, 0));
        assert!(policy.throttled(0, 20));
        let (account, client) = throttle_keys(" Bob@Example.ORG", "192.0.2.1");
        assert_eq!(account, "account:bob@example.org");
        assert_eq!(client, "client:192.0.2.1");
        // Every spelling that logs in to one account counts against it.
        for spelling in ["\"bob\"@example.org", "\"\\b\\o\\b\"@EXAMPLE.org"] {
            assert_eq!(throttle_keys(spelling, "x").0, account, "{spelling}");
        }
        let (unicode, _) = throttle_keys("bob@bücher.example", "x");
        assert_eq!(unicode, throttle_keys("BOB@xn--bcher-kva.example", "x").0);
        // What is no address at all is still counted, as typed.
        assert_eq!(
            throttle_keys(" Not An Address ", "x").0,
            "account:not an address"
        );
    }

    #[test]
    fn actors_are_stored_and_shown() {
        let actor = Actor::Account {
            email: "a@example.org".into(),
            name: "A".into(),
        };
        assert_eq!(actor.label(), "compte:a@example.org");
        assert_eq!(Actor::describe(&actor.label()), "a@example.org");
        let token = Actor::Token { name: "ci".into() };
        assert_eq!(Actor::describe(&token.label()), "jeton API « ci »");
        assert_eq!(Actor::describe(""), "système");
    }
}
