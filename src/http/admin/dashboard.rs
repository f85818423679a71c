//! The console's home: upcoming sessions with their seats and mail, drafts, recent delivery
//! failures (with « Réessayer »), and a chart of deliveries per day.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::{failure, render, see_other, Operator};
use crate::domain::french;
use crate::domain::EventStatus;
use crate::http::AppState;
use crate::publish::charts::{bar_chart, Bar};
use crate::store::{EventFilter, EventPageRequest, Order, StoreError};

/// How many days the deliveries chart covers.
const DELIVERY_DAYS: u64 = 14;

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    fait: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Query(done): Query<Done>,
) -> Response {
    let now = state.store.now();
    let tz = state.timezone;
    let upcoming = EventFilter {
        statuses: vec![EventStatus::Scheduled, EventStatus::Cancelled],
        from: Some(now),
        ..EventFilter::default()
    };
    let drafts = EventFilter {
        statuses: vec![EventStatus::Draft],
        ..EventFilter::default()
    };
    let page = |order| EventPageRequest {
        after: None,
        limit: 20,
        order,
    };
    let (upcoming, drafts) = match (
        state
            .store
            .list_events(&upcoming, &page(Order::Ascending))
            .await,
        state
            .store
            .list_events(&drafts, &page(Order::Descending))
            .await,
    ) {
        (Ok(u), Ok(d)) => (u.items, d.items),
        (Err(err), _) | (_, Err(err)) => return failure(&state, err.into()),
    };
    let ids: Vec<String> = upcoming.iter().map(|e| e.id.clone()).collect();
    let (seats, mail, failures, deliveries) = match (
        state.store.seat_counts(&upcoming).await,
        state.store.mail_counts(&ids).await,
        state.store.recent_failures(10).await,
        state.store.deliveries_by_day(tz, DELIVERY_DAYS).await,
    ) {
        (Ok(s), Ok(m), Ok(f), Ok(d)) => (s, m, f, d),
        (Err(err), _, _, _) | (_, Err(err), _, _) | (_, _, Err(err), _) | (_, _, _, Err(err)) => {
            return failure(&state, err.into())
        }
    };
    let mut rows = Vec::with_capacity(upcoming.len());
    for (event, seats) in upcoming.iter().zip(seats) {
        let counts = mail.get(&event.id).copied().unwrap_or_default();
        rows.push(context! {
            id => &event.id,
            title => &event.title,
            status => super::sessions::status_label(event.status),
            when => french::when(event.schedule.as_ref(), event.timezone),
            capacity => seats.capacity,
            seated => seats.seated,
            waiting => seats.waiting,
            queued => counts.queued,
            sent => counts.sent,
            failed => counts.failed,
        });
    }
    let bars: Vec<Bar> = deliveries
        .iter()
        .map(|d| Bar {
            label: french::short_date(d.day),
            value: d.sent,
        })
        .collect();
    let total_sent: i64 = deliveries.iter().map(|d| d.sent).sum();
    let total_failed: i64 = deliveries.iter().map(|d| d.failed).sum();
    let chart = bar_chart(
        "envois",
        &format!("Courriels envoyés par jour, {DELIVERY_DAYS} derniers jours"),
        &format!(
            "{total_sent} courriels envoyés et {total_failed} en échec sur la période ; le détail par jour est dans le tableau qui suit."
        ),
        &bars,
    );
    let notice = retried(done.fait.as_deref());
    render(
        &state,
        &operator,
        StatusCode::OK,
        "admin/dashboard.html",
        context! {
            title => "Tableau de bord",
            notice => notice,
            upcoming => rows,
            drafts => drafts.iter().map(|e| context! {
                id => &e.id,
                title => &e.title,
                when => french::when(e.schedule.as_ref(), e.timezone),
            }).collect::<Vec<_>>(),
            failures => failures.iter().map(|f| context! {
                id => f.message.id,
                kind => french::mail_kind_label(f.message.kind),
                recipient => &f.message.recipient,
                error => &f.message.last_error,
                attempts => f.message.attempts,
                at => french::moment(f.failed_at, tz),
                event_id => &f.event_id,
                event_title => &f.event_title,
            }).collect::<Vec<_>>(),
            chart => minijinja::Value::from_safe_string(chart),
            deliveries => deliveries.iter().map(|d| context! {
                day => french::short_date(d.day),
                sent => d.sent,
                failed => d.failed,
            }).collect::<Vec<_>>(),
        },
    )
}

/// The notice after « Réessayer » (`?fait=relance`), on whichever page had the button.
pub(super) fn retried(code: Option<&str>) -> Option<&'static str> {
    (code == Some("relance"))
        .then_some("Le courriel est de nouveau en file ; il part dans un instant.")
}

/// « Réessayer »: a failed message queued again; back to where the button was.
pub async fn retry(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<i64>,
    Query(back): Query<Back>,
) -> Response {
    match state.store.retry_message(id).await {
        Ok(_) => see_other(&format!("{}?fait=relance", back.target())),
        Err(StoreError::Conflict(_)) => render(
            &state,
            &operator,
            StatusCode::CONFLICT,
            "admin/message.html",
            context! {
                title => "Courriel déjà repris",
                message => "Ce courriel n'est plus en échec : il a déjà été relancé, ou il est parti.",
            },
        ),
        Err(err) => failure(&state, err.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct Back {
    retour: Option<String>,
}

impl Back {
    /// A console page to go back to (never elsewhere).
    fn target(&self) -> String {
        match self.retour.as_deref() {
            Some(p) if p.starts_with("/admin") && !p.contains("//") && !p.contains('?') => p.into(),
            _ => "/admin".into(),
        }
    }
}
