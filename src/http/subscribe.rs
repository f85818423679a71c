//! Public subscription pages: the subscribe form (double opt-in), the confirmation link and the
//! one-click unsubscribe (RFC 8058), plus the form's JSON twin at `POST /api/v1/subscribe`.
//!
//! Links in messages are followed by scanners: every GET only shows a page with a button, and
//! only the POST behind it confirms or unsubscribes. The unsubscribe POST needs no cookie, no
//! login and no form field, as mail clients' one-click buttons send it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minijinja::{context, Value};
use serde::Deserialize;

use super::error::ApiError;
use super::extract::JsonBody;
use super::AppState;
use crate::domain::FieldErrors;
use crate::domain::{EmailAddress, Scope, SubscriptionStatus};
use crate::mailer::Composer;
use crate::store::{ConfirmError, NewSubscription, StoreError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/abonnement", get(form).post(submit))
        .route(
            "/abonnement/confirmer/{secret}",
            get(confirm_page).post(confirm),
        )
        .route(
            "/desabonnement/{key}",
            get(unsubscribe_page).post(unsubscribe),
        )
}

/// The consent wording shown on the form; its version is `mail.consent_wording_version`.
pub(super) const WORDING: &str =
    "En vous abonnant, vous acceptez de recevoir par courriel les annonces, \
    rappels, changements et annulations des sessions choisies. Votre adresse ne sert qu'à cela ; \
    chaque message contient un lien pour vous désabonner en un clic.";

pub(super) fn page(state: &AppState, status: StatusCode, template: &str, ctx: Value) -> Response {
    let merged = context! { ..ctx, ..super::pages::base_context(state) };
    match state.templates.render(template, merged) {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(err) => ApiError::Internal(err.into()).into_response(),
    }
}

pub(super) fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    page(
        state,
        status,
        "pages/message.html",
        context! { title => title, message => text, is_error => !status.is_success() },
    )
}

#[derive(Debug, Deserialize, Default)]
pub struct FormParams {
    serie: Option<String>,
    session: Option<String>,
}

struct ScopeOption {
    value: String,
    label: String,
}

async fn scope_options(state: &AppState, session: Option<&str>) -> Result<Vec<Value>, ApiError> {
    let mut options = vec![ScopeOption {
        value: "all".into(),
        label: "tous les webinaires, événements et vidéos".into(),
    }];
    for series in state.store.list_series().await? {
        options.push(ScopeOption {
            value: format!("series:{}", series.slug),
            label: format!("la série \u{ab}\u{a0}{}\u{a0}\u{bb}", series.title),
        });
    }
    if let Some(slug) = session {
        if let Ok(event) = state.store.get_event(slug).await {
            // A session that requires registration is joined by registering on its page.
            if event.status == crate::domain::EventStatus::Scheduled
                && event.slug == slug
                && !crate::domain::registration::registers_here(&event)
            {
                options.push(ScopeOption {
                    value: format!("event:{}", event.slug),
                    label: format!("un rappel pour \u{ab}\u{a0}{}\u{a0}\u{bb}", event.title),
                });
            }
        }
    }
    Ok(options
        .into_iter()
        .map(|o| context! { value => o.value, label => o.label })
        .collect())
}

async fn render_form(
    state: &AppState,
    status: StatusCode,
    email: &str,
    scope: &str,
    error: Option<&str>,
) -> Response {
    let session = scope.strip_prefix("event:");
    let scopes = match scope_options(state, session).await {
        Ok(scopes) => scopes,
        Err(err) => return err.into_response(),
    };
    page(
        state,
        status,
        "pages/subscribe.html",
        context! {
            title => "S'abonner aux annonces",
            email => email,
            scope => scope,
            scopes => scopes,
            error => error,
            wording => WORDING,
            wording_version => &state.settings.mail.consent_wording_version,
        },
    )
}

