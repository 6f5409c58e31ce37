//! The archive on SQLite: rows in `archived_jobs`, words in the contentless FTS5 table
//! `archived_jobs_text` whose rowid is the job's `seq`.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use zenith_proto::v1::JobEvent;

use super::{
    ArchiveBatch, ArchiveStore, ArchivedJob, EventPosition, MetricRollup, PruneScope, Pruned,
    SearchPlan, SettingsOverride, decode_event, decode_fields, decode_job, encode_fields,
    event_at_ms, job_rows, limit_param, phrase_words, retention_seconds,
};
use crate::archive::Result;

/// Rows per multi-row statement: SQLite allows 32,766 parameters; a job row takes 9.
const JOB_CHUNK: usize = 1_000;
/// An event row takes 6 parameters.
const EVENT_CHUNK: usize = 2_000;
// The multi-row INSERTs are not kept prepared (`persistent(false)`): each row count is a new
// statement of up to a megabyte, and sqlx caches 100 per connection, which grew the server by
// hundreds of MiB while the archiver caught up.

pub struct SqliteArchive {
    pool: SqlitePool,
}

impl SqliteArchive {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

/// An FTS5 query that requires every phrase, each a quoted string so that nothing in it is
/// an operator; `None` when there are no words.
pub(crate) fn match_expression(phrases: &[Vec<String>]) -> Option<String> {
    let quoted: Vec<String> = phrase_words(phrases)
        .iter()
        .map(|phrase| format!("\"{}\"", phrase.join(" ").replace('"', "\"\"")))
        .collect();
    (!quoted.is_empty()).then(|| quoted.join(" AND "))
}

/// A JSON array of strings, for `json_each`: one parameter for a list of any length.
fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("strings encode")
}

