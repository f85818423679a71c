//! Logging in and out of the console, setting a password through its one-time link, and the
//! guard every console page sits behind: a live server-side session (cookie), the session's
//! synchroniser token on every state-changing request, and the admin role where it is needed.

use std::net::SocketAddr;
use std::sync::OnceLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use minijinja::context;
use serde::Deserialize;

use super::{render_bare, Operator};
use crate::domain::account::{check_password, throttle_keys, Actor};
use crate::http::AppState;

/// The form field (and header, for scripts) carrying the synchroniser token.
pub const CSRF_FIELD: &str = "_csrf";
const CSRF_HEADER: &str = "x-csrf-token";
/// The login and password forms, before any session exists, use a double-submit token: a
/// random cookie the form repeats.
const LOGIN_COOKIE: &str = "eventail_login";

/// The same words whether the address is unknown, the password wrong or the account disabled.
const LOGIN_REFUSED: &str = "Adresse électronique ou mot de passe incorrect.";
const LOGIN_THROTTLED: &str =
    "Trop de tentatives de connexion ont échoué. Réessayez dans quelques minutes.";

/// The session cookie's name: `__Host-` prefixed when served over https (the browser then
/// insists on `Secure`, `Path=/` and no `Domain`).
fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        "__Host-eventail"
    } else {
        "eventail_console"
    }
}

fn secure(state: &AppState) -> bool {
    state.base_url.starts_with("https://")
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v).filter_map(Result::ok))
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

fn set_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state));
    if let Some(seconds) = max_age {
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    HeaderValue::from_str(&cookie.build().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("eventail_console=; Max-Age=0; Path=/"))
}

/// Constant-time equality of two tokens.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a state-changing request comes from one of this service's pages: its `Origin`, when
/// the browser sends one, must be the service's (as configured, or as the request addressed it).
fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let configured = url::Url::parse(&state.base_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin == configured
        || origin.strip_prefix("http://") == Some(host)
        || origin.strip_prefix("https://") == Some(host)
}

/// The value of `field` in a URL-encoded form body.
fn form_field(body: &[u8], field: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
}

// --- Passwords -----------------------------------------------------------------------------

/// Argon2id with the crate's defaults (the OWASP baseline: 19 MiB, 2 passes, 1 lane).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the stored PHC string (whatever parameters it was made with).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash nobody's password matches, checked when the address is unknown so that such a login
/// takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&crate::store::random_secret()).unwrap_or_default())
}

// --- Login ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    suite: Option<String>,
    #[serde(rename = "mot-de-passe")]
    password_set: Option<String>,
    expiree: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    suite: String,
}

/// Where to go after logging in: a console page, never elsewhere.
fn next_page(suite: Option<&str>) -> String {
    match suite {
        Some(path)
            if path.starts_with("/admin")
                && !path.starts_with("/admin/connexion")
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_string()
        }
        _ => "/admin".into(),
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    headers: &HeaderMap,
    email: &str,
    suite: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    before_session(
        state,
        status,
        headers,
        "admin/login.html",
        context! {
            title => "Connexion",
            email => email,
            suite => suite,
            error => error,
            notice => notice,
        },
    )
}

/// A form shown before any session exists (login, password): its double-submit token, kept
/// in a cookie for an hour and repeated in the form (`csrf`).
fn before_session(
    state: &AppState,
    status: StatusCode,
    headers: &HeaderMap,
    template: &str,
    ctx: minijinja::Value,
) -> Response {
    let token = cookie_value(headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(crate::store::random_secret);
    let mut response = render_bare(state, status, template, context! { csrf => &token, ..ctx });
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, token, Some(3600)),
    );
    response
}

