//! Messages as recipients get them: French text and HTML from the templates, a calendar part
//! where it helps, and the headers list mail needs (RFC 8058 one-click unsubscribe, List-Id,
//! Auto-Submitted, a Message-ID on the configured domain). lettre writes subjects and names as
//! RFC 2047 encoded-words.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::address::{Address, Envelope};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Value};
use serde::Serialize;

use crate::config::MailSettings;
use crate::domain::french;
use crate::domain::notices::{Compared, Previously, Recipient};
use crate::domain::registration::{join_link_for, open_for_registration, Reader};
use crate::domain::urls::PublicUrls;
use crate::domain::{Change, MailKind, RegistrationStatus, Scope};
use crate::domain::{Event, EventKind, EventStatus};
use crate::publish::ical::{self, CalendarSettings, Method, Organizer, Personal};
use crate::store::{Claimed, Registration, Subscription};
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
    /// As this reader may see it.
    join_url: Option<String>,
    registration_url: Option<String>,
    /// The session's own registration form, while it takes registrations.
    register_url: Option<String>,
    recording_url: Option<String>,
    page_url: String,
    ics_url: Option<String>,
    speakers: Vec<SpeakerView>,
    programme: Vec<String>,
    registration_required: bool,
    capacity: Option<i64>,
    cancelled: bool,
    cancel_reason: Option<String>,
}

