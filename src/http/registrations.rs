//! Registrations, public side and organiser side.
//!
//! Public: the form on a session's page (`POST /events/{slug}/inscription`) and its JSON twin
//! (`POST /api/v1/events/{key}/register`, no token), the confirmation link, and the person's own
//! page (`/inscription/{key}`: where they stand, a button to cancel, also the RFC 8058 one-click
//! target of their mail) with their personal calendar (`/inscription/{key}/agenda.ics`). As
//! everywhere, a GET changes nothing: mail scanners follow links.
//!
//! Organisers (token): list, add, move, remove and export the registrants of a session.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, Problem};
use super::extract::JsonBody;
use super::subscribe::{message, page};
use super::AppState;
use crate::domain::registration::{open_for_registration, Registrant};
use crate::domain::{french, FieldErrors, RegistrationStatus};
use crate::publish::ical::{self, Personal};
use crate::store::{ConfirmError, Move, NewRegistration, Registration, SeatCount, StoreError};

/// The consent wording shown with the registration form; its version is
/// `mail.consent_wording_version`.
pub(super) const WORDING: &str = "Votre adresse et votre nom servent uniquement à gérer votre \
    inscription (confirmation, lien de connexion, rappels, changements). Chaque message contient \
    un lien pour annuler votre inscription en un clic.";

const SENT: &str = "Si l'adresse est valide, un message vient d'y être envoyé : suivez le lien \
    qu'il contient pour confirmer votre inscription. Sans confirmation, aucune place n'est \
    réservée.";

/// Public pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/inscription", post(submit))
        .route(
            "/inscription/confirmer/{secret}",
            get(confirm_page).post(confirm),
        )
        .route("/inscription/{key}", get(own_page).post(cancel_own))
        .route("/inscription/{key}/agenda.ics", get(own_calendar))
}

/// Organiser endpoints (behind the token).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/events/{key}/registrations", get(list).post(add))
        .route("/events/{key}/registrations.csv", get(export))
        .route("/events/{key}/registrations/{id}", get(show).delete(remove))
        .route("/events/{key}/registrations/{id}/move", post(move_one))
}

#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
}

/// Why a registration request was not taken.
enum Refusal {
    Invalid(FieldErrors),
    Limited,
    Closed(&'static str, &'static str),
    Other(ApiError),
}

async fn request(
    state: &AppState,
    client: &str,
    slug: &str,
    registrant: Result<Registrant, FieldErrors>,
    source: &str,
) -> Result<(), Refusal> {
    let event = match state.store.get_event(slug).await {
        Ok(event) if event.status.is_public() => event,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(Refusal::Other(ApiError::NotFound("no such session".into())))
        }
        Err(err) => return Err(Refusal::Other(err.into())),
    };
    if let Err(closed) = open_for_registration(&event, state.store.now()) {
        return Err(Refusal::Closed(closed.message(), closed.french()));
    }
    let registrant = registrant.map_err(Refusal::Invalid)?;
    let mail = &state.settings.mail;
    let allowed = state
        .store
        .allow_subscribe_attempt(
            client,
            &registrant.email,
            i64::from(mail.subscribe_limit_per_client),
            i64::from(mail.subscribe_limit_per_address),
            chrono::Duration::minutes(i64::from(mail.subscribe_limit_window_minutes)),
        )
        .await
        .map_err(|e| Refusal::Other(e.into()))?;
    if !allowed {
        return Err(Refusal::Limited);
    }
    let new = NewRegistration {
        registrant,
        source: source.to_string(),
        wording_version: mail.consent_wording_version.clone(),
        request_ip: Some(client.to_string()),
    };
    let confirm_for = chrono::Duration::hours(i64::from(mail.confirm_hours));
    match state
        .store
        .request_registration(&event.id, &new, confirm_for)
        .await
    {
        // The same answer whatever happened: the form must not tell who is registered.
        Ok(_) => Ok(()),
        Err(StoreError::Conflict(_)) => Err(Refusal::Closed(
            "this session no longer takes registrations",
            "Cette session ne prend plus d'inscriptions.",
        )),
        Err(err) => Err(Refusal::Other(err.into())),
    }
}

