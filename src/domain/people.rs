//! The speaker directory and the series that group episodes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::errors::FieldErrors;
use super::event::{check_len, clean_opt, MAX_LINE_CHARS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS};
use super::slug::{check_slug, slugify};

/// A person who speaks at sessions; the same entry is credited on many of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Speaker {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Episodes grouped under one title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A directory entry as an organiser writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeakerFields {
    /// Derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
}

/// A checked directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerSpec {
    pub slug: String,
    pub slug_given: bool,
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
}

impl SpeakerFields {
    pub fn validate(self) -> Result<SpeakerSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = clean_opt(self.name).unwrap_or_default();
        if name.is_empty() {
            errors.push("name", "is required");
        }
        check_len(&mut errors, "name", Some(&name), MAX_TITLE_CHARS);
        let slug = clean_opt(self.slug);
        if let Some(s) = &slug {
            if let Err(m) = check_slug(s) {
                errors.push("slug", m);
            }
        }
        let role = clean_opt(self.role);
        check_len(&mut errors, "role", role.as_deref(), MAX_LINE_CHARS);
        let organisation = clean_opt(self.organisation);
        check_len(
            &mut errors,
            "organisation",
            organisation.as_deref(),
            MAX_LINE_CHARS,
        );
        errors.into_result(SpeakerSpec {
            slug_given: slug.is_some(),
            slug: slug.unwrap_or_else(|| slugify(&name, "intervenant")),
            name,
            role,
            organisation,
        })
    }
}

/// A series as an organiser writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesFields {
    /// Derived from the title when absent; fixed once created (feeds are subscribed by it).
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A checked series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesSpec {
    pub slug: String,
    pub slug_given: bool,
    pub title: String,
    pub description: Option<String>,
}

impl SeriesFields {
    pub fn validate(self) -> Result<SeriesSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = clean_opt(self.title).unwrap_or_default();
        if title.is_empty() {
            errors.push("title", "is required");
        }
        check_len(&mut errors, "title", Some(&title), MAX_TITLE_CHARS);
        let slug = clean_opt(self.slug);
        if let Some(s) = &slug {
            if let Err(m) = check_slug(s) {
                errors.push("slug", m);
            }
        }
        let description = clean_opt(self.description);
        check_len(
            &mut errors,
            "description",
            description.as_deref(),
            MAX_SUMMARY_CHARS,
        );
        errors.into_result(SeriesSpec {
            slug_given: slug.is_some(),
            slug: slug.unwrap_or_else(|| slugify(&title, "serie")),
            title,
            description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_slug_comes_from_the_name() {
        let spec = SpeakerFields {
            name: Some(" Christophe Boutonnet ".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(spec.slug, "christophe-boutonnet");
        assert_eq!(spec.name, "Christophe Boutonnet");
        assert!(!spec.slug_given);
    }

    #[test]
    fn series_needs_a_title_and_a_clean_slug() {
        let errors = SeriesFields {
            slug: Some("Pas Bon".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "slug"]);
    }
}