#[derive(Debug, Serialize)]
struct SpeakerView {
    name: String,
    role: Option<String>,
    organisation: Option<String>,
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
        PublicUrls::new(&self.base_url).unsubscribe(key)
    }

    pub fn confirm_url(&self, secret: &str) -> String {
        PublicUrls::new(&self.base_url).confirm(secret)
    }

    /// What a subscription covers, as a phrase: « tous les webinaires et événements ».
    pub fn scope_text(subscription: &Subscription) -> String {
        match (&subscription.scope, &subscription.target_title) {
            (Scope::Series(_), Some(title)) => format!("la série \u{ab}\u{a0}{title}\u{a0}\u{bb}"),
            (Scope::Event(_), Some(title)) => format!("la session \u{ab}\u{a0}{title}\u{a0}\u{bb}"),
            _ => "tous les webinaires, événements et vidéos".into(),
        }
    }

    fn event_view(&self, event: &Event, reader: Reader, now: DateTime<Utc>) -> EventView {
        let has_calendar = event.schedule.is_some();
        let urls = PublicUrls::new(&self.base_url);
        let takes_registrations = open_for_registration(event, now).is_ok();
        EventView {
            title: event.title.clone(),
            kind_label: french::kind_label(event.kind),
            is_video: event.kind == EventKind::Video,
            when: french::when_of(event),
            summary: event.summary.clone(),
            location: event.location.clone(),
            join_url: join_link_for(event, reader).map(str::to_string),
            registration_url: event.links.registration.clone(),
            register_url: (takes_registrations && !matches!(reader, Reader::Registrant(_)))
                .then(|| urls.register_anchor(&event.slug)),
            recording_url: event.links.recording.clone(),
            page_url: urls.event_page(&event.slug),
            ics_url: has_calendar.then(|| urls.event_ics(&event.slug)),
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
            cancel_reason: event.cancel_reason.clone(),
        }
    }

    /// The message for a claimed outbox row. `changed` lists the fields a change notice is
    /// about (from the session's history). What the recipients of one notice share is prepared
    /// once in `cache` (one per claimed batch).
    pub fn compose(
        &self,
        claimed: &Claimed,
        event: Option<&Event>,
        addressee: Addressee<'_>,
        changed: &[Change],
        cache: &ComposeCache,
    ) -> Result<Outgoing, ComposeError> {
        let scope_text = addressee.scope_text();
        let message_id = format!(
            "<outbox-{}.{}@{}>",
            claimed.id,
            claimed.created_at.timestamp_micros(),
            self.domain
        );
        if matches!(
            claimed.kind,
            MailKind::Confirmation | MailKind::RegistrationConfirmation
        ) {
            let expires = claimed.created_at + self.confirm_for;
            let expires_text = self.local_moment(expires);
            let urls = PublicUrls::new(&self.base_url);
            let (subject, confirm_url, template) = match (claimed.kind, event) {
                (MailKind::RegistrationConfirmation, Some(event)) => (
                    format!("Confirmez votre inscription : {}", event.title),
                    urls.confirm_registration(&claimed.detail),
                    "mail/registration_confirmation",
                ),
                (MailKind::RegistrationConfirmation, None) => {
                    return Err(ComposeError::Missing("the registration's session is gone"))
                }
                _ => (
                    format!("Confirmez votre abonnement : {}", self.list_name),
                    self.confirm_url(&claimed.detail),
                    "mail/confirmation",
                ),
            };
            let ctx = context! {
                list_name => &self.list_name,
                scope_text => &scope_text,
                confirm_url => confirm_url,
                expires_text => expires_text,
                event => event.map(|e| {
                    self.event_view(e, Reader::Registrant(RegistrationStatus::Pending), cache.now)
                }),
                subject => &subject,
            };
            return self
                .build(&claimed.recipient, &subject, &message_id, template, ctx)
                .map(Outgoing::from);
        }
        if claimed.kind == MailKind::AlreadySubscribed {
            let Addressee::Follower(subscription) = addressee else {
                return Err(ComposeError::Missing(
                    "an « already subscribed » notice needs its subscription",
                ));
            };
            let subject = format!("Vous êtes déjà abonné : {}", self.list_name);
            let unsubscribe =
                PublicUrls::new(&self.base_url).unsubscribe(&subscription.unsubscribe_key);
            let ctx = context! {
                list_name => &self.list_name,
                scope_text => &scope_text,
                unsubscribe_url => &unsubscribe,
                subject => &subject,
            };
            let (text, html) = self.render("mail/already_subscribed", ctx)?;
            return self
                .assemble(
                    &claimed.recipient,
                    &subject,
                    &message_id,
                    (Body::new(text), Body::new(html)),
                    None,
                    (Some(&unsubscribe), None),
                )
                .map(Outgoing::from);
        }
        let event = event.ok_or(ComposeError::Missing("the message's session is gone"))?;
        let key = addressee.key();
        let reader = addressee.reader();
        let personal = addressee.personal();
        let prepared = cache.prepared(
            self,
            claimed,
            event,
            changed,
            (&scope_text, reader, personal),
            key.len(),
        )?;
        // A follower's message with a plain key and address: the batch's frame, filled in.
        if personal.is_none() && patchable_key(key) {
            if let Some(frame) = prepared
                .frame
                .get_or_init(|| self.frame(&prepared, reader, key.len()))
            {
                if let Some(outgoing) = frame.fill(self, &claimed.recipient, &message_id, key) {
                    return Ok(outgoing);
                }
            }
        }
        let bodies = match &prepared.bodies {
            Some([text, html]) if patchable_key(key) => {
                (text.with_key(key.as_bytes()), html.with_key(key.as_bytes()))
            }
            // A key of other characters, or templates that cut or transform the link: this
            // recipient's text and HTML are rendered whole.
            _ => {
                let notice = &prepared.notice;
                let ctx = notice.context(self, &scope_text, reader, key);
                let (text, html) = self.render(notice.template, ctx)?;
                (Body::new(text), Body::new(html))
            }
        };
        // A registrant's calendar part is their own (its UID and SEQUENCE are theirs).
        let calendar = match personal {
            Some(personal) => cache.personal_calendar(self, claimed.kind, event, personal)?,
            None => prepared.calendar.clone(),
        };
        let unsubscribe = self.unsubscribe_url_for(reader, key);
        self.assemble(
            &claimed.recipient,
            &prepared.notice.subject,
            &message_id,
            bodies,
            calendar,
            (Some(&unsubscribe), None),
        )
        .map(Outgoing::from)
    }

    /// The link a message's footer and List-Unsubscribe carry: a follower's unsubscribe page,
    /// or a registrant's own page (where one click cancels the registration).
    fn unsubscribe_url_for(&self, reader: Reader, key: &str) -> String {
        let urls = PublicUrls::new(&self.base_url);
        match reader {
            Reader::Registrant(_) => urls.registration(key),
            _ => urls.unsubscribe(key),
        }
    }

    /// The `text/calendar` part of a notice of `kind`, for everyone or for one registrant.
    fn calendar_part(
        &self,
        kind: MailKind,
        event: &Event,
        personal: Option<Personal<'_>>,
    ) -> Result<Option<SinglePart>, ComposeError> {
        let Some(method) = calendar_method(kind, event) else {
            return Ok(None);
        };
        match ical::itip(&self.calendar, event, method, personal) {
            Some(ics) => calendar_single_part(method, ics).map(Some),
            None => Ok(None),
        }
    }

    /// What a notice about `event` says, whoever receives it.
    fn notice(
        &self,
        claimed: &Claimed,
        event: &Event,
        changed: &[Change],
        reader: Reader,
        now: DateTime<Utc>,
    ) -> Result<Notice, ComposeError> {
        let view = self.event_view(event, reader, now);
        let (template, subject) = match claimed.kind {
            MailKind::Announcement => (
                "mail/announcement",
                format!(
                    "{}, {}",
                    french::title_with_kind(event.kind, &event.title),
                    view.when
                ),
            ),
            MailKind::Reminder => (
                "mail/reminder",
                format!("Rappel : {}, {}", event.title, view.when),
            ),
            MailKind::Change => (
                "mail/change",
                format!("Modifié : {}, {}", event.title, view.when),
            ),
            MailKind::Cancellation => (
                "mail/cancellation",
                format!("Annulé : {}, {}", event.title, view.when),
            ),
            MailKind::Reinstatement => (
                "mail/reinstatement",
                format!("Rétablie : {}, {}", event.title, view.when),
            ),
            MailKind::Recording => (
                "mail/recording",
                format!("Enregistrement disponible : {}", event.title),
            ),
            MailKind::Seated => (
                "mail/seated",
                format!("Inscription confirmée : {}, {}", event.title, view.when),
            ),
            MailKind::Promoted => (
                "mail/promoted",
                format!("Une place s'est libérée : {}, {}", event.title, view.when),
            ),
            MailKind::Waitlisted => (
                "mail/waitlisted",
                format!("Liste d'attente : {}, {}", event.title, view.when),
            ),
            MailKind::Unregistered => (
                "mail/unregistered",
                format!("Inscription annulée : {}, {}", event.title, view.when),
            ),
            MailKind::Confirmation
            | MailKind::RegistrationConfirmation
            | MailKind::AlreadySubscribed => {
                return Err(ComposeError::Missing("a confirmation is built whole"))
            }
        };
        let advance = crate::domain::notices::parse_reminder(&claimed.detail).ok();
        // « Avant / Désormais »: what recipients knew, beside the session now.
        let compared = match claimed.kind {
            MailKind::Change | MailKind::Reinstatement => {
                Previously::decode(&claimed.detail).compared_with(event)
            }
            _ => Vec::new(),
        };
        // What it compares may include an earlier change they were not told of yet.
        let mut labels: Vec<&'static str> = Vec::new();
        for label in changed
            .iter()
            .chain(compared.iter().map(|c| &c.field))
            .filter_map(|f| french::change_label(*f))
        {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        Ok(Notice {
            template,
            subject,
            event: Value::from_serialize(&view),
            advance_text: advance.map(french::advance_text),
            changed: labels,
            detail: claimed.detail.clone(),
            compared,
        })
    }

    /// The text and HTML versions of a template.
    fn render(&self, template: &str, ctx: Value) -> Result<(String, String), ComposeError> {
        let text = self
            .templates
            .render(&format!("{template}.txt"), ctx.clone())?;
        let html = self.templates.render(&format!("{template}.html"), ctx)?;
        Ok((text, html))
    }

    /// `eventail mail test`: one message to check the configuration.
    pub fn test_message(&self, to: &str) -> Result<Message, ComposeError> {
        let subject = "Message d'essai d'eventail : « été » ✓".to_string();
        let message_id = format!("<test-{}@{}>", uuid::Uuid::new_v4(), self.domain);
        let ctx = context! { list_name => &self.list_name, subject => &subject };
        self.build(to, &subject, &message_id, "mail/test", ctx)
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

    /// A message whose every part is rendered for it (confirmations, `mail test`).
    fn build(
        &self,
        to: &str,
        subject: &str,
        message_id: &str,
        template: &str,
        ctx: Value,
    ) -> Result<Message, ComposeError> {
        let (text, html) = self.render(template, ctx)?;
        self.assemble(
            to,
            subject,
            message_id,
            (Body::new(text), Body::new(html)),
            None,
            (None, None),
        )
    }

    /// Headers around encoded parts: text then HTML, and the calendar part if any. `fixed`
    /// gives the multipart boundary and the date (a frame's messages share them); without it
    /// lettre draws a boundary and the date is now.
    fn assemble(
        &self,
        to: &str,
        subject: &str,
        message_id: &str,
        (text, html): (Body, Body),
        calendar: Option<SinglePart>,
        (unsubscribe, fixed): (Option<&str>, Option<(&str, SystemTime)>),
    ) -> Result<Message, ComposeError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| ComposeError::Build(format!("recipient {to}: {e}")))?;
        // The envelope from the two addresses at hand: left to lettre, it is made by reading
        // the From and To headers back and parsing them (1.6 % of the process's CPU in a
        // profile of the mail benchmark).
        let envelope = Envelope::new(Some(self.from.email.clone()), vec![to.email.clone()])
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        let mut builder = Message::builder()
            .envelope(envelope)
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_string()))
            .date(fixed.map_or_else(SystemTime::now, |(_, date)| date))
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
        let mut parts = match fixed {
            Some((boundary, _)) => MultiPart::alternative().boundary(boundary),
            None => MultiPart::alternative(),
        }
        .singlepart(SinglePart::plain(text))
        .singlepart(SinglePart::html(html));
        if let Some(calendar) = calendar {
            parts = parts.singlepart(calendar);
        }
        builder
            .multipart(parts)
            .map_err(|e| ComposeError::Build(e.to_string()))
    }
}

