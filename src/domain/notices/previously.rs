//! What a change notice compares: the time and place recipients knew before the change, kept
//! with the notice in the outbox (its `detail`), so the mail can say « Avant : … / Désormais :
//! … » whatever the session's history holds by the time it goes.

use serde::{Deserialize, Serialize};

use crate::domain::{french, Change, Event};

/// A session's time and place as recipients knew them, for those a change altered: French
/// text as mails write it (`french::when_of`, `french::place_of`), so what a notice compares is
/// what its readers saw. Empty when neither changed (a new join link, tighter access).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previously {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

/// One « Avant / Désormais » line of a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compared {
    /// `StartsAt` for the date and times, `Location` for the place.
    pub field: Change,
    /// « Date et horaire », « Lieu ».
    pub label: &'static str,
    pub before: String,
    pub now: String,
}

impl Previously {
    /// The time and place of `before` that differ in `after`.
    pub fn between(before: &Event, after: &Event) -> Previously {
        let differs = |text: fn(&Event) -> String| {
            let was = text(before);
            (was != text(after)).then_some(was)
        };
        Previously {
            when: differs(french::when_of),
            place: differs(french::place_of),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.when.is_none() && self.place.is_none()
    }

    /// As the outbox keeps it: compact JSON, or nothing when nothing changed.
    pub fn encode(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }

    /// From the outbox. A row planned before notices carried it (an empty detail), or one
    /// this version cannot read, knows nothing: its notice goes without « Avant ».
    pub fn decode(detail: &str) -> Previously {
        serde_json::from_str(detail).unwrap_or_default()
    }

    /// What recipients who were not yet told of this change knew when a `later` one came:
    /// this one's values, and the later one's for what only it changed.
    pub fn followed_by(self, later: Previously) -> Previously {
        Previously {
            when: self.when.or(later.when),
            place: self.place.or(later.place),
        }
    }

    /// The lines a notice about `event` shows: each value recipients knew beside the
    /// session's now, when they still differ (a session moved and moved back shows none).
    pub fn compared_with(&self, event: &Event) -> Vec<Compared> {
        let line = |field: Change, before: &Option<String>, now: String| {
            let before = before.as_ref().filter(|was| **was != now)?;
            Some(Compared {
                field,
                label: french::compared_label(field),
                before: before.clone(),
                now,
            })
        };
        [
            line(Change::StartsAt, &self.when, french::when_of(event)),
            line(Change::Location, &self.place, french::place_of(event)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::testing::{next_from, stored};
    use crate::domain::{EventKind, EventStatus};
    use serde_json::json;

    fn edited(event: &Event, patch: serde_json::Value) -> Event {
        let spec = next_from(event, patch);
        Event {
            kind: spec.kind,
            schedule: spec.schedule,
            location: spec.location,
            links: spec.links,
            title: spec.title,
            ..event.clone()
        }
    }

    #[test]
    fn a_change_keeps_the_time_and_place_as_recipients_read_them() {
        let webinar = stored(EventStatus::Scheduled);
        let moved = edited(
            &webinar,
            json!({"starts_at": "2021-12-09T14:00", "ends_at": "2021-12-09T15:30",
                "location": "Salle 2"}),
        );
        let previously = Previously::between(&webinar, &moved);
        assert_eq!(
            previously,
            Previously {
                when: Some("mercredi 8\u{a0}décembre 2021, à 9\u{a0}h (heure de Paris)".into()),
                place: Some("en ligne".into()),
            }
        );
        assert_eq!(
            previously.compared_with(&moved),
            [
                Compared {
                    field: Change::StartsAt,
                    label: "Date et horaire",
                    before: "mercredi 8\u{a0}décembre 2021, à 9\u{a0}h (heure de Paris)".into(),
                    now: "jeudi 9\u{a0}décembre 2021, de 14\u{a0}h à 15\u{a0}h\u{a0}30 (heure de Paris)"
                        .into(),
                },
                Compared {
                    field: Change::Location,
                    label: "Lieu",
                    before: "en ligne".into(),
                    now: "Salle 2".into(),
                },
            ]
        );
        // Only what changed; nothing for a new join link or a new title.
        let elsewhere = edited(&moved, json!({"location": "Salle 3"}));
        assert_eq!(
            Previously::between(&moved, &elsewhere),
            Previously {
                when: None,
                place: Some("Salle 2".into())
            }
        );
        let relinked = edited(
            &webinar,
            json!({"title": "Autre", "links": {"join": "https://visio.example.org/b"}}),
        );
        assert!(Previously::between(&webinar, &relinked).is_empty());
        let in_person = Event {
            kind: EventKind::Event,
            ..webinar.clone()
        };
        let placed = edited(&in_person, json!({"location": "Lyon"}));
        assert_eq!(
            Previously::between(&in_person, &placed).place.as_deref(),
            Some("lieu non précisé")
        );
    }

    #[test]
    fn the_outbox_keeps_it_compactly_and_old_rows_read_as_nothing_known() {
        let previously = Previously {
            when: Some("mercredi 8\u{a0}décembre 2021, à 9\u{a0}h (heure de Paris)".into()),
            place: None,
        };
        let detail = previously.encode();
        assert_eq!(
            detail,
            "{\"when\":\"mercredi 8\u{a0}décembre 2021, à 9\u{a0}h (heure de Paris)\"}"
        );
        assert_eq!(Previously::decode(&detail), previously);
        assert_eq!(Previously::default().encode(), "");
        for unreadable in ["", "PT1H", "{\"when\": 3}", "[]"] {
            assert_eq!(Previously::decode(unreadable), Previously::default());
        }
        assert!(Previously::decode("")
            .compared_with(&stored(EventStatus::Scheduled))
            .is_empty());
    }

    #[test]
    fn recipients_not_yet_told_keep_what_they_knew_first() {
        let webinar = stored(EventStatus::Scheduled);
        let typo = edited(&webinar, json!({"starts_at": "2021-12-19T09:00"}));
        let fixed = edited(
            &typo,
            json!({"starts_at": "2021-12-10T09:00", "location": "Salle 2"}),
        );
        let told =
            Previously::between(&webinar, &typo).followed_by(Previously::between(&typo, &fixed));
        let lines = told.compared_with(&fixed);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].before, french::when_of(&webinar));
        assert_eq!(lines[0].now, french::when_of(&fixed));
        assert_eq!(lines[1].before, "en ligne");
        // Moved, then moved back before anyone was told: nothing to compare.
        let back = edited(&typo, json!({"starts_at": "2021-12-08T09:00"}));
        let told =
            Previously::between(&webinar, &typo).followed_by(Previously::between(&typo, &back));
        assert!(told.compared_with(&back).is_empty());
    }
}
