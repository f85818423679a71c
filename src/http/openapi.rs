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
    modifiers(&BearerAuth, &ProblemResponses, &Links),
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
        for (path, operation) in operations_mut(openapi) {
            Self::complete(path, operation);
        }
    }
}

/// Schemas of fields whose Rust type is looser than the rule the handler applies (a `String`
/// read by hand for a precise error): the document states the rule, so that a client (and
/// Schemathesis's check that schema-valid input is accepted) knows it.
pub(crate) mod rules {
    use utoipa::openapi::schema::{
        AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
    };

    /// Text that must hold more than spaces (a slug in a scope).
    pub const NOT_BLANK: &str = r"\S";
    /// A subscription's scope: `"all"`, `{"series": "slug"}` or `{"event": "slug"}`.
    pub fn scope() -> Schema {
        let one = |key: &str| {
            ObjectBuilder::new()
                .property(
                    key,
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .pattern(Some(NOT_BLANK)),
                )
                .required(key)
                .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
        };
        Schema::OneOf(
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
                .item(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::Type(Type::String))
                        .enum_values(Some(["all"])),
                )
                .item(one("series"))
                .item(one("event"))
                .description(Some(
                    "`\"all\"` (the default), `{\"series\": \"slug\"}` or `{\"event\": \"slug\"}`",
                ))
                .build(),
        )
    }
}

/// Where a client goes from what it created (OpenAPI links): the new session's page in the
/// API, its changes, its registrations; the new speaker, series, subscriber or registration.
/// Schemathesis's stateful phase follows them in `.ci/run` (`.ci/schemathesis`), so that it
/// exercises updates, cancellations and deletions of resources that exist, not only of
/// random keys.
struct Links;

/// The key of what the response created.
const CREATED_ID: &str = "$response.body#/id";

/// (operation, status that created something, [(operation it leads to, its parameters)]).
type LinkTable = [(
    &'static str,
    &'static str,
    &'static [(&'static str, &'static [(&'static str, &'static str)])],
)];

const LINKS: &LinkTable = &[
    (
        "createEvent",
        "201",
        &[
            ("getEvent", &[("key", CREATED_ID)]),
            ("updateEvent", &[("key", CREATED_ID)]),
            ("cancelEvent", &[("key", CREATED_ID)]),
            ("deleteEvent", &[("key", CREATED_ID)]),
            ("getEventHistory", &[("key", CREATED_ID)]),
            ("listEventOutbox", &[("key", CREATED_ID)]),
            ("listRegistrations", &[("key", CREATED_ID)]),
            ("addRegistration", &[("key", CREATED_ID)]),
            ("exportRegistrations", &[("key", CREATED_ID)]),
            ("register", &[("key", CREATED_ID)]),
        ],
    ),
    (
        "updateEvent",
        "200",
        &[
            ("getEvent", &[("key", CREATED_ID)]),
            ("cancelEvent", &[("key", CREATED_ID)]),
        ],
    ),
    (
        "createSpeaker",
        "201",
        &[
            ("getSpeaker", &[("key", CREATED_ID)]),
            ("updateSpeaker", &[("key", CREATED_ID)]),
        ],
    ),
    (
        "createSeries",
        "201",
        &[
            ("getSeries", &[("key", CREATED_ID)]),
            ("updateSeries", &[("key", CREATED_ID)]),
        ],
    ),
    (
        "createSubscriber",
        "201",
        &[
            ("getSubscriber", &[("id", CREATED_ID)]),
            ("deleteSubscriber", &[("id", CREATED_ID)]),
        ],
    ),
    (
        "addRegistration",
        "201",
        &[
            (
                "getRegistration",
                &[("key", "$request.path.key"), ("id", CREATED_ID)],
            ),
            (
                "deleteRegistration",
                &[("key", "$request.path.key"), ("id", CREATED_ID)],
            ),
            (
                "moveRegistration",
                &[("key", "$request.path.key"), ("id", CREATED_ID)],
            ),
        ],
    ),
];

fn operations_mut(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&String, &mut utoipa::openapi::path::Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        .map(move |operation| (path, operation))
    })
}

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::extensions::Extensions;
        use utoipa::openapi::link::LinkBuilder;
        use utoipa::openapi::RefOr;
        for (_, operation) in operations_mut(openapi) {
            let Some((_, status, targets)) = LINKS
                .iter()
                .find(|(id, _, _)| operation.operation_id.as_deref() == Some(*id))
            else {
                continue;
            };
            let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) else {
                continue;
            };
            for (target, parameters) in targets.iter() {
                // utoipa 5.5 writes `LinkBuilder::operation_id` as `operation_id`, a key
                // OpenAPI does not know; `operationId` goes in through the link's flattened
                // extensions instead (the test below reads the document as clients do).
                let operation_id = Extensions::from_iter([("operationId", *target)]);
                let link = parameters
                    .iter()
                    .fold(LinkBuilder::new(), |link, (name, value)| {
                        link.parameter(*name, *value)
                    })
                    .extensions(Some(operation_id))
                    .build();
                response.links.insert((*target).to_string(), RefOr::T(link));
            }
        }
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::Value;
    use utoipa::OpenApi;

    use super::ApiDoc;

    /// Every operation of the document as JSON: (operation id, path, operation).
    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (_, operation) in item.as_object().into_iter().flatten() {
                let id = operation["operationId"].as_str().unwrap_or_default();
                found.push((id.to_string(), path.clone(), operation.clone()));
            }
        }
        found
    }

    #[test]
    fn every_operation_has_its_own_id() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("document as JSON");
        let mut seen = BTreeMap::new();
        for (id, path, _) in operations(&doc) {
            assert!(
                !id.is_empty(),
                "{path} has an operation without operationId"
            );
            if let Some(other) = seen.insert(id.clone(), path.clone()) {
                panic!("operationId {id} is used by {other} and {path}");
            }
        }
    }

    /// A link that names an operation the document lacks, or leaves out one of its path
    /// parameters, is one a client (or the stateful fuzzer) cannot follow.
    #[test]
    fn links_lead_to_operations_with_all_their_path_parameters() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("document as JSON");
        let all = operations(&doc);
        let mut followed = 0;
        for (id, _, operation) in &all {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    let target = link["operationId"].as_str().unwrap_or_default();
                    let Some((_, path, _)) = all.iter().find(|(other, _, _)| other == target)
                    else {
                        panic!("{id} {status} links ({name}) to {target}, which is not in the document");
                    };
                    let wanted: BTreeSet<&str> = path
                        .split('{')
                        .skip(1)
                        .filter_map(|part| part.split('}').next())
                        .collect();
                    let given: BTreeSet<&str> = link["parameters"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.as_str())
                        .collect();
                    assert_eq!(given, wanted, "{id} {status} → {target} ({path})");
                    followed += 1;
                }
            }
        }
        assert!(followed >= 15, "only {followed} links in the document");
    }
}