/// A message ready to leave: its envelope and its bytes as they go to the relay.
pub struct Outgoing {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

impl From<Message> for Outgoing {
    fn from(message: Message) -> Outgoing {
        Outgoing {
            envelope: message.envelope().clone(),
            bytes: message.formatted(),
        }
    }
}

/// Followers' message for one notice, built by lettre and formatted once per batch with
/// stand-ins for what differs between them: the To address, the Message-ID and the
/// unsubscribe key (in the bodies and in List-Unsubscribe). Each follower's bytes are these
/// with their own values written in: building and formatting the message through lettre's
/// builder for each recipient was 11 % of the dispatcher's CPU in the mail benchmark. The
/// followers of a batch share its boundary and its Date (when the frame was made).
struct Frame {
    bytes: Vec<u8>,
    /// Where the To address and the Message-ID stand-ins lie, in order.
    to: Range<usize>,
    message_id: Range<usize>,
    /// Byte offsets of the key's characters, one per character of each occurrence.
    key_spots: Vec<usize>,
}

impl Frame {
    /// The bytes for this recipient; `None` for an address lettre might write otherwise than
    /// as it is (then the message is built whole).
    fn fill(
        &self,
        composer: &Composer,
        recipient: &str,
        message_id: &str,
        key: &str,
    ) -> Option<Outgoing> {
        if !plain_address(recipient) {
            return None;
        }
        let to: Address = recipient.parse().ok()?;
        let envelope = Envelope::new(Some(composer.from.email.clone()), vec![to]).ok()?;
        Some(Outgoing {
            envelope,
            bytes: self.bytes_for(recipient, message_id, key.as_bytes())?,
        })
    }

    fn bytes_for(&self, to: &str, message_id: &str, key: &[u8]) -> Option<Vec<u8>> {
        if key.is_empty() {
            return None;
        }
        let mut edits = [
            (self.to.clone(), to.as_bytes()),
            (self.message_id.clone(), message_id.as_bytes()),
        ];
        edits.sort_by_key(|(range, _)| range.start);
        let grown = to.len() + message_id.len();
        let mut out = Vec::with_capacity(self.bytes.len() + grown);
        let mut from = 0;
        for (range, value) in &edits {
            out.extend_from_slice(self.bytes.get(from..range.start)?);
            out.extend_from_slice(value);
            from = range.end;
        }
        out.extend_from_slice(self.bytes.get(from..)?);
        // The key's spots lie outside the two stand-ins (checked when the frame is made):
        // each moves by what the edits before it added or took away.
        for (i, &at) in self.key_spots.iter().enumerate() {
            let mut shifted = at as isize;
            for (range, value) in &edits {
                if at >= range.end {
                    shifted += value.len() as isize - range.len() as isize;
                }
            }
            *out.get_mut(usize::try_from(shifted).ok()?)? = *key.get(i % key.len())?;
        }
        Some(out)
    }
}

/// Addresses written into a frame as they are: ASCII letters, digits and `@._+-`, which
/// lettre writes in the To header unchanged and never folds.
fn plain_address(address: &str) -> bool {
    (3..=254).contains(&address.len())
        && address
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@._+-".contains(&b))
}

/// A random string of ASCII letters and digits.
fn random_word(len: usize) -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Where `needle` lies in `haystack`, if it lies there exactly once.
fn only_place(haystack: &[u8], needle: &[u8]) -> Option<Range<usize>> {
    if needle.is_empty() {
        return None;
    }
    let mut found = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(at, _)| at);
    let at = found.next()?;
    found.next().is_none().then_some(at..at + needle.len())
}

