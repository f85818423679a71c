//! The importer's dry run in the console: paste a post of the team's site (front matter and
//! Markdown) and see what `eventail import` would make of it — nothing is stored.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use super::{render, Operator};
use crate::http::AppState;
use crate::importer::{dry_run_text, FileReport, Options};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/import", get(form))
        .route("/admin/import/apercu", post(dry_run))
}

#[derive(Debug, Deserialize, Default)]
pub struct ImportForm {
    #[serde(default)]
    path: String,
    #[serde(default)]
    text: String,
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "webinar" => "un webinaire",
        "event" => "un événement sur place",
        "video" => "une vidéo",
        _ => "rien : l'article est ignoré",
    }
}

fn page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    form: &ImportForm,
    report: Option<&FileReport>,
) -> Response {
    let event = report.and_then(|r| r.event.as_ref());
    let text = |key: &str| {
        event
            .and_then(|e| e.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    render(
        state,
        operator,
        status,
        "admin/import.html",
        context! {
            title => "Import : essai à blanc",
            form => context! { path => &form.path, text => &form.text },
            report => report.map(|r| context! {
                outcome => outcome_label(&r.outcome),
                stored => r.outcome != "skipped",
                reason => &r.reason,
                warnings => &r.warnings,
                title => text("title"),
                starts_at => text("starts_at"),
                ends_at => text("ends_at"),
                location => text("location"),
                speakers => event.and_then(|e| e.get("speakers")).and_then(|s| s.as_array()).map(|list| list.iter().map(|s| {
                    ["name", "role", "organisation"].iter().filter_map(|k| s.get(*k).and_then(|v| v.as_str())).collect::<Vec<_>>().join(", ")
                }).collect::<Vec<_>>()).unwrap_or_default(),
                json => event.and_then(|e| serde_json::to_string_pretty(e).ok()),
            }),
        },
    )
}

async fn form(State(state): State<AppState>, operator: Operator) -> Response {
    page(
        &state,
        &operator,
        StatusCode::OK,
        &ImportForm::default(),
        None,
    )
}

async fn dry_run(
    State(state): State<AppState>,
    operator: Operator,
    axum::Form(form): axum::Form<ImportForm>,
) -> Response {
    let options = Options {
        timezone: state.timezone,
        today: state
            .store
            .now()
            .with_timezone(&state.timezone)
            .date_naive(),
    };
    let path = match form.path.trim() {
        "" => "agenda/article.md".to_string(),
        p => p.trim_start_matches('/').to_string(),
    };
    let report = dry_run_text(&path, &form.text, &options);
    page(&state, &operator, StatusCode::OK, &form, Some(&report))
}
