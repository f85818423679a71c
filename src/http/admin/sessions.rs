//! Sessions in the console: the list, the form (new, edit, duplicate), the preview of what a
//! change will publish and send, then saving; publishing, cancelling with a reason, deleting a
//! draft; a session's history, registrants and mail.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::form::{errors_for_form, FormData, SessionForm, REMINDER_CHOICES};
use super::{failure, not_found, render, see_other, Operator};
use crate::domain::{Event, EventInput, EventSpec, EventStatus, FieldErrors};
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::mailer::{Addressee, ComposeCache};
use crate::store::{EventFilter, EventPageRequest, Order, Rehearsal, StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sessions", get(list))
        .route("/admin/sessions/nouvelle", get(new_form).post(create))
        .route("/admin/sessions/nouvelle/apercu", post(preview_create))
        .route("/admin/sessions/{id}", get(show).post(update))
        .route("/admin/sessions/{id}/modifier", get(edit_form))
        .route("/admin/sessions/{id}/apercu", post(preview_update))
        .route("/admin/sessions/{id}/dupliquer", get(duplicate_form))
        .route(
            "/admin/sessions/{id}/annuler",
            get(cancel_form).post(cancel),
        )
        .route("/admin/sessions/{id}/annuler/apercu", post(preview_cancel))
        .route("/admin/sessions/{id}/supprimer", post(delete))
}

/// Fixed notices shown once after a redirect (`?fait=…`).
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "creee" => "La session est enregistrée.",
        "modifiee" => "Les modifications sont enregistrées ; les messages annoncés partent.",
        "annulee" => "La session est annulée ; les personnes concernées sont prévenues.",
        "supprimee" => "Le brouillon est supprimé.",
        _ => return None,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    fait: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    statut: Option<String>,
    apres: Option<String>,
}

/// A session as the console's lists show it.
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    slug: String,
    title: String,
    kind: &'static str,
    status: &'static str,
    when: Option<String>,
}

fn row(event: &Event) -> Row {
    Row {
        id: event.id.clone(),
        slug: event.slug.clone(),
        title: event.title.clone(),
        kind: crate::domain::french::kind_label(event.kind),
        status: status_label(event.status),
        when: crate::domain::french::when(event.schedule.as_ref(), event.timezone),
    }
}

pub(super) fn status_label(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Draft => "Brouillon",
        EventStatus::Scheduled => "Publiée",
        EventStatus::Cancelled => "Annulée",
    }
}

async fn list(
    State(state): State<AppState>,
    operator: Operator,
    Query(query): Query<ListQuery>,
) -> Response {
    let statuses = match query.statut.as_deref() {
        Some("brouillon") => vec![EventStatus::Draft],
        Some("publiee") => vec![EventStatus::Scheduled],
        Some("annulee") => vec![EventStatus::Cancelled],
        _ => Vec::new(),
    };
    let filter = EventFilter {
        statuses,
        ..EventFilter::default()
    };
    let request = EventPageRequest {
        after: query
            .apres
            .as_deref()
            .and_then(crate::store::Cursor::decode),
        limit: 50,
        order: Order::Descending,
    };
    match state.store.list_events(&filter, &request).await {
        Ok(page) => render(
            &state,
            &operator,
            StatusCode::OK,
            "admin/sessions.html",
            context! {
                title => "Sessions",
                rows => page.items.iter().map(row).collect::<Vec<_>>(),
                statut => query.statut.unwrap_or_default(),
                next => page.next.map(|c| c.encode()),
            },
        ),
        Err(err) => failure(&state, err.into()),
    }
}

// --- The form ------------------------------------------------------------------------------

async fn form_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    event: Option<&Event>,
    form: &SessionForm,
    errors: &FieldErrors,
) -> Response {
    let (series, speakers) = match (
        state.store.list_series().await,
        state.store.list_speakers().await,
    ) {
        (Ok(series), Ok(speakers)) => (series, speakers),
        (Err(err), _) | (_, Err(err)) => return failure(state, err.into()),
    };
    let title = match event {
        Some(e) => format!("Modifier « {} »", e.title),
        None => "Nouvelle session".into(),
    };
    render(
        state,
        operator,
        status,
        "admin/session-form.html",
        context! {
            title => title,
            event => event.map(|e| context! { id => &e.id, title => &e.title, status => e.status.as_str() }),
            action => match event {
                Some(e) => format!("/admin/sessions/{}/apercu", e.id),
                None => "/admin/sessions/nouvelle/apercu".into(),
            },
            form => Value::from_serialize(form),
            errors => errors_for_form(errors),
            error_count => errors.0.len(),
            offers_draft => SessionForm::offers_draft(event),
            reminder_choices => REMINDER_CHOICES.iter().map(|(code, label)| context! { code => code, label => label }).collect::<Vec<_>>(),
            default_reminders => &state.settings.mail.reminders,
            series => series.iter().map(|s| context! { slug => &s.slug, title => &s.title }).collect::<Vec<_>>(),
            speakers => speakers.iter().map(|s| &s.name).collect::<Vec<_>>(),
            timezones => ["Europe/Paris", "America/Cayenne", "America/Guadeloupe", "America/Martinique", "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti", "UTC"],
        },
    )
}