impl Composer {
    /// Followers' frame for a prepared notice, made with stand-ins, then checked: filled with a
    /// second set of stand-ins (another address length, another key), it must give the bytes
    /// lettre builds for them. `None` when the bodies are rendered per recipient, or when the
    /// check fails: then each message is built whole.
    fn frame(&self, prepared: &Prepared, reader: Reader, key_len: usize) -> Option<Frame> {
        let boundary = format!("eventail-{}", random_word(24));
        self.frame_with(prepared, reader, key_len, (&boundary, SystemTime::now()))
    }

    /// The same with a given boundary and Date.
    fn frame_with(
        &self,
        prepared: &Prepared,
        reader: Reader,
        key_len: usize,
        (boundary, date): (&str, SystemTime),
    ) -> Option<Frame> {
        let [text, html] = prepared.bodies.as_ref()?;
        let build = |to: &str, message_id: &str, key: &str| -> Option<Vec<u8>> {
            let unsubscribe = self.unsubscribe_url_for(reader, key);
            let message = self
                .assemble(
                    to,
                    &prepared.notice.subject,
                    message_id,
                    (text.with_key(key.as_bytes()), html.with_key(key.as_bytes())),
                    prepared.calendar.clone(),
                    (Some(&unsubscribe), Some((boundary, date))),
                )
                .ok()?;
            Some(message.formatted())
        };
        let stand_ins = |len: usize| {
            (
                format!("{}@{}.invalid", random_word(len), random_word(12)),
                format!("<outbox-{}@{}>", random_word(len + 8), self.domain),
            )
        };
        let (to, message_id) = stand_ins(12);
        let (to_2, message_id_2) = stand_ins(31);
        let key = placeholder(key_len);
        let key_2 = other_placeholder(&key);
        if key_2 == key {
            return None;
        }
        let bytes = build(&to, &message_id, &key)?;
        let to_at = only_place(&bytes, to.as_bytes())?;
        let message_id_at = only_place(&bytes, message_id.as_bytes())?;
        let (spots, _) = key_spots(&bytes, key.as_bytes());
        let outside = |at: &usize| !to_at.contains(at) && !message_id_at.contains(at);
        if spots.is_empty() || !spots.iter().all(outside) {
            return None;
        }
        let frame = Frame {
            bytes,
            to: to_at,
            message_id: message_id_at,
            key_spots: spots,
        };
        let filled = frame.bytes_for(&to_2, &message_id_2, key_2.as_bytes())?;
        (filled == build(&to_2, &message_id_2, &key_2)?).then_some(frame)
    }
}

/// What a notice says to every reader of one kind; the context adds the recipient's links.
struct Notice {
    template: &'static str,
    subject: String,
    event: Value,
    advance_text: Option<String>,
    changed: Vec<&'static str>,
    /// The outbox row's detail (a place on the waiting list, who cancelled).
    detail: String,
    /// « Avant / Désormais » of a change or reinstatement notice.
    compared: Vec<Compared>,
}

impl Notice {
    /// The template context for one recipient, whose links are built from `key` (their
    /// unsubscribe key, or their registration's key).
    fn context(&self, composer: &Composer, scope_text: &str, reader: Reader, key: &str) -> Value {
        let urls = PublicUrls::new(&composer.base_url);
        let registrant = match reader {
            Reader::Registrant(status) => Some(context! {
                manage_url => urls.registration(key),
                calendar_url => urls.registration_calendar(key),
                seated => status == RegistrationStatus::Seated,
                waiting => status == RegistrationStatus::Waiting,
            }),
            _ => None,
        };
        context! {
            list_name => &composer.list_name,
            scope_text => scope_text,
            unsubscribe_url => composer.unsubscribe_url_for(reader, key),
            registrant => registrant,
            event => &self.event,
            advance_text => &self.advance_text,
            changed => &self.changed,
            detail => &self.detail,
            compared => &self.compared,
            subject => &self.subject,
        }
    }
}

/// Who a message goes to, as they stand now: a follower (their subscription) or a registrant.
#[derive(Clone, Copy)]
pub enum Addressee<'b> {
    Follower(&'b Subscription),
    Registrant(&'b Registration),
}

impl Addressee<'_> {
    /// What the send-time rules look at.
    pub fn recipient(self) -> Recipient {
        match self {
            Addressee::Follower(s) => Recipient::Subscription(s.status),
            Addressee::Registrant(r) => Recipient::Registration(r.status),
        }
    }

    fn reader(self) -> Reader {
        match self {
            Addressee::Follower(_) => Reader::Follower,
            Addressee::Registrant(r) => Reader::Registrant(r.status),
        }
    }

    /// The secret the recipient's links are built from.
    fn key(&self) -> &str {
        match self {
            Addressee::Follower(s) => &s.unsubscribe_key,
            Addressee::Registrant(r) => &r.link_key,
        }
    }

    /// Why the recipient gets the message, as a phrase.
    fn scope_text(self) -> String {
        match self {
            Addressee::Follower(s) => Composer::scope_text(s),
            Addressee::Registrant(r) => {
                format!("la session \u{ab}\u{a0}{}\u{a0}\u{bb}", r.event_title)
            }
        }
    }

    fn personal(&self) -> Option<Personal<'_>> {
        match self {
            Addressee::Follower(_) => None,
            Addressee::Registrant(r) => Some(Personal {
                registration_id: &r.id,
                revision: r.revision,
                status: r.status,
            }),
        }
    }
}

