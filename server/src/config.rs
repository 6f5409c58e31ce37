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
    /// Several environments in one server, `NAME=REDIS_URL,…`; the first is the default. The
    /// first may be a bare `NAME`, using --redis-url [default: one cluster, `default`].
    #[arg(long, env = "ZENITH_CLUSTERS")]
    pub clusters: Option<String>,
    /// SQL databases of named clusters, `NAME=DATABASE_URL,…` [default: see README].
    #[arg(long, env = "ZENITH_CLUSTER_DATABASE_URLS")]
    pub cluster_database_urls: Option<String>,
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
    /// Serve TLS with this PEM certificate chain (needs --tls-key) [default: plaintext].
    #[arg(long, env = "ZENITH_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "ZENITH_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: clients must present a certificate signed by it (mTLS; needs --tls-cert).
    #[arg(long, env = "ZENITH_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// PEM CA bundle trusted for a rediss:// Redis instead of the system roots.
    #[arg(long, env = "ZENITH_REDIS_CA_CERT")]
    pub redis_ca_cert: Option<PathBuf>,
    /// Most concurrent HTTP/2 streams (calls) per connection [default: 1000].
    #[arg(long, env = "ZENITH_MAX_CONCURRENT_STREAMS")]
    pub max_concurrent_streams: Option<u32>,
    /// Largest gRPC message the server decodes, in bytes [default: 4194304].
    #[arg(long, env = "ZENITH_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Longest a unary call may run, whatever deadline the client asks for [default: 90s].
    #[arg(long, env = "ZENITH_REQUEST_TIMEOUT", value_parser = humantime::parse_duration)]
    pub request_timeout: Option<Duration>,
    /// How log lines are written to stderr: pretty or json (one object per line) [default: pretty].
    #[arg(long, env = "ZENITH_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// How the server writes its log lines.
#[derive(clap::ValueEnum, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object per line: level, target, message, fields and spans.
    Json,
}

/// The same settings as read from a config file.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    redis_url: Option<String>,
    database_url: Option<String>,
    prefix: Option<String>,
    clusters: Option<Vec<FileCluster>>,
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
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    redis_ca_cert: Option<PathBuf>,
    max_concurrent_streams: Option<u32>,
    max_message_bytes: Option<usize>,
    #[serde(default, with = "humantime_serde_opt")]
    request_timeout: Option<Duration>,
    log_format: Option<LogFormat>,
}

/// One `[[clusters]]` table of the config file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FileCluster {
    name: String,
    redis_url: Option<String>,
    database_url: Option<String>,
    prefix: Option<String>,
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
    /// Never empty: the first is the default cluster, and holds the instance-wide SQL (API
    /// keys, audit log). `redis_url`, `database_url` and `prefix` above are the first's.
    pub clusters: Vec<ClusterConfig>,
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
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub redis_ca_cert: Option<PathBuf>,
    pub max_concurrent_streams: u32,
    pub max_message_bytes: usize,
    pub request_timeout: Duration,
    pub log_format: LogFormat,
}

/// One environment: its own Redis and SQL database.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    pub name: String,
    /// Unset only for the implicit `default` cluster: find or start a managed Redis.
    pub redis_url: Option<String>,
    pub database_url: String,
    pub prefix: String,
}

/// The name of the only cluster when none is configured.
pub const DEFAULT_CLUSTER: &str = "default";

