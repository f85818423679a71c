//! Series: episodes grouped under one title.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{from_micros, micros, new_id, Store, StoreError};
use crate::domain::people::SeriesSpec;
use crate::domain::slug::slugify;
use crate::domain::{FieldErrors, Series, SeriesFields, SeriesRef};

const COLUMNS: &str = "id, slug, title, description, created_at, updated_at";

fn series_from_row(row: &AnyRow) -> Result<Series, StoreError> {
    Ok(Series {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    })
}

impl Store {
    pub async fn create_series(&self, spec: SeriesSpec) -> Result<Series, StoreError> {
        let mut tx = self.write().await?;
        if find_by_slug(&mut tx.tx, &spec.slug).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "the slug \u{201c}{}\u{201d} is already used by another series",
                spec.slug
            )));
        }
        let series = insert(&mut tx.tx, &spec.slug, &spec.title, spec.description).await?;
        tx.commit().await?;
        Ok(series)
    }

    pub async fn list_series(&self) -> Result<Vec<Series>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM series ORDER BY title, id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(series_from_row).collect()
    }

    /// By id or slug.
    pub async fn get_series(&self, key: &str) -> Result<Series, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM series WHERE {}",
            super::by_id_or_slug("series", "")
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        series_from_row(&row)
    }

    /// Applies `edit` to the stored fields and saves the result. The slug is fixed: feeds are
    /// subscribed by it.
    pub async fn update_series(
        &self,
        key: &str,
        edit: impl FnOnce(&Series) -> Result<SeriesFields, StoreError>,
    ) -> Result<Series, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM series WHERE {}",
            super::by_id_or_slug("series", "")
        ))
        .bind(key)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let current = series_from_row(&row)?;
        let spec = edit(&current)?.validate().map_err(StoreError::Invalid)?;
        if spec.slug_given && spec.slug != current.slug {
            return Err(StoreError::Invalid(FieldErrors::single(
                "slug",
                "cannot change: calendar subscriptions and pages use it",
            )));
        }
        let now = chrono::Utc::now();
        sqlx::query(
            "UPDATE series SET title = $1, description = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(&spec.title)
        .bind(&spec.description)
        .bind(micros(now))
        .bind(&current.id)
        .execute(&mut *tx.tx)
        .await?;
        super::events::touch_events_of_series(&mut tx.tx, &current.id, now).await?;
        tx.commit().await?;
        self.get_series(&current.id).await
    }
}

async fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> Result<Option<Series>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM series WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(series_from_row).transpose()
}

async fn insert(
    conn: &mut AnyConnection,
    slug: &str,
    title: &str,
    description: Option<String>,
) -> Result<Series, StoreError> {
    let now = chrono::Utc::now();
    let id = new_id();
    sqlx::query(
        "INSERT INTO series (id, slug, title, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(slug)
    .bind(title)
    .bind(&description)
    .bind(micros(now))
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::on_unique(e, || format!("the slug \u{201c}{slug}\u{201d} is taken"))
    })?;
    Ok(Series {
        id,
        slug: slug.to_string(),
        title: title.to_string(),
        description,
        created_at: now,
        updated_at: now,
    })
}

/// The id of the referenced series, created when it is new and a title was given.
pub(crate) async fn resolve_series(
    conn: &mut AnyConnection,
    reference: &SeriesRef,
) -> Result<String, StoreError> {
    match reference {
        SeriesRef::Existing(slug) => match find_by_slug(conn, slug).await? {
            Some(series) => Ok(series.id),
            None => Err(StoreError::Invalid(FieldErrors::single(
                "series",
                format!("no series \u{201c}{slug}\u{201d}; give a title to create it"),
            ))),
        },
        SeriesRef::CreateIfMissing { slug, title } => {
            let slug = slug.clone().unwrap_or_else(|| slugify(title, "serie"));
            match find_by_slug(conn, &slug).await? {
                Some(series) => Ok(series.id),
                None => Ok(insert(conn, &slug, title, None).await?.id),
            }
        }
    }
}
