//! What every public page shows around its content: the DSFR header's team name, the footer's
//! mandatory mentions, and the RGPD notice of forms that take an address. Made once from
//! `[site]` when the service starts.

use serde::{Deserialize, Serialize};

use crate::config::Settings;

/// The accessibility status a French public site states in its footer (RGAA): what its
/// accessibility statement establishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum AccessibilityStatus {
    #[serde(rename = "non conforme")]
    NotCompliant,
    #[serde(rename = "partiellement conforme")]
    PartiallyCompliant,
    #[serde(rename = "totalement conforme")]
    FullyCompliant,
}

impl AccessibilityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessibilityStatus::NotCompliant => "non conforme",
            AccessibilityStatus::PartiallyCompliant => "partiellement conforme",
            AccessibilityStatus::FullyCompliant => "totalement conforme",
        }
    }
}

/// Who processes an address given on a form, why, for how long, and how to exercise one's
/// rights (RGPD, article 13).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PrivacyNotice {
    pub controller: String,
    pub purpose: String,
    pub retention: String,
    pub rights: String,
}

/// The page frame's words and links, as templates read them (`site` in their context).
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub team_name: String,
    pub entity_lines: Vec<String>,
    /// The one stylesheet's address (content-hashed).
    pub stylesheet: String,
    pub accessibility_status: &'static str,
    pub accessibility_url: String,
    pub legal_notice_url: String,
    pub personal_data_url: String,
    pub privacy: PrivacyNotice,
}

impl SiteView {
    /// `links_base` is where the footer's paths lead: the team's site (`content.base_url`) or
    /// this service.
    pub fn new(settings: &Settings, links_base: &url::Url, stylesheet: String) -> SiteView {
        let site = &settings.site;
        let link = |raw: &str| {
            links_base
                .join(raw.trim())
                .map(String::from)
                .unwrap_or_else(|_| raw.trim().to_string())
        };
        let or = |value: &str, default: String| match value.trim() {
            "" => default,
            value => value.to_string(),
        };
        SiteView {
            team_name: site.team_name.trim().to_string(),
            entity_lines: site
                .entity_lines
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            stylesheet,
            accessibility_status: site.accessibility_status.as_str(),
            accessibility_url: link(&site.accessibility_url),
            legal_notice_url: link(&site.legal_notice_url),
            personal_data_url: link(&site.personal_data_url),
            privacy: PrivacyNotice {
                controller: or(&site.privacy_controller, site.team_name.trim().to_string()),
                purpose: site.privacy_purpose.trim().to_string(),
                retention: or(
                    &site.privacy_retention,
                    format!(
                        "tant que vous restez abonné·e ou inscrit·e, puis au plus {} jours après \
                         votre désabonnement ou l'annulation de votre inscription",
                        settings.mail.erase_after_days
                    ),
                ),
                rights: site.privacy_rights.trim().to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Figment;

    fn settings(figment: impl FnOnce(Figment) -> Figment) -> Settings {
        Settings::from_figment(figment(Settings::defaults())).unwrap()
    }

    #[test]
    fn footer_paths_lead_to_the_team_s_site_and_addresses_stay() {
        let s = settings(|f| f.merge(("site.legal_notice_url", "https://example.gouv.fr/ml")));
        let base = url::Url::parse("https://ecoresponsable.numerique.gouv.fr/").unwrap();
        let view = SiteView::new(&s, &base, "/assets/site-0.css".into());
        assert_eq!(
            view.accessibility_url,
            "https://ecoresponsable.numerique.gouv.fr/accessibilite"
        );
        assert_eq!(view.legal_notice_url, "https://example.gouv.fr/ml");
        assert_eq!(view.accessibility_status, "non conforme");
    }

    #[test]
    fn the_privacy_notice_defaults_to_the_team_and_the_erasure_delay() {
        let s = settings(|f| f.merge(("mail.erase_after_days", 45)));
        let base = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        let view = SiteView::new(&s, &base, String::new());
        assert_eq!(
            view.privacy.controller,
            "Mission interministérielle numérique responsable"
        );
        assert!(view.privacy.retention.contains("au plus 45 jours"));
        assert!(!view.privacy.purpose.is_empty() && !view.privacy.rights.is_empty());

        let s = settings(|f| {
            f.merge(("site.privacy_controller", "La DINUM"))
                .merge(("site.privacy_retention", "un an"))
        });
        let view = SiteView::new(&s, &base, String::new());
        assert_eq!(view.privacy.controller, "La DINUM");
        assert_eq!(view.privacy.retention, "un an");
    }
}
