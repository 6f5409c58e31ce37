//! `zenith doctor`: checks a deployment's Redis and SQL database and says what to fix.
//! Read only: nothing is migrated, created or reconfigured.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::redis_conn::RedisConn;
use anyhow::Context;
use redis::IntoConnectionInfo;
use serde::Serialize;
use sqlx::migrate::Migrator;

use crate::db::{AppliedMigration, Database};
use crate::managed_redis;
use crate::queue::{Engine, EngineConfig};

/// The oldest Redis Zenith runs on: `ZRANGE … BYSCORE/REV`, `XAUTOCLAIM` and `XTRIM MINID`
/// came in 6.2.
pub const MIN_REDIS_VERSION: (u32, u32) = (6, 2);
/// Longest a whole Redis or database check may take: an unreachable host must not hang.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
const CLOCK_SKEW_WARN: Duration = Duration::from_secs(1);
const CLOCK_SKEW_FAIL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// One check's result; `fix` says what to do for a warning or failure.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub finding: String,
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: &'static str, finding: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Ok,
            finding: finding.into(),
            fix: None,
        }
    }

    fn warn(check: &'static str, finding: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Self::ok(check, finding)
        }
    }

    fn fail(check: &'static str, finding: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            ..Self::warn(check, finding, fix)
        }
    }
}

/// One deployment to check: a Redis (none: the one `zenith serve` would find or start) and
/// a SQL database.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub redis_url: Option<String>,
    pub database_url: String,
}

/// Settings every target shares.
#[derive(Debug, Clone)]
pub struct Options {
    pub prefix: String,
    pub redis_ca_cert: Option<PathBuf>,
    /// Where a managed Redis keeps its data (and its URL while it runs).
    pub data_dir: PathBuf,
}

/// Runs every check on one target, Redis first, then SQL.
pub async fn check(target: &Target, options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    let redis_url = match &target.redis_url {
        Some(url) => Some(url.clone()),
        None => {
            let (finding, url) = unset_redis_url(options);
            findings.push(finding);
            url
        }
    };
    if let Some(url) = redis_url {
        findings.extend(check_redis(&url, options).await);
    }
    findings.extend(check_database(&target.database_url).await);
    findings
}

/// What `zenith serve` does with no Redis URL, and the Redis to check if one runs.
fn unset_redis_url(options: &Options) -> (Finding, Option<String>) {
    const CHECK: &str = "redis-url";
    if managed_redis::default_answers() {
        let finding = Finding::ok(
            CHECK,
            "not set: zenith serve uses the redis answering on 127.0.0.1:6379",
        );
        return (finding, Some(managed_redis::DEFAULT_URL.to_owned()));
    }
    if let Some(url) = managed_redis::running_url(&options.data_dir) {
        let finding = Finding::ok(
            CHECK,
            format!("not set: zenith serve runs a managed redis-server at {url}"),
        );
        return (finding, Some(url));
    }
    let finding = if managed_redis::can_start() {
        Finding::ok(
            CHECK,
            format!(
                "not set and no redis running: zenith serve starts a managed redis-server \
                 (AOF on, noeviction) with its data under {}",
                options.data_dir.join("redis").display()
            ),
        )
    } else {
        Finding::fail(
            CHECK,
            "not set, nothing answers on 127.0.0.1:6379 and redis-server is not on PATH: \
             zenith serve cannot start",
            "install redis-server (apt-get install redis-server, brew install redis) or set \
             --redis-url / ZENITH_REDIS_URL",
        )
    };
    (finding, None)
}

/// The host and port of a Redis URL: never its password.
fn redis_address(url: &str) -> String {
    url.split(',')
        .next()
        .unwrap_or_default()
        .into_connection_info()
        .map(|info| info.addr().to_string())
        .unwrap_or_else(|_| "an invalid url".into())
}

