//! Accounts and API tokens, for admins.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{failure, render, see_other, Operator};
use crate::domain::account::NewAccount;
use crate::domain::EmailAddress;
use crate::http::AppState;
use crate::store::StoreError;

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/comptes", get(accounts).post(create_account))
        .route("/admin/comptes/{email}/desactiver", post(disable_account))
        .route("/admin/jetons", get(tokens).post(create_token))
        .route("/admin/jetons/{id}/revoquer", post(revoke_token))
}

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    fait: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn accounts_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    form: &AccountForm,
    errors: &[String],
    link: Option<String>,
    notice: Option<&str>,
) -> Response {
    let accounts = match state.store.list_accounts().await {
        Ok(accounts) => accounts,
        Err(err) => return failure(state, err.into()),
    };
    render(
        state,
        operator,
        status,
        "admin/accounts.html",
        context! {
            title => "Comptes",
            accounts => accounts.iter().map(|a| context! {
                email => &a.email,
                name => &a.name,
                role => a.role.label(),
                disabled => a.disabled_at.is_some(),
                has_password => a.has_password,
                is_me => a.id == operator.account.id,
            }).collect::<Vec<_>>(),
            form => context! { email => &form.email, name => &form.name, role => &form.role },
            errors => errors,
            link => link,
            notice => notice,
            link_hours => state.settings.console.password_link_hours,
        },
    )
}

async fn accounts(
    State(state): State<AppState>,
    operator: Operator,
    Query(done): Query<Done>,
) -> Response {
    let notice = match done.fait.as_deref() {
        Some("desactive") => Some("Le compte est désactivé ; ses sessions ont pris fin."),
        _ => None,
    };
    accounts_page(
        &state,
        &operator,
        StatusCode::OK,
        &AccountForm::default(),
        &[],
        None,
        notice,
    )
    .await
}

async fn create_account(
    State(state): State<AppState>,
    operator: Operator,
    axum::Form(form): axum::Form<AccountForm>,
) -> Response {
    let new = match NewAccount::parse(&form.email, &form.name, &form.role) {
        Ok(new) => new,
        Err(errors) => {
            let errors: Vec<String> = errors
                .iter()
                .map(|e| {
                    if let Some(message) = e.strip_prefix("email ") {
                        crate::domain::errors::in_french(message)
                    } else if e.starts_with("name") {
                        "Indiquez un nom (100 caractères au plus).".to_string()
                    } else {
                        "Choisissez un rôle.".to_string()
                    }
                })
                .collect();
            return accounts_page(
                &state,
                &operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
                None,
                None,
            )
            .await;
        }
    };
    match state
        .store
        .create_account(&new, &state.settings.console.policy())
        .await
    {
        Ok((_, secret)) => {
            let link = super::password_link(&state.base_url, &secret);
            accounts_page(
                &state,
                &operator,
                StatusCode::CREATED,
                &AccountForm::default(),
                &[],
                Some(link),
                None,
            )
            .await
        }
        Err(StoreError::Conflict(_)) => {
            let errors = vec!["Un compte a déjà cette adresse.".to_string()];
            accounts_page(
                &state,
                &operator,
                StatusCode::CONFLICT,
                &form,
                &errors,
                None,
                None,
            )
            .await
        }
        Err(err) => failure(&state, err.into()),
    }
}

async fn disable_account(
    State(state): State<AppState>,
    operator: Operator,
    Path(email): Path<String>,
) -> Response {
    // Any spelling of the operator's own address finds their account.
    if EmailAddress::lookup_form(&email) == EmailAddress::lookup_form(&operator.account.email) {
        let errors = vec!["Vous ne pouvez pas désactiver votre propre compte.".to_string()];
        return accounts_page(
            &state,
            &operator,
            StatusCode::CONFLICT,
            &AccountForm::default(),
            &errors,
            None,
            None,
        )
        .await;
    }
    match state.store.disable_account(&email).await {
        Ok(_) => see_other("/admin/comptes?fait=desactive"),
        Err(err) => failure(&state, err.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn tokens_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    secret: Option<String>,
    error: Option<&str>,
) -> Response {
    let tokens = match state.store.list_tokens().await {
        Ok(tokens) => tokens,
        Err(err) => return failure(state, err.into()),
    };
    let tz = state.timezone;
    render(
        state,
        operator,
        status,
        "admin/tokens.html",
        context! {
            title => "Jetons d'API",
            tokens => tokens.iter().map(|t| context! {
                id => &t.id,
                name => &t.name,
                created => crate::domain::french::moment(t.created_at, tz),
                last_used => t.last_used_at.map(|at| crate::domain::french::moment(at, tz)),
                revoked => t.revoked_at.map(|at| crate::domain::french::moment(at, tz)),
            }).collect::<Vec<_>>(),
            secret => secret,
            error => error,
        },
    )
}

async fn tokens(State(state): State<AppState>, operator: Operator) -> Response {
    tokens_page(&state, &operator, StatusCode::OK, None, None).await
}

async fn create_token(
    State(state): State<AppState>,
    operator: Operator,
    axum::Form(form): axum::Form<TokenForm>,
) -> Response {
    match state.store.create_token(&form.name).await {
        Ok(issued) => {
            let secret = issued.secret.expose_secret().to_string();
            tokens_page(&state, &operator, StatusCode::CREATED, Some(secret), None).await
        }
        Err(StoreError::Invalid(_)) => {
            tokens_page(
                &state,
                &operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some("Donnez au jeton un nom de 1 à 100 caractères."),
            )
            .await
        }
        Err(StoreError::Conflict(_)) => {
            tokens_page(
                &state,
                &operator,
                StatusCode::CONFLICT,
                None,
                Some("Un jeton actif porte déjà ce nom."),
            )
            .await
        }
        Err(err) => failure(&state, err.into()),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Response {
    match state.store.revoke_token(&id).await {
        Ok(_) => tokens_page(&state, &operator, StatusCode::OK, None, None).await,
        Err(err) => failure(&state, err.into()),
    }
}
