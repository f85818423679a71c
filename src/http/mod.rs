//! HTTP: the organiser JSON API under `/api/v1`, health checks, the public iCalendar feeds,
//! pages and subscription pages. Handlers extract, call the store, and map errors; rules live in
//! `domain`.

pub mod admin;
pub mod assets;
mod audit;
mod cache;
pub mod calendar;
mod conditional;
pub mod error;
mod events;
pub mod export;
mod extract;
mod health;
pub mod metrics;
pub mod openapi;
mod pages;
mod registrations;
pub mod revalidate;
pub mod security;
mod series;
mod speakers;
pub mod subscribe;
mod subscribers;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono_tz::Tz;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::domain::urls::PublicUrls;
use crate::store::Store;
use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub timezone: Tz,
    pub base_url: Arc<str>,
    /// What every iCalendar file shares, from `[calendar]`.
    pub calendar: Arc<crate::publish::ical::CalendarSettings>,
    pub calendar_cache_control: HeaderValue,
    /// Feeds, per-session files and pages as last rendered (see `cache.rs`).
    pub rendered: Arc<cache::RenderedCache>,
    /// The calendar renderings last served by address, for the short path of 304s.
    pub revalidations: Arc<revalidate::Revalidations>,
    pub renderer: Arc<crate::feeds::FeedRenderer>,
    pub templates: Arc<crate::templates::Templates>,
    /// `content.base_url`: where paths in imported posts lead.
    pub content_base: Option<url::Url>,
    /// Where pages send subscribers: this service's `/abonnement`; for a static export, the
    /// live service's (`export.subscribe_url`) or nowhere, as no static host takes the form.
    pub subscribe_url: Option<Arc<str>>,
    /// The stylesheet and fonts under `/assets/`.
    pub assets: Arc<assets::SiteAssets>,
    /// The page frame (DSFR header, footer, forms' RGPD notice), from `[site]`.
    pub site: Arc<crate::publish::site::SiteView>,
    /// The public pages' Content-Security-Policy (`security.rs`).
    pub page_policy: Arc<str>,
    /// What `/metrics` shows (`metrics.rs`); the dispatcher counts into the same.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn new(
        store: Store,
        settings: Settings,
        templates: Arc<crate::templates::Templates>,
    ) -> Result<AppState, crate::config::ConfigError> {
        let timezone = settings.default_timezone()?;
        let content_base = settings.content.base()?;
        let base_url: Arc<str> = settings.base_url().into();
        let subscribe_url: Arc<str> = PublicUrls::new(&base_url).subscribe().into();
        let calendar = crate::publish::ical::CalendarSettings::from_settings(&settings, &base_url)?;
        let assets = assets::SiteAssets::new(settings.site.marianne_font);
        let links_base = match &content_base {
            Some(base) => base.clone(),
            None => url::Url::parse(&base_url).map_err(|e| {
                crate::config::ConfigError(format!("http.base_url \u{201c}{base_url}\u{201d}: {e}"))
            })?,
        };
        let site = crate::publish::site::SiteView::new(
            &settings,
            &links_base,
            assets.stylesheet_url(PublicUrls::new(&base_url)),
        );
        let origin = |u: &url::Url| u.origin().ascii_serialization();
        let own = url::Url::parse(&base_url).ok().map(|u| origin(&u));
        let page_policy =
            security::page_policy(own.as_deref(), content_base.as_ref().map(origin).as_deref())
                .into();
        let c = &settings.calendar;
        let calendar_cache_control =
            HeaderValue::from_str(&format!("public, max-age={}", c.max_age))
                .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=300"));
        // The VEVENTs content writes keep are those this server's feeds show (its base URL may
        // be known only now, from the listener).
        store.set_vevent_writer(Arc::new(crate::feeds::StoreWriter::new(calendar.clone())));
        Ok(AppState {
            store,
            settings: Arc::new(settings),
            timezone,
            base_url,
            calendar: Arc::new(calendar),
            calendar_cache_control,
            rendered: Arc::default(),
            revalidations: Arc::default(),
            renderer: Arc::default(),
            templates,
            content_base,
            subscribe_url: Some(subscribe_url),
            assets: Arc::new(assets),
            site: Arc::new(site),
            page_policy,
            metrics: Arc::default(),
        })
    }

    /// The service's public addresses, under `base_url`.
    pub fn urls(&self) -> PublicUrls<'_> {
        PublicUrls::new(&self.base_url)
    }
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(events::routes())
        .merge(speakers::routes())
        .merge(series::routes())
        .merge(calendar::api_routes())
        .merge(subscribers::routes())
        .merge(registrations::api_routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::require_token,
        ))
        .route("/openapi.json", get(openapi::serve))
        // The public form's JSON twin: no token, rate-limited like the form.
        .route("/subscribe", axum::routing::post(subscribe::subscribe_json))
        // The registration form's JSON twin: no token, rate-limited like the form.
        .route(
            "/events/{key}/register",
            axum::routing::post(registrations::register_json),
        )
        .fallback(api_not_found);

    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .nest("/api/v1", api)
        .merge(health::routes())
        .merge(assets::routes())
        .merge(calendar::routes())
        .route("/events/{file}", get(event_file))
        .merge(subscribe::routes())
        .merge(registrations::routes())
        .merge(admin::routes(state.clone()))
        .merge(pages::routes())
        .merge(metrics::routes())
        // Every matched route counted (its pattern, not its path); the fallback's 404s are not.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(DefaultBodyLimit::max(state.settings.http.max_body_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, token = tracing::field::Empty)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// `/events/{file}`: a session's calendar file when the name ends in `.ics`, its page otherwise.
/// Routes match whole path segments, so one route takes both and hands each to its module here,
/// where the calendar and the pages need not know about each other.
async fn event_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    match file.strip_suffix(".ics") {
        Some(slug) => calendar::event_ics(&state, slug, &uri, &headers).await,
        None => Ok(pages::event_page(&state, &file, &headers).await),
    }
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint; see /api/v1/openapi.json".into())
}

/// `limit`, `cursor` and `order` of list endpoints.
pub(crate) fn page_size(settings: &Settings, limit: Option<&str>) -> Result<u32, ApiError> {
    match limit {
        // An empty `limit=` is no number: refused, as the document's integer says.
        None => Ok(settings.events.page_size),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=settings.events.max_page_size).contains(&n) => Ok(n),
            _ => Err(ApiError::Invalid(crate::domain::FieldErrors::single(
                "limit",
                format!(
                    "must be a number from 1 to {}",
                    settings.events.max_page_size
                ),
            ))),
        },
    }
}
