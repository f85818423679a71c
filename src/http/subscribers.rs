//! `/api/v1/subscribers` and the outbox: mailing lists as organisers manage them.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::{ApiError, Problem};
use super::extract::JsonBody;
use super::AppState;
use crate::domain::{EmailAddress, FieldErrors, Scope, SubscriptionStatus};
use crate::store::{
    ConsentEvent, NewSubscription, OutboxMessage, OutboxReport, ScopeCount, ScopeFilter,
    StoreError, Subscription, SubscriptionFilter,
};

/// A subscription with the history of its consent.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SubscriptionDetail {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub consent_history: Vec<ConsentEvent>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AddressWithdrawal {
    #[schema(format = Email)]
    pub email: String,
    /// How the request came (default: "organiser").
    #[serde(default)]
    pub source: Option<String>,
}

/// Withdraws an address from every list: for requests that reach organisers by mail (the
/// `mailto:` of List-Unsubscribe) or otherwise.
#[utoipa::path(post, path = "/api/v1/subscribers/unsubscribe", operation_id = "unsubscribeAddress", tag = "subscribers",
    request_body = AddressWithdrawal,
    responses((status = 200, description = "`{\"withdrawn\": n}`: how many subscriptions it left"),
        (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn unsubscribe_address(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    let input: AddressWithdrawal = crate::domain::errors::read_fields(body)?;
    let source = input
        .source
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "organiser".into());
    let email = EmailAddress::parse(&input.email)
        .map_err(|m| ApiError::Invalid(FieldErrors::single("email", m)))?;
    let withdrawn = state.store.unsubscribe_address(&email, &source).await?;
    Ok(Json(serde_json::json!({ "withdrawn": withdrawn })))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subscribers", get(list).post(create))
        .route("/subscribers/counts", get(counts))
        .route("/subscribers/export.csv", get(export))
        .route("/subscribers/unsubscribe", post(unsubscribe_address))
        .route("/subscribers/{id}", get(show).delete(remove))
        .route("/events/{key}/outbox", get(outbox))
        .route("/outbox/{id}/retry", post(retry))
}

/// Reads a scope: `"all"`, `{"series": slug}` or `{"event": slug}`.
pub(crate) fn read_scope(value: Option<&serde_json::Value>) -> Result<Scope, FieldErrors> {
    use serde_json::Value;
    let wrong = || {
        FieldErrors::single(
            "scope",
            "must be \"all\", {\"series\": \"slug\"} or {\"event\": \"slug\"}",
        )
    };
    match value {
        None | Some(Value::Null) => Ok(Scope::All),
        Some(Value::String(s)) if s == "all" => Ok(Scope::All),
        Some(Value::Object(map)) if map.len() == 1 => {
            let (key, slug) = map.iter().next().ok_or_else(wrong)?;
            let slug = slug
                .as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(wrong)?
                .to_string();
            match key.as_str() {
                "series" => Ok(Scope::Series(slug)),
                "event" => Ok(Scope::Event(slug)),
                _ => Err(wrong()),
            }
        }
        _ => Err(wrong()),
    }
}

/// `POST /api/v1/subscribers`: an address whose consent was collected elsewhere.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewSubscriber {
    #[schema(format = Email)]
    pub email: String,
    #[schema(schema_with = super::openapi::rules::scope)]
    pub scope: Option<serde_json::Value>,
    pub consent: Consent,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    /// Where and how consent was given (a paper form at an event, an older tool…).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub source: String,
    /// When (RFC 3339).
    #[schema(format = DateTime)]
    pub at: String,
    /// The version of the wording agreed to, if known.
    #[serde(default)]
    pub wording_version: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/subscribers", operation_id = "createSubscriber", tag = "subscribers", request_body = NewSubscriber,
    responses((status = 201, body = Subscription), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let input: NewSubscriber = crate::domain::errors::read_fields(body)?;
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(&input.email)
        .map_err(|m| errors.push("email", m))
        .ok();
    let scope = match read_scope(input.scope.as_ref()) {
        Ok(scope) => Some(scope),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let source = input.consent.source.trim().to_string();
    if source.is_empty() || source.chars().count() > 200 {
        errors.push(
            "consent.source",
            "must say where consent was given (1 to 200 characters)",
        );
    }
    let at = match DateTime::parse_from_rfc3339(input.consent.at.trim()) {
        Ok(at) if at.with_timezone(&Utc) <= Utc::now() + chrono::Duration::minutes(5) => {
            Some(at.with_timezone(&Utc))
        }
        Ok(_) => {
            errors.push("consent.at", "is in the future");
            None
        }
        Err(_) => {
            errors.push(
                "consent.at",
                "must be an RFC 3339 time such as 2026-11-23T10:00:00+01:00",
            );
            None
        }
    };
    let (Some(email), Some(scope), Some(at), true) = (email, scope, at, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let new = NewSubscription {
        email,
        scope,
        source,
        wording_version: input
            .consent
            .wording_version
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "external".into()),
        request_ip: None,
    };
    let subscription = state.store.add_subscription(&new, at).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/subscribers/{}", subscription.id),
        )],
        Json(subscription),
    ))
}

