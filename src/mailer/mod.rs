//! Mail: messages composed from templates (`compose`), sent through SMTP or written as files
//! (`transport`), by a dispatcher working through the store's durable outbox (`dispatcher`).

pub mod compose;
pub mod dispatcher;
pub mod transport;

pub use compose::{Addressee, ComposeCache, Composer, Outgoing};
pub use dispatcher::{DispatchSettings, Dispatcher, RunReport};
pub use transport::{SendError, Transport};

use std::sync::Arc;

use crate::config::Settings;
use crate::publish::ical::CalendarSettings;
use crate::store::Store;
use crate::templates::Templates;

/// The composer for this configuration, with links under `base_url`.
pub fn composer(
    settings: &Settings,
    templates: Arc<Templates>,
    base_url: &str,
) -> anyhow::Result<Composer> {
    let calendar = CalendarSettings::from_settings(settings, base_url)?;
    Composer::new(templates, &settings.mail, calendar, base_url)
}

/// A dispatcher for this configuration: its composer, its transport, its tuning.
pub fn dispatcher(
    store: Store,
    settings: &Settings,
    templates: Arc<Templates>,
    base_url: &str,
) -> anyhow::Result<Dispatcher> {
    let composer = composer(settings, templates, base_url)?;
    let transport = Transport::from_settings(&settings.mail)?;
    Ok(Dispatcher::new(
        store,
        Arc::new(composer),
        transport,
        DispatchSettings::from_mail(&settings.mail),
    ))
}