async fn check_redis(url: &str, options: &Options) -> Vec<Finding> {
    const CHECK: &str = "redis";
    let address = redis_address(url);
    let fix = "start redis there, or correct --redis-url / ZENITH_REDIS_URL (and \
               --redis-ca-cert for rediss://)";
    let engine = match bounded(&format!("redis at {address}"), connect(url, options)).await {
        Ok(engine) => engine,
        Err(finding) => return vec![Finding::fail(CHECK, finding, fix)],
    };
    // Per-node settings come from the node named first; on a cluster every primary should
    // be configured alike.
    let mut conn = match engine.seed_connection().await {
        Ok(conn) => conn,
        Err(error) => {
            let finding = format!("redis at {address} answers but a connection failed: {error}");
            return vec![Finding::fail(CHECK, finding, fix)];
        }
    };
    let info = match redis::cmd("INFO").query_async::<String>(&mut conn).await {
        Ok(text) => parse_info(&text),
        Err(error) => {
            let finding = format!("redis at {address} answers but INFO failed: {error}");
            return vec![Finding::fail(CHECK, finding, fix)];
        }
    };
    vec![
        version_finding(&address, &info),
        role_finding(&info),
        eviction_finding(engine.maxmemory_policy().await),
        persistence_finding(&mut conn).await,
        clock_finding(&mut conn).await,
    ]
}

/// Waits for `connecting` at most CHECK_TIMEOUT; the error is a finding naming `what`.
async fn bounded<T>(
    what: &str,
    connecting: impl Future<Output = anyhow::Result<T>>,
) -> Result<T, String> {
    match tokio::time::timeout(CHECK_TIMEOUT, connecting).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(format!("cannot reach {what}: {error:#}")),
        Err(_) => Err(format!("{what} did not answer within {CHECK_TIMEOUT:?}")),
    }
}

async fn connect(url: &str, options: &Options) -> anyhow::Result<Engine> {
    let tls_root_certificates = match &options.redis_ca_cert {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("--redis-ca-cert: cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let config = EngineConfig {
        prefix: options.prefix.clone(),
        tls_root_certificates,
        ..EngineConfig::default()
    };
    Ok(Engine::connect(url, config).await?)
}

/// `INFO`'s `field:value` lines.
fn parse_info(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(':'))
        .map(|(field, value)| (field.to_owned(), value.trim().to_owned()))
        .collect()
}

/// `7.0.15` → (7, 0).
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn version_finding(address: &str, info: &HashMap<String, String>) -> Finding {
    const CHECK: &str = "redis";
    let (min_major, min_minor) = MIN_REDIS_VERSION;
    let needs = format!("zenith needs {min_major}.{min_minor} or newer");
    let version = info.get("redis_version").map(String::as_str).unwrap_or("");
    match major_minor(version) {
        Some(found) if found >= MIN_REDIS_VERSION => Finding::ok(
            CHECK,
            format!("redis {version} reachable at {address} ({needs})"),
        ),
        Some(_) => Finding::fail(
            CHECK,
            format!("redis {version} at {address} is too old: {needs}"),
            format!("upgrade redis to {min_major}.{min_minor} or newer"),
        ),
        None => Finding::warn(
            CHECK,
            format!("redis at {address} reports no version zenith can read ({version:?})"),
            format!("make sure it is redis {min_major}.{min_minor} or newer"),
        ),
    }
}

fn role_finding(info: &HashMap<String, String>) -> Finding {
    const CHECK: &str = "redis-role";
    if info.get("cluster_enabled").map(String::as_str) == Some("1") {
        return Finding::ok(
            CHECK,
            "redis cluster: zenith follows redirects and failovers (settings below are the \
             first node's; configure every primary alike)",
        );
    }
    match info.get("role").map(String::as_str) {
        Some("master") => Finding::ok(CHECK, "primary (standalone)"),
        Some("slave") => {
            let primary = match (info.get("master_host"), info.get("master_port")) {
                (Some(host), Some(port)) => format!(" of {host}:{port}"),
                _ => String::new(),
            };
            Finding::fail(
                CHECK,
                format!("a replica{primary}: zenith writes jobs, which a replica refuses or loses"),
                "point --redis-url at the primary",
            )
        }
        other => Finding::warn(
            CHECK,
            format!("unknown role {:?}", other.unwrap_or("")),
            "point --redis-url at a primary redis",
        ),
    }
}