pub async fn login_form(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    let notice = if query.password_set.is_some() {
        Some("Votre mot de passe est enregistré. Vous pouvez vous connecter.")
    } else if query.expiree.is_some() {
        Some("Votre session a pris fin. Connectez-vous de nouveau.")
    } else {
        None
    };
    let suite = next_page(query.suite.as_deref());
    login_page(&state, StatusCode::OK, &headers, "", &suite, None, notice)
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Response> {
    let form = form.map(|axum::Form(f)| f).unwrap_or_default();
    let suite = next_page(Some(&form.suite));
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &form.csrf) || !same_origin(&state, &headers) {
        return Err(login_page(
            &state,
            StatusCode::FORBIDDEN,
            &headers,
            &form.email,
            &suite,
            Some("Le formulaire a expiré. Saisissez de nouveau vos identifiants."),
            None,
        ));
    }
    let policy = state.settings.console.policy();
    let now = state.store.now();
    let (account_key, client_key) = throttle_keys(&form.email, &peer.ip().to_string());
    let store_error = |err: crate::store::StoreError| {
        super::failure(&state, crate::http::error::ApiError::from(err))
    };
    let account_failures = state
        .store
        .login_failures(&account_key, policy.window_start(now))
        .await
        .map_err(store_error)?;
    let client_failures = state
        .store
        .login_failures(&client_key, policy.window_start(now))
        .await
        .map_err(store_error)?;
    let refuse = |message: &str| {
        login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &headers,
            &form.email,
            &suite,
            Some(message),
            None,
        )
    };
    if policy.throttled(account_failures, client_failures) {
        return Err(refuse(LOGIN_THROTTLED));
    }
    let credentials = state
        .store
        .credentials(&form.email)
        .await
        .map_err(store_error)?;
    let hash = credentials
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let password = form.password.clone();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    let account = credentials
        .map(|c| c.account)
        .filter(|a| matches && a.disabled_at.is_none() && a.has_password);
    let Some(account) = account else {
        state
            .store
            .record_login_failure(&[&account_key, &client_key], policy.window_start(now))
            .await
            .map_err(store_error)?;
        return Err(refuse(LOGIN_REFUSED));
    };
    state
        .store
        .clear_login_failures(&account_key)
        .await
        .map_err(store_error)?;
    let opened = state
        .store
        .open_console_session(&account.id)
        .await
        .map_err(store_error)?;
    tracing::info!(account = %account.email, "console login");
    let mut response = Redirect::to(&suite).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, cookie_name(&state), opened.secret, None),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_COOKIE, String::new(), Some(0)),
    );
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie_value(&headers, cookie_name(&state)) {
        if let Err(err) = state.store.close_console_session(&secret).await {
            return super::failure(&state, err.into());
        }
    }
    let mut response = Redirect::to("/admin/connexion").into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, cookie_name(&state), String::new(), Some(0)),
    );
    response
}

// --- Setting a password --------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

fn password_page(
    state: &AppState,
    status: StatusCode,
    headers: &HeaderMap,
    account: &crate::store::Account,
    error: Option<&str>,
) -> Response {
    before_session(
        state,
        status,
        headers,
        "admin/password.html",
        context! {
            title => "Choisir votre mot de passe",
            account => account,
            error => error,
            min_chars => crate::domain::account::MIN_PASSWORD_CHARS,
        },
    )
}

fn unknown_link(state: &AppState) -> Response {
    render_bare(
        state,
        StatusCode::NOT_FOUND,
        "admin/message.html",
        context! {
            title => "Lien inconnu ou expiré",
            message => "Ce lien ne permet plus de choisir un mot de passe : il a déjà servi ou a expiré. Demandez-en un nouveau à un administrateur.",
        },
    )
}

pub async fn password_form(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.store.account_for_link(&secret).await {
        Ok(Some(account)) => password_page(&state, StatusCode::OK, &headers, &account, None),
        Ok(None) => unknown_link(&state),
        Err(err) => super::failure(&state, err.into()),
    }
}

