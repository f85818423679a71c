//! Public iCalendar feeds and per-session files, kept in the rendered cache (`cache.rs`).
//!
//! A rendered feed is kept until the store's change counter moves (any write here, or another
//! instance's write on PostgreSQL) or until one of its sessions ages out. Requests are then
//! answered from memory, 304 included, without touching the database; a revalidation of an
//! address served before is answered before the router (`revalidate.rs`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cache::{cached, cached_until, remember, CacheKey};
use super::conditional;
use super::error::ApiError;
use super::revalidate::Served;
use super::AppState;
use crate::domain::{EventKind, EventStatus, FieldErrors};
use crate::publish::ical::{self, SubscribeLinks};
use crate::publish::Rendered;
use crate::store::FeedQuery;

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendar.ics", get(all))
        .route("/series/{slug}/calendar.ics", get(series))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/calendars", get(calendars))
}

/// Filters of `/calendar.ics`. Other parameters (campaign tags and the like) are ignored.
#[derive(Debug, Deserialize)]
pub struct FeedParams {
    kind: Option<String>,
    series: Option<String>,
    tag: Option<String>,
}

async fn all(
    State(state): State<AppState>,
    Query(params): Query<FeedParams>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = match params.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(EventKind::parse(raw).map_err(|m| ApiError::BadRequest {
            detail: "unknown kind of session".into(),
            errors: FieldErrors::single("kind", m),
        })?),
    };
    let query = FeedQuery {
        kind,
        series: non_empty(params.series),
        tag: non_empty(params.tag),
    };
    serve_feed(&state, query, &uri, "/calendar.ics", &headers).await
}

async fn series(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = FeedQuery {
        series: Some(slug),
        ..FeedQuery::default()
    };
    serve_feed(&state, query, &uri, "/series/{slug}/calendar.ics", &headers).await
}

/// `/events/{slug}.ics`: one session's calendar file (routed from `/events/{file}` in `mod.rs`).
pub(super) async fn event_ics(
    state: &AppState,
    slug: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let key = CacheKey::Event(slug.to_string());
    let generation = state.store.changes().generation();
    let now = Utc::now();
    let rendered = match cached(state, &key, generation, now) {
        Some(rendered) => rendered,
        None => {
            let event = match state.store.get_event(slug).await {
                Ok(event) if event.status != EventStatus::Draft && event.slug == slug => event,
                Ok(_) | Err(crate::store::StoreError::NotFound) => {
                    return Err(ApiError::NotFound(format!(
                        "no published session \u{201c}{slug}\u{201d}"
                    )))
                }
                Err(err) => return Err(err.into()),
            };
            let body = ical::single(&state.calendar, &event).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "the session \u{201c}{slug}\u{201d} has no date to put in a calendar"
                ))
            })?;
            let rendered = Arc::new(Rendered::new(body, event.updated_at));
            remember(state, key, generation, None, &rendered);
            rendered
        }
    };
    let served = Served {
        uri,
        route: "/events/{file}",
        generation,
        expires: None,
    };
    state
        .revalidations
        .learn(state, served, &rendered, &state.calendar_cache_control);
    Ok(conditional::respond(
        headers,
        rendered,
        CONTENT_TYPE,
        &state.calendar_cache_control,
    )
    .await)
}

async fn serve_feed(
    state: &AppState,
    query: FeedQuery,
    uri: &Uri,
    route: &'static str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    // Read before the rendering: a write landing meanwhile leaves the short path's entry stale.
    let generation = state.store.changes().generation();
    let (rendered, expires) = feed_until(state, query).await?;
    let served = Served {
        uri,
        route,
        generation,
        expires,
    };
    state
        .revalidations
        .learn(state, served, &rendered, &state.calendar_cache_control);
    Ok(conditional::respond(
        headers,
        rendered,
        CONTENT_TYPE,
        &state.calendar_cache_control,
    )
    .await)
}

/// The rendered feed for `query`, from the cache when still valid.
pub async fn feed(state: &AppState, query: FeedQuery) -> Result<Arc<Rendered>, ApiError> {
    Ok(feed_until(state, query).await?.0)
}

