//! Who is writing: the HTTP layer runs each authenticated request inside `acting_as`, and the
//! store reads `current` where it records a change, so every write through the console or the
//! API names its author without threading it through every call. Writes from the CLI, the
//! importer or the dispatcher have no actor (`None`: shown as « système »).

use std::future::Future;

tokio::task_local! {
    static ACTOR: String;
}

/// Runs `work` with `label` (`Actor::label`) as the author of its writes.
pub async fn acting_as<F: Future>(label: String, work: F) -> F::Output {
    ACTOR.scope(label, work).await
}

/// The author of the writes being made, if the request named one.
pub fn current() -> Option<String> {
    ACTOR.try_with(Clone::clone).ok()
}