/// French words for the fields a form may get wrong.
fn french_errors(errors: &FieldErrors) -> String {
    let mut out: Vec<&str> = Vec::new();
    for error in &errors.0 {
        let text = match error.field.as_str() {
            "email" => "l'adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr)",
            "name" => "indiquez votre nom, sur une ligne de 200 caractères au plus",
            "organisation" => "l'organisation tient sur une ligne de 200 caractères au plus",
            _ => "le formulaire est incomplet",
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    let mut sentence = out.join(" ; ");
    if let Some(first) = sentence.get(..1) {
        sentence = first.to_uppercase() + &sentence[1..];
    }
    format!("{sentence}.")
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    form: Result<axum::Form<RegisterForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match form {
        Ok(axum::Form(form)) => form,
        Err(rejection) => {
            let (status, text) = super::subscribe::unreadable(&rejection);
            return message(&state, status, "Formulaire illisible", text);
        }
    };
    let registrant = Registrant::parse(&form.email, &form.name, Some(&form.organisation));
    match request(&state, &peer.ip().to_string(), &slug, registrant, "form").await {
        Ok(()) => message(&state, StatusCode::OK, "Vérifiez votre boîte", SENT),
        Err(Refusal::Invalid(errors)) => message(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Inscription incomplète",
            &format!(
                "{} Revenez à la page de la session pour corriger : {}",
                french_errors(&errors),
                state.urls().register_anchor(&slug)
            ),
        ),
        Err(Refusal::Limited) => message(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de demandes",
            "Trop de demandes depuis cette connexion ou pour cette adresse. Réessayez dans une heure.",
        ),
        Err(Refusal::Closed(_, french)) => {
            message(&state, StatusCode::CONFLICT, "Inscriptions closes", french)
        }
        Err(Refusal::Other(ApiError::NotFound(_))) => message(
            &state,
            StatusCode::NOT_FOUND,
            "Session inconnue",
            "Cette session n'existe pas.",
        ),
        Err(Refusal::Other(err)) => err.into_response(),
    }
}

/// A request for a seat, from the public JSON endpoint or an organiser.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    #[schema(format = Email)]
    pub email: String,
    // One line of text (`domain::registration::line`): no control character
    // (`char::is_control`) but the spaces trimmed at either end; a name is not blank.
    #[schema(
        pattern = r"^\s*[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*\s*$",
        max_length = 200
    )]
    pub name: String,
    #[schema(pattern = r"^\s*[^\u0000-\u001f\u007f-\u009f]*\s*$", max_length = 200)]
    pub organisation: Option<String>,
    /// Organisers only: where consent was collected (default `organiser`).
    #[serde(default)]
    pub source: Option<String>,
}

/// The public endpoint's request, as documented: a registrant cannot say where consent was
/// collected (`RegistrationRequest::source` is for organisers; the handler refuses it by name).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PublicRegistration {
    #[schema(format = Email)]
    email: String,
    #[schema(
        pattern = r"^\s*[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*\s*$",
        max_length = 200
    )]
    name: String,
    #[schema(pattern = r"^\s*[^\u0000-\u001f\u007f-\u009f]*\s*$", max_length = 200)]
    organisation: Option<String>,
}

impl RegistrationRequest {
    fn registrant(&self) -> Result<Registrant, FieldErrors> {
        Registrant::parse(&self.email, &self.name, self.organisation.as_deref())
    }
}

