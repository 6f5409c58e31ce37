//! The SQL database: SQLite by default, PostgreSQL for production. Migrations run at start-up.

use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("database_url: invalid sqlite url {url}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With WAL, NORMAL loses no committed data on a process crash (only on power
                // loss), and saves an fsync per transaction.
                .synchronous(SqliteSynchronous::Normal)
                // One writer at a time: others wait for the lock instead of failing at once.
                .busy_timeout(std::time::Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .context("open sqlite database")?;
            sqlx::migrate!("../migrations/sqlite")
                .run(&pool)
                .await
                .context("migrate sqlite database")?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(url)
                .await
                .context("connect to postgresql")?;
            sqlx::migrate!("../migrations/postgres")
                .run(&pool)
                .await
                .context("migrate postgresql database")?;
            Ok(Self::Postgres(pool))
        } else {
            anyhow::bail!("database_url: expected sqlite://… or postgres://…, got {url}")
        }
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
            Self::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
    }

    /// The id of this installation, made on first start and kept in SQL.
    pub async fn installation_id(&self) -> Result<String, sqlx::Error> {
        let fresh = uuid::Uuid::now_v7().to_string();
        let insert = "INSERT INTO zenith_meta (key, value) VALUES ('installation_id', $1) ON CONFLICT (key) DO NOTHING";
        let select = "SELECT value FROM zenith_meta WHERE key = 'installation_id'";
        match self {
            Self::Sqlite(pool) => {
                sqlx::query(insert).bind(&fresh).execute(pool).await?;
                sqlx::query_scalar(select).fetch_one(pool).await
            }
            Self::Postgres(pool) => {
                sqlx::query(insert).bind(&fresh).execute(pool).await?;
                sqlx::query_scalar(select).fetch_one(pool).await
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}
