//! Public pages: the agenda, a page per session or video, per series, per tag, and the archive.
//! Rendered from templates, kept in memory for a store generation (and at most a minute, since
//! "upcoming" and "complet" move with time and registrations), served with ETag, Last-Modified
//! and gzip/brotli like the feeds.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use minijinja::{context, Value};

use super::cache::{cached, remember, CacheKey};
use super::conditional;
use super::AppState;
use crate::domain::urls::PublicUrls;
use crate::domain::{Event, EventKind, EventStatus};
use crate::publish::pages::{body_html, CalendarChoices, EventView};
use crate::publish::Rendered;
use crate::store::{EventFilter, EventPageRequest, FeedQuery, Order, StoreError};

const HTML: &str = "text/html; charset=utf-8";
/// How long a rendered page is kept at most, and what browsers may keep it for.
const PAGE_SECONDS: i64 = 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(agenda))
        .route("/archives", get(archive))
        .route("/series/{slug}", get(series))
        .route("/tags/{tag}", get(tag))
        .route("/actualites.atom", get(atom))
}

/// `/actualites.atom`: the latest published sessions and videos.
async fn atom(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve_as(
        &state,
        &ATOM,
        PublicUrls::paths().atom_feed(),
        &headers,
        || async {
            let mut events = list(
                &state,
                EventFilter {
                    statuses: vec![EventStatus::Scheduled, EventStatus::Cancelled],
                    ..Default::default()
                },
                Order::Descending,
                crate::publish::atom::ENTRIES * 4,
            )
            .await?;
            // News order: the latest published first (the store lists by session date).
            events.sort_by_key(|e| std::cmp::Reverse(e.published_at.unwrap_or(e.created_at)));
            events.truncate(crate::publish::atom::ENTRIES as usize);
            let author = match state.settings.calendar.organizer_name.trim() {
                "" => state.settings.calendar.title.clone(),
                name => name.to_string(),
            };
            let xml = crate::publish::atom::feed(
                &state.settings.calendar.title,
                &author,
                &state.base_url,
                state.content_base.as_ref(),
                &events,
            );
            Ok((xml, newest(&events)))
        },
    )
    .await
}

/// Why a page could not be made.
pub(super) enum PageError {
    NotFound(String),
    Store(StoreError),
    Template(crate::templates::TemplateError),
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => PageError::NotFound("Cette page n'existe pas.".into()),
            other => PageError::Store(other),
        }
    }
}

/// What every page's template reads besides its own values: the site's name and links, its
/// frame (`site`: stylesheet, header, footer, RGPD notice) and the subscription form's target.
pub(super) fn base_context(state: &AppState) -> Value {
    context! {
        site_title => &state.settings.calendar.title,
        base_url => &*state.base_url,
        urls => state.urls().site(),
        site => Value::from_serialize(&*state.site),
        subscribe_wording => super::subscribe::WORDING,
        subscribe_url => state.subscribe_url.as_deref(),
        facade_script => Value::from_safe_string(super::security::VIDEO_FACADE.to_string()),
    }
}

fn render(state: &AppState, template: &str, ctx: Value) -> Result<String, PageError> {
    state
        .templates
        .render(template, context! { ..ctx, ..base_context(state) })
        .map_err(PageError::Template)
}

fn error_page(state: &AppState, err: PageError) -> Response {
    let (status, text) = match err {
        PageError::NotFound(text) => (StatusCode::NOT_FOUND, text),
        PageError::Store(err) => {
            tracing::error!(error = %err, "page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur est survenue de notre côté ; elle a été enregistrée.".into(),
            )
        }
        PageError::Template(err) => {
            tracing::error!(error = %err, "page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur est survenue de notre côté ; elle a été enregistrée.".into(),
            )
        }
    };
    let title = if status == StatusCode::NOT_FOUND {
        "Page introuvable"
    } else {
        "Erreur"
    };
    let ctx = context! { title => title, message => text, is_error => true };
    match render(state, "pages/message.html", ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, text_fallback()).into_response(),
    }
}

fn text_fallback() -> &'static str {
    "Erreur"
}

/// How a rendering is served: its type, what browsers may keep, how long it is kept here at
/// most (besides the store generation).
struct Kind {
    content_type: &'static str,
    cache_control: &'static str,
    keep_seconds: Option<i64>,
}

const PAGE: Kind = Kind {
    content_type: HTML,
    cache_control: "public, max-age=60",
    keep_seconds: Some(PAGE_SECONDS),
};

const ATOM: Kind = Kind {
    content_type: "application/atom+xml; charset=utf-8",
    cache_control: "public, max-age=300",
    keep_seconds: None,
};

