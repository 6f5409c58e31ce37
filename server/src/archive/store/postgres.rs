//! The archive on PostgreSQL: rows in `archived_jobs` with their words in a `tsvector` column
//! under a GIN index. Batches go in as arrays (`UNNEST`), one statement per table and chunk.
//!
//! Words go in and out as `tsvector` / `tsquery` literals of quoted lexemes (`'order':1
//! 'id':2`, `'order' <-> 'id'`) rather than through `to_tsvector` and `phraseto_tsquery`: the
//! text-search parser drops characters that `text::words` keeps (with most locales "½" or
//! "٣٤٥" vanish), so SQLite and PostgreSQL would find different jobs. Literals hold exactly our
//! words, whatever the database locale; quoting keeps every word a lexeme and never an operator.

use async_trait::async_trait;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use zenith_proto::v1::JobEvent;

use super::{
    ArchiveBatch, ArchiveStore, ArchivedJob, EventPosition, MetricRollup, PruneScope, Pruned,
    SearchPlan, SettingsOverride, decode_event, decode_fields, decode_job, encode_fields,
    event_at_ms, job_rows, limit_param, phrase_words, retention_seconds,
};
use crate::archive::{Result, text};

/// Rows per statement: arrays have no parameter limit, but one statement should stay short.
const CHUNK: usize = 2_000;
/// Words matching at least this many jobs count as common: see `search`.
const COMMON_MATCHES: i64 = 5_000;

pub struct PostgresArchive {
    pool: PgPool,
}

impl PostgresArchive {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// A lexeme literal: our words hold only letters and digits, but quoting is what makes the
/// literal safe, so it is done in full.
pub(crate) fn lexeme(word: &str) -> String {
    format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''"))
}

/// The `tsvector` literal of a search text: each word a lexeme at its position (the tsvector
/// limit of 16,383 positions is more than `text::MAX_SEARCH_TEXT` can hold).
pub(crate) fn tsvector(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() * 2);
    for (position, word) in text.split(' ').filter(|word| !word.is_empty()).enumerate() {
        if position > 0 {
            literal.push(' ');
        }
        literal.push_str(&lexeme(word));
        literal.push(':');
        literal.push_str(&(position + 1).to_string());
    }
    literal
}

pub(crate) enum Query {
    Words(String),
    /// A word longer than any indexed word: nothing can match.
    Unmatchable,
}

/// The `tsquery` literal that requires every phrase, each as consecutive lexemes; `None` when
/// there are no words.
pub(crate) fn tsquery(phrases: &[Vec<String>]) -> Option<Query> {
    let phrases = phrase_words(phrases);
    if phrases.is_empty() {
        return None;
    }
    if phrases
        .iter()
        .flat_map(|phrase| phrase.iter())
        .any(|word| word.len() > text::MAX_WORD_BYTES)
    {
        return Some(Query::Unmatchable);
    }
    let literal = phrases
        .iter()
        .map(|phrase| {
            let words: Vec<String> = phrase.iter().map(|word| lexeme(word)).collect();
            format!("({})", words.join(" <-> "))
        })
        .collect::<Vec<_>>()
        .join(" & ");
    Some(Query::Words(literal))
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
                 job, words::tsvector \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int4[], $5::bool[], \
                 $6::int8[], $7::int8[], $8::int8[], $9::bytea[], $10::text[]) \
                 AS r(id, queue, type, state, finished, created_at_ms, finished_at_ms, version, \
                 job, words) \
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
            .bind(
                chunk
                    .iter()
                    .map(|row| tsvector(row.text))
                    .collect::<Vec<_>>(),
            )
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
        after: Option<EventPosition>,
        limit: usize,
    ) -> Result<Vec<(EventPosition, JobEvent)>> {
        let after = after.unwrap_or(EventPosition {
            at_ms: i64::MIN,
            pos: 0,
        });
        let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT at_ms, pos, event FROM job_events WHERE job_id = $1 AND (at_ms, pos) > ($2, $3) \
             ORDER BY at_ms, pos LIMIT $4",
        )
        .bind(job_id)
        .bind(after.at_ms)
        .bind(after.pos)
        .bind(limit_param(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(at_ms, pos, event)| {
                Ok((EventPosition { at_ms, pos }, decode_event(job_id, &event)?))
            })
            .collect()
    }

    async fn search(&self, plan: &SearchPlan) -> Result<Vec<ArchivedJob>> {
        let mut query =
            QueryBuilder::<Postgres>::new("SELECT seq, id, job FROM archived_jobs WHERE TRUE");
        // PostgreSQL guesses how many jobs hold a word from sampled statistics, and a wrong
        // guess is costly either way: walking `seq` backwards through every row for a rare word,
        // or gathering every match of a common one to sort them. Counting matches through the
        // text index, up to a bound, tells which walk to take.
        let mut walk_seq = true;
        match tsquery(&plan.phrases) {
            Some(Query::Words(query_text)) => {
                let matches: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT 1 FROM archived_jobs \
                     WHERE words @@ $1::tsquery LIMIT $2) AS m",
                )
                .bind(&query_text)
                .bind(COMMON_MATCHES)
                .persistent(false)
                .fetch_one(&self.pool)
                .await?;
                walk_seq = matches >= COMMON_MATCHES;
                query
                    .push(" AND words @@ ")
                    .push_bind(query_text)
                    .push("::tsquery");
            }
            Some(Query::Unmatchable) => return Ok(Vec::new()),
            None => {}
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
        // `seq + 0` hides the primary key's order, so the few matches come from the text index.
        let order = if walk_seq { "seq" } else { "seq + 0" };
        query
            .push(format!(" ORDER BY {order} DESC LIMIT "))
            .push_bind(limit_param(plan.limit));
        // Planned for its own values each time: a cached generic plan cannot tell a rare word
        // from a common one and may walk `seq` backwards through every row.
        let rows = query
            .build()
            .persistent(false)
            .fetch_all(&self.pool)
            .await?;
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