/// Query of `GET /api/v1/subscribers` and of its CSV export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending`, `active` or `unsubscribed`.
    #[param(pattern = "^(pending|active|unsubscribed)?$")]
    status: Option<String>,
    /// `all` (subscriptions to everything), `series` or `event` (every subscription of that
    /// kind).
    #[param(pattern = "^(all|series|event)?$")]
    scope: Option<String>,
    /// A session's slug or id: who asked to be reminded of it or registered for it (its
    /// subscriptions of scope `event`).
    event: Option<String>,
    /// A series' slug or id: its subscriptions (scope `series`).
    series: Option<String>,
    /// Addresses containing this text (case-insensitive), to find one person's subscriptions.
    address: Option<String>,
    /// At most this many, newest first: 1 to 10000, by default 10000 for the JSON list and
    /// everything for the CSV export.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    limit: Option<String>,
}

const MAX_LIST: i64 = 10_000;

impl ListQuery {
    /// The store's filter and the limit (`default` when none is given). A query that cannot be
    /// read, or names no series or session, is refused as events' listing does: 400 with the
    /// fields at fault, never silently ignored.
    fn read(
        query: Result<Query<ListQuery>, QueryRejection>,
        default_limit: i64,
    ) -> Result<(SubscriptionFilter, i64), ApiError> {
        let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
        let mut errors = FieldErrors::new();
        let status = match non_empty(&q.status) {
            None => None,
            Some(name) => SubscriptionStatus::parse(name).or_else(|| {
                errors.push("status", "must be pending, active or unsubscribed");
                None
            }),
        };
        let scope = read_scope_filter(
            &mut errors,
            non_empty(&q.scope),
            non_empty(&q.event),
            non_empty(&q.series),
        );
        // An empty `limit=` is no number: refused, as the document's integer says.
        let limit = match q.limit.as_deref() {
            None => default_limit,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_LIST).contains(&n) => n,
                _ => {
                    errors.push("limit", format!("must be a number from 1 to {MAX_LIST}"));
                    default_limit
                }
            },
        };
        if !errors.is_empty() {
            return Err(ApiError::invalid_query(errors));
        }
        let address = non_empty(&q.address).map(str::to_string);
        Ok((
            SubscriptionFilter {
                status,
                scope,
                address,
            },
            limit,
        ))
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `scope`, `event` and `series` together: one session's or one series' subscriptions, or every
/// subscription of a kind; a combination that asks for two things at once is refused.
fn read_scope_filter(
    errors: &mut FieldErrors,
    scope: Option<&str>,
    event: Option<&str>,
    series: Option<&str>,
) -> Option<ScopeFilter> {
    let kind = match scope {
        None => None,
        Some(kind @ ("all" | "series" | "event")) => Some(kind),
        Some(_) => {
            errors.push("scope", "must be all, series or event");
            return None;
        }
    };
    match (event, series, kind) {
        (Some(_), Some(_), _) => {
            errors.push("series", "give event or series, not both");
            None
        }
        (Some(key), None, None | Some("event")) => Some(ScopeFilter::Event(key.to_string())),
        (None, Some(key), None | Some("series")) => Some(ScopeFilter::Series(key.to_string())),
        (Some(_), None, Some(_)) | (None, Some(_), Some(_)) => {
            errors.push(
                "scope",
                "does not match the event or series asked for (leave it out)",
            );
            None
        }
        (None, None, Some("all")) => Some(ScopeFilter::Everything),
        (None, None, Some("series")) => Some(ScopeFilter::AnySeries),
        (None, None, Some(_)) => Some(ScopeFilter::AnyEvent),
        (None, None, None) => None,
    }
}

/// The store's refusal of a series or session the query names (unknown) is the query's fault.
fn listing_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Invalid(errors) => ApiError::invalid_query(errors),
        other => other.into(),
    }
}

