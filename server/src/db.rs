//! The SQL database: SQLite by default, PostgreSQL for production. Migrations run at start-up.

use std::str::FromStr;

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The SQLite migrations this binary carries; `zenith serve` applies them at start.
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");
/// The PostgreSQL migrations this binary carries.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// A row of sqlx's `_sqlx_migrations` table: a migration as the database recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub checksum: Vec<u8>,
    /// False when the migration failed partway (sqlx calls the database dirty).
    pub success: bool,
}

impl Database {
    /// Opens the database (a missing SQLite file is created) and applies pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let database = Self::open(url, true).await?;
        let (backend, migrator) = (database.backend(), database.migrator());
        let migrated = match &database {
            Self::Sqlite(pool) => migrator.run(pool).await,
            Self::Postgres(pool) => migrator.run(pool).await,
        };
        migrated.with_context(|| format!("migrate {backend} database"))?;
        Ok(database)
    }

    /// Opens the database without migrating it; a missing SQLite file is created only when
    /// `create_if_missing`.
    pub async fn open(url: &str, create_if_missing: bool) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("database_url: invalid sqlite url {url}"))?
                .create_if_missing(create_if_missing)
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
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(url)
                .await
                .context("connect to postgresql")?;
            Ok(Self::Postgres(pool))
        } else {
            anyhow::bail!("database_url: expected sqlite://… or postgres://…, got {url}")
        }
    }

    /// The migrations this binary carries for this backend.
    pub fn migrator(&self) -> &'static Migrator {
        match self {
            Self::Sqlite(_) => &SQLITE_MIGRATOR,
            Self::Postgres(_) => &POSTGRES_MIGRATOR,
        }
    }

    /// The migrations the database records as applied, by version; `None` when it has no
    /// migrations table (never migrated). Read only: unlike sqlx's own listing, this does not
    /// create the table.
    pub async fn applied_migrations(&self) -> Result<Option<Vec<AppliedMigration>>, sqlx::Error> {
        let select = "SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version";
        let rows: Vec<(i64, Vec<u8>, bool)> = match self {
            Self::Sqlite(pool) => {
                let tables: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?;
                if tables == 0 {
                    return Ok(None);
                }
                sqlx::query_as(select).fetch_all(pool).await?
            }
            Self::Postgres(pool) => {
                let exists: bool =
                    sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                        .fetch_one(pool)
                        .await?;
                if !exists {
                    return Ok(None);
                }
                sqlx::query_as(select).fetch_all(pool).await?
            }
        };
        Ok(Some(
            rows.into_iter()
                .map(|(version, checksum, success)| AppliedMigration {
                    version,
                    checksum,
                    success,
                })
                .collect(),
        ))
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
