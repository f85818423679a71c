//! `/api/v1/series`: the series that group episodes.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::error::{ApiError, Problem};
use super::extract::JsonBody;
use super::AppState;
use crate::domain::errors::read_fields;
use crate::domain::{Series, SeriesFields};
use crate::store::StoreError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/series", get(list).post(create))
        .route("/series/{key}", get(show).patch(update))
}

#[utoipa::path(post, path = "/api/v1/series", operation_id = "createSeries", tag = "series", request_body = SeriesFields,
    responses((status = 201, body = Series), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let spec = read_fields::<SeriesFields>(body)?.validate()?;
    let series = state.store.create_series(spec).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/series/{}", series.id))],
        Json(series),
    ))
}

#[utoipa::path(get, path = "/api/v1/series", operation_id = "listSeries", tag = "series",
    responses((status = 200, body = Vec<Series>), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Series>>, ApiError> {
    Ok(Json(state.store.list_series().await?))
}

#[utoipa::path(get, path = "/api/v1/series/{key}", operation_id = "getSeries", tag = "series",
    params(("key" = String, Path, description = "Id or slug")),
    responses((status = 200, body = Series), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Series>, ApiError> {
    Ok(Json(
        state
            .store
            .get_series(&key)
            .await
            .map_err(not_found(&key))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/series/{key}", operation_id = "updateSeries", tag = "series",
    params(("key" = String, Path, description = "Id or slug")),
    request_body(content = SeriesFields, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Series), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(patch): JsonBody,
) -> Result<Json<Series>, ApiError> {
    let series = state
        .store
        .update_series(&key, |current| {
            let mut base = serde_json::json!({
                "slug": current.slug, "title": current.title, "description": current.description,
            });
            json_patch::merge(&mut base, &patch);
            read_fields::<SeriesFields>(base).map_err(StoreError::Invalid)
        })
        .await
        .map_err(not_found(&key))?;
    Ok(Json(series))
}

fn not_found(key: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |err| match err {
        StoreError::NotFound => {
            ApiError::NotFound(format!("no series with id or slug \u{201c}{key}\u{201d}"))
        }
        other => other.into(),
    }
}
