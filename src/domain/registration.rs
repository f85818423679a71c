//! Registrations: a person's seat at one session, the waiting list, and who may read the join
//! link. Following news (a subscription) and holding a seat (a registration) are different
//! things: a follower hears that a session exists, changes date or is cancelled; only a seated
//! registrant of a session that requires registration gets its join link.

use serde::Serialize;

use super::errors::FieldErrors;
use super::event::{Event, EventStatus};
use super::subscription::EmailAddress;

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationStatus {
    /// The address is not confirmed yet (double opt-in): no seat, no place in line.
    Pending,
    /// Holds a seat: gets the join link, reminders and change notices.
    Seated,
    /// Confirmed, waiting for a seat, in order of arrival.
    Waiting,
    /// Cancelled by the person or by an organiser.
    Cancelled,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 4] = [
        RegistrationStatus::Pending,
        RegistrationStatus::Seated,
        RegistrationStatus::Waiting,
        RegistrationStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Pending => "pending",
            RegistrationStatus::Seated => "seated",
            RegistrationStatus::Waiting => "waiting",
            RegistrationStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<RegistrationStatus> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Confirmed and not cancelled: the person is on the session's list, seated or waiting.
    pub fn is_listed(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Seated | RegistrationStatus::Waiting
        )
    }
}

impl std::fmt::Display for RegistrationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names and organisations are shown to organisers and exported: a line of text each.
const MAX_NAME: usize = 200;

/// A person asking for a seat, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrant {
    pub email: EmailAddress,
    pub name: String,
    pub organisation: Option<String>,
}

impl Registrant {
    /// Checks what a form or the API sent: a valid address, a name, an optional organisation,
    /// each one line of at most 200 characters. Every problem is reported at once.
    pub fn parse(
        email: &str,
        name: &str,
        organisation: Option<&str>,
    ) -> Result<Registrant, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = EmailAddress::parse(email)
            .map_err(|m| errors.push("email", m))
            .ok();
        let name = line(&mut errors, "name", Some(name));
        if name.is_none() && !errors.0.iter().any(|e| e.field == "name") {
            errors.push("name", "is required");
        }
        let organisation = line(&mut errors, "organisation", organisation);
        match (email, name) {
            (Some(email), Some(name)) if errors.0.is_empty() => Ok(Registrant {
                email,
                name,
                organisation,
            }),
            _ => Err(errors),
        }
    }
}

/// One trimmed line of text, `None` when empty.
fn line(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().any(char::is_control) {
        errors.push(field, "must be one line of text");
        return None;
    }
    if value.chars().count() > MAX_NAME {
        errors.push(field, format!("must be at most {MAX_NAME} characters"));
        return None;
    }
    Some(value.to_string())
}

/// Seats left at a session: `None` when it has no capacity (every confirmed registration is
/// seated).
pub fn seats_left(capacity: Option<i64>, seated: i64) -> Option<i64> {
    capacity.map(|c| (c - seated).max(0))
}

/// Where a newly confirmed registration goes: a seat while seats remain, else the waiting list.
pub fn placement(capacity: Option<i64>, seated: i64) -> RegistrationStatus {
    match seats_left(capacity, seated) {
        Some(0) => RegistrationStatus::Waiting,
        _ => RegistrationStatus::Seated,
    }
}

/// How many people at the head of the waiting list take a seat: as many as seats are free.
pub fn promotions(capacity: Option<i64>, seated: i64, waiting: i64) -> i64 {
    match seats_left(capacity, seated) {
        None => waiting,
        Some(free) => free.min(waiting),
    }
}

/// A new capacity may not leave seated people without their seat: lowering it below the seats
/// taken is refused (cancel registrations first).
pub fn check_capacity(capacity: Option<i64>, seated: i64) -> Result<(), String> {
    match capacity {
        Some(c) if c < seated => Err(format!(
            "capacity {c} is below the {seated} seats already taken; cancel or move registrations first"
        )),
        _ => Ok(()),
    }
}

/// Whether registration for `event` happens here (its seats are kept by this service): it
/// requires registration and names no outside form. A session with an outside form
/// (`links.registration`) keeps its join link private too, but its followers still get its
/// reminders, as nobody registers here.
pub fn registers_here(event: &Event) -> bool {
    event.registration_required && event.links.registration.is_none()
}

/// Why a session takes no registration now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// It does not require registration (its join link is public).
    NotRequired,
    /// It takes registrations on another site (`links.registration`).
    Elsewhere,
    NotScheduled,
    Started,
}

impl Closed {
    /// What the API answers.
    pub fn message(self) -> &'static str {
        match self {
            Closed::NotRequired => "this session does not take registrations",
            Closed::Elsewhere => {
                "this session takes registrations on another site (links.registration)"
            }
            Closed::NotScheduled => "this session is not open: it is a draft or cancelled",
            Closed::Started => "this session has started; registrations are closed",
        }
    }

    /// What a visitor reads.
    pub fn french(self) -> &'static str {
        match self {
            Closed::NotRequired => {
                "Cette session est libre d'accès : aucune inscription n'est nécessaire."
            }
            Closed::Elsewhere => {
                "Les inscriptions à cette session se font sur un autre site : voyez sa page."
            }
            Closed::NotScheduled => {
                "Cette session n'est pas ouverte aux inscriptions (brouillon ou annulée)."
            }
            Closed::Started => "Cette session a commencé : les inscriptions sont closes.",
        }
    }
}

