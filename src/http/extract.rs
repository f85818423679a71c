//! Request extractors that answer in problem+json: JSON bodies and organiser tokens.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;
use super::AppState;

/// A JSON body: `application/json`, or any `+json` type such as `application/merge-patch+json`.
pub struct JsonBody(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_content_type(&req)?;
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A JSON body that may be left out (`POST …/cancel`): no body at all, whatever its headers,
/// is `None`, so a bare POST keeps working; a body is held to `JsonBody`'s rules.
pub struct OptionalJsonBody(pub Option<serde_json::Value>);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = json_content_type(&req);
        let bytes = read_body(req, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        content_type?;
        parse_json(&bytes).map(|value| OptionalJsonBody(Some(value)))
    }
}

/// `application/json`, or any `+json` type; else 415.
fn json_content_type(req: &Request) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType(if content_type.is_empty() {
            "send the body as JSON with Content-Type: application/json".into()
        } else {
            format!("Content-Type {content_type} is not accepted; send application/json")
        }));
    }
    Ok(())
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("the body is larger than the 1 MiB limit".into())
        } else {
            ApiError::bad_request(format!("the body could not be read: {rejection}"))
        }
    })
}

fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not valid JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
        .with_json_message()
    })
}

impl ApiError {
    // serde_json already ends its message with the position; keep one copy.
    fn with_json_message(self) -> ApiError {
        match self {
            ApiError::BadRequest { detail, errors } => {
                let detail = match detail.find(" at line ") {
                    Some(i) => {
                        let tail = detail.rfind(" (line ").map(|j| &detail[j..]).unwrap_or("");
                        format!("{}{tail}", &detail[..i])
                    }
                    None => detail,
                };
                ApiError::BadRequest { detail, errors }
            }
            other => other,
        }
    }
}

/// The credentials of a `Bearer` authorization: the scheme is case-insensitive (RFC 9110,
/// 11.1), separated from the token by one or more spaces.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Rejects requests without a live bearer token.
pub async fn require_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(header) = header else {
        return Err(ApiError::Unauthorized(
            "send a token in the Authorization header: Bearer evt_… (create one with `eventail token create --name NAME`)".into(),
        ));
    };
    let token = bearer_token(header).unwrap_or("");
    match state.store.verify_token(token).await? {
        Some(info) => {
            tracing::Span::current().record("token", info.name.as_str());
            let actor = crate::domain::account::Actor::Token { name: info.name };
            Ok(super::audit::run_as(&state, actor.label(), req, next).await)
        }
        None => Err(ApiError::Unauthorized(
            "this token is unknown or has been revoked".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_read_whatever_its_case() {
        for header in [
            "Bearer evt_x",
            "bearer evt_x",
            "BEARER evt_x",
            "BeArEr   evt_x ",
        ] {
            assert_eq!(bearer_token(header), Some("evt_x"), "{header}");
        }
        assert_eq!(bearer_token("Basic evt_x"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer   "), None);
        assert_eq!(bearer_token("Bearerevt_x"), None);
    }
}
