//! The archive on each SQL backend: raw multi-row INSERTs of archiver-shaped rows against the
//! same rows archived end to end by a real server, and the raw full-text query against
//! SearchJobs over the same data.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use sqlx::{Connection, PgConnection, QueryBuilder, Sqlite, SqliteConnection};
use tonic::transport::Channel;
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::{Job, JobEvent, JobEventKind, JobState, SearchJobsRequest};
use zenith_server::archive::store::{self, ArchiveBatch, EventRecord, JobRecord};
use zenith_server::archive::text;
use zenith_server::db::Database;
use zenith_testkit::{PostgresServer, ZenithServer};

use crate::drive::latency;
use crate::report::{Metric, Target};
use crate::zenith::Zenith;
use crate::{PAYLOAD, Scale, phase, raw};

const QUEUE: &str = "bench-archive";
/// Jobs sharing one customer, and one sku: each search term finds this many.
const HITS: usize = 50;
/// How long the end-to-end setup (enqueue, complete) and the catch-up may take at most.
const E2E_LIMIT: Duration = Duration::from_secs(600);
/// Jobs per transaction of the raw insert. The archiver writes what one round read (up to 200
/// stream entries per queue, each one script run: here 100 to 500 jobs), in statements of
/// `JOB_ROWS` job rows and `EVENT_ROWS` event rows, as the stores cut them.
const RAW_BATCH: usize = 1_000;
const JOB_ROWS: usize = 1_000;
const EVENT_ROWS: usize = 2_000;
const PG_JOB_ROWS: usize = 2_000;

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The metric names of one backend.
struct Names {
    raw_insert: &'static str,
    archive_insert: &'static str,
    raw_search: &'static str,
    search: &'static str,
}

impl Backend {
    fn names(self) -> Names {
        match self {
            Backend::Sqlite => Names {
                raw_insert: "raw_insert_rows_per_s_sqlite",
                archive_insert: "archive_insert_rows_per_s_sqlite",
                raw_search: "raw_search_p95_ms_sqlite",
                search: "search_p95_ms_sqlite",
            },
            Backend::Postgres => Names {
                raw_insert: "raw_insert_rows_per_s_postgres",
                archive_insert: "archive_insert_rows_per_s_postgres",
                raw_search: "raw_search_p95_ms_postgres",
                search: "search_p95_ms_postgres",
            },
        }
    }
}

/// Fresh databases of one backend.
enum Databases {
    Sqlite(tempfile::TempDir),
    Postgres(PostgresServer),
}

impl Databases {
    fn start(backend: Backend) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Sqlite => Self::Sqlite(tempfile::tempdir()?),
            Backend::Postgres => Self::Postgres(PostgresServer::start()?),
        })
    }

    fn create(&self, name: &str) -> anyhow::Result<String> {
        match self {
            Self::Sqlite(dir) => Ok(format!(
                "sqlite://{}",
                dir.path().join(format!("{name}.db")).display()
            )),
            Self::Postgres(server) => server.create_database(name),
        }
    }
}

pub async fn measure(binary: &Path, redis_url: &str, scale: &Scale) -> anyhow::Result<Vec<Metric>> {
    let mut metrics = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        metrics.extend(measure_backend(backend, binary, redis_url, scale).await?);
    }
    Ok(metrics)
}

