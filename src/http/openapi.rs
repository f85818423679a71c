//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{calendar, events, registrations, series, speakers, subscribe, subscribers};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "eventail organiser API",
        description = "Schedule webinars, in-person events and video episodes. Every endpoint \
            except this document, `POST /subscribe` and `POST /events/{key}/register` needs `Authorization: Bearer evt_…` (see `eventail token create`). \
            Errors are RFC 9457 problem+json documents with one entry per invalid field."
    ),
    paths(
        events::create, events::list, events::show, events::update, events::cancel, events::remove,
        events::history,
        speakers::create, speakers::list, speakers::show, speakers::update,
        series::create, series::list, series::show, series::update,
        calendar::calendars,
        subscribers::create, subscribers::list, subscribers::export, subscribers::counts,
        subscribers::show, subscribers::remove, subscribers::unsubscribe_address, subscribers::outbox, subscribers::retry,
        subscribe::subscribe_json,
        registrations::register_json, registrations::list, registrations::add, registrations::show,
        registrations::remove, registrations::move_one, registrations::export,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "events", description = "Webinars, in-person events and videos"),
        (name = "speakers", description = "The speaker directory"),
        (name = "series", description = "Series that group episodes"),
        (name = "calendars", description = "Subscribe links of the public iCalendar feeds"),
        (name = "subscribers", description = "Mailing-list subscriptions and their consent"),
        (name = "outbox", description = "Messages planned, sent, failed or dropped"),
        (name = "registrations", description = "Seats at a session, its waiting list, and its registrants"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