/// Serves the page under `key`, from the cache or from `make`.
async fn serve<F, Fut>(state: &AppState, key: String, headers: &HeaderMap, make: F) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(String, DateTime<Utc>), PageError>>,
{
    serve_as(state, &PAGE, key, headers, make).await
}

async fn serve_as<F, Fut>(
    state: &AppState,
    kind: &Kind,
    key: String,
    headers: &HeaderMap,
    make: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(String, DateTime<Utc>), PageError>>,
{
    let key = CacheKey::Page(key);
    let generation = state.store.changes().generation();
    let now = Utc::now();
    let rendered = match cached(state, &key, generation, now) {
        Some(rendered) => rendered,
        None => match make().await {
            Ok((body, last_modified)) => {
                let rendered = Arc::new(Rendered::new(body, last_modified));
                let expires = kind
                    .keep_seconds
                    .map(|s| now + chrono::Duration::seconds(s));
                remember(state, key, generation, expires, &rendered);
                rendered
            }
            Err(err) => return error_page(state, err),
        },
    };
    conditional::respond(
        headers,
        rendered,
        kind.content_type,
        &HeaderValue::from_static(kind.cache_control),
    )
    .await
}

/// A session as pages show it; one without an end lasts the calendars' default length.
fn event_view(event: &Event, state: &AppState, now: DateTime<Utc>) -> EventView {
    EventView::new(event, &state.base_url, state.calendar.default_duration, now)
}

fn views(events: &[Event], state: &AppState, now: DateTime<Utc>) -> Vec<EventView> {
    events.iter().map(|e| event_view(e, state, now)).collect()
}

fn newest(events: &[Event]) -> DateTime<Utc> {
    events
        .iter()
        .map(|e| e.updated_at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

async fn list(
    state: &AppState,
    filter: EventFilter,
    order: Order,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    Ok(state
        .store
        .list_events(
            &filter,
            &EventPageRequest {
                after: None,
                limit,
                order,
            },
        )
        .await?
        .items)
}

async fn agenda(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, "/".into(), &headers, || async {
        let now = Utc::now();
        // Sessions still running count as upcoming (an all-day or multi-day event, one in
        // progress): read two weeks back, keep those not over.
        let upcoming = list(
            &state,
            EventFilter {
                statuses: vec![EventStatus::Scheduled, EventStatus::Cancelled],
                from: Some(now - chrono::Duration::days(14)),
                ..Default::default()
            },
            Order::Ascending,
            200,
        )
        .await?;
        let upcoming: Vec<Event> = upcoming
            .into_iter()
            .filter(|e| e.kind.is_live())
            .filter(|e| event_view(e, &state, now).upcoming)
            .take(50)
            .collect();
        let videos = list(
            &state,
            EventFilter {
                kind: Some(EventKind::Video),
                statuses: vec![EventStatus::Scheduled],
                to: Some(now + chrono::Duration::days(1)),
                ..Default::default()
            },
            Order::Descending,
            12,
        )
        .await?;
        let last = newest(&upcoming).max(newest(&videos));
        let html = render(
            &state,
            "pages/agenda.html",
            context! {
                title => "Agenda des webinaires et événements",
                description => "Les prochains webinaires et événements, et les dernières vidéos.",
                upcoming => views(&upcoming, &state, now),
                videos => views(&videos, &state, now),
                add_to_calendar => CalendarChoices::agenda(
                    state.urls(),
                    &super::calendar::feed_name(
                        &state.settings.calendar.title,
                        &FeedQuery::default(),
                        None,
                    ),
                ),
            },
        )?;
        Ok((html, last))
    })
    .await
}

async fn archive(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, PublicUrls::paths().archives(), &headers, || async {
        let now = Utc::now();
        let past = list(
            &state,
            EventFilter {
                statuses: vec![EventStatus::Scheduled],
                to: Some(now),
                ..Default::default()
            },
            Order::Descending,
            500,
        )
        .await?;
        let past: Vec<Event> = past
            .into_iter()
            .filter(|e| e.kind.is_live())
            .filter(|e| !event_view(e, &state, now).upcoming)
            .collect();
        let html = render(
            &state,
            "pages/list.html",
            context! {
                title => "Sessions passées",
                intro => "Les webinaires et événements qui ont eu lieu, les plus récents d'abord, avec leur enregistrement quand il existe.",
                items => views(&past, &state, now),
            },
        )?;
        Ok((html, newest(&past)))
    })
    .await
}

async fn series(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let key = PublicUrls::paths().series_page(&slug);
    serve(&state, key, &headers, || async {
        let series = state.store.get_series(&slug).await?;
        if series.slug != slug {
            return Err(PageError::NotFound("Cette série n'existe pas.".into()));
        }
        let now = Utc::now();
        let items = list(
            &state,
            EventFilter {
                statuses: vec![EventStatus::Scheduled, EventStatus::Cancelled],
                series: Some(slug.clone()),
                ..Default::default()
            },
            Order::Descending,
            200,
        )
        .await?;
        let html = render(
            &state,
            "pages/list.html",
            context! {
                title => &series.title,
                intro => &series.description,
                add_to_calendar => CalendarChoices::series(
                    state.urls(),
                    &series.slug,
                    &series.title,
                    &series_feed_name(&state, &series.slug, &series.title),
                ),
                items => views(&items, &state, now),
            },
        )?;
        Ok((html, newest(&items).max(series.updated_at)))
    })
    .await
}

async fn tag(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, format!("/tags/{tag}"), &headers, || async {
        let now = Utc::now();
        let items = list(
            &state,
            EventFilter {
                statuses: vec![EventStatus::Scheduled, EventStatus::Cancelled],
                tag: Some(tag.clone()),
                ..Default::default()
            },
            Order::Descending,
            200,
        )
        .await?;
        if items.is_empty() {
            return Err(PageError::NotFound(
                "Aucune session ne porte ce thème.".into(),
            ));
        }
        let html = render(
            &state,
            "pages/list.html",
            context! {
                title => format!("Thème \u{ab}\u{a0}{tag}\u{a0}\u{bb}"),
                items => views(&items, &state, now),
            },
        )?;
        Ok((html, newest(&items)))
    })
    .await
}