async fn measure_backend(
    backend: Backend,
    binary: &Path,
    redis_url: &str,
    scale: &Scale,
) -> anyhow::Result<Vec<Metric>> {
    let names = backend.names();
    let databases = Databases::start(backend)?;

    let search_url = databases.create("search")?;
    let database = Database::connect(&search_url).await?;
    let raw_insert = Metric::new(
        names.raw_insert,
        phase(
            &format!("measuring {}", names.raw_insert),
            raw_insert_per_s(&database, scale.archived_jobs),
        )
        .await?,
        "rows/s",
    );

    raw::flush_all(redis_url).await?;
    let archive_url = databases.create("archive")?;
    let archive_insert = Metric::new(
        names.archive_insert,
        phase(
            &format!("measuring {}", names.archive_insert),
            archive_insert_per_s(&archive_url, binary, redis_url, scale.archive_e2e_jobs),
        )
        .await?,
        "rows/s",
    )
    .against(&raw_insert)
    .target(Target::RatioAtLeast(0.5));

    raw::flush_all(redis_url).await?;
    let queries = Queries::new(scale.archived_jobs);
    let raw_search = Metric::new(
        names.raw_search,
        phase(
            &format!("measuring {}", names.raw_search),
            raw_search_p95_ms(&database, &queries, scale),
        )
        .await?,
        "ms",
    );
    let search = Metric::new(
        names.search,
        phase(
            &format!("measuring {}", names.search),
            search_p95_ms(&search_url, binary, redis_url, &queries, scale),
        )
        .await?,
        "ms",
    )
    .against(&raw_search)
    .target(Target::RatioAtMost(1.5));
    Ok(vec![raw_insert, archive_insert, raw_search, search])
}

/// Job `index` of the search corpus, finished, with the events the archiver records for it:
/// enqueued, reserved, completed. Its payload names one of `count / HITS` customers (every
/// `count / HITS`-th job shares one) and skus (`HITS` consecutive jobs share one).
fn archived_job(index: usize, count: usize) -> (JobRecord, Vec<EventRecord>) {
    let groups = (count / HITS).max(1);
    let created_ms = 1_700_000_000_000 + index as i64 * 10;
    let payload = format!(
        r#"{{"order_id":"ord_{index:08}","customer":"cus{}","sku":"sku{}","amount_cents":{},"currency":"EUR","note":"express delivery"}}"#,
        index % groups,
        index / HITS,
        1000 + index % 9000,
    );
    let timestamp = |ms: i64| prost_types::Timestamp {
        seconds: ms / 1000,
        nanos: (ms % 1000) as i32 * 1_000_000,
    };
    let job = Job {
        id: format!("arch-{index:08}"),
        queue: QUEUE.to_owned(),
        r#type: "bench.order".to_owned(),
        payload: payload.into_bytes(),
        content_type: "application/json".to_owned(),
        state: JobState::Completed.into(),
        attempts: 1,
        max_attempts: 3,
        created_at: Some(timestamp(created_ms)),
        started_at: Some(timestamp(created_ms + 3)),
        finished_at: Some(timestamp(created_ms + 8)),
        ..Job::default()
    };
    let events = [
        (0, JobEventKind::Enqueued, JobState::Pending),
        (3, JobEventKind::Reserved, JobState::Active),
        (8, JobEventKind::Completed, JobState::Completed),
    ]
    .into_iter()
    .map(|(offset, kind, state)| EventRecord {
        job_id: job.id.clone(),
        queue: QUEUE.to_owned(),
        entry: format!("{}-0", created_ms + offset),
        event: JobEvent {
            at: Some(timestamp(created_ms + offset)),
            kind: kind.into(),
            state: state.into(),
            attempt: i32::from(offset > 0),
            worker: if offset > 0 {
                "bench-node".to_owned()
            } else {
                String::new()
            },
            ..JobEvent::default()
        },
    })
    .collect();
    let record = JobRecord {
        text: text::search_text(&job),
        version: created_ms + 8,
        job,
    };
    (record, events)
}

/// Archived jobs per second written with plain multi-row INSERTs, `RAW_BATCH` jobs (with
/// their text index rows and events) per transaction, into `database`.
async fn raw_insert_per_s(database: &Database, count: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut index = 0;
    while index < count {
        let end = (index + RAW_BATCH).min(count);
        let mut batch = ArchiveBatch::default();
        for i in index..end {
            let (job, events) = archived_job(i, count);
            batch.jobs.push(job);
            batch.events.extend(events);
        }
        raw_insert(database, &batch).await?;
        index = end;
    }
    let elapsed = started.elapsed();
    eprintln!("  {count} jobs in {:.1} s", elapsed.as_secs_f64());
    Ok(count as f64 / elapsed.as_secs_f64())
}

