//! Lifecycle rules of a stored session: which status changes are allowed, when the slug
//! freezes, and when the sequence rises. `plan_update` returns a plan the store writes.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Event, EventSpec, EventStatus};
use crate::domain::changes::Change;
use crate::domain::errors::FieldErrors;

/// Why a change to a stored session is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleViolation {
    /// The request is well-formed but conflicts with the session's state (HTTP 409).
    Conflict(String),
    /// A field may not take that value now (HTTP 422).
    Field(FieldErrors),
}

/// What an update changes beyond the fields themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePlan {
    /// The slug to store: unchanged, chosen by the organiser, or re-derived from a new title.
    pub slug: SlugChange,
    pub sequence: i64,
    /// The fields a calendar or recipient sees that changed.
    pub visible_changes: Vec<Change>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_on: Option<NaiveDate>,
    /// The reason the session keeps (`cancel_reason_after`).
    pub cancel_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugChange {
    Keep,
    Explicit(String),
    FromTitle,
}

/// Applies the lifecycle rules to an update of `current` into `next`.
pub fn plan_update(
    current: &Event,
    next: &EventSpec,
    now: DateTime<Utc>,
) -> Result<UpdatePlan, RuleViolation> {
    use EventStatus::*;
    match (current.status, next.status) {
        (Scheduled | Cancelled, Draft) => {
            return Err(RuleViolation::Conflict(
                "a published session cannot go back to draft: subscribers already have it; cancel it instead".into(),
            ))
        }
        (Draft, Cancelled) => {
            return Err(RuleViolation::Conflict(
                "a draft cannot be cancelled, nobody has seen it: delete it instead".into(),
            ))
        }
        _ => {}
    }
    let published = current.published_at.is_some();
    let slug = match &next.slug {
        Some(s) if *s == current.slug => SlugChange::Keep,
        Some(_) if published => {
            return Err(RuleViolation::Field(FieldErrors::single(
                "slug",
                format!(
                    "cannot change once the session is published (it is \u{201c}{}\u{201d}; links and calendars use it)",
                    current.slug
                ),
            )))
        }
        Some(s) => SlugChange::Explicit(s.clone()),
        None if !published && current.slug_derived && next.title != current.title => {
            SlugChange::FromTitle
        }
        None => SlugChange::Keep,
    };

    let visible_changes = Change::visible(current, next);
    let sequence = if published && !visible_changes.is_empty() {
        current.sequence + 1
    } else {
        current.sequence
    };
    let becomes_public = next.status.is_public();
    let published_at = current
        .published_at
        .or_else(|| becomes_public.then_some(now));
    let published_on = next
        .published_on
        .or_else(|| becomes_public.then(|| now.with_timezone(&next.timezone).date_naive()));
    Ok(UpdatePlan {
        slug,
        sequence,
        visible_changes,
        published_at,
        published_on,
        cancel_reason: cancel_reason_after(current, next),
    })
}