pub async fn set_password(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|axum::Form(f)| f).unwrap_or_default();
    let account = match state.store.account_for_link(&secret).await {
        Ok(Some(account)) => account,
        Ok(None) => return unknown_link(&state),
        Err(err) => return super::failure(&state, err.into()),
    };
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &form.csrf) || !same_origin(&state, &headers) {
        return password_page(
            &state,
            StatusCode::FORBIDDEN,
            &headers,
            &account,
            Some("Le formulaire a expiré. Saisissez de nouveau votre mot de passe."),
        );
    }
    if let Err(message) = check_password(&form.password, &form.confirmation, &account.email) {
        return password_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &headers,
            &account,
            Some(&message),
        );
    }
    let password = form.password;
    let hash = match tokio::task::spawn_blocking(move || hash_password(&password)).await {
        Ok(Ok(hash)) => hash,
        _ => {
            return super::failure(
                &state,
                crate::http::error::ApiError::Internal(anyhow::anyhow!("cannot hash a password")),
            )
        }
    };
    match state.store.set_password(&secret, &hash).await {
        Ok(_) => {
            let mut response = Redirect::to("/admin/connexion?mot-de-passe=1").into_response();
            *response.status_mut() = StatusCode::SEE_OTHER;
            response
        }
        Err(crate::store::StoreError::NotFound) => unknown_link(&state),
        Err(err) => super::failure(&state, err.into()),
    }
}

// --- The guard -----------------------------------------------------------------------------

/// Every console page but the login and password ones: a live session, and on state-changing
/// requests the session's token and a same-origin request. The page then runs as its account.
pub async fn require_console(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let policy = state.settings.console.policy();
    let secret = cookie_value(req.headers(), cookie_name(&state));
    let session = match secret {
        Some(secret) => match state.store.console_session(&secret, &policy).await {
            Ok(session) => session,
            Err(err) => return super::failure(&state, err.into()),
        },
        None => None,
    };
    let Some(session) = session else {
        let back = if req.method() == Method::GET {
            req.uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let target = if back.is_empty() {
            "/admin/connexion?expiree=1".to_string()
        } else {
            format!(
                "/admin/connexion?suite={}",
                url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
            )
        };
        let mut response = Redirect::to(&target).into_response();
        *response.status_mut() = StatusCode::SEE_OTHER;
        return response;
    };
    let req = if req.method().is_safe() {
        req
    } else {
        let (parts, body) = req.into_parts();
        let limit = state.settings.http.max_body_bytes;
        let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return refused(
                    &state,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Le formulaire envoyé est trop volumineux.",
                )
            }
        };
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| form_field(&bytes, CSRF_FIELD))
            .unwrap_or_default();
        if !same_token(&sent, &session.csrf_token) || !same_origin(&state, &parts.headers) {
            tracing::warn!(account = %session.account.email, path = %parts.uri.path(), "console request without a valid CSRF token refused");
            return refused(
                &state,
                StatusCode::FORBIDDEN,
                "Cette action n'a pas été faite : le formulaire n'a pas été envoyé depuis la console, ou il a expiré. Rechargez la page et recommencez.",
            );
        }
        Request::from_parts(parts, Body::from(bytes))
    };
    let actor = Actor::Account {
        email: session.account.email.clone(),
        name: session.account.name.clone(),
    };
    let mut req = req;
    req.extensions_mut().insert(Operator {
        account: session.account,
        csrf: session.csrf_token,
    });
    crate::http::audit::run_as(&state, actor.label(), req, next).await
}

/// Pages for admins only (accounts, API tokens): 403 for organisers.
pub async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allowed = req
        .extensions()
        .get::<Operator>()
        .is_some_and(|o| o.account.role.manages_accounts());
    if !allowed {
        return refused(
            &state,
            StatusCode::FORBIDDEN,
            "Cette page est réservée aux administrateurs et administratrices.",
        );
    }
    next.run(req).await
}

fn refused(state: &AppState, status: StatusCode, message: &str) -> Response {
    render_bare(
        state,
        status,
        "admin/message.html",
        context! { title => "Action refusée", message => message },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_to_argon2id_and_verify() {
        let hash = hash_password("cheval agrafe pile").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "cheval agrafe pile"));
        assert!(!verify_password(&hash, "cheval agrafe pilE"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn after_login_only_console_pages() {
        assert_eq!(next_page(Some("/admin/sessions/x")), "/admin/sessions/x");
        assert_eq!(next_page(Some("https://evil.example/admin")), "/admin");
        assert_eq!(next_page(Some("//evil.example/admin")), "/admin");
        assert_eq!(next_page(Some("/admin//evil.example")), "/admin");
        assert_eq!(next_page(Some("/admin/connexion")), "/admin");
        assert_eq!(next_page(None), "/admin");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", "a"));
    }
}
