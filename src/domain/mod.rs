//! The event model and its rules: kinds, statuses, time, slugs, validation, the sequence bump,
//! what changed, and which mail a change sends. Nothing here knows about SQL or HTTP.

pub mod account;
pub mod changes;
pub mod errors;
pub mod event;
pub mod french;
pub mod notices;
pub mod people;
pub mod registration;
pub mod slug;
pub mod subscription;
pub mod time;
pub mod urls;

pub use changes::{Change, FieldValues, HistoryAction, HistoryEntry};
pub use errors::{FieldError, FieldErrors};
pub use event::{
    Event, EventDocument, EventInput, EventKind, EventSpec, EventStatus, Links, MoreLink,
    SeriesRef, SeriesSummary, SpeakerCredit, SpeakerRef,
};
pub use notices::{DropReason, MailKind, MailPolicy, MessageStatus};
pub use people::{Series, SeriesFields, Speaker, SpeakerFields};
pub use registration::{Audience, Reader, Registrant, RegistrationStatus};
pub use subscription::{EmailAddress, Scope, SubscriptionStatus};
pub use time::Schedule;
