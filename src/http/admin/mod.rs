//! The organiser console under `/admin`: server-rendered French pages (templates under
//! `templates/admin/`) that work without JavaScript. Accounts log in with a password
//! (Argon2id); sessions live in the database; every state-changing request carries the
//! session's synchroniser token (`auth.rs`). Pages call the same store functions as the JSON
//! API, so the rules (`domain`) are the same whichever way a change comes in.

pub mod auth;
mod dashboard;
mod directory;
mod follow;
mod form;
mod import;
mod people;
mod sessions;
mod subscribers;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};

use super::error::ApiError;
use super::AppState;
use crate::domain::urls::PublicUrls;
use crate::store::Account;

/// The console's Content-Security-Policy: scripts and styles only from this service (no
/// `unsafe-inline` for scripts), no third party, no framing. The console's pages have no inline
/// style; `unsafe-inline` stays for the mails' `style` attributes in the previews' sandboxed
/// `srcdoc` frames, which inherit this policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
    connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

/// The account behind a console request (put there by `auth::require_console`).
#[derive(Debug, Clone)]
pub struct Operator {
    pub account: Account,
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Operator>()
            .cloned()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("console route without a session")))
    }
}

/// Where `eventail user create` sends a new account's owner.
pub fn password_link(base_url: &str, secret: &str) -> String {
    format!(
        "{}/admin/mot-de-passe/{secret}",
        base_url.trim_end_matches('/')
    )
}

/// The console's routes.
pub fn routes(state: AppState) -> Router<AppState> {
    let admins_only = people::admin_routes().route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_admin,
    ));
    let console = Router::new()
        .route("/admin", get(dashboard::show))
        .route("/admin/deconnexion", post(auth::logout))
        .route("/admin/courriels/{id}/reessayer", post(dashboard::retry))
        .merge(sessions::routes())
        .merge(follow::routes())
        .merge(directory::routes())
        .merge(subscribers::routes())
        .merge(import::routes())
        .merge(admins_only)
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            auth::require_console,
        ));
    Router::new()
        .route("/admin/connexion", get(auth::login_form).post(auth::login))
        .route(
            "/admin/mot-de-passe/{secret}",
            get(auth::password_form).post(auth::set_password),
        )
        .merge(console)
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// What every console template gets: the public pages' context (`site`: the DSFR header's team
/// name, the footer's links), the console's own stylesheet and the logged-in account.
fn base_context(state: &AppState, operator: Option<&Operator>) -> Value {
    context! {
        // By path: the console's CSP allows styles from its own origin, which may not be the
        // public address the pages link to.
        stylesheet => state.assets.console_stylesheet_url(PublicUrls::paths()),
        operator => operator.map(|o| context! {
            name => &o.account.name,
            email => &o.account.email,
            role => o.account.role.label(),
            is_admin => o.account.role.manages_accounts(),
        }),
        csrf => operator.map(|o| o.csrf.as_str()),
        ..super::pages::base_context(state)
    }
}

/// A console page for a logged-in account.
pub(crate) fn render(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    template: &str,
    ctx: Value,
) -> Response {
    respond(state, status, template, ctx, Some(operator))
}

/// A console page outside a session (login, password link, refusals).
pub(crate) fn render_bare(
    state: &AppState,
    status: StatusCode,
    template: &str,
    ctx: Value,
) -> Response {
    respond(state, status, template, ctx, None)
}

fn respond(
    state: &AppState,
    status: StatusCode,
    template: &str,
    ctx: Value,
    operator: Option<&Operator>,
) -> Response {
    let merged = context! { ..ctx, ..base_context(state, operator) };
    match state.templates.render(template, merged) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => failure(state, ApiError::Internal(err.into())),
    }
}

/// A store error for a page about one thing: its absence is the console's French 404.
pub(crate) fn not_found(err: crate::store::StoreError) -> ApiError {
    match err {
        crate::store::StoreError::NotFound => ApiError::NotFound("not found".into()),
        other => other.into(),
    }
}

/// An error the console cannot recover from, as a French page (details in the log).
pub(crate) fn failure(state: &AppState, err: ApiError) -> Response {
    let (status, message) = match &err {
        ApiError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "Cette page n'existe pas, ou ce qu'elle montrait a été supprimé.",
        ),
        _ => {
            tracing::error!(error = %err, "console error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur empêche d'afficher cette page. Elle a été consignée ; réessayez dans un instant.",
            )
        }
    };
    let ctx = context! { title => "Erreur", message => message };
    let merged = context! { ..ctx, ..base_context(state, None) };
    match state.templates.render("admin/message.html", merged) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message).into_response(),
    }
}

/// A 303 to another console page after a form was handled, with a notice it shows once
/// (`?fait=…`, one of the fixed texts of `notice`).
pub(crate) fn see_other(path: &str) -> Response {
    let mut response = axum::response::Redirect::to(path).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}