async fn form(State(state): State<AppState>, Query(params): Query<FormParams>) -> Response {
    let scope = match (params.session, params.serie) {
        (Some(slug), _) => format!("event:{slug}"),
        (None, Some(slug)) => format!("series:{slug}"),
        _ => "all".into(),
    };
    render_form(&state, StatusCode::OK, "", &scope, None).await
}

fn parse_scope(raw: &str) -> Result<Scope, FieldErrors> {
    let raw = raw.trim();
    match raw.split_once(':') {
        None if raw == "all" || raw.is_empty() => Ok(Scope::All),
        Some(("series", slug)) if !slug.is_empty() => Ok(Scope::Series(slug.to_string())),
        Some(("event", slug)) if !slug.is_empty() => Ok(Scope::Event(slug.to_string())),
        _ => Err(FieldErrors::single(
            "scope",
            "must be all, series:SLUG or event:SLUG",
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    scope: String,
}

/// Why a subscribe request was not taken, for the form and for the JSON endpoint.
enum Refusal {
    Invalid(FieldErrors),
    Limited,
    Other(ApiError),
}

async fn request(
    state: &AppState,
    client: &str,
    email: &str,
    scope: &str,
    source: &str,
) -> Result<(), Refusal> {
    let scope = parse_scope(scope).map_err(Refusal::Invalid)?;
    let email = EmailAddress::parse(email)
        .map_err(|m| Refusal::Invalid(FieldErrors::single("email", m)))?;
    let mail = &state.settings.mail;
    let allowed = state
        .store
        .allow_subscribe_attempt(
            client,
            &email,
            i64::from(mail.subscribe_limit_per_client),
            i64::from(mail.subscribe_limit_per_address),
            chrono::Duration::minutes(i64::from(mail.subscribe_limit_window_minutes)),
        )
        .await
        .map_err(|e| Refusal::Other(e.into()))?;
    if !allowed {
        return Err(Refusal::Limited);
    }
    let new = NewSubscription {
        email,
        scope,
        source: source.to_string(),
        wording_version: mail.consent_wording_version.clone(),
        request_ip: Some(client.to_string()),
    };
    let confirm_for = chrono::Duration::hours(i64::from(mail.confirm_hours));
    match state.store.request_subscription(&new, confirm_for).await {
        // The same answer either way: the form must not tell who is subscribed.
        Ok(_) => Ok(()),
        Err(StoreError::Invalid(errors)) => Err(Refusal::Invalid(errors)),
        Err(err) => Err(Refusal::Other(err.into())),
    }
}

/// Why a posted form could not be read, for its page: too large (413), or garbled (400).
pub(super) fn unreadable(
    rejection: &axum::extract::rejection::FormRejection,
) -> (StatusCode, &'static str) {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Le formulaire envoyé est trop volumineux ; merci de le remplir à nouveau.",
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "Le formulaire n'a pas pu être lu ; merci de le remplir à nouveau.",
        )
    }
}

const SENT: &str = "Si l'adresse est valide, un message vient d'y être envoyé : suivez le lien \
    qu'il contient pour confirmer votre abonnement. Sans confirmation, vous ne recevrez rien.";
const LIMITED: &str = "Trop de demandes d'abonnement depuis cette connexion ou pour cette \
    adresse. Réessayez dans une heure.";

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<axum::Form<SubscribeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match form {
        Ok(axum::Form(form)) => form,
        Err(rejection) => {
            let (status, text) = unreadable(&rejection);
            return render_form(&state, status, "", "all", Some(text)).await;
        }
    };
    match request(
        &state,
        &peer.ip().to_string(),
        &form.email,
        &form.scope,
        "form",
    )
    .await
    {
        Ok(()) => message(&state, StatusCode::OK, "Vérifiez votre boîte", SENT),
        Err(Refusal::Invalid(errors)) => {
            let text = if errors.0.iter().any(|e| e.field == "email") {
                "Cette adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr)."
            } else {
                "Ce choix d'abonnement n'existe pas ou n'est plus ouvert."
            };
            render_form(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.email,
                &form.scope,
                Some(text),
            )
            .await
        }
        Err(Refusal::Limited) => message(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de demandes",
            LIMITED,
        ),
        Err(Refusal::Other(err)) => err.into_response(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PublicSubscribe {
    #[schema(format = Email)]
    pub email: String,
    #[schema(schema_with = super::openapi::rules::scope)]
    pub scope: Option<serde_json::Value>,
}

/// The subscribe form as JSON (no token): a confirmation message is sent, as with the form.
#[utoipa::path(post, path = "/api/v1/subscribe", operation_id = "subscribe", tag = "subscribers", request_body = PublicSubscribe,
    responses((status = 202, description = "A confirmation message is on its way (if the address is valid and not yet subscribed)"),
        (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem),
        (status = 429, body = super::error::Problem)))]
pub async fn subscribe_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let input: PublicSubscribe = crate::domain::errors::read_fields(body)?;
    let scope = match super::subscribers::read_scope(input.scope.as_ref())? {
        Scope::All => "all".to_string(),
        Scope::Series(slug) => format!("series:{slug}"),
        Scope::Event(slug) => format!("event:{slug}"),
    };
    match request(&state, &peer.ip().to_string(), &input.email, &scope, "api").await {
        Ok(()) => Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"status": "confirmation_sent"})),
        )),
        Err(Refusal::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(Refusal::Limited) => Err(ApiError::TooManyRequests(
            "too many subscribe requests from this client or for this address; try again later"
                .into(),
        )),
        Err(Refusal::Other(err)) => Err(err),
    }
}

