//! The speaker and series directories: edit an entry, merge two entries of one person.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use super::form::errors_for_form;
use super::{failure, not_found, render, see_other, Operator};
use crate::domain::{FieldErrors, SeriesFields, SpeakerFields};
use crate::http::AppState;
use crate::store::StoreError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/intervenants", get(speakers))
        .route("/admin/intervenants/{id}", get(speaker).post(save_speaker))
        .route("/admin/intervenants/{id}/fusionner", post(merge))
        .route("/admin/series", get(series_list))
        .route("/admin/series/{id}", get(series).post(save_series))
}

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    fait: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "enregistre" => "La fiche est enregistrée ; les pages et calendriers qui la montrent sont mis à jour.",
        "fusionne" => "Les deux fiches n'en font plus qu'une ; les sessions de l'autre fiche sont reportées sur celle-ci.",
        _ => return None,
    })
}

async fn speakers(State(state): State<AppState>, operator: Operator) -> Response {
    match state.store.list_speakers().await {
        Ok(list) => render(
            &state,
            &operator,
            StatusCode::OK,
            "admin/speakers.html",
            context! {
                title => "Intervenantes et intervenants",
                speakers => list.iter().map(|s| context! {
                    id => &s.id, name => &s.name, role => &s.role, organisation => &s.organisation,
                }).collect::<Vec<_>>(),
            },
        ),
        Err(err) => failure(&state, err.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct SpeakerForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
}

async fn speaker_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    id: &str,
    form: Option<SpeakerForm>,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Response {
    let (current, all) = match (
        state.store.get_speaker(id).await,
        state.store.list_speakers().await,
    ) {
        (Ok(c), Ok(a)) => (c, a),
        (Err(err), _) | (_, Err(err)) => return failure(state, not_found(err)),
    };
    let form = form.unwrap_or(SpeakerForm {
        name: current.name.clone(),
        role: current.role.clone().unwrap_or_default(),
        organisation: current.organisation.clone().unwrap_or_default(),
    });
    render(
        state,
        operator,
        status,
        "admin/speaker.html",
        context! {
            title => format!("Fiche : {}", current.name),
            notice => notice,
            speaker => context! { id => &current.id, name => &current.name, slug => &current.slug },
            form => context! { name => form.name, role => form.role, organisation => form.organisation },
            errors => errors_for_form(errors),
            others => all.iter().filter(|s| s.id != current.id).map(|s| context! {
                id => &s.id,
                label => match (&s.role, &s.organisation) {
                    (Some(r), Some(o)) => format!("{} ({r}, {o})", s.name),
                    (Some(x), None) | (None, Some(x)) => format!("{} ({x})", s.name),
                    (None, None) => s.name.clone(),
                },
            }).collect::<Vec<_>>(),
        },
    )
}

async fn speaker(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    speaker_page(
        &state,
        &operator,
        StatusCode::OK,
        &id,
        None,
        &FieldErrors::new(),
        notice(done.fait.as_deref()),
    )
    .await
}

async fn save_speaker(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<SpeakerForm>,
) -> Response {
    let fields = SpeakerFields {
        slug: None,
        name: Some(form.name.clone()),
        role: Some(form.role.clone()),
        organisation: Some(form.organisation.clone()),
    };
    match state.store.update_speaker(&id, |_| Ok(fields)).await {
        Ok(s) => see_other(&format!("/admin/intervenants/{}?fait=enregistre", s.id)),
        Err(StoreError::Invalid(errors)) => {
            speaker_page(
                &state,
                &operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                &id,
                Some(form),
                &errors,
                None,
            )
            .await
        }
        Err(err) => failure(&state, not_found(err)),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct MergeForm {
    /// The other entry, whose sessions come to this one.
    #[serde(default)]
    other: String,
}

async fn merge(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<MergeForm>,
) -> Response {
    match state.store.merge_speakers(&id, &form.other).await {
        Ok(kept) => see_other(&format!("/admin/intervenants/{}?fait=fusionne", kept.id)),
        Err(StoreError::NotFound) | Err(StoreError::Conflict(_)) => {
            let errors = FieldErrors::single("other", "Choisissez une autre fiche de la liste.");
            speaker_page(
                &state,
                &operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                &id,
                None,
                &errors,
                None,
            )
            .await
        }
        Err(err) => failure(&state, err.into()),
    }
}

async fn series_list(State(state): State<AppState>, operator: Operator) -> Response {
    match state.store.list_series().await {
        Ok(list) => render(
            &state,
            &operator,
            StatusCode::OK,
            "admin/series-list.html",
            context! {
                title => "Séries",
                series => list.iter().map(|s| context! {
                    id => &s.id, slug => &s.slug, title => &s.title, description => &s.description,
                }).collect::<Vec<_>>(),
            },
        ),
        Err(err) => failure(&state, err.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct SeriesForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

async fn series_page(
    state: &AppState,
    operator: &Operator,
    status: StatusCode,
    id: &str,
    form: Option<SeriesForm>,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Response {
    let current = match state.store.get_series(id).await {
        Ok(s) => s,
        Err(err) => return failure(state, not_found(err)),
    };
    let form = form.unwrap_or(SeriesForm {
        title: current.title.clone(),
        description: current.description.clone().unwrap_or_default(),
    });
    render(
        state,
        operator,
        status,
        "admin/series.html",
        context! {
            title => format!("Série : {}", current.title),
            notice => notice,
            series => context! { id => &current.id, slug => &current.slug, title => &current.title },
            form => context! { title => form.title, description => form.description },
            errors => errors_for_form(errors),
        },
    )
}

async fn series(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    series_page(
        &state,
        &operator,
        StatusCode::OK,
        &id,
        None,
        &FieldErrors::new(),
        notice(done.fait.as_deref()),
    )
    .await
}

async fn save_series(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<SeriesForm>,
) -> Response {
    let fields = SeriesFields {
        slug: None,
        title: Some(form.title.clone()),
        description: Some(form.description.clone()),
    };
    match state.store.update_series(&id, |_| Ok(fields)).await {
        Ok(s) => see_other(&format!("/admin/series/{}?fait=enregistre", s.id)),
        Err(StoreError::Invalid(errors)) => {
            series_page(
                &state,
                &operator,
                StatusCode::UNPROCESSABLE_ENTITY,
                &id,
                Some(form),
                &errors,
                None,
            )
            .await
        }
        Err(err) => failure(&state, not_found(err)),
    }
}
