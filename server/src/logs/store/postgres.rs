//! Logs on PostgreSQL: rows in `logs` with the words of each message in a `tsvector` column
//! under a GIN index, written and queried as literals exactly as the job archive does.

use async_trait::async_trait;
use sqlx::{PgPool, Postgres, QueryBuilder};
use zenith_proto::v1::LogRecord;

use super::{COLUMNS, LogCursor, LogQuery, LogRow, LogStore, record_from_row};
use crate::archive::Result;
use crate::archive::store::limit_param;
use crate::archive::store::postgres::{Query, tsquery, tsvector};

/// Rows per statement: arrays have no parameter limit, but one statement should stay short.
const CHUNK: usize = 1_000;

pub struct PostgresLogs {
    pool: PgPool,
}

impl PostgresLogs {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl LogStore for PostgresLogs {
    async fn insert(&self, records: &[LogRecord]) -> Result<()> {
        let rows: Vec<LogRow> = records.iter().map(LogRow::new).collect();
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let column = |get: fn(&LogRow) -> String| chunk.iter().map(get).collect::<Vec<_>>();
            let number = |get: fn(&LogRow) -> i64| chunk.iter().map(get).collect::<Vec<_>>();
            sqlx::query(&format!(
                "INSERT INTO logs ({COLUMNS}, words) \
                 SELECT {COLUMNS}, words::tsvector \
                 FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::int4[], $5::text[], \
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                 $12::text[]) \
                 AS r({COLUMNS}, words) \
                 ON CONFLICT (id) DO NOTHING"
            ))
            .bind(column(|row| row.id.to_owned()))
            .bind(number(|row| row.logged_at_ms))
            .bind(number(|row| row.received_at_ms))
            .bind(chunk.iter().map(|row| row.level).collect::<Vec<i32>>())
            .bind(column(|row| row.message.to_owned()))
            .bind(column(|row| row.service.to_owned()))
            .bind(column(|row| row.node_id.to_owned()))
            .bind(column(|row| row.queue.to_owned()))
            .bind(column(|row| row.job_id.to_owned()))
            .bind(column(|row| row.target.to_owned()))
            .bind(column(|row| row.fields.clone()))
            .bind(column(|row| tsvector(&row.text)))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn search(&self, query: &LogQuery) -> Result<Vec<(LogCursor, LogRecord)>> {
        let mut sql =
            QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM logs WHERE TRUE"));
        match tsquery(&query.phrases) {
            Some(Query::Words(words)) => {
                sql.push(" AND words @@ ")
                    .push_bind(words)
                    .push("::tsquery");
            }
            Some(Query::Unmatchable) => return Ok(Vec::new()),
            None => {}
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
                    .push_bind(value.clone());
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
                .push_bind(after.id.clone())
                .push(")");
        }
        sql.push(format!(" ORDER BY logged_at_ms {order}, id {order} LIMIT "))
            .push_bind(limit_param(query.limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn job_lines(&self, job_id: &str, limit: usize) -> Result<Vec<LogRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM logs WHERE job_id = $1 ORDER BY logged_at_ms, id LIMIT $2"
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
        let pruned = sqlx::query(
            "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE received_at_ms < $1 \
             ORDER BY received_at_ms LIMIT $2)",
        )
        .bind(cutoff_ms)
        .bind(limit_param(limit))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(pruned)
    }

    async fn count(&self) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM logs")
            .fetch_one(&self.pool)
            .await?;
        Ok(count as u64)
    }
}