/// The registration form as JSON (no token): double opt-in as with the form.
#[utoipa::path(post, path = "/api/v1/events/{key}/register", operation_id = "register", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug")),
    request_body = PublicRegistration,
    responses((status = 202, description = "A confirmation message is on its way (if the address is valid)"),
        (status = 404, body = Problem), (status = 409, description = "The session takes no registration now", body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn register_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let input: RegistrationRequest = crate::domain::errors::read_fields(body)?;
    if input.source.is_some() {
        return Err(ApiError::Invalid(FieldErrors::single(
            "source",
            "is for organisers (POST /api/v1/events/{key}/registrations)",
        )));
    }
    match request(
        &state,
        &peer.ip().to_string(),
        &key,
        input.registrant(),
        "api",
    )
    .await
    {
        Ok(()) => Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"status": "confirmation_sent"})),
        )),
        Err(Refusal::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(Refusal::Limited) => Err(ApiError::TooManyRequests(
            "too many requests from this client or for this address; try again later".into(),
        )),
        Err(Refusal::Closed(english, _)) => Err(ApiError::Conflict(english.into())),
        Err(Refusal::Other(err)) => Err(err),
    }
}

/// The link's page: names the session and offers the button (a GET changes nothing).
async fn confirm_page(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    let registration = match state.store.registration_by_confirm_secret(&secret).await {
        Ok(registration) => registration,
        Err(StoreError::NotFound) => {
            return message(
                &state,
                StatusCode::NOT_FOUND,
                "Lien inconnu",
                "Ce lien de confirmation est inconnu ou a déjà servi.",
            )
        }
        Err(err) => return ApiError::from(err).into_response(),
    };
    page(
        &state,
        StatusCode::OK,
        "pages/registration-confirm.html",
        context! {
            title => "Confirmer l'inscription",
            event_title => &registration.event_title,
            action => state.urls().confirm_registration(&secret),
        },
    )
}

async fn confirm(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match state.store.confirm_registration(&secret).await {
        Ok(Ok(registration)) => {
            let text = match registration.status {
                RegistrationStatus::Seated => format!(
                    "C'est fait : vous avez une place à « {} ». Le lien pour rejoindre la session \
                     vous est envoyé par courriel.",
                    registration.event_title
                ),
                _ => format!(
                    "La session « {} » est complète : vous êtes sur la liste d'attente, en \
                     position {}. Vous serez prévenu·e par courriel si une place se libère.",
                    registration.event_title,
                    registration.position.unwrap_or(1)
                ),
            };
            message(&state, StatusCode::OK, "Inscription confirmée", &text)
        }
        Ok(Err(ConfirmError::Unknown)) => message(
            &state,
            StatusCode::NOT_FOUND,
            "Lien inconnu",
            "Ce lien de confirmation est inconnu ou a déjà servi.",
        ),
        Ok(Err(ConfirmError::Expired)) => message(
            &state,
            StatusCode::GONE,
            "Lien expiré",
            "Ce lien de confirmation a expiré : inscrivez-vous à nouveau depuis la page de la session.",
        ),
        Ok(Err(ConfirmError::Closed)) => message(
            &state,
            StatusCode::CONFLICT,
            "Inscriptions closes",
            "Cette session ne prend plus d'inscriptions (elle a commencé ou a été annulée).",
        ),
        Err(err) => ApiError::from(err).into_response(),
    }
}

fn unknown_registration(state: &AppState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "Lien inconnu",
        "Ce lien d'inscription est inconnu : l'inscription a peut-être déjà été effacée.",
    )
}

async fn own_view(
    state: &AppState,
    registration: &Registration,
    key: &str,
    done: bool,
) -> Response {
    let when = match state.store.get_event(&registration.event_id).await {
        Ok(event) => french::when(event.schedule.as_ref(), event.timezone),
        Err(_) => None,
    };
    page(
        state,
        StatusCode::OK,
        "pages/registration.html",
        context! {
            title => if done { "Inscription annulée" } else { "Mon inscription" },
            event_title => &registration.event_title,
            event_url => state.urls().event_page(&registration.event),
            when => when,
            status => registration.status.as_str(),
            position => registration.position,
            calendar_url => state.urls().registration_calendar(key),
            action => state.urls().registration(key),
            done => done,
        },
    )
}

