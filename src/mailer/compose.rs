//! Messages as recipients get them: French text and HTML from the templates, a calendar part
//! where it helps, and the headers list mail needs (RFC 8058 one-click unsubscribe, List-Id,
//! Auto-Submitted, a Message-ID on the configured domain). lettre writes subjects and names as
//! RFC 2047 encoded-words.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Value};
use serde::Serialize;

use crate::config::MailSettings;
use crate::domain::{Event, EventKind, EventStatus};
use crate::publish::french;
use crate::publish::ical::{self, CalendarSettings, Method, Organizer};
use crate::store::{mail_kind, Claimed, Subscription};
use crate::templates::{TemplateError, Templates};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("{0}")]
    Missing(&'static str),
}

/// Builds messages; one per service, shared by dispatchers.
pub struct Composer {
    templates: Arc<Templates>,
    from: Mailbox,
    domain: String,
    list_name: String,
    list_id: String,
    unsubscribe_mailto: String,
    base_url: String,
    calendar: CalendarSettings,
    confirm_for: chrono::Duration,
}

/// A session as mail templates read it.
#[derive(Debug, Serialize)]
struct EventView {
    title: String,
    kind_label: &'static str,
    is_video: bool,
    when: String,
    summary: Option<String>,
    location: Option<String>,
    join_url: Option<String>,
    registration_url: Option<String>,
    recording_url: Option<String>,
    page_url: String,
    ics_url: Option<String>,
    speakers: Vec<SpeakerView>,
    programme: Vec<String>,
    registration_required: bool,
    capacity: Option<i64>,
    cancelled: bool,
}

#[derive(Debug, Serialize)]
struct SpeakerView {
    name: String,
    role: Option<String>,
    organisation: Option<String>,
}

/// What a field change is called in a change notice.
fn change_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "starts_at" | "ends_at" => "date ou horaire",
        "location" => "lieu",
        "links" => "liens",
        "title" => "titre",
        "programme" => "programme",
        "speakers" => "intervenant·es",
        "capacity" | "registration_required" => "accès",
        _ => return None,
    })
}

/// « dans 1 heure », « dans 2 jours », « dans 30 minutes ».
pub fn advance_text(advance: chrono::Duration) -> String {
    let minutes = advance.num_minutes();
    let seconds = advance.num_seconds();
    let plural = |n: i64, word: &str| {
        if n > 1 {
            format!("dans {n} {word}s")
        } else {
            format!("dans {n} {word}")
        }
    };
    if minutes >= 1440 && minutes % 1440 == 0 {
        plural(minutes / 1440, "jour")
    } else if minutes >= 60 && minutes % 60 == 0 {
        plural(minutes / 60, "heure")
    } else if seconds % 60 != 0 || minutes == 0 {
        plural(seconds.max(1), "seconde")
    } else {
        plural(minutes, "minute")
    }
}

impl Composer {
    pub fn new(
        templates: Arc<Templates>,
        mail: &MailSettings,
        calendar: CalendarSettings,
        base_url: &str,
    ) -> anyhow::Result<Composer> {
        let from = mail.from_mailbox()?;
        let domain = mail.domain();
        let list_id = if mail.list_id.trim().is_empty() {
            format!("agenda.{domain}")
        } else {
            mail.list_id.trim().to_string()
        };
        let unsubscribe_mailto = if mail.unsubscribe_mailto.trim().is_empty() {
            from.email.to_string()
        } else {
            mail.unsubscribe_mailto.trim().to_string()
        };
        let mut calendar = calendar;
        // iTIP requires an ORGANIZER: the sender stands in when none is configured.
        if calendar.organizer.is_none() {
            calendar.organizer = Some(Organizer {
                name: from.name.clone().unwrap_or_else(|| mail.list_name.clone()),
                email: from.email.to_string(),
            });
        }
        Ok(Composer {
            templates,
            from,
            domain,
            list_name: mail.list_name.clone(),
            list_id,
            unsubscribe_mailto,
            base_url: base_url.trim_end_matches('/').to_string(),
            calendar,
            confirm_for: chrono::Duration::hours(i64::from(mail.confirm_hours)),
        })
    }

    pub fn unsubscribe_url(&self, key: &str) -> String {
        format!("{}/desabonnement/{key}", self.base_url)
    }

    pub fn confirm_url(&self, secret: &str) -> String {
        format!("{}/abonnement/confirmer/{secret}", self.base_url)
    }

