//! Server configuration, layered: defaults → config file → `ZENITH_*` environment → flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

/// Flags of `zenith serve`; each has a `ZENITH_*` twin in the environment.
#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (snake_case keys).
    #[arg(long, env = "ZENITH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address for gRPC, grpc-web and HTTP [default: 127.0.0.1:7700].
    #[arg(long, env = "ZENITH_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Redis URL. Unset: use 127.0.0.1:6379 if it answers, else start a managed redis-server.
    #[arg(long, env = "ZENITH_REDIS_URL")]
    pub redis_url: Option<String>,
    /// SQL database: sqlite://FILE (created if missing) or postgres://… [default: sqlite://zenith.db].
    #[arg(long, env = "ZENITH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Prefix of every Redis key [default: zenith].
    #[arg(long, env = "ZENITH_PREFIX")]
    pub prefix: Option<String>,
    /// Feed demo queues with a steady stream of jobs and run an in-process demo worker.
    #[arg(long, env = "ZENITH_DEMO")]
    pub demo: bool,
    /// Browser origins allowed to call over grpc-web, comma-separated [default: none].
    #[arg(long, env = "ZENITH_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// How long completed and cancelled jobs stay in Redis [default: 1h].
    #[arg(long, env = "ZENITH_COMPLETED_RETENTION", value_parser = humantime::parse_duration)]
    pub completed_retention: Option<Duration>,
    /// Largest job payload or result in bytes [default: 1048576].
    #[arg(long, env = "ZENITH_MAX_PAYLOAD_BYTES")]
    pub max_payload_bytes: Option<usize>,
    /// Where the managed Redis keeps its data [default: .zenith].
    #[arg(long, env = "ZENITH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// How long archived jobs and their events are kept, unless a queue overrides it [default: 30d].
    #[arg(long, env = "ZENITH_ARCHIVE_RETENTION", value_parser = humantime::parse_duration)]
    pub archive_retention: Option<Duration>,
    /// Index jobs for search when enqueued, unless a queue overrides it [default: true].
    #[arg(long, env = "ZENITH_INDEX_ON_ENQUEUE")]
    pub index_on_enqueue: Option<bool>,
    /// How often each replica deletes archived jobs past their retention [default: 5m].
    #[arg(long, env = "ZENITH_ARCHIVE_PRUNE_INTERVAL", value_parser = humantime::parse_duration)]
    pub archive_prune_interval: Option<Duration>,
    /// How long a lost node stays listed before it is forgotten [default: 15m].
    #[arg(long, env = "ZENITH_LOST_NODE_RETENTION", value_parser = humantime::parse_duration)]
    pub lost_node_retention: Option<Duration>,
    /// How long log lines stay searchable in SQL [default: 7d].
    #[arg(long, env = "ZENITH_LOG_RETENTION", value_parser = humantime::parse_duration)]
    pub log_retention: Option<Duration>,
    /// How long archived log lines stay in Redis for `TailLogs` replay [default: 10m].
    #[arg(long, env = "ZENITH_LOG_TAIL_WINDOW", value_parser = humantime::parse_duration)]
    pub log_tail_window: Option<Duration>,
    /// How long cron run history stays in SQL [default: 30d].
    #[arg(long, env = "ZENITH_CRON_RUN_RETENTION", value_parser = humantime::parse_duration)]
    pub cron_run_retention: Option<Duration>,
    /// How often alert rules are evaluated, 1s to 10m [default: 15s].
    #[arg(long, env = "ZENITH_ALERT_EVALUATION_INTERVAL", value_parser = humantime::parse_duration)]
    pub alert_evaluation_interval: Option<Duration>,
    /// How long resolved alerts and notifications stay in SQL [default: 30d].
    #[arg(long, env = "ZENITH_ALERT_HISTORY_RETENTION", value_parser = humantime::parse_duration)]
    pub alert_history_retention: Option<Duration>,
    /// Serve the console from this directory (a `clients/web` build) instead of the embedded one.
    #[arg(long, env = "ZENITH_CONSOLE_DIR")]
    pub console_dir: Option<PathBuf>,
    /// Serve with no API keys on a non-loopback address: anyone who reaches the port is admin.
    #[arg(long, env = "ZENITH_INSECURE")]
    pub insecure: bool,
    /// An admin API key (`zk_<id>_<secret>`) to create at start if missing, for a first login.
    #[arg(long, env = "ZENITH_BOOTSTRAP_ADMIN_KEY", hide_env_values = true)]
    pub bootstrap_admin_key: Option<String>,
}

/// The same settings as read from a config file.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    redis_url: Option<String>,
    database_url: Option<String>,
    prefix: Option<String>,
    demo: Option<bool>,
    cors_origins: Option<Vec<String>>,
    #[serde(default, with = "humantime_serde_opt")]
    completed_retention: Option<Duration>,
    max_payload_bytes: Option<usize>,
    data_dir: Option<PathBuf>,
    #[serde(default, with = "humantime_serde_opt")]
    archive_retention: Option<Duration>,
    index_on_enqueue: Option<bool>,
    #[serde(default, with = "humantime_serde_opt")]
    archive_prune_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    lost_node_retention: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    log_retention: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    log_tail_window: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    cron_run_retention: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    alert_evaluation_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    alert_history_retention: Option<Duration>,
    console_dir: Option<PathBuf>,
    insecure: Option<bool>,
}