async fn own_page(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    match state.store.registration_by_key(&key).await {
        Ok(registration) => own_view(&state, &registration, &key, false).await,
        Err(StoreError::NotFound) => unknown_registration(&state),
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// The button of the person's page, or their mail client's one-click (RFC 8058: the body is
/// `List-Unsubscribe=One-Click`); the key in the URL is all that counts.
async fn cancel_own(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    match state.store.cancel_registration_by_key(&key).await {
        Ok(registration) => own_view(&state, &registration, &key, true).await,
        Err(StoreError::NotFound) => unknown_registration(&state),
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// The person's own calendar: the session with its join link while they hold a seat, marked
/// cancelled once they or the organisers cancel. Private: never stored by shared caches.
async fn own_calendar(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let registration = match state.store.registration_by_key(&key).await {
        Ok(registration) => registration,
        Err(StoreError::NotFound) => return unknown_registration(&state),
        Err(err) => return ApiError::from(err).into_response(),
    };
    let event = match state.store.get_event(&registration.event_id).await {
        Ok(event) => event,
        Err(err) => return ApiError::from(err).into_response(),
    };
    let personal = Personal {
        registration_id: &registration.id,
        revision: registration.revision,
        status: registration.status,
    };
    match ical::personal(&state.calendar, &event, personal) {
        Some(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, no-cache"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"inscription.ics\"",
                ),
            ],
            body,
        )
            .into_response(),
        None => message(
            &state,
            StatusCode::NOT_FOUND,
            "Pas de date",
            "Cette session n'a pas de date à mettre dans un agenda.",
        ),
    }
}

/// Query of the organiser's list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending`, `seated`, `waiting` or `cancelled`.
    #[param(value_type = Option<RegistrationStatus>)]
    status: Option<String>,
}

fn read_status(raw: Option<&str>) -> Result<Option<RegistrationStatus>, ApiError> {
    raw.map(|s| {
        RegistrationStatus::parse(s.trim()).ok_or_else(|| {
            ApiError::invalid_query(FieldErrors::single(
                "status",
                "must be pending, seated, waiting or cancelled",
            ))
        })
    })
    .transpose()
}

/// A session's registrants and its seats.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationList {
    /// The session's slug.
    pub event: String,
    pub seats: SeatCount,
    /// Seated first, then the waiting list in order, then pending and cancelled ones.
    pub items: Vec<Registration>,
}

#[utoipa::path(get, path = "/api/v1/events/{key}/registrations", operation_id = "listRegistrations", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug"), ListQuery),
    responses((status = 200, body = RegistrationList), (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Path(key): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RegistrationList>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let status = read_status(query.status.as_deref())?;
    let (event, items) = state.store.list_registrations(&key, status).await?;
    let seats = state.store.seat_count(&event).await?;
    Ok(Json(RegistrationList {
        event: event.slug,
        seats,
        items,
    }))
}

#[utoipa::path(post, path = "/api/v1/events/{key}/registrations", operation_id = "addRegistration", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug")),
    request_body = RegistrationRequest,
    responses((status = 201, description = "Registered: seated, or on the waiting list; told by mail", body = Registration),
        (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Already registered, or the session takes no registration now", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let input: RegistrationRequest = crate::domain::errors::read_fields(body)?;
    let registrant = input.registrant()?;
    let source = input
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("organiser")
        .to_string();
    let new = NewRegistration {
        registrant,
        source,
        wording_version: state.settings.mail.consent_wording_version.clone(),
        request_ip: None,
    };
    let registration = state.store.add_registration(&key, &new).await?;
    let location = format!(
        "/api/v1/events/{}/registrations/{}",
        registration.event, registration.id
    );
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(registration),
    ))
}

#[utoipa::path(get, path = "/api/v1/events/{key}/registrations/{id}", operation_id = "getRegistration", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug"), ("id" = String, Path)),
    responses((status = 200, body = Registration), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
) -> Result<Json<Registration>, ApiError> {
    Ok(Json(state.store.get_registration(&key, &id).await?))
}

