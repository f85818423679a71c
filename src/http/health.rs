//! Liveness and readiness probes.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok\n"
}

/// The process can serve: its database answers, and, on an instance that sends mail, no due
/// message has waited longer than `mail.ready_lag_seconds` (its dispatcher has not fallen
/// behind or stopped: an orchestrator restarts it).
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %err, "readiness check failed");
        return Err(ApiError::Unavailable(
            "the database is not reachable".into(),
        ));
    }
    let mail = &state.settings.mail;
    if mail.dispatch && mail.ready_lag_seconds > 0 {
        let lag = state.store.dispatch_lag().await.map_err(|err| {
            tracing::warn!(error = %err, "readiness check failed");
            ApiError::Unavailable("the outbox cannot be read".into())
        })?;
        let limit = chrono::Duration::seconds(mail.ready_lag_seconds as i64);
        if lag > limit {
            tracing::warn!(
                lag_seconds = lag.num_seconds(),
                "mail dispatch has fallen behind"
            );
            return Err(ApiError::Unavailable(format!(
                "mail dispatch is {} s behind (more than mail.ready_lag_seconds, {} s)",
                lag.num_seconds(),
                mail.ready_lag_seconds
            )));
        }
    }
    Ok("ready\n")
}