/// Archived jobs per second through a real server: with SQL writes held back by a lock,
/// `count` jobs are enqueued and completed through gRPC, so their events wait in Redis; then
/// the lock goes, and the clock runs from the first archived job to the last; the jobs of
/// that first commit are not counted, since their time is not measured.
async fn archive_insert_per_s(
    url: &str,
    binary: &Path,
    redis_url: &str,
    count: usize,
) -> anyhow::Result<f64> {
    let database = Database::connect(url).await?;
    let store = store::open(&database);
    // Only finished jobs make rows, so the count says when all of them are archived.
    let server = ZenithServer::start_with(
        binary,
        redis_url,
        &["--database-url", url, "--index-on-enqueue", "false"],
    )
    .context("start the server")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;

    let lock = WriteLock::take(url).await?;
    zenith.enqueue_and_complete(QUEUE, count, E2E_LIMIT).await?;
    ensure!(
        store.count_jobs().await? == 0,
        "jobs were archived while the write lock was held"
    );
    lock.release().await?;

    let released = Instant::now();
    let mut first: Option<(Instant, i64)> = None;
    loop {
        let archived = store.count_jobs().await?;
        let now = Instant::now();
        if archived > 0 && first.is_none() {
            first = Some((now, archived));
        }
        if archived as usize >= count {
            let (first_at, first_count) = first.context("no first archived job")?;
            let elapsed = now.duration_since(first_at);
            eprintln!(
                "  {count} jobs archived {:.2} s after the lock went, {:.2} s after the first",
                now.duration_since(released).as_secs_f64(),
                elapsed.as_secs_f64()
            );
            ensure!(!elapsed.is_zero(), "archived too fast to time");
            return Ok((archived - first_count) as f64 / elapsed.as_secs_f64());
        }
        ensure!(
            released.elapsed() < E2E_LIMIT,
            "archived {archived} of {count} jobs in {E2E_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The search terms: free text (a sku) and a payload field term (a customer), each found in
/// `HITS` jobs, alternating, spread over the corpus.
struct Queries {
    queries: Vec<Query>,
}

struct Query {
    /// What SearchJobs is asked.
    text: String,
    /// The words the text index is asked for.
    words: Vec<String>,
}

impl Queries {
    fn new(count: usize) -> Self {
        let groups = (count / HITS).max(1);
        let queries = (0..400)
            .map(|i| {
                let group = (i * 7919) % groups;
                if i % 2 == 0 {
                    let sku = format!("sku{group}");
                    Query {
                        words: text::words(&sku),
                        text: sku,
                    }
                } else {
                    let customer = format!("cus{group}");
                    Query {
                        words: text::words(&customer),
                        text: format!(r#"payload.customer = "{customer}""#),
                    }
                }
            })
            .collect();
        Self { queries }
    }

    fn get(&self, i: usize) -> &Query {
        &self.queries[i % self.queries.len()]
    }
}

/// p95 of the store's full-text query, run by hand with sqlx on the same data.
async fn raw_search_p95_ms(
    database: &Database,
    queries: &Queries,
    scale: &Scale,
) -> anyhow::Result<f64> {
    let mut i = 0;
    let latency = latency(scale.latency_warmup, scale.search_queries, async || {
        let query = queries.get(i);
        i += 1;
        let found = raw_search(database, &query.words, HITS).await?;
        ensure!(
            found == HITS,
            "raw search for {:?} found {found} jobs, expected {HITS}",
            query.words
        );
        Ok(())
    })
    .await?;
    eprintln!(
        "  p50 {:.3} ms, p95 {:.3} ms",
        latency.p50_ms, latency.p95_ms
    );
    Ok(latency.p95_ms)
}

/// p95 of SearchJobs through a server over the same data, one page of `HITS` hits each.
async fn search_p95_ms(
    url: &str,
    binary: &Path,
    redis_url: &str,
    queries: &Queries,
    scale: &Scale,
) -> anyhow::Result<f64> {
    let server = ZenithServer::start_with(binary, redis_url, &["--database-url", url])
        .context("start the server")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;
    let mut client = ArchiveServiceClient::new(zenith.channel().await?);
    let mut i = 0;
    let latency = latency(scale.latency_warmup, scale.search_queries, async || {
        let query = queries.get(i);
        i += 1;
        let hits = search_once(&mut client, &query.text).await?;
        ensure!(
            hits == HITS,
            "search {:?} found {hits} jobs, expected {HITS}",
            query.text
        );
        Ok(())
    })
    .await?;
    eprintln!(
        "  p50 {:.3} ms, p95 {:.3} ms",
        latency.p50_ms, latency.p95_ms
    );
    Ok(latency.p95_ms)
}

async fn search_once(
    client: &mut ArchiveServiceClient<Channel>,
    query: &str,
) -> anyhow::Result<usize> {
    let response = client
        .search_jobs(SearchJobsRequest {
            query: query.to_owned(),
            page_size: HITS as i32,
            ..Default::default()
        })
        .await
        .context("search jobs")?
        .into_inner();
    Ok(response.hits.len())
}

/// A connection of the bench's own that holds every write to the archive back: SQLite's one
/// write lock, or PostgreSQL's EXCLUSIVE lock on the jobs table (reads go on).
enum WriteLock {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl WriteLock {
    async fn take(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            let mut conn = SqliteConnection::connect(url).await?;
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await?;
            Ok(Self::Sqlite(conn))
        } else {
            let mut conn = PgConnection::connect(url).await?;
            sqlx::raw_sql("BEGIN; LOCK TABLE archived_jobs IN EXCLUSIVE MODE")
                .execute(&mut conn)
                .await?;
            Ok(Self::Postgres(conn))
        }
    }

    async fn release(self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop)?,
            Self::Postgres(mut conn) => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop)?
            }
        }
        Ok(())
    }
}