/// Room in a gRPC message for everything around the largest payload (type, headers, options).
pub const MESSAGE_HEADROOM_BYTES: usize = 64 * 1024;

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
        let transport = Transport::resolve(&self, &file)?;
        let prefix = self
            .prefix
            .or(file.prefix)
            .unwrap_or_else(|| "zenith".into());
        check_prefix("prefix", &prefix)?;
        let data_dir = self
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(".zenith"));
        let clusters = resolve_clusters(
            ClusterSources {
                flag: self.clusters.as_deref(),
                database_urls: self.cluster_database_urls.as_deref(),
                file: file.clusters,
            },
            ClusterDefaults {
                redis_url: self.redis_url.or(file.redis_url),
                database_url: self.database_url.or(file.database_url),
                prefix: &prefix,
                data_dir: &data_dir,
            },
        )?;
        let first = &clusters[0];
        let any_tls_redis = clusters.iter().any(|cluster| {
            cluster
                .redis_url
                .as_ref()
                .is_some_and(|url| url.starts_with("rediss://"))
        });
        if transport.redis_ca_cert.is_some() && !any_tls_redis {
            anyhow::bail!("--redis-ca-cert needs a TLS Redis: --redis-url rediss://…");
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
            redis_url: first.redis_url.clone(),
            database_url: first.database_url.clone(),
            prefix: first.prefix.clone(),
            clusters,
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
            data_dir,
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
            tls_cert: transport.tls_cert,
            tls_key: transport.tls_key,
            tls_client_ca: transport.tls_client_ca,
            redis_ca_cert: transport.redis_ca_cert,
            max_concurrent_streams: transport.max_concurrent_streams,
            max_message_bytes: transport.max_message_bytes,
            request_timeout: transport.request_timeout,
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
        })
    }
}

fn check_prefix(field: &str, prefix: &str) -> anyhow::Result<()> {
    if prefix.is_empty() || prefix.contains(['{', '}']) {
        anyhow::bail!("{field}: must be non-empty and without braces");
    }
    Ok(())
}

/// Where clusters are declared: `--clusters` replaces the file's `[[clusters]]`.
struct ClusterSources<'a> {
    flag: Option<&'a str>,
    database_urls: Option<&'a str>,
    file: Option<Vec<FileCluster>>,
}

/// What the first cluster falls back to, and the rest of what clusters are built from.
struct ClusterDefaults<'a> {
    redis_url: Option<String>,
    database_url: Option<String>,
    prefix: &'a str,
    data_dir: &'a std::path::Path,
}

/// The clusters in force. With none configured, one named `default` from --redis-url and
/// --database-url. Otherwise the first takes --redis-url/--database-url for what it does not
/// give itself (giving both, different, is an error), and every other cluster needs its own
/// Redis and gets its own SQLite file unless it names a database: SQL tables have no cluster
/// column, so two clusters must never share one by accident.
fn resolve_clusters(
    sources: ClusterSources,
    defaults: ClusterDefaults,
) -> anyhow::Result<Vec<ClusterConfig>> {
    let declared = match (sources.flag, sources.file) {
        (Some(flag), _) => parse_cluster_list(flag)?,
        (None, Some(file)) => file,
        (None, None) => Vec::new(),
    };
    if declared.is_empty() {
        if sources.database_urls.is_some() {
            anyhow::bail!("--cluster-database-urls: needs clusters (--clusters or [[clusters]])");
        }
        return Ok(vec![ClusterConfig {
            name: DEFAULT_CLUSTER.into(),
            redis_url: defaults.redis_url,
            database_url: defaults
                .database_url
                .unwrap_or_else(|| "sqlite://zenith.db".into()),
            prefix: defaults.prefix.to_owned(),
        }]);
    }
    let mut database_urls = match sources.database_urls {
        Some(list) => parse_pairs("--cluster-database-urls", list)?,
        None => Vec::new(),
    };
    let mut clusters: Vec<ClusterConfig> = Vec::with_capacity(declared.len());
    for (index, entry) in declared.into_iter().enumerate() {
        let label = format!("clusters[{index}] ({:?})", entry.name);
        check_cluster_name(&entry.name).with_context(|| label.clone())?;
        if clusters.iter().any(|cluster| cluster.name == entry.name) {
            anyhow::bail!("{label}: duplicate name; each cluster needs its own");
        }
        let flag_database = database_urls
            .iter()
            .position(|(name, _)| *name == entry.name)
            .map(|at| database_urls.remove(at).1);
        let own_database = match (entry.database_url, flag_database) {
            (Some(_), Some(_)) => anyhow::bail!(
                "{label}: database_url given both in the file and in --cluster-database-urls"
            ),
            (file, flag) => file.or(flag),
        };
        let first = index == 0;
        let redis_url = match (entry.redis_url, first, &defaults.redis_url) {
            (Some(own), true, Some(flag)) if own != *flag => anyhow::bail!(
                "{label}: redis_url differs from --redis-url; give it in one place only"
            ),
            (Some(own), _, _) => own,
            (None, true, Some(flag)) => flag.clone(),
            (None, _, _) => anyhow::bail!("{label}: redis_url is required"),
        };
        check_redis_url(&redis_url).with_context(|| label.clone())?;
        let database_url = match (own_database, first, &defaults.database_url) {
            (Some(own), true, Some(flag)) if own != *flag => anyhow::bail!(
                "{label}: database_url differs from --database-url; give it in one place only"
            ),
            (Some(own), _, _) => own,
            (None, true, flag) => flag.clone().unwrap_or_else(|| "sqlite://zenith.db".into()),
            (None, false, _) => format!(
                "sqlite://{}",
                defaults
                    .data_dir
                    .join(format!("cluster-{}.db", entry.name))
                    .display()
            ),
        };
        check_database_url(&database_url).with_context(|| label.clone())?;
        let prefix = entry.prefix.unwrap_or_else(|| defaults.prefix.to_owned());
        check_prefix(&format!("{label}: prefix"), &prefix)?;
        clusters.push(ClusterConfig {
            name: entry.name,
            redis_url: Some(redis_url),
            database_url,
            prefix,
        });
    }
    if let Some((name, _)) = database_urls.first() {
        anyhow::bail!("--cluster-database-urls: no cluster named {name:?}");
    }
    Ok(clusters)
}