/// What the recipients of one notice share, prepared once per claimed batch: a reminder to
/// 10,000 people is rendered, encoded and given its calendar part once, not 10,000 times. The
/// only part of the body that differs between them is their unsubscribe key, written into the
/// encoded bytes in place.
pub struct ComposeCache {
    prepared: Mutex<HashMap<PreparedKey, Arc<Prepared>>>,
    /// Registrants' calendar parts, written once per kind of registrant (`CalendarKey`) with a
    /// stand-in for the registration id, which each registrant's own id then replaces.
    calendars: Mutex<HashMap<CalendarKey, Arc<Option<PersonalIcs>>>>,
    /// The time the batch is sent at (the store's clock): whether a session still takes
    /// registrations depends on it.
    now: DateTime<Utc>,
}

impl Default for ComposeCache {
    fn default() -> Self {
        ComposeCache::at(Utc::now())
    }
}

impl ComposeCache {
    /// A cache for a batch sent at `now`.
    pub fn at(now: DateTime<Utc>) -> ComposeCache {
        ComposeCache {
            prepared: Mutex::default(),
            calendars: Mutex::default(),
            now,
        }
    }
}

/// Everything a prepared notice depends on besides the unsubscribe key's characters.
#[derive(Hash, PartialEq, Eq)]
struct PreparedKey {
    event_id: String,
    sequence: i64,
    updated_at: DateTime<Utc>,
    kind: MailKind,
    detail: String,
    changed: Vec<Change>,
    scope_text: String,
    reader: Reader,
    key_len: usize,
}

struct Prepared {
    /// What the templates read.
    notice: Notice,
    /// Text and HTML, or `None` when the templates do not show the unsubscribe link as it is
    /// (a template that cuts or transforms it): then each message is rendered whole.
    bodies: Option<[KeyedBody; 2]>,
    /// The `text/calendar` part, whole (none for registrants: theirs is their own).
    calendar: Option<SinglePart>,
    /// Followers' whole message, formatted at the first of them (`None` inside when it cannot
    /// be: see `Composer::frame`).
    frame: OnceLock<Option<Frame>>,
}

/// Everything a registrant's calendar part depends on besides the characters of the
/// registration id: its UID is `{event}.{registration}@eventail`, its SEQUENCE the session's
/// plus the registration's revision, its title and status follow the registration's status.
#[derive(Hash, PartialEq, Eq)]
struct CalendarKey {
    event_id: String,
    sequence: i64,
    updated_at: DateTime<Utc>,
    kind: MailKind,
    status: RegistrationStatus,
    revision: i64,
    /// The id with its letters and digits as `x`: a stand-in of this shape folds the same.
    id_shape: String,
}

/// A registrant's calendar text (folded, not yet encoded) written with a stand-in id, and the
/// byte offsets of the stand-in's characters in it.
struct PersonalIcs {
    text: String,
    spots: Vec<usize>,
}

impl PersonalIcs {
    fn with_id(&self, id: &str) -> Option<String> {
        let id = id.as_bytes();
        let mut bytes = self.text.clone().into_bytes();
        for (i, &at) in self.spots.iter().enumerate() {
            *bytes.get_mut(at)? = *id.get(i % id.len())?;
        }
        String::from_utf8(bytes).ok()
    }
}

/// Registration ids written into a calendar text in place: ASCII letters, digits and hyphens
/// (the store's are UUIDs), which iCalendar neither escapes nor folds differently.
fn patchable_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn id_shape(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() { 'x' } else { c })
        .collect()
}

/// A random id of the same shape as `id` (letters and digits replaced, hyphens kept).
fn id_stand_in(id: &str) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from(rng.sample(rand::distributions::Alphanumeric))
            } else {
                c
            }
        })
        .collect()
}

/// A registrant's calendar text with a stand-in for their registration id; `None` when there
/// is none, or when the id does not reach the text as it is (then each registrant's is
/// written whole).
fn personal_ics(
    calendar: &CalendarSettings,
    event: &Event,
    method: Method,
    personal: Personal<'_>,
) -> Option<PersonalIcs> {
    let write = |stand_in: &str| {
        let as_if = Personal {
            registration_id: stand_in,
            ..personal
        };
        ical::itip(calendar, event, method, Some(as_if))
    };
    let first = id_stand_in(personal.registration_id);
    let second = id_stand_in(personal.registration_id);
    let text = write(&first)?;
    let (spots, found) = spots_across(text.as_bytes(), first.as_bytes(), b"\r\n ");
    let template = PersonalIcs { text, spots };
    // Written with another stand-in, the text differs only where the first one was.
    (found > 0 && first != second && template.with_id(&second) == write(&second))
        .then_some(template)
}

/// An encoded body with the places of the unsubscribe key's characters in it.
struct KeyedBody {
    encoded: Vec<u8>,
    encoding: ContentTransferEncoding,
    /// Byte offsets, one per character of each occurrence of the key, in order.
    spots: Vec<usize>,
}

impl KeyedBody {
    fn with_key(&self, key: &[u8]) -> Body {
        let mut encoded = self.encoded.clone();
        for (i, &at) in self.spots.iter().enumerate() {
            if let (Some(byte), Some(&k)) = (encoded.get_mut(at), key.get(i % key.len().max(1))) {
                *byte = k;
            }
        }
        Body::dangerous_pre_encoded(encoded, self.encoding)
    }
}