/// What calendars call a series' feed (Outlook offers it as the new calendar's name).
fn series_feed_name(state: &AppState, slug: &str, title: &str) -> String {
    let query = FeedQuery {
        series: Some(slug.to_string()),
        ..FeedQuery::default()
    };
    super::calendar::feed_name(&state.settings.calendar.title, &query, Some(title))
}

/// Any other public path: a French 404 page.
pub(super) async fn not_found(State(state): State<AppState>) -> Response {
    error_page(
        &state,
        PageError::NotFound("Cette page n'existe pas.".into()),
    )
}

/// `/events/{slug}`: a session's or a video's page (routed from `/events/{file}` in `mod.rs`).
pub(super) async fn event_page(state: &AppState, slug: &str, headers: &HeaderMap) -> Response {
    let key = PublicUrls::paths().event_page(slug);
    serve(state, key, headers, || async {
        let event = state.store.get_event(slug).await?;
        if event.slug != slug || event.status == EventStatus::Draft {
            return Err(PageError::NotFound("Cette session n'existe pas.".into()));
        }
        let history = state.store.event_history(&event.id).await?;
        let html = event_page_html(state, &event, &history).await?;
        Ok((html, event.updated_at))
    })
    .await
}

/// A session's page as visitors see it, from the session and its history (the console's
/// preview renders a session not yet saved with it).
pub(super) async fn event_page_html(
    state: &AppState,
    event: &crate::domain::Event,
    history: &[crate::domain::HistoryEntry],
) -> Result<String, PageError> {
    let now = Utc::now();
    let mut view = event_view(event, state, now);
    view.resolve_paths(state.content_base.as_ref());
    let published_at = event.published_at.unwrap_or(event.created_at);
    let rescheduled = crate::domain::changes::rescheduled(history, published_at);
    let seats = state.store.seat_count(event).await?;
    // A static export has no service behind its forms (no `subscribe_url`): no form there.
    let takes_registrations = state.subscribe_url.is_some()
        && crate::domain::registration::open_for_registration(event, now).is_ok();
    let registration = takes_registrations.then(|| {
        context! {
            action => state.urls().register(&event.slug),
            seats_left => seats.seats_left,
            waiting => seats.waiting,
            wording => super::registrations::WORDING,
        }
    });
    let full = event.registration_required && seats.seats_left == Some(0);
    let series_feed = event
        .series
        .as_ref()
        .map(|s| series_feed_name(state, &s.slug, &s.title));
    let add_to_calendar = CalendarChoices::session(&view, state.urls(), series_feed.as_deref());
    render(
        state,
        "pages/event.html",
        context! {
            title => &event.title,
            description => &event.summary,
            event => Value::from_serialize(&view),
            body_html => body_html(event, state.content_base.as_ref()),
            rescheduled => rescheduled,
            full => full,
            registration => registration,
            registers_here => crate::domain::registration::registers_here(event),
            add_to_calendar => add_to_calendar,
        },
    )
}