/// `--clusters`: `NAME=REDIS_URL` entries, comma-separated; the first may be a bare `NAME`.
fn parse_cluster_list(list: &str) -> anyhow::Result<Vec<FileCluster>> {
    list.split(',')
        .enumerate()
        .map(|(index, entry)| {
            let entry = entry.trim();
            let (name, redis_url) = match entry.split_once('=') {
                Some((name, url)) => (name.trim(), Some(url.trim().to_owned())),
                None if index == 0 => (entry, None),
                None => {
                    anyhow::bail!("--clusters: entry {index} ({entry:?}) must be NAME=REDIS_URL")
                }
            };
            Ok(FileCluster {
                name: name.to_owned(),
                redis_url,
                database_url: None,
                prefix: None,
            })
        })
        .collect()
}

/// `NAME=VALUE` entries, comma-separated.
fn parse_pairs<'a>(field: &str, list: &'a str) -> anyhow::Result<Vec<(&'a str, String)>> {
    list.split(',')
        .enumerate()
        .map(|(index, entry)| match entry.trim().split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim(), value.trim().to_owned()))
            }
            _ => anyhow::bail!("{field}: entry {index} ({entry:?}) must be NAME=URL"),
        })
        .collect()
}

/// Names go into metadata, logs and file names: `[a-z0-9][a-z0-9_-]{0,31}`.
fn check_cluster_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if name.is_empty() {
        anyhow::bail!("name: must not be empty");
    }
    if !first_ok || !rest_ok || name.len() > 32 {
        anyhow::bail!(
            "name: must match [a-z0-9][a-z0-9_-]{{0,31}} (lowercase letters, digits, _ and -)"
        );
    }
    Ok(())
}

fn check_redis_url(url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        anyhow::bail!("redis_url: must start with redis:// or rediss://");
    }
    redis::IntoConnectionInfo::into_connection_info(url)
        .map(|_| ())
        .map_err(|error| anyhow::anyhow!("redis_url: {error}"))
}

