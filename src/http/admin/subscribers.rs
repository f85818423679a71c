//! Subscribers in the console: find an address, see the proof of its consent, erase it (a
//! request to be forgotten), download the list.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use super::{failure, not_found, render, see_other, Operator};
use crate::domain::{french, Scope, SubscriptionStatus};
use crate::http::AppState;
use crate::store::{Subscription, SubscriptionFilter};

/// Rows shown on one page of the list.
const PAGE_ROWS: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/abonnes", get(list))
        .route("/admin/abonnes.csv", get(csv))
        .route("/admin/abonnes/{id}", get(show))
        .route("/admin/abonnes/{id}/effacer", post(erase))
}

#[derive(Debug, Deserialize, Default)]
pub struct Search {
    /// Part of an address.
    q: Option<String>,
    /// `attente`, `actif`, `desabonne`.
    statut: Option<String>,
    fait: Option<String>,
}

impl Search {
    fn filter(&self) -> SubscriptionFilter {
        SubscriptionFilter {
            status: match self.statut.as_deref() {
                Some("attente") => Some(SubscriptionStatus::Pending),
                Some("actif") => Some(SubscriptionStatus::Active),
                Some("desabonne") => Some(SubscriptionStatus::Unsubscribed),
                _ => None,
            },
            scope: None,
            address: self.q.clone(),
        }
    }
}

fn status_label(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::Pending => "à confirmer",
        SubscriptionStatus::Active => "actif",
        SubscriptionStatus::Unsubscribed => "désabonné",
    }
}

fn scope_label(s: &Subscription) -> String {
    match &s.scope {
        Scope::All => "tout l'agenda".into(),
        Scope::Series(slug) => {
            format!("la série « {} »", s.target_title.as_deref().unwrap_or(slug))
        }
        Scope::Event(slug) => format!(
            "la session « {} »",
            s.target_title.as_deref().unwrap_or(slug)
        ),
    }
}

async fn list(
    State(state): State<AppState>,
    operator: Operator,
    Query(search): Query<Search>,
) -> Response {
    let items = match state
        .store
        .list_subscriptions(&search.filter(), PAGE_ROWS + 1)
        .await
    {
        Ok(items) => items,
        Err(err) => return failure(&state, err.into()),
    };
    let tz = state.timezone;
    let more = items.len() as i64 > PAGE_ROWS;
    let notice = match search.fait.as_deref() {
        Some("efface") => Some("L'adresse et ses messages sont effacés."),
        _ => None,
    };
    render(
        &state,
        &operator,
        StatusCode::OK,
        "admin/subscribers.html",
        context! {
            title => "Abonnés",
            notice => notice,
            q => search.q.clone().unwrap_or_default(),
            statut => search.statut.clone().unwrap_or_default(),
            rows => items.iter().take(PAGE_ROWS as usize).map(|s| context! {
                id => &s.id,
                email => s.email.as_str(),
                scope => scope_label(s),
                status => status_label(s.status),
                requested => french::moment(s.requested_at, tz),
            }).collect::<Vec<_>>(),
            more => more,
            csv => format!(
                "/admin/abonnes.csv?{}",
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", search.q.as_deref().unwrap_or(""))
                    .append_pair("statut", search.statut.as_deref().unwrap_or(""))
                    .finish()
            ),
        },
    )
}

async fn csv(State(state): State<AppState>, Query(search): Query<Search>) -> Response {
    let items = match state
        .store
        .list_subscriptions(&search.filter(), i64::MAX)
        .await
    {
        Ok(items) => items,
        Err(err) => return failure(&state, err.into()),
    };
    match crate::http::subscribers::subscriptions_csv(&items) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"abonnes.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(err) => failure(&state, err),
    }
}

fn consent_action(action: &str) -> &str {
    match action {
        "requested" => "demande par formulaire",
        "confirmed" => "adresse confirmée (lien ouvert)",
        "added" => "ajout par un organisateur",
        "withdrawn" => "désabonnement",
        "reinstated" => "réabonnement",
        other => other,
    }
}

async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    let (subscription, consent) = match (
        state.store.get_subscription(&id).await,
        state.store.consent_history(&id).await,
    ) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(err), _) | (_, Err(err)) => return failure(&state, not_found(err)),
    };
    let tz = state.timezone;
    render(
        &state,
        &operator,
        StatusCode::OK,
        "admin/subscriber.html",
        context! {
            title => format!("Abonné : {}", subscription.email.as_str()),
            s => context! {
                id => &subscription.id,
                email => subscription.email.as_str(),
                scope => scope_label(&subscription),
                status => status_label(subscription.status),
                source => &subscription.source,
                wording => &subscription.wording_version,
                requested => french::moment(subscription.requested_at, tz),
                ip => &subscription.request_ip,
                confirmed => subscription.confirmed_at.map(|t| french::moment(t, tz)),
                withdrawn => subscription.withdrawn_at.map(|t| french::moment(t, tz)),
            },
            consent => consent.iter().map(|c| context! {
                at => french::moment(c.at, tz),
                action => consent_action(&c.action),
                source => &c.source,
                wording => &c.wording_version,
                client => &c.client,
            }).collect::<Vec<_>>(),
        },
    )
}

async fn erase(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.store.delete_subscription(&id).await {
        Ok(()) => see_other("/admin/abonnes?fait=efface"),
        Err(err) => failure(&state, not_found(err)),
    }
}
