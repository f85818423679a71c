//! What changed in a session, in one vocabulary: the history records it, the lifecycle decides
//! the sequence from it, the notices and the pages' « moved » banner read it.

use chrono::{DateTime, Utc};

use super::event::{Event, EventDocument, EventSpec};
use super::time::Schedule;

/// A field of the session's document that changed. Named (`as_str`) by its key in the JSON
/// document, which is also how the history stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    // In the order of their keys, so a sorted list reads as the history always did.
    Body,
    CancelReason,
    Capacity,
    EndsAt,
    Episode,
    Image,
    Kind,
    Links,
    Location,
    Programme,
    PublishedOn,
    RecordingPlanned,
    RegistrationRequired,
    Reminders,
    Series,
    Slug,
    Speakers,
    StartsAt,
    Status,
    Summary,
    Tags,
    Timezone,
    Title,
}

impl Change {
    pub const ALL: [Change; 23] = [
        Change::Body,
        Change::CancelReason,
        Change::Capacity,
        Change::EndsAt,
        Change::Episode,
        Change::Image,
        Change::Kind,
        Change::Links,
        Change::Location,
        Change::Programme,
        Change::PublishedOn,
        Change::RecordingPlanned,
        Change::RegistrationRequired,
        Change::Reminders,
        Change::Series,
        Change::Slug,
        Change::Speakers,
        Change::StartsAt,
        Change::Status,
        Change::Summary,
        Change::Tags,
        Change::Timezone,
        Change::Title,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Body => "body",
            Change::CancelReason => "cancel_reason",
            Change::Capacity => "capacity",
            Change::EndsAt => "ends_at",
            Change::Episode => "episode",
            Change::Image => "image",
            Change::Kind => "kind",
            Change::Links => "links",
            Change::Location => "location",
            Change::Programme => "programme",
            Change::PublishedOn => "published_on",
            Change::RecordingPlanned => "recording_planned",
            Change::RegistrationRequired => "registration_required",
            Change::Reminders => "reminders",
            Change::Series => "series",
            Change::Slug => "slug",
            Change::Speakers => "speakers",
            Change::StartsAt => "starts_at",
            Change::Status => "status",
            Change::Summary => "summary",
            Change::Tags => "tags",
            Change::Timezone => "timezone",
            Change::Title => "title",
        }
    }

    pub fn parse(key: &str) -> Option<Change> {
        Self::ALL.into_iter().find(|c| c.as_str() == key)
    }

    /// The fields of two documents that differ, in key order (bookkeeping — id, sequence,
    /// creation and update times, public addresses — aside).
    pub fn between(before: &EventDocument, after: &EventDocument) -> Vec<Change> {
        let (a, b) = (before, after);
        Self::ALL
            .into_iter()
            .filter(|change| match change {
                Change::Body => a.body != b.body,
                Change::CancelReason => a.cancel_reason != b.cancel_reason,
                Change::Capacity => a.capacity != b.capacity,
                Change::EndsAt => a.ends_at != b.ends_at,
                Change::Episode => a.episode != b.episode,
                Change::Image => a.image != b.image,
                Change::Kind => a.kind != b.kind,
                Change::Links => a.links != b.links,
                Change::Location => a.location != b.location,
                Change::Programme => a.programme != b.programme,
                Change::PublishedOn => a.published_on != b.published_on,
                Change::RecordingPlanned => a.recording_planned != b.recording_planned,
                Change::RegistrationRequired => a.registration_required != b.registration_required,
                Change::Reminders => a.reminders != b.reminders,
                Change::Series => a.series != b.series,
                Change::Slug => a.slug != b.slug,
                Change::Speakers => a.speakers != b.speakers,
                Change::StartsAt => a.starts_at != b.starts_at,
                Change::Status => a.status != b.status,
                Change::Summary => a.summary != b.summary,
                Change::Tags => a.tags != b.tags,
                Change::Timezone => a.timezone != b.timezone,
                Change::Title => a.title != b.title,
            })
            .collect()
    }

    /// The changes of an edit that a calendar or a recipient must see (the sequence rises for
    /// them once the session is published): its time, status, title, place, links or access.
    pub fn visible(current: &Event, next: &EventSpec) -> Vec<Change> {
        let mut changed = Vec::new();
        if current.schedule != next.schedule {
            // Two different schedules differ in their start, their end, or both.
            let (start, end) = schedule_parts_differ(current.schedule, next.schedule);
            if start {
                changed.push(Change::StartsAt);
            }
            if end {
                changed.push(Change::EndsAt);
            }
        }
        if current.status != next.status {
            changed.push(Change::Status);
        }
        if current.title != next.title {
            changed.push(Change::Title);
        }
        if current.location != next.location {
            changed.push(Change::Location);
        }
        if current.links != next.links {
            changed.push(Change::Links);
        }
        // Places and registration: recipients hear of it when access tightens (the notices
        // decide), calendars see the new wording.
        if current.capacity != next.capacity {
            changed.push(Change::Capacity);
        }
        if current.registration_required != next.registration_required {
            changed.push(Change::RegistrationRequired);
        }
        changed.sort();
        changed
    }
}