fn check_database_url(url: &str) -> anyhow::Result<()> {
    if !["sqlite:", "postgres:", "postgresql:"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
    {
        anyhow::bail!("database_url: must be sqlite://… or postgres://…");
    }
    Ok(())
}

/// The TLS and limits settings, checked together since they constrain each other.
struct Transport {
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    redis_ca_cert: Option<PathBuf>,
    max_concurrent_streams: u32,
    max_message_bytes: usize,
    request_timeout: Duration,
}

impl Transport {
    fn resolve(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let pick = |flag: &Option<PathBuf>, key: &Option<PathBuf>| flag.clone().or(key.clone());
        let tls_cert = pick(&args.tls_cert, &file.tls_cert);
        let tls_key = pick(&args.tls_key, &file.tls_key);
        let tls_client_ca = pick(&args.tls_client_ca, &file.tls_client_ca);
        let redis_ca_cert = pick(&args.redis_ca_cert, &file.redis_ca_cert);
        if tls_cert.is_some() != tls_key.is_some() {
            anyhow::bail!("--tls-cert and --tls-key go together: give both or neither");
        }
        if tls_client_ca.is_some() && tls_cert.is_none() {
            anyhow::bail!("--tls-client-ca needs --tls-cert and --tls-key: mTLS is TLS first");
        }
        let max_concurrent_streams = args
            .max_concurrent_streams
            .or(file.max_concurrent_streams)
            .unwrap_or(1000);
        if max_concurrent_streams == 0 {
            anyhow::bail!("--max-concurrent-streams: must be at least 1");
        }
        let max_payload_bytes = args
            .max_payload_bytes
            .or(file.max_payload_bytes)
            .unwrap_or(1024 * 1024);
        let max_message_bytes = args
            .max_message_bytes
            .or(file.max_message_bytes)
            .unwrap_or(4 * 1024 * 1024);
        let smallest = max_payload_bytes.saturating_add(MESSAGE_HEADROOM_BYTES);
        if max_message_bytes < smallest {
            anyhow::bail!(
                "--max-message-bytes ({max_message_bytes}) must be at least --max-payload-bytes \
                 ({max_payload_bytes}) + {MESSAGE_HEADROOM_BYTES} = {smallest}, or a message \
                 with the largest payload could not arrive"
            );
        }
        let request_timeout = args
            .request_timeout
            .or(file.request_timeout)
            .unwrap_or(Duration::from_secs(90));
        if request_timeout < Duration::from_secs(1) {
            anyhow::bail!("--request-timeout: must be at least 1s");
        }
        Ok(Self {
            tls_cert,
            tls_key,
            tls_client_ca,
            redis_ca_cert,
            max_concurrent_streams,
            max_message_bytes,
            request_timeout,
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

    fn refusal(args: ServeArgs) -> String {
        format!("{:#}", args.resolve().expect_err("refused"))
    }

    #[test]
    fn transport_defaults() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(config.tls_cert, None);
        assert_eq!(config.max_concurrent_streams, 1000);
        assert_eq!(config.max_message_bytes, 4 * 1024 * 1024);
        assert_eq!(config.request_timeout, Duration::from_secs(90));
    }

    #[test]
    fn transport_settings_come_from_the_file_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zenith.toml");
        std::fs::write(
            &path,
            "tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\nmax_concurrent_streams = 7\n\
             max_message_bytes = 2097152\nrequest_timeout = \"5s\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            ..ServeArgs::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.tls_cert, Some(PathBuf::from("c.pem")));
        assert_eq!(config.tls_key, Some(PathBuf::from("k.pem")));
        assert_eq!(config.max_concurrent_streams, 7);
        assert_eq!(config.max_message_bytes, 2 * 1024 * 1024);
        assert_eq!(config.request_timeout, Duration::from_secs(5));
    }

    #[test]
    fn tls_flags_that_do_not_go_together_are_refused() {
        let cert_only = refusal(ServeArgs {
            tls_cert: Some("c.pem".into()),
            ..ServeArgs::default()
        });
        assert!(cert_only.contains("--tls-key"), "{cert_only}");
        let key_only = refusal(ServeArgs {
            tls_key: Some("k.pem".into()),
            ..ServeArgs::default()
        });
        assert!(key_only.contains("--tls-cert"), "{key_only}");
        let ca_only = refusal(ServeArgs {
            tls_client_ca: Some("ca.pem".into()),
            ..ServeArgs::default()
        });
        assert!(ca_only.contains("--tls-client-ca"), "{ca_only}");
        let redis_ca = refusal(ServeArgs {
            redis_url: Some("redis://127.0.0.1:6379".into()),
            redis_ca_cert: Some("ca.pem".into()),
            ..ServeArgs::default()
        });
        assert!(redis_ca.contains("rediss://"), "{redis_ca}");
        ServeArgs {
            redis_url: Some("rediss://127.0.0.1:6379".into()),
            redis_ca_cert: Some("ca.pem".into()),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
    }

    #[test]
    fn limits_are_checked() {
        let small = refusal(ServeArgs {
            max_payload_bytes: Some(4 * 1024 * 1024),
            ..ServeArgs::default()
        });
        assert!(small.contains("--max-message-bytes"), "{small}");
        let config = ServeArgs {
            max_payload_bytes: Some(4 * 1024 * 1024),
            max_message_bytes: Some(4 * 1024 * 1024 + MESSAGE_HEADROOM_BYTES),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.max_message_bytes, 4 * 1024 * 1024 + 64 * 1024);
        let no_streams = refusal(ServeArgs {
            max_concurrent_streams: Some(0),
            ..ServeArgs::default()
        });
        assert!(
            no_streams.contains("--max-concurrent-streams"),
            "{no_streams}"
        );
        let instant = refusal(ServeArgs {
            request_timeout: Some(Duration::from_millis(10)),
            ..ServeArgs::default()
        });
        assert!(instant.contains("--request-timeout"), "{instant}");
    }

    #[test]
    fn without_clusters_there_is_one_named_default() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(
            config.clusters,
            [ClusterConfig {
                name: DEFAULT_CLUSTER.into(),
                redis_url: None,
                database_url: "sqlite://zenith.db".into(),
                prefix: "zenith".into(),
            }]
        );
    }

    #[test]
    fn clusters_from_the_file_with_their_own_databases_or_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zenith.toml");
        std::fs::write(
            &path,
            "data_dir = \"/var/zenith\"\n\
             [[clusters]]\nname = \"dev\"\nredis_url = \"redis://dev:6379\"\n\
             [[clusters]]\nname = \"prod\"\nredis_url = \"redis://:pw@prod:6379\"\n\
             prefix = \"zp\"\n\
             [[clusters]]\nname = \"stage\"\nredis_url = \"redis://stage:6379\"\n\
             database_url = \"postgres://db/stage\"\n",
        )
        .unwrap();
        let config = ServeArgs {
            config: Some(path),
            database_url: Some("sqlite://main.db".into()),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        let summary: Vec<(&str, &str, &str)> = config
            .clusters
            .iter()
            .map(|c| (c.name.as_str(), c.database_url.as_str(), c.prefix.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("dev", "sqlite://main.db", "zenith"),
                ("prod", "sqlite:///var/zenith/cluster-prod.db", "zp"),
                ("stage", "postgres://db/stage", "zenith"),
            ]
        );
        assert_eq!(config.redis_url.as_deref(), Some("redis://dev:6379"));
    }

    #[test]
    fn compact_clusters_and_their_databases() {
        let config = ServeArgs {
            redis_url: Some("redis://dev:6379".into()),
            clusters: Some("dev, prod=redis://prod:6379".into()),
            cluster_database_urls: Some("prod=postgres://db/prod".into()),
            ..ServeArgs::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            config.clusters[0].redis_url.as_deref(),
            Some("redis://dev:6379")
        );
        assert_eq!(config.clusters[1].database_url, "postgres://db/prod");
        let twice = refusal(ServeArgs {
            redis_url: Some("redis://a:6379".into()),
            clusters: Some("dev=redis://b:6379".into()),
            ..ServeArgs::default()
        });
        assert!(twice.contains("clusters[0] (\"dev\")"), "{twice}");
        let long = refusal(ServeArgs {
            clusters: Some(format!("{}=redis://a:6379", "a".repeat(33))),
            ..ServeArgs::default()
        });
        assert!(long.contains("[a-z0-9][a-z0-9_-]{0,31}"), "{long}");
        let database = refusal(ServeArgs {
            clusters: Some("dev=redis://a:6379".into()),
            cluster_database_urls: Some("dev=mysql://x".into()),
            ..ServeArgs::default()
        });
        assert!(database.contains("database_url"), "{database}");
    }
}
