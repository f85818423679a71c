//! `/api/v1/speakers`: the speaker directory.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::error::{ApiError, Problem};
use super::extract::JsonBody;
use super::AppState;
use crate::domain::errors::read_fields;
use crate::domain::{Speaker, SpeakerFields};
use crate::store::StoreError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/speakers", get(list).post(create))
        .route("/speakers/{key}", get(show).patch(update))
}

#[utoipa::path(post, path = "/api/v1/speakers", operation_id = "createSpeaker", tag = "speakers", request_body = SpeakerFields,
    responses((status = 201, body = Speaker), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let spec = read_fields::<SpeakerFields>(body)?.validate()?;
    let speaker = state.store.create_speaker(spec).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/speakers/{}", speaker.id))],
        Json(speaker),
    ))
}

#[utoipa::path(get, path = "/api/v1/speakers", operation_id = "listSpeakers", tag = "speakers",
    responses((status = 200, body = Vec<Speaker>), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Speaker>>, ApiError> {
    Ok(Json(state.store.list_speakers().await?))
}

#[utoipa::path(get, path = "/api/v1/speakers/{key}", operation_id = "getSpeaker", tag = "speakers",
    params(("key" = String, Path, description = "Id or slug")),
    responses((status = 200, body = Speaker), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Speaker>, ApiError> {
    Ok(Json(
        state
            .store
            .get_speaker(&key)
            .await
            .map_err(not_found(&key))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/speakers/{key}", operation_id = "updateSpeaker", tag = "speakers",
    params(("key" = String, Path, description = "Id or slug")),
    request_body(content = SpeakerFields, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Speaker), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(patch): JsonBody,
) -> Result<Json<Speaker>, ApiError> {
    let speaker = state
        .store
        .update_speaker(&key, |current| {
            let mut base = serde_json::json!({
                "slug": current.slug, "name": current.name,
                "role": current.role, "organisation": current.organisation,
            });
            json_patch::merge(&mut base, &patch);
            read_fields::<SpeakerFields>(base).map_err(StoreError::Invalid)
        })
        .await
        .map_err(not_found(&key))?;
    Ok(Json(speaker))
}

fn not_found(key: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |err| match err {
        StoreError::NotFound => {
            ApiError::NotFound(format!("no speaker with id or slug \u{201c}{key}\u{201d}"))
        }
        other => other.into(),
    }
}
