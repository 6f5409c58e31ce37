//! `zenith doctor` against real Redis servers and real SQLite and PostgreSQL databases.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use zenith_server::db::Database;
use zenith_testkit::{PostgresServer, RedisServer, free_port};

/// Long enough for every check's own timeout; doctor must never get near it.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
}

impl Run {
    /// The `status  check  finding` line of a check.
    fn line(&self, check: &str) -> &str {
        self.stdout
            .lines()
            .find(|line| line.split_whitespace().nth(1) == Some(check))
            .unwrap_or_else(|| panic!("no {check} line in:\n{}", self.stdout))
    }

    fn status(&self, check: &str) -> &str {
        self.line(check).split_whitespace().next().unwrap()
    }

    /// The `fix:` line under a check's line.
    fn fix(&self, check: &str) -> &str {
        let line = self.line(check);
        let mut lines = self.stdout.lines().skip_while(|other| *other != line);
        lines.next();
        lines
            .next()
            .filter(|next| next.trim_start().starts_with("fix: "))
            .unwrap_or_else(|| panic!("no fix under {check} in:\n{}", self.stdout))
    }
}

/// Runs `zenith doctor ARGS` in `dir` with no `ZENITH_*` settings from the environment, and
/// fails the test if it has not exited by the deadline.
fn doctor(dir: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zenith"));
    command.arg("doctor").args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ZENITH_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            panic!("zenith doctor {args:?} still ran after {RUN_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    Run {
        code: status.code(),
        stdout,
    }
}

/// `zenith doctor` on this Redis and database.
fn doctor_on(dir: &Path, redis_url: &str, database_url: &str) -> Run {
    doctor(
        dir,
        &["--redis-url", redis_url, "--database-url", database_url],
    )
}

async fn config_set(redis: &RedisServer, name: &str, value: &str) {
    let mut conn = redis.connection().await.unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
}

/// A SQLite database with every migration applied, as `zenith serve` leaves it.
async fn migrated_sqlite(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("zenith.db").display());
    Database::connect(&url).await.unwrap().close().await;
    url
}

/// A well-configured Redis (noeviction, AOF on) and a migrated SQLite database.
struct Deployment {
    dir: tempfile::TempDir,
    redis: RedisServer,
    database_url: String,
}

impl Deployment {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let redis = RedisServer::start().unwrap();
        let database_url = migrated_sqlite(dir.path()).await;
        Self {
            dir,
            redis,
            database_url,
        }
    }

    /// `zenith doctor` on this deployment, with any extra flags.
    fn doctor(&self, extra: &[&str]) -> Run {
        let redis_url = self.redis.url();
        let mut args = vec![
            "--redis-url",
            &redis_url,
            "--database-url",
            &self.database_url,
        ];
        args.extend_from_slice(extra);
        doctor(self.dir.path(), &args)
    }
}

