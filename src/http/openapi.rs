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
    modifiers(&BearerAuth, &ProblemResponses),
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

/// Every error the API answers, documented on every operation it can come from, as the
/// problem+json document it is (`error::Problem`). Handlers' annotations name the errors of
/// their own rules (409 for a conflict, 429 for a limit); the ones the edge answers for every
/// endpoint of a shape are added here, by rule, so that no annotation can forget one:
/// - a bearer token required: 401;
/// - a key in the path: 404;
/// - query parameters: 400 for one that cannot be read or is not known;
/// - a JSON body: 400 (not JSON), 413 (too large), 415 (not `application/json`), 422 (fields
///   that do not validate).
///
/// and every error response (4xx, 5xx) says `application/problem+json`.
struct ProblemResponses;

impl ProblemResponses {
    fn problem(description: &str) -> utoipa::openapi::Response {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    }

    fn complete(path: &str, operation: &mut utoipa::openapi::path::Operation) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::RefOr;
        let mut wanted: Vec<(&str, &str)> = Vec::new();
        if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
            wanted.push(("401", "No valid bearer token"));
        }
        if path.contains('{') {
            wanted.push(("404", "Nothing with this key"));
        }
        let has_query = operation.parameters.as_ref().is_some_and(|parameters| {
            parameters
                .iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query))
        });
        if has_query {
            wanted.push((
                "400",
                "A query parameter that cannot be read or is not known",
            ));
        }
        if operation.request_body.is_some() {
            wanted.push(("400", "The body is not a JSON document"));
            wanted.push(("413", "The body is too large"));
            wanted.push(("415", "The body is not application/json"));
            wanted.push(("422", "Fields that do not validate, each named"));
        }
        let responses = &mut operation.responses.responses;
        for (status, description) in wanted {
            responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::T(Self::problem(description)));
        }
        for (status, response) in responses.iter_mut() {
            if status.starts_with('4') || status.starts_with('5') {
                if let RefOr::T(response) = response {
                    let reason = axum::http::StatusCode::from_bytes(status.as_bytes())
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Error");
                    let described = match response.description.as_str() {
                        "" => reason.to_string(),
                        given => given.to_string(),
                    };
                    *response = Self::problem(&described);
                }
            }
        }
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                Self::complete(path, operation);
            }
        }
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
