//! API keys and the audit log in SQL (`migrations/*/0006_auth.sql`). The statements are the same
//! on SQLite and PostgreSQL; tested against both in `server/tests/storage.rs`.

use sqlx::FromRow;
use zenith_proto::v1::Role;

use super::QueueLimit;
use super::error::Result;
use super::keys::StoredKey;
use crate::db::Database;

#[derive(FromRow)]
struct KeyRow {
    id: String,
    name: String,
    secret_sha256: String,
    role: i32,
    queues: String,
    queue_prefix: String,
    payloads: bool,
    requests_per_second: i32,
    created_at_ms: i64,
    created_by: String,
    expires_at_ms: Option<i64>,
    revoked_at_ms: Option<i64>,
}

impl TryFrom<KeyRow> for StoredKey {
    type Error = sqlx::Error;

    fn try_from(row: KeyRow) -> Result<Self, sqlx::Error> {
        let corrupt =
            |what: &str| sqlx::Error::Decode(format!("api key {}: {what}", row.id).into());
        let queues: Vec<String> =
            serde_json::from_str(&row.queues).map_err(|_| corrupt("queues is not a json list"))?;
        Ok(StoredKey {
            role: Role::try_from(row.role).map_err(|_| corrupt("unknown role"))?,
            queue_limit: QueueLimit {
                queues,
                prefix: row.queue_prefix,
            },
            payloads: row.payloads,
            requests_per_second: u32::try_from(row.requests_per_second).unwrap_or(0),
            created_at_ms: row.created_at_ms,
            created_by: row.created_by,
            expires_at_ms: row.expires_at_ms,
            revoked_at_ms: row.revoked_at_ms,
            secret_sha256: row.secret_sha256,
            name: row.name,
            id: row.id,
        })
    }
}

const KEY_COLUMNS: &str = "id, name, secret_sha256, role, queues, queue_prefix, payloads, \
     requests_per_second, created_at_ms, created_by, expires_at_ms, revoked_at_ms";

/// One audit event as stored; `id` is given by the database.
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at_ms: i64,
    pub principal: String,
    pub key_name: String,
    pub role: i32,
    pub rpc: String,
    pub target: String,
    pub request: String,
    pub code: String,
    pub message: String,
    pub peer: String,
}

/// Which audit events to list; empty strings match everything.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// A prefix of the principal.
    pub principal: String,
    /// A full method, or a service name.
    pub rpc: String,
    pub target: String,
    pub failures_only: bool,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only events with a smaller id (the page token).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Runs the same statement on either backend, binding the same values.
macro_rules! on_backend {
    ($database:expr, |$pool:ident| $body:expr) => {
        match $database {
            Database::Sqlite($pool) => $body,
            Database::Postgres($pool) => $body,
        }
    };
}

#[derive(Clone)]
pub struct AuthStore {
    database: Database,
}

impl AuthStore {
    pub fn new(database: &Database) -> Self {
        Self {
            database: database.clone(),
        }
    }

    /// Adds a key; false when its id is taken (nothing changes then).
    pub async fn insert_key(&self, key: &StoredKey) -> Result<bool> {
        let sql = format!(
            "INSERT INTO api_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12) ON CONFLICT (id) DO NOTHING"
        );
        let queues = serde_json::to_string(&key.queue_limit.queues).expect("strings serialize");
        let rps = i32::try_from(key.requests_per_second).unwrap_or(i32::MAX);
        let inserted = on_backend!(&self.database, |pool| sqlx::query(&sql)
            .bind(&key.id)
            .bind(&key.name)
            .bind(&key.secret_sha256)
            .bind(key.role as i32)
            .bind(&queues)
            .bind(&key.queue_limit.prefix)
            .bind(key.payloads)
            .bind(rps)
            .bind(key.created_at_ms)
            .bind(&key.created_by)
            .bind(key.expires_at_ms)
            .bind(key.revoked_at_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(inserted == 1)
    }

    pub async fn get_key(&self, id: &str) -> Result<Option<StoredKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1");
        let row: Option<KeyRow> = on_backend!(&self.database, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?);
        Ok(row.map(StoredKey::try_from).transpose()?)
    }

    /// Every key, revoked ones included: there are few, and the keyring holds them all.
    pub async fn all_keys(&self) -> Result<Vec<StoredKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id");
        let rows: Vec<KeyRow> = on_backend!(&self.database, |pool| sqlx::query_as(&sql)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(StoredKey::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// Marks a key revoked (keeping the first revocation time); the row after, or `None`.
    pub async fn revoke_key(&self, id: &str, at_ms: i64) -> Result<Option<StoredKey>> {
        let sql = "UPDATE api_keys SET revoked_at_ms = COALESCE(revoked_at_ms, $2) WHERE id = $1";
        on_backend!(&self.database, |pool| {
            sqlx::query(sql).bind(id).bind(at_ms).execute(pool).await?;
        });
        self.get_key(id).await
    }

    pub async fn append_audit(&self, events: &[AuditRecord]) -> Result<()> {
        let sql = "INSERT INTO audit_events (at_ms, principal, key_name, role, rpc, target, \
                   request, code, message, peer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_backend!(&self.database, |pool| {
            let mut transaction = pool.begin().await?;
            for event in events {
                sqlx::query(sql)
                    .bind(event.at_ms)
                    .bind(&event.principal)
                    .bind(&event.key_name)
                    .bind(event.role)
                    .bind(&event.rpc)
                    .bind(&event.target)
                    .bind(&event.request)
                    .bind(&event.code)
                    .bind(&event.message)
                    .bind(&event.peer)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
        });
        Ok(())
    }

    /// Matching events, newest first.
    pub async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let sql = "SELECT id, at_ms, principal, key_name, role, rpc, target, request, code, \
                   message, peer FROM audit_events \
                   WHERE id < $1 AND at_ms >= $2 AND at_ms < $3 \
                   AND ($4 = '' OR substr(principal, 1, length($4)) = $4) \
                   AND ($5 = '' OR rpc = $5 OR substr(rpc, 1, length($5) + 2) = '/' || $5 || '/') \
                   AND ($6 = '' OR target = $6) \
                   AND ($7 = 0 OR code <> 'OK') \
                   ORDER BY id DESC LIMIT $8";
        let rows = on_backend!(&self.database, |pool| sqlx::query_as(sql)
            .bind(query.before_id.unwrap_or(i64::MAX))
            .bind(query.since_ms.unwrap_or(i64::MIN))
            .bind(query.until_ms.unwrap_or(i64::MAX))
            .bind(&query.principal)
            .bind(&query.rpc)
            .bind(&query.target)
            .bind(i64::from(query.failures_only))
            .bind(query.limit)
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }
}
