//! French wording, one home for both directions: the names of months and weekdays and the
//! labels of kinds the publisher and mailer write, which the importer also reads; a title with
//! its kind said once; what a change and a reminder's advance are called in mails; French dates
//! and times « mercredi 8 décembre 2021, de 9 h à 10 h (heure de Paris) », « 1er avril », « 9 h 30 ».

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::{Change, Event, EventKind, Schedule};

/// The months, January first.
pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The weekdays, Monday first (chrono's `num_days_from_monday`).
pub const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

pub fn weekday(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize]
}

/// The weekday a name in `WEEKDAYS` stands for.
pub fn weekday_named(name: &str) -> Option<Weekday> {
    std::iter::successors(Some(Weekday::Mon), |day| Some(day.succ()))
        .zip(WEEKDAYS)
        .find_map(|(day, written)| (written == name).then_some(day))
}

/// What a session is called on pages and in mails: « Webinaire », « Événement », « Vidéo ».
pub fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Webinar => "Webinaire",
        EventKind::Event => "Événement",
        EventKind::Video => "Vidéo",
    }
}

/// The first words a title may already start with to say what the session is, as
/// [`fold`] writes them: « Webinaire : … », « webinaire sur … », and for a video « Vidéo : … »
/// or « Épisode #12 … », which is how the team titles its episodes.
fn kind_words(kind: EventKind) -> &'static [&'static str] {
    match kind {
        EventKind::Webinar => &["webinaire", "webinaires", "webinar"],
        EventKind::Event => &["evenement", "evenements"],
        EventKind::Video => &["video", "videos", "episode"],
    }
}

/// Lowercase, accents taken off: « Épisode » and « episode » compare equal.
fn fold(word: &str) -> String {
    slug::slugify(word)
}

/// A title that says what the session is, for mail subjects: « Webinaire : Sobriété » — or the
/// title alone when it already starts with its kind (« Webinaire – Sobriété », « webinaire sur
/// la sobriété », « Épisode #12 : mesurer » for a video), in any case, with or without accents
/// and whatever follows the word. Many of the team's titles begin that way, and « Webinaire :
/// Webinaire : … » reads as a mistake.
pub fn title_with_kind(kind: EventKind, title: &str) -> String {
    let first_word = title
        .split(|c: char| !c.is_alphanumeric())
        .find(|word| !word.is_empty())
        .map(fold)
        .unwrap_or_default();
    if kind_words(kind).contains(&first_word.as_str()) {
        title.to_string()
    } else {
        format!("{} : {title}", kind_label(kind))
    }
}

/// What a change is called in a change notice (« date ou horaire », « lieu »); `None` for
/// changes a notice does not name.
pub fn change_label(change: Change) -> Option<&'static str> {
    Some(match change {
        Change::StartsAt | Change::EndsAt => "date ou horaire",
        Change::Location => "lieu",
        Change::Links => "liens",
        Change::Title => "titre",
        Change::Programme => "programme",
        Change::Speakers => "intervenant·es",
        Change::Capacity | Change::RegistrationRequired => "accès",
        _ => return None,
    })
}

/// What an « Avant / Désormais » line of a notice is about.
pub fn compared_label(change: Change) -> &'static str {
    match change {
        Change::Location => "Lieu",
        _ => "Date et horaire",
    }
}

/// When a session takes place, as mails write it: its date and times, else (a video without
/// a premiere) the day it was published; empty when it has neither.
pub fn when_of(event: &Event) -> String {
    when(event.schedule.as_ref(), event.timezone)
        .unwrap_or_else(|| event.published_on.map(date).unwrap_or_default())
}

/// Where a session takes place, as a notice compares it: its place, else « en ligne » for a
/// webinar and « lieu non précisé » for others.
pub fn place_of(event: &Event) -> String {
    match (&event.location, event.kind) {
        (Some(place), _) => place.clone(),
        (None, EventKind::Webinar) => "en ligne".into(),
        (None, _) => "lieu non précisé".into(),
    }
}

