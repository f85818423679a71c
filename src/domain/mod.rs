//! The event model and its rules: kinds, statuses, time, slugs, validation and the
//! sequence bump. Nothing here knows about SQL or HTTP.

pub mod errors;
pub mod event;
pub mod people;
pub mod slug;
pub mod time;
pub mod urls;

pub use errors::{FieldError, FieldErrors};
pub use event::{
    Event, EventDocument, EventInput, EventKind, EventSpec, EventStatus, Links, MoreLink,
    SeriesRef, SeriesSummary, SpeakerCredit, SpeakerRef,
};
pub use people::{Series, SeriesFields, Speaker, SpeakerFields};
pub use time::Schedule;