    /// What a subscription covers, as a phrase: « tous les webinaires et événements ».
    pub fn scope_text(subscription: &Subscription) -> String {
        match (subscription.scope.as_str(), &subscription.target_title) {
            ("series", Some(title)) => format!("la série \u{ab}\u{a0}{title}\u{a0}\u{bb}"),
            ("event", Some(title)) => format!("la session \u{ab}\u{a0}{title}\u{a0}\u{bb}"),
            _ => "tous les webinaires, événements et vidéos".into(),
        }
    }

    fn event_view(&self, event: &Event) -> EventView {
        let has_calendar = event.schedule.is_some();
        EventView {
            title: event.title.clone(),
            kind_label: match event.kind {
                EventKind::Webinar => "Webinaire",
                EventKind::Event => "Événement",
                EventKind::Video => "Vidéo",
            },
            is_video: event.kind == EventKind::Video,
            when: french::when(event.schedule.as_ref(), event.timezone)
                .unwrap_or_else(|| event.published_on.map(french::date).unwrap_or_default()),
            summary: event.summary.clone(),
            location: event.location.clone(),
            join_url: event.links.join.clone(),
            registration_url: event.links.registration.clone(),
            recording_url: event.links.recording.clone(),
            page_url: ical::event_page_url(&self.base_url, &event.slug),
            ics_url: has_calendar.then(|| ical::event_ics_url(&self.base_url, &event.slug)),
            speakers: event
                .speakers
                .iter()
                .map(|s| SpeakerView {
                    name: s.name.clone(),
                    role: s.role.clone(),
                    organisation: s.organisation.clone(),
                })
                .collect(),
            programme: event.programme.clone(),
            registration_required: event.registration_required,
            capacity: event.capacity,
            cancelled: event.status == EventStatus::Cancelled,
        }
    }

    /// The message for a claimed outbox row. `changed` lists the fields a change notice is
    /// about (from the session's history).
    pub fn compose(
        &self,
        claimed: &Claimed,
        event: Option<&Event>,
        subscription: &Subscription,
        changed: &[String],
    ) -> Result<Message, ComposeError> {
        let scope_text = Self::scope_text(subscription);
        let message_id = format!(
            "<outbox-{}.{}@{}>",
            claimed.id,
            claimed.created_at.timestamp_micros(),
            self.domain
        );
        if claimed.kind == mail_kind::CONFIRMATION {
            let expires = claimed.created_at + self.confirm_for;
            let expires_text = self.local_moment(expires);
            let ctx = context! {
                list_name => &self.list_name,
                scope_text => &scope_text,
                confirm_url => self.confirm_url(&claimed.detail),
                expires_text => expires_text,
                subject => format!("Confirmez votre abonnement : {}", self.list_name),
            };
            let subject = format!("Confirmez votre abonnement : {}", self.list_name);
            return self.build(
                &claimed.recipient,
                &subject,
                &message_id,
                "mail/confirmation",
                ctx,
                None,
                None,
            );
        }
        let event = event.ok_or(ComposeError::Missing("the message's session is gone"))?;
        let view = self.event_view(event);
        let unsubscribe = self.unsubscribe_url(&subscription.unsubscribe_key);
        let (template, subject, method) = match claimed.kind.as_str() {
            mail_kind::ANNOUNCEMENT => (
                "mail/announcement",
                format!("{} : {}, {}", view.kind_label, event.title, view.when),
                Some(Method::Publish),
            ),
            mail_kind::REMINDER => (
                "mail/reminder",
                format!("Rappel : {}, {}", event.title, view.when),
                Some(Method::Publish),
            ),
            mail_kind::CHANGE => (
                "mail/change",
                format!("Modifié : {}, {}", event.title, view.when),
                Some(Method::Publish),
            ),
            mail_kind::CANCELLATION => (
                "mail/cancellation",
                format!("Annulé : {}, {}", event.title, view.when),
                Some(Method::Cancel),
            ),
            mail_kind::RECORDING => (
                "mail/recording",
                format!("Enregistrement disponible : {}", event.title),
                None,
            ),
            _ => return Err(ComposeError::Missing("unknown kind of message")),
        };
        let advance = crate::domain::event::parse_reminder(&claimed.detail).ok();
        let changed: Vec<&str> = {
            let mut labels: Vec<&str> = changed.iter().filter_map(|f| change_label(f)).collect();
            labels.dedup();
            labels
        };
        let ctx = context! {
            list_name => &self.list_name,
            scope_text => &scope_text,
            unsubscribe_url => &unsubscribe,
            event => Value::from_serialize(&view),
            advance_text => advance.map(advance_text),
            changed => changed,
            subject => &subject,
        };
        // A calendar part only for live sessions; recordings and videos need none.
        let calendar = match method {
            Some(method) if event.kind.is_live() => {
                ical::itip(&self.calendar, event, method).map(|text| (method, text))
            }
            _ => None,
        };
        self.build(
            &claimed.recipient,
            &subject,
            &message_id,
            template,
            ctx,
            calendar,
            Some(&unsubscribe),
        )
    }

