//! What the console's overview pages read in a few grouped queries rather than one per
//! session: mail counts per session, recent delivery failures, registrations per day of one
//! session and deliveries per day. Days are the service's wall-time days (Europe/Paris):
//! rows are grouped by hour in SQL (the same on both backends; every zone the service uses
//! is a whole number of hours from UTC) and hours folded into days here.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::Row;

use super::outbox::{message_from_row, MESSAGE};
use super::{from_micros, micros, OutboxMessage, Store, StoreError};

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// Mail of one session by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailCounts {
    /// Queued or being sent.
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

/// A message that failed, with its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: OutboxMessage,
    pub event_id: Option<String>,
    pub event_title: Option<String>,
    pub failed_at: DateTime<Utc>,
}

/// One day of deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryDay {
    pub day: NaiveDate,
    pub sent: i64,
    pub failed: i64,
}

/// `(n, day)` counts by hour folded into every day from `from` to `to` (empty days at zero).
fn by_day(
    hours: impl IntoIterator<Item = (i64, i64)>,
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, i64>, StoreError> {
    let mut days: BTreeMap<NaiveDate, i64> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| (d, 0))
        .collect();
    for (hour, n) in hours {
        let day = from_micros(hour * MICROS_PER_HOUR)?
            .with_timezone(&tz)
            .date_naive();
        if let Some(count) = days.get_mut(&day) {
            *count += n;
        }
    }
    Ok(days)
}

impl Store {
    /// Mail counts of each of `event_ids` (absent: no mail at all).
    pub async fn mail_counts(
        &self,
        event_ids: &[String],
    ) -> Result<HashMap<String, MailCounts>, StoreError> {
        let mut counts: HashMap<String, MailCounts> = HashMap::new();
        if event_ids.is_empty() {
            return Ok(counts);
        }
        let placeholders = (1..=event_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT o.event_id, s.status, COUNT(*) AS n FROM outbox o \
             JOIN outbox_state s ON s.id = o.id \
             WHERE o.event_id IN ({placeholders}) GROUP BY o.event_id, s.status"
        );
        let mut query = sqlx::query(&sql);
        for id in event_ids {
            query = query.bind(id);
        }
        for row in query.fetch_all(&self.pool).await? {
            let id: String = row.try_get("event_id")?;
            let status: String = row.try_get("status")?;
            let n: i64 = row.try_get("n")?;
            let entry = counts.entry(id).or_default();
            match status.as_str() {
                "queued" | "sending" => entry.queued += n,
                "sent" => entry.sent += n,
                "failed" => entry.failed += n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// The latest failed messages, newest first.
    pub async fn recent_failures(&self, limit: i64) -> Result<Vec<Failure>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE}, s.updated_at, o.event_id, e.title AS event_title \
             FROM outbox_state s JOIN outbox o ON o.id = s.id \
             LEFT JOIN events e ON e.id = o.event_id \
             WHERE s.status = 'failed' ORDER BY s.updated_at DESC, s.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Failure {
                    message: message_from_row(row)?,
                    event_id: row.try_get("event_id")?,
                    event_title: row.try_get("event_title")?,
                    failed_at: from_micros(row.try_get("updated_at")?)?,
                })
            })
            .collect()
    }

    /// Registrations of one session per day they were made (confirmed ones, whatever became
    /// of them since), from the first to `until`.
    pub async fn registrations_by_day(
        &self,
        event_id: &str,
        tz: Tz,
        until: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT requested_at / $2 AS h, COUNT(*) AS n FROM registrations \
             WHERE event_id = $1 AND status <> 'pending' GROUP BY requested_at / $2 ORDER BY h",
        )
        .bind(event_id)
        .bind(MICROS_PER_HOUR)
        .fetch_all(&self.pool)
        .await?;
        let hours = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>("h")?, r.try_get::<i64, _>("n")?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let Some(first) = hours.first() else {
            return Ok(Vec::new());
        };
        let from = from_micros(first.0 * MICROS_PER_HOUR)?
            .with_timezone(&tz)
            .date_naive();
        let last = match hours.last() {
            Some((h, _)) => from_micros(h * MICROS_PER_HOUR)?
                .with_timezone(&tz)
                .date_naive(),
            None => from,
        };
        // Up to `until` (the session's day, or today before it), at most two months drawn.
        let to = until.max(last);
        let from = from.max(to - chrono::Days::new(60));
        Ok(by_day(hours, tz, from, to)?.into_iter().collect())
    }

    /// Messages sent and failed per day over the `days` days up to today.
    pub async fn deliveries_by_day(
        &self,
        tz: Tz,
        days: u64,
    ) -> Result<Vec<DeliveryDay>, StoreError> {
        let today = self.now().with_timezone(&tz).date_naive();
        let from = today - chrono::Days::new(days.saturating_sub(1));
        let since = from
            .and_hms_opt(0, 0, 0)
            .and_then(|d| d.and_local_timezone(tz).earliest())
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|| self.now());
        // One count per status, each over its own index (`outbox_sent`, `outbox_failed`).
        let rows = sqlx::query(
            "SELECT 'sent' AS status, updated_at / $2 AS h, COUNT(*) AS n FROM outbox_state \
             WHERE status = 'sent' AND updated_at >= $1 GROUP BY updated_at / $2 \
             UNION ALL SELECT 'failed' AS status, updated_at / $2 AS h, COUNT(*) AS n \
             FROM outbox_state WHERE status = 'failed' AND updated_at >= $1 \
             GROUP BY updated_at / $2",
        )
        .bind(micros(since))
        .bind(MICROS_PER_HOUR)
        .fetch_all(&self.pool)
        .await?;
        let mut sent = Vec::new();
        let mut failed = Vec::new();
        for row in &rows {
            let status: String = row.try_get("status")?;
            let pair = (row.try_get::<i64, _>("h")?, row.try_get::<i64, _>("n")?);
            if status == "sent" {
                sent.push(pair);
            } else {
                failed.push(pair);
            }
        }
        let sent = by_day(sent, tz, from, today)?;
        let failed = by_day(failed, tz, from, today)?;
        Ok(sent
            .into_iter()
            .map(|(day, n)| DeliveryDay {
                day,
                sent: n,
                failed: failed.get(&day).copied().unwrap_or(0),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn hour(y: i32, m: u32, d: u32, h: u32) -> i64 {
        micros(Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()) / MICROS_PER_HOUR
    }

    #[test]
    fn hours_fold_into_paris_days_with_empty_days_at_zero() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        // 23:30 UTC on the 1st is 00:30 in Paris on the 2nd.
        let rows = [
            (hour(2026, 12, 1, 10), 2),
            (hour(2026, 12, 1, 23), 3),
            (hour(2026, 12, 4, 8), 1),
        ];
        let days = by_day(rows, Paris, d(1), d(4)).unwrap();
        assert_eq!(
            days.into_iter().collect::<Vec<_>>(),
            vec![(d(1), 2), (d(2), 3), (d(3), 0), (d(4), 1)]
        );
    }
}