async fn new_form(State(state): State<AppState>, operator: Operator) -> Response {
    let form = SessionForm::blank(state.timezone.name());
    form_page(
        &state,
        &operator,
        StatusCode::OK,
        None,
        &form,
        &FieldErrors::new(),
    )
    .await
}

async fn edit_form(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    match state.store.get_event(&id).await {
        Ok(event) => {
            let form = SessionForm::from_event(&event);
            form_page(
                &state,
                &operator,
                StatusCode::OK,
                Some(&event),
                &form,
                &FieldErrors::new(),
            )
            .await
        }
        Err(err) => failure(&state, not_found(err)),
    }
}

async fn duplicate_form(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    match state.store.get_event(&id).await {
        Ok(event) => {
            let form = SessionForm::duplicate(&event);
            form_page(
                &state,
                &operator,
                StatusCode::OK,
                None,
                &form,
                &FieldErrors::new(),
            )
            .await
        }
        Err(err) => failure(&state, not_found(err)),
    }
}

/// The posted form, checked by the API's validator. A value of the wrong type (letters in
/// the capacity) stops the JSON reader; the other fields are then still checked, so every
/// problem shows at once.
fn validate(state: &AppState, form: &SessionForm) -> Result<EventSpec, FieldErrors> {
    let input = form.to_input();
    match EventInput::from_json(input.clone()) {
        Ok(read) => read.validate(state.timezone),
        Err(mut errors) => {
            let mut rest = input;
            if let Some(map) = rest.as_object_mut() {
                for error in &errors.0 {
                    let top = error.field.split(['.', '[']).next().unwrap_or("");
                    map.remove(top);
                }
            }
            if let Err(more) =
                EventInput::from_json(rest).and_then(|read| read.validate(state.timezone))
            {
                for error in more.0 {
                    if !errors.0.iter().any(|e| e.field == error.field) {
                        errors.0.push(error);
                    }
                }
            }
            Err(errors)
        }
    }
}

/// The stored session must still be the one the form was read from.
fn check_version(current: &Event, form: &SessionForm) -> Result<(), StoreError> {
    if form.version.is_empty() || form.version == current.updated_at.timestamp_micros().to_string()
    {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "Cette session a été modifiée par quelqu'un d'autre depuis l'ouverture du formulaire. Le formulaire montre ce que vous avez saisi : rouvrez la session dans un autre onglet pour comparer, puis enregistrez de nouveau.".into(),
        ))
    }
}

/// A refusal from the store, shown on the form (nothing typed is lost).
fn store_refusal(err: StoreError) -> Result<FieldErrors, ApiError> {
    match err {
        StoreError::Invalid(errors) => Ok(errors),
        StoreError::Conflict(message) => Ok(FieldErrors::single("", conflict_in_french(&message))),
        other => Err(other.into()),
    }
}

/// The form again with what the validator or the store refused next to its fields (422);
/// the failure page for what is no form's fault.
async fn refused(
    state: &AppState,
    operator: &Operator,
    current: Option<&Event>,
    form: &SessionForm,
    err: StoreError,
) -> Response {
    match store_refusal(err) {
        Ok(errors) => {
            form_page(
                state,
                operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                current,
                form,
                &errors,
            )
            .await
        }
        Err(err) => failure(state, err),
    }
}

/// The store's conflict messages in French (the API keeps the English).
fn conflict_in_french(message: &str) -> String {
    if message.starts_with("Cette session a été modifiée") {
        return message.to_string();
    }
    if message.contains("slug") && message.contains("already") {
        return "Cet identifiant d'adresse (slug) est déjà pris par une autre session : choisissez-en un autre ou laissez le champ vide.".into();
    }
    if message.contains("capacity") || message.contains("seats") {
        return format!(
            "La capacité ne peut descendre sous le nombre de places déjà attribuées. ({message})"
        );
    }
    if message.contains("draft") && message.contains("published") {
        return "Une session déjà publiée ne peut redevenir un brouillon : annulez-la si elle n'a plus lieu.".into();
    }
    crate::domain::errors::in_french(message)
}