fn eviction_finding(policy: crate::queue::Result<String>) -> Finding {
    const CHECK: &str = "redis-eviction";
    let fix = "run `CONFIG SET maxmemory-policy noeviction` and set `maxmemory-policy \
               noeviction` in redis.conf (or the provider's parameter group)";
    match policy {
        Ok(policy) if policy == "noeviction" => {
            Finding::ok(CHECK, "maxmemory-policy is noeviction")
        }
        Ok(policy) => Finding::fail(
            CHECK,
            format!(
                "maxmemory-policy is {policy}: redis may evict jobs when it runs out of memory"
            ),
            fix,
        ),
        Err(error) => Finding::warn(
            CHECK,
            format!("cannot read maxmemory-policy ({error}): redis may evict jobs"),
            format!("make sure it is noeviction: {fix}"),
        ),
    }
}

/// `CONFIG GET name` → its value.
async fn config_get(conn: &mut RedisConn, name: &str) -> redis::RedisResult<String> {
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query_async(conn)
        .await?;
    Ok(reply.into_iter().nth(1).unwrap_or_default())
}

async fn persistence_finding(conn: &mut RedisConn) -> Finding {
    const CHECK: &str = "redis-persistence";
    let appendonly = config_get(conn, "appendonly").await;
    let save = config_get(conn, "save").await;
    let (appendonly, save) = match (appendonly, save) {
        (Ok(appendonly), Ok(save)) => (appendonly, save),
        (Err(error), _) | (_, Err(error)) => {
            return Finding::warn(
                CHECK,
                format!("cannot read the persistence settings ({error})"),
                "make sure append-only persistence is on (appendonly yes)",
            );
        }
    };
    let fix = "run `CONFIG SET appendonly yes` and set `appendonly yes` in redis.conf";
    if appendonly == "yes" {
        let fsync = config_get(conn, "appendfsync").await.unwrap_or_default();
        Finding::ok(CHECK, format!("append-only file on (appendfsync {fsync})"))
    } else if !save.trim().is_empty() {
        Finding::warn(
            CHECK,
            format!(
                "only RDB snapshots (save {save}): jobs since the last snapshot are lost if \
                 redis crashes"
            ),
            fix,
        )
    } else {
        Finding::fail(
            CHECK,
            "no persistence (appendonly no, no save points): a redis restart loses every job",
            fix,
        )
    }
}

async fn clock_finding(conn: &mut RedisConn) -> Finding {
    const CHECK: &str = "clock-skew";
    let before = SystemTime::now();
    let time: redis::RedisResult<(u64, u64)> = redis::cmd("TIME").query_async(conn).await;
    let after = SystemTime::now();
    let (seconds, micros) = match time {
        Ok(time) => time,
        Err(error) => {
            return Finding::warn(
                CHECK,
                format!("cannot read redis TIME ({error})"),
                "make sure this machine and redis keep time with NTP",
            );
        }
    };
    let redis_ms = (seconds * 1000 + micros / 1000) as i64;
    // The reply was made somewhere between sending and receiving: compare with the middle.
    let millis = |time: SystemTime| {
        time.duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as i64)
            .unwrap_or(0)
    };
    let local_ms = (millis(before) + millis(after)) / 2;
    skew_finding(redis_ms - local_ms)
}

fn skew_finding(redis_ahead_ms: i64) -> Finding {
    const CHECK: &str = "clock-skew";
    let skew = Duration::from_millis(redis_ahead_ms.unsigned_abs());
    let direction = if redis_ahead_ms >= 0 {
        "ahead of"
    } else {
        "behind"
    };
    let finding = format!(
        "redis's clock is {:.3}s {direction} this machine's",
        skew.as_secs_f64()
    );
    let why = "zenith runs delays, leases, retries, cron and node liveness on redis TIME, \
               while run-at times and lease deadlines are read and written by machines with \
               their own clocks";
    let fix = "sync both clocks with NTP (chrony or systemd-timesyncd)";
    if skew > CLOCK_SKEW_FAIL {
        Finding::fail(CHECK, format!("{finding}: {why}"), fix)
    } else if skew > CLOCK_SKEW_WARN {
        Finding::warn(CHECK, format!("{finding}: {why}"), fix)
    } else {
        Finding::ok(CHECK, finding)
    }
}