    /// `eventail mail test`: one message to check the configuration.
    pub fn test_message(&self, to: &str) -> Result<Message, ComposeError> {
        let subject = "Message d'essai d'eventail : « été » ✓".to_string();
        let message_id = format!("<test-{}@{}>", uuid::Uuid::new_v4(), self.domain);
        let ctx = context! { list_name => &self.list_name, subject => &subject };
        self.build(to, &subject, &message_id, "mail/test", ctx, None, None)
    }

    /// « 25 novembre 2026 à 14 h 30 (heure de Paris) ».
    fn local_moment(&self, at: DateTime<Utc>) -> String {
        use chrono::Timelike;
        let tz = self.calendar.timezone;
        let local = at.with_timezone(&tz);
        format!(
            "{} à {} ({})",
            french::date_without_weekday(local.date_naive()),
            french::time(local.hour(), local.minute()),
            french::zone(tz)
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        to: &str,
        subject: &str,
        message_id: &str,
        template: &str,
        ctx: Value,
        calendar: Option<(Method, String)>,
        unsubscribe: Option<&str>,
    ) -> Result<Message, ComposeError> {
        let text = self
            .templates
            .render(&format!("{template}.txt"), ctx.clone())?;
        let html = self.templates.render(&format!("{template}.html"), ctx)?;
        let to: Mailbox = to
            .parse()
            .map_err(|e| ComposeError::Build(format!("recipient {to}: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_string()))
            .date_now()
            .raw_header(raw("Auto-Submitted", "auto-generated")?);
        if let Some(url) = unsubscribe {
            let key = url.rsplit('/').next().unwrap_or_default();
            builder = builder
                .raw_header(raw(
                    "List-Unsubscribe",
                    &format!(
                        "<{url}>, <mailto:{}?subject=unsubscribe%20{key}>",
                        self.unsubscribe_mailto
                    ),
                )?)
                .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")?)
                .raw_header(raw(
                    "List-Id",
                    &format!("{} <{}>", ascii_phrase(&self.list_name), self.list_id),
                )?);
        }
        let mut parts = MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html));
        if let Some((method, ics)) = calendar {
            let content_type = ContentType::parse(&format!(
                "text/calendar; charset=UTF-8; method={}",
                method.as_str()
            ))
            .map_err(|e| ComposeError::Build(e.to_string()))?;
            parts = parts.singlepart(SinglePart::builder().header(content_type).body(ics));
        }
        builder
            .multipart(parts)
            .map_err(|e| ComposeError::Build(e.to_string()))
    }
}

fn raw(name: &'static str, value: &str) -> Result<HeaderValue, ComposeError> {
    let name = HeaderName::new_from_ascii_str(name);
    if value.chars().any(|c| c.is_control()) {
        return Err(ComposeError::Build(format!(
            "header {name} has control characters"
        )));
    }
    Ok(HeaderValue::new(name, value.to_string()))
}

/// List-Id's phrase is not encoded by lettre (a raw header): keep it to printable ASCII, in
/// quotes, dropping accents rather than sending raw 8-bit bytes.
fn ascii_phrase(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' | 'È' | 'Ê' => 'E',
            'à' | 'â' | 'ä' => 'a',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '"' | '\\' => ' ',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => ' ',
        })
        .collect();
    format!(
        "\"{}\"",
        plain.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_read_in_french() {
        assert_eq!(advance_text(chrono::Duration::hours(1)), "dans 1 heure");
        assert_eq!(advance_text(chrono::Duration::hours(24)), "dans 1 jour");
        assert_eq!(advance_text(chrono::Duration::hours(48)), "dans 2 jours");
        assert_eq!(
            advance_text(chrono::Duration::minutes(90)),
            "dans 90 minutes"
        );
        assert_eq!(
            advance_text(chrono::Duration::seconds(2)),
            "dans 2 secondes"
        );
    }

    #[test]
    fn list_id_phrases_stay_ascii() {
        assert_eq!(
            ascii_phrase("Agenda des webinaires et événements \"x\""),
            "\"Agenda des webinaires et evenements x\""
        );
    }
}
