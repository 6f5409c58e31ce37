//! The archive on PostgreSQL: rows in `archived_jobs` with their words in a `tsvector` column
//! under a GIN index. Batches go in as arrays (`UNNEST`), one statement per table and chunk.
//!
//! The `simple` parser keeps each of our words (`text::words`: runs of letters and digits,
//! space-separated) as one lexeme, including mixed forms like "abc123", numbers and non-Latin
//! words; the storage tests check it against SQLite.

use async_trait::async_trait;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use zenith_proto::v1::JobEvent;

use super::{
    ArchiveBatch, ArchiveStore, ArchivedJob, MetricRollup, PruneScope, Pruned, SearchPlan,
    SettingsOverride, decode_event, decode_fields, decode_job, encode_fields, event_at_ms,
    job_rows, limit_param, retention_seconds,
};
use crate::archive::Result;

/// Rows per statement: arrays have no parameter limit, but one statement should stay short.
const CHUNK: usize = 2_000;

pub struct PostgresArchive {
    pool: PgPool,
}

impl PostgresArchive {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl ArchiveStore for PostgresArchive {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn record(&self, batch: &ArchiveBatch) -> Result<()> {
        let rows = job_rows(&batch.jobs);
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            // The words column is part of the row, so the index follows inserts and replaces.
            sqlx::query(
                "INSERT INTO archived_jobs (id, queue, type, state, finished, created_at_ms, \
                 finished_at_ms, version, job, words) \
                 SELECT id, queue, type, state, finished, created_at_ms, finished_at_ms, version, \
                 job, to_tsvector('simple', text) \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int4[], $5::bool[], \
                 $6::int8[], $7::int8[], $8::int8[], $9::bytea[], $10::text[]) \
                 AS r(id, queue, type, state, finished, created_at_ms, finished_at_ms, version, \
                 job, text) \
                 ON CONFLICT (id) DO UPDATE SET queue = EXCLUDED.queue, type = EXCLUDED.type, \
                 state = EXCLUDED.state, finished = EXCLUDED.finished, \
                 created_at_ms = EXCLUDED.created_at_ms, finished_at_ms = EXCLUDED.finished_at_ms, \
                 version = EXCLUDED.version, job = EXCLUDED.job, words = EXCLUDED.words \
                 WHERE EXCLUDED.version > archived_jobs.version",
            )
            .bind(chunk.iter().map(|row| row.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|row| row.queue).collect::<Vec<_>>())
            .bind(chunk.iter().map(|row| row.r#type).collect::<Vec<_>>())
            .bind(chunk.iter().map(|row| row.state).collect::<Vec<_>>())
            .bind(chunk.iter().map(|row| row.finished).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|row| row.created_at_ms)
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|row| row.finished_at_ms)
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|row| row.version).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|row| row.job.as_slice())
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|row| row.text).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        for chunk in batch.events.chunks(CHUNK) {
            sqlx::query(
                "INSERT INTO job_events (job_id, queue, entry, at_ms, kind, event) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], \
                 $5::int4[], $6::bytea[]) \
                 ON CONFLICT (queue, entry, job_id) DO NOTHING",
            )
            .bind(chunk.iter().map(|e| e.job_id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.queue.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.entry.as_str()).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|e| event_at_ms(&e.event))
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|e| e.event.kind).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|e| prost::Message::encode_to_vec(&e.event))
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_job(&self, id: &str) -> Result<Option<ArchivedJob>> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, job FROM archived_jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(seq, job)| decode_job(seq, id, &job)).transpose()
    }

    async fn job_events(
        &self,
        job_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, JobEvent)>> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT pos, event FROM job_events WHERE job_id = $1 AND pos > $2 \
             ORDER BY pos LIMIT $3",
        )
        .bind(job_id)
        .bind(after.unwrap_or(0))
        .bind(limit_param(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(pos, event)| Ok((pos, decode_event(job_id, &event)?)))
            .collect()
    }

    async fn search(&self, plan: &SearchPlan) -> Result<Vec<ArchivedJob>> {
        let mut query =
            QueryBuilder::<Postgres>::new("SELECT seq, id, job FROM archived_jobs WHERE TRUE");
        for phrase in plan.phrases.iter().filter(|phrase| !phrase.is_empty()) {
            query.push(" AND words @@ phraseto_tsquery('simple', ");
            query.push_bind(phrase.join(" ")).push(")");
        }
        if let Some(before) = plan.before_seq {
            query.push(" AND seq < ").push_bind(before);
        }
        if !plan.queues.is_empty() {
            query
                .push(" AND queue = ANY(")
                .push_bind(&plan.queues)
                .push(")");
        }
        if !plan.types.is_empty() {
            query
                .push(" AND type = ANY(")
                .push_bind(&plan.types)
                .push(")");
        }
        if !plan.states.is_empty() {
            let states: Vec<i32> = plan.states.iter().map(|state| *state as i32).collect();
            query
                .push(" AND (NOT finished OR state = ANY(")
                .push_bind(states)
                .push("))");
        }
        if let Some(after) = plan.created_after_ms {
            query.push(" AND created_at_ms >= ").push_bind(after);
        }
        if let Some(before) = plan.created_before_ms {
            query.push(" AND created_at_ms < ").push_bind(before);
        }
        query
            .push(" ORDER BY seq DESC LIMIT ")
            .push_bind(limit_param(plan.limit));
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let id: &str = row.try_get("id")?;
                decode_job(row.try_get("seq")?, id, row.try_get("job")?)
            })
            .collect()
    }

    async fn prune(&self, scope: &PruneScope, cutoff_ms: i64, limit: usize) -> Result<Pruned> {
        let (queue_condition, queues) = match scope {
            PruneScope::Queue(queue) => ("queue = ANY($1)", vec![queue.clone()]),
            PruneScope::AllExcept(except) => ("queue <> ALL($1)", except.clone()),
        };
        let mut tx = self.pool.begin().await?;
        let jobs = format!(
            "DELETE FROM archived_jobs WHERE seq IN (SELECT seq FROM archived_jobs \
             WHERE finished AND {queue_condition} AND finished_at_ms < $2 LIMIT $3)"
        );
        let jobs = sqlx::query(&jobs)
            .bind(&queues)
            .bind(cutoff_ms)
            .bind(limit_param(limit))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let events = format!(
            "DELETE FROM job_events WHERE pos IN (SELECT pos FROM job_events \
             WHERE {queue_condition} AND at_ms < $2 LIMIT $3)"
        );
        let events = sqlx::query(&events)
            .bind(&queues)
            .bind(cutoff_ms)
            .bind(limit_param(limit))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Pruned { jobs, events })
    }

    async fn settings_overrides(&self) -> Result<Vec<SettingsOverride>> {
        let rows: Vec<(String, Option<i64>, Option<bool>)> = sqlx::query_as(
            "SELECT queue, retention_s, index_on_enqueue FROM archive_settings ORDER BY queue",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(queue, retention_s, index_on_enqueue)| SettingsOverride {
                queue,
                retention: retention_s.map(|s| std::time::Duration::from_secs(s.max(0) as u64)),
                index_on_enqueue,
            })
            .collect())
    }

    async fn put_settings_override(&self, settings: &SettingsOverride) -> Result<()> {
        sqlx::query(
            "INSERT INTO archive_settings (queue, retention_s, index_on_enqueue) \
             VALUES ($1, $2, $3) \
             ON CONFLICT (queue) DO UPDATE SET retention_s = EXCLUDED.retention_s, \
             index_on_enqueue = EXCLUDED.index_on_enqueue",
        )
        .bind(&settings.queue)
        .bind(settings.retention.map(retention_seconds))
        .bind(settings.index_on_enqueue)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_settings_override(&self, queue: &str) -> Result<()> {
        sqlx::query("DELETE FROM archive_settings WHERE queue = $1")
            .bind(queue)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_rollups(&self, rollups: &[MetricRollup]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for chunk in rollups.chunks(CHUNK) {
            sqlx::query(
                "INSERT INTO metric_rollups (queue, hour_ms, fields) \
                 SELECT * FROM UNNEST($1::text[], $2::int8[], $3::text[]) \
                 ON CONFLICT (queue, hour_ms) DO UPDATE SET fields = EXCLUDED.fields",
            )
            .bind(chunk.iter().map(|r| r.queue.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.hour_ms).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|r| encode_fields(&r.fields))
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rollups(&self, queue: &str, from_ms: i64, to_ms: i64) -> Result<Vec<MetricRollup>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT hour_ms, fields FROM metric_rollups \
             WHERE queue = $1 AND hour_ms >= $2 AND hour_ms < $3 ORDER BY hour_ms",
        )
        .bind(queue)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(hour_ms, fields)| {
                Ok(MetricRollup {
                    queue: queue.to_owned(),
                    hour_ms,
                    fields: decode_fields(queue, hour_ms, &fields)?,
                })
            })
            .collect()
    }

    async fn count_jobs(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM archived_jobs")
            .fetch_one(&self.pool)
            .await?)
    }
}