async fn confirm_page(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    page(
        &state,
        StatusCode::OK,
        "pages/confirm.html",
        context! {
            title => "Confirmer l'abonnement",
            action => state.urls().confirm(&secret),
        },
    )
}

async fn confirm(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match state.store.confirm_subscription(&secret).await {
        Ok(Ok(subscription)) => message(
            &state,
            StatusCode::OK,
            "Abonnement confirmé",
            &format!(
                "C'est fait : {} recevra les messages pour {}.",
                subscription.email,
                Composer::scope_text(&subscription)
            ),
        ),
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
            "Ce lien de confirmation a expiré : abonnez-vous à nouveau pour en recevoir un autre.",
        ),
        Ok(Err(ConfirmError::Closed)) => message(
            &state,
            StatusCode::CONFLICT,
            "Inscriptions closes",
            "Cette session ne prend plus d'inscriptions.",
        ),
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// The page behind the link: the list the message came from and the address's other lists,
/// with a button to leave the first and one to leave them all. Changes nothing.
async fn unsubscribe_page(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let subscription = match state.store.subscription_by_unsubscribe_key(&key).await {
        Ok(subscription) => subscription,
        Err(StoreError::NotFound) => return unknown_link(&state),
        Err(err) => return ApiError::from(err).into_response(),
    };
    let others = match state.store.other_active_subscriptions(&subscription).await {
        Ok(others) => others,
        Err(err) => return ApiError::from(err).into_response(),
    };
    page(
        &state,
        StatusCode::OK,
        "pages/unsubscribe.html",
        context! {
            title => "Se désabonner",
            email => &subscription.email,
            scope_text => Composer::scope_text(&subscription),
            list_name => &state.settings.mail.list_name,
            already_left => subscription.status == SubscriptionStatus::Unsubscribed,
            others => scope_texts(&others),
            action => state.urls().unsubscribe(&key),
        },
    )
}

fn scope_texts(subscriptions: &[crate::store::Subscription]) -> Vec<String> {
    subscriptions.iter().map(Composer::scope_text).collect()
}

fn unknown_link(state: &AppState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "Lien inconnu",
        "Ce lien de désabonnement est inconnu : l'abonnement a peut-être déjà été effacé.",
    )
}