/// `feed`, with when the rendering changes by itself (a session ages out of the window).
async fn feed_until(
    state: &AppState,
    query: FeedQuery,
) -> Result<(Arc<Rendered>, Option<DateTime<Utc>>), ApiError> {
    let key = CacheKey::Feed(query.clone());
    // Read before the data: a write landing during rendering leaves the entry already stale.
    let generation = state.store.changes().generation();
    let now = Utc::now();
    if let Some(found) = cached_until(state, &key, generation, now) {
        return Ok((found.rendered, found.expires));
    }
    let series_title = match &query.series {
        // By slug only: the store also finds series by id, which the feed filter does not.
        Some(slug) => match state.store.get_series(slug).await {
            Ok(series) if &series.slug == slug => Some(series.title),
            Ok(_) => {
                return Err(ApiError::NotFound(format!(
                    "no series \u{201c}{slug}\u{201d}"
                )))
            }
            Err(crate::store::StoreError::NotFound) => {
                return Err(ApiError::NotFound(format!(
                    "no series \u{201c}{slug}\u{201d}"
                )))
            }
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    let window = state.settings.calendar.window();
    let name = feed_name(
        &state.settings.calendar.title,
        &query,
        series_title.as_deref(),
    );
    let feed = state
        .renderer
        .render(&state.store, &state.calendar, &name, &query, now, window)
        .await?;
    let last_modified = feed.last_change.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let rendered = Arc::new(Rendered::new(feed.text, last_modified));
    remember(state, key, generation, feed.expires, &rendered);
    Ok((rendered, feed.expires))
}

/// Saves the main feed for the next start (see `feeds.rs`).
pub async fn save_main_feed(state: &AppState) -> Result<(), crate::store::StoreError> {
    let query = FeedQuery::default();
    let name = feed_name(&state.settings.calendar.title, &query, None);
    state
        .renderer
        .save_snapshot(
            &state.store,
            &state.calendar,
            &name,
            &query,
            state.settings.calendar.window(),
        )
        .await
}

/// The feed's name as calendar apps list it: the configured title, then what it is filtered on.
pub fn feed_name(title: &str, query: &FeedQuery, series_title: Option<&str>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(series) = series_title {
        parts.push(series.to_string());
    }
    if let Some(kind) = query.kind {
        parts.push(
            match kind {
                EventKind::Webinar => "webinaires",
                EventKind::Event => "événements",
                EventKind::Video => "vidéos",
            }
            .to_string(),
        );
    }
    if let Some(tag) = &query.tag {
        parts.push(format!("\u{ab}\u{a0}{tag}\u{a0}\u{bb}"));
    }
    if parts.is_empty() {
        title.to_string()
    } else {
        format!("{title} \u{2014} {}", parts.join(", "))
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A feed and the ways to subscribe to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarLinks {
    pub title: String,
    /// The series this feed follows, if it is a series feed.
    pub series: Option<String>,
    #[serde(flatten)]
    pub links: SubscribeLinks,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarList {
    pub items: Vec<CalendarLinks>,
}

/// Subscribe links for the main feed and each series' feed, to paste into pages and mailings.
#[utoipa::path(get, path = "/api/v1/calendars", operation_id = "listCalendars", tag = "calendars",
    responses((status = 200, body = CalendarList)),
    security(("bearer" = [])))]
pub async fn calendars(State(state): State<AppState>) -> Result<Json<CalendarList>, ApiError> {
    let urls = state.urls();
    let title = &state.settings.calendar.title;
    let mut items = vec![CalendarLinks {
        title: title.clone(),
        series: None,
        links: SubscribeLinks::for_feed(&urls.calendar(), title),
    }];
    for series in state.store.list_series().await? {
        let query = FeedQuery {
            series: Some(series.slug.clone()),
            ..FeedQuery::default()
        };
        let name = feed_name(title, &query, Some(&series.title));
        items.push(CalendarLinks {
            links: SubscribeLinks::for_feed(&urls.series_calendar(&series.slug), &name),
            title: name,
            series: Some(series.slug),
        });
    }
    Ok(Json(CalendarList { items }))
}