/// Whether the start and the end of two different schedules differ.
fn schedule_parts_differ(a: Option<Schedule>, b: Option<Schedule>) -> (bool, bool) {
    match (a, b) {
        (
            Some(Schedule::Timed {
                starts_at: s1,
                ends_at: e1,
            }),
            Some(Schedule::Timed {
                starts_at: s2,
                ends_at: e2,
            }),
        ) => (s1 != s2, e1 != e2),
        (
            Some(Schedule::AllDay {
                first_day: f1,
                last_day: l1,
            }),
            Some(Schedule::AllDay {
                first_day: f2,
                last_day: l2,
            }),
        ) => (f1 != f2, l1 != l2),
        _ => (true, true),
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Change {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryAction {
    Created,
    Updated,
    Cancelled,
}

impl HistoryAction {
    pub const ALL: [HistoryAction; 3] = [
        HistoryAction::Created,
        HistoryAction::Updated,
        HistoryAction::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryAction::Created => "created",
            HistoryAction::Updated => "updated",
            HistoryAction::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<HistoryAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The action an update of a session from `before` to `after` records.
    pub fn of_update(before: &Event, after: &Event) -> HistoryAction {
        use super::event::EventStatus::Cancelled;
        if before.status != Cancelled && after.status == Cancelled {
            HistoryAction::Cancelled
        } else {
            HistoryAction::Updated
        }
    }
}

/// One entry of a session's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The session's sequence after this change.
    pub sequence: i64,
    pub action: HistoryAction,
    /// The fields that changed, in key order.
    pub fields: Vec<Change>,
    /// Who made it (`Actor::label`); `None` for the CLI, the importer and entries written
    /// before authors were recorded.
    pub actor: Option<String>,
    /// Each changed field's value before and after, as in the session's JSON document
    /// (empty for entries written before values were recorded).
    pub values: Vec<FieldValues>,
}

/// A changed field's value before and after the change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldValues {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl FieldValues {
    /// The values of `changed` fields in two documents, read from their JSON form.
    pub fn between(
        before: &EventDocument,
        after: &EventDocument,
        changed: &[Change],
    ) -> Vec<FieldValues> {
        let (Ok(a), Ok(b)) = (serde_json::to_value(before), serde_json::to_value(after)) else {
            return Vec::new();
        };
        changed
            .iter()
            .map(|change| FieldValues {
                field: change.as_str().to_string(),
                before: a.get(change.as_str()).cloned().unwrap_or_default(),
                after: b.get(change.as_str()).cloned().unwrap_or_default(),
            })
            .collect()
    }
}

/// Whether a published session was moved: its start changed, with a rise of the sequence,
/// after it was first published (a draft's corrections do not count). Pages show « moved ».
pub fn rescheduled(history: &[HistoryEntry], published_at: DateTime<Utc>) -> bool {
    history.iter().any(|entry| {
        entry.sequence > 0 && entry.at > published_at && entry.fields.contains(&Change::StartsAt)
    })
}

/// The fields a change notice of `sequence` is about: those of the history entries that
/// brought the session to it.
pub fn changed_at(history: &[HistoryEntry], sequence: i64) -> Vec<Change> {
    history
        .iter()
        .filter(|entry| entry.sequence == sequence)
        .flat_map(|entry| entry.fields.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::testing::{next_from, stored};
    use crate::domain::EventStatus;
    use serde_json::json;

    #[test]
    fn keys_round_trip_and_are_in_order() {
        for change in Change::ALL {
            assert_eq!(Change::parse(change.as_str()), Some(change));
        }
        let mut keys: Vec<&str> = Change::ALL.iter().map(|c| c.as_str()).collect();
        let listed = keys.clone();
        keys.sort_unstable();
        assert_eq!(keys, listed, "Change::ALL follows the keys' order");
        assert_eq!(Change::parse("sequence"), None);
    }

    #[test]
    fn between_names_every_document_field_that_differs() {
        let before = stored(EventStatus::Scheduled);
        let mut after = before.clone();
        after.title = "Autre".into();
        after.tags = vec!["sobriété".into()];
        after.updated_at += chrono::Duration::seconds(1);
        after.sequence += 1;
        assert_eq!(
            Change::between(&before.document(), &after.document()),
            [Change::Tags, Change::Title]
        );
    }

    #[test]
    fn visible_changes_name_the_start_the_end_and_access() {
        let event = stored(EventStatus::Scheduled);
        let cases = [
            (
                json!({"starts_at": "2021-12-09T09:00"}),
                vec![Change::StartsAt],
            ),
            (json!({"ends_at": "2021-12-08T10:00"}), vec![Change::EndsAt]),
            (
                json!({"starts_at": "2021-12-08", "ends_at": "2021-12-08"}),
                vec![Change::EndsAt, Change::StartsAt],
            ),
            (
                json!({"capacity": 30, "registration_required": true}),
                vec![Change::Capacity, Change::RegistrationRequired],
            ),
            (json!({"tags": ["x"], "summary": "s"}), vec![]),
            (json!({"location": "Paris"}), vec![Change::Location]),
        ];
        for (patch, expected) in cases {
            let next = next_from(&event, patch.clone());
            assert_eq!(Change::visible(&event, &next), expected, "{patch}");
        }
    }

    #[test]
    fn moved_means_a_new_start_after_publication() {
        let published = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        let entry = |secs: i64, sequence: i64, fields: Vec<Change>| HistoryEntry {
            actor: None,
            values: Vec::new(),
            at: published + chrono::Duration::seconds(secs),
            sequence,
            action: HistoryAction::Updated,
            fields,
        };
        assert!(!rescheduled(
            &[entry(-10, 0, vec![Change::StartsAt])],
            published
        ));
        assert!(!rescheduled(
            &[entry(10, 1, vec![Change::Title])],
            published
        ));
        assert!(!rescheduled(
            &[entry(10, 0, vec![Change::StartsAt])],
            published
        ));
        assert!(rescheduled(
            &[
                entry(0, 0, vec![]),
                entry(10, 1, vec![Change::EndsAt, Change::StartsAt])
            ],
            published
        ));
        assert_eq!(
            changed_at(
                &[
                    entry(10, 1, vec![Change::Location]),
                    entry(20, 2, vec![Change::StartsAt]),
                    entry(30, 2, vec![Change::Title])
                ],
                2
            ),
            [Change::StartsAt, Change::Title]
        );
    }
}