/// An unsubscribe POST's body: RFC 8058's `List-Unsubscribe=One-Click` from mail clients, or the
/// page's choice.
#[derive(Debug, Deserialize, Default)]
pub struct UnsubscribeForm {
    #[serde(rename = "List-Unsubscribe")]
    one_click: Option<String>,
    /// `liste` (the list the message came from) or `tout` (every list of the address).
    portee: Option<String>,
}

/// What the POST asks for. A mail client's one-click never leaves more than the list the link
/// names, whatever else its body holds; so does a body that is empty or not a form (RFC 8058
/// lets clients send `multipart/form-data`). `Err` holds a `portee` no page sends.
fn read_choice(
    form: Option<&UnsubscribeForm>,
) -> Result<crate::domain::subscription::UnsubscribeChoice, String> {
    use crate::domain::subscription::UnsubscribeChoice::{Everything, OneClick, ThisList};
    let Some(form) = form else {
        return Ok(OneClick);
    };
    if form.one_click.as_deref().map(str::trim) == Some("One-Click") {
        return Ok(OneClick);
    }
    match form.portee.as_deref().map(str::trim) {
        None | Some("") => Ok(OneClick),
        Some("liste") => Ok(ThisList),
        Some("tout") => Ok(Everything),
        Some(other) => Err(other.to_string()),
    }
}

/// Leaves the list the link names, or every list of the address when the page's second button
/// asks (`portee=tout`); the page it answers with says what was left and what remains.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(key): Path<String>,
    form: Result<axum::Form<UnsubscribeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.ok().map(|axum::Form(form)| form);
    let choice = match read_choice(form.as_ref()) {
        Ok(choice) => choice,
        Err(_) => {
            return page(
                &state,
                StatusCode::BAD_REQUEST,
                "pages/message.html",
                context! {
                    title => "Choix inconnu",
                    message => "Ce choix de désabonnement n'existe pas : rien n'a été changé.",
                    is_error => true,
                    link_url => state.urls().unsubscribe(&key),
                    link_text => "Revenir au choix",
                },
            )
        }
    };
    match state.store.unsubscribe(&key, choice).await {
        Ok(done) => {
            tracing::info!(
                choice = choice.as_str(),
                withdrawn = done.withdrawn,
                "unsubscribed"
            );
            page(
                &state,
                StatusCode::OK,
                "pages/unsubscribe.html",
                context! {
                    title => "Désabonnement effectué",
                    email => &done.subscription.email,
                    scope_text => Composer::scope_text(&done.subscription),
                    list_name => &state.settings.mail.list_name,
                    left => if choice.leaves_everything() { "everything" } else { "list" },
                    others => scope_texts(&done.remaining),
                    action => state.urls().unsubscribe(&key),
                },
            )
        }
        Err(StoreError::NotFound) => unknown_link(&state),
        Err(err) => ApiError::from(err).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::subscription::UnsubscribeChoice;

    #[test]
    fn only_the_pages_second_button_leaves_every_list() {
        let form = |one_click: Option<&str>, portee: Option<&str>| UnsubscribeForm {
            one_click: one_click.map(String::from),
            portee: portee.map(String::from),
        };
        let table = [
            (None, Ok(UnsubscribeChoice::OneClick)),
            (Some(form(None, None)), Ok(UnsubscribeChoice::OneClick)),
            (
                Some(form(Some("One-Click"), None)),
                Ok(UnsubscribeChoice::OneClick),
            ),
            (
                Some(form(Some("One-Click"), Some("tout"))),
                Ok(UnsubscribeChoice::OneClick),
            ),
            (Some(form(None, Some(""))), Ok(UnsubscribeChoice::OneClick)),
            (
                Some(form(None, Some("liste"))),
                Ok(UnsubscribeChoice::ThisList),
            ),
            (
                Some(form(None, Some(" tout "))),
                Ok(UnsubscribeChoice::Everything),
            ),
            (Some(form(None, Some("all"))), Err("all".to_string())),
        ];
        for (form, expected) in table {
            assert_eq!(read_choice(form.as_ref()), expected, "{form:?}");
        }
    }
}