/// One transaction of plain INSERTs: no upsert, no version check. SQLite: VALUES lists, the
/// job rows returning the rowids the FTS5 rows take. PostgreSQL: arrays through UNNEST, the
/// words computed in the statement as the store does.
async fn raw_insert(database: &Database, batch: &ArchiveBatch) -> anyhow::Result<()> {
    match database {
        Database::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for chunk in batch.jobs.chunks(JOB_ROWS) {
                let rows: Vec<JobColumns> = chunk.iter().map(JobColumns::new).collect();
                let mut insert = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO archived_jobs (id, queue, type, state, finished, \
                     created_at_ms, finished_at_ms, version, job) ",
                );
                insert.push_values(&rows, |mut values, row| {
                    values
                        .push_bind(row.id)
                        .push_bind(row.queue)
                        .push_bind(row.r#type)
                        .push_bind(row.state)
                        .push_bind(true)
                        .push_bind(row.created_at_ms)
                        .push_bind(row.finished_at_ms)
                        .push_bind(row.version)
                        .push_bind(row.job.as_slice());
                });
                insert.push(" RETURNING seq");
                let seqs: Vec<i64> = insert.build_query_scalar().fetch_all(&mut *tx).await?;
                let mut index =
                    QueryBuilder::<Sqlite>::new("INSERT INTO archived_jobs_text (rowid, words) ");
                index.push_values(seqs.iter().zip(&rows), |mut values, (seq, row)| {
                    values.push_bind(*seq).push_bind(row.text);
                });
                index.build().execute(&mut *tx).await?;
            }
            for chunk in batch.events.chunks(EVENT_ROWS) {
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
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for chunk in batch.jobs.chunks(PG_JOB_ROWS) {
                let rows: Vec<JobColumns> = chunk.iter().map(JobColumns::new).collect();
                sqlx::query(
                    "INSERT INTO archived_jobs (id, queue, type, state, finished, created_at_ms, \
                     finished_at_ms, version, job, words) \
                     SELECT id, queue, type, state, TRUE, created_at_ms, finished_at_ms, version, \
                     job, to_tsvector('simple', text) \
                     FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int4[], $5::int8[], \
                     $6::int8[], $7::int8[], $8::bytea[], $9::text[]) \
                     AS r(id, queue, type, state, created_at_ms, finished_at_ms, version, job, text)",
                )
                .bind(rows.iter().map(|row| row.id).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.queue).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.r#type).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.state).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.created_at_ms).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.finished_at_ms).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.version).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.job.as_slice()).collect::<Vec<_>>())
                .bind(rows.iter().map(|row| row.text).collect::<Vec<_>>())
                .execute(&mut *tx)
                .await?;
            }
            for chunk in batch.events.chunks(EVENT_ROWS) {
                sqlx::query(
                    "INSERT INTO job_events (job_id, queue, entry, at_ms, kind, event) \
                     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], \
                     $5::int4[], $6::bytea[])",
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
        }
    }
    Ok(())
}

/// A finished job's columns, as the stores write them.
struct JobColumns<'a> {
    id: &'a str,
    queue: &'a str,
    r#type: &'a str,
    state: i32,
    created_at_ms: i64,
    finished_at_ms: Option<i64>,
    version: i64,
    job: Vec<u8>,
    text: &'a str,
}

impl<'a> JobColumns<'a> {
    fn new(record: &'a JobRecord) -> Self {
        let job = &record.job;
        Self {
            id: &job.id,
            queue: &job.queue,
            r#type: &job.r#type,
            state: job.state,
            created_at_ms: job.created_at.as_ref().map_or(0, timestamp_ms),
            finished_at_ms: job.finished_at.as_ref().map(timestamp_ms),
            version: record.version,
            job: prost::Message::encode_to_vec(job),
            text: &record.text,
        }
    }
}

fn timestamp_ms(at: &prost_types::Timestamp) -> i64 {
    at.seconds * 1000 + i64::from(at.nanos / 1_000_000)
}

fn event_at_ms(event: &JobEvent) -> i64 {
    event.at.as_ref().map_or(0, timestamp_ms)
}

/// The store's full-text query for one phrase, newest first, with the limit SearchJobs asks
/// for a page (page size + 1); returns the rows found.
async fn raw_search(database: &Database, words: &[String], page: usize) -> anyhow::Result<usize> {
    let limit = page as i64 + 1;
    let rows: Vec<(i64, String, Vec<u8>)> = match database {
        Database::Sqlite(pool) => {
            // A quoted FTS5 phrase, as the store builds it.
            let expression = format!("\"{}\"", words.join(" ").replace('"', "\"\""));
            sqlx::query_as(
                "SELECT j.seq, j.id, j.job FROM archived_jobs_text AS t \
                 JOIN archived_jobs AS j ON j.seq = t.rowid \
                 WHERE archived_jobs_text MATCH ? ORDER BY t.rowid DESC LIMIT ?",
            )
            .bind(expression)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
        Database::Postgres(pool) => {
            // A tsquery literal of quoted lexemes, planned per call, ordered as the store orders
            // a word that is not common (these match 50 jobs each).
            let lexemes: Vec<String> = words
                .iter()
                .map(|word| format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''")))
                .collect();
            sqlx::query_as(
                "SELECT seq, id, job FROM archived_jobs WHERE TRUE AND words @@ $1::tsquery \
                 ORDER BY seq + 0 DESC LIMIT $2",
            )
            .bind(format!("({})", lexemes.join(" <-> ")))
            .bind(limit)
            .persistent(false)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows.len())
}