#[async_trait]
impl ArchiveStore for SqliteArchive {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn record(&self, batch: &ArchiveBatch) -> Result<()> {
        let rows = job_rows(&batch.jobs);
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(JOB_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO archived_jobs (id, queue, type, state, finished, created_at_ms, \
                 finished_at_ms, version, job) ",
            );
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.id)
                    .push_bind(row.queue)
                    .push_bind(row.r#type)
                    .push_bind(row.state)
                    .push_bind(row.finished)
                    .push_bind(row.created_at_ms)
                    .push_bind(row.finished_at_ms)
                    .push_bind(row.version)
                    .push_bind(row.job.as_slice());
            });
            insert.push(
                " ON CONFLICT (id) DO UPDATE SET queue = excluded.queue, type = excluded.type, \
                 state = excluded.state, finished = excluded.finished, \
                 created_at_ms = excluded.created_at_ms, finished_at_ms = excluded.finished_at_ms, \
                 version = excluded.version, job = excluded.job \
                 WHERE excluded.version > archived_jobs.version RETURNING seq, id",
            );
            // Only inserted and replaced rows come back: their words are (re)indexed.
            let written: Vec<(i64, String)> = insert
                .build_query_as()
                .persistent(false)
                .fetch_all(&mut *tx)
                .await?;
            if written.is_empty() {
                continue;
            }
            let texts: std::collections::HashMap<&str, &str> =
                chunk.iter().map(|row| (row.id, row.text)).collect();
            let mut index = QueryBuilder::<Sqlite>::new(
                "INSERT OR REPLACE INTO archived_jobs_text (rowid, words) ",
            );
            index.push_values(&written, |mut values, (seq, id)| {
                values.push_bind(*seq).push_bind(texts[id.as_str()]);
            });
            index.build().persistent(false).execute(&mut *tx).await?;
        }
        for chunk in batch.events.chunks(EVENT_CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO job_events (job_id, queue, entry, at_ms, kind, event) ",
            );
            insert.push_values(chunk, |mut values, record| {
                values
                    .push_bind(record.job_id.as_str())
                    .push_bind(record.queue.as_str())
                    .push_bind(record.entry.as_str())
                    .push_bind(event_at_ms(&record.event))
                    .push_bind(record.event.kind)
                    .push_bind(prost::Message::encode_to_vec(&record.event));
            });
            insert.push(" ON CONFLICT (queue, entry, job_id) DO NOTHING");
            insert.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_job(&self, id: &str) -> Result<Option<ArchivedJob>> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, job FROM archived_jobs WHERE id = ?")
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
            "SELECT at_ms, pos, event FROM job_events WHERE job_id = ? AND (at_ms, pos) > (?, ?) \
             ORDER BY at_ms, pos LIMIT ?",
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
        let mut query = QueryBuilder::<Sqlite>::new("SELECT j.seq, j.id, j.job FROM ");
        // With words, the FTS index leads and is walked newest first, stopping at the limit.
        let order = match match_expression(&plan.phrases) {
            Some(expression) => {
                query.push(
                    "archived_jobs_text AS t JOIN archived_jobs AS j ON j.seq = t.rowid \
                     WHERE archived_jobs_text MATCH ",
                );
                query.push_bind(expression);
                if let Some(before) = plan.before_seq {
                    query.push(" AND t.rowid < ").push_bind(before);
                }
                " ORDER BY t.rowid DESC"
            }
            None => {
                query.push("archived_jobs AS j WHERE 1 = 1");
                if let Some(before) = plan.before_seq {
                    query.push(" AND j.seq < ").push_bind(before);
                }
                " ORDER BY j.seq DESC"
            }
        };
        // One queue: its (queue, seq) index is in seq order. Several: the unary plus keeps
        // SQLite walking seq downwards and stopping at the limit rather than sorting every
        // row of those queues.
        match plan.queues.as_slice() {
            [] => {}
            [queue] => {
                query.push(" AND j.queue = ").push_bind(queue.as_str());
            }
            queues => {
                query.push(" AND +j.queue IN (SELECT value FROM json_each(");
                query.push_bind(json_list(queues)).push("))");
            }
        }
        if !plan.types.is_empty() {
            query.push(" AND j.type IN (SELECT value FROM json_each(");
            query.push_bind(json_list(&plan.types)).push("))");
        }
        if !plan.states.is_empty() {
            let states: Vec<i32> = plan.states.iter().map(|state| *state as i32).collect();
            query.push(" AND (j.finished = 0 OR j.state IN (SELECT value FROM json_each(");
            query
                .push_bind(serde_json::to_string(&states).expect("numbers encode"))
                .push(")))");
        }
        if let Some(after) = plan.created_after_ms {
            query.push(" AND j.created_at_ms >= ").push_bind(after);
        }
        if let Some(before) = plan.created_before_ms {
            query.push(" AND j.created_at_ms < ").push_bind(before);
        }
        query
            .push(order)
            .push(" LIMIT ")
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
            PruneScope::Queue(queue) => ("queue = ?", queue.clone()),
            PruneScope::AllExcept(except) => (
                "queue NOT IN (SELECT value FROM json_each(?))",
                json_list(except),
            ),
        };
        let mut tx = self.pool.begin().await?;
        let jobs = format!(
            "DELETE FROM archived_jobs WHERE seq IN (SELECT seq FROM archived_jobs \
             WHERE finished = 1 AND {queue_condition} AND finished_at_ms < ? LIMIT ?) \
             RETURNING seq"
        );
        let pruned: Vec<i64> = sqlx::query_scalar(&jobs)
            .bind(&queues)
            .bind(cutoff_ms)
            .bind(limit_param(limit))
            .fetch_all(&mut *tx)
            .await?;
        if !pruned.is_empty() {
            sqlx::query(
                "DELETE FROM archived_jobs_text WHERE rowid IN (SELECT value FROM json_each(?))",
            )
            .bind(serde_json::to_string(&pruned).expect("numbers encode"))
            .execute(&mut *tx)
            .await?;
        }
        let events = format!(
            "DELETE FROM job_events WHERE pos IN (SELECT pos FROM job_events \
             WHERE {queue_condition} AND at_ms < ? LIMIT ?)"
        );
        let events = sqlx::query(&events)
            .bind(&queues)
            .bind(cutoff_ms)
            .bind(limit_param(limit))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Pruned {
            jobs: pruned.len() as u64,
            events,
        })
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
            "INSERT INTO archive_settings (queue, retention_s, index_on_enqueue) VALUES (?, ?, ?) \
             ON CONFLICT (queue) DO UPDATE SET retention_s = excluded.retention_s, \
             index_on_enqueue = excluded.index_on_enqueue",
        )
        .bind(&settings.queue)
        .bind(settings.retention.map(retention_seconds))
        .bind(settings.index_on_enqueue)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_settings_override(&self, queue: &str) -> Result<()> {
        sqlx::query("DELETE FROM archive_settings WHERE queue = ?")
            .bind(queue)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_rollups(&self, rollups: &[MetricRollup]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for chunk in rollups.chunks(EVENT_CHUNK) {
            let mut insert =
                QueryBuilder::<Sqlite>::new("INSERT INTO metric_rollups (queue, hour_ms, fields) ");
            insert.push_values(chunk, |mut values, rollup| {
                values
                    .push_bind(rollup.queue.as_str())
                    .push_bind(rollup.hour_ms)
                    .push_bind(encode_fields(&rollup.fields));
            });
            insert.push(" ON CONFLICT (queue, hour_ms) DO UPDATE SET fields = excluded.fields");
            insert.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rollups(&self, queue: &str, from_ms: i64, to_ms: i64) -> Result<Vec<MetricRollup>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT hour_ms, fields FROM metric_rollups \
             WHERE queue = ? AND hour_ms >= ? AND hour_ms < ? ORDER BY hour_ms",
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