async fn preview_create(
    State(state): State<AppState>,
    operator: Operator,
    body: Bytes,
) -> Response {
    let data = FormData::parse(&body);
    let form = SessionForm::from_data(&data);
    let spec = match validate(&state, &form) {
        Ok(spec) => spec,
        Err(errors) => {
            return refused(&state, &operator, None, &form, StoreError::Invalid(errors)).await
        }
    };
    match state.store.rehearse_create(spec).await {
        Ok(rehearsal) => {
            preview_page(
                &state,
                &operator,
                None,
                "/admin/sessions/nouvelle",
                &rehearsal,
                &data.0,
            )
            .await
        }
        Err(err) => refused(&state, &operator, None, &form, err).await,
    }
}

async fn create(State(state): State<AppState>, operator: Operator, body: Bytes) -> Response {
    let form = SessionForm::from_data(&FormData::parse(&body));
    let spec = match validate(&state, &form) {
        Ok(spec) => spec,
        Err(errors) => {
            return refused(&state, &operator, None, &form, StoreError::Invalid(errors)).await
        }
    };
    match state.store.create_event(spec).await {
        Ok(event) => see_other(&format!("/admin/sessions/{}?fait=creee", event.id)),
        Err(err) => refused(&state, &operator, None, &form, err).await,
    }
}

/// The edit closure both the preview and the save run: the form's session, if the stored one
/// is still the one the form was read from.
fn edit_with<'a>(
    form: &'a SessionForm,
    spec: EventSpec,
) -> impl FnOnce(&Event) -> Result<Option<EventSpec>, StoreError> + 'a {
    move |current| {
        check_version(current, form)?;
        Ok(Some(EventSpec {
            cancel_reason: current.cancel_reason.clone(),
            ..spec
        }))
    }
}

async fn preview_update(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let data = FormData::parse(&body);
    let form = SessionForm::from_data(&data);
    let current = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let spec = match validate(&state, &form) {
        Ok(spec) => spec,
        Err(errors) => {
            return refused(
                &state,
                &operator,
                Some(&current),
                &form,
                StoreError::Invalid(errors),
            )
            .await
        }
    };
    match state
        .store
        .rehearse_update(&current.id, edit_with(&form, spec))
        .await
    {
        Ok(rehearsal) => {
            let action = format!("/admin/sessions/{}", current.id);
            preview_page(
                &state,
                &operator,
                Some(&current),
                &action,
                &rehearsal,
                &data.0,
            )
            .await
        }
        Err(err) => refused(&state, &operator, Some(&current), &form, err).await,
    }
}

async fn update(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = SessionForm::from_data(&FormData::parse(&body));
    let current = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let spec = match validate(&state, &form) {
        Ok(spec) => spec,
        Err(errors) => {
            return refused(
                &state,
                &operator,
                Some(&current),
                &form,
                StoreError::Invalid(errors),
            )
            .await
        }
    };
    match state
        .store
        .update_event(&current.id, edit_with(&form, spec))
        .await
    {
        Ok(event) => see_other(&format!("/admin/sessions/{}?fait=modifiee", event.id)),
        Err(err) => refused(&state, &operator, Some(&current), &form, err).await,
    }
}

// --- Cancelling and deleting ----------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

async fn cancel_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    event: &Event,
    reason: &str,
    error: Option<String>,
) -> Response {
    render(
        state,
        operator,
        status,
        "admin/session-cancel.html",
        context! {
            title => format!("Annuler « {} »", event.title),
            event => context! { id => &event.id, title => &event.title },
            reason => reason,
            error => error,
        },
    )
}

async fn cancel_form(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    match state.store.get_event(&id).await {
        Ok(event) => {
            let reason = event.cancel_reason.clone().unwrap_or_default();
            cancel_page(&state, &operator, StatusCode::OK, &event, &reason, None).await
        }
        Err(err) => failure(&state, not_found(err)),
    }
}

