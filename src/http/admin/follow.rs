//! Following a session after it is scheduled: its history (who changed what, before → after),
//! its registrants (add, move, remove, CSV, a chart of registrations per day) and its mail
//! (each message's state and last error, « Réessayer »).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use super::{failure, not_found, render, see_other, Operator};
use crate::domain::account::Actor;
use crate::domain::registration::Registrant;
use crate::domain::{french, Event, EventStatus, RegistrationStatus};
use crate::http::AppState;
use crate::publish::charts::{bar_chart, Bar};
use crate::store::{Move, NewRegistration, StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sessions/{id}/historique", get(history))
        .route("/admin/sessions/{id}/inscrits", get(registrants).post(add))
        .route("/admin/sessions/{id}/inscrits.csv", get(csv))
        .route(
            "/admin/sessions/{id}/inscrits/{rid}/deplacer",
            post(move_one),
        )
        .route("/admin/sessions/{id}/inscrits/{rid}/retirer", post(remove))
        .route("/admin/sessions/{id}/courriels", get(outbox))
}

fn header_of(event: &Event) -> minijinja::Value {
    context! {
        id => &event.id,
        title => &event.title,
        status => super::sessions::status_label(event.status),
        when => french::when(event.schedule.as_ref(), event.timezone),
    }
}

/// A field's value as the history shows it: text as is, lists one item per line.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "oui".into(),
        serde_json::Value::Bool(false) => "non".into(),
        serde_json::Value::Array(items) if items.is_empty() => "—".into(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Object(o) => o
                    .values()
                    .filter_map(|v| v.as_str())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k} : {}", shown(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

async fn history(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    let event = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let entries = match state.store.event_history(&event.id).await {
        Ok(entries) => entries,
        Err(err) => return failure(&state, err.into()),
    };
    let tz = state.timezone;
    render(
        &state,
        &operator,
        StatusCode::OK,
        "admin/history.html",
        context! {
            title => format!("Historique : {}", event.title),
            event => header_of(&event),
            entries => entries.iter().rev().map(|e| context! {
                at => french::moment(e.at, tz),
                action => french::history_action_label(e.action),
                who => Actor::describe(e.actor.as_deref().unwrap_or("")),
                sequence => e.sequence,
                fields => e.fields.iter().map(|c| french::field_label(*c)).collect::<Vec<_>>(),
                values => e.values.iter().map(|v| context! {
                    field => crate::domain::Change::parse(&v.field).map(french::field_label).unwrap_or(v.field.as_str()),
                    before => shown(&v.before),
                    after => shown(&v.after),
                }).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
        },
    )
}

// --- Registrants ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    fait: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    note: String,
}

async fn registrants_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    event: &Event,
    form: &AddForm,
    errors: &std::collections::BTreeMap<String, String>,
    notice: Option<&str>,
) -> Response {
    let (_, items) = match state.store.list_registrations(&event.id, None).await {
        Ok(list) => list,
        Err(err) => return failure(state, err.into()),
    };
    let seats = match state.store.seat_count(event).await {
        Ok(seats) => seats,
        Err(err) => return failure(state, err.into()),
    };
    let tz = state.timezone;
    let today = state.store.now().with_timezone(&tz).date_naive();
    let until = event
        .schedule
        .as_ref()
        .map(|s| {
            s.start_instant(tz)
                .with_timezone(&tz)
                .date_naive()
                .min(today)
        })
        .unwrap_or(today);
    let by_day = match state.store.registrations_by_day(&event.id, tz, until).await {
        Ok(days) => days,
        Err(err) => return failure(state, err.into()),
    };
    let total: i64 = by_day.iter().map(|(_, n)| n).sum();
    let chart = (!by_day.is_empty()).then(|| {
        let bars: Vec<Bar> = by_day
            .iter()
            .map(|(day, n)| Bar {
                label: french::short_date(*day),
                value: *n,
            })
            .collect();
        minijinja::Value::from_safe_string(bar_chart(
            "inscriptions",
            "Inscriptions par jour",
            &format!("{total} inscriptions confirmées en {} jours ; le détail est dans le tableau qui suit.", by_day.len()),
            &bars,
        ))
    });
    render(
        state,
        operator,
        status,
        "admin/registrants.html",
        context! {
            title => format!("Inscrits : {}", event.title),
            notice => notice,
            event => header_of(event),
            open => event.status == EventStatus::Scheduled && event.registration_required,
            seats => context! { capacity => seats.capacity, seated => seats.seated, waiting => seats.waiting },
            rows => items.iter().map(|r| context! {
                id => &r.id,
                name => &r.name,
                email => r.email.as_str(),
                organisation => &r.organisation,
                status => french::registration_status_label(r.status),
                seated => r.status == RegistrationStatus::Seated,
                waiting => r.status == RegistrationStatus::Waiting,
                listed => r.status.is_listed(),
                position => r.position,
                source => &r.source,
                requested => french::moment(r.requested_at, tz),
            }).collect::<Vec<_>>(),
            form => context! { email => &form.email, name => &form.name, organisation => &form.organisation, note => &form.note },
            errors => errors,
            chart => chart,
            days => by_day.iter().map(|(d, n)| context! { day => french::short_date(*d), count => n }).collect::<Vec<_>>(),
        },
    )
}

fn registrant_notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "ajoute" => "La personne est inscrite et prévenue par courriel.",
        "deplace" => "La personne est déplacée et prévenue par courriel.",
        "retire" => "L'inscription est annulée ; la personne est prévenue, et la première personne en attente reçoit la place libérée.",
        _ => return None,
    })
}

