//! Sessions for the domain's table tests: a stored webinar and the spec of an edit to it.

use chrono::Utc;
use chrono_tz::Europe::Paris;

use super::{Event, EventInput, EventSpec, EventStatus, Links};

fn spec(value: serde_json::Value) -> EventSpec {
    EventInput::from_json(value)
        .and_then(|input| input.validate(Paris))
        .expect("a valid session")
}

pub(crate) fn stored(status: EventStatus) -> Event {
    let s = spec(
        serde_json::json!({"kind": "webinar", "title": "Webinaire", "starts_at": "2021-12-08T09:00"}),
    );
    let now = Utc::now();
    Event {
        id: "1".into(),
        slug: "webinaire".into(),
        slug_derived: true,
        kind: s.kind,
        status,
        title: s.title,
        summary: None,
        body: String::new(),
        timezone: Paris,
        schedule: s.schedule,
        published_on: None,
        location: None,
        series: None,
        episode: None,
        speakers: vec![],
        links: Links::default(),
        programme: vec![],
        tags: vec![],
        image: None,
        registration_required: false,
        capacity: None,
        recording_planned: false,
        reminders: None,
        cancel_reason: None,
        sequence: 0,
        published_at: status.is_public().then_some(now),
        created_at: now,
        updated_at: now,
    }
}

pub(crate) fn next_from(event: &Event, patch: serde_json::Value) -> EventSpec {
    let mut base = event.patch_base();
    json_patch::merge(&mut base, &patch);
    EventInput::from_json(base)
        .unwrap()
        .validate(Paris)
        .unwrap()
}
