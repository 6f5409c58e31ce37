//! Logs on SQLite: rows in `logs`, words in the contentless FTS5 table `logs_text` whose rowid
//! is the line's `seq`.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use zenith_proto::v1::LogRecord;

use super::{COLUMNS, LogCursor, LogQuery, LogRow, LogStore, record_from_row};
use crate::archive::Result;
use crate::archive::store::limit_param;
use crate::archive::store::sqlite::match_expression;

/// Rows per statement: SQLite allows 32,766 parameters; a row takes 11. The INSERTs are not
/// kept prepared: each row count is a new, large statement (see the archive's store).
const CHUNK: usize = 1_000;

pub struct SqliteLogs {
    pool: SqlitePool,
}

impl SqliteLogs {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl LogStore for SqliteLogs {
    async fn insert(&self, records: &[LogRecord]) -> Result<()> {
        let rows: Vec<LogRow> = records.iter().map(LogRow::new).collect();
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(format!("INSERT INTO logs ({COLUMNS}) "));
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.id)
                    .push_bind(row.logged_at_ms)
                    .push_bind(row.received_at_ms)
                    .push_bind(row.level)
                    .push_bind(row.message)
                    .push_bind(row.service)
                    .push_bind(row.node_id)
                    .push_bind(row.queue)
                    .push_bind(row.job_id)
                    .push_bind(row.target)
                    .push_bind(row.fields.as_str());
            });
            insert.push(" ON CONFLICT (id) DO NOTHING RETURNING seq, id");
            // Only inserted rows come back: their words are indexed.
            let written: Vec<(i64, String)> = insert
                .build_query_as()
                .persistent(false)
                .fetch_all(&mut *tx)
                .await?;
            if written.is_empty() {
                continue;
            }
            let texts: std::collections::HashMap<&str, &str> = chunk
                .iter()
                .map(|row| (row.id, row.text.as_str()))
                .collect();
            let mut index = QueryBuilder::<Sqlite>::new("INSERT INTO logs_text (rowid, words) ");
            index.push_values(&written, |mut values, (seq, id)| {
                values.push_bind(*seq).push_bind(texts[id.as_str()]);
            });
            index.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn search(&self, query: &LogQuery) -> Result<Vec<(LogCursor, LogRecord)>> {
        let mut sql =
            QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM logs WHERE 1 = 1"));
        if let Some(expression) = match_expression(&query.phrases) {
            sql.push(" AND seq IN (SELECT rowid FROM logs_text WHERE logs_text MATCH ")
                .push_bind(expression)
                .push(")");
        }
        let filter = &query.filter;
        if filter.min_level > 0 {
            sql.push(" AND level >= ").push_bind(filter.min_level);
        }
        for (column, value) in [
            ("service", &filter.service),
            ("node_id", &filter.node_id),
            ("queue", &filter.queue),
            ("job_id", &filter.job_id),
        ] {
            if !value.is_empty() {
                sql.push(format!(" AND {column} = "))
                    .push_bind(value.as_str());
            }
        }
        if let Some(since) = query.since_ms {
            sql.push(" AND logged_at_ms >= ").push_bind(since);
        }
        if let Some(until) = query.until_ms {
            sql.push(" AND logged_at_ms < ").push_bind(until);
        }
        let (past, order) = if query.oldest_first {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        if let Some(after) = &query.after {
            sql.push(format!(" AND (logged_at_ms, id) {past} ("))
                .push_bind(after.logged_at_ms)
                .push(", ")
                .push_bind(after.id.as_str())
                .push(")");
        }
        sql.push(format!(" ORDER BY logged_at_ms {order}, id {order} LIMIT "))
            .push_bind(limit_param(query.limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn job_lines(&self, job_id: &str, limit: usize) -> Result<Vec<LogRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM logs WHERE job_id = ? ORDER BY logged_at_ms, id LIMIT ?"
        ))
        .bind(job_id)
        .bind(limit_param(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| record_from_row(row).map(|(_, record)| record))
            .collect()
    }

    async fn prune(&self, cutoff_ms: i64, limit: usize) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let pruned: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM logs WHERE seq IN (SELECT seq FROM logs WHERE received_at_ms < ? \
             ORDER BY received_at_ms LIMIT ?) RETURNING seq",
        )
        .bind(cutoff_ms)
        .bind(limit_param(limit))
        .fetch_all(&mut *tx)
        .await?;
        if !pruned.is_empty() {
            sqlx::query("DELETE FROM logs_text WHERE rowid IN (SELECT value FROM json_each(?))")
                .bind(serde_json::to_string(&pruned).expect("numbers encode"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(pruned.len() as u64)
    }

    async fn count(&self) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM logs")
            .fetch_one(&self.pool)
            .await?;
        Ok(count as u64)
    }
}