/// The cancellation reason a session keeps after an update: the one given with its
/// cancellation, else the one it had, while it stays cancelled; none once it is scheduled
/// again, so a reinstated session does not carry a reason that no longer holds. An edit of a
/// cancelled session that gives no reason (its import, a fixed title) keeps it.
pub fn cancel_reason_after(current: &Event, next: &EventSpec) -> Option<String> {
    match next.status {
        EventStatus::Cancelled => next
            .cancel_reason
            .clone()
            .or_else(|| current.cancel_reason.clone()),
        EventStatus::Draft | EventStatus::Scheduled => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::testing::{next_from, stored};
    use chrono::Utc;
    use serde_json::json;

    #[test]
    fn visible_changes_bump_the_sequence_once_published() {
        let event = stored(EventStatus::Scheduled);
        let moved = next_from(&event, json!({"starts_at": "2021-12-09T09:00"}));
        let plan = plan_update(&event, &moved, Utc::now()).unwrap();
        assert_eq!(plan.sequence, 1);
        assert_eq!(plan.visible_changes, [Change::StartsAt]);
        let retagged = next_from(&event, json!({"tags": ["sobriété"]}));
        assert_eq!(
            plan_update(&event, &retagged, Utc::now()).unwrap().sequence,
            0
        );
        let draft = stored(EventStatus::Draft);
        let moved = next_from(&draft, json!({"starts_at": "2021-12-09T09:00"}));
        assert_eq!(plan_update(&draft, &moved, Utc::now()).unwrap().sequence, 0);
    }

    #[test]
    fn lifecycle_rules() {
        let event = stored(EventStatus::Scheduled);
        let back = next_from(&event, json!({"status": "draft"}));
        assert!(matches!(
            plan_update(&event, &back, Utc::now()),
            Err(RuleViolation::Conflict(_))
        ));
        let renamed = next_from(&event, json!({"slug": "autre"}));
        assert!(matches!(
            plan_update(&event, &renamed, Utc::now()),
            Err(RuleViolation::Field(_))
        ));
        let retitled = next_from(&event, json!({"title": "Nouveau titre"}));
        assert_eq!(
            plan_update(&event, &retitled, Utc::now()).unwrap().slug,
            SlugChange::Keep
        );

        let draft = stored(EventStatus::Draft);
        let retitled = next_from(&draft, json!({"title": "Nouveau titre"}));
        assert_eq!(
            plan_update(&draft, &retitled, Utc::now()).unwrap().slug,
            SlugChange::FromTitle
        );
        let cancelled = next_from(&draft, json!({"status": "cancelled"}));
        assert!(matches!(
            plan_update(&draft, &cancelled, Utc::now()),
            Err(RuleViolation::Conflict(_))
        ));
        let scheduled = next_from(&draft, json!({"status": "scheduled"}));
        let plan = plan_update(&draft, &scheduled, Utc::now()).unwrap();
        assert!(plan.published_at.is_some() && plan.published_on.is_some());
    }

    #[test]
    fn a_cancellation_reason_lasts_while_the_session_is_cancelled() {
        let scheduled = stored(EventStatus::Scheduled);
        let with_reason = |event: &Event, reason: Option<&str>| EventSpec {
            cancel_reason: reason.map(str::to_string),
            ..next_from(event, json!({"status": "cancelled"}))
        };
        let reason_of = |current: &Event, next: &EventSpec| {
            plan_update(current, next, Utc::now())
                .unwrap()
                .cancel_reason
        };
        let given = with_reason(&scheduled, Some("Souffrante"));
        assert_eq!(reason_of(&scheduled, &given).as_deref(), Some("Souffrante"));
        assert_eq!(reason_of(&scheduled, &with_reason(&scheduled, None)), None);
        let cancelled = Event {
            status: EventStatus::Cancelled,
            cancel_reason: Some("Souffrante".into()),
            ..scheduled.clone()
        };
        // Cancelled again: a new reason replaces it, none keeps it; so does any other edit.
        assert_eq!(
            reason_of(&cancelled, &with_reason(&cancelled, Some("Grève"))).as_deref(),
            Some("Grève")
        );
        assert_eq!(
            reason_of(&cancelled, &with_reason(&cancelled, None)).as_deref(),
            Some("Souffrante")
        );
        let retitled = next_from(&cancelled, json!({"title": "Autre"}));
        assert_eq!(
            reason_of(&cancelled, &retitled).as_deref(),
            Some("Souffrante")
        );
        // Scheduled again: gone, and not a change calendars must see on its own.
        let back = next_from(&cancelled, json!({"status": "scheduled"}));
        assert_eq!(reason_of(&cancelled, &back), None);
        let plan = plan_update(
            &cancelled,
            &with_reason(&cancelled, Some("Grève")),
            Utc::now(),
        );
        assert_eq!(plan.unwrap().sequence, cancelled.sequence);
    }
}