/// Keys written into encoded bodies must read the same in every encoding and in HTML: ASCII
/// letters and digits (the store's keys are hex).
fn patchable_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A random stand-in for a key of `len` characters. It holds every hex digit (the store's keys
/// are hex) where it has room, so a template that changes any of them is caught by comparing
/// two stand-ins.
fn placeholder(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let start = rng.gen_range(0..16);
    let digits = "0123456789abcdef".chars().cycle().skip(start).take(16);
    digits
        .chain(
            (&mut rng)
                .sample_iter(rand::distributions::Alphanumeric)
                .map(char::from),
        )
        .take(len)
        .collect()
}

/// Another stand-in of the same length as `first`, different from it unless 64 draws all
/// came out the same (keys shorter than the hex digits can): callers check.
fn other_placeholder(first: &str) -> String {
    let mut second = placeholder(first.len());
    for _ in 0..64 {
        if second != first {
            break;
        }
        second = placeholder(first.len());
    }
    second
}

/// Where `placeholder` lies in `encoded`, character by character. A quoted-printable soft
/// line break (`=` CRLF) may fall inside an occurrence; a key of the same length and kind of
/// characters breaks at the same places, so overwriting these bytes gives what encoding the
/// recipient's own text would.
fn key_spots(encoded: &[u8], placeholder: &[u8]) -> (Vec<usize>, usize) {
    spots_across(encoded, placeholder, b"=\r\n")
}

/// Where `placeholder` lies in `text`, character by character, with line breaks `brk` allowed
/// between its characters (a quoted-printable soft break, an iCalendar fold).
fn spots_across(encoded: &[u8], placeholder: &[u8], brk: &[u8]) -> (Vec<usize>, usize) {
    let mut spots = Vec::new();
    if placeholder.is_empty() {
        return (spots, 0);
    }
    let mut found = 0;
    let mut start = 0;
    'search: while start < encoded.len() {
        let mut positions = Vec::with_capacity(placeholder.len());
        let mut at = start;
        for &c in placeholder {
            if !positions.is_empty() {
                while !brk.is_empty() && encoded.get(at..at + brk.len()) == Some(brk) {
                    at += brk.len();
                }
            }
            if encoded.get(at) != Some(&c) {
                start += 1;
                continue 'search;
            }
            positions.push(at);
            at += 1;
        }
        spots.extend(positions);
        found += 1;
        start = at;
    }
    (spots, found)
}