/// Whether `event` takes registrations here at `now`: a live session requiring registration,
/// without a registration form elsewhere (`links.registration`, as the team's posts often
/// have), scheduled, not started.
pub fn open_for_registration(
    event: &Event,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Closed> {
    if !event.registration_required || !event.kind.is_live() {
        return Err(Closed::NotRequired);
    }
    if event.links.registration.is_some() {
        return Err(Closed::Elsewhere);
    }
    if event.status != EventStatus::Scheduled {
        return Err(Closed::NotScheduled);
    }
    if super::notices::has_started(event, now) {
        return Err(Closed::Started);
    }
    Ok(())
}

/// Who reads something about a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reader {
    /// A visitor, a calendar feed, an export: anyone.
    Public,
    /// Someone following news (a subscription).
    Follower,
    Registrant(RegistrationStatus),
}

/// Whether `reader` may be given the session's join link: everyone when the session does not
/// require registration (as on the team's site), else only seated registrants.
pub fn sees_join_link(event: &Event, reader: Reader) -> bool {
    !event.registration_required || reader == Reader::Registrant(RegistrationStatus::Seated)
}

/// The join link as `reader` may see it.
pub fn join_link_for(event: &Event, reader: Reader) -> Option<&str> {
    event
        .links
        .join
        .as_deref()
        .filter(|_| sees_join_link(event, reader))
}

/// Who a notice about a session goes to. Registrants are planned before followers, and each
/// notice reaches an address once, so someone both registered and following gets the
/// registrant's version (with the join link, when seated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Audience {
    pub seated: bool,
    pub waiting: bool,
    pub followers: bool,
}

impl Audience {
    pub const EVERYONE: Audience = Audience {
        seated: true,
        waiting: true,
        followers: true,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::testing::stored;

    #[test]
    fn seats_then_the_waiting_list() {
        assert_eq!(placement(Some(2), 0), RegistrationStatus::Seated);
        assert_eq!(placement(Some(2), 1), RegistrationStatus::Seated);
        assert_eq!(placement(Some(2), 2), RegistrationStatus::Waiting);
        assert_eq!(placement(Some(2), 5), RegistrationStatus::Waiting);
        assert_eq!(placement(None, 1_000), RegistrationStatus::Seated);
        assert_eq!(seats_left(Some(20), 25), Some(0));
        assert_eq!(seats_left(None, 3), None);
    }

    #[test]
    fn freed_and_added_seats_go_to_the_waiting_list() {
        assert_eq!(promotions(Some(20), 15, 180), 5);
        assert_eq!(promotions(Some(20), 20, 180), 0);
        assert_eq!(promotions(Some(20), 15, 2), 2);
        assert_eq!(promotions(None, 20, 7), 7);
        assert_eq!(promotions(Some(3), 5, 7), 0);
    }

    #[test]
    fn capacity_cannot_drop_below_the_seats_taken() {
        assert!(check_capacity(Some(20), 20).is_ok());
        assert!(check_capacity(None, 500).is_ok());
        let refused = check_capacity(Some(10), 12).unwrap_err();
        assert!(refused.contains("12 seats"), "{refused}");
    }

    #[test]
    fn registrants_give_an_address_and_a_name() {
        let ok = Registrant::parse(" Alice@Example.ORG ", " Alice Martin ", Some("  ")).unwrap();
        assert_eq!(ok.email.as_str(), "alice@example.org");
        assert_eq!(ok.name, "Alice Martin");
        assert_eq!(ok.organisation, None);
        let fields = |r: Result<Registrant, FieldErrors>| -> Vec<String> {
            r.unwrap_err().0.into_iter().map(|e| e.field).collect()
        };
        assert_eq!(
            fields(Registrant::parse("nope", "", None)),
            ["email", "name"]
        );
        assert_eq!(
            fields(Registrant::parse("a@b.fr", "A\nB", Some(&"x".repeat(201)))),
            ["name", "organisation"]
        );
    }

    #[test]
    fn the_join_link_of_a_registration_session_is_for_seated_registrants() {
        let mut event = stored(EventStatus::Scheduled);
        event.links.join = Some("https://visio.example.org/abc".into());
        event.registration_required = false;
        for reader in [Reader::Public, Reader::Follower] {
            assert_eq!(
                join_link_for(&event, reader),
                Some("https://visio.example.org/abc")
            );
        }
        event.registration_required = true;
        let seated = Reader::Registrant(RegistrationStatus::Seated);
        assert_eq!(
            join_link_for(&event, seated),
            Some("https://visio.example.org/abc")
        );
        for reader in [
            Reader::Public,
            Reader::Follower,
            Reader::Registrant(RegistrationStatus::Pending),
            Reader::Registrant(RegistrationStatus::Waiting),
            Reader::Registrant(RegistrationStatus::Cancelled),
        ] {
            assert_eq!(join_link_for(&event, reader), None, "{reader:?}");
        }
    }

    #[test]
    fn registrations_open_until_the_start() {
        // The stored webinar starts on 8 December 2021 at 9:00 in Paris.
        let now: chrono::DateTime<chrono::Utc> = "2021-12-04T09:00:00Z".parse().unwrap();
        let mut event = stored(EventStatus::Scheduled);
        event.registration_required = true;
        assert_eq!(open_for_registration(&event, now), Ok(()));
        event.links.registration = Some("https://forms.example.org/s".into());
        assert_eq!(open_for_registration(&event, now), Err(Closed::Elsewhere));
        event.links.registration = None;
        assert_eq!(
            open_for_registration(&event, now + chrono::Duration::days(4)),
            Err(Closed::Started)
        );
        event.status = EventStatus::Cancelled;
        assert_eq!(
            open_for_registration(&event, now),
            Err(Closed::NotScheduled)
        );
        event.registration_required = false;
        assert_eq!(open_for_registration(&event, now), Err(Closed::NotRequired));
    }
}