/// Removes a registrant: the registration is cancelled, the person told by mail, and a freed
/// seat goes to the head of the waiting list.
#[utoipa::path(delete, path = "/api/v1/events/{key}/registrations/{id}", operation_id = "deleteRegistration", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug"), ("id" = String, Path)),
    responses((status = 200, description = "Cancelled", body = Registration), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
) -> Result<Json<Registration>, ApiError> {
    Ok(Json(state.store.remove_registration(&key, &id).await?))
}

/// Where to move a registrant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// `seat` (from the waiting list to a free seat) or `waiting` (to the waiting list).
    #[schema(value_type = MoveTo)]
    pub to: String,
    /// With `waiting`: the place in line, 1 being next (default: last).
    #[schema(minimum = 1)]
    pub position: Option<i64>,
}

/// Where `MoveRequest::to` sends a registrant (documentation: the handler reads the text).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum MoveTo {
    Seat,
    Waiting,
}

#[utoipa::path(post, path = "/api/v1/events/{key}/registrations/{id}/move", operation_id = "moveRegistration", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug"), ("id" = String, Path)),
    request_body = MoveRequest,
    responses((status = 200, body = Registration), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "No free seat, or the registrant is not seated or waiting", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn move_one(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<Registration>, ApiError> {
    let input: MoveRequest = crate::domain::errors::read_fields(body)?;
    let to = match (input.to.trim(), input.position) {
        ("seat", None) => Move::ToSeat,
        ("seat", Some(_)) => {
            return Err(ApiError::Invalid(FieldErrors::single(
                "position",
                "only applies when moving to the waiting list",
            )))
        }
        ("waiting", Some(p)) if p < 1 => {
            return Err(ApiError::Invalid(FieldErrors::single(
                "position",
                "must be 1 or more",
            )))
        }
        ("waiting", p) => Move::ToWaitingList(p.unwrap_or(i64::MAX)),
        _ => {
            return Err(ApiError::Invalid(FieldErrors::single(
                "to",
                "must be seat or waiting",
            )))
        }
    };
    Ok(Json(state.store.move_registration(&key, &id, to).await?))
}

/// A session's registrants as CSV, one per line in list order (the API's export and the
/// console's « Télécharger »).
pub(crate) fn registrations_csv(items: &[Registration]) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    let csv_error = |e: csv::Error| ApiError::Internal(e.into());
    writer
        .write_record([
            "name",
            "email",
            "organisation",
            "status",
            "position",
            "source",
            "requested_at",
            "confirmed_at",
            "seated_at",
            "cancelled_at",
        ])
        .map_err(csv_error)?;
    for r in items {
        writer
            .write_record([
                cell(&r.name),
                cell(r.email.as_str()),
                cell(r.organisation.as_deref().unwrap_or("")),
                r.status.as_str().to_string(),
                r.position.map(|p| p.to_string()).unwrap_or_default(),
                cell(&r.source),
                r.requested_at.to_rfc3339(),
                time(r.confirmed_at),
                time(r.seated_at),
                time(r.cancelled_at),
            ])
            .map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}

/// A CSV cell a spreadsheet would read as a formula (one starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return: OWASP's rule) is written after an apostrophe, which makes it
/// text; spreadsheets do not show the apostrophe.
pub(crate) fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[utoipa::path(get, path = "/api/v1/events/{key}/registrations.csv", operation_id = "exportRegistrations", tag = "registrations",
    params(("key" = String, Path, description = "The session's id or slug"), ListQuery),
    responses((status = 200, description = "CSV, one registrant per line, in list order", content_type = "text/csv"),
        (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Path(key): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let status = read_status(query.status.as_deref())?;
    let (event, items) = state.store.list_registrations(&key, status).await?;
    let body = registrations_csv(&items)?;
    let disposition = format!("attachment; filename=\"inscrits-{}.csv\"", event.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    ))
}
