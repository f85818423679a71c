//! Field-level validation errors, collected so one response names every problem.

use serde::Serialize;

/// One invalid field: a JSON path such as `links.join` or `speakers[1].name`, and a message
/// written for the organiser who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one input. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.push(field, message);
        errors
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was reported, else every error.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Reads a JSON value into `T`, naming the field of the first type error in words an organiser
/// understands.
pub fn read_fields<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, FieldErrors> {
    if !value.is_object() {
        return Err(FieldErrors::single("", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        FieldErrors::single(field, type_error_message(&err.into_inner().to_string()))
    })
}

/// serde's messages, minus the parts that only make sense to Rust programmers.
fn type_error_message(raw: &str) -> String {
    let message = raw.split(" at line ").next().unwrap_or(raw);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return format!("unknown field {name}; check its spelling against the API documentation");
    }
    if message.starts_with("data did not match any variant of untagged enum SeriesInput") {
        return "must be a series slug or an object {\"slug\", \"title\"}".into();
    }
    message.replace("invalid type: ", "wrong type: ")
}

/// A field error's message in French, for the console (the API keeps its English). Each
/// message the validators write has its translation here; one they do not know yet is given
/// as is after a French lead-in, never dropped.
pub fn in_french(message: &str) -> String {
    use std::sync::OnceLock;
    type Rule = (regex::Regex, &'static str);
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (r"^is required$", "Ce champ est obligatoire."),
            (r"^is required: webinar, event or video$", "Choisissez le type : webinaire, événement ou vidéo."),
            (r"^is required for a webinar or an event", "Une date de début est obligatoire pour un webinaire ou un événement."),
            (r"^is required when ends_at is given$", "Indiquez le début si vous indiquez la fin."),
            (r"^must be after starts_at$", "La fin doit venir après le début."),
            (r"^must not be before starts_at", "Le dernier jour ne peut précéder le premier."),
            (r"^must be a date and time like starts_at", "Indiquez aussi l'heure de fin, comme pour le début."),
            (r"^must be a date like starts_at", "Une session sur des journées entières finit un jour, sans heure : videz l'heure de fin."),
            (r"^is empty: write a date", "Indiquez une date."),
            (r"^“(.*)” is not a date or time", "« $1 » n'est pas une date ni une heure valide (jj/mm/aaaa et hh:mm)."),
            (r"^“(.*)” is not a date like", "« $1 » n'est pas une date valide."),
            (r"^(\S+ \S+) does not exist in (\S+): the clocks skip", "$1 n'existe pas à l'heure de $2 : les horloges sautent cette heure au passage à l'heure d'été. Choisissez une heure en dehors de ce saut."),
            (r"^(\S+ \S+) happens twice in (\S+) because the clocks go back", "$1 arrive deux fois à l'heure de $2, car les horloges reculent cette nuit-là (passage à l'heure d'hiver). Choisissez une autre heure."),
            (r"^unknown time zone “(.*)”", "Fuseau horaire « $1 » inconnu : choisissez-en un dans la liste (par exemple Europe/Paris)."),
            (r"^is (\d+) characters long; at most (\d+) are allowed", "Ce texte compte $1 caractères ; $2 au plus sont acceptés."),
            (r"^at most (\d+) speakers$", "$1 intervenants au plus."),
            (r"^at most (\d+) links$", "$1 liens au plus."),
            (r"^at most (\d+) items$", "$1 éléments au plus."),
            (r"^at most (\d+) reminders per session$", "$1 rappels au plus par session."),
            (r"^“(.*)”: is not an ISO 8601 duration", "« $1 » n'est pas un délai compris : écrivez par exemple P1D (un jour), PT2H (deux heures) ou PT30M (trente minutes)."),
            (r"^“(.*)”: use days, hours or minutes", "« $1 » : comptez en jours, heures ou minutes (P1D, PT24H), pas en mois ni en années."),
            (r"^“(.*)”: must be longer than zero", "« $1 » : le délai doit être supérieur à zéro."),
            (r"^“(.*)”: (.*)$", "« $1 » est refusé ($2)."),
            (r"^must be a positive number of places", "Indiquez un nombre de places supérieur à zéro, ou laissez vide pour ne pas limiter."),
            (r"^must be zero or a positive number$", "Indiquez un numéro positif."),
            (r"^needs a name", "Indiquez le nom de l'intervenant ou intervenante."),
            (r"^needs a slug \(an existing series\) or a title", "Choisissez une série existante."),
            (r"^must be lowercase letters and digits separated by single hyphens", "L'identifiant ne peut contenir que des minuscules sans accent, des chiffres et des tirets simples (par exemple episode-12-numerique)."),
            (r"^“(.*)” is not a web address", "« $1 » n'est pas une adresse web (https://…)."),
            (r"^“(.*)” must be an http or https address", "« $1 » doit commencer par https:// ou http://."),
            (r"^must not contain line breaks or other control characters", "L'adresse ne doit pas contenir de retour à la ligne."),
            (r"^must not contain spaces, backslashes or control characters", "L'adresse ne doit contenir ni espace ni barre oblique inverse."),
            (r"^is longer than (\d+) characters", "L'adresse dépasse $1 caractères."),
            (r"^must be one line", "Ce champ tient sur une ligne : retirez les retours à la ligne (le texte plus long va dans le résumé ou la présentation)."),
            (r"^contains an invisible control character \(U\+(\w+)\) at position (\d+)", "Ce texte contient un caractère de contrôle invisible (U+$1) en position $2 : supprimez-le."),
            (r"(?i)^unknown (kind|status)|use webinar, event or video|use draft, scheduled or cancelled", "Cette valeur ne fait pas partie des choix proposés."),
            (r"^wrong type: (.*), expected (.*)$", "Valeur de type inattendu."),
            (r"^no series", "Cette série n'existe pas (encore) : créez-la dans l'annuaire des séries."),
            (r"^is already used", "Cet identifiant est déjà pris par une autre session."),
            (r"^is not an email address mail can be sent to: give a domain name", "Indiquez un nom de domaine après @, pas une adresse IP."),
            (r"^is not an email address mail can be sent to: the part before @ would need quotes", "La partie avant @ ne peut contenir ni espace, ni @, ni guillemet, ni barre oblique inverse."),
            (r"^is not an email address", "Cette adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr)."),
            (r"^is too long for an email address", "L'adresse électronique est trop longue (64 caractères au plus avant @, 254 en tout)."),
        ]
        .into_iter()
        .filter_map(|(pattern, french)| regex::Regex::new(pattern).ok().map(|r| (r, french)))
        .collect()
    });
    for (pattern, french) in rules {
        if let Some(captures) = pattern.captures(message) {
            let mut out = String::new();
            captures.expand(french, &mut out);
            return out;
        }
    }
    format!("Valeur refusée : {message}")
}