/// « dans 1 heure », « dans 2 jours », « dans 30 minutes ».
pub fn advance_text(advance: chrono::Duration) -> String {
    let minutes = advance.num_minutes();
    let seconds = advance.num_seconds();
    let plural = |n: i64, word: &str| {
        if n > 1 {
            format!("dans {n} {word}s")
        } else {
            format!("dans {n} {word}")
        }
    };
    if minutes >= 1440 && minutes % 1440 == 0 {
        plural(minutes / 1440, "jour")
    } else if minutes >= 60 && minutes % 60 == 0 {
        plural(minutes / 60, "heure")
    } else if seconds % 60 != 0 || minutes == 0 {
        plural(seconds.max(1), "seconde")
    } else {
        plural(minutes, "minute")
    }
}

/// « mercredi 8 décembre 2021 », « jeudi 1er juin 2023 ».
pub fn date(day: NaiveDate) -> String {
    format!("{} {}", weekday(day.weekday()), date_without_weekday(day))
}

/// « 8 décembre 2021 », « 1er juin 2023 ».
pub fn date_without_weekday(day: NaiveDate) -> String {
    let number = match day.day() {
        1 => "1er".to_string(),
        n => n.to_string(),
    };
    let month = MONTHS[day.month0() as usize];
    format!("{number}\u{a0}{month} {}", day.year())
}

/// The months as abbreviated in French typography (« janv. », « juil. »).
const SHORT_MONTHS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// « 8 déc. », « 1er juin » (a chart's axis, a table's first column).
pub fn short_date(day: NaiveDate) -> String {
    let number = match day.day() {
        1 => "1er".to_string(),
        n => n.to_string(),
    };
    format!("{number}\u{a0}{}", SHORT_MONTHS[day.month0() as usize])
}

/// « 9 h », « 9 h 30 », « 12 h 05 ».
pub fn time(hour: u32, minute: u32) -> String {
    if minute == 0 {
        format!("{hour}\u{a0}h")
    } else {
        format!("{hour}\u{a0}h\u{a0}{minute:02}")
    }
}

/// « heure de Paris » for Europe/Paris; otherwise the zone's city, or its name.
pub fn zone(tz: Tz) -> String {
    let name = tz.name();
    let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
    match name {
        "Europe/Paris" => "heure de Paris".into(),
        "UTC" | "Etc/UTC" => "UTC".into(),
        _ => format!("heure de {city}"),
    }
}

fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    time(local.hour(), local.minute())
}

/// When a session takes place, in one phrase; `None` without a schedule.
pub fn when(schedule: Option<&Schedule>, tz: Tz) -> Option<String> {
    Some(match *schedule? {
        Schedule::AllDay {
            first_day,
            last_day,
        } => {
            if first_day == last_day {
                date(first_day)
            } else {
                format!("du {} au {}", date(first_day), date(last_day))
            }
        }
        Schedule::Timed { starts_at, ends_at } => {
            let start_day = starts_at.with_timezone(&tz).date_naive();
            let zone = zone(tz);
            match ends_at {
                None => format!(
                    "{}, à {} ({zone})",
                    date(start_day),
                    local_time(starts_at, tz)
                ),
                Some(end) if end.with_timezone(&tz).date_naive() == start_day => format!(
                    "{}, de {} à {} ({zone})",
                    date(start_day),
                    local_time(starts_at, tz),
                    local_time(end, tz)
                ),
                Some(end) => format!(
                    "du {} à {} au {} à {} ({zone})",
                    date(start_day),
                    local_time(starts_at, tz),
                    date(end.with_timezone(&tz).date_naive()),
                    local_time(end, tz)
                ),
            }
        }
    })
}