#[utoipa::path(get, path = "/api/v1/subscribers", operation_id = "listSubscribers", tag = "subscribers", params(ListQuery),
    responses((status = 200, body = Vec<Subscription>),
        (status = 400, description = "An unknown parameter, a value that cannot be read, or a series or session that does not exist", body = Problem),
        (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Subscription>>, ApiError> {
    let (filter, limit) = ListQuery::read(query, MAX_LIST)?;
    let subscriptions = state
        .store
        .list_subscriptions(&filter, limit)
        .await
        .map_err(listing_error)?;
    Ok(Json(subscriptions))
}

/// The same subscriptions as the JSON list, as a spreadsheet.
#[utoipa::path(get, path = "/api/v1/subscribers/export.csv", operation_id = "exportSubscribers", tag = "subscribers", params(ListQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, description = "As for the JSON list", body = Problem),
        (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (filter, limit) = ListQuery::read(query, i64::MAX)?;
    let subscriptions = state
        .store
        .list_subscriptions(&filter, limit)
        .await
        .map_err(listing_error)?;
    let body = subscriptions_csv(&subscriptions)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"abonnes.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    ))
}

#[utoipa::path(get, path = "/api/v1/subscribers/counts", operation_id = "countSubscribers", tag = "subscribers",
    responses((status = 200, body = Vec<ScopeCount>), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn counts(State(state): State<AppState>) -> Result<Json<Vec<ScopeCount>>, ApiError> {
    Ok(Json(state.store.subscription_counts().await?))
}

#[utoipa::path(get, path = "/api/v1/subscribers/{id}", operation_id = "getSubscriber", tag = "subscribers",
    params(("id" = String, Path)),
    responses((status = 200, body = SubscriptionDetail), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionDetail>, ApiError> {
    let subscription = state
        .store
        .get_subscription(&id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => {
                ApiError::NotFound(format!("no subscription \u{201c}{id}\u{201d}"))
            }
            other => other.into(),
        })?;
    let consent_history = state.store.consent_history(&id).await?;
    Ok(Json(SubscriptionDetail {
        subscription,
        consent_history,
    }))
}

/// Erases the subscription, its consent record and its messages.
#[utoipa::path(delete, path = "/api/v1/subscribers/{id}", operation_id = "deleteSubscriber", tag = "subscribers",
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_subscription(&id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => {
                ApiError::NotFound(format!("no subscription \u{201c}{id}\u{201d}"))
            }
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// What was sent about a session, what waits, what failed and why.
#[utoipa::path(get, path = "/api/v1/events/{key}/outbox", operation_id = "listEventOutbox", tag = "outbox",
    params(("key" = String, Path, description = "Id or slug")),
    responses((status = 200, body = OutboxReport), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn outbox(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<OutboxReport>, ApiError> {
    Ok(Json(state.store.outbox_for_event(&key).await.map_err(
        |e| match e {
            crate::store::StoreError::NotFound => {
                ApiError::NotFound(format!("no session \u{201c}{key}\u{201d}"))
            }
            other => other.into(),
        },
    )?))
}

/// Queues a failed message again.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", operation_id = "retryMessage", tag = "outbox",
    params(("id" = i64, Path)),
    responses((status = 200, body = OutboxMessage), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OutboxMessage>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no message \u{201c}{id}\u{201d}")))?;
    Ok(Json(state.store.retry_message(id).await.map_err(
        |e| match e {
            crate::store::StoreError::NotFound => ApiError::NotFound(format!("no message {id}")),
            other => other.into(),
        },
    )?))
}

/// Subscriptions as CSV, one per line (the API's export and the console's « Télécharger »).
/// Cells a spreadsheet would read as a formula are neutralised.
pub(crate) fn subscriptions_csv(subscriptions: &[Subscription]) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    let header = [
        "email",
        "scope",
        "target",
        "status",
        "source",
        "wording_version",
        "requested_at",
        "request_ip",
        "confirmed_at",
        "withdrawn_at",
    ];
    let csv_error = |e: csv::Error| ApiError::Internal(e.into());
    writer.write_record(header).map_err(csv_error)?;
    for s in subscriptions {
        writer
            .write_record([
                &super::registrations::cell(s.email.as_str()),
                s.scope.kind_str(),
                s.scope.target().unwrap_or(""),
                s.status.as_str(),
                &super::registrations::cell(&s.source),
                s.wording_version.as_str(),
                &s.requested_at.to_rfc3339(),
                s.request_ip.as_deref().unwrap_or(""),
                &time(s.confirmed_at),
                &time(s.withdrawn_at),
            ])
            .map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}
