//! Who made each write: an authenticated request runs as its author (`store::actor`), so the
//! session history names them, and every accepted state-changing request lands in the audit
//! log (`audit_log`: when, who, method, path, status).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// Console requests that change nothing although they are POSTs (a preview renders what a
/// change would do): not audited.
const READ_ONLY_POST_SUFFIX: &str = "/apercu";

/// Runs the rest of the request as `actor` (`Actor::label`) and records it if it wrote.
pub(crate) async fn run_as(state: &AppState, actor: String, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = crate::store::actor::acting_as(actor.clone(), next.run(req)).await;
    let status = response.status();
    let wrote = !method.is_safe()
        && (status.is_success() || status.is_redirection())
        && !path.ends_with(READ_ONLY_POST_SUFFIX);
    if wrote {
        if let Err(err) = state
            .store
            .record_audit(&actor, method.as_str(), &path, status.as_u16())
            .await
        {
            // The write itself is done; losing its audit line must not turn it into an error.
            tracing::error!(error = %err, %actor, %path, "cannot record a write in the audit log");
        }
    }
    response
}