/// What a field of the session is called in the console (its history, its preview).
pub fn field_label(change: Change) -> &'static str {
    match change {
        Change::Body => "texte",
        Change::CancelReason => "motif d'annulation",
        Change::Capacity => "nombre de places",
        Change::EndsAt => "fin",
        Change::Episode => "numéro d'épisode",
        Change::Image => "image",
        Change::Kind => "type",
        Change::Links => "liens",
        Change::Location => "lieu",
        Change::Programme => "programme",
        Change::PublishedOn => "date de publication",
        Change::RecordingPlanned => "enregistrement prévu",
        Change::RegistrationRequired => "inscription obligatoire",
        Change::Reminders => "rappels",
        Change::Series => "série",
        Change::Slug => "adresse (slug)",
        Change::Speakers => "intervenant·es",
        Change::StartsAt => "début",
        Change::Status => "statut",
        Change::Summary => "résumé",
        Change::Tags => "thèmes",
        Change::Timezone => "fuseau horaire",
        Change::Title => "titre",
    }
}

/// What a kind of mail is called in the console.
pub fn mail_kind_label(kind: crate::domain::MailKind) -> &'static str {
    use crate::domain::MailKind;
    match kind {
        MailKind::Confirmation => "Confirmation d'abonnement",
        MailKind::Announcement => "Annonce",
        MailKind::Reminder => "Rappel",
        MailKind::Change => "Avis de changement",
        MailKind::Cancellation => "Avis d'annulation",
        MailKind::Reinstatement => "Avis de rétablissement",
        MailKind::Recording => "Enregistrement disponible",
        MailKind::RegistrationConfirmation => "Confirmation d'inscription",
        MailKind::Seated => "Place confirmée",
        MailKind::Waitlisted => "Liste d'attente",
        MailKind::Promoted => "Place libérée",
        MailKind::Unregistered => "Inscription annulée",
        MailKind::AlreadySubscribed => "Abonnement déjà actif",
    }
}

/// « mardi 8 décembre 2026 à 9 h 30 » in `tz`.
pub fn moment(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    format!("{} à {}", date(local.date_naive()), local_time(at, tz))
}

/// A registration's state as the console shows it.
pub fn registration_status_label(status: crate::domain::RegistrationStatus) -> &'static str {
    use crate::domain::RegistrationStatus;
    match status {
        RegistrationStatus::Pending => "à confirmer",
        RegistrationStatus::Seated => "place attribuée",
        RegistrationStatus::Waiting => "liste d'attente",
        RegistrationStatus::Cancelled => "annulée",
    }
}

/// A message's state in the outbox as the console shows it.
pub fn message_status_label(status: crate::domain::MessageStatus) -> &'static str {
    use crate::domain::MessageStatus;
    match status {
        MessageStatus::Queued => "en file",
        MessageStatus::Sending => "en cours d'envoi",
        MessageStatus::Sent => "envoyé",
        MessageStatus::Failed => "en échec",
        MessageStatus::Dropped => "abandonné",
    }
}

