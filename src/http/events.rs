//! `/api/v1/events`: create, list, read, update (JSON merge patch), cancel, delete drafts, and
//! a session's history.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, Problem};
use super::extract::{JsonBody, OptionalJsonBody};
use super::AppState;
use crate::domain::event::CancelInput;
use crate::domain::time::{parse_time, start_of_day, TimeInput};
use crate::domain::{EventDocument, EventInput, EventKind, EventStatus, FieldErrors, HistoryEntry};
use crate::store::{Cursor, EventFilter, EventPageRequest, Order};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", post(create).get(list))
        .route("/events/{key}", get(show).patch(update).delete(remove))
        .route("/events/{key}/cancel", post(cancel))
        .route("/events/{key}/history", get(history))
}

/// Query of `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `webinar`, `event` or `video`.
    #[param(pattern = "^(webinar|event|video)?$")]
    kind: Option<String>,
    /// Series slug.
    series: Option<String>,
    tag: Option<String>,
    /// `draft`, `scheduled` or `cancelled`; several separated by commas.
    #[param(pattern = "^((draft|scheduled|cancelled)(,(draft|scheduled|cancelled))*)?$")]
    status: Option<String>,
    /// Sessions starting at or after this date or time.
    from: Option<String>,
    /// Sessions starting before this date or time.
    to: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `asc` (default) or `desc`.
    #[param(pattern = "^(asc|desc)?$")]
    order: Option<String>,
}

/// A page of sessions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventList {
    pub items: Vec<EventDocument>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/events", operation_id = "createEvent", tag = "events",
    request_body(content = EventInput, description = "The session; `status` defaults to `draft`"),
    responses(
        (status = 201, description = "Created", body = EventDocument),
        (status = 401, body = Problem), (status = 409, description = "Slug in use", body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let spec = EventInput::from_json(body)?.validate(state.timezone)?;
    let event = state.store.create_event(spec).await?;
    tracing::info!(id = %event.id, slug = %event.slug, "session created");
    let location = format!("/api/v1/events/{}", event.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(event.document_with_links(&state.base_url)),
    ))
}