#[cfg(test)]
mod french_tests {
    use super::in_french;

    #[test]
    fn validator_messages_read_in_french() {
        assert_eq!(in_french("is required"), "Ce champ est obligatoire.");
        let gap = in_french(
            "2027-03-28 02:30 does not exist in Europe/Paris: the clocks skip that hour when \
             daylight saving time starts; choose a time outside the gap or give an explicit offset",
        );
        assert!(gap.starts_with("2027-03-28 02:30 n'existe pas"), "{gap}");
        assert!(gap.contains("heure d'été"), "{gap}");
        let twice = in_french(
            "2026-10-25 02:30 happens twice in Europe/Paris because the clocks go back that \
             night: add the offset to say which one (+02:00 or +01:00)",
        );
        assert!(twice.contains("deux fois"), "{twice}");
        assert_eq!(
            in_french(
                "is 300 characters long; at most 200 are allowed (put the rest in summary or body)"
            ),
            "Ce texte compte 300 caractères ; 200 au plus sont acceptés."
        );
        assert!(in_french("something new").starts_with("Valeur refusée : "));
        for message in [
            crate::domain::EmailAddress::parse("x@[127.0.0.1]").unwrap_err(),
            crate::domain::EmailAddress::parse("\"a b\"@example.org").unwrap_err(),
            crate::domain::EmailAddress::parse("nope").unwrap_err(),
            crate::domain::EmailAddress::parse(&format!("{}@example.org", "a".repeat(65)))
                .unwrap_err(),
        ] {
            let french = in_french(&message);
            assert!(!french.starts_with("Valeur refusée"), "{message}: {french}");
        }
    }
}
