//! Who receives mail: an address that is always valid and normalised, what a subscription
//! covers and where it stands.

use serde::Serialize;

/// An email address as the store keeps it: canonical, so that one mailbox has one spelling,
/// and something the mailer can compose a message to and send (its domain in ASCII, so that
/// only a local part with accents needs a relay offering SMTPUTF8). The only way to make one
/// from outside the store is `parse`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

/// Messages for a form's field, the API's problem and the CLI (`email …`, `--to “…” …`); the
/// console reads them in French through `errors::in_french`.
const NOT_AN_ADDRESS: &str = "is not an email address (name@example.org)";
const NOT_A_DOMAIN_NAME: &str =
    "is not an email address mail can be sent to: give a domain name after @, not an IP address";
const NEEDS_QUOTES: &str = "is not an email address mail can be sent to: the part before @ \
    would need quotes (it holds spaces, @, quotes or backslashes)";
const TOO_LONG: &str =
    "is too long for an email address (at most 64 characters before @ and 254 in all)";

/// RFC 5321's limits, on the canonical form: 64 octets of local part, a path of 256 octets
/// less its angle brackets.
const MAX_LOCAL: usize = 64;
const MAX_ADDRESS: usize = 254;
/// What is read at all: quoted pairs and a Unicode domain make a typed address longer than its
/// canonical form, not four times longer.
const MAX_TYPED: usize = 1024;

impl EmailAddress {
    /// Reads an address as a form, the API or the CLI got it, into its canonical form:
    ///
    /// - surrounding white space trimmed;
    /// - a quoted local part unquoted (quoted pairs too) when what it holds is a plain
    ///   dot-atom: `"jean"@x` and `"\j\ean"@x` are `jean@x`. One that would still need quotes
    ///   (spaces, `@`, quotes, backslashes) is refused: relays and mailbox providers commonly
    ///   refuse them, and they are a way of spelling one mailbox many times;
    /// - the local part lower-cased (mail systems ignore its case) and, when it is not ASCII
    ///   (`léa@…`, RFC 6531), in Unicode's composed form (NFC), so that an accent typed as a
    ///   combining mark is the same address. Such an address needs a relay offering SMTPUTF8,
    ///   which lettre asks for; one that does not refuses that message alone;
    /// - the domain a host name, through IDNA (UTS 46: case, Unicode normalisation, full-width
    ///   dots) to its ASCII form, punycode for its non-ASCII labels: `bücher.example` and
    ///   `xn--bcher-kva.example` are one domain, and the ASCII form is what SMTP without
    ///   SMTPUTF8 carries (lettre refuses to send a non-ASCII envelope to a relay that does not
    ///   offer it). Domain literals (`[127.0.0.1]`) and bare IP addresses are refused;
    /// - what lettre's `Address` or the composer's `Mailbox` would refuse is refused here,
    ///   rather than accepted now and failing to compose later.
    ///
    /// The error is a message fit for a form's field or the CLI.
    pub fn parse(raw: &str) -> Result<EmailAddress, String> {
        let typed = raw.trim();
        if typed.len() > MAX_TYPED {
            return Err(TOO_LONG.into());
        }
        if typed.chars().any(char::is_control) {
            return Err(NOT_AN_ADDRESS.into());
        }
        let Some((local, domain)) = typed.rsplit_once('@') else {
            return Err(NOT_AN_ADDRESS.into());
        };
        let local = local_part(local)?;
        let domain = domain_name(domain)?;
        let address = format!("{local}@{domain}");
        if local.len() > MAX_LOCAL || address.len() > MAX_ADDRESS {
            return Err(TOO_LONG.into());
        }
        // The mailer parses the stored address as a mailbox (`Composer::assemble`).
        if address.parse::<lettre::Address>().is_err()
            || address.parse::<lettre::message::Mailbox>().is_err()
        {
            return Err(NOT_AN_ADDRESS.into());
        }
        Ok(EmailAddress(address))
    }

    /// An address the store wrote: it was parsed before it was stored, and is not checked
    /// again (a row must stay readable whatever later versions of `parse` accept).
    pub(crate) fn from_stored(address: String) -> EmailAddress {
        EmailAddress(address)
    }

    /// How a typed address is looked up or counted where it need not be valid (a login): its
    /// canonical form when it is an address, else trimmed and lower-cased.
    pub fn lookup_form(typed: &str) -> String {
        EmailAddress::parse(typed)
            .map(|address| address.0)
            .unwrap_or_else(|_| typed.trim().to_lowercase())
    }