mod humantime_serde_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| humantime::parse_duration(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The settings in force.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub redis_url: Option<String>,
    pub database_url: String,
    pub prefix: String,
    pub demo: bool,
    pub cors_origins: Vec<String>,
    pub completed_retention: Duration,
    pub max_payload_bytes: usize,
    pub data_dir: PathBuf,
    pub archive_retention: Duration,
    pub index_on_enqueue: bool,
    pub archive_prune_interval: Duration,
    pub lost_node_retention: Duration,
    pub log_retention: Duration,
    pub log_tail_window: Duration,
    pub cron_run_retention: Duration,
    pub alert_evaluation_interval: Duration,
    pub alert_history_retention: Duration,
    pub console_dir: Option<PathBuf>,
    pub insecure: bool,
    pub bootstrap_admin_key: Option<String>,
}

impl ServeArgs {
    pub fn resolve(self) -> anyhow::Result<ServeConfig> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("read config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parse config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let prefix = self
            .prefix
            .or(file.prefix)
            .unwrap_or_else(|| "zenith".into());
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            anyhow::bail!("prefix: must be non-empty and without braces");
        }
        let archive_retention = self
            .archive_retention
            .or(file.archive_retention)
            .unwrap_or(Duration::from_secs(30 * 24 * 3600));
        if archive_retention < Duration::from_secs(3600) {
            anyhow::bail!("archive_retention: must be at least 1h");
        }
        let archive_prune_interval = self
            .archive_prune_interval
            .or(file.archive_prune_interval)
            .unwrap_or(Duration::from_secs(5 * 60));
        if archive_prune_interval < Duration::from_secs(1) {
            anyhow::bail!("archive_prune_interval: must be at least 1s");
        }
        let lost_node_retention = self
            .lost_node_retention
            .or(file.lost_node_retention)
            .unwrap_or(Duration::from_secs(15 * 60));
        let log_retention = self
            .log_retention
            .or(file.log_retention)
            .unwrap_or(Duration::from_secs(7 * 24 * 3600));
        if log_retention < Duration::from_secs(3600) {
            anyhow::bail!("log_retention: must be at least 1h");
        }
        let log_tail_window = self
            .log_tail_window
            .or(file.log_tail_window)
            .unwrap_or(Duration::from_secs(10 * 60));
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&log_tail_window) {
            anyhow::bail!("log_tail_window: must be from 1s to 1h");
        }
        let cron_run_retention = self
            .cron_run_retention
            .or(file.cron_run_retention)
            .unwrap_or(Duration::from_secs(30 * 24 * 3600));
        if cron_run_retention < Duration::from_secs(3600) {
            anyhow::bail!("cron_run_retention: must be at least 1h");
        }
        let alert_evaluation_interval = self
            .alert_evaluation_interval
            .or(file.alert_evaluation_interval)
            .unwrap_or(Duration::from_secs(15));
        if !(Duration::from_secs(1)..=Duration::from_secs(600)).contains(&alert_evaluation_interval)
        {
            anyhow::bail!("alert_evaluation_interval: must be from 1s to 10m");
        }
        let alert_history_retention = self
            .alert_history_retention
            .or(file.alert_history_retention)
            .unwrap_or(Duration::from_secs(30 * 24 * 3600));
        // Deliveries are retried for a day: history must outlive them.
        if alert_history_retention < Duration::from_secs(2 * 24 * 3600) {
            anyhow::bail!("alert_history_retention: must be at least 2d");
        }
        Ok(ServeConfig {
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 7700))),
            redis_url: self.redis_url.or(file.redis_url),
            database_url: self
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite://zenith.db".into()),
            prefix,
            demo: self.demo || file.demo.unwrap_or(false),
            cors_origins: self.cors_origins.or(file.cors_origins).unwrap_or_default(),
            completed_retention: self
                .completed_retention
                .or(file.completed_retention)
                .unwrap_or(Duration::from_secs(3600)),
            max_payload_bytes: self
                .max_payload_bytes
                .or(file.max_payload_bytes)
                .unwrap_or(1024 * 1024),
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from(".zenith")),
            archive_retention,
            index_on_enqueue: self
                .index_on_enqueue
                .or(file.index_on_enqueue)
                .unwrap_or(true),
            archive_prune_interval,
            lost_node_retention,
            log_retention,
            log_tail_window,
            cron_run_retention,
            alert_evaluation_interval,
            alert_history_retention,
            console_dir: self.console_dir.or(file.console_dir),
            insecure: self.insecure || file.insecure.unwrap_or(false),
            bootstrap_admin_key: self.bootstrap_admin_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zenith.toml");
        std::fs::write(
            &path,
            "prefix = \"fromfile\"\nlisten = \"127.0.0.1:9000\"\ncompleted_retention = \"10m\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..ServeArgs::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.prefix, "fromfile");
        assert_eq!(config.completed_retention, Duration::from_secs(600));
        assert_eq!(config.database_url, "sqlite://zenith.db");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zenith.toml");
        std::fs::write(&path, "listne = \"127.0.0.1:9000\"\n").unwrap();
        let args = ServeArgs {
            config: Some(path),
            ..ServeArgs::default()
        };
        assert!(args.resolve().is_err());
    }
}
