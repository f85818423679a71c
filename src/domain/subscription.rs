//! Who receives mail: an address that is always valid and normalised, what a subscription
//! covers and where it stands.

use serde::Serialize;

/// An email address as the store keeps it: checked (what the SMTP side will accept) and
/// lower-cased, so one person does not count as two. The only way to make one from outside
/// the store is `parse`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims, checks the shape and lower-cases the address (mail systems treat local parts
    /// without regard to case). The error is a message fit for a form or the CLI.
    pub fn parse(raw: &str) -> Result<EmailAddress, String> {
        // Lower-cased before the checks, so what is kept is what passed them: lower case can be
        // longer (« Ⱥ », 2 octets, gives « ⱥ », 3) or refused by lettre (« İ » gives « i » and
        // a combining dot).
        let email = raw.trim().to_lowercase();
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("is not an email address (name@example.org)".into());
        };
        let valid = !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
            && email.parse::<lettre::Address>().is_ok();
        if !valid {
            return Err("is not an email address (name@example.org)".into());
        }
        Ok(EmailAddress(email))
    }

    /// An address the store wrote: it was parsed before it was stored, and is not checked
    /// again (a row must stay readable whatever later versions of `parse` accept).
    pub(crate) fn from_stored(address: String) -> EmailAddress {
        EmailAddress(address)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl utoipa::PartialSchema for EmailAddress {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}

impl utoipa::ToSchema for EmailAddress {}

/// What a subscription covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// A series, by slug.
    Series(String),
    /// A session, by slug ("remind me").
    Event(String),
}

impl Scope {
    /// `all`, `series` or `event`.
    pub fn kind_str(&self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Series(_) => "series",
            Scope::Event(_) => "event",
        }
    }

    /// The series' or session's slug.
    pub fn target(&self) -> Option<&str> {
        match self {
            Scope::All => None,
            Scope::Series(slug) | Scope::Event(slug) => Some(slug),
        }
    }

    /// From its kind and target, as stored; `None` when they do not make a scope.
    pub fn from_parts(kind: &str, target: Option<String>) -> Option<Scope> {
        match (kind, target) {
            ("all", _) => Some(Scope::All),
            ("series", Some(slug)) => Some(Scope::Series(slug)),
            ("event", Some(slug)) => Some(Scope::Event(slug)),
            _ => None,
        }
    }
}

/// Written as two keys, `scope` (its kind) and `target` (the slug, or null), where it is
/// flattened into a subscription's JSON.
impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("scope", self.kind_str())?;
        map.serialize_entry("target", &self.target())?;
        map.end()
    }
}

impl utoipa::PartialSchema for Scope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .property(
                "scope",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["all", "series", "event"]))
                    .description(Some("`all`, `series` or `event`.")),
            )
            .required("scope")
            .property(
                "target",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        Type::String,
                        Type::Null,
                    ]))
                    .description(Some("The series' or session's slug, for those scopes.")),
            )
            .required("target")
            .into()
    }
}

impl utoipa::ToSchema for Scope {}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    /// Waiting for its address to be confirmed: only the confirmation message goes.
    Pending,
    Active,
    Unsubscribed,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 3] = [
        SubscriptionStatus::Pending,
        SubscriptionStatus::Active,
        SubscriptionStatus::Unsubscribed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// What a POST to an unsubscribe link asked for. The link names one subscription, the list the
/// message came from: RFC 8058's one-click (and any POST that makes no choice) leaves that list
/// only, as the person may want the other lists they are on; the page's second button leaves
/// every list of the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeChoice {
    /// A mail client's one-click button (`List-Unsubscribe=One-Click`) or a POST without a
    /// choice: the list the message came from.
    OneClick,
    /// The page's « Me désabonner de cette liste »: the list the message came from.
    ThisList,
    /// The page's « Me désabonner de tout »: every list of the address.
    Everything,
}

impl UnsubscribeChoice {
    /// The source the consent log records for the withdrawal.
    pub fn as_str(self) -> &'static str {
        match self {
            UnsubscribeChoice::OneClick => "one-click",
            UnsubscribeChoice::ThisList => "page-list",
            UnsubscribeChoice::Everything => "page-everything",
        }
    }

    /// Whether it leaves every list of the address, not only the one the link names.
    pub fn leaves_everything(self) -> bool {
        self == UnsubscribeChoice::Everything
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_their_domain_lower_cased() {
        assert_eq!(
            EmailAddress::parse("  Camille.Martin@Exemple.GOUV.fr ")
                .unwrap()
                .as_str(),
            "camille.martin@exemple.gouv.fr"
        );
        for bad in [
            "",
            "camille",
            "camille@",
            "@exemple.fr",
            "camille@localhost",
            "a b@exemple.fr",
            "a@exemple.fr, b@exemple.fr",
            "<a@exemple.fr>",
            "a@exemple.fr\r\nBcc: x@y.fr",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Found by fuzzing (fuzz/, `email_address`): addresses whose lower case is longer or
    /// holds what lettre refuses were accepted, then stored in a form that no longer parsed.
    #[test]
    fn an_accepted_address_parses_again_to_itself() {
        let growing = format!("{}@exemple.fr", "\u{23a}".repeat(32));
        for raw in [
            "\u{130}@exemple.fr",
            growing.as_str(),
            "\u{212a}elvin@exemple.fr",
            "ΟΔΟΣ@exemple.gr",
            "Élodie@Exemple.FR",
        ] {
            if let Ok(address) = EmailAddress::parse(raw) {
                assert_eq!(EmailAddress::parse(address.as_str()), Ok(address.clone()));
                assert!(
                    address.as_str().parse::<lettre::Address>().is_ok(),
                    "{raw:?}"
                );
            }
        }
        // « İ » lower-cases to « i » and a combining dot, which lettre refuses; 32 « Ⱥ » are
        // 64 octets, but 96 once lower-cased.
        assert!(EmailAddress::parse("\u{130}@exemple.fr").is_err());
        assert!(EmailAddress::parse(&growing).is_err());
        assert_eq!(
            EmailAddress::parse("Élodie@Exemple.FR").unwrap().as_str(),
            "élodie@exemple.fr"
        );
    }

    #[test]
    fn scopes_serialise_as_scope_and_target() {
        let json = serde_json::to_value(Scope::Series("numerique".into())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"scope": "series", "target": "numerique"})
        );
        let json = serde_json::to_value(Scope::All).unwrap();
        assert_eq!(json, serde_json::json!({"scope": "all", "target": null}));
        assert_eq!(
            Scope::from_parts("event", Some("x".into())),
            Some(Scope::Event("x".into()))
        );
        assert_eq!(Scope::from_parts("series", None), None);
    }

    #[test]
    fn only_the_everything_choice_leaves_every_list() {
        let table = [
            (UnsubscribeChoice::OneClick, "one-click", false),
            (UnsubscribeChoice::ThisList, "page-list", false),
            (UnsubscribeChoice::Everything, "page-everything", true),
        ];
        for (choice, source, everything) in table {
            assert_eq!(choice.as_str(), source, "{choice:?}");
            assert_eq!(choice.leaves_everything(), everything, "{choice:?}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for status in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }
}