/// What a history entry records, as the console says it.
pub fn history_action_label(action: crate::domain::HistoryAction) -> &'static str {
    use crate::domain::HistoryAction;
    match action {
        HistoryAction::Created => "Création",
        HistoryAction::Updated => "Modification",
        HistoryAction::Cancelled => "Annulation",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    #[test]
    fn short_dates_abbreviate_the_month() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(short_date(d(12, 8)), "8\u{a0}déc.");
        assert_eq!(short_date(d(6, 1)), "1er\u{a0}juin");
        assert_eq!(short_date(d(7, 14)), "14\u{a0}juil.");
    }

    #[test]
    fn advances_read_in_french() {
        assert_eq!(advance_text(chrono::Duration::hours(1)), "dans 1 heure");
        assert_eq!(advance_text(chrono::Duration::hours(24)), "dans 1 jour");
        assert_eq!(advance_text(chrono::Duration::hours(48)), "dans 2 jours");
        assert_eq!(
            advance_text(chrono::Duration::minutes(90)),
            "dans 90 minutes"
        );
        assert_eq!(
            advance_text(chrono::Duration::seconds(2)),
            "dans 2 secondes"
        );
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn sessions_read_as_the_team_writes_them() {
        let webinar = Schedule::Timed {
            starts_at: at(2021, 12, 8, 9, 0),
            ends_at: Some(at(2021, 12, 8, 10, 0)),
        };
        assert_eq!(
            when(Some(&webinar), Paris).unwrap(),
            "mercredi 8\u{a0}décembre 2021, de 9\u{a0}h à 10\u{a0}h (heure de Paris)"
        );
        let lunch = Schedule::Timed {
            starts_at: at(2025, 3, 14, 12, 15),
            ends_at: Some(at(2025, 3, 14, 13, 0)),
        };
        assert_eq!(
            when(Some(&lunch), Paris).unwrap(),
            "vendredi 14\u{a0}mars 2025, de 12\u{a0}h\u{a0}15 à 13\u{a0}h (heure de Paris)"
        );
        // The day clocks go forward: 10:00 in Paris is 08:00Z, still written 10 h.
        let dst = Schedule::Timed {
            starts_at: at(2027, 3, 28, 10, 0),
            ends_at: None,
        };
        assert_eq!(
            when(Some(&dst), Paris).unwrap(),
            "dimanche 28\u{a0}mars 2027, à 10\u{a0}h (heure de Paris)"
        );
        let days = Schedule::AllDay {
            first_day: NaiveDate::from_ymd_opt(2024, 10, 10).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2024, 10, 11).unwrap(),
        };
        assert_eq!(
            when(Some(&days), Paris).unwrap(),
            "du jeudi 10\u{a0}octobre 2024 au vendredi 11\u{a0}octobre 2024"
        );
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2023, 6, 1).unwrap()),
            "jeudi 1er\u{a0}juin 2023"
        );
        assert_eq!(when(None, Paris), None);
        assert_eq!(zone(chrono_tz::America::Martinique), "heure de Martinique");
    }

    #[test]
    fn titles_name_their_kind_once() {
        use EventKind::{Event, Video, Webinar};
        let cases = [
            (
                Webinar,
                "Sobriété numérique",
                "Webinaire : Sobriété numérique",
            ),
            (Webinar, "Webinaire : Sobriété", "Webinaire : Sobriété"),
            (Webinar, "Webinaire – Sobriété", "Webinaire – Sobriété"),
            (
                Webinar,
                "webinaire sur la sobriété",
                "webinaire sur la sobriété",
            ),
            (Webinar, "WEBINAIRE Sobriété", "WEBINAIRE Sobriété"),
            (Webinar, "« Webinaire » sobriété", "« Webinaire » sobriété"),
            (Webinar, "Webinaires de l'été", "Webinaires de l'été"),
            // Another word that starts the same is not the kind.
            (Webinar, "Webinairesque", "Webinaire : Webinairesque"),
            // The word must open the title, not stand somewhere in it.
            (
                Webinar,
                "Le webinaire annuel",
                "Webinaire : Le webinaire annuel",
            ),
            // Another kind's word is not this kind's.
            (
                Webinar,
                "Vidéo : rediffusion",
                "Webinaire : Vidéo : rediffusion",
            ),
            (Event, "Événement : rencontre", "Événement : rencontre"),
            (Event, "Evenement - rencontre", "Evenement - rencontre"),
            (Event, "Rencontre d'été", "Événement : Rencontre d'été"),
            (Video, "Épisode #12 : mesurer", "Épisode #12 : mesurer"),
            (Video, "episode 3", "episode 3"),
            (Video, "Vidéo – mesurer", "Vidéo – mesurer"),
            (Video, "Mesurer son impact", "Vidéo : Mesurer son impact"),
            (Video, "", "Vidéo : "),
            (Webinar, "🎉 !", "Webinaire : 🎉 !"),
        ];
        for (kind, title, expected) in cases {
            assert_eq!(title_with_kind(kind, title), expected, "{kind:?} {title:?}");
        }
    }

    #[test]
    fn weekday_names_both_ways() {
        for day in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ] {
            assert_eq!(weekday_named(weekday(day)), Some(day));
        }
        assert_eq!(weekday(Weekday::Mon), "lundi");
        assert_eq!(weekday(Weekday::Sun), "dimanche");
        assert_eq!(weekday_named("Lundi"), None);
    }
}