impl ComposeCache {
    fn prepared(
        &self,
        composer: &Composer,
        claimed: &Claimed,
        event: &Event,
        changed: &[Change],
        (scope_text, reader, personal): (&str, Reader, Option<Personal<'_>>),
        key_len: usize,
    ) -> Result<Arc<Prepared>, ComposeError> {
        let key = PreparedKey {
            event_id: event.id.clone(),
            sequence: event.sequence,
            updated_at: event.updated_at,
            kind: claimed.kind,
            detail: claimed.detail.clone(),
            changed: changed.to_vec(),
            scope_text: scope_text.to_string(),
            reader,
            key_len,
        };
        if let Some(prepared) = self.lock().get(&key) {
            return Ok(prepared.clone());
        }
        let prepared = Arc::new(composer.prepare(
            claimed,
            event,
            changed,
            (scope_text, reader, personal.is_some()),
            key_len,
            self.now,
        )?);
        self.lock().insert(key, prepared.clone());
        Ok(prepared)
    }

    /// A registrant's own calendar part. Written once per `CalendarKey` with a stand-in id
    /// (checked once against writing it with a second stand-in), then each registrant's id
    /// goes over the stand-in's characters; the text is the same as writing it for them, so
    /// their UID and SEQUENCE stay their own.
    fn personal_calendar(
        &self,
        composer: &Composer,
        kind: MailKind,
        event: &Event,
        personal: Personal<'_>,
    ) -> Result<Option<SinglePart>, ComposeError> {
        let Some(method) = calendar_method(kind, event) else {
            return Ok(None);
        };
        let id = personal.registration_id;
        if !patchable_id(id) {
            return composer.calendar_part(kind, event, Some(personal));
        }
        let key = CalendarKey {
            event_id: event.id.clone(),
            sequence: event.sequence,
            updated_at: event.updated_at,
            kind,
            status: personal.status,
            revision: personal.revision,
            id_shape: id_shape(id),
        };
        let cached = self
            .calendars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        let template = match cached {
            Some(template) => template,
            None => {
                let template = Arc::new(personal_ics(&composer.calendar, event, method, personal));
                self.calendars
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key, template.clone());
                template
            }
        };
        match template.as_ref().as_ref().and_then(|t| t.with_id(id)) {
            Some(ics) => calendar_single_part(method, ics).map(Some),
            // No schedule, or the stand-in did not come out as it went in: written whole.
            None => composer.calendar_part(kind, event, Some(personal)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PreparedKey, Arc<Prepared>>> {
        // Only lookups and inserts happen under the lock: a panic elsewhere leaves it whole.
        self.prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Composer {
    fn prepare(
        &self,
        claimed: &Claimed,
        event: &Event,
        changed: &[Change],
        (scope_text, reader, personal): (&str, Reader, bool),
        key_len: usize,
        now: DateTime<Utc>,
    ) -> Result<Prepared, ComposeError> {
        let notice = self.notice(claimed, event, changed, reader, now)?;
        // A registrant's calendar part is built for each of them (its UID is theirs).
        let calendar = if personal {
            None
        } else {
            self.calendar_part(claimed.kind, event, None)?
        };
        if key_len == 0 {
            // No key to write in: each message is rendered whole.
            return Ok(Prepared {
                notice,
                bodies: None,
                calendar,
                frame: OnceLock::new(),
            });
        }
        let first = placeholder(key_len);
        let second = other_placeholder(&first);
        let rendered = |stand_in: &str| {
            let ctx = notice.context(self, scope_text, reader, stand_in);
            self.render(notice.template, ctx)
        };
        let (text, html) = rendered(&first)?;
        // The key must reach the output as it is and nowhere else: rendering with another
        // stand-in gives the same text with only the stand-in replaced.
        let (text_2, html_2) = rendered(&second)?;
        let as_is = first != second
            && text.replace(&first, &second) == text_2
            && html.replace(&first, &second) == html_2;
        let keyed = |rendered: String| {
            let occurrences = rendered.matches(first.as_str()).count();
            let body = Body::new(rendered);
            let encoding = body.encoding();
            let encoded = body.into_vec();
            let (spots, found) = key_spots(&encoded, first.as_bytes());
            (found == occurrences).then_some(KeyedBody {
                encoded,
                encoding,
                spots,
            })
        };
        let bodies = if as_is {
            match (keyed(text), keyed(html)) {
                (Some(text), Some(html)) => Some([text, html]),
                _ => None,
            }
        } else {
            None
        };
        Ok(Prepared {
            notice,
            bodies,
            calendar,
            frame: OnceLock::new(),
        })
    }
}

/// The iTIP method of a notice's calendar part; `None` for a notice without one (and for
/// recordings and videos: a calendar part only for live sessions).
fn calendar_method(kind: MailKind, event: &Event) -> Option<Method> {
    let method = match kind {
        MailKind::Announcement
        | MailKind::Reminder
        | MailKind::Change
        | MailKind::Reinstatement
        | MailKind::Seated
        | MailKind::Promoted
        | MailKind::Waitlisted => Method::Publish,
        MailKind::Cancellation | MailKind::Unregistered => Method::Cancel,
        _ => return None,
    };
    event.kind.is_live().then_some(method)
}

fn calendar_single_part(method: Method, ics: String) -> Result<SinglePart, ComposeError> {
    let content_type = ContentType::parse(&format!(
        "text/calendar; charset=UTF-8; method={}",
        method.as_str()
    ))
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(SinglePart::builder().header(content_type).body(ics))
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

    /// A key written into a body encoded once with a stand-in gives the bytes encoding the
    /// recipient's own text would, wherever quoted-printable breaks the line.
    #[test]
    fn keys_written_into_encoded_bodies_match_encoding_them() {
        let key = "0123456789abcdef0123456789abcdef0123456789abcdef";
        let text_for = |pad: usize, k: &str| {
            format!(
                "Rendez-vous {}{} : https://agenda.example.org/desabonnement/{k}\n\
                 Se désabonner : https://agenda.example.org/desabonnement/{k}\n",
                "é".repeat(pad % 5),
                "x".repeat(pad)
            )
        };
        let mut broken_inside = 0;
        for pad in 0..90 {
            let stand_in = placeholder(key.len());
            let body = Body::new(text_for(pad, &stand_in));
            let encoding = body.encoding();
            assert_eq!(encoding, ContentTransferEncoding::QuotedPrintable);
            let encoded = body.into_vec();
            let (spots, found) = key_spots(&encoded, stand_in.as_bytes());
            assert_eq!(found, 2, "pad {pad}");
            assert_eq!(spots.len(), 2 * key.len());
            if spots.windows(2).any(|w| w[1] - w[0] > 1) {
                broken_inside += 1;
            }
            let keyed = KeyedBody {
                encoded,
                encoding,
                spots,
            };
            let direct = Body::new(text_for(pad, key));
            assert_eq!(
                String::from_utf8(keyed.with_key(key.as_bytes()).into_vec()).unwrap(),
                String::from_utf8(direct.into_vec()).unwrap(),
                "pad {pad}"
            );
        }
        assert!(
            broken_inside > 10,
            "soft breaks inside the key: {broken_inside}"
        );
    }

    #[test]
    fn only_plain_keys_are_written_in_place() {
        assert!(patchable_key("a1B2"));
        assert!(!patchable_key(""));
        assert!(!patchable_key("a/b"));
        assert!(!patchable_key("clé"));
        assert_eq!(
            key_spots(b"abc=\r\nd xabcd", b"abcd"),
            (vec![0, 1, 2, 6, 9, 10, 11, 12], 2)
        );
        assert_eq!(key_spots(b"=\r\nabcd", b"abcd").1, 1);
        assert_eq!(key_spots(b"abc", b"abcd").1, 0);
        assert_eq!(key_spots(b"abc", b""), (vec![], 0));
        let stand_in = placeholder(48);
        assert_eq!(stand_in.len(), 48);
        assert!("0123456789abcdef".chars().all(|c| stand_in.contains(c)));
        assert!(patchable_key(&stand_in));
    }

    /// Followers' messages filled into the batch's frame are, byte for byte, what lettre
    /// builds for each of them (with the frame's boundary and date), whatever the address's
    /// length, and read back with their own address, Message-ID and key.
    #[test]
    fn followers_messages_from_the_frame_are_what_lettre_builds() {
        use crate::config::Settings;
        use crate::domain::event::testing::stored;
        let settings = Settings::from_figment(Settings::defaults()).expect("defaults");
        let templates = Arc::new(Templates::load(None).expect("templates"));
        let composer = crate::mailer::composer(&settings, templates, "https://agenda.example.org")
            .expect("composer");
        let mut event = stored(EventStatus::Scheduled);
        event.title = "Sobriété numérique : « écoconception » des services".into();
        let now = Utc::now();
        let claimed = Claimed {
            id: 41,
            kind: MailKind::Reminder,
            event_id: Some(event.id.clone()),
            subscription_id: Some("s-1".into()),
            registration_id: None,
            recipient: "a@example.org".into(),
            sequence: event.sequence,
            detail: String::new(),
            due_at: now,
            attempts: 1,
            created_at: now,
            planned_at: now,
            taken_over: false,
        };
        let scope = "tous les webinaires, événements et vidéos";
        let prepared = composer
            .prepare(
                &claimed,
                &event,
                &[],
                (scope, Reader::Follower, false),
                32,
                now,
            )
            .expect("prepared");
        assert!(
            prepared.calendar.is_some(),
            "a reminder has its calendar part"
        );
        let (boundary, date) = ("eventail-essai", SystemTime::now());
        let frame = composer
            .frame_with(&prepared, Reader::Follower, 32, (boundary, date))
            .expect("a frame");
        let [text, html] = prepared.bodies.as_ref().expect("keyed bodies");
        let long = format!("{}@{}.gouv.fr", "prenom.nom".repeat(6), "x".repeat(60));
        for (i, to) in ["a@b.fr", "marie.curie+agenda@example.org", long.as_str()]
            .into_iter()
            .enumerate()
        {
            let key = placeholder(32);
            let message_id = format!(
                "<outbox-{}.1733390000000000@example.org>",
                10usize.pow(i as u32 * 4)
            );
            let filled = frame
                .bytes_for(to, &message_id, key.as_bytes())
                .expect("filled");
            let unsubscribe = composer.unsubscribe_url_for(Reader::Follower, &key);
            let whole = composer
                .assemble(
                    to,
                    &prepared.notice.subject,
                    &message_id,
                    (text.with_key(key.as_bytes()), html.with_key(key.as_bytes())),
                    prepared.calendar.clone(),
                    (Some(&unsubscribe), Some((boundary, date))),
                )
                .expect("built")
                .formatted();
            assert_eq!(
                String::from_utf8_lossy(&filled),
                String::from_utf8_lossy(&whole),
                "{to}"
            );
            let read = mail_parser::MessageParser::default()
                .parse(&filled)
                .expect("parsed");
            let to_read = read.to().and_then(|a| a.first()).and_then(|a| a.address());
            assert_eq!(to_read, Some(to));
            assert_eq!(
                read.message_id(),
                Some(&message_id[1..message_id.len() - 1])
            );
            assert_eq!(read.subject(), Some(prepared.notice.subject.as_str()));
            let body = read.body_text(0).expect("text");
            assert!(body.contains(&unsubscribe), "{to}: {body}");
            let list = read
                .header_raw("List-Unsubscribe")
                .expect("List-Unsubscribe");
            assert_eq!(list.matches(key.as_str()).count(), 2, "{list}");
        }
        // An address lettre might write otherwise is left to lettre.
        assert!(frame
            .fill(&composer, "\"a b\"@example.org", "<m@x>", "abcd")
            .is_none());
    }

    /// A registrant's calendar written once with a stand-in id, then given each registrant's
    /// id, is the text written for that registrant (UID and SEQUENCE their own), wherever the
    /// fold falls in the UID.
    #[test]
    fn calendars_given_an_id_match_writing_them_for_it() {
        let calendar = CalendarSettings {
            base_url: "https://agenda.example.org".into(),
            refresh_interval: "PT1H".into(),
            timezone: chrono_tz::Europe::Paris,
            organizer: Some(Organizer {
                name: "Mission numérique".into(),
                email: "agenda@agenda.example.org".into(),
            }),
            default_duration: chrono::Duration::hours(1),
        };
        let mut event = crate::domain::event::testing::stored(EventStatus::Scheduled);
        event.registration_required = true;
        event.title = "Webinaire : « numérique responsable », mesurer pour réduire".into();
        let mut folded_inside = 0;
        for (n, event_id) in ["1", "0192b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b", "ev-12345"]
            .into_iter()
            .enumerate()
        {
            event.id = event_id.into();
            for status in [RegistrationStatus::Seated, RegistrationStatus::Waiting] {
                for revision in [1, 7] {
                    let shape = "0192b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b";
                    let personal = Personal {
                        registration_id: shape,
                        revision,
                        status,
                    };
                    let template = personal_ics(&calendar, &event, Method::Publish, personal)
                        .expect("a calendar with the id in place");
                    if template.spots.windows(2).any(|w| w[1] - w[0] > 1) {
                        folded_inside += 1;
                    }
                    for k in 0..20 {
                        let id = id_stand_in(shape).to_lowercase();
                        let own = Personal {
                            registration_id: &id,
                            ..personal
                        };
                        let direct =
                            ical::itip(&calendar, &event, Method::Publish, Some(own)).unwrap();
                        assert_eq!(template.with_id(&id).unwrap(), direct, "{n} {k}");
                        assert!(direct.contains(&format!("SEQUENCE:{revision}\r\n")));
                    }
                }
            }
        }
        assert!(folded_inside > 0, "the UID is folded inside the id");
        assert!(patchable_id("0192b3c4-d5e6"));
        assert!(!patchable_id(""));
        assert!(!patchable_id("a,b"));
        assert_eq!(id_shape("ab-1"), "xx-x");
    }

    #[test]
    fn subjects_that_look_like_encoded_words_read_as_typed() {
        // A title may hold text shaped like an RFC 2047 encoded-word; written as it is, mail
        // readers would decode it into other text (here a line break and a « Bcc: »).
        for title in [
            "=?utf-8?q?=0D=0ABcc:victime@example.org?=",
            "Atelier =?ISO-8859-1?B?SGFsbG8=?= « été »",
        ] {
            let subject = format!("Webinaire : {title}, le 3\u{a0}mars");
            let message = Message::builder()
                .from("agenda@example.org".parse().expect("from"))
                .to("abonnee@example.org".parse().expect("to"))
                .subject(subject.clone())
                .body(String::from("x"))
                .expect("message");
            let raw = message.formatted();
            let parsed = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("parsed");
            assert_eq!(
                parsed.subject(),
                Some(subject.as_str()),
                "{}",
                String::from_utf8_lossy(&raw)
            );
        }
    }

    #[test]
    fn list_id_phrases_stay_ascii() {
        assert_eq!(
            ascii_phrase("Agenda des webinaires et événements \"x\""),
            "\"Agenda des webinaires et evenements x\""
        );
    }
}