    /// The mailbox the address reaches, for counting requests per person: the address without
    /// its `+tag` (`jean+lettre@x` reaches `jean@x` at most providers, and anyone can make up
    /// tags). A key, not an address to send to: the stored address keeps its tag, which people
    /// filter their mail on. Nothing else provider-specific (Gmail's dots) is folded: it would
    /// merge distinct mailboxes elsewhere.
    pub fn mailbox_key(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let mailbox = match local.split_once('+') {
            Some((base, _)) if !base.is_empty() => base,
            _ => local,
        };
        format!("{mailbox}@{domain}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The local part as a lower-cased dot-atom in NFC: a quoted one unquoted when it needs no
/// quotes.
fn local_part(typed: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let quoted = typed
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'));
    let local = match quoted {
        Some(inside) => unquote(inside).ok_or(NEEDS_QUOTES)?,
        None => typed.to_string(),
    };
    if local.is_empty() {
        return Err(NOT_AN_ADDRESS.into());
    }
    let local: String = local.to_lowercase().nfc().collect();
    if !is_dot_atom(&local) {
        return Err(if quoted.is_some() {
            NEEDS_QUOTES
        } else {
            NOT_AN_ADDRESS
        }
        .into());
    }
    Ok(local)
}

/// What a quoted string holds, quoted pairs (`\x`) resolved; `None` when it is not one (a lone
/// quote or a trailing backslash inside).
fn unquote(inside: &str) -> Option<String> {
    let mut out = String::with_capacity(inside.len());
    let mut chars = inside.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// RFC 5322's dot-atom: atoms of `atext` separated by single dots, where RFC 6532's non-ASCII
/// characters are letters and digits (what lettre accepts of them).
fn is_dot_atom(local: &str) -> bool {
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    local
        .split('.')
        .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// The domain as a host name in its ASCII form (UTS 46 ToASCII: mapped, normalised, punycode,
/// letters digits and hyphens only, DNS lengths), with at least two labels and not an IP
/// address.
fn domain_name(typed: &str) -> Result<String, String> {
    use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
    if typed.starts_with('[') || typed.parse::<std::net::IpAddr>().is_ok() {
        return Err(NOT_A_DOMAIN_NAME.into());
    }
    let ascii = Uts46::new()
        .to_ascii(
            typed.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .map_err(|_| NOT_AN_ADDRESS)?;
    let Some((_, top)) = ascii.rsplit_once('.') else {
        return Err(NOT_AN_ADDRESS.into());
    };
    // A numeric top-level label is no domain name: an IP address written with other dots
    // (`127。0。0。1`, which UTS 46 maps to `127.0.0.1`), or a mistake.
    if top.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NOT_A_DOMAIN_NAME.into());
    }
    Ok(ascii.into_owned())
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
    use unicode_normalization::UnicodeNormalization;

    /// Spellings of one mailbox and the one form each is stored in.
    #[test]
    fn addresses_are_read_into_their_canonical_form() {
        let longest = format!("{}@example.org", "a".repeat(64));
        let table = [
            (
                "  Camille.Martin@Exemple.GOUV.fr ",
                "camille.martin@exemple.gouv.fr",
            ),
            ("\"john\"@example.org", "john@example.org"),
            ("\"\\j\\ohn\"@example.org", "john@example.org"),
            ("\"J\\O\\H\\N.doe\"@Example.org", "john.doe@example.org"),
            ("\"john\\+tag\"@example.org", "john+tag@example.org"),
            ("john+Tag@example.org", "john+tag@example.org"),
            ("o'brien@example.org", "o'brien@example.org"),
            (
                "a!#$%&'*+-/=?^_`{|}~@example.org",
                "a!#$%&'*+-/=?^_`{|}~@example.org",
            ),
            ("x@bücher.example", "x@xn--bcher-kva.example"),
            ("x@BÜCHER.example", "x@xn--bcher-kva.example"),
            ("x@XN--BCHER-KVA.example", "x@xn--bcher-kva.example"),
            ("x@bu\u{308}cher.example", "x@xn--bcher-kva.example"),
            ("x@bücher\u{3002}example", "x@xn--bcher-kva.example"),
            ("x@ＥＸＡＭＰＬＥ.org", "x@example.org"),
            // UTS 46 without transitional processing: ß stays (IDNA 2008, as registries do).
            ("x@straße.de", "x@xn--strae-oqa.de"),
            ("x@例え.テスト", "x@xn--r8jz45g.xn--zckzah"),
            ("x@a-b.example", "x@a-b.example"),
            ("Élodie@example.org", "élodie@example.org"),
            ("\"Le\u{301}a\"@example.org", "léa@example.org"),
            ("LE\u{301}A@example.org", "léa@example.org"),
            (&longest, &longest),
        ];
        for (typed, canonical) in table {
            let parsed = EmailAddress::parse(typed);
            assert_eq!(
                parsed.as_ref().map(EmailAddress::as_str),
                Ok(canonical),
                "{typed:?}"
            );
        }
    }

    /// What the mailer could not compose or send, or what is no address, with the reason given.
    #[test]
    fn addresses_mail_cannot_reach_are_refused() {
        let long_domain = format!("x@{}.example.org", vec!["a".repeat(63); 4].join("."));
        let long_label = format!("x@{}.example.org", "a".repeat(64));
        let long_local = format!("{}@example.org", "a".repeat(65));
        let very_long = format!("{}@example.org", "a".repeat(2000));
        let table = [
            ("", NOT_AN_ADDRESS),
            ("camille", NOT_AN_ADDRESS),
            ("camille@", NOT_AN_ADDRESS),
            ("@exemple.fr", NOT_AN_ADDRESS),
            ("camille@localhost", NOT_AN_ADDRESS),
            ("a b@exemple.fr", NOT_AN_ADDRESS),
            ("a@exemple.fr, b@exemple.fr", NOT_AN_ADDRESS),
            ("<a@exemple.fr>", NOT_AN_ADDRESS),
            ("a@exemple.fr\r\nBcc: x@y.fr", NOT_AN_ADDRESS),
            ("a\u{0}b@exemple.fr", NOT_AN_ADDRESS),
            ("a\u{7f}b@exemple.fr", NOT_AN_ADDRESS),
            ("\"a\tb\"@exemple.fr", NOT_AN_ADDRESS),
            ("a..b@exemple.fr", NOT_AN_ADDRESS),
            (".a@exemple.fr", NOT_AN_ADDRESS),
            ("a.@exemple.fr", NOT_AN_ADDRESS),
            ("\"john\".doe@example.org", NOT_AN_ADDRESS),
            ("a@b@example.org", NOT_AN_ADDRESS),
            ("x@[127.0.0.1]", NOT_A_DOMAIN_NAME),
            ("x@[IPv6:2001:db8::1]", NOT_A_DOMAIN_NAME),
            ("x@127.0.0.1", NOT_A_DOMAIN_NAME),
            ("x@127\u{3002}0\u{3002}0\u{3002}1", NOT_A_DOMAIN_NAME),
            ("\"x@example.org\"@example.org", NEEDS_QUOTES),
            ("\"a b\"@example.org", NEEDS_QUOTES),
            ("\"a\\\"b\"@example.org", NEEDS_QUOTES),
            ("\"a\\\\b\"@example.org", NEEDS_QUOTES),
            ("\"\"@example.org", NOT_AN_ADDRESS),
            (&long_local, TOO_LONG),
            (&very_long, TOO_LONG),
        ];
        for (typed, reason) in table {
            assert_eq!(EmailAddress::parse(typed), Err(reason.into()), "{typed:?}");
        }
        for domain in [
            "x@exemple.fr.",
            "x@-exemple.fr",
            "x@exemple-.fr",
            "x@exe_mple.fr",
            "x@exem ple.fr",
            "x@xn--zz.example",
            "x@exemple..fr",
            &long_domain,
            &long_label,
        ] {
            assert!(EmailAddress::parse(domain).is_err(), "{domain:?}");
        }
    }

    #[test]
    fn the_mailbox_key_drops_the_tag_only() {
        let table = [
            ("jean+lettre@x.example", "jean@x.example"),
            ("jean+a+b@x.example", "jean@x.example"),
            ("jean+@x.example", "jean@x.example"),
            ("+jean@x.example", "+jean@x.example"),
            ("j.e.a.n@x.example", "j.e.a.n@x.example"),
            (
                "\"Jean+Lettre\"@Bücher.example",
                "jean@xn--bcher-kva.example",
            ),
        ];
        for (typed, key) in table {
            let address = EmailAddress::parse(typed).unwrap();
            assert_eq!(address.mailbox_key(), key, "{typed:?}");
        }
        assert_eq!(
            EmailAddress::parse("jean+lettre@x.example")
                .unwrap()
                .as_str(),
            "jean+lettre@x.example",
            "the stored address keeps its tag"
        );
    }

    /// The canonical form of an address with a Unicode domain goes into a message whose
    /// envelope and `To:` are ASCII, as a relay without SMTPUTF8 requires.
    #[test]
    fn canonical_addresses_compose_into_ascii_envelopes() {
        let address = EmailAddress::parse("\"Jean\"@Bücher.example").unwrap();
        let message = composed_to(&address).expect("composes");
        let envelope = message.envelope();
        assert_eq!(envelope.to().len(), 1);
        assert_eq!(envelope.to()[0].to_string(), "jean@xn--bcher-kva.example");
        let headers = String::from_utf8(message.formatted()).unwrap();
        assert!(
            headers.contains("To: jean@xn--bcher-kva.example\r\n"),
            "{headers}"
        );
    }

    fn composed_to(address: &EmailAddress) -> Result<lettre::Message, String> {
        let to: lettre::message::Mailbox = address.as_str().parse().map_err(|e| format!("{e}"))?;
        lettre::Message::builder()
            .from("Agenda <agenda@example.org>".parse().unwrap())
            .to(to)
            .subject("Confirmation")
            .body(String::from("Bonjour"))
            .map_err(|e| e.to_string())
    }

    /// Addresses as people type them: dot-atoms, quoted ones, quoted pairs, accents composed
    /// or not, Unicode and punycode labels in any case.
    fn typed_address() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let atom = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}";
        let dot_atom = prop::collection::vec(atom, 1..4).prop_map(|atoms| atoms.join("."));
        let local = prop_oneof![
            dot_atom.clone(),
            dot_atom.clone().prop_map(|l| format!("\"{l}\"")),
            dot_atom.clone().prop_map(|l| format!(
                "\"{}\"",
                l.chars().map(|c| format!("\\{c}")).collect::<String>()
            )),
            "[ -~]{0,12}".prop_map(|l| format!("\"{l}\"")),
            "([a-zéÉœ]|e\u{301}|E\u{301}){1,8}",
        ];
        let label = prop_oneof![
            "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?",
            "[a-zäöüéèßçñœ日本例]{1,8}",
            "[A-ZÄÖÜÉ]{1,6}",
            Just("xn--bcher-kva".to_string()),
            Just("XN--BCHER-KVA".to_string()),
        ];
        let domain = prop::collection::vec(label, 1..4).prop_map(|labels| labels.join("."));
        (local, domain, "[ ]{0,2}").prop_map(|(l, d, pad)| format!("{pad}{l}@{d}{pad}"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Reading is idempotent, and what it gives has an ASCII domain and a lower-cased local
        /// part in NFC, and lettre parses it, as an `Address` and as the mailbox the composer
        /// builds, and composes a message to it.
        #[test]
        fn canonical_forms_are_stable_and_sendable(
            typed in proptest::prop_oneof![typed_address(), "\\PC{0,30}@\\PC{0,30}", "\\PC{0,60}"],
        ) {
            if let Ok(address) = EmailAddress::parse(&typed) {
                let again = EmailAddress::parse(address.as_str());
                proptest::prop_assert_eq!(again.as_ref(), Ok(&address));
                let (local, domain) = address.as_str().rsplit_once('@').unwrap();
                proptest::prop_assert!(domain.is_ascii(), "{}", address);
                proptest::prop_assert!(
                    local.nfc().eq(local.chars()) && local.to_lowercase() == local,
                    "{}", address
                );
                proptest::prop_assert!(address.as_str().parse::<lettre::Address>().is_ok(), "{}", address);
                proptest::prop_assert!(composed_to(&address).is_ok(), "{}", address);
            }
        }

        /// Quotes, quoted pairs, case and the domain's Unicode or punycode spelling never make
        /// another address.
        #[test]
        fn spellings_of_one_address_are_one(
            atoms in proptest::collection::vec("[a-zA-Z0-9!#$%&'*+/=?^_`{|}~éèçÉ-]{1,10}", 1..4),
            // Not ß, which upper-cases to SS: another name.
            labels in proptest::collection::vec("[a-zäöüéœ]{1,8}", 1..3),
        ) {
            let local = atoms.join(".");
            let domain = format!("{}.example", labels.join("."));
            let plain = EmailAddress::parse(&format!("{local}@{domain}"));
            proptest::prop_assert!(plain.is_ok(), "{}@{}", local, domain);
            let pairs: String = local.chars().map(|c| format!("\\{c}")).collect();
            let ascii = idna::domain_to_ascii(&domain).unwrap();
            let decomposed: String = local.nfd().collect();
            for spelling in [
                format!("\"{local}\"@{domain}"),
                format!("{decomposed}@{domain}"),
                format!("\"{pairs}\"@{}", domain.to_uppercase()),
                format!("{}@{}", local.to_uppercase(), ascii.to_uppercase()),
                format!(" {local}@{ascii} "),
            ] {
                proptest::prop_assert_eq!(&EmailAddress::parse(&spelling), &plain, "{}", spelling);
            }
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
