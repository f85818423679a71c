//! The speaker directory.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{from_micros, micros, new_id, Store, StoreError};
use crate::domain::people::SpeakerSpec;
use crate::domain::slug::{candidates, slugify};
use crate::domain::{FieldErrors, Speaker, SpeakerFields, SpeakerRef};

const COLUMNS: &str = "id, slug, name, role, organisation, created_at, updated_at";

fn speaker_from_row(row: &AnyRow) -> Result<Speaker, StoreError> {
    Ok(Speaker {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        organisation: row.try_get("organisation")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    })
}

/// How a session credits one speaker: the directory entry and this session's overrides.
pub(crate) struct Credit {
    pub speaker_id: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    /// `role` and `organisation` are the whole affiliation (`SpeakerRef::as_written`).
    pub own_affiliation: bool,
}

impl Store {
    pub async fn create_speaker(&self, spec: SpeakerSpec) -> Result<Speaker, StoreError> {
        let mut tx = self.write().await?;
        let slug = if spec.slug_given {
            if find_by_slug(&mut tx.tx, &spec.slug).await?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "the slug \u{201c}{}\u{201d} is already used by another speaker",
                    spec.slug
                )));
            }
            spec.slug.clone()
        } else {
            free_slug(&mut tx.tx, &spec.slug).await?
        };
        let speaker = insert(&mut tx.tx, &slug, &spec.name, spec.role, spec.organisation).await?;
        tx.commit().await?;
        Ok(speaker)
    }

    pub async fn list_speakers(&self) -> Result<Vec<Speaker>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM speakers ORDER BY name, id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(speaker_from_row).collect()
    }

    /// By id or slug.
    pub async fn get_speaker(&self, key: &str) -> Result<Speaker, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM speakers WHERE {}",
            super::by_id_or_slug("speakers", "")
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        speaker_from_row(&row)
    }

    /// Applies `edit` to the stored fields and saves the result.
    pub async fn update_speaker(
        &self,
        key: &str,
        edit: impl FnOnce(&Speaker) -> Result<SpeakerFields, StoreError>,
    ) -> Result<Speaker, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM speakers WHERE {}",
            super::by_id_or_slug("speakers", "")
        ))
        .bind(key)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let current = speaker_from_row(&row)?;
        let spec = edit(&current)?.validate().map_err(StoreError::Invalid)?;
        let slug = if spec.slug_given {
            spec.slug
        } else {
            current.slug.clone()
        };
        if slug != current.slug && find_by_slug(&mut tx.tx, &slug).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "the slug \u{201c}{slug}\u{201d} is already used by another speaker"
            )));
        }
        let now = chrono::Utc::now();
        sqlx::query(
            "UPDATE speakers SET slug = $1, name = $2, role = $3, organisation = $4, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(&slug)
        .bind(&spec.name)
        .bind(&spec.role)
        .bind(&spec.organisation)
        .bind(micros(now))
        .bind(&current.id)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| StoreError::on_unique(e, || format!("the slug \u{201c}{slug}\u{201d} is taken")))?;
        super::events::touch_events_of_speaker(&mut tx.tx, &current.id, now).await?;
        tx.commit().await?;
        self.get_speaker(&current.id).await
    }

    /// Merges the directory entry `absorbed` into `kept` (the same person entered twice):
    /// every session crediting `absorbed` credits `kept` instead, keeping what it showed
    /// (`absorbed`'s role and organisation become that session's own when it had none), a
    /// session crediting both keeps one credit, and `absorbed` leaves the directory.
    pub async fn merge_speakers(&self, kept: &str, absorbed: &str) -> Result<Speaker, StoreError> {
        let mut tx = self.write().await?;
        let kept_row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM speakers WHERE {}",
            super::by_id_or_slug("speakers", "")
        ))
        .bind(kept)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let kept = speaker_from_row(&kept_row)?;
        let absorbed_row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM speakers WHERE {}",
            super::by_id_or_slug("speakers", "")
        ))
        .bind(absorbed)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let absorbed = speaker_from_row(&absorbed_row)?;
        if kept.id == absorbed.id {
            return Err(StoreError::Conflict(
                "a speaker cannot be merged into itself".into(),
            ));
        }
        let now = chrono::Utc::now();
        // Sessions that will show the kept entry: bumped so feeds and pages are rebuilt.
        super::events::touch_events_of_speaker(&mut tx.tx, &absorbed.id, now).await?;
        sqlx::query(
            "DELETE FROM event_speakers WHERE speaker_id = $1 AND event_id IN \
             (SELECT event_id FROM event_speakers WHERE speaker_id = $2)",
        )
        .bind(&absorbed.id)
        .bind(&kept.id)
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query(
            "UPDATE event_speakers SET speaker_id = $1, \
             role = CASE WHEN own_affiliation = 1 THEN role ELSE COALESCE(role, $2) END, \
             organisation = CASE WHEN own_affiliation = 1 THEN organisation \
             ELSE COALESCE(organisation, $3) END \
             WHERE speaker_id = $4",
        )
        .bind(&kept.id)
        .bind(&absorbed.role)
        .bind(&absorbed.organisation)
        .bind(&absorbed.id)
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query("DELETE FROM speakers WHERE id = $1")
            .bind(&absorbed.id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(kept)
    }
}

async fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> Result<Option<Speaker>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM speakers WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(speaker_from_row).transpose()
}

async fn free_slug(conn: &mut AnyConnection, base: &str) -> Result<String, StoreError> {
    for candidate in candidates(base) {
        if find_by_slug(conn, &candidate).await?.is_none() {
            return Ok(candidate);
        }
    }
    Err(StoreError::Conflict(format!("no free slug for {base}")))
}

async fn insert(
    conn: &mut AnyConnection,
    slug: &str,
    name: &str,
    role: Option<String>,
    organisation: Option<String>,
) -> Result<Speaker, StoreError> {
    let now = chrono::Utc::now();
    let id = new_id();
    sqlx::query(
        "INSERT INTO speakers (id, slug, name, role, organisation, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(slug)
    .bind(name)
    .bind(&role)
    .bind(&organisation)
    .bind(micros(now))
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::on_unique(e, || format!("the slug \u{201c}{slug}\u{201d} is taken"))
    })?;
    Ok(Speaker {
        id,
        slug: slug.to_string(),
        name: name.to_string(),
        role,
        organisation,
        created_at: now,
        updated_at: now,
    })
}

/// Finds each referenced speaker in the directory, adding the ones named for the first time.
pub(crate) async fn resolve_credits(
    conn: &mut AnyConnection,
    refs: &[SpeakerRef],
) -> Result<Vec<Credit>, StoreError> {
    let mut credits: Vec<Credit> = Vec::with_capacity(refs.len());
    let mut errors = FieldErrors::new();
    for (i, r) in refs.iter().enumerate() {
        let slug = match (&r.slug, &r.name) {
            (Some(slug), _) => slug.clone(),
            (None, Some(name)) => slugify(name, "intervenant"),
            (None, None) => continue,
        };
        let speaker = match find_by_slug(conn, &slug).await? {
            Some(found) => found,
            None => match &r.name {
                // A post's affiliation belongs to its session, not to the person.
                Some(name) if r.as_written => insert(conn, &slug, name, None, None).await?,
                Some(name) => {
                    insert(conn, &slug, name, r.role.clone(), r.organisation.clone()).await?
                }
                None => {
                    errors.push(
                        format!("speakers[{i}].slug"),
                        format!("no speaker \u{201c}{slug}\u{201d} in the directory; give a name to add one"),
                    );
                    continue;
                }
            },
        };
        if credits.iter().any(|c| c.speaker_id == speaker.id) {
            continue;
        }
        if r.as_written {
            credits.push(Credit {
                speaker_id: speaker.id,
                role: r.role.clone(),
                organisation: r.organisation.clone(),
                own_affiliation: true,
            });
            continue;
        }
        // Only what differs from the directory is kept on the session.
        credits.push(Credit {
            own_affiliation: false,
            role: r
                .role
                .clone()
                .filter(|role| Some(role) != speaker.role.as_ref()),
            organisation: r
                .organisation
                .clone()
                .filter(|org| Some(org) != speaker.organisation.as_ref()),
            speaker_id: speaker.id,
        });
    }
    errors.into_result(credits).map_err(StoreError::Invalid)
}