fn cancel_reason(reason: &str) -> Result<Option<String>, String> {
    crate::domain::event::CancelInput {
        reason: Some(reason.to_string()),
    }
    .validate()
    .map_err(|errors| {
        errors
            .0
            .iter()
            .map(|e| crate::domain::errors::in_french(&e.message))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The session a cancel form names and its checked reason; or the page to answer with (404,
/// or the form again with what is wrong with the reason).
async fn cancel_request(
    state: &AppState,
    operator: &Operator,
    id: &str,
    form: &CancelForm,
) -> Result<(Event, Option<String>), Response> {
    let event = state
        .store
        .get_event(id)
        .await
        .map_err(|err| failure(state, not_found(err)))?;
    match cancel_reason(&form.reason) {
        Ok(reason) => Ok((event, reason)),
        Err(message) => Err(cancel_page(
            state,
            operator,
            StatusCode::UNPROCESSABLE_ENTITY,
            &event,
            &form.reason,
            Some(message),
        )
        .await),
    }
}

async fn preview_cancel(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Response {
    let (event, reason) = match cancel_request(&state, &operator, &id, &form).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let timezone = state.timezone;
    let rehearsal = state
        .store
        .rehearse_update(&event.id, |current| {
            cancelled_spec(current, timezone, reason)
        })
        .await;
    match rehearsal {
        Ok(rehearsal) => {
            let action = format!("/admin/sessions/{}/annuler", event.id);
            let hidden = vec![("reason".to_string(), form.reason.clone())];
            preview_page(
                &state,
                &operator,
                Some(&event),
                &action,
                &rehearsal,
                &hidden,
            )
            .await
        }
        Err(err) => cancel_refused(&state, &operator, &event, &form.reason, err).await,
    }
}

async fn cancel_refused(
    state: &AppState,
    operator: &Operator,
    event: &Event,
    reason: &str,
    err: StoreError,
) -> Response {
    match store_refusal(err) {
        Ok(errors) => {
            let message = errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            let message = if message.contains("draft") {
                "Un brouillon ne peut être annulé : personne ne l'a vu. Supprimez-le plutôt."
                    .to_string()
            } else {
                message
            };
            cancel_page(
                state,
                operator,
                StatusCode::CONFLICT,
                event,
                reason,
                Some(message),
            )
            .await
        }
        Err(err) => failure(state, err),
    }
}

/// The spec `Store::cancel_event` would store (the same rules: a draft cannot be cancelled).
fn cancelled_spec(
    current: &Event,
    timezone: chrono_tz::Tz,
    reason: Option<String>,
) -> Result<Option<EventSpec>, StoreError> {
    if current.status == EventStatus::Draft {
        return Err(StoreError::Conflict(
            "a draft cannot be cancelled, nobody has seen it: delete it instead".into(),
        ));
    }
    let mut base = current.patch_base();
    base["status"] = "cancelled".into();
    let spec = EventInput::from_json(base)
        .and_then(|input| input.validate(timezone))
        .map_err(StoreError::Invalid)?;
    Ok(Some(EventSpec {
        cancel_reason: reason,
        ..spec
    }))
}

async fn cancel(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Response {
    let (event, reason) = match cancel_request(&state, &operator, &id, &form).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    match state
        .store
        .cancel_event(&event.id, state.timezone, reason)
        .await
    {
        Ok(event) => see_other(&format!("/admin/sessions/{}?fait=annulee", event.id)),
        Err(err) => cancel_refused(&state, &operator, &event, &form.reason, err).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    match state.store.delete_event(&id).await {
        Ok(()) => see_other("/admin/sessions?fait=supprimee"),
        Err(StoreError::Conflict(_)) => super::render(
            &state,
            &operator,
            StatusCode::CONFLICT,
            "admin/message.html",
            context! {
                title => "Suppression refusée",
                message => "Seuls les brouillons jamais publiés peuvent être supprimés. Une session publiée s'annule : les agendas qui l'affichent doivent l'apprendre.",
            },
        ),
        Err(err) => failure(&state, not_found(err)),
    }
}

// --- A session's page in the console ---------------------------------------------------------

async fn show(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let event = match state.store.get_event(&id).await {
        Ok(event) => event,
        Err(err) => return failure(&state, not_found(err)),
    };
    let seats = match state.store.seat_count(&event).await {
        Ok(seats) => seats,
        Err(err) => return failure(&state, err.into()),
    };
    let outbox = match state.store.outbox_for_event(&event.id).await {
        Ok(report) => report,
        Err(err) => return failure(&state, err.into()),
    };
    let public = event.status != EventStatus::Draft;
    render(
        &state,
        &operator,
        StatusCode::OK,
        "admin/session.html",
        context! {
            title => &event.title,
            notice => notice(done.fait.as_deref()),
            event => context! {
                id => &event.id,
                slug => &event.slug,
                title => &event.title,
                kind => crate::domain::french::kind_label(event.kind),
                status => status_label(event.status),
                is_draft => event.status == EventStatus::Draft,
                is_cancelled => event.status == EventStatus::Cancelled,
                deletable => event.status == EventStatus::Draft && event.published_at.is_none(),
                when => crate::domain::french::when(event.schedule.as_ref(), event.timezone),
                location => &event.location,
                cancel_reason => &event.cancel_reason,
                sequence => event.sequence,
                page_url => public.then(|| state.urls().event_page(&event.slug)),
                ics_url => public.then(|| state.urls().event_ics(&event.slug)),
            },
            seats => context! {
                capacity => seats.capacity,
                seated => seats.seated,
                waiting => seats.waiting,
                registration_required => event.registration_required,
            },
            mail => context! {
                queued => outbox.queued + outbox.sending,
                sent => outbox.sent,
                failed => outbox.failed,
                dropped => outbox.dropped,
            },
        },
    )
}

// --- The preview -------------------------------------------------------------------------------

/// One mail of the preview: who gets it and what they read.
#[derive(Debug, Serialize)]
struct MailPreview {
    kind: &'static str,
    audience: &'static str,
    count: i64,
    due: String,
    subject: String,
    text: String,
    html: String,
    error: Option<String>,
}

/// What saving would publish and send, and the button that saves: the same fields posted
/// again (`hidden`) to `action`.
async fn preview_page(
    state: &AppState,
    operator: &Operator,
    current: Option<&Event>,
    action: &str,
    rehearsal: &Rehearsal,
    hidden: &[(String, String)],
) -> Response {
    let event = &rehearsal.event;
    let page = if event.status == EventStatus::Draft {
        None
    } else {
        crate::http::pages::event_page_html(state, event, &rehearsal.history)
            .await
            .inspect_err(|_| tracing::warn!(event = %event.id, "cannot render the page's preview"))
            .ok()
    };
    let ics = if event.status == EventStatus::Draft {
        None
    } else {
        crate::publish::ical::single(&state.calendar, event)
    };
    let mails = match compose_previews(state, rehearsal) {
        Ok(mails) => mails,
        Err(err) => return failure(state, ApiError::Internal(err)),
    };
    let recipients: i64 = mails.iter().map(|m| m.count).sum();
    render(
        state,
        operator,
        StatusCode::OK,
        "admin/preview.html",
        context! {
            title => format!("Aperçu : {}", event.title),
            current => current.map(|e| context! { id => &e.id, title => &e.title }),
            action => action,
            back => match current { Some(e) => format!("/admin/sessions/{}/modifier", e.id), None => "/admin/sessions/nouvelle".into() },
            hidden => hidden.iter().filter(|(k, _)| k != super::auth::CSRF_FIELD).map(|(k, v)| context! { name => k, value => v }).collect::<Vec<_>>(),
            status => status_label(event.status),
            changed => rehearsal.changed.iter().map(|c| crate::domain::french::field_label(*c)).collect::<Vec<_>>(),
            page => page,
            ics => ics,
            mails => mails,
            recipients => recipients,
        },
    )
}

fn compose_previews(state: &AppState, rehearsal: &Rehearsal) -> anyhow::Result<Vec<MailPreview>> {
    let composer =
        crate::mailer::composer(&state.settings, state.templates.clone(), &state.base_url)?;
    let cache = ComposeCache::at(Utc::now());
    let parser = mail_parser::MessageParser::default();
    let mut previews = Vec::with_capacity(rehearsal.planned.len());
    for group in &rehearsal.planned {
        let addressee = match (&group.sample_registration, &group.sample_subscription) {
            (Some(r), _) => Addressee::Registrant(r),
            (None, Some(s)) => Addressee::Follower(s),
            (None, None) => continue,
        };
        let (subject, text, html, error) = match composer.compose(
            &group.sample,
            Some(&rehearsal.event),
            addressee,
            &rehearsal.changed,
            &cache,
        ) {
            Ok(message) => {
                let parsed = parser.parse(&message.bytes);
                match parsed {
                    Some(m) => (
                        m.subject().unwrap_or_default().to_string(),
                        m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                        m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
                        None,
                    ),
                    None => (
                        String::new(),
                        String::new(),
                        String::new(),
                        Some("message illisible".to_string()),
                    ),
                }
            }
            Err(err) => (
                String::new(),
                String::new(),
                String::new(),
                Some(err.to_string()),
            ),
        };
        previews.push(MailPreview {
            kind: crate::domain::french::mail_kind_label(group.kind),
            audience: if group.to_registrants {
                "personnes inscrites"
            } else {
                "abonnés"
            },
            count: group.count,
            due: crate::domain::french::moment(group.due_at, state.timezone),
            subject,
            text,
            html,
            error,
        });
    }
    Ok(previews)
}