#[tokio::test]
async fn a_healthy_deployment_passes_every_check() {
    let deployment = Deployment::start().await;
    let run = deployment.doctor(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    for check in [
        "redis",
        "redis-role",
        "redis-eviction",
        "redis-persistence",
        "clock-skew",
        "database",
        "migrations",
    ] {
        assert_eq!(run.status(check), "ok", "{}", run.stdout);
    }
    assert!(
        run.stdout.lines().all(|line| line.starts_with("ok  ")),
        "{}",
        run.stdout
    );
    assert!(run.line("redis").contains("6.2 or newer"), "{}", run.stdout);
    assert!(
        run.line("migrations").contains("all 6 applied"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_redis_cluster_passes_and_is_named() {
    let cluster = RedisServer::start_cluster(3, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = migrated_sqlite(dir.path()).await;
    // Two seed nodes, as a production config would give them.
    let seeds = format!(
        "{},redis://127.0.0.1:{}",
        cluster.url(),
        cluster.primary_ports().unwrap()[1]
    );
    let run = doctor_on(dir.path(), &seeds, &database);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.status("redis-role"), "ok", "{}", run.stdout);
    assert!(
        run.line("redis-role").contains("redis cluster"),
        "{}",
        run.stdout
    );
    assert_eq!(run.status("redis-eviction"), "ok", "{}", run.stdout);
}

#[tokio::test]
async fn an_evicting_redis_fails_and_the_fix_names_noeviction() {
    let deployment = Deployment::start().await;
    config_set(&deployment.redis, "maxmemory-policy", "allkeys-lru").await;
    let run = deployment.doctor(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(run.status("redis-eviction"), "fail");
    assert!(run.line("redis-eviction").contains("allkeys-lru"));
    assert!(run.line("redis-eviction").contains("may evict jobs"));
    assert!(
        run.fix("redis-eviction")
            .contains("CONFIG SET maxmemory-policy noeviction"),
        "{}",
        run.stdout
    );

    // The same findings as one JSON document.
    let json_run = deployment.doctor(&["--json"]);
    assert_eq!(json_run.code, Some(1));
    let findings: Vec<Value> = serde_json::from_str(&json_run.stdout).unwrap();
    let text_checks: Vec<(&str, &str)> = run
        .stdout
        .lines()
        .filter(|line| !line.trim_start().starts_with("fix: "))
        .map(|line| {
            let mut words = line.split_whitespace();
            (words.next().unwrap(), words.next().unwrap())
        })
        .collect();
    let json_checks: Vec<(&str, &str)> = findings
        .iter()
        .map(|finding| {
            (
                finding["status"].as_str().unwrap(),
                finding["check"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(json_checks, text_checks);
    let eviction = findings
        .iter()
        .find(|finding| finding["check"] == "redis-eviction")
        .unwrap();
    assert!(
        eviction["finding"]
            .as_str()
            .unwrap()
            .contains("allkeys-lru")
    );
    assert!(eviction["fix"].as_str().unwrap().contains("noeviction"));
    let redis_ok = findings
        .iter()
        .find(|finding| finding["check"] == "redis")
        .unwrap();
    assert_eq!(redis_ok["status"], "ok");
    assert!(redis_ok["fix"].is_null());
}

#[tokio::test]
async fn persistence_fails_without_aof_or_snapshots_and_warns_on_snapshots_only() {
    let deployment = Deployment::start().await;
    config_set(&deployment.redis, "appendonly", "no").await;
    config_set(&deployment.redis, "save", "").await;
    let none = deployment.doctor(&[]);
    assert_eq!(none.code, Some(1), "{}", none.stdout);
    assert_eq!(none.status("redis-persistence"), "fail");
    assert!(none.fix("redis-persistence").contains("appendonly yes"));

    config_set(&deployment.redis, "save", "3600 1").await;
    let snapshots = deployment.doctor(&[]);
    assert_eq!(snapshots.code, Some(0), "{}", snapshots.stdout);
    assert_eq!(snapshots.status("redis-persistence"), "warn");
    assert!(
        snapshots
            .line("redis-persistence")
            .contains("since the last snapshot"),
        "{}",
        snapshots.stdout
    );
}

#[tokio::test]
async fn unreachable_redis_and_database_fail_by_name_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let redis_port = free_port();
    let postgres_port = free_port();
    let run = doctor_on(
        dir.path(),
        &format!("redis://127.0.0.1:{redis_port}"),
        &format!("postgres://zenith:secret@127.0.0.1:{postgres_port}/zenith"),
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(run.status("redis"), "fail");
    assert!(
        run.line("redis")
            .contains(&format!("127.0.0.1:{redis_port}"))
    );
    assert_eq!(run.status("database"), "fail");
    assert!(
        run.line("database")
            .contains(&format!("postgresql 127.0.0.1:{postgres_port}/zenith")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("secret"), "{}", run.stdout);
    // Nothing to check further on either.
    assert!(!run.stdout.contains("redis-eviction"));
    assert!(!run.stdout.contains("migrations"));

    let missing_dir = dir.path().join("missing").join("zenith.db");
    let sqlite = doctor_on(
        dir.path(),
        &format!("redis://127.0.0.1:{redis_port}"),
        &format!("sqlite://{}", missing_dir.display()),
    );
    assert_eq!(sqlite.status("database"), "fail", "{}", sqlite.stdout);
}

#[tokio::test]
async fn a_fresh_sqlite_database_has_its_migrations_pending() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start().unwrap();
    let path = dir.path().join("fresh.db");
    std::fs::write(&path, b"").unwrap();
    let run = doctor_on(
        dir.path(),
        &redis.url(),
        &format!("sqlite://{}", path.display()),
    );
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.status("database"), "ok");
    assert_eq!(run.status("migrations"), "warn");
    assert!(
        run.line("migrations").contains("6 of 6 pending"),
        "{}",
        run.stdout
    );
    assert!(run.fix("migrations").contains("zenith serve"));

    // A file that does not exist yet: serve creates it; doctor does not.
    let missing = dir.path().join("later.db");
    let later = doctor_on(
        dir.path(),
        &redis.url(),
        &format!("sqlite://{}", missing.display()),
    );
    assert_eq!(later.code, Some(0), "{}", later.stdout);
    assert!(later.line("database").contains("does not exist yet"));
    assert_eq!(later.status("migrations"), "warn");
    assert!(!missing.exists());
}

#[tokio::test]
async fn a_changed_or_newer_migration_fails() {
    let deployment = Deployment::start().await;
    let Database::Sqlite(pool) = Database::open(&deployment.database_url, false)
        .await
        .unwrap()
    else {
        unreachable!("a sqlite url");
    };
    sqlx::query("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 2")
        .execute(&pool)
        .await
        .unwrap();
    let changed = deployment.doctor(&[]);
    assert_eq!(changed.code, Some(1), "{}", changed.stdout);
    assert_eq!(changed.status("migrations"), "fail");
    assert!(changed.line("migrations").contains("checksum mismatch"));

    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9001, 'from the future', 1, x'01', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let newer = deployment.doctor(&[]);
    assert_eq!(newer.code, Some(1), "{}", newer.stdout);
    assert!(
        newer.line("migrations").contains("9001"),
        "{}",
        newer.stdout
    );
    assert!(newer.fix("migrations").contains("zenith version"));
}

#[tokio::test]
async fn postgres_migrations_are_compared_too() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start().unwrap();
    let postgres = PostgresServer::start().unwrap();
    let database_url = postgres.create_database("doctor").unwrap();
    let args = ["--redis-url", &redis.url(), "--database-url", &database_url];
    let fresh = doctor(dir.path(), &args);
    assert_eq!(fresh.status("database"), "ok", "{}", fresh.stdout);
    assert_eq!(fresh.status("migrations"), "warn", "{}", fresh.stdout);

    Database::connect(&database_url)
        .await
        .unwrap()
        .close()
        .await;
    let migrated = doctor(dir.path(), &args);
    assert_eq!(migrated.code, Some(0), "{}", migrated.stdout);
    assert_eq!(migrated.status("migrations"), "ok", "{}", migrated.stdout);
}

#[tokio::test]
async fn without_a_redis_url_doctor_checks_the_redis_serve_would_use() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let data_dir_arg = data_dir.to_str().unwrap();
    let database_url = migrated_sqlite(dir.path()).await;
    let args = ["--data-dir", data_dir_arg, "--database-url", &database_url];
    let default_answers = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], 6379)),
        Duration::from_millis(200),
    )
    .is_ok();
    let before = doctor(dir.path(), &args);
    if default_answers {
        assert!(before.line("redis-url").contains("127.0.0.1:6379"));
        return;
    }
    assert_eq!(before.code, Some(0), "{}", before.stdout);
    assert!(
        before
            .line("redis-url")
            .contains("starts a managed redis-server"),
        "{}",
        before.stdout
    );
    assert!(!before.stdout.contains("redis-eviction"));

    // With serve running its managed Redis, doctor finds and checks that one.
    let port = free_port();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_zenith"))
        .arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .env_remove("ZENITH_REDIS_URL")
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut listening = false;
    while !listening && started.elapsed() < RUN_DEADLINE {
        listening = TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok();
        std::thread::sleep(Duration::from_millis(50));
    }
    let during = listening.then(|| doctor(dir.path(), &args));
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
    let during = during.expect("zenith serve did not listen");
    assert_eq!(during.code, Some(0), "{}", during.stdout);
    assert!(
        during
            .line("redis-url")
            .contains("runs a managed redis-server at redis://127.0.0.1:"),
        "{}",
        during.stdout
    );
    assert_eq!(during.status("redis-eviction"), "ok");
    assert_eq!(during.status("redis-persistence"), "ok");

    // Stopped with serve: its recorded URL goes too.
    let after = doctor(dir.path(), &args);
    assert!(
        after
            .line("redis-url")
            .contains("starts a managed redis-server"),
        "{}",
        after.stdout
    );
}

#[tokio::test]
async fn every_configured_cluster_is_checked_under_its_name() {
    let dev = Deployment::start().await;
    let prod_redis = RedisServer::start().unwrap();
    config_set(&prod_redis, "maxmemory-policy", "allkeys-lru").await;
    let prod_dir = tempfile::tempdir().unwrap();
    let prod_database = migrated_sqlite(prod_dir.path()).await;
    let clusters = format!("dev={},prod={}", dev.redis.url(), prod_redis.url());
    let databases = format!("dev={},prod={prod_database}", dev.database_url);
    let args = [
        "--clusters",
        clusters.as_str(),
        "--cluster-database-urls",
        databases.as_str(),
    ];

    let run = doctor(dev.dir.path(), &args);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let (dev_block, prod_block) = run
        .stdout
        .split_once("cluster prod\n")
        .unwrap_or_else(|| panic!("no prod heading in:\n{}", run.stdout));
    assert!(dev_block.starts_with("cluster dev\n"), "{}", run.stdout);
    assert!(!dev_block.contains("fail"), "{dev_block}");
    assert!(
        prod_block
            .lines()
            .any(|line| line.starts_with("fail") && line.contains("redis-eviction")),
        "{prod_block}"
    );

    let json = doctor(dev.dir.path(), &[&args[..], &["--json"]].concat());
    let findings: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let failed: Vec<_> = findings
        .iter()
        .filter(|finding| finding["status"] == "fail")
        .map(|finding| (finding["cluster"].as_str(), finding["check"].as_str()))
        .collect();
    assert_eq!(
        failed,
        [(Some("prod"), Some("redis-eviction"))],
        "{findings:?}"
    );
}