async fn check_database(url: &str) -> Vec<Finding> {
    const CHECK: &str = "database";
    let described = describe_database(url);
    let fix = if url.starts_with("sqlite:") {
        "create the file's directory (and let this user write it), or correct --database-url / \
         ZENITH_DATABASE_URL"
    } else {
        "start the database, or correct --database-url / ZENITH_DATABASE_URL"
    };
    if let Some(path) = missing_sqlite_file(url) {
        return vec![
            Finding::ok(
                CHECK,
                format!(
                    "sqlite file {} does not exist yet: zenith serve creates it",
                    path.display()
                ),
            ),
            pending_finding(
                sqlx_migrator(url),
                &[],
                "the database will be created and migrated when zenith serve starts",
            ),
        ];
    }
    let database = match bounded(&described, Database::open(url, false)).await {
        Ok(database) => database,
        Err(finding) => return vec![Finding::fail(CHECK, finding, fix)],
    };
    let mut findings = Vec::new();
    match database.ping().await {
        Ok(()) => findings.push(Finding::ok(CHECK, format!("{described} reachable"))),
        Err(error) => {
            findings.push(Finding::fail(
                CHECK,
                format!("{described} does not answer queries: {error}"),
                fix,
            ));
            database.close().await;
            return findings;
        }
    }
    findings.push(match database.applied_migrations().await {
        Ok(applied) => migrations_finding(database.migrator(), &applied.unwrap_or_default()),
        Err(error) => Finding::fail(
            "migrations",
            format!("cannot read _sqlx_migrations: {error}"),
            "check the database user may read it",
        ),
    });
    database.close().await;
    findings
}

/// What a database URL points at, without its password.
fn describe_database(url: &str) -> String {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return format!("sqlite {}", path.trim_start_matches("//"));
    }
    match url.parse::<sqlx::postgres::PgConnectOptions>() {
        Ok(options) => format!(
            "postgresql {}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        ),
        Err(_) => "the database (unrecognised url)".into(),
    }
}

/// The file of a `sqlite://` URL when it does not exist (zenith serve would create it).
fn missing_sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = PathBuf::from(rest.split('?').next()?);
    let parent_exists = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.is_dir(),
        _ => true,
    };
    // A missing directory is an error for the database check, not a file to create.
    (!rest.starts_with(":memory:") && parent_exists && !path.exists()).then_some(path)
}

fn sqlx_migrator(url: &str) -> &'static Migrator {
    if url.starts_with("sqlite:") {
        &crate::db::SQLITE_MIGRATOR
    } else {
        &crate::db::POSTGRES_MIGRATOR
    }
}

/// Compares the migrations this binary carries with those the database recorded.
pub fn migrations_finding(migrator: &Migrator, applied: &[AppliedMigration]) -> Finding {
    const CHECK: &str = "migrations";
    let known: HashMap<i64, &sqlx::migrate::Migration> = migrator
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .map(|migration| (migration.version, migration))
        .collect();
    if let Some(dirty) = applied.iter().find(|row| !row.success) {
        return Finding::fail(
            CHECK,
            format!("migration {} failed partway", dirty.version),
            format!(
                "finish or undo migration {} by hand, then delete its row from \
                 _sqlx_migrations so zenith serve applies it again",
                dirty.version
            ),
        );
    }
    if let Some(unknown) = applied.iter().find(|row| !known.contains_key(&row.version)) {
        return Finding::fail(
            CHECK,
            format!(
                "the database has migration {} that this zenith does not know: it was \
                 migrated by a newer version",
                unknown.version
            ),
            "run the zenith version that migrated it, or a newer one",
        );
    }
    if let Some(changed) = applied
        .iter()
        .find(|row| known[&row.version].checksum.as_ref() != row.checksum.as_slice())
    {
        let migration = known[&changed.version];
        return Finding::fail(
            CHECK,
            format!(
                "migration {} ({}) differs from the one applied (checksum mismatch)",
                migration.version, migration.description
            ),
            "run the zenith build that migrated this database, or restore it from a backup",
        );
    }
    pending_finding(
        migrator,
        applied,
        "they will be applied when zenith serve starts",
    )
}

