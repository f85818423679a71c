//! `/metrics` (Prometheus's text format) and the middleware that counts requests.
//!
//! On the main address `/metrics` answers only requests bearing `metrics.token`; on
//! `metrics.bind`, a separate address meant for a private network, it answers anyone. With
//! neither configured it is not there (404).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::AppState;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Counts every request a route answered: its pattern, method, status and time; feeds also by
/// status and content coding.
pub(super) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    let Some(route) = route else {
        return response;
    };
    let status = response.status().as_u16();
    state
        .metrics
        .request(&route, method.as_str(), status, started.elapsed());
    let feed = match response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(t) if t.starts_with("text/calendar") => Some("calendar"),
        Some(t) if t.starts_with("application/atom+xml") => Some("atom"),
        // A 304 has no body, hence no type: the route says what it was.
        None if status == 304 && (route.ends_with(".ics") || route == "/events/{file}") => {
            Some("calendar")
        }
        None if status == 304 && route.ends_with(".atom") => Some("atom"),
        _ => None,
    };
    if let Some(feed) = feed {
        let coding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("identity");
        state.metrics.feed_answer(feed, status, coding);
    }
    response
}

/// `/metrics` on the main address: only with the configured token.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(with_token))
}

/// The router of `metrics.bind`: `/metrics` for anyone who reaches that address.
pub fn private_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(open)).with_state(state)
}

async fn with_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.settings.metrics.token() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        let mut refused = StatusCode::UNAUTHORIZED.into_response();
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return refused;
    }
    scrape(&state).await
}

async fn open(State(state): State<AppState>) -> Response {
    scrape(&state).await
}

/// Reads what is read when scraped (outbox, pool, lag), then writes everything out.
async fn scrape(state: &AppState) -> Response {
    let outbox = match state.store.outbox_by_status().await {
        Ok(counts) => counts,
        Err(err) => {
            tracing::warn!(error = %err, "metrics: cannot count the outbox");
            Vec::new()
        }
    };
    let lag = state.store.dispatch_lag().await.ok();
    let pool = state.store.pool();
    let idle = pool.num_idle() as i64;
    let in_use = i64::from(pool.size()) - idle;
    state.metrics.set_scraped(&outbox, in_use, idle, lag);
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        state.metrics.render(),
    )
        .into_response()
}