#[utoipa::path(get, path = "/api/v1/events", operation_id = "listEvents", tag = "events", params(ListQuery),
    responses((status = 200, body = EventList), (status = 400, body = Problem), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<EventList>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let mut errors = FieldErrors::new();
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| EventKind::parse(k).map_err(|m| errors.push("kind", m)).ok());
    let statuses = q
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .filter_map(|s| {
            EventStatus::parse(s.trim())
                .map_err(|m| errors.push("status", m))
                .ok()
        })
        .collect();
    let from = bound(&mut errors, "from", q.from.as_deref(), state.timezone);
    let to = bound(&mut errors, "to", q.to.as_deref(), state.timezone);
    let limit = super::page_size(&state.settings, q.limit.as_deref())
        .map_err(|e| {
            if let ApiError::Invalid(f) = e {
                errors.0.extend(f.0)
            }
        })
        .unwrap_or(1);
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => {
            let cursor = Cursor::decode(raw);
            if cursor.is_none() {
                errors.push("cursor", "is not a cursor this server returned");
            }
            cursor
        }
    };
    let order = match q.order.as_deref() {
        None | Some("") | Some("asc") => Order::Ascending,
        Some("desc") => Order::Descending,
        Some(other) => {
            errors.push("order", format!("\u{201c}{other}\u{201d}: use asc or desc"));
            Order::Ascending
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid_query(errors));
    }
    let filter = EventFilter {
        kind,
        statuses,
        series: q.series.filter(|s| !s.is_empty()),
        tag: q.tag.filter(|t| !t.is_empty()),
        from,
        to,
    };
    let page = state
        .store
        .list_events(
            &filter,
            &EventPageRequest {
                after,
                limit,
                order,
            },
        )
        .await?;
    Ok(Json(EventList {
        items: page
            .items
            .iter()
            .map(|e| e.document_with_links(&state.base_url))
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// A date means the start of that day in the default zone.
fn bound(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    tz: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    let raw = raw.filter(|r| !r.is_empty())?;
    match parse_time(raw, tz) {
        Ok(TimeInput::Instant(t)) => Some(t),
        Ok(TimeInput::Date(d)) => Some(start_of_day(d, tz)),
        Err(m) => {
            errors.push(field, m);
            None
        }
    }
}

#[utoipa::path(get, path = "/api/v1/events/{key}", operation_id = "getEvent", tag = "events",
    params(("key" = String, Path, description = "Id or slug")),
    responses((status = 200, body = EventDocument), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<EventDocument>, ApiError> {
    let event = state.store.get_event(&key).await.map_err(not_found(&key))?;
    Ok(Json(event.document_with_links(&state.base_url)))
}

#[utoipa::path(patch, path = "/api/v1/events/{key}", operation_id = "updateEvent", tag = "events",
    params(("key" = String, Path, description = "Id or slug")),
    request_body(content = EventInput, content_type = "application/merge-patch+json",
        description = "JSON merge patch (RFC 7396): the fields to change, null to clear one"),
    responses(
        (status = 200, body = EventDocument), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(patch): JsonBody,
) -> Result<Json<EventDocument>, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::bad_request(
            "a merge patch must be a JSON object of the fields to change",
        ));
    }
    let tz = state.timezone;
    let event = state
        .store
        .update_event(&key, |current| {
            let mut base = current.patch_base();
            json_patch::merge(&mut base, &patch);
            let spec = EventInput::from_json(base)
                .and_then(|input| input.validate(tz))
                .map_err(crate::store::StoreError::Invalid)?;
            Ok(Some(spec))
        })
        .await
        .map_err(not_found(&key))?;
    tracing::info!(id = %event.id, sequence = event.sequence, "session updated");
    Ok(Json(event.document_with_links(&state.base_url)))
}

#[utoipa::path(post, path = "/api/v1/events/{key}/cancel", operation_id = "cancelEvent", tag = "events",
    params(("key" = String, Path, description = "Id or slug")),
    request_body(content = Option<CancelInput>, content_type = "application/json",
        description = "Optional. The reason, shown on the session's page, in the cancellation \
            notice and in calendars (`cancel_reason`). No body, or no reason, cancels without one."),
    responses(
        (status = 200, description = "Cancelled (or already cancelled)", body = EventDocument),
        (status = 400, description = "The body is not JSON", body = Problem),
        (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "A draft cannot be cancelled", body = Problem),
        (status = 415, body = Problem),
        (status = 422, description = "The reason is not a string, or is too long", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(key): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<EventDocument>, ApiError> {
    let reason = match body {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => CancelInput::from_json(value)?.validate()?,
    };
    let event = state
        .store
        .cancel_event(&key, state.timezone, reason)
        .await
        .map_err(not_found(&key))?;
    tracing::info!(id = %event.id, sequence = event.sequence, "session cancelled");
    Ok(Json(event.document_with_links(&state.base_url)))
}

#[utoipa::path(delete, path = "/api/v1/events/{key}", operation_id = "deleteEvent", tag = "events",
    params(("key" = String, Path, description = "Id or slug")),
    responses(
        (status = 204, description = "Deleted"), (status = 401, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "Only drafts can be deleted", body = Problem),
    ),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_event(&key)
        .await
        .map_err(not_found(&key))?;
    tracing::info!(key = %key, "draft deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// One change of a session, as its history records it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    /// When the change was stored.
    pub at: DateTime<Utc>,
    /// The session's sequence after this change (it rises only for changes a calendar or a
    /// recipient must see, once the session is published).
    pub sequence: i64,
    /// `created`, `updated` or `cancelled`.
    #[schema(example = "updated")]
    pub action: &'static str,
    /// The fields that changed, by their keys in the session's document, in key order.
    #[schema(example = json!(["ends_at", "starts_at"]))]
    pub fields: Vec<&'static str>,
    /// Who made it: `compte:ADDRESS` (the console), `jeton:NAME` (an API token), or null
    /// (the CLI, the importer, or a change recorded before authors were).
    #[schema(example = "jeton:site")]
    pub actor: Option<String>,
    /// Each changed field's value before and after, as in the session's document.
    #[schema(value_type = Vec<Object>)]
    pub values: Vec<crate::domain::FieldValues>,
}

impl From<&HistoryEntry> for HistoryItem {
    fn from(entry: &HistoryEntry) -> Self {
        HistoryItem {
            at: entry.at,
            sequence: entry.sequence,
            action: entry.action.as_str(),
            fields: entry.fields.iter().map(|f| f.as_str()).collect(),
            actor: entry.actor.clone(),
            values: entry.values.clone(),
        }
    }
}

/// A session's history, oldest change first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    pub items: Vec<HistoryItem>,
}

#[utoipa::path(get, path = "/api/v1/events/{key}/history", operation_id = "getEventHistory", tag = "events",
    params(("key" = String, Path, description = "Id or slug")),
    responses((status = 200, description = "Every change, oldest first", body = History),
        (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<History>, ApiError> {
    let event = state.store.get_event(&key).await.map_err(not_found(&key))?;
    let entries = state.store.event_history(&event.id).await?;
    Ok(Json(History {
        items: entries.iter().map(HistoryItem::from).collect(),
    }))
}

fn not_found(key: &str) -> impl FnOnce(crate::store::StoreError) -> ApiError + '_ {
    move |err| match err {
        crate::store::StoreError::NotFound => {
            ApiError::NotFound(format!("no session with id or slug \u{201c}{key}\u{201d}"))
        }
        other => other.into(),
    }
}