/// Ok when every known migration is applied, else a warning listing the pending ones.
fn pending_finding(migrator: &Migrator, applied: &[AppliedMigration], when: &str) -> Finding {
    const CHECK: &str = "migrations";
    let known: Vec<i64> = migrator
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .map(|migration| migration.version)
        .collect();
    let pending: Vec<i64> = known
        .iter()
        .copied()
        .filter(|version| !applied.iter().any(|row| row.version == *version))
        .collect();
    if pending.is_empty() {
        let latest = known.last().copied().unwrap_or(0);
        return Finding::ok(
            CHECK,
            format!("all {} applied (latest {latest})", known.len()),
        );
    }
    let versions: Vec<String> = pending.iter().map(i64::to_string).collect();
    Finding::warn(
        CHECK,
        format!(
            "{} of {} pending ({}): {when}",
            pending.len(),
            known.len(),
            versions.join(", ")
        ),
        "start zenith serve: it applies them before serving",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied_all(migrator: &Migrator) -> Vec<AppliedMigration> {
        migrator
            .iter()
            .map(|migration| AppliedMigration {
                version: migration.version,
                checksum: migration.checksum.to_vec(),
                success: true,
            })
            .collect()
    }

    #[test]
    fn migrations_compare_by_version_and_checksum() {
        let migrator = &crate::db::SQLITE_MIGRATOR;
        let all = applied_all(migrator);
        assert_eq!(migrations_finding(migrator, &all).status, Status::Ok);

        let pending = migrations_finding(migrator, &all[..1]);
        assert_eq!(pending.status, Status::Warn, "{pending:?}");
        assert!(pending.finding.contains("pending"), "{pending:?}");

        let mut changed = all.clone();
        changed[0].checksum = vec![0; 48];
        let mismatch = migrations_finding(migrator, &changed);
        assert_eq!(mismatch.status, Status::Fail);
        assert!(mismatch.finding.contains("checksum"), "{mismatch:?}");

        let mut newer = all.clone();
        newer.push(AppliedMigration {
            version: 9999,
            checksum: vec![1],
            success: true,
        });
        let unknown = migrations_finding(migrator, &newer);
        assert_eq!(unknown.status, Status::Fail);
        assert!(unknown.finding.contains("9999"), "{unknown:?}");

        let mut dirty = all;
        dirty[1].success = false;
        assert_eq!(migrations_finding(migrator, &dirty).status, Status::Fail);
    }

    #[test]
    fn skew_thresholds() {
        assert_eq!(skew_finding(300).status, Status::Ok);
        assert_eq!(skew_finding(-1500).status, Status::Warn);
        let fail = skew_finding(6000);
        assert_eq!(fail.status, Status::Fail);
        assert!(fail.finding.contains("6.000s ahead"), "{fail:?}");
    }

    #[test]
    fn versions_parse() {
        assert_eq!(major_minor("7.0.15"), Some((7, 0)));
        assert_eq!(major_minor("6.2"), Some((6, 2)));
        assert_eq!(major_minor("x"), None);
        assert!((6, 0) < MIN_REDIS_VERSION && (7, 0) >= MIN_REDIS_VERSION);
    }

    #[test]
    fn urls_are_described_without_passwords() {
        let described = describe_database("postgres://zenith:secret@db.internal:5433/jobs");
        assert_eq!(described, "postgresql db.internal:5433/jobs");
        assert_eq!(
            redis_address("redis://:secret@cache.internal:6380/0"),
            "cache.internal:6380"
        );
    }
}