async fn registrants(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    match state.store.get_event(&id).await {
        Ok(event) => {
            let notice = registrant_notice(done.fait.as_deref());
            registrants_page(
                &state,
                &operator,
                StatusCode::OK,
                &event,
                &AddForm::default(),
                &Default::default(),
                notice,
            )
            .await
        }
        Err(err) => failure(&state, not_found(err)),
    }
}

/// A store refusal in French (the API keeps the English).
fn refusal_in_french(message: &str) -> String {
    if message.contains("already") {
        "Cette adresse est déjà inscrite à la session (avec une place ou en liste d'attente)."
            .into()
    } else if message.contains("no free seat") || message.contains("full") {
        "Aucune place n'est libre : libérez-en une, ou augmentez la capacité de la session.".into()
    } else if message.contains("registration")
        && (message.contains("not") || message.contains("closed"))
    {
        "Cette session ne prend pas d'inscription en ce moment (brouillon, annulée, passée ou sans inscription).".into()
    } else {
        crate::domain::errors::in_french(message)
    }
}

async fn add(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<AddForm>,
) -> Response {
    let event = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let organisation = Some(form.organisation.as_str()).filter(|o| !o.trim().is_empty());
    let registrant = match Registrant::parse(&form.email, &form.name, organisation) {
        Ok(r) => r,
        Err(errors) => {
            let map = super::form::errors_for_form(&errors);
            return registrants_page(
                &state,
                &operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                &event,
                &form,
                &map,
                None,
            )
            .await;
        }
    };
    let note = form.note.trim();
    let new = NewRegistration {
        registrant,
        source: if note.is_empty() {
            "organiser".into()
        } else {
            format!("organiser: {note}")
        },
        wording_version: state.settings.mail.consent_wording_version.clone(),
        request_ip: None,
    };
    match state.store.add_registration(&event.id, &new).await {
        Ok(_) => see_other(&format!(
            "/admin/sessions/{}/inscrits?fait=ajoute",
            event.id
        )),
        Err(StoreError::Conflict(message)) => {
            let map = std::iter::once(("form".to_string(), refusal_in_french(&message))).collect();
            registrants_page(
                &state,
                &operator,
                StatusCode::CONFLICT,
                &event,
                &form,
                &map,
                None,
            )
            .await
        }
        Err(err) => failure(&state, err.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct MoveForm {
    /// `place`, or `attente`.
    #[serde(default)]
    to: String,
    #[serde(default)]
    position: String,
}

async fn move_one(
    State(state): State<AppState>,
    operator: Operator,
    Path((id, rid)): Path<(String, String)>,
    axum::Form(form): axum::Form<MoveForm>,
) -> Response {
    let event = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let to = match form.to.as_str() {
        "place" => Move::ToSeat,
        _ => Move::ToWaitingList(form.position.trim().parse::<i64>().unwrap_or(1).max(1)),
    };
    match state.store.move_registration(&event.id, &rid, to).await {
        Ok(_) => see_other(&format!(
            "/admin/sessions/{}/inscrits?fait=deplace",
            event.id
        )),
        Err(StoreError::Conflict(message)) => {
            let map = std::iter::once(("form".to_string(), refusal_in_french(&message))).collect();
            registrants_page(
                &state,
                &operator,
                StatusCode::CONFLICT,
                &event,
                &AddForm::default(),
                &map,
                None,
            )
            .await
        }
        Err(err) => failure(&state, err.into()),
    }
}

async fn remove(
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
) -> Response {
    match state.store.remove_registration(&id, &rid).await {
        Ok(r) => see_other(&format!(
            "/admin/sessions/{}/inscrits?fait=retire",
            r.event_id
        )),
        Err(err) => failure(&state, not_found(err)),
    }
}

async fn csv(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let (event, items) = match state.store.list_registrations(&id, None).await {
        Ok(list) => list,
        Err(err) => return failure(&state, not_found(err)),
    };
    match crate::http::registrations::registrations_csv(&items) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"inscrits-{}.csv\"", event.slug),
                ),
            ],
            body,
        )
            .into_response(),
        Err(err) => failure(&state, err),
    }
}

// --- Mail -----------------------------------------------------------------------------------

async fn outbox(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let event = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let report = match state.store.outbox_for_event(&event.id).await {
        Ok(report) => report,
        Err(err) => return failure(&state, err.into()),
    };
    let tz = state.timezone;
    let notice = super::dashboard::retried(done.fait.as_deref());
    render(
        &state,
        &operator,
        StatusCode::OK,
        "admin/outbox.html",
        context! {
            title => format!("Courriels : {}", event.title),
            notice => notice,
            event => header_of(&event),
            counts => context! {
                queued => report.queued + report.sending,
                sent => report.sent,
                failed => report.failed,
                dropped => report.dropped,
            },
            back => format!("/admin/sessions/{}/courriels", event.id),
            messages => report.messages.iter().take(500).map(|m| context! {
                id => m.id,
                kind => french::mail_kind_label(m.kind),
                recipient => &m.recipient,
                status => french::message_status_label(m.status),
                failed => m.status == crate::domain::MessageStatus::Failed,
                attempts => m.attempts,
                due => french::moment(m.due_at, tz),
                sent => m.sent_at.map(|t| french::moment(t, tz)),
                error => &m.last_error,
            }).collect::<Vec<_>>(),
            more => report.messages.len().saturating_sub(500),
        },
    )
}
